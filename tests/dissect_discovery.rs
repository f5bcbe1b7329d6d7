//! Discovery and name-service dissectors (LLDP, CDP, PROFINET DCP, DHCP, DNS, mDNS, LLMNR,
//! NetBIOS NS, SSDP) against captures and their truth:
//!
//! * `captures/generated/discovery-scapy.pcap`: frames encoded by scapy (an independent
//!   implementation), truth in `discovery-scapy.truth.json` (configured values and tshark's
//!   decode); every expected identity must be found, and every claim made must be in the truth;
//! * `captures/generated/discovery-malformed.pcap`: each malformed frame's anomaly is counted;
//! * public captures with LLDP, CDP, DHCP, DNS, mDNS and NBNS frames, truth from tshark in
//!   `tests/data/discovery/public_truth.json`;
//! * public captures without these protocols (per their tshark truth): nothing claimed.

use otscope::analysis::{Analysis, analyze};
use otscope::config::Limits;
use otscope::inventory::observation::{Subject, sorted};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;

const GOOD: &str = "captures/generated/discovery-scapy.pcap";
const MALFORMED: &str = "captures/generated/discovery-malformed.pcap";
const PUBLIC_TRUTH: &str = "tests/data/discovery/public_truth.json";
const MY_PROTOS: [&str; 9] = [
    "lldp",
    "cdp",
    "profinet_dcp",
    "dhcp",
    "dns",
    "mdns",
    "llmnr",
    "netbios-ns",
    "ssdp",
];

fn root(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn run(p: &str) -> Analysis {
    analyze(&[root(p)], &Limits::default(), 1, None)
}

fn json(p: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root(p)).unwrap()).unwrap()
}

fn subject(s: &Subject) -> String {
    match s {
        Subject::Ip(ip) => ip.to_string(),
        Subject::Mac(m) => m.to_string(),
    }
}

/// (subject, field, value) of every claim.
fn claims(a: &Analysis) -> BTreeSet<(String, String, String)> {
    sorted(&a.store.claims)
        .into_iter()
        .map(|(k, _)| (subject(&k.subject), k.field.to_string(), k.value.clone()))
        .collect()
}

/// (subject, key, value) of every fact.
fn facts(a: &Analysis) -> BTreeSet<(String, String, String)> {
    sorted(&a.store.facts)
        .into_iter()
        .map(|(k, _)| (subject(&k.subject), k.key.to_string(), k.value.clone()))
        .collect()
}

fn has(set: &BTreeSet<(String, String, String)>, s: &str, f: &str, v: &str) -> bool {
    set.contains(&(s.to_string(), f.to_string(), v.to_string()))
}

#[track_caller]
fn want(set: &BTreeSet<(String, String, String)>, s: &str, f: &str, v: &str, what: &str) {
    assert!(
        has(set, s, f, v),
        "{what}: missing {s} {f} = {v:?}\nhave for {s}: {:#?}",
        set.iter().filter(|x| x.0 == s).collect::<Vec<_>>()
    );
}

/// All string values of tshark field `f` of a truth frame.
fn tf<'a>(frame: &'a Value, f: &str) -> Vec<&'a str> {
    frame
        .get(f)
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn tf1<'a>(frame: &'a Value, f: &str) -> Option<&'a str> {
    tf(frame, f).first().copied()
}

fn conf<'a>(frame: &'a Value, k: &str) -> Option<&'a str> {
    frame["configured"].get(k).and_then(Value::as_str)
}

fn unhex(s: &str) -> String {
    let b: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(b).unwrap()
}

fn private(ip: &str) -> bool {
    match ip.parse::<IpAddr>().unwrap() {
        IpAddr::V4(v) => v.is_private() || v.is_link_local(),
        IpAddr::V6(v) => (v.segments()[0] & 0xFE00) == 0xFC00,
    }
}

/// Protocols of the conversations, by (server, port).
fn conv_protos(a: &Analysis) -> BTreeSet<(String, u16, &'static str)> {
    a.convs
        .map
        .keys()
        .map(|k| (k.server.to_string(), k.port, k.proto))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Generated capture
// ---------------------------------------------------------------------------------------------

#[test]
fn generated_capture_identities_match_the_truth() {
    let a = run(GOOD);
    let truth = json("captures/generated/discovery-scapy.truth.json");
    let frames = truth["frames"].as_array().unwrap();
    assert_eq!(a.counters.frames, frames.len() as u64);
    let c = claims(&a);
    let f = facts(&a);
    // Every value in the truth (tshark's and configured), for the reverse check below.
    let mut known: BTreeSet<String> = BTreeSet::new();

    for fr in frames {
        let t = &fr["tshark"];
        let proto = conf(fr, "proto").unwrap();
        let kind = conf(fr, "kind").unwrap_or("");
        let n = fr["frame"].as_u64().unwrap();
        let what = format!("frame {n} {proto} {kind}");
        for v in fr["configured"].as_object().unwrap().values() {
            known.insert(v.as_str().unwrap_or_default().to_string());
        }
        for (k, vs) in t.as_object().unwrap() {
            for v in vs.as_array().unwrap() {
                let v = v.as_str().unwrap();
                known.insert(v.to_string());
                if k == "lldp.chassis.id" {
                    known.insert(unhex(v));
                }
            }
        }
        let src = tf1(t, "eth.src").unwrap();
        match proto {
            "lldp" => {
                // Subjects: the sending port's MAC, the chassis MAC (ID subtype MAC or the
                // PROFINET chassis MAC TLV), the management / chassis network addresses.
                let mut subjects = vec![src.to_string()];
                for k in [
                    "lldp.chassis.id.mac",
                    "lldp.profinet.cm_mac_add",
                    "lldp.mgn.addr.ip4",
                    "lldp.chassis.id.ip4",
                ] {
                    subjects.extend(tf(t, k).iter().map(|s| s.to_string()));
                }
                for s in &subjects {
                    if let Some(name) = tf1(t, "lldp.tlv.system.name") {
                        want(&c, s, "hostname", name, &what);
                        want(&c, s, "lldp.system_name", name, &what);
                    }
                    if let Some(d) = tf1(t, "lldp.tlv.system.desc") {
                        want(&c, s, "lldp.system_description", d, &what);
                    }
                    if let Some(id) = tf1(t, "lldp.chassis.id") {
                        // Locally assigned chassis ID of a PROFINET device = NameOfStation.
                        let name = unhex(id);
                        want(&c, s, "lldp.chassis_id", &name, &what);
                        assert_eq!(Some(name.as_str()), conf(fr, "name"));
                        want(&c, s, "name", &name, &what);
                    }
                    for (field, claim) in [
                        ("lldp.media.model", "model"),
                        ("lldp.media.sn", "serial"),
                        ("lldp.media.manufacturer", "vendor"),
                        ("lldp.media.firmware", "firmware"),
                        ("lldp.media.hardware", "hardware_version"),
                        ("lldp.media.software", "lldp.software_revision"),
                    ] {
                        if let Some(v) = tf1(t, field) {
                            want(&c, s, claim, v, &what);
                        }
                    }
                    if let Some(p) = tf1(t, "lldp.port.id") {
                        want(&f, s, "lldp.port_id", p, &what);
                    }
                    if let Some(v) = tf1(t, "lldp.ieee.802_1.port_vlan.id") {
                        want(&f, s, "lldp.port_vlan", v, &what);
                    }
                    // Enabled capabilities: tshark's bit mask, named.
                    let mask = u16::from_str_radix(
                        tf1(t, "lldp.tlv.enable_system_cap")
                            .unwrap()
                            .trim_start_matches("0x"),
                        16,
                    )
                    .unwrap();
                    let names: Vec<&str> = [
                        (0x0004, "bridge"),
                        (0x0010, "router"),
                        (0x0020, "telephone"),
                        (0x0080, "station"),
                    ]
                    .iter()
                    .filter(|(b, _)| mask & b != 0)
                    .map(|(_, n)| *n)
                    .collect();
                    assert_eq!(Some(names.join(",").as_str()), conf(fr, "capabilities"));
                    want(&f, s, "lldp.capabilities", &names.join(","), &what);
                }
                for ip in tf(t, "lldp.mgn.addr.ip4") {
                    let owner = tf1(t, "lldp.chassis.id.mac")
                        .or(tf1(t, "lldp.profinet.cm_mac_add"))
                        .unwrap_or(src);
                    want(&f, ip, "lldp.mgmt_mac", owner, &what);
                }
                if let Some(p) = conf(fr, "profinet") {
                    want(&f, src, "lldp.profinet", p, &what);
                }
            }
            "cdp" => {
                let mut subjects = vec![src.to_string()];
                subjects.extend(tf(t, "cdp.nrgyz.ip_address").iter().map(|s| s.to_string()));
                let sw = tf(t, "cdp.software_version").join("\n");
                known.insert(sw.clone());
                for s in &subjects {
                    let dev = tf1(t, "cdp.deviceid").unwrap();
                    want(&c, s, "hostname", dev, &what);
                    want(&c, s, "cdp.device_id", dev, &what);
                    let platform = tf1(t, "cdp.platform").unwrap();
                    want(&c, s, "cdp.platform", platform, &what);
                    want(&c, s, "model", conf(fr, "model").unwrap(), &what);
                    assert!(platform.ends_with(conf(fr, "model").unwrap()));
                    want(&c, s, "vendor", "Cisco", &what);
                    want(&c, s, "cdp.software_version", &sw, &what);
                    let fw = conf(fr, "firmware").unwrap();
                    assert!(sw.contains(&format!("Version {fw},")));
                    want(&c, s, "firmware", fw, &what);
                    want(
                        &f,
                        s,
                        "cdp.native_vlan",
                        tf1(t, "cdp.native_vlan").unwrap(),
                        &what,
                    );
                    want(
                        &f,
                        s,
                        "cdp.vtp_domain",
                        tf1(t, "cdp.vtp_management_domain").unwrap(),
                        &what,
                    );
                    want(&f, s, "cdp.port_id", tf1(t, "cdp.portid").unwrap(), &what);
                    want(
                        &f,
                        s,
                        "cdp.capabilities",
                        conf(fr, "capabilities").unwrap(),
                        &what,
                    );
                }
            }
            "profinet_dcp" => match kind {
                "identify_request" => {
                    want(&f, src, "profinet.identify_request", "all", &what);
                }
                "identify_response" | "hello" => {
                    let ip = tf1(t, "pn_dcp.suboption_ip_ip").unwrap();
                    want(&f, src, "profinet.ip", ip, &what);
                    for s in [src, ip] {
                        let name = tf1(t, "pn_dcp.suboption_device_nameofstation").unwrap();
                        want(&c, s, "name", name, &what);
                        want(&c, s, "profinet.station_name", name, &what);
                        want(
                            &c,
                            s,
                            "profinet.vendor_id",
                            tf1(t, "pn_dcp.suboption_vendor_id").unwrap(),
                            &what,
                        );
                        want(
                            &c,
                            s,
                            "profinet.device_id",
                            tf1(t, "pn_dcp.suboption_device_id").unwrap(),
                            &what,
                        );
                        if let Some(typ) = tf1(t, "pn_dcp.suboption_device_devicevendorvalue") {
                            want(&c, s, "model", typ, &what);
                            want(&c, s, "profinet.type_of_station", typ, &what);
                        }
                        want(&c, s, "vendor", conf(fr, "vendor").unwrap(), &what);
                        let role = tf1(t, "pn_dcp.suboption_device_role").unwrap();
                        let word = match role {
                            "0x01" => "io_device",
                            "0x02" => "io_controller",
                            other => panic!("role {other}"),
                        };
                        assert_eq!(Some(word), conf(fr, "role"));
                        want(&f, s, "profinet.role", word, &what);
                    }
                }
                "set_request" => {
                    let dst = tf1(t, "eth.dst").unwrap();
                    let set = conf(fr, "set").unwrap();
                    want(
                        &f,
                        src,
                        "profinet.set_request",
                        &format!("{set} to {dst}"),
                        &what,
                    );
                    want(
                        &f,
                        dst,
                        "profinet.set_received",
                        &format!("{set} from {src}"),
                        &what,
                    );
                }
                "set_response" => {
                    assert_eq!(tf1(t, "pn_dcp.block_error"), Some("0"));
                    want(
                        &f,
                        src,
                        "profinet.set_result",
                        conf(fr, "set_result").unwrap(),
                        &what,
                    );
                }
                other => panic!("{other}"),
            },
            "dhcp" => {
                let mac = tf1(t, "dhcp.hw.mac_addr").unwrap();
                if let Some(h) = tf1(t, "dhcp.option.hostname") {
                    want(&c, mac, "hostname", h, &what);
                }
                if let Some(fq) = tf1(t, "dhcp.fqdn.name") {
                    want(&c, mac, "hostname", fq, &what);
                }
                if let Some(v) = tf1(t, "dhcp.option.vendor_class_id") {
                    want(&c, mac, "dhcp.vendor_class", v, &what);
                }
                let prl = tf(t, "dhcp.option.request_list_item").join(",");
                if !prl.is_empty() {
                    want(&f, mac, "dhcp.prl", &prl, &what);
                }
                if let Some(req) = tf1(t, "dhcp.option.requested_ip_address") {
                    let h = tf1(t, "dhcp.option.hostname").unwrap();
                    want(&c, req, "hostname", h, &what);
                }
                let server = tf1(t, "dhcp.option.dhcp_server_id");
                if let (Some(sname), Some(server)) = (tf1(t, "dhcp.server"), server) {
                    if tf1(t, "dhcp.option.dhcp") != Some("3") {
                        want(&c, server, "hostname", sname, &what);
                    }
                }
                if tf1(t, "dhcp.option.dhcp") == Some("5") {
                    let yi = tf1(t, "dhcp.ip.your").unwrap();
                    want(&f, mac, "dhcp.assigned_ip", yi, &what);
                    want(&f, yi, "dhcp.mac", mac, &what);
                    want(
                        &c,
                        yi,
                        "hostname",
                        tf1(t, "dhcp.option.hostname").unwrap(),
                        &what,
                    );
                    want(&f, server.unwrap(), "dhcp.server", "ack", &what);
                }
            }
            "dns" => {
                let client = if tf1(t, "dns.flags.response") == Some("1") {
                    tf1(t, "ip.dst").unwrap()
                } else {
                    tf1(t, "ip.src").unwrap()
                };
                let q = tf1(t, "dns.qry.name").unwrap();
                if q.ends_with(".in-addr.arpa") {
                    assert!(
                        !has(&f, client, "dns.query", q),
                        "{what}: reverse query kept"
                    );
                } else {
                    want(&f, client, "dns.query", q, &what);
                }
                for ip in tf(t, "dns.a") {
                    let named = has(&c, ip, "hostname", q);
                    assert_eq!(named, private(ip), "{what}: hostname claim for {ip}");
                }
                if let Some(ptr) = tf1(t, "dns.ptr.domain_name") {
                    want(&c, "10.10.1.70", "hostname", ptr, &what);
                    assert_eq!(q, "70.1.10.10.in-addr.arpa");
                }
                let tool = if q.ends_with("teamviewer.com") {
                    Some("TeamViewer")
                } else if q.ends_with("anydesk.com") {
                    Some("AnyDesk")
                } else {
                    None
                };
                if let Some(tool) = tool {
                    want(&f, client, "remote_access.tool", tool, &what);
                }
            }
            "mdns" => {
                let sender = tf1(t, "ip.src").unwrap();
                if kind == "query" {
                    let q = tf1(t, "dns.qry.name").unwrap();
                    want(
                        &f,
                        sender,
                        "mdns.browse",
                        q.trim_end_matches(".local"),
                        &what,
                    );
                } else {
                    let (host, addr) =
                        (conf(fr, "hostname").unwrap(), conf(fr, "address").unwrap());
                    assert!(tf(t, "dns.resp.name").contains(&host));
                    assert!(tf(t, "dns.a").contains(&addr));
                    want(&c, addr, "hostname", host, &what);
                    let model = tf(t, "dns.txt")
                        .into_iter()
                        .find_map(|x| x.strip_prefix("model="))
                        .unwrap();
                    want(&c, sender, "model", model, &what);
                    let inst = tf1(t, "dns.ptr.domain_name").unwrap();
                    want(&f, sender, "mdns.instance", inst, &what);
                    want(
                        &f,
                        sender,
                        "mdns.service",
                        conf(fr, "service").unwrap(),
                        &what,
                    );
                    let srv = format!(
                        "{inst} -> {}:{}",
                        tf1(t, "dns.srv.target").unwrap(),
                        tf1(t, "dns.srv.port").unwrap()
                    );
                    want(&f, sender, "mdns.srv", &srv, &what);
                }
            }
            "llmnr" => {
                if kind == "query" {
                    let q = tf1(t, "dns.qry.name").unwrap();
                    want(&f, tf1(t, "ip.src").unwrap(), "llmnr.query", q, &what);
                } else {
                    let name = tf1(t, "dns.resp.name").unwrap();
                    want(&c, tf1(t, "dns.a").unwrap(), "hostname", name, &what);
                }
            }
            "netbios-ns" => {
                let sender = tf1(t, "ip.src").unwrap();
                let names = tf(t, "nbns.name");
                match kind {
                    "registration" | "response" => {
                        // "ENG-WS01<00> (Workstation/Redirector)" -> ENG-WS01, suffix 00
                        let full = names.last().unwrap();
                        let (name, rest) = full.split_once('<').unwrap();
                        let suffix = &rest[..2];
                        let addr = tf1(t, "nbns.addr").unwrap();
                        want(&c, addr, "hostname", name, &what);
                        let word = if suffix == "20" {
                            "server"
                        } else {
                            "workstation"
                        };
                        want(
                            &f,
                            addr,
                            "netbios.suffix",
                            &format!("0x{suffix} {word}"),
                            &what,
                        );
                        known.insert(name.to_string());
                    }
                    "query" => want(&f, sender, "netbios.query", names[0], &what),
                    "node_status_request" => {}
                    "node_status_response" => {
                        let nb = tf(t, "nbns.netbios_name");
                        let flags = tf(t, "nbns.name_flags");
                        for (name, fl) in nb.iter().zip(flags) {
                            let group = u16::from_str_radix(&fl[2..], 16).unwrap() & 0x8000 != 0;
                            if group {
                                want(&f, sender, "netbios.group", &format!("{name}<00>"), &what);
                            } else {
                                want(&c, sender, "hostname", name, &what);
                            }
                        }
                        want(
                            &f,
                            sender,
                            "netbios.mac",
                            tf1(t, "nbns.unit_id").unwrap(),
                            &what,
                        );
                    }
                    other => panic!("{other}"),
                }
            }
            "ssdp" => {
                let sender = tf1(t, "ip.src").unwrap();
                want(
                    &c,
                    sender,
                    "ssdp.server",
                    tf1(t, "http.server").unwrap(),
                    &what,
                );
                want(
                    &f,
                    sender,
                    "ssdp.location",
                    tf1(t, "http.location").unwrap(),
                    &what,
                );
            }
            other => panic!("unknown truth proto {other}"),
        }
    }

    // The reverse check: every claim's value is in the truth, and its subject is an address
    // that the truth names.
    for (s, field, v) in &c {
        assert!(
            known.contains(v),
            "claim {s} {field} = {v:?} is not in the truth"
        );
        assert!(
            known.contains(s)
                || frames.iter().any(|fr| {
                    fr["tshark"].as_object().unwrap().values().any(|vs| {
                        vs.as_array()
                            .unwrap()
                            .iter()
                            .any(|x| x.as_str() == Some(s.as_str()))
                    })
                }),
            "claim subject {s} not in the truth"
        );
    }
    // Conversations carry the recognised protocols.
    let convs: BTreeSet<&str> = a.convs.map.keys().map(|k| k.proto).collect();
    for p in ["dhcp", "dns", "mdns", "llmnr", "netbios-ns", "ssdp"] {
        assert!(convs.contains(p), "no {p} conversation: {convs:?}");
    }
    assert!(
        a.store.anomalies.is_empty(),
        "{:?}",
        a.store.anomalies.keys().collect::<Vec<_>>()
    );
    assert_eq!(a.counters.lldp, 3);
    assert_eq!(a.counters.cdp, 1);
    assert_eq!(a.counters.profinet, 7);
}

#[test]
fn malformed_frames_are_counted_as_anomalies() {
    let a = run(MALFORMED);
    let truth = json("captures/generated/discovery-malformed.truth.json");
    let mut got: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (k, e) in sorted(&a.store.anomalies) {
        *got.entry((k.proto, k.kind)).or_default() += e.count;
    }
    for fr in truth["frames"].as_array().unwrap() {
        let proto = conf(fr, "proto").unwrap();
        let anomaly = conf(fr, "anomaly").unwrap();
        assert!(
            got.keys().any(|(p, k)| *p == proto && *k == anomaly),
            "frame {}: {proto} {anomaly} not counted; got {got:?}",
            fr["frame"]
        );
        // tshark, too, found something wrong with each frame (expert info or a looping name).
        let t = &fr["tshark"];
        assert!(
            !tf(t, "_ws.expert.message").is_empty()
                || tf(t, "dns.resp.name").iter().any(|n| n.contains("loops")),
            "frame {} looks fine to tshark",
            fr["frame"]
        );
    }
    // The DNS answer whose name loops gives no hostname.
    assert!(
        !claims(&a)
            .iter()
            .any(|(s, f, _)| s == "10.10.1.99" && f == "hostname")
    );
}

// ---------------------------------------------------------------------------------------------
// Public captures
// ---------------------------------------------------------------------------------------------

fn public_frames<'a>(truth: &'a Value, cap: &str) -> &'a Vec<Value> {
    truth["captures"][cap]["frames"].as_array().unwrap()
}

#[test]
fn public_cdp_lldp_dhcp_netbios_match_tshark() {
    let truth = json(PUBLIC_TRUTH);
    for cap in [
        "captures/public/enip/iti__EIP-IPAddressChangeAttempt.pcap",
        "captures/public/enip/iti__EIP-FirmwareChange.pcap",
        "captures/public/enip/cisagov__enip_cip_example.pcap",
    ] {
        let a = run(cap);
        let (c, f) = (claims(&a), facts(&a));
        let protos = conv_protos(&a);
        for t in public_frames(&truth, cap) {
            let layers = tf1(t, "frame.protocols").unwrap();
            let what = format!("{cap} frame {}", tf1(t, "frame.number").unwrap());
            let src = tf1(t, "eth.src").unwrap();
            if layers.ends_with(":cdp") {
                let dev = tf1(t, "cdp.deviceid").unwrap();
                let platform = tf1(t, "cdp.platform").unwrap();
                let sw = tf(t, "cdp.software_version").join("\n");
                for s in std::iter::once(src).chain(tf(t, "cdp.nrgyz.ip_address")) {
                    want(&c, s, "hostname", dev, &what);
                    want(&c, s, "cdp.platform", platform, &what);
                    want(&c, s, "cdp.software_version", &sw, &what);
                    want(
                        &f,
                        s,
                        "cdp.native_vlan",
                        tf1(t, "cdp.native_vlan").unwrap(),
                        &what,
                    );
                }
                assert_eq!(tf1(t, "cdp.checksum.status"), Some("1"));
            } else if layers.ends_with(":lldp") {
                let port = tf1(t, "lldp.port.id")
                    .or(tf1(t, "lldp.port.id.mac"))
                    .unwrap();
                let chassis = tf1(t, "lldp.chassis.id.mac").unwrap();
                want(&f, src, "lldp.port_id", port, &what);
                want(&f, chassis, "lldp.port_id", port, &what);
                for ip in tf(t, "lldp.mgn.addr.ip4") {
                    want(&f, ip, "lldp.mgmt_mac", chassis, &what);
                    want(&f, chassis, "lldp.mgmt_address", ip, &what);
                }
            } else if layers.contains(":dhcp") {
                let mac = tf1(t, "dhcp.hw.mac_addr").unwrap();
                let yi = tf1(t, "dhcp.ip.your").unwrap();
                let reply = tf1(t, "udp.srcport") == Some("67");
                if let Some(h) = tf1(t, "dhcp.option.hostname") {
                    want(&c, mac, "hostname", h, &what);
                    // An ACK or a BOOTP reply leases yiaddr: the name goes with it.
                    if reply && matches!(tf1(t, "dhcp.option.dhcp"), Some("5") | None) {
                        want(&c, yi, "hostname", h, &what);
                    }
                }
                if reply && matches!(tf1(t, "dhcp.option.dhcp"), Some("5") | None) {
                    want(&f, mac, "dhcp.assigned_ip", yi, &what);
                }
                if let Some(prl) =
                    Some(tf(t, "dhcp.option.request_list_item").join(",")).filter(|p| !p.is_empty())
                {
                    want(&f, mac, "dhcp.prl", &prl, &what);
                }
                assert!(protos.iter().any(|p| p.2 == "dhcp"), "{what}: no dhcp conv");
            } else if layers.ends_with(":nbns") {
                let names = tf(t, "nbns.name");
                let sender = tf1(t, "ip.src").unwrap();
                if tf1(t, "nbns.flags.response") == Some("1") {
                    let (name, _) = names[0].split_once('<').unwrap();
                    for addr in tf(t, "nbns.addr") {
                        want(&c, addr, "hostname", name, &what);
                    }
                } else {
                    want(&f, sender, "netbios.query", names[0], &what);
                }
                assert!(protos.iter().any(|p| p.2 == "netbios-ns"));
            } else if !layers.contains(":dns") {
                panic!("{what}: unexpected {layers}");
            }
        }
        assert!(
            a.store
                .anomalies
                .keys()
                .all(|k| !MY_PROTOS.contains(&k.proto))
        );
    }
}

#[test]
fn public_name_services_match_tshark() {
    let truth = json(PUBLIC_TRUTH);
    // NetBIOS query in the IEC 61850 capture.
    let cap = "captures/public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap";
    let a = run(cap);
    let f = facts(&a);
    for t in public_frames(&truth, cap) {
        let name = tf1(t, "nbns.name").unwrap();
        want(&f, tf1(t, "ip.src").unwrap(), "netbios.query", name, cap);
    }
    // open62541's LDS announcing itself over mDNS: every A record binds the host name to an
    // address (loopback left out), the service type is recorded.
    let cap = "captures/public/opcua/cisagov__open62541_discover_getendpoints_discover_urls.pcap";
    let a = run(cap);
    let (c, f) = (claims(&a), facts(&a));
    let t = &public_frames(&truth, cap)[0];
    let names = tf(t, "dns.resp.name");
    let types = tf(t, "dns.resp.type");
    let addrs = tf(t, "dns.a");
    let mut k = 0;
    for (name, ty) in names.iter().zip(&types) {
        if *ty != "1" {
            continue;
        }
        let addr = addrs[k];
        k += 1;
        let host_name = !name.contains("._tcp");
        let expect = host_name && addr != "127.0.0.1";
        assert_eq!(
            has(&c, addr, "hostname", name),
            expect,
            "{cap}: {name} {addr}"
        );
    }
    assert!(k >= 4);
    want(
        &f,
        tf1(t, "ip.src").unwrap(),
        "mdns.service",
        "_opcua-tcp._tcp",
        cap,
    );
    // DNS to internet resolvers: queries recorded on the client, no hostname claims for
    // internet addresses.
    for cap in [
        "captures/public/modbus/zeek__modbusSmall.pcap",
        "captures/public/link/zeek__pcapng-multi-interface.pcapng",
    ] {
        let a = run(cap);
        let (c, f) = (claims(&a), facts(&a));
        for t in public_frames(&truth, cap) {
            if tf1(t, "dns.flags.response") == Some("0") {
                let q = tf1(t, "dns.qry.name").unwrap();
                want(&f, tf1(t, "ip.src").unwrap(), "dns.query", q, cap);
            }
            for ip in tf(t, "dns.a") {
                assert!(!private(ip));
                assert!(!c.iter().any(|x| x.0 == ip), "{cap}: claim about {ip}");
            }
        }
        assert!(conv_protos(&a).iter().any(|p| p.2 == "dns" && p.1 == 53));
    }
    // A DNS query to a non-standard port is still DNS.
    let cap = "captures/public/opcua/cisagov__open62541_client-server_mainloop.pcap";
    let a = run(cap);
    let t = &public_frames(&truth, cap)[0];
    let port: u16 = tf1(t, "udp.dstport").unwrap().parse().unwrap();
    assert!(conv_protos(&a).iter().any(|p| p.2 == "dns" && p.1 == port));
}

#[test]
fn public_home_network_dns_ptr_and_ssdp_match_tshark() {
    let truth = json(PUBLIC_TRUTH);
    let cap = "captures/public/link/rusticata__wireshark_samples-test.pcapng";
    let a = run(cap);
    let (c, f) = (claims(&a), facts(&a));
    let mut ptr_claims = 0;
    for t in public_frames(&truth, cap) {
        let response = tf1(t, "dns.flags.response") == Some("1");
        let port53 = tf1(t, "udp.srcport") == Some("53");
        if response && port53 {
            // PTR answers: the host name of a private address is claimed, of a public one
            // (an Akamai edge) or a multicast group is not.
            let q = tf1(t, "dns.qry.name").unwrap();
            if let (Some(ptr), Some(ip)) = (tf1(t, "dns.ptr.domain_name"), reverse(q)) {
                let expect = private(&ip);
                assert_eq!(has(&c, &ip, "hostname", ptr), expect, "PTR {q} -> {ptr}");
                ptr_claims += usize::from(expect);
            }
        }
        if !response && tf(t, "frame.protocols")[0].ends_with(":mdns") {
            let sender = tf1(t, "ip.src").or(tf1(t, "ipv6.src")).unwrap();
            for q in tf(t, "dns.qry.name").iter().filter(|q| q.starts_with('_')) {
                want(&f, sender, "mdns.browse", q.trim_end_matches(".local"), cap);
            }
        }
    }
    // Server, TVBedroom, Router, Epson-WF3640, Stevos-S8, DIRECTV-HR54-C9E0A631.
    assert_eq!(ptr_claims, 6);
    for s in truth["captures"][cap]["ssdp"].as_array().unwrap() {
        let (src, server) = (s["src"].as_str().unwrap(), s["server"].as_str().unwrap());
        want(&c, src, "ssdp.server", server, cap);
        want(
            &f,
            src,
            "ssdp.location",
            s["location"].as_str().unwrap(),
            cap,
        );
    }
    // Every ssdp.server claim is one tshark saw.
    for (s, field, v) in &c {
        if field == "ssdp.server" {
            assert!(
                truth["captures"][cap]["ssdp"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["src"] == s.as_str() && x["server"] == v.as_str())
            );
        }
    }
}

/// "29.152.168.192.in-addr.arpa" -> "192.168.152.29".
fn reverse(q: &str) -> Option<String> {
    let p = q.strip_suffix(".in-addr.arpa")?;
    let mut parts: Vec<&str> = p.split('.').collect();
    parts.reverse();
    Some(parts.join("."))
}

// ---------------------------------------------------------------------------------------------
// Negative captures
// ---------------------------------------------------------------------------------------------

#[test]
fn captures_without_these_protocols_get_no_claims() {
    // Public captures whose tshark truth has none of these protocols (smallest first, a
    // sample of each family): no conversation is given one of these protocols and nothing is
    // observed by these dissectors.
    let tshark_names = [
        "lldp", "cdp", "pn_dcp", "dhcp", "dns", "mdns", "llmnr", "nbns", "ssdp", "dhcpv6",
    ];
    let mut picked = Vec::new();
    for family in [
        "modbus",
        "s7comm",
        "enip",
        "opcua",
        "it-snmp",
        "malformed",
        "it-http",
    ] {
        let dir = root("captures/public").join(family);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
        for p in files {
            let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
            let t = root(&format!("captures/public/truth/{stem}.json"));
            let Ok(s) = std::fs::read_to_string(&t) else {
                continue;
            };
            let v: Value = serde_json::from_str(&s).unwrap();
            let leaves = v["leaf_protocols"].as_object().cloned().unwrap_or_default();
            if leaves.keys().all(|k| !tshark_names.contains(&k.as_str())) {
                picked.push(p);
                break;
            }
        }
    }
    assert!(picked.len() >= 6, "{picked:?}");
    for p in picked {
        let a = analyze(std::slice::from_ref(&p), &Limits::default(), 1, None);
        let mine: Vec<_> = a
            .convs
            .map
            .keys()
            .filter(|k| MY_PROTOS.contains(&k.proto))
            .collect();
        assert!(mine.is_empty(), "{p:?}: {mine:?}");
        let sources = [
            "lldp",
            "cdp",
            "profinet.",
            "dhcp.",
            "bootp.",
            "dns.",
            "mdns.",
            "llmnr.",
            "netbios.",
            "ssdp",
        ];
        assert!(
            a.store
                .claims
                .keys()
                .all(|k| !sources.iter().any(|s| k.source.starts_with(s))),
            "{p:?}"
        );
        assert!(a.store.facts.keys().all(|k| !MY_PROTOS.contains(&k.proto)));
        assert!(
            a.store
                .anomalies
                .keys()
                .all(|k| !MY_PROTOS.contains(&k.proto))
        );
    }
}

#[test]
fn sharded_run_gives_the_same_observations() {
    let one = run(GOOD);
    let three = analyze(&[root(GOOD)], &Limits::default(), 3, None);
    assert_eq!(claims(&one), claims(&three));
    assert_eq!(facts(&one), facts(&three));
}
