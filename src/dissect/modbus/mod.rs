//! Modbus/TCP (and Schneider UMAS inside function 90), passive.
//!
//! Framing: the MBAP header (transaction id, protocol id 0, length 2..=254, unit id) frames each
//! ADU; a segment may carry several ADUs and an ADU may span segments (`NeedMore`). The stream
//! is trusted only once a plausible header is found: at the start of a flow and after a gap, a
//! header at the first byte is accepted when its protocol id and length are plausible (any
//! function code: the flow is already known to be Modbus); anywhere else (garbage, a flow
//! picked up mid-PDU) the function code must be known and the ADU pass the structural check of
//! its body ([`parser::check_request`], [`parser::check_response`]). Requests travel to the
//! server, responses to the client; they are matched by (transaction id, unit id) in a table
//! bounded by `Limits::max_open_transactions`.
//!
//! Detection ([`probe`]): protocol id 0 and a sane length at the first byte, with the whole ADU
//! present and the next header (if any) plausible; without the port hint the function code
//! must also be known and the body pass the structural check. Further into the bytes (garbage
//! first, mid-stream start) a structurally valid ADU is needed, and two in a row without the
//! port hint.
//!
//! ## Operations (`cx.op`, one per request)
//! Details are `fc<N> <name>` (`fc3 read_holding_registers`), `fc8/<sub> <name>`,
//! `fc43/14 read_device_identification`, `fc90/0x<NN> umas_<name>`:
//! * `read`: 1-4, 20, 24; UMAS 0x20, 0x22, 0x24, 0x39, 0x50, 0x70;
//! * `write`: 5, 6, 15, 16, 21, 22, 23 (read/write multiple counts as a write); UMAS 0x23,
//!   0x25, 0x71;
//! * `diagnostics`: 7, 11, 12, 8 (other sub-functions); UMAS 0x04, 0x06, 0x0A, 0x58, 0x73;
//! * `reset`: 8/1 restart communications; `config_change`: 8/3, 8/4 force listen only;
//! * `identify`: 17 Report Server ID, 43/14 Read Device Identification; UMAS 0x02, 0x03;
//! * `connect`: UMAS 0x01 INIT_COMM; `login`: UMAS 0x10 take PLC reservation;
//! * `program_download`: UMAS 0x30-0x32 (Schneider's "upload", PC to PLC);
//!   `program_upload`: UMAS 0x33-0x35 (Schneider's "download", PLC to PC);
//! * `cpu_start` / `cpu_stop`: UMAS 0x40 / 0x41; `browse`: UMAS 0x26 data dictionary;
//! * `other`: unknown, user-defined and legacy function codes, 43/13 CANopen, other UMAS.
//!
//! ## Identity claims (server unless noted)
//! * Read Device Identification (source `modbus.read_device_id`, confidence 90): raw
//!   `modbus.VendorName`, `modbus.ProductCode`, `modbus.MajorMinorRevision`,
//!   `modbus.VendorUrl`, `modbus.ProductName`, `modbus.ModelName`,
//!   `modbus.UserApplicationName`, `modbus.object_0xNN` (reserved and private objects);
//!   normalised `vendor` (VendorName), `product` (ProductName), `model` (ModelName; ProductCode
//!   at 80 when the flow has shown no ModelName), `firmware` (MajorMinorRevision).
//! * Report Server ID (source `modbus.report_server_id`, 60): `modbus.server_id` (`0xNN`),
//!   `modbus.server_id_text` (printable additional data, or the whole identifier of stacks
//!   that send text then the run indicator, like pymodbus).
//! * UMAS (Schneider): `vendor` = `Schneider Electric` (source `modbus.umas`, 60) when the
//!   server answers function 90; READ_ID (source `modbus.umas_read_id`): `model` and
//!   `modbus.umas_cpu` (CPU module, 80), `modbus.umas_hardware_id` (`0xNNNNNNNN`, 80),
//!   `modbus.umas_com_version` (60) and `firmware` (40: the meaning of that word is reverse
//!   engineered, not documented); READ_PROJECT_INFO (source `modbus.umas_project_info`):
//!   `modbus.umas_project_name` (70) and `name` (50); INIT_COMM: `hostname` (50) when the
//!   PLC sends one; TAKE_PLC_RESERVATION request: `hostname` of the **client** (the
//!   engineering station's name, source `modbus.umas_reservation`, 60).
//!
//! ## Facts
//! * `modbus.unit_id` (server): a unit id that gave a normal response (first 32 per flow);
//!   several on one IP mean a gateway to serial devices.
//! * `modbus.exception` (server): `<function> <exception name>`, e.g. `3 illegal_data_address`,
//!   once per exception response (the count is the evidence count); 32 distinct per flow,
//!   plus up to 16 more for exception codes not seen yet.
//! * `modbus.run_indicator` (server): `on` / `off` from Report Server ID.
//! * `modbus.conformity_level` (server): `0xNN` of Read Device Identification responses
//!   (0x01-0x03 basic/regular/extended, +0x80 with individual access).
//! * `modbus.umas` (server): `true` when the server speaks Schneider UMAS.
//! * `modbus.umas_project_revision` (server): `a.b.c`; `modbus.umas_project_modified`
//!   (server): `YYYY-MM-DD hh:mm:ss` as the PLC states it.
//!
//! ## Anomalies
//! `garbage` (bytes skipped to resynchronise, one per run), `bad_protocol_id`, `bad_length`
//! (header that breaks the framing), `long_pdu` (length 255..=260, accepted),
//! `transaction_table_full`, `response_function_mismatch`, `exception_in_request`, body checks
//! (`bad_pdu_length`, `bad_quantity`, `bad_byte_count`, `bad_coil_value`,
//! `bad_reference_type`, `bad_mei_type`, `bad_read_device_id_code`, `bad_conformity_level`,
//! `bad_more_follows`, `bad_umas_status`, `unknown_exception_code`), identification objects
//! (`truncated_object`, `object_count_mismatch`, `trailing_bytes`,
//! `read_device_id_code_mismatch`), Report Server ID (`bad_run_indicator`, `empty_server_id`),
//! UMAS (`bad_umas_read_id`, `bad_umas_project_info`).

pub mod codes;
pub mod parser;
pub mod state;
#[cfg(test)]
mod tests;

use crate::dissect::text::device_string;
use crate::dissect::{Cx, Dir, Parsed, Party, Probe, StreamDissector};
use crate::inventory::observation::Op;
use codes::{FC_MEI, FC_UMAS, MEI_READ_DEVICE_ID, umas};
use parser::{Adu, Check, HeaderCheck, MBAP_LEN, Mbap};
use state::{FlowState, Tx};

/// Protocol name in reports.
pub const PROTO: &str = "modbus";
/// Usual server port.
pub const PORTS: &[u16] = &[502];
/// Bytes the probe looks at.
const PROBE_SCAN: usize = 2048;
/// Bytes skipped without a single ADU in the flow before giving up on it.
const DESYNC_AFTER: u64 = 64 * 1024;
/// Bytes needed to judge a candidate header: MBAP + function code.
const HEAD: usize = MBAP_LEN + 1;

#[inline]
fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn header(b: &[u8]) -> Option<Mbap> {
    parser::parse_mbap(b).ok().map(|(_, h)| h)
}

/// Whether `fc` can start an ADU in `dir` when looking for a header.
fn fc_plausible(dir: Dir, fc: u8, length: u16) -> bool {
    if codes::is_known_function(fc) {
        return true;
    }
    dir == Dir::ToClient && fc & 0x80 != 0 && fc & 0x7f != 0 && length == 3
}

/// The body of a complete ADU passes the structural check for its direction.
fn strict_ok(dir: Dir, fc: u8, body: &[u8]) -> bool {
    match dir {
        Dir::ToServer => parser::check_request(fc, body) == Check::Ok,
        Dir::ToClient if fc & 0x80 != 0 => parser::check_exception(body) == Check::Ok,
        Dir::ToClient => parser::check_response(fc, body) == Check::Ok,
    }
}

/// Cheap pre-filter of a candidate header (protocol id 0, length below 512) before parsing it.
#[inline]
fn quick_header(b: &[u8]) -> bool {
    matches!(b.get(2..5), Some([0, 0, 0 | 1]))
}

/// The first bytes of `b` can still be (the start of) an MBAP header.
fn prefix_plausible(b: &[u8]) -> bool {
    if b.len() >= 6 {
        return header_len_ok(b);
    }
    let zero = |i: usize| b.get(i).is_none_or(|&x| x == 0);
    zero(2) && zero(3) && zero(4)
}

fn header_len_ok(b: &[u8]) -> bool {
    match b.get(2..6) {
        Some(&[0, 0, hi, lo]) => (parser::MIN_LENGTH..=parser::MAX_LENGTH_TOLERATED)
            .contains(&u16::from_be_bytes([hi, lo])),
        _ => false,
    }
}

/// A complete, structurally valid ADU at the start of `b`: its length.
fn strict_adu(dir: Dir, b: &[u8]) -> Option<usize> {
    let h = header(b)?;
    let fc = *b.get(MBAP_LEN)?;
    if !h.plausible() || !fc_plausible(dir, fc, h.length) {
        return None;
    }
    let total = h.adu_len();
    let body = b.get(HEAD..total)?;
    strict_ok(dir, fc, body).then_some(total)
}

/// Detection: is this direction Modbus/TCP? See the module documentation.
pub fn probe(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    let data = &data[..data.len().min(PROBE_SCAN)];
    let mut pending = false;
    // A header at the first byte.
    if data.len() < HEAD {
        pending = prefix_plausible(data);
    } else if let Some(h) = header(data) {
        // On the Modbus port any function code will do (fuzzers and scanners start with
        // function 0 or user-defined codes); elsewhere a known one with a valid body.
        let fc = data[MBAP_LEN];
        if h.plausible() && (port_match || fc_plausible(dir, fc, h.length)) {
            let total = h.adu_len();
            match data.get(HEAD..total) {
                None => pending = true,
                Some(body) => {
                    let next = &data[total..];
                    if prefix_plausible(next) && (port_match || strict_ok(dir, fc, body)) {
                        return Probe::Match;
                    }
                }
            }
        }
    }
    // Further in: garbage or a mid-stream start before the first whole ADU.
    for p in 1..data.len() {
        let cand = &data[p..];
        if cand.len() < HEAD {
            break;
        }
        if !quick_header(cand) {
            continue;
        }
        let Some(h) = header(cand) else { break };
        if !h.plausible() || !fc_plausible(dir, cand[MBAP_LEN], h.length) {
            continue;
        }
        if cand.len() < h.adu_len() {
            // On the Modbus port, garbage may precede a request still in flight.
            pending |= port_match;
            continue;
        }
        let Some(total) = strict_adu(dir, cand) else {
            continue;
        };
        if port_match {
            return Probe::Match;
        }
        let next = &cand[total..];
        if next.len() < HEAD {
            pending |= prefix_plausible(next) && !next.is_empty();
            continue;
        }
        match header(next) {
            Some(h2) if h2.plausible() && next.len() < h2.adu_len() => pending = true,
            _ => {
                if strict_adu(dir, next).is_some() {
                    return Probe::Match;
                }
            }
        }
    }
    if pending && data.len() < PROBE_SCAN {
        Probe::NeedMore
    } else {
        Probe::NoMatch
    }
}

/// A new per-flow dissector.
pub fn new() -> Box<dyn StreamDissector> {
    Box::new(Modbus::default())
}

/// The Modbus/TCP dissector of one flow.
#[derive(Debug, Default)]
pub struct Modbus {
    st: FlowState,
}

/// Outcome of looking for a header in untrusted bytes.
enum Resync {
    /// An ADU starts `skip` bytes in.
    Found(usize),
    /// Skip `skip` bytes, then at least `needed` bytes are needed to decide.
    Wait { skip: usize, needed: usize },
}

impl Modbus {
    /// Framing state, for tests.
    pub fn state(&self) -> &FlowState {
        &self.st
    }

    fn skip(&mut self, d: usize, n: usize, cx: &mut Cx<'_>) {
        if n == 0 {
            return;
        }
        let ds = &mut self.st.dirs[d];
        ds.trust_start = false;
        ds.garbage_since_adu = ds.garbage_since_adu.saturating_add(n as u64);
        if !ds.in_garbage {
            ds.in_garbage = true;
            cx.anomaly("garbage");
        }
    }

    fn resync(&mut self, dir: Dir, b: &[u8], cx: &mut Cx<'_>) -> Resync {
        let d = di(dir);
        let trust = self.st.dirs[d].trust_start;
        for p in 0..b.len() {
            let cand = &b[p..];
            if cand.len() < HEAD {
                self.skip(d, p, cx);
                return Resync::Wait {
                    skip: p,
                    needed: HEAD,
                };
            }
            if !quick_header(cand) {
                continue;
            }
            let Some(h) = header(cand) else { break };
            if !h.plausible() {
                continue;
            }
            // At a segment start of a flow already recognised, a plausible header is enough
            // (unknown and user-defined function codes included).
            if trust && p == 0 {
                return Resync::Found(0);
            }
            let fc = cand[MBAP_LEN];
            if !fc_plausible(dir, fc, h.length) {
                continue;
            }
            let total = h.adu_len();
            match cand.get(HEAD..total) {
                None => {
                    self.skip(d, p, cx);
                    return Resync::Wait {
                        skip: p,
                        needed: total,
                    };
                }
                Some(body) => {
                    if strict_ok(dir, fc, body) {
                        self.skip(d, p, cx);
                        return Resync::Found(p);
                    }
                }
            }
        }
        let skip = b.len().saturating_sub(HEAD - 1);
        self.skip(d, skip, cx);
        Resync::Wait { skip, needed: HEAD }
    }

    fn unsync(&mut self, d: usize) {
        self.st.dirs[d].synced = false;
        self.st.dirs[d].trust_start = false;
    }

    fn adu(&mut self, dir: Dir, bytes: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, adu)) = parser::parse_adu(bytes) else {
            // The caller framed it; cannot happen, but malformed is data.
            cx.anomaly("bad_length");
            return;
        };
        if adu.hdr.check() == HeaderCheck::Long {
            cx.anomaly("long_pdu");
        }
        let ds = &mut self.st.dirs[di(dir)];
        ds.adus = ds.adus.saturating_add(1);
        ds.garbage_since_adu = 0;
        ds.in_garbage = false;
        match dir {
            Dir::ToServer => self.request(&adu, cx),
            Dir::ToClient => self.response(&adu, cx),
        }
    }

    fn request(&mut self, adu: &Adu<'_>, cx: &mut Cx<'_>) {
        let (fc, body) = (adu.fc, adu.body);
        if adu.is_exception() {
            cx.anomaly("exception_in_request");
            cx.op(Op::Other, Some("invalid_function"));
            return;
        }
        if let Check::Bad(kind) = parser::check_request(fc, body) {
            cx.anomaly(kind);
        }
        let mut sub = 0u16;
        let mut arg = 0u8;
        let (op, detail) = match fc {
            8 => match parser::parse_diagnostics(body) {
                Ok((_, s)) => {
                    sub = s;
                    codes::diagnostics_op(s)
                }
                Err(_) => codes::function_op(fc),
            },
            FC_MEI => match body.split_first() {
                Some((&mei, rest)) => {
                    sub = u16::from(mei);
                    if mei == MEI_READ_DEVICE_ID {
                        if let Ok((_, r)) = parser::parse_device_id_request(rest) {
                            arg = r.code;
                        }
                    }
                    codes::mei_op(mei)
                }
                None => codes::function_op(fc),
            },
            FC_UMAS => match parser::parse_umas(body) {
                Ok((_, u)) => {
                    sub = u16::from(u.code);
                    arg = u.data.first().copied().unwrap_or(0);
                    if u.code == umas::TAKE_PLC_RESERVATION {
                        if let Ok((_, name)) = parser::parse_umas_reservation(u.data) {
                            let name = device_string(name);
                            cx.claim(
                                Party::Client,
                                "hostname",
                                &name,
                                "modbus.umas_reservation",
                                60,
                            );
                        }
                    }
                    codes::umas_op(u.code)
                }
                Err(_) => codes::function_op(fc),
            },
            _ => codes::function_op(fc),
        };
        cx.op(op, Some(detail));
        let tx = Tx {
            transaction: adu.hdr.transaction,
            unit: adu.hdr.unit,
            fc,
            sub,
            arg,
        };
        if self.st.tx.open(tx, cx.limits.max_open_transactions) {
            cx.anomaly("transaction_table_full");
        }
    }

    fn response(&mut self, adu: &Adu<'_>, cx: &mut Cx<'_>) {
        let base = adu.fc & 0x7f;
        let req = self.st.tx.close(adu.hdr.transaction, adu.hdr.unit);
        if let Some(t) = req {
            if t.fc != base {
                cx.anomaly("response_function_mismatch");
            }
        }
        if adu.is_exception() {
            self.exception(base, adu.body, cx);
            return;
        }
        if let Check::Bad(kind) = parser::check_response(adu.fc, adu.body) {
            cx.anomaly(kind);
        }
        if self.st.new_unit(adu.hdr.unit) {
            cx.fact(Party::Server, "modbus.unit_id", adu.hdr.unit.to_string());
        }
        match adu.fc {
            17 => report_server_id(adu.body, cx),
            FC_MEI if adu.body.first() == Some(&MEI_READ_DEVICE_ID) => {
                self.device_id(req, &adu.body[1..], cx)
            }
            FC_UMAS => self.umas_response(req, adu.body, cx),
            _ => {}
        }
    }

    fn exception(&mut self, fc: u8, body: &[u8], cx: &mut Cx<'_>) {
        if let Check::Bad(kind) = parser::check_exception(body) {
            cx.anomaly(kind);
        }
        let Some(&code) = body.first() else { return };
        if self.st.exception_slot(fc, code) {
            let v = match codes::exception_name(code) {
                Some(n) => format!("{fc} {n}"),
                None => format!("{fc} code_{code}"),
            };
            cx.fact(Party::Server, "modbus.exception", v);
        }
    }

    /// Read Device Identification response, after the MEI type.
    fn device_id(&mut self, req: Option<Tx>, b: &[u8], cx: &mut Cx<'_>) {
        const SRC: &str = "modbus.read_device_id";
        let Ok((_, r)) = parser::parse_device_id_response(b) else {
            return; // counted by check_response
        };
        if let Some(t) = req.filter(|t| t.fc == FC_MEI && t.sub == u16::from(MEI_READ_DEVICE_ID)) {
            if t.arg != 0 && t.arg != r.code {
                cx.anomaly("read_device_id_code_mismatch");
            }
        }
        cx.fact(
            Party::Server,
            "modbus.conformity_level",
            format!("0x{:02x}", r.conformity),
        );
        let mut objects = parser::Objects::new(&r);
        let mut product_code = None;
        let mut model_name = false;
        for (id, value) in objects.by_ref() {
            let v = device_string(value);
            if v.is_empty() {
                continue;
            }
            cx.claim(
                Party::Server,
                codes::OBJECT_FIELDS[usize::from(id)],
                &v,
                SRC,
                90,
            );
            match id {
                0x00 => cx.claim(Party::Server, "vendor", &v, SRC, 90),
                0x01 => product_code = Some(v),
                0x02 => cx.claim(Party::Server, "firmware", &v, SRC, 90),
                0x04 => cx.claim(Party::Server, "product", &v, SRC, 90),
                0x05 => {
                    model_name = true;
                    cx.claim(Party::Server, "model", &v, SRC, 90);
                }
                _ => {}
            }
        }
        if objects.truncated {
            cx.anomaly("truncated_object");
        } else if objects.left() > 0 {
            cx.anomaly("object_count_mismatch");
        } else if !objects.rest().is_empty() {
            cx.anomaly("trailing_bytes");
        }
        self.st.model_name_seen |= model_name;
        if let Some(pc) = product_code {
            if !self.st.model_name_seen {
                cx.claim(Party::Server, "model", &pc, SRC, 80);
            }
        }
    }

    fn umas_response(&mut self, req: Option<Tx>, body: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, u)) = parser::parse_umas(body) else {
            return; // counted by check_response
        };
        if u.code != umas::RESPONSE_OK && u.code != umas::RESPONSE_ERROR {
            return;
        }
        if !self.st.umas_reported {
            self.st.umas_reported = true;
            cx.claim(
                Party::Server,
                "vendor",
                "Schneider Electric",
                "modbus.umas",
                60,
            );
            cx.fact(Party::Server, "modbus.umas", "true");
        }
        let Some(req) = req.filter(|t| t.fc == FC_UMAS) else {
            return;
        };
        if u.code != umas::RESPONSE_OK {
            return;
        }
        match u8::try_from(req.sub).unwrap_or(0) {
            umas::READ_ID => {
                const SRC: &str = "modbus.umas_read_id";
                let Ok((_, id)) = parser::parse_umas_plc_id(u.data) else {
                    cx.anomaly("bad_umas_read_id");
                    return;
                };
                let cpu = device_string(id.name);
                cx.claim(Party::Server, "modbus.umas_cpu", &cpu, SRC, 80);
                cx.claim(Party::Server, "model", &cpu, SRC, 80);
                let hw = format!("0x{:08x}", id.ident);
                cx.claim(Party::Server, "modbus.umas_hardware_id", &hw, SRC, 80);
                let [major, minor] = id.com_version.to_be_bytes();
                let v = format!("{major:x}.{minor:02x}");
                cx.claim(Party::Server, "modbus.umas_com_version", &v, SRC, 60);
                // Versions are written in BCD-like hex (0x0270 = 2.70).
                let bcd = |x: u8| x >> 4 <= 9 && x & 0xf <= 9;
                if id.com_version != 0 && bcd(major) && bcd(minor) {
                    cx.claim(Party::Server, "firmware", &v, SRC, 40);
                }
            }
            umas::INIT_COMM => {
                if let Ok((_, ic)) = parser::parse_umas_init_comm(u.data) {
                    let h = device_string(ic.hostname);
                    cx.claim(Party::Server, "hostname", &h, "modbus.umas_init_comm", 50);
                }
            }
            // Sub-code 0 asks for the project identification (other sub-codes return other
            // layouts).
            umas::READ_PROJECT_INFO if req.arg == 0 => {
                const SRC: &str = "modbus.umas_project_info";
                if let Ok((_, p)) = parser::parse_umas_project_info(u.data) {
                    if !p.plausible() {
                        cx.anomaly("bad_umas_project_info");
                        return;
                    }
                    let name = device_string(p.name);
                    cx.claim(Party::Server, "modbus.umas_project_name", &name, SRC, 70);
                    cx.claim(Party::Server, "name", &name, SRC, 50);
                    let (a, b, c) = p.revision;
                    cx.fact(
                        Party::Server,
                        "modbus.umas_project_revision",
                        format!("{a}.{b}.{c}"),
                    );
                    let (s, mi, h, d, mo, y) = p.modified;
                    cx.fact(
                        Party::Server,
                        "modbus.umas_project_modified",
                        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Text a person can read (no control characters), or `None`.
fn printable(b: &[u8]) -> Option<String> {
    let s = device_string(b);
    (!s.is_empty() && !s.starts_with("hex:") && !s.chars().any(char::is_control)).then_some(s)
}

/// Report Server ID (17) response: byte count, server id, run indicator (0x00 off, 0xFF on),
/// additional data. Some stacks (pymodbus) send an identifier text then the run indicator.
fn report_server_id(body: &[u8], cx: &mut Cx<'_>) {
    const SRC: &str = "modbus.report_server_id";
    let Ok((_, data)) = parser::parse_server_id_response(body) else {
        return; // counted by check_response
    };
    let run = |cx: &mut Cx<'_>, r: u8| {
        cx.fact(
            Party::Server,
            "modbus.run_indicator",
            if r == 0 { "off" } else { "on" },
        );
    };
    match data {
        [] => cx.anomaly("empty_server_id"),
        [id, r, extra @ ..] if *r == 0x00 || *r == 0xff => {
            cx.claim(
                Party::Server,
                "modbus.server_id",
                &format!("0x{id:02x}"),
                SRC,
                60,
            );
            run(cx, *r);
            if let Some(t) = printable(extra) {
                cx.claim(Party::Server, "modbus.server_id_text", &t, SRC, 60);
            }
        }
        [text @ .., r]
            if (*r == 0x00 || *r == 0xff) && text.len() >= 2 && printable(text).is_some() =>
        {
            if let Some(t) = printable(text) {
                cx.claim(Party::Server, "modbus.server_id_text", &t, SRC, 60);
            }
            run(cx, *r);
        }
        [id, ..] => {
            cx.anomaly("bad_run_indicator");
            cx.claim(
                Party::Server,
                "modbus.server_id",
                &format!("0x{id:02x}"),
                SRC,
                60,
            );
        }
    }
}

impl StreamDissector for Modbus {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let d = di(dir);
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            if !self.st.dirs[d].synced {
                match self.resync(dir, rest, cx) {
                    Resync::Found(p) => {
                        off += p;
                        let ds = &mut self.st.dirs[d];
                        ds.synced = true;
                        ds.trust_start = false;
                        ds.in_garbage = false;
                        continue;
                    }
                    Resync::Wait { skip, needed } => {
                        let ds = &self.st.dirs[d];
                        if ds.garbage_since_adu > DESYNC_AFTER && self.st.total_adus() == 0 {
                            return Parsed::Desync { consumed: off };
                        }
                        return Parsed::NeedMore {
                            consumed: off + skip,
                            needed,
                        };
                    }
                }
            }
            if rest.len() < HEAD {
                return Parsed::NeedMore {
                    consumed: off,
                    needed: HEAD,
                };
            }
            let Some(h) = header(rest) else {
                return Parsed::NeedMore {
                    consumed: off,
                    needed: HEAD,
                };
            };
            match h.check() {
                HeaderCheck::BadProtocol => {
                    cx.anomaly("bad_protocol_id");
                    self.unsync(d);
                    continue;
                }
                HeaderCheck::BadLength => {
                    cx.anomaly("bad_length");
                    self.unsync(d);
                    continue;
                }
                HeaderCheck::Ok | HeaderCheck::Long => {}
            }
            let total = h.adu_len();
            if rest.len() < total {
                return Parsed::NeedMore {
                    consumed: off,
                    needed: total,
                };
            }
            self.adu(dir, &rest[..total], cx);
            off += total;
        }
        Parsed::Consumed(off)
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        let ds = &mut self.st.dirs[di(dir)];
        ds.synced = false;
        ds.trust_start = true;
        ds.in_garbage = false;
    }
}
