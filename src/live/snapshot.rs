//! Snapshots: the report of the state so far, rendered and written atomically.
//!
//! A snapshot file is written to a temporary file in the same directory (`.NAME.tmp`), synced
//! to disk, renamed over `NAME` and the directory synced, so a reader sees either the previous
//! snapshot or the new one, never a part of one, and a crash loses at most the interval since
//! the last snapshot.
//!
//! The JSON is the offline report plus a top-level `live` object (the capture's own counters:
//! libpcap's kernel and interface drops, frames shed by the analysis queue, frames analysed,
//! the snapshot's sequence number and time). The losses also appear in the report's own
//! `capture_quality`: `capture_drops` is kernel + interface drops, and
//! `bounds_hit.live_queue` the frames shed.

use super::pipeline::Snap;
use crate::analysis::Analysis;
use crate::config::Format;
use crate::inventory::signatures::Signatures;
use crate::report::Report;
use crate::time::Timestamp;
use crate::zones::config::ZonesConfig;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The capture's own counters, as the `live` object of a snapshot.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveStatus {
    pub interface: String,
    pub link_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bpf: Option<String>,
    pub started: Timestamp,
    /// When this snapshot was taken (wall clock).
    pub snapshot_time: Timestamp,
    /// 1 for the first snapshot, then +1 each.
    pub snapshot: u64,
    /// The last snapshot of the run (capture stopped, every flow closed).
    #[serde(rename = "final")]
    pub last: bool,
    /// Packets libpcap counted (`ps_recv`).
    pub received: u64,
    /// Frames libpcap handed to otscope.
    pub captured: u64,
    pub captured_bytes: u64,
    /// Frames the analysis has processed (the report covers these).
    pub analysed: u64,
    /// Dropped in the kernel because the ring buffer was full (`ps_drop`).
    pub kernel_drops: u64,
    /// Dropped by the interface or its driver (`ps_ifdrop`).
    pub interface_drops: u64,
    /// Frames captured but shed because the analysis queue was full.
    pub queue_shed_frames: u64,
    pub queue_shed_bytes: u64,
    /// Frames written to pcapng files (`--save-pcap`), or null when not saving.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_error: Option<String>,
    /// Resident memory of the otscope process, bytes (Linux).
    pub rss_bytes: u64,
}

/// The report and its `live` object, serialised as one JSON document.
#[derive(Serialize)]
struct LiveReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    live: &'a LiveStatus,
}

/// What a snapshot needs besides the analysis state.
pub struct ReportSetup {
    pub sigs: Signatures,
    pub zones: Option<ZonesConfig>,
    pub show_secrets: bool,
}

/// Build the report of a snapshot and fold the capture's losses into its `capture_quality`.
pub fn build(snap: Snap, setup: &ReportSetup, st: &LiveStatus) -> Report {
    let sh = snap.shard;
    let analysis = Analysis {
        inputs: snap.inputs,
        input_errors: Vec::new(),
        skipped: Vec::new(),
        store: sh.store,
        hosts: sh.hosts,
        convs: sh.convs,
        counters: sh.counters,
        threads: 1,
    };
    let mut r = crate::build_report(
        &analysis,
        &setup.sigs,
        setup.zones.clone(),
        setup.show_secrets,
    );
    let q = &mut r.capture_quality;
    q.capture_drops = st.kernel_drops + st.interface_drops;
    if st.queue_shed_frames > 0 {
        q.bounds_hit
            .insert("live_queue".to_string(), st.queue_shed_frames);
    }
    if st.saved_to.is_none() {
        // Frames were not kept: there is no file to run tshark on; the evidence keeps the
        // frame's position in the capture and its timestamp.
        for f in &mut r.findings {
            f.tshark_commands.clear();
        }
    }
    r
}

/// The JSON of a snapshot: the report and the `live` object.
pub fn render_json(r: &Report, st: &LiveStatus) -> String {
    let mut s = serde_json::to_string_pretty(&LiveReport {
        report: r,
        live: st,
    })
    .expect("report serialises");
    s.push('\n');
    s
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// The HTML of a snapshot: the report's own HTML (zone map, tables, evidence), with the
/// capture's counters and any loss stated at the top of the page.
pub fn render_html(r: &Report, st: &LiveStatus) -> String {
    let loss = st.kernel_drops + st.interface_drops + st.queue_shed_frames;
    let mut h = String::new();
    h.push_str(&format!(
        "<section class=\"live\" style=\"font-family:system-ui,sans-serif;margin:1em 0;padding:.5em 1em;border:1px solid #ccc\">\n<h2>otscope live on {}</h2>\n<p>Snapshot {} at {}{} — capture started {}.</p>\n",
        esc(&st.interface),
        st.snapshot,
        st.snapshot_time,
        if st.last { " (final)" } else { "" },
        st.started
    ));
    h.push_str("<table><tr><th>captured</th><th>analysed</th><th>kernel drops</th><th>interface drops</th><th>shed by the analysis queue</th></tr>");
    h.push_str(&format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>\n",
        st.captured, st.analysed, st.kernel_drops, st.interface_drops, st.queue_shed_frames
    ));
    if loss > 0 {
        h.push_str(&format!(
            "<p style=\"color:#b00;font-weight:bold\">{loss} frames were lost: the report does not cover them.</p>\n"
        ));
    }
    h.push_str("</section>\n");
    let page = crate::report::html::render(r);
    match page.find("<body>") {
        Some(i) => format!("{}{h}{}", &page[..i + 6], &page[i + 6..]),
        None => format!("{h}{page}"),
    }
}

/// File name of a format in the output directory.
pub fn file_name(f: Format) -> &'static str {
    match f {
        Format::Json => "report.json",
        Format::Html => "report.html",
        Format::Table => "report.txt",
        Format::Csv => "assets.csv",
        Format::Markdown => "report.md",
        Format::Sarif => "report.sarif",
    }
}

/// Render a format: the files it makes in the output directory (CSV is three).
pub fn render(f: Format, r: &Report, st: &LiveStatus) -> Vec<(&'static str, String)> {
    match f {
        Format::Json => vec![(file_name(f), render_json(r, st))],
        Format::Html => vec![(file_name(f), render_html(r, st))],
        Format::Table => vec![(file_name(f), crate::report::table::render(r))],
        Format::Markdown => vec![(file_name(f), crate::report::markdown::render(r))],
        Format::Sarif => vec![(file_name(f), crate::report::sarif::render(r))],
        Format::Csv => vec![
            ("assets.csv", crate::report::csv::assets(r)),
            ("conduits.csv", crate::report::csv::conduits(r)),
            ("findings.csv", crate::report::csv::findings(r)),
        ],
    }
}

/// Write `bytes` to `dir/name` atomically: temporary file, fsync, rename, fsync the directory.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let dest = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &dest)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(dest)
}

/// Resident set size of this process in bytes (0 where /proc is not available).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Wall-clock time now.
pub fn now() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_secs_nanos(d.as_secs(), d.subsec_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        write_atomic(d.path(), "report.json", b"{\"a\":1}\n").unwrap();
        write_atomic(d.path(), "report.json", b"{\"a\":2}\n").unwrap();
        let got = std::fs::read_to_string(d.path().join("report.json")).unwrap();
        assert_eq!(got, "{\"a\":2}\n");
        let names: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["report.json".to_string()]);
    }

    #[test]
    fn html_escapes_device_strings() {
        assert_eq!(
            esc("<script>alert('x')</script>&\u{1b}[31m"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;\u{fffd}[31m"
        );
    }
}
