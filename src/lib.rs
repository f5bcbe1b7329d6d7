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

/// `eprintln!` that cannot panic: a message to standard error is dropped when standard error
/// is gone (closed, or a pipe whose reader left, as in `otscope ... 2>&1 | head`).
macro_rules! warn {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that cannot panic (the progress line).
macro_rules! warn_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

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
#[cfg(feature = "live")]
pub mod live;
pub mod par;
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
    let f = findings::evaluate(analysis, &report, show_secrets, analysis.threads);
    report.set_findings(f);
    report
}

/// Run `analyze` with a configuration; returns the process exit code.
pub fn run(cfg: &Config) -> u8 {
    let sigs = match &cfg.signatures {
        Some(dir) => match inventory::signatures::Signatures::with_dir(dir) {
            Ok(s) => s,
            Err(e) => {
                warn!("otscope: signatures: {e}");
                return exit::ERROR;
            }
        },
        None => inventory::signatures::Signatures::builtin(),
    };
    let zones_cfg = match &cfg.zones {
        Some(p) => match zones::config::ZonesConfig::load(p) {
            Ok(z) => Some(z),
            Err(e) => {
                warn!("otscope: zones: {e}");
                return exit::ERROR;
            }
        },
        None => None,
    };
    let progress = (!cfg.quiet).then(|| Progress::new(&cfg.inputs));
    let update = |b: u64| {
        if let Some(p) = &progress {
            p.update(b)
        }
    };
    let cb: Option<&(dyn Fn(u64) + Sync)> =
        progress.as_ref().map(|_| &update as &(dyn Fn(u64) + Sync));
    let analysis = analysis::analyze(&cfg.inputs, &cfg.limits, cfg.threads, cb);
    if let Some(p) = &progress {
        p.done();
    }
    for e in &analysis.input_errors {
        warn!("otscope: {e}");
    }
    for (dir, n) in &analysis.skipped {
        warn!("otscope: {dir}: skipped {n} file(s) that are not captures");
    }
    for i in &analysis.inputs {
        if i.packets == 0 && i.stopped.is_none() {
            warn!("otscope: {}: capture holds no packets", i.path);
        }
        if let Some(s) = &i.stopped {
            warn!(
                "otscope: {}: stopped after frame {} (byte {}): {}",
                i.path, s.after_frame, s.offset, s.reason
            );
        }
    }
    if analysis.inputs.is_empty() {
        if analysis.input_errors.is_empty() {
            warn!("otscope: no capture files given");
        }
        return exit::ERROR;
    }
    let mut report = build_report(&analysis, &sigs, zones_cfg, cfg.show_secrets);
    let threads = analysis.threads;
    // The report holds what is written from here on: free the flows, hosts and observations
    // (a large capture's report is tens of MB of text), on another thread while the report is
    // rendered: freeing a ten-thousand-asset analysis takes about 0.1 s.
    let input_errors = !analysis.input_errors.is_empty();
    free_in_background(analysis);
    if let Some(dir) = &cfg.csv_dir {
        if let Err(e) = report::csv::write_dir(&report, dir) {
            warn!("otscope: cannot write the CSV files: {e}");
            return exit::ERROR;
        }
    }
    let text = match cfg.format {
        Format::Table => Some(report::table::render_with(
            &report,
            report::table::color_wanted(cfg.output.is_none() && std::io::stdout().is_terminal()),
            report::table::width_from_env().unwrap_or(report::table::DEFAULT_WIDTH),
        )),
        Format::Markdown => Some(report::markdown::render(&report)),
        Format::Html => Some(report::html::render(&report)),
        // Streamed: the text of a large report is never held in memory whole.
        Format::Json | Format::Sarif => None,
        Format::Csv => {
            // CSV is three files: -o names the directory.
            let Some(dir) = &cfg.output else {
                warn!(
                    "otscope: --format csv needs -o DIR (a directory for assets.csv, conduits.csv, findings.csv)"
                );
                return exit::ERROR;
            };
            if let Err(e) = report::csv::write_dir(&report, dir) {
                warn!("otscope: cannot write the report: {e}");
                return exit::ERROR;
            }
            return finish(input_errors, report, cfg);
        }
    };
    let written = write_out(cfg.output.as_deref(), |w| match &text {
        Some(t) => w.write_all(t.as_bytes()),
        None if cfg.format == Format::Sarif => report::sarif::write(&report, w),
        None => report::json::write_parallel(&mut report, w, threads),
    });
    if let Err(e) = written {
        warn!("otscope: cannot write the report: {e}");
        return exit::ERROR;
    }
    finish(input_errors, report, cfg)
}

/// Write what `emit` produces to `path`, or to standard output when `None` (buffered either
/// way). A reader that closed the pipe early (`otscope ... | head`) is not an error: like other
/// command-line tools, stop writing quietly. The error names the file or `stdout`.
fn write_out(
    path: Option<&std::path::Path>,
    emit: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match path {
        Some(p) => std::fs::File::create(p)
            .and_then(|f| {
                let mut w = std::io::BufWriter::new(f);
                emit(&mut w)?;
                w.flush()
            })
            .map_err(|e| format!("{}: {e}", p.display())),
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            match emit(&mut out).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(|e| format!("stdout: {e}")),
            }
        }
    }
}

/// The exit code of a run whose report is written; the report is freed in the background.
fn finish(input_errors: bool, report: report::Report, cfg: &Config) -> u8 {
    let code = if input_errors {
        exit::ERROR
    } else if cfg.fail_on.zip(report.worst()).is_some_and(|(t, w)| w >= t) {
        exit::FINDINGS
    } else {
        exit::OK
    };
    free_in_background(report);
    code
}

/// Drop `v` on a thread of its own: freeing the millions of small allocations of a large
/// analysis or report takes a tenth of a second that the caller need not wait for (at the
/// end of a run the process exits meanwhile and the kernel takes the memory back at once).
/// If no thread can be started, `v` is dropped here.
fn free_in_background<T: Send + 'static>(v: T) {
    let _detached = std::thread::Builder::new()
        .name("otscope-free".into())
        .spawn(move || drop(v));
}

/// A one-line progress display on standard error for long offline runs (only when standard
/// error is a terminal and `--quiet` was not given).
struct Progress {
    total: u64,
    start: std::time::Instant,
    last: std::sync::Mutex<std::time::Instant>,
}

impl Progress {
    fn new(paths: &[std::path::PathBuf]) -> Progress {
        let files = capture::merge::expand_inputs(paths).files;
        let total = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let now = std::time::Instant::now();
        Progress {
            total,
            start: now,
            last: std::sync::Mutex::new(now),
        }
    }

    fn update(&self, bytes: u64) {
        let now = std::time::Instant::now();
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if now.duration_since(*last).as_millis() < 250 {
            return;
        }
        *last = now;
        let secs = now.duration_since(self.start).as_secs_f64().max(1e-3);
        let mb = bytes as f64 / 1e6;
        if self.total > 0 && bytes <= self.total {
            warn_inline!(
                "\r\x1b[Kotscope: {:5.1}% {:.0} of {:.0} MB, {:.0} MB/s",
                100.0 * bytes as f64 / self.total as f64,
                mb,
                self.total as f64 / 1e6,
                mb / secs
            );
        } else {
            warn_inline!("\r\x1b[Kotscope: {mb:.0} MB, {:.0} MB/s", mb / secs);
        }
    }

    fn done(&self) {
        warn_inline!("\r\x1b[K");
    }
}

/// `otscope zones infer`: a draft zones.toml from captures.
pub fn zones_infer(inputs: &[std::path::PathBuf], output: Option<&std::path::Path>) -> u8 {
    let cfg = Config::default();
    let analysis = analysis::analyze(inputs, &cfg.limits, 1, None);
    for e in &analysis.input_errors {
        warn!("otscope: {e}");
    }
    if analysis.inputs.is_empty() {
        return exit::ERROR;
    }
    let assets = inventory::build(&analysis, &inventory::signatures::Signatures::builtin());
    let (z, notes) = zones::infer::infer(&assets);
    let paths: Vec<String> = analysis.inputs.iter().map(|i| i.path.clone()).collect();
    let text = zones::infer::to_toml(&z, &notes, &paths);
    // What we write must be what we read.
    if let Err(e) = zones::config::ZonesConfig::parse("draft", &text) {
        warn!("otscope: internal error: the inferred zones do not parse: {e}");
        return exit::ERROR;
    }
    let written = write_out(output, |w| w.write_all(text.as_bytes()));
    match written {
        Ok(()) if analysis.input_errors.is_empty() => exit::OK,
        Ok(()) => exit::ERROR,
        Err(e) => {
            warn!("otscope: {e}");
            exit::ERROR
        }
    }
}

/// `otscope signatures check [DIR]`: validate the built-in signatures and a user directory.
pub fn signatures_check(dir: Option<&std::path::Path>) -> u8 {
    let sigs = match dir {
        Some(d) => inventory::signatures::Signatures::with_dir(d),
        None => Ok(inventory::signatures::Signatures::builtin()),
    };
    match sigs {
        Ok(s) => {
            println!("{}", s.summary());
            exit::OK
        }
        Err(e) => {
            warn!("otscope: signatures: {e}");
            exit::ERROR
        }
    }
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
            warn!("otscope: {e}");
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
    if let Err(e) = write_out(None, |w| w.write_all(text.as_bytes())) {
        warn!("otscope: {e}");
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
                warn!("otscope: {e}");
                return exit::ERROR;
            }
        }
    }
    let m = report::merge::merge(&loaded);
    let written = write_out(output, |w| report::json::write(&m, w));
    match written {
        Ok(()) => exit::OK,
        Err(e) => {
            warn!("otscope: cannot write the merged report: {e}");
            exit::ERROR
        }
    }
}
