//! TPKT (RFC 1006) / COTP (ISO 8073 class 0) and what rides on it: Siemens S7comm (0x32),
//! S7comm-plus (0x72), ISO session/presentation/MMS (IEC 61850), or something else.
//!
//! One [`StreamSpec`] (`s7comm`, port 102) covers the family; the dissector refines the
//! flow's protocol from the first COTP data unit (`Cx::set_proto`): `s7comm`, `s7comm_plus`,
//! `mms` or `iso_tsap`. The probe is content based (TPKT version 3, reserved 0, sane length,
//! a class-0 TPDU; a CR/CC needs TSAP parameters or a following data unit that opens an S7,
//! S7comm-plus or session unit), so it works on any port and leaves RDP's X.224 connection
//! requests (`Cookie: mstshash=`, rdpNegReq without TSAPs) to the RDP dissector.
//!
//! Layers:
//! * TPKT framing with resynchronisation: garbage is skipped to the next plausible header
//!   (anomaly `garbage`); after a gap, or at the start of a flow, only a strongly plausible
//!   header is trusted.
//! * COTP: CR/CC (TSAPs, reported once the flow's protocol is known, with the CR's frame as
//!   evidence), DT with end-of-TSDU reassembly bounded by `Limits::max_pdu_bytes` (anomaly
//!   `cotp_reassembly_too_large`), DR (fact), ER (anomaly).
//! * S7comm: header, jobs (setup communication, read/write var with item checks, up/download
//!   with block names, PI services, PLC stop), ack_data (negotiated PDU size, rejected control
//!   jobs), userdata (all function groups; SZL reads decoded for identity, protection, mode;
//!   password with its outcome), request/response matching by PDU reference in a table bounded
//!   by `Limits::max_open_transactions`, SZL answers reassembled from userdata fragments
//!   (bounded by [`state::MAX_SZL_REASM`]).
//! * S7comm-plus: version, opcode, function code, fragment tracking; order number and firmware
//!   strings from the session objects the PLC sends in clear.
//! * MMS: session CONNECT and DATA TRANSFER; confirmed requests classified by service, the
//!   identify response read for identity. MMS is not dissected further.
//!
//! ## Claims (identity, on the side that answered)
//! * `order_number`, `s7comm.order_number` (95, `s7comm.szl_0x0011` / `s7comm.szl_0x0111`):
//!   MLFB of SZL xy11 index 1, trimmed (`6ES7 315-2EH14-0AB0`).
//! * `hardware_version`, `s7comm.hardware_version` (90): xy11 index 6 Ausbg.
//! * `firmware`, `s7comm.firmware` (95): xy11 index 7 as Siemens writes it: the first Ausbg
//!   byte is a letter, then the other three bytes as numbers (`V3.2.6` from 56 03 02 06).
//! * `s7comm.boot_loader` (90): xy11 index 0x81, same rendering (`A32.9.9`).
//! * `vendor` = `Siemens` (80) when an SZL module identification answers; `product` (70) from
//!   the order number family (6ES7 31x S7-300, 41x S7-400, 21x S7-1200, 51x S7-1500, 15x
//!   ET 200) — deliberately minimal, the inventory's signatures map families precisely.
//! * From SZL xy1C (`s7comm.szl_0x001c` / `s7comm.szl_0x011c`): `s7comm.as_name` (90) and
//!   `name` (70) [index 1]; `s7comm.module_name` (90) and `name` (80) [2]; `s7comm.plant_id`
//!   [3]; `s7comm.copyright` [4]; `serial`, `s7comm.serial_number` (90) [5]; `model`,
//!   `s7comm.module_type_name` (90) [7]; `s7comm.memory_card_serial` [8];
//!   `s7comm.manufacturer_id`, `s7comm.profile_id`, `s7comm.profile_specific_type` [9];
//!   `s7comm.oem_copyright`, `s7comm.oem_id`, `s7comm.oem_add_id` [10]; `s7comm.location` [11].
//! * S7comm-plus (`s7comm_plus.session`): `order_number` (85), `firmware` (80), `vendor`
//!   `Siemens` (80), `product` (70), from the `6ES7 ddd-xxxxx-xxxx ;Vn.n` strings of the
//!   CreateObject / GetVarSubStreamed responses.
//! * MMS identify response (`mms.identify`): `vendor`, `model` (85), `firmware` (80).
//!
//! ## Facts
//! * `s7comm.rack`, `s7comm.slot` (server): from the called TSAP's second byte (rack = b>>5,
//!   slot = b&0x1f), S7 flows only.
//! * `s7comm.connection_type` (server): `PG`, `OP` or `S7 basic` from the called TSAP's first
//!   byte.
//! * `cotp.called_tsap` (server), `cotp.calling_tsap` (client): hex (`0x0101`) or text
//!   (`SIMATIC-ROOT-ES`).
//! * `cotp.disconnect_reason` (server): name of a DR reason.
//! * `s7comm.pdu_size` (server): PDU size negotiated by setup communication.
//! * `s7comm.block_download` / `s7comm.block_upload` (server): block up/downloaded (`DB1`,
//!   `SDB1000`), at most [`state::MAX_REMEMBERED`] per flow.
//! * `s7comm.job_rejected` (server): a control job (write, download, PI, stop) answered with an
//!   error class (the job's name).
//! * `s7comm.szl_read` (server): SZL id read (`0x0011`), at most [`state::MAX_REMEMBERED`] per
//!   flow.
//! * `s7comm.cpu_state` (server): `RUN`, `STOP`, `STARTUP`, `HOLD`, `DEFECT`... from SZL xy24
//!   or a mode-transition push.
//! * `s7comm.protection_level` (server): effective protection level (sch_rel of SZL 0x0132
//!   index 4); `s7comm.password_set`: `true`/`false` (sch_par ≠ 0); `s7comm.mode_selector`:
//!   key switch position (`RUN`, `RUN-P`, `STOP`, `MRES`, `undefined`).
//! * `s7comm_plus.version` (server): `V1`, `V2` or `V3` (V1 only reported when nothing newer
//!   was seen: every session opens with a V1 CreateObject).
//! * `s7comm_plus.integrity` (server): `true` for V3 (integrity protected).
//! * `s7comm_plus.tls` (server): `true` when a TLS record rides in COTP (TIA V17+).
//! * `s7comm_plus.family` (server): `S7-1200/1500`.
//!
//! ## Operations (client on server)
//! `cotp_connect` (Connect); S7 jobs: `setup_communication` (Connect), `read_var` (Read),
//! `write_var` (Write), `request_download`/`download_block`/`download_ended`
//! (ProgramDownload, the latter two whichever side sends them), `start_upload`/`upload`/
//! `end_upload` (ProgramUpload), PI services by name (`pi_insert_block` ProgramDownload,
//! `pi_delete_block` ProgramDelete, `pi_program_start` CpuStart, `pi_copy_ram_to_rom` and
//! `pi_compress_memory` ConfigChange, `pi_nc_*`...), `plc_stop` (CpuStop); userdata requests
//! per [`codes::userdata_op`] (`szl_read` Identify, `plc_password` Login, `set_clock` TimeSet,
//! `read_clock`/`list_blocks`/`get_block_info`/`variable_status` Read, `modify_variable`/
//! `force` Write, `memory_reset` Reset, ...); S7comm-plus requests per [`codes::s7plus_op`];
//! MMS requests per [`codes::mms_op`] and `mms_initiate` (Connect).
//!
//! ## Authentication
//! `s7-password`: userdata security / PLC password; outcome from the response's error code
//! (0 Success, else Failure; Attempt when no response was seen); the secret is the 8 sent
//! bytes in hex (obfuscated, not cleartext).
//!
//! ## Anomalies
//! `garbage`, `cotp_malformed`, `cotp_bad_parameters`, `cotp_error_tpdu`,
//! `cotp_reassembly_too_large`, `s7_short_header`, `s7_length_mismatch`,
//! `s7_unknown_rosctr`, `s7_job_without_function`, `s7_var_items_malformed`,
//! `s7_block_control_malformed`, `s7_pi_malformed`, `s7_userdata_malformed`,
//! `szl_malformed`, `szl_reassembly_too_large`, `s7comm_plus_short`,
//! `s7comm_plus_length_mismatch`, `s7comm_plus_malformed`, `s7comm_plus_unknown_opcode`.

pub mod codes;
pub mod parser;
pub mod state;
#[cfg(test)]
mod tests;

use crate::dissect::text::device_string;
use crate::dissect::{Cx, Dir, Parsed, Party, Probe, StreamDissector, StreamSpec};
use crate::inventory::observation::{AuthEvent, Op, Outcome};
use parser::{Cotp, Header, S7Pdu, UdData, UdParam};
use state::{Flow, Kind, PendingConn, Secret, SzlReasm, Tsap, Tx, TxKind};

/// The TPKT/COTP family on TCP.
pub const SPEC: StreamSpec = StreamSpec {
    proto: "s7comm",
    ports: &[102],
    probe,
    new,
};

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(S7Dissector::default())
}

// ---------------------------------------------------------------------------------------------
// Probe

/// Content-based detection (see the module documentation). Away from port 102 the direction
/// counts too: a connection request, an S7 job or an S7comm-plus request travels to the
/// server, their answers back, so a flow picked up mid-stream and oriented by its ports the
/// wrong way round is found turned round (the engine tries both). On port 102 the port says
/// which side serves, and a configured two-way S7 connection carries jobs both ways.
pub fn probe(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    let to_server = (!port_match).then_some(dir == Dir::ToServer);
    probe_at(data, port_match, to_server, false, 0)
}

/// Whether a unit that travels to the server (`request`) or to the client may travel the way
/// the probe was asked about.
fn way_ok(to_server: Option<bool>, request: bool) -> bool {
    to_server.is_none_or(|t| t == request)
}

/// [`way_ok`] for a unit of `len` bytes whose byte at `at` tells its way (`request`: to the
/// server, back, or either); `None` while that byte has not arrived, so that the answer does
/// not depend on where the segments end.
fn way_by(
    data: &[u8],
    at: usize,
    len: usize,
    to_server: Option<bool>,
    request: impl Fn(u8) -> Option<bool>,
) -> Option<bool> {
    if to_server.is_none() || at >= len {
        // No direction asked, or a unit too short to hold the byte (it may be the next one's).
        return Some(true);
    }
    data.get(at)
        .map(|&b| request(b).is_none_or(|r| way_ok(to_server, r)))
}

/// First bytes of RDP's MCS PDUs inside X.224 data (Connect-Initial/Response, erect domain,
/// attach user, channel join, send data, disconnect provider ultimatum).
fn rdp_mcs(p0: u8) -> bool {
    matches!(
        p0,
        0x7F | 0x04 | 0x28 | 0x2E | 0x38 | 0x3E | 0x64 | 0x68 | 0x20 | 0x21
    )
}

/// An RDP negotiation request/response/failure (type 1, 2 or 3, length 8).
fn rdp_neg(b: &[u8]) -> bool {
    b.len() >= 8 && matches!(b[0], 1..=3) && b[2] == 8 && b[3] == 0
}

fn probe_at(
    data: &[u8],
    port_match: bool,
    to_server: Option<bool>,
    strict: bool,
    depth: u8,
) -> Probe {
    if depth > 4 {
        return Probe::NoMatch;
    }
    match data.first() {
        None => return Probe::NeedMore,
        Some(&3) => {}
        Some(_) => return Probe::NoMatch,
    }
    if data.get(1).is_some_and(|&b| b != 0) {
        return Probe::NoMatch;
    }
    if data.len() < 6 {
        return Probe::NeedMore;
    }
    let len = u16::from_be_bytes([data[2], data[3]]) as usize;
    let li = data[4] as usize;
    let code = data[5];
    if len < parser::TPKT_MIN || li == 0 || 5 + li > len {
        return Probe::NoMatch;
    }
    match code & 0xF0 {
        codes::COTP_DT => {
            if li != 2 {
                return Probe::NoMatch;
            }
            if len == parser::TPKT_MIN {
                // An empty data unit: decide on the next one.
                return match data.get(7..) {
                    Some(rest) if !rest.is_empty() => {
                        probe_at(rest, port_match, to_server, strict, depth + 1)
                    }
                    _ => Probe::NeedMore,
                };
            }
            let (Some(&p0), Some(&p1)) = (data.get(7), data.get(8)) else {
                return Probe::NeedMore;
            };
            let recognised = match p0 {
                // ROSCTR: a job goes to the server, (data) acknowledgements come back.
                codes::S7_PROTOCOL_ID => match p1 {
                    1 => way_ok(to_server, true),
                    2 | 3 => way_ok(to_server, false),
                    // Userdata: the type nibble after the parameter head (00 01 12, length,
                    // method) is 4 for a request, 8 for a response and 0 for a push.
                    7 => match way_by(data, 22, len, to_server, |b| match b >> 4 {
                        4 => Some(true),
                        0 | 8 => Some(false),
                        _ => None,
                    }) {
                        Some(ok) => ok,
                        None => return Probe::NeedMore,
                    },
                    _ => false,
                },
                // After the length: opcode 0x31 request, 0x32 response, 0x33 notification.
                codes::S7PLUS_PROTOCOL_ID if matches!(p1, 1 | 2 | 3 | 0xFF) => {
                    match way_by(data, 11, len, to_server, |b| match b {
                        0x31 => Some(true),
                        0x32 | 0x33 => Some(false),
                        _ => None,
                    }) {
                        Some(ok) => ok,
                        None => return Probe::NeedMore,
                    }
                }
                codes::SPDU_DT_GT => p1 == 0,
                b if codes::is_session_spdu(b) => p1 == 0xFF || (p1 as usize) + 9 <= len,
                b if parser::is_tls_record_type(b) => p1 == 3 && port_match,
                _ => false,
            };
            if recognised {
                Probe::Match
            } else if port_match && !strict && !rdp_mcs(p0) {
                // Something else over ISO-on-TCP on its own port.
                Probe::Match
            } else {
                Probe::NoMatch
            }
        }
        codes::COTP_CR | codes::COTP_CC => {
            if strict || li < 6 || len > 512 {
                return Probe::NoMatch;
            }
            let Some(frame) = data.get(..len) else {
                return Probe::NeedMore;
            };
            if memchr::memmem::find(frame, b"Cookie:").is_some()
                || memchr::memmem::find(frame, b"mstshash").is_some()
            {
                return Probe::NoMatch;
            }
            let Ok((_, tpdu)) = parser::parse_cotp(&frame[4..]) else {
                return Probe::NoMatch;
            };
            let (Cotp::Cr(c) | Cotp::Cc(c)) = tpdu else {
                return Probe::NoMatch;
            };
            if !way_ok(to_server, code & 0xF0 == codes::COTP_CR) {
                return Probe::NoMatch;
            }
            if c.calling_tsap.is_some() || c.called_tsap.is_some() {
                return Probe::Match;
            }
            if rdp_neg(c.var) || rdp_neg(c.user) {
                return Probe::NoMatch;
            }
            // No TSAP: only a following data unit that opens an S7, S7comm-plus or session
            // unit makes it ours.
            match data.get(len..) {
                Some(rest) if !rest.is_empty() => {
                    probe_at(rest, port_match, to_server, true, depth + 1)
                }
                _ => Probe::NeedMore,
            }
        }
        codes::COTP_DR | codes::COTP_DC if port_match && !strict => {
            if data.len() < len {
                Probe::NeedMore
            } else {
                Probe::Match
            }
        }
        _ => Probe::NoMatch,
    }
}

// ---------------------------------------------------------------------------------------------
// Dissector

#[inline]
fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

/// The side that sent a response in direction `dir`.
#[inline]
fn responder(dir: Dir) -> Party {
    match dir {
        Dir::ToClient => Party::Server,
        Dir::ToServer => Party::Client,
    }
}

/// One TPKT/COTP flow.
#[derive(Debug, Default)]
pub struct S7Dissector {
    pub(crate) f: Flow,
}

impl StreamDissector for S7Dissector {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let d = di(dir);
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            let strong = self.f.dirs[d].resync;
            match parser::check_header(rest, strong) {
                Header::Incomplete(n) => {
                    return Parsed::NeedMore {
                        consumed: off,
                        needed: n,
                    };
                }
                Header::Frame(len) => {
                    let Some(frame) = rest.get(..len) else {
                        return Parsed::NeedMore {
                            consumed: off,
                            needed: len,
                        };
                    };
                    self.f.dirs[d].resync = false;
                    self.f.dirs[d].fresh = false;
                    self.f.frames = self.f.frames.saturating_add(1);
                    self.tpkt(dir, frame, cx);
                    off += len;
                }
                Header::Bad => {
                    if !strong {
                        // In sync and not a header: garbage (unless nothing was seen yet in
                        // this direction: a flow picked up mid-stream). Whatever was being
                        // reassembled in this direction cannot be trusted either.
                        if !self.f.dirs[d].fresh {
                            cx.anomaly("garbage");
                        }
                        self.f.dirs[d].reset();
                        self.f.dirs[d].fresh = false;
                    }
                    let skip = memchr::memchr(3, &rest[1..]).map_or(rest.len(), |k| k + 1);
                    self.f.garbage = self.f.garbage.saturating_add(skip as u64);
                    off += skip;
                    if self.f.frames == 0 && self.f.garbage > state::DESYNC_AFTER {
                        return Parsed::Desync { consumed: off };
                    }
                }
            }
        }
        Parsed::Consumed(off)
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        self.f.dirs[di(dir)].reset();
        if self.f.szl.as_ref().is_some_and(|r| r.dir == dir) {
            self.f.szl = None;
        }
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        if self.f.kind == Kind::Unknown {
            // No data unit: decide from the TSAPs of the connection request.
            let k = match self.f.pending.and_then(|p| p.called) {
                Some(t) if t.len == 2 && codes::connection_type(t.bytes[0]).is_some() => Kind::S7,
                Some(t) if t.as_slice().starts_with(b"SIMATIC-") => Kind::S7Plus,
                _ => Kind::IsoTsap,
            };
            self.classify(k, cx);
        }
        let unanswered: Vec<Tx> = self.f.tx.drain().filter(|t| t.secret.is_some()).collect();
        for t in unanswered {
            self.password_auth(Outcome::Attempt, t.secret, Some(t.ev), cx);
        }
        let p = &mut self.f.plus;
        if p.seen == 1 << 1 && p.reported & (1 << 1) == 0 {
            p.reported |= 1 << 1;
            cx.fact(Party::Server, "s7comm_plus.version", "V1");
        }
    }
}

impl S7Dissector {
    /// One complete TPKT.
    fn tpkt(&mut self, dir: Dir, frame: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, tpdu)) = parser::parse_cotp(frame.get(4..).unwrap_or(&[])) else {
            cx.anomaly("cotp_malformed");
            return;
        };
        match tpdu {
            Cotp::Dt { eot, data, .. } => self.dt(dir, eot, data, cx),
            Cotp::Cr(c) | Cotp::Cc(c) => {
                let is_cr = matches!(tpdu, Cotp::Cr(_));
                if c.params_malformed {
                    cx.anomaly("cotp_bad_parameters");
                }
                let keep = match &self.f.pending {
                    None => true,
                    Some(p) => is_cr && !p.from_cr,
                };
                if keep && (self.f.kind == Kind::Unknown || is_cr) {
                    self.f.pending = Some(PendingConn {
                        calling: c.calling_tsap.map(Tsap::new),
                        called: c.called_tsap.map(Tsap::new),
                        ev: cx.ev,
                        from_cr: is_cr,
                    });
                    if self.f.kind != Kind::Unknown {
                        self.emit_pending(cx);
                    }
                }
            }
            Cotp::Dr { reason, .. } => {
                cx.fact(
                    Party::Server,
                    "cotp.disconnect_reason",
                    codes::dr_reason(reason),
                );
            }
            Cotp::Dc => {}
            Cotp::Er { .. } => cx.anomaly("cotp_error_tpdu"),
            Cotp::Other { .. } => cx.anomaly("cotp_malformed"),
        }
    }

    /// A COTP data TPDU: reassemble until end-of-TSDU (bounded), then handle the unit.
    fn dt(&mut self, dir: Dir, eot: bool, data: &[u8], cx: &mut Cx<'_>) {
        let max = cx.limits.max_pdu_bytes;
        let ds = &mut self.f.dirs[di(dir)];
        if ds.reasm_overflow {
            if eot {
                ds.reasm_overflow = false;
            }
            return;
        }
        if !eot || !ds.reasm.is_empty() {
            if ds.reasm.len().saturating_add(data.len()) > max {
                cx.anomaly("cotp_reassembly_too_large");
                ds.reasm.clear();
                ds.reasm_overflow = !eot;
                return;
            }
            ds.reasm.extend_from_slice(data);
            if !eot {
                return;
            }
            let mut buf = std::mem::take(&mut ds.reasm);
            self.unit(dir, &buf, cx);
            buf.clear();
            if buf.capacity() <= state::KEEP_CAPACITY {
                self.f.dirs[di(dir)].reasm = buf;
            }
            return;
        }
        self.unit(dir, data, cx);
    }

    /// A complete COTP data unit (TSDU).
    fn unit(&mut self, dir: Dir, p: &[u8], cx: &mut Cx<'_>) {
        let (Some(&p0), p1) = (p.first(), p.get(1).copied()) else {
            return;
        };
        match p0 {
            codes::S7_PROTOCOL_ID => {
                self.classify(Kind::S7, cx);
                self.s7(dir, p, cx);
            }
            codes::S7PLUS_PROTOCOL_ID => {
                self.classify(Kind::S7Plus, cx);
                self.s7plus(dir, p, cx);
            }
            b if parser::is_tls_record_type(b) && p1 == Some(3) => {
                self.classify(Kind::S7Plus, cx);
                if !self.f.plus.tls_reported {
                    self.f.plus.tls_reported = true;
                    cx.fact(Party::Server, "s7comm_plus.tls", "true");
                }
            }
            b if codes::is_session_spdu(b) => {
                self.classify(Kind::Mms, cx);
                self.mms(dir, p, cx);
            }
            _ => self.classify(Kind::IsoTsap, cx),
        }
    }

    /// Settle (or refine from `iso_tsap`) what the flow carries.
    fn classify(&mut self, k: Kind, cx: &mut Cx<'_>) {
        let cur = self.f.kind;
        if cur == k || !(cur == Kind::Unknown || cur == Kind::IsoTsap) {
            return;
        }
        self.f.kind = k;
        cx.set_proto(k.proto());
        if cur == Kind::Unknown {
            self.emit_pending(cx);
        }
    }

    /// Report the connection request, with its own frame as evidence.
    fn emit_pending(&mut self, cx: &mut Cx<'_>) {
        let Some(p) = self.f.pending.take() else {
            return;
        };
        let saved = cx.ev;
        cx.ev = p.ev;
        if let Some(t) = p.called {
            let b = t.as_slice();
            if self.f.kind == Kind::S7 && b.len() == 2 {
                cx.fact(Party::Server, "s7comm.rack", (b[1] >> 5).to_string());
                cx.fact(Party::Server, "s7comm.slot", (b[1] & 0x1F).to_string());
                if let Some(ct) = codes::connection_type(b[0]) {
                    cx.fact(Party::Server, "s7comm.connection_type", ct);
                }
            }
            cx.fact(Party::Server, "cotp.called_tsap", tsap_text(b));
        }
        if let Some(t) = p.calling {
            cx.fact(Party::Client, "cotp.calling_tsap", tsap_text(t.as_slice()));
        }
        if p.from_cr {
            cx.op(Op::Connect, Some("cotp_connect"));
        }
        cx.ev = saved;
    }

    // -----------------------------------------------------------------------------------------
    // S7comm

    fn s7(&mut self, dir: Dir, p: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, pdu)) = parser::parse_s7(p) else {
            cx.anomaly("s7_short_header");
            return;
        };
        if pdu.truncated {
            cx.anomaly("s7_length_mismatch");
        }
        match pdu.rosctr {
            codes::ROSCTR_JOB => self.job(dir, &pdu, cx),
            codes::ROSCTR_ACK => {
                self.f.tx.take(pdu.pdu_ref);
            }
            codes::ROSCTR_ACK_DATA => self.ack_data(dir, &pdu, cx),
            codes::ROSCTR_USERDATA => self.userdata(dir, &pdu, cx),
            _ => cx.anomaly("s7_unknown_rosctr"),
        }
    }

    fn job(&mut self, dir: Dir, pdu: &S7Pdu<'_>, cx: &mut Cx<'_>) {
        let Some(&func) = pdu.params.first() else {
            cx.anomaly("s7_job_without_function");
            return;
        };
        let (mut op, mut detail) = codes::job_op(func);
        match func {
            codes::FN_READ_VAR | codes::FN_WRITE_VAR if !var_items_ok(pdu.params) => {
                cx.anomaly("s7_var_items_malformed");
            }
            codes::FN_REQUEST_DOWNLOAD
            | codes::FN_DOWNLOAD_BLOCK
            | codes::FN_DOWNLOAD_ENDED
            | codes::FN_START_UPLOAD => match parser::parse_block_control(pdu.params) {
                Ok((_, bc)) => {
                    if let Some(b) = bc.filename.and_then(parser::parse_block_name) {
                        self.block_fact(b, func == codes::FN_START_UPLOAD, cx);
                    }
                }
                Err(_) => cx.anomaly("s7_block_control_malformed"),
            },
            codes::FN_PI_SERVICE => match parser::parse_pi_service(pdu.params) {
                Ok((_, pi)) => (op, detail) = codes::pi_service(pi.service),
                Err(_) => cx.anomaly("s7_pi_malformed"),
            },
            codes::FN_PLC_STOP if parser::parse_plc_stop(pdu.params).is_err() => {
                cx.anomaly("s7_pi_malformed");
            }
            _ => {}
        }
        // Download blocks and "download ended" are jobs the PLC sends during the client's
        // download: they count as the client's operation whichever side sends them.
        if dir == Dir::ToServer
            || matches!(func, codes::FN_DOWNLOAD_BLOCK | codes::FN_DOWNLOAD_ENDED)
        {
            cx.op(op, Some(detail));
        }
        self.tx_insert(pdu.pdu_ref, TxKind::Job(func), None, cx);
    }

    fn ack_data(&mut self, dir: Dir, pdu: &S7Pdu<'_>, cx: &mut Cx<'_>) {
        let tx = self.f.tx.take(pdu.pdu_ref);
        let func = pdu.params.first().copied().or(match tx {
            Some(Tx {
                kind: TxKind::Job(f),
                ..
            }) => Some(f),
            _ => None,
        });
        let Some(func) = func else {
            return;
        };
        let error = pdu.error.is_some_and(|(class, _)| class != 0);
        if error {
            if codes::job_is_control(func) && self.f.rejected.add(func) {
                cx.fact(responder(dir), "s7comm.job_rejected", codes::job_op(func).1);
            }
            return;
        }
        if func == codes::FN_SETUP_COMM {
            if let Ok((_, s)) = parser::parse_setup(pdu.params) {
                if s.pdu_size != self.f.pdu_size {
                    self.f.pdu_size = s.pdu_size;
                    cx.fact(responder(dir), "s7comm.pdu_size", s.pdu_size.to_string());
                }
            }
        }
    }

    fn userdata(&mut self, dir: Dir, pdu: &S7Pdu<'_>, cx: &mut Cx<'_>) {
        let Ok((_, up)) = parser::parse_ud_param(pdu.params) else {
            cx.anomaly("s7_userdata_malformed");
            return;
        };
        let ud = parser::parse_ud_data(pdu.data).ok().map(|(_, d)| d);
        match up.typ {
            codes::UD_TYPE_REQUEST => self.ud_request(dir, pdu.pdu_ref, &up, ud, cx),
            codes::UD_TYPE_RESPONSE => self.ud_response(dir, pdu.pdu_ref, &up, ud, cx),
            codes::UD_TYPE_PUSH if up.group == codes::UD_GROUP_MODE_TRANSITION => {
                if let Some(m) = codes::mode_transition(up.sub) {
                    self.cpu_state(responder(dir), m, cx);
                }
            }
            _ => {}
        }
    }

    fn ud_request(
        &mut self,
        dir: Dir,
        pdu_ref: u16,
        up: &UdParam,
        ud: Option<UdData<'_>>,
        cx: &mut Cx<'_>,
    ) {
        if dir == Dir::ToServer {
            let (op, detail) = codes::userdata_op(up.group, up.sub);
            cx.op(op, Some(detail));
        }
        let mut secret = None;
        match (up.group, up.sub) {
            (codes::UD_GROUP_CPU, codes::UD_CPU_READ_SZL) => {
                if let Some(Ok((_, (id, _)))) = ud.map(|d| parser::parse_szl_id(d.data)) {
                    // Follow-up requests for further fragments carry no SZL id.
                    if up.dur == 0 && self.f.szl_ids.add(id) {
                        cx.fact(Party::Server, "s7comm.szl_read", format!("0x{id:04x}"));
                    }
                }
            }
            (codes::UD_GROUP_SECURITY, codes::UD_SEC_PASSWORD) => {
                secret = Some(ud.map_or(Secret::default(), |d| Secret::new(d.data)));
            }
            _ => {}
        }
        let kind = TxKind::Userdata {
            group: up.group,
            sub: up.sub,
        };
        self.tx_insert(pdu_ref, kind, secret, cx);
    }

    fn ud_response(
        &mut self,
        dir: Dir,
        pdu_ref: u16,
        up: &UdParam,
        ud: Option<UdData<'_>>,
        cx: &mut Cx<'_>,
    ) {
        let tx = self.f.tx.take(pdu_ref);
        match (up.group, up.sub) {
            (codes::UD_GROUP_SECURITY, codes::UD_SEC_PASSWORD) => {
                let outcome = if up.err == 0 {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
                let secret = tx.and_then(|t| t.secret);
                self.password_auth(outcome, secret, None, cx);
            }
            (codes::UD_GROUP_CPU, codes::UD_CPU_READ_SZL) => self.szl_response(dir, up, ud, cx),
            _ => {}
        }
    }

    fn password_auth(
        &mut self,
        outcome: Outcome,
        secret: Option<Secret>,
        ev: Option<crate::evidence::Ev>,
        cx: &mut Cx<'_>,
    ) {
        let saved = cx.ev;
        if let Some(ev) = ev {
            cx.ev = ev;
        }
        cx.auth(AuthEvent {
            mechanism: "s7-password",
            outcome,
            user: None,
            secret: secret.filter(|s| s.len > 0).map(|s| s.hex()),
            cleartext: false,
        });
        cx.ev = saved;
    }

    fn tx_insert(&mut self, pdu_ref: u16, kind: TxKind, secret: Option<Secret>, cx: &mut Cx<'_>) {
        let tx = Tx {
            pdu_ref,
            kind,
            secret,
            ev: cx.ev,
        };
        if let Some(old) = self.f.tx.insert(tx, cx.limits.max_open_transactions) {
            if old.secret.is_some() {
                self.password_auth(Outcome::Attempt, old.secret, Some(old.ev), cx);
            }
        }
    }

    fn block_fact(&mut self, (ty, num): (&'static str, u32), upload: bool, cx: &mut Cx<'_>) {
        if self.f.blocks.add((ty, num, upload)) {
            let key = if upload {
                "s7comm.block_upload"
            } else {
                "s7comm.block_download"
            };
            cx.fact(Party::Server, key, format!("{ty}{num}"));
        }
    }

    fn cpu_state(&mut self, party: Party, s: &'static str, cx: &mut Cx<'_>) {
        if self.f.cpu_state != Some(s) {
            self.f.cpu_state = Some(s);
            cx.fact(party, "s7comm.cpu_state", s);
        }
    }

    /// An SZL answer fragment: reassemble (bounded) and decode the lists we know.
    fn szl_response(&mut self, dir: Dir, up: &UdParam, ud: Option<UdData<'_>>, cx: &mut Cx<'_>) {
        let Some(d) = ud else {
            return;
        };
        if up.err != 0 || d.ret != 0xFF {
            if self.f.szl.as_ref().is_some_and(|r| r.dir == dir) {
                self.f.szl = None;
            }
            return;
        }
        let continuing = self
            .f
            .szl
            .as_ref()
            .is_some_and(|r| r.dir == dir && r.dur == up.dur);
        if up.more_follows() {
            if continuing {
                let r = self.f.szl.as_mut().expect("checked");
                if !r.skip {
                    if r.buf.len() + d.data.len() > state::MAX_SZL_REASM {
                        cx.anomaly("szl_reassembly_too_large");
                        r.skip = true;
                        r.buf = Vec::new();
                    } else {
                        r.buf.extend_from_slice(d.data);
                    }
                }
            } else {
                let id = parser::parse_szl_id(d.data).map_or(0, |(_, (id, _))| id);
                let skip = !szl_decoded(id) || d.data.len() > state::MAX_SZL_REASM;
                self.f.szl = Some(SzlReasm {
                    dir,
                    dur: up.dur,
                    skip,
                    buf: if skip { Vec::new() } else { d.data.to_vec() },
                });
            }
            return;
        }
        if continuing {
            let r = self.f.szl.take().expect("checked");
            if r.skip {
                return;
            }
            let mut buf = r.buf;
            if buf.len() + d.data.len() > state::MAX_SZL_REASM {
                cx.anomaly("szl_reassembly_too_large");
                return;
            }
            buf.extend_from_slice(d.data);
            self.szl_list(dir, &buf, cx);
        } else {
            self.szl_list(dir, d.data, cx);
        }
    }

    fn szl_list(&mut self, dir: Dir, b: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, l)) = parser::parse_szl_list(b) else {
            cx.anomaly("szl_malformed");
            return;
        };
        let party = responder(dir);
        let rec_len = l.rec_len as usize;
        let list = l.id & 0x00FF;
        // Identity lists polled again and again are reported once per flow (no string
        // building per poll).
        if matches!(list, 0x11 | 0x1C) && !self.f.szl_lists.add((l.id, state::fnv1a(b))) {
            return;
        }
        match list {
            0x11 if rec_len >= 28 => {
                let src = if l.id == 0x0111 {
                    "s7comm.szl_0x0111"
                } else {
                    "s7comm.szl_0x0011"
                };
                for rec in l.records() {
                    self.module_id(party, rec, src, cx);
                }
            }
            0x1C if rec_len >= 34 => {
                let src = if l.id == 0x011C {
                    "s7comm.szl_0x011c"
                } else {
                    "s7comm.szl_0x001c"
                };
                for rec in l.records() {
                    component(party, rec, src, cx);
                }
            }
            0x32 if rec_len >= 12 => {
                for rec in l.records() {
                    if let Ok((_, pr)) = parser::parse_protection(rec) {
                        let key = (pr.sch_rel, pr.sch_par, pr.bart_sch);
                        if pr.index == 4 && self.f.protection != Some(key) {
                            self.f.protection = Some(key);
                            cx.fact(party, "s7comm.protection_level", pr.sch_rel.to_string());
                            let set = if pr.sch_par != 0 { "true" } else { "false" };
                            cx.fact(party, "s7comm.password_set", set);
                            cx.fact(
                                party,
                                "s7comm.mode_selector",
                                codes::mode_selector(pr.bart_sch),
                            );
                        }
                    }
                }
            }
            0x24 if rec_len >= 4 => {
                let mut last = None;
                for rec in l.records() {
                    if let Ok((_, (_, bzu))) = parser::parse_mode_record(rec) {
                        last = codes::szl_mode(bzu & 0x0F).or(last);
                    }
                }
                if let Some(m) = last {
                    self.cpu_state(party, m, cx);
                }
            }
            _ => {}
        }
    }

    fn module_id(&mut self, party: Party, rec: &[u8], src: &'static str, cx: &mut Cx<'_>) {
        let Ok((_, m)) = parser::parse_module_id(rec) else {
            return;
        };
        match m.index {
            0x0001 => {
                let order = device_string(m.mlfb);
                if order.is_empty() || order.starts_with("hex:") {
                    return;
                }
                cx.claim(party, "order_number", &order, src, 95);
                cx.claim(party, "s7comm.order_number", &order, src, 95);
                cx.claim(party, "vendor", "Siemens", src, 80);
                if let Some(fam) = codes::product_family(&order) {
                    cx.claim(party, "product", fam, src, 70);
                }
            }
            0x0006 => {
                let v = parser::siemens_version(m.ausbg, m.ausbe)
                    .unwrap_or_else(|| u16::from_be_bytes(m.ausbg).to_string());
                cx.claim(party, "hardware_version", &v, src, 90);
                cx.claim(party, "s7comm.hardware_version", &v, src, 90);
            }
            0x0007 => {
                if let Some(v) = parser::siemens_version(m.ausbg, m.ausbe) {
                    cx.claim(party, "firmware", &v, src, 95);
                    cx.claim(party, "s7comm.firmware", &v, src, 95);
                }
            }
            0x0081 => {
                if let Some(v) = parser::siemens_version(m.ausbg, m.ausbe) {
                    cx.claim(party, "s7comm.boot_loader", &v, src, 90);
                }
            }
            _ => {}
        }
    }

    // -----------------------------------------------------------------------------------------
    // S7comm-plus

    fn s7plus(&mut self, dir: Dir, p: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, u)) = parser::parse_s7plus(p) else {
            cx.anomaly("s7comm_plus_short");
            return;
        };
        if u.version == codes::S7PLUS_KEEPALIVE {
            return;
        }
        let ds = &mut self.f.dirs[di(dir)];
        let continuation = ds.plus_cont;
        ds.plus_cont = !u.trailer;
        self.plus_version(u.version, cx);
        if u.truncated {
            cx.anomaly("s7comm_plus_length_mismatch");
        }
        if continuation {
            return;
        }
        let Ok((_, h)) = parser::parse_s7plus_head(u.data) else {
            cx.anomaly("s7comm_plus_malformed");
            return;
        };
        match h.opcode {
            codes::S7PLUS_OP_REQUEST => {
                if let (Dir::ToServer, Some(f)) = (dir, h.function) {
                    let (op, detail) = codes::s7plus_op(f, u.version);
                    cx.op(op, Some(detail));
                }
            }
            codes::S7PLUS_OP_RESPONSE | codes::S7PLUS_OP_RESPONSE2 => {
                let carries_strings = matches!(
                    h.function,
                    Some(codes::S7PLUS_FN_CREATE_OBJECT | codes::S7PLUS_FN_GET_VAR_SUBSTREAMED)
                );
                if carries_strings && !self.f.plus.order_found {
                    self.plus_strings(responder(dir), h.body, cx);
                }
            }
            codes::S7PLUS_OP_NOTIFICATION => {}
            _ => cx.anomaly("s7comm_plus_unknown_opcode"),
        }
    }

    fn plus_version(&mut self, v: u8, cx: &mut Cx<'_>) {
        let Some(name) = codes::s7plus_version(v) else {
            return;
        };
        let p = &mut self.f.plus;
        let bit = 1u8 << v;
        p.seen |= bit;
        if !p.family_reported {
            p.family_reported = true;
            cx.fact(Party::Server, "s7comm_plus.family", "S7-1200/1500");
        }
        if v >= 2 && p.reported & bit == 0 {
            p.reported |= bit;
            cx.fact(Party::Server, "s7comm_plus.version", name);
        }
        if v == 3 && !p.integrity_reported {
            p.integrity_reported = true;
            cx.fact(Party::Server, "s7comm_plus.integrity", "true");
        }
    }

    fn plus_strings(&mut self, party: Party, body: &[u8], cx: &mut Cx<'_>) {
        let Some((order, fw)) = parser::find_order_number(body) else {
            return;
        };
        self.f.plus.order_found = true;
        let src = "s7comm_plus.session";
        let order = device_string(order);
        cx.claim(party, "order_number", &order, src, 85);
        cx.claim(party, "vendor", "Siemens", src, 80);
        if let Some(fam) = codes::product_family(&order) {
            cx.claim(party, "product", fam, src, 70);
        }
        if let Some(fw) = fw {
            cx.claim(party, "firmware", &device_string(fw), src, 80);
        }
    }

    // -----------------------------------------------------------------------------------------
    // MMS (ISO session / presentation)

    fn mms(&mut self, dir: Dir, p: &[u8], cx: &mut Cx<'_>) {
        match p.first().copied() {
            Some(codes::SPDU_CONNECT) if dir == Dir::ToServer => {
                cx.op(Op::Connect, Some("mms_initiate"));
            }
            Some(codes::SPDU_DT_GT) => {
                let Some(pdu) = parser::mms_pdu_in_data_transfer(p) else {
                    return;
                };
                match pdu.id {
                    // confirmed-RequestPDU
                    0xA0 if dir == Dir::ToServer => {
                        let (op, detail) = parser::mms_service(pdu.value)
                            .map_or((Op::Other, "mms_confirmed_request"), |t| {
                                codes::mms_op(t.number)
                            });
                        cx.op(op, Some(detail));
                    }
                    // confirmed-ResponsePDU: the identify answer names the device.
                    0xA1 => {
                        if let Some(t) = parser::mms_service(pdu.value) {
                            if t.number == 2 && t.id & 0x20 != 0 {
                                let [vendor, model, rev] = parser::mms_identify(t.value);
                                let party = responder(dir);
                                let src = "mms.identify";
                                if let Some(v) = vendor {
                                    cx.claim(party, "vendor", &device_string(v), src, 85);
                                }
                                if let Some(v) = model {
                                    cx.claim(party, "model", &device_string(v), src, 85);
                                }
                                if let Some(v) = rev {
                                    cx.claim(party, "firmware", &device_string(v), src, 80);
                                }
                            }
                        }
                    }
                    // conclude-RequestPDU
                    0x8B if dir == Dir::ToServer => {
                        cx.op(Op::Other, Some("mms_conclude"));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// Whether an SZL list is one this dissector decodes (its fragments are reassembled).
fn szl_decoded(id: u16) -> bool {
    matches!(id & 0x00FF, 0x11 | 0x1C | 0x32 | 0x24)
}

/// Read/write var parameters: the declared items all parse within the parameter part.
fn var_items_ok(params: &[u8]) -> bool {
    let Ok((mut p, (_, count))) = parser::parse_var_header(params) else {
        return false;
    };
    for _ in 0..count {
        match parser::parse_var_item(p) {
            Ok((rest, _)) => p = rest,
            Err(_) => return false,
        }
    }
    true
}

/// A TSAP as text when it is printable (`SIMATIC-ROOT-ES`), else hex (`0x0101`).
fn tsap_text(b: &[u8]) -> String {
    if b.len() >= 3 && b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
        return device_string(b);
    }
    let mut s = String::from("0x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// One SZL xy1C (component identification) record.
fn component(party: Party, rec: &[u8], src: &'static str, cx: &mut Cx<'_>) {
    let Ok((_, (index, b))) = parser::parse_component(rec) else {
        return;
    };
    let text = |n: usize| device_string(&b[..n.min(b.len())]);
    let word = |at: usize| {
        b.get(at..at + 2)
            .map(|w| u16::from_be_bytes([w[0], w[1]]))
            .unwrap_or(0)
    };
    match index {
        1 => {
            let s = text(24);
            cx.claim(party, "s7comm.as_name", &s, src, 90);
            cx.claim(party, "name", &s, src, 70);
        }
        2 => {
            let s = text(24);
            cx.claim(party, "s7comm.module_name", &s, src, 90);
            cx.claim(party, "name", &s, src, 80);
        }
        3 => cx.claim(party, "s7comm.plant_id", &text(32), src, 90),
        4 => cx.claim(party, "s7comm.copyright", &text(26), src, 90),
        5 => {
            let s = text(24);
            cx.claim(party, "serial", &s, src, 90);
            cx.claim(party, "s7comm.serial_number", &s, src, 90);
        }
        7 => {
            let s = text(32);
            cx.claim(party, "model", &s, src, 90);
            cx.claim(party, "s7comm.module_type_name", &s, src, 90);
        }
        8 => cx.claim(party, "s7comm.memory_card_serial", &text(32), src, 90),
        9 => {
            let ids = [
                ("s7comm.manufacturer_id", word(0)),
                ("s7comm.profile_id", word(2)),
                ("s7comm.profile_specific_type", word(4)),
            ];
            for (field, v) in ids {
                if v != 0 {
                    cx.claim(party, field, &format!("0x{v:04x}"), src, 90);
                }
            }
        }
        10 => {
            cx.claim(party, "s7comm.oem_copyright", &text(26), src, 90);
            let oem_id = word(26);
            if oem_id != 0 {
                cx.claim(party, "s7comm.oem_id", &format!("0x{oem_id:04x}"), src, 90);
            }
            let add = b
                .get(28..32)
                .map_or(0, |w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
            if add != 0 {
                cx.claim(party, "s7comm.oem_add_id", &format!("0x{add:08x}"), src, 90);
            }
        }
        11 => cx.claim(party, "s7comm.location", &text(32), src, 90),
        _ => {}
    }
}
