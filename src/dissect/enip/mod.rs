//! EtherNet/IP and CIP (passive).
//!
//! * `enip` over TCP 44818: encapsulation PDUs (several per segment, split across segments,
//!   resynchronised after gaps and garbage), sessions, CIP explicit messaging in SendRRData
//!   (unconnected, UCMM) and SendUnitData (connected), Multiple Service Packets, Unconnected
//!   Send (route paths), Forward Open / Large Forward Open / Forward Close, the Identity object;
//! * `enip` over UDP 44818: ListIdentity / ListServices / ListInterfaces, including replies to
//!   broadcast requests (the engine orients a reply from port 44818 as `ToClient` of a flow
//!   whose server is the device);
//! * `cip_io` over UDP 2222: class 0/1 implicit I/O (sequenced address + connected data).
//!
//! Detected by content; the port only decides which probe runs first and lets the probe look
//! for a header further into the first bytes of a flow picked up mid-stream.
//!
//! ## Identity claims
//! From ListIdentity replies (source `enip.list_identity`) and from Identity object (class 1,
//! instance 1) Get_Attributes_All / Get_Attribute_Single responses (source
//! `enip.identity_object`), confidence 90, about the device that answered: `vendor` (ODVA
//! vendor name), `device_type` (CIP device profile name), `product` and `model` (product name),
//! `firmware` (revision "major.minor", minor with two digits: "4.03", "33.10"), `serial`
//! ("0x" + 8 lower-case hex digits), and the raw `enip.vendor_id`, `enip.device_type`,
//! `enip.product_code`, `enip.revision`, `enip.serial_number`, `enip.product_name`.
//! An Identity object reached through a route (Unconnected Send with a port segment, or a
//! connection opened with one) belongs to another module behind the IP address: it becomes the
//! fact `enip.backplane_module`, never a claim.
//!
//! ## Facts
//! * `enip.socket_address`: socket address in a ListIdentity reply ("10.1.1.164:44818 (family 2)").
//! * `enip.encap_version`: encapsulation protocol version in a ListIdentity reply.
//! * `enip.status`: Identity status word ("0x0030").
//! * `enip.state`: Identity state ("0x03 operational").
//! * `enip.list_services`: a ListServices item ("Communications (version 1, capabilities 0x0120, cip_over_tcp, class0_1_over_udp)").
//! * `enip.list_interfaces`: number of items in a ListInterfaces reply.
//! * `enip.backplane_module`: identity of a module reached through a route ("slot 0: 1756-L61/B LOGIX5561 16.20 serial 0x0051823f").
//! * `enip.connected_module`: identity answered on a connection whose Forward Open was not seen.
//! * `enip.connection`: a connection opened by Forward Open (ids, RPIs, parameters; at most 32 per flow).
//! * `enip.io_socket`: a socket address item of an I/O Forward Open ("T->O 239.192.1.32:2222 (family 2)").
//! * `enip.cip_error`: a CIP error response ("Get_Attributes_All: Path destination unknown (0x05)"), once per kind per flow.
//! * `enip.encap_error`: an encapsulation status other than success in a reply.
//! * `cip_io.connection`: an implicit I/O connection id seen on the sender ("id 0x004b0201"; at most 32 per flow).
//! * `cip_io.producer`: the sender produces a connection to the other side ("id 0x004b0201 to 192.168.1.22").
//! * `cip_io.rate_ms`: mean interval between the sender's I/O datagrams, milliseconds (at close).
//! * `cip_io.connection_rate_ms`: mean interval per connection id ("id 0x004b0201 every 10.0 ms").
//!
//! ## Operations
//! ListIdentity: `discovery` (UDP broadcast) or `identify`; ListServices / ListInterfaces /
//! ListTargets: `identify`; RegisterSession and Forward Open: `connect`; CIP services by class
//! (see [`codes::classify`]): Get_* and Read_Tag(_Fragmented): `read` (`identify` on the
//! Identity object); Set_* / Write_Tag(_Fragmented) / Read_Modify_Write: `write`; writes to the
//! TCP/IP and Ethernet Link objects: `config_change`; writes to Time Sync / Wall Clock:
//! `time_set`; Reset: `reset`; Start / Stop: `cpu_start` / `cpu_stop`; ControlFLASH services
//! (class 0xA1): `firmware_update`; Get_Instance_Attribute_List: `browse`. Implicit I/O: `other`
//! (`implicit_io`). Each request PDU counts once (embedded requests of one Multiple Service
//! Packet are de-duplicated by operation and service).
//!
//! ## Anomalies
//! `garbage_skipped`, `bad_header`, `unknown_command`, `bad_cpf`, `trailing_bytes`,
//! `bad_identity_item`, `bad_cip_request`, `bad_cip_response`, `bad_epath`,
//! `bad_multiple_service_packet`, `bad_unconnected_send`, `bad_forward_open`,
//! `unknown_session_handle`, `open_transactions_limit`, `response_service_mismatch`,
//! `truncated_pdu` (a gap inside a PDU), `truncated_datagram`, `bad_io_packet`, and a few more
//! named after what was wrong.

pub mod codes;
pub mod parser;
pub mod state;
#[cfg(test)]
mod tests;

use crate::dissect::{
    Cx, DatagramDissector, DatagramSpec, Dir, Parsed, Party, Probe, StreamDissector, StreamSpec,
};
use crate::inventory::observation::Op;
use codes::{cmd, item};
use parser::{EncapHeader, HEADER_LEN};
use state::EnipState;

pub const TCP_PORT: u16 = 44818;
pub const UDP_PORT: u16 = 44818;
pub const IO_PORT: u16 = 2222;

pub const SPEC_TCP: StreamSpec = StreamSpec {
    proto: "enip",
    ports: &[TCP_PORT],
    probe: probe_tcp,
    new: new_stream,
};

pub const SPEC_UDP: DatagramSpec = DatagramSpec {
    proto: "enip",
    ports: &[UDP_PORT],
    probe: probe_udp,
    new: new_udp,
};

pub const SPEC_IO: DatagramSpec = DatagramSpec {
    proto: "cip_io",
    ports: &[IO_PORT],
    probe: probe_io,
    new: new_io,
};

pub fn new_stream() -> Box<dyn StreamDissector> {
    Box::new(EnipStream::new())
}

pub fn new_udp() -> Box<dyn DatagramDissector> {
    Box::new(EnipUdp::default())
}

pub fn new_io() -> Box<dyn DatagramDissector> {
    Box::new(CipIo::default())
}

/// Bytes scanned for a header when a flow on port 44818 does not start with one.
const PROBE_SCAN: usize = 1024;

fn header_at(data: &[u8]) -> Option<(EncapHeader, &[u8])> {
    parser::parse_header(data).ok().map(|(rest, h)| (h, rest))
}

/// Is there a plausible header at the start of `data`? `None`: need more bytes.
fn plausible_at(data: &[u8], to_server: bool, port_match: bool) -> Option<bool> {
    if data.len() >= 2 {
        let c = u16::from_le_bytes([data[0], data[1]]);
        if !parser::known_command(c) || c == cmd::NOP {
            return Some(false);
        }
        if c == cmd::LIST_TARGETS && !port_match {
            return Some(false);
        }
    }
    let (h, rest) = header_at(data)?;
    if h.command == cmd::LIST_TARGETS {
        // Legacy List Targets: only trusted as a request (no data) or a short item list.
        return Some(h.options == 0 && h.status == 0 && h.length as usize <= 512);
    }
    parser::header_plausible(&h, rest, to_server)
}

/// A complete, structurally valid PDU at the start of `data` (used without a port match).
fn valid_pdu(data: &[u8], to_server: bool) -> Option<bool> {
    let (h, rest) = header_at(data)?;
    if parser::header_plausible(&h, rest, to_server)? && h.command != cmd::LIST_TARGETS {
        let len = h.length as usize;
        if rest.len() < len {
            return None;
        }
        let body = &rest[..len];
        return Some(match h.command {
            cmd::LIST_IDENTITY | cmd::LIST_SERVICES | cmd::LIST_INTERFACES => {
                len == 0 || matches!(parser::parse_cpf(body), Ok((r, _)) if r.is_empty())
            }
            cmd::REGISTER_SESSION => true,
            cmd::UNREGISTER_SESSION => true,
            cmd::SEND_RR_DATA | cmd::SEND_UNIT_DATA => match parser::parse_rr_data(body) {
                Ok((r, rr)) if r.is_empty() && rr.cpf.stored >= 2 => {
                    // A CIP request travels to the server, a reply (service bit 0x80) back:
                    // a flow picked up mid-stream and oriented by its ports the wrong way
                    // round is found turned round (the engine tries both).
                    let cip = if h.command == cmd::SEND_RR_DATA {
                        rr.cpf.find(item::UNCONNECTED_DATA).map(|i| i.data)
                    } else {
                        rr.cpf
                            .find(item::CONNECTED_DATA)
                            .map(|i| i.data.get(2..).unwrap_or_default())
                    };
                    match cip.and_then(|m| m.first()) {
                        Some(&service) => (service & 0x80 == 0) == to_server,
                        None => true,
                    }
                }
                _ => false,
            },
            _ => false,
        });
    }
    Some(false)
}

/// TCP probe: an encapsulation header at the start (anywhere in the first bytes when the port
/// is 44818: flows picked up mid-stream); without the port, the whole first PDU must be valid.
pub fn probe_tcp(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    let to_server = dir == Dir::ToServer;
    if !port_match {
        return match valid_pdu(data, to_server) {
            Some(true) => Probe::Match,
            Some(false) => Probe::NoMatch,
            None if data.len() < 2 => Probe::NeedMore,
            None => {
                // Only worth waiting for when what is there already looks like a header.
                match plausible_at(data, to_server, false) {
                    Some(false) => Probe::NoMatch,
                    _ => Probe::NeedMore,
                }
            }
        };
    }
    match plausible_at(data, to_server, true) {
        Some(true) => return Probe::Match,
        None => return Probe::NeedMore,
        Some(false) => {}
    }
    let end = data.len().min(PROBE_SCAN);
    let mut undecided = false;
    for p in 1..end {
        match plausible_at(&data[p..], to_server, true) {
            Some(true) => return Probe::Match,
            None => undecided = true,
            Some(false) => {}
        }
    }
    if undecided || data.len() < PROBE_SCAN {
        Probe::NeedMore
    } else {
        Probe::NoMatch
    }
}

/// UDP probe (ListIdentity and friends; one datagram holds whole PDUs).
pub fn probe_udp(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    let to_server = dir == Dir::ToServer;
    let Some((h, rest)) = header_at(data) else {
        return Probe::NoMatch;
    };
    let list = matches!(
        h.command,
        cmd::LIST_IDENTITY | cmd::LIST_SERVICES | cmd::LIST_INTERFACES
    ) || (port_match && h.command == cmd::LIST_TARGETS);
    if !list || h.options != 0 {
        return Probe::NoMatch;
    }
    // A reply can come either way on a flow between two 44818 ports; requests have no data.
    let as_request = h.length == 0;
    let len = h.length as usize;
    if port_match {
        let ok = if as_request {
            h.status == 0 && rest.len() <= 8
        } else {
            parser::header_plausible(&h, rest, false).unwrap_or(rest.len() >= 2)
        };
        return if ok { Probe::Match } else { Probe::NoMatch };
    }
    let _ = to_server;
    if rest.len() != len {
        return Probe::NoMatch;
    }
    let ok = if as_request {
        h.status == 0 && h.session == 0
    } else {
        matches!(parser::parse_cpf(rest), Ok((r, c)) if r.is_empty() && c.count >= 1 && c.count <= 8)
    };
    if ok { Probe::Match } else { Probe::NoMatch }
}

/// Implicit I/O probe: a CPF of a sequenced address item and a connected data item, exactly
/// filling the datagram.
pub fn probe_io(_dir: Dir, data: &[u8], port_match: bool) -> Probe {
    match parser::parse_io(data) {
        Ok((rest, io)) if rest.is_empty() && io.extra_items <= 2 => {
            if port_match || io.extra_items == 0 {
                Probe::Match
            } else {
                Probe::NoMatch
            }
        }
        _ => Probe::NoMatch,
    }
}

fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

/// The TCP dissector (one per flow).
pub struct EnipStream {
    st: EnipState,
    /// Per direction: the framing is trusted (a plausible header was found).
    synced: [bool; 2],
    /// Per direction: inside a run of skipped garbage (one anomaly per run).
    skipping: [bool; 2],
    /// Per direction: a PDU whose header was read is waiting for the rest of its body.
    partial: [bool; 2],
}

impl Default for EnipStream {
    fn default() -> Self {
        Self::new()
    }
}

impl EnipStream {
    pub fn new() -> Self {
        EnipStream {
            st: EnipState::new(),
            synced: [false; 2],
            skipping: [false; 2],
            partial: [false; 2],
        }
    }

    pub fn state(&self) -> &EnipState {
        &self.st
    }

    fn garbage(&mut self, d: usize, cx: &mut Cx<'_>) {
        if !self.skipping[d] {
            self.skipping[d] = true;
            cx.anomaly("garbage_skipped");
        }
    }
}

impl StreamDissector for EnipStream {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let d = di(dir);
        let to_server = dir == Dir::ToServer;
        let mut off = 0usize;
        loop {
            let rest = &data[off..];
            if rest.is_empty() {
                return Parsed::Consumed(off);
            }
            if !self.synced[d] {
                // Look for the next plausible header.
                let mut found = None;
                for p in 0..rest.len() {
                    match plausible_at(&rest[p..], to_server, true) {
                        Some(true) => {
                            found = Some((p, true));
                            break;
                        }
                        None => {
                            found = Some((p, false));
                            break;
                        }
                        Some(false) => {}
                    }
                }
                match found {
                    Some((p, complete)) => {
                        if p > 0 {
                            self.garbage(d, cx);
                        }
                        off += p;
                        if !complete {
                            // A candidate that needs more bytes to be judged: judged again on
                            // every byte that arrives. Asking for a whole header would leave
                            // it unjudged when the stream ends first, where the same bytes in
                            // one segment were judged (it may be rejected on its first two
                            // bytes), and the observations would depend on the segmentation.
                            return Parsed::NeedMore {
                                consumed: off,
                                needed: data.len() - off + 1,
                            };
                        }
                        self.synced[d] = true;
                        self.skipping[d] = false;
                        continue;
                    }
                    None => {
                        self.garbage(d, cx);
                        return Parsed::Consumed(data.len());
                    }
                }
            }
            if rest.len() < HEADER_LEN {
                self.partial[d] = true;
                return Parsed::NeedMore {
                    consumed: off,
                    needed: HEADER_LEN,
                };
            }
            let Ok((body, h)) = parser::parse_header(rest) else {
                return Parsed::NeedMore {
                    consumed: off,
                    needed: HEADER_LEN,
                };
            };
            if !parser::header_ok(&h) {
                cx.anomaly("bad_header");
                self.synced[d] = false;
                self.skipping[d] = true;
                off += 1;
                continue;
            }
            let total = HEADER_LEN + h.length as usize;
            if rest.len() < total {
                self.partial[d] = true;
                return Parsed::NeedMore {
                    consumed: off,
                    needed: total,
                };
            }
            self.partial[d] = false;
            self.st.pdu(dir, &h, &body[..h.length as usize], cx);
            off += total;
        }
    }

    fn gap(&mut self, dir: Dir, _len: u32, cx: &mut Cx<'_>) {
        // Missing bytes: trust nothing until a plausible header is found again.
        let d = di(dir);
        if self.partial[d] {
            // The capture lost the rest of a PDU (snap length, packet loss).
            cx.anomaly("truncated_pdu");
        }
        self.synced[d] = false;
        self.skipping[d] = false;
        self.partial[d] = false;
    }
}

/// The UDP dissector for port 44818 (one per flow).
#[derive(Default)]
pub struct EnipUdp {
    st: EnipState,
}

impl DatagramDissector for EnipUdp {
    fn datagram(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) {
        let mut i = data;
        // A datagram holds whole PDUs (normally one).
        for _ in 0..16 {
            if i.is_empty() {
                return;
            }
            let Ok((rest, h)) = parser::parse_header(i) else {
                cx.anomaly("truncated_datagram");
                return;
            };
            if !parser::header_ok(&h) {
                cx.anomaly("bad_header");
                return;
            }
            let len = h.length as usize;
            if rest.len() < len {
                cx.anomaly("truncated_datagram");
                self.st.pdu(dir, &h, rest, cx);
                return;
            }
            self.st.pdu(dir, &h, &rest[..len], cx);
            i = &rest[len..];
        }
    }
}

/// Connections tracked per implicit I/O flow.
const IO_MAX_CONNS: usize = 32;

#[derive(Default, Clone, Copy)]
struct Timing {
    n: u64,
    first: u64,
    last: u64,
}

impl Timing {
    fn add(&mut self, ts: u64) {
        if self.n == 0 {
            self.first = ts;
        }
        self.n += 1;
        self.last = self.last.max(ts);
    }

    /// Mean interval in nanoseconds.
    fn mean_ns(&self) -> Option<u64> {
        if self.n < 2 {
            return None;
        }
        Some(self.last.saturating_sub(self.first) / (self.n - 1))
    }
}

fn ms_from_ns(ns: u64) -> String {
    let tenths = ns.saturating_add(50_000) / 100_000;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The implicit I/O dissector (UDP 2222, one per flow).
#[derive(Default)]
pub struct CipIo {
    dirs: [Timing; 2],
    /// (direction, connection id, timing), bounded.
    conns: Vec<(usize, u32, Timing)>,
}

impl DatagramDissector for CipIo {
    fn datagram(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) {
        let d = di(dir);
        let io = match parser::parse_io(data) {
            Ok((rest, io)) => {
                if !rest.is_empty() {
                    cx.anomaly("trailing_bytes");
                }
                io
            }
            Err(_) => {
                cx.anomaly("bad_io_packet");
                return;
            }
        };
        let ts = cx.ev.ts.0;
        self.dirs[d].add(ts);
        let known = self
            .conns
            .iter()
            .position(|(cd, id, _)| *cd == d && *id == io.conn_id);
        match known {
            Some(k) => {
                if let Some((_, _, t)) = self.conns.get_mut(k) {
                    t.add(ts);
                }
            }
            None if self.conns.len() < IO_MAX_CONNS => {
                let mut t = Timing::default();
                t.add(ts);
                self.conns.push((d, io.conn_id, t));
                let (me, peer) = match dir {
                    Dir::ToServer => (Party::Client, cx.server),
                    Dir::ToClient => (Party::Server, cx.client),
                };
                cx.fact(me, "cip_io.connection", format!("id 0x{:08x}", io.conn_id));
                cx.fact(
                    me,
                    "cip_io.producer",
                    format!("id 0x{:08x} to {peer}", io.conn_id),
                );
            }
            None => {}
        }
        if dir == Dir::ToServer {
            cx.op(Op::Other, Some("implicit_io"));
        }
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        for (d, party) in [(0, Party::Client), (1, Party::Server)] {
            if let Some(ns) = self.dirs[d].mean_ns() {
                cx.fact(party, "cip_io.rate_ms", ms_from_ns(ns));
            }
        }
        for &(d, id, t) in &self.conns {
            if let Some(ns) = t.mean_ns() {
                let party = if d == 0 { Party::Client } else { Party::Server };
                cx.fact(
                    party,
                    "cip_io.connection_rate_ms",
                    format!("id 0x{id:08x} every {} ms", ms_from_ns(ns)),
                );
            }
        }
    }
}
