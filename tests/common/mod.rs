//! Helpers shared by the integration tests. Captures come from `captures/` only.
#![allow(dead_code)]

use otscope::analysis::{Analysis, analyze};
use otscope::config::Limits;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn capture(rel: &str) -> PathBuf {
    root().join("captures").join(rel)
}

pub fn run(paths: &[PathBuf]) -> Analysis {
    analyze(paths, &Limits::default(), 1, None)
}

pub fn run1(rel: &str) -> Analysis {
    run(&[capture(rel)])
}

/// Every capture file under `captures/public` (sorted).
pub fn public_captures() -> Vec<PathBuf> {
    let mut v = Vec::new();
    fn walk(d: &Path, v: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, v);
            } else if p.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
                v.push(p);
            }
        }
    }
    walk(&capture("public"), &mut v);
    v
}

/// The tshark truth of a public capture, by file stem.
pub fn truth(stem: &str) -> serde_json::Value {
    let p = capture("public/truth").join(format!("{stem}.json"));
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

/// Full report (inventory, zones inferred unless given, findings) as JSON.
pub fn report_json(paths: &[PathBuf], zones: Option<&Path>) -> serde_json::Value {
    let a = run(paths);
    let sigs = otscope::inventory::signatures::Signatures::builtin();
    let z = zones.map(|p| otscope::zones::config::ZonesConfig::load(p).unwrap());
    let r = otscope::build_report(&a, &sigs, z, false);
    serde_json::to_value(&r).unwrap()
}
