//! Findings: what an operator must act on, each with a stable id, a severity, the frames that
//! prove it, a `tshark` filter that shows them, a remediation and references.
//!
//! One function per rule, each with its rationale. Findings are de-duplicated per asset, port
//! and kind, with counts. Secrets (passwords, communities) are redacted unless the report is
//! made with `--show-secrets`.

mod rules;

use crate::evidence::{Ev, Evidence};
use crate::zones::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One supporting frame with what it shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FindingEvidence {
    pub input: u16,
    pub frame: u64,
    pub ts: String,
    pub detail: String,
}

/// A credential seen on the wire (secret redacted unless `--show-secrets`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Credential {
    pub user: Option<String>,
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    /// Stable across runs: derived from the rule, asset, transport and port.
    pub id: String,
    pub rule: String,
    pub kind: String,
    pub severity: Severity,
    pub title: String,
    /// The asset the finding is about (IP).
    pub asset: String,
    pub transport: Option<String>,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    /// The other side(s): clients, initiators.
    pub peer: Option<String>,
    pub peers: Vec<String>,
    pub zone: Option<String>,
    /// Occurrences folded into this finding (flows, logins, operations).
    pub count: u64,
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub credentials: Vec<Credential>,
    pub evidence: Vec<FindingEvidence>,
    /// Display filter that shows the traffic behind the finding.
    pub tshark_filter: String,
    /// Ready commands, one per capture file holding evidence.
    pub tshark_commands: Vec<String>,
    pub remediation: String,
    pub references: Vec<String>,
    /// Sensors (sites) that saw this, in a merged report (`otscope merge`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sensors: Vec<String>,
}

/// FNV-1a, for stable ids.
fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Builder state shared by the rules.
pub struct Ctx<'a> {
    pub analysis: &'a crate::analysis::Analysis,
    pub report: &'a crate::report::Report,
    pub show_secrets: bool,
    out: BTreeMap<(String, String, Option<u16>, Option<String>), Finding>,
}

/// Quote a path for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl<'a> Ctx<'a> {
    fn input_path(&self, i: u16) -> String {
        self.report
            .inputs
            .get(i as usize)
            .map_or_else(|| format!("input-{i}"), |x| x.path.clone())
    }

    pub fn redact(&self, s: &str) -> String {
        if self.show_secrets {
            s.to_string()
        } else {
            "<redacted>".to_string()
        }
    }

    /// Evidence rows from frames, with one detail for all.
    pub fn rows(e: &Evidence, detail: &str) -> Vec<FindingEvidence> {
        e.frames
            .iter()
            .map(|f| FindingEvidence {
                input: f.input,
                frame: f.frame,
                ts: f.ts.to_string(),
                detail: detail.to_string(),
            })
            .collect()
    }

    pub fn row(f: Ev, detail: impl Into<String>) -> FindingEvidence {
        FindingEvidence {
            input: f.input,
            frame: f.frame,
            ts: f.ts.to_string(),
            detail: detail.into(),
        }
    }

    /// Add a finding; one per (kind, asset, port, transport): a second one folds in (count,
    /// peers, evidence, the higher severity).
    pub fn add(&mut self, mut f: Finding) {
        f.id = format!(
            "OTS-{}-{:08x}",
            abbrev(&f.kind),
            fnv(&format!(
                "{}|{}|{:?}|{:?}",
                f.rule, f.asset, f.transport, f.port
            )) as u32
        );
        f.peers.sort();
        f.peers.dedup();
        f.peer = f.peers.first().cloned();
        if f.tshark_commands.is_empty() {
            let mut by_input: BTreeMap<u16, Vec<u64>> = BTreeMap::new();
            for e in &f.evidence {
                by_input.entry(e.input).or_default().push(e.frame);
            }
            for (i, mut frames) in by_input {
                frames.sort();
                frames.dedup();
                let list: Vec<String> = frames.iter().map(|n| n.to_string()).collect();
                f.tshark_commands.push(format!(
                    "tshark -r {} -Y 'frame.number in {{{}}}'",
                    shell_quote(&self.input_path(i)),
                    list.join(" ")
                ));
            }
        }
        // One finding per asset, port and kind; zone violations also per rule, so that the
        // control-protocol call-out stays separate from the adjacency rule.
        let kind_key = if f.kind == "zone_violation" {
            format!("{}|{}", f.kind, f.rule)
        } else {
            f.kind.clone()
        };
        let key = (kind_key, f.asset.clone(), f.port, f.transport.clone());
        match self.out.get_mut(&key) {
            None => {
                self.out.insert(key, f);
            }
            Some(g) => {
                g.count += f.count;
                g.peers.extend(f.peers);
                g.peers.sort();
                g.peers.dedup();
                g.peer = g.peers.first().cloned();
                if f.severity > g.severity {
                    g.severity = f.severity;
                    g.title = f.title;
                    g.rule = f.rule;
                    g.id = f.id;
                }
                if !g.description.contains(&f.description) {
                    g.description = format!("{} {}", g.description, f.description);
                }
                for c in f.credentials {
                    if !g.credentials.contains(&c) && g.credentials.len() < 16 {
                        g.credentials.push(c);
                    }
                }
                for e in f.evidence {
                    if !g
                        .evidence
                        .iter()
                        .any(|x| x.input == e.input && x.frame == e.frame)
                        && g.evidence.len() < 16
                    {
                        g.evidence.push(e);
                    }
                }
                g.evidence.sort_by_key(|e| (e.input, e.frame));
                for r in f.references {
                    if !g.references.contains(&r) {
                        g.references.push(r);
                    }
                }
                for c in f.tshark_commands {
                    if !g.tshark_commands.contains(&c) {
                        g.tshark_commands.push(c);
                    }
                }
            }
        }
    }
}

fn abbrev(kind: &str) -> &'static str {
    match kind {
        "internet_exposure" => "EXP",
        "internet_reachability" => "RCH",
        "outbound_internet" => "OUT",
        "zone_violation" => "ZON",
        "no_mfa" => "MFA",
        "cleartext_credentials" => "CRD",
        "unauthenticated_control" => "CTL",
        "weak_opcua_security" => "UAS",
        "plc_no_password" => "PWD",
        "unzoned_asset" => "UNZ",
        "weak_tls" => "TLS",
        _ => "GEN",
    }
}

/// Every finding of a report, sorted by severity (worst first), then asset and port.
pub fn evaluate(
    analysis: &crate::analysis::Analysis,
    report: &crate::report::Report,
    show_secrets: bool,
) -> Vec<Finding> {
    let mut cx = Ctx {
        analysis,
        report,
        show_secrets,
        out: BTreeMap::new(),
    };
    rules::internet_exposure(&mut cx);
    rules::outbound_internet(&mut cx);
    rules::zone_violations(&mut cx);
    rules::control_from_outside(&mut cx);
    rules::authentication(&mut cx);
    rules::unauthenticated_ics(&mut cx);
    rules::unauthenticated_control(&mut cx);
    rules::opcua_security(&mut cx);
    rules::plc_no_password(&mut cx);
    rules::unzoned_assets(&mut cx);
    let mut v: Vec<Finding> = cx.out.into_values().collect();
    v.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then_with(|| {
            let ka = (a.asset.parse::<std::net::IpAddr>().ok(), a.port, &a.kind);
            let kb = (b.asset.parse::<std::net::IpAddr>().ok(), b.port, &b.kind);
            ka.cmp(&kb)
        })
    });
    v
}
