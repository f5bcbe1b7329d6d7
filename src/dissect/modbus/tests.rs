//! Unit tests: byte vectors commented field by field, the probe, the streaming dissector
//! through the engine's buffering, growing prefixes, garbage, gaps and random input.

use super::parser::{self, Check, HeaderCheck};
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
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The dissector of one flow behind the same buffering as `engine::feed`.
struct Flow {
    d: Modbus,
    buf: [Vec<u8>; 2],
    need: [usize; 2],
    store: Store,
    limits: Limits,
    exp: Vec<Expectation>,
    desync: bool,
}

impl Flow {
    fn new() -> Flow {
        Flow::with_limits(Limits::default())
    }

    fn with_limits(limits: Limits) -> Flow {
        Flow {
            d: Modbus::default(),
            buf: [Vec::new(), Vec::new()],
            need: [0, 0],
            store: Store::new(100_000, 8),
            limits,
            exp: Vec::new(),
            desync: false,
        }
    }

    fn cx<'a>(store: &'a mut Store, limits: &'a Limits, exp: &'a mut Vec<Expectation>) -> Cx<'a> {
        Cx::new(
            (CLIENT, 40000),
            (SERVER, 502),
            Transport::Tcp,
            PROTO,
            Ev::default(),
            limits,
            store,
            exp,
        )
    }

    fn feed(&mut self, dir: Dir, data: &[u8]) {
        if self.desync {
            return;
        }
        let d = di(dir);
        let buffered = !self.buf[d].is_empty();
        if buffered {
            self.buf[d].extend_from_slice(data);
            if self.buf[d].len() < self.need[d] {
                return;
            }
        }
        let input: Vec<u8> = if buffered {
            std::mem::take(&mut self.buf[d])
        } else {
            data.to_vec()
        };
        let mut cx = Flow::cx(&mut self.store, &self.limits, &mut self.exp);
        let mut off = 0;
        let mut need = 0;
        while off < input.len() {
            match self.d.parse(dir, &input[off..], &mut cx) {
                Parsed::Consumed(n) => {
                    assert!(n > 0, "Consumed(0)");
                    assert!(n <= input.len() - off, "consumed more than given");
                    off += n;
                }
                Parsed::NeedMore { consumed, needed } => {
                    assert!(consumed <= input.len() - off, "consumed more than given");
                    assert!(needed > 0 && needed <= parser::MAX_ADU, "needed {needed}");
                    off += consumed;
                    assert!(
                        needed > input.len() - off,
                        "NeedMore with enough bytes: {needed} <= {}",
                        input.len() - off
                    );
                    need = needed;
                    break;
                }
                Parsed::Desync { .. } => {
                    self.desync = true;
                    return;
                }
            }
        }
        self.buf[d] = input[off..].to_vec();
        self.need[d] = need;
        assert!(
            self.buf[d].len() <= parser::MAX_ADU,
            "holds {}",
            self.buf[d].len()
        );
    }

    fn gap(&mut self, dir: Dir) {
        let d = di(dir);
        self.buf[d].clear();
        self.need[d] = 0;
        let mut cx = Flow::cx(&mut self.store, &self.limits, &mut self.exp);
        self.d.gap(dir, 100, &mut cx);
    }

    fn ops(&self) -> Vec<(Op, u64, Vec<&'static str>)> {
        sorted(&self.store.ops)
            .into_iter()
            .map(|(k, v)| (k.op, v.evidence.count, v.details.iter().copied().collect()))
            .collect()
    }

    fn op_count(&self, op: Op) -> u64 {
        self.ops().iter().filter(|o| o.0 == op).map(|o| o.1).sum()
    }

    fn claims(&self) -> Vec<(Subject, &'static str, String, u8)> {
        sorted(&self.store.claims)
            .into_iter()
            .map(|(k, v)| (k.subject, k.field, k.value.clone(), v.confidence))
            .collect()
    }

    fn claim(&self, field: &str) -> Vec<String> {
        self.claims()
            .into_iter()
            .filter(|c| c.1 == field)
            .map(|c| c.2)
            .collect()
    }

    fn facts(&self, key: &str) -> Vec<(String, u64)> {
        sorted(&self.store.facts)
            .into_iter()
            .filter(|(k, _)| k.key == key)
            .map(|(k, v)| (k.value.clone(), v.count))
            .collect()
    }

    fn anomaly(&self, kind: &str) -> u64 {
        self.store
            .anomalies
            .iter()
            .filter(|(k, _)| k.kind == kind)
            .map(|(_, v)| v.count)
            .sum()
    }

    fn anomalies(&self) -> Vec<(&'static str, u64)> {
        sorted(&self.store.anomalies)
            .into_iter()
            .map(|(k, v)| (k.kind, v.count))
            .collect()
    }

    /// Everything observed, for comparing two runs.
    fn summary(&self) -> String {
        let facts: Vec<_> = sorted(&self.store.facts)
            .into_iter()
            .map(|(k, v)| (k.key, k.value.clone(), v.count))
            .collect();
        let claims: Vec<_> = sorted(&self.store.claims)
            .into_iter()
            .map(|(k, v)| (k.field, k.value.clone(), v.evidence.count))
            .collect();
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}",
            self.ops(),
            claims,
            facts,
            self.anomalies()
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Byte vectors

/// Read Holding Registers request, pymodbus capture frame 13.
const FC3_REQ: &str = "0003 0000 0006 01 \
                       03 0000 000a"; // tid 3, proto 0, len 6, unit 1 | fc 3, addr 0, qty 10
/// Its response.
const FC3_RSP: &str = "0003 0000 0017 01 \
                       03 14 03e8 03e9 03ea 03eb 03ec 03ed 03ee 03ef 03f0 03f1"; // bc 20, 10 regs

#[test]
fn mbap_header_fields() {
    let b = hex(FC3_REQ);
    let (rest, h) = parser::parse_mbap(&b).unwrap();
    assert_eq!(h.transaction, 3);
    assert_eq!(h.protocol, 0);
    assert_eq!(h.length, 6);
    assert_eq!(h.unit, 1);
    assert_eq!(rest, &b[7..]);
    assert_eq!(h.check(), HeaderCheck::Ok);
    assert_eq!(h.adu_len(), 12);
    // protocol id 1
    let (_, h) = parser::parse_mbap(&hex("0001 0001 0006 01")).unwrap();
    assert_eq!(h.check(), HeaderCheck::BadProtocol);
    // length 1 (no function code), 261 (too long)
    let (_, h) = parser::parse_mbap(&hex("0001 0000 0001 01")).unwrap();
    assert_eq!(h.check(), HeaderCheck::BadLength);
    let (_, h) = parser::parse_mbap(&hex("0001 0000 0105 01")).unwrap();
    assert_eq!(h.check(), HeaderCheck::BadLength);
    // length 255..=260 accepted as long
    let (_, h) = parser::parse_mbap(&hex("0001 0000 00ff 01")).unwrap();
    assert_eq!(h.check(), HeaderCheck::Long);
    assert!(parser::parse_mbap(&hex("0001 0000 00")).is_err());
}

#[test]
fn adu_framing() {
    let two = [hex(FC3_REQ), hex("0004 0000 0002 01 11")].concat(); // + report server id
    let (rest, a) = parser::parse_adu(&two).unwrap();
    assert_eq!(a.fc, 3);
    assert_eq!(a.body, &hex("0000 000a")[..]);
    let (rest, b) = parser::parse_adu(rest).unwrap();
    assert_eq!((b.fc, b.body.len(), rest.len()), (17, 0, 0));
    // length says 6 but only 5 follow
    assert!(parser::parse_adu(&hex("0003 0000 0006 01 03 0000 00")).is_err());
    // length 1: no function code
    assert!(parser::parse_adu(&hex("0003 0000 0001 01 03")).is_err());
    // exception bit
    let exc = hex("0010 0000 0003 01 83 02");
    let (_, e) = parser::parse_adu(&exc).unwrap();
    assert!(e.is_exception());
}

#[test]
fn request_body_checks() {
    use Check::*;
    let c = |fc, b: &str| parser::check_request(fc, &hex(b));
    assert_eq!(c(1, "0000 0010"), Ok); // addr 0, 16 coils
    assert_eq!(c(1, "0000 0000"), Bad("bad_quantity")); // 0 coils
    assert_eq!(c(3, "0000 007e"), Bad("bad_quantity")); // 126 registers > 125
    assert_eq!(c(3, "0000 000a 00"), Bad("bad_pdu_length"));
    assert_eq!(c(5, "0003 ff00"), Ok); // coil 3 on
    assert_eq!(c(5, "0003 1234"), Bad("bad_coil_value"));
    assert_eq!(c(6, "0005 1234"), Ok);
    assert_eq!(c(7, ""), Ok);
    assert_eq!(c(8, "0000 4f54"), Ok); // return query data
    // write multiple coils: addr 10, 9 coils, 2 bytes
    assert_eq!(c(15, "000a 0009 02 4d01"), Ok);
    assert_eq!(c(15, "000a 0009 01 4d"), Bad("bad_byte_count"));
    // write multiple registers: addr 20, 4 regs, 8 bytes
    assert_eq!(c(16, "0014 0004 08 0101 0202 0303 0404"), Ok);
    assert_eq!(c(16, "0014 0004 06 0101 0202 0303"), Bad("bad_byte_count"));
    assert_eq!(c(17, ""), Ok);
    // read file record: 7 bytes, ref type 6, file 4, record 1, length 2
    assert_eq!(c(20, "07 06 0004 0001 0002"), Ok);
    assert_eq!(c(20, "00"), Bad("bad_byte_count")); // cisagov example
    // write file record: 9 bytes, ref 6, file 4, record 7, length 1, data
    assert_eq!(c(21, "09 06 0004 0007 0001 06af"), Ok);
    assert_eq!(c(22, "0004 00f2 0025"), Ok); // mask write
    // read/write multiple: read 0 x4, write 30 x2, 4 bytes
    assert_eq!(c(23, "0000 0004 001e 0002 04 0a0a 0b0b"), Ok);
    assert_eq!(c(23, "0000 0000 0000 df21 12 bfcf"), Bad("bad_quantity")); // 4SICS fuzz
    assert_eq!(c(24, "04de"), Ok);
    assert_eq!(c(43, "0e 01 00"), Ok); // read device id basic, object 0
    assert_eq!(c(43, "0e 05 00"), Bad("bad_read_device_id_code"));
    assert_eq!(c(43, "0e 03 01 00"), Bad("bad_pdu_length"));
    assert_eq!(c(43, "0d 00 01"), Ok); // CANopen general reference
    assert_eq!(c(43, "00 00 00 00"), Bad("bad_mei_type"));
    assert_eq!(c(90, "00 02"), Ok); // UMAS read id
    assert_eq!(c(90, "00 ee"), Unknown);
    assert_eq!(c(90, "00"), Bad("bad_pdu_length"));
    assert_eq!(c(0x1d, "0000 0000"), Unknown);
}

#[test]
fn response_body_checks() {
    use Check::*;
    let c = |fc, b: &str| parser::check_response(fc, &hex(b));
    assert_eq!(c(1, "02 2449"), Ok); // 2 bytes of coils
    assert_eq!(c(1, "03 2449"), Bad("bad_byte_count"));
    assert_eq!(c(3, "04 0009 0018"), Ok);
    assert_eq!(c(3, "03 0009 00"), Bad("bad_byte_count"));
    assert_eq!(c(5, "0003 ff00"), Ok);
    assert_eq!(c(7, "00"), Ok);
    assert_eq!(c(11, "0000 0108"), Ok);
    assert_eq!(c(12, "08 0000 0108 0121 2000"), Ok);
    assert_eq!(c(16, "0014 0004"), Ok);
    assert_eq!(c(17, "12 00 ff 57696e6770617468204c696d69746564"), Ok);
    assert_eq!(c(22, "0004 00f2 0025"), Ok);
    assert_eq!(c(23, "08 03e8 03e9 03ea 03eb"), Ok);
    // FIFO: byte count 6, 2 values
    assert_eq!(c(24, "0006 0002 01b8 1284"), Ok);
    assert_eq!(c(24, "0002 0000"), Ok);
    assert_eq!(c(24, "0006 0003 01b8 1284"), Bad("bad_byte_count"));
    // read device id: basic, conformity 0x83, no more, next 0, 0 objects
    assert_eq!(c(43, "0e 01 83 00 00 00"), Ok);
    assert_eq!(
        c(43, "0e 01 00 4d b7 00 00000000"),
        Bad("bad_conformity_level")
    ); // zeek eit
    assert_eq!(c(43, "0e 01 01 4d 00 00"), Bad("bad_more_follows"));
    assert_eq!(c(90, "00 fe 0102"), Ok); // UMAS ok
    assert_eq!(c(90, "00 12"), Bad("bad_umas_status"));
    assert_eq!(parser::check_exception(&hex("02")), Ok);
    assert_eq!(
        parser::check_exception(&hex("0c")),
        Bad("unknown_exception_code")
    );
    assert_eq!(
        parser::check_exception(&hex("02 00")),
        Bad("bad_pdu_length")
    );
}

/// Read Device Identification response, pymodbus capture frame 41 (after MBAP + fc 43).
const DEVICE_ID_BASIC: &str = "0e 01 83 00 00 03 \
    00 1a 4f5453636f706520546573742056656e646f72204d6f64627573 \
    01 0b 4f54532d4d422d34373131 \
    02 0a 332e31362e312d6f7473";
// mei 14, code 1 (basic), conformity 0x83, more follows 0, next object 0, 3 objects:
// 0x00 VendorName (26) "OTScope Test Vendor Modbus", 0x01 ProductCode (11) "OTS-MB-4711",
// 0x02 MajorMinorRevision (10) "3.16.1-ots"

#[test]
fn device_id_response_objects() {
    let b = hex(DEVICE_ID_BASIC);
    let (_, r) = parser::parse_device_id_response(&b[1..]).unwrap();
    assert_eq!(
        (r.code, r.conformity, r.more_follows, r.next_object, r.count),
        (1, 0x83, 0, 0, 3)
    );
    let mut it = parser::Objects::new(&r);
    let objs: Vec<_> = it.by_ref().collect();
    assert_eq!(objs.len(), 3);
    assert_eq!(objs[0], (0, &b"OTScope Test Vendor Modbus"[..]));
    assert_eq!(objs[1], (1, &b"OTS-MB-4711"[..]));
    assert_eq!(objs[2], (2, &b"3.16.1-ots"[..]));
    assert!(!it.truncated && it.rest().is_empty() && it.left() == 0);
    // an object length past the end
    let b = hex("0e 01 83 00 00 02 00 05 414243");
    let (_, r) = parser::parse_device_id_response(&b[1..]).unwrap();
    let mut it = parser::Objects::new(&r);
    assert_eq!(it.by_ref().count(), 0);
    assert!(it.truncated);
    assert_eq!(codes::OBJECT_FIELDS[0x05], "modbus.ModelName");
    assert_eq!(codes::OBJECT_FIELDS[0x07], "modbus.object_0x07");
    assert_eq!(codes::OBJECT_FIELDS[0x80], "modbus.object_0x80");
    assert_eq!(codes::OBJECT_FIELDS[0xff], "modbus.object_0xff");
}

/// UMAS READ_ID response data after the status byte, iti__modicon_test.pcap frame 6.
const UMAS_PLC_ID: &str = "10ff 5a010100 0000 7002 0000 2700 0900 08000000 0000 \
    0e 3134302043505520333131203130 01 01 01 00000000 1100";
// range 0xff10, ident 0x0001015a, model 0, com version 0x0270, patch 0, int version 0x27,
// hardware version 9, crash code 8, 2 unknown bytes, name (14) "140 CPU 311 10", then
// memory banks

#[test]
fn umas_bodies() {
    let req = hex("00 02"); // pairing key 0, READ_ID
    let (_, u) = parser::parse_umas(&req).unwrap();
    assert_eq!(
        (u.session, u.code, u.data.len()),
        (0, codes::umas::READ_ID, 0)
    );
    let b = hex(UMAS_PLC_ID);
    let (_, id) = parser::parse_umas_plc_id(&b).unwrap();
    assert_eq!(id.range, 0xff10);
    assert_eq!(id.ident, 0x0001_015a);
    assert_eq!(id.com_version, 0x0270);
    assert_eq!(id.hardware_version, 9);
    assert_eq!(id.crash_code, 8);
    assert_eq!(id.name, b"140 CPU 311 10");
    assert!(parser::parse_umas_plc_id(&b[..30]).is_err());
    // INIT_COMM response: max frame 0x00fd, firmware 0x0401, 4 bytes, internal code 0,
    // hostname length 0
    let init = hex("fd00 0104 00003200 00000000 00");
    let (_, ic) = parser::parse_umas_init_comm(&init).unwrap();
    assert_eq!(
        (ic.max_frame_size, ic.firmware_version, ic.hostname.len()),
        (0xfd, 0x0401, 0)
    );
    // READ_PROJECT_INFO (sub-code 0) response, frame 12: ..., modified 12:59:12 14/01/2014,
    // revision 0.0.8, name (8) "Project\0"
    let p = hex(
        "02 0500 0098 8801 0000 0205 0000 9888 0100 0002 0c3b 0c0e 01de 07 \
         02 0c 3b 0c 0e 01 de07 08 00 00 00 08 50726f6a65637400",
    );
    let (_, pi) = parser::parse_umas_project_info(&p).unwrap();
    assert_eq!(pi.modified, (12, 59, 12, 14, 1, 2014));
    assert_eq!(pi.revision, (0, 0, 8));
    assert_eq!(pi.name, b"Project\0");
    assert!(pi.plausible());
    // TAKE_PLC_RESERVATION request data, frame 49: 4 bytes, name (15) "USER-714E74F21B"
    let r = hex("434c0000 0f 555345522d37313445373446323142");
    assert_eq!(
        parser::parse_umas_reservation(&r).unwrap().1,
        b"USER-714E74F21B"
    );
    assert!(parser::parse_umas_reservation(&[r.clone(), vec![0]].concat()).is_err());
}

#[test]
fn op_classes() {
    assert_eq!(
        codes::function_op(3),
        (Op::Read, "fc3 read_holding_registers")
    );
    assert_eq!(codes::function_op(23).0, Op::Write);
    assert_eq!(codes::function_op(20).0, Op::Read);
    assert_eq!(codes::function_op(21).0, Op::Write);
    assert_eq!(codes::function_op(24).0, Op::Read);
    assert_eq!(codes::function_op(17).0, Op::Identify);
    assert_eq!(codes::function_op(200).0, Op::Other);
    assert_eq!(codes::diagnostics_op(1).0, Op::Reset);
    assert_eq!(codes::diagnostics_op(4).0, Op::ConfigChange);
    assert_eq!(codes::diagnostics_op(0).0, Op::Diagnostics);
    assert_eq!(codes::mei_op(14).0, Op::Identify);
    assert_eq!(codes::umas_op(0x10).0, Op::Login);
    assert_eq!(codes::umas_op(0x40).0, Op::CpuStart);
    assert_eq!(codes::umas_op(0x41).0, Op::CpuStop);
    assert_eq!(codes::umas_op(0x31).0, Op::ProgramDownload);
    assert_eq!(codes::umas_op(0x34).0, Op::ProgramUpload);
    assert_eq!(codes::umas_op(0x23).0, Op::Write);
    assert_eq!(codes::umas_op(0x22).0, Op::Read);
    assert_eq!(codes::exception_name(2), Some("illegal_data_address"));
    assert_eq!(codes::exception_name(9), None);
}

// ---------------------------------------------------------------------------------------------
// Probe

/// Deterministic xorshift PRNG (no dependency, fixed seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn probe_positive() {
    use Dir::*;
    let req = hex(FC3_REQ);
    let rsp = hex(FC3_RSP);
    for port in [true, false] {
        assert_eq!(probe(ToServer, &req, port), Probe::Match);
        assert_eq!(probe(ToClient, &rsp, port), Probe::Match);
    }
    // exception response: fc 0x83, illegal data address
    assert_eq!(
        probe(ToClient, &hex("0010 0000 0003 01 83 02"), false),
        Probe::Match
    );
    // too short to say: NeedMore
    assert_eq!(probe(ToServer, &req[..5], true), Probe::NeedMore);
    assert_eq!(probe(ToServer, &req[..10], false), Probe::NeedMore);
    // function 0 on the Modbus port (fuzzers), not elsewhere
    let f0 = hex("0000 0000 0006 01 00 0000 0000");
    assert_eq!(probe(ToServer, &f0, true), Probe::Match);
    assert_eq!(probe(ToServer, &f0, false), Probe::NoMatch);
    // garbage then a valid request in one segment (modbus-garbage.pcap connection 2)
    let g = hex("70bdf677a9063c3a91c80f98703bcd23c6566b0b41d0385c 0043 0000 0006 11 03 0000 0002");
    assert_eq!(probe(ToServer, &g, true), Probe::Match);
    // without the port, one ADU after garbage is not enough; two are
    assert_eq!(probe(ToServer, &g, false), Probe::NoMatch);
    let g2 = [g.clone(), req.clone()].concat();
    assert_eq!(probe(ToServer, &g2, false), Probe::Match);
    // mid-stream: the tail of a response, then two whole responses
    let mid = [rsp[9..].to_vec(), rsp.clone(), rsp.clone()].concat();
    assert_eq!(probe(ToClient, &mid, false), Probe::Match);
    // UMAS request
    assert_eq!(
        probe(ToServer, &hex("0000 0000 0004 00 5a 0002"), false),
        Probe::Match
    );
}

#[test]
fn probe_negative() {
    use Dir::*;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "http",
            b"GET / HTTP/1.1\r\nHost: 160.97.70.34\r\nAccept: */*\r\n\r\n".to_vec(),
        ),
        (
            "http response",
            b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec(),
        ),
        (
            "tls",
            hex("16030100850100008103 03736ff818542129f78f492d9b1557dafcc7926f075f"),
        ),
        // TPKT + COTP connection request (S7)
        (
            "s7",
            hex("0300 0016 11 e0 0000 0001 00 c1 02 0100 c2 02 0102 c0 01 0a"),
        ),
        // OPC UA Hello
        (
            "opcua",
            hex("48454c46 3c000000 00000000 ffff0000 ffff0000 00000001 00000000"),
        ),
        // ENIP RegisterSession
        (
            "enip",
            hex("6500 0400 00000000 00000000 0000000000000000 00000000 0100 0000"),
        ),
        // DCE/RPC bind and NFS NULL call seen on port 502 in zeek__modbus-and-non-modbus-p502
        (
            "dcerpc",
            hex(
                "05000b03100000004800000001000000b810b810000000000100000000000100 \
                0883afe11f5dc91191a408002b14a0fa03000000045d888aeb1cc9119fe80800 \
                2b10486002000000",
            ),
        ),
        (
            "nfs",
            hex(
                "800000287e86ab4a0000000000000002000186a3000000030000000000000000 \
                000000000000000000000000",
            ),
        ),
        // a server echoing garbage with a non-zero protocol id
        ("echo", hex("05000b030003008001")),
        (
            "rdp",
            hex(
                "0300002b26e00000000000436f6f6b69653a206d737473686173683d61646d69 \
                6e0d0a0100080001000000",
            ),
        ),
    ];
    for (name, b) in &cases {
        for dir in [ToServer, ToClient] {
            // On port 502 a candidate header further in may ask for more bytes, never match.
            assert_ne!(probe(dir, b, true), Probe::Match, "{name} {dir:?} port 502");
            assert_eq!(probe(dir, b, false), Probe::NoMatch, "{name} {dir:?}");
        }
    }
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut matches = 0;
    for _ in 0..5000 {
        let n = 8 + rng.below(600);
        let b = rng.bytes(n);
        for dir in [ToServer, ToClient] {
            if probe(dir, &b, true) == Probe::Match {
                matches += 1;
            }
            assert_ne!(
                probe(dir, &b, false),
                Probe::Match,
                "random bytes without port"
            );
        }
    }
    assert_eq!(matches, 0, "random bytes on port 502");
}

// ---------------------------------------------------------------------------------------------
// Streaming dissector

/// pymodbus session: fc1, fc5, fc16, diagnostics, report server id, read device id, an
/// exception; requests and responses.
fn session() -> Vec<(Dir, Vec<u8>)> {
    use Dir::*;
    vec![
        // fc1 read 16 coils at 0 / 2 bytes of coils
        (ToServer, hex("0001 0000 0006 01 01 0000 0010")),
        (ToClient, hex("0001 0000 0005 01 01 02 2449")),
        // fc5 coil 3 on / echo
        (ToServer, hex("0005 0000 0006 01 05 0003 ff00")),
        (ToClient, hex("0005 0000 0006 01 05 0003 ff00")),
        // fc16 4 registers at 20 / addr + qty
        (
            ToServer,
            hex("0008 0000 000f 01 10 0014 0004 08 0101 0202 0303 0404"),
        ),
        (ToClient, hex("0008 0000 0006 01 10 0014 0004")),
        // fc8/4 force listen only mode, fc8/1 restart communications
        (ToServer, hex("000a 0000 0006 01 08 0004 0000")),
        (ToServer, hex("000b 0000 0006 01 08 0001 0000")),
        // fc17 report server id / bc 0x12, id 0, run on, "Wingpath Limited"
        (ToServer, hex("000c 0000 0002 01 11")),
        (
            ToClient,
            hex("000c 0000 0015 01 11 12 00 ff 57696e6770617468204c696d69746564"),
        ),
        // fc43/14 basic / objects
        (ToServer, hex("000d 0000 0005 01 2b 0e 01 00")),
        (
            ToClient,
            [hex("000d 0000 003d 01 2b"), hex(DEVICE_ID_BASIC)].concat(),
        ),
        // fc3 at 500 on unit 17 / exception illegal data address
        (ToServer, hex("0010 0000 0006 11 03 01f4 0004")),
        (ToClient, hex("0010 0000 0003 11 83 02")),
        // unit 17 answers a read
        (ToServer, hex("0011 0000 0006 11 03 0000 0001")),
        (ToClient, hex("0011 0000 0005 11 03 02 4268")),
    ]
}

fn run(parts: &[(Dir, Vec<u8>)]) -> Flow {
    let mut f = Flow::new();
    for (dir, b) in parts {
        f.feed(*dir, b);
    }
    f
}

#[test]
fn session_observations() {
    let f = run(&session());
    assert_eq!(f.op_count(Op::Read), 3);
    assert_eq!(f.op_count(Op::Write), 2);
    assert_eq!(f.op_count(Op::ConfigChange), 1);
    assert_eq!(f.op_count(Op::Reset), 1);
    assert_eq!(f.op_count(Op::Identify), 2);
    assert!(
        f.ops()
            .iter()
            .any(|o| o.2.contains(&"fc16 write_multiple_registers"))
    );
    assert_eq!(f.claim("modbus.VendorName"), ["OTScope Test Vendor Modbus"]);
    assert_eq!(f.claim("vendor"), ["OTScope Test Vendor Modbus"]);
    assert_eq!(f.claim("firmware"), ["3.16.1-ots"]);
    assert_eq!(f.claim("modbus.ProductCode"), ["OTS-MB-4711"]);
    assert_eq!(f.claim("model"), ["OTS-MB-4711"]); // no ModelName in a basic response
    assert_eq!(f.claim("modbus.server_id"), ["0x00"]);
    assert_eq!(f.claim("modbus.server_id_text"), ["Wingpath Limited"]);
    assert_eq!(f.facts("modbus.run_indicator"), [("on".to_string(), 1)]);
    assert_eq!(
        f.facts("modbus.exception"),
        [("3 illegal_data_address".to_string(), 1)]
    );
    let units: Vec<_> = f.facts("modbus.unit_id").into_iter().map(|u| u.0).collect();
    assert_eq!(units, ["1", "17"]);
    assert!(f.anomalies().is_empty(), "{:?}", f.anomalies());
    // fc8 requests got no answers: still open, the rest matched
    assert_eq!(f.d.state().tx.len(), 2);
    // every claim is about the server
    assert!(f.claims().iter().all(|c| c.0 == Subject::Ip(SERVER)));
}

#[test]
fn several_pdus_per_segment_and_split_pdus() {
    use Dir::*;
    // pymodbus burst: 4 requests in one segment (frame 76)
    let burst = hex("1001 0000 0006 01 03 0000 0003 \
         1002 0000 0006 11 04 0002 0002 \
         1003 0000 0006 01 01 0000 0008 \
         1004 0000 0005 11 2b 0e 01 00");
    let mut f = Flow::new();
    f.feed(ToServer, &burst);
    assert_eq!(f.op_count(Op::Read), 3);
    assert_eq!(f.op_count(Op::Identify), 1);
    assert_eq!(f.d.state().tx.len(), 4);
    // a request split after the MBAP header (modbus-garbage.pcap connection 3)
    let mut f = Flow::new();
    f.feed(ToServer, &hex("0045 0000 0006 01"));
    assert_eq!(f.op_count(Op::Read), 0);
    f.feed(ToServer, &hex("03 0014 0004"));
    assert_eq!(f.op_count(Op::Read), 1);
    // a response split in three, with the next one's header glued to the last part
    let rsp = hex(FC3_RSP);
    f.feed(ToClient, &rsp[..3]);
    f.feed(ToClient, &rsp[3..20]);
    f.feed(ToClient, &[&rsp[20..], &rsp[..4]].concat());
    assert_eq!(f.facts("modbus.unit_id").len(), 1);
    f.feed(ToClient, &rsp[4..]);
    assert!(f.anomalies().is_empty(), "{:?}", f.anomalies());
}

#[test]
fn growing_prefixes_give_the_same_observations() {
    let parts = session();
    let whole = run(&parts).summary();
    // Concatenate each direction, then cut it at every position.
    let to_server: Vec<u8> = parts
        .iter()
        .filter(|p| p.0 == Dir::ToServer)
        .flat_map(|p| p.1.clone())
        .collect();
    let to_client: Vec<u8> = parts
        .iter()
        .filter(|p| p.0 == Dir::ToClient)
        .flat_map(|p| p.1.clone())
        .collect();
    let reference = {
        let mut f = Flow::new();
        f.feed(Dir::ToServer, &to_server);
        f.feed(Dir::ToClient, &to_client);
        f.summary()
    };
    // Same PDUs, so the same observations (requests first, then responses).
    assert_eq!(
        reference.lines().next(),
        whole.lines().next(),
        "ops differ between segmentations"
    );
    for cut in 0..=to_server.len().max(to_client.len()) {
        let mut f = Flow::new();
        let (a, b) = to_server.split_at(cut.min(to_server.len()));
        f.feed(Dir::ToServer, a);
        f.feed(Dir::ToServer, b);
        let (a, b) = to_client.split_at(cut.min(to_client.len()));
        f.feed(Dir::ToClient, a);
        f.feed(Dir::ToClient, b);
        assert_eq!(f.summary(), reference, "cut at {cut}");
    }
    // One byte at a time.
    let mut f = Flow::new();
    for b in &to_server {
        f.feed(Dir::ToServer, std::slice::from_ref(b));
    }
    for b in &to_client {
        f.feed(Dir::ToClient, std::slice::from_ref(b));
    }
    assert_eq!(f.summary(), reference, "byte by byte");
}

#[test]
fn garbage_is_skipped_and_counted() {
    use Dir::*;
    let req = hex("0043 0000 0006 11 03 0000 0002");
    let garbage = hex("70bdf677a9063c3a91c80f98703bcd23c6566b0b41d0385c");
    // garbage then a request, one segment
    let mut f = Flow::new();
    f.feed(ToServer, &[garbage.clone(), req.clone()].concat());
    assert_eq!(f.op_count(Op::Read), 1);
    assert_eq!(f.anomaly("garbage"), 1);
    // garbage in its own segment, then requests: still one garbage run
    let mut f = Flow::new();
    f.feed(ToServer, &garbage);
    f.feed(ToServer, &req);
    f.feed(ToServer, &req);
    assert_eq!(f.op_count(Op::Read), 2);
    assert_eq!(f.anomaly("garbage"), 1);
    // garbage between requests while in sync: a bad header breaks the framing
    let mut f = Flow::new();
    f.feed(ToServer, &req);
    f.feed(
        ToServer,
        &[hex("aaaa aaaa aaaa aaaa aaaa aaaa"), req.clone()].concat(),
    );
    assert_eq!(f.op_count(Op::Read), 2);
    assert_eq!(f.anomaly("bad_protocol_id"), 1);
    assert_eq!(f.anomaly("garbage"), 1);
    // a length out of range (iti part1 frame 76: length 0x8804)
    let mut f = Flow::new();
    f.feed(ToServer, &req);
    f.feed(
        ToServer,
        &[hex("0001 0000 8804 0507 0809"), req.clone()].concat(),
    );
    assert_eq!(f.anomaly("bad_length"), 1);
    assert_eq!(f.op_count(Op::Read), 2);
}

#[test]
fn midstream_start_and_gaps() {
    use Dir::*;
    let rsp = hex(FC3_RSP);
    // The capture starts inside a response: its tail is skipped, the next one is read.
    let mut f = Flow::new();
    f.feed(ToClient, &[rsp[11..].to_vec(), rsp.clone()].concat());
    assert_eq!(f.facts("modbus.unit_id").len(), 1);
    assert_eq!(f.anomaly("garbage"), 1);
    // After a gap a header at the first byte is trusted even with a user-defined function
    let mut f = Flow::new();
    f.feed(ToServer, &hex(FC3_REQ));
    f.feed(ToServer, &hex(FC3_REQ)[..9]);
    f.gap(ToServer);
    f.feed(ToServer, &hex("0020 0000 0004 01 41 0000"));
    assert_eq!(f.op_count(Op::Other), 1);
    assert_eq!(f.op_count(Op::Read), 1);
    assert!(f.anomalies().is_empty(), "{:?}", f.anomalies());
    // ... but not in the middle of garbage
    let mut f = Flow::new();
    f.feed(ToServer, &hex(FC3_REQ));
    f.gap(ToServer);
    f.feed(ToServer, &hex("ffff 0020 0000 0004 01 41 0000"));
    assert_eq!(f.op_count(Op::Other), 0);
}

#[test]
fn matching_and_bounded_transactions() {
    use Dir::*;
    let limits = Limits {
        max_open_transactions: 4,
        ..Limits::default()
    };
    let mut f = Flow::with_limits(limits);
    for tid in 0u16..10 {
        let mut r = hex(FC3_REQ);
        r[..2].copy_from_slice(&tid.to_be_bytes());
        f.feed(ToServer, &r);
    }
    assert_eq!(f.d.state().tx.len(), 4);
    assert_eq!(f.anomaly("transaction_table_full"), 6);
    // a response to tid 9 with another function code
    f.feed(ToClient, &hex("0009 0000 0006 01 06 0005 1234"));
    assert_eq!(f.anomaly("response_function_mismatch"), 1);
    assert_eq!(f.d.state().tx.len(), 3);
}

#[test]
fn report_server_id_layouts() {
    use Dir::*;
    // pymodbus: identifier text, then the run indicator (frame 38)
    let mut f = Flow::new();
    f.feed(ToServer, &hex("000b 0000 0002 01 11"));
    f.feed(
        ToClient,
        &hex("000b 0000 0035 01 11 32 \
             4f5453636f706520546573742056656e646f72204d6f646275732d4f54532d \
             4d422d343731312d332e31362e312d6f7473 ff"),
    );
    assert_eq!(
        f.claim("modbus.server_id_text"),
        ["OTScope Test Vendor Modbus-OTS-MB-4711-3.16.1-ots"]
    );
    assert!(f.claim("modbus.server_id").is_empty());
    assert_eq!(f.facts("modbus.run_indicator"), [("on".to_string(), 1)]);
    // server id 0x2a, run indicator 0x12 (invalid), binary data
    let mut f = Flow::new();
    f.feed(ToClient, &hex("000b 0000 0006 01 11 03 2a 12 80"));
    assert_eq!(f.claim("modbus.server_id"), ["0x2a"]);
    assert_eq!(f.anomaly("bad_run_indicator"), 1);
    // standard, off, no text
    let mut f = Flow::new();
    f.feed(ToClient, &hex("000b 0000 0005 01 11 02 07 00"));
    assert_eq!(f.claim("modbus.server_id"), ["0x07"]);
    assert_eq!(f.facts("modbus.run_indicator"), [("off".to_string(), 1)]);
}

#[test]
fn device_id_odd_responses() {
    use Dir::*;
    // zeek__modbus-eit.pcap: conformity 0, more follows 0x4d, 0 objects, 4 trailing bytes
    let mut f = Flow::new();
    f.feed(ToServer, &hex("0000 0000 0005 00 2b 0e 01 00"));
    f.feed(
        ToClient,
        &hex("0000 0000 000c 00 2b 0e 01 00 4d b7 00 00000000"),
    );
    assert_eq!(f.anomaly("bad_conformity_level"), 1);
    assert_eq!(f.anomaly("trailing_bytes"), 1);
    assert!(f.claims().is_empty());
    // 3 objects announced, 1 present; then a truncated one
    let mut f = Flow::new();
    f.feed(
        ToClient,
        &hex("0001 0000 000d 01 2b 0e 01 83 00 00 03 00 03 414243"),
    );
    assert_eq!(f.claim("modbus.VendorName"), ["ABC"]);
    assert_eq!(f.anomaly("object_count_mismatch"), 1);
    f.feed(
        ToClient,
        &hex("0002 0000 000e 01 2b 0e 01 83 00 00 02 00 01 41 01 09 42"),
    );
    assert_eq!(f.anomaly("truncated_object"), 1);
    // private and reserved objects, ModelName and ProductName
    let mut f = Flow::new();
    f.feed(
        ToClient,
        &hex("0003 0000 0017 01 2b 0e 03 83 00 00 04 05 02 4d31 04 02 5031 07 01 58 81 02 5a5a"),
    );
    assert_eq!(f.claim("model"), ["M1"]);
    assert_eq!(f.claim("product"), ["P1"]);
    assert_eq!(f.claim("modbus.object_0x07"), ["X"]);
    assert_eq!(f.claim("modbus.object_0x81"), ["ZZ"]);
    assert_eq!(
        f.facts("modbus.conformity_level"),
        [("0x83".to_string(), 1)]
    );
    // a regular request answered as basic
    let mut f = Flow::new();
    f.feed(ToServer, &hex("0004 0000 0005 01 2b 0e 02 00"));
    f.feed(ToClient, &hex("0004 0000 0008 01 2b 0e 01 83 00 00 00"));
    assert_eq!(f.anomaly("read_device_id_code_mismatch"), 1);
}

#[test]
fn umas_session() {
    use Dir::*;
    let mut f = Flow::new();
    // READ_ID request (pairing key 0) and response (frames 4 and 6)
    f.feed(ToServer, &hex("0000 0000 0004 00 5a 00 02"));
    f.feed(
        ToClient,
        &[hex("0000 0000 0032 00 5a 00 fe"), hex(UMAS_PLC_ID)].concat(),
    );
    // TAKE_PLC_RESERVATION (frame 49) and its answer (new pairing key 1)
    f.feed(
        ToServer,
        &hex("0016 0000 0018 00 5a 00 10 434c0000 0f 555345522d37313445373446323142"),
    );
    f.feed(ToClient, &hex("0016 0000 0005 00 5a 00 fe 01"));
    // STOP_PLC, START_PLC, UPLOAD_BLOCK (PC to PLC), DOWNLOAD_BLOCK (PLC to PC)
    f.feed(ToServer, &hex("0017 0000 0004 00 5a 01 41"));
    f.feed(ToServer, &hex("0018 0000 0004 00 5a 01 40"));
    f.feed(ToServer, &hex("0019 0000 000a 00 5a 01 31 0001 0100 0200"));
    f.feed(ToServer, &hex("001a 0000 0008 00 5a 01 34 0001 0100"));
    assert_eq!(f.claim("vendor"), ["Schneider Electric"]);
    assert_eq!(f.facts("modbus.umas"), [("true".to_string(), 1)]);
    assert_eq!(f.claim("model"), ["140 CPU 311 10"]);
    assert_eq!(f.claim("modbus.umas_hardware_id"), ["0x0001015a"]);
    assert_eq!(f.claim("modbus.umas_com_version"), ["2.70"]);
    let host: Vec<_> = f
        .claims()
        .into_iter()
        .filter(|c| c.1 == "hostname")
        .collect();
    assert_eq!(host.len(), 1);
    assert_eq!(host[0].0, Subject::Ip(CLIENT));
    assert_eq!(host[0].2, "USER-714E74F21B");
    assert_eq!(f.op_count(Op::Identify), 1);
    assert_eq!(f.op_count(Op::Login), 1);
    assert_eq!(f.op_count(Op::CpuStop), 1);
    assert_eq!(f.op_count(Op::CpuStart), 1);
    assert_eq!(f.op_count(Op::ProgramDownload), 1);
    assert_eq!(f.op_count(Op::ProgramUpload), 1);
    // a request for UMAS that is refused: no vendor claim
    let mut f = Flow::new();
    f.feed(ToServer, &hex("0000 0000 0004 00 5a 00 02"));
    f.feed(ToClient, &hex("0000 0000 0003 00 da 01"));
    assert!(f.claim("vendor").is_empty());
    assert_eq!(
        f.facts("modbus.exception"),
        [("90 illegal_function".to_string(), 1)]
    );
}

#[test]
fn exceptions_are_bounded_facts() {
    use Dir::*;
    let mut f = Flow::new();
    for fc in 1u8..=100 {
        for _ in 0..2 {
            f.feed(ToClient, &[0, 1, 0, 0, 0, 3, 1, fc | 0x80, 1]);
        }
    }
    let facts = f.facts("modbus.exception");
    assert_eq!(facts.len(), state::MAX_EXCEPTIONS);
    assert!(facts.iter().all(|(_, n)| *n == 2));
    assert_eq!(f.d.state().distinct_exceptions(), state::MAX_EXCEPTIONS);
    // A new exception code is still reported, once per function, within a second bound.
    for fc in 1u8..=100 {
        f.feed(ToClient, &[0, 1, 0, 0, 0, 3, 1, fc | 0x80, 2]);
    }
    let facts = f.facts("modbus.exception");
    assert_eq!(facts.len(), state::MAX_EXCEPTIONS + 1);
    assert!(facts.contains(&("1 illegal_data_address".to_string(), 1)));
    for code in 3u8..=255 {
        f.feed(ToClient, &[0, 1, 0, 0, 0, 3, 1, 0x81, code]);
    }
    assert_eq!(
        f.d.state().distinct_exceptions(),
        state::MAX_EXCEPTIONS + state::MAX_EXTRA_CODES
    );
}

#[test]
fn unit_ids_are_bounded() {
    let mut f = Flow::new();
    for unit in 0u8..=255 {
        f.feed(Dir::ToClient, &[0, 1, 0, 0, 0, 4, unit, 7, 1, 0]);
    }
    assert_eq!(
        f.facts("modbus.unit_id").len(),
        usize::from(state::MAX_UNITS)
    );
}

#[test]
fn random_input_never_panics_and_state_stays_bounded() {
    let mut rng = Rng(0x0715_c09e_2024_0042);
    let valid: Vec<Vec<u8>> = session().into_iter().map(|p| p.1).collect();
    let limits = Limits {
        max_open_transactions: 16,
        ..Limits::default()
    };
    let mut f = Flow::with_limits(limits.clone());
    for i in 0..4000 {
        // random bytes, valid ADUs with random bytes flipped, truncated or glued together
        let b = match rng.below(4) {
            0 => {
                let n = rng.below(300);
                rng.bytes(n)
            }
            1 => {
                let mut v = valid[rng.below(valid.len())].clone();
                for _ in 0..=rng.below(4) {
                    let j = rng.below(v.len());
                    v[j] = rng.next() as u8;
                }
                v
            }
            2 => {
                let v = &valid[rng.below(valid.len())];
                v[..rng.below(v.len() + 1)].to_vec()
            }
            _ => {
                let mut v = Vec::new();
                for _ in 0..=rng.below(5) {
                    v.extend_from_slice(&valid[rng.below(valid.len())]);
                }
                let n = rng.below(20);
                v.extend(rng.bytes(n));
                v
            }
        };
        for dir in [Dir::ToServer, Dir::ToClient] {
            for port in [true, false] {
                let _ = probe(dir, &b, port);
            }
        }
        let dir = if i % 2 == 0 {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        f.feed(dir, &b);
        if rng.below(50) == 0 {
            f.gap(dir);
        }
        if f.desync {
            f = Flow::with_limits(limits.clone());
        }
        let st = f.d.state();
        assert!(st.tx.len() <= limits.max_open_transactions);
        assert!(st.distinct_exceptions() <= state::MAX_EXCEPTIONS + state::MAX_EXTRA_CODES);
        assert!(f.buf.iter().all(|b| b.len() <= parser::MAX_ADU));
    }
    // Each body parser on its own, on arbitrary bytes.
    for _ in 0..4000 {
        let n = rng.below(80);
        let b = rng.bytes(n);
        let fc = rng.next() as u8;
        let _ = parser::check_request(fc, &b);
        let _ = parser::check_response(fc, &b);
        let _ = parser::check_exception(&b);
        let _ = parser::parse_adu(&b);
        let _ = parser::parse_server_id_response(&b);
        let _ = parser::parse_umas_plc_id(&b);
        let _ = parser::parse_umas_init_comm(&b);
        let _ = parser::parse_umas_project_info(&b);
        let _ = parser::parse_umas_reservation(&b);
        if let Ok((_, r)) = parser::parse_device_id_response(&b) {
            let mut it = parser::Objects::new(&r);
            assert!(it.by_ref().count() <= usize::from(r.count));
        }
    }
}

#[test]
fn desync_after_long_garbage_without_any_adu() {
    let mut f = Flow::new();
    let mut rng = Rng(7);
    for _ in 0..200 {
        let b: Vec<u8> = rng.bytes(1000).into_iter().map(|x| x | 0x80).collect();
        f.feed(Dir::ToServer, &b);
        if f.desync {
            break;
        }
    }
    assert!(f.desync, "64 KiB of garbage and no ADU: give up");
}
