//! SARIF 2.1.0 renderer (OASIS Static Analysis Results Interchange Format), for code-scanning
//! dashboards and security tooling.
//!
//! One run; `tool.driver` is otscope with one rule per finding rule id (its remediation as help,
//! kind, severity and references as properties); one result per finding: `ruleId`, `level`
//! (critical/high: error, medium: warning, low/info: note), the title and description as the
//! message, a physical location naming the capture file (an entry of `run.artifacts`, with its
//! SHA-256) and the evidence frame numbers as a property, a logical location for the asset
//! (`IP:port`), and the finding id as a partial fingerprint so that a dashboard follows the same
//! finding across runs. SARIF regions are lines or bytes of a file, and frame numbers are
//! neither, so frames travel in the location's `properties.frames`.

use super::Report;
use crate::findings::Finding;
use crate::zones::Severity;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Write;

pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// SARIF result level of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's numeric `security-severity` (0.0–10.0, CVSS-like bands).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "7.5",
        Severity::Medium => "5.0",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A file path as a URI reference: relative paths stay relative (resolved against the
/// `CAPTUREROOT` base), absolute ones become `file://` URIs; everything outside the unreserved
/// set and `/` is percent-encoded.
pub fn path_uri(path: &str) -> (String, bool) {
    let p = path.replace('\\', "/");
    let mut enc = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    if p.starts_with('/') {
        (format!("file://{enc}"), true)
    } else {
        (enc, false)
    }
}

/// An `https://` URI made only of characters RFC 3986 allows (a reference that is safe to
/// offer as a link).
pub fn is_plain_uri(s: &str) -> bool {
    s.starts_with("https://")
        && s.len() > 8
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b))
}

/// A short, generic description of a rule (findings carry the asset-specific title).
fn rule_text(kind: &str) -> &'static str {
    match kind {
        "internet_exposure" => "An industrial or management service is reachable from the internet",
        "internet_reachability" => "An OT asset is reachable from or reaches the internet",
        "outbound_internet" => "An OT asset talks to the internet",
        "zone_violation" => "Traffic crosses zones against the segmentation policy",
        "no_mfa" => "A service authenticates with a single factor or not at all",
        "cleartext_credentials" => "Credentials cross the network in clear text",
        "unauthenticated_control" => {
            "Control operations (writes, program download, mode changes) without authentication"
        }
        "weak_opcua_security" => "OPC UA without signing and encryption",
        "plc_no_password" => "A PLC without password protection",
        "unzoned_asset" => "An asset in no declared zone",
        "weak_tls" => "Weak TLS on a management interface",
        _ => "otscope finding",
    }
}

fn rule_name(rule: &str) -> String {
    // SARIF names are identifier-like: "UnauthenticatedControlEngineering".
    rule.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn rule_object(rule: &str, fs: &[&Finding]) -> Value {
    let f = fs[0];
    let worst = fs.iter().map(|f| f.severity).max().unwrap_or(f.severity);
    let mut refs: Vec<&str> = Vec::new();
    for x in fs.iter().flat_map(|f| f.references.iter()) {
        if !refs.contains(&x.as_str()) {
            refs.push(x);
        }
    }
    // The remediation of the rule's findings: one text when they agree, else each distinct one
    // (they name the service and zones); every result also carries its own.
    let mut rem: Vec<&str> = Vec::new();
    for f in fs {
        if !rem.contains(&f.remediation.as_str()) {
            rem.push(&f.remediation);
        }
    }
    let help = if rem.len() <= 8 {
        rem.join("\n")
    } else {
        format!("{}\n…", rem[..8].join("\n"))
    };
    let mut o = json!({
        "id": rule,
        "name": rule_name(rule),
        "shortDescription": {"text": rule_text(&f.kind)},
        "fullDescription": {"text": format!("{} ({}).", rule_text(&f.kind), rule)},
        "help": {"text": help},
        "defaultConfiguration": {"level": level(worst)},
        "properties": {
            "kind": f.kind,
            "severity": worst.name(),
            "security-severity": security_severity(worst),
            "references": refs,
            "tags": ["security", "ot", f.kind.as_str()],
        }
    });
    if let Some(u) = refs.iter().find(|r| is_plain_uri(r)) {
        o["helpUri"] = json!(u);
    }
    o
}

fn result_object(f: &Finding, rule_index: usize, r: &Report) -> Value {
    let mut text = f.title.clone();
    if !f.description.is_empty() {
        text.push_str(". ");
        text.push_str(&f.description);
    }
    let target = match f.port {
        Some(p) => format!("{}:{p}", f.asset),
        None => f.asset.clone(),
    };
    let fq = match (&f.transport, f.port) {
        (Some(t), Some(p)) => format!("{}/{}/{t}/{p}", f.zone.as_deref().unwrap_or("-"), f.asset),
        _ => format!("{}/{}", f.zone.as_deref().unwrap_or("-"), f.asset),
    };
    let logical = json!([{"name": target, "fullyQualifiedName": fq, "kind": "resource"}]);
    // One location per capture file that holds evidence (the first is the primary one).
    let mut by_input: BTreeMap<u16, Vec<u64>> = BTreeMap::new();
    for e in &f.evidence {
        by_input.entry(e.input).or_default().push(e.frame);
    }
    let mut locations = Vec::new();
    for (input, frames) in &by_input {
        let Some(inp) = r.inputs.get(*input as usize) else {
            continue;
        };
        let (uri, absolute) = path_uri(&inp.path);
        let mut art = json!({"uri": uri, "index": *input as i64});
        if !absolute {
            art["uriBaseId"] = json!("CAPTUREROOT");
        }
        locations.push(json!({
            "physicalLocation": {"artifactLocation": art},
            "logicalLocations": logical,
            "properties": {"frames": frames},
        }));
    }
    if locations.is_empty() {
        locations.push(json!({"logicalLocations": logical}));
    }
    let mut props = Map::new();
    props.insert("severity".into(), json!(f.severity.name()));
    props.insert("kind".into(), json!(f.kind));
    props.insert("asset".into(), json!(f.asset));
    if let Some(p) = f.port {
        props.insert("port".into(), json!(p));
    }
    if let Some(t) = &f.transport {
        props.insert("transport".into(), json!(t));
    }
    if let Some(p) = &f.protocol {
        props.insert("protocol".into(), json!(p));
    }
    if let Some(z) = &f.zone {
        props.insert("zone".into(), json!(z));
    }
    props.insert("peers".into(), json!(f.peers));
    props.insert("count".into(), json!(f.count));
    props.insert("tshark_filter".into(), json!(f.tshark_filter));
    props.insert("tshark_commands".into(), json!(f.tshark_commands));
    props.insert("remediation".into(), json!(f.remediation));
    if !f.sensors.is_empty() {
        props.insert("sensors".into(), json!(f.sensors));
    }
    json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": locations,
        "partialFingerprints": {"otscopeFindingId/v1": f.id},
        "properties": Value::Object(props),
    })
}

/// The report's findings as a SARIF 2.1.0 log (pretty-printed JSON, trailing newline).
/// The SARIF log, pretty-printed, with a trailing newline.
pub fn render(r: &Report) -> String {
    let mut v = Vec::new();
    write(r, &mut v).expect("SARIF serialises into memory");
    String::from_utf8(v).expect("serde_json writes UTF-8")
}

/// Where the results array is in the log rendered with none: `runs[0].results`, a key at
/// depth 3 (six spaces after a line break; serde_json never writes a raw newline inside a
/// string, so nothing else looks like this).
const RESULTS_KEY: &[u8] = b"\n      \"results\": []";

/// [`render`] written to `w`: the log is rendered with an empty results array, and the
/// results, nearly all of a large log, are rendered one at a time and indented to their
/// place, so that the log is never held in memory as a tree of values (a capture with ten
/// thousand assets: 340 MB peak, against 180 MB for the JSON report, before).
pub fn write(r: &Report, w: impl Write) -> std::io::Result<()> {
    let mut rules: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in &r.findings {
        match rules.iter_mut().find(|(id, _)| *id == f.rule) {
            Some((_, v)) => v.push(f),
            None => rules.push((&f.rule, vec![f])),
        }
    }
    rules.sort_by(|a, b| a.0.cmp(b.0));
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let rule_objs: Vec<Value> = rules.iter().map(|(id, fs)| rule_object(id, fs)).collect();
    let artifacts: Vec<Value> = r
        .inputs
        .iter()
        .map(|i| {
            let (uri, absolute) = path_uri(&i.path);
            let mut loc = json!({"uri": uri});
            if !absolute {
                loc["uriBaseId"] = json!("CAPTUREROOT");
            }
            json!({
                "location": loc,
                "length": i.file_bytes as i64,
                "mimeType": match i.format {
                    crate::capture::FileFormat::Pcap => "application/vnd.tcpdump.pcap",
                    crate::capture::FileFormat::Pcapng => "application/x-pcapng",
                    crate::capture::FileFormat::Live => "application/octet-stream",
                },
                "hashes": {"sha-256": i.sha256},
                "roles": ["analysisTarget"],
                "properties": {"packets": i.packets},
            })
        })
        .collect();
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": r.tool.name,
                "version": r.tool.version,
                "semanticVersion": r.tool.version,
                "rules": rule_objs,
            }},
            "originalUriBaseIds": {
                "CAPTUREROOT": {"description": {"text": "The directory otscope was run from (capture paths are relative to it)."}}
            },
            "artifacts": artifacts,
            "results": [],
            "columnKind": "unicodeCodePoints",
            "properties": {
                "summary": r.summary,
                "policy_model": r.policy_model,
                "zones_inferred": r.zones_inferred,
            },
        }],
    });
    let skeleton = serde_json::to_vec_pretty(&log)?;
    drop(log);
    let Some(at) = memchr::memmem::find(&skeleton, RESULTS_KEY) else {
        return Err(std::io::Error::other("SARIF layout: no results key"));
    };
    let mut w = std::io::BufWriter::with_capacity(64 << 10, w);
    let open = at + RESULTS_KEY.len() - 1;
    w.write_all(&skeleton[..open])?;
    let mut one = Vec::new();
    for (n, f) in r.findings.iter().enumerate() {
        one.clear();
        serde_json::to_writer_pretty(&mut one, &result_object(f, index[f.rule.as_str()], r))?;
        w.write_all(if n == 0 {
            b"\n        "
        } else {
            b",\n        "
        })?;
        for (k, line) in one.split(|&c| c == b'\n').enumerate() {
            if k > 0 {
                w.write_all(b"\n        ")?;
            }
            w.write_all(line)?;
        }
    }
    if !r.findings.is_empty() {
        w.write_all(b"\n      ")?;
    }
    w.write_all(&skeleton[open..])?;
    w.write_all(b"\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            path_uri("captures/a b.pcap"),
            ("captures/a%20b.pcap".into(), false)
        );
        assert_eq!(
            path_uri("/tmp/x#y.pcap"),
            ("file:///tmp/x%23y.pcap".into(), true)
        );
        assert_eq!(
            rule_name("unauthenticated_control.engineering"),
            "UnauthenticatedControlEngineering"
        );
    }
}
