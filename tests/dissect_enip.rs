//! EtherNet/IP / CIP dissector against real captures: the tshark truth of every public ENIP
//! capture (`captures/public/truth/<stem>.json`), the truth of the capture generated with
//! cpppo / pylogix / pycomm3 (`captures/generated/enip-cpppo.truth.json`), and captures of
//! other protocols that must not be taken for EtherNet/IP.

use otscope::analysis::{Analysis, analyze};
use otscope::config::Limits;
use otscope::inventory::observation::{Op, Subject, Transport, sorted};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

const ENIP_DIR: &str = "captures/public/enip";

/// The analysis of one capture, computed once per test binary (several tests read the same
/// large captures).
fn run(path: &Path) -> Arc<Analysis> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Analysis>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut m = cache.lock().unwrap_or_else(|e| e.into_inner());
    m.entry(path.to_path_buf())
        .or_insert_with(|| Arc::new(analyze(&[path.to_path_buf()], &Limits::default(), 1, None)))
        .clone()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|_| panic!("bad ip {s}"))
}

fn stem(p: &Path) -> String {
    let name = p.file_name().unwrap().to_string_lossy().to_string();
    name.trim_end_matches(".pcapng")
        .trim_end_matches(".pcap")
        .to_string()
}

fn enip_captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(ENIP_DIR)
        .expect("captures/public/enip")
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert!(v.len() >= 11, "ENIP captures missing: {v:?}");
    v
}

/// Values claimed for `field` about `ip`, with their source.
fn claims(a: &Analysis, ip: IpAddr, field: &str) -> Vec<(String, &'static str)> {
    sorted(&a.store.claims)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(ip) && k.field == field)
        .map(|(k, _)| (k.value.clone(), k.source))
        .collect()
}

fn has_claim(a: &Analysis, ip: IpAddr, field: &str, value: &str, source: &str) -> bool {
    claims(a, ip, field)
        .iter()
        .any(|(v, s)| v == value && *s == source)
}

/// Distinct values of fact `key` about `ip` (over any transport).
fn facts(a: &Analysis, ip: IpAddr, key: &str) -> Vec<String> {
    let set: BTreeSet<String> = sorted(&a.store.facts)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(ip) && k.key == key)
        .map(|(k, _)| k.value.clone())
        .collect();
    set.into_iter().collect()
}

/// Operations on `server` over ENIP: (op, details).
fn ops(a: &Analysis, server: IpAddr) -> Vec<(Op, BTreeSet<&'static str>)> {
    sorted(&a.store.ops)
        .into_iter()
        .filter(|(k, _)| k.svc.server == server && k.svc.proto == "enip")
        .map(|(k, v)| (k.op, v.details.clone()))
        .collect()
}

fn has_op(a: &Analysis, server: IpAddr, op: Op, detail: &str) -> bool {
    ops(a, server)
        .iter()
        .any(|(o, d)| *o == op && d.contains(detail))
}

fn anomaly(a: &Analysis, kind: &str) -> u64 {
    sorted(&a.store.anomalies)
        .into_iter()
        .filter(|(k, _)| k.kind == kind && k.proto == "enip")
        .map(|(_, v)| v.count)
        .sum()
}

/// The protocols recognised on (client, server, transport, port) conversations ("" when a
/// flow was not recognised, e.g. a connection attempt without data).
fn conv(
    a: &Analysis,
    client: IpAddr,
    server: IpAddr,
    t: Transport,
    port: u16,
) -> BTreeSet<&'static str> {
    a.convs
        .map
        .keys()
        .filter(|k| k.client == client && k.server == server && k.transport == t && k.port == port)
        .map(|k| k.proto)
        .collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// Revision as tshark shows it in `revision_show` ("4.03").
fn rev(major: u64, minor: u64) -> String {
    format!("{major}.{minor:02}")
}

/// Every server and client tshark saw is found with the right protocol, and every identity
/// tshark decoded (ListIdentity, Identity object) is claimed for the device that answered.
#[test]
fn public_captures_match_tshark_truth() {
    for path in enip_captures() {
        let name = stem(&path);
        let truth = read_json(&Path::new("captures/public/truth").join(format!("{name}.json")));
        let t = &truth["protocols"]["ics"]["enip"];
        assert!(t.is_object(), "{name}: no enip truth");
        let a = run(&path);

        // Servers and their clients, per transport.
        let server_clients = t["server_clients"].as_object().expect("server_clients");
        assert!(!server_clients.is_empty(), "{name}");
        for (key, clients) in server_clients {
            let (server, ep) = key.split_once(' ').unwrap();
            let (port, transport) = ep.split_once('/').unwrap();
            let transport = match transport {
                "tcp" => Transport::Tcp,
                "udp" => Transport::Udp,
                other => panic!("{other}"),
            };
            let port: u16 = port.parse().unwrap();
            for c in clients.as_array().unwrap() {
                let c = ip(c.as_str().unwrap());
                let protos = conv(&a, c, ip(server), transport, port);
                assert!(
                    protos.contains("enip") && !protos.contains("cip_io"),
                    "{name}: {c} -> {key} not recognised as enip: {protos:?}"
                );
            }
        }

        // ListIdentity replies.
        for li in t["list_identity"].as_array().into_iter().flatten() {
            let dev = ip(str_of(li, "responder"));
            let src = "enip.list_identity";
            let product = str_of(li, "product_name");
            let serial = str_of(li, "serial_number");
            let rev_show = str_of(li, "revision_show");
            for (field, value) in [
                ("product", product),
                ("model", product),
                ("enip.product_name", product),
                ("serial", serial),
                ("enip.serial_number", serial),
                ("firmware", rev_show),
                ("enip.revision", rev_show),
            ] {
                assert!(
                    has_claim(&a, dev, field, value, src),
                    "{name}: {dev} {field}={value}: {:?}",
                    claims(&a, dev, field)
                );
            }
            for (field, key) in [
                ("enip.vendor_id", "vendor_id"),
                ("enip.device_type", "device_type"),
                ("enip.product_code", "product_code"),
            ] {
                let v = li[key].as_u64().unwrap().to_string();
                assert!(
                    has_claim(&a, dev, field, &v, src),
                    "{name}: {dev} {field}={v}"
                );
            }
            // "Rockwell Automation/Allen-Bradley (0x0001)", "Communications Adapter (12)".
            let vendor = str_of(li, "vendor").rsplit_once(" (").unwrap().0;
            assert!(
                has_claim(&a, dev, "vendor", vendor, src),
                "{name}: vendor {vendor}"
            );
            let dtype = str_of(li, "device_type_name").rsplit_once(" (").unwrap().0;
            assert!(
                has_claim(&a, dev, "device_type", dtype, src),
                "{name}: {dtype}"
            );
            assert!(facts(&a, dev, "enip.status").contains(&str_of(li, "status").to_string()));
            let state =
                u8::from_str_radix(str_of(li, "state").trim_start_matches("0x"), 16).unwrap();
            assert!(
                facts(&a, dev, "enip.state")
                    .iter()
                    .any(|s| s.starts_with(&format!("0x{state:02x} "))),
                "{name}: state"
            );
            let sock = format!("{}:{}", str_of(li, "socket_addr"), li["socket_port"]);
            assert!(
                facts(&a, dev, "enip.socket_address")
                    .iter()
                    .any(|s| s.starts_with(&sock)),
                "{name}: socket address {sock}"
            );
        }

        // Identity object responses (answered without a route, as tshark lists them).
        for ci in t["cip_identity_object"].as_array().into_iter().flatten() {
            let dev = ip(str_of(ci, "responder"));
            let src = "enip.identity_object";
            let major: u64 = str_of(ci, "major_rev").parse().unwrap();
            let minor: u64 = str_of(ci, "minor_rev").parse().unwrap();
            for (field, value) in [
                ("product", str_of(ci, "product_name").to_string()),
                ("serial", str_of(ci, "serial_number").to_string()),
                ("enip.product_code", str_of(ci, "product_code").to_string()),
                ("firmware", rev(major, minor)),
            ] {
                assert!(
                    has_claim(&a, dev, field, &value, src),
                    "{name}: {dev} {field}={value}: {:?}",
                    claims(&a, dev, field)
                );
            }
            let vendor = str_of(ci, "vendor_id_name").rsplit_once(" (").unwrap().0;
            assert!(
                has_claim(&a, dev, "vendor", vendor, src),
                "{name}: {vendor}"
            );
        }

        // Requests tshark decoded are classified.
        let codes: BTreeSet<String> = t["cip_service_codes"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let classes: BTreeSet<String> = t["cip_classes"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let servers: Vec<IpAddr> = t["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| ip(s.as_str().unwrap()))
            .collect();
        let any_op = |op: Op| {
            servers
                .iter()
                .any(|s| ops(&a, *s).iter().any(|(o, _)| *o == op))
        };
        for code in &codes {
            let expect: &[Op] = match code.as_str() {
                "0x01" | "0x03" | "0x0e" => &[Op::Read, Op::Identify],
                "0x02" | "0x04" | "0x10" => &[Op::Write, Op::TimeSet, Op::ConfigChange],
                "0x05" => &[Op::Reset],
                "0x06" => &[Op::CpuStart],
                "0x07" => &[Op::CpuStop],
                "0x4c" => &[Op::Read],
                "0x4d" if classes.contains("0xa1") => &[Op::FirmwareUpdate],
                "0x4d" | "0x4e" => &[Op::Write, Op::Other],
                _ => &[],
            };
            if !expect.is_empty() {
                assert!(
                    expect.iter().any(|o| any_op(*o)),
                    "{name}: service {code} not classified as {expect:?}: {:?}",
                    servers.iter().map(|s| ops(&a, *s)).collect::<Vec<_>>()
                );
            }
        }
        let commands = t["commands"].as_object().unwrap();
        if commands.keys().any(|c| c.starts_with("ListIdentity")) {
            assert!(any_op(Op::Identify) || any_op(Op::Discovery), "{name}");
        }
        if commands.keys().any(|c| c.starts_with("RegisterSession")) {
            assert!(any_op(Op::Connect), "{name}");
        }

        // Implicit I/O: the producer -> consumer flows tshark lists.
        if let Some(io) = truth["protocols"]["ics"]["cip_io"].as_object() {
            for f in io["undirected_flows"].as_array().unwrap() {
                let (src, dst) = (ip(f[0].as_str().unwrap()), ip(f[1].as_str().unwrap()));
                let found = a.convs.map.keys().any(|k| {
                    k.proto == "cip_io"
                        && k.port == 2222
                        && ((k.client == src && k.server == dst)
                            || (k.client == dst && k.server == src))
                });
                assert!(found, "{name}: cip_io {src} -> {dst}");
                let p = facts(&a, src, "cip_io.producer");
                assert!(
                    p.iter().any(|v| v.ends_with(&format!("to {dst}"))),
                    "{name}: producer {src}: {p:?}"
                );
                assert!(!facts(&a, src, "cip_io.rate_ms").is_empty(), "{name}: rate");
                assert!(!facts(&a, src, "cip_io.connection").is_empty());
            }
        }
    }
}

/// Logix stop/start requests (class 0x8E Stop/Start), the wall clock write, the firmware update
/// and tag writes are the operations an analyst looks for.
#[test]
fn control_operations_are_classified() {
    let dir = Path::new(ENIP_DIR);
    let a = run(&dir.join("iti__cip_stop_plc.pcap"));
    let plc = ip("192.168.1.30");
    assert_eq!(ops(&a, plc), vec![(Op::CpuStop, ["Stop"].into())]);
    let a = run(&dir.join("iti__cip_start_plc.pcap"));
    assert_eq!(ops(&a, plc), vec![(Op::CpuStart, ["Start"].into())]);

    let a = run(&dir.join("iti__EIP-ChangeDateAttempt.pcap"));
    let enbt = ip("192.168.10.120");
    assert!(has_op(&a, enbt, Op::TimeSet, "wall_clock_write"));
    assert!(!has_op(&a, enbt, Op::Write, "Set_Attribute_List"));

    let a = run(&dir.join("iti__EIP-FirmwareChange.pcap"));
    assert!(has_op(&a, enbt, Op::FirmwareUpdate, "ControlFLASH_0x4D"));
    assert!(has_op(&a, enbt, Op::Reset, "Reset"));
    let n = sorted(&a.store.ops)
        .into_iter()
        .find(|(k, _)| k.op == Op::FirmwareUpdate)
        .map(|(_, v)| v.evidence.count)
        .unwrap();
    // 5243 transfer requests, one start, one end (tshark: 0x4d x 5243 + 0x4b + 0x51).
    assert_eq!(n, 5245);

    let a = run(&dir.join("iti__EthernetIP-CIP.pcap"));
    for s in ["141.81.0.23", "141.81.0.43", "141.81.0.63", "141.81.0.83"] {
        assert!(has_op(&a, ip(s), Op::Read, "Read_Tag"), "{s}");
        assert!(has_op(&a, ip(s), Op::Write, "Read_Modify_Write"), "{s}");
    }

    // A Set_Attribute_Single to the Identity object without an attribute (VLAN-tagged,
    // single frame, no handshake).
    let a = run(&dir.join("cisagov__set_attribute_single_service_cip.pcapng"));
    assert!(has_op(
        &a,
        ip("10.100.40.11"),
        Op::Write,
        "Set_Attribute_Single"
    ));
    assert_eq!(anomaly(&a, "set_attribute_single_without_attribute"), 1);

    // Single-frame Multiple Service Packets picked up mid-stream.
    for f in [
        "iti__cip-multiple-1.pcap",
        "cisagov__multiple_service_packet_cip.pcapng",
    ] {
        let a = run(&dir.join(f));
        assert!(has_op(&a, enbt, Op::Identify, "Get_Attribute_List"), "{f}");
        assert!(has_op(&a, enbt, Op::Read, "Get_Attribute_List"), "{f}");
    }
}

/// The 1756-ENBT/A bridge answers for itself; the controller and the ProSoft modules reached
/// through it on the backplane are modules, not the IP address.
#[test]
fn backplane_modules_are_not_claimed_for_the_bridge() {
    let a = run(&Path::new(ENIP_DIR).join("iti__EIP-IPAddressChangeAttempt.pcap"));
    for bridge in ["192.168.10.120", "192.168.10.125"] {
        let b = ip(bridge);
        let products = claims(&a, b, "product");
        assert!(!products.is_empty(), "{bridge}");
        assert!(
            products.iter().all(|(v, _)| v == "1756-ENBT/A"),
            "{bridge}: {products:?}"
        );
        assert!(
            claims(&a, b, "serial")
                .iter()
                .all(|(v, _)| v == "0x0051aec3")
        );
        let modules = facts(&a, b, "enip.backplane_module");
        for m in [
            "slot 0: 1756-L61/B LOGIX5561 16.20 serial 0x0051823f",
            "slot 1: 1756-ENBT/A 4.07 serial 0x0051aec3",
            "slot 2: MVI56 ProSoft Technology, Inc. 1.02 serial 0x0000ad77",
            "slot 3: MVI56 ProSoft Technology, Inc. 1.02 serial 0x0000ad5e",
        ] {
            assert!(
                modules.iter().any(|f| f == m),
                "{bridge}: {m} not in {modules:?}"
            );
        }
    }
    // The ListIdentity broadcast is discovery, on the broadcast address.
    assert!(has_op(
        &a,
        ip("255.255.255.255"),
        Op::Discovery,
        "ListIdentity"
    ));
    // The routing error answered for an empty slot is a fact.
    assert!(
        facts(&a, ip("192.168.10.120"), "enip.cip_error")
            .iter()
            .any(|f| f.contains("0x0204 Unconnected request timed out"))
    );
}

/// The snaplen-cut capture (4 bytes of every frame missing) still yields the identity.
#[test]
fn cut_frames_still_parse() {
    let a = run(&Path::new(ENIP_DIR).join("iti__enip_test.pcap"));
    assert!(a.counters.truncated_frames > 0);
    assert!(has_claim(
        &a,
        ip("10.1.1.164"),
        "product",
        "1756-ENBT/A",
        "enip.list_identity"
    ));
}

/// The capture made with cpppo, pylogix and pycomm3: the configured identity, found by every
/// path (ListIdentity over TCP, unicast UDP, broadcast UDP; Identity object unconnected and
/// connected), with evidence in the frames the truth lists.
#[test]
fn generated_capture_has_configured_identity() {
    let base = Path::new("captures/generated");
    let truth = read_json(&base.join("enip-cpppo.truth.json"));
    let a = run(&base.join("enip-cpppo.pcap"));
    let server = ip(str_of(&truth["network"]["server"], "ip"));
    let client = ip(str_of(&truth["network"]["client"], "ip"));
    let id = &truth["server_config"]["Identity"];
    let num = |k: &str| -> u64 { str_of(id, k).parse().unwrap() };
    let revision = num("Product Revision");
    let rev_text = rev(revision & 0xff, revision >> 8);
    assert_eq!(rev_text, "33.10");
    let serial = format!("0x{:08x}", num("Serial Number"));
    let product = str_of(id, "Product Name");
    let frames = &truth["identity_frames"];
    for (src, frame_key) in [
        ("enip.list_identity", "list_identity_responses"),
        (
            "enip.identity_object",
            "cip_identity_get_attributes_all_responses",
        ),
    ] {
        for (field, value) in [
            ("product", product.to_string()),
            ("model", product.to_string()),
            ("serial", serial.clone()),
            ("firmware", rev_text.clone()),
            ("enip.vendor_id", num("Vendor Number").to_string()),
            ("enip.device_type", num("Device Type").to_string()),
            ("enip.product_code", num("Product Code Number").to_string()),
            ("vendor", "Rockwell Automation/Allen-Bradley".to_string()),
            ("device_type", "Programmable Logic Controller".to_string()),
        ] {
            assert!(
                has_claim(&a, server, field, &value, src),
                "{src} {field}={value}: {:?}",
                claims(&a, server, field)
            );
        }
        // Evidence frames are identity responses.
        let allowed: BTreeSet<u64> = frames[frame_key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let (_, agg) = sorted(&a.store.claims)
            .into_iter()
            .find(|(k, _)| {
                k.subject == Subject::Ip(server) && k.field == "serial" && k.source == src
            })
            .unwrap();
        assert!(!agg.evidence.frames.is_empty());
        for ev in &agg.evidence.frames {
            assert!(
                allowed.contains(&ev.frame),
                "{src}: frame {} not in {allowed:?}",
                ev.frame
            );
        }
    }
    // Nothing about the client.
    assert!(claims(&a, client, "product").is_empty());
    assert_eq!(
        facts(&a, server, "enip.status"),
        vec![format!("0x{:04x}", num("Status Word"))]
    );
    // The routed Get_Attributes_All (cpppo get_attribute, slot 0) is a module fact.
    assert!(
        facts(&a, server, "enip.backplane_module")
            .contains(&format!("slot 0: {product} {rev_text} serial {serial}"))
    );
    // Detected on TCP, unicast UDP and the broadcast request; the broadcast reply is a flow of
    // the device.
    let enip: BTreeSet<&str> = ["enip"].into();
    assert_eq!(conv(&a, client, server, Transport::Tcp, 44818), enip);
    assert_eq!(conv(&a, client, server, Transport::Udp, 44818), enip);
    assert_eq!(
        conv(&a, client, ip("10.77.0.255"), Transport::Udp, 44818),
        enip
    );
    assert!(has_op(&a, ip("10.77.0.255"), Op::Discovery, "ListIdentity"));
    // What the clients did.
    for (op, detail) in [
        (Op::Identify, "ListIdentity"),
        (Op::Identify, "ListServices"),
        (Op::Identify, "Get_Attributes_All"),
        (Op::Connect, "RegisterSession"),
        (Op::Connect, "Large_Forward_Open"),
        (Op::Other, "Forward_Close"),
        (Op::Read, "Read_Tag"),
        (Op::Read, "Get_Attribute_Single"),
        (Op::Write, "Write_Tag"),
    ] {
        assert!(
            has_op(&a, server, op, detail),
            "{op:?} {detail}: {:?}",
            ops(&a, server)
        );
    }
    assert!(!has_op(&a, server, Op::CpuStop, "Stop"));
    assert_eq!(facts(&a, server, "enip.connection").len(), 3);
    // tshark calls the ListServices reply malformed (a 15-byte name field): counted.
    assert_eq!(anomaly(&a, "list_services_name_length"), 1);
    assert_eq!(a.counters.dissector_desync, 0);
}

/// Other protocols are never taken for EtherNet/IP or CIP I/O.
#[test]
fn other_protocols_are_not_enip() {
    let mut paths = Vec::new();
    for d in [
        "captures/public/modbus",
        "captures/public/s7comm",
        "captures/public/s7comm-plus",
        "captures/public/opcua",
        "captures/public/mixed",
        "captures/public/malformed",
    ] {
        for e in std::fs::read_dir(d).unwrap() {
            paths.push(e.unwrap().path());
        }
    }
    for e in std::fs::read_dir("captures/generated").unwrap() {
        let p = e.unwrap().path();
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        if n.ends_with(".pcap") && !n.starts_with("enip") {
            paths.push(p);
        }
    }
    paths.sort();
    assert!(paths.len() >= 10);
    let a = analyze(&paths, &Limits::default(), 1, None);
    for k in a.convs.map.keys() {
        assert!(k.proto != "enip" && k.proto != "cip_io", "{k:?}");
    }
    assert!(a.store.claims.keys().all(|k| !k.source.starts_with("enip")));
    assert!(
        a.store
            .ops
            .keys()
            .all(|k| k.svc.proto != "enip" && k.svc.proto != "cip_io")
    );
    assert!(a.store.anomalies.keys().all(|k| k.proto != "enip"));
}

/// Print what the dissector reported (debug aid):
/// `ENIP_DUMP=path cargo test --test dissect_enip dump -- --ignored --nocapture`.
#[test]
#[ignore]
fn dump() {
    let Ok(p) = std::env::var("ENIP_DUMP") else {
        return;
    };
    let a = run(Path::new(&p));
    for (k, v) in a.convs.map.iter() {
        println!(
            "CONV {} -> {} {:?}/{} {:?} flows={}",
            k.client, k.server, k.transport, k.port, k.proto, v.flows
        );
    }
    for (k, v) in sorted(&a.store.claims) {
        println!(
            "CLAIM {:?} {} = {:?} [{}] c={} n={}",
            k.subject, k.field, k.value, k.source, v.confidence, v.evidence.count
        );
    }
    for (k, v) in sorted(&a.store.facts) {
        println!(
            "FACT {:?} {}/{}/{:?} {} = {:?} n={}",
            k.subject, k.proto, k.port, k.transport, k.key, k.value, v.count
        );
    }
    for (k, v) in sorted(&a.store.ops) {
        println!(
            "OP {} -> {} {} {:?} {:?} n={}",
            k.client, k.svc.server, k.svc.proto, k.op, v.details, v.evidence.count
        );
    }
    for (k, v) in sorted(&a.store.anomalies) {
        println!("ANOM {} {} {:?} n={}", k.proto, k.kind, k.server, v.count);
    }
}
