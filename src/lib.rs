//! # otscope — passive OT network segmentation and exposure scanner
//!
//! otscope reads packet captures (pcap, pcapng, gzip-compressed or not) or a live SPAN port and
//! answers four questions: what is on the OT network (assets with vendor, model, firmware,
//! role and the frames that prove it), whether the segmentation is real (zones and conduits
//! judged against the operator's policy), what is exposed (management and industrial
//! interfaces reachable from the internet, logins without a second factor), and it writes the
//! report for people and for tools. It never sends a packet.
//!
//! ## The pipeline
//!
//! ```text
//! capture ──Frame──▶ decode ──Packet──▶ flow table ──(flow, side)──▶ reassembly
//!   ──StreamEvent (Data | Gap)──▶ dissect::<proto> ──observations──▶ inventory
//!   ──▶ assets ──▶ zones (asset→zone, flow→conduit) ──▶ findings ──▶ report ──▶ renderer
//! ```
//!
//! * [`capture`] reads files in large blocks and merges several inputs in timestamp order;
//! * [`decode`] checks and decodes L2–L4 headers in place (no copies), reassembles IP fragments;
//! * [`engine`] runs one worker: SPAN duplicate removal, the bounded [`flow`] table, TCP
//!   [`flow::reassembly`], dissector detection and dispatch;
//! * [`dissect`] holds the protocol dissectors (`nom` parsers with per-flow state) which report
//!   identity claims, operations, authentications, facts and anomalies
//!   ([`inventory::observation`]);
//! * [`analysis`] drives one or several workers and merges their results;
//! * [`inventory`] fuses observations into assets; [`report`] renders.
//!
//! Offline analysis is a plain loop (or sharded workers with a deterministic merge), so the same
//! input gives the same report byte for byte. Every table that grows with the input is bounded
//! by [`config::Limits`]; hitting a bound is counted in `capture_quality.bounds_hit`.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod capture;
pub mod config;
pub mod decode;
pub mod dissect;
pub mod engine;
pub mod evidence;
pub mod findings;
pub mod flow;
pub mod inventory;
pub mod report;
pub mod time;
pub mod zones;

use config::{Config, Format};
use std::io::{IsTerminal, Write};

/// Exit codes (documented in the README).
pub mod exit {
    /// Done (no finding at or above `--fail-on`).
    pub const OK: u8 = 0;
    /// Findings at or above the `--fail-on` threshold.
    pub const FINDINGS: u8 = 1;
    /// Usage or input error.
    pub const ERROR: u8 = 2;
}

/// Inventory, zones and conduits (and findings) of an analysis, as a report. Zones come from
/// the operator's file, or are inferred when there is none.
pub fn build_report(
    analysis: &analysis::Analysis,
    sigs: &inventory::signatures::Signatures,
    zones_cfg: Option<zones::config::ZonesConfig>,
    show_secrets: bool,
) -> report::Report {
    let mut assets = inventory::build(analysis, sigs);
    let cfg = zones_cfg.unwrap_or_else(|| zones::infer::infer(&assets).0);
    let map = zones::ZoneMap::new(cfg);
    let seg = zones::segment(&map, &mut assets, &analysis.convs, 8);
    let mut report = report::Report::new(analysis, assets, seg);
    let f = findings::evaluate(analysis, &report, show_secrets);
    report.set_findings(f);
    report
}

/// Run `analyze` with a configuration; returns the process exit code.
pub fn run(cfg: &Config) -> u8 {
    let sigs = match &cfg.signatures {
        Some(dir) => match inventory::signatures::Signatures::with_dir(dir) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("otscope: signatures: {e}");
                return exit::ERROR;
            }
        },
        None => inventory::signatures::Signatures::builtin(),
    };
    let zones_cfg = match &cfg.zones {
        Some(p) => match zones::config::ZonesConfig::load(p) {
            Ok(z) => Some(z),
            Err(e) => {
                eprintln!("otscope: zones: {e}");
                return exit::ERROR;
            }
        },
        None => None,
    };
    let analysis = analysis::analyze(&cfg.inputs, &cfg.limits, cfg.threads, None);
    for e in &analysis.input_errors {
        eprintln!("otscope: {e}");
    }
    for (dir, n) in &analysis.skipped {
        eprintln!("otscope: {dir}: skipped {n} file(s) that are not captures");
    }
    for i in &analysis.inputs {
        if i.packets == 0 && i.stopped.is_none() {
            eprintln!("otscope: {}: capture holds no packets", i.path);
        }
        if let Some(s) = &i.stopped {
            eprintln!(
                "otscope: {}: stopped after frame {} (byte {}): {}",
                i.path, s.after_frame, s.offset, s.reason
            );
        }
    }
    if analysis.inputs.is_empty() {
        if analysis.input_errors.is_empty() {
            eprintln!("otscope: no capture files given");
        }
        return exit::ERROR;
    }
    let report = build_report(&analysis, &sigs, zones_cfg, cfg.show_secrets);
    let text = match cfg.format {
        Format::Table => report::table::render_with(
            &report,
            report::table::color_wanted(cfg.output.is_none() && std::io::stdout().is_terminal()),
            report::table::width_from_env().unwrap_or(report::table::DEFAULT_WIDTH),
        ),
        Format::Markdown => report::markdown::render(&report),
        Format::Html => report::html::render(&report),
        Format::Sarif => report::sarif::render(&report),
        Format::Csv => {
            // CSV is three files: -o names the directory.
            let Some(dir) = &cfg.output else {
                eprintln!(
                    "otscope: --format csv needs -o DIR (a directory for assets.csv, conduits.csv, findings.csv)"
                );
                return exit::ERROR;
            };
            if let Err(e) = report::csv::write_dir(&report, dir) {
                eprintln!("otscope: cannot write the report: {e}");
                return exit::ERROR;
            }
            return finish(&analysis, &report, cfg);
        }
        Format::Json => report::json::render(&report),
    };
    let written = match &cfg.output {
        Some(p) => std::fs::write(p, text.as_bytes()).map_err(|e| format!("{}: {e}", p.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("stdout: {e}")),
    };
    if let Err(e) = written {
        eprintln!("otscope: cannot write the report: {e}");
        return exit::ERROR;
    }
    finish(&analysis, &report, cfg)
}

/// Exit code once the report is written.
fn finish(analysis: &analysis::Analysis, report: &report::Report, cfg: &Config) -> u8 {
    if !analysis.input_errors.is_empty() {
        return exit::ERROR;
    }
    if let (Some(t), Some(w)) = (cfg.fail_on, report.worst()) {
        if w >= t {
            return exit::FINDINGS;
        }
    }
    exit::OK
}

/// Run `diff OLD NEW`: print what changed (text or JSON); exit 1 when `fail_on` is given and
/// a new finding (or a raised severity) reaches it, 2 when a report cannot be read.
pub fn run_diff(
    old: &std::path::Path,
    new: &std::path::Path,
    json: bool,
    fail_on: Option<zones::Severity>,
) -> u8 {
    let (o, n) = match (report::load(old), report::load(new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("otscope: {e}");
            return exit::ERROR;
        }
    };
    let d = report::diff::diff(&o, &n);
    let text = if json {
        report::diff::render_json(&d)
    } else {
        report::diff::render_text(
            &d,
            report::table::color_wanted(std::io::stdout().is_terminal()),
        )
    };
    if let Err(e) = std::io::stdout().lock().write_all(text.as_bytes()) {
        eprintln!("otscope: stdout: {e}");
        return exit::ERROR;
    }
    match (fail_on, d.worst_new()) {
        (Some(t), Some(w)) if w >= t => exit::FINDINGS,
        _ => exit::OK,
    }
}

/// Run `merge [NAME=]REPORT.json...`: one JSON report; a sensor is named NAME, or after its
/// file's stem.
pub fn run_merge(reports: &[String], output: Option<&std::path::Path>) -> u8 {
    let mut loaded = Vec::new();
    for arg in reports {
        let (name, path) = match arg.split_once('=') {
            Some((n, p)) if !n.is_empty() && !std::path::Path::new(arg).exists() => {
                (n.to_string(), std::path::PathBuf::from(p))
            }
            _ => {
                let p = std::path::PathBuf::from(arg);
                let stem = p
                    .file_stem()
                    .map_or_else(|| arg.clone(), |s| s.to_string_lossy().into_owned());
                (stem, p)
            }
        };
        match report::load(&path) {
            Ok(r) => loaded.push((name, r)),
            Err(e) => {
                eprintln!("otscope: {e}");
                return exit::ERROR;
            }
        }
    }
    let m = report::merge::merge(&loaded);
    let text = report::json::render(&m);
    let written = match output {
        Some(p) => std::fs::write(p, text.as_bytes()).map_err(|e| format!("{}: {e}", p.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("stdout: {e}")),
    };
    match written {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("otscope: cannot write the merged report: {e}");
            exit::ERROR
        }
    }
}
