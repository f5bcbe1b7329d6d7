//! `--events FILE|-`: newline-delimited JSON events for SIEM and log pipelines.
//!
//! Each snapshot is compared with the previous one; what appeared or changed becomes one line:
//!
//! * `new_asset`: an IP address not seen before (with its MACs, vendor, zone, role, identity);
//! * `identity_change`: a field of an asset's identity, its primary role or its MAC addresses
//!   took a new value (`old` is null when the field was unknown before);
//! * `new_conduit`: a (source zone, destination zone, transport, port, protocol) not seen before;
//! * `new_finding`: a finding id not seen before (the finding as in the report; secrets
//!   redacted unless `--show-secrets`);
//! * `capture_loss`: frames were lost since the previous snapshot (kernel, interface, queue).
//!
//! Every line has `event`, `time` (wall clock of the snapshot) and `interface`. The first
//! snapshot reports everything it holds as new. Memory: the previous snapshot's keys only.

use super::snapshot::LiveStatus;
use crate::report::{Asset, Conduit, Finding, Report};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What the previous snapshot held.
#[derive(Debug, Default)]
pub struct EventState {
    assets: BTreeMap<String, BTreeMap<String, String>>,
    conduits: BTreeSet<(String, String, String, u16, String)>,
    findings: BTreeSet<String>,
    drops: (u64, u64, u64),
}

#[derive(Serialize)]
struct Head<'a, T: Serialize> {
    event: &'static str,
    time: Timestamp,
    interface: &'a str,
    #[serde(flatten)]
    body: T,
}

#[derive(Serialize)]
struct NewAsset<'a> {
    ip: &'a str,
    macs: &'a [String],
    mac_vendor: &'a Option<String>,
    zone: &'a Option<String>,
    role: Option<&'a str>,
    identity: BTreeMap<String, String>,
    first_ts: &'a str,
}

#[derive(Serialize)]
struct Change<'a> {
    ip: &'a str,
    field: &'a str,
    old: Option<&'a str>,
    new: Option<&'a str>,
}

#[derive(Serialize)]
struct NewConduit<'a> {
    src_zone: &'a str,
    dst_zone: &'a str,
    transport: &'a str,
    port: u16,
    protocol: &'a Option<String>,
    verdict: &'a crate::zones::Verdict,
    rule: &'a str,
    initiators: &'a [String],
    responders: &'a [String],
    first_ts: &'a str,
}

#[derive(Serialize)]
struct NewFinding<'a> {
    finding: &'a Finding,
}

#[derive(Serialize)]
struct Loss {
    kernel_drops: u64,
    interface_drops: u64,
    queue_shed_frames: u64,
    total_kernel_drops: u64,
    total_interface_drops: u64,
    total_queue_shed_frames: u64,
}

/// The fields an `identity_change` watches, flattened to `field → value`.
fn watched(a: &Asset) -> BTreeMap<String, String> {
    let i = &a.identity;
    let mut m = BTreeMap::new();
    for (k, v) in [
        ("vendor", &i.vendor),
        ("product", &i.product),
        ("model", &i.model),
        ("firmware", &i.firmware),
        ("hardware_version", &i.hardware_version),
        ("serial", &i.serial),
        ("order_number", &i.order_number),
        ("name", &i.name),
        ("hostname", &i.hostname),
        ("device_type", &i.device_type),
        ("application_uri", &i.application_uri),
        ("product_uri", &i.product_uri),
    ] {
        if let Some(v) = v {
            m.insert(k.to_string(), v.clone());
        }
    }
    for (k, v) in &i.attributes {
        m.insert(format!("attributes.{k}"), v.clone());
    }
    if !a.macs.is_empty() {
        m.insert("macs".into(), a.macs.join(","));
    }
    if let Some(r) = a.roles.first() {
        m.insert("role".into(), r.role.clone());
    }
    m
}

fn conduit_key(c: &Conduit) -> (String, String, String, u16, String) {
    (
        c.src_zone.clone(),
        c.dst_zone.clone(),
        c.transport.clone(),
        c.port,
        c.protocol.clone().unwrap_or_default(),
    )
}

fn line<T: Serialize>(out: &mut Vec<String>, event: &'static str, st: &LiveStatus, body: T) {
    let h = Head {
        event,
        time: st.snapshot_time,
        interface: &st.interface,
        body,
    };
    if let Ok(s) = serde_json::to_string(&h) {
        out.push(s);
    }
}

/// The events between the previous snapshot and `r`; updates the state.
pub fn diff(prev: &mut EventState, r: &Report, st: &LiveStatus) -> Vec<String> {
    let mut out = Vec::new();
    let mut assets = BTreeMap::new();
    for a in &r.assets {
        let now = watched(a);
        match prev.assets.get(&a.ip) {
            None => {
                let identity = now
                    .iter()
                    .filter(|(k, _)| k.as_str() != "macs" && k.as_str() != "role")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                line(
                    &mut out,
                    "new_asset",
                    st,
                    NewAsset {
                        ip: &a.ip,
                        macs: &a.macs,
                        mac_vendor: &a.mac_vendor,
                        zone: &a.zone,
                        role: a.roles.first().map(|r| r.role.as_str()),
                        identity,
                        first_ts: &a.first_ts,
                    },
                );
            }
            Some(before) => {
                let keys: BTreeSet<&String> = before.keys().chain(now.keys()).collect();
                for k in keys {
                    let (o, n) = (before.get(k), now.get(k));
                    // A value that is no longer reported (e.g. a role re-ranked away) is not
                    // news; a new or different value is.
                    if n.is_some() && o != n {
                        line(
                            &mut out,
                            "identity_change",
                            st,
                            Change {
                                ip: &a.ip,
                                field: k,
                                old: o.map(|s| s.as_str()),
                                new: n.map(|s| s.as_str()),
                            },
                        );
                    }
                }
            }
        }
        assets.insert(a.ip.clone(), now);
    }
    // Assets are never forgotten by the engine; keep ones a snapshot did not list anyway.
    for (ip, m) in std::mem::take(&mut prev.assets) {
        assets.entry(ip).or_insert(m);
    }
    prev.assets = assets;
    for c in &r.conduits {
        if prev.conduits.insert(conduit_key(c)) {
            line(
                &mut out,
                "new_conduit",
                st,
                NewConduit {
                    src_zone: &c.src_zone,
                    dst_zone: &c.dst_zone,
                    transport: &c.transport,
                    port: c.port,
                    protocol: &c.protocol,
                    verdict: &c.verdict,
                    rule: &c.rule,
                    initiators: &c.initiators,
                    responders: &c.responders,
                    first_ts: &c.first_ts,
                },
            );
        }
    }
    for f in &r.findings {
        if prev.findings.insert(f.id.clone()) {
            line(&mut out, "new_finding", st, NewFinding { finding: f });
        }
    }
    let now = (st.kernel_drops, st.interface_drops, st.queue_shed_frames);
    let (k, i, s) = (
        now.0.saturating_sub(prev.drops.0),
        now.1.saturating_sub(prev.drops.1),
        now.2.saturating_sub(prev.drops.2),
    );
    if k + i + s > 0 {
        line(
            &mut out,
            "capture_loss",
            st,
            Loss {
                kernel_drops: k,
                interface_drops: i,
                queue_shed_frames: s,
                total_kernel_drops: now.0,
                total_interface_drops: now.1,
                total_queue_shed_frames: now.2,
            },
        );
    }
    prev.drops = now;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn report(rel: &str) -> Report {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
        let a = crate::analysis::analyze(&[p], &crate::config::Limits::default(), 1, None);
        let sigs = crate::inventory::signatures::Signatures::builtin();
        crate::build_report(&a, &sigs, None, false)
    }

    fn kinds(lines: &[String]) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for l in lines {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            *m.entry(v["event"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        m
    }

    #[test]
    fn first_snapshot_is_all_new_then_only_changes() {
        let r = report("captures/public/s7comm/cisagov__s7ident.pcap");
        let st = LiveStatus {
            interface: "veth0".into(),
            ..Default::default()
        };
        let mut s = EventState::default();
        let first = diff(&mut s, &r, &st);
        let k = kinds(&first);
        assert_eq!(k.get("new_asset").copied(), Some(r.assets.len()));
        assert_eq!(k.get("new_conduit").copied().unwrap_or(0), r.conduits.len());
        assert_eq!(k.get("new_finding").copied().unwrap_or(0), r.findings.len());
        assert!(diff(&mut s, &r, &st).is_empty(), "same snapshot twice");
        // A firmware change on the PLC is reported with the old and the new value.
        let mut r2 = r.clone();
        let plc = r2
            .assets
            .iter_mut()
            .find(|a| a.identity.firmware.is_some())
            .expect("the S7 capture identifies a firmware");
        let old = plc.identity.firmware.clone();
        plc.identity.firmware = Some("V9.9.9".into());
        let ip = plc.ip.clone();
        let lossy = LiveStatus {
            kernel_drops: 5,
            ..st.clone()
        };
        let ev = diff(&mut s, &r2, &lossy);
        assert_eq!(ev.len(), 2, "{ev:?}");
        let v: serde_json::Value = serde_json::from_str(&ev[0]).unwrap();
        assert_eq!(v["event"], "identity_change");
        assert_eq!(v["ip"], ip.as_str());
        assert_eq!(v["field"], "firmware");
        assert_eq!(v["old"].as_str(), old.as_deref());
        assert_eq!(v["new"], "V9.9.9");
        let v: serde_json::Value = serde_json::from_str(&ev[1]).unwrap();
        assert_eq!(v["event"], "capture_loss");
        assert_eq!(v["kernel_drops"], 5);
    }
}
