//! Unit tests: byte vectors commented field by field, probes, streaming (growing prefixes,
//! garbage, mid-stream starts, gaps), bounds and a fixed-seed fuzz run.

use super::codes::{self, class};
use super::parser::{self, HEADER_LEN};
use super::state::{MAX_CONNS, Via};
use super::*;
use crate::config::Limits;
use crate::dissect::{Expectation, Parsed};
use crate::evidence::Ev;
use crate::inventory::observation::{Op, Store, Subject, Transport, sorted};
use crate::time::Timestamp;
use std::net::{IpAddr, Ipv4Addr};

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 77, 0, 20));
const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 77, 0, 10));
const BCAST: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 77, 0, 255));

/// Hex to bytes. Per line, hex tokens (separated by blanks or `|`) are read until the first
/// token that is not hex: the rest of the line is a comment.
fn h(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in s.lines() {
        for tok in line.split(|c: char| c.is_whitespace() || c == '|') {
            if tok.is_empty() {
                continue;
            }
            if !tok.chars().all(|c| c.is_ascii_hexdigit()) {
                break;
            }
            assert!(tok.len() % 2 == 0, "odd hex token {tok}");
            for i in (0..tok.len()).step_by(2) {
                out.push(u8::from_str_radix(&tok[i..i + 2], 16).unwrap());
            }
        }
    }
    out
}

/// A store and the context to run a dissector against.
struct Env {
    store: Store,
    exp: Vec<Expectation>,
    limits: Limits,
    transport: Transport,
    server: IpAddr,
    server_port: u16,
    frame: u64,
    ts: u64,
}

impl Env {
    fn tcp() -> Env {
        Env {
            store: Store::new(100_000, 8),
            exp: Vec::new(),
            limits: Limits::default(),
            transport: Transport::Tcp,
            server: SERVER,
            server_port: 44818,
            frame: 1,
            ts: 1_000_000_000,
        }
    }

    fn udp(server: IpAddr, port: u16) -> Env {
        Env {
            transport: Transport::Udp,
            server,
            server_port: port,
            ..Env::tcp()
        }
    }

    fn cx(&mut self) -> Cx<'_> {
        let ev = Ev {
            input: 0,
            frame: self.frame,
            ts: Timestamp(self.ts),
        };
        Cx::new(
            (CLIENT, 50000),
            (self.server, self.server_port),
            self.transport,
            "enip",
            ev,
            &self.limits,
            &mut self.store,
            &mut self.exp,
        )
    }

    fn claim(&self, ip: IpAddr, field: &str) -> Vec<(String, &'static str)> {
        sorted(&self.store.claims)
            .into_iter()
            .filter(|(k, _)| k.subject == Subject::Ip(ip) && k.field == field)
            .map(|(k, _)| (k.value.clone(), k.source))
            .collect()
    }

    fn fact(&self, ip: IpAddr, key: &str) -> Vec<String> {
        sorted(&self.store.facts)
            .into_iter()
            .filter(|(k, _)| k.subject == Subject::Ip(ip) && k.key == key)
            .map(|(k, _)| k.value.clone())
            .collect()
    }

    fn ops(&self) -> Vec<(Op, Vec<&'static str>, u64)> {
        sorted(&self.store.ops)
            .into_iter()
            .map(|(k, v)| (k.op, v.details.iter().copied().collect(), v.evidence.count))
            .collect()
    }

    fn op(&self, op: Op) -> Option<(Vec<&'static str>, u64)> {
        self.ops()
            .into_iter()
            .find(|(o, _, _)| *o == op)
            .map(|(_, d, n)| (d, n))
    }

    fn anomalies(&self) -> Vec<(&'static str, u64)> {
        sorted(&self.store.anomalies)
            .into_iter()
            .map(|(k, v)| (k.kind, v.count))
            .collect()
    }

    fn anomaly(&self, kind: &str) -> u64 {
        self.anomalies()
            .into_iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| n)
    }

    /// A comparable summary of everything observed (no evidence frames).
    fn summary(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (k, _) in sorted(&self.store.claims) {
            v.push(format!(
                "claim {:?} {} {} {}",
                k.subject, k.field, k.value, k.source
            ));
        }
        for (k, _) in sorted(&self.store.facts) {
            v.push(format!("fact {:?} {} {}", k.subject, k.key, k.value));
        }
        for (k, a) in sorted(&self.store.ops) {
            v.push(format!(
                "op {:?} {:?} {}",
                k.op, a.details, a.evidence.count
            ));
        }
        for (k, a) in sorted(&self.store.anomalies) {
            v.push(format!("anomaly {} {}", k.kind, a.count));
        }
        v
    }
}

/// Feed bytes the way the engine does: caller-side buffering of partial PDUs, `needed` honoured.
struct Feeder {
    buf: [Vec<u8>; 2],
    need: [usize; 2],
}

impl Feeder {
    fn new() -> Feeder {
        Feeder {
            buf: [Vec::new(), Vec::new()],
            need: [0, 0],
        }
    }

    fn feed(&mut self, d: &mut EnipStream, dir: Dir, data: &[u8], env: &mut Env) {
        let k = di(dir);
        self.buf[k].extend_from_slice(data);
        if self.buf[k].len() < self.need[k] {
            return;
        }
        let input = std::mem::take(&mut self.buf[k]);
        let mut off = 0;
        let mut need = 0;
        let mut cx = env.cx();
        while off < input.len() {
            match d.parse(dir, &input[off..], &mut cx) {
                Parsed::Consumed(n) => {
                    assert!(n > 0, "no progress");
                    off += n.min(input.len() - off);
                }
                Parsed::NeedMore { consumed, needed } => {
                    off += consumed.min(input.len() - off);
                    assert!(needed > input.len() - off, "NeedMore without needing more");
                    need = needed;
                    break;
                }
                Parsed::Desync { .. } => panic!("enip never desyncs"),
            }
        }
        self.buf[k] = input[off..].to_vec();
        self.need[k] = need;
    }
}

// ---------------------------------------------------------------------------------------
// Byte vectors

/// ListIdentity request (TCP, iti__enip_test.pcap frame 6).
fn list_identity_request() -> Vec<u8> {
    h("6300 0000 | 00000000 | 00000000 | 0000000000000000 | 00000000")
}

/// ListIdentity reply (iti__enip_test.pcap frame 7): a 1756-ENBT/A.
fn list_identity_reply() -> Vec<u8> {
    h("
        6300 3300           command ListIdentity, length 51
        00000000            session
        00000000            status success
        0000 0000 c1de bed1 sender context
        00000000            options
        0100                item count 1
        0c00 2d00           item type 0x000C (identity), length 45
        0100                encapsulation protocol version 1
        0002 af12           sin_family 2, sin_port 44818 (big-endian)
        0a0101a4            sin_addr 10.1.1.164
        0000000000000000    sin_zero
        0100                vendor 1 (Rockwell Automation/Allen-Bradley)
        0c00                device type 12 (Communications Adapter)
        3a00                product code 58
        04 03               revision 4.03
        3000                status 0x0030
        8e4d5200            serial 0x00524d8e
        0b 313735362d454e42542f41   product name (11) '1756-ENBT/A'
        03                  state 3 (operational)
    ")
}

/// RegisterSession request and reply (enip-cpppo.pcap frames 6 and 8).
fn register_request() -> Vec<u8> {
    h(
        "6500 0400 | 00000000 | 00000000 | 0000000000000000 | 00000000 | 0100 0000 (version 1, options 0)",
    )
}

fn register_reply() -> Vec<u8> {
    h(
        "6500 0400 | 60828ba5 | 00000000 | 0000000000000000 | 00000000 | 0100 0000 (session 0xa58b8260)",
    )
}

/// ListServices reply from a 1756-ENBT/A (iti__EIP-IPAddressChangeAttempt.pcap).
fn list_services_reply() -> Vec<u8> {
    h("
        0400 1a00 00000000 00000000 0000000000000000 00000000   ListServices, length 26
        0100                item count 1
        0001 1400           item type 0x0100, length 20
        0100                version 1
        2001                capability flags 0x0120
        436f6d6d756e69636174696f6e730000    'Communications' (16 bytes)
    ")
}

/// SendRRData Get_Attributes_All to Identity 1/1 (enip-cpppo.pcap frame 129).
fn gaa_request() -> Vec<u8> {
    h("
        6f00 1600 6136ad00 00000000 0000000000000000 00000000   SendRRData, length 22, session 0x00ad3661
        00000000            interface handle 0 (CIP)
        0000                timeout 0
        0200                item count 2
        0000 0000           null address item
        b200 0600           unconnected data item, length 6
        01 02 2001 2401     Get_Attributes_All, path 2 words: class 1, instance 1
    ")
}

/// Its response (frame 130): the identity of the cpppo simulator.
fn gaa_response() -> Vec<u8> {
    h("
        6f00 4300 6136ad00 00000000 0000000000000000 00000000   SendRRData, length 67
        00000000 0000 0200 0000 0000
        b200 3300           unconnected data item, length 51
        81 00 00 00         Get_Attributes_All response, reserved, status success, 0 ext words
        0100                vendor 1
        0e00                device type 14 (PLC)
        6712                product code 4711
        21 0a               revision 33.10
        6031                status 0x3160
        b2a17500            serial 0x0075a1b2
        1c 313735362d4c3835452f42204f5453636f706520454e49502053696d   '1756-L85E/B OTScope ENIP Sim'
        03                  state 3
        0000 00             configuration consistency, heartbeat
    ")
}

/// Unconnected Send routed to backplane slot 0 with an embedded Get_Attributes_All of the
/// Identity object (frame 62), and its response (frame 63, same identity).
fn routed_gaa_request() -> Vec<u8> {
    h("
        6f00 2400 338be79c 00000000 3000000000000000 00000000   SendRRData, length 36
        00000000 0800 0200 0000 0000
        b200 1400           unconnected data item, length 20
        52 02 2006 2401     Unconnected_Send to Connection Manager 6/1
        05 9d               priority/tick 5, timeout ticks 157
        0600                embedded message size 6
        01 02 2001 2401     Get_Attributes_All Identity 1/1
        01 00               route path 1 word, reserved
        01 00               port segment: port 1 (backplane), link address 0 (slot 0)
    ")
}

fn routed_gaa_response() -> Vec<u8> {
    let mut r = gaa_response();
    // Same session/context as the routed request.
    r[4..8].copy_from_slice(&h("338be79c"));
    r[12..20].copy_from_slice(&h("3000000000000000"));
    r
}

/// Large Forward Open (frame 91) and its reply (frame 92), then a connected Get_Attributes_All
/// (frames 93, 94), then Forward Close (frames 95, 96): pycomm3 against cpppo.
fn forward_open_request() -> Vec<u8> {
    h("
        6f00 4200 2490e37f 00000000 5f7079636f6d6d5f 00000000   SendRRData, length 66, context '_pycomm_'
        00000000 0a00 0200 0000 0000
        b200 3200           unconnected data item, length 50
        5b 02 2006 2401     Large_Forward_Open to Connection Manager
        0a 05               priority/tick, timeout ticks
        00000000            O->T connection id (chosen by the target)
        a07275ba            T->O connection id 0xba7572a0
        2704                connection serial 0x0427
        0910                originator vendor 0x1009
        c5f6d4f4            originator serial 0xf4d4f6c5
        07 000000           timeout multiplier, reserved
        01402000            O->T RPI 2113537 us
        a00f0042            O->T parameters (32-bit): point-to-point, size 4000
        01402000            T->O RPI
        a00f0042            T->O parameters
        a3                  transport: server, application trigger, class 3
        02 2002 2401        connection path 2 words: Message Router 2/1
    ")
}

fn forward_open_reply() -> Vec<u8> {
    h("
        6f00 2e00 2490e37f 00000000 5f7079636f6d6d5f 00000000
        00000000 0a00 0200 0000 0000
        b200 1e00
        db 00 00 00         Large_Forward_Open response, success
        1ed26fe1            O->T connection id 0xe16fd21e
        a07275ba            T->O connection id 0xba7572a0
        2704 0910 c5f6d4f4  connection serial, vendor, originator serial
        01402000 01402000   O->T and T->O actual packet intervals
        00 00               application reply size 0, reserved
    ")
}

fn connected_gaa_request() -> Vec<u8> {
    h("
        7000 1c00 2490e37f 00000000 5f7079636f6d6d5f 00000000   SendUnitData, length 28
        00000000 0a00 0200
        a100 0400 1ed26fe1  connected address item: connection 0xe16fd21e (O->T)
        b100 0800           connected data item, length 8
        0100                sequence count 1
        01 02 2001 2401     Get_Attributes_All Identity 1/1
    ")
}

fn connected_gaa_response() -> Vec<u8> {
    h("
        7000 4900 2490e37f 00000000 5f7079636f6d6d5f 00000000   SendUnitData, length 73
        00000000 0a00 0200
        a100 0400 a07275ba  connected address item: connection 0xba7572a0 (T->O)
        b100 3500 0100      connected data item, sequence count 1
        81 00 00 00 0100 0e00 6712 210a 6031 b2a17500
        1c 313735362d4c3835452f42204f5453636f706520454e49502053696d 03 000000
    ")
}

fn forward_close_request() -> Vec<u8> {
    h("
        6f00 2600 2490e37f 00000000 5f7079636f6d6d5f 00000000
        00000000 0a00 0200 0000 0000
        b200 1600
        4e 02 2006 2401     Forward_Close to Connection Manager
        0a 05               priority/tick, timeout ticks
        2704 0910 c5f6d4f4  connection serial, vendor, originator serial
        02 00 2002 2401     connection path 2 words, reserved, Message Router
    ")
}

/// Logix Stop to the controller object 0x8E (iti__cip_stop_plc.pcap).
fn stop_request() -> Vec<u8> {
    h("
        7000 1c00 01002a00 00000000 0000000000000000 00000000   SendUnitData, session 0x002a0001
        00000000 0100 0200
        a100 0400 224095ff  connected address: connection 0xff954022
        b100 0800 0601      sequence count 262
        07 02 208e 2401     Stop, class 0x8E instance 1
    ")
}

/// A CIP request inside SendRRData (UCMM) with the given context.
fn rr(ctx: u8, cip: &[u8]) -> Vec<u8> {
    let len = 16 + cip.len();
    let mut v = vec![0x6f, 0x00];
    v.extend_from_slice(&(len as u16).to_le_bytes());
    v.extend_from_slice(&h("01000000 00000000")); // session 1, status 0
    v.extend_from_slice(&[ctx, 0, 0, 0, 0, 0, 0, 0]); // sender context
    v.extend_from_slice(&[0; 4]); // options
    v.extend_from_slice(&h("00000000 0000 0200 0000 0000 b200"));
    v.extend_from_slice(&(cip.len() as u16).to_le_bytes());
    v.extend_from_slice(cip);
    v
}

/// Run PDUs through a fresh TCP dissector, all in one call per PDU, client side first.
fn run_tcp(pdus: &[(Dir, Vec<u8>)]) -> Env {
    let mut env = Env::tcp();
    let mut d = EnipStream::new();
    let mut f = Feeder::new();
    for (dir, p) in pdus {
        env.frame += 1;
        env.ts += 1_000_000;
        f.feed(&mut d, *dir, p, &mut env);
    }
    env
}

use Dir::{ToClient as C, ToServer as S};

// ---------------------------------------------------------------------------------------
// Parsers

#[test]
fn header_and_encapsulation() {
    let b = list_identity_reply();
    let (rest, (hd, body)) = parser::parse_encap(&b).unwrap();
    assert!(rest.is_empty());
    assert_eq!(hd.command, codes::cmd::LIST_IDENTITY);
    assert_eq!(hd.length, 51);
    assert_eq!(hd.options, 0);
    assert_eq!(body.len(), 51);
    assert_eq!(codes::command_name(0x0070), Some("SendUnitData"));
    assert_eq!(codes::command_name(0x0072), Some("IndicateStatus"));
    assert_eq!(codes::command_name(0x0073), Some("Cancel"));
    assert_eq!(codes::command_name(0x1234), None);
    assert_eq!(codes::encap_status_name(0x64), "invalid_session_handle");
    // A body shorter than the length: incomplete, not a panic.
    assert!(parser::parse_encap(&b[..40]).is_err());
}

#[test]
fn list_identity_item_fields() {
    let b = list_identity_reply();
    let (_, cpf) = parser::parse_cpf(&b[HEADER_LEN..]).unwrap();
    assert_eq!(cpf.count, 1);
    let it = cpf.find(codes::item::LIST_IDENTITY).unwrap();
    let (_, li) = parser::parse_identity_item(it.data).unwrap();
    assert_eq!(li.version, 1);
    assert_eq!((li.sin_family, li.sin_port), (2, 44818));
    assert_eq!(li.sin_addr, [10, 1, 1, 164]);
    assert_eq!(li.id.vendor, 1);
    assert_eq!(li.id.device_type, 12);
    assert_eq!(li.id.product_code, 58);
    assert_eq!((li.id.rev_major, li.id.rev_minor), (4, 3));
    assert_eq!(li.id.status, 0x0030);
    assert_eq!(li.id.serial, 0x0052_4d8e);
    assert_eq!(li.id.product_name, b"1756-ENBT/A");
    assert_eq!(li.id.state, Some(3));
    assert_eq!(codes::item_name(0x8002), "sequenced_address");
}

#[test]
fn epath_segments() {
    // 8-bit class, 8-bit instance, 8-bit attribute.
    let b_ = h("20 01 24 01 30 07");
    let e = parser::parse_epath(&b_);
    assert_eq!(
        (e.class, e.instance, e.attribute),
        (Some(1), Some(1), Some(7))
    );
    assert!(!e.malformed);
    // 16-bit class (pad), 16-bit instance, 32-bit instance is ignored after the first.
    let b_ = h("21 00 3412 25 00 0100 26 00 78563412");
    let e = parser::parse_epath(&b_);
    assert_eq!((e.class, e.instance), (Some(0x1234), Some(1)));
    assert!(!e.malformed);
    // 8-bit member segment after a symbol.
    let b_ = h("91 05 5363616461 00 28 02");
    let e = parser::parse_epath(&b_);
    assert_eq!(e.symbol, Some(&b"Scada"[..]));
    assert_eq!(e.member, Some(2));
    assert!(!e.malformed);
    // Port segment: backplane, slot 3; then Message Router.
    let b_ = h("01 03 20 02 24 01");
    let e = parser::parse_epath(&b_);
    assert_eq!(e.port.map(|p| (p.port, p.link)), Some((1, Some(3))));
    assert_eq!(e.class, Some(2));
    // Extended link address (IP string, 11 chars, padded): port 2 -> "192.168.1.1".
    let b_ = h("12 0b 3139322e3136382e312e31 00 20 01");
    let e = parser::parse_epath(&b_);
    assert_eq!(e.port.map(|p| (p.port, p.link)), Some((2, None)));
    assert_eq!(e.class, Some(1));
    assert!(!e.malformed);
    // Electronic key segment is skipped.
    let b_ = h("34 04 0100 0e00 6712 21 0a 20 02 24 01");
    let e = parser::parse_epath(&b_);
    assert_eq!(e.class, Some(2));
    assert!(!e.malformed);
    // Symbolic segment 0x6n.
    let b_ = h("63 414243 20 6b");
    let e = parser::parse_epath(&b_);
    assert_eq!(e.symbol, Some(&b"ABC"[..]));
    assert_eq!(e.class, Some(0x6b));
    // Truncated and reserved segments are malformed, not panics.
    assert!(parser::parse_epath(&h("21 00 34")).malformed);
    assert!(parser::parse_epath(&h("e0 00")).malformed);
    assert!(parser::parse_epath(&h("91 09 41")).malformed);
    assert!(parser::parse_epath(&[0x20; 80]).malformed); // too many segments
}

#[test]
fn cip_request_response_and_msp() {
    let b_ = h("0e 03 20 01 24 01 30 07 aa");
    let (_, r) = parser::parse_cip_request(&b_).unwrap();
    assert_eq!(r.service, 0x0e);
    assert_eq!(r.path.len(), 6);
    assert_eq!(r.data, &[0xaa]);
    assert!(parser::parse_cip_request(&h("0e 05 20 01")).is_err());
    let b_ = h("d2 00 01 01 0402 aa");
    let (_, r) = parser::parse_cip_response(&b_).unwrap();
    assert_eq!(
        (r.service, r.general, r.ext_status()),
        (0x52, 1, Some(0x0204))
    );
    assert_eq!(r.data, &[0xaa]);
    // Multiple Service Packet: 2 services at offsets 6 and 12.
    let d = h("0200 0600 0c00 | 0e 02 2001 2401 | 01 02 20f5 2401");
    let (_, m) = parser::parse_msp(&d).unwrap();
    assert_eq!(m.count, 2);
    assert_eq!(m.get(0), Some(&h("0e 02 2001 2401")[..]));
    assert_eq!(m.get(1), Some(&h("01 02 20f5 2401")[..]));
    assert_eq!(m.get(2), None);
    // Offsets pointing into the offset table or backwards are refused.
    let b_ = h("0200 0200 0100 00");
    let (_, m) = parser::parse_msp(&b_).unwrap();
    assert_eq!(m.get(0), None);
    assert_eq!(m.get(1), None);
    let b_ = h("0100 ff00");
    let (_, m) = parser::parse_msp(&b_).unwrap();
    assert_eq!(m.get(0), None);
}

#[test]
fn forward_open_fields() {
    let b = forward_open_request();
    let (_, rr) = parser::parse_rr_data(&b[HEADER_LEN..]).unwrap();
    let d = rr.cpf.find(codes::item::UNCONNECTED_DATA).unwrap().data;
    let (_, req) = parser::parse_cip_request(d).unwrap();
    let (_, fo) = parser::parse_forward_open(req.data, true).unwrap();
    assert_eq!(fo.t2o_id, 0xba75_72a0);
    assert_eq!(fo.serial, 0x0427);
    assert_eq!(fo.vendor, 0x1009);
    assert_eq!(fo.orig_serial, 0xf4d4_f6c5);
    assert_eq!(fo.o2t_rpi, 2_113_537);
    assert_eq!(fo.o2t_params & 0xffff, 4000);
    assert_eq!(fo.transport, 0xa3);
    assert_eq!(parser::parse_epath(fo.path).class, Some(2));
    // The 16-bit-parameter variant of the same bytes is a different layout, still no panic.
    assert!(parser::parse_forward_open(&req.data[..10], false).is_err());
    let b = forward_open_reply();
    let (_, rr) = parser::parse_rr_data(&b[HEADER_LEN..]).unwrap();
    let d = rr.cpf.find(codes::item::UNCONNECTED_DATA).unwrap().data;
    let (_, resp) = parser::parse_cip_response(d).unwrap();
    let (_, r) = parser::parse_forward_open_reply(resp.data).unwrap();
    assert_eq!((r.o2t_id, r.t2o_id), (0xe16f_d21e, 0xba75_72a0));
    assert_eq!(state::ms_text(2_113_537), "2113.537");
    assert_eq!(state::ms_text(10_000), "10");
}

#[test]
fn names_and_tables() {
    assert_eq!(
        codes::vendor_name(1),
        Some("Rockwell Automation/Allen-Bradley")
    );
    assert_eq!(codes::vendor_name(0), None, "Reserved is not a vendor");
    assert_eq!(
        codes::device_type_name(14),
        Some("Programmable Logic Controller")
    );
    assert_eq!(codes::device_type_name(12), Some("Communications Adapter"));
    assert_eq!(codes::device_type_name(0xffff), None);
    assert_eq!(codes::general_status_name(0x05), "Path destination unknown");
    assert_eq!(
        codes::cm_ext_status_name(0x0100),
        "Connection in use or duplicate forward open"
    );
    // Class-dependent service names.
    let cm = Some(class::CONNECTION_MANAGER);
    assert_eq!(codes::service_name(0x4e, cm, false), "Forward_Close");
    assert_eq!(
        codes::service_name(0x4e, Some(0x6b), false),
        "Read_Modify_Write"
    );
    assert_eq!(codes::service_name(0x4e, cm, true), "Read_Modify_Write");
    assert_eq!(codes::service_name(0x52, cm, false), "Unconnected_Send");
    assert_eq!(codes::service_name(0x52, None, true), "Read_Tag_Fragmented");
    assert_eq!(codes::service_name(0x54, cm, false), "Forward_Open");
    assert_eq!(codes::service_name(0x5b, cm, false), "Large_Forward_Open");
    assert_eq!(codes::service_name(0x56, cm, false), "Get_Connection_Data");
    assert_eq!(codes::service_name(0x4c, None, true), "Read_Tag");
    assert_eq!(
        codes::service_name(0x53, None, true),
        "Write_Tag_Fragmented"
    );
    assert_eq!(
        codes::service_name(0x55, Some(0x6b), false),
        "Get_Instance_Attribute_List"
    );
    assert_eq!(codes::service_name(0x4b, Some(0x67), false), "Execute_PCCC");
    assert_eq!(
        codes::service_name(0x4d, Some(0xa1), false),
        "ControlFLASH_0x4D"
    );
    assert_eq!(codes::service_name(0x1c, None, false), "Group_Sync");
    assert_eq!(
        codes::service_name(0x8e, None, false),
        "Get_Attribute_Single"
    );
    assert_eq!(codes::class_name(0xf5), Some("TCP/IP Interface"));
}

#[test]
fn classification() {
    use codes::classify as c;
    assert_eq!(
        c(0x0e, Some(0x01), false),
        (Op::Identify, "Get_Attribute_Single")
    );
    assert_eq!(
        c(0x0e, Some(0xf5), false),
        (Op::Read, "Get_Attribute_Single")
    );
    assert_eq!(
        c(0x10, Some(0xf5), false),
        (Op::ConfigChange, "tcpip_object_write")
    );
    assert_eq!(
        c(0x02, Some(0xf5), false),
        (Op::ConfigChange, "tcpip_object_write")
    );
    assert_eq!(
        c(0x04, Some(0x8b), false),
        (Op::TimeSet, "wall_clock_write")
    );
    assert_eq!(c(0x10, Some(0x43), false), (Op::TimeSet, "time_sync_write"));
    assert_eq!(
        c(0x10, Some(0x04), false),
        (Op::Write, "Set_Attribute_Single")
    );
    assert_eq!(c(0x05, Some(0x01), false), (Op::Reset, "Reset"));
    assert_eq!(c(0x06, Some(0x8e), false), (Op::CpuStart, "Start"));
    assert_eq!(c(0x07, Some(0x8e), false), (Op::CpuStop, "Stop"));
    assert_eq!(
        c(0x4d, Some(0xa1), false),
        (Op::FirmwareUpdate, "ControlFLASH_0x4D")
    );
    assert_eq!(c(0x54, Some(0x06), false), (Op::Connect, "Forward_Open"));
    assert_eq!(
        c(0x5b, Some(0x06), false),
        (Op::Connect, "Large_Forward_Open")
    );
    assert_eq!(c(0x4e, Some(0x06), false), (Op::Other, "Forward_Close"));
    assert_eq!(c(0x4c, None, true), (Op::Read, "Read_Tag"));
    assert_eq!(c(0x52, None, true), (Op::Read, "Read_Tag_Fragmented"));
    assert_eq!(c(0x4d, None, true), (Op::Write, "Write_Tag"));
    assert_eq!(c(0x53, None, true), (Op::Write, "Write_Tag_Fragmented"));
    assert_eq!(c(0x4e, None, true), (Op::Write, "Read_Modify_Write"));
    assert_eq!(
        c(0x55, Some(0x6b), false),
        (Op::Browse, "Get_Instance_Attribute_List")
    );
    assert_eq!(c(0x17, None, false), (Op::Other, "NOP"));
}

// ---------------------------------------------------------------------------------------
// Dissection

#[test]
fn list_identity_over_tcp() {
    let env = run_tcp(&[(S, list_identity_request()), (C, list_identity_reply())]);
    let ip = SERVER;
    let src = "enip.list_identity";
    assert_eq!(env.claim(ip, "product"), vec![("1756-ENBT/A".into(), src)]);
    assert_eq!(env.claim(ip, "model"), vec![("1756-ENBT/A".into(), src)]);
    assert_eq!(
        env.claim(ip, "enip.product_name"),
        vec![("1756-ENBT/A".into(), src)]
    );
    assert_eq!(env.claim(ip, "serial"), vec![("0x00524d8e".into(), src)]);
    assert_eq!(
        env.claim(ip, "enip.serial_number"),
        vec![("0x00524d8e".into(), src)]
    );
    assert_eq!(env.claim(ip, "firmware"), vec![("4.03".into(), src)]);
    assert_eq!(env.claim(ip, "enip.revision"), vec![("4.03".into(), src)]);
    assert_eq!(env.claim(ip, "enip.vendor_id"), vec![("1".into(), src)]);
    assert_eq!(
        env.claim(ip, "vendor"),
        vec![("Rockwell Automation/Allen-Bradley".into(), src)]
    );
    assert_eq!(env.claim(ip, "enip.device_type"), vec![("12".into(), src)]);
    assert_eq!(
        env.claim(ip, "device_type"),
        vec![("Communications Adapter".into(), src)]
    );
    assert_eq!(env.claim(ip, "enip.product_code"), vec![("58".into(), src)]);
    assert_eq!(env.fact(ip, "enip.status"), vec!["0x0030"]);
    assert_eq!(env.fact(ip, "enip.state"), vec!["0x03 operational"]);
    assert_eq!(
        env.fact(ip, "enip.socket_address"),
        vec!["10.1.1.164:44818 (family 2)"]
    );
    assert_eq!(env.op(Op::Identify), Some((vec!["ListIdentity"], 1)));
    assert!(env.anomalies().is_empty(), "{:?}", env.anomalies());
    // Nothing is claimed for the client.
    assert!(env.claim(CLIENT, "product").is_empty());
}

#[test]
fn list_identity_over_udp_broadcast_and_reply() {
    // The request to the subnet broadcast address: discovery.
    let mut env = Env::udp(BCAST, 44818);
    let mut d = EnipUdp::default();
    d.datagram(S, &list_identity_request(), &mut env.cx());
    assert_eq!(env.op(Op::Discovery), Some((vec!["ListIdentity"], 1)));
    // The device's reply, a flow of its own oriented by the service port: ToClient.
    let mut env = Env::udp(SERVER, 44818);
    let mut d = EnipUdp::default();
    d.datagram(C, &list_identity_reply(), &mut env.cx());
    assert_eq!(env.claim(SERVER, "serial").len(), 1);
    assert!(env.claim(CLIENT, "serial").is_empty());
    // A unicast UDP request is an identify.
    let mut env = Env::udp(SERVER, 44818);
    let mut d = EnipUdp::default();
    d.datagram(S, &list_identity_request(), &mut env.cx());
    assert_eq!(env.op(Op::Identify), Some((vec!["ListIdentity"], 1)));
    // A reply sent "to the server" (flow between two 44818 ports oriented the other way):
    // the identity is the sender's.
    let mut env = Env::udp(SERVER, 44818);
    let mut d = EnipUdp::default();
    d.datagram(S, &list_identity_reply(), &mut env.cx());
    assert_eq!(env.claim(CLIENT, "serial").len(), 1);
    assert!(env.ops().is_empty());
    // A datagram cut by the snap length: what is there is used, the cut is counted.
    let mut env = Env::udp(SERVER, 44818);
    let mut d = EnipUdp::default();
    let r = list_identity_reply();
    d.datagram(C, &r[..r.len() - 5], &mut env.cx());
    assert_eq!(env.anomaly("truncated_datagram"), 1);
}

#[test]
fn register_session_and_list_services() {
    let env = run_tcp(&[
        (S, register_request()),
        (C, register_reply()),
        (
            S,
            h("0400 0000 60828ba5 00000000 0000000000000000 00000000"),
        ),
        (C, list_services_reply()),
    ]);
    assert_eq!(env.op(Op::Connect), Some((vec!["RegisterSession"], 1)));
    assert_eq!(env.op(Op::Identify), Some((vec!["ListServices"], 1)));
    assert_eq!(
        env.fact(SERVER, "enip.list_services"),
        vec!["Communications (version 1, capabilities 0x0120, cip_over_tcp, class0_1_over_udp)"]
    );
    assert!(env.anomalies().is_empty(), "{:?}", env.anomalies());
}

#[test]
fn session_handle_is_tracked() {
    let mut wrong = gaa_request();
    wrong[4..8].copy_from_slice(&[9, 9, 9, 9]);
    let mut reply = register_reply();
    reply[4..8].copy_from_slice(&h("6136ad00"));
    let env = run_tcp(&[
        (S, register_request()),
        (C, reply),
        (S, gaa_request()),
        (S, wrong),
    ]);
    assert_eq!(env.anomaly("unknown_session_handle"), 1);
}

#[test]
fn identity_object_get_attributes_all() {
    let env = run_tcp(&[(S, gaa_request()), (C, gaa_response())]);
    let src = "enip.identity_object";
    assert_eq!(
        env.claim(SERVER, "product"),
        vec![("1756-L85E/B OTScope ENIP Sim".into(), src)]
    );
    assert_eq!(
        env.claim(SERVER, "serial"),
        vec![("0x0075a1b2".into(), src)]
    );
    assert_eq!(env.claim(SERVER, "firmware"), vec![("33.10".into(), src)]);
    assert_eq!(
        env.claim(SERVER, "device_type"),
        vec![("Programmable Logic Controller".into(), src)]
    );
    assert_eq!(
        env.claim(SERVER, "enip.product_code"),
        vec![("4711".into(), src)]
    );
    assert_eq!(env.fact(SERVER, "enip.status"), vec!["0x3160"]);
    assert_eq!(env.op(Op::Identify), Some((vec!["Get_Attributes_All"], 1)));
    assert!(env.anomalies().is_empty(), "{:?}", env.anomalies());
}

#[test]
fn identity_response_without_request_claims_nothing() {
    // Picked up mid-stream: the response alone does not say which class answered.
    let env = run_tcp(&[(C, gaa_response())]);
    assert!(env.claim(SERVER, "product").is_empty());
}

#[test]
fn routed_identity_is_a_module_not_the_ip() {
    let env = run_tcp(&[(S, routed_gaa_request()), (C, routed_gaa_response())]);
    assert!(env.claim(SERVER, "product").is_empty());
    assert!(env.claim(SERVER, "serial").is_empty());
    assert_eq!(
        env.fact(SERVER, "enip.backplane_module"),
        vec!["slot 0: 1756-L85E/B OTScope ENIP Sim 33.10 serial 0x0075a1b2"]
    );
    // The embedded request is what the client did.
    assert_eq!(env.op(Op::Identify), Some((vec!["Get_Attributes_All"], 1)));
}

#[test]
fn get_attribute_single_identity_attributes() {
    let req = |ctx: u8, attr: u8| rr(ctx, &[0x0e, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, attr]);
    let resp = |ctx: u8, data: &[u8]| {
        let mut c = vec![0x8e, 0, 0, 0];
        c.extend_from_slice(data);
        rr(ctx, &c)
    };
    let env = run_tcp(&[
        (S, req(1, 7)),
        (C, resp(1, &h("0b 313735362d454e42542f41"))),
        (S, req(2, 6)),
        (C, resp(2, &h("8e4d5200"))),
        (S, req(3, 4)),
        (C, resp(3, &h("0403"))),
        (S, req(4, 1)),
        (C, resp(4, &h("0100"))),
        (S, req(5, 2)),
        (C, resp(5, &h("0c00"))),
        (S, req(6, 3)),
        (C, resp(6, &h("3a00"))),
        (S, req(7, 5)),
        (C, resp(7, &h("3000"))),
        // Truncated attribute value: an anomaly, no claim.
        (S, req(8, 6)),
        (C, resp(8, &h("8e"))),
    ]);
    let src = "enip.identity_object";
    assert_eq!(
        env.claim(SERVER, "product"),
        vec![("1756-ENBT/A".into(), src)]
    );
    assert_eq!(
        env.claim(SERVER, "serial"),
        vec![("0x00524d8e".into(), src)]
    );
    assert_eq!(env.claim(SERVER, "firmware"), vec![("4.03".into(), src)]);
    assert_eq!(
        env.claim(SERVER, "vendor"),
        vec![("Rockwell Automation/Allen-Bradley".into(), src)]
    );
    assert_eq!(
        env.claim(SERVER, "device_type"),
        vec![("Communications Adapter".into(), src)]
    );
    assert_eq!(
        env.claim(SERVER, "enip.product_code"),
        vec![("58".into(), src)]
    );
    assert_eq!(env.fact(SERVER, "enip.status"), vec!["0x0030"]);
    assert_eq!(env.anomaly("bad_identity_attribute"), 1);
    assert_eq!(
        env.op(Op::Identify),
        Some((vec!["Get_Attribute_Single"], 8))
    );
}

#[test]
fn forward_open_connected_identity_and_forward_close() {
    let env = run_tcp(&[
        (S, forward_open_request()),
        (C, forward_open_reply()),
        (S, connected_gaa_request()),
        (C, connected_gaa_response()),
        (S, forward_close_request()),
    ]);
    assert_eq!(env.op(Op::Connect), Some((vec!["Large_Forward_Open"], 1)));
    assert_eq!(env.op(Op::Other), Some((vec!["Forward_Close"], 1)));
    let conn = env.fact(SERVER, "enip.connection");
    assert_eq!(conn.len(), 1);
    assert!(
        conn[0].starts_with("O->T id 0xe16fd21e RPI 2113.537 ms (point-to-point low priority variable size 4000), T->O id 0xba7572a0"),
        "{}",
        conn[0]
    );
    assert!(conn[0].contains("transport class 3"), "{}", conn[0]);
    // The connection path has no port segment: the identity is the IP's own.
    assert_eq!(
        env.claim(SERVER, "serial"),
        vec![("0x0075a1b2".into(), "enip.identity_object")]
    );
    assert!(env.anomalies().is_empty(), "{:?}", env.anomalies());
}

#[test]
fn socket_address_items() {
    // A Forward Open reply for an I/O connection carries a T->O socket address item.
    let mut b = forward_open_reply();
    b.extend_from_slice(&h("
        0180 1000           item 0x8001 (sockaddr T->O), length 16
        0002 08ae           sin_family 2, sin_port 2222 (big-endian)
        efc00120            sin_addr 239.192.1.32
        0000000000000000    sin_zero
    "));
    b[2] += 20; // encapsulation length
    b[HEADER_LEN + 6] = 3; // item count
    let env = run_tcp(&[(S, forward_open_request()), (C, b)]);
    assert_eq!(
        env.fact(SERVER, "enip.io_socket"),
        vec!["T->O 239.192.1.32:2222 (family 2)"]
    );
    assert_eq!(env.fact(SERVER, "enip.connection").len(), 1);
    assert!(env.anomalies().is_empty(), "{:?}", env.anomalies());
}

#[test]
fn connection_tracking_and_close() {
    let mut env = Env::tcp();
    let mut d = EnipStream::new();
    let mut f = Feeder::new();
    f.feed(&mut d, S, &forward_open_request(), &mut env);
    f.feed(&mut d, C, &forward_open_reply(), &mut env);
    assert_eq!(d.state().conns.len(), 1);
    assert_eq!(d.state().conns[0].via, Via::Direct);
    f.feed(&mut d, S, &forward_close_request(), &mut env);
    assert!(d.state().conns.is_empty());
}

#[test]
fn connected_message_on_unknown_connection() {
    // Mid-stream: the Forward Open was not seen; an identity answered on the connection may be
    // another module's, so it is a fact only.
    let env = run_tcp(&[(S, connected_gaa_request()), (C, connected_gaa_response())]);
    assert!(env.claim(SERVER, "serial").is_empty());
    assert_eq!(
        env.fact(SERVER, "enip.connected_module"),
        vec!["1756-L85E/B OTScope ENIP Sim 33.10 serial 0x0075a1b2"]
    );
}

#[test]
fn stop_start_and_control_operations() {
    let mut start = stop_request();
    start[HEADER_LEN + 22] = 0x06; // service Start instead of Stop
    let env = run_tcp(&[(S, stop_request()), (S, start)]);
    assert_eq!(env.op(Op::CpuStop), Some((vec!["Stop"], 1)));
    assert_eq!(env.op(Op::CpuStart), Some((vec!["Start"], 1)));
    let env = run_tcp(&[
        // Set_Attribute_Single TCP/IP object 0xF5/1 attribute 6 (host name).
        (S, rr(1, &h("10 03 20f5 2401 3006 0400 6162 6364"))),
        // Set_Attribute_List wall clock 0x8B/1 attribute 6.
        (S, rr(2, &h("04 02 208b 2401 0100 0600 c0587222085a0400"))),
        // Reset of the Identity object.
        (S, rr(3, &h("05 02 2001 2401 00"))),
        // ControlFLASH data transfer to class 0xA1.
        (S, rr(4, &h("4d 02 20a1 2401 00112233"))),
        // Logix Read_Tag / Write_Tag by name.
        (S, rr(5, &h("4c 04 91 04 54656d70 0100"))),
        (S, rr(6, &h("4d 04 91 04 54656d70 ca00 0100 0000ac41"))),
        // Tag list upload.
        (S, rr(7, &h("55 03 206b 2500 0000 0200 0100 0200"))),
    ]);
    assert_eq!(
        env.op(Op::ConfigChange),
        Some((vec!["tcpip_object_write"], 1))
    );
    assert_eq!(env.op(Op::TimeSet), Some((vec!["wall_clock_write"], 1)));
    assert_eq!(env.op(Op::Reset), Some((vec!["Reset"], 1)));
    assert_eq!(
        env.op(Op::FirmwareUpdate),
        Some((vec!["ControlFLASH_0x4D"], 1))
    );
    assert_eq!(env.op(Op::Read), Some((vec!["Read_Tag"], 1)));
    assert_eq!(env.op(Op::Write), Some((vec!["Write_Tag"], 1)));
    assert_eq!(
        env.op(Op::Browse),
        Some((vec!["Get_Instance_Attribute_List"], 1))
    );
}

#[test]
fn multiple_service_packet_request_and_response() {
    // Two embedded requests: identity product name, TCP/IP host name.
    let req = rr(
        9,
        &h("0a 02 2002 2401 | 0200 0600 0e00 | 0e 03 2001 2401 3007 | 0e 03 20f5 2401 3006"),
    );
    // Response: two embedded replies at offsets 6 and 22.
    let resp = rr(
        9,
        &h(
            "8a 00 00 00 | 0200 0600 1600 | 8e 00 00 00 0b 313735362d454e42542f41 | 8e 00 00 00 0200 6869",
        ),
    );
    let env = run_tcp(&[(S, req.clone()), (C, resp)]);
    // One request PDU: one identify and one read.
    assert_eq!(
        env.op(Op::Identify),
        Some((vec!["Get_Attribute_Single"], 1))
    );
    assert_eq!(env.op(Op::Read), Some((vec!["Get_Attribute_Single"], 1)));
    assert_eq!(
        env.claim(SERVER, "product"),
        vec![("1756-ENBT/A".into(), "enip.identity_object")]
    );
    assert!(env.anomalies().is_empty(), "{:?}", env.anomalies());
    // An embedded Unconnected Send to slot 2 inside the packet: the identity that comes back
    // is another module's, never claimed for the IP.
    let us = h("52 02 2006 2401 | 05 9d 0600 | 01 02 2001 2401 | 01 00 | 01 02");
    let mut m = h("0a 02 2002 2401 | 0100 0400");
    m.extend_from_slice(&us);
    let resp = rr(
        3,
        &h("8a 00 00 00 | 0100 0400 | 81 00 00 00 0100 0e00 6712 210a 6031 b2a17500 03 414243 03"),
    );
    let env = run_tcp(&[(S, rr(3, &m)), (C, resp)]);
    assert!(env.claim(SERVER, "product").is_empty());
    assert_eq!(env.op(Op::Identify), Some((vec!["Get_Attributes_All"], 1)));
    assert!(env.anomalies().is_empty(), "{:?}", env.anomalies());
    // A packet whose count promises more offsets than there are: an anomaly, no panic.
    let bad = rr(1, &h("0a 02 2002 2401 | 0500 0600"));
    let env = run_tcp(&[(S, bad)]);
    assert_eq!(env.anomaly("bad_multiple_service_packet"), 1);
    // Nested packets are bounded.
    let mut inner = h("0e 02 2001 2401");
    for _ in 0..10 {
        let mut m = h("0a 02 2002 2401 0100 0400");
        m.extend_from_slice(&inner);
        inner = m;
    }
    let env = run_tcp(&[(S, rr(1, &inner))]);
    assert_eq!(env.anomaly("nesting_too_deep"), 1);
}

#[test]
fn error_responses_become_facts_once() {
    let req = rr(1, &routed_gaa_request()[HEADER_LEN + 16..]);
    // Unconnected Send failed on the way: 0xD2, connection failure, extended 0x0204.
    let resp = rr(1, &h("d2 00 01 01 0402 0000"));
    let env = run_tcp(&[(S, req.clone()), (C, resp.clone()), (S, req), (C, resp)]);
    assert_eq!(
        env.fact(SERVER, "enip.cip_error"),
        vec![
            "Unconnected_Send: Connection failure (0x01) extended 0x0204 Unconnected request timed out"
        ]
    );
    assert_eq!(env.anomaly("response_service_mismatch"), 0);
}

#[test]
fn open_transactions_are_bounded() {
    let mut env = Env::tcp();
    env.limits.max_open_transactions = 8;
    let mut d = EnipStream::new();
    let mut f = Feeder::new();
    for i in 0..50u8 {
        f.feed(&mut d, S, &rr(i, &h("0e 03 2001 2401 3007")), &mut env);
    }
    assert_eq!(d.state().open_transactions(), 8);
    assert_eq!(env.anomaly("open_transactions_limit"), 42);
}

// ---------------------------------------------------------------------------------------
// Streaming

fn session_stream() -> Vec<(Dir, Vec<u8>)> {
    vec![
        (S, register_request()),
        (C, register_reply()),
        (S, list_identity_request()),
        (C, list_identity_reply()),
        (S, gaa_request()),
        (C, gaa_response()),
        (S, forward_open_request()),
        (C, forward_open_reply()),
        (S, connected_gaa_request()),
        (C, connected_gaa_response()),
        (S, stop_request()),
        (S, forward_close_request()),
    ]
}

#[test]
fn several_pdus_per_segment_and_split_pdus() {
    let reference = run_tcp(&session_stream()).summary();
    // All client PDUs in one segment, all server PDUs in one segment, interleaving kept per
    // request/response pair by sending each direction's bytes in two halves.
    let mut env = Env::tcp();
    let mut d = EnipStream::new();
    let mut f = Feeder::new();
    for (dir, p) in session_stream() {
        let (a, b) = p.split_at(p.len() / 2);
        f.feed(&mut d, dir, a, &mut env);
        f.feed(&mut d, dir, b, &mut env);
    }
    assert_eq!(env.summary(), reference);
    // Byte by byte.
    let mut env = Env::tcp();
    let mut d = EnipStream::new();
    let mut f = Feeder::new();
    for (dir, p) in session_stream() {
        for b in p {
            f.feed(&mut d, dir, &[b], &mut env);
        }
    }
    assert_eq!(env.summary(), reference);
    // Two PDUs in one call.
    let mut two = list_identity_request();
    two.extend_from_slice(&list_identity_request());
    let env = run_tcp(&[(S, two)]);
    assert_eq!(env.op(Op::Identify), Some((vec!["ListIdentity"], 2)));
}

#[test]
fn growing_prefixes() {
    // The client side of a session as one byte string.
    let stream: Vec<u8> = session_stream()
        .into_iter()
        .filter(|(d, _)| *d == S)
        .flat_map(|(_, p)| p)
        .collect();
    let full = run_tcp(&[(S, stream.clone())]).summary();
    assert!(full.iter().any(|l| l.contains("CpuStop")));
    for n in 0..=stream.len() {
        // The prefix arrives first, then the rest: same observations once complete.
        let mut env = Env::tcp();
        let mut d = EnipStream::new();
        let mut f = Feeder::new();
        f.feed(&mut d, S, &stream[..n], &mut env);
        f.feed(&mut d, S, &stream[n..], &mut env);
        assert_eq!(env.summary(), full, "prefix {n}");
        // The prefix alone never panics and never claims more than the whole.
        let mut env = Env::tcp();
        let mut d = EnipStream::new();
        let mut f = Feeder::new();
        f.feed(&mut d, S, &stream[..n], &mut env);
        assert!(env.summary().len() <= full.len());
    }
}

#[test]
fn garbage_is_skipped_and_counted() {
    let mut g = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    g.extend_from_slice(&list_identity_request());
    g.extend_from_slice(&[0xff; 7]);
    g.extend_from_slice(&list_identity_request());
    let env = run_tcp(&[(S, g)]);
    assert_eq!(env.op(Op::Identify), Some((vec!["ListIdentity"], 2)));
    assert_eq!(env.anomaly("garbage_skipped"), 1);
    assert_eq!(env.anomaly("bad_header"), 1);
}

#[test]
fn garbage_is_judged_the_same_whatever_the_segments() {
    // A stream picked up mid-PDU: two bytes that cannot begin a header (command 0, NOP),
    // then the capture ends. Judged garbage on their own bytes, not left waiting for a whole
    // header when they arrive one at a time. (A RegisterSession command code alone may still
    // begin a header: not garbage yet.)
    for (tail, garbage) in [(&[0u8, 0][..], 1), (&[0x65, 0], 0), (&[0, 0, 0x65], 1)] {
        let whole = tail.to_vec();
        let one = run_tcp(&[(S, whole.clone())]);
        let bytes: Vec<(Dir, Vec<u8>)> = whole.iter().map(|&b| (S, vec![b])).collect();
        let split = run_tcp(&bytes);
        assert_eq!(one.summary(), split.summary(), "tail {tail:?}");
        assert_eq!(one.anomaly("garbage_skipped"), garbage, "tail {tail:?}");
    }
}

#[test]
fn midstream_start_resynchronises() {
    // The flow is picked up in the middle of a reply, then whole PDUs follow.
    let r = list_identity_reply();
    let mut s = r[30..].to_vec();
    s.extend_from_slice(&gaa_response());
    let env = run_tcp(&[(S, gaa_request()), (C, s)]);
    assert_eq!(env.claim(SERVER, "serial").len(), 1);
    assert_eq!(env.anomaly("garbage_skipped"), 1);
}

#[test]
fn gap_resynchronises() {
    let mut env = Env::tcp();
    let mut d = EnipStream::new();
    let mut f = Feeder::new();
    let r = gaa_request();
    // A whole PDU, then one cut after its header (snap length or loss).
    f.feed(&mut d, S, &register_request(), &mut env);
    f.feed(&mut d, S, &r[..30], &mut env);
    // The engine drops its buffer on a gap and tells the dissector.
    f.buf[0].clear();
    f.need[0] = 0;
    d.gap(S, 100, &mut env.cx());
    let mut tail = r[40..].to_vec();
    tail.extend_from_slice(&list_identity_request());
    f.feed(&mut d, S, &tail, &mut env);
    assert_eq!(env.op(Op::Identify), Some((vec!["ListIdentity"], 1)));
    assert_eq!(env.op(Op::Connect), Some((vec!["RegisterSession"], 1)));
    assert!(env.op(Op::Read).is_none(), "the cut request is not guessed");
    // The PDU cut by the gap is counted; a gap between PDUs is not.
    assert_eq!(env.anomaly("truncated_pdu"), 1);
    d.gap(S, 100, &mut env.cx());
    assert_eq!(env.anomaly("truncated_pdu"), 1);
}

#[test]
fn unknown_and_legacy_commands() {
    // Legacy List Targets (0x0001) as a 1756-ENBT answers it: named, not an anomaly.
    let req = h("0100 0000 00000000 00000000 0000000000000000 00000000");
    let env = run_tcp(&[(S, req)]);
    assert_eq!(env.op(Op::Identify), Some((vec!["ListTargets"], 1)));
    assert!(env.anomalies().is_empty());
    // Indicate Status and Cancel are known, NOP is known.
    let nop = h("0000 0200 00000000 00000000 0000000000000000 00000000 abcd");
    let env = run_tcp(&[(S, list_identity_request()), (S, nop)]);
    assert!(env.anomalies().is_empty(), "{:?}", env.anomalies());
}

// ---------------------------------------------------------------------------------------
// Probes

#[test]
fn probes_positive() {
    assert_eq!(probe_tcp(S, &register_request(), true), Probe::Match);
    assert_eq!(probe_tcp(S, &register_request(), false), Probe::Match);
    assert_eq!(probe_tcp(S, &list_identity_request(), false), Probe::Match);
    assert_eq!(probe_tcp(C, &list_identity_reply(), false), Probe::Match);
    assert_eq!(probe_tcp(S, &gaa_request(), false), Probe::Match);
    assert_eq!(probe_tcp(S, &stop_request(), true), Probe::Match);
    assert_eq!(probe_tcp(S, &stop_request(), false), Probe::Match);
    // Mid-stream on port 44818: a header later in the first bytes.
    let mut m = list_identity_reply()[10..].to_vec();
    m.extend_from_slice(&gaa_request());
    assert_eq!(probe_tcp(C, &m, true), Probe::Match);
    assert_eq!(probe_tcp(C, &m, false), Probe::NoMatch);
    // Too few bytes.
    assert_eq!(
        probe_tcp(S, &register_request()[..10], true),
        Probe::NeedMore
    );
    assert_eq!(
        probe_tcp(S, &register_request()[..10], false),
        Probe::NeedMore
    );
    assert_eq!(probe_tcp(S, &gaa_request()[..30], false), Probe::NeedMore);
    // UDP.
    assert_eq!(probe_udp(S, &list_identity_request(), true), Probe::Match);
    assert_eq!(probe_udp(S, &list_identity_request(), false), Probe::Match);
    assert_eq!(probe_udp(C, &list_identity_reply(), false), Probe::Match);
    assert_eq!(probe_udp(C, &list_services_reply(), false), Probe::Match);
    // Implicit I/O.
    let io = h("0200 0280 0800 0102 4b00 f4753f00 b100 0600 3412 00000000");
    assert_eq!(probe_io(S, &io, true), Probe::Match);
    assert_eq!(probe_io(S, &io, false), Probe::Match);
}

/// Away from port 44818 a CIP request must travel to the server and a reply back: the engine
/// turns a flow picked up mid-stream round when only the other way matches.
#[test]
fn probe_direction_counts_away_from_port_44818() {
    crate::dissect::assert_probe_ways(
        probe_tcp,
        &[gaa_request(), stop_request()],
        &[gaa_response(), connected_gaa_response()],
    );
}

#[test]
fn probes_negative() {
    let http = b"GET /index.html HTTP/1.1\r\nHost: plc\r\nUser-Agent: x\r\n\r\n".to_vec();
    let modbus = h("0001 0000 0006 01 03 0000 000a");
    let modbus_resp = h("0001 0000 0017 01 03 14 00000000000000000000000000000000000000000000");
    let tpkt = h("0300 0016 11e0 0000 0001 00c1 0201 00c2 0201 02c0 0109");
    let s7 = h("0300 001f 02f080 32 01 0000 0000 000e 0000 f000 0001 0001 01e0");
    let opcua = b"HELF\x38\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00opc.tcp://x:4840".to_vec();
    let zeros = vec![0u8; 64];
    let mut rng = Rng(7);
    let random: Vec<u8> = (0..200).map(|_| rng.next() as u8).collect();
    for (name, b) in [
        ("http", &http),
        ("modbus", &modbus),
        ("modbus_resp", &modbus_resp),
        ("tpkt", &tpkt),
        ("s7", &s7),
        ("opcua", &opcua),
        ("zeros", &zeros),
        ("random", &random),
    ] {
        for dir in [S, C] {
            assert_eq!(probe_tcp(dir, b, false), Probe::NoMatch, "{name} tcp");
            assert_eq!(probe_udp(dir, b, false), Probe::NoMatch, "{name} udp");
            assert_eq!(probe_udp(dir, b, true), Probe::NoMatch, "{name} udp port");
            assert_eq!(probe_io(dir, b, false), Probe::NoMatch, "{name} io");
            assert_eq!(probe_io(dir, b, true), Probe::NoMatch, "{name} io port");
        }
    }
    // On port 44818, a short non-ENIP start: more bytes may hold a header; a long one does not.
    assert_eq!(probe_tcp(S, &http, true), Probe::NeedMore);
    let mut long_http = http.clone();
    while long_http.len() < 2048 {
        long_http.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    assert_eq!(probe_tcp(S, &long_http, true), Probe::NoMatch);
    let long_zero = vec![0u8; 2048];
    assert_eq!(probe_tcp(S, &long_zero, true), Probe::NoMatch);
    // ENIP with a nonzero options field, or status set by a client, is not trusted.
    let mut b = register_request();
    b[20] = 1;
    assert_eq!(probe_tcp(S, &b, false), Probe::NoMatch);
    let mut b = list_identity_request();
    b[8] = 1;
    assert_eq!(probe_tcp(S, &b, false), Probe::NoMatch);
}

// ---------------------------------------------------------------------------------------
// Implicit I/O

#[test]
fn implicit_io_facts_and_rate() {
    let mut env = Env::udp(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 22)), 2222);
    let mut d = CipIo::default();
    let pkt = |id: u32, seq: u32| {
        let mut v = h("0200 0280 0800"); // 2 items; sequenced address, length 8
        v.extend_from_slice(&id.to_le_bytes()); // connection id
        v.extend_from_slice(&seq.to_le_bytes()); // encapsulation sequence number
        v.extend_from_slice(&h("b100 0600 0100 00000000")); // connected data: seq + run/idle
        v
    };
    for i in 0..11u32 {
        env.ts = 1_000_000_000 + i as u64 * 10_000_000; // every 10 ms
        env.frame += 1;
        d.datagram(S, &pkt(0x004b_0201, i), &mut env.cx());
    }
    env.ts += 5_000_000;
    d.datagram(C, &pkt(0x008e_400b, 1), &mut env.cx());
    d.datagram(C, b"junk", &mut env.cx());
    d.close(&mut env.cx());
    assert_eq!(env.fact(CLIENT, "cip_io.connection"), vec!["id 0x004b0201"]);
    assert_eq!(
        env.fact(CLIENT, "cip_io.producer"),
        vec!["id 0x004b0201 to 192.168.1.22"]
    );
    assert_eq!(env.fact(CLIENT, "cip_io.rate_ms"), vec!["10.0"]);
    assert_eq!(
        env.fact(CLIENT, "cip_io.connection_rate_ms"),
        vec!["id 0x004b0201 every 10.0 ms"]
    );
    let srv = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 22));
    assert_eq!(env.fact(srv, "cip_io.connection"), vec!["id 0x008e400b"]);
    assert!(
        env.fact(srv, "cip_io.rate_ms").is_empty(),
        "one datagram: no rate"
    );
    assert_eq!(env.op(Op::Other), Some((vec!["implicit_io"], 11)));
    assert_eq!(env.anomaly("bad_io_packet"), 1);
}

// ---------------------------------------------------------------------------------------
// Robustness

/// xorshift64*, fixed seed: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The request cache ([`state::ReqCache`]) gives what decoding gives: a long stream of real
/// requests and responses, repeated (a poll), interleaved with mutated copies (anomalies, a
/// Forward Close, routed requests, more distinct requests than the cache holds), observed
/// with and without the cache, ends in the same observations, evidence frames included.
#[test]
fn request_cache_gives_what_decoding_gives() {
    let seeds: Vec<(Dir, Vec<u8>)> = session_stream()
        .into_iter()
        .chain([
            (S, routed_gaa_request()),
            (C, routed_gaa_response()),
            (S, gaa_request()),
            (C, gaa_response()),
        ])
        .collect();
    let mut rng = Rng(0xcac4e);
    // Variants: one byte of the CIP message changed (another request, or a bad one), each
    // sent again and again like the rest.
    let mut pool = seeds.clone();
    for _ in 0..80 {
        let (dir, mut b) = seeds[rng.below(seeds.len())].clone();
        let i = 40 + rng.below(b.len().saturating_sub(40).max(1));
        if i < b.len() {
            b[i] = rng.next() as u8;
        }
        pool.push((dir, b));
    }
    let stream: Vec<(Dir, Vec<u8>)> = (0..8000)
        .map(|_| pool[rng.below(pool.len())].clone())
        .collect();
    let observe = |cache: bool| {
        state::NO_REQ_CACHE.set(!cache);
        state::REQ_CACHE_HITS.set(0);
        let env = run_tcp(&stream);
        let evidence: Vec<String> = sorted(&env.store.ops)
            .into_iter()
            .map(|(k, a)| format!("{:?} {:?} {:?}", k.op, a.details, a.evidence))
            .collect();
        state::NO_REQ_CACHE.set(false);
        (env.summary(), evidence, state::REQ_CACHE_HITS.get())
    };
    let (want, want_ev, none) = observe(false);
    let (got, got_ev, hits) = observe(true);
    assert_eq!(none, 0);
    assert!(hits > 1000, "the cache gave {hits} requests");
    assert!(want.iter().any(|l| l.starts_with("anomaly")), "{want:?}");
    assert_eq!(got, want);
    assert_eq!(got_ev, want_ev);
}

#[test]
fn fuzz_no_panic_bounded_state() {
    let seeds: Vec<Vec<u8>> = session_stream()
        .into_iter()
        .map(|(_, p)| p)
        .chain([
            list_services_reply(),
            routed_gaa_request(),
            routed_gaa_response(),
            h("0200 0280 0800 0102 4b00 f4753f00 b100 0600 3412 00000000"),
        ])
        .collect();
    let mut rng = Rng(0x5eed_e41b);
    let mut env = Env::tcp();
    env.limits.max_open_transactions = 16;
    let mut d = EnipStream::new();
    let mut f = Feeder::new();
    for round in 0..4000 {
        // Mutate a valid PDU (flip, truncate, splice, length field) or make random bytes.
        let mut b = seeds[rng.below(seeds.len())].clone();
        match rng.below(6) {
            0 => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(b.len());
                    b[i] ^= 1 << rng.below(8);
                }
            }
            1 => b.truncate(rng.below(b.len() + 1)),
            2 => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
                let j = rng.below(b.len());
                b.insert(j, rng.next() as u8);
            }
            3 => {
                // A lying length field.
                let l = rng.next() as u16;
                b[2..4].copy_from_slice(&l.to_le_bytes());
            }
            4 => b = (0..rng.below(120)).map(|_| rng.next() as u8).collect(),
            _ => {
                let other = seeds[rng.below(seeds.len())].clone();
                let cut = rng.below(b.len());
                b.truncate(cut);
                b.extend_from_slice(&other);
            }
        }
        let dir = if rng.below(2) == 0 { S } else { C };
        for port in [true, false] {
            let _ = probe_tcp(dir, &b, port);
            let _ = probe_udp(dir, &b, port);
            let _ = probe_io(dir, &b, port);
        }
        f.feed(&mut d, dir, &b, &mut env);
        assert!(f.buf[0].len() <= 65_535 + HEADER_LEN + 4096);
        assert!(f.buf[1].len() <= 65_535 + HEADER_LEN + 4096);
        let mut u = EnipUdp::default();
        u.datagram(dir, &b, &mut env.cx());
        let mut io = CipIo::default();
        io.datagram(dir, &b, &mut env.cx());
        io.close(&mut env.cx());
        if round % 500 == 0 {
            // Gaps now and then.
            f.buf = [Vec::new(), Vec::new()];
            f.need = [0, 0];
            d.gap(dir, 10, &mut env.cx());
        }
        assert!(d.state().open_transactions() <= 16);
        assert!(d.state().conns.len() <= MAX_CONNS);
    }
    // Plain EPATH and CPF parsers on random bytes.
    for _ in 0..2000 {
        let b: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        let _ = parser::parse_epath(&b);
        let _ = parser::parse_cpf(&b);
        let _ = parser::parse_identity_item(&b);
        let _ = parser::parse_unconnected_send(&b);
        let _ = parser::parse_forward_open(&b, rng.below(2) == 0);
        if let Ok((_, m)) = parser::parse_msp(&b) {
            for k in 0..(m.count as usize).min(64) {
                let _ = m.get(k);
            }
        }
    }
}

/// The same on real traffic, through the whole analysis: every shipped EtherNet/IP capture
/// (public, cpppo, the demo plant) gives the same report with and without the request cache.
#[test]
fn request_cache_leaves_reports_of_real_captures_unchanged() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("captures/public/enip"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths.push(root.join("captures/generated/enip-cpppo.pcap"));
    paths.push(root.join("captures/demo/ot-trunk.pcapng"));
    let sigs = crate::inventory::signatures::Signatures::builtin();
    let report = |cache: bool| {
        state::NO_REQ_CACHE.set(!cache);
        state::REQ_CACHE_HITS.set(0);
        // One thread: the analysis runs on this one, where the switch is set.
        let a = crate::analysis::analyze(&paths, &Limits::default(), 1, None);
        state::NO_REQ_CACHE.set(false);
        let r = crate::build_report(&a, &sigs, None, false);
        (
            serde_json::to_string_pretty(&r).unwrap(),
            state::REQ_CACHE_HITS.get(),
        )
    };
    let (want, _) = report(false);
    let (got, hits) = report(true);
    assert!(hits > 50, "the cache gave {hits} requests");
    assert!(want.contains("\"enip\""));
    assert!(got == want, "the reports differ");
}
