//! `diff`: what changed between two reports of the same network (yesterday's and today's,
//! before and after a maintenance window).
//!
//! New and vanished assets; identity changes per asset (firmware, serial, model, vendor, order
//! number, MAC: a re-flashed or swapped PLC); role and zone changes; new and vanished services;
//! new and vanished conduits and verdict changes; new and resolved findings (by finding id, which
//! is stable across runs) and severity changes.
//!
//! An identity value that was seen before and is not seen now is reported as `not_observed`,
//! not as a change: a capture that did not catch the identity exchange says nothing about the
//! device. Only two different observed values are a `changed`.

use super::{Report, clean_text, verdict_name};
use crate::inventory::model::Asset;
use crate::zones::{Conduit, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;

/// One side of the comparison.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Side {
    pub inputs: Vec<String>,
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    pub assets: u64,
    pub conduits: u64,
    pub findings: u64,
}

/// An asset as the diff lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AssetRef {
    pub ip: String,
    pub macs: Vec<String>,
    pub mac_vendor: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub role: Option<String>,
    pub zone: Option<String>,
}

/// `changed` (two different observed values), `appeared` (seen now, not before) or
/// `not_observed` (seen before, not now).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Changed,
    Appeared,
    NotObserved,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IdentityChange {
    pub ip: String,
    pub field: String,
    pub change: Change,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ValueChange {
    pub ip: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceRef {
    pub ip: String,
    pub transport: String,
    pub port: u16,
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConduitRef {
    pub src_zone: String,
    pub dst_zone: String,
    pub transport: String,
    pub port: u16,
    pub protocol: Option<String>,
    pub flows: u64,
    pub verdict: String,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VerdictChange {
    pub src_zone: String,
    pub dst_zone: String,
    pub transport: String,
    pub port: u16,
    pub old: String,
    pub new: String,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FindingRef {
    pub id: String,
    pub severity: Severity,
    pub kind: String,
    pub title: String,
    pub asset: String,
    pub port: Option<u16>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeverityChange {
    pub id: String,
    pub title: String,
    pub old: Severity,
    pub new: Severity,
}

/// Everything that changed from `old` to `new`. Every list is sorted (addresses numerically).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    pub new_assets: Vec<AssetRef>,
    pub vanished_assets: Vec<AssetRef>,
    pub identity_changes: Vec<IdentityChange>,
    pub role_changes: Vec<ValueChange>,
    pub zone_changes: Vec<ValueChange>,
    pub new_services: Vec<ServiceRef>,
    pub vanished_services: Vec<ServiceRef>,
    pub new_conduits: Vec<ConduitRef>,
    pub vanished_conduits: Vec<ConduitRef>,
    pub verdict_changes: Vec<VerdictChange>,
    pub new_findings: Vec<FindingRef>,
    pub resolved_findings: Vec<FindingRef>,
    pub severity_changes: Vec<SeverityChange>,
}

impl Diff {
    /// Whether anything changed (identity values merely not observed again do not count).
    pub fn has_changes(&self) -> bool {
        !(self.new_assets.is_empty()
            && self.vanished_assets.is_empty()
            && !self
                .identity_changes
                .iter()
                .any(|c| c.change != Change::NotObserved)
            && self.role_changes.is_empty()
            && self.zone_changes.is_empty()
            && self.new_services.is_empty()
            && self.vanished_services.is_empty()
            && self.new_conduits.is_empty()
            && self.vanished_conduits.is_empty()
            && self.verdict_changes.is_empty()
            && self.new_findings.is_empty()
            && self.resolved_findings.is_empty()
            && self.severity_changes.is_empty())
    }

    /// The worst severity among new findings and findings whose severity rose (for
    /// `--fail-on`).
    pub fn worst_new(&self) -> Option<Severity> {
        self.new_findings
            .iter()
            .map(|f| f.severity)
            .chain(
                self.severity_changes
                    .iter()
                    .filter(|c| c.new > c.old)
                    .map(|c| c.new),
            )
            .max()
    }
}

fn ip_key(s: &str) -> (Option<IpAddr>, String) {
    (s.parse().ok(), s.to_string())
}

fn side(r: &Report) -> Side {
    Side {
        inputs: r.inputs.iter().map(|i| i.path.clone()).collect(),
        first_ts: r.summary.first_ts.clone(),
        last_ts: r.summary.last_ts.clone(),
        assets: r.assets.len() as u64,
        conduits: r.conduits.len() as u64,
        findings: r.findings.len() as u64,
    }
}

fn asset_ref(a: &Asset) -> AssetRef {
    AssetRef {
        ip: a.ip.clone(),
        macs: a.macs.clone(),
        mac_vendor: a.mac_vendor.clone(),
        vendor: a.identity.vendor.clone(),
        model: a.identity.model.clone(),
        firmware: a.identity.firmware.clone(),
        role: a.roles.first().map(|r| r.role.clone()),
        zone: a.zone.clone(),
    }
}

/// Identity fields compared, in the order they are listed.
const ID_FIELDS: [&str; 10] = [
    "vendor",
    "product",
    "model",
    "order_number",
    "serial",
    "hardware_version",
    "firmware",
    "name",
    "hostname",
    "device_type",
];

fn id_field(a: &Asset, f: &str) -> Option<String> {
    let id = &a.identity;
    match f {
        "vendor" => id.vendor.clone(),
        "product" => id.product.clone(),
        "model" => id.model.clone(),
        "order_number" => id.order_number.clone(),
        "serial" => id.serial.clone(),
        "hardware_version" => id.hardware_version.clone(),
        "firmware" => id.firmware.clone(),
        "name" => id.name.clone(),
        "hostname" => id.hostname.clone(),
        "device_type" => id.device_type.clone(),
        "mac" => (!a.macs.is_empty()).then(|| a.macs.join(" ")),
        _ => None,
    }
}

fn conduit_key(c: &Conduit) -> (String, String, String, u16) {
    (
        c.src_zone.clone(),
        c.dst_zone.clone(),
        c.transport.clone(),
        c.port,
    )
}

fn conduit_ref(c: &Conduit) -> ConduitRef {
    ConduitRef {
        src_zone: c.src_zone.clone(),
        dst_zone: c.dst_zone.clone(),
        transport: c.transport.clone(),
        port: c.port,
        protocol: c.protocol.clone(),
        flows: c.flows,
        verdict: verdict_name(c.verdict).into(),
        rule: c.rule.clone(),
    }
}

fn finding_ref(f: &crate::findings::Finding) -> FindingRef {
    FindingRef {
        id: f.id.clone(),
        severity: f.severity,
        kind: f.kind.clone(),
        title: f.title.clone(),
        asset: f.asset.clone(),
        port: f.port,
    }
}

/// What changed from `old` to `new`.
pub fn diff(old: &Report, new: &Report) -> Diff {
    let mut d = Diff {
        old: side(old),
        new: side(new),
        ..Diff::default()
    };
    let oa: BTreeMap<_, &Asset> = old.assets.iter().map(|a| (ip_key(&a.ip), a)).collect();
    let na: BTreeMap<_, &Asset> = new.assets.iter().map(|a| (ip_key(&a.ip), a)).collect();
    for (k, a) in &na {
        let Some(o) = oa.get(k) else {
            d.new_assets.push(asset_ref(a));
            continue;
        };
        for f in ID_FIELDS.iter().copied().chain(["mac"]) {
            let (x, y) = (id_field(o, f), id_field(a, f));
            let change = match (&x, &y) {
                (Some(p), Some(q)) if p != q => Change::Changed,
                (None, Some(_)) => Change::Appeared,
                (Some(_), None) => Change::NotObserved,
                _ => continue,
            };
            d.identity_changes.push(IdentityChange {
                ip: a.ip.clone(),
                field: f.to_string(),
                change,
                old: x,
                new: y,
            });
        }
        let (ro, rn) = (
            o.roles.first().map(|r| r.role.clone()),
            a.roles.first().map(|r| r.role.clone()),
        );
        if ro != rn {
            d.role_changes.push(ValueChange {
                ip: a.ip.clone(),
                old: ro,
                new: rn,
            });
        }
        if o.zone != a.zone {
            d.zone_changes.push(ValueChange {
                ip: a.ip.clone(),
                old: o.zone.clone(),
                new: a.zone.clone(),
            });
        }
        let key = |s: &crate::inventory::model::Service| {
            (s.transport.clone(), s.port, s.protocol.clone())
        };
        for s in &a.services {
            if !o.services.iter().any(|x| key(x) == key(s)) {
                d.new_services.push(ServiceRef {
                    ip: a.ip.clone(),
                    transport: s.transport.clone(),
                    port: s.port,
                    protocol: s.protocol.clone(),
                });
            }
        }
        for s in &o.services {
            if !a.services.iter().any(|x| key(x) == key(s)) {
                d.vanished_services.push(ServiceRef {
                    ip: a.ip.clone(),
                    transport: s.transport.clone(),
                    port: s.port,
                    protocol: s.protocol.clone(),
                });
            }
        }
    }
    for (k, o) in &oa {
        if !na.contains_key(k) {
            d.vanished_assets.push(asset_ref(o));
        }
    }
    let oc: BTreeMap<_, &Conduit> = old.conduits.iter().map(|c| (conduit_key(c), c)).collect();
    let nc: BTreeMap<_, &Conduit> = new.conduits.iter().map(|c| (conduit_key(c), c)).collect();
    for (k, c) in &nc {
        match oc.get(k) {
            None => d.new_conduits.push(conduit_ref(c)),
            Some(o) if o.verdict != c.verdict => d.verdict_changes.push(VerdictChange {
                src_zone: c.src_zone.clone(),
                dst_zone: c.dst_zone.clone(),
                transport: c.transport.clone(),
                port: c.port,
                old: verdict_name(o.verdict).into(),
                new: verdict_name(c.verdict).into(),
                rule: c.rule.clone(),
            }),
            Some(_) => {}
        }
    }
    for (k, o) in &oc {
        if !nc.contains_key(k) {
            d.vanished_conduits.push(conduit_ref(o));
        }
    }
    let of: BTreeMap<&str, &crate::findings::Finding> =
        old.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let nf: BTreeMap<&str, &crate::findings::Finding> =
        new.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    // Findings keep the report's order (worst first).
    for f in &new.findings {
        match of.get(f.id.as_str()) {
            None => d.new_findings.push(finding_ref(f)),
            Some(o) if o.severity != f.severity => d.severity_changes.push(SeverityChange {
                id: f.id.clone(),
                title: f.title.clone(),
                old: o.severity,
                new: f.severity,
            }),
            Some(_) => {}
        }
    }
    for f in &old.findings {
        if !nf.contains_key(f.id.as_str()) {
            d.resolved_findings.push(finding_ref(f));
        }
    }
    d
}

/// The diff as pretty-printed JSON with a trailing newline.
pub fn render_json(d: &Diff) -> String {
    let mut s = serde_json::to_string_pretty(d).expect("diff serialises");
    s.push('\n');
    s
}

fn o(v: &Option<String>) -> String {
    v.as_deref()
        .map_or_else(|| "-".into(), |x| clean_text(x).into_owned())
}

/// The diff as text for a terminal (device strings sanitised; ANSI colour when `color`).
pub fn render_text(d: &Diff, color: bool) -> String {
    let paint = |code: &str, s: String| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "otscope diff: {} → {}",
        clean_text(&d.old.inputs.join(", ")),
        clean_text(&d.new.inputs.join(", "))
    );
    let _ = writeln!(
        out,
        "assets {} → {}, conduits {} → {}, findings {} → {}",
        d.old.assets, d.new.assets, d.old.conduits, d.new.conduits, d.old.findings, d.new.findings
    );
    if !d.has_changes() {
        let _ = writeln!(out, "\nNo changes.");
    }
    let section = |out: &mut String, title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                paint("1", format!("{title} ({})", lines.len()))
            );
            for l in lines {
                let _ = writeln!(out, "  {l}");
            }
        }
    };
    let changed: Vec<&IdentityChange> = d
        .identity_changes
        .iter()
        .filter(|c| c.change == Change::Changed)
        .collect();
    section(
        &mut out,
        "Identity changed (re-flashed or swapped devices?)",
        changed
            .iter()
            .map(|c| {
                paint(
                    "31",
                    format!(
                        "{} {}: {} → {}",
                        clean_text(&c.ip),
                        c.field,
                        o(&c.old),
                        o(&c.new)
                    ),
                )
            })
            .collect(),
    );
    let asset_line = |a: &AssetRef| {
        let ident: Vec<String> = [&a.vendor, &a.model, &a.firmware]
            .into_iter()
            .filter_map(|x| x.as_deref().map(|v| clean_text(v).into_owned()))
            .collect();
        format!(
            "{} {} {} [{}] zone {}",
            clean_text(&a.ip),
            o(&a.role),
            ident.join(" "),
            clean_text(&a.macs.join(" ")),
            o(&a.zone)
        )
    };
    section(
        &mut out,
        "New assets",
        d.new_assets
            .iter()
            .map(|a| paint("33", format!("+ {}", asset_line(a))))
            .collect(),
    );
    section(
        &mut out,
        "Vanished assets",
        d.vanished_assets
            .iter()
            .map(|a| format!("- {}", asset_line(a)))
            .collect(),
    );
    section(
        &mut out,
        "Role changes",
        d.role_changes
            .iter()
            .map(|c| format!("{} {} → {}", clean_text(&c.ip), o(&c.old), o(&c.new)))
            .collect(),
    );
    section(
        &mut out,
        "Zone changes",
        d.zone_changes
            .iter()
            .map(|c| format!("{} {} → {}", clean_text(&c.ip), o(&c.old), o(&c.new)))
            .collect(),
    );
    let svc = |s: &ServiceRef| {
        format!(
            "{} {}/{} {}",
            clean_text(&s.ip),
            s.transport,
            s.port,
            o(&s.protocol)
        )
    };
    section(
        &mut out,
        "New services",
        d.new_services
            .iter()
            .map(|s| paint("33", format!("+ {}", svc(s))))
            .collect(),
    );
    section(
        &mut out,
        "Vanished services",
        d.vanished_services
            .iter()
            .map(|s| format!("- {}", svc(s)))
            .collect(),
    );
    let cond = |c: &ConduitRef| {
        format!(
            "{} → {} {}/{} {} ({} flows) {}",
            clean_text(&c.src_zone),
            clean_text(&c.dst_zone),
            c.transport,
            c.port,
            o(&c.protocol),
            c.flows,
            c.verdict
        )
    };
    section(
        &mut out,
        "New conduits",
        d.new_conduits
            .iter()
            .map(|c| {
                let l = format!("+ {}", cond(c));
                if c.verdict == "violation" {
                    paint("31", l)
                } else {
                    l
                }
            })
            .collect(),
    );
    section(
        &mut out,
        "Vanished conduits",
        d.vanished_conduits
            .iter()
            .map(|c| format!("- {}", cond(c)))
            .collect(),
    );
    section(
        &mut out,
        "Verdict changes",
        d.verdict_changes
            .iter()
            .map(|c| {
                format!(
                    "{} → {} {}/{}: {} → {} ({})",
                    clean_text(&c.src_zone),
                    clean_text(&c.dst_zone),
                    c.transport,
                    c.port,
                    c.old,
                    c.new,
                    clean_text(&c.rule)
                )
            })
            .collect(),
    );
    let fl = |f: &FindingRef| {
        format!(
            "{} {} {}",
            f.severity.name(),
            clean_text(&f.id),
            clean_text(&f.title)
        )
    };
    section(
        &mut out,
        "New findings",
        d.new_findings
            .iter()
            .map(|f| {
                let l = format!("+ {}", fl(f));
                if f.severity >= Severity::High {
                    paint("31", l)
                } else {
                    l
                }
            })
            .collect(),
    );
    section(
        &mut out,
        "Resolved findings",
        d.resolved_findings
            .iter()
            .map(|f| paint("32", format!("- {}", fl(f))))
            .collect(),
    );
    section(
        &mut out,
        "Severity changes",
        d.severity_changes
            .iter()
            .map(|c| {
                format!(
                    "{} {}: {} → {}",
                    clean_text(&c.id),
                    clean_text(&c.title),
                    c.old.name(),
                    c.new.name()
                )
            })
            .collect(),
    );
    section(
        &mut out,
        "Identity values seen for the first time",
        d.identity_changes
            .iter()
            .filter(|c| c.change == Change::Appeared)
            .map(|c| format!("{} {}: {}", clean_text(&c.ip), c.field, o(&c.new)))
            .collect(),
    );
    section(
        &mut out,
        "Identity values not observed this time",
        d.identity_changes
            .iter()
            .filter(|c| c.change == Change::NotObserved)
            .map(|c| format!("{} {}: was {}", clean_text(&c.ip), c.field, o(&c.old)))
            .collect(),
    );
    out
}
