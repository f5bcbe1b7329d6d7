//! `diff` and `merge` of reports made from real captures.
//!
//! `modbus-pymodbus.pcap` and `modbus-pymodbus-port5020.pcap` are two captures of the same
//! simulated network (the same PLC IP and SCADA server) in which the PLC answers on another port
//! from another MAC: what a swapped device looks like.

mod common;

use otscope::report::diff::{Change, diff, render_json, render_text};
use otscope::report::merge::merge;
use otscope::report::{Report, json};
use otscope::zones::{Severity, Verdict};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn build(paths: &[&str], zones: Option<&str>) -> Report {
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let a = common::run(&paths);
    let sigs = otscope::inventory::signatures::Signatures::builtin();
    let z = zones.map(|p| otscope::zones::config::ZonesConfig::load(Path::new(p)).unwrap());
    otscope::build_report(&a, &sigs, z, false)
}

const A: &str = "captures/generated/modbus-pymodbus.pcap";
const B: &str = "captures/generated/modbus-pymodbus-port5020.pcap";
const PLC: &str = "10.77.0.10";
const MMS: &str = "captures/public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap";
const ZONES: &str = "tests/golden/demo-zones.toml";

#[test]
fn a_report_against_itself_has_no_changes() {
    let r = build(&[MMS], Some(ZONES));
    let d = diff(&r, &r.clone());
    assert!(!d.has_changes(), "{d:?}");
    assert_eq!(d.worst_new(), None);
    assert!(render_text(&d, false).contains("No changes."));
}

#[test]
fn a_reflashed_plc_is_reported() {
    let old = build(&[A], None);
    let mut new = old.clone();
    let plc = new.assets.iter_mut().find(|a| a.ip == PLC).unwrap();
    assert_eq!(plc.identity.firmware.as_deref(), Some("3.16.1-ots"));
    plc.identity.firmware = Some("3.17.0-evil".into());
    let d = diff(&old, &new);
    assert!(d.has_changes());
    assert_eq!(d.identity_changes.len(), 1, "{:?}", d.identity_changes);
    let c = &d.identity_changes[0];
    assert_eq!(
        (c.ip.as_str(), c.field.as_str(), c.change),
        (PLC, "firmware", Change::Changed)
    );
    assert_eq!(c.old.as_deref(), Some("3.16.1-ots"));
    assert_eq!(c.new.as_deref(), Some("3.17.0-evil"));
    let t = render_text(&d, false);
    assert!(
        t.contains("10.77.0.10 firmware: 3.16.1-ots → 3.17.0-evil"),
        "{t}"
    );
    assert!(t.contains("Identity changed"));
    let j: Value = serde_json::from_str(&render_json(&d)).unwrap();
    assert_eq!(j["identity_changes"][0]["change"], "changed");
    assert_eq!(j["identity_changes"][0]["new"], "3.17.0-evil");
}

#[test]
fn two_captures_of_one_network_swapped_plc_moved_port() {
    let old = build(&[A], None);
    let new = build(&[B], None);
    let d = diff(&old, &new);
    assert!(d.new_assets.is_empty() && d.vanished_assets.is_empty());
    // The PLC answers from another MAC: a swapped device (or NIC).
    let mac = d
        .identity_changes
        .iter()
        .find(|c| c.ip == PLC && c.field == "mac")
        .expect("MAC change");
    assert_eq!(mac.change, Change::Changed);
    assert_eq!(mac.old.as_deref(), Some("00:00:54:4f:54:10"));
    assert_eq!(mac.new.as_deref(), Some("00:00:54:4f:54:11"));
    // Same firmware both times: no firmware change.
    assert!(!d.identity_changes.iter().any(|c| c.field == "firmware"));
    // Modbus moved from 502 to 5020.
    assert_eq!(d.new_services.len(), 1);
    assert_eq!(
        (d.new_services[0].port, d.new_services[0].ip.as_str()),
        (5020, PLC)
    );
    assert_eq!(d.vanished_services.len(), 1);
    assert_eq!(d.vanished_services[0].port, 502);
    // Findings by id: the port-502 findings are resolved, the port-5020 one is new.
    let new_ids: Vec<&str> = d.new_findings.iter().map(|f| f.id.as_str()).collect();
    let old_ids: Vec<&str> = d.resolved_findings.iter().map(|f| f.id.as_str()).collect();
    for f in &new.findings {
        assert!(new_ids.contains(&f.id.as_str()));
    }
    for f in &old.findings {
        assert!(old_ids.contains(&f.id.as_str()));
    }
    assert_eq!(d.worst_new(), Some(Severity::Medium));
    let t = render_text(&d, false);
    assert!(t.contains("+ 10.77.0.10 tcp/5020 modbus"), "{t}");
    assert!(t.contains("- 10.77.0.10 tcp/502 modbus"), "{t}");
}

#[test]
fn verdict_changes_and_new_conduits() {
    let old = build(&[MMS], Some(ZONES));
    let mut new = old.clone();
    let i = new
        .conduits
        .iter()
        .position(|c| c.verdict == Verdict::Allowed)
        .unwrap();
    new.conduits[i].verdict = Verdict::Violation;
    new.conduits[i].rule = "declared conduits only".into();
    let gone = new.conduits.remove(0);
    let d = diff(&old, &new);
    assert_eq!(d.verdict_changes.len(), 1);
    assert_eq!(
        (
            d.verdict_changes[0].old.as_str(),
            d.verdict_changes[0].new.as_str()
        ),
        ("allowed", "violation")
    );
    assert_eq!(d.vanished_conduits.len(), 1);
    assert_eq!(d.vanished_conduits[0].port, gone.port);
    let back = diff(&new, &old);
    assert_eq!(back.new_conduits.len(), 1);
}

/// The report as JSON without the `sensors` keys merge adds.
fn without_sensors(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("sensors");
            m.values_mut().for_each(without_sensors);
        }
        Value::Array(a) => a.iter_mut().for_each(without_sensors),
        _ => {}
    }
}

#[test]
fn merging_one_report_gives_the_same_report() {
    for (paths, zones) in [
        (vec![A], None),
        (vec![MMS], Some(ZONES)),
        (
            vec![
                MMS,
                "captures/public/modbus/zeek__modbus-and-non-modbus-p502.pcap",
            ],
            Some(ZONES),
        ),
        (
            vec!["captures/public/s7comm/iti__s7comm_downloading_block_db1.pcap"],
            None,
        ),
    ] {
        let r = build(&paths, zones);
        let m = merge(&[("only".into(), r.clone())]);
        assert_eq!(m.sensors.len(), 1);
        assert_eq!(
            m.sensors[0].inputs,
            (0..r.inputs.len() as u16).collect::<Vec<_>>()
        );
        let mut a: Value = serde_json::from_str(&json::render(&r)).unwrap();
        let mut b: Value = serde_json::from_str(&json::render(&m)).unwrap();
        without_sensors(&mut a);
        without_sensors(&mut b);
        assert_eq!(a, b, "{paths:?}: merge of one report changed it");
    }
}

#[test]
fn two_sensors_of_one_network_merge_into_one_inventory() {
    let a = build(&[A], None);
    let b = build(&[B], None);
    let m = merge(&[("north".into(), a.clone()), ("south".into(), b.clone())]);
    // Inputs concatenated, sensors name theirs.
    assert_eq!(m.inputs.len(), 2);
    assert_eq!(m.inputs[1].path, B);
    assert_eq!(m.sensors[0].inputs, vec![0]);
    assert_eq!(m.sensors[1].inputs, vec![1]);
    // Same two IPs: two assets, each seen by both sensors.
    assert_eq!(m.assets.len(), 2);
    let plc = m.assets.iter().find(|x| x.ip == PLC).unwrap();
    assert_eq!(plc.sensors, vec!["north", "south"]);
    assert_eq!(plc.macs, vec!["00:00:54:4f:54:10", "00:00:54:4f:54:11"]);
    // One service per port, each with the sensor that saw it and evidence in its input.
    let ports: Vec<(u16, &[String])> = plc
        .services
        .iter()
        .map(|s| (s.port, s.sensors.as_slice()))
        .collect();
    assert_eq!(
        ports,
        vec![
            (502, &["north".to_string()][..]),
            (5020, &["south".to_string()][..])
        ]
    );
    let s5020 = &plc.services[1];
    assert!(!s5020.evidence.is_empty());
    assert!(
        s5020.evidence.iter().all(|e| e.input == 1),
        "renumbered to the second input"
    );
    // Identity claims: the same claim from both sensors is one entry with both sensors; the
    // fused identity is the one both reported.
    assert_eq!(plc.identity.firmware.as_deref(), Some("3.16.1-ots"));
    let fw = plc
        .identity
        .provenance
        .iter()
        .find(|p| p.field == "firmware")
        .unwrap();
    assert_eq!(fw.sensors, vec!["north", "south"]);
    assert!(fw.frames.iter().any(|f| f.input == 0) && fw.frames.iter().any(|f| f.input == 1));
    // Counters add up.
    let pa = a.assets.iter().find(|x| x.ip == PLC).unwrap();
    let pb = b.assets.iter().find(|x| x.ip == PLC).unwrap();
    assert_eq!(plc.packets_sent, pa.packets_sent + pb.packets_sent);
    assert_eq!(m.summary.packets, a.summary.packets + b.summary.packets);
    assert_eq!(
        m.capture_quality.frames,
        a.capture_quality.frames + b.capture_quality.frames
    );
    assert_eq!(
        m.summary.first_ts,
        a.summary.first_ts.min(b.summary.first_ts)
    );
    // Findings: the union (different ports, different ids), evidence pointing at its input.
    assert_eq!(m.findings.len(), a.findings.len() + b.findings.len());
    let f5020 = m.findings.iter().find(|f| f.port == Some(5020)).unwrap();
    assert_eq!(f5020.sensors, vec!["south"]);
    assert!(f5020.evidence.iter().all(|e| e.input == 1));
    assert_eq!(
        m.summary.findings_by_severity.values().sum::<u64>(),
        m.findings.len() as u64
    );
    // Zones: the same inferred zone, once.
    assert_eq!(m.zones.len(), 1);
    assert_eq!(m.zones[0].assets.len(), 2);
    // Worst first, as in a single report.
    assert!(
        m.findings
            .windows(2)
            .all(|w| w[0].severity >= w[1].severity)
    );
}

#[test]
fn the_same_finding_from_two_sensors_is_counted_once_with_both_counts() {
    let r = build(&[MMS], Some(ZONES));
    let mut r2 = r.clone();
    // Sensor 2 judged one conduit allowed that sensor 1 saw as a violation: the worst wins.
    let vi = r
        .conduits
        .iter()
        .position(|c| c.verdict == Verdict::Violation)
        .unwrap();
    r2.conduits[vi].verdict = Verdict::Allowed;
    r2.conduits[vi].rule = "declared".into();
    let m = merge(&[("s1".into(), r2.clone()), ("s2".into(), r.clone())]);
    assert_eq!(m.findings.len(), r.findings.len());
    for (f, orig) in m.findings.iter().zip(&r.findings) {
        assert_eq!(f.id, orig.id);
        assert_eq!(f.count, 2 * orig.count, "{}", f.id);
        assert_eq!(f.sensors, vec!["s1", "s2"]);
    }
    assert_eq!(m.conduits.len(), r.conduits.len());
    let c = &m.conduits[vi];
    assert_eq!(c.verdict, Verdict::Violation, "worst verdict");
    assert_eq!(c.rule, r.conduits[vi].rule);
    assert_eq!(c.flows, 2 * r.conduits[vi].flows);
    assert_eq!(m.summary.violations, r.summary.violations);
    let cell = m
        .zone_matrix
        .iter()
        .find(|x| x.src_zone == c.src_zone && x.dst_zone == c.dst_zone)
        .unwrap();
    assert_eq!(cell.verdict, "violation");
    // The diagonal (traffic inside zones) adds up too.
    let d1: u64 = r
        .zone_matrix
        .iter()
        .filter(|x| x.src_zone == x.dst_zone)
        .map(|x| x.flows)
        .sum();
    let d2: u64 = m
        .zone_matrix
        .iter()
        .filter(|x| x.src_zone == x.dst_zone)
        .map(|x| x.flows)
        .sum();
    assert_eq!(d2, 2 * d1);
    // Every renderer takes a merged report; HTML and Markdown name the sensors.
    let h = otscope::report::html::render(&m);
    assert!(h.contains("from 2 sensor(s): s1, s2"));
    assert!(otscope::report::markdown::render(&m).contains("2 sensor(s): s1, s2"));
    assert!(otscope::report::table::render(&m).contains("from 2 sensor(s): s1, s2"));
    // And the merged report diffs cleanly against itself after a JSON round trip.
    let back: Report = serde_json::from_str(&json::render(&m)).unwrap();
    assert!(!diff(&m, &back).has_changes());
}
