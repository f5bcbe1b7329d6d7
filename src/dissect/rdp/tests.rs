use super::*;
use crate::dissect::snmp::testkit::{Rng, StreamHarness, has, run_chunked, summary};
use crate::dissect::{Dir, Probe};

const S: Dir = Dir::ToClient;
const C: Dir = Dir::ToServer;

/// X.224 Connection Request from zeek's rdp-to-ssl.pcap.
const CR_NLA: &[u8] = &[
    0x03, 0x00, 0x00, 0x2f, //                   TPKT v3, length 47
    0x2a, 0xe0, //                               X.224 LI 42, CR
    0x00, 0x00, 0x00, 0x00, 0x00, //             dst-ref, src-ref, class 0
    b'C', b'o', b'o', b'k', b'i', b'e', b':', b' ', b'm', b's', b't', b's', b'h', b'a', b's', b'h',
    b'=', b'A', b'W', b'A', b'K', b'E', b'C', b'O', b'D', b'I', b'\r', b'\n', // cookie
    0x01, 0x00, 0x08, 0x00, //                   rdpNegReq: type 1, flags 0, length 8
    0x03, 0x00, 0x00, 0x00, //                   requestedProtocols SSL | HYBRID
];

/// X.224 Connection Confirm from the same capture: CredSSP (hybrid) selected.
const CC_HYBRID: &[u8] = &[
    0x03, 0x00, 0x00, 0x13, //                   TPKT v3, length 19
    0x0e, 0xd0, //                               X.224 LI 14, CC
    0x00, 0x00, 0x12, 0x34, 0x00, //             dst-ref, src-ref 0x1234, class 0
    0x02, 0x01, 0x08, 0x00, //                   rdpNegRsp: type 2, flags 1, length 8
    0x02, 0x00, 0x00, 0x00, //                   selectedProtocol HYBRID
];

/// TPKT + X.224 around a TPDU body (LI computed).
fn tpkt_x224(header: &[u8], data: &[u8]) -> Vec<u8> {
    let len = 4 + 1 + header.len() + data.len();
    let mut v = vec![0x03, 0x00, (len >> 8) as u8, len as u8, header.len() as u8];
    v.extend_from_slice(header);
    v.extend_from_slice(data);
    v
}

fn cr(var: &[u8]) -> Vec<u8> {
    tpkt_x224(&[&[0xe0, 0, 0, 0, 0, 0][..], var].concat(), &[])
}

fn cc(var: &[u8]) -> Vec<u8> {
    tpkt_x224(&[&[0xd0, 0, 0, 0x12, 0x34, 0][..], var].concat(), &[])
}

fn dt(data: &[u8]) -> Vec<u8> {
    tpkt_x224(&[0xf0, 0x80], data)
}

fn neg(t: u8, flags: u8, v: u32) -> Vec<u8> {
    let mut n = vec![t, flags, 0x08, 0x00];
    n.extend(v.to_le_bytes());
    n
}

fn ber(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let mut v = tag.to_vec();
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        v.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(content);
    v
}

fn domain_params() -> Vec<u8> {
    // maxChannelIds 34, maxUserIds 2, maxTokenIds 0, numPriorities 1, minThroughput 0,
    // maxHeight 1, maxMCSPDUsize 65535, protocolVersion 2
    let ints: &[&[u8]] = &[
        &[0x22],
        &[0x02],
        &[0x00],
        &[0x01],
        &[0x00],
        &[0x01],
        &[0x00, 0xff, 0xff],
        &[0x02],
    ];
    ber(
        &[0x30],
        &ints
            .iter()
            .flat_map(|i| ber(&[0x02], i))
            .collect::<Vec<_>>(),
    )
}

fn per_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else {
        vec![0x80 | (n >> 8) as u8, n as u8]
    }
}

fn block(t: u16, body: &[u8]) -> Vec<u8> {
    let mut v = t.to_le_bytes().to_vec();
    v.extend(((body.len() + 4) as u16).to_le_bytes());
    v.extend_from_slice(body);
    v
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// TS_UD_CS_CORE up to imeFileName.
fn client_core(name: &str) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(0x0008_0004u32.to_le_bytes()); // version RDP 5.0-8.1
    b.extend(1280u16.to_le_bytes()); //        desktopWidth
    b.extend(1024u16.to_le_bytes()); //        desktopHeight
    b.extend(0xca01u16.to_le_bytes()); //      colorDepth 8 bpp
    b.extend(0xaa03u16.to_le_bytes()); //      SASSequence
    b.extend(0x0407u32.to_le_bytes()); //      keyboardLayout de-DE
    b.extend(2600u32.to_le_bytes()); //        clientBuild
    let mut n = utf16(name);
    n.resize(32, 0);
    b.extend(n); //                            clientName (32 bytes UTF-16LE)
    b.extend(4u32.to_le_bytes()); //           keyboardType
    b.extend(0u32.to_le_bytes()); //           keyboardSubType
    b.extend(12u32.to_le_bytes()); //          keyboardFunctionKey
    b.extend([0u8; 64]); //                    imeFileName
    block(parser::CS_CORE, &b)
}

/// MCS Connect-Initial with a GCC Conference Create Request carrying client core data.
fn connect_initial(name: &str) -> Vec<u8> {
    let blocks = [
        client_core(name),
        block(parser::CS_SECURITY, &[0x1b, 0, 0, 0, 0, 0, 0, 0]),
    ]
    .concat();
    let mut gcc = vec![0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01]; // T.124 object identifier
    let ccr = [
        &[0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x00][..],
        b"Duca",
        &per_len(blocks.len()),
        &blocks,
    ]
    .concat();
    gcc.extend(per_len(ccr.len()));
    gcc.extend(ccr);
    let body = [
        ber(&[0x04], &[0x01]), //        callingDomainSelector
        ber(&[0x04], &[0x01]), //        calledDomainSelector
        ber(&[0x01], &[0xff]), //        upwardFlag TRUE
        domain_params(),
        domain_params(),
        domain_params(),
        ber(&[0x04], &gcc), //           userData
    ]
    .concat();
    dt(&ber(&[0x7f, 0x65], &body))
}

/// MCS Connect-Response with server core and security data.
fn connect_response(method: u32, level: u32) -> Vec<u8> {
    let mut core = 0x0008_0004u32.to_le_bytes().to_vec();
    core.extend(0u32.to_le_bytes());
    let mut sec = method.to_le_bytes().to_vec();
    sec.extend(level.to_le_bytes());
    let blocks = [
        block(parser::SC_CORE, &core),
        block(parser::SC_SECURITY, &sec),
    ]
    .concat();
    let gcc = [
        &[
            0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01, 0x2a, 0x14, 0x76, 0x0a, 0x01, 0x01, 0x00,
            0x01, 0xc0, 0x00,
        ][..],
        b"McDn",
        &per_len(blocks.len()),
        &blocks,
    ]
    .concat();
    let body = [
        ber(&[0x0a], &[0x00]), //         result rt-successful
        ber(&[0x02], &[0x00]), //         calledConnectId
        domain_params(),
        ber(&[0x04], &gcc),
    ]
    .concat();
    dt(&ber(&[0x7f, 0x66], &body))
}

/// MCS Send Data Request on channel 1003 carrying `payload`.
fn send_data(payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x64, 0x00, 0x06, 0x03, 0xeb, 0x70]; // SDrq, initiator, channel, flags
    v.extend(per_len(payload.len()));
    v.extend_from_slice(payload);
    dt(&v)
}

/// Client Info PDU without encryption: PLANT\operator / hunter2.
fn client_info_cleartext() -> Vec<u8> {
    let mut p = vec![0x40, 0x00, 0x00, 0x00]; // security header: SEC_INFO_PKT
    p.extend(0u32.to_le_bytes()); //              CodePage
    p.extend(0x1bu32.to_le_bytes()); //           flags: MOUSE|DISABLECTRLALTDEL|AUTOLOGON|UNICODE
    let (d, u, pw) = (utf16("PLANT"), utf16("operator"), utf16("hunter2"));
    for n in [d.len(), u.len(), pw.len(), 0, 0] {
        p.extend((n as u16).to_le_bytes()); //    cbDomain, cbUserName, cbPassword, cbShell, cbDir
    }
    for s in [d, u, pw, vec![], vec![]] {
        p.extend(s);
        p.extend([0, 0]); //                      NUL terminators
    }
    send_data(&p)
}

fn client_info_encrypted() -> Vec<u8> {
    let mut p = vec![0x48, 0x00, 0x00, 0x00]; // SEC_INFO_PKT | SEC_ENCRYPT
    p.extend([0x99; 8]); //                      dataSignature
    p.extend([0xab; 300]); //                    encrypted TS_INFO_PACKET
    send_data(&p)
}

fn standard_session(info: Vec<u8>, method: u32, level: u32) -> Vec<(Dir, Vec<u8>)> {
    let mut crv = b"Cookie: mstshash=op\r\n".to_vec();
    crv.extend(neg(1, 0, 0));
    vec![
        (C, cr(&crv)),
        (S, cc(&neg(2, 0, 0))),
        (C, connect_initial("ENG-WS-07")),
        (S, connect_response(method, level)),
        (C, dt(&[0x04, 0x01, 0x00, 0x01, 0x00])), // erectDomainRequest
        (C, dt(&[0x28])),                         //                          attachUserRequest
        (S, dt(&[0x2e, 0x00, 0x00, 0x06])),       //        attachUserConfirm
        (C, dt(&[0x38, 0x00, 0x06, 0x03, 0xeb])), //  channelJoinRequest
        (C, info),
        (S, vec![0x03, 0x00, 0x00, 0x08, 0x02, 0xf0, 0x80, 0x68]), // more server PDUs
        (C, vec![0xc4, 0x11, 0x22]), //               fast-path input (skipped)
    ]
}

fn run(conv: &[(Dir, Vec<u8>)]) -> Vec<String> {
    run_chunked(new, "rdp", 3389, conv, usize::MAX)
}

#[test]
fn probe_rdp_and_not_iso_tsap() {
    assert_eq!(probe(C, CR_NLA, true), Probe::Match);
    // Off 3389 the CR alone is not enough: wait for the server.
    assert_eq!(probe(C, CR_NLA, false), Probe::NeedMore);
    assert_eq!(probe(S, CC_HYBRID, false), Probe::Match);
    assert_eq!(probe(C, &CR_NLA[..20], true), Probe::NeedMore);
    assert_eq!(probe(C, &[0x03], true), Probe::NeedMore);
    assert_eq!(probe(C, &[0x03, 0x00, 0x00], true), Probe::NeedMore);
    // rdpNegReq without a cookie
    assert_eq!(probe(C, &cr(&neg(1, 0, 3)), true), Probe::Match);
    // A plain CR: RDP only on 3389
    assert_eq!(probe(C, &cr(&[]), true), Probe::Match);
    assert_eq!(probe(C, &cr(&[]), false), Probe::NoMatch);
    assert_eq!(probe(S, &cc(&[]), true), Probe::Match);
    assert_eq!(probe(S, &cc(&[]), false), Probe::NoMatch);
    // S7 / ISO-TSAP CR: TPDU size, calling and called TSAPs
    let s7 = cr(&[
        0xc0, 0x01, 0x0a, 0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02,
    ]);
    assert_eq!(probe(C, &s7, false), Probe::NoMatch);
    assert_eq!(probe(C, &s7, true), Probe::NoMatch);
    let s7cc = cc(&[
        0xc0, 0x01, 0x0a, 0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02,
    ]);
    assert_eq!(probe(S, &s7cc, false), Probe::NoMatch);
    // DT: only on 3389 (a session picked up mid-stream)
    assert_eq!(
        probe(C, &dt(&[0x64, 0, 6, 3, 0xeb, 0x70, 0]), true),
        Probe::Match
    );
    assert_eq!(probe(C, &dt(&[0x32, 1, 0, 0]), false), Probe::NoMatch);
    // Other protocols and noise
    assert_eq!(probe(C, b"GET / HTTP/1.1\r\n\r\n", true), Probe::NoMatch);
    assert_eq!(
        probe(C, &[0x16, 0x03, 0x01, 0x00, 0x2f, 0x01], true),
        Probe::NoMatch
    );
    let mbap = [
        0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x0a,
    ];
    assert_eq!(probe(C, &mbap, true), Probe::NoMatch);
    assert_eq!(probe(C, b"RFB 003.008\n", true), Probe::NoMatch);
    let mut rng = Rng(11);
    for _ in 0..500 {
        let n = 1 + rng.below(60);
        let mut b = rng.bytes(n);
        if rng.below(2) == 0 {
            b[0] = 3; // TPKT-looking start
        }
        assert_ne!(probe(C, &b, false), Probe::Match);
    }
}

#[test]
fn parse_connection_request_and_confirm() {
    let x = parser::x224(&CR_NLA[4..]).unwrap().1;
    assert_eq!(x.code, parser::X224_CR);
    let r = parser::conn_request(parser::variable_part(&x));
    assert_eq!(r.cookie, Some(&b"mstshash=AWAKECODI"[..]));
    assert_eq!(
        r.neg,
        Some(parser::NegReq {
            flags: 0,
            protocols: 3
        })
    );
    assert_eq!(r.trailing, 0);
    let x = parser::x224(&CC_HYBRID[4..]).unwrap().1;
    assert_eq!(x.code, parser::X224_CC);
    assert_eq!(
        parser::conn_confirm(parser::variable_part(&x)),
        parser::NegResult::Response {
            flags: 1,
            selected: 2
        }
    );
    assert_eq!(
        parser::conn_confirm(&neg(3, 0, 2)),
        parser::NegResult::Failure { code: 2 }
    );
    assert_eq!(parser::conn_confirm(&[]), parser::NegResult::Legacy);
    assert_eq!(
        parser::conn_confirm(&[0x02, 0x00]),
        parser::NegResult::Malformed
    );
    // correlation info after the negReq
    let mut var = neg(1, 0x08, 0x0b);
    var.extend([0x06, 0x00, 0x24, 0x00]);
    var.extend([0x55; 32]);
    let r = parser::conn_request(&var);
    assert!(r.correlation);
    assert_eq!(r.trailing, 0);
}

#[test]
fn nla_session() {
    let conv = vec![
        (C, CR_NLA.to_vec()),
        (S, CC_HYBRID.to_vec()),
        (C, vec![0x16, 0x03, 0x01, 0x00, 0x74, 0x01, 0x00]), // TLS ClientHello (skipped)
        (S, vec![0x16, 0x03, 0x01, 0x03, 0x56, 0x02, 0x00]), // TLS ServerHello (skipped)
    ];
    let s = run(&conv);
    let want = [
        "fact client rdp.cookie_user=AWAKECODI x1",
        "fact client rdp.requested_protocols=rdp,ssl,hybrid x1",
        "fact server rdp.selected_protocol=hybrid x1",
        r#"auth rdp-nla att=1 ok=0 fail=0 offered=0 clear=false users={"AWAKECODI"} secrets={}"#,
        r#"op Connect {"x224_connection_request"} x1"#,
        r#"op Login {"rdp_session"} x1"#,
    ];
    assert_eq!(s, want, "{s:#?}");
}

#[test]
fn tls_without_nla_and_negotiation_failure() {
    let s = run(&[(C, cr(&neg(1, 0x01, 1))), (S, cc(&neg(2, 0, 1)))]);
    assert!(
        s.contains(
            &"auth rdp-tls att=1 ok=0 fail=0 offered=0 clear=false users={} secrets={}".to_string()
        ),
        "{s:#?}"
    );
    assert!(
        s.contains(&"fact client rdp.restricted_admin=required x1".to_string()),
        "{s:#?}"
    );
    assert!(
        s.contains(&"fact server rdp.selected_protocol=ssl x1".to_string()),
        "{s:#?}"
    );
    let s = run(&[(C, cr(&neg(1, 0, 1))), (S, cc(&neg(3, 0, 2)))]);
    assert!(
        s.contains(&"fact server rdp.negotiation_failure=ssl_not_allowed_by_server x1".to_string()),
        "{s:#?}"
    );
    assert!(!has(&s, "auth"), "{s:#?}");
    assert!(!has(&s, "op Login"), "{s:#?}");
}

#[test]
fn standard_security_encrypted_client_info() {
    let s = run(&standard_session(client_info_encrypted(), 2, 3));
    let want = [
        "claim client hostname=ENG-WS-07 src=rdp.client_core_data conf=60",
        "fact client rdp.client_build=2600 x1",
        "fact client rdp.client_name=ENG-WS-07 x1",
        "fact client rdp.client_version=RDP 5.0-8.1 (0x00080004) x1",
        "fact client rdp.cookie_user=op x1",
        "fact client rdp.desktop_size=1280x1024 x1",
        "fact client rdp.keyboard_layout=0x00000407 x1",
        "fact client rdp.requested_protocols=rdp x1",
        "fact server rdp.encryption_level=high x1",
        "fact server rdp.encryption_method=128bit x1",
        "fact server rdp.selected_protocol=standard x1",
        "fact server rdp.server_version=RDP 5.0-8.1 (0x00080004) x1",
        r#"auth rdp-standard att=1 ok=0 fail=0 offered=0 clear=false users={"op"} secrets={}"#,
        r#"op Connect {"x224_connection_request"} x1"#,
        r#"op Login {"rdp_session"} x1"#,
    ];
    assert_eq!(s, want, "{s:#?}");
}

#[test]
fn standard_security_without_encryption_leaks_credentials() {
    let s = run(&standard_session(client_info_cleartext(), 0, 0));
    assert!(
        s.contains(&"fact server rdp.encryption_level=none x1".to_string()),
        "{s:#?}"
    );
    assert!(
        s.contains(&r#"auth rdp-standard att=1 ok=0 fail=0 offered=0 clear=true users={"PLANT\\operator"} secrets={"hunter2"}"#.to_string()),
        "{s:#?}"
    );
    assert!(!has(&s, "anomaly"), "{s:#?}");
}

#[test]
fn legacy_server_without_negotiation() {
    // Old client (no rdpNegReq) and server (no rdpNegRsp): Standard RDP Security; the flow
    // ends before the Client Info PDU, the event comes at close.
    let s = run(&[(C, cr(b"Cookie: mstshash=admin\r\n")), (S, cc(&[]))]);
    assert!(
        s.contains(&"fact server rdp.selected_protocol=standard x1".to_string()),
        "{s:#?}"
    );
    assert!(
        s.contains(&"fact client rdp.requested_protocols=rdp x1".to_string()),
        "{s:#?}"
    );
    assert!(s.contains(&r#"auth rdp-standard att=1 ok=0 fail=0 offered=0 clear=false users={"admin"} secrets={}"#.to_string()), "{s:#?}");
}

#[test]
fn growing_prefixes_give_the_same_observations() {
    let conv = standard_session(client_info_cleartext(), 0, 0);
    let want = run(&conv);
    for chunk in 1..=64 {
        assert_eq!(
            run_chunked(new, "rdp", 3389, &conv, chunk),
            want,
            "chunk {chunk}"
        );
    }
    let total: usize = conv.iter().map(|(_, b)| b.len()).sum();
    for k in 0..total {
        let mut h = StreamHarness::new(new(), "rdp", 3389);
        let mut pos = 0;
        for (dir, b) in &conv {
            if k > pos && k < pos + b.len() {
                h.feed(*dir, &b[..k - pos]);
                h.feed(*dir, &b[k - pos..]);
            } else {
                h.feed(*dir, b);
            }
            pos += b.len();
        }
        h.close();
        assert_eq!(summary(&h.store), want, "split at {k}");
    }
}

#[test]
fn malformed_pdus_are_anomalies() {
    // TPKT length below the minimum
    let s = run(&[(C, vec![0x03, 0x00, 0x00, 0x05, 0x00])]);
    assert!(has(&s, "anomaly tpkt_bad_length x1"), "{s:#?}");
    // Not a TPKT where the CR was due
    let s = run(&[(C, b"garbage!".to_vec())]);
    assert!(has(&s, "anomaly rdp_not_tpkt x1"), "{s:#?}");
    // Unterminated cookie, bad negReq length, trailing bytes
    let s = run(&[(C, cr(b"Cookie: mstshash=x"))]);
    assert!(has(&s, "anomaly rdp_cookie_unterminated x1"), "{s:#?}");
    let s = run(&[(C, cr(&[0x01, 0x00, 0x09, 0x00, 0x01, 0, 0, 0, 0xee]))]);
    assert!(has(&s, "anomaly rdp_neg_req_bad_length x1"), "{s:#?}");
    assert!(has(&s, "anomaly rdp_cr_trailing_bytes x1"), "{s:#?}");
    // Malformed CC
    let s = run(&[(C, CR_NLA.to_vec()), (S, cc(&[0x02, 0x00, 0x04]))]);
    assert!(has(&s, "anomaly rdp_cc_malformed x1"), "{s:#?}");
    // Connect-Initial with an indefinite BER length
    let mut ci = connect_initial("X");
    ci[7 + 2] = 0x80; // the Connect-Initial length octet after 7f 65
    let s = run(&[(C, cr(&neg(1, 0, 0))), (S, cc(&neg(2, 0, 0))), (C, ci)]);
    assert!(has(&s, "anomaly ber_"), "{s:#?}");
    // GCC block claiming more than there is
    let mut bad = connect_initial("X");
    let n = bad.len();
    bad[n - 12 - 132 + 2] = 0xff; // client core block length (low octet)
    let s = run(&[(C, cr(&neg(1, 0, 0))), (S, cc(&neg(2, 0, 0))), (C, bad)]);
    assert!(has(&s, "anomaly gcc_bad_block x1"), "{s:#?}");
}

#[test]
fn gap_skips_the_direction() {
    let mut h = StreamHarness::new(new(), "rdp", 3389);
    h.feed(C, CR_NLA);
    h.gap(S, 19);
    h.feed(S, CC_HYBRID);
    h.close();
    let s = summary(&h.store);
    assert!(!has(&s, "fact server"), "{s:#?}");
    assert!(!has(&s, "auth"), "{s:#?}");
    assert!(has(&s, "fact client rdp.cookie_user=AWAKECODI"), "{s:#?}");
}

#[test]
fn fuzz_stream() {
    let base = standard_session(client_info_cleartext(), 0, 0);
    let mut rng = Rng(0x5eed_0003);
    for _ in 0..3000 {
        let mut h = StreamHarness::new(new(), "rdp", 3389);
        for (dir, b) in &base {
            let m = if rng.below(3) == 0 {
                rng.mutate(b)
            } else {
                b.clone()
            };
            let _ = probe(*dir, &m, rng.below(2) == 0);
            if let Some(p) = m.get(4..) {
                if let Ok((_, x)) = parser::x224(p) {
                    let _ = parser::conn_request(parser::variable_part(&x));
                    let _ = parser::conn_confirm(parser::variable_part(&x));
                    let _ = parser::mcs_connect_initial(x.data);
                    let _ = parser::mcs_connect_response(x.data);
                    let _ = parser::mcs_send_data_request(x.data);
                }
            }
            let cut = rng.below(m.len() + 1);
            h.feed(*dir, &m[..cut]);
            h.feed(*dir, &m[cut..]);
            if rng.below(50) == 0 {
                h.gap(*dir, 10);
            }
            assert!(h.buffered() <= h.limits.max_pdu_bytes);
        }
        h.close();
        let n = rng.below(200);
        let mut noise = rng.bytes(n);
        if let Some(b) = noise.get_mut(0) {
            *b = 3;
        }
        let mut h = StreamHarness::new(new(), "rdp", 3389);
        h.feed(C, &noise);
        h.feed(S, &noise);
        h.close();
    }
}

#[test]
fn midstream_session_is_skipped_quietly() {
    // Picked up after the connection sequence: data PDUs and fast-path, nothing to report.
    let s = run(&[
        (C, send_data(&[0x08, 0x00, 0x00, 0x00, 1, 2, 3, 4])),
        (
            S,
            dt(&[0x68, 0x00, 0x01, 0x03, 0xeb, 0x70, 0x02, 0xaa, 0xbb]),
        ),
        (C, vec![0x44, 0x05, 0x01, 0x02, 0x03]),
    ]);
    assert!(s.is_empty(), "{s:#?}");
}
