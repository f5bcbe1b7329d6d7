//! The JSON report against its schema (`schema/report.schema.json`, draft 2020-12, validated
//! with `boon`): every capture in `captures/` gives a report that validates, so do a report
//! with a zones file, one with an unreadable input and a merged one; the schema requires the
//! keys DESIGN.md section 4 names, forbids undocumented ones, and rejects broken reports.

mod common;

use common::{capture, root};
use otscope::report::Report;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    fn load(path: &Path, url: &str) -> Validator {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut schemas = boon::Schemas::new();
        let mut c = boon::Compiler::new();
        c.enable_format_assertions();
        c.add_resource(url, doc).unwrap();
        let index = c
            .compile(url, &mut schemas)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Validator { schemas, index }
    }

    fn report() -> Validator {
        Validator::load(
            &root().join("schema/report.schema.json"),
            "https://otscope.invalid/schema/report.schema.json",
        )
    }

    fn errors(&self, v: &Value) -> Option<String> {
        self.schemas
            .validate(v, self.index)
            .err()
            .map(|e| format!("{e:#}"))
    }
}

/// Every capture file under `captures/` (public and generated), sorted.
fn all_captures() -> Vec<PathBuf> {
    let mut v = common::public_captures();
    let mut g: Vec<PathBuf> = std::fs::read_dir(capture("generated"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    g.sort();
    v.extend(g);
    v
}

fn report(paths: &[PathBuf], zones: Option<&Path>) -> Report {
    let a = common::run(paths);
    let sigs = otscope::inventory::signatures::Signatures::builtin();
    let z = zones.map(|p| otscope::zones::config::ZonesConfig::load(p).unwrap());
    otscope::build_report(&a, &sigs, z, false)
}

fn to_value(r: &Report) -> Value {
    // Through the JSON text, as a consumer reads it.
    serde_json::from_str(&otscope::report::json::render(r)).unwrap()
}

#[test]
fn every_capture_gives_a_report_that_validates() {
    let v = Validator::report();
    let files = all_captures();
    assert!(files.len() > 50, "captures missing: {}", files.len());
    // Two workers: the captures are independent.
    let check = |p: &PathBuf| {
        let r = report(std::slice::from_ref(p), None);
        let j = to_value(&r);
        assert_eq!(j["inputs"][0]["path"], json!(p.to_string_lossy()));
        v.errors(&j).map(|e| format!("{}: {e}", p.display()))
    };
    let failures: Vec<String> = std::thread::scope(|s| {
        let odd = s.spawn(|| {
            files
                .iter()
                .skip(1)
                .step_by(2)
                .filter_map(check)
                .collect::<Vec<String>>()
        });
        let mut f: Vec<String> = files.iter().step_by(2).filter_map(check).collect();
        f.extend(odd.join().unwrap());
        f
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn reports_with_zones_errors_and_merges_validate() {
    let v = Validator::report();
    let demo = [
        capture("public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap"),
        capture("public/modbus/zeek__modbus-and-non-modbus-p502.pcap"),
    ];
    let zones = root().join("tests/golden/demo-zones.toml");
    let r = report(&demo, Some(&zones));
    assert!(r.summary.violations > 0 && !r.zones_inferred);
    let j = to_value(&r);
    assert_eq!(v.errors(&j), None);

    // An unreadable input next to a readable one: input_errors is present and documented.
    let r = report(
        &[
            capture("generated/modbus-pymodbus.pcap"),
            root().join("tests/golden/does-not-exist.pcap"),
        ],
        None,
    );
    assert_eq!(r.input_errors.len(), 1);
    assert_eq!(v.errors(&to_value(&r)), None);

    // A merged report carries sensors (top level and per element).
    let a = report(&[capture("generated/modbus-pymodbus.pcap")], None);
    let b = report(&[capture("generated/modbus-pymodbus-port5020.pcap")], None);
    let m = otscope::report::merge::merge(&[("north".into(), a), ("south".into(), b)]);
    let j = to_value(&m);
    assert_eq!(j["sensors"][1]["name"], "south");
    assert!(j["assets"][0]["sensors"].is_array());
    assert_eq!(v.errors(&j), None);

    // A live report whose oldest saved file was deleted by --save-max marks it pruned.
    let mut r = report(&[capture("generated/modbus-pymodbus.pcap")], None);
    r.inputs[0].pruned = true;
    let mut j = to_value(&r);
    assert_eq!(j["inputs"][0]["pruned"], true);
    assert_eq!(v.errors(&j), None);
    j["inputs"][0]["pruned"] = Value::from(false);
    assert!(v.errors(&j).is_some(), "pruned is present only when true");
}

#[test]
fn schema_requires_the_keys_design_names() {
    let s: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let req = |v: &Value| -> Vec<String> {
        v["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    let has = |v: &Value, keys: &[&str], what: &str| {
        let r = req(v);
        for k in keys {
            assert!(r.contains(&k.to_string()), "{what}: {k} not required");
        }
        assert_eq!(v["additionalProperties"], json!(false), "{what}: open");
    };
    // DESIGN.md section 4.
    has(
        &s,
        &[
            "schema_version",
            "tool",
            "inputs",
            "capture_quality",
            "zones",
            "assets",
            "conduits",
            "findings",
        ],
        "report",
    );
    let d = &s["$defs"];
    has(&d["tool"], &["name", "version"], "tool");
    has(
        &d["input"],
        &[
            "path",
            "sha256",
            "format",
            "link_types",
            "packets",
            "bytes",
            "first_ts",
            "last_ts",
        ],
        "inputs",
    );
    has(
        &d["zone"],
        &["name", "level", "cidrs", "vlans", "assets"],
        "zones",
    );
    has(
        &d["asset"],
        &[
            "ip",
            "macs",
            "mac_vendor",
            "zone",
            "level",
            "roles",
            "identity",
            "services",
            "protocols",
            "first_ts",
            "last_ts",
        ],
        "assets",
    );
    has(&d["role"], &["role", "confidence", "evidence"], "roles");
    has(&d["identity"], &["provenance"], "identity");
    for f in [
        "vendor",
        "product",
        "model",
        "firmware",
        "hardware_version",
        "serial",
        "order_number",
        "name",
        "application_uri",
        "product_uri",
    ] {
        assert!(d["identity"]["properties"].get(f).is_some(), "identity.{f}");
    }
    has(
        &d["provenance"],
        &["field", "value", "source", "frames"],
        "provenance",
    );
    has(
        &d["service"],
        &["transport", "port", "protocol", "clients"],
        "services",
    );
    has(
        &d["conduit"],
        &[
            "src_zone",
            "dst_zone",
            "protocol",
            "transport",
            "port",
            "flows",
            "packets",
            "bytes",
            "initiators",
            "responders",
            "verdict",
            "rule",
        ],
        "conduits",
    );
    assert_eq!(
        d["conduit"]["properties"]["verdict"]["enum"],
        json!(["allowed", "violation", "unzoned", "unrated"])
    );
    has(
        &d["finding"],
        &[
            "id",
            "rule",
            "kind",
            "severity",
            "title",
            "asset",
            "port",
            "protocol",
            "peer",
            "evidence",
            "tshark_filter",
            "remediation",
            "references",
        ],
        "findings",
    );
    has(
        &d["finding_evidence"],
        &["frame", "ts", "detail"],
        "findings.evidence",
    );
}

#[test]
fn schema_rejects_broken_reports() {
    let v = Validator::report();
    let good = to_value(&report(
        &[capture(
            "public/s7comm/iti__s7comm_downloading_block_db1.pcap",
        )],
        None,
    ));
    assert_eq!(v.errors(&good), None);
    type Breakage = (&'static str, Box<dyn Fn(&mut Value)>);
    let broken: [Breakage; 8] = [
        (
            "missing findings",
            Box::new(|j| {
                j.as_object_mut().unwrap().remove("findings");
            }),
        ),
        (
            "undocumented top-level key",
            Box::new(|j| j["surprise"] = json!(1)),
        ),
        (
            "undocumented asset key",
            Box::new(|j| j["assets"][0]["colour"] = json!("red")),
        ),
        (
            "unknown severity",
            Box::new(|j| j["findings"][0]["severity"] = json!("urgent")),
        ),
        (
            "negative count",
            Box::new(|j| j["summary"]["packets"] = json!(-1)),
        ),
        (
            "bad timestamp",
            Box::new(|j| j["assets"][0]["first_ts"] = json!("yesterday")),
        ),
        (
            "unknown role",
            Box::new(|j| j["assets"][0]["roles"][0]["role"] = json!("toaster")),
        ),
        (
            "frame 0",
            Box::new(|j| j["findings"][0]["evidence"][0]["frame"] = json!(0)),
        ),
    ];
    for (what, f) in broken {
        let mut j = good.clone();
        f(&mut j);
        assert!(
            v.errors(&j).is_some(),
            "schema accepted a report with {what}"
        );
    }
}
