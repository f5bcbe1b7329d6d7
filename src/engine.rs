//! One worker's pipeline: decode → de-duplicate → flow → reassemble → dissect → observe.
//!
//! An `Engine` owns disjoint state (its shard of the flows, chosen by a direction-symmetric hash
//! of the two IP addresses, so IP fragments, FTP data channels and SPAN duplicates of a
//! conversation all land on the same worker). At the end its [`Shard`] is merged with the
//! others; every merged collection is ordered, so the report does not depend on the number of
//! workers.
//!
//! The per-packet path allocates nothing for in-order TCP data and known flows: headers are
//! decoded in place, the flow is found with one hash lookup, in-order payload goes to the
//! dissector as a slice of the frame, and host/MAC bookkeeping is only touched when a flow's
//! L2 attributes change or the flow ends.

use crate::capture::Frame;
use crate::config::Limits;
use crate::decode::frag::Defrag;
use crate::decode::{
    self, DecodeError, Icmp, Ip, L2, L4, Net, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, Tcp, Udp,
};
use crate::dissect::{
    Cx, DATAGRAM_PROTOCOLS, DatagramDissector, Dir, Expectation, Parsed, Probe, STREAM_PROTOCOLS,
    StreamDissector,
};
use crate::evidence::Ev;
use crate::flow::conv::Conversations;
use crate::flow::reassembly::{Stream, StreamEvent, StreamLimits, StreamStats};
use crate::flow::{Flow, FlowKey, FlowTable, Initiator, guess_client, is_service_port};
use crate::inventory::hosts::Hosts;
use crate::inventory::observation::{Store, Transport};
use crate::time::Timestamp;
use std::net::IpAddr;

/// Bytes kept per direction while a flow's protocol is being probed.
const PROBE_MAX: usize = 2048;
/// Segments probed per direction of a TCP flow before giving up.
const PROBE_TRIES: u8 = 8;
/// Datagrams probed per UDP flow before giving up.
const UDP_PROBE_TRIES: u8 = 4;
/// Seconds an expectation (FTP data channel) waits for its connection.
const EXPECT_TTL_NS: u64 = 120 * 1_000_000_000;

#[derive(Default)]
enum AppKind {
    #[default]
    Probing,
    Stream(Box<dyn StreamDissector>),
    Datagram(Box<dyn DatagramDissector>),
    /// Protocol decided (or given up on); nothing more to parse.
    Done,
}

/// Application-layer state of a flow.
#[derive(Default)]
pub struct App {
    /// Recognised protocol ("" while unknown).
    proto: &'static str,
    kind: AppKind,
    /// Bytes not yet consumed by the dissector (or held for probing), per direction.
    buf: [Vec<u8>; 2],
    /// Total bytes the dissector needs before it is called again, per direction.
    need: [usize; 2],
    probe_failed: [bool; 2],
    /// Probes run per direction so far.
    probe_tries: [u8; 2],
    first_dir: Option<Dir>,
    udp_tries: u8,
}

#[inline]
fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

/// Counters for `capture_quality`, summed across workers.
#[derive(Debug, Default, Clone)]
pub struct Counters {
    pub frames: u64,
    pub bytes: u64,
    pub truncated_frames: u64,
    pub decode_errors: [u64; DecodeError::COUNT],
    pub duplicates: u64,
    pub arp: u64,
    pub lldp: u64,
    pub cdp: u64,
    pub profinet: u64,
    pub other_l2: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub tcp: u64,
    pub udp: u64,
    pub icmp: u64,
    pub other_ip: u64,
    pub flows: u64,
    pub one_sided_tcp_flows: u64,
    pub midstream_tcp_flows: u64,
    /// Mid-stream TCP flows that the first recognised message turned round (`Roles`).
    pub reoriented_flows: u64,
    pub unidentified_flows: u64,
    pub pdu_too_large: u64,
    pub dissector_desync: u64,
    pub stream: StreamStats,
    pub frag: crate::decode::frag::FragStats,
    pub flow_table: crate::flow::TableStats,
    pub ooo_bound_hits: u64,
}

impl Counters {
    pub fn merge(&mut self, o: &Counters) {
        self.frames += o.frames;
        self.bytes += o.bytes;
        self.truncated_frames += o.truncated_frames;
        for i in 0..DecodeError::COUNT {
            self.decode_errors[i] += o.decode_errors[i];
        }
        self.duplicates += o.duplicates;
        self.arp += o.arp;
        self.lldp += o.lldp;
        self.cdp += o.cdp;
        self.profinet += o.profinet;
        self.other_l2 += o.other_l2;
        self.ipv4 += o.ipv4;
        self.ipv6 += o.ipv6;
        self.tcp += o.tcp;
        self.udp += o.udp;
        self.icmp += o.icmp;
        self.other_ip += o.other_ip;
        self.flows += o.flows;
        self.one_sided_tcp_flows += o.one_sided_tcp_flows;
        self.midstream_tcp_flows += o.midstream_tcp_flows;
        self.reoriented_flows += o.reoriented_flows;
        self.unidentified_flows += o.unidentified_flows;
        self.pdu_too_large += o.pdu_too_large;
        self.dissector_desync += o.dissector_desync;
        self.stream.add(&o.stream);
        let (f, g) = (&mut self.frag, &o.frag);
        f.fragments += g.fragments;
        f.reassembled += g.reassembled;
        f.timed_out += g.timed_out;
        f.evicted_at_limit += g.evicted_at_limit;
        f.overlap_conflicts += g.overlap_conflicts;
        f.oversized += g.oversized;
        let (a, b) = (&mut self.flow_table, &o.flow_table);
        a.created += b.created;
        a.expired += b.expired;
        a.evicted_at_limit += b.evicted_at_limit;
        a.peak += b.peak;
        self.ooo_bound_hits += o.ooo_bound_hits;
    }
}

/// SPAN duplicate detection: the same IP packet seen twice (ingress and egress copies, perhaps
/// with a different VLAN tag, MACs and TTL) within a short window.
///
/// A fixed-size set-associative table (`WAYS` entries per bucket): an entry is only replaced
/// early when every entry of its bucket is younger than the window, which takes more than
/// `WAYS` distinct packets in one bucket within the window (see `BUCKETS`). Below that the
/// answer depends only on the packets of the same conversation, so it is the same whichever
/// worker the conversation is given to. (A direct-mapped table lets any two packets evict each
/// other, so its answers depended on which conversations shared a worker.)
struct Dedup {
    slots: Vec<Bucket>,
    window_ns: u64,
}

/// One bucket of the duplicate table: (key, timestamp ns) pairs, key 0 = empty; aligned so a
/// bucket is one cache line.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Bucket([(u64, u64); Dedup::WAYS]);

/// Multiply-fold mixing (as in wyhash): full 128-bit product, halves xored.
#[inline]
fn mix(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

const K0: u64 = 0xa076_1d64_78bd_642f;
const K1: u64 = 0xe703_7ed1_a0b4_28db;
const K2: u64 = 0x8ebc_6af0_9c88_c6e3;

/// The first 8 bytes of `b` (zero-padded), little-endian. The common case (8 or more bytes)
/// is one load; a variable-length copy would call `memcpy` for every packet.
#[inline]
fn le_u64(b: &[u8]) -> u64 {
    if let Some(w) = b.first_chunk::<8>() {
        return u64::from_le_bytes(*w);
    }
    let mut a = [0u8; 8];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    u64::from_le_bytes(a)
}

impl Dedup {
    const WAYS: usize = 4;
    /// 4096 buckets of one cache line (4 × 16 bytes) = 256 KiB. A lookup touches one line: the
    /// table misses the cache on almost every packet, so the number of lines touched is the
    /// cost (two lines per bucket cost about 9 % of the single-thread run). At a sustained
    /// 735,000 packets/s of capture time (1 Gb/s of 170-byte frames) the 2 ms window holds
    /// about 1,500 packets, 0.36 per bucket; a bucket needs 5 live packets before one is
    /// evicted early (a duplicate then counts twice, never the reverse), about 4 in 100,000.
    const BUCKETS: usize = 4096;

    fn new(window_us: u64) -> Dedup {
        Dedup {
            slots: if window_us == 0 {
                Vec::new()
            } else {
                vec![Bucket([(0, 0); Self::WAYS]); Self::BUCKETS]
            },
            window_ns: window_us * 1000,
        }
    }

    /// The key leaves out what a router changes (TTL, header checksum, MACs, VLAN) and keeps
    /// what it does not (addresses, IP id, the transport header with its checksum, the length).
    #[inline]
    fn key(ip: &Ip<'_>) -> u64 {
        let mut h = match (ip.src, ip.dst) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                mix(((u32::from(a) as u64) << 32 | u32::from(b) as u64) ^ K0, K1)
            }
            (a, b) => {
                let (x, y) = (ip_bytes(a), ip_bytes(b));
                let m1 = mix(le_u64(&x[..8]) ^ K0, le_u64(&x[8..]) ^ K1);
                let m2 = mix(le_u64(&y[..8]) ^ K1, le_u64(&y[8..]) ^ K2);
                mix(m1 ^ K2, m2 ^ K0)
            }
        };
        let meta = (ip.ident as u64) << 48 | (ip.proto as u64) << 40 | ip.payload_len as u64;
        let l4 = &ip.payload[..ip.payload.len().min(20)];
        let n = l4.len();
        let w0 = le_u64(l4);
        let w1 = if n > 8 { le_u64(&l4[8..]) } else { 0 };
        let w2 = match l4.get(16..20) {
            Some(w) => u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as u64,
            None if n > 16 => le_u64(&l4[16..]),
            None => 0,
        };
        h = mix(h ^ meta ^ K1, w0 ^ K2);
        h = mix(h ^ w1 ^ K0, (w2 | (n as u64) << 32) ^ K1);
        h | 1
    }

    /// True when this packet was seen within the window.
    #[inline]
    fn duplicate(&mut self, ip: &Ip<'_>, ts: Timestamp) -> bool {
        if self.window_ns == 0 {
            return false;
        }
        let key = Self::key(ip);
        let now = ts.0;
        let w = self.window_ns;
        let bucket = &mut self.slots[(key >> 52) as usize & (Self::BUCKETS - 1)].0;
        let mut victim = 0;
        let mut victim_ts = u64::MAX;
        for (i, e) in bucket.iter_mut().enumerate() {
            if e.0 == key {
                if now.saturating_sub(e.1) <= w {
                    return true;
                }
                e.1 = now;
                return false;
            }
            // Prefer an empty or expired entry, else the oldest.
            let t = if e.0 == 0 || now.saturating_sub(e.1) > w {
                0
            } else {
                e.1.max(1)
            };
            if t < victim_ts {
                victim_ts = t;
                victim = i;
            }
        }
        bucket[victim] = (key, now);
        false
    }
}

fn ip_bytes(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
        IpAddr::V6(v) => v.octets(),
    }
}

/// An address that does not denote one host (so flows to it are not services).
pub fn is_group(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_multicast() || v.is_broadcast() || v.octets()[3] == 255,
        IpAddr::V6(v) => v.is_multicast(),
    }
}

/// The worker (of `n`) that processes a frame: by a direction-symmetric hash of its IP
/// addresses; frames without IP go to worker 0.
#[inline]
pub fn shard_of(f: &Frame<'_>, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    match decode::ip_pair(f.link, f.data) {
        Some((a, b)) => (FlowKey::symmetric_hash(a, b) % n as u64) as usize,
        None => 0,
    }
}

/// What a worker hands back at the end.
pub struct Shard {
    pub store: Store,
    pub hosts: Hosts,
    pub convs: Conversations,
    pub counters: Counters,
}

pub struct Engine {
    limits: Limits,
    flows: FlowTable<App>,
    defrag: Defrag,
    dedup: Dedup,
    store: Store,
    hosts: Hosts,
    convs: Conversations,
    c: Counters,
    expect: Vec<(Expectation, Timestamp)>,
    new_expect: Vec<Expectation>,
    clock: SweepClock,
    /// Sweep on this engine's own frames ([`Engine::process`]); a sharded worker is told when
    /// to sweep instead ([`Engine::sweep_clock`]).
    own_clock: bool,
}

/// Capture time between two sweeps for idle flows.
pub const SWEEP_INTERVAL_NS: u64 = 1_000_000_000;

/// The sweep clock of a run: every frame, in the order of the merged input, asks whether it
/// starts a sweep. Sharded runs evaluate it on the whole stream and tell every worker, so
/// that flows expire at the same capture times whatever the number of workers.
#[derive(Debug, Default, Clone, Copy)]
pub struct SweepClock {
    last: Timestamp,
}

impl SweepClock {
    /// True when a frame at `ts` starts a sweep.
    #[inline]
    pub fn tick(&mut self, ts: Timestamp) -> bool {
        if ts.saturating_sub(self.last) < SWEEP_INTERVAL_NS {
            return false;
        }
        self.last = ts;
        true
    }
}

impl Engine {
    /// A worker. With several workers, the caller hands each one only the frames of its shard
    /// ([`shard_of`]).
    pub fn new(limits: &Limits) -> Engine {
        let l = limits.clone();
        Engine {
            flows: FlowTable::new(l.max_flows, l.flow_idle_timeout_s, l.tcp_closed_timeout_s),
            defrag: Defrag::new(l.max_frag_datagrams, l.max_frag_bytes, l.frag_timeout_s),
            dedup: Dedup::new(l.duplicate_window_us),
            store: Store::new(l.max_observations, l.max_evidence_frames),
            hosts: Hosts::new(l.max_hosts),
            convs: Conversations::new(l.max_conversations, l.max_evidence_frames),
            c: Counters::default(),
            expect: Vec::new(),
            new_expect: Vec::new(),
            clock: SweepClock::default(),
            own_clock: true,
            limits: l,
        }
    }

    /// A worker of a sharded run: it sweeps idle flows only when told ([`Engine::sweep`]),
    /// at the capture times a [`SweepClock`] over the whole input chose.
    pub fn worker(limits: &Limits) -> Engine {
        let mut e = Engine::new(limits);
        e.own_clock = false;
        e
    }

    fn stream_limits(&self) -> StreamLimits {
        StreamLimits {
            max_bytes: self.limits.max_ooo_bytes_per_dir,
            max_segments: self.limits.max_ooo_segments_per_dir,
        }
    }

    /// Process one frame.
    pub fn process(&mut self, f: &Frame<'_>) {
        if self.own_clock && self.clock.tick(f.ts) {
            self.sweep(f.ts);
        }
        let ev = Ev {
            input: f.input,
            frame: f.number,
            ts: f.ts,
        };
        let cut = (f.data.len() as u32) < f.orig_len;
        let pkt = match decode::decode(
            f.link,
            f.data,
            cut,
            self.limits.max_vlan_tags,
            self.limits.max_ipv6_ext_headers,
        ) {
            Ok(p) => p,
            Err(e) => {
                self.count_frame(f, cut);
                self.c.decode_errors[e as usize] += 1;
                return;
            }
        };
        match pkt.net {
            Net::Ip(ip) => {
                self.count_frame(f, cut);
                if ip.src.is_ipv4() {
                    self.c.ipv4 += 1;
                } else {
                    self.c.ipv6 += 1;
                }
                if self.dedup.duplicate(&ip, f.ts) {
                    self.c.duplicates += 1;
                    return;
                }
                if let Some(fr) = ip.frag {
                    if let Some(r) = self.defrag.add(&ip, fr, f.ts) {
                        let ip = r.ip();
                        self.ip(&pkt.l2, &ip, f.orig_len as u64, ev);
                    }
                    return;
                }
                self.ip(&pkt.l2, &ip, f.orig_len as u64, ev);
            }
            other => {
                self.count_frame(f, cut);
                match other {
                    Net::Arp(a) => {
                        self.c.arp += 1;
                        // Probes (sender 0.0.0.0) bind nothing.
                        self.hosts.arp(
                            IpAddr::V4(a.sender_ip),
                            a.sender_mac,
                            self.limits.max_evidence_frames,
                            ev,
                        );
                    }
                    Net::Lldp(_) => self.c.lldp += 1,
                    Net::Cdp(_) => self.c.cdp += 1,
                    Net::Profinet(_) => self.c.profinet += 1,
                    _ => self.c.other_l2 += 1,
                }
                // LLDP, CDP and PROFINET DCP identify devices (other frames return at once).
                let (lim, st) = (&self.limits, &mut self.store);
                crate::dissect::discovery::frame(&other, &pkt.l2, ev, lim, st);
            }
        }
    }

    #[inline]
    fn count_frame(&mut self, f: &Frame<'_>, cut: bool) {
        self.c.frames += 1;
        self.c.bytes += f.data.len() as u64;
        if cut {
            self.c.truncated_frames += 1;
        }
    }

    fn ip(&mut self, l2: &L2, ip: &Ip<'_>, wire: u64, ev: Ev) {
        match decode::l4(ip) {
            Ok(L4::Tcp(t)) => {
                self.c.tcp += 1;
                self.tcp(l2, ip, &t, wire, ev);
            }
            Ok(L4::Udp(u)) => {
                self.c.udp += 1;
                self.udp(l2, ip, &u, wire, ev);
            }
            Ok(L4::Icmp(i)) => {
                self.c.icmp += 1;
                self.icmp(l2, ip, &i, wire, ev);
            }
            Ok(L4::Other) => {
                self.c.other_ip += 1;
                let (slot, side) = self.flow_for(ip, 0, 0, ip.proto, None, ev);
                self.account(slot, side, l2, ip.ttl, wire, 0, ev);
            }
            Err(e) => {
                self.c.decode_errors[e as usize] += 1;
            }
        }
    }

    /// Expire flows idle at capture time `now` and stale expectations. [`Engine::process`]
    /// does this itself once per second of capture time (the rule of [`SweepClock`]); the
    /// workers of a sharded run are called at the times the run's clock chose.
    pub fn sweep(&mut self, now: Timestamp) {
        let mut gone = Vec::new();
        self.flows.expire(now, &mut |f| gone.push(f));
        for f in gone {
            self.finish_flow(f);
        }
        self.expect
            .retain(|(_, t)| now.saturating_sub(*t) < EXPECT_TTL_NS);
    }

    /// Find or create the flow of a packet; returns (slot, sender side).
    fn flow_for(
        &mut self,
        ip: &Ip<'_>,
        sport: u16,
        dport: u16,
        proto: u8,
        tcp: Option<&Tcp<'_>>,
        ev: Ev,
    ) -> (u32, u8) {
        let (key, side) = FlowKey::new(ip.src, sport, ip.dst, dport, proto);
        if let Some(slot) = self.flows.get(&key) {
            let reuse = tcp.is_some_and(|t| {
                let f = self.flows.flow(slot);
                t.flags & (TCP_SYN | TCP_ACK) == TCP_SYN
                    && (f.tcp.rst[0] || f.tcp.rst[1] || (f.tcp.fin[0] && f.tcp.fin[1]))
            });
            if !reuse {
                return (slot, side);
            }
            let old = self.flows.remove(slot);
            self.finish_flow(old);
        }
        let (client, initiator) = match tcp {
            Some(t) if t.flags & (TCP_SYN | TCP_ACK) == TCP_SYN => (side, Initiator::Syn),
            Some(t) if t.flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK => {
                (1 - side, Initiator::SynAck)
            }
            Some(_) => (guess_client(&key), Initiator::PortHeuristic),
            None if proto == 17 => {
                let (sp, dp) = (is_service_port(sport), is_service_port(dport));
                // Both on service ports (DHCP 67/68, SNMP 161/162): the lower port serves,
                // except that a trap receiver (162) is the manager's service.
                let sender_serves = match (sp, dp) {
                    (true, false) => true,
                    (true, true) if sport != dport => {
                        (sport < dport && !(sport == 161 && dport == 162))
                            || (sport == 162 && dport == 161)
                    }
                    _ => false,
                };
                if sender_serves {
                    (1 - side, Initiator::PortHeuristic)
                } else {
                    (side, Initiator::FirstPacket)
                }
            }
            None => (side, Initiator::FirstPacket),
        };
        let (slot, evicted) = self.flows.create(key, client, initiator, ev);
        self.c.flows += 1;
        if let Some(old) = evicted {
            self.finish_flow(old);
        }
        // An announced data channel (FTP PASV/PORT)?
        if !self.expect.is_empty() {
            let f = self.flows.flow(slot);
            let (srv, port) = f.server_ep();
            let t = match proto {
                6 => Transport::Tcp,
                _ => Transport::Udp,
            };
            if let Some(i) = self
                .expect
                .iter()
                .position(|(e, _)| e.server == srv && e.port == port && e.transport == t)
            {
                let (e, _) = self.expect.swap_remove(i);
                f.app.proto = e.proto;
                f.app.kind = AppKind::Done;
            }
        }
        (slot, side)
    }

    /// Per-packet flow accounting and L2 bookkeeping.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn account(&mut self, slot: u32, side: u8, l2: &L2, ttl: u8, wire: u64, payload: u32, ev: Ev) {
        let f = self.flows.flow(slot);
        let s = side as usize;
        f.pkts[s] += 1;
        f.bytes[s] += wire;
        f.payload[s] += payload as u64;
        f.last_ts = f.last_ts.max(ev.ts);
        let vlan = l2.vlan();
        if f.mac[s] != l2.src || f.dmac[s] != l2.dst || f.vlan[s] != vlan || f.pkts[s] == 1 {
            f.mac[s] = l2.src;
            f.dmac[s] = l2.dst;
            f.vlan[s] = vlan;
            let (src, dst) = (f.key.endpoint(side).0, f.key.endpoint(1 - side).0);
            self.hosts.binding(src, l2.src, true, vlan, ttl, ev);
            if !is_group(dst) {
                self.hosts.binding(dst, l2.dst, false, vlan, 0, ev);
            }
        }
    }

    fn tcp(&mut self, l2: &L2, ip: &Ip<'_>, t: &Tcp<'_>, wire: u64, ev: Ev) {
        let (slot, side) = self.flow_for(ip, t.sport, t.dport, 6, Some(t), ev);
        self.account(slot, side, l2, ip.ttl, wire, t.payload_len, ev);
        let lim = self.stream_limits();
        let Engine {
            flows,
            store,
            limits,
            c,
            new_expect,
            ..
        } = self;
        let f = flows.flow(slot);
        let was_short = f.tcp.rst[0] || f.tcp.rst[1] || (f.tcp.fin[0] && f.tcp.fin[1]);
        f.on_tcp(side, t, ev);
        let syn = t.flags & TCP_SYN != 0;
        let needs_streams = syn || t.payload_len > 0;
        if f.streams.is_none() && needs_streams {
            f.streams = Some(Box::new([Stream::new(), Stream::new()]));
        }
        let client = f.client_ep();
        let server = f.server_ep();
        let mut roles = Roles::of(f);
        let Flow {
            streams,
            app,
            client: flow_client,
            initiator,
            ..
        } = f;
        if let Some(st) = streams.as_mut() {
            let mut cx = Cx::new(
                client,
                server,
                Transport::Tcp,
                app.proto,
                ev,
                limits,
                store,
                new_expect,
            );
            if syn {
                st[side as usize].syn(t.seq);
            }
            if t.payload_len > 0 {
                let seq = if syn { t.seq.wrapping_add(1) } else { t.seq };
                st[side as usize].segment(seq, t.payload, t.payload_len, lim, &mut |e| {
                    stream_event(app, side, &mut roles, e, &mut cx, c);
                });
            }
            if t.flags & TCP_ACK != 0 && !syn {
                st[1 - side as usize].acked(t.ack, &mut |e| {
                    stream_event(app, 1 - side, &mut roles, e, &mut cx, c);
                });
            }
            app.proto = cx.proto;
            roles.apply(flow_client, initiator);
        }
        let f = self.flows.flow(slot);
        let now_short = f.tcp.rst[0] || f.tcp.rst[1] || (f.tcp.fin[0] && f.tcp.fin[1]);
        if now_short && !was_short && t.flags & (TCP_FIN | TCP_RST) != 0 {
            self.flows.touch_closed(slot);
        }
        self.take_expectations(ev.ts);
    }

    fn take_expectations(&mut self, now: Timestamp) {
        if !self.new_expect.is_empty() {
            for e in self.new_expect.drain(..) {
                if self.expect.len() < 256 {
                    self.expect.push((e, now));
                }
            }
        }
    }

    fn udp(&mut self, l2: &L2, ip: &Ip<'_>, u: &Udp<'_>, wire: u64, ev: Ev) {
        let (slot, side) = self.flow_for(ip, u.sport, u.dport, 17, None, ev);
        self.account(slot, side, l2, ip.ttl, wire, u.payload_len, ev);
        let Engine {
            flows,
            store,
            limits,
            new_expect,
            ..
        } = self;
        let f = flows.flow(slot);
        let client = f.client_ep();
        let server = f.server_ep();
        let dir = if side == f.client {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        let app = &mut f.app;
        if matches!(app.kind, AppKind::Done) || u.payload.is_empty() {
            return;
        }
        let mut cx = Cx::new(
            client,
            server,
            Transport::Udp,
            app.proto,
            ev,
            limits,
            store,
            new_expect,
        );
        if matches!(app.kind, AppKind::Probing) {
            let mut found = None;
            'outer: for pass in [true, false] {
                for spec in DATAGRAM_PROTOCOLS
                    .iter()
                    .filter(|s| s.ports.contains(&server.1) == pass)
                {
                    if (spec.probe)(dir, u.payload, pass) == Probe::Match {
                        found = Some(spec);
                        break 'outer;
                    }
                }
            }
            match found {
                Some(spec) => {
                    app.proto = spec.proto;
                    cx.proto = spec.proto;
                    app.kind = AppKind::Datagram((spec.new)());
                }
                None => {
                    app.udp_tries += 1;
                    if app.udp_tries >= UDP_PROBE_TRIES {
                        app.kind = AppKind::Done;
                    }
                    return;
                }
            }
        }
        if let AppKind::Datagram(d) = &mut app.kind {
            d.datagram(dir, u.payload, &mut cx);
        }
        app.proto = cx.proto;
        self.take_expectations(ev.ts);
    }

    fn icmp(&mut self, l2: &L2, ip: &Ip<'_>, i: &Icmp<'_>, wire: u64, ev: Ev) {
        if i.is_unreachable() {
            // The quoted packet identifies the flow that was refused.
            let q = if i.v6 {
                decode::ipv6(i.quoted, true, 4)
            } else {
                decode::ipv4(i.quoted, true)
            };
            if let Ok(q) = q {
                if (q.proto == 6 || q.proto == 17) && q.payload.len() >= 4 {
                    let sport = u16::from_be_bytes([q.payload[0], q.payload[1]]);
                    let dport = u16::from_be_bytes([q.payload[2], q.payload[3]]);
                    let (key, _) = FlowKey::new(q.src, sport, q.dst, dport, q.proto);
                    if let Some(slot) = self.flows.get(&key) {
                        self.flows.flow(slot).unreachable.get_or_insert(ev);
                    }
                }
            }
            self.hosts
                .binding(ip.src, l2.src, true, l2.vlan(), ip.ttl, ev);
            return;
        }
        let echo_req = if i.v6 { i.kind == 128 } else { i.kind == 8 };
        let echo_rep = if i.v6 { i.kind == 129 } else { i.kind == 0 };
        if !(echo_req || echo_rep) {
            self.hosts
                .binding(ip.src, l2.src, true, l2.vlan(), ip.ttl, ev);
            return;
        }
        let (slot, side) = self.flow_for(ip, 0, 0, ip.proto, None, ev);
        let f = self.flows.flow(slot);
        if f.pkts == [0, 0] {
            // Oriented by the echo request.
            f.client = if echo_req { side } else { 1 - side };
        }
        self.account(slot, side, l2, ip.ttl, wire, 0, ev);
    }

    /// A flow ended: flush its streams, close its dissector, fold it into conversations.
    fn finish_flow(&mut self, mut f: Flow<App>) {
        let client = f.client_ep();
        let server = f.server_ep();
        let ev = Ev {
            input: f.first.input,
            frame: f.first.frame,
            ts: f.last_ts,
        };
        let transport = if f.is_tcp() {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        {
            let Engine {
                store,
                limits,
                c,
                new_expect,
                ..
            } = self;
            let mut cx = Cx::new(
                client,
                server,
                transport,
                f.app.proto,
                ev,
                limits,
                store,
                new_expect,
            );
            let mut roles = Roles::of(&f);
            if let Some(st) = f.streams.as_mut() {
                for side in [f.client, 1 - f.client] {
                    let app = &mut f.app;
                    st[side as usize]
                        .close(&mut |e| stream_event(app, side, &mut roles, e, &mut cx, c));
                }
                for s in st.iter() {
                    c.stream.add(&s.stats);
                }
                roles.apply(&mut f.client, &mut f.initiator);
            }
            match &mut f.app.kind {
                AppKind::Stream(d) => d.close(&mut cx),
                AppKind::Datagram(d) => d.close(&mut cx),
                _ => {}
            }
            f.app.proto = cx.proto;
        }
        self.new_expect.clear();
        if f.is_tcp() {
            if f.pkts[0] == 0 || f.pkts[1] == 0 {
                self.c.one_sided_tcp_flows += 1;
            }
            if f.tcp.syn.is_none() && f.tcp.synack.is_none() {
                self.c.midstream_tcp_flows += 1;
            }
        }
        if f.app.proto.is_empty() && (f.payload[0] > 0 || f.payload[1] > 0) {
            self.c.unidentified_flows += 1;
        }
        // The last bytes may have turned the flow round (`Roles`).
        let (client, server) = (f.client_ep(), f.server_ep());
        let (ci, si) = (f.client as usize, f.server() as usize);
        self.hosts.traffic(
            client.0,
            (f.pkts[ci], f.bytes[ci]),
            (f.pkts[si], f.bytes[si]),
            f.first,
            f.last_ts,
        );
        if !is_group(server.0) {
            self.hosts.traffic(
                server.0,
                (f.pkts[si], f.bytes[si]),
                (f.pkts[ci], f.bytes[ci]),
                f.first,
                f.last_ts,
            );
        }
        let group = is_group(server.0);
        self.convs.add(&f, f.app.proto, group);
    }

    /// The results so far, as if the input ended now, without ending it (live snapshots).
    ///
    /// Returns copies of the observations, hosts and conversations with every open flow folded
    /// in the way [`Engine::finish`] folds it (host traffic, its conversation, the flow and
    /// stream counters). The flows stay open and untouched: bytes they hold out of order and
    /// what their dissectors only report when a flow ends are not in the copy, and appear in
    /// a later snapshot or in `finish`.
    pub fn snapshot(&self) -> Shard {
        let mut hosts = self.hosts.clone();
        let mut convs = self.convs.clone();
        let mut c = self.c.clone();
        for f in self.flows.open_flows() {
            let (client, server) = (f.client_ep(), f.server_ep());
            if let Some(st) = f.streams.as_ref() {
                for s in st.iter() {
                    c.stream.add(&s.stats);
                }
            }
            if f.is_tcp() {
                if f.pkts[0] == 0 || f.pkts[1] == 0 {
                    c.one_sided_tcp_flows += 1;
                }
                if f.tcp.syn.is_none() && f.tcp.synack.is_none() {
                    c.midstream_tcp_flows += 1;
                }
            }
            if f.app.proto.is_empty() && (f.payload[0] > 0 || f.payload[1] > 0) {
                c.unidentified_flows += 1;
            }
            let (ci, si) = (f.client as usize, f.server() as usize);
            let group = is_group(server.0);
            hosts.traffic(
                client.0,
                (f.pkts[ci], f.bytes[ci]),
                (f.pkts[si], f.bytes[si]),
                f.first,
                f.last_ts,
            );
            if !group {
                hosts.traffic(
                    server.0,
                    (f.pkts[si], f.bytes[si]),
                    (f.pkts[ci], f.bytes[ci]),
                    f.first,
                    f.last_ts,
                );
            }
            convs.add(f, f.app.proto, group);
        }
        c.frag = self.defrag.stats;
        c.flow_table = self.flows.stats;
        c.ooo_bound_hits = c.stream.ooo_bound_hits;
        Shard {
            store: self.store.clone(),
            hosts,
            convs,
            counters: c,
        }
    }

    /// End of input: close every flow and hand the shard's results back.
    pub fn finish(mut self) -> Shard {
        for f in self.flows.drain() {
            self.finish_flow(f);
        }
        self.c.frag = self.defrag.stats;
        self.c.flow_table = self.flows.stats;
        self.c.ooo_bound_hits = self.c.stream.ooo_bound_hits;
        Shard {
            store: self.store,
            hosts: self.hosts,
            convs: self.convs,
            counters: self.c,
        }
    }
}

/// Which side of a TCP flow is the client, while the stream events of one frame (or of a
/// closing flow) are delivered. A flow picked up mid-stream was oriented by its ports
/// ([`crate::flow::guess_client`]); the first message a probe recognises may turn it round
/// ([`probe_stream`]), and the events after it in the same frame see the new orientation.
struct Roles {
    client: u8,
    /// Oriented by the ports alone: the content may still turn it round.
    guessed: bool,
}

impl Roles {
    fn of(f: &Flow<App>) -> Roles {
        Roles {
            client: f.client,
            guessed: f.initiator == Initiator::PortHeuristic,
        }
    }

    /// Direction of the bytes that `side` sent.
    #[inline]
    fn dir(&self, side: u8) -> Dir {
        if side == self.client {
            Dir::ToServer
        } else {
            Dir::ToClient
        }
    }

    /// Write a turn back to the flow.
    fn apply(&self, client: &mut u8, initiator: &mut Initiator) {
        if self.client != *client {
            *client = self.client;
            *initiator = Initiator::Content;
        }
    }
}

/// Deliver one reassembled stream event (bytes sent by `side`) to the flow's application layer.
fn stream_event(
    app: &mut App,
    side: u8,
    roles: &mut Roles,
    e: StreamEvent<'_>,
    cx: &mut Cx<'_>,
    c: &mut Counters,
) {
    let dir = roles.dir(side);
    let d = di(dir);
    match e {
        StreamEvent::Gap(n) => {
            app.buf[d].clear();
            app.need[d] = 0;
            if let AppKind::Stream(ds) = &mut app.kind {
                ds.gap(dir, n, cx);
            }
        }
        StreamEvent::Data(bytes) => match &mut app.kind {
            AppKind::Done => {}
            AppKind::Probing => {
                app.first_dir.get_or_insert(dir);
                if app.buf[d].len() >= PROBE_MAX {
                    // The held bytes cannot change any more (until a gap clears them): probing
                    // them again gives the answer the last probe gave. (A one-sided flow would
                    // otherwise probe 2 KB for every segment.)
                    return;
                }
                let room = PROBE_MAX - app.buf[d].len();
                app.buf[d].extend_from_slice(&bytes[..bytes.len().min(room)]);
                probe_stream(app, dir, roles, cx, c);
            }
            AppKind::Stream(_) => feed(app, dir, bytes, cx, c),
            AppKind::Datagram(_) => {}
        },
    }
}

/// First port of the usual ephemeral ranges (Linux 32768–60999, Windows 49152–65535).
const EPHEMERAL_PORTS: u16 = 32768;

/// Look for the flow's protocol in the bytes held for `dir`. Specs whose ports match the
/// server port are tried first, then all the others. When the flow was oriented by its ports
/// alone (`roles.guessed`), each round also tries the flow turned round: the bytes as sent the
/// other way, with the other side's port as the server port. So a Modbus server on port 50502
/// polled from port 40000, picked up mid-stream, is found as the server: its responses are not
/// requests. Within a round the orientation as guessed wins when both match; a port that
/// matches on the other side (below the ephemeral range) comes before content alone.
fn probe_stream(app: &mut App, dir: Dir, roles: &mut Roles, cx: &mut Cx<'_>, c: &mut Counters) {
    let d = di(dir);
    let mut need_more = false;
    let mut found = None;
    let turns: &[bool] = if roles.guessed {
        &[false, true]
    } else {
        &[false]
    };
    'outer: for pass in [true, false] {
        for &turned in turns {
            let (probe_dir, port) = if turned {
                // A client port in the ephemeral range (Linux: 32768 and up) is no hint: a
                // client on 44818 talking to a database is not an ENIP server.
                let hint = cx.client_port < EPHEMERAL_PORTS;
                (dir.other(), if hint { cx.client_port } else { 0 })
            } else {
                (dir, cx.server_port)
            };
            for spec in STREAM_PROTOCOLS
                .iter()
                .filter(|s| s.ports.contains(&port) == pass)
            {
                match (spec.probe)(probe_dir, &app.buf[d], pass) {
                    Probe::Match => {
                        found = Some((spec, turned));
                        break 'outer;
                    }
                    Probe::NeedMore => need_more = true,
                    Probe::NoMatch => {}
                }
            }
        }
    }
    let Some((spec, turned)) = found else {
        // No match yet: keep the bytes and look again when more arrive (a flow picked up in
        // the middle of a PDU shows a header only later), up to a few segments.
        app.probe_tries[d] = app.probe_tries[d].saturating_add(1);
        if (!need_more && app.probe_tries[d] >= PROBE_TRIES) || app.buf[d].len() >= PROBE_MAX {
            app.probe_failed[d] = true;
        }
        if app.probe_failed[0] && app.probe_failed[1] {
            app.kind = AppKind::Done;
            app.buf = [Vec::new(), Vec::new()];
        }
        return;
    };
    roles.guessed = false;
    if turned {
        // Turn the flow round: what was held for one direction was sent the other way.
        roles.client = 1 - roles.client;
        app.buf.swap(0, 1);
        app.need.swap(0, 1);
        app.probe_failed.swap(0, 1);
        app.probe_tries.swap(0, 1);
        app.first_dir = app.first_dir.map(Dir::other);
        std::mem::swap(&mut cx.client, &mut cx.server);
        std::mem::swap(&mut cx.client_port, &mut cx.server_port);
        c.reoriented_flows += 1;
    }
    let dir = if turned { dir.other() } else { dir };
    app.proto = spec.proto;
    cx.proto = spec.proto;
    app.kind = AppKind::Stream((spec.new)());
    // Hand over what was held while probing, in arrival order of the directions.
    let first = app.first_dir.unwrap_or(dir);
    for dd in [first, first.other()] {
        let held = std::mem::take(&mut app.buf[di(dd)]);
        if !held.is_empty() {
            feed(app, dd, &held, cx, c);
        }
    }
}

/// Run the dissector over new bytes, with the caller-side buffer for partial PDUs.
fn feed(app: &mut App, dir: Dir, data: &[u8], cx: &mut Cx<'_>, c: &mut Counters) {
    let d = di(dir);
    let AppKind::Stream(ds) = &mut app.kind else {
        return;
    };
    let max = cx.limits.max_pdu_bytes;
    let buffered = !app.buf[d].is_empty();
    if buffered {
        app.buf[d].extend_from_slice(data);
        if app.buf[d].len() < app.need[d] {
            return;
        }
    }
    let input: &[u8] = if buffered { &app.buf[d] } else { data };
    let mut off = 0usize;
    let mut desync = false;
    let mut need = 0usize;
    while off < input.len() {
        match ds.parse(dir, &input[off..], cx) {
            Parsed::Consumed(n) => {
                if n == 0 {
                    need = input.len() - off + 1;
                    break;
                }
                off += n.min(input.len() - off);
            }
            Parsed::NeedMore { consumed, needed } => {
                off += consumed.min(input.len() - off);
                need = needed;
                break;
            }
            Parsed::Desync { consumed } => {
                off += consumed.min(input.len() - off);
                desync = true;
                break;
            }
        }
    }
    if desync {
        c.dissector_desync += 1;
        app.kind = AppKind::Done;
        app.buf = [Vec::new(), Vec::new()];
        return;
    }
    let rest = input.len() - off;
    if need > max || rest > max {
        // A PDU larger than we are willing to hold: skip it as a gap.
        c.pdu_too_large += 1;
        cx.anomaly("pdu_too_large");
        app.buf[d].clear();
        app.need[d] = 0;
        if let AppKind::Stream(ds) = &mut app.kind {
            ds.gap(dir, rest as u32, cx);
        }
        return;
    }
    if buffered {
        app.buf[d].drain(..off);
    } else if rest > 0 {
        app.buf[d].extend_from_slice(&data[off..]);
    }
    app.need[d] = need;
}
