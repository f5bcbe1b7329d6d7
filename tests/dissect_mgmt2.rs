//! Management-plane dissectors (SNMP, VNC, RDP, remote-access tools) over the shipped
//! captures, checked against the tshark truth in `captures/public/truth/<stem>.json`.

use otscope::analysis::{Analysis, analyze};
use otscope::config::Limits;
use otscope::inventory::observation::{Subject, sorted};
use serde_json::Value;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn run(rel: &str) -> Analysis {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    assert!(p.exists(), "missing capture {rel}");
    analyze(&[p], &Limits::default(), 1, None)
}

fn truth(rel: &str) -> Value {
    let stem = Path::new(rel).file_stem().unwrap().to_str().unwrap();
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures/public/truth")
        .join(format!("{stem}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The auth entry for (server, mechanism), summed over clients and ports.
#[derive(Debug, Default)]
struct Auth {
    attempts: u64,
    successes: u64,
    failures: u64,
    offered: u64,
    cleartext: bool,
    users: Vec<String>,
    secrets: Vec<String>,
}

fn auth(a: &Analysis, server: IpAddr, mechanism: &str) -> Option<Auth> {
    let mut out: Option<Auth> = None;
    for (k, v) in sorted(&a.store.auths) {
        if k.svc.server == server && k.mechanism == mechanism {
            let o = out.get_or_insert_with(Auth::default);
            o.attempts += v.attempts;
            o.successes += v.successes;
            o.failures += v.failures;
            o.offered += v.offered;
            o.cleartext |= v.cleartext;
            o.users.extend(v.users.iter().cloned());
            o.secrets.extend(v.secrets.iter().cloned());
        }
    }
    out
}

fn facts(a: &Analysis, subject: IpAddr, key: &str) -> Vec<String> {
    let mut v: Vec<String> = sorted(&a.store.facts)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(subject) && k.key == key)
        .map(|(k, _)| k.value.clone())
        .collect();
    v.dedup();
    v
}

fn claims(a: &Analysis, subject: IpAddr, field: &str) -> Vec<String> {
    let mut v: Vec<String> = sorted(&a.store.claims)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(subject) && k.field == field)
        .map(|(k, _)| k.value.clone())
        .collect();
    v.dedup();
    v
}

/// Servers (IP) the dissectors detected `proto` on.
fn servers(a: &Analysis, proto: &str) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = a
        .convs
        .map
        .keys()
        .filter(|k| k.proto == proto)
        .map(|k| k.server)
        .collect();
    v.sort();
    v.dedup();
    v
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

fn it(t: &Value, proto: &str) -> Value {
    t["protocols"]["it"][proto].clone()
}

/// Truth servers of a protocol and the detected ones must be the same.
fn assert_servers(a: &Analysis, t: &Value, proto: &str, rel: &str) {
    let mut want: Vec<IpAddr> = strs(&it(t, proto)["servers"])
        .iter()
        .map(|s| ip(s))
        .collect();
    want.sort();
    assert!(!want.is_empty(), "{rel}: truth lists no {proto} server");
    assert_eq!(servers(a, proto), want, "{rel}: {proto} servers");
}

const SNMP_CAPTURES: &[&str] = &[
    "captures/public/it-snmp/suricata__SNMPv2c_get_requests.pcap",
    "captures/public/it-snmp/zeek__snmpv1_get.pcap",
    "captures/public/it-snmp/zeek__snmpv1_trap.pcap",
    "captures/public/it-snmp/zeek__snmpv3_get_next.pcap",
    "captures/public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap",
];

#[test]
fn snmp_communities_versions_and_users_match_truth() {
    for rel in SNMP_CAPTURES {
        let a = run(rel);
        let t = truth(rel);
        let snmp = it(&t, "snmp");
        assert_servers(&a, &t, "snmp", rel);
        let truth_servers: Vec<IpAddr> = strs(&snmp["servers"]).iter().map(|s| ip(s)).collect();
        // Which host is the agent: for traps (udp/162) the sender, i.e. the client.
        let trap = snmp["server_endpoints"]
            .as_object()
            .unwrap()
            .values()
            .any(|e| strs(e).contains(&"162/udp".to_string()));
        let agents: Vec<IpAddr> = if trap {
            strs(&snmp["clients"]).iter().map(|s| ip(s)).collect()
        } else {
            truth_servers.clone()
        };
        // Versions: a `snmp.version` fact on the agent for each version tshark saw.
        let want_versions: Vec<String> = snmp["versions"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for v in &want_versions {
            assert!(
                agents
                    .iter()
                    .any(|&h| facts(&a, h, "snmp.version").contains(v)),
                "{rel}: snmp.version {v} on {agents:?}"
            );
        }
        // Communities: an snmp-community auth event with the community as secret, on the
        // servers tshark names, cleartext.
        for c in strs(&snmp["communities"]) {
            let found: Vec<IpAddr> = truth_servers
                .iter()
                .copied()
                .filter(|&s| {
                    auth(&a, s, "snmp-community")
                        .is_some_and(|x| x.cleartext && x.secrets.contains(&c))
                })
                .collect();
            assert_eq!(
                found, truth_servers,
                "{rel}: community {c:?} as snmp-community secret"
            );
        }
        // SNMPv3 users: a USM auth event (noAuthNoPriv here) with the user.
        for u in strs(&snmp["v3_users"]) {
            let flags = strs(&snmp["v3_flags"]);
            let mech = if flags.iter().all(|f| f.starts_with("auth=0")) {
                "snmpv3-noauth"
            } else {
                "snmpv3-usm"
            };
            let x = truth_servers
                .iter()
                .find_map(|&s| auth(&a, s, mech))
                .unwrap_or_else(|| panic!("{rel}: no {mech} event"));
            assert!(x.users.contains(&u), "{rel}: v3 user {u} in {:?}", x.users);
            assert!(!x.cleartext);
            let level = if mech == "snmpv3-noauth" {
                "noAuthNoPriv"
            } else {
                "authNoPriv"
            };
            assert!(
                truth_servers
                    .iter()
                    .any(|&s| facts(&a, s, "snmp.v3_flags").contains(&level.to_string())),
                "{rel}: v3_flags {level}"
            );
        }
    }
}

#[test]
fn snmp_identity_claims_and_operations() {
    // Values checked with tshark (frames 2 and 4 of zeek__snmpv1_get.pcap).
    let a = run("captures/public/it-snmp/zeek__snmpv1_get.pcap");
    let agent = ip("172.31.19.73");
    assert_eq!(claims(&a, agent, "snmp.sysName"), ["B6300"]);
    assert_eq!(claims(&a, agent, "hostname"), ["B6300"]);
    assert_eq!(claims(&a, agent, "snmp.sysLocation"), ["Chandra's cube"]);
    assert_eq!(
        claims(&a, agent, "snmp.sysObjectID"),
        ["1.3.6.1.4.1.2001.1.1.1.297.93.1.27.2.2.1"]
    );
    // 2001 = Oki Data in the IANA enterprise registry.
    assert_eq!(claims(&a, agent, "vendor"), ["Oki Data"]);
    // Five SetRequests answered with noError: the community can write.
    assert!(facts(&a, agent, "snmp.community_access").contains(&"rw".to_string()));
    let ops: Vec<_> = sorted(&a.store.ops)
        .into_iter()
        .filter(|(k, _)| k.svc.server == agent)
        .map(|(k, v)| (k.op.name(), v.evidence.count))
        .collect();
    // tshark: 25 get-request and 5 set-request frames.
    assert_eq!(ops, [("read", 25), ("write", 5)]);
    // Two requests were never answered (frames 53, 54).
    let x = auth(&a, agent, "snmp-community").unwrap();
    assert_eq!(x.attempts, 2);
    assert!(x.successes > 0);
    // v3: engine ID and its enterprise (8072 net-snmp) on the agent.
    let a = run("captures/public/it-snmp/zeek__snmpv3_get_next.pcap");
    let lo = ip("127.0.0.1");
    assert_eq!(
        facts(&a, lo, "snmp.engine_id"),
        ["80001f8880a9498e5e3a2c3043"]
    );
    assert_eq!(facts(&a, lo, "snmp.engine_enterprise"), ["8072"]);
    // v1 trap: the agent (sender) is described, the op is a trap.
    let a = run("captures/public/it-snmp/zeek__snmpv1_trap.pcap");
    assert_eq!(
        facts(&a, lo, "snmp.trap_enterprise"),
        ["1.3.6.1.4.1.31337.0"]
    );
    assert!(
        sorted(&a.store.ops)
            .iter()
            .any(|(k, v)| k.op.name() == "other" && v.details.contains("trap"))
    );
}

const VNC_CAPTURES: &[&str] = &[
    "captures/public/it-vnc/suricata__vnc-openwall-3.7.pcap",
    "captures/public/it-vnc/zeek__vncmac.pcap",
];

fn vnc_mechanism(tshark_name: &str) -> &'static str {
    match tshark_name {
        "VNC Authentication" => "vnc-password",
        "None" => "vnc-none",
        _ => "vnc-other",
    }
}

#[test]
fn vnc_security_types_and_results_match_truth() {
    for rel in VNC_CAPTURES {
        let a = run(rel);
        let t = truth(rel);
        let vnc = it(&t, "vnc");
        assert_servers(&a, &t, "vnc", rel);
        let server = ip(&strs(&vnc["servers"])[0]);
        let client = ip(&strs(&vnc["clients"])[0]);
        assert_eq!(
            facts(&a, server, "vnc.version"),
            strs(&vnc["server_versions"]),
            "{rel}"
        );
        assert_eq!(
            facts(&a, client, "vnc.version"),
            strs(&vnc["client_versions"]),
            "{rel}"
        );
        // Offered types: as many as tshark lists, the well-known ones by name.
        let offered = facts(&a, server, "vnc.security_types");
        let want_offered = strs(&vnc["security_types_offered"]);
        assert_eq!(offered.len(), want_offered.len(), "{rel}: {offered:?}");
        for name in &want_offered {
            if matches!(name.as_str(), "None" | "VNC Authentication" | "TLS") {
                assert!(
                    offered.iter().any(|o| o.starts_with(&format!("{name} ("))),
                    "{rel}: {name}"
                );
            }
        }
        for sel in strs(&vnc["security_types_selected"]) {
            let mech = vnc_mechanism(&sel);
            let x = auth(&a, server, mech).unwrap_or_else(|| panic!("{rel}: no {mech}"));
            let results = strs(&vnc["auth_results"]);
            assert_eq!(
                x.successes > 0,
                results.contains(&"ok".to_string()),
                "{rel}: ok"
            );
            assert_eq!(
                x.failures > 0,
                results.contains(&"failed".to_string()),
                "{rel}: failed"
            );
            assert!(!x.cleartext && x.secrets.is_empty());
        }
    }
    // openwall: the server offers VNC Authentication (Offered), ServerInit names the desktop.
    let a = run(VNC_CAPTURES[0]);
    let srv = ip("192.168.1.103");
    assert_eq!(auth(&a, srv, "vnc-password").unwrap().offered, 1);
    assert_eq!(
        claims(&a, srv, "vnc.desktop_name"),
        ["aneagles@localhost.localdomain"]
    );
    assert_eq!(facts(&a, srv, "vnc.framebuffer"), ["1280x800"]);
    // vncmac: Apple's binary name field still yields the name.
    let a = run(VNC_CAPTURES[1]);
    assert_eq!(
        claims(&a, ip("192.168.2.16"), "vnc.desktop_name"),
        ["MacMini SSD"]
    );
}

const RDP_CAPTURES: &[&str] = &[
    "captures/public/it-rdp/zeek__rdp-proprietary-encryption.pcap",
    "captures/public/it-rdp/zeek__rdp-to-ssl.pcap",
];

#[test]
fn rdp_negotiation_matches_truth() {
    for rel in RDP_CAPTURES {
        let a = run(rel);
        let t = truth(rel);
        let rdp = it(&t, "rdp");
        assert_servers(&a, &t, "rdp", rel);
        let server = ip(&strs(&rdp["servers"])[0]);
        let client = ip(&strs(&rdp["clients"])[0]);
        let users: Vec<String> = strs(&rdp["cookies"])
            .iter()
            .map(|c| c.trim_start_matches("Cookie: mstshash=").to_string())
            .collect();
        assert_eq!(facts(&a, client, "rdp.cookie_user"), users, "{rel}");
        let mut req: Vec<String> = strs(&rdp["requested_protocols"])
            .iter()
            .map(|p| match p.as_str() {
                "Standard RDP Security" => "rdp",
                "TLS" => "rdp,ssl",
                "TLS+CredSSP (NLA)" => "rdp,ssl,hybrid",
                other => panic!("unmapped {other}"),
            })
            .map(String::from)
            .collect();
        req.sort();
        assert_eq!(facts(&a, client, "rdp.requested_protocols"), req, "{rel}");
        for sel in strs(&rdp["selected_protocol"]) {
            let (name, mech) = match sel.as_str() {
                "Standard RDP Security" => ("standard", "rdp-standard"),
                "TLS" => ("ssl", "rdp-tls"),
                "CredSSP (NLA)" => ("hybrid", "rdp-nla"),
                other => panic!("unmapped {other}"),
            };
            assert_eq!(facts(&a, server, "rdp.selected_protocol"), [name], "{rel}");
            let x = auth(&a, server, mech).unwrap_or_else(|| panic!("{rel}: no {mech}"));
            assert!(x.attempts > 0 && x.successes == 0 && x.failures == 0);
            assert_eq!(x.users, users, "{rel}");
            assert!(!x.cleartext);
        }
        for code in strs(&rdp["negotiation_failures"]) {
            let n = u32::from_str_radix(code.trim_start_matches("0x"), 16).unwrap();
            let want = match n {
                2 => "ssl_not_allowed_by_server",
                other => panic!("unmapped failure {other}"),
            };
            assert_eq!(
                facts(&a, server, "rdp.negotiation_failure"),
                [want],
                "{rel}"
            );
        }
    }
    // Standard security: client core data and server security data (values checked with
    // tshark, frames 14 and 15).
    let a = run(RDP_CAPTURES[0]);
    let (srv, cli) = (ip("10.226.24.52"), ip("172.21.128.16"));
    assert_eq!(facts(&a, cli, "rdp.client_name"), ["FROG-POND"]);
    assert_eq!(claims(&a, cli, "hostname"), ["FROG-POND"]);
    assert_eq!(facts(&a, cli, "rdp.client_build"), ["6000"]);
    assert_eq!(facts(&a, cli, "rdp.desktop_size"), ["1152x864"]);
    assert_eq!(facts(&a, srv, "rdp.encryption_method"), ["128bit"]);
    assert_eq!(facts(&a, srv, "rdp.encryption_level"), ["high"]);
    // No NLA there: the NLA mechanism is not reported.
    assert!(auth(&a, srv, "rdp-nla").is_none());
    let a = run(RDP_CAPTURES[1]);
    assert!(auth(&a, ip("192.168.1.150"), "rdp-standard").is_none());
}

/// Every capture under captures/: none of these protocols is claimed where tshark saw none of
/// them, and no auth event of theirs appears there.
#[test]
fn no_false_detections_on_any_capture() {
    let ours = ["snmp", "vnc", "rdp", "teamviewer"];
    let mut files = Vec::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() > 50, "captures found: {}", files.len());
    let mut checked = 0;
    for p in files {
        let rel = p
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let stem = p.file_stem().unwrap().to_str().unwrap();
        let public_truth = root.join("public/truth").join(format!("{stem}.json"));
        let gen_truth = p.with_extension("truth.json");
        let seen: Vec<String> = if public_truth.exists() {
            let t: Value =
                serde_json::from_str(&std::fs::read_to_string(&public_truth).unwrap()).unwrap();
            t["protocols"]["it"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        } else if gen_truth.exists() {
            Vec::new() // generated captures: ICS stacks only
        } else {
            continue;
        };
        let a = analyze(std::slice::from_ref(&p), &Limits::default(), 1, None);
        for proto in ours {
            if seen.iter().any(|s| s == proto) {
                continue;
            }
            let s = servers(&a, proto);
            assert!(
                s.is_empty(),
                "{rel}: {proto} claimed on {s:?} but tshark saw none"
            );
            let auths: Vec<_> = sorted(&a.store.auths)
                .into_iter()
                .filter(|(k, _)| k.svc.proto == proto)
                .map(|(k, _)| k.mechanism)
                .collect();
            assert!(auths.is_empty(), "{rel}: {proto} auth events {auths:?}");
        }
        checked += 1;
    }
    assert!(checked > 50, "captures checked: {checked}");
}

#[allow(dead_code)]
fn dump(a: &Analysis) {
    for (k, v) in sorted(&a.store.claims) {
        println!(
            "claim {:?} {} = {:?} ({}, {})",
            k.subject, k.field, k.value, k.source, v.confidence
        );
    }
    for (k, v) in sorted(&a.store.facts) {
        println!(
            "fact {:?} {}/{} {} = {:?} x{}",
            k.subject, k.proto, k.port, k.key, k.value, v.count
        );
    }
    for (k, v) in sorted(&a.store.auths) {
        println!(
            "auth {}:{}/{} client {} {} att={} ok={} fail={} off={} clear={} users={:?} secrets={:?}",
            k.svc.server,
            k.svc.port,
            k.svc.proto,
            k.client,
            k.mechanism,
            v.attempts,
            v.successes,
            v.failures,
            v.offered,
            v.cleartext,
            v.users,
            v.secrets
        );
    }
    for (k, v) in sorted(&a.store.ops) {
        println!(
            "op {}:{}/{} {} {:?} {:?} x{}",
            k.svc.server, k.svc.port, k.svc.proto, k.client, k.op, v.details, v.evidence.count
        );
    }
    for (k, v) in sorted(&a.store.anomalies) {
        println!(
            "anomaly {} {} {:?}:{} x{}",
            k.proto, k.kind, k.server, k.port, v.count
        );
    }
    for (k, v) in &a.convs.map {
        println!(
            "conv {} -> {}:{}/{:?} {} flows={}",
            k.client, k.server, k.port, k.transport, k.proto, v.flows
        );
    }
}

/// `DUMP=a.pcap,b.pcap cargo test --test dissect_mgmt2 dump -- --nocapture` prints what the
/// dissectors observed (a debugging aid; asserts nothing).
#[test]
fn dump_observations_on_request() {
    for c in std::env::var("DUMP")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
    {
        println!("==== {c}");
        dump(&run(c));
    }
}
