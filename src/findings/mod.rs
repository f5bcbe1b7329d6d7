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

/// Builder state shared by the rules (one per rule: rules run in parallel).
pub struct Ctx<'a> {
    pub analysis: &'a crate::analysis::Analysis,
    pub report: &'a crate::report::Report,
    pub show_secrets: bool,
    /// This rule's findings, each with its id and commands, in the order the rule made them.
    found: Vec<Finding>,
}

/// Findings by (kind, asset, port, transport).
type Folded = BTreeMap<(String, String, Option<u16>, Option<String>), Finding>;

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

    /// Add a finding (its id, peers and `tshark` commands are made here); [`fold`] keeps one
    /// per (kind, asset, port, transport).
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
        self.found.push(f);
    }
}

/// Fold a finding in: one per (kind, asset, port, transport); a second one adds its count,
/// peers and evidence, and the higher severity. The result depends on the order findings
/// come in, so they are folded in rule order whatever thread made them.
fn fold(out: &mut Folded, f: Finding) {
    // One finding per asset, port and kind; zone violations also per rule, so that the
    // control-protocol call-out stays separate from the adjacency rule.
    let kind_key = if f.kind == "zone_violation" {
        format!("{}|{}", f.kind, f.rule)
    } else {
        f.kind.clone()
    };
    let key = (kind_key, f.asset.clone(), f.port, f.transport.clone());
    match out.get_mut(&key) {
        None => {
            out.insert(key, f);
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

/// The rules, in the order their findings are folded.
const RULES: [fn(&mut Ctx<'_>); 10] = [
    rules::internet_exposure,
    rules::outbound_internet,
    rules::zone_violations,
    rules::control_from_outside,
    rules::authentication,
    rules::unauthenticated_ics,
    rules::unauthenticated_control,
    rules::opcua_security,
    rules::plc_no_password,
    rules::unzoned_assets,
];

/// Every finding of a report, sorted by severity (worst first), then asset and port. The
/// rules run on up to `threads` threads; the result does not depend on how many.
pub fn evaluate(
    analysis: &crate::analysis::Analysis,
    report: &crate::report::Report,
    show_secrets: bool,
    threads: usize,
) -> Vec<Finding> {
    let per_rule = crate::par::map(RULES.len(), threads, |i| {
        let mut cx = Ctx {
            analysis,
            report,
            show_secrets,
            found: Vec::new(),
        };
        RULES[i](&mut cx);
        cx.found
    });
    let mut out = Folded::new();
    for f in per_rule.into_iter().flatten() {
        fold(&mut out, f);
    }
    let mut v: Vec<Finding> = out.into_values().collect();
    // Stable, as the comparison sort it replaces; each address is parsed once.
    v.sort_by_cached_key(|f| {
        (
            std::cmp::Reverse(f.severity),
            f.asset.parse::<std::net::IpAddr>().ok(),
            f.port,
            f.kind.clone(),
        )
    });
    v
}
