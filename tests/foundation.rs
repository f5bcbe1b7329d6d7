//! Foundation: every shipped capture is read without a panic; link types, SPAN duplicates and
//! VLAN-split flows, truncation, several inputs, determinism and sharding.

mod common;

use common::*;
use otscope::analysis::{Sharding, analyze_with};
use otscope::config::Limits;
use otscope::flow::conv::ConvKey;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[test]
fn every_public_capture_is_read_and_frames_match_capinfos() {
    for p in public_captures() {
        let a = run(std::slice::from_ref(&p));
        let stem = p.file_stem().unwrap().to_str().unwrap();
        let t = truth(stem);
        assert_eq!(a.inputs.len(), 1, "{stem}");
        let i = &a.inputs[0];
        // capinfos' packet count where it could read the file; tshark's count otherwise.
        let want = t["packets_capinfos"]
            .as_u64()
            .or_else(|| t["frames_read_by_tshark"].as_u64());
        if let Some(w) = want {
            if t["capinfos_rc"].as_i64() == Some(0) {
                assert_eq!(i.packets, w, "{stem}: frames read");
            }
        }
        assert_eq!(
            a.counters.frames, i.packets,
            "{stem}: every frame reached the engine"
        );
    }
}

#[test]
fn damaged_files_stop_where_tshark_stops_and_say_why() {
    let a = run1("public/malformed/iti__melsoft_129_clean.pcap");
    let s = a.inputs[0].stopped.as_ref().expect("stop recorded");
    assert_eq!(
        a.inputs[0].packets,
        truth("iti__melsoft_129_clean")["frames_read_by_tshark"]
            .as_u64()
            .unwrap()
    );
    assert!(s.reason.contains("cut short"), "{}", s.reason);
    let a = run1("public/malformed/suricata__bug-6875-fuzz.pcap");
    let s = a.inputs[0].stopped.as_ref().expect("stop recorded");
    assert!(s.reason.contains("corrupt"), "{}", s.reason);
}

#[test]
fn link_types_decode_to_the_same_conversations() {
    // The same traffic as Ethernet, Linux cooked v2 and QinQ gives the same conversations.
    let base = run1("generated/modbus-pymodbus.pcap");
    let convs = |a: &otscope::analysis::Analysis| -> BTreeMap<ConvKey, (u64, [u64; 2], u64)> {
        a.convs
            .map
            .iter()
            .map(|(k, c)| (*k, (c.flows, c.pkts, c.completed)))
            .collect()
    };
    let want = convs(&base);
    assert!(!want.is_empty());
    for v in ["generated/sll2.pcap", "generated/qinq.pcap"] {
        let a = run1(v);
        assert_eq!(convs(&a), want, "{v}");
        assert!(a.inputs[0].link_types.len() == 1, "{v}");
    }
    assert_eq!(
        run1("generated/sll2.pcap").inputs[0].link_types,
        vec!["linux-sll2"]
    );
    assert_eq!(
        run1("public/s7comm-plus/cisagov__s7comm_plus.pcap").inputs[0].link_types,
        vec!["linux-sll"]
    );
    assert_eq!(
        run1("public/opcua/cisagov__open62541_client-server_mainloop.pcap").inputs[0].link_types,
        vec!["null"]
    );
    assert_eq!(
        run1("public/it-http/zeek__http-basic-auth-with-colon.pcap").inputs[0].link_types,
        vec!["rawip4"]
    );
}

#[test]
fn span_duplicates_and_per_direction_vlans_neither_split_nor_double_count() {
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(capture("generated/span-variants.truth.json")).unwrap(),
    )
    .unwrap();
    let base = run1("generated/modbus-pymodbus.pcap");
    let dup = run1("generated/span-duplicates.pcap");
    assert_eq!(
        dup.counters.duplicates,
        truth["span-duplicates.pcap"]["duplicate_copies"]
            .as_u64()
            .unwrap()
    );
    // One flow per connection, as in the original, with the same packet counts.
    assert_eq!(dup.counters.flows, base.counters.flows);
    let strip = |a: &otscope::analysis::Analysis| -> Vec<(ConvKey, u64, [u64; 2], [u64; 2])> {
        a.convs
            .map
            .iter()
            .map(|(k, c)| (*k, c.flows, c.pkts, c.payload))
            .collect()
    };
    assert_eq!(strip(&dup), strip(&base));
    // Each direction kept its own VLAN.
    let c = dup.convs.map.values().find(|c| c.completed > 0).unwrap();
    assert_eq!(c.client_vlans.iter().copied().collect::<Vec<_>>(), vec![10]);
    assert_eq!(c.server_vlans.iter().copied().collect::<Vec<_>>(), vec![20]);
    // The router's MAC fronts both hosts: it is nobody's own MAC.
    let r = report_json(&[capture("generated/span-duplicates.pcap")], None);
    for a in r["assets"].as_array().unwrap() {
        assert!(
            !a["macs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == "58:ac:78:00:00:01"),
            "{a}"
        );
    }
}

#[test]
fn several_inputs_merge_in_timestamp_order_with_per_file_frame_numbers() {
    let a = capture("public/modbus/zeek__modbusSmall.pcap");
    let b = capture("public/s7comm/cisagov__s7ident.pcap");
    let one = run(std::slice::from_ref(&a));
    let two = run(&[a.clone(), b.clone()]);
    assert_eq!(two.inputs.len(), 2);
    assert_eq!(
        two.counters.frames,
        one.counters.frames + run(std::slice::from_ref(&b)).counters.frames
    );
    // evidence keeps the input index
    assert!(
        two.convs
            .map
            .values()
            .flat_map(|c| c.evidence.frames.iter())
            .any(|e| e.input == 1)
    );
    // a directory is the same as its files
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&a, dir.path().join("1.pcap")).unwrap();
    std::fs::copy(&b, dir.path().join("2.pcap")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a capture").unwrap();
    let d = run(&[dir.path().to_path_buf()]);
    assert_eq!(d.counters.frames, two.counters.frames);
    assert_eq!(d.skipped.len(), 1);
}

#[test]
fn gzip_captures_read_like_the_original() {
    use std::io::Write;
    let src = capture("public/enip/cisagov__enip_cip_example.pcap");
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("x.pcap.gz");
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    e.write_all(&std::fs::read(&src).unwrap()).unwrap();
    e.finish().unwrap();
    let (a, b) = (run(&[src]), run(&[gz]));
    assert!(b.inputs[0].compressed);
    assert_eq!(a.counters.frames, b.counters.frames);
    assert_eq!(a.convs.map.len(), b.convs.map.len());
}

#[test]
fn reports_are_deterministic_and_independent_of_thread_count() {
    let paths = vec![
        capture("public/enip/iti__EIP-IPAddressChangeAttempt.pcap"),
        capture("public/modbus/iti__ModbusTCP.pcap"),
    ];
    let render = |paths: &[PathBuf], threads: usize, how: Sharding| {
        let a = analyze_with(paths, &Limits::default(), threads, None, how);
        let r = otscope::build_report(
            &a,
            &otscope::inventory::signatures::Signatures::builtin(),
            None,
            false,
        );
        otscope::report::json::render(&r)
    };
    let one = render(&paths, 1, Sharding::Auto);
    assert_eq!(
        one,
        render(&paths, 1, Sharding::Auto),
        "same input, same bytes"
    );
    assert!(one.contains(&sha256_hex(&paths[0])), "digest of the input");
    for threads in [2, 3] {
        // Every worker reads the files itself; one reader hands frames out.
        for how in [Sharding::Auto, Sharding::Replicated, Sharding::Dispatch] {
            assert_eq!(
                one,
                render(&paths, threads, how),
                "{threads} workers, {how:?}"
            );
        }
    }
    // Compressed files are inflated once and handed out, whatever is asked.
    let dir = tempfile::tempdir().unwrap();
    let gz: Vec<_> = paths.iter().map(|p| gzip_copy(p, dir.path())).collect();
    let one = render(&gz, 1, Sharding::Auto);
    assert_eq!(
        one,
        render(&gz, 2, Sharding::Replicated),
        "two workers fed by one reader"
    );
    assert_eq!(
        one,
        render(&gz, 3, Sharding::Auto),
        "three workers fed by one reader"
    );
}

fn gzip_copy(src: &std::path::Path, dir: &std::path::Path) -> PathBuf {
    use std::io::Write;
    let gz = dir.join(format!("{}.gz", src.file_name().unwrap().to_string_lossy()));
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    e.write_all(&std::fs::read(src).unwrap()).unwrap();
    e.finish().unwrap();
    gz
}

fn sha256_hex(p: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(std::fs::read(p).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn tcp_handshake_outcomes_on_real_traffic() {
    // Refused and completed connections in a real capture: every SYN-ACK'd flow completed.
    let a = run1("public/it-ssh/zeek__ssh-single-conn.pcap");
    let c = a
        .convs
        .map
        .iter()
        .find(|(k, _)| k.port == 22)
        .map(|(_, c)| c)
        .unwrap();
    assert_eq!((c.flows, c.completed), (1, 1));
    assert!(
        c.evidence.frames.len() >= 3,
        "SYN, SYN-ACK and ACK are the evidence"
    );
    // Capture started mid-stream: the connection is still a service.
    let a = run1("public/enip/iti__cip_stop_plc.pcap");
    assert_eq!(a.convs.map.values().map(|c| c.midstream).sum::<u64>(), 1);
    assert_eq!(a.convs.map.keys().next().unwrap().port, 44818);
}
