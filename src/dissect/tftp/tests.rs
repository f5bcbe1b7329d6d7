use super::*;
use crate::dissect::Dir::{ToClient, ToServer};
use crate::dissect::http::testkit::{Harness, Rng};
use crate::inventory::observation::Transport;

/// RRQ: opcode 1, "startup-config" NUL, "octet" NUL.
const RRQ_PKT: &[u8] = b"\x00\x01startup-config\x00octet\x00";
/// WRQ: opcode 2, file, mode, option blksize=1428 (RFC 2348).
const WRQ_PKT: &[u8] = b"\x00\x02firmware.bin\x00NETASCII\x00blksize\x001428\x00";

fn harness() -> Harness {
    let mut h = Harness::new("tftp", 69);
    h.transport = Transport::Udp;
    h
}

#[test]
fn parse_packets() {
    assert_eq!(
        parse_packet(RRQ_PKT).unwrap().1,
        Packet::Request {
            write: false,
            file: b"startup-config",
            mode: b"octet"
        }
    );
    // DATA: opcode 3, block 1, 4 bytes. ACK: opcode 4, block 1. ERROR: 5, code 1, message.
    assert_eq!(
        parse_packet(b"\x00\x03\x00\x01abcd").unwrap().1,
        Packet::Data { block: 1, len: 4 }
    );
    assert_eq!(
        parse_packet(b"\x00\x04\x00\x01").unwrap().1,
        Packet::Ack { block: 1 }
    );
    assert_eq!(
        parse_packet(b"\x00\x05\x00\x01File not found\x00")
            .unwrap()
            .1,
        Packet::Error {
            code: 1,
            msg: b"File not found"
        }
    );
    assert_eq!(
        parse_packet(b"\x00\x06blksize\x00512\x00").unwrap().1,
        Packet::Oack
    );
    assert_eq!(parse_packet(b"\x00\x09").unwrap().1, Packet::Unknown(9));
    assert!(parse_packet(b"\x00\x01noterminator").is_err());
    assert!(parse_packet(b"\x00").is_err());
}

#[test]
fn probes() {
    assert_eq!(probe(ToServer, RRQ_PKT, true), Probe::Match);
    assert_eq!(probe(ToServer, WRQ_PKT, false), Probe::Match);
    assert_eq!(
        probe(ToServer, b"\x00\x01file\x00binary\x00", true),
        Probe::NoMatch
    );
    assert_eq!(
        probe(ToClient, b"\x00\x05\x00\x01File not found\x00", true),
        Probe::Match
    );
    assert_eq!(
        probe(ToClient, b"\x00\x05\x00\x01File not found\x00", false),
        Probe::NoMatch
    );
    assert_eq!(probe(ToClient, b"\x00\x03\x00\x01data", true), Probe::Match);
    assert_eq!(
        probe(ToClient, b"\x00\x03\x00\x01data", false),
        Probe::NoMatch
    );
    // SNMP, DNS, random.
    assert_eq!(
        probe(ToServer, &[0x30, 0x26, 2, 1, 1, 4, 6], true),
        Probe::NoMatch
    );
    assert_eq!(
        probe(ToServer, &[0x12, 0x34, 1, 0, 0, 1, 0, 0], true),
        Probe::NoMatch
    );
    let mut r = Rng(17);
    for _ in 0..1000 {
        let b = r.blob(48);
        assert_ne!(probe(ToServer, &b, false), Probe::Match);
    }
}

#[test]
fn requests_ops_facts_and_no_auth() {
    let mut h = harness();
    let mut d = Tftp;
    h.datagram(&mut d, ToServer, RRQ_PKT);
    h.datagram(&mut d, ToServer, WRQ_PKT);
    h.datagram(&mut d, ToClient, b"\x00\x05\x00\x02Access violation\x00");
    h.datagram(&mut d, ToClient, b"\x00\x09??");
    h.datagram(&mut d, ToClient, b"\x00");
    assert_eq!(
        h.ops(),
        vec![
            ("read", vec!["tftp_rrq"], 1),
            ("write", vec!["tftp_wrq"], 1)
        ]
    );
    assert_eq!(h.facts("tftp.file"), vec!["firmware.bin", "startup-config"]);
    assert_eq!(h.facts("tftp.mode"), vec!["netascii", "octet"]);
    assert_eq!(h.facts("tftp.error"), vec!["2: Access violation"]);
    assert_eq!(
        h.auths(),
        vec![("none", [2, 0, 0, 0], false, vec![], vec![])]
    );
    assert_eq!(h.anomalies(), vec!["tftp_bad_opcode", "tftp_short"]);
}

#[test]
fn fuzz_no_panic() {
    let mut r = Rng(0x5eed_0006);
    let mut h = harness();
    let mut d = Tftp;
    for i in 0..3000 {
        let data = if i % 3 == 0 {
            r.blob(80)
        } else {
            r.mutate(if i % 2 == 0 { RRQ_PKT } else { WRQ_PKT })
        };
        let _ = probe(ToServer, &data, i % 2 == 0);
        h.datagram(&mut d, ToServer, &data);
    }
    for (k, _) in h.store.facts.iter() {
        assert!(k.value.len() <= 4 + 2 * MAX_NAME + 16);
    }
}
