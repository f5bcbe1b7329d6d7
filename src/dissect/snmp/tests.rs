use super::ber::{self, BerError};
use super::parser::{self, Body, PduKind, Scoped, Value, VarBinds};
use super::testkit::{DatagramHarness, Rng, has, summary};
use super::*;
use crate::dissect::Probe;

// ---------------------------------------------------------------------------------------
// A small BER builder for the tests (checked against hand-written vectors below).

fn t(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else if n < 0x100 {
        v.extend([0x81, n as u8]);
    } else {
        v.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(content);
    v
}

fn int(n: i64) -> Vec<u8> {
    let b = n.to_be_bytes();
    let mut i = 0;
    while i < 7 && ((b[i] == 0 && b[i + 1] & 0x80 == 0) || (b[i] == 0xff && b[i + 1] & 0x80 != 0)) {
        i += 1;
    }
    t(0x02, &b[i..])
}

fn oid_bytes(s: &str) -> Vec<u8> {
    let arcs: Vec<u64> = s.split('.').map(|a| a.parse().unwrap()).collect();
    let mut v = Vec::new();
    let mut push = |mut n: u64| {
        let mut tmp = vec![(n & 0x7f) as u8];
        n >>= 7;
        while n > 0 {
            tmp.push(0x80 | (n & 0x7f) as u8);
            n >>= 7;
        }
        tmp.reverse();
        v.extend(tmp);
    };
    push(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push(a);
    }
    v
}

fn oid(s: &str) -> Vec<u8> {
    t(0x06, &oid_bytes(s))
}

fn ostr(s: &[u8]) -> Vec<u8> {
    t(0x04, s)
}

fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    t(0x30, &parts.concat())
}

fn varbinds(vbs: &[(&str, Vec<u8>)]) -> Vec<u8> {
    seq(&vbs
        .iter()
        .map(|(o, v)| seq(&[oid(o), v.clone()]))
        .collect::<Vec<_>>())
}

/// A PDU with request-id, error-status, error-index and bindings.
fn pdu(tag: u8, id: i64, es: i64, ei: i64, vbs: &[(&str, Vec<u8>)]) -> Vec<u8> {
    t(tag, &[int(id), int(es), int(ei), varbinds(vbs)].concat())
}

fn community_msg(version: i64, community: &[u8], pdu: Vec<u8>) -> Vec<u8> {
    seq(&[int(version), ostr(community), pdu])
}

const GET: u8 = 0xa0;
const GETNEXT: u8 = 0xa1;
const RESPONSE: u8 = 0xa2;
const SET: u8 = 0xa3;
const GETBULK: u8 = 0xa5;
const INFORM: u8 = 0xa6;
const TRAP2: u8 = 0xa7;
const REPORT: u8 = 0xa8;

/// v1 GetRequest for sysDescr.0, community "public", request-id 1.
const V1_GET_SYSDESCR: &[u8] = &[
    0x30, 0x26, //                                  Message SEQUENCE, 38 bytes
    0x02, 0x01, 0x00, //                            version 0 (v1)
    0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', // community "public"
    0xa0, 0x19, //                                  GetRequest-PDU, 25 bytes
    0x02, 0x01, 0x01, //                            request-id 1
    0x02, 0x01, 0x00, //                            error-status 0 (noError)
    0x02, 0x01, 0x00, //                            error-index 0
    0x30, 0x0e, //                                  VarBindList, 14 bytes
    0x30, 0x0c, //                                  VarBind, 12 bytes
    0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, // name 1.3.6.1.2.1.1.1.0
    0x05, 0x00, //                                  value NULL
];

/// v1 GetResponse for the request above: sysDescr.0 = "Linux box".
const V1_RESP_SYSDESCR: &[u8] = &[
    0x30, 0x2f, //                                  Message SEQUENCE, 47 bytes
    0x02, 0x01, 0x00, //                            version 0 (v1)
    0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', // community "public"
    0xa2, 0x22, //                                  GetResponse-PDU, 34 bytes
    0x02, 0x01, 0x01, //                            request-id 1
    0x02, 0x01, 0x00, //                            error-status 0
    0x02, 0x01, 0x00, //                            error-index 0
    0x30, 0x17, //                                  VarBindList, 23 bytes
    0x30, 0x15, //                                  VarBind, 21 bytes
    0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, // name 1.3.6.1.2.1.1.1.0
    0x04, 0x09, b'L', b'i', b'n', b'u', b'x', b' ', b'b', b'o', b'x', // OCTET STRING
];

/// v1 Trap-PDU (zeek's snmpv1_trap.pcap): enterprise 1.3.6.1.4.1.31337.0, coldStart.
const V1_TRAP: &[u8] = &[
    0x30, 0x3b, //                                  Message SEQUENCE, 59 bytes
    0x02, 0x01, 0x00, //                            version 0 (v1)
    0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', // community "public"
    0xa4, 0x2e, //                                  Trap-PDU, 46 bytes
    0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xf4, 0x69, 0x00, // enterprise OID
    0x40, 0x04, 0x7f, 0x00, 0x00, 0x01, //          agent-addr IpAddress 127.0.0.1
    0x02, 0x01, 0x00, //                            generic-trap 0 (coldStart)
    0x02, 0x01, 0x00, //                            specific-trap 0
    0x43, 0x04, 0x00, 0x00, 0x00, 0x00, //          time-stamp TimeTicks 0
    0x30, 0x0f, //                                  VarBindList, 15 bytes
    0x30, 0x0d, //                                  VarBind, 13 bytes
    0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x02, 0x01, 0x00, // ifNumber.0
    0x02, 0x01, 0x21, //                            INTEGER 33
];

fn v3_msg(msg_id: i64, flags: u8, engine: &[u8], user: &[u8], data: Vec<u8>) -> Vec<u8> {
    let global = seq(&[int(msg_id), int(65507), ostr(&[flags]), int(3)]);
    let usm = seq(&[
        ostr(engine),
        int(1),
        int(100),
        ostr(user),
        ostr(if flags & 1 != 0 { &[0u8; 12] } else { &[] }),
        ostr(if flags & 2 != 0 { &[1u8; 8] } else { &[] }),
    ]);
    seq(&[int(3), global, ostr(&usm), data])
}

fn scoped(engine: &[u8], pdu: Vec<u8>) -> Vec<u8> {
    seq(&[ostr(engine), ostr(b""), pdu])
}

const CISCO_ENGINE: &[u8] = &[
    0x80, 0x00, 0x00, 0x09, 0x03, 0x00, 0x00, 0x1b, 0x2b, 0x3c, 0x4d, 0x5e,
];

fn h161() -> DatagramHarness {
    DatagramHarness::new(new(), "snmp", 161)
}

// ---------------------------------------------------------------------------------------
// BER reader

#[test]
fn ber_header_forms() {
    // short form
    assert_eq!(ber::header(&[0x30, 0x05]).unwrap().1, (0, true, 16, 5));
    // long form, one and two length octets
    assert_eq!(
        ber::header(&[0x04, 0x81, 0xc8]).unwrap().1,
        (0, false, 4, 200)
    );
    assert_eq!(
        ber::header(&[0x04, 0x82, 0x01, 0x00]).unwrap().1,
        (0, false, 4, 256)
    );
    // indefinite length is refused
    assert_eq!(
        ber::err_of(ber::header(&[0x30, 0x80]).unwrap_err()),
        BerError::Indefinite
    );
    // 5 length octets / reserved 0xff
    assert_eq!(
        ber::err_of(ber::header(&[0x04, 0x85, 0, 0, 0, 0, 1]).unwrap_err()),
        BerError::BadLength
    );
    assert_eq!(
        ber::err_of(ber::header(&[0x04, 0xff]).unwrap_err()),
        BerError::BadLength
    );
    // high tag number: [APPLICATION 101] constructed = 7f 65 (MCS Connect-Initial)
    assert_eq!(
        ber::header(&[0x7f, 0x65, 0x00]).unwrap().1,
        (1, true, 101, 0)
    );
    // high tag longer than 4 octets
    assert_eq!(
        ber::err_of(ber::header(&[0x1f, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00]).unwrap_err()),
        BerError::BadTag
    );
    // truncated header
    assert_eq!(
        ber::err_of(ber::header(&[0x04]).unwrap_err()),
        BerError::Truncated
    );
    // value longer than the data
    assert_eq!(
        ber::err_of(ber::tlv(&[0x04, 0x05, 1, 2]).unwrap_err()),
        BerError::Short
    );
}

#[test]
fn ber_values() {
    assert_eq!(ber::int_value(&[0x01]), Some(1));
    assert_eq!(ber::int_value(&[0xff]), Some(-1));
    assert_eq!(ber::int_value(&[0x00, 0x80]), Some(128));
    assert_eq!(ber::int_value(&[0x80, 0, 0, 0, 0, 0, 0, 0]), Some(i64::MIN));
    assert_eq!(ber::int_value(&[]), None);
    assert_eq!(ber::int_value(&[1; 9]), None);
    // Counter64 max with a leading zero octet
    assert_eq!(
        ber::uint_value(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        Some(u64::MAX)
    );
    assert_eq!(ber::uint_value(&[1; 9]), None);
    assert_eq!(
        ber::oid_string(&oid_bytes("1.3.6.1.4.1.2001.1.1.1.297")).as_deref(),
        Some("1.3.6.1.4.1.2001.1.1.1.297")
    );
    assert_eq!(ber::oid_string(&[0x2b, 0x86]), None); // truncated sub-identifier
    assert_eq!(ber::oid_string(&[]), None);
    // an arc that does not fit u64
    assert_eq!(
        ber::oid_string(&[
            0x2b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
        ]),
        None
    );
    assert_eq!(ber::hex(&[0x80, 0x00, 0x1f], 64), "80001f");
}

/// `n` nested SEQUENCEs around a NULL, built back to front (linear time).
fn deep(n: usize) -> Vec<u8> {
    let mut rev: Vec<u8> = vec![0x00, 0x05];
    for _ in 0..n {
        let len = rev.len();
        let mut hdr = vec![0x30];
        if len < 0x80 {
            hdr.push(len as u8);
        } else if len < 0x1_0000 {
            hdr.extend([0x82, (len >> 8) as u8, len as u8]);
        } else {
            hdr.extend([0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]);
        }
        rev.extend(hdr.iter().rev());
    }
    rev.reverse();
    rev
}

#[test]
fn ber_nesting_is_depth_limited() {
    // 100 000 nested SEQUENCEs, each with a definite length: walking must stop at MAX_DEPTH
    // (and not exhaust the stack).
    let v = deep(100_000);
    assert_eq!(ber::check_nesting(&v, 0), Err(BerError::TooDeep));
    // A legitimate nesting passes.
    let ok = seq(&[seq(&[seq(&[null()])])]);
    assert_eq!(ber::check_nesting(&ok, 0), Ok(()));
    // The same nesting inside a varbind value: an anomaly, not a crash.
    let m = community_msg(
        1,
        b"public",
        pdu(RESPONSE, 1, 0, 0, &[("1.3.6.1.2.1.1.1.0", deep(1000))]),
    );
    let mut h = h161();
    h.datagram(Dir::ToClient, &m);
    assert!(has(&summary(&h.store), "anomaly snmp_varbind_malformed"));
}

#[test]
fn builder_matches_hand_written_vectors() {
    let get = community_msg(
        0,
        b"public",
        pdu(GET, 1, 0, 0, &[("1.3.6.1.2.1.1.1.0", null())]),
    );
    assert_eq!(get, V1_GET_SYSDESCR);
    let resp = community_msg(
        0,
        b"public",
        pdu(
            RESPONSE,
            1,
            0,
            0,
            &[("1.3.6.1.2.1.1.1.0", ostr(b"Linux box"))],
        ),
    );
    assert_eq!(resp, V1_RESP_SYSDESCR);
}

// ---------------------------------------------------------------------------------------
// Parser

#[test]
fn parse_v1_get_request() {
    let m = parser::parse_message(V1_GET_SYSDESCR).unwrap();
    assert_eq!(m.version, 0);
    assert_eq!(m.trailing, 0);
    let Body::Community { community, pdu } = m.body else {
        panic!("community body")
    };
    assert_eq!(community, b"public");
    assert_eq!(pdu.kind, PduKind::Get);
    assert_eq!(
        (pdu.request_id, pdu.error_status, pdu.error_index),
        (1, 0, 0)
    );
    let vbs: Vec<_> = VarBinds::new(pdu.varbinds)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(vbs.len(), 1);
    assert_eq!(vbs[0].name, codes::SYS_DESCR);
    assert_eq!(vbs[0].value, Value::Null);
}

#[test]
fn parse_every_pdu_type() {
    for (tag, kind) in [
        (GET, PduKind::Get),
        (GETNEXT, PduKind::GetNext),
        (RESPONSE, PduKind::Response),
        (SET, PduKind::Set),
        (GETBULK, PduKind::GetBulk),
        (INFORM, PduKind::Inform),
        (TRAP2, PduKind::TrapV2),
        (REPORT, PduKind::Report),
    ] {
        let m = community_msg(
            1,
            b"c",
            pdu(tag, 77, 2, 3, &[("1.3.6.1.2.1.1.3.0", null())]),
        );
        let m = parser::parse_message(&m).unwrap();
        let p = m.pdu().unwrap();
        assert_eq!(p.kind, kind);
        assert_eq!((p.request_id, p.error_status, p.error_index), (77, 2, 3));
    }
    // v1 trap
    let m = parser::parse_message(V1_TRAP).unwrap();
    let p = m.pdu().unwrap();
    assert_eq!(p.kind, PduKind::TrapV1);
    let tr = p.trap.unwrap();
    assert_eq!(
        ber::oid_string(tr.enterprise).unwrap(),
        "1.3.6.1.4.1.31337.0"
    );
    assert_eq!(tr.agent_addr, &[127, 0, 0, 1]);
    assert_eq!((tr.generic, tr.specific, tr.timestamp), (0, 0, 0));
    // unknown PDU tag [9]: kept raw
    let m = community_msg(1, b"c", t(0xa9, &[]));
    let m = parser::parse_message(&m).unwrap();
    assert_eq!(m.pdu().unwrap().kind, PduKind::Unknown);
    assert_eq!(m.pdu().unwrap().tag, 9);
}

#[test]
fn parse_every_value_type() {
    let vbs = [
        ("1.3.6.1.2.1.1.7.0", int(-5)),
        ("1.3.6.1.2.1.1.1.0", ostr(b"x")),
        ("1.3.6.1.2.1.1.3.0", null()),
        ("1.3.6.1.2.1.1.2.0", oid("1.3.6.1.4.1.9.1.1")),
        ("1.3.6.1.2.1.4.20.1.1.0", t(0x40, &[10, 0, 0, 1])), // IpAddress
        (
            "1.3.6.1.2.1.2.2.1.10.1",
            t(0x41, &[0x00, 0xff, 0xff, 0xff, 0xff]),
        ), // Counter32
        ("1.3.6.1.2.1.2.2.1.5.1", t(0x42, &[0x3b, 0x9a, 0xca, 0x00])), // Gauge32
        ("1.3.6.1.2.1.1.3.0", t(0x43, &[0x01, 0x00])),       // TimeTicks
        (
            "1.3.6.1.4.1.1.1",
            t(0x44, &[0x9f, 0x78, 0x04, 0x42, 0xf6, 0x00, 0x00]),
        ), // Opaque
        (
            "1.3.6.1.2.1.31.1.1.1.6.1",
            t(0x46, &[0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
        ), // Counter64 9 octets?
        ("1.3.6.1.2.1.1.9.0", vec![0x80, 0x00]),             // noSuchObject
        ("1.3.6.1.2.1.1.9.1", vec![0x81, 0x00]),             // noSuchInstance
        ("1.3.6.1.2.1.1.9.2", vec![0x82, 0x00]),             // endOfMibView
        ("1.3.6.1.2.1.1.9.3", t(0xc5, &[1])),                // private: Other
    ];
    let m = community_msg(1, b"c", pdu(RESPONSE, 1, 0, 0, &vbs));
    let m = parser::parse_message(&m).unwrap();
    let vals: Vec<Value<'_>> = VarBinds::new(m.pdu().unwrap().varbinds)
        .map(|r| r.map(|v| v.value))
        .collect::<Vec<_>>()
        .into_iter()
        .take(9)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(vals[0], Value::Integer(-5));
    assert_eq!(vals[1], Value::OctetString(b"x"));
    assert_eq!(vals[2], Value::Null);
    assert!(matches!(vals[3], Value::Oid(_)));
    assert_eq!(vals[4], Value::IpAddress(&[10, 0, 0, 1]));
    assert_eq!(vals[5], Value::Counter32(0xffff_ffff));
    assert_eq!(vals[6], Value::Gauge32(1_000_000_000));
    assert_eq!(vals[7], Value::TimeTicks(256));
    assert!(matches!(vals[8], Value::Opaque(_)));
    // A 9-octet Counter64 whose first octet is not zero is invalid.
    let all: Vec<_> = VarBinds::new(m.pdu().unwrap().varbinds).collect();
    assert_eq!(all.len(), 10, "iteration stops after the invalid Counter64");
    assert_eq!(all[9], Err(BerError::BadValue));
    // The remaining types.
    let vbs = [
        ("1.3.6.1.2.1.31.1.1.1.6.1", t(0x46, &[0x01, 0x00])),
        ("1.3.6.1.2.1.1.9.0", vec![0x80, 0x00]),
        ("1.3.6.1.2.1.1.9.1", vec![0x81, 0x00]),
        ("1.3.6.1.2.1.1.9.2", vec![0x82, 0x00]),
        ("1.3.6.1.2.1.1.9.3", t(0xc5, &[1])),
    ];
    let m = community_msg(1, b"c", pdu(RESPONSE, 1, 0, 0, &vbs));
    let m = parser::parse_message(&m).unwrap();
    let vals: Vec<Value<'_>> = VarBinds::new(m.pdu().unwrap().varbinds)
        .map(|r| r.map(|v| v.value))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(vals[0], Value::Counter64(256));
    assert_eq!(vals[1], Value::NoSuchObject);
    assert_eq!(vals[2], Value::NoSuchInstance);
    assert_eq!(vals[3], Value::EndOfMibView);
    assert_eq!(
        vals[4],
        Value::Other {
            class: 3,
            tag: 5,
            raw: &[1]
        }
    );
}

#[test]
fn parse_v3_plain_and_encrypted() {
    let get = pdu(GET, 5, 0, 0, &[("1.3.6.1.2.1.1.5.0", null())]);
    let m = v3_msg(42, 0x05, CISCO_ENGINE, b"admin", scoped(CISCO_ENGINE, get));
    let m = parser::parse_message(&m).unwrap();
    let Body::V3(v) = m.body else { panic!("v3") };
    assert_eq!((v.msg_id, v.flags, v.security_model), (42, 0x05, 3));
    let usm = v.usm.unwrap();
    assert_eq!(usm.user, b"admin");
    assert_eq!(usm.engine_id, CISCO_ENGINE);
    assert_eq!(usm.auth_params.len(), 12);
    let Scoped::Plain { pdu, .. } = v.scoped else {
        panic!("plain")
    };
    assert_eq!(pdu.kind, PduKind::Get);
    let enc = v3_msg(43, 0x07, CISCO_ENGINE, b"admin", ostr(&[0xde; 40]));
    let m = parser::parse_message(&enc).unwrap();
    assert!(m.pdu().is_none());
    assert!(matches!(
        m.body,
        Body::V3(parser::V3 {
            scoped: Scoped::Encrypted(_),
            ..
        })
    ));
}

// ---------------------------------------------------------------------------------------
// Probe

#[test]
fn probe_positive_and_negative() {
    assert_eq!(probe(Dir::ToServer, V1_GET_SYSDESCR, true), Probe::Match);
    assert_eq!(probe(Dir::ToServer, V1_GET_SYSDESCR, false), Probe::Match);
    assert_eq!(probe(Dir::ToClient, V1_TRAP, false), Probe::Match);
    let v3 = v3_msg(1, 4, b"", b"", scoped(b"", pdu(GET, 1, 0, 0, &[])));
    assert_eq!(probe(Dir::ToServer, &v3, false), Probe::Match);
    // trailing bytes: fine on the port, not elsewhere
    let mut trailing = V1_GET_SYSDESCR.to_vec();
    trailing.push(0);
    assert_eq!(probe(Dir::ToServer, &trailing, true), Probe::Match);
    assert_eq!(probe(Dir::ToServer, &trailing, false), Probe::NoMatch);
    // cut short by a snap length: still SNMP on its port (the parse counts an anomaly)
    assert_eq!(
        probe(Dir::ToServer, &V1_GET_SYSDESCR[..30], true),
        Probe::Match
    );
    assert_eq!(
        probe(Dir::ToServer, &V1_GET_SYSDESCR[..30], false),
        Probe::NoMatch
    );
    // negatives
    let mut rng = Rng(7);
    for _ in 0..200 {
        let n = 1 + rng.below(100);
        let b = rng.bytes(n);
        assert_ne!(probe(Dir::ToServer, &b, false), Probe::Match);
    }
    assert_eq!(
        probe(Dir::ToServer, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true),
        Probe::NoMatch
    );
    // Modbus/TCP read holding registers
    let mbap = [
        0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x0a,
    ];
    assert_eq!(probe(Dir::ToServer, &mbap, true), Probe::NoMatch);
    // DNS query
    let dns = [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 3, b'w', b'w', b'w', 0, 0, 1, 0, 1,
    ];
    assert_eq!(probe(Dir::ToServer, &dns, false), Probe::NoMatch);
    // A BER SEQUENCE that is not SNMP (LDAP bind request: message id, then [APPLICATION 0]).
    let ldap = seq(&[
        int(1),
        t(0x60, &[int(3), ostr(b""), vec![0x80, 0x00]].concat()),
    ]);
    assert_eq!(probe(Dir::ToServer, &ldap, true), Probe::NoMatch);
    assert_eq!(probe(Dir::ToServer, &ldap, false), Probe::NoMatch);
    // version 2 (unknown) is not claimed
    let v2 = community_msg(2, b"public", pdu(GET, 1, 0, 0, &[]));
    assert_eq!(probe(Dir::ToServer, &v2, true), Probe::NoMatch);
    assert_eq!(probe(Dir::ToServer, &[], true), Probe::NoMatch);
}

// ---------------------------------------------------------------------------------------
// Dissector

#[test]
fn community_success_and_system_group_claims() {
    let mut h = h161();
    h.datagram(Dir::ToServer, V1_GET_SYSDESCR);
    h.datagram(Dir::ToClient, V1_RESP_SYSDESCR);
    let req = community_msg(
        1,
        b"s3cret",
        pdu(
            GET,
            9,
            0,
            0,
            &[("1.3.6.1.2.1.1.2.0", null()), ("1.3.6.1.2.1.1.5.0", null())],
        ),
    );
    let resp = community_msg(
        1,
        b"s3cret",
        pdu(
            RESPONSE,
            9,
            0,
            0,
            &[
                ("1.3.6.1.2.1.1.2.0", oid("1.3.6.1.4.1.9.1.1208")),
                ("1.3.6.1.2.1.1.5.0", ostr(b"sw-core-1 ")),
                ("1.3.6.1.2.1.1.6.0", ostr(b"Hall 3")),
                ("1.3.6.1.2.1.1.4.0", ostr(b"ops@example.com")),
                ("1.3.6.1.2.1.1.7.0", int(6)),
                ("1.3.6.1.2.1.2.2.1.2.1", ostr(b"not a system oid")),
            ],
        ),
    );
    h.datagram(Dir::ToServer, &req);
    h.datagram(Dir::ToClient, &resp);
    h.close();
    let s = summary(&h.store);
    let want = [
        "claim server hostname=sw-core-1 src=snmp.get_response conf=80",
        "claim server snmp.sysContact=ops@example.com src=snmp.get_response conf=80",
        "claim server snmp.sysDescr=Linux box src=snmp.get_response conf=80",
        "claim server snmp.sysLocation=Hall 3 src=snmp.get_response conf=80",
        "claim server snmp.sysName=sw-core-1 src=snmp.get_response conf=80",
        "claim server snmp.sysObjectID=1.3.6.1.4.1.9.1.1208 src=snmp.get_response conf=80",
        "claim server vendor=Cisco src=snmp.sysObjectID conf=70",
        "fact server snmp.community_access=ro x2",
        "fact server snmp.sysDescr=Linux box x1",
        "fact server snmp.sysServices=6 x1",
        "fact server snmp.sysServices_layers=2,3 x1",
        "fact server snmp.version=v1 x1",
        "fact server snmp.version=v2c x1",
        r#"auth snmp-community att=0 ok=2 fail=0 offered=0 clear=true users={} secrets={"public", "s3cret"}"#,
        r#"op Read {"get_request"} x2"#,
    ];
    assert_eq!(s, want, "{s:#?}");
}

#[test]
fn unanswered_community_is_an_attempt() {
    let mut h = h161();
    for id in 1..=3 {
        let req = community_msg(
            1,
            b"guess",
            pdu(GETNEXT, id, 0, 0, &[("1.3.6.1.2.1.1", null())]),
        );
        h.datagram(Dir::ToServer, &req);
    }
    h.close();
    let s = summary(&h.store);
    assert!(s.contains(&r#"auth snmp-community att=1 ok=0 fail=0 offered=0 clear=true users={} secrets={"guess"}"#.to_string()), "{s:#?}");
    assert!(
        s.contains(&"fact server snmp.community_unanswered=3 x1".to_string()),
        "{s:#?}"
    );
    assert!(s.contains(&r#"op Read {"get_next_request"} x3"#.to_string()));
}

#[test]
fn set_access_rw_and_refused_set_ro() {
    let mut h = h161();
    let set = community_msg(
        1,
        b"private",
        pdu(SET, 1, 0, 0, &[("1.3.6.1.2.1.1.6.0", ostr(b"x"))]),
    );
    let ok = community_msg(
        1,
        b"private",
        pdu(RESPONSE, 1, 0, 0, &[("1.3.6.1.2.1.1.6.0", ostr(b"x"))]),
    );
    h.datagram(Dir::ToServer, &set);
    h.datagram(Dir::ToClient, &ok);
    h.close();
    let s = summary(&h.store);
    assert!(has(&s, "fact server snmp.community_access=rw"), "{s:#?}");
    assert!(!has(&s, "fact server snmp.community_access=ro"), "{s:#?}");
    assert!(has(&s, r#"op Write {"set_request"}"#));
    // The set's bindings are not identity: no sysLocation claim from a SetRequest, and the
    // response's echo of it is claimed (it is what the agent now holds).
    let mut h = h161();
    let refused = community_msg(
        1,
        b"public",
        pdu(RESPONSE, 2, 17, 1, &[("1.3.6.1.2.1.1.6.0", ostr(b"x"))]),
    );
    let set2 = community_msg(
        1,
        b"public",
        pdu(SET, 2, 0, 0, &[("1.3.6.1.2.1.1.6.0", ostr(b"x"))]),
    );
    h.datagram(Dir::ToServer, &set2);
    h.datagram(Dir::ToClient, &refused);
    h.close();
    let s = summary(&h.store);
    assert!(has(&s, "fact server snmp.community_access=ro"), "{s:#?}");
    assert!(has(&s, "auth snmp-community att=0 ok=1"), "{s:#?}");
}

#[test]
fn v1_trap_agent_is_the_sender() {
    // udp/162: the flow's client is the agent, the server the manager.
    let mut h = DatagramHarness::new(new(), "snmp", 162);
    h.datagram(Dir::ToServer, V1_TRAP);
    h.close();
    let s = summary(&h.store);
    let want = [
        "fact client snmp.trap_enterprise=1.3.6.1.4.1.31337.0 x1",
        "fact client snmp.trap_generic=coldStart x1",
        "fact client snmp.version=v1 x1",
        r#"auth snmp-community att=1 ok=0 fail=0 offered=0 clear=true users={} secrets={"public"}"#,
        r#"op Other {"trap"} x1"#,
    ];
    assert_eq!(s, want, "{s:#?}");
}

#[test]
fn v2_trap_and_inform() {
    let mut h = DatagramHarness::new(new(), "snmp", 162);
    let trap = community_msg(
        1,
        b"traps",
        pdu(
            TRAP2,
            1,
            0,
            0,
            &[
                ("1.3.6.1.2.1.1.3.0", t(0x43, &[1])),
                ("1.3.6.1.6.3.1.1.4.1.0", oid("1.3.6.1.6.3.1.1.5.1")),
                ("1.3.6.1.2.1.1.5.0", ostr(b"rtu-7")),
            ],
        ),
    );
    h.datagram(Dir::ToServer, &trap);
    let inform = community_msg(1, b"inf", pdu(INFORM, 2, 0, 0, &[]));
    let ack = community_msg(1, b"inf", pdu(RESPONSE, 2, 0, 0, &[]));
    h.datagram(Dir::ToServer, &inform);
    h.datagram(Dir::ToClient, &ack);
    h.close();
    let s = summary(&h.store);
    assert!(s.contains(&r#"auth snmp-community att=1 ok=1 fail=0 offered=0 clear=true users={} secrets={"inf", "traps"}"#.to_string()), "{s:#?}");
    assert!(s.contains(&r#"op Other {"trap"} x2"#.to_string()), "{s:#?}");
    assert!(has(&s, "fact client snmp.version=v2c"), "{s:#?}");
    // The trap's sysName.0 names its sender (the agent, here the flow's client).
    assert!(
        s.contains(&"claim client hostname=rtu-7 src=snmp.notification conf=80".to_string()),
        "{s:#?}"
    );
}

#[test]
fn get_bulk_is_a_read() {
    let mut h = h161();
    let bulk = community_msg(
        1,
        b"public",
        pdu(GETBULK, 3, 0, 10, &[("1.3.6.1.2.1.2.2", null())]),
    );
    h.datagram(Dir::ToServer, &bulk);
    let m = parser::parse_message(&bulk).unwrap();
    assert_eq!(m.pdu().unwrap().error_index, 10); // max-repetitions
    h.close();
    assert!(has(
        &summary(&h.store),
        r#"op Read {"get_bulk_request"} x1"#
    ));
}

#[test]
fn v3_usm_flow() {
    let mut h = h161();
    // Discovery: empty user and engine ID, noAuthNoPriv, reportable.
    let disc = v3_msg(100, 0x04, b"", b"", scoped(b"", pdu(GET, 100, 0, 0, &[])));
    let rep = v3_msg(
        100,
        0x00,
        CISCO_ENGINE,
        b"",
        scoped(
            CISCO_ENGINE,
            pdu(
                REPORT,
                100,
                0,
                0,
                &[
                    ("1.3.6.1.6.3.15.1.1.4.0", t(0x41, &[1])), // usmStatsUnknownEngineIDs
                ],
            ),
        ),
    );
    h.datagram(Dir::ToServer, &disc);
    h.datagram(Dir::ToClient, &rep);
    // authNoPriv request from "admin", answered.
    let get = v3_msg(
        101,
        0x05,
        CISCO_ENGINE,
        b"admin",
        scoped(
            CISCO_ENGINE,
            pdu(GET, 7, 0, 0, &[("1.3.6.1.2.1.1.1.0", null())]),
        ),
    );
    let resp = v3_msg(
        101,
        0x01,
        CISCO_ENGINE,
        b"admin",
        scoped(
            CISCO_ENGINE,
            pdu(
                RESPONSE,
                7,
                0,
                0,
                &[("1.3.6.1.2.1.1.1.0", ostr(b"Cisco IOS"))],
            ),
        ),
    );
    h.datagram(Dir::ToServer, &get);
    h.datagram(Dir::ToClient, &resp);
    // "mallory" refused (usmStatsUnknownUserNames).
    let bad = v3_msg(
        102,
        0x05,
        CISCO_ENGINE,
        b"mallory",
        scoped(CISCO_ENGINE, pdu(GET, 8, 0, 0, &[])),
    );
    let refused = v3_msg(
        102,
        0x00,
        CISCO_ENGINE,
        b"mallory",
        scoped(
            CISCO_ENGINE,
            pdu(
                REPORT,
                8,
                0,
                0,
                &[("1.3.6.1.6.3.15.1.1.3.0", t(0x41, &[1]))],
            ),
        ),
    );
    h.datagram(Dir::ToServer, &bad);
    h.datagram(Dir::ToClient, &refused);
    // authPriv: encrypted request and response.
    let enc_req = v3_msg(103, 0x07, CISCO_ENGINE, b"ops", ostr(&[0xaa; 48]));
    let enc_resp = v3_msg(103, 0x03, CISCO_ENGINE, b"ops", ostr(&[0xbb; 48]));
    h.datagram(Dir::ToServer, &enc_req);
    h.datagram(Dir::ToClient, &enc_resp);
    // noAuthNoPriv with a user, unanswered.
    let noauth = v3_msg(
        104,
        0x04,
        CISCO_ENGINE,
        b"public",
        scoped(CISCO_ENGINE, pdu(GETNEXT, 9, 0, 0, &[])),
    );
    h.datagram(Dir::ToServer, &noauth);
    h.close();
    let s = summary(&h.store);
    let want = [
        "claim server snmp.sysDescr=Cisco IOS src=snmp.get_response conf=80",
        "claim server vendor=Cisco src=snmp.engine_id conf=40",
        "fact server snmp.engine_enterprise=9 x1",
        "fact server snmp.engine_id=800000090300001b2b3c4d5e x1",
        "fact server snmp.sysDescr=Cisco IOS x1",
        "fact server snmp.usm_report=usmStatsUnknownUserNames x1",
        "fact server snmp.v3_flags=authNoPriv x1",
        "fact server snmp.v3_flags=authPriv x1",
        "fact server snmp.v3_flags=noAuthNoPriv x1",
        "fact server snmp.version=v3 x1",
        r#"auth snmpv3-noauth att=1 ok=0 fail=0 offered=0 clear=false users={"public"} secrets={}"#,
        r#"auth snmpv3-usm att=0 ok=2 fail=1 offered=0 clear=false users={"admin", "mallory", "ops"} secrets={}"#,
        r#"op Read {"get_next_request", "get_request"} x4"#,
        r#"op Other {"encrypted_request"} x1"#,
    ];
    assert_eq!(s, want, "{s:#?}");
}

#[test]
fn malformed_datagrams_are_anomalies() {
    let mut h = h161();
    // indefinite length
    h.datagram(Dir::ToServer, &[0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00]);
    // truncated in the middle
    h.datagram(Dir::ToServer, &V1_GET_SYSDESCR[..20]);
    // unknown PDU type
    h.datagram(Dir::ToServer, &community_msg(1, b"c", t(0xa9, &[])));
    // trailing bytes
    let mut tr = V1_GET_SYSDESCR.to_vec();
    tr.extend([0, 0]);
    h.datagram(Dir::ToServer, &tr);
    // bad msgFlags (priv without auth)
    h.datagram(Dir::ToServer, &v3_msg(1, 0x06, b"", b"u", ostr(&[1; 8])));
    h.close();
    let s = summary(&h.store);
    for a in [
        "anomaly ber_indefinite_length x1",
        "anomaly ber_length_exceeds_data x1",
        "anomaly snmp_unknown_pdu x1",
        "anomaly snmp_trailing_bytes x1",
        "anomaly snmpv3_bad_flags x1",
    ] {
        assert!(s.contains(&a.to_string()), "{a} in {s:#?}");
    }
}

#[test]
fn tables_are_bounded() {
    let mut h = h161();
    h.limits.max_open_transactions = 64;
    for id in 0..10_000i64 {
        let c = format!("c{}", id % 100);
        let req = community_msg(1, c.as_bytes(), pdu(GET, id, 0, 0, &[]));
        h.datagram(Dir::ToServer, &req);
    }
    // Inspect the dissector's state through a fresh one fed the same way.
    let mut d = Snmp::default();
    let mut store = crate::inventory::observation::Store::new(1000, 8);
    let lim = crate::config::Limits {
        max_open_transactions: 64,
        ..Default::default()
    };
    let mut exp = Vec::new();
    let mut cx = crate::dissect::Cx::new(
        (super::testkit::CLIENT, 5000),
        (super::testkit::SERVER, 161),
        crate::inventory::observation::Transport::Udp,
        "snmp",
        crate::evidence::Ev::default(),
        &lim,
        &mut store,
        &mut exp,
    );
    for id in 0..10_000i64 {
        let c = format!("c{}", id % 100);
        let req = community_msg(1, c.as_bytes(), pdu(GET, id, 0, 0, &[]));
        d.datagram(Dir::ToServer, &req, &mut cx);
        assert!(d.st.pending.len() <= 64);
        assert!(d.st.creds.len() <= state::MAX_CREDS);
    }
    assert_eq!(d.st.pending_evicted, 10_000 - 64);
    d.close(&mut cx);
    h.close();
    let s = summary(&h.store);
    // One Attempt per tracked community (16 kept), not per request.
    assert!(has(&s, "auth snmp-community att=16"), "{s:#?}");
}

#[test]
fn fuzz_probe_and_datagram() {
    let seeds: Vec<Vec<u8>> = vec![
        V1_GET_SYSDESCR.to_vec(),
        V1_RESP_SYSDESCR.to_vec(),
        V1_TRAP.to_vec(),
        v3_msg(
            1,
            5,
            CISCO_ENGINE,
            b"admin",
            scoped(
                CISCO_ENGINE,
                pdu(GET, 1, 0, 0, &[("1.3.6.1.2.1.1.1.0", null())]),
            ),
        ),
        v3_msg(1, 7, CISCO_ENGINE, b"admin", ostr(&[1; 16])),
        community_msg(
            1,
            b"public",
            pdu(GETBULK, 1, 0, 5, &[("1.3.6.1.2.1.2", null())]),
        ),
    ];
    let mut rng = Rng(0x5eed_0001);
    let mut d = Snmp::default();
    let mut store = crate::inventory::observation::Store::new(10_000, 8);
    let lim = crate::config::Limits {
        max_open_transactions: 32,
        ..Default::default()
    };
    let mut exp = Vec::new();
    let mut cx = crate::dissect::Cx::new(
        (super::testkit::CLIENT, 5000),
        (super::testkit::SERVER, 161),
        crate::inventory::observation::Transport::Udp,
        "snmp",
        crate::evidence::Ev::default(),
        &lim,
        &mut store,
        &mut exp,
    );
    for i in 0..5000 {
        let input = if i % 5 == 0 {
            let n = rng.below(300);
            rng.bytes(n)
        } else {
            let s = &seeds[rng.below(seeds.len())];
            rng.mutate(s)
        };
        let dir = if rng.below(2) == 0 {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        let _ = probe(dir, &input, rng.below(2) == 0);
        let _ = parser::parse_message(&input);
        d.datagram(dir, &input, &mut cx);
        assert!(d.st.pending.len() <= 32);
        assert!(d.st.creds.len() <= state::MAX_CREDS);
    }
    d.close(&mut cx);
}
