//! Markdown renderer (GitHub-flavoured), for tickets and wikis: the summary, the findings with
//! their evidence frames and tshark filters, the assets, and the conduits with their verdicts.
//!
//! Device strings are escaped so they stay text: backslash, `|`, backticks, `*`, `_`, `[`,
//! `]`, `<`, `>` and `&` (the last three as entities) and a leading `#`; control characters are
//! replaced and line breaks become spaces (a cell never breaks its table).

use super::{
    Report, clean_max, frames_label, identity_line, level_label, service_label, verdict_name,
    verdict_rank,
};
use std::fmt::Write;

/// Longest cell text (characters) before it is cut.
const CELL_MAX: usize = 400;

/// Escape text for a Markdown table cell or paragraph.
pub fn escape(s: &str) -> String {
    // Leading blanks would let a line open a heading or an indented code block.
    let c = clean_max(s, CELL_MAX);
    let c = c.trim_start();
    let mut out = String::with_capacity(c.len() + 8);
    for (i, ch) in c.chars().enumerate() {
        match ch {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '#' if i == 0 => out.push_str("\\#"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A code span for a filter or command, with `|` escaped for the table (GFM reads `\|` inside
/// code in a table as `|`). Nothing can be escaped inside a code span, so text holding a
/// backtick, `<` or `>` is written as escaped plain text instead.
fn code(s: &str) -> String {
    let c = clean_max(s, CELL_MAX);
    if c.is_empty() {
        String::new()
    } else if c.contains(['`', '<', '>']) {
        escape(&c)
    } else {
        format!("`{}`", c.replace('|', "\\|"))
    }
}

fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        headers.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

/// The report as Markdown.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let _ = writeln!(out, "# OT network report\n");
    let _ = writeln!(
        out,
        "Made by {} {} from {} input(s){}.\n",
        escape(&r.tool.name),
        escape(&r.tool.version),
        r.inputs.len(),
        if r.sensors.is_empty() {
            String::new()
        } else {
            format!(
                " of {} sensor(s): {}",
                r.sensors.len(),
                r.sensors
                    .iter()
                    .map(|x| escape(&x.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    let _ = writeln!(out, "## Summary\n");
    let span = match (&s.first_ts, &s.last_ts) {
        (Some(a), Some(b)) => format!(
            "{} to {} ({})",
            escape(a),
            escape(b),
            super::human_duration(s.duration_s)
        ),
        _ => "no timestamps".into(),
    };
    let roles: Vec<String> = s
        .assets_by_role
        .iter()
        .map(|(k, v)| format!("{} {v}", escape(k)))
        .collect();
    let sev: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|k| s.findings_by_severity.get(*k).map(|n| format!("{k} {n}")))
        .collect();
    let _ = writeln!(out, "- **Capture:** {span}");
    let _ = writeln!(
        out,
        "- **Traffic:** {} packets, {} bytes",
        s.packets, s.bytes
    );
    let _ = writeln!(
        out,
        "- **Assets:** {}{}",
        s.assets,
        if roles.is_empty() {
            String::new()
        } else {
            format!(" ({})", roles.join(", "))
        }
    );
    let _ = writeln!(
        out,
        "- **Zones:** {}{}, policy {}",
        s.zones,
        if r.zones_inferred { " (inferred)" } else { "" },
        escape(&r.policy_model)
    );
    let _ = writeln!(
        out,
        "- **Conduits:** {}, **violations:** {}",
        s.conduits, s.violations
    );
    let _ = writeln!(
        out,
        "- **Findings:** {}\n",
        if sev.is_empty() {
            "none".to_string()
        } else {
            sev.join(", ")
        }
    );
    for e in &r.input_errors {
        let _ = writeln!(
            out,
            "> **Input error:** {}: {}\n",
            escape(&e.path),
            escape(&e.error)
        );
    }

    let _ = writeln!(out, "## Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(out, "No findings.\n");
    } else {
        let rows: Vec<Vec<String>> = r
            .findings
            .iter()
            .map(|f| {
                vec![
                    format!("**{}**", f.severity.name()),
                    escape(&f.title),
                    escape(&f.asset),
                    escape(&frames_label(&f.evidence)),
                    code(&f.tshark_filter),
                    code(&f.id),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "Severity",
                "Finding",
                "Asset",
                "Evidence frames",
                "tshark filter",
                "ID",
            ],
            &rows,
        );
        let _ = writeln!(out, "### Finding details\n");
        for f in &r.findings {
            let _ = writeln!(
                out,
                "#### {} {}: {}\n",
                escape(&f.id),
                f.severity.name(),
                escape(&f.title)
            );
            let _ = writeln!(out, "{}\n", escape(&f.description));
            if !f.peers.is_empty() {
                let _ = writeln!(
                    out,
                    "- **Peers:** {}",
                    f.peers
                        .iter()
                        .map(|p| escape(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let _ = writeln!(out, "- **Occurrences:** {}", f.count);
            for e in &f.evidence {
                let _ = writeln!(
                    out,
                    "- Frame {} of input {} ({}): {}",
                    e.frame,
                    e.input,
                    escape(&e.ts),
                    escape(&e.detail)
                );
            }
            for c in &f.tshark_commands {
                let _ = writeln!(out, "- {}", code(c));
            }
            let _ = writeln!(out, "- **Remediation:** {}", escape(&f.remediation));
            for x in &f.references {
                let _ = writeln!(out, "- Reference: {}", escape(x));
            }
            out.push('\n');
        }
    }

    let _ = writeln!(out, "## Assets\n");
    let rows: Vec<Vec<String>> = r
        .assets
        .iter()
        .map(|a| {
            vec![
                escape(&a.ip),
                escape(&a.macs.join(" ")),
                escape(a.mac_vendor.as_deref().unwrap_or("")),
                escape(
                    &a.roles
                        .first()
                        .map(|x| format!("{} ({:.2})", x.role, x.confidence))
                        .unwrap_or_default(),
                ),
                escape(&identity_line(&a.identity)),
                escape(
                    &a.services
                        .iter()
                        .map(service_label)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                escape(a.zone.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "IP",
            "MAC",
            "MAC vendor",
            "Role",
            "Identity",
            "Services",
            "Zone",
        ],
        &rows,
    );

    let _ = writeln!(out, "## Zones\n");
    let rows: Vec<Vec<String>> = r
        .zones
        .iter()
        .map(|z| {
            vec![
                escape(&z.name),
                level_label(z.level),
                z.assets.len().to_string(),
                escape(&z.cidrs.join(" ")),
                escape(z.description.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    table(
        &mut out,
        &["Zone", "Level", "Assets", "CIDRs", "Description"],
        &rows,
    );

    let _ = writeln!(out, "## Conduits\n");
    if r.conduits.is_empty() {
        let _ = writeln!(out, "No traffic crossed a zone boundary.\n");
    } else {
        let mut order: Vec<&crate::zones::Conduit> = r.conduits.iter().collect();
        order.sort_by_key(|c| std::cmp::Reverse(verdict_rank(c.verdict)));
        let rows: Vec<Vec<String>> = order
            .iter()
            .map(|c| {
                vec![
                    format!("{} → {}", escape(&c.src_zone), escape(&c.dst_zone)),
                    format!("{}/{}", escape(&c.transport), c.port),
                    escape(c.protocol.as_deref().unwrap_or("")),
                    c.flows.to_string(),
                    format!("**{}**", verdict_name(c.verdict)),
                    escape(&c.rule),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "From → to",
                "Service",
                "Protocol",
                "Flows",
                "Verdict",
                "Rule",
            ],
            &rows,
        );
    }
    if !r.unused_conduits.is_empty() {
        let _ = writeln!(out, "### Declared conduits no traffic used\n");
        for u in &r.unused_conduits {
            let _ = writeln!(
                out,
                "- {} → {}: {}",
                escape(&u.from),
                escape(&u.to),
                escape(&u.services.join(", "))
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Inputs\n");
    let rows: Vec<Vec<String>> = r
        .inputs
        .iter()
        .enumerate()
        .map(|(i, x)| {
            vec![
                i.to_string(),
                escape(&x.path),
                code(&x.sha256),
                x.packets.to_string(),
                escape(&x.status()),
            ]
        })
        .collect();
    table(
        &mut out,
        &["#", "Path", "SHA-256", "Packets", "Note"],
        &rows,
    );
    // One trailing newline.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_and_html() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("`x`"), "\\`x\\`");
        assert_eq!(escape("# title"), "\\# title");
        assert_eq!(escape("a # b"), "a # b");
        assert_eq!(escape("   # b"), "\\# b");
        assert_eq!(escape("<script>"), "&lt;script&gt;");
        assert_eq!(escape("[x](javascript:1)"), "\\[x\\](javascript:1)");
        assert_eq!(escape("a\nb"), "a b");
        assert_eq!(code("a || b"), "`a \\|\\| b`");
    }
}
