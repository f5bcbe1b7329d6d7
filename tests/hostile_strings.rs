//! Hostile device strings from the wire to the report: ANSI escape sequences, HTML/JavaScript,
//! spreadsheet formulas, Markdown, JSON-breaking quotes, invalid UTF-8, embedded NULs and very
//! long names arrive in real protocol messages (Modbus device identification, SNMP system
//! scalars, an HTTP server header and title, an SSH banner, an FTP banner) and must come out
//! bounded, faithful (valid UTF-8 kept as is, anything else as `hex:`), and inert: the JSON
//! stays valid and escapes every control character, the terminal table carries none. (The
//! escaping rules of the HTML, CSV and Markdown renderers have their own tests.)

mod robust_support;

use otscope::capture::LinkType;
use otscope::config::{Format, Limits};
use otscope::dissect::text::MAX_TEXT;
use robust_support::harness;
use robust_support::netgen::{self, Rec, TcpConv, v4};
use serde_json::Value;

const ANSI: &str = "\x1b[2J\x1b[31mPWNED\x1b[0m\x07\x08";
const HTML: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example/\",\"click\")";
const MARKDOWN: &str = "| a | b |\n[x](javascript:alert(1)) **bold** `code` <b>";
const JSON_BREAK: &str = "\"}],\"assets\":[{\"ip\":\"6.6.6.6\"}]} \\ \u{2028}";
const INVALID_UTF8: &[u8] = &[0x50, 0x4c, 0x43, 0xc3, 0x28, 0xff, 0xfe, 0x80];

/// Modbus Read Device Identification (43/14) exchange with the given objects.
fn modbus_device_id(objects: &[(u8, &[u8])]) -> (Vec<u8>, Vec<u8>) {
    let req = vec![0, 1, 0, 0, 0, 5, 1, 0x2b, 0x0e, 3, 0];
    let mut body = vec![1, 0x2b, 0x0e, 3, 0x83, 0, 0, objects.len() as u8];
    for (id, v) in objects {
        body.push(*id);
        body.push(v.len() as u8);
        body.extend_from_slice(v);
    }
    let mut rsp = vec![0, 1, 0, 0];
    rsp.extend_from_slice(&(body.len() as u16).to_be_bytes());
    rsp.extend_from_slice(&body);
    (req, rsp)
}

fn tcp_exchange(client_port: u16, server_port: u16, msgs: &[(bool, Vec<u8>)]) -> Vec<Rec> {
    let mut c = TcpConv::new(
        (v4(10, 9, 0, 2), client_port),
        (v4(10, 9, 0, 1), server_port),
        100,
        900,
    );
    let mut recs = c.handshake();
    for (to_server, m) in msgs {
        for piece in m.chunks(1400) {
            recs.push(c.data(*to_server, piece));
        }
    }
    recs.extend(c.close());
    recs
}

/// BER: tag, definite length (long form when needed), value.
fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = v.len();
    if n < 128 {
        out.push(n as u8);
    } else if n < 256 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(v);
    out
}

/// An SNMPv2c GetResponse from 10.9.0.5 carrying system scalars.
fn snmp_response(vars: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut vbl = Vec::new();
    for (oid, val) in vars {
        let mut vb = tlv(0x06, oid);
        vb.extend(tlv(0x04, val));
        vbl.extend(tlv(0x30, &vb));
    }
    let mut pdu = tlv(0x02, &[0x12, 0x34]);
    pdu.extend(tlv(0x02, &[0]));
    pdu.extend(tlv(0x02, &[0]));
    pdu.extend(tlv(0x30, &vbl));
    let mut msg = tlv(0x02, &[1]);
    msg.extend(tlv(0x04, b"c0mmun1ty"));
    msg.extend(tlv(0xa2, &pdu));
    tlv(0x30, &msg)
}

const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];
const SYS_CONTACT: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 4, 0];
const SYS_NAME: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 5, 0];
const SYS_LOCATION: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 6, 0];

fn hostile_traffic() -> Vec<Rec> {
    let long_name = "A".repeat(250);
    let (req, rsp) = modbus_device_id(&[
        (0, ANSI.as_bytes()),
        (1, HTML.as_bytes()),
        (2, INVALID_UTF8),
        (3, FORMULA.as_bytes()),
        (4, MARKDOWN.as_bytes()),
        (5, long_name.as_bytes()),
        (6, JSON_BREAK.as_bytes()),
    ]);
    let mut recs = tcp_exchange(50100, 502, &[(true, req), (false, rsp)]);
    // SNMP: a 20 KB sysDescr mixing everything, a JSON-breaking sysName, invalid UTF-8 contact,
    // a location with an embedded NUL.
    let mut descr = String::new();
    while descr.len() < 20_000 {
        descr.push_str(ANSI);
        descr.push_str(HTML);
        descr.push('é');
    }
    let get = {
        let mut vb = tlv(0x06, SYS_DESCR);
        vb.extend(tlv(0x05, &[]));
        let mut pdu = tlv(0x02, &[0x12, 0x34]);
        pdu.extend(tlv(0x02, &[0]));
        pdu.extend(tlv(0x02, &[0]));
        pdu.extend(tlv(0x30, &tlv(0x30, &vb)));
        let mut msg = tlv(0x02, &[1]);
        msg.extend(tlv(0x04, b"c0mmun1ty"));
        msg.extend(tlv(0xa0, &pdu));
        tlv(0x30, &msg)
    };
    let rsp = snmp_response(&[
        (SYS_DESCR, descr.as_bytes()),
        (SYS_NAME, JSON_BREAK.as_bytes()),
        (SYS_CONTACT, INVALID_UTF8),
        (SYS_LOCATION, b"Hall 3\0<script>hidden</script>"),
    ]);
    let (c, s) = ((v4(10, 9, 0, 2), 40161u16), (v4(10, 9, 0, 5), 161u16));
    recs.push(Rec::new(
        1_700_000_100_000_000_000,
        netgen::ip_frame(c.0, s.0, 17, &netgen::udp(c.1, s.1, &get)),
    ));
    recs.push(Rec::new(
        1_700_000_100_001_000_000,
        netgen::ip_frame(s.0, c.0, 17, &netgen::udp(s.1, c.1, &rsp)),
    ));
    // HTTP: a server header of 8 KB and a hostile title.
    let mut http = b"HTTP/1.1 200 OK\r\nServer: ".to_vec();
    http.extend_from_slice(ANSI.as_bytes());
    http.extend_from_slice(FORMULA.as_bytes());
    http.extend(std::iter::repeat_n(b'S', 8000));
    http.extend_from_slice(
        b"\r\nContent-Type: text/html\r\nContent-Length: 60\r\n\r\n<html><title>",
    );
    http.extend_from_slice(HTML.as_bytes());
    http.extend_from_slice(b"</title></html>");
    let get = b"GET / HTTP/1.1\r\nHost: 10.9.0.1\r\nUser-Agent: \x1b]0;owned\x07\r\n\r\n".to_vec();
    let mut c2 = tcp_exchange(50101, 80, &[(true, get), (false, http)]);
    recs.append(&mut c2);
    // SSH and FTP banners.
    let mut ssh = b"SSH-2.0-OpenSSH_9.0 ".to_vec();
    ssh.extend_from_slice(ANSI.as_bytes());
    ssh.extend_from_slice(b"\r\n");
    recs.extend(tcp_exchange(
        50102,
        22,
        &[(false, ssh), (true, b"SSH-2.0-client\r\n".to_vec())],
    ));
    let mut ftp = b"220 ".to_vec();
    ftp.extend_from_slice(HTML.as_bytes());
    ftp.extend_from_slice(INVALID_UTF8);
    ftp.extend_from_slice(b"\r\n");
    recs.extend(tcp_exchange(50103, 21, &[(false, ftp)]));
    // Renumber timestamps in capture order.
    for (i, r) in recs.iter_mut().enumerate() {
        r.ts_ns = 1_700_000_000_000_000_000 + i as u64 * 1_000_000;
    }
    recs
}

fn report() -> otscope::report::Report {
    let a = harness::run_engine(LinkType::Ethernet, &hostile_traffic(), &Limits::default());
    otscope::build_report(
        &a,
        &otscope::inventory::signatures::Signatures::builtin(),
        None,
        false,
    )
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Every identity value and provenance value of every asset.
fn identity_values(r: &otscope::report::Report) -> Vec<String> {
    let v = serde_json::to_value(&r.assets).unwrap();
    let mut out = Vec::new();
    for a in v.as_array().unwrap() {
        let mut s = Vec::new();
        if let Some(id) = a.get("identity") {
            strings(id, &mut s);
        }
        out.extend(s.into_iter().map(str::to_string));
    }
    out
}

#[test]
fn hostile_strings_reach_the_report_faithfully_and_bounded() {
    let r = report();
    let values = identity_values(&r);
    let all = values.join("\n");
    // Valid UTF-8 is kept as it was sent, escape sequences and markup included (renderers make
    // it inert for their medium).
    for s in [ANSI, HTML, FORMULA] {
        assert!(
            values.iter().any(|v| v.contains(s)),
            "{s:?} missing from identity values:\n{all}"
        );
    }
    // Invalid UTF-8 becomes hex, never silently replaced.
    assert!(
        values.iter().any(|v| v == "hex:504c43c328fffe80"),
        "invalid UTF-8 as hex:\n{all}"
    );
    assert!(!all.contains('\u{fffd}'), "no replacement characters");
    // A NUL ends a device string: what follows is not shown.
    assert!(values.iter().any(|v| v == "Hall 3"), "{all}");
    assert!(!all.contains("<script>hidden"));
    // Bounded: the 20 KB sysDescr and the 8 KB server header are cut (at a char boundary).
    for v in &values {
        assert!(
            v.len() <= 2 * MAX_TEXT,
            "{} bytes: {:?}...",
            v.len(),
            &v[..60.min(v.len())]
        );
    }
    assert!(
        values
            .iter()
            .any(|v| v.len() >= MAX_TEXT && v.contains(ANSI)),
        "long sysDescr kept, cut:\n{all}"
    );
    // The JSON-breaking name is one value, not a new asset.
    assert!(values.iter().any(|v| v == JSON_BREAK.trim()), "{all}");
    assert!(!r.assets.iter().any(|a| a.ip == "6.6.6.6"));
}

#[test]
fn json_output_escapes_every_control_character_and_round_trips() {
    let r = report();
    let json = harness::render(&r, Format::Json);
    assert!(
        json.bytes().all(|b| b >= 0x20 || b == b'\n'),
        "raw control byte in JSON output"
    );
    let v: Value = serde_json::from_str(&json).expect("valid JSON");
    let mut s = Vec::new();
    strings(&v, &mut s);
    assert!(
        s.iter().any(|x| x.contains(ANSI)),
        "escape sequence preserved inside JSON strings"
    );
    assert!(s.iter().any(|x| x.contains(JSON_BREAK.trim())));
    assert_eq!(v["assets"].as_array().unwrap().len(), r.assets.len());
}

#[test]
fn terminal_output_carries_no_control_characters() {
    let r = report();
    let t = harness::render(&r, Format::Table);
    let bad: Vec<char> = t.chars().filter(|c| c.is_control() && *c != '\n').collect();
    assert!(
        bad.is_empty(),
        "control characters in terminal output: {bad:?}"
    );
    assert!(!t.contains('\x1b'));
}

#[test]
fn every_format_renders_hostile_strings_without_panic() {
    let r = report();
    for f in harness::all_formats() {
        let out = harness::render(&r, f);
        assert!(!out.is_empty(), "{f:?}");
        assert!(
            !out.contains('\x1b') || f == Format::Json,
            "{f:?} leaks ESC"
        );
    }
}

/// Whatever a capture holds, the strings in the assets of its report are bounded.
#[test]
fn identity_strings_of_every_shipped_capture_are_bounded() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures");
    let a = otscope::analysis::analyze(
        &[root.join("public"), root.join("generated")],
        &Limits::default(),
        1,
        None,
    );
    let r = otscope::build_report(
        &a,
        &otscope::inventory::signatures::Signatures::builtin(),
        None,
        false,
    );
    let values = identity_values(&r);
    assert!(values.len() > 100);
    for v in values {
        assert!(v.len() <= 2 * MAX_TEXT, "{} bytes", v.len());
        assert!(!v.contains('\0'));
    }
}
