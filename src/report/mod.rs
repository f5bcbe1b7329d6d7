//! The report: one serialisable structure (`schema_version` 1, documented by
//! `schema/report.schema.json`) and one renderer per output format.
//!
//! The body is deterministic: the same inputs give byte-identical JSON (sorted collections, no
//! wall-clock time).

pub mod csv;
pub mod diff;
pub mod html;
pub mod json;
pub mod markdown;
pub mod merge;
pub mod sarif;
pub mod table;

use crate::capture::{InputError, InputSummary};
pub use crate::evidence::Frame;
pub use crate::findings::Finding;
pub use crate::inventory::model::{Asset, Identity, Provenance, Role, Service};
pub use crate::zones::{Conduit, MatrixCell, Segmentation, UnusedConduit, ZoneOut};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "otscope".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// How complete and clean the capture was, and which bounds were hit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CaptureQuality {
    pub frames: u64,
    pub bytes: u64,
    /// Frames whose captured length is shorter than the packet on the wire.
    pub frames_truncated_by_snaplen: u64,
    /// Second copies of one packet (SPAN ingress + egress) that were not counted again.
    pub duplicate_frames: u64,
    /// Frames whose headers could not be decoded, by kind.
    pub decode_errors: BTreeMap<String, u64>,
    pub link_layer: BTreeMap<String, u64>,
    pub network: BTreeMap<String, u64>,
    pub ip_fragments: BTreeMap<String, u64>,
    pub tcp: BTreeMap<String, u64>,
    pub flows: BTreeMap<String, u64>,
    /// Protocol anomalies (malformed PDUs, garbage on an industrial port), by `proto.kind`.
    pub anomalies: BTreeMap<String, u64>,
    /// Resource bounds hit (data was shed, and counted), by the name of the limit.
    pub bounds_hit: BTreeMap<String, u64>,
    /// Inputs that stopped before their end (cut short or corrupt).
    pub inputs_stopped: u64,
    /// Kernel/interface drops reported by the capture (pcapng statistics or live pcap stats).
    pub capture_drops: u64,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    pub duration_s: f64,
    pub packets: u64,
    pub bytes: u64,
    pub assets: u64,
    pub assets_by_role: BTreeMap<String, u64>,
    pub zones: u64,
    pub conduits: u64,
    pub violations: u64,
    pub findings_by_severity: BTreeMap<String, u64>,
}

impl Summary {
    /// The summary of a report's parts (findings by severity are filled in with the findings).
    pub fn of(
        inputs: &[InputSummary],
        assets: &[Asset],
        zones: usize,
        conduits: &[Conduit],
    ) -> Summary {
        let first = inputs.iter().filter_map(|i| i.first_ts).min();
        let last = inputs.iter().filter_map(|i| i.last_ts).max();
        let mut summary = Summary {
            first_ts: first.map(|t| t.to_string()),
            last_ts: last.map(|t| t.to_string()),
            duration_s: match (first, last) {
                (Some(f), Some(l)) => (l.saturating_sub(f) as f64 / 1e9 * 1e6).round() / 1e6,
                _ => 0.0,
            },
            packets: inputs.iter().map(|i| i.packets).sum(),
            bytes: inputs.iter().map(|i| i.bytes).sum(),
            assets: assets.len() as u64,
            zones: zones as u64,
            conduits: conduits.len() as u64,
            violations: conduits
                .iter()
                .filter(|c| c.verdict == crate::zones::Verdict::Violation)
                .count() as u64,
            ..Default::default()
        };
        for a in assets {
            let role = a.roles.first().map_or("unknown", |r| r.role.as_str());
            *summary.assets_by_role.entry(role.to_string()).or_insert(0) += 1;
        }
        summary
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub inputs: Vec<InputSummary>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub input_errors: Vec<InputError>,
    pub capture_quality: CaptureQuality,
    pub summary: Summary,
    /// `purdue` or `none` (declared conduits only).
    pub policy_model: String,
    /// The zones were inferred from the traffic (no zones file was given).
    pub zones_inferred: bool,
    pub zones: Vec<ZoneOut>,
    pub assets: Vec<Asset>,
    pub conduits: Vec<Conduit>,
    pub zone_matrix: Vec<MatrixCell>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub unused_conduits: Vec<UnusedConduit>,
    pub findings: Vec<Finding>,
    /// Set by `merge`: the sensors (or sites) whose reports were merged, and which of `inputs`
    /// each contributed. Empty for a report of one analysis.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sensors: Vec<SensorInputs>,
}

/// One sensor of a merged report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SensorInputs {
    pub name: String,
    /// Indices into the merged report's `inputs`.
    pub inputs: Vec<u16>,
}

fn put(m: &mut BTreeMap<String, u64>, k: &str, v: u64) {
    if v > 0 {
        m.insert(k.to_string(), v);
    }
}

/// `capture_quality` from the engine's counters and the inputs.
pub fn capture_quality(a: &crate::analysis::Analysis) -> CaptureQuality {
    use crate::decode::DecodeError;
    let c = &a.counters;
    let mut q = CaptureQuality {
        frames: c.frames,
        bytes: c.bytes,
        frames_truncated_by_snaplen: c.truncated_frames,
        duplicate_frames: c.duplicates,
        ..Default::default()
    };
    for e in DecodeError::ALL {
        put(&mut q.decode_errors, e.name(), c.decode_errors[e as usize]);
    }
    put(&mut q.link_layer, "arp", c.arp);
    put(&mut q.link_layer, "lldp", c.lldp);
    put(&mut q.link_layer, "cdp", c.cdp);
    put(&mut q.link_layer, "profinet", c.profinet);
    put(&mut q.link_layer, "other", c.other_l2);
    put(&mut q.network, "ipv4", c.ipv4);
    put(&mut q.network, "ipv6", c.ipv6);
    put(&mut q.network, "tcp", c.tcp);
    put(&mut q.network, "udp", c.udp);
    put(&mut q.network, "icmp", c.icmp);
    put(&mut q.network, "other_ip", c.other_ip);
    let f = &c.frag;
    put(&mut q.ip_fragments, "fragments", f.fragments);
    put(&mut q.ip_fragments, "reassembled", f.reassembled);
    put(&mut q.ip_fragments, "timed_out", f.timed_out);
    put(
        &mut q.ip_fragments,
        "overlap_conflicts",
        f.overlap_conflicts,
    );
    put(&mut q.ip_fragments, "oversized", f.oversized);
    let s = &c.stream;
    put(&mut q.tcp, "gaps", s.gaps);
    put(&mut q.tcp, "missing_bytes", s.gap_bytes);
    put(&mut q.tcp, "retransmitted_bytes", s.retransmitted_bytes);
    put(&mut q.tcp, "overlap_conflicts", s.overlap_conflicts);
    put(&mut q.tcp, "out_of_order_segments", s.ooo_segments);
    put(&mut q.flows, "flows", c.flows);
    put(&mut q.flows, "one_sided_tcp", c.one_sided_tcp_flows);
    put(&mut q.flows, "midstream_tcp", c.midstream_tcp_flows);
    put(
        &mut q.flows,
        "midstream_oriented_by_content",
        c.reoriented_flows,
    );
    put(
        &mut q.flows,
        "unidentified_with_payload",
        c.unidentified_flows,
    );
    put(&mut q.flows, "dissector_desync", c.dissector_desync);
    put(&mut q.flows, "expired_idle", c.flow_table.expired);
    put(
        &mut q.bounds_hit,
        "max_flows",
        c.flow_table.evicted_at_limit,
    );
    put(&mut q.bounds_hit, "max_ooo_bytes_per_dir", s.ooo_bound_hits);
    put(&mut q.bounds_hit, "max_pdu_bytes", c.pdu_too_large);
    put(&mut q.bounds_hit, "max_frag_datagrams", f.evicted_at_limit);
    put(&mut q.bounds_hit, "max_observations", a.store.dropped);
    put(&mut q.bounds_hit, "max_hosts", a.hosts.dropped);
    put(
        &mut q.bounds_hit,
        "max_conversations",
        a.convs.dropped_flows,
    );
    for (k, e) in crate::inventory::observation::sorted(&a.store.anomalies) {
        *q.anomalies
            .entry(format!("{}.{}", k.proto, k.kind))
            .or_insert(0) += e.count;
    }
    q.inputs_stopped = a.inputs.iter().filter(|i| i.stopped.is_some()).count() as u64;
    q.capture_drops = a.inputs.iter().filter_map(|i| i.interface_drops).sum();
    q
}

impl Report {
    /// Assemble the report of an analysis.
    pub fn new(a: &crate::analysis::Analysis, assets: Vec<Asset>, seg: Segmentation) -> Report {
        let q = capture_quality(a);
        let summary = Summary::of(&a.inputs, &assets, seg.zones.len(), &seg.conduits);
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            inputs: a.inputs.clone(),
            input_errors: a.input_errors.clone(),
            capture_quality: q,
            summary,
            policy_model: seg.policy_model,
            zones_inferred: seg.zones_inferred,
            zones: seg.zones,
            assets,
            conduits: seg.conduits,
            zone_matrix: seg.matrix,
            unused_conduits: seg.unused_conduits,
            findings: Vec::new(),
            sensors: Vec::new(),
        }
    }

    /// Set the findings (and their counts in the summary).
    pub fn set_findings(&mut self, f: Vec<Finding>) {
        self.summary.findings_by_severity.clear();
        for x in &f {
            *self
                .summary
                .findings_by_severity
                .entry(x.severity.name().to_string())
                .or_insert(0) += 1;
        }
        self.findings = f;
    }

    /// The zones the zone matrix names, each once: the report's zones in report order, then
    /// any that only the matrix names, in matrix order.
    pub fn matrix_zones(&self) -> Vec<&str> {
        let in_matrix: std::collections::HashSet<&str> = self
            .zone_matrix
            .iter()
            .flat_map(|c| [c.src_zone.as_str(), c.dst_zone.as_str()])
            .collect();
        let mut listed = std::collections::HashSet::new();
        let report_zones = self.zones.iter().map(|z| z.name.as_str());
        let matrix_only = self
            .zone_matrix
            .iter()
            .flat_map(|c| [c.src_zone.as_str(), c.dst_zone.as_str()]);
        report_zones
            .filter(|z| in_matrix.contains(z))
            .chain(matrix_only)
            .filter(|z| listed.insert(*z))
            .collect()
    }

    /// The worst severity among the findings.
    pub fn worst(&self) -> Option<crate::zones::Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Read a JSON report (as `--format json` writes it), for `diff` and `merge`. The error names
/// the file and what is wrong with it.
pub fn load(path: &std::path::Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    match v.get("schema_version").and_then(|x| x.as_u64()) {
        Some(n) if n == SCHEMA_VERSION as u64 => {}
        Some(n) => {
            return Err(format!(
                "{}: report schema_version {n}, this otscope reads {SCHEMA_VERSION}",
                path.display()
            ));
        }
        None => {
            return Err(format!(
                "{}: not an otscope JSON report (no schema_version)",
                path.display()
            ));
        }
    }
    serde_json::from_value(v).map_err(|e| format!("{}: not an otscope report: {e}", path.display()))
}

/// Rank of a conduit verdict, worst highest: violation > unzoned > unrated > allowed.
pub fn verdict_rank(v: crate::zones::Verdict) -> u8 {
    use crate::zones::Verdict;
    match v {
        Verdict::Violation => 3,
        Verdict::Unzoned => 2,
        Verdict::Unrated => 1,
        Verdict::Allowed => 0,
    }
}

/// Lower-case name of a verdict, as the JSON report spells it.
pub fn verdict_name(v: crate::zones::Verdict) -> &'static str {
    use crate::zones::Verdict;
    match v {
        Verdict::Allowed => "allowed",
        Verdict::Violation => "violation",
        Verdict::Unzoned => "unzoned",
        Verdict::Unrated => "unrated",
    }
}

/// Characters that reorder text on display (bidirectional overrides and isolates): a device
/// name holding them could make a line read differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// A device string made safe for a line of text: ANSI/VT escape sequences (CSI, OSC, and
/// two-byte ESC sequences, in their 7-bit and 8-bit forms) are removed whole; tab, CR and LF
/// become a space; every other control character (C0, DEL, C1) and every bidirectional
/// override becomes U+FFFD. Linear in the input; borrows when there is nothing to change.
pub fn clean_text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' | '\u{9b}' | '\u{9d}' => {
                // ESC [ / CSI: parameters and intermediates up to a final byte 0x40..=0x7e.
                // ESC ] / OSC: up to BEL or ST (ESC \ or U+009C).
                let kind = match c {
                    '\u{9b}' => '[',
                    '\u{9d}' => ']',
                    _ => match it.peek() {
                        Some(&k) => {
                            it.next();
                            k
                        }
                        None => break,
                    },
                };
                match kind {
                    '[' => {
                        for x in it.by_ref() {
                            if ('\u{40}'..='\u{7e}').contains(&x) || x.is_control() {
                                break;
                            }
                        }
                    }
                    ']' | 'P' | '_' | '^' | 'X' => {
                        while let Some(x) = it.next() {
                            if x == '\u{7}' || x == '\u{9c}' {
                                break;
                            }
                            if x == '\u{1b}' {
                                if it.peek() == Some(&'\\') {
                                    it.next();
                                }
                                break;
                            }
                        }
                    }
                    // Two-byte sequences (ESC c, ESC 7, ...): both go.
                    _ => {}
                }
            }
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `clean_text`, then cut to at most `max` characters (an ellipsis marks the cut).
pub fn clean_max(s: &str, max: usize) -> String {
    let c = clean_text(s);
    if c.chars().count() <= max {
        return c.into_owned();
    }
    let mut t: String = c.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// The identity as one short line: vendor, then product or model, then firmware.
pub fn identity_line(id: &Identity) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(v) = &id.vendor {
        parts.push(v.clone());
    }
    match (&id.model, &id.product) {
        (Some(m), Some(p)) if !p.contains(m.as_str()) && !m.contains(p.as_str()) => {
            parts.push(p.clone());
            parts.push(m.clone());
        }
        (Some(m), _) => parts.push(m.clone()),
        (None, Some(p)) => parts.push(p.clone()),
        (None, None) => {}
    }
    if let Some(f) = &id.firmware {
        parts.push(format!("fw {f}"));
    }
    if parts.is_empty() {
        if let Some(n) = id.name.as_ref().or(id.hostname.as_ref()) {
            parts.push(n.clone());
        }
    }
    parts.join(" ")
}

/// A service as `tcp/502 modbus` (or `tcp/8080 http?` for a port guess).
pub fn service_label(s: &Service) -> String {
    match (&s.protocol, &s.port_guess) {
        (Some(p), _) => format!("{}/{} {p}", s.transport, s.port),
        (None, Some(g)) => format!("{}/{} {g}?", s.transport, s.port),
        (None, None) => format!("{}/{}", s.transport, s.port),
    }
}

/// Evidence frames of a finding as `41 44 47` (one input) or `0:41 1:7` (several inputs).
pub fn frames_label(ev: &[crate::findings::FindingEvidence]) -> String {
    let multi = ev.iter().any(|e| e.input != 0);
    ev.iter()
        .map(|e| {
            if multi {
                format!("{}:{}", e.input, e.frame)
            } else {
                e.frame.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A duration for people: seconds, minutes, hours or days.
pub fn human_duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else if secs < 3600.0 {
        format!("{:.1} min", secs / 60.0)
    } else if secs < 86_400.0 {
        format!("{:.1} h", secs / 3600.0)
    } else {
        format!("{:.1} d", secs / 86_400.0)
    }
}

/// Purdue level as the report prints it: `L1`, `L3.5`, `internet (L5)` is left to callers.
pub fn level_label(l: Option<f64>) -> String {
    match l {
        Some(l) => format!("L{l}"),
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_strips_escape_sequences_and_controls() {
        assert_eq!(clean_text("plain"), "plain");
        assert_eq!(clean_text("a\u{1b}[31mred\u{1b}[0m"), "ared");
        assert_eq!(clean_text("t\u{1b}]0;title\u{7}x"), "tx");
        assert_eq!(clean_text("t\u{1b}]8;;http://x\u{1b}\\link"), "tlink");
        assert_eq!(clean_text("\u{9b}2Jz"), "z");
        assert_eq!(clean_text("a\u{1b}cb"), "ab");
        assert_eq!(clean_text("a\tb\r\nc"), "a b  c");
        assert_eq!(
            clean_text("a\u{0}b\u{7f}c\u{85}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
        assert_eq!(clean_text("ab\u{202e}cd"), "ab\u{fffd}cd");
        assert_eq!(clean_text("end\u{1b}"), "end");
        assert_eq!(clean_text("\u{1b}[1;31"), "");
        assert!(!clean_text("\u{1b}\u{1b}[\u{1b}]").contains('\u{1b}'));
    }

    #[test]
    fn clean_max_cuts_with_an_ellipsis() {
        assert_eq!(clean_max("abcdef", 4), "abc…");
        assert_eq!(clean_max("abc", 4), "abc");
    }
}
