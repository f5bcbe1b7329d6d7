//! Terminal renderer: a summary, then tables of inputs, capture quality, zones, assets, the zone
//! matrix, conduits and findings.
//!
//! The caller decides colour (`NO_COLOR`, not a terminal: off) and width (the terminal's);
//! every table is fitted to the width by shrinking its widest columns and cutting cells with an
//! ellipsis. Device strings are sanitised: escape sequences are removed and control characters
//! replaced ([`super::clean_text`]), so a device can never drive the terminal.

use super::{
    Report, clean_text, human_duration, identity_line, level_label, service_label, verdict_rank,
};
use crate::zones::{Severity, Verdict};
use std::fmt::Write;
use unicode_width::UnicodeWidthChar;

/// Replace control characters and escape sequences so a device cannot drive the terminal.
pub fn sanitize(s: &str) -> String {
    clean_text(s).into_owned()
}

/// Width used when the caller does not know the terminal's.
pub const DEFAULT_WIDTH: usize = 120;
/// Narrowest layout; below it tables are cut rather than squeezed further.
pub const MIN_WIDTH: usize = 40;

/// Whether to colour, following the `NO_COLOR` convention (<https://no-color.org>): colour
/// only on a terminal, and never when `NO_COLOR` is set to a non-empty value.
pub fn color_wanted(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The terminal width from `COLUMNS` (which shells export), when it is set and sane.
pub fn width_from_env() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&w| (MIN_WIDTH..=1000).contains(&w))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Paint {
    None,
    Bold,
    Dim,
    Red,
    BoldRed,
    Green,
    Yellow,
    Cyan,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::None => "",
            Paint::Bold => "\x1b[1m",
            Paint::Dim => "\x1b[2m",
            Paint::Red => "\x1b[31m",
            Paint::BoldRed => "\x1b[1;31m",
            Paint::Green => "\x1b[32m",
            Paint::Yellow => "\x1b[33m",
            Paint::Cyan => "\x1b[36m",
        }
    }
}

fn sev_paint(s: Severity) -> Paint {
    match s {
        Severity::Critical => Paint::BoldRed,
        Severity::High => Paint::Red,
        Severity::Medium => Paint::Yellow,
        Severity::Low => Paint::Cyan,
        Severity::Info => Paint::Dim,
    }
}

fn verdict_paint(v: Verdict) -> Paint {
    match v {
        Verdict::Violation => Paint::Red,
        Verdict::Allowed => Paint::Green,
        Verdict::Unzoned => Paint::Yellow,
        Verdict::Unrated => Paint::Dim,
    }
}

/// Display width of one character (0 for combining marks, 2 for wide CJK).
fn cw(c: char) -> usize {
    c.width().unwrap_or(0)
}

fn width(s: &str) -> usize {
    s.chars().map(cw).sum()
}

/// Cut `s` to at most `w` columns, marking a cut with `…`.
fn fit(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let x = cw(c);
        if used + x > w - 1 {
            break;
        }
        used += x;
        out.push(c);
    }
    out.push('…');
    out
}

/// Cut a rendered line (which may hold this renderer's own SGR colour codes) to `w` columns;
/// a cut line ends with a reset so the colour does not leak.
fn cut_line(s: &str, w: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut used = 0;
    let mut it = s.chars();
    let mut coloured = false;
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            out.push(c);
            for x in it.by_ref() {
                out.push(x);
                if x == 'm' {
                    break;
                }
            }
            coloured = true;
            continue;
        }
        let x = cw(c);
        if used + x > w {
            if coloured {
                out.push_str("\x1b[0m");
            }
            return out;
        }
        used += x;
        out.push(c);
    }
    out
}

struct Cell {
    text: String,
    paint: Paint,
}

fn cell(s: impl AsRef<str>) -> Cell {
    Cell {
        text: clean_text(s.as_ref()).into_owned(),
        paint: Paint::None,
    }
}

fn painted(s: impl AsRef<str>, paint: Paint) -> Cell {
    Cell { paint, ..cell(s) }
}

/// A table: headers, rows, right-aligned columns, per-column caps on the natural width and
/// floors below which a column is not shrunk (addresses stay whole).
struct Table {
    headers: Vec<&'static str>,
    right: Vec<bool>,
    cap: Vec<usize>,
    min: Vec<usize>,
    rows: Vec<Vec<Cell>>,
}

/// Column: header, right-aligned, cap, floor.
type Col = (&'static str, bool, usize, usize);

impl Table {
    fn new(cols: &[Col]) -> Table {
        Table {
            headers: cols.iter().map(|c| c.0).collect(),
            right: cols.iter().map(|c| c.1).collect(),
            cap: cols.iter().map(|c| c.2).collect(),
            min: cols.iter().map(|c| c.3).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, r: Vec<Cell>) {
        debug_assert_eq!(r.len(), self.headers.len());
        self.rows.push(r);
    }

    /// Column widths that fit `total`: start from the natural widths (capped), then take one
    /// column off the widest column until the table fits or every column is at its floor.
    fn widths(&self, total: usize) -> Vec<usize> {
        let n = self.headers.len();
        let mut w: Vec<usize> = (0..n)
            .map(|i| {
                let nat = self
                    .rows
                    .iter()
                    .map(|r| width(&r[i].text))
                    .max()
                    .unwrap_or(0)
                    .max(width(self.headers[i]));
                nat.min(self.cap[i])
            })
            .collect();
        let floor: Vec<usize> = (0..n)
            .map(|i| w[i].min(width(self.headers[i]).max(self.min[i])))
            .collect();
        let sep = 2 * n.saturating_sub(1);
        let mut sum: usize = w.iter().sum::<usize>() + sep;
        while sum > total {
            let Some(i) = (0..n)
                .filter(|&i| w[i] > floor[i])
                .max_by_key(|&i| (w[i] - floor[i], i))
            else {
                break;
            };
            w[i] -= 1;
            sum -= 1;
        }
        w
    }

    fn render(&self, out: &mut String, color: bool, total: usize) {
        let w = self.widths(total);
        let line = |out: &mut String, cells: Vec<(String, Paint)>| {
            let mut s = String::new();
            let last = cells.len().saturating_sub(1);
            for (i, (text, paint)) in cells.into_iter().enumerate() {
                let t = fit(&text, w[i]);
                let pad = w[i] - width(&t);
                let (pre, post) = if color && paint != Paint::None {
                    (paint.code(), "\x1b[0m")
                } else {
                    ("", "")
                };
                if self.right[i] {
                    s.push_str(&" ".repeat(pad));
                    let _ = write!(s, "{pre}{t}{post}");
                } else {
                    let _ = write!(s, "{pre}{t}{post}");
                    if i != last {
                        s.push_str(&" ".repeat(pad));
                    }
                }
                if i != last {
                    s.push_str("  ");
                }
            }
            out.push_str(&cut_line(s.trim_end_matches(' '), total));
            out.push('\n');
        };
        line(
            out,
            self.headers
                .iter()
                .map(|h| (h.to_string(), Paint::Bold))
                .collect(),
        );
        line(
            out,
            w.iter()
                .map(|&x| ("─".repeat(x), Paint::Dim))
                .collect::<Vec<_>>(),
        );
        for r in &self.rows {
            line(out, r.iter().map(|c| (c.text.clone(), c.paint)).collect());
        }
    }
}

fn title(out: &mut String, color: bool, width: usize, t: &str) {
    let t = fit(t, width);
    out.push('\n');
    if color {
        let _ = writeln!(out, "\x1b[1;4m{t}\x1b[0m");
    } else {
        let _ = writeln!(out, "{t}");
    }
}

fn human_bytes(b: u64) -> String {
    const U: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < U.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

fn counts(m: &std::collections::BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{} {v}", clean_text(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The terminal report without colour, at [`DEFAULT_WIDTH`] columns.
pub fn render(r: &Report) -> String {
    render_with(r, false, DEFAULT_WIDTH)
}

/// The terminal report. `color`: ANSI colours (the caller applies `NO_COLOR` and checks for a
/// terminal, see [`color_wanted`]); `width`: the terminal width in columns.
pub fn render_with(r: &Report, color: bool, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    let mut out = String::new();
    summary(&mut out, r, color, width);
    inputs(&mut out, r, color, width);
    quality(&mut out, r, color, width);
    zones(&mut out, r, color, width);
    assets(&mut out, r, color, width);
    matrix(&mut out, r, color, width);
    conduits(&mut out, r, color, width);
    findings(&mut out, r, color, width);
    out
}

fn kv(out: &mut String, color: bool, width: usize, k: &str, v: &str) {
    kv_paint(out, color, width, k, v, Paint::None)
}

/// `key  value`, the value cut to the width (then painted).
fn kv_paint(out: &mut String, color: bool, width: usize, k: &str, v: &str, paint: Paint) {
    let v = fit(v, width.saturating_sub(12));
    if color {
        let (pre, post) = if paint == Paint::None {
            ("", "")
        } else {
            (paint.code(), "\x1b[0m")
        };
        let _ = writeln!(out, "\x1b[1m{k:<11}\x1b[0m {pre}{v}{post}");
    } else {
        let _ = writeln!(out, "{k:<11} {v}");
    }
}

fn summary(out: &mut String, r: &Report, color: bool, width: usize) {
    let s = &r.summary;
    let head = format!(
        "{} {} — passive OT network report",
        clean_text(&r.tool.name),
        clean_text(&r.tool.version)
    );
    let head = fit(&head, width);
    if color {
        let _ = writeln!(out, "\x1b[1m{head}\x1b[0m");
    } else {
        let _ = writeln!(out, "{head}");
    }
    let span = match (&s.first_ts, &s.last_ts) {
        (Some(a), Some(b)) => format!(
            "{} → {} ({})",
            clean_text(a),
            clean_text(b),
            human_duration(s.duration_s)
        ),
        _ => "no timestamps".into(),
    };
    kv(out, color, width, "Capture", &span);
    kv(
        out,
        color,
        width,
        "Traffic",
        &format!(
            "{} packets, {}, {} input(s){}",
            s.packets,
            human_bytes(s.bytes),
            r.inputs.len(),
            if r.sensors.is_empty() {
                String::new()
            } else {
                format!(
                    " from {} sensor(s): {}",
                    r.sensors.len(),
                    r.sensors
                        .iter()
                        .map(|x| clean_text(&x.name).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ),
    );
    let roles = if s.assets_by_role.is_empty() {
        String::new()
    } else {
        format!(" ({})", counts(&s.assets_by_role))
    };
    kv(out, color, width, "Assets", &format!("{}{roles}", s.assets));
    kv(
        out,
        color,
        width,
        "Zones",
        &format!(
            "{}{}, policy {}",
            s.zones,
            if r.zones_inferred { " (inferred)" } else { "" },
            clean_text(&r.policy_model)
        ),
    );
    kv_paint(
        out,
        color,
        width,
        "Conduits",
        &format!("{}, {} violation(s)", s.conduits, s.violations),
        if s.violations > 0 {
            Paint::Red
        } else {
            Paint::None
        },
    );
    let mut sev: Vec<String> = Vec::new();
    let mut worst = None;
    for x in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        if let Some(n) = s.findings_by_severity.get(x.name()) {
            sev.push(format!("{} {n}", x.name()));
            worst = worst.or(Some(x));
        }
    }
    let total: u64 = s.findings_by_severity.values().sum();
    kv_paint(
        out,
        color,
        width,
        "Findings",
        &if sev.is_empty() {
            "none".to_string()
        } else {
            format!("{total} ({})", sev.join(", "))
        },
        worst.map_or(Paint::None, sev_paint),
    );
    for e in &r.input_errors {
        let line = format!(
            "input error: {}: {}",
            clean_text(&e.path),
            clean_text(&e.error)
        );
        let line = fit(&line, width);
        if color {
            let _ = writeln!(out, "\x1b[31m{line}\x1b[0m");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
}

fn inputs(out: &mut String, r: &Report, color: bool, width: usize) {
    if r.inputs.is_empty() {
        return;
    }
    let mut t = Table::new(&[
        ("#", true, 4, 1),
        ("PATH", false, 70, 6),
        ("FORMAT", false, 12, 6),
        ("LINK", false, 20, 6),
        ("PACKETS", true, 12, 7),
        ("BYTES", true, 10, 6),
        ("SPAN", true, 10, 6),
        ("NOTE", false, 60, 6),
    ]);
    for (i, x) in r.inputs.iter().enumerate() {
        t.row(vec![
            cell(i.to_string()),
            cell(&x.path),
            cell(format!("{:?}{}", x.format, if x.compressed { "+gz" } else { "" }).to_lowercase()),
            cell(x.link_types.join(",")),
            cell(x.packets.to_string()),
            cell(human_bytes(x.bytes)),
            cell(match (x.first_ts, x.last_ts) {
                (Some(a), Some(b)) => human_duration(b.saturating_sub(a) as f64 / 1e9),
                _ => "-".into(),
            }),
            match x.status() {
                s if s.is_empty() => cell(""),
                s => painted(s, Paint::Yellow),
            },
        ]);
    }
    title(out, color, width, "Inputs");
    t.render(out, color, width);
}

fn quality(out: &mut String, r: &Report, color: bool, width: usize) {
    let q = &r.capture_quality;
    let mut lines = Vec::new();
    for (name, m) in [
        ("decode errors", &q.decode_errors),
        ("ip fragments", &q.ip_fragments),
        ("tcp", &q.tcp),
        ("flows", &q.flows),
        ("anomalies", &q.anomalies),
        ("bounds hit", &q.bounds_hit),
    ] {
        if !m.is_empty() {
            lines.push(format!("  {name}: {}", counts(m)));
        }
    }
    if q.duplicate_frames > 0 || q.frames_truncated_by_snaplen > 0 {
        lines.push(format!(
            "  duplicates (SPAN copies): {}, truncated by snaplen: {}",
            q.duplicate_frames, q.frames_truncated_by_snaplen
        ));
    }
    if q.inputs_stopped > 0 || q.capture_drops > 0 {
        lines.push(format!(
            "  inputs stopped early: {}, capture drops: {}",
            q.inputs_stopped, q.capture_drops
        ));
    }
    if !lines.is_empty() {
        title(out, color, width, "Capture quality");
        for l in lines {
            let _ = writeln!(out, "{}", fit(&l, width));
        }
    }
}

fn zones(out: &mut String, r: &Report, color: bool, width: usize) {
    if r.zones.is_empty() {
        return;
    }
    let mut t = Table::new(&[
        ("ZONE", false, 32, 6),
        ("LEVEL", true, 6, 5),
        ("ASSETS", true, 7, 6),
        ("CIDRS", false, 48, 6),
        ("VLANS", false, 16, 6),
        ("DESCRIPTION", false, 48, 6),
    ]);
    for z in &r.zones {
        t.row(vec![
            cell(&z.name),
            cell(level_label(z.level)),
            cell(z.assets.len().to_string()),
            cell(z.cidrs.join(" ")),
            cell(
                z.vlans
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            cell(z.description.as_deref().unwrap_or("")),
        ]);
    }
    title(
        out,
        color,
        width,
        &format!(
            "Zones ({}{})",
            r.zones.len(),
            if r.zones_inferred { ", inferred" } else { "" }
        ),
    );
    t.render(out, color, width);
}

fn assets(out: &mut String, r: &Report, color: bool, width: usize) {
    let mut t = Table::new(&[
        ("IP", false, 39, 15),
        ("MAC", false, 17, 17),
        ("VENDOR", false, 24, 6),
        ("ROLE", false, 30, 18),
        ("IDENTITY", false, 56, 6),
        ("SERVICES", false, 56, 6),
        ("ZONE", false, 24, 8),
    ]);
    for a in &r.assets {
        let mut mac = a.macs.first().cloned().unwrap_or_default();
        if a.macs.len() > 1 {
            let _ = write!(mac, " +{}", a.macs.len() - 1);
        }
        let role = a
            .roles
            .first()
            .map(|x| format!("{} ({:.2})", x.role, x.confidence))
            .unwrap_or_default();
        let services = a
            .services
            .iter()
            .map(service_label)
            .collect::<Vec<_>>()
            .join(", ");
        t.row(vec![
            cell(&a.ip),
            cell(mac),
            cell(a.mac_vendor.as_deref().unwrap_or("")),
            cell(role),
            cell(identity_line(&a.identity)),
            cell(services),
            cell(a.zone.as_deref().unwrap_or("")),
        ]);
    }
    title(out, color, width, &format!("Assets ({})", r.assets.len()));
    t.render(out, color, width);
}

fn matrix(out: &mut String, r: &Report, color: bool, width: usize) {
    let crossing = r.zone_matrix.iter().any(|c| c.src_zone != c.dst_zone);
    if r.zone_matrix.is_empty() || !crossing {
        return;
    }
    let names = r.matrix_zones();
    const NUM: [&str; 30] = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
        "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30",
    ];
    title(
        out,
        color,
        width,
        "Zone matrix (rows initiate, columns respond; cell: conduits/violations, = intra-zone flows)",
    );
    if names.len() > NUM.len() {
        let _ = writeln!(
            out,
            "{}",
            fit(
                &format!(
                    "  {} zones: too many for a matrix; see the conduits below",
                    names.len()
                ),
                width
            )
        );
        return;
    }
    let mut cols: Vec<Col> = vec![("FROM \\ TO", false, 40, 10)];
    cols.extend(NUM.iter().take(names.len()).map(|n| (*n, true, 9, 3)));
    let mut t = Table::new(&cols);
    for (i, s) in names.iter().enumerate() {
        let mut row = vec![cell(format!("{} {s}", i + 1))];
        for d in &names {
            let c = r
                .zone_matrix
                .iter()
                .find(|c| c.src_zone == *s && c.dst_zone == *d);
            row.push(match c {
                None => painted("·", Paint::Dim),
                Some(c) if s == d => painted(format!("={}", c.flows), Paint::Dim),
                Some(c) => {
                    let paint = match c.verdict.as_str() {
                        "violation" => Paint::Red,
                        "allowed" => Paint::Green,
                        "unzoned" => Paint::Yellow,
                        _ => Paint::Dim,
                    };
                    painted(format!("{}/{}", c.conduits, c.violations), paint)
                }
            });
        }
        t.row(row);
    }
    t.render(out, color, width);
}

fn conduits(out: &mut String, r: &Report, color: bool, width: usize) {
    if r.conduits.is_empty() && r.unused_conduits.is_empty() {
        return;
    }
    let mut t = Table::new(&[
        ("FROM → TO", false, 48, 6),
        ("SERVICE", false, 11, 9),
        ("PROTOCOL", false, 16, 6),
        ("FLOWS", true, 8, 5),
        ("VERDICT", false, 9, 9),
        ("RULE", false, 80, 6),
    ]);
    let mut order: Vec<&crate::zones::Conduit> = r.conduits.iter().collect();
    order.sort_by_key(|c| std::cmp::Reverse(verdict_rank(c.verdict)));
    for c in order {
        t.row(vec![
            cell(format!("{} → {}", c.src_zone, c.dst_zone)),
            cell(format!("{}/{}", c.transport, c.port)),
            cell(match &c.protocol {
                Some(p) if c.protocol_from_content => p.clone(),
                Some(p) => format!("{p}?"),
                None => String::new(),
            }),
            cell(c.flows.to_string()),
            painted(super::verdict_name(c.verdict), verdict_paint(c.verdict)),
            cell(&c.rule),
        ]);
    }
    if !r.conduits.is_empty() {
        title(
            out,
            color,
            width,
            &format!(
                "Conduits ({}, {} violation(s); violations first)",
                r.conduits.len(),
                r.summary.violations
            ),
        );
        t.render(out, color, width);
    }
    if !r.unused_conduits.is_empty() {
        title(
            out,
            color,
            width,
            "Declared conduits no traffic used (remove them)",
        );
        let mut t = Table::new(&[("FROM → TO", false, 48, 6), ("SERVICES", false, 80, 6)]);
        for u in &r.unused_conduits {
            t.row(vec![
                cell(format!("{} → {}", u.from, u.to)),
                cell(u.services.join(", ")),
            ]);
        }
        t.render(out, color, width);
    }
}

fn findings(out: &mut String, r: &Report, color: bool, width: usize) {
    title(
        out,
        color,
        width,
        &format!("Findings ({})", r.findings.len()),
    );
    if r.findings.is_empty() {
        let _ = writeln!(out, "  none");
        return;
    }
    let mut t = Table::new(&[
        ("SEVERITY", false, 8, 8),
        ("KIND", false, 24, 6),
        ("ASSET", false, 39, 15),
        ("PORT", false, 9, 9),
        ("TITLE", false, 200, 6),
    ]);
    for f in &r.findings {
        let port = match (&f.transport, f.port) {
            (Some(t), Some(p)) => format!("{t}/{p}"),
            (None, Some(p)) => p.to_string(),
            _ => String::new(),
        };
        t.row(vec![
            painted(f.severity.name(), sev_paint(f.severity)),
            cell(&f.kind),
            cell(&f.asset),
            cell(port),
            cell(&f.title),
        ]);
    }
    t.render(out, color, width);
    let _ = writeln!(
        out,
        "\n{}",
        fit(
            "Evidence frames, tshark filters and remediation: --format html, markdown or json.",
            width
        )
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_by_display_width() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(width("日本"), 4);
    }

    #[test]
    fn widths_shrink_the_widest_column_first() {
        let mut t = Table::new(&[("A", false, 100, 6), ("B", false, 100, 6)]);
        t.row(vec![cell("x".repeat(10)), cell("y".repeat(60))]);
        let w = t.widths(40);
        assert_eq!(w.iter().sum::<usize>() + 2, 40);
        assert_eq!(w[0], 10);
    }
}
