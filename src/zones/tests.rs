use super::config::ZonesConfig;
use super::*;

const PLANT: &str = r#"
[policy]
model = "purdue"
[[zone]]
name = "enterprise"
level = 4
cidrs = ["10.20.0.0/16"]
[[zone]]
name = "dmz"
level = 3.5
cidrs = ["172.16.30.128/25"]
[[zone]]
name = "ops"
level = 3
cidrs = ["172.16.30.0/25"]
[[zone]]
name = "control"
level = 2
cidrs = ["192.168.10.0/24"]
vlans = [10]
[[zone]]
name = "cell"
level = 1
cidrs = ["192.168.20.0/24"]
vlans = [20]
[[zone]]
name = "cell2"
level = 1
cidrs = ["192.168.21.0/24"]
[[zone]]
name = "field"
level = 0
cidrs = ["192.168.30.0/24"]
"#;

fn map() -> ZoneMap {
    ZoneMap::new(ZonesConfig::parse("z", PLANT).unwrap())
}

fn p(m: &ZoneMap, ip: &str) -> Placement {
    m.place(ip.parse().unwrap(), &[], &[])
}

fn verdict(m: &ZoneMap, a: &str, b: &str) -> (Verdict, Option<Severity>) {
    let j = judge(
        &m.cfg,
        &p(m, a),
        &p(m, b),
        Transport::Tcp,
        502,
        &BTreeSet::new(),
    );
    (j.verdict, j.severity)
}

#[test]
fn purdue_rule_table() {
    let m = map();
    use Severity::*;
    use Verdict::*;
    let cases = [
        // (initiator, responder, verdict, severity)
        ("192.168.10.1", "192.168.20.1", Allowed, None), // L2 -> L1
        ("192.168.20.1", "192.168.10.1", Allowed, None), // L1 -> L2
        ("192.168.20.1", "192.168.30.1", Allowed, None), // L1 -> L0
        ("172.16.30.1", "192.168.10.1", Allowed, None),  // L3 -> L2
        ("172.16.30.200", "172.16.30.1", Allowed, None), // L3.5 -> L3
        ("10.20.0.1", "172.16.30.200", Allowed, None),   // L4 -> L3.5
        ("8.8.8.8", "10.20.0.1", Allowed, None),         // internet -> L4
        ("10.20.0.1", "8.8.8.8", Allowed, None),         // L4 -> internet
        ("172.16.30.1", "192.168.20.1", Violation, Some(Critical)), // L3 -> L1
        ("10.20.0.1", "192.168.10.1", Violation, Some(High)), // L4 -> L2 skips the DMZ
        ("10.20.0.1", "172.16.30.1", Violation, Some(Medium)), // L4 -> L3 skips L3.5
        ("8.8.8.8", "192.168.20.1", Violation, Some(Critical)), // internet -> L1
        ("8.8.8.8", "172.16.30.200", Violation, Some(High)), // internet -> L3.5
        ("192.168.20.1", "8.8.8.8", Violation, Some(Critical)), // PLC to the internet
        ("192.168.20.1", "192.168.21.1", Violation, Some(Medium)), // cell to cell (same level)
        ("192.168.10.1", "192.168.30.1", Violation, Some(High)), // L2 -> L0
    ];
    for (a, b, v, s) in cases {
        assert_eq!(verdict(&m, a, b), (v, s), "{a} -> {b}");
    }
    let j = judge(
        &m.cfg,
        &p(&m, "10.20.0.1"),
        &p(&m, "192.168.10.1"),
        Transport::Tcp,
        3389,
        &BTreeSet::new(),
    );
    assert!(j.rule.contains("skips level(s) L3, L3.5"), "{}", j.rule);
    assert!(j.rule.contains("DMZ"));
}

#[test]
fn placement_precedence() {
    let text = r#"
[[zone]]
name = "site"
level = 3
cidrs = ["10.0.0.0/16"]
[[zone]]
name = "line-a"
level = 1
cidrs = ["10.0.5.0/24"]
vlans = [5]
[[zone]]
name = "line-b"
level = 1
cidrs = ["10.0.5.0/24"]
vlans = [6]
[[zone]]
name = "roamer"
level = 2
macs = ["00:00:54:85:20:5a"]
"#;
    let m = ZoneMap::new(ZonesConfig::parse("z", text).unwrap());
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    // most specific block wins over the /16
    assert_eq!(m.place(ip("10.0.5.9"), &[], &[5]).zone, "line-a");
    // same block, VLAN decides
    let pl = m.place(ip("10.0.5.9"), &[], &[6]);
    assert_eq!((pl.zone.as_str(), pl.by), ("line-b", "cidr+vlan"));
    // VLAN unknown (host only seen behind a router): first declared of the two
    assert_eq!(m.place(ip("10.0.5.9"), &[], &[]).zone, "line-a");
    // VLAN matches neither line: the enclosing /16 without a VLAN constraint takes it
    let pl = m.place(ip("10.0.5.9"), &[], &[99]);
    assert_eq!((pl.zone.as_str(), pl.vlan_mismatch), ("site", false));
    // only VLAN-constrained zones hold the address: placed by block, flagged
    let m2 = ZoneMap::new(
        ZonesConfig::parse(
            "z",
            "[[zone]]\nname = \"a\"\ncidrs = [\"10.0.5.0/24\"]\nvlans = [5]\n",
        )
        .unwrap(),
    );
    let pl = m2.place(ip("10.0.5.9"), &[], &[99]);
    assert_eq!((pl.zone.as_str(), pl.vlan_mismatch), ("a", true));
    // outside the /24 but in the /16
    assert_eq!(m.place(ip("10.0.9.9"), &[], &[5]).zone, "site");
    // MAC beats everything
    let mac = config::parse_mac("00:00:54:85:20:5a").unwrap();
    assert_eq!(m.place(ip("10.0.5.9"), &[mac], &[5]).zone, "roamer");
    // nothing: public vs private
    assert_eq!(m.place(ip("203.0.113.5"), &[], &[]).zone, "internet");
    assert_eq!(m.place(ip("192.168.99.1"), &[], &[]).zone, "unzoned");
}

#[test]
fn declared_conduits_are_an_authoritative_allow_list() {
    let text = format!(
        "{PLANT}\n[[conduit]]\nfrom = \"ops\"\nto = \"cell\"\nservices = [\"s7\", \"tcp/502\"]\n\n[[conduit]]\nfrom = \"control\"\nto = \"cell\"\n\n[[conduit]]\nfrom = \"enterprise\"\nto = \"dmz\"\nservices = [\"udp/*\"]\nbidirectional = true\n"
    );
    let m = ZoneMap::new(ZonesConfig::parse("z", &text).unwrap());
    let protos = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let ops = p(&m, "172.16.30.1");
    let cell = p(&m, "192.168.20.1");
    // L3 -> L1 is a Purdue violation, but the declared conduit allows s7comm (alias "s7")
    let j = judge(
        &m.cfg,
        &ops,
        &cell,
        Transport::Tcp,
        102,
        &protos(&["s7comm"]),
    );
    assert_eq!(j.verdict, Verdict::Allowed);
    assert_eq!(j.conduit, Some(0));
    assert_eq!(
        judge(&m.cfg, &ops, &cell, Transport::Tcp, 502, &protos(&[])).verdict,
        Verdict::Allowed
    );
    let j = judge(
        &m.cfg,
        &ops,
        &cell,
        Transport::Tcp,
        44818,
        &protos(&["enip"]),
    );
    assert_eq!(j.verdict, Verdict::Violation);
    assert!(j.rule.contains("does not list tcp/44818"), "{}", j.rule);
    assert_eq!(j.severity, Some(Severity::Critical));
    // no services = any service
    assert_eq!(
        judge(
            &m.cfg,
            &p(&m, "192.168.10.1"),
            &cell,
            Transport::Tcp,
            1234,
            &protos(&[])
        )
        .verdict,
        Verdict::Allowed
    );
    // the reverse direction needs its own conduit...
    let j = judge(
        &m.cfg,
        &cell,
        &p(&m, "192.168.10.1"),
        Transport::Tcp,
        1234,
        &protos(&[]),
    );
    assert_eq!(j.verdict, Verdict::Violation);
    assert!(j.rule.contains("no declared conduit from cell to control"));
    // ...unless bidirectional
    let dmz = p(&m, "172.16.30.200");
    let ent = p(&m, "10.20.0.1");
    assert_eq!(
        judge(&m.cfg, &dmz, &ent, Transport::Udp, 53, &protos(&[])).verdict,
        Verdict::Allowed
    );
    assert_eq!(
        judge(&m.cfg, &dmz, &ent, Transport::Tcp, 53, &protos(&[])).verdict,
        Verdict::Violation
    );
    // even an adjacent-level crossing is a violation when no conduit declares it
    assert_eq!(
        judge(
            &m.cfg,
            &ops,
            &p(&m, "192.168.10.1"),
            Transport::Tcp,
            4840,
            &protos(&["opcua"])
        )
        .verdict,
        Verdict::Violation
    );
}

#[test]
fn model_none_and_unleveled_zones() {
    let m = ZoneMap::new(ZonesConfig::parse("z", "[policy]\nmodel = \"none\"\n[[zone]]\nname = \"a\"\nlevel = 1\ncidrs = [\"10.0.1.0/24\"]\n[[zone]]\nname = \"b\"\nlevel = 2\ncidrs = [\"10.0.2.0/24\"]\n").unwrap());
    assert_eq!(verdict(&m, "10.0.2.1", "10.0.1.1").0, Verdict::Violation);
    let m = ZoneMap::new(ZonesConfig::parse("z", "[[zone]]\nname = \"a\"\ncidrs = [\"10.0.1.0/24\"]\n[[zone]]\nname = \"b\"\nlevel = 2\ncidrs = [\"10.0.2.0/24\"]\n").unwrap());
    assert_eq!(verdict(&m, "10.0.2.1", "10.0.1.1").0, Verdict::Unrated);
    assert_eq!(verdict(&m, "10.0.2.1", "10.0.3.1").0, Verdict::Unzoned);
}
