use super::*;
use crate::dissect::Dir::{ToClient, ToServer};
use crate::dissect::http::testkit::{Harness, Rng, growing_prefix, run_script};

const CERT: &[u8] = include_bytes!("../../../tests/data/tls/selfsigned-expired.der");

fn u24(n: usize) -> [u8; 3] {
    let b = (n as u32).to_be_bytes();
    [b[1], b[2], b[3]]
}

/// Record: content type, version 3.x, uint16 length, fragment.
fn record(ct: u8, minor: u8, frag: &[u8]) -> Vec<u8> {
    let mut v = vec![ct, 3, minor];
    v.extend_from_slice(&(frag.len() as u16).to_be_bytes());
    v.extend_from_slice(frag);
    v
}

/// Handshake message: type, uint24 length, body.
fn hs(t: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![t];
    v.extend_from_slice(&u24(body.len()));
    v.extend_from_slice(body);
    v
}

fn ext(t: u16, data: &[u8]) -> Vec<u8> {
    let mut v = t.to_be_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn client_hello(sni: &str) -> Vec<u8> {
    let mut b = vec![3, 3]; // legacy_version TLS 1.2
    b.extend_from_slice(&[7; 32]); // random
    b.push(0); // session_id length
    b.extend_from_slice(&[0, 4, 0x13, 0x01, 0xc0, 0x2f]); // cipher_suites
    b.extend_from_slice(&[1, 0]); // compression: null
    let mut sn = vec![0u8]; // name_type host_name
    sn.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    sn.extend_from_slice(sni.as_bytes());
    let mut sni_ext = ((sn.len()) as u16).to_be_bytes().to_vec();
    sni_ext.extend_from_slice(&sn);
    let mut exts = ext(0x0000, &sni_ext); // server_name
    // supported_versions: GREASE, TLS 1.3, TLS 1.2
    exts.extend_from_slice(&ext(0x002b, &[6, 0x0a, 0x0a, 3, 4, 3, 3]));
    // ALPN: h2, http/1.1
    exts.extend_from_slice(&ext(0x0010, b"\x00\x0c\x02h2\x08http/1.1"));
    b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    b.extend_from_slice(&exts);
    record(22, 1, &hs(1, &b))
}

fn server_hello(tls13: bool) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[9; 32]);
    b.push(0); // session_id length
    b.extend_from_slice(&[0xc0, 0x2f]); // cipher ECDHE-RSA-AES128-GCM-SHA256
    b.push(0); // compression
    let exts = if tls13 {
        ext(0x002b, &[3, 4])
    } else {
        ext(0xff01, &[0]) // renegotiation_info
    };
    b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    b.extend_from_slice(&exts);
    hs(2, &b)
}

fn certificate() -> Vec<u8> {
    let mut chain = u24(CERT.len()).to_vec();
    chain.extend_from_slice(CERT);
    let mut b = u24(chain.len()).to_vec();
    b.extend_from_slice(&chain);
    hs(11, &b)
}

#[test]
fn parse_hellos_and_certificate() {
    let ch = client_hello("plc-01.plant.example");
    match parser::parse_handshake(&ch[5..]) {
        Some(parser::Handshake::ClientHello(c)) => {
            assert_eq!(c.sni.as_deref(), Some("plc-01.plant.example"));
            assert_eq!(c.versions, vec![0x0304, 0x0303]);
            assert_eq!(c.alpn, vec!["h2", "http/1.1"]);
        }
        other => panic!("{other:?}"),
    }
    match parser::parse_handshake(&server_hello(true)) {
        Some(parser::Handshake::ServerHello(s)) => {
            assert_eq!((s.version, s.cipher), (0x0304, 0xc02f))
        }
        other => panic!("{other:?}"),
    }
    let c = parser::cert_summary(CERT).unwrap();
    assert_eq!(c.subject, "CN=plc-01.plant.example, O=ACME Automation");
    assert!(c.self_signed);
    assert_eq!(c.common_name.as_deref(), Some("plc-01.plant.example"));
    assert_eq!(parser::iso_date(c.not_after), "2021-01-01T00:00:00Z");
    assert_eq!(
        c.sha1,
        "56:DF:A8:53:F1:69:E1:56:AE:CD:E1:F8:91:7D:69:D7:F5:40:90:BE"
    );
    assert!(parser::cert_summary(&CERT[..100]).is_none());
    assert_eq!(parser::version_name(0x0303).as_deref(), Some("TLS 1.2"));
    assert_eq!(parser::version_name(0x1a1a), None);
    assert_eq!(
        parser::cipher_name(0xc02f),
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    );
    assert!(parser::looks_like_hostname("plc-01.plant.example"));
    assert!(!parser::looks_like_hostname("*.example.com"));
    assert!(!parser::looks_like_hostname("10.0.0.1"));
    assert!(!parser::looks_like_hostname("John Smith"));
    assert_eq!(
        parser::remote_access_tool("router7.teamviewer.com"),
        Some("TeamViewer")
    );
    assert_eq!(
        parser::remote_access_tool("relay-1.net.anydesk.com"),
        Some("AnyDesk")
    );
    assert_eq!(parser::remote_access_tool("notteamviewer.com"), None);
}

#[test]
fn probes() {
    let ch = client_hello("a");
    assert_eq!(probe(ToServer, &ch, false), Probe::Match);
    assert_eq!(probe(ToServer, &ch[..4], false), Probe::NeedMore);
    let sh = record(22, 3, &server_hello(false));
    assert_eq!(probe(ToClient, &sh, true), Probe::Match);
    // Off the TLS ports (3389: RDP's own TLS) a flow is TLS only when a ClientHello opens it.
    assert_eq!(probe(ToClient, &sh, false), Probe::NoMatch);
    // A ClientHello from the server side, application data off a TLS port: no.
    assert_eq!(probe(ToClient, &ch, false), Probe::NoMatch);
    let app = record(23, 3, &[0x42; 40]);
    assert_eq!(probe(ToServer, &app, false), Probe::NoMatch);
    assert_eq!(probe(ToServer, &app, true), Probe::Match);
    // RDP (TPKT + X.224 connection request), HTTP, Modbus, the EIP capture's port-443 stream.
    assert_eq!(
        probe(
            ToServer,
            &[
                3, 0, 0, 0x13, 0x0e, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0
            ],
            true
        ),
        Probe::NoMatch
    );
    assert_eq!(probe(ToServer, b"GET / HTTP/1.1\r\n", true), Probe::NoMatch);
    assert_eq!(
        probe(ToServer, &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1], true),
        Probe::NoMatch
    );
    assert_eq!(
        probe(
            ToClient,
            &[0, 0, 0, 0x1e, 0, 0x80, 0, 0x20, 0, 0x10, 0, 0x10],
            true
        ),
        Probe::NoMatch
    );
    let mut r = Rng(13);
    for _ in 0..1000 {
        let b = r.blob(64);
        assert_ne!(probe(ToServer, &b, false), Probe::Match);
    }
}

#[test]
fn tls12_handshake_with_certificate_split_across_records() {
    let ch = client_hello("plc-01.plant.example");
    // ServerHello + Certificate in one handshake stream, cut into two records mid-certificate.
    let mut flight = server_hello(false);
    flight.extend_from_slice(&certificate());
    flight.extend_from_slice(&hs(14, &[])); // ServerHelloDone
    let cut = 150;
    let mut server = record(22, 3, &flight[..cut]);
    server.extend_from_slice(&record(22, 3, &flight[cut..]));
    server.extend_from_slice(&record(20, 3, &[1])); // ChangeCipherSpec
    server.extend_from_slice(&record(22, 3, &[0xde; 40])); // encrypted Finished
    server.extend_from_slice(&record(23, 3, &[0xad; 100]));
    let mut client = ch.clone();
    client.extend_from_slice(&record(22, 3, &hs(16, &[0x41; 33]))); // ClientKeyExchange
    client.extend_from_slice(&record(20, 3, &[1]));
    client.extend_from_slice(&[0xff; 64]); // anything after CCS is not read
    let h = growing_prefix("tls", 443, new, &[(ToServer, &client), (ToClient, &server)]);
    assert_eq!(h.facts("tls.sni"), vec!["plc-01.plant.example"]);
    assert_eq!(h.facts("tls.client_versions"), vec!["TLS 1.3,TLS 1.2"]);
    assert_eq!(h.facts("tls.alpn"), vec!["h2,http/1.1"]);
    assert_eq!(h.facts("tls.version"), vec!["TLS 1.2"]);
    assert_eq!(
        h.facts("tls.cert_subject"),
        vec!["CN=plc-01.plant.example, O=ACME Automation"]
    );
    assert_eq!(h.facts("tls.cert_self_signed"), vec!["true"]);
    assert_eq!(h.facts("tls.cert_expired"), vec!["true"]);
    assert_eq!(h.facts("tls.cert_not_after"), vec!["2021-01-01T00:00:00Z"]);
    assert_eq!(
        h.claims("hostname"),
        vec![("plc-01.plant.example".to_string(), 50)]
    );
    assert_eq!(h.ops(), vec![("connect", vec!["tls_client_hello"], 1)]);
    assert!(h.facts("tls.cert_hidden").is_empty());
    assert!(h.anomalies().is_empty(), "{:?}", h.anomalies());
}

#[test]
fn tls13_certificate_hidden_and_remote_access_sni() {
    let h = run_script(
        "tls",
        443,
        new,
        &[
            (ToServer, &client_hello("master7.teamviewer.com")),
            (ToClient, &record(22, 3, &server_hello(true))),
            (ToClient, &record(20, 3, &[1])),
            (ToClient, &record(23, 3, &[0x77; 500])),
        ],
        0,
    );
    assert_eq!(h.facts("tls.version"), vec!["TLS 1.3"]);
    assert_eq!(h.facts("tls.cert_hidden"), vec!["true"]);
    assert_eq!(h.facts("remote_access.tool"), vec!["TeamViewer"]);
    assert!(h.facts("tls.cert_subject").is_empty());
}

#[test]
fn malformed_records_and_alerts() {
    let h = run_script(
        "tls",
        443,
        new,
        &[
            (ToServer, &record(22, 1, &hs(1, &[3, 3, 0]))), // truncated ClientHello
            (ToClient, &record(21, 3, &[2, 40])),           // fatal handshake_failure
            (ToClient, b"\x99\x03\x03\x00\x01x"),           // bad content type
        ],
        0,
    );
    assert_eq!(h.anomalies(), vec!["tls_bad_handshake", "tls_bad_record"]);
    assert_eq!(h.facts("tls.alert"), vec!["fatal:40"]);
    // A handshake message larger than the reassembly bound is skipped, not buffered.
    let mut big = vec![11];
    big.extend_from_slice(&u24(100_000));
    big.extend_from_slice(&[0; 16000]);
    let mut h = Harness::new("tls", 443);
    let mut d = Tls::new();
    h.feed(&mut d, ToClient, &record(22, 3, &big));
    // 100004 - 16004 bytes of the message remain: 5 x 16000 + 4000.
    for _ in 0..5 {
        h.feed(&mut d, ToClient, &record(22, 3, &[0; 16000]));
    }
    h.feed(&mut d, ToClient, &record(22, 3, &[0; 4000]));
    h.feed(&mut d, ToClient, &record(22, 3, &server_hello(false)));
    assert_eq!(h.anomalies(), vec!["tls_handshake_too_large"]);
    assert_eq!(h.facts("tls.version"), vec!["TLS 1.2"]);
    assert_eq!(d.held_bytes(), 0);
}

#[test]
fn fuzz_no_panic_bounded() {
    let mut flight = record(22, 3, &server_hello(false));
    flight.extend_from_slice(&record(22, 3, &certificate()));
    let seeds = [client_hello("x.example"), flight];
    let mut r = Rng(0x5eed_0005);
    for i in 0..3000 {
        let data = if i % 5 == 0 {
            r.blob(200)
        } else {
            r.mutate(&seeds[i % 2])
        };
        let dir = if i % 2 == 0 { ToServer } else { ToClient };
        let _ = probe(dir, &data, i % 3 == 0);
        let _ = parser::parse_handshake(data.get(5..).unwrap_or(&[]));
        let mut h = Harness::new("tls", 443);
        let mut d = Tls::new();
        h.feed_chunks(&mut d, dir, &data, 1 + r.below(64));
        h.close(&mut d);
        assert!(h.max_buffered <= 5 + parser::MAX_RECORD as usize + 64);
        assert!(d.held_bytes() <= 64 * 1024 + parser::MAX_RECORD as usize);
    }
    // The x509 parser on mutated certificates.
    for _ in 0..1000 {
        let _ = parser::cert_summary(&r.mutate(CERT));
    }
}
