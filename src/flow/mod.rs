//! Flows: a direction-agnostic key, per-flow state (initiator, handshake outcome, counters),
//! and a bounded table with idle expiry.
//!
//! The key holds addresses, ports and the IP protocol only: the VLAN tag and MAC addresses are
//! per-direction attributes, so a connection routed between VLANs on a trunk SPAN (tagged 10
//! one way and 20 the other) stays one flow.

pub mod conv;
pub mod reassembly;
pub mod seq;

use crate::decode::{Mac, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, Tcp};
use crate::evidence::Ev;
use crate::time::Timestamp;
use ahash::RandomState;
use reassembly::Stream;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::IpAddr;

pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// Direction-agnostic flow key: `a` is the lower (address, port) endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    pub a: (IpAddr, u16),
    pub b: (IpAddr, u16),
    pub proto: u8,
}

/// Hashed as two or five words (the derived hash feeds the hasher field by field, enum tags
/// included, which costs more than the table lookup itself).
impl std::hash::Hash for FlowKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let ports = (self.a.1 as u64) << 24 | (self.b.1 as u64) << 8 | self.proto as u64;
        match (self.a.0, self.b.0) {
            (IpAddr::V4(x), IpAddr::V4(y)) => {
                h.write_u64((u32::from(x) as u64) << 32 | u32::from(y) as u64);
                h.write_u64(ports);
            }
            (x, y) => {
                let w = |ip: IpAddr| match ip {
                    IpAddr::V4(v) => u32::from(v) as u128 | 1 << 64,
                    IpAddr::V6(v) => u128::from(v),
                };
                h.write_u128(w(x));
                h.write_u128(w(y));
                h.write_u64(ports | 1 << 63);
            }
        }
    }
}

impl FlowKey {
    /// The key of a packet and the side (0 = `a`, 1 = `b`) its sender is on.
    #[inline]
    pub fn new(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, proto: u8) -> (FlowKey, u8) {
        if (src, sport) <= (dst, dport) {
            (
                FlowKey {
                    a: (src, sport),
                    b: (dst, dport),
                    proto,
                },
                0,
            )
        } else {
            (
                FlowKey {
                    a: (dst, dport),
                    b: (src, sport),
                    proto,
                },
                1,
            )
        }
    }

    pub fn endpoint(&self, side: u8) -> (IpAddr, u16) {
        if side == 0 { self.a } else { self.b }
    }

    /// A hash that is the same for both directions, for sharding flows across workers.
    pub fn symmetric_hash(src: IpAddr, dst: IpAddr) -> u64 {
        fn h(ip: IpAddr) -> u64 {
            match ip {
                IpAddr::V4(v) => u32::from(v) as u64,
                IpAddr::V6(v) => {
                    let x = u128::from(v);
                    (x as u64) ^ ((x >> 64) as u64)
                }
            }
        }
        // Commutative combination, then a finaliser (splitmix64) to spread the bits.
        let mut z = h(src).wrapping_add(h(dst)) ^ (h(src) ^ h(dst)).rotate_left(29);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// How the client (initiator) of a flow was determined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Initiator {
    /// Sent the SYN.
    Syn,
    /// Received the SYN-ACK (the SYN itself was not captured).
    SynAck,
    /// Sent the first datagram.
    FirstPacket,
    /// Mid-stream: the side not on the service port.
    PortHeuristic,
    /// Mid-stream: turned round from the port guess by the first message a protocol probe
    /// recognised (the engine's `Roles`).
    Content,
}

/// TCP connection outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Handshake {
    /// SYN, SYN-ACK and the client's ACK (or data) seen.
    Completed,
    /// SYN answered by RST: the responder was reached and refused.
    Refused,
    /// SYN(s) only.
    Unanswered,
    /// Picked up mid-stream: no handshake seen, but traffic flowed.
    MidStream,
    /// Not TCP.
    None,
}

/// TCP state of a flow (what passive observation can know).
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpState {
    pub syn: Option<Ev>,
    pub synack: Option<Ev>,
    pub established: Option<Ev>,
    pub refused: Option<Ev>,
    pub fin: [bool; 2],
    pub rst: [bool; 2],
}

/// One flow. Sides are indexed 0 (`key.a`) and 1 (`key.b`).
#[derive(Debug)]
pub struct Flow<A> {
    pub key: FlowKey,
    /// Creation order (deterministic tie-breaker).
    pub id: u64,
    /// Side of the client (initiator).
    pub client: u8,
    pub initiator: Initiator,
    pub first: Ev,
    pub last_ts: Timestamp,
    pub pkts: [u64; 2],
    pub bytes: [u64; 2],
    pub payload: [u64; 2],
    /// Per sending side: VLAN tag, source MAC and destination MAC of its last frame.
    pub vlan: [Option<u16>; 2],
    pub mac: [Option<Mac>; 2],
    pub dmac: [Option<Mac>; 2],
    pub tcp: TcpState,
    /// An ICMP destination-unreachable that quoted a packet of this flow.
    pub unreachable: Option<Ev>,
    pub streams: Option<Box<[Stream; 2]>>,
    pub app: A,
    qtoken: u32,
}

impl<A> Flow<A> {
    pub fn server(&self) -> u8 {
        1 - self.client
    }
    pub fn client_ep(&self) -> (IpAddr, u16) {
        self.key.endpoint(self.client)
    }
    pub fn server_ep(&self) -> (IpAddr, u16) {
        self.key.endpoint(self.server())
    }
    pub fn is_tcp(&self) -> bool {
        self.key.proto == PROTO_TCP
    }

    pub fn handshake(&self) -> Handshake {
        if !self.is_tcp() {
            return Handshake::None;
        }
        let t = &self.tcp;
        if t.established.is_some() && (t.syn.is_some() || t.synack.is_some()) {
            Handshake::Completed
        } else if t.refused.is_some() {
            Handshake::Refused
        } else if t.syn.is_some() && t.synack.is_none() {
            Handshake::Unanswered
        } else if t.synack.is_some() && self.pkts[self.client as usize] > 0 {
            // SYN-ACK seen and the client kept talking: the handshake completed even if
            // its final ACK was not captured.
            Handshake::Completed
        } else {
            Handshake::MidStream
        }
    }

    /// The responder answered: a completed/mid-stream TCP connection or a UDP reply.
    pub fn answered(&self) -> bool {
        match self.handshake() {
            Handshake::Completed => true,
            // Picked up mid-stream: the connection was established before the capture began.
            Handshake::MidStream => {
                self.pkts[self.server() as usize] > 0 || self.payload[self.client as usize] > 0
            }
            Handshake::None => self.pkts[self.server() as usize] > 0 && self.unreachable.is_none(),
            Handshake::Refused | Handshake::Unanswered => false,
        }
    }

    /// Closed TCP connections and half-open attempts expire sooner than live flows.
    fn short_lived(&self) -> bool {
        if !self.is_tcp() {
            return false;
        }
        let t = &self.tcp;
        t.rst[0]
            || t.rst[1]
            || (t.fin[0] && t.fin[1])
            || (t.established.is_none() && self.payload == [0, 0])
    }

    /// Update TCP state with a segment sent by `side`.
    pub fn on_tcp(&mut self, side: u8, t: &Tcp<'_>, ev: Ev) {
        let syn = t.flags & TCP_SYN != 0;
        let ack = t.flags & TCP_ACK != 0;
        if syn && !ack {
            if self.tcp.syn.is_none() {
                self.tcp.syn = Some(ev);
                if self.tcp.synack.is_none() {
                    self.client = side;
                    self.initiator = Initiator::Syn;
                }
            }
        } else if syn && ack {
            if self.tcp.synack.is_none() {
                self.tcp.synack = Some(ev);
                if self.tcp.syn.is_none() {
                    self.client = 1 - side;
                    self.initiator = Initiator::SynAck;
                }
            }
        } else if ack
            && side == self.client
            && self.tcp.synack.is_some()
            && self.tcp.established.is_none()
        {
            self.tcp.established = Some(ev);
        }
        if t.flags & TCP_RST != 0 {
            self.tcp.rst[side as usize] = true;
            if side != self.client
                && self.tcp.synack.is_none()
                && self.tcp.syn.is_some()
                && self.tcp.established.is_none()
            {
                self.tcp.refused.get_or_insert(ev);
            }
        }
        if t.flags & TCP_FIN != 0 {
            self.tcp.fin[side as usize] = true;
        }
    }
}

/// Well-known service ports used to orient flows whose start was not captured.
pub fn is_service_port(p: u16) -> bool {
    p < 1024
        || matches!(
            p,
            1433 | 1521 | 1883 | 1900 | 1911 | 2222 | 2404 | 3306 | 3389 | 4000 | 4840 | 5007 | 5353 | 5355 | 5432 | 5900..=5910
                | 8080 | 8443 | 8883 | 9600 | 18245 | 20000 | 34962..=34964 | 44818 | 47808 | 48898
        )
}

/// Which side is the client when the start of a flow was not seen: the side that is not on a
/// service port; else the one with the higher port.
pub fn guess_client(key: &FlowKey) -> u8 {
    let (pa, pb) = (key.a.1, key.b.1);
    match (is_service_port(pa), is_service_port(pb)) {
        (true, false) => 1,
        (false, true) => 0,
        _ => {
            if pa <= pb {
                1
            } else {
                0
            }
        }
    }
}

/// Counters of the flow table for `capture_quality`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TableStats {
    pub created: u64,
    pub expired: u64,
    pub evicted_at_limit: u64,
    pub peak: u64,
}

const SHORT: usize = 0;
const LONG: usize = 1;

/// Bounded flow table. `A` is the per-flow application state the engine keeps.
pub struct FlowTable<A> {
    map: HashMap<FlowKey, u32, RandomState>,
    slots: Vec<Option<Flow<A>>>,
    free: Vec<u32>,
    /// Expiry queues (short-lived, long-lived), earliest first: (last_ts when queued, slot,
    /// token). Min-heaps rather than FIFOs: a flow re-queued with the time of its last packet
    /// must come before flows queued later, or it would expire late, at a time that depends on
    /// which other flows share the table (and so on the number of workers).
    queues: [BinaryHeap<Reverse<(Timestamp, u32, u32)>>; 2],
    timeout_ns: [u64; 2],
    max: usize,
    next_id: u64,
    pub stats: TableStats,
}

impl<A: Default> FlowTable<A> {
    pub fn new(max: usize, idle_timeout_s: u64, short_timeout_s: u64) -> Self {
        FlowTable {
            map: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            queues: [BinaryHeap::new(), BinaryHeap::new()],
            timeout_ns: [
                short_timeout_s * 1_000_000_000,
                idle_timeout_s * 1_000_000_000,
            ],
            max: max.max(1),
            next_id: 0,
            stats: TableStats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    #[inline]
    pub fn get(&self, key: &FlowKey) -> Option<u32> {
        self.map.get(key).copied()
    }

    #[inline]
    pub fn flow(&mut self, slot: u32) -> &mut Flow<A> {
        self.slots[slot as usize].as_mut().expect("live slot")
    }

    /// Create a flow; when the table is full the stalest flow is evicted and returned so that
    /// its summary is not lost.
    pub fn create(
        &mut self,
        key: FlowKey,
        client: u8,
        initiator: Initiator,
        first: Ev,
    ) -> (u32, Option<Flow<A>>) {
        let mut evicted = None;
        if self.map.len() >= self.max {
            evicted = self.evict_one();
            self.stats.evicted_at_limit += 1;
        }
        let flow = Flow {
            key,
            id: self.next_id,
            client,
            initiator,
            first,
            last_ts: first.ts,
            pkts: [0; 2],
            bytes: [0; 2],
            payload: [0; 2],
            vlan: [None; 2],
            mac: [None; 2],
            dmac: [None; 2],
            tcp: TcpState::default(),
            unreachable: None,
            streams: None,
            app: A::default(),
            qtoken: 0,
        };
        self.next_id += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(flow);
                s
            }
            None => {
                self.slots.push(Some(flow));
                (self.slots.len() - 1) as u32
            }
        };
        self.map.insert(key, slot);
        self.stats.created += 1;
        self.stats.peak = self.stats.peak.max(self.map.len() as u64);
        self.enqueue(slot);
        (slot, evicted)
    }

    fn enqueue(&mut self, slot: u32) {
        let f = self.slots[slot as usize].as_mut().expect("live slot");
        f.qtoken = f.qtoken.wrapping_add(1);
        let q = if f.short_lived() { SHORT } else { LONG };
        self.queues[q].push(Reverse((f.last_ts, slot, f.qtoken)));
    }

    /// Tell the table a flow changed class (e.g. it just closed) so it expires on time.
    pub fn touch_closed(&mut self, slot: u32) {
        self.enqueue(slot);
    }

    /// Remove a flow (e.g. a new connection reuses its ports).
    pub fn remove(&mut self, slot: u32) -> Flow<A> {
        let f = self.slots[slot as usize].take().expect("live slot");
        self.map.remove(&f.key);
        self.free.push(slot);
        f
    }

    fn evict_one(&mut self) -> Option<Flow<A>> {
        for q in [SHORT, LONG] {
            while let Some(Reverse((_, slot, tok))) = self.queues[q].pop() {
                if self.slots[slot as usize]
                    .as_ref()
                    .is_some_and(|f| f.qtoken == tok)
                {
                    return Some(self.remove(slot));
                }
            }
        }
        None
    }

    /// Remove flows idle for longer than their timeout at capture time `now`.
    pub fn expire(&mut self, now: Timestamp, out: &mut dyn FnMut(Flow<A>)) {
        for q in [SHORT, LONG] {
            while let Some(&Reverse((queued, slot, tok))) = self.queues[q].peek() {
                if now.saturating_sub(queued) < self.timeout_ns[q] {
                    break;
                }
                self.queues[q].pop();
                let Some(f) = self.slots[slot as usize].as_ref() else {
                    continue;
                };
                if f.qtoken != tok {
                    continue; // stale entry
                }
                let class = if f.short_lived() { SHORT } else { LONG };
                if f.last_ts > queued || class != q {
                    self.enqueue(slot);
                    continue;
                }
                self.stats.expired += 1;
                let f = self.remove(slot);
                out(f);
            }
        }
        // Stale entries (re-queued flows) must not accumulate without bound.
        for q in 0..2 {
            if self.queues[q].len() > 4 * self.max.max(1024) {
                let slots = &self.slots;
                self.queues[q].retain(|&Reverse((_, s, t))| {
                    slots[s as usize].as_ref().is_some_and(|f| f.qtoken == t)
                });
            }
        }
    }

    /// The open flows, in creation order, left in place (live snapshots).
    pub fn open_flows(&self) -> Vec<&Flow<A>> {
        let mut v: Vec<&Flow<A>> = self.slots.iter().flatten().collect();
        v.sort_by_key(|f| f.id);
        v
    }

    /// Every remaining flow, in creation order (end of capture).
    pub fn drain(&mut self) -> Vec<Flow<A>> {
        let mut v: Vec<Flow<A>> = self.slots.iter_mut().filter_map(|s| s.take()).collect();
        self.map.clear();
        self.free.clear();
        self.slots.clear();
        self.queues = [BinaryHeap::new(), BinaryHeap::new()];
        v.sort_by_key(|f| f.id);
        v
    }
}

#[cfg(test)]
mod tests;
