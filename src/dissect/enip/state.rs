//! Per-flow EtherNet/IP state and the handling of one encapsulation PDU: session tracking,
//! request/response matching (sender context and session for unconnected messages, connection
//! id and sequence count for connected ones), Forward Open connections, and what each message
//! tells the inventory.

use super::codes::{self, class, cmd, item, svc};
use super::parser::{self, EncapHeader, Identity, PortSeg};
use crate::dissect::text::device_string;
use crate::dissect::{Cx, Dir, Party};
use crate::inventory::observation::{Op, Transport};
use std::collections::VecDeque;
use std::fmt::Write as _;

/// Embedded requests of a Multiple Service Packet remembered for its response.
pub const MSP_MAX: usize = 16;
/// Nesting of Unconnected Send / Multiple Service Packet followed.
pub const MAX_DEPTH: u8 = 4;
/// Embedded messages of one Multiple Service Packet walked.
const MSP_WALK: usize = 256;
/// Connections (from Forward Open) remembered per flow.
pub const MAX_CONNS: usize = 32;
/// One-time facts (errors) remembered per flow.
const MAX_SEEN: usize = 64;
/// `enip.connection` facts per flow.
const MAX_CONN_FACTS: usize = 16;
/// Hard cap of open transactions per flow, whatever the limits say.
const MAX_PENDING: usize = 1024;
/// Requests remembered per flow by [`ReqCache`], and the longest one.
const CACHE_ENTRIES: usize = 16;
const CACHE_MAX_BYTES: usize = 256;

/// How a CIP message reached the object that answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The device at the IP address itself.
    Direct,
    /// Routed on (a backplane slot, another network): another module answers.
    Routed(PortSeg),
    /// A connected message on a connection whose Forward Open was not seen.
    Unknown,
}

/// What a request addressed (compact: kept per open transaction and per embedded request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReqInfo {
    pub service: u8,
    pub symbolic: bool,
    /// No instance, or instance 1 (and, in a Multiple Service Packet, reached on the packet's
    /// own route): a response to it can describe the device's identity.
    pub first_instance: bool,
    /// Class id, 0 when the path has none (class 0 does not exist).
    pub class: u16,
    /// Attribute id, 0 when the path has none.
    pub attribute: u16,
}

impl ReqInfo {
    fn new(service: u8, ep: &parser::EPath<'_>) -> ReqInfo {
        let small = |v: Option<u32>| v.map_or(0, |v| u16::try_from(v).unwrap_or(u16::MAX));
        ReqInfo {
            service,
            symbolic: ep.symbolic(),
            first_instance: ep.instance.is_none_or(|i| i == 1),
            class: small(ep.class),
            attribute: small(ep.attribute),
        }
    }

    pub fn class(&self) -> Option<u32> {
        (self.class != 0).then_some(self.class as u32)
    }
}

/// Forward Open parameters kept until the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoInfo {
    pub large: bool,
    pub o2t_rpi: u32,
    pub t2o_rpi: u32,
    pub o2t_params: u32,
    pub t2o_params: u32,
    pub transport: u8,
    pub via: Via,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Single(ReqInfo),
    Msp { n: u8, items: [ReqInfo; MSP_MAX] },
    ForwardOpen(FoInfo),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKey {
    Ucmm { session: u32, context: u64 },
    Conn { conn: u32, seq: u16 },
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    key: TxKey,
    kind: Kind,
    via: Via,
}

/// An open CIP connection (Forward Open answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conn {
    pub o2t: u32,
    pub t2o: u32,
    pub serial: u16,
    pub vendor: u16,
    pub orig_serial: u32,
    pub via: Via,
}

/// Operations of one request PDU, de-duplicated (a Multiple Service Packet of eleven reads is
/// one read).
#[derive(Default, Clone, Copy)]
struct Ops {
    v: [(Option<Op>, &'static str); 8],
    n: usize,
}

impl Ops {
    fn add(&mut self, op: Op, detail: &'static str) {
        if self.v[..self.n]
            .iter()
            .any(|&(o, d)| o == Some(op) && d == detail)
        {
            return;
        }
        if self.n < self.v.len() {
            self.v[self.n] = (Some(op), detail);
            self.n += 1;
        }
    }
}

/// The party that sent a message in direction `dir`.
pub fn sender(dir: Dir) -> Party {
    match dir {
        Dir::ToServer => Party::Client,
        Dir::ToClient => Party::Server,
    }
}

/// The last requests of a flow and what decoding them gave. An HMI or a SCADA server polls
/// the same tags with the same few requests (Multiple Service Packets of reads) again and
/// again; a request with the same bytes, reached the same way, decodes to the same result, so
/// it is compared instead of decoded again. Only requests whose decoding recorded nothing
/// (no anomaly) and changed nothing (a Forward Close drops a connection) are kept: a hit then
/// gives everything decoding would have given, the operations and what to remember for the
/// response.
#[derive(Default)]
struct ReqCache {
    entries: Vec<ReqEntry>,
    /// The entry replaced next once full (oldest first).
    next: usize,
}

struct ReqEntry {
    /// Length and first and last bytes, compared before the bytes.
    tag: u64,
    via: Via,
    msg: Vec<u8>,
    out: (Kind, Via),
    ops: Ops,
}

#[cfg(test)]
thread_local! {
    /// Tests: decode every request (no [`ReqCache`]), and count the requests the cache gave.
    pub static NO_REQ_CACHE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    pub static REQ_CACHE_HITS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn req_tag(msg: &[u8]) -> u64 {
    let word = |b: &[u8]| b.iter().fold(0u64, |a, &x| a << 8 | x as u64);
    let n = msg.len();
    (n as u64) ^ word(&msg[..n.min(8)]).rotate_left(16) ^ word(&msg[n.saturating_sub(8)..])
}

impl ReqCache {
    fn get(&self, msg: &[u8], via: Via) -> Option<&ReqEntry> {
        let tag = req_tag(msg);
        self.entries
            .iter()
            .find(|e| e.tag == tag && e.via == via && e.msg == msg)
    }

    fn put(&mut self, msg: &[u8], via: Via, out: (Kind, Via), ops: Ops) {
        let e = ReqEntry {
            tag: req_tag(msg),
            via,
            msg: msg.to_vec(),
            out,
            ops,
        };
        if self.entries.len() < CACHE_ENTRIES {
            self.entries.push(e);
        } else {
            self.entries[self.next] = e;
            self.next = (self.next + 1) % CACHE_ENTRIES;
        }
    }
}

impl std::fmt::Debug for ReqCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReqCache({} entries)", self.entries.len())
    }
}

/// Per-flow state shared by the TCP and UDP dissectors.
#[derive(Debug, Default)]
pub struct EnipState {
    /// Session handle granted by the last RegisterSession reply.
    pub session: Option<u32>,
    pending: VecDeque<Pending>,
    pub conns: Vec<Conn>,
    seen: Vec<u64>,
    conn_facts: usize,
    /// Set by a request that changes this state ([`ReqCache`]).
    changed: bool,
    cache: Option<Box<ReqCache>>,
}

impl EnipState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Open transactions (for tests of the bounds).
    pub fn open_transactions(&self) -> usize {
        self.pending.len()
    }

    /// First time this key is seen (bounded: once full, nothing is new any more).
    fn first(&mut self, key: u64) -> bool {
        if self.seen.contains(&key) || self.seen.len() >= MAX_SEEN {
            return false;
        }
        self.seen.push(key);
        true
    }

    fn push(&mut self, p: Pending, cx: &mut Cx<'_>) {
        let cap = cx.limits.max_open_transactions.clamp(1, MAX_PENDING);
        if self.pending.len() >= cap {
            self.pending.pop_front();
            cx.anomaly("open_transactions_limit");
        }
        self.pending.push_back(p);
    }

    fn take(&mut self, key: TxKey) -> Option<Pending> {
        let key = match key {
            TxKey::Conn { conn, seq } => {
                // Responses travel on the T->O connection id; requests on the O->T one.
                let o2t = self
                    .conns
                    .iter()
                    .find(|c| c.t2o == conn)
                    .map_or(conn, |c| c.o2t);
                TxKey::Conn { conn: o2t, seq }
            }
            k => k,
        };
        let pos = self.pending.iter().position(|p| p.key == key).or_else(|| {
            // A connection whose Forward Open was not seen: match on the sequence count.
            match key {
                TxKey::Conn { seq, .. } => self
                    .pending
                    .iter()
                    .position(|p| matches!(p.key, TxKey::Conn { seq: s, .. } if s == seq)),
                _ => None,
            }
        })?;
        self.pending.remove(pos)
    }

    /// One encapsulation PDU (`body` is exactly the `length` bytes after the header, or what a
    /// cut capture left of them).
    pub fn pdu(&mut self, dir: Dir, h: &EncapHeader, body: &[u8], cx: &mut Cx<'_>) {
        let from_client = dir == Dir::ToServer;
        if from_client && h.status != 0 {
            cx.anomaly("request_status_nonzero");
        }
        if !from_client && h.status != 0 {
            let key = 0x1_0000_0000_0000 | h.status as u64;
            if self.first(key) {
                let cmd_name = codes::command_name(h.command).unwrap_or("unknown");
                cx.fact(
                    Party::Server,
                    "enip.encap_error",
                    format!(
                        "{cmd_name}: {} (0x{:04x})",
                        codes::encap_status_name(h.status),
                        h.status
                    ),
                );
            }
        }
        match h.command {
            cmd::NOP => {}
            cmd::LIST_IDENTITY | cmd::LIST_SERVICES | cmd::LIST_INTERFACES | cmd::LIST_TARGETS => {
                // Requests carry no data; replies carry items.
                let request = body.is_empty() && h.length == 0
                    || (from_client && cx.transport == Transport::Tcp);
                if request {
                    if !body.is_empty() {
                        cx.anomaly("list_request_with_data");
                    }
                    if from_client {
                        let detail = codes::command_name(h.command).unwrap_or("List");
                        let broadcast =
                            cx.transport == Transport::Udp && crate::engine::is_group(cx.server);
                        let op = if h.command == cmd::LIST_IDENTITY && broadcast {
                            Op::Discovery
                        } else {
                            Op::Identify
                        };
                        cx.op(op, Some(detail));
                    }
                } else if h.status == 0 {
                    self.list_reply(dir, h.command, body, cx);
                }
            }
            cmd::REGISTER_SESSION => {
                match parser::parse_register(body) {
                    Ok((_, (1, 0))) => {}
                    Ok(_) => cx.anomaly("register_session_version"),
                    Err(_) => cx.anomaly("register_session_truncated"),
                }
                if from_client {
                    cx.op(Op::Connect, Some("RegisterSession"));
                } else if h.status == 0 {
                    if h.session == 0 {
                        cx.anomaly("register_session_zero_handle");
                    }
                    self.session = Some(h.session);
                }
            }
            cmd::UNREGISTER_SESSION => {
                self.session = None;
                self.pending.clear();
            }
            cmd::SEND_RR_DATA | cmd::SEND_UNIT_DATA => self.send_data(dir, h, body, cx),
            cmd::INDICATE_STATUS | cmd::CANCEL => {}
            _ => cx.anomaly("unknown_command"),
        }
    }

    fn list_reply(&mut self, dir: Dir, command: u16, body: &[u8], cx: &mut Cx<'_>) {
        let party = sender(dir);
        let cpf = match parser::parse_cpf(body) {
            Ok((rest, cpf)) => {
                if !rest.is_empty() {
                    cx.anomaly("trailing_bytes");
                }
                cpf
            }
            Err(_) => {
                cx.anomaly("bad_cpf");
                // A cut reply: use the items that are complete.
                match parser::parse_cpf_prefix(body) {
                    Some(c) => c,
                    None => return,
                }
            }
        };
        match command {
            cmd::LIST_IDENTITY => {
                for it in cpf.items() {
                    if it.type_id != item::LIST_IDENTITY {
                        continue;
                    }
                    match parser::parse_identity_item(it.data) {
                        Ok((_, li)) => {
                            let a = li.sin_addr;
                            cx.fact(
                                party,
                                "enip.socket_address",
                                format!(
                                    "{}.{}.{}.{}:{} (family {})",
                                    a[0], a[1], a[2], a[3], li.sin_port, li.sin_family
                                ),
                            );
                            cx.fact(party, "enip.encap_version", li.version.to_string());
                            report_identity(cx, party, &li.id, "enip.list_identity", Via::Direct);
                            if li.id.state.is_none() {
                                cx.anomaly("list_identity_without_state");
                            }
                        }
                        Err(_) => cx.anomaly("bad_identity_item"),
                    }
                }
            }
            cmd::LIST_SERVICES => {
                for it in cpf.items() {
                    if it.type_id != item::LIST_SERVICES {
                        continue;
                    }
                    match parser::parse_service_item(it.data) {
                        Ok((_, s)) => {
                            if s.name.len() != 16 {
                                cx.anomaly("list_services_name_length");
                            }
                            let mut v = format!(
                                "{} (version {}, capabilities 0x{:04x}",
                                device_string(s.name),
                                s.version,
                                s.capability
                            );
                            if s.capability & 0x0020 != 0 {
                                v.push_str(", cip_over_tcp");
                            }
                            if s.capability & 0x0100 != 0 {
                                v.push_str(", class0_1_over_udp");
                            }
                            v.push(')');
                            cx.fact(party, "enip.list_services", v);
                        }
                        Err(_) => cx.anomaly("bad_list_services_item"),
                    }
                }
            }
            cmd::LIST_INTERFACES => {
                cx.fact(
                    party,
                    "enip.list_interfaces",
                    format!("{} interface(s)", cpf.count),
                );
            }
            _ => {}
        }
    }

    fn send_data(&mut self, dir: Dir, h: &EncapHeader, body: &[u8], cx: &mut Cx<'_>) {
        let rr = match parser::parse_rr_data(body) {
            Ok((rest, rr)) => {
                if !rest.is_empty() {
                    cx.anomaly("trailing_bytes");
                }
                rr
            }
            Err(_) => {
                cx.anomaly("bad_cpf");
                return;
            }
        };
        if rr.interface != 0 {
            cx.anomaly("nonzero_interface_handle");
        }
        if let Some(s) = self.session {
            if h.session != s {
                cx.anomaly("unknown_session_handle");
            }
        }
        for it in rr.cpf.items() {
            if matches!(it.type_id, item::SOCKADDR_O2T | item::SOCKADDR_T2O) {
                sockaddr_fact(dir, &it, cx);
            }
        }
        let (key, msg, via) = if h.command == cmd::SEND_RR_DATA {
            let Some(data) = rr.cpf.find(item::UNCONNECTED_DATA) else {
                cx.anomaly("missing_data_item");
                return;
            };
            let key = TxKey::Ucmm {
                session: h.session,
                context: h.context,
            };
            (key, data.data, Via::Direct)
        } else {
            let (Some(addr), Some(data)) = (
                rr.cpf.find(item::CONNECTED_ADDRESS),
                rr.cpf.find(item::CONNECTED_DATA),
            ) else {
                cx.anomaly("missing_connected_item");
                return;
            };
            let conn = match addr.data {
                [a, b, c, d] => u32::from_le_bytes([*a, *b, *c, *d]),
                _ => {
                    cx.anomaly("bad_connected_address");
                    return;
                }
            };
            let (seq, msg) = match data.data {
                [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]), rest),
                _ => {
                    cx.anomaly("bad_connected_data");
                    return;
                }
            };
            let via = self
                .conns
                .iter()
                .find(|c| c.o2t == conn || c.t2o == conn)
                .map_or(Via::Unknown, |c| c.via);
            (TxKey::Conn { conn, seq }, msg, via)
        };
        let Some(&first) = msg.first() else {
            cx.anomaly("empty_cip_message");
            return;
        };
        if first & 0x80 == 0 {
            let (kind, ops) = self.request(msg, via, cx);
            if dir == Dir::ToServer {
                for &(op, detail) in &ops.v[..ops.n] {
                    if let Some(op) = op {
                        cx.op(op, Some(detail));
                    }
                }
            }
            if let Some((kind, via)) = kind {
                self.push(Pending { key, kind, via }, cx);
            }
        } else {
            let pending = self.take(key);
            match parser::parse_cip_response(msg) {
                Ok((_, resp)) => {
                    let p = pending.map(|p| (p.kind, p.via));
                    self.cip_response(dir, &resp, p, 0, cx);
                }
                Err(_) => cx.anomaly("bad_cip_response"),
            }
        }
    }

    /// A CIP request's operations and what to remember for its response: from the flow's
    /// [`ReqCache`] when it is one of its last requests again, else decoded.
    fn request(&mut self, msg: &[u8], via: Via, cx: &mut Cx<'_>) -> (Option<(Kind, Via)>, Ops) {
        #[cfg(test)]
        if NO_REQ_CACHE.get() {
            let mut ops = Ops::default();
            return (self.cip_request(msg, via, 0, &mut ops, cx), ops);
        }
        if let Some(e) = self.cache.as_deref().and_then(|c| c.get(msg, via)) {
            #[cfg(test)]
            REQ_CACHE_HITS.set(REQ_CACHE_HITS.get() + 1);
            return (Some(e.out), e.ops);
        }
        let mut ops = Ops::default();
        let effects = cx.effects;
        self.changed = false;
        let kind = self.cip_request(msg, via, 0, &mut ops, cx);
        if let Some(out) = kind {
            if cx.effects == effects && !self.changed && msg.len() <= CACHE_MAX_BYTES {
                self.cache.get_or_insert_default().put(msg, via, out, ops);
            }
        }
        (kind, ops)
    }

    /// A CIP request: its operations go to `ops`; returns what to remember for the response.
    fn cip_request(
        &mut self,
        msg: &[u8],
        via: Via,
        depth: u8,
        ops: &mut Ops,
        cx: &mut Cx<'_>,
    ) -> Option<(Kind, Via)> {
        let Ok((_, req)) = parser::parse_cip_request(msg) else {
            cx.anomaly("bad_cip_request");
            return None;
        };
        let ep = parser::parse_epath(req.path);
        if ep.malformed {
            cx.anomaly("bad_epath");
        }
        let info = ReqInfo::new(req.service, &ep);
        let cm = ep.class == Some(class::CONNECTION_MANAGER) && !ep.symbolic();
        match req.service {
            svc::MULTIPLE_SERVICE_PACKET => {
                let Ok((_, msp)) = parser::parse_msp(req.data) else {
                    cx.anomaly("bad_multiple_service_packet");
                    return Some((Kind::Single(info), via));
                };
                let mut items = [ReqInfo::default(); MSP_MAX];
                let mut n = 0usize;
                #[allow(clippy::needless_range_loop)]
                for k in 0..(msp.count as usize).min(MSP_WALK) {
                    let Some(m) = msp.get(k) else {
                        cx.anomaly("bad_multiple_service_offset");
                        break;
                    };
                    if depth >= MAX_DEPTH {
                        cx.anomaly("nesting_too_deep");
                        break;
                    }
                    let nested = self.cip_request(m, via, depth + 1, ops, cx);
                    if k < MSP_MAX {
                        items[k] = match nested {
                            Some((Kind::Single(i), v)) if v == via => i,
                            // Routed on by an embedded Unconnected Send: another module
                            // answers; its identity must not be taken for this one's.
                            Some((Kind::Single(i), _)) => ReqInfo {
                                first_instance: false,
                                ..i
                            },
                            _ => ReqInfo::default(),
                        };
                        n = k + 1;
                    }
                }
                Some((Kind::Msp { n: n as u8, items }, via))
            }
            svc::UNCONNECTED_SEND if cm => {
                let Ok((_, us)) = parser::parse_unconnected_send(req.data) else {
                    cx.anomaly("bad_unconnected_send");
                    return Some((Kind::Single(info), via));
                };
                let route = parser::parse_epath(us.route);
                if route.malformed {
                    cx.anomaly("bad_route_path");
                }
                let via = match route.port {
                    Some(p) => Via::Routed(p),
                    None => via,
                };
                if depth >= MAX_DEPTH {
                    cx.anomaly("nesting_too_deep");
                    return None;
                }
                self.cip_request(us.message, via, depth + 1, ops, cx)
            }
            svc::FORWARD_OPEN | svc::LARGE_FORWARD_OPEN if cm => {
                let (op, detail) = codes::classify(req.service, ep.class, false);
                ops.add(op, detail);
                let large = req.service == svc::LARGE_FORWARD_OPEN;
                let Ok((_, fo)) = parser::parse_forward_open(req.data, large) else {
                    cx.anomaly("bad_forward_open");
                    return Some((Kind::Single(info), via));
                };
                let path = parser::parse_epath(fo.path);
                if path.malformed {
                    cx.anomaly("bad_connection_path");
                }
                let conn_via = match path.port {
                    Some(p) => Via::Routed(p),
                    None => via,
                };
                Some((
                    Kind::ForwardOpen(FoInfo {
                        large,
                        o2t_rpi: fo.o2t_rpi,
                        t2o_rpi: fo.t2o_rpi,
                        o2t_params: fo.o2t_params,
                        t2o_params: fo.t2o_params,
                        transport: fo.transport,
                        via: conn_via,
                    }),
                    via,
                ))
            }
            svc::FORWARD_CLOSE if cm => {
                let (op, detail) = codes::classify(req.service, ep.class, false);
                ops.add(op, detail);
                self.changed = true;
                match parser::parse_forward_close(req.data) {
                    Ok((_, fc)) => self.conns.retain(|c| {
                        !(c.serial == fc.serial
                            && c.vendor == fc.vendor
                            && c.orig_serial == fc.orig_serial)
                    }),
                    Err(_) => cx.anomaly("bad_forward_close"),
                }
                Some((Kind::Single(info), via))
            }
            _ => {
                let (op, detail) = codes::classify(req.service, ep.class, ep.symbolic());
                ops.add(op, detail);
                if req.service == 0x10 && ep.attribute.is_none() && !ep.symbolic() {
                    cx.anomaly("set_attribute_single_without_attribute");
                }
                Some((Kind::Single(info), via))
            }
        }
    }

    fn cip_response(
        &mut self,
        dir: Dir,
        resp: &parser::CipResponse<'_>,
        pending: Option<(Kind, Via)>,
        depth: u8,
        cx: &mut Cx<'_>,
    ) {
        let req = match pending {
            Some((Kind::Single(r), _)) => Some(r),
            _ => None,
        };
        if resp.general != 0 && resp.general != 0x06 {
            self.error_fact(dir, resp, req, cx);
        }
        let Some((kind, via)) = pending else {
            return;
        };
        let party = sender(dir);
        match kind {
            Kind::Single(req) => {
                if req.service == 0 {
                    // An embedded request that was not remembered (bounds, nesting).
                    return;
                }
                if resp.service != req.service & 0x7F {
                    // An Unconnected Send that failed on the way answers as 0x52.
                    if resp.service != svc::UNCONNECTED_SEND {
                        cx.anomaly("response_service_mismatch");
                    }
                    return;
                }
                if req.class() != Some(class::IDENTITY)
                    || resp.general != 0
                    || req.symbolic
                    || !req.first_instance
                {
                    return;
                }
                match req.service {
                    svc::GET_ATTRIBUTES_ALL => match parser::parse_identity_attrs(resp.data) {
                        Ok((_, id)) => report_identity(cx, party, &id, "enip.identity_object", via),
                        Err(_) => cx.anomaly("bad_identity_attributes"),
                    },
                    svc::GET_ATTRIBUTE_SINGLE if via == Via::Direct && req.attribute != 0 => {
                        identity_attribute(cx, party, req.attribute, resp.data);
                    }
                    _ => {}
                }
            }
            Kind::Msp { n, items } => {
                if resp.service != svc::MULTIPLE_SERVICE_PACKET || depth >= MAX_DEPTH {
                    return;
                }
                let Ok((_, msp)) = parser::parse_msp(resp.data) else {
                    cx.anomaly("bad_multiple_service_packet");
                    return;
                };
                if msp.count as usize != n as usize && (n as usize) < MSP_MAX {
                    cx.anomaly("multiple_service_count_mismatch");
                }
                for (k, r) in items.iter().enumerate().take(n as usize) {
                    let Some(m) = msp.get(k) else {
                        break;
                    };
                    match parser::parse_cip_response(m) {
                        Ok((_, inner)) => {
                            self.cip_response(
                                dir,
                                &inner,
                                Some((Kind::Single(*r), via)),
                                depth + 1,
                                cx,
                            );
                        }
                        Err(_) => cx.anomaly("bad_cip_response"),
                    }
                }
            }
            Kind::ForwardOpen(fo) => {
                if resp.general != 0
                    || !matches!(resp.service, svc::FORWARD_OPEN | svc::LARGE_FORWARD_OPEN)
                {
                    return;
                }
                let Ok((_, r)) = parser::parse_forward_open_reply(resp.data) else {
                    cx.anomaly("bad_forward_open_reply");
                    return;
                };
                let conn = Conn {
                    o2t: r.o2t_id,
                    t2o: r.t2o_id,
                    serial: r.serial,
                    vendor: r.vendor,
                    orig_serial: r.orig_serial,
                    via: fo.via,
                };
                self.conns
                    .retain(|c| c.o2t != conn.o2t && c.t2o != conn.t2o);
                if self.conns.len() >= MAX_CONNS {
                    self.conns.remove(0);
                }
                self.conns.push(conn);
                if self.conn_facts < MAX_CONN_FACTS {
                    self.conn_facts += 1;
                    cx.fact(party, "enip.connection", connection_text(&fo, &r));
                }
            }
        }
    }

    /// `enip.cip_error`, once per (service, status) per flow.
    fn error_fact(
        &mut self,
        dir: Dir,
        resp: &parser::CipResponse<'_>,
        req: Option<ReqInfo>,
        cx: &mut Cx<'_>,
    ) {
        let ext = resp.ext_status().unwrap_or(0);
        let key = ((resp.service as u64) << 32) | ((resp.general as u64) << 16) | ext as u64;
        if !self.first(key) {
            return;
        }
        let name = match req {
            Some(r) if r.service & 0x7F == resp.service => {
                codes::service_name(resp.service, r.class(), r.symbolic)
            }
            _ if resp.service == svc::UNCONNECTED_SEND => "Unconnected_Send",
            _ => codes::service_name(resp.service, None, false),
        };
        let mut v = format!(
            "{name}: {} (0x{:02x})",
            codes::general_status_name(resp.general),
            resp.general
        );
        if let Some(e) = resp.ext_status() {
            let _ = write!(v, " extended 0x{e:04x}");
            if resp.general == 0x01 {
                let _ = write!(v, " {}", codes::cm_ext_status_name(e));
            }
        }
        cx.fact(sender(dir), "enip.cip_error", v);
    }
}

/// A socket address info item (Forward Open of class 0/1 I/O connections): where the I/O
/// datagrams of the connection go, `enip.io_socket`.
fn sockaddr_fact(dir: Dir, it: &parser::CpfItem<'_>, cx: &mut Cx<'_>) {
    let d = it.data;
    if d.len() != 16 {
        cx.anomaly("bad_sockaddr_item");
        return;
    }
    let family = u16::from_be_bytes([d[0], d[1]]);
    let port = u16::from_be_bytes([d[2], d[3]]);
    let dir_name = if it.type_id == item::SOCKADDR_O2T {
        "O->T"
    } else {
        "T->O"
    };
    cx.fact(
        sender(dir),
        "enip.io_socket",
        format!(
            "{dir_name} {}.{}.{}.{}:{port} (family {family})",
            d[4], d[5], d[6], d[7]
        ),
    );
}

/// Revision as "major.minor" with two-digit minor ("4.03", "33.10"), as Rockwell tools and
/// Wireshark show it.
pub fn revision_text(major: u8, minor: u8) -> String {
    format!("{major}.{minor:02}")
}

/// Serial number as the devices print it: "0x" and eight lower-case hex digits.
pub fn serial_text(serial: u32) -> String {
    format!("0x{serial:08x}")
}

fn route_text(p: PortSeg) -> String {
    match (p.port, p.link) {
        (1, Some(slot)) => format!("slot {slot}"),
        (port, Some(link)) => format!("port {port} link {link}"),
        (port, None) => format!("port {port}"),
    }
}

/// Identity object attributes 1-7, as claims (device answered for itself) or as a module fact.
pub fn report_identity(
    cx: &mut Cx<'_>,
    party: Party,
    id: &Identity<'_>,
    source: &'static str,
    via: Via,
) {
    let name = device_string(id.product_name);
    let rev = revision_text(id.rev_major, id.rev_minor);
    let serial = serial_text(id.serial);
    match via {
        Via::Direct => {}
        Via::Routed(p) => {
            cx.fact(
                party,
                "enip.backplane_module",
                format!("{}: {name} {rev} serial {serial}", route_text(p)),
            );
            return;
        }
        Via::Unknown => {
            cx.fact(
                party,
                "enip.connected_module",
                format!("{name} {rev} serial {serial}"),
            );
            return;
        }
    }
    const C: u8 = 90;
    cx.claim(party, "enip.vendor_id", &id.vendor.to_string(), source, C);
    if let Some(v) = codes::vendor_name(id.vendor) {
        cx.claim(party, "vendor", v, source, C);
    }
    cx.claim(
        party,
        "enip.device_type",
        &id.device_type.to_string(),
        source,
        C,
    );
    if let Some(t) = codes::device_type_name(id.device_type) {
        cx.claim(party, "device_type", t, source, C);
    }
    cx.claim(
        party,
        "enip.product_code",
        &id.product_code.to_string(),
        source,
        C,
    );
    cx.claim(party, "firmware", &rev, source, C);
    cx.claim(party, "enip.revision", &rev, source, C);
    cx.claim(party, "serial", &serial, source, C);
    cx.claim(party, "enip.serial_number", &serial, source, C);
    cx.claim(party, "product", &name, source, C);
    cx.claim(party, "enip.product_name", &name, source, C);
    cx.claim(party, "model", &name, source, C);
    cx.fact(party, "enip.status", format!("0x{:04x}", id.status));
    if let Some(s) = id.state {
        cx.fact(
            party,
            "enip.state",
            format!("0x{s:02x} {}", codes::state_name(s)),
        );
    }
}

/// A Get_Attribute_Single response of the Identity object (instance 1), attribute `a`.
fn identity_attribute(cx: &mut Cx<'_>, party: Party, a: u16, d: &[u8]) {
    const S: &str = "enip.identity_object";
    const C: u8 = 90;
    let u16_at = |d: &[u8]| match d {
        [x, y, ..] => Some(u16::from_le_bytes([*x, *y])),
        _ => None,
    };
    let bad = |cx: &mut Cx<'_>| cx.anomaly("bad_identity_attribute");
    match a {
        1 => match u16_at(d) {
            Some(v) => {
                cx.claim(party, "enip.vendor_id", &v.to_string(), S, C);
                if let Some(n) = codes::vendor_name(v) {
                    cx.claim(party, "vendor", n, S, C);
                }
            }
            None => bad(cx),
        },
        2 => match u16_at(d) {
            Some(v) => {
                cx.claim(party, "enip.device_type", &v.to_string(), S, C);
                if let Some(n) = codes::device_type_name(v) {
                    cx.claim(party, "device_type", n, S, C);
                }
            }
            None => bad(cx),
        },
        3 => match u16_at(d) {
            Some(v) => cx.claim(party, "enip.product_code", &v.to_string(), S, C),
            None => bad(cx),
        },
        4 => match d {
            [maj, min, ..] => {
                let rev = revision_text(*maj, *min);
                cx.claim(party, "firmware", &rev, S, C);
                cx.claim(party, "enip.revision", &rev, S, C);
            }
            _ => bad(cx),
        },
        5 => match u16_at(d) {
            Some(v) => cx.fact(party, "enip.status", format!("0x{v:04x}")),
            None => bad(cx),
        },
        6 => match d {
            [a, b, c, e, ..] => {
                let s = serial_text(u32::from_le_bytes([*a, *b, *c, *e]));
                cx.claim(party, "serial", &s, S, C);
                cx.claim(party, "enip.serial_number", &s, S, C);
            }
            _ => bad(cx),
        },
        7 => match parser::short_string(d) {
            Ok((_, name)) => {
                let name = device_string(name);
                cx.claim(party, "product", &name, S, C);
                cx.claim(party, "enip.product_name", &name, S, C);
                cx.claim(party, "model", &name, S, C);
            }
            Err(_) => bad(cx),
        },
        _ => {}
    }
}

/// A packet interval in microseconds as milliseconds ("10", "2113.537").
pub fn ms_text(us: u32) -> String {
    if us % 1000 == 0 {
        format!("{}", us / 1000)
    } else {
        format!("{}.{:03}", us / 1000, us % 1000)
    }
}

fn params_text(p: u32, large: bool) -> String {
    let (size, var, prio, kind) = if large {
        (p & 0xFFFF, (p >> 25) & 1, (p >> 26) & 3, (p >> 29) & 3)
    } else {
        (p & 0x1FF, (p >> 9) & 1, (p >> 10) & 3, (p >> 13) & 3)
    };
    let kind = match kind {
        0 => "null",
        1 => "multicast",
        2 => "point-to-point",
        _ => "reserved",
    };
    let prio = match prio {
        0 => "low",
        1 => "high",
        2 => "scheduled",
        _ => "urgent",
    };
    let var = if var == 1 { "variable" } else { "fixed" };
    format!("{kind} {prio} priority {var} size {size}")
}

/// Text of the `enip.connection` fact.
pub fn connection_text(fo: &FoInfo, r: &parser::ForwardOpenReply) -> String {
    let mut v = format!(
        "O->T id 0x{:08x} RPI {} ms ({}), T->O id 0x{:08x} RPI {} ms ({}), transport class {} trigger {}, connection serial 0x{:04x} originator vendor {} serial 0x{:08x}",
        r.o2t_id,
        ms_text(fo.o2t_rpi),
        params_text(fo.o2t_params, fo.large),
        r.t2o_id,
        ms_text(fo.t2o_rpi),
        params_text(fo.t2o_params, fo.large),
        fo.transport & 0x0F,
        match (fo.transport >> 4) & 0x07 {
            0 => "cyclic",
            1 => "change_of_state",
            2 => "application",
            _ => "reserved",
        },
        r.serial,
        r.vendor,
        r.orig_serial
    );
    if fo.large {
        v.push_str(", large");
    }
    if let Via::Routed(p) = fo.via {
        let _ = write!(v, ", via {}", route_text(p));
    }
    v
}
