//! OPC UA dissector against captures: every public OPC UA capture is checked against its
//! tshark truth (`captures/public/truth/<stem>.json`, `protocols.ics.opcua`), the generated
//! asyncua captures against their `.truth.json`, two derived captures (120 garbage bytes on an
//! established connection; a lost segment) for robustness, and every non-OPC UA capture for
//! false positives.

use otscope::analysis::{Analysis, analyze};
use otscope::config::Limits;
use otscope::dissect::opcua::{SPEC, codes};
use otscope::inventory::observation::{AuthAgg, Op, Subject, sorted};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(p: &Path) -> Analysis {
    analyze(&[p.to_path_buf()], &Limits::default(), 1, None)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|_| panic!("bad ip {s}"))
}

fn claims(a: &Analysis, at: IpAddr, field: &str) -> Vec<String> {
    sorted(&a.store.claims)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(at) && k.field == field)
        .map(|(k, _)| k.value.clone())
        .collect()
}

fn facts(a: &Analysis, at: IpAddr, key: &str) -> Vec<String> {
    sorted(&a.store.facts)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(at) && k.key == key)
        .map(|(k, _)| k.value.clone())
        .collect()
}

/// Claims of `field` on `at` made from the message `source`.
fn claims_from(a: &Analysis, at: IpAddr, field: &str, source: &str) -> Vec<String> {
    sorted(&a.store.claims)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(at) && k.field == field && k.source == source)
        .map(|(k, _)| k.value.clone())
        .collect()
}

fn ops(a: &Analysis, op: Op) -> (u64, Vec<&'static str>) {
    let mut n = 0;
    let mut d = Vec::new();
    for (k, v) in sorted(&a.store.ops) {
        if k.op == op && k.svc.proto == "opcua" {
            n += v.evidence.count;
            d.extend(v.details.iter().copied());
        }
    }
    (n, d)
}

fn auth<'a>(a: &'a Analysis, server: IpAddr, mech: &str) -> Option<&'a AuthAgg> {
    a.store
        .auths
        .iter()
        .find(|(k, _)| k.svc.server == server && k.mechanism == mech)
        .map(|(_, v)| v)
}

fn opcua_service(a: &Analysis, server: IpAddr, port: u16) -> bool {
    a.convs
        .map
        .keys()
        .any(|k| k.server == server && k.port == port && k.proto == "opcua")
}

fn str_of(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

fn mechanism(token: &str) -> &'static str {
    match token {
        "AnonymousIdentityToken" | "Anonymous" => "opcua-anonymous",
        "UserNameIdentityToken" | "UserName" => "opcua-username",
        "X509IdentityToken" | "Certificate" => "opcua-x509",
        "IssuedIdentityToken" | "IssuedToken" => "opcua-issued",
        other => panic!("token type {other}"),
    }
}

/// Check one capture against its tshark truth; returns the number of assertions made.
fn check_public(name: &str, a: &Analysis, t: &Value) -> usize {
    let mut n = 0;
    // Servers found with the right protocol, on their (possibly non-standard) ports.
    for (srv, ports) in t["server_endpoints"].as_object().expect("server_endpoints") {
        for p in ports.as_array().unwrap() {
            let port: u16 = p
                .as_str()
                .unwrap()
                .trim_end_matches("/tcp")
                .parse()
                .unwrap();
            assert!(
                opcua_service(a, ip(srv), port),
                "{name}: {srv}:{port} not detected as opcua"
            );
            n += 1;
        }
    }
    let servers: Vec<IpAddr> = t["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| ip(s.as_str().unwrap()))
        .collect();
    for url in t["hello_endpoint_urls"].as_array().into_iter().flatten() {
        let url = url.as_str().unwrap();
        assert!(
            servers
                .iter()
                .any(|s| facts(a, *s, "opcua.endpoint_url").iter().any(|v| v == url)),
            "{name}: HEL endpoint {url}"
        );
        n += 1;
    }
    for pair in t["secure_channel_policies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (srv, pol) = (ip(pair[0].as_str().unwrap()), pair[1].as_str().unwrap());
        assert!(
            facts(a, srv, "opcua.security_policy")
                .iter()
                .any(|v| v == pol),
            "{name}: policy {pol} on {srv}"
        );
        n += 1;
    }
    for pair in t["secure_channel_modes_requested"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (srv, mode) = (ip(pair[0].as_str().unwrap()), pair[1].as_str().unwrap());
        assert!(
            facts(a, srv, "opcua.channel_security_mode")
                .iter()
                .any(|v| v == mode),
            "{name}: mode {mode} on {srv}"
        );
        n += 1;
    }
    // Endpoint descriptions: the server identity lands on the IP that reported it.
    for ep in t["endpoints"].as_array().into_iter().flatten() {
        let by = ip(ep["reported_by"].as_str().unwrap());
        let s = &ep["server"];
        for (field, key) in [
            ("application_uri", "application_uri"),
            ("product_uri", "product_uri"),
            ("name", "application_name"),
        ] {
            if let Some(v) = str_of(&s[key]) {
                assert!(
                    claims(a, by, field).iter().any(|c| c == v),
                    "{name}: {field}={v} on {by}: {:?}",
                    claims(a, by, field)
                );
                n += 1;
            }
        }
        let kind = s["application_type"].as_str().unwrap();
        assert!(
            claims(a, by, "opcua.application_type")
                .iter()
                .any(|c| c == kind)
        );
        let mode = ep["security_mode"].as_str().unwrap();
        let policy = ep["security_policy_uri"].as_str().unwrap();
        let prefix = format!("{mode}|{policy}|");
        let eps = facts(a, by, "opcua.endpoint");
        let found = eps.iter().find(|e| e.starts_with(&prefix));
        assert!(
            found.is_some(),
            "{name}: endpoint {prefix} on {by}: {eps:?}"
        );
        for tok in ep["user_identity_tokens"].as_array().unwrap() {
            let tt = tok["token_type"].as_str().unwrap();
            assert!(found.unwrap().contains(tt), "{name}: {tt} in {found:?}");
            assert!(
                facts(a, by, "opcua.token_offered").contains(&format!("{tt}@{mode}")),
                "{name}: token {tt}@{mode}"
            );
            let tpol = tok["security_policy_uri"].as_str();
            if tt == "UserName"
                && mode == "None"
                && tpol.is_none_or(|p| p.is_empty() || p.ends_with("#None"))
            {
                assert_eq!(
                    facts(a, by, "opcua.username_cleartext_possible"),
                    vec!["true".to_string()]
                );
            }
            let m = mechanism(tt);
            assert!(
                auth(a, by, m).is_some_and(|x| x.offered > 0),
                "{name}: {m} offered by {by}"
            );
            n += 2;
        }
        if policy.ends_with("#Basic128Rsa15") || policy.ends_with("#Basic256") {
            assert!(
                facts(a, by, "opcua.deprecated_policy")
                    .iter()
                    .any(|p| p == policy)
            );
        }
    }
    // Servers a discovery server described: facts on the responder, no identity claim.
    for d in t["discovered_servers"].as_array().into_iter().flatten() {
        let by = ip(d["reported_by"].as_str().unwrap());
        let uri = d["application_uri"].as_str().unwrap();
        assert!(
            facts(a, by, "opcua.discovered_server")
                .iter()
                .any(|f| f.starts_with(&format!("{uri} "))),
            "{name}: discovered {uri} on {by}"
        );
        if d["application_type"] == "Server" {
            assert!(
                !claims_from(a, by, "application_uri", "opcua.find_servers")
                    .contains(&uri.to_string()),
                "{name}: {uri} described by an LDS claimed as the LDS's own identity"
            );
        }
        n += 1;
    }
    // Clients: their application description from CreateSession.
    for cs in t["create_session_requests"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let cli = ip(cs["client"].as_str().unwrap());
        let d = &cs["client_description"];
        for (field, key) in [
            ("application_uri", "application_uri"),
            ("product_uri", "product_uri"),
            ("opcua.client_application_name", "application_name"),
        ] {
            if let Some(v) = str_of(&d[key]) {
                assert!(
                    claims(a, cli, field).iter().any(|c| c == v),
                    "{name}: client {field}={v} on {cli}"
                );
                n += 1;
            }
        }
        if let Some(sn) = str_of(&cs["session_name"]) {
            assert!(facts(a, cli, "opcua.session_name").iter().any(|v| v == sn));
            n += 1;
        }
    }
    // Identity tokens used in ActivateSession.
    for tok in t["activate_session_identity_tokens"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let srv = ip(tok["server"].as_str().unwrap());
        let m = mechanism(tok["identity_token"].as_str().unwrap());
        let x = auth(a, srv, m).unwrap_or_else(|| panic!("{name}: no {m} on {srv}"));
        assert!(x.attempts >= 1, "{name}: {m} attempt");
        if let Some(u) = str_of(&tok["user_name"]) {
            assert!(x.users.contains(u), "{name}: user {u}");
        }
        if tok["password_present"] == true && tok["password_encryption_algorithm"].is_null() {
            assert!(x.cleartext, "{name}: cleartext password");
            assert!(!x.secrets.is_empty());
        }
        n += 1;
    }
    // Operations: every request tshark decoded is counted in its class.
    let mut want: BTreeMap<Op, (u64, Vec<&'static str>)> = BTreeMap::new();
    for (svc, count) in t["services"].as_object().into_iter().flatten() {
        let s = match svc.parse::<u32>() {
            Ok(id) => codes::service(id),
            Err(_) => codes::SERVICES.iter().find(|s| s.name == svc.as_str()),
        };
        let Some(s) = s else {
            panic!("{name}: service {svc} not named in codes.rs")
        };
        if let (codes::Kind::Request, Some((op, detail))) = (s.kind, s.op) {
            let e = want.entry(op).or_default();
            e.0 += count.as_u64().unwrap();
            e.1.push(detail);
        }
    }
    for (op, (count, details)) in want {
        let (got, got_details) = ops(a, op);
        assert!(got >= count, "{name}: {op:?} {got} < {count}");
        for d in details {
            assert!(got_details.contains(&d), "{name}: {op:?} detail {d}");
        }
        n += 1;
    }
    n
}

#[test]
fn public_captures_match_tshark_truth() {
    let dir = root().join("captures/public/truth");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut checked = 0;
    for f in files {
        let t: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let Some(ua) = t["protocols"]["ics"].get("opcua") else {
            continue;
        };
        let cap = t["capture"].as_str().unwrap();
        let path = root().join("captures/public/opcua").join(cap);
        assert!(path.exists(), "{}", path.display());
        let a = run(&path);
        let n = check_public(cap, &a, ua);
        assert!(n >= 5, "{cap}: only {n} checks");
        // Nothing malformed in these captures.
        let anomalies: Vec<_> = a
            .store
            .anomalies
            .keys()
            .filter(|k| k.proto == "opcua")
            .collect();
        assert!(anomalies.is_empty(), "{cap}: {anomalies:?}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} OPC UA truth files");
}

/// The generated asyncua captures: identity strings, endpoints, sessions and operations.
fn generated(name: &str) -> (Analysis, Value) {
    let dir = root().join("captures/generated");
    let t: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.truth.json"))).unwrap(),
    )
    .unwrap();
    (run(&dir.join(format!("{name}.pcap"))), t)
}

fn check_server_identity(name: &str, a: &Analysis, t: &Value, build_info: bool) {
    let srv = ip(t["network"]["server"]["ip"].as_str().unwrap());
    let port = t["network"]["server"]["port"].as_u64().unwrap() as u16;
    assert!(opcua_service(a, srv, port), "{name}: {srv}:{port}");
    let id = &t["server_config"]["identity_strings"];
    let mut fields = vec![
        ("application_uri", "application_uri"),
        ("product_uri", "product_uri"),
        ("name", "application_name"),
    ];
    if build_info {
        fields.extend([
            ("vendor", "manufacturer_name"),
            ("product", "product_name"),
            ("firmware", "software_version"),
            ("opcua.build_number", "build_number"),
        ]);
    }
    for (field, key) in fields {
        let v = id[key].as_str().unwrap();
        assert!(
            claims(a, srv, field).iter().any(|c| c == v),
            "{name}: {field}={v}: {:?}",
            claims(a, srv, field)
        );
    }
    let subject = facts(a, srv, "opcua.cert_subject");
    let cn = id["certificate_common_name"].as_str().unwrap();
    let o = id["certificate_subject_o"].as_str().unwrap();
    assert!(
        subject
            .iter()
            .any(|s| s.contains(&format!("CN={cn}")) && s.contains(&format!("O={o}"))),
        "{name}: {subject:?}"
    );
    assert_eq!(facts(a, srv, "opcua.cert_self_signed"), vec!["true"]);
    assert_eq!(facts(a, srv, "opcua.cert_expired"), vec!["false"]);
    assert_eq!(facts(a, srv, "opcua.cert_sha1").len(), 1);
    let url = t["server_config"]["endpoint_url"].as_str().unwrap();
    assert!(facts(a, srv, "opcua.endpoint_url").iter().any(|u| u == url));
    // Offered endpoints: "None", "Basic256Sha256 Sign", "Basic256Sha256 SignAndEncrypt".
    let eps = facts(a, srv, "opcua.endpoint");
    for p in t["server_config"]["security_policies"].as_array().unwrap() {
        let p = p.as_str().unwrap();
        let (policy, mode) = p.split_once(' ').unwrap_or((p, "None"));
        let prefix = format!("{mode}|{}{policy}|", codes::POLICY_PREFIX);
        assert!(
            eps.iter().any(|e| e.starts_with(&prefix)),
            "{name}: {prefix}: {eps:?}"
        );
        for tok in t["server_config"]["identity_tokens"].as_array().unwrap() {
            let tok = tok.as_str().unwrap();
            assert!(facts(a, srv, "opcua.token_offered").contains(&format!("{tok}@{mode}")));
        }
    }
}

/// Operations named in the truth, by class.
fn op_of(truth_op: &str) -> Vec<Op> {
    let o = truth_op.to_lowercase();
    if o.starts_with("getendpoints") {
        vec![Op::Identify]
    } else if o.starts_with("connect") {
        vec![Op::Connect, Op::Login]
    } else if o.starts_with("read") {
        vec![Op::Read]
    } else if o.starts_with("browse") {
        vec![Op::Browse]
    } else if o.starts_with("write") {
        vec![Op::Write]
    } else if o.starts_with("call") {
        vec![Op::Call]
    } else if o.starts_with("create_subscription") || o.starts_with("delete_subscription") {
        vec![Op::Subscribe]
    } else {
        vec![]
    }
}

#[test]
fn asyncua_plaintext_sessions() {
    let (a, t) = generated("opcua-asyncua-none");
    check_server_identity("none", &a, &t, true);
    let srv = ip(t["network"]["server"]["ip"].as_str().unwrap());
    let cli = ip(t["network"]["client"]["ip"].as_str().unwrap());
    let cs = &t["client_session"];
    let app = cs["client_application_uri"].as_str().unwrap();
    assert!(claims(&a, cli, "application_uri").iter().any(|c| c == app));
    let cname = cs["client_name"].as_str().unwrap();
    assert!(
        claims(&a, cli, "opcua.client_application_name")
            .iter()
            .any(|c| c == cname)
    );
    // Every operation class the client performed is seen.
    for o in cs["operations"].as_array().unwrap() {
        for op in op_of(o["op"].as_str().unwrap()) {
            assert!(ops(&a, op).0 > 0, "{op:?} for {}", o["op"]);
        }
    }
    // Sessions: token types used, outcomes, user names.
    let user = cs["username"].as_str().unwrap();
    let mut want: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for o in cs["operations"].as_array().unwrap() {
        let Some(tok) = o["params"]["token"].as_str() else {
            continue;
        };
        let m = mechanism(tok.split(' ').next().unwrap());
        let e = want.entry(m).or_default();
        if o["result"] == "ok" {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    assert!(!want.is_empty());
    for (m, (ok, failed)) in want {
        let x = auth(&a, srv, m).unwrap_or_else(|| panic!("{m}"));
        assert_eq!(x.successes, ok, "{m} successes");
        assert_eq!(x.failures, failed, "{m} failures");
        assert_eq!(x.attempts, ok + failed, "{m} attempts");
        if m == "opcua-username" {
            assert!(x.users.contains(user));
            // asyncua encrypts the password with the token policy (Basic256Sha256) even on
            // a None channel: it did not cross the wire readable.
            assert!(!x.cleartext && x.secrets.is_empty());
        }
    }
    assert!(
        facts(&a, srv, "opcua.service_fault")
            .iter()
            .any(|f| f.starts_with("BadUserAccessDenied"))
    );
    assert_eq!(facts(&a, srv, "opcua.session_security_mode"), vec!["None"]);
    assert!(a.store.anomalies.keys().all(|k| k.proto != "opcua"));
}

#[test]
fn asyncua_encrypted_channel() {
    let (a, t) = generated("opcua-asyncua-encrypted");
    // Identity comes from the plaintext GetEndpoints; build info was read encrypted.
    check_server_identity("encrypted", &a, &t, false);
    let srv = ip(t["network"]["server"]["ip"].as_str().unwrap());
    let cs = &t["client_session"];
    let sec = cs["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|o| o["params"]["security"].as_str())
        .unwrap();
    let (policy, mode) = sec.split_once(' ').unwrap();
    let uri = format!("{}{policy}", codes::POLICY_PREFIX);
    assert!(facts(&a, srv, "opcua.security_policy").contains(&uri));
    assert!(
        facts(&a, srv, "opcua.channel_security_mode")
            .iter()
            .any(|m| m == mode)
    );
    assert_eq!(facts(&a, srv, "opcua.encrypted_channel"), vec![uri]);
    // What travelled encrypted is not invented: no reads, writes, calls or logins.
    for op in [Op::Read, Op::Write, Op::Call, Op::Login, Op::Browse] {
        assert_eq!(ops(&a, op).0, 0, "{op:?}");
    }
    assert!(
        a.store
            .auths
            .values()
            .all(|x| x.attempts == 0 && x.offered > 0)
    );
    // The client's certificate (sent in the OPN) is described on the client.
    let cli = ip(t["network"]["client"]["ip"].as_str().unwrap());
    assert_eq!(facts(&a, cli, "opcua.cert_subject").len(), 1);
    assert!(a.store.anomalies.keys().all(|k| k.proto != "opcua"));
}

#[test]
fn non_standard_ports_found_by_content() {
    let (a, t) = generated("opcua-asyncua-port48400");
    let port = t["network"]["server"]["port"].as_u64().unwrap() as u16;
    assert!(!SPEC.ports.contains(&port));
    check_server_identity("port48400", &a, &t, true);
    let p = root().join("captures/public/opcua/cisagov__open62541_mainloop-non-standard-port.pcap");
    let a = run(&p);
    assert!(!SPEC.ports.contains(&48010));
    assert!(opcua_service(&a, ip("192.168.224.102"), 48010));
}

#[test]
fn garbage_and_lost_segment() {
    // 120 random bytes injected into an established session after a Read request.
    let a = run(&root().join("tests/data/opcua/opcua-asyncua-garbage.pcap"));
    let n: u64 = a
        .store
        .anomalies
        .iter()
        .filter(|(k, _)| k.proto == "opcua" && k.kind == "garbage_skipped")
        .map(|(_, v)| v.count)
        .sum();
    assert_eq!(n, 1);
    let (reference, _) = generated("opcua-asyncua-none");
    // Nothing after the garbage is lost.
    for op in [Op::Read, Op::Write, Op::Subscribe, Op::Call, Op::Login] {
        assert_eq!(ops(&a, op).0, ops(&reference, op).0, "{op:?}");
    }
    // A segment of a CreateSessionResponse is missing: the dissector resynchronises.
    let a = run(&root().join("tests/data/opcua/opcua-asyncua-gap.pcap"));
    assert!(a.counters.stream.gaps >= 1);
    let srv = ip("10.77.0.10");
    let x = auth(&a, srv, "opcua-anonymous").unwrap();
    assert_eq!((x.attempts, x.successes), (1, 1));
    assert_eq!(ops(&a, Op::Read).0, ops(&reference, Op::Read).0);
    assert!(claims(&a, srv, "vendor").len() == 1);
}

#[test]
fn other_protocols_are_not_opcua() {
    let mut paths = Vec::new();
    for d in ["captures/public", "captures/generated"] {
        let mut stack = vec![root().join(d)];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap().path();
                if e.is_dir() {
                    if !e.ends_with("opcua") && !e.ends_with("truth") {
                        stack.push(e);
                    }
                } else if e
                    .extension()
                    .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "gz")
                    && !e
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("opcua")
                {
                    paths.push(e);
                }
            }
        }
    }
    paths.sort();
    assert!(paths.len() >= 20, "{paths:?}");
    // Two workers: the debug build of the whole pipeline is the cost here.
    let check = |ps: &[PathBuf]| {
        for p in ps {
            let a = run(p);
            let bad: Vec<_> = a.convs.map.keys().filter(|k| k.proto == "opcua").collect();
            assert!(bad.is_empty(), "{}: {bad:?}", p.display());
            assert!(a.store.facts.keys().all(|k| k.proto != "opcua"));
            assert!(a.store.anomalies.keys().all(|k| k.proto != "opcua"));
        }
    };
    let (even, odd): (Vec<_>, Vec<_>) = paths
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let even: Vec<PathBuf> = even.into_iter().map(|(_, p)| p).collect();
    let odd: Vec<PathBuf> = odd.into_iter().map(|(_, p)| p).collect();
    std::thread::scope(|s| {
        let h = s.spawn(|| check(&odd));
        check(&even);
        h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
    });
}
