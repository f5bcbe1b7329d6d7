//! Integration tests of the management-plane dissectors (http, tls, ssh, ftp, telnet, tftp):
//! whole captures through `analyze`, checked against the tshark truth files
//! (`captures/public/truth/<stem>.json`, `protocols.it`) and, for the locally generated TLS and
//! TFTP captures in `tests/data/`, against what their README says was sent.

use otscope::analysis::{Analysis, analyze};
use otscope::config::Limits;
use otscope::inventory::observation::{AuthAgg, Transport, sorted};
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The protocols these dissectors name (`ftp-data` is announced by the FTP dissector).
const MINE: &[&str] = &["http", "tls", "ssh", "ftp", "ftp-data", "telnet", "tftp"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(rel: &str) -> Analysis {
    analyze(&[root().join(rel)], &Limits::default(), 1, None)
}

fn truth(stem: &str) -> Value {
    let p = root()
        .join("captures/public/truth")
        .join(format!("{stem}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("truth file")).expect("truth json")
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// `[[a, b], ...]` pairs of strings.
fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((p.get(0)?.as_str()?.into(), p.get(1)?.as_str()?.into())))
                .collect()
        })
        .unwrap_or_default()
}

/// `"1.2.3.4:80"` or `"2001::1:80"` → (ip, port).
fn endpoint(s: &str) -> (IpAddr, u16) {
    let (h, p) = s.rsplit_once(':').expect("host:port");
    (h.parse().expect("ip"), p.parse().expect("port"))
}

/// Detected (server, port, proto) of TCP/UDP conversations.
fn services(a: &Analysis) -> BTreeSet<(IpAddr, u16, &'static str)> {
    a.convs
        .map
        .keys()
        .filter(|k| !k.proto.is_empty())
        .map(|k| (k.server, k.port, k.proto))
        .collect()
}

/// Authentication aggregates of a mechanism on a server.
fn auth<'a>(a: &'a Analysis, server: IpAddr, mechanism: &str) -> Vec<&'a AuthAgg> {
    sorted(&a.store.auths)
        .into_iter()
        .filter(|(k, _)| k.svc.server == server && k.mechanism == mechanism)
        .map(|(_, v)| v)
        .collect()
}

fn facts(a: &Analysis, subject: IpAddr, key: &str) -> Vec<String> {
    sorted(&a.store.facts)
        .into_iter()
        .filter(|(k, _)| {
            k.key == key && k.subject == otscope::inventory::observation::Subject::Ip(subject)
        })
        .map(|(k, _)| k.value.clone())
        .collect()
}

fn claims(a: &Analysis, subject: IpAddr, field: &str) -> Vec<(String, u8)> {
    sorted(&a.store.claims)
        .into_iter()
        .filter(|(k, _)| {
            k.field == field && k.subject == otscope::inventory::observation::Subject::Ip(subject)
        })
        .map(|(k, v)| (k.value.clone(), v.confidence))
        .collect()
}

/// Every server of `proto` in the truth is found with that protocol on the truth's port.
fn assert_servers(a: &Analysis, t: &Value, proto: &str, stem: &str) {
    let svc = services(a);
    let eps = &t["protocols"]["it"][proto]["server_endpoints"];
    let eps = eps.as_object().expect("server_endpoints");
    assert!(!eps.is_empty(), "{stem}: truth has no {proto} server");
    for (server, ports) in eps {
        for p in strs(ports) {
            let port: u16 = p.trim_end_matches("/tcp").parse().expect("port");
            assert!(
                svc.contains(&(server.parse().expect("ip"), port, proto)),
                "{stem}: {proto} on {server}:{port} not detected; found {svc:?}"
            );
        }
    }
}

// ------------------------------------------------------------------------------------ FTP

#[test]
fn ftp_logins_banners_and_data_channels_match_truth() {
    for stem in [
        "zeek__ftp-ipv4",
        "zeek__ftp-ipv6",
        "zeek__ftp-password-pass-command",
    ] {
        let a = run(&format!("captures/public/it-ftp/{stem}.pcap"));
        let t = truth(stem);
        let ftp = &t["protocols"]["it"]["ftp"];
        assert_servers(&a, &t, "ftp", stem);
        let login = |s: IpAddr| {
            let mut v = auth(&a, s, "ftp-user-pass");
            v.extend(auth(&a, s, "ftp-anonymous"));
            v
        };
        for s in strs(&ftp["pass_sent_to"]) {
            let l = login(s.parse().unwrap());
            assert!(!l.is_empty(), "{stem}: no FTP login on {s}");
            assert!(l.iter().all(|x| x.cleartext && !x.secrets.is_empty()));
        }
        for (s, user) in pairs(&ftp["users"]) {
            let l = login(s.parse().unwrap());
            assert!(
                l.iter().any(|x| x.users.contains(&user)),
                "{stem}: user {user} not seen on {s}"
            );
            let mech = if user == "anonymous" || user == "ftp" {
                "ftp-anonymous"
            } else {
                "ftp-user-pass"
            };
            assert!(
                !auth(&a, s.parse().unwrap(), mech).is_empty(),
                "{stem}: {mech}"
            );
        }
        for s in strs(&ftp["login_success_servers"]) {
            assert!(login(s.parse().unwrap()).iter().any(|x| x.successes > 0));
        }
        for s in strs(&ftp["login_failed_servers"]) {
            let l = login(s.parse().unwrap());
            assert!(l.iter().any(|x| x.failures > 0), "{stem}: failure on {s}");
            assert!(l.iter().all(|x| x.successes == 0));
        }
        // The 220 greeting is the banner, claimed on the server.
        for s in strs(&ftp["servers"]) {
            let s: IpAddr = s.parse().unwrap();
            assert_eq!(facts(&a, s, "ftp.banner").len(), 1, "{stem}");
            assert_eq!(claims(&a, s, "ftp.banner").len(), 1, "{stem}");
        }
        // Every other TCP conversation of these captures is an announced data channel.
        let cmds = &ftp["commands"];
        let announced = ["PASV", "EPSV", "PORT", "EPRT"]
            .iter()
            .map(|c| cmds[c].as_u64().unwrap_or(0))
            .sum::<u64>();
        let data: Vec<_> = a
            .convs
            .map
            .keys()
            .filter(|k| k.transport == Transport::Tcp && k.port != 21)
            .collect();
        assert!(
            data.iter().all(|k| k.proto == "ftp-data"),
            "{stem}: {data:?}"
        );
        assert!(data.len() as u64 <= announced, "{stem}");
        if announced > 0 {
            assert!(!data.is_empty(), "{stem}: no ftp-data channel recognised");
        }
    }
}

#[test]
fn ftp_syst_and_operations() {
    let a = run("captures/public/it-ftp/zeek__ftp-ipv4.pcap");
    let s: IpAddr = "199.233.217.249".parse().unwrap();
    assert_eq!(
        facts(&a, s, "ftp.syst"),
        vec!["UNIX Type: L8 Version: NetBSD-ftpd 20100320"]
    );
    let t = truth("zeek__ftp-ipv4");
    let retr = t["protocols"]["it"]["ftp"]["commands"]["RETR"]
        .as_u64()
        .unwrap();
    let reads: u64 = sorted(&a.store.ops)
        .into_iter()
        .filter(|(k, _)| k.svc.server == s && k.op == otscope::inventory::observation::Op::Read)
        .map(|(_, v)| v.evidence.count)
        .sum();
    assert_eq!(reads, retr);
}

// ----------------------------------------------------------------------------------- HTTP

#[test]
fn http_auth_and_server_headers_match_truth() {
    for (path, stem) in [
        (
            "captures/public/it-http",
            "zeek__http-basic-auth-with-colon",
        ),
        ("captures/public/it-http", "suricata__http-auth-bearer"),
        ("captures/public/link", "zeek__http-vlan-0"),
        ("captures/public/link", "zeek__http-qinq-0"),
        ("captures/public/modbus", "zeek__modbus-and-non-modbus-p502"),
    ] {
        let a = run(&format!("{path}/{stem}.pcap"));
        let t = truth(stem);
        let http = &t["protocols"]["it"]["http"];
        assert_servers(&a, &t, "http", stem);
        for (ep, user) in pairs(&http["basic_auth_users"]) {
            let (s, _) = endpoint(&ep);
            let b = auth(&a, s, "http-basic");
            assert!(
                b.iter().any(|x| x.users.contains(&user) && x.cleartext),
                "{stem}: basic user {user}"
            );
        }
        for (ep, scheme) in pairs(&http["auth_schemes"]) {
            let (s, _) = endpoint(&ep);
            let mech = format!("http-{}", scheme.to_ascii_lowercase());
            assert!(!auth(&a, s, &mech).is_empty(), "{stem}: {mech} on {s}");
        }
        for (ep, server) in pairs(&http["server_headers"]) {
            let (s, _) = endpoint(&ep);
            assert_eq!(facts(&a, s, "http.server"), vec![server.clone()], "{stem}");
            assert_eq!(claims(&a, s, "http.server"), vec![(server, 60)], "{stem}");
        }
    }
}

#[test]
fn http_basic_password_keeps_its_colons() {
    let a = run("captures/public/it-http/zeek__http-basic-auth-with-colon.pcap");
    let s: IpAddr = "172.24.133.205".parse().unwrap();
    let b = auth(&a, s, "http-basic");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].secrets.iter().collect::<Vec<_>>(), vec!["1:34"]);
    assert_eq!(b[0].successes, 1, "the paired response is 200");
    assert_eq!(facts(&a, s, "http.title"), vec!["Directory listing for /"]);
}

// ------------------------------------------------------------------------------------ SSH

#[test]
fn ssh_banners_match_truth_including_port_80() {
    for stem in ["zeek__ssh-on-port-80", "zeek__ssh-single-conn"] {
        let a = run(&format!("captures/public/it-ssh/{stem}.pcap"));
        let t = truth(stem);
        assert_servers(&a, &t, "ssh", stem);
        let ssh = &t["protocols"]["it"]["ssh"];
        let servers: Vec<IpAddr> = strs(&ssh["servers"])
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for (host, banner) in pairs(&ssh["banners"]) {
            let h: IpAddr = host.parse().unwrap();
            assert_eq!(facts(&a, h, "ssh.banner"), vec![banner.clone()], "{stem}");
            if servers.contains(&h) {
                assert_eq!(claims(&a, h, "ssh.banner"), vec![(banner, 70)], "{stem}");
            }
        }
        // Nothing on port 80 is called HTTP, and no login factor is invented.
        assert!(services(&a).iter().all(|s| s.2 == "ssh"), "{stem}");
        assert!(a.store.auths.is_empty(), "{stem}");
    }
}

// --------------------------------------------------------------------------------- Telnet

#[test]
fn telnet_login_prompt_and_credentials() {
    let stem = "suricata__telnet-01";
    let a = run(&format!("captures/public/it-telnet/{stem}.pcap"));
    let t = truth(stem);
    assert_servers(&a, &t, "telnet", stem);
    for (host, _port) in pairs(&t["protocols"]["it"]["telnet"]["login_or_password_prompt_from"]) {
        let s: IpAddr = host.parse().unwrap();
        let l = auth(&a, s, "telnet-login");
        assert_eq!(l.len(), 1, "{stem}");
        assert!(l[0].offered >= 1 && l[0].cleartext);
        // The session logs in (`Last login`, then a `$ ` prompt) as user "fake".
        assert_eq!(l[0].successes, 1);
        assert!(l[0].users.contains("fake"));
        assert_eq!(l[0].secrets.len(), 1);
        assert_eq!(
            facts(&a, s, "telnet.banner"),
            vec!["OpenBSD/i386 (oof) (ttyp2)"]
        );
    }
}

// ------------------------------------------------------------------------------------ TLS

#[test]
fn tls_certificate_and_tls13_from_generated_capture() {
    let a = run("tests/data/tls/openssl-tls12-tls13.pcap");
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    let svc = services(&a);
    assert!(svc.contains(&(lo, 8443, "tls")), "{svc:?}");
    assert!(
        svc.contains(&(lo, 9443, "tls")),
        "TLS found off the TLS ports: {svc:?}"
    );
    let f = |k| facts(&a, lo, k);
    assert_eq!(
        f("tls.sni"),
        vec!["plc-01.plant.example", "router.teamviewer.com"]
    );
    assert_eq!(f("tls.version"), vec!["TLS 1.2", "TLS 1.3"]);
    assert_eq!(
        f("tls.cert_subject"),
        vec!["CN=plc-01.plant.example, O=ACME Automation"]
    );
    assert_eq!(f("tls.cert_self_signed"), vec!["true"]);
    assert_eq!(f("tls.cert_expired"), vec!["true"]);
    assert_eq!(f("tls.cert_hidden"), vec!["true"]);
    assert_eq!(
        f("tls.cert_sha1"),
        vec!["56:DF:A8:53:F1:69:E1:56:AE:CD:E1:F8:91:7D:69:D7:F5:40:90:BE"]
    );
    assert_eq!(f("remote_access.tool"), vec!["TeamViewer"]);
    assert_eq!(
        claims(&a, lo, "hostname"),
        vec![("plc-01.plant.example".to_string(), 50)]
    );
    assert!(a.store.anomalies.is_empty());
}

#[test]
fn tls_and_http_on_port_502_are_not_modbus() {
    let stem = "zeek__modbus-and-non-modbus-p502";
    let a = run(&format!("captures/public/modbus/{stem}.pcap"));
    let t = truth(stem);
    assert_servers(&a, &t, "tls", stem);
    assert_servers(&a, &t, "http", stem);
    for c in strs(&t["protocols"]["it"]["tls"]["clients"]) {
        assert_eq!(
            facts(&a, c.parse().unwrap(), "tls.client_versions").len(),
            1
        );
    }
}

// ----------------------------------------------------------------------------------- TFTP

#[test]
fn tftp_requests_have_no_authentication() {
    let a = run("tests/data/tftp/requests.pcap");
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(services(&a).contains(&(lo, 69, "tftp")));
    assert_eq!(
        facts(&a, lo, "tftp.file"),
        vec!["../../etc/passwd", "firmware.bin", "startup-config"]
    );
    let none = auth(&a, lo, "none");
    assert_eq!(none.iter().map(|x| x.attempts).sum::<u64>(), 3);
    let ops: BTreeSet<&str> = sorted(&a.store.ops)
        .into_iter()
        .map(|(k, _)| k.op.name())
        .collect();
    assert_eq!(ops, ["read", "write"].into_iter().collect());
}

// ------------------------------------------------------------------------- whole corpus

fn captures_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            captures_under(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "gz")
        {
            out.push(p);
        }
    }
}

/// Every capture: what these dissectors detect is a protocol tshark saw in it (no false
/// detection on the ICS captures), and every protocol of ours tshark saw is detected.
#[test]
fn no_false_detections_and_full_recall_over_the_corpus() {
    let mut files = Vec::new();
    captures_under(&root().join("captures"), &mut files);
    assert!(files.len() > 50, "corpus present");
    for f in files {
        let stem = f
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('.').next())
            .unwrap_or("")
            .to_string();
        let truth_path = root()
            .join("captures/public/truth")
            .join(format!("{stem}.json"));
        let a = analyze(std::slice::from_ref(&f), &Limits::default(), 1, None);
        let found: BTreeSet<&str> = a
            .convs
            .map
            .keys()
            .map(|k| {
                if k.proto == "ftp-data" {
                    "ftp"
                } else {
                    k.proto
                }
            })
            .filter(|p| MINE.contains(p))
            .collect();
        let expected: BTreeSet<String> = if truth_path.exists() {
            let t: Value =
                serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
            let mut e: BTreeSet<String> = t["protocols"]["it"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            if let Some(l) = t["leaf_protocols"].as_object() {
                e.extend(l.keys().cloned());
            }
            e.into_iter()
                .filter(|p| MINE.contains(&p.as_str()))
                .collect()
        } else if f.starts_with(root().join("captures/generated")) {
            // Generated ICS captures (captures/generated): none of these protocols.
            BTreeSet::new()
        } else {
            // Plant scenarios (captures/demo) carry their own truth.json.
            continue;
        };
        for p in &found {
            assert!(
                expected.contains(*p),
                "{}: {p} detected but tshark saw none",
                f.display()
            );
        }
        for p in &expected {
            // tshark calls the port-443 stream of this capture TLS by port alone: its bytes
            // are no TLS record (it starts 00 00 00 1e 00 80 ...), so we do not.
            if stem == "iti__EIP-IPAddressChangeAttempt" && p == "tls" {
                assert!(!found.contains("tls"));
                continue;
            }
            assert!(
                found.contains(p.as_str()),
                "{}: tshark saw {p}, not detected",
                f.display()
            );
        }
        // Nothing these dissectors consider malformed in the IT captures' valid traffic.
        if f.to_string_lossy().contains("/it-") {
            let an: Vec<_> = a
                .store
                .anomalies
                .keys()
                .filter(|k| MINE.contains(&k.proto))
                .map(|k| k.kind)
                .collect();
            assert!(an.is_empty(), "{}: {an:?}", f.display());
        }
    }
}
