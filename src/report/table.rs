//! Terminal renderer: a summary, then tables (tabled). Device strings are sanitised: control
//! characters (escape sequences included) never reach the terminal.

use super::Report;
use std::fmt::Write;
use tabled::settings::Style;
use tabled::{Table, Tabled};

/// Replace control characters (C0, DEL, C1) with U+FFFD so a device cannot drive the terminal.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[derive(Tabled)]
struct InputRow {
    #[tabled(rename = "#")]
    n: usize,
    path: String,
    format: String,
    link: String,
    packets: u64,
    bytes: u64,
    span: String,
    note: String,
}

#[derive(Tabled)]
struct AssetRow {
    ip: String,
    mac: String,
    vendor: String,
    role: String,
    identity: String,
    services: String,
    zone: String,
}

fn trunc(s: &str, n: usize) -> String {
    let s = sanitize(s);
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let _ = writeln!(
        out,
        "otscope {} — passive OT network report",
        r.tool.version
    );
    let _ = writeln!(
        out,
        "capture: {} .. {} ({:.1} s), {} packets, {} bytes, {} input(s)",
        s.first_ts.as_deref().unwrap_or("-"),
        s.last_ts.as_deref().unwrap_or("-"),
        s.duration_s,
        s.packets,
        s.bytes,
        r.inputs.len()
    );
    let roles: Vec<String> = s
        .assets_by_role
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(out, "assets: {} ({})", s.assets, roles.join(", "));
    for e in &r.input_errors {
        let _ = writeln!(
            out,
            "input error: {}: {}",
            sanitize(&e.path),
            sanitize(&e.error)
        );
    }
    out.push('\n');
    let rows: Vec<InputRow> = r
        .inputs
        .iter()
        .enumerate()
        .map(|(i, x)| InputRow {
            n: i,
            path: trunc(&x.path, 60),
            format: format!("{:?}{}", x.format, if x.compressed { "+gz" } else { "" })
                .to_lowercase(),
            link: x.link_types.join(","),
            packets: x.packets,
            bytes: x.bytes,
            span: match (x.first_ts, x.last_ts) {
                (Some(a), Some(b)) => format!("{:.1} s", b.saturating_sub(a) as f64 / 1e9),
                _ => "-".into(),
            },
            note: x
                .stopped
                .as_ref()
                .map(|s| trunc(&s.reason, 60))
                .unwrap_or_default(),
        })
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(out, "Inputs\n{}\n", Table::new(rows).with(Style::sharp()));
    }
    let q = &r.capture_quality;
    let mut quality = Vec::new();
    for (name, m) in [
        ("decode errors", &q.decode_errors),
        ("tcp", &q.tcp),
        ("flows", &q.flows),
        ("anomalies", &q.anomalies),
        ("bounds hit", &q.bounds_hit),
    ] {
        if !m.is_empty() {
            let v: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{} {v}", sanitize(k)))
                .collect();
            quality.push(format!("  {name}: {}", v.join(", ")));
        }
    }
    if q.duplicate_frames > 0 || q.frames_truncated_by_snaplen > 0 {
        quality.push(format!(
            "  duplicates (SPAN copies): {}, truncated by snaplen: {}",
            q.duplicate_frames, q.frames_truncated_by_snaplen
        ));
    }
    if !quality.is_empty() {
        let _ = writeln!(out, "Capture quality\n{}\n", quality.join("\n"));
    }
    let rows: Vec<AssetRow> = r
        .assets
        .iter()
        .map(|a| {
            let id = &a.identity;
            let ident: Vec<&str> = [&id.vendor, &id.product, &id.model, &id.firmware]
                .into_iter()
                .filter_map(|v| v.as_deref())
                .collect();
            AssetRow {
                ip: a.ip.clone(),
                mac: a.macs.first().cloned().unwrap_or_default(),
                vendor: trunc(a.mac_vendor.as_deref().unwrap_or(""), 24),
                role: a
                    .roles
                    .first()
                    .map(|r| format!("{} ({:.2})", r.role, r.confidence))
                    .unwrap_or_default(),
                identity: trunc(&ident.join(" "), 48),
                services: trunc(
                    &a.services
                        .iter()
                        .map(|s| {
                            format!(
                                "{}/{}{}",
                                s.transport,
                                s.port,
                                s.protocol
                                    .as_deref()
                                    .map(|p| format!(" {p}"))
                                    .unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    48,
                ),
                zone: a.zone.clone().unwrap_or_default(),
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "Assets ({})\n{}",
        r.assets.len(),
        Table::new(rows).with(Style::sharp())
    );
    out
}
