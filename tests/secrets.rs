//! Secrets (passwords, community strings) are redacted in every output format unless
//! `--show-secrets`, through the library and through the command line, for the shipped
//! captures with cleartext credentials (Telnet, FTP, HTTP Basic, SNMP) and for generated
//! sessions whose secrets are distinctive enough to search for anywhere in the output.
//!
//! The formats come from `otscope::config::Format` (`harness::all_formats`, an exhaustive
//! match), so a new renderer is covered as soon as it exists.

mod robust_support;

use otscope::config::{Format, Limits};
use robust_support::harness;
use robust_support::netgen::{self, Rec, TcpConv, v4};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cap(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures/public")
        .join(rel)
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Table => "table",
        Format::Json => "json",
        Format::Html => "html",
        Format::Csv => "csv",
        Format::Markdown => "markdown",
        Format::Sarif => "sarif",
    }
}

fn reports(path: &Path, show: bool) -> Vec<(Format, String)> {
    let a = otscope::analysis::analyze(&[path.to_path_buf()], &Limits::default(), 1, None);
    let r = otscope::build_report(
        &a,
        &otscope::inventory::signatures::Signatures::builtin(),
        None,
        show,
    );
    harness::all_formats()
        .into_iter()
        .map(|f| (f, harness::render(&r, f)))
        .collect()
}

fn cli(path: &Path, f: Format, show: bool) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_otscope"));
    c.args(["analyze", "--threads", "1", "--format", format_name(f)]);
    if show {
        c.arg("--show-secrets");
    }
    // CSV is three files in the directory -o names; the others go to standard output.
    let dir = tempfile::tempdir().unwrap();
    if matches!(f, Format::Csv) {
        c.arg("-o").arg(dir.path());
    }
    let out = c.arg(path).output().expect("run otscope");
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "{f:?}: {out:?}"
    );
    if matches!(f, Format::Csv) {
        let mut all = String::new();
        for name in ["assets.csv", "conduits.csv", "findings.csv"] {
            all.push_str(&std::fs::read_to_string(dir.path().join(name)).expect(name));
        }
        return all;
    }
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn json_strings(json: &str) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut v = Vec::new();
    walk(&serde_json::from_str(json).expect("JSON"), &mut v);
    v
}

/// (capture, secrets as sent, distinctive: searchable as a substring of any output)
const SHIPPED: &[(&str, &[&str], bool)] = &[
    (
        "it-ftp/zeek__ftp-password-pass-command.pcap",
        &["qwerty"],
        true,
    ),
    (
        "it-snmp/suricata__SNMPv2c_get_requests.pcap",
        &["[R0_C@cti!]"],
        true,
    ),
    ("it-telnet/suricata__telnet-01.pcap", &["user"], false),
    (
        "it-http/zeek__http-basic-auth-with-colon.pcap",
        &["1:34"],
        false,
    ),
    ("it-snmp/zeek__snmpv1_get.pcap", &["public"], false),
    ("it-ftp/zeek__ftp-ipv4.pcap", &["test"], false),
];

/// Whether an output lists credentials (it shows the redaction marker when secrets are hidden).
fn lists_credentials(hidden_output: &str) -> bool {
    hidden_output.contains("<redacted>")
}

fn assert_hidden(what: &str, f: Format, out: &str, secret: &str, distinctive: bool) {
    if distinctive {
        assert!(
            !out.contains(secret),
            "{what} {f:?}: {secret:?} shown without --show-secrets"
        );
    }
    if f == Format::Json {
        for s in json_strings(out) {
            assert!(
                s != secret
                    && !s.contains(&format!("{secret} |"))
                    && !s.contains(&format!("| {secret}")),
                "{what}: JSON value {s:?} shows the secret"
            );
        }
        assert!(
            out.contains("<redacted>"),
            "{what}: redaction marker expected"
        );
    }
}

#[test]
fn shipped_captures_redact_secrets_in_every_format() {
    for (rel, secrets, distinctive) in SHIPPED {
        let p = cap(rel);
        let hidden = reports(&p, false);
        for (f, out) in &hidden {
            for s in *secrets {
                assert_hidden(rel, *f, out, s, *distinctive);
            }
        }
        for ((f, out), (_, h)) in reports(&p, true).into_iter().zip(&hidden) {
            // A format that lists credentials (shows the redaction marker without the flag)
            // must show the secret with it; one that does not list them shows neither.
            if lists_credentials(h) {
                for s in *secrets {
                    assert!(
                        out.contains(s),
                        "{rel} {f:?}: {s:?} missing with --show-secrets"
                    );
                }
            }
            if f == Format::Json {
                assert!(
                    !out.contains("<redacted>"),
                    "{rel}: still redacted with --show-secrets"
                );
            }
        }
    }
}

#[test]
fn command_line_redacts_unless_show_secrets() {
    for (rel, secrets, distinctive) in SHIPPED.iter().take(3) {
        let p = cap(rel);
        for f in harness::all_formats() {
            let hidden = cli(&p, f, false);
            let shown = cli(&p, f, true);
            for s in *secrets {
                assert_hidden(rel, f, &hidden, s, *distinctive);
                assert!(
                    !lists_credentials(&hidden) || shown.contains(s),
                    "{rel} {f:?}: --show-secrets does not show {s:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Generated sessions with distinctive secrets: any occurrence anywhere is a leak.

const TELNET_PW: &str = "Tn3t-S3cr3t-77";
const FTP_PW: &str = "Ftp-P4ss-Wd-91";
const HTTP_PW: &str = "Http-B4sic-Pw-55";
const COMMUNITY: &str = "Snmp-C0mmun1ty-33";

fn session(port: u16, cport: u16, msgs: &[(bool, &[u8])]) -> Vec<Rec> {
    let mut c = TcpConv::new(
        (v4(10, 7, 0, 2), cport),
        (v4(10, 7, 0, 1), port),
        1000,
        5000,
    );
    let mut v = c.handshake();
    for (to_server, m) in msgs {
        v.push(c.data(*to_server, m));
    }
    v.extend(c.close());
    v
}

fn generated_capture() -> Vec<u8> {
    let mut recs = Vec::new();
    let tpw = format!("{TELNET_PW}\r\n");
    recs.extend(session(
        23,
        50200,
        &[
            (false, b"\r\nRouter login: "),
            (true, b"admin\r\n"),
            (false, b"Password: "),
            (true, tpw.as_bytes()),
            (false, b"\r\nLast login: today\r\nrouter$ "),
        ],
    ));
    let fpw = format!("PASS {FTP_PW}\r\n");
    recs.extend(session(
        21,
        50201,
        &[
            (false, b"220 FTP ready\r\n"),
            (true, b"USER operator\r\n"),
            (false, b"331 Password required\r\n"),
            (true, fpw.as_bytes()),
            (false, b"230 Logged in\r\n"),
        ],
    ));
    let auth = base64(format!("engineer:{HTTP_PW}").as_bytes());
    let get =
        format!("GET /config HTTP/1.1\r\nHost: 10.7.0.1\r\nAuthorization: Basic {auth}\r\n\r\n");
    recs.extend(session(
        80,
        50202,
        &[
            (true, get.as_bytes()),
            (false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ],
    ));
    // SNMPv2c get-request and response with the community.
    let tlv = |tag: u8, v: &[u8]| {
        let mut o = vec![tag, v.len() as u8];
        o.extend_from_slice(v);
        o
    };
    for (pdu_tag, sport, dport) in [(0xa0u8, 40300u16, 161u16), (0xa2, 161, 40300)] {
        let mut vb = tlv(0x06, &[0x2b, 6, 1, 2, 1, 1, 5, 0]);
        vb.extend(if pdu_tag == 0xa0 {
            tlv(0x05, &[])
        } else {
            tlv(0x04, b"plc-7")
        });
        let mut pdu = tlv(0x02, &[0x22]);
        pdu.extend(tlv(0x02, &[0]));
        pdu.extend(tlv(0x02, &[0]));
        pdu.extend(tlv(0x30, &tlv(0x30, &vb)));
        let mut msg = tlv(0x02, &[1]);
        msg.extend(tlv(0x04, COMMUNITY.as_bytes()));
        msg.extend(tlv(pdu_tag, &pdu));
        let msg = tlv(0x30, &msg);
        let (s, d) = if sport == 161 {
            (v4(10, 7, 0, 9), v4(10, 7, 0, 2))
        } else {
            (v4(10, 7, 0, 2), v4(10, 7, 0, 9))
        };
        recs.push(Rec::new(
            0,
            netgen::ip_frame(s, d, 17, &netgen::udp(sport, dport, &msg)),
        ));
    }
    for (i, r) in recs.iter_mut().enumerate() {
        r.ts_ns = 1_700_000_000_000_000_000 + i as u64 * 1_000_000;
    }
    netgen::pcap(netgen::LINK_ETHERNET, &recs)
}

fn base64(b: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn generated_secrets_never_appear_without_show_secrets() {
    use std::io::Write;
    let mut f = tempfile::Builder::new().suffix(".pcap").tempfile().unwrap();
    f.write_all(&generated_capture()).unwrap();
    let secrets = [TELNET_PW, FTP_PW, HTTP_PW, COMMUNITY];
    let b64 = base64(format!("engineer:{HTTP_PW}").as_bytes());
    for (fmt, out) in reports(f.path(), false) {
        for s in secrets.iter().chain([&b64.as_str()]) {
            assert!(
                !out.contains(s),
                "{fmt:?} shows {s:?} without --show-secrets"
            );
        }
    }
    let hidden = reports(f.path(), false);
    let mut listed = 0;
    for ((fmt, out), (_, h)) in reports(f.path(), true).into_iter().zip(&hidden) {
        if lists_credentials(h) {
            listed += 1;
            for s in secrets {
                assert!(
                    out.contains(s),
                    "{fmt:?}: {s:?} not shown with --show-secrets"
                );
            }
        }
    }
    assert!(listed > 0, "no format lists credentials");
    // The same through the command line.
    for fmt in harness::all_formats() {
        let hidden = cli(f.path(), fmt, false);
        for s in secrets {
            assert!(!hidden.contains(s), "CLI {fmt:?} shows {s:?}");
        }
        let shown = cli(f.path(), fmt, true);
        assert!(
            !lists_credentials(&hidden) || secrets.iter().all(|s| shown.contains(s)),
            "CLI {fmt:?} --show-secrets"
        );
    }
}
