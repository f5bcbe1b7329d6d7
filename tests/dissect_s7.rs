//! TPKT/COTP family (S7comm, S7comm-plus, MMS, ISO-on-TCP) against the captures in
//! `captures/`, checked with the tshark truth files (`captures/public/truth/<stem>.json`) and
//! the generated captures' `.truth.json`.

use otscope::analysis::{Analysis, analyze};
use otscope::config::Limits;
use otscope::inventory::observation::{Op, Subject, sorted};
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(rel: &str) -> Analysis {
    let p = root().join(rel);
    assert!(p.exists(), "missing capture {rel}");
    let a = analyze(&[p], &Limits::default(), 1, None);
    assert!(a.input_errors.is_empty(), "input errors on {rel}");
    a
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn truth(stem: &str) -> Value {
    let p = root().join(format!("captures/public/truth/{stem}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("truth file")).expect("json")
}

fn gen_truth(name: &str) -> Value {
    let p = root().join(format!("captures/generated/{name}.truth.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("truth file")).expect("json")
}

/// Claim values of `field` about `who`.
fn claims(a: &Analysis, who: IpAddr, field: &str) -> BTreeSet<String> {
    sorted(&a.store.claims)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(who) && k.field == field)
        .map(|(k, _)| k.value.clone())
        .collect()
}

/// Fact values of `key` about `who`.
fn facts(a: &Analysis, who: IpAddr, key: &str) -> BTreeSet<String> {
    sorted(&a.store.facts)
        .into_iter()
        .filter(|(k, _)| k.subject == Subject::Ip(who) && k.key == key)
        .map(|(k, _)| k.value.clone())
        .collect()
}

/// Operations on `server` with their details.
fn ops(a: &Analysis, server: IpAddr) -> Vec<(Op, Vec<&'static str>)> {
    sorted(&a.store.ops)
        .into_iter()
        .filter(|(k, _)| k.svc.server == server)
        .map(|(k, v)| (k.op, v.details.iter().copied().collect()))
        .collect()
}

fn has_op(a: &Analysis, server: IpAddr, op: Op, detail: &str) -> bool {
    ops(a, server)
        .iter()
        .any(|(o, d)| *o == op && d.contains(&detail))
}

/// (client, server, port, proto) of every conversation.
fn convs(a: &Analysis) -> Vec<(IpAddr, IpAddr, u16, &'static str)> {
    a.convs
        .map
        .keys()
        .map(|k| (k.client, k.server, k.port, k.proto))
        .collect()
}

fn anomalies(a: &Analysis) -> Vec<(&'static str, &'static str, u64)> {
    sorted(&a.store.anomalies)
        .into_iter()
        .map(|(k, v)| (k.proto, k.kind, v.count))
        .collect()
}

fn dump(a: &Analysis) {
    for c in convs(a) {
        eprintln!("conv {c:?}");
    }
    for (k, v) in sorted(&a.store.claims) {
        eprintln!(
            "claim {:?} {} = {:?} ({}, {})",
            k.subject, k.field, k.value, k.source, v.confidence
        );
    }
    for (k, v) in sorted(&a.store.facts) {
        eprintln!(
            "fact {:?} {} {} = {:?} x{}",
            k.subject, k.proto, k.key, k.value, v.count
        );
    }
    for (k, v) in sorted(&a.store.ops) {
        eprintln!(
            "op {} {}:{} {:?} {:?} x{}",
            k.svc.proto, k.svc.server, k.svc.port, k.op, v.details, v.evidence.count
        );
    }
    for (k, v) in sorted(&a.store.auths) {
        eprintln!(
            "auth {} {} a{} s{} f{} {:?} clear={}",
            k.svc.proto, k.mechanism, v.attempts, v.successes, v.failures, v.secrets, v.cleartext
        );
    }
    for x in anomalies(a) {
        eprintln!("anomaly {x:?}");
    }
}

/// Print what the dissector reports on one capture: `S7_DUMP=path cargo test --test
/// dissect_s7 dump -- --ignored --nocapture`.
#[test]
#[ignore]
fn dump_capture() {
    let p = std::env::var("S7_DUMP")
        .unwrap_or_else(|_| "captures/public/s7comm/cisagov__s7ident.pcap".into());
    dump(&run(&p));
}

fn capture_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.split('.').next().unwrap_or_default().to_string()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// S7 protocols as the tshark truth names them, and ours.
const TRUTH_PROTOS: [(&str, &str); 2] = [("s7comm", "s7comm"), ("s7comm_plus", "s7comm_plus")];

/// The operation (and detail) a tshark job function name must produce.
fn job_expectation(name: &str) -> Option<(Op, &'static str)> {
    Some(match name {
        "Setup communication(0xf0)" => (Op::Connect, "setup_communication"),
        "Read Var(0x04)" => (Op::Read, "read_var"),
        "Write Var(0x05)" => (Op::Write, "write_var"),
        "Request download(0x1a)" => (Op::ProgramDownload, "request_download"),
        "Download block(0x1b)" => (Op::ProgramDownload, "download_block"),
        "Download ended(0x1c)" => (Op::ProgramDownload, "download_ended"),
        "Start upload(0x1d)" => (Op::ProgramUpload, "start_upload"),
        "Upload(0x1e)" => (Op::ProgramUpload, "upload"),
        "End upload(0x1f)" => (Op::ProgramUpload, "end_upload"),
        "PLC Stop(0x29)" => (Op::CpuStop, "plc_stop"),
        _ => return None,
    })
}

/// The operation a tshark userdata group/subfunction name must produce (requests; pushes such
/// as mode transitions and diagnostic messages produce none).
fn userdata_expectation(name: &str) -> Option<(Op, &'static str)> {
    Some(match name {
        "Programmer commands(1)/sub 2" => (Op::Read, "variable_status"),
        "Programmer commands(1)/sub 8" => (Op::Write, "modify_variable"),
        "Programmer commands(1)/sub 14" | "Programmer commands(1)/sub 15" => {
            (Op::Diagnostics, "job_control")
        }
        "Programmer commands(1)/sub 19" => (Op::Diagnostics, "block_status"),
        "Block functions(3)/sub 1" => (Op::Read, "list_blocks"),
        "Block functions(3)/sub 2" => (Op::Read, "list_blocks_of_type"),
        "Block functions(3)/sub 3" => (Op::Read, "get_block_info"),
        "CPU functions(4)/sub 1" => (Op::Identify, "szl_read"),
        "CPU functions(4)/sub 2" => (Op::Subscribe, "message_service"),
        "CPU functions(4)/sub 19" => (Op::Read, "alarm_query"),
        "Security(5)/sub 1" => (Op::Login, "plc_password"),
        "Time functions(7)/sub 1" => (Op::Read, "read_clock"),
        "Time functions(7)/sub 2" => (Op::TimeSet, "set_clock"),
        _ => return None,
    })
}

/// Every S7 capture against its tshark truth: servers (with their clients and protocol),
/// order numbers, firmware and hardware versions, component identification, SZL ids read,
/// protection level, CPU state, and the operations behind every job function and userdata
/// group tshark saw. No anomaly on these clean captures.
#[test]
fn s7_captures_match_tshark_truth() {
    let mut checked = 0;
    let mut identities = 0;
    for dir in ["captures/public/s7comm", "captures/public/s7comm-plus"] {
        for path in capture_files(dir) {
            let st = stem(&path);
            let t = truth(&st);
            let rel = path.strip_prefix(root()).expect("under root");
            let a = run(rel.to_str().expect("utf-8 path"));
            let cv = convs(&a);
            let ics = &t["protocols"]["ics"];
            for (tp, ours) in TRUTH_PROTOS {
                let p = &ics[tp];
                if p.is_null() {
                    continue;
                }
                let sc = p["server_clients"].as_object().expect("server_clients");
                assert!(!sc.is_empty(), "{st}: no {tp} server in truth");
                for (svc, clients) in sc {
                    let (srv, port) = svc.split_once(' ').expect("ip port");
                    let port: u16 = port.trim_end_matches("/tcp").parse().expect("port");
                    for c in strs(clients) {
                        assert!(
                            cv.contains(&(ip(&c), ip(srv), port, ours)),
                            "{st}: {c} -> {srv}:{port} not detected as {ours}: {cv:?}"
                        );
                    }
                    checked += 1;
                }
            }
            let s = &ics["s7comm"];
            if !s.is_null() {
                identities += check_s7_truth(&st, &a, s);
            }
            let sp = &ics["s7comm_plus"];
            if !sp.is_null() {
                check_s7plus_truth(&st, &a, sp);
            }
            assert!(anomalies(&a).is_empty(), "{st}: {:?}", anomalies(&a));
            // Nothing claimed for another protocol on these flows.
            for (k, _) in sorted(&a.store.facts) {
                assert!(
                    ["s7comm", "s7comm_plus"].contains(&k.proto),
                    "{st}: fact under {}",
                    k.proto
                );
            }
        }
    }
    assert!(checked >= 18, "servers checked: {checked}");
    assert!(identities >= 4, "identity lists checked: {identities}");
}

/// The S7comm part of a truth file; returns how many identity lists were compared.
fn check_s7_truth(st: &str, a: &Analysis, s: &Value) -> usize {
    let mut n = 0;
    let servers: Vec<IpAddr> = strs(&s["servers"]).iter().map(|x| ip(x)).collect();
    // SZL lists in the answers.
    for list in s["szl"].as_array().into_iter().flatten() {
        let srv = ip(list["server"].as_str().expect("server"));
        let id = list["szl_id"].as_str().unwrap_or_default();
        for r in list["records"].as_array().into_iter().flatten() {
            let field = |k: &str| r[k].as_str().map(str::to_string);
            match id {
                "0x0011" | "0x0111" => {
                    let index = field("xy11.0001.index").unwrap_or_default();
                    let anz = field("xy11.0001.anz").unwrap_or_default();
                    if index == "0x0001" {
                        let want = anz.trim().to_string();
                        assert!(
                            claims(a, srv, "order_number").contains(&want),
                            "{st}: order number {want:?} of {srv}: {:?}",
                            claims(a, srv, "order_number")
                        );
                        assert!(claims(a, srv, "s7comm.order_number").contains(&want));
                        assert!(claims(a, srv, "vendor").contains("Siemens"));
                        n += 1;
                    }
                    if index == "0x0006" {
                        let want = field("xy11.0001.ausbg").unwrap_or_default();
                        assert!(
                            claims(a, srv, "hardware_version").contains(&want),
                            "{st}: hardware version {want}"
                        );
                    }
                }
                "0x001c" | "0x011c" => {
                    let pairs = [
                        ("001c.0001.name", "s7comm.as_name"),
                        ("001c.0002.name", "s7comm.module_name"),
                        ("001c.0003.tag", "s7comm.plant_id"),
                        ("001c.0004.copyright", "s7comm.copyright"),
                        ("001c.0005.serialn", "serial"),
                        ("001c.0005.serialn", "s7comm.serial_number"),
                        ("001c.0007.cputypname", "model"),
                        ("001c.0008.snmcmmc", "s7comm.memory_card_serial"),
                        ("001c.000b.loc_id", "s7comm.location"),
                        ("001c.0009.manufacturer_id", "s7comm.manufacturer_id"),
                    ];
                    for (tk, ours) in pairs {
                        let Some(want) = field(tk) else { continue };
                        let want = want.trim().to_string();
                        if want.is_empty() {
                            continue;
                        }
                        assert!(
                            claims(a, srv, ours).contains(&want),
                            "{st}: {ours} {want:?}: {:?}",
                            claims(a, srv, ours)
                        );
                    }
                    for tk in ["001c.0001.name", "001c.0002.name"] {
                        if let Some(want) = field(tk) {
                            assert!(claims(a, srv, "name").contains(want.trim()), "{st}: name");
                        }
                    }
                    n += 1;
                }
                "0x0132" if field("0132.0004.index").as_deref() == Some("0x0004") => {
                    let real = field("0132.0004.real").unwrap_or_default();
                    assert_eq!(
                        facts(a, srv, "s7comm.protection_level"),
                        BTreeSet::from([real]),
                        "{st}"
                    );
                    let set = field("0132.0004.param").is_some_and(|p| p != "0");
                    assert_eq!(
                        facts(a, srv, "s7comm.password_set"),
                        BTreeSet::from([set.to_string()]),
                        "{st}"
                    );
                    let sel = match field("0132.0004.bart_sch").as_deref() {
                        Some("1") => "RUN",
                        Some("2") => "RUN-P",
                        Some("3") => "STOP",
                        Some("4") => "MRES",
                        _ => "undefined",
                    };
                    assert!(facts(a, srv, "s7comm.mode_selector").contains(sel), "{st}");
                }
                "0x0424" => {
                    if let Some(req) = field("0424.0000.bzu_id.req") {
                        let want = match req.as_str() {
                            "0x08" => "RUN",
                            "0x01" | "0x02" | "0x03" | "0x04" => "STOP",
                            other => panic!("{st}: mode {other} not in the test's table"),
                        };
                        assert!(facts(a, srv, "s7comm.cpu_state").contains(want), "{st}");
                    }
                }
                _ => {}
            }
        }
    }
    // Versions tshark derives (firmware 0x0007, boot loader 0x0081).
    for e in s["identity_summary"]["xy11_version_string_derived"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let v = strs(e);
        let (srv, index, want) = (ip(&v[0]), v[1].as_str(), v[2].clone());
        let field = if index == "0x0007" {
            "firmware"
        } else {
            "s7comm.boot_loader"
        };
        assert!(
            claims(a, srv, field).contains(&want),
            "{st}: {field} {want}: {:?}",
            claims(a, srv, field)
        );
    }
    for e in s["szl_requests"].as_array().into_iter().flatten() {
        let v = strs(e);
        assert!(
            facts(a, ip(&v[0]), "s7comm.szl_read").contains(&v[1]),
            "{st}: SZL {} read",
            v[1]
        );
    }
    // Operations.
    let on_any = |op: Op, detail: &str| servers.iter().any(|&srv| has_op(a, srv, op, detail));
    for name in s["job_functions"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if let Some((op, detail)) = job_expectation(name) {
            assert!(on_any(op, detail), "{st}: {name} -> {op:?} {detail}");
        } else {
            assert_eq!(
                name, "PI-Service(0x28)",
                "{st}: job {name} not in the test's table"
            );
            assert!(
                servers.iter().any(|&srv| ops(a, srv)
                    .iter()
                    .any(|(_, d)| d.iter().any(|x| x.starts_with("pi_")))),
                "{st}: PI service"
            );
        }
    }
    for name in s["userdata_groups"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if let Some((op, detail)) = userdata_expectation(name) {
            assert!(on_any(op, detail), "{st}: {name} -> {op:?} {detail}");
        }
    }
    // The password exchange (iti__step7_s300_AuthPassword).
    if !s["security_group_frames(plc_password)"].is_null() {
        let auths: Vec<_> = sorted(&a.store.auths).into_iter().collect();
        assert_eq!(auths.len(), 1, "{st}");
        let (k, v) = auths[0];
        assert_eq!(k.mechanism, "s7-password");
        assert!(servers.contains(&k.svc.server));
        assert_eq!((v.successes, v.failures), (1, 0), "{st}");
        assert!(!v.cleartext);
        assert_eq!(v.secrets.len(), 1);
    }
    n
}

/// The S7comm-plus part of a truth file (tshark 4.0 only saw the version byte).
fn check_s7plus_truth(st: &str, a: &Analysis, p: &Value) {
    let versions: BTreeSet<String> = p["protocol_versions(byte after 0x72)"]
        .as_object()
        .expect("versions")
        .keys()
        .cloned()
        .collect();
    let want: BTreeSet<String> = if versions.len() == 1 && versions.contains("0x01") {
        BTreeSet::from(["V1".to_string()])
    } else {
        versions
            .iter()
            .filter(|v| *v != "0x01")
            .map(|v| format!("V{}", v.trim_start_matches("0x0")))
            .collect()
    };
    for srv in strs(&p["servers"]) {
        let srv = ip(&srv);
        assert_eq!(facts(a, srv, "s7comm_plus.version"), want, "{st}");
        assert_eq!(
            facts(a, srv, "s7comm_plus.family"),
            BTreeSet::from(["S7-1200/1500".to_string()])
        );
        let integrity = facts(a, srv, "s7comm_plus.integrity");
        assert_eq!(
            integrity.contains("true"),
            versions.contains("0x03"),
            "{st}"
        );
        assert!(!ops(a, srv).is_empty(), "{st}: no operation");
    }
}

/// S7comm-plus sessions expose the PLC's order number and firmware in clear. tshark 4.0 does
/// not dissect S7comm-plus (the truth files only carry the version byte), so the expected
/// strings were read with `tshark -x` on the CreateObject responses.
#[test]
fn s7comm_plus_session_identity() {
    let cases = [
        (
            "captures/public/s7comm-plus/iti__S7-1200-Uploading-OB1-TIAV12.pcap",
            "192.168.1.191",
            "6ES7 214-1HE30-0XB0",
            "V2.2",
            "SIMATIC S7-1200",
        ),
        (
            "captures/public/s7comm-plus/iti__V13_1200_TP1200sim_timer_sync.pcapng",
            "192.168.1.191",
            "6ES7 214-1HE30-0XB0",
            "V2.2",
            "SIMATIC S7-1200",
        ),
        (
            "captures/public/s7comm-plus/iti__S7-1511_db3_var1_HMI.pcap",
            "192.168.25.139",
            "6ES7 511-1AK00-0AB0",
            "V1.0",
            "SIMATIC S7-1500",
        ),
    ];
    for (cap, srv, order, fw, product) in cases {
        let a = run(cap);
        let srv = ip(srv);
        assert_eq!(
            claims(&a, srv, "order_number"),
            BTreeSet::from([order.to_string()])
        );
        assert_eq!(
            claims(&a, srv, "firmware"),
            BTreeSet::from([fw.to_string()])
        );
        assert_eq!(
            claims(&a, srv, "product"),
            BTreeSet::from([product.to_string()])
        );
        assert!(claims(&a, srv, "vendor").contains("Siemens"));
        let src: BTreeSet<&str> = sorted(&a.store.claims)
            .into_iter()
            .filter(|(k, _)| k.subject == Subject::Ip(srv))
            .map(|(k, _)| k.source)
            .collect();
        assert_eq!(src, BTreeSet::from(["s7comm_plus.session"]));
        // No identity claimed for the clients (which echo the string back).
        assert!(
            a.store.claims.keys().all(|k| k.subject == Subject::Ip(srv)),
            "{cap}"
        );
        assert!(has_op(&a, srv, Op::Connect, "create_session"), "{cap}");
        assert!(has_op(&a, srv, Op::Read, "get_multi_variables"), "{cap}");
    }
}

/// The S7-300 download: block names, the inserted block and the protection level.
#[test]
fn block_download_and_hardware_config() {
    // Block names as tshark shows them (`Filename: _0A00001P [DB1]`).
    let a = run("captures/public/s7comm/iti__s7comm_downloading_block_db1.pcap");
    let plc = ip("192.168.1.40");
    assert_eq!(
        facts(&a, plc, "s7comm.block_download"),
        BTreeSet::from(["DB1".to_string()])
    );
    assert!(has_op(&a, plc, Op::ProgramDownload, "pi_insert_block"));
    let a = run("captures/public/s7comm/iti__tia_s300_downloadHwConfig.pcapng");
    let plc = ip("134.217.61.211");
    let blocks = facts(&a, plc, "s7comm.block_download");
    for b in ["SDB0", "SDB1", "SDB3", "SDB4", "SDB7", "SDB1000", "SDB2000"] {
        assert!(blocks.contains(b), "{b}: {blocks:?}");
    }
    assert!(has_op(&a, plc, Op::ProgramDelete, "pi_delete_block"));
    assert!(has_op(&a, plc, Op::CpuStop, "plc_stop"));
    assert!(has_op(&a, plc, Op::CpuStart, "pi_program_start"));
    // A mode-transition push after the stop command.
    let a = run("captures/public/s7comm/iti__step7_s300_stop.pcapng");
    assert_eq!(
        facts(&a, ip("134.249.61.163"), "s7comm.cpu_state"),
        BTreeSet::from(["STOP".to_string()])
    );
}

/// The generated python-snap7 sessions: identity configured on the server, rack/slot of each
/// connection, the operations of the client script, on port 102 and on port 1102.
#[test]
fn generated_snap7_identity_and_operations() {
    for name in ["s7-snap7", "s7-snap7-port1102"] {
        let t = gen_truth(name);
        let a = run(&format!("captures/generated/{name}.pcap"));
        let srv = ip(t["network"]["server"]["ip"].as_str().expect("server"));
        let cli = ip(t["network"]["client"]["ip"].as_str().expect("client"));
        let port = t["network"]["server"]["port"].as_u64().expect("port") as u16;
        assert!(
            convs(&a).contains(&(cli, srv, port, "s7comm")),
            "{name}: {:?}",
            convs(&a)
        );
        let ids = &t["server_config"]["identity_strings"];
        let c = &ids["szl_001c"];
        let pairs = [
            ("0x0001_as_name", "s7comm.as_name"),
            ("0x0002_module_name", "s7comm.module_name"),
            ("0x0003_plant_designation", "s7comm.plant_id"),
            ("0x0004_copyright", "s7comm.copyright"),
            ("0x0005_serial_number", "serial"),
            ("0x0007_module_type_name", "model"),
            ("0x0008_mmc_serial", "s7comm.memory_card_serial"),
            ("0x000b_location", "s7comm.location"),
        ];
        for (tk, ours) in pairs {
            let want = c[tk].as_str().expect("truth string");
            assert_eq!(
                claims(&a, srv, ours),
                BTreeSet::from([want.to_string()]),
                "{name}: {ours}"
            );
        }
        let mp = &c["0x0009_manufacturer_profile"];
        assert!(
            claims(&a, srv, "s7comm.manufacturer_id")
                .contains(mp["manufacturer_id"].as_str().expect("id"))
        );
        let o = &ids["szl_0011"];
        assert_eq!(
            claims(&a, srv, "order_number"),
            BTreeSet::from([o["0x0001_mlfb"].as_str().expect("mlfb").to_string()])
        );
        assert_eq!(
            claims(&a, srv, "firmware"),
            BTreeSet::from([o["0x0007_firmware"].as_str().expect("fw").to_string()])
        );
        assert_eq!(
            claims(&a, srv, "product"),
            BTreeSet::from(["SIMATIC S7-300".to_string()])
        );
        // Nothing claimed about the client.
        assert!(claims(&a, cli, "order_number").is_empty());
        let ops_truth = t["client_session"]["operations"].as_array().expect("ops");
        let mut slots = BTreeSet::new();
        for o in ops_truth {
            let p = &o["params"];
            let expect = match o["op"].as_str().expect("op") {
                "connect" => {
                    slots.insert(p["slot"].as_u64().expect("slot").to_string());
                    assert_eq!(
                        facts(&a, srv, "s7comm.rack"),
                        BTreeSet::from([p["rack"].as_u64().expect("rack").to_string()])
                    );
                    Some((Op::Connect, "cotp_connect"))
                }
                "get_cpu_info" | "get_order_code" | "read_szl" | "get_cp_info"
                | "get_protection" => Some((Op::Identify, "szl_read")),
                "db_read" | "read_area" => Some((Op::Read, "read_var")),
                "db_write" | "write_area" => Some((Op::Write, "write_var")),
                "plc_stop" => Some((Op::CpuStop, "plc_stop")),
                "plc_hot_start" => Some((Op::CpuStart, "pi_program_start")),
                "get_plc_datetime" => Some((Op::Read, "read_clock")),
                "set_plc_datetime" => Some((Op::TimeSet, "set_clock")),
                "list_blocks" => Some((Op::Read, "list_blocks")),
                "list_blocks_of_type" => Some((Op::Read, "list_blocks_of_type")),
                "get_block_info" => Some((Op::Read, "get_block_info")),
                "upload" => Some((Op::ProgramUpload, "start_upload")),
                "set_session_password" => Some((Op::Login, "plc_password")),
                "clear_session_password" => Some((Op::Other, "clear_session_password")),
                "get_cpu_state" | "disconnect" => None,
                other => panic!("{name}: operation {other} not in the test's table"),
            };
            if let Some((op, detail)) = expect {
                assert!(
                    has_op(&a, srv, op, detail),
                    "{name}: {:?} {op:?} {detail}",
                    o["op"]
                );
            }
            if o["op"] == "read_szl" {
                let id = p["szl_id"].as_str().expect("id");
                assert!(
                    facts(&a, srv, "s7comm.szl_read").contains(id),
                    "{name}: {id}"
                );
            }
            if o["op"] == "set_session_password" {
                let (k, v) = sorted(&a.store.auths).into_iter().next().expect("auth");
                assert_eq!(k.mechanism, "s7-password");
                assert_eq!(v.successes, 1);
                assert!(!v.cleartext);
                let secret = v.secrets.iter().next().expect("secret");
                let pw = p["password"].as_str().expect("password");
                assert_eq!(secret.len(), 16);
                assert!(!secret.contains(&hex_of(pw)), "obfuscated on the wire");
            }
        }
        assert_eq!(facts(&a, srv, "s7comm.slot"), slots, "{name}");
        assert_eq!(
            facts(&a, srv, "s7comm.connection_type"),
            BTreeSet::from(["PG".to_string()])
        );
        assert_eq!(
            facts(&a, srv, "s7comm.pdu_size"),
            BTreeSet::from(["480".to_string()])
        );
        if ids["szl_0424"]["mode"]
            .as_str()
            .is_some_and(|m| m.starts_with("RUN"))
            && name == "s7-snap7"
        {
            assert_eq!(
                facts(&a, srv, "s7comm.cpu_state"),
                BTreeSet::from(["RUN".to_string()])
            );
        }
        // tshark flags python-snap7's non-standard "get cpu state" job as malformed.
        let malformed = t["tshark"]["io_phs"].as_array().is_some_and(|l| {
            l.iter()
                .any(|x| x.as_str().is_some_and(|s| s.contains("_ws.malformed")))
        });
        let ours: u64 = anomalies(&a)
            .iter()
            .filter(|(_, k, _)| *k == "s7_var_items_malformed")
            .map(|(_, _, n)| n)
            .sum();
        assert_eq!(ours > 0, malformed, "{name}: {:?}", anomalies(&a));
    }
}

fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// IEC 61850 MMS on tcp/102 is `mms`, never S7; the MMS server tshark names is found.
#[test]
fn mms_on_102_is_not_s7comm() {
    let st = "iti__Sample_File_MMS_and_GOOSE";
    let t = truth(st);
    let a = run("captures/public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap");
    let cv = convs(&a);
    assert!(
        cv.iter()
            .all(|(_, _, _, p)| !["s7comm", "s7comm_plus"].contains(p)),
        "{cv:?}"
    );
    let sc = t["protocols"]["ics"]["iec61850_mms"]["server_clients"]
        .as_object()
        .expect("mms servers");
    for (svc, clients) in sc {
        let (srv, port) = svc.split_once(' ').expect("ip port");
        let port: u16 = port.trim_end_matches("/tcp").parse().expect("port");
        for c in strs(clients) {
            assert!(cv.contains(&(ip(&c), ip(srv), port, "mms")), "{cv:?}");
        }
        assert!(has_op(&a, ip(srv), Op::Connect, "mms_initiate"));
    }
    // The flows picked up mid-stream (unsolicited reports) are MMS too.
    assert!(cv.iter().filter(|c| c.3 == "mms").count() >= 4, "{cv:?}");
    // Nothing S7 reported.
    assert!(
        a.store
            .facts
            .keys()
            .all(|k| !k.key.starts_with("s7comm") && k.proto != "s7comm")
    );
    assert!(
        a.store
            .claims
            .keys()
            .all(|k| !k.source.starts_with("s7comm"))
    );
    assert!(anomalies(&a).is_empty(), "{:?}", anomalies(&a));
}

/// RDP's X.224 connection (TPKT/COTP on 3389) is left to the RDP dissector.
#[test]
fn rdp_is_not_claimed() {
    for path in capture_files("captures/public/it-rdp") {
        let rel = path.strip_prefix(root()).expect("under root");
        let a = run(rel.to_str().expect("utf-8"));
        let family = ["s7comm", "s7comm_plus", "mms", "iso_tsap"];
        for c in convs(&a) {
            assert!(!family.contains(&c.3), "{}: {c:?}", rel.display());
        }
        assert!(a.store.facts.keys().all(|k| !family.contains(&k.proto)));
        assert!(a.store.ops.keys().all(|k| !family.contains(&k.svc.proto)));
        assert!(a.store.anomalies.keys().all(|k| !family.contains(&k.proto)));
    }
}

/// Same report with several workers (the dissector keeps no cross-flow state).
#[test]
fn sharded_run_is_identical() {
    let p = root().join("captures/public/s7comm/iti__s7comm_reading_plc_status.pcap");
    let one = analyze(std::slice::from_ref(&p), &Limits::default(), 1, None);
    let four = analyze(&[p], &Limits::default(), 4, None);
    let key = |a: &Analysis| {
        (
            sorted(&a.store.claims)
                .into_iter()
                .map(|(k, v)| (k.clone(), v.confidence))
                .collect::<Vec<_>>(),
            sorted(&a.store.facts)
                .into_iter()
                .map(|(k, v)| (k.clone(), v.count))
                .collect::<Vec<_>>(),
            convs(a),
        )
    };
    assert_eq!(key(&one), key(&four));
}

/// A minimal pcap writer for synthetic TCP conversations (Ethernet, IPv4, TCP).
struct PcapWriter {
    out: Vec<u8>,
    ts: u32,
}

impl PcapWriter {
    fn new() -> PcapWriter {
        let mut out = Vec::new();
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&65535u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
        PcapWriter {
            out,
            ts: 1_700_000_000,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) {
        let mut f = Vec::new();
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, dst.0[3]]);
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, src.0[3]]);
        f.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 20 + payload.len()) as u16;
        let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&src.0);
        ip.extend_from_slice(&dst.0);
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(&src.1.to_be_bytes());
        f.extend_from_slice(&dst.1.to_be_bytes());
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&ack.to_be_bytes());
        f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        f.extend_from_slice(payload);
        self.ts += 1;
        self.out.extend_from_slice(&self.ts.to_le_bytes());
        self.out.extend_from_slice(&0u32.to_le_bytes());
        self.out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        self.out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        self.out.extend_from_slice(&f);
    }
}

fn h(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// Plant traffic on a non-standard port: an S7 connection on tcp/2102 where the client sends
/// random bytes between requests. The flow is still found by content, the garbage is counted
/// once, and the requests after it are parsed.
#[test]
fn garbage_on_an_established_connection_non_standard_port() {
    let cli = ([10, 9, 0, 2], 40000u16);
    let srv = ([10, 9, 0, 1], 2102u16);
    let client_units = [
        h("0300001611e00000000100c1020100c2020103c0010a"), // CR, called TSAP 0x0103
        h("0300001902f08032010000000100080000f0000001000101e0"), // setup communication
        h("9f3a5c0003017e22c4d1000000ff10aa03bd77e0e0e0111111"), // garbage
        h("0300001f02f080320100000002000e00000401120a10020020000184000000"), // read var DB1
        h("0300002102f0803201000035000010000029000000000009505f50524f4752414d"), // PLC stop
    ];
    let server_units = [
        h("0300001611d00001000100c0010ac1020100c2020103"), // CC
        h("0300001b02f080320300000001000800000000f0000001000101e0"), // setup ack_data
        h("0300001a02f080 32030000000200020005 0000 0401 ff04000855"), // read var ack_data
        h("0300001402f08032030000003500010000000029"),     // stop ack_data
    ];
    let mut w = PcapWriter::new();
    let (mut cs, mut ss) = (1000u32, 5000u32);
    w.tcp(cli, srv, cs, 0, 0x02, &[]);
    w.tcp(srv, cli, ss, cs + 1, 0x12, &[]);
    cs += 1;
    ss += 1;
    w.tcp(cli, srv, cs, ss, 0x10, &[]);
    let mut si = server_units.iter();
    for (k, u) in client_units.iter().enumerate() {
        w.tcp(cli, srv, cs, ss, 0x18, u);
        cs += u.len() as u32;
        if k == 2 {
            continue; // nothing answers garbage
        }
        if let Some(r) = si.next() {
            w.tcp(srv, cli, ss, cs, 0x18, r);
            ss += r.len() as u32;
        }
    }
    w.tcp(cli, srv, cs, ss, 0x11, &[]);
    w.tcp(srv, cli, ss, cs + 1, 0x11, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s7-garbage-2102.pcap");
    std::fs::write(&path, &w.out).expect("write");
    let a = analyze(&[path], &Limits::default(), 1, None);
    let (c, s) = (IpAddr::from(cli.0), IpAddr::from(srv.0));
    assert_eq!(convs(&a), vec![(c, s, 2102, "s7comm")]);
    assert_eq!(anomalies(&a), vec![("s7comm", "garbage", 1)]);
    assert!(has_op(&a, s, Op::Read, "read_var"));
    assert!(has_op(&a, s, Op::CpuStop, "plc_stop"));
    assert_eq!(
        facts(&a, s, "s7comm.slot"),
        BTreeSet::from(["3".to_string()])
    );
    assert_eq!(
        facts(&a, s, "s7comm.pdu_size"),
        BTreeSet::from(["480".to_string()])
    );
}
