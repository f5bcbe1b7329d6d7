//! CSV renderer: `assets.csv`, `conduits.csv` and `findings.csv`, one row per asset, conduit
//! and finding, for spreadsheets and asset databases.
//!
//! RFC 4180: CRLF line ends, a header row, fields quoted when they hold a comma, a quote or a
//! line break (quotes doubled). Device strings are hostile: control characters are replaced
//! (a cell never spans lines), and a cell that a spreadsheet would read as a formula (starting
//! with `=`, `+`, `-`, `@`, tab or CR) gets a leading apostrophe (OWASP "CSV injection").
//! Lists inside a cell are separated by `; `.

use super::{Report, clean_text, service_label, verdict_name};
use std::io;
use std::path::Path;

/// One field, neutralised and quoted as needed.
pub fn field(s: &str) -> String {
    // Formula triggers are judged on the raw value (a leading tab or CR counts) and again once
    // control characters and escape sequences are gone (`ESC[0m=cmd` must not slip through).
    let cleaned = clean_text(s);
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r'])
        || cleaned.starts_with(['=', '+', '-', '@']);
    let mut v = String::with_capacity(cleaned.len() + 3);
    if formula {
        v.push('\'');
    }
    v.push_str(&cleaned);
    if v.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

fn push_row(out: &mut String, cells: &[String]) {
    let mut first = true;
    for c in cells {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&field(c));
    }
    out.push_str("\r\n");
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

fn list(v: &[String]) -> String {
    v.join("; ")
}

const ASSET_COLUMNS: [&str; 29] = [
    "ip",
    "macs",
    "mac_vendor",
    "zone",
    "level",
    "role",
    "role_confidence",
    "roles",
    "vendor",
    "product",
    "model",
    "firmware",
    "hardware_version",
    "serial",
    "order_number",
    "name",
    "hostname",
    "device_type",
    "conflicts",
    "services",
    "protocols",
    "vlans",
    "packets_sent",
    "packets_received",
    "bytes_sent",
    "bytes_received",
    "first_ts",
    "last_ts",
    "notes",
];

/// `assets.csv`: one row per asset.
pub fn assets(r: &Report) -> String {
    let mut out = String::new();
    push_row(
        &mut out,
        &ASSET_COLUMNS
            .map(str::to_string)
            .into_iter()
            .collect::<Vec<_>>(),
    );
    for a in &r.assets {
        let id = &a.identity;
        let top = a.roles.first();
        push_row(
            &mut out,
            &[
                a.ip.clone(),
                list(&a.macs),
                opt(&a.mac_vendor),
                opt(&a.zone),
                opt(&a.level),
                top.map(|x| x.role.clone()).unwrap_or_default(),
                top.map(|x| format!("{:.2}", x.confidence))
                    .unwrap_or_default(),
                a.roles
                    .iter()
                    .map(|x| format!("{} {:.2}", x.role, x.confidence))
                    .collect::<Vec<_>>()
                    .join("; "),
                opt(&id.vendor),
                opt(&id.product),
                opt(&id.model),
                opt(&id.firmware),
                opt(&id.hardware_version),
                opt(&id.serial),
                opt(&id.order_number),
                opt(&id.name),
                opt(&id.hostname),
                opt(&id.device_type),
                list(&id.conflicts),
                a.services
                    .iter()
                    .map(service_label)
                    .collect::<Vec<_>>()
                    .join("; "),
                list(&a.protocols),
                a.vlans
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
                a.packets_sent.to_string(),
                a.packets_received.to_string(),
                a.bytes_sent.to_string(),
                a.bytes_received.to_string(),
                a.first_ts.clone(),
                a.last_ts.clone(),
                list(&a.notes),
            ],
        );
    }
    out
}

const CONDUIT_COLUMNS: [&str; 23] = [
    "src_zone",
    "dst_zone",
    "src_level",
    "dst_level",
    "transport",
    "port",
    "protocol",
    "protocol_from_content",
    "flows",
    "completed",
    "refused",
    "unanswered",
    "answered",
    "packets",
    "bytes",
    "initiators",
    "responders",
    "first_ts",
    "last_ts",
    "verdict",
    "rule",
    "severity",
    "evidence_frames",
];

/// `conduits.csv`: one row per conduit (zone crossing per service).
pub fn conduits(r: &Report) -> String {
    let mut out = String::new();
    push_row(
        &mut out,
        &CONDUIT_COLUMNS
            .map(str::to_string)
            .into_iter()
            .collect::<Vec<_>>(),
    );
    for c in &r.conduits {
        push_row(
            &mut out,
            &[
                c.src_zone.clone(),
                c.dst_zone.clone(),
                opt(&c.src_level),
                opt(&c.dst_level),
                c.transport.clone(),
                c.port.to_string(),
                opt(&c.protocol),
                c.protocol_from_content.to_string(),
                c.flows.to_string(),
                c.completed.to_string(),
                c.refused.to_string(),
                c.unanswered.to_string(),
                c.answered.to_string(),
                c.packets.to_string(),
                c.bytes.to_string(),
                list(&c.initiators),
                list(&c.responders),
                c.first_ts.clone(),
                c.last_ts.clone(),
                verdict_name(c.verdict).to_string(),
                c.rule.clone(),
                c.severity.map(|s| s.name().to_string()).unwrap_or_default(),
                c.evidence
                    .iter()
                    .map(|e| format!("{}:{}", e.input, e.frame))
                    .collect::<Vec<_>>()
                    .join(" "),
            ],
        );
    }
    out
}

const FINDING_COLUMNS: [&str; 18] = [
    "id",
    "severity",
    "kind",
    "rule",
    "title",
    "asset",
    "transport",
    "port",
    "protocol",
    "zone",
    "peers",
    "count",
    "evidence_frames",
    "tshark_filter",
    "tshark_commands",
    "description",
    "remediation",
    "references",
];

/// `findings.csv`: one row per finding. Evidence frames are `input:frame`.
pub fn findings(r: &Report) -> String {
    let mut out = String::new();
    push_row(
        &mut out,
        &FINDING_COLUMNS
            .map(str::to_string)
            .into_iter()
            .collect::<Vec<_>>(),
    );
    for f in &r.findings {
        push_row(
            &mut out,
            &[
                f.id.clone(),
                f.severity.name().to_string(),
                f.kind.clone(),
                f.rule.clone(),
                f.title.clone(),
                f.asset.clone(),
                opt(&f.transport),
                opt(&f.port),
                opt(&f.protocol),
                opt(&f.zone),
                list(&f.peers),
                f.count.to_string(),
                f.evidence
                    .iter()
                    .map(|e| format!("{}:{}", e.input, e.frame))
                    .collect::<Vec<_>>()
                    .join(" "),
                f.tshark_filter.clone(),
                list(&f.tshark_commands),
                f.description.clone(),
                f.remediation.clone(),
                list(&f.references),
            ],
        );
    }
    out
}

/// Write `assets.csv`, `conduits.csv` and `findings.csv` into `dir` (created if missing).
pub fn write_dir(r: &Report, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in [
        ("assets.csv", assets(r)),
        ("conduits.csv", conduits(r)),
        ("findings.csv", findings(r)),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_neutralised() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\t=1"), "' =1");
        assert_eq!(field("\r=1"), "' =1");
        assert_eq!(field("a\nb"), "a b");
        assert_eq!(field("\u{1b}[0m=cmd"), "'=cmd");
        assert_eq!(field(""), "");
    }
}
