//! Unit tests: byte vectors (mostly taken from the captures under `captures/`, commented field
//! by field), probe positives and negatives, the dissector through the same buffering the
//! engine does, growing prefixes, garbage, gaps, bounds and a fixed-seed fuzz run.

use super::parser::{self, Cotp, Header};
use super::state::{self, Kind};
use super::*;
use crate::config::Limits;
use crate::dissect::{Cx, Dir, Expectation, Parsed, Probe, StreamDissector};
use crate::evidence::Ev;
use crate::inventory::observation::{Op, Store, Subject, Transport, sorted};
use std::net::{IpAddr, Ipv4Addr};

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 20));
const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 10));

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// TPKT + COTP DT (end of TSDU) around `payload`.
fn dt(payload: &[u8]) -> Vec<u8> {
    dt_eot(payload, true)
}

fn dt_eot(payload: &[u8], eot: bool) -> Vec<u8> {
    let len = 7 + payload.len();
    let mut v = vec![
        0x03,                          // TPKT version 3
        0x00,                          // reserved
        (len >> 8) as u8,              // length (high)
        len as u8,                     // length (low)
        0x02,                          // COTP LI: 2 header bytes follow
        0xF0,                          // DT
        if eot { 0x80 } else { 0x00 }, // EOT flag, TPDU number 0
    ];
    v.extend_from_slice(payload);
    v
}

/// An S7 PDU: header (10 or 12 bytes), parameters, data.
fn s7(rosctr: u8, pdu_ref: u16, params: &[u8], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x32, rosctr, 0x00, 0x00];
    v.extend_from_slice(&pdu_ref.to_be_bytes());
    v.extend_from_slice(&(params.len() as u16).to_be_bytes());
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    if rosctr == 2 || rosctr == 3 {
        v.extend_from_slice(&[0, 0]);
    }
    v.extend_from_slice(params);
    v.extend_from_slice(data);
    v
}

/// A userdata PDU (ROSCTR 7) with the given parameter fields and data part.
#[allow(clippy::too_many_arguments)]
fn userdata(
    pdu_ref: u16,
    typ: u8,
    group: u8,
    sub: u8,
    dur: u8,
    last: u8,
    err: u16,
    ret: u8,
    body: &[u8],
) -> Vec<u8> {
    let mut p = vec![0x00, 0x01, 0x12]; // parameter head
    if typ == 4 && dur == 0 {
        p.extend_from_slice(&[0x04, 0x11, (typ << 4) | group, sub, 0x00]);
    } else {
        p.extend_from_slice(&[0x08, 0x12, (typ << 4) | group, sub, 0x01, dur, last]);
        p.extend_from_slice(&err.to_be_bytes());
    }
    let mut d = vec![ret, if body.is_empty() { 0x00 } else { 0x09 }];
    d.extend_from_slice(&(body.len() as u16).to_be_bytes());
    d.extend_from_slice(body);
    s7(7, pdu_ref, &p, &d)
}

// --- Vectors from captures/generated/s7-snap7.pcap -------------------------------------------

/// Frame 6: COTP CR.
fn v_cr() -> Vec<u8> {
    hex("03 00 0016 \
         11 e0 0000 0001 00 \
         c1 02 0100 \
         c2 02 0101 \
         c0 01 0a")
    // TPKT v3, length 22 | LI 17, CR, dst-ref 0, src-ref 1, class 0 |
    // calling TSAP 0x0100 | called TSAP 0x0101 (PG, rack 0 slot 1) | TPDU size 1024
}

/// Frame 8: COTP CC.
fn v_cc() -> Vec<u8> {
    hex("03 00 0016 11 d0 0001 0001 00 c0 01 0a c1 02 0100 c2 02 0101")
}

/// Frame 10: setup communication job.
fn v_setup_req() -> Vec<u8> {
    hex("03 00 0019 02 f0 80 \
         32 01 0000 0001 0008 0000 \
         f0 00 0001 0001 01e0")
    // S7 job, pdu ref 1, param len 8, data len 0 |
    // setup communication, reserved, max AmQ calling 1, called 1, PDU size 480
}

/// Frame 11: setup communication ack_data.
fn v_setup_resp() -> Vec<u8> {
    hex("03 00 001b 02 f0 80 \
         32 03 0000 0001 0008 0000 00 00 \
         f0 00 0001 0001 01e0")
    // ack_data, pdu ref 1, error class 0 code 0 | negotiated PDU size 480
}

/// Frame 17: SZL 0x0011 answer (module identification).
fn v_szl_0011_resp() -> Vec<u8> {
    hex("03 00 007d 02 f0 80 \
         32 07 0000 0003 000c 0060 \
         000112 08 12 84 01 00 00 00 0000 \
         ff 09 005c \
         0011 0000 001c 0003 \
         0001 36455337203331372d324f5435312d3041423020 00c0 0005 0000 \
         0006 36455337203331372d324f5435312d3041423020 00c0 0005 0000 \
         0007 2020202020202020202020202020202020202020 00c0 5603 0311")
    // userdata, pdu ref 3 | head, plen 8, response, type 8 group 4 (CPU), sub 1 (read SZL),
    // seq 0, dur 0, last, error 0 | return ff, octet string, 92 bytes |
    // SZL 0x0011 index 0, record length 28, 3 records |
    // index 1: MLFB "6ES7 317-2OT51-0AB0 ", BGTyp, Ausbg 5, Ausbe 0 |
    // index 6: same order number (basic hardware) |
    // index 7: blank MLFB, Ausbg 0x5603 ("V", 3), Ausbe 0x0311 (3, 17) → V3.3.17
}

/// Frame 61: PLC stop job.
fn v_plc_stop() -> Vec<u8> {
    hex("03 00 0021 02 f0 80 \
         32 01 0000 0012 0010 0000 \
         29 0000000000 09 505f50524f4752414d")
    // job ref 0x12 | PLC stop, 5 unknown bytes, name length 9, "P_PROGRAM"
}

/// Frame 64: PI service P_PROGRAM (start).
fn v_pi_start() -> Vec<u8> {
    hex("03 00 0025 02 f0 80 \
         32 01 0000 0013 0014 0000 \
         28 000000000000fd 0000 09 505f50524f4752414d")
    // PI service, 7 unknown bytes, parameter block length 0, service "P_PROGRAM"
}

/// Frame 82: start upload of DB1.
fn v_start_upload() -> Vec<u8> {
    hex("03 00 0023 02 f0 80 \
         32 01 0000 0019 0012 0000 \
         1d 00 0000 00000000 09 5f3041303030303141")
    // start upload, status 0, 2 unknown, upload id 0, file name "_0A00001A" (DB1)
}

/// Frame 96: COTP DR (reason 0).
fn v_dr() -> Vec<u8> {
    hex("03 00 000c 06 80 0001 0001 00 00")
    // LI 6, DR, dst-ref 1, src-ref 1, reason 0 (not specified), one more byte
}

/// iti__step7_s300_AuthPassword frame 3: PLC password request.
fn v_password_req() -> Vec<u8> {
    hex("03 00 0025 02 f0 80 \
         32 07 0000 0600 0008 000c \
         000112 04 11 45 01 00 \
         ff 09 0008 213a1b1d6e681b1d")
    // userdata ref 0x600 | request, type 4 group 5 (security), sub 1 (PLC password) |
    // 8 obfuscated password bytes
}

/// Frame 4: its answer, error code 0 (accepted).
fn v_password_resp(err: u16) -> Vec<u8> {
    let mut v = hex("03 00 0021 02 f0 80 \
                     32 07 0000 0600 000c 0004 \
                     000112 08 12 85 01 01 00 00 0000 \
                     0a 00 0000");
    let e = err.to_be_bytes();
    v[27] = e[0];
    v[28] = e[1];
    v
}

/// iti__step7_s300_stop frame 4: mode-transition push (STOP) with the odd parameter head.
fn v_mode_push_stop() -> Vec<u8> {
    hex("03 00 0019 02 f0 80 \
         32 07 0000 0000 0008 0000 \
         010010 10 00 00 00 00")
    // head 01 00 10, "length" 16 (only 4 bytes follow), method 0, push group 0, mode 0 (STOP)
}

// --- Harness: the engine's buffering around a dissector -----------------------------------------

struct H {
    store: Store,
    exp: Vec<Expectation>,
    limits: Limits,
    d: S7Dissector,
    bufs: [Vec<u8>; 2],
    need: [usize; 2],
    proto: &'static str,
    desync: bool,
}

impl H {
    fn new() -> H {
        H::with_limits(Limits::default())
    }

    fn with_limits(limits: Limits) -> H {
        H {
            store: Store::new(100_000, 8),
            exp: Vec::new(),
            limits,
            d: S7Dissector::default(),
            bufs: [Vec::new(), Vec::new()],
            need: [0, 0],
            proto: "s7comm",
            desync: false,
        }
    }

    /// Same logic as `engine::feed`.
    fn feed(&mut self, dir: Dir, data: &[u8]) {
        if self.desync {
            return;
        }
        let d = di(dir);
        let mut cx = Cx::new(
            (CLIENT, 50000),
            (SERVER, 102),
            Transport::Tcp,
            self.proto,
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        let max = self.limits.max_pdu_bytes;
        let buffered = !self.bufs[d].is_empty();
        if buffered {
            self.bufs[d].extend_from_slice(data);
            if self.bufs[d].len() < self.need[d] {
                return;
            }
        }
        let owned;
        let input: &[u8] = if buffered {
            owned = std::mem::take(&mut self.bufs[d]);
            &owned
        } else {
            data
        };
        let mut off = 0usize;
        let mut need = 0usize;
        while off < input.len() {
            match self.d.parse(dir, &input[off..], &mut cx) {
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
                    self.desync = true;
                    break;
                }
            }
        }
        self.proto = cx.proto;
        if self.desync {
            self.bufs = [Vec::new(), Vec::new()];
            return;
        }
        let rest = input.len() - off;
        if need > max || rest > max {
            cx.anomaly("pdu_too_large");
            self.bufs[d].clear();
            self.need[d] = 0;
            self.d.gap(dir, rest as u32, &mut cx);
            self.proto = cx.proto;
            return;
        }
        self.bufs[d] = input[off..].to_vec();
        self.need[d] = need;
    }

    fn gap(&mut self, dir: Dir) {
        let d = di(dir);
        self.bufs[d].clear();
        self.need[d] = 0;
        let mut cx = Cx::new(
            (CLIENT, 50000),
            (SERVER, 102),
            Transport::Tcp,
            self.proto,
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        self.d.gap(dir, 100, &mut cx);
    }

    fn close(&mut self) {
        let mut cx = Cx::new(
            (CLIENT, 50000),
            (SERVER, 102),
            Transport::Tcp,
            self.proto,
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        self.d.close(&mut cx);
        self.proto = cx.proto;
    }

    fn claims(&self, field: &str) -> Vec<String> {
        sorted(&self.store.claims)
            .into_iter()
            .filter(|(k, _)| k.field == field)
            .map(|(k, _)| k.value.clone())
            .collect()
    }

    fn facts(&self, key: &str) -> Vec<String> {
        sorted(&self.store.facts)
            .into_iter()
            .filter(|(k, _)| k.key == key)
            .map(|(k, _)| k.value.clone())
            .collect()
    }

    fn op_count(&self, op: Op) -> u64 {
        self.store
            .ops
            .iter()
            .filter(|(k, _)| k.op == op)
            .map(|(_, v)| v.evidence.count)
            .sum()
    }

    fn has_detail(&self, op: Op, detail: &str) -> bool {
        self.store
            .ops
            .iter()
            .any(|(k, v)| k.op == op && v.details.contains(detail))
    }

    fn anomaly(&self, kind: &str) -> u64 {
        self.store
            .anomalies
            .iter()
            .filter(|(k, _)| k.kind == kind)
            .map(|(_, v)| v.count)
            .sum()
    }

    fn anomalies_total(&self) -> u64 {
        self.store.anomalies.values().map(|v| v.count).sum()
    }

    /// Everything observed, as sorted text (for comparing two runs).
    fn snapshot(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (k, a) in sorted(&self.store.claims) {
            v.push(format!(
                "claim {:?} {} {} {} {}",
                k.subject, k.field, k.value, k.source, a.confidence
            ));
        }
        for (k, e) in sorted(&self.store.facts) {
            v.push(format!(
                "fact {:?} {} {} {} {}",
                k.subject, k.proto, k.key, k.value, e.count
            ));
        }
        for (k, a) in sorted(&self.store.ops) {
            v.push(format!(
                "op {} {:?} {:?} {}",
                k.svc.proto, k.op, a.details, a.evidence.count
            ));
        }
        for (k, a) in sorted(&self.store.auths) {
            v.push(format!(
                "auth {} a{} s{} f{} {:?}",
                k.mechanism, a.attempts, a.successes, a.failures, a.secrets
            ));
        }
        for (k, e) in sorted(&self.store.anomalies) {
            v.push(format!("anomaly {} {} {}", k.proto, k.kind, e.count));
        }
        v
    }
}

fn server_subject() -> Subject {
    Subject::Ip(SERVER)
}

// --- Parser tests ------------------------------------------------------------------------------

#[test]
fn tpkt_and_cotp_cr() {
    let cr = v_cr();
    assert_eq!(parser::check_header(&cr, true), Header::Frame(22));
    let (rest, t) = parser::parse_tpkt(&cr).expect("tpkt");
    assert!(rest.is_empty());
    assert_eq!(t.len, 22);
    let (_, c) = parser::parse_cotp(t.cotp).expect("cotp");
    let Cotp::Cr(c) = c else {
        panic!("not a CR: {c:?}")
    };
    assert_eq!(c.src_ref, 1);
    assert_eq!(c.class, 0);
    assert_eq!(c.calling_tsap, Some(&[0x01, 0x00][..]));
    assert_eq!(c.called_tsap, Some(&[0x01, 0x01][..]));
    assert_eq!(c.tpdu_size, Some(0x0a));
    assert!(!c.params_malformed);
    assert!(c.user.is_empty());
}

#[test]
fn cotp_dt_dr_er_and_headers() {
    let d = dt(&[0x32, 0x01]);
    let (_, t) = parser::parse_tpkt(&d).expect("tpkt");
    assert_eq!(
        parser::parse_cotp(t.cotp).expect("dt").1,
        Cotp::Dt {
            eot: true,
            nr: 0,
            data: &[0x32, 0x01]
        }
    );
    let dr = v_dr();
    let (_, t) = parser::parse_tpkt(&dr).expect("tpkt");
    assert!(matches!(
        parser::parse_cotp(t.cotp).expect("dr").1,
        Cotp::Dr { reason: 0, .. }
    ));
    // ER: LI 4, code 0x70, dst-ref, reject cause 2.
    let er = hex("03 00 0009 04 70 0001 02");
    let (_, t) = parser::parse_tpkt(&er).expect("tpkt");
    assert_eq!(
        parser::parse_cotp(t.cotp).expect("er").1,
        Cotp::Er { cause: 2 }
    );
    // DC: LI 5, code 0xC0, refs.
    let dc = hex("03 00 000a 05 c0 0001 0001");
    assert_eq!(parser::check_header(&dc, false), Header::Frame(10));
    // Header checks.
    assert_eq!(parser::check_header(&[], false), Header::Incomplete(4));
    assert_eq!(
        parser::check_header(&[3, 0, 0], false),
        Header::Incomplete(4)
    );
    assert_eq!(
        parser::check_header(&[3, 0, 0, 7], false),
        Header::Incomplete(6)
    );
    assert_eq!(
        parser::check_header(&[3, 1, 0, 7, 2, 0xf0, 0x80], false),
        Header::Bad
    );
    assert_eq!(
        parser::check_header(&[3, 0, 0, 6, 2, 0xf0], false),
        Header::Bad
    );
    // LI larger than the TPKT.
    assert_eq!(
        parser::check_header(&[3, 0, 0, 7, 9, 0xf0, 0x80], false),
        Header::Bad
    );
    // Unused TPDU code (AK).
    assert_eq!(
        parser::check_header(&[3, 0, 0, 8, 3, 0x60, 0, 0], false),
        Header::Bad
    );
    // Strong: a DT must open a known unit.
    assert_eq!(parser::check_header(&dt(&[0x99, 0]), true), Header::Bad);
    assert_eq!(
        parser::check_header(&dt(&[0x99, 0]), false),
        Header::Frame(9)
    );
    assert_eq!(
        parser::check_header(&dt(&[0x32, 1]), true),
        Header::Frame(9)
    );
    assert_eq!(parser::check_header(&dt(&[]), true), Header::Frame(7));
    assert_eq!(
        parser::check_header(&dt(&[0x32])[..7], true),
        Header::Incomplete(8)
    );
}

#[test]
fn s7_header_setup_and_ack_data() {
    let req = v_setup_req();
    let (_, p) = parser::parse_s7(&req[7..]).expect("s7");
    assert_eq!((p.rosctr, p.pdu_ref, p.param_len, p.data_len), (1, 1, 8, 0));
    assert_eq!(p.error, None);
    assert!(!p.truncated);
    let (_, s) = parser::parse_setup(p.params).expect("setup");
    assert_eq!(s.pdu_size, 480);
    assert_eq!((s.max_amq_calling, s.max_amq_called), (1, 1));
    let resp = v_setup_resp();
    let (_, p) = parser::parse_s7(&resp[7..]).expect("s7");
    assert_eq!(p.error, Some((0, 0)));
    // Declared lengths past the unit: kept, flagged.
    let b496 = hex("32 01 0000 0001 0010 0000 04 01");
    let (_, p) = parser::parse_s7(&b496).expect("s7");
    assert!(p.truncated);
    assert_eq!(p.params, &[4, 1]);
    assert!(parser::parse_s7(&hex("32 01 0000")).is_err());
    assert!(parser::parse_s7(&hex("72 01 0000 0000 0000 0000")).is_err());
}

#[test]
fn read_var_items() {
    // read var, 1 item: var spec 0x12, length 10, S7ANY, transport BYTE (2), 32 bytes,
    // DB 1, area 0x84 (DB), address 0.
    let params = hex("04 01 12 0a 10 02 0020 0001 84 000000");
    let (rest, (func, count)) = parser::parse_var_header(&params).expect("hdr");
    assert_eq!((func, count), (4, 1));
    let (rest, item) = parser::parse_var_item(rest).expect("item");
    assert!(rest.is_empty());
    assert_eq!(item.syntax_id, 0x10);
    assert_eq!(item.transport_size, 2);
    assert_eq!(item.length, 32);
    assert_eq!(item.db, 1);
    assert_eq!(item.area, 0x84);
    assert_eq!(item.address, 0);
    // DB read (syntax 0xb0) keeps the rest raw.
    let b519 = hex("12 07 b0 01 02 03 04 05 06");
    let (_, item) = parser::parse_var_item(&b519).expect("item");
    assert_eq!(item.syntax_id, 0xb0);
    assert_eq!(item.raw.len(), 6);
    assert!(var_items_ok(&params));
    // python-snap7's non-standard "get cpu state": parameter length 1, no item count.
    assert!(!var_items_ok(&[0x04]));
    // Count says 2, one item present.
    assert!(!var_items_ok(&hex("04 02 12 0a 10 02 0020 0001 84 000000")));
}

#[test]
fn block_control_pi_and_stop() {
    let v = v_start_upload();
    let (_, bc) = parser::parse_block_control(&v[17..]).expect("block control");
    assert_eq!(bc.func, 0x1d);
    assert_eq!(bc.filename, Some(&b"_0A00001A"[..]));
    assert_eq!(parser::parse_block_name(b"_0A00001A"), Some(("DB", 1)));
    assert_eq!(parser::parse_block_name(b"0B01000P"), Some(("SDB", 1000)));
    assert_eq!(parser::parse_block_name(b"_0800000A"), Some(("OB", 0)));
    assert_eq!(parser::parse_block_name(b"_0Z00001A"), None);
    assert_eq!(parser::parse_block_name(b"_0A0x001A"), None);
    assert_eq!(parser::parse_block_name(b"_0A"), None);
    // Upload (0x1e) carries no file name.
    let b542 = hex("1e 00 0000 00000007");
    let (_, bc) = parser::parse_block_control(&b542).expect("upload");
    assert_eq!(bc.filename, None);
    let v = v_pi_start();
    let (_, pi) = parser::parse_pi_service(&v[17..]).expect("pi");
    assert_eq!(pi.service, b"P_PROGRAM");
    assert!(pi.param_block.is_empty());
    assert_eq!(codes::pi_service(pi.service).0, Op::CpuStart);
    // _MODU with parameter block "EP" (iti__snap7_s300_everything frame 59).
    let b551 = hex("28 000000000000fd 0002 4550 05 5f4d4f4455");
    let (_, pi) = parser::parse_pi_service(&b551).expect("pi");
    assert_eq!((pi.param_block, pi.service), (&b"EP"[..], &b"_MODU"[..]));
    assert_eq!(codes::pi_service(b"_INSE").0, Op::ProgramDownload);
    assert_eq!(codes::pi_service(b"_DELE").0, Op::ProgramDelete);
    assert_eq!(codes::pi_service(b"_GARB").0, Op::ConfigChange);
    assert_eq!(codes::pi_service(b"_N_CANCEL").1, "pi_nc_service");
    let v = v_plc_stop();
    assert_eq!(
        parser::parse_plc_stop(&v[17..]).expect("stop").1,
        b"P_PROGRAM"
    );
    assert!(parser::parse_pi_service(&hex("28 0000")).is_err());
}

#[test]
fn userdata_param_variants() {
    let v = v_szl_0011_resp();
    let (_, p) = parser::parse_s7(&v[7..]).expect("s7");
    let (_, up) = parser::parse_ud_param(p.params).expect("param");
    assert_eq!((up.method, up.typ, up.group, up.sub), (0x12, 8, 4, 1));
    assert_eq!((up.dur, up.last, up.err), (0, 0, 0));
    assert!(!up.more_follows());
    let (_, d) = parser::parse_ud_data(p.data).expect("data");
    assert_eq!((d.ret, d.tsize, d.data.len()), (0xff, 0x09, 92));
    // Mode-transition push: length byte says 16, 4 bytes follow.
    let v = v_mode_push_stop();
    let (_, p) = parser::parse_s7(&v[7..]).expect("s7");
    let (_, up) = parser::parse_ud_param(p.params).expect("param");
    assert_eq!((up.typ, up.group, up.sub), (0, 0, 0));
    assert!(parser::parse_ud_param(&[0, 1, 0x12, 4, 0x11]).is_err());
}

#[test]
fn szl_module_identification_and_versions() {
    let v = v_szl_0011_resp();
    let (_, p) = parser::parse_s7(&v[7..]).expect("s7");
    let (_, d) = parser::parse_ud_data(p.data).expect("data");
    let (_, l) = parser::parse_szl_list(d.data).expect("list");
    assert_eq!((l.id, l.index, l.rec_len, l.count), (0x0011, 0, 28, 3));
    let recs: Vec<_> = l.records().collect();
    assert_eq!(recs.len(), 3);
    let (_, m) = parser::parse_module_id(recs[0]).expect("record");
    assert_eq!(m.index, 1);
    assert_eq!(m.mlfb, b"6ES7 317-2OT51-0AB0 ");
    let (_, m) = parser::parse_module_id(recs[2]).expect("record");
    assert_eq!(m.index, 7);
    assert_eq!(
        parser::siemens_version(m.ausbg, m.ausbe).as_deref(),
        Some("V3.3.17")
    );
    // cisagov__s7ident: Ausbg 22019 (0x5603), Ausbe 518 (0x0206) → V3.2.6 (tshark's
    // xy11_version_string_derived); boot loader 16672 (0x4120) / 2313 (0x0909) → A32.9.9.
    assert_eq!(
        parser::siemens_version([0x56, 0x03], [0x02, 0x06]).as_deref(),
        Some("V3.2.6")
    );
    assert_eq!(
        parser::siemens_version([0x41, 0x20], [0x09, 0x09]).as_deref(),
        Some("A32.9.9")
    );
    assert_eq!(parser::siemens_version([0x00, 0x04], [0x00, 0x01]), None);
    // More records announced than present: only complete ones.
    let l = parser::SzlList {
        id: 0x11,
        index: 0,
        rec_len: 28,
        count: 60000,
        records: &[0u8; 60],
    };
    assert_eq!(l.records().count(), 2);
    let l = parser::SzlList { rec_len: 0, ..l };
    assert_eq!(l.records().count(), 0);
}

#[test]
fn szl_protection_and_mode_records() {
    // 0x0132 index 4 (iti__step7_s300_AuthPassword): index 4, sch_schal 1, sch_par 3,
    // sch_rel 3, bart_sch 2 (RUN-P), anl_sch 0, ...
    let rec = hex("0004 0001 0003 0003 0002 0000 0000 5656 0158 426b 0000 0000");
    let (_, pr) = parser::parse_protection(&rec).expect("protection");
    assert_eq!(
        (pr.index, pr.sch_schal, pr.sch_par, pr.sch_rel, pr.bart_sch),
        (4, 1, 3, 3, 2)
    );
    assert_eq!(codes::mode_selector(pr.bart_sch), "RUN-P");
    // 0x0424 record: event 0x4303, ae ff, bzu-id 0x08 (requested RUN, previous 0).
    let (_, (ereig, bzu)) =
        parser::parse_mode_record(&hex("4303 ff 08 00000000 00000000 2601150830000004"))
            .expect("mode");
    assert_eq!((ereig, bzu), (0x4303, 0x08));
    assert_eq!(codes::szl_mode(bzu & 0x0f), Some("RUN"));
    assert_eq!(codes::szl_mode(0x4), Some("STOP"));
    assert_eq!(codes::mode_transition(0), Some("STOP"));
    assert_eq!(codes::mode_transition(2), Some("RUN"));
}

#[test]
fn order_number_families_and_strings() {
    assert_eq!(
        codes::product_family("6ES7 315-2EH14-0AB0"),
        Some("SIMATIC S7-300")
    );
    assert_eq!(
        codes::product_family("6ES7 214-1HE30-0XB0"),
        Some("SIMATIC S7-1200")
    );
    assert_eq!(
        codes::product_family("6ES7 511-1AK00-0AB0"),
        Some("SIMATIC S7-1500")
    );
    assert_eq!(
        codes::product_family("6ES7 151-8AB01-0AB0"),
        Some("SIMATIC ET 200")
    );
    assert_eq!(
        codes::product_family("6ES7 416-3ES06-0AB0"),
        Some("SIMATIC S7-400")
    );
    assert_eq!(codes::product_family("6AV2 124-0GC01-0AX0"), None);
    // S7comm-plus CreateObject response (iti__S7-1200-Uploading-OB1-TIAV12 frame 8).
    let b = b"\x82\x3f\x00\x15\x1b1;6ES7 214-1HE30-0XB0 ;V2.2\x82\x40";
    let (o, fw) = parser::find_order_number(b).expect("found");
    assert_eq!(o, b"6ES7 214-1HE30-0XB0");
    assert_eq!(fw, Some(&b"V2.2"[..]));
    // S7-1511: no space before the separator.
    let (o, fw) = parser::find_order_number(b"1;6ES7 511-1AK00-0AB0;V1.0\x00").expect("found");
    assert_eq!((o, fw), (&b"6ES7 511-1AK00-0AB0"[..], Some(&b"V1.0"[..])));
    // No firmware after it, a malformed one, and no order number.
    let (_, fw) = parser::find_order_number(b"*6ES7 214-1HE30-0XB0 SZVBDYXX017685").expect("o");
    assert_eq!(fw, None);
    assert_eq!(
        parser::find_order_number(b"6ES7 21-1HE30-0XB0;V2.2 6ES7 2x4"),
        None
    );
    assert_eq!(
        parser::find_order_number(b"6ES7 214-1HE30-0XB0;V2."),
        Some((&b"6ES7 214-1HE30-0XB0"[..], None))
    );
    assert_eq!(parser::find_order_number(b"6ES7 214"), None);
}

#[test]
fn s7plus_header_and_head() {
    // V2 SetMultiVariables response (iti__S7-1200-Uploading-OB1-TIAV12 frame 11):
    // 72 02 len 16 | opcode 32, reserved, function 0x0542, reserved, seq 2, ... | trailer.
    let u = hex("72 02 0010 32 0000 0542 0000 0002 34 000000000000 72 02 0000");
    let (_, p) = parser::parse_s7plus(&u).expect("s7plus");
    assert_eq!(
        (p.version, p.data_len, p.trailer, p.truncated),
        (2, 16, true, false)
    );
    let (_, h) = parser::parse_s7plus_head(p.data).expect("head");
    assert_eq!(
        (h.opcode, h.function, h.seq),
        (0x32, Some(codes::S7PLUS_FN_SET_MULTI_VAR), 2)
    );
    // V3: integrity part (0x20 + 32-byte digest) before the opcode.
    let mut d = vec![0x20];
    d.extend_from_slice(&[0xAB; 32]);
    d.extend_from_slice(&hex("31 0000 04f2 0000 831a 70000e4d"));
    let (_, h) = parser::parse_s7plus_head(&d).expect("head");
    assert_eq!(
        (h.opcode, h.function),
        (0x31, Some(codes::S7PLUS_FN_SET_VARIABLE))
    );
    // Notification: no function code.
    let b711 = hex("33 70000e51 04");
    let (_, h) = parser::parse_s7plus_head(&b711).expect("head");
    assert_eq!((h.opcode, h.function), (0x33, None));
    // Fragment without trailer.
    let b714 = hex("72 02 0004 31 0000 05");
    let (_, p) = parser::parse_s7plus(&b714).expect("s7plus");
    assert!(!p.trailer);
    assert_eq!(
        codes::s7plus_op(codes::S7PLUS_FN_CREATE_OBJECT, 1).0,
        Op::Connect
    );
    assert_eq!(
        codes::s7plus_op(codes::S7PLUS_FN_GET_MULTI_VAR, 2).0,
        Op::Read
    );
    assert_eq!(codes::s7plus_op(codes::S7PLUS_FN_EXPLORE, 2).0, Op::Browse);
    assert_eq!(codes::s7plus_op(0x1234, 2).0, Op::Other);
}

#[test]
fn session_presentation_mms() {
    // Iec 61850 capture frame 124 (COTP payload): GT SPDU, DT SPDU, CPC user data
    // [APPLICATION 1], PDV list, presentation context 3, single-ASN1-type [0],
    // confirmed-RequestPDU (0xa0), invoke id 0x04a273, getVariableAccessAttributes [6].
    let p = hex(
        "01 00 01 00 61 35 30 33 02 01 03 a0 2e a0 2c 02 03 04a273 a6 25 a0 23 a1 21 \
                 1a 0e 41413145315130314650324c4430 1a 0f 4c4c4e30244252247263625f423032",
    );
    let mms = parser::mms_pdu_in_data_transfer(&p).expect("mms pdu");
    assert_eq!(mms.id, 0xa0);
    let svc = parser::mms_service(mms.value).expect("service");
    assert_eq!(svc.number, 6);
    assert_eq!(codes::mms_op(svc.number).0, Op::Browse);
    // identify response: [2] { vendor [0], model [1], revision [2] }.
    let body = hex("02 01 07 a2 12 80 03 414242 81 06 524546363135 82 03 322e30");
    let svc = parser::mms_service(&body).expect("service");
    assert_eq!(svc.number, 2);
    let [v, m, r] = parser::mms_identify(svc.value);
    assert_eq!(
        (v, m, r),
        (Some(&b"ABB"[..]), Some(&b"REF615"[..]), Some(&b"2.0"[..]))
    );
    // BER: high tag number form ([72] fileOpen) and long lengths.
    let b744 = hex("bf 48 81 02 0102");
    let (_, t) = parser::parse_tlv(&b744).expect("tlv");
    assert_eq!((t.number, t.value), (72, &[1u8, 2][..]));
    assert!(parser::parse_tlv(&hex("bf ff ff ff ff 01 00")).is_err());
    assert!(parser::parse_tlv(&hex("30 85 0000000001 00")).is_err());
    let b748 = hex("30 80 0102");
    let (_, t) = parser::parse_tlv(&b748).expect("indefinite");
    assert_eq!(t.value, &[1, 2]);
    assert!(parser::mms_pdu_in_data_transfer(&hex("0d 00")).is_none());
}

// --- Probe ---------------------------------------------------------------------------------------

#[test]
fn probe_positive() {
    for pm in [true, false] {
        assert_eq!(probe(Dir::ToServer, &v_cr(), pm), Probe::Match);
        assert_eq!(probe(Dir::ToClient, &v_cc(), pm), Probe::Match);
        assert_eq!(probe(Dir::ToServer, &v_setup_req(), pm), Probe::Match);
        assert_eq!(probe(Dir::ToClient, &v_szl_0011_resp(), pm), Probe::Match);
        // S7comm-plus V1 CreateObject start, V3 notification.
        assert_eq!(
            probe(Dir::ToServer, &dt(&hex("72 01 00ce 31")), pm),
            Probe::Match
        );
        assert_eq!(
            probe(Dir::ToClient, &dt(&hex("72 03 0062 20")), pm),
            Probe::Match
        );
        // MMS data transfer and session connect.
        assert_eq!(
            probe(Dir::ToClient, &dt(&hex("01 00 01 00 61")), pm),
            Probe::Match
        );
        assert_eq!(
            probe(Dir::ToServer, &dt(&hex("0d 05 0506130100")), pm),
            Probe::Match
        );
        // An empty DT followed by an S7 unit.
        let mut v = dt(&[]);
        v.extend_from_slice(&v_setup_req());
        assert_eq!(probe(Dir::ToServer, &v, pm), Probe::Match);
        // A CR without TSAPs followed by an S7 unit.
        let mut v = hex("03 00 000b 06 e0 0000 0001 00");
        v.extend_from_slice(&v_setup_req());
        assert_eq!(probe(Dir::ToServer, &v, pm), Probe::Match);
    }
    // Something else over ISO-on-TCP: only on the port.
    let other = dt(&hex("a5 5a 00 01"));
    assert_eq!(probe(Dir::ToServer, &other, true), Probe::Match);
    assert_eq!(probe(Dir::ToServer, &other, false), Probe::NoMatch);
    assert_eq!(probe(Dir::ToServer, &v_dr(), true), Probe::Match);
    assert_eq!(probe(Dir::ToServer, &v_dr(), false), Probe::NoMatch);
}

/// Away from port 102 a unit must travel the way it goes (requests to the server): the engine
/// turns a flow picked up mid-stream round when only the other way matches. On port 102 the
/// port decides, and a two-way S7 connection carries jobs both ways.
#[test]
fn probe_direction_counts_away_from_port_102() {
    let plus_request = dt(&hex("72 01 00ce 31"));
    let plus_response = dt(&hex("72 03 0062 32"));
    let to_server = [
        v_cr(),
        v_setup_req(),
        v_password_req(),
        plus_request.clone(),
    ];
    let to_client = [
        v_cc(),
        v_setup_resp(),
        v_szl_0011_resp(),
        v_password_resp(0),
        v_mode_push_stop(),
        plus_response.clone(),
    ];
    crate::dissect::assert_probe_ways(probe, &to_server, &to_client);
    // A unit that says neither (S7comm-plus opcode 0x20) matches either way.
    let neither = dt(&hex("72 03 0062 20"));
    assert_eq!(probe(Dir::ToServer, &neither, false), Probe::Match);
    assert_eq!(probe(Dir::ToClient, &neither, false), Probe::Match);
    // A userdata unit too short to hold its type: the byte where the type would be belongs
    // to whatever follows, and does not count (with or without it, the same answer).
    let short = dt(&hex("32 07 0000 0001 0000 0000"));
    let mut followed = short.clone();
    followed.extend_from_slice(&hex("0300 0020 02 40 80 00"));
    for v in [&short, &followed] {
        assert_eq!(probe(Dir::ToClient, v, false), Probe::Match, "{v:02x?}");
        assert_eq!(probe(Dir::ToServer, v, false), Probe::Match, "{v:02x?}");
    }
}

#[test]
fn probe_needs_more() {
    let cr = v_cr();
    for n in 0..6 {
        assert_eq!(
            probe(Dir::ToServer, &cr[..n], false),
            Probe::NeedMore,
            "{n}"
        );
    }
    assert_eq!(probe(Dir::ToServer, &cr[..15], false), Probe::NeedMore);
    assert_eq!(probe(Dir::ToServer, &dt(&[]), false), Probe::NeedMore);
    assert_eq!(probe(Dir::ToServer, &dt(&[0x32]), false), Probe::NeedMore);
    // CR without TSAP and nothing after it yet.
    assert_eq!(
        probe(Dir::ToServer, &hex("03 00 000b 06 e0 0000 0001 00"), true),
        Probe::NeedMore
    );
}

#[test]
fn probe_negative() {
    let http = b"GET / HTTP/1.1\r\nHost: plc\r\n\r\n";
    let modbus = hex("0001 0000 0006 01 03 0000 000a");
    let enip = hex("6500 0400 00000000 00000000 0000000000000000 00000000 0100 0000");
    let tls = hex("16 0301 0050 01 00004c 0303");
    let opcua = b"HELF\x38\x00\x00\x00\x00\x00\x00\x00";
    for pm in [true, false] {
        for v in [&http[..], &modbus, &enip, &tls, &opcua[..]] {
            assert_eq!(probe(Dir::ToServer, v, pm), Probe::NoMatch, "{v:02x?}");
        }
        // RDP: X.224 CR with a cookie and an rdpNegReq inside the variable part
        // (zeek__rdp-to-ssl's first client PDU).
        let mut rdp = hex("03 00 002c 27 e0 0000 0000 00");
        rdp.extend_from_slice(b"Cookie: mstshash=test\r\n");
        rdp.extend_from_slice(&hex("01 00 08 00 03 00 00 00"));
        let l = rdp.len() as u8;
        rdp[3] = l;
        rdp[4] = l - 5;
        assert_eq!(probe(Dir::ToServer, &rdp, pm), Probe::NoMatch);
        // rdpNegReq alone, no TSAP.
        let neg = hex("03 00 0013 0e e0 0000 0000 00 01 00 08 00 03 00 00 00");
        assert_eq!(probe(Dir::ToServer, &neg, pm), Probe::NoMatch);
        // rdpNegRsp in the CC.
        let negr = hex("03 00 0013 0e d0 0000 1234 00 02 00 08 00 01 00 00 00");
        assert_eq!(probe(Dir::ToClient, &negr, pm), Probe::NoMatch);
        // A CR without TSAP followed by MCS Connect-Initial (RDP).
        let mut v = hex("03 00 000b 06 e0 0000 0001 00");
        v.extend_from_slice(&dt(&hex("7f 65 82 01 94")));
        assert_eq!(probe(Dir::ToServer, &v, pm), Probe::NoMatch);
        // MCS data in X.224 DT.
        assert_eq!(
            probe(Dir::ToServer, &dt(&hex("64 00 06 03 eb 70")), pm),
            Probe::NoMatch
        );
        // Bad TPKT fields.
        assert_eq!(
            probe(Dir::ToServer, &[3, 1, 0, 9, 2, 0xf0, 0x80, 0x32, 1], pm),
            Probe::NoMatch
        );
        assert_eq!(
            probe(Dir::ToServer, &[3, 0, 0, 5, 2, 0xf0, 0x80], pm),
            Probe::NoMatch
        );
        assert_eq!(
            probe(Dir::ToServer, &[3, 0, 0, 9, 2, 0x60, 0x80, 0x32, 1], pm),
            Probe::NoMatch
        );
    }
    // S7 with an impossible ROSCTR (on port 102 it is still ISO-on-TCP).
    assert_eq!(
        probe(Dir::ToServer, &dt(&[0x32, 9, 0, 0]), false),
        Probe::NoMatch
    );
    // TLS inside COTP only on the S7 port.
    assert_eq!(
        probe(Dir::ToServer, &dt(&hex("16 03 01 0050")), false),
        Probe::NoMatch
    );
    assert_eq!(
        probe(Dir::ToServer, &dt(&hex("16 03 01 0050")), true),
        Probe::Match
    );
    // Random bytes.
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut matched = 0;
    for _ in 0..2000 {
        let n = (rng.next() % 64) as usize;
        let v: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        if probe(Dir::ToServer, &v, false) == Probe::Match {
            matched += 1;
        }
    }
    assert_eq!(matched, 0);
}

// --- Dissector ---------------------------------------------------------------------------------

/// A snap7-like session: CR/CC, setup, SZL 0x0011 and 0x001c (fragmented), 0x0424, 0x0132
/// protection, password, stop, start, upload, DR.
fn session() -> Vec<(Dir, Vec<u8>)> {
    use Dir::{ToClient as C, ToServer as S};
    let mut v = vec![
        (S, v_cr()),
        (C, v_cc()),
        (S, v_setup_req()),
        (C, v_setup_resp()),
    ];
    // SZL 0x0011 request and answer.
    v.push((
        S,
        dt(&userdata(3, 4, 4, 1, 0, 0, 0, 0xff, &hex("0011 0000"))),
    ));
    v.push((C, v_szl_0011_resp()));
    // SZL 0x001c answered in two fragments (data unit reference 6).
    let mut list = hex("001c 0000 0022 0004");
    for (idx, text) in [
        (1u16, &b"AS-NAME"[..]),
        (2, b"MODULE-NAME"),
        (5, b"S C-SERIAL123"),
        (7, b"CPU 315-2 PN/DP"),
    ] {
        list.extend_from_slice(&idx.to_be_bytes());
        let mut f = text.to_vec();
        f.resize(32, 0);
        list.extend_from_slice(&f);
    }
    let (a, b) = list.split_at(60);
    v.push((
        S,
        dt(&userdata(4, 4, 4, 1, 0, 0, 0, 0xff, &hex("001c 0000"))),
    ));
    v.push((C, dt(&userdata(4, 8, 4, 1, 6, 1, 0, 0xff, a))));
    v.push((S, dt(&userdata(5, 4, 4, 1, 6, 0, 0, 0x0a, &[]))));
    v.push((C, dt(&userdata(5, 8, 4, 1, 6, 0, 0, 0xff, b))));
    // SZL 0x0424 (RUN) and 0x0132 index 4 (password level 3).
    v.push((
        S,
        dt(&userdata(6, 4, 4, 1, 0, 0, 0, 0xff, &hex("0424 0000"))),
    ));
    v.push((
        C,
        dt(&userdata(
            6,
            8,
            4,
            1,
            0,
            0,
            0,
            0xff,
            &hex("0424 0000 0014 0001 4303ff08 00000000 00000000 2601150830000004"),
        )),
    ));
    v.push((
        S,
        dt(&userdata(7, 4, 4, 1, 0, 0, 0, 0xff, &hex("0132 0004"))),
    ));
    v.push((
        C,
        dt(&userdata(
            7,
            8,
            4,
            1,
            0,
            0,
            0,
            0xff,
            &hex(
                "0132 0004 0028 0001 0004 0001 0003 0003 0002 0000 0000 5656 \
                  0158 426b 0000 0000 0200 0000 0000 0000 0000 0000 0000 0000",
            ),
        )),
    ));
    v.push((S, v_password_req()));
    v.push((C, v_password_resp(0)));
    v.push((S, v_plc_stop()));
    v.push((C, dt(&s7(3, 0x12, &[0x29], &[]))));
    v.push((S, v_pi_start()));
    v.push((S, v_start_upload()));
    v.push((S, v_dr()));
    v
}

fn run_session(h: &mut H, units: &[(Dir, Vec<u8>)]) {
    for (d, b) in units {
        h.feed(*d, b);
    }
}

#[test]
fn s7_session_observations() {
    let mut h = H::new();
    run_session(&mut h, &session());
    h.close();
    assert_eq!(h.proto, "s7comm");
    assert_eq!(h.d.f.kind, Kind::S7);
    assert_eq!(h.claims("order_number"), ["6ES7 317-2OT51-0AB0"]);
    assert_eq!(h.claims("firmware"), ["V3.3.17"]);
    assert_eq!(h.claims("hardware_version"), ["5"]);
    assert_eq!(h.claims("vendor"), ["Siemens"]);
    assert_eq!(h.claims("product"), ["SIMATIC S7-300"]);
    assert_eq!(h.claims("s7comm.as_name"), ["AS-NAME"]);
    assert_eq!(h.claims("s7comm.module_name"), ["MODULE-NAME"]);
    assert_eq!(h.claims("name"), ["AS-NAME", "MODULE-NAME"]);
    assert_eq!(h.claims("serial"), ["S C-SERIAL123"]);
    assert_eq!(h.claims("model"), ["CPU 315-2 PN/DP"]);
    assert!(h.store.claims.keys().all(|k| k.subject == server_subject()));
    assert_eq!(h.facts("s7comm.rack"), ["0"]);
    assert_eq!(h.facts("s7comm.slot"), ["1"]);
    assert_eq!(h.facts("s7comm.connection_type"), ["PG"]);
    assert_eq!(h.facts("cotp.called_tsap"), ["0x0101"]);
    assert_eq!(h.facts("cotp.calling_tsap"), ["0x0100"]);
    assert_eq!(h.facts("s7comm.pdu_size"), ["480"]);
    assert_eq!(h.facts("s7comm.cpu_state"), ["RUN"]);
    assert_eq!(h.facts("s7comm.protection_level"), ["3"]);
    assert_eq!(h.facts("s7comm.password_set"), ["true"]);
    assert_eq!(h.facts("s7comm.mode_selector"), ["RUN-P"]);
    assert_eq!(
        h.facts("s7comm.szl_read"),
        ["0x0011", "0x001c", "0x0132", "0x0424"]
    );
    assert_eq!(h.facts("s7comm.block_upload"), ["DB1"]);
    assert_eq!(h.facts("cotp.disconnect_reason"), ["not_specified"]);
    assert!(h.has_detail(Op::Connect, "cotp_connect"));
    assert!(h.has_detail(Op::Connect, "setup_communication"));
    assert_eq!(h.op_count(Op::Identify), 5, "4 SZL requests + 1 follow-up");
    assert!(h.has_detail(Op::CpuStop, "plc_stop"));
    assert!(h.has_detail(Op::CpuStart, "pi_program_start"));
    assert!(h.has_detail(Op::ProgramUpload, "start_upload"));
    assert!(h.has_detail(Op::Login, "plc_password"));
    let auth: Vec<_> = h.store.auths.iter().collect();
    assert_eq!(auth.len(), 1);
    let (k, a) = auth[0];
    assert_eq!(k.mechanism, "s7-password");
    assert_eq!((a.attempts, a.successes, a.failures), (0, 1, 0));
    assert!(!a.cleartext);
    assert!(a.users.is_empty());
    assert_eq!(
        a.secrets.iter().cloned().collect::<Vec<_>>(),
        ["213a1b1d6e681b1d"]
    );
    assert_eq!(h.anomalies_total(), 0, "{:?}", h.snapshot());
    assert!(h.d.f.tx.len() <= 2);
}

#[test]
fn password_outcomes() {
    // Rejected.
    let mut h = H::new();
    h.feed(Dir::ToServer, &v_password_req());
    h.feed(Dir::ToClient, &v_password_resp(0xd602));
    let a = h.store.auths.values().next().expect("auth");
    assert_eq!((a.attempts, a.successes, a.failures), (0, 0, 1));
    // Unanswered: an attempt, reported at close.
    let mut h = H::new();
    h.feed(Dir::ToServer, &v_password_req());
    assert!(h.store.auths.is_empty());
    h.close();
    let a = h.store.auths.values().next().expect("auth");
    assert_eq!((a.attempts, a.successes, a.failures), (1, 0, 0));
    assert_eq!(a.secrets.len(), 1);
}

#[test]
fn mode_transition_push_and_downloads() {
    let mut h = H::new();
    h.feed(Dir::ToClient, &v_mode_push_stop());
    assert_eq!(h.facts("s7comm.cpu_state"), ["STOP"]);
    // Request download from the client, download block and download ended from the PLC.
    let name = b"_0A00001P";
    let mut p = hex("1a 00 0100 00000000 09");
    p.extend_from_slice(name);
    p.extend_from_slice(&hex("0d 31 303030353030 303030343030"));
    h.feed(Dir::ToServer, &dt(&s7(1, 1, &p, &[])));
    let mut p = hex("1b 00 0000 00000000 09");
    p.extend_from_slice(name);
    h.feed(Dir::ToClient, &dt(&s7(1, 2, &p, &[])));
    let mut p = hex("1c 00 0000 00000000 09");
    p.extend_from_slice(name);
    h.feed(Dir::ToClient, &dt(&s7(1, 3, &p, &[])));
    // _INSE and a rejected _DELE.
    h.feed(
        Dir::ToServer,
        &dt(&s7(1, 4, &hex("28 000000000000fd 0000 05 5f494e5345"), &[])),
    );
    h.feed(
        Dir::ToServer,
        &dt(&s7(1, 5, &hex("28 000000000000fd 0000 05 5f44454c45"), &[])),
    );
    let mut rej = s7(3, 5, &[0x28], &[]);
    rej[10] = 0x85; // error class
    h.feed(Dir::ToClient, &dt(&rej));
    assert_eq!(h.facts("s7comm.block_download"), ["DB1"]);
    assert_eq!(h.op_count(Op::ProgramDownload), 4);
    assert!(h.has_detail(Op::ProgramDownload, "download_block"));
    assert!(h.has_detail(Op::ProgramDownload, "pi_insert_block"));
    assert!(h.has_detail(Op::ProgramDelete, "pi_delete_block"));
    assert_eq!(h.facts("s7comm.job_rejected"), ["pi_service"]);
    // Userdata requests.
    h.feed(
        Dir::ToServer,
        &dt(&userdata(9, 4, 7, 2, 0, 0, 0, 0xff, &[0; 10])),
    );
    h.feed(
        Dir::ToServer,
        &dt(&userdata(10, 4, 1, 8, 0, 0, 0, 0xff, &[0; 4])),
    );
    h.feed(
        Dir::ToServer,
        &dt(&userdata(11, 4, 1, 0x0c, 0, 0, 0, 0xff, &[])),
    );
    h.feed(
        Dir::ToServer,
        &dt(&userdata(12, 4, 2, 1, 0, 0, 0, 0xff, &[])),
    );
    h.feed(
        Dir::ToServer,
        &dt(&userdata(13, 4, 3, 1, 0, 0, 0, 0xff, &[])),
    );
    assert!(h.has_detail(Op::TimeSet, "set_clock"));
    assert!(h.has_detail(Op::Write, "modify_variable"));
    assert!(h.has_detail(Op::Reset, "memory_reset"));
    assert!(h.has_detail(Op::Subscribe, "cyclic_data"));
    assert!(h.has_detail(Op::Read, "list_blocks"));
    assert_eq!(h.anomalies_total(), 0, "{:?}", h.snapshot());
}

#[test]
fn cotp_fragments_reassembled_and_bounded() {
    // The SZL answer split over three DT units (only the last with EOT).
    let whole = v_szl_0011_resp();
    let payload = &whole[7..];
    let mut h = H::new();
    h.feed(Dir::ToClient, &dt_eot(&payload[..10], false));
    h.feed(Dir::ToClient, &dt_eot(&payload[10..50], false));
    assert!(h.claims("order_number").is_empty());
    h.feed(Dir::ToClient, &dt_eot(&payload[50..], true));
    assert_eq!(h.claims("order_number"), ["6ES7 317-2OT51-0AB0"]);
    assert_eq!(h.anomalies_total(), 0);
    // Bound: a unit larger than max_pdu_bytes is dropped with an anomaly.
    let limits = Limits {
        max_pdu_bytes: 100,
        ..Limits::default()
    };
    let mut h = H::with_limits(limits);
    h.feed(Dir::ToClient, &dt_eot(&payload[..60], false));
    h.feed(Dir::ToClient, &dt_eot(&payload[..60], false));
    assert_eq!(h.anomaly("cotp_reassembly_too_large"), 1);
    assert!(h.d.f.dirs[1].reasm.len() <= 100);
    h.feed(Dir::ToClient, &dt_eot(&payload[60..], true));
    assert!(h.claims("order_number").is_empty());
    // The next unit is handled normally.
    h.feed(Dir::ToClient, &whole);
    assert_eq!(h.claims("order_number"), ["6ES7 317-2OT51-0AB0"]);
}

#[test]
fn garbage_is_skipped_and_counted() {
    let mut h = H::new();
    h.feed(Dir::ToServer, &v_setup_req());
    // Random bytes between two PDUs on an established connection.
    let mut v = hex("de ad be ef 00 11 22 33 03 99 44 03 00");
    v.extend_from_slice(&v_plc_stop());
    h.feed(Dir::ToServer, &v);
    assert_eq!(h.anomaly("garbage"), 1);
    assert!(h.has_detail(Op::CpuStop, "plc_stop"));
    // Garbage at the end, then a PDU in the next segment.
    h.feed(Dir::ToServer, &hex("ff ff ff ff 03"));
    h.feed(Dir::ToServer, &v_pi_start());
    assert_eq!(h.anomaly("garbage"), 2);
    assert!(h.has_detail(Op::CpuStart, "pi_program_start"));
    assert_eq!(h.proto, "s7comm");
}

#[test]
fn midstream_and_gap_resync() {
    // Picked up in the middle of a PDU: the tail is skipped without an anomaly.
    let mut h = H::new();
    let stop = v_plc_stop();
    let mut v = stop[9..].to_vec();
    v.extend_from_slice(&v_pi_start());
    h.feed(Dir::ToServer, &v);
    assert_eq!(h.anomalies_total(), 0);
    assert!(!h.has_detail(Op::CpuStop, "plc_stop"));
    assert!(h.has_detail(Op::CpuStart, "pi_program_start"));
    // A gap in the middle of a fragmented unit: the fragment is dropped, the bytes after the
    // gap are skipped until a header, and the next unit is handled.
    let whole = v_szl_0011_resp();
    let mut h = H::new();
    h.feed(Dir::ToClient, &dt_eot(&whole[7..40], false));
    h.gap(Dir::ToClient);
    assert!(h.d.f.dirs[1].reasm.is_empty());
    let mut v = whole[30..].to_vec();
    v.extend_from_slice(&whole);
    h.feed(Dir::ToClient, &v);
    assert_eq!(h.claims("order_number"), ["6ES7 317-2OT51-0AB0"]);
    assert_eq!(h.anomalies_total(), 0, "{:?}", h.snapshot());
}

#[test]
fn growing_prefixes_give_the_same_observations() {
    let units = session();
    // Reference: each unit in one piece.
    let mut reference = H::new();
    run_session(&mut reference, &units);
    reference.close();
    let want = reference.snapshot();
    // Concatenate per direction, keeping the order; cut each direction's stream into
    // segments of every size from 1 to 40 bytes.
    for seg in 1..=40usize {
        let mut h = H::new();
        for (d, b) in &units {
            for c in b.chunks(seg) {
                h.feed(*d, c);
            }
        }
        h.close();
        assert_eq!(h.snapshot(), want, "segment size {seg}");
    }
    // Every prefix of the client stream, then the rest: no panic, and once complete the same
    // as feeding it whole.
    let client: Vec<u8> = units
        .iter()
        .filter(|(d, _)| *d == Dir::ToServer)
        .flat_map(|(_, b)| b.clone())
        .collect();
    let mut whole = H::new();
    whole.feed(Dir::ToServer, &client);
    let want = whole.snapshot();
    for cut in 0..=client.len() {
        let mut h = H::new();
        h.feed(Dir::ToServer, &client[..cut]);
        h.feed(Dir::ToServer, &client[cut..]);
        assert_eq!(h.snapshot(), want, "cut at {cut}");
    }
}

#[test]
fn mms_flow_is_not_s7() {
    let mut h = H::new();
    // CR/CC with TSAP 0x0001 (IEC 61850 capture frames 107/109).
    h.feed(
        Dir::ToServer,
        &hex("03 00 0016 11 e0 0000 0778 00 c1 02 0001 c2 02 0001 c0 01 0d"),
    );
    h.feed(
        Dir::ToClient,
        &hex("03 00 0016 11 d0 0778 3400 00 c1 02 0001 c2 02 0001 c0 01 0a"),
    );
    // Session CONNECT (start of frame 110), then a confirmed read request and an identify
    // response.
    h.feed(Dir::ToServer, &dt(&hex("0d 9e 05 06 13 01 00 16 01 02")));
    let read = hex("01 00 01 00 61 12 30 10 02 01 03 a0 0b a0 09 02 01 01 a4 04 a1 02 80 00");
    h.feed(Dir::ToServer, &dt(&read));
    let ident = hex(
        "01 00 01 00 61 1e 30 1c 02 01 03 a0 17 a1 15 02 01 07 a2 10 \
                     80 03 414242 81 06 524546363135 82 01 32",
    );
    h.feed(Dir::ToClient, &dt(&ident));
    h.close();
    assert_eq!(h.proto, "mms");
    assert!(h.facts("s7comm.rack").is_empty());
    assert!(h.facts("s7comm.slot").is_empty());
    assert_eq!(h.facts("cotp.called_tsap"), ["0x0001"]);
    assert!(h.has_detail(Op::Connect, "mms_initiate"));
    assert!(h.has_detail(Op::Read, "mms_read"));
    assert_eq!(h.claims("vendor"), ["ABB"]);
    assert_eq!(h.claims("model"), ["REF615"]);
    assert!(h.store.facts.keys().all(|k| k.proto == "mms"));
}

#[test]
fn s7plus_flow() {
    let mut h = H::new();
    // CR with the SIMATIC-ROOT-HMI called TSAP (iti__V13_1200 frame 4).
    h.feed(
        Dir::ToServer,
        &hex("03 00 0024 1f e0 0000 0009 00 c1 02 0600 \
              c2 10 53494d415449432d524f4f542d484d49 c0 01 0a"),
    );
    // V1 CreateObject request, and its response with the order number.
    h.feed(
        Dir::ToServer,
        &dt(&hex(
            "72 01 000d 31 0000 04ca 0000 0001 00000120 72 01 0000",
        )),
    );
    let mut body = hex("32 0000 04ca 0000 0001 36");
    body.extend_from_slice(b"\x00\x15\x1b1;6ES7 214-1HE30-0XB0 ;V2.2\x82\x40");
    let mut resp = vec![0x72, 0x01];
    resp.extend_from_slice(&(body.len() as u16).to_be_bytes());
    resp.extend_from_slice(&body);
    resp.extend_from_slice(&hex("72 01 0000"));
    h.feed(Dir::ToClient, &dt(&resp));
    // V2 GetMultiVariables split over two units (no trailer in the first).
    h.feed(
        Dir::ToServer,
        &dt(&hex("72 02 0009 31 0000 054c 0000 0002")),
    );
    h.feed(
        Dir::ToServer,
        &dt(&hex("72 02 0005 31 0000 04f2 72 02 0000")),
    );
    // An empty DT between requests.
    h.feed(Dir::ToServer, &dt(&[]));
    h.feed(
        Dir::ToServer,
        &dt(&hex("72 02 000a 31 0000 04bb 0000 0003 00 72 02 0000")),
    );
    h.close();
    assert_eq!(h.proto, "s7comm_plus");
    assert_eq!(h.facts("cotp.called_tsap"), ["SIMATIC-ROOT-HMI"]);
    assert!(h.facts("s7comm.rack").is_empty());
    assert_eq!(h.facts("s7comm_plus.version"), ["V2"]);
    assert_eq!(h.facts("s7comm_plus.family"), ["S7-1200/1500"]);
    assert!(h.facts("s7comm_plus.integrity").is_empty());
    assert_eq!(h.claims("order_number"), ["6ES7 214-1HE30-0XB0"]);
    assert_eq!(h.claims("firmware"), ["V2.2"]);
    assert_eq!(h.claims("product"), ["SIMATIC S7-1200"]);
    assert!(h.has_detail(Op::Connect, "create_session"));
    assert!(h.has_detail(Op::Read, "get_multi_variables"));
    // The continuation fragment's bytes are not read as a request.
    assert!(!h.has_detail(Op::Write, "set_variable"));
    assert!(h.has_detail(Op::Browse, "explore"));
    assert_eq!(h.anomalies_total(), 0, "{:?}", h.snapshot());

    // V3 with integrity, and TLS inside COTP.
    let mut h = H::new();
    let mut v3 = hex("72 03 0000 20");
    v3.extend_from_slice(&[0x11; 32]);
    v3.extend_from_slice(&hex("31 0000 054c 0000 0004 70000e4d"));
    let l = (v3.len() - 4) as u16;
    v3[2..4].copy_from_slice(&l.to_be_bytes());
    v3.extend_from_slice(&hex("72 03 0000"));
    h.feed(Dir::ToServer, &dt(&v3));
    h.feed(Dir::ToClient, &dt(&hex("16 03 03 0040 02 00003c 0303")));
    h.close();
    assert_eq!(h.facts("s7comm_plus.version"), ["V3"]);
    assert_eq!(h.facts("s7comm_plus.integrity"), ["true"]);
    assert_eq!(h.facts("s7comm_plus.tls"), ["true"]);
    assert!(h.has_detail(Op::Read, "get_multi_variables"));

    // Only V1 seen: reported at close.
    let mut h = H::new();
    h.feed(
        Dir::ToServer,
        &dt(&hex("72 01 0009 31 0000 04ca 0000 0001 72 01 0000")),
    );
    assert!(h.facts("s7comm_plus.version").is_empty());
    h.close();
    assert_eq!(h.facts("s7comm_plus.version"), ["V1"]);
}

#[test]
fn close_without_data_units() {
    // Only a CR with S7 TSAPs: s7comm, with rack/slot.
    let mut h = H::new();
    h.feed(Dir::ToServer, &v_cr());
    assert!(
        h.store.facts.is_empty(),
        "reported once the protocol is known"
    );
    h.close();
    assert_eq!(h.proto, "s7comm");
    assert_eq!(h.facts("s7comm.slot"), ["1"]);
    assert!(h.has_detail(Op::Connect, "cotp_connect"));
    // Other TSAPs: iso_tsap.
    let mut h = H::new();
    h.feed(
        Dir::ToServer,
        &hex("03 00 0016 11 e0 0000 0778 00 c1 02 0001 c2 02 0001 c0 01 0d"),
    );
    h.close();
    assert_eq!(h.proto, "iso_tsap");
    assert!(h.facts("s7comm.slot").is_empty());
    // Something else in the data units: iso_tsap.
    let mut h = H::new();
    h.feed(Dir::ToServer, &dt(&hex("a5 5a 00 01")));
    assert_eq!(h.proto, "iso_tsap");
}

#[test]
fn open_requests_are_bounded() {
    let limits = Limits {
        max_open_transactions: 8,
        ..Limits::default()
    };
    let mut h = H::with_limits(limits);
    for r in 0..200u16 {
        h.feed(
            Dir::ToServer,
            &dt(&s7(
                1,
                r,
                &hex("04 01 12 0a 10 02 0001 0001 84 000000"),
                &[],
            )),
        );
        assert!(h.d.f.tx.len() <= 8);
    }
    // Unanswered passwords pushed out of the table are reported as attempts.
    for r in 0..20u16 {
        let mut v = v_password_req();
        v[11..13].copy_from_slice(&r.to_be_bytes());
        h.feed(Dir::ToServer, &v);
    }
    let a = h.store.auths.values().next().expect("auth");
    assert_eq!(a.attempts, 12);
    h.close();
    let a = h.store.auths.values().next().expect("auth");
    assert_eq!(a.attempts, 20);
    assert_eq!(h.op_count(Op::Read), 200);
}

#[test]
fn pure_garbage_desyncs() {
    let mut h = H::new();
    let junk = vec![0x55u8; 20_000];
    h.feed(Dir::ToServer, &junk);
    assert!(h.desync);
    // Before any TPKT: garbage at the start of a flow is not counted (mid-stream start).
    assert_eq!(h.anomalies_total(), 0);
}

// --- Fuzz ----------------------------------------------------------------------------------------

/// xorshift64*: a std-only PRNG with a fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn check_bounds(h: &H) {
    let f = &h.d.f;
    assert!(f.tx.len() <= h.limits.max_open_transactions.max(1));
    for d in &f.dirs {
        assert!(d.reasm.len() <= h.limits.max_pdu_bytes);
    }
    if let Some(r) = &f.szl {
        assert!(r.buf.len() <= state::MAX_SZL_REASM);
    }
    assert!(f.szl_ids.len() <= state::MAX_REMEMBERED);
    assert!(f.blocks.len() <= state::MAX_REMEMBERED);
    for b in &h.bufs {
        assert!(b.len() <= h.limits.max_pdu_bytes + 65_536);
    }
}

#[test]
fn fuzz_probe_and_parse() {
    let mut rng = Rng(0x0075_7337_0bad_cafe);
    let seeds: Vec<Vec<u8>> = session()
        .into_iter()
        .map(|(_, b)| b)
        .chain([
            dt(&hex("72 02 0008 31 0000 054c 0000 0002")),
            dt(&hex(
                "01 00 01 00 61 12 30 10 02 01 03 a0 0b a0 09 02 01 01 a4 04 a1 02 80 00",
            )),
            dt(&hex("0d 9e 05 06 13 01 00 16 01 02")),
        ])
        .collect();
    let limits = Limits {
        max_pdu_bytes: 4096,
        max_open_transactions: 16,
        ..Limits::default()
    };
    // More rounds on demand: S7_FUZZ_ROUNDS=200000 cargo test --release --lib fuzz_probe.
    let rounds: usize = std::env::var("S7_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    for round in 0..rounds {
        let mut h = H::with_limits(limits.clone());
        let n_units = 1 + (rng.next() % 6) as usize;
        for _ in 0..n_units {
            let dir = if rng.next() % 2 == 0 {
                Dir::ToServer
            } else {
                Dir::ToClient
            };
            let mut v = match rng.next() % 4 {
                // Pure random bytes, sometimes with a TPKT-looking start.
                0 => {
                    let n = (rng.next() % 300) as usize;
                    let mut v: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                    if n > 8 && rng.next() % 2 == 0 {
                        v[..7].copy_from_slice(&[3, 0, 0, n.min(255) as u8, 2, 0xf0, 0x80]);
                        v[7] = [0x32, 0x72, 0x01, 0x0d][(rng.next() % 4) as usize];
                    }
                    v
                }
                // A valid unit with a few bytes flipped.
                1 | 2 => {
                    let mut v = seeds[(rng.next() % seeds.len() as u64) as usize].clone();
                    let flips = 1 + rng.next() % 4;
                    for _ in 0..flips {
                        let i = (rng.next() % v.len() as u64) as usize;
                        v[i] = rng.next() as u8;
                    }
                    v
                }
                // A valid unit truncated or extended with junk.
                _ => {
                    let mut v = seeds[(rng.next() % seeds.len() as u64) as usize].clone();
                    if rng.next() % 2 == 0 {
                        let cut = (rng.next() % v.len() as u64) as usize;
                        v.truncate(cut);
                    } else {
                        let extra = (rng.next() % 40) as usize;
                        v.extend((0..extra).map(|_| rng.next() as u8));
                    }
                    v
                }
            };
            let _ = probe(dir, &v, round % 2 == 0);
            if rng.next() % 8 == 0 {
                h.gap(dir);
            }
            // Deliver in random segments.
            while !v.is_empty() {
                let n = 1 + (rng.next() % 64) as usize;
                let rest = v.split_off(n.min(v.len()));
                h.feed(dir, &v);
                v = rest;
            }
            check_bounds(&h);
        }
        h.close();
        check_bounds(&h);
    }
}
