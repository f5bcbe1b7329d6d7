//! `merge`: one report from the reports of several sensors (or sites, or days).
//!
//! * `inputs` are concatenated in the order of the reports; every evidence frame is renumbered
//!   to point at the merged list; `sensors` says which inputs each sensor contributed.
//! * Assets are merged by IP with the inventory's own fusion rules: the union of the identity
//!   claims (one claim per field, value and source, with the frames and sensors of all), then
//!   each field takes the most trusted value ([`crate::inventory::fusion::fuse`]) and
//!   disagreeing sources become conflicts; MACs, VLANs, services, protocols, roles and notes
//!   are unions (a role keeps its highest confidence); counters add up.
//! * Conduits are merged by (initiator zone, responder zone, transport, port): counts add up,
//!   the verdict is the worst (violation > unzoned > unrated > allowed) with its rule.
//! * Findings are merged by id (stable across runs: rule, asset, transport, port): counts add
//!   up, evidence, peers and references are unions, the severity is the highest.
//! * Zones are the union by name; the zone matrix and the summary are recomputed.
//!
//! Every asset, service, identity claim, conduit and finding says which sensors saw it
//! (`sensors`). Packet and byte counters are sums over sensors: traffic two sensors both saw is
//! counted twice.

use super::{CaptureQuality, Report, SensorInputs, Summary, Tool, verdict_rank};
use crate::evidence::Frame;
use crate::findings::{Finding, FindingEvidence};
use crate::inventory::model::{Asset, Provenance, Role, Service};
use crate::zones::{Conduit, MatrixCell, UnusedConduit, ZoneOut};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Frames kept per claim, service and conduit (as the inventory keeps them).
const FRAMES_CAP: usize = 8;
/// Evidence rows kept per finding.
const FINDING_EVIDENCE_CAP: usize = 16;

/// Order of transports as the inventory sorts them.
fn transport_rank(t: &str) -> u8 {
    match t {
        "tcp" => 0,
        "udp" => 1,
        "icmp" => 2,
        "ip" => 3,
        "l2" => 4,
        _ => 5,
    }
}

/// Sort key of an address: IPs in numeric order, anything else after.
fn ip_key(s: &str) -> (Option<IpAddr>, String) {
    (s.parse().ok(), s.to_string())
}

fn union_sorted(into: &mut Vec<String>, from: &[String]) {
    for x in from {
        if !into.contains(x) {
            into.push(x.clone());
        }
    }
    into.sort();
}

fn union_ips(into: &mut Vec<String>, from: &[String]) {
    for x in from {
        if !into.contains(x) {
            into.push(x.clone());
        }
    }
    into.sort_by_key(|a| ip_key(a));
}

fn union_keep_order(into: &mut Vec<String>, from: &[String]) {
    for x in from {
        if !into.contains(x) {
            into.push(x.clone());
        }
    }
}

fn merge_frames(into: &mut Vec<Frame>, from: &[Frame]) {
    into.extend_from_slice(from);
    into.sort();
    into.dedup_by(|a, b| a.input == b.input && a.frame == b.frame);
    into.truncate(FRAMES_CAP);
}

fn min_ts(a: &mut String, b: &str) {
    if a.is_empty() || (!b.is_empty() && b < a.as_str()) {
        *a = b.to_string();
    }
}

fn max_ts(a: &mut String, b: &str) {
    if b > a.as_str() {
        *a = b.to_string();
    }
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_insert(0) += v;
    }
}

/// Shift every evidence frame by `off` inputs and stamp everything with the sensor's name.
fn renumber(r: &mut Report, off: u16, sensor: &str) {
    let shift = |f: &mut Frame| f.input = f.input.saturating_add(off);
    let me = vec![sensor.to_string()];
    for a in &mut r.assets {
        a.sensors = me.clone();
        for p in &mut a.identity.provenance {
            p.frames.iter_mut().for_each(shift);
            p.sensors = me.clone();
        }
        for s in &mut a.services {
            s.evidence.iter_mut().for_each(shift);
            s.sensors = me.clone();
        }
    }
    for c in &mut r.conduits {
        c.evidence.iter_mut().for_each(shift);
        c.sensors = me.clone();
    }
    for f in &mut r.findings {
        for e in &mut f.evidence {
            e.input = e.input.saturating_add(off);
        }
        f.sensors = me.clone();
    }
}

fn merge_quality(into: &mut CaptureQuality, q: &CaptureQuality) {
    into.frames += q.frames;
    into.bytes += q.bytes;
    into.frames_truncated_by_snaplen += q.frames_truncated_by_snaplen;
    into.duplicate_frames += q.duplicate_frames;
    add_counts(&mut into.decode_errors, &q.decode_errors);
    add_counts(&mut into.link_layer, &q.link_layer);
    add_counts(&mut into.network, &q.network);
    add_counts(&mut into.ip_fragments, &q.ip_fragments);
    add_counts(&mut into.tcp, &q.tcp);
    add_counts(&mut into.flows, &q.flows);
    add_counts(&mut into.anomalies, &q.anomalies);
    add_counts(&mut into.bounds_hit, &q.bounds_hit);
    into.inputs_stopped += q.inputs_stopped;
    into.capture_drops += q.capture_drops;
}

fn merge_zone(into: &mut ZoneOut, z: &ZoneOut) {
    if into.level.is_none() {
        into.level = z.level;
    }
    union_keep_order(&mut into.cidrs, &z.cidrs);
    for v in &z.vlans {
        if !into.vlans.contains(v) {
            into.vlans.push(*v);
        }
    }
    into.vlans.sort_unstable();
    union_sorted(&mut into.macs, &z.macs);
    if into.description.is_none() {
        into.description = z.description.clone();
    }
    union_ips(&mut into.assets, &z.assets);
}

fn merge_services(into: &mut Vec<Service>, from: &[Service]) {
    for s in from {
        match into
            .iter_mut()
            .find(|x| x.transport == s.transport && x.port == s.port && x.protocol == s.protocol)
        {
            Some(x) => {
                union_ips(&mut x.clients, &s.clients);
                x.flows += s.flows;
                min_ts(&mut x.first_ts, &s.first_ts);
                max_ts(&mut x.last_ts, &s.last_ts);
                merge_frames(&mut x.evidence, &s.evidence);
                if x.port_guess.is_none() {
                    x.port_guess = s.port_guess.clone();
                }
                union_keep_order(&mut x.sensors, &s.sensors);
            }
            None => into.push(s.clone()),
        }
    }
    into.sort_by(|a, b| {
        (
            transport_rank(&a.transport),
            a.port,
            a.protocol.as_deref().unwrap_or(""),
        )
            .cmp(&(
                transport_rank(&b.transport),
                b.port,
                b.protocol.as_deref().unwrap_or(""),
            ))
    });
}

fn merge_roles(into: &mut Vec<Role>, from: &[Role]) {
    for r in from {
        match into.iter_mut().find(|x| x.role == r.role) {
            Some(x) => {
                if r.confidence > x.confidence {
                    x.confidence = r.confidence;
                }
                union_keep_order(&mut x.evidence, &r.evidence);
                x.evidence.truncate(16);
            }
            None => into.push(r.clone()),
        }
    }
    into.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.role.cmp(&b.role))
    });
}

fn merge_provenance(into: &mut Vec<Provenance>, from: &[Provenance]) {
    for p in from {
        match into
            .iter_mut()
            .find(|x| x.field == p.field && x.value == p.value && x.source == p.source)
        {
            Some(x) => {
                x.confidence = x.confidence.max(p.confidence);
                merge_frames(&mut x.frames, &p.frames);
                union_keep_order(&mut x.sensors, &p.sensors);
            }
            None => into.push(p.clone()),
        }
    }
}

fn merge_asset(into: &mut Asset, a: &Asset, sensor: &str) {
    union_sorted(&mut into.macs, &a.macs);
    if into.mac_vendor.is_none() {
        into.mac_vendor = a.mac_vendor.clone();
    }
    union_sorted(&mut into.gateway_macs, &a.gateway_macs);
    for v in &a.vlans {
        if !into.vlans.contains(v) {
            into.vlans.push(*v);
        }
    }
    into.vlans.sort_unstable();
    match (&into.zone, &a.zone) {
        (None, Some(_)) => {
            into.zone = a.zone.clone();
            into.level = a.level;
        }
        (Some(z1), Some(z2)) if z1 != z2 => {
            let note = format!("sensor {sensor} placed it in zone {z2}, not {z1}");
            if !into.notes.contains(&note) {
                into.notes.push(note);
            }
        }
        _ => {}
    }
    merge_roles(&mut into.roles, &a.roles);
    let mut prov = std::mem::take(&mut into.identity.provenance);
    merge_provenance(&mut prov, &a.identity.provenance);
    let attributes = std::mem::take(&mut into.identity.attributes);
    // Vendor names in a report are already canonical; the built-in table maps any older spelling.
    let sigs = crate::inventory::signatures::Signatures::builtin();
    into.identity = crate::inventory::fusion::fuse(prov, &|v| sigs.canonical_vendor(v));
    // Attributes no claim backs (none today) are kept.
    for (k, v) in attributes.into_iter().chain(a.identity.attributes.clone()) {
        into.identity.attributes.entry(k).or_insert(v);
    }
    merge_services(&mut into.services, &a.services);
    union_sorted(&mut into.protocols, &a.protocols);
    into.packets_sent += a.packets_sent;
    into.packets_received += a.packets_received;
    into.bytes_sent += a.bytes_sent;
    into.bytes_received += a.bytes_received;
    min_ts(&mut into.first_ts, &a.first_ts);
    max_ts(&mut into.last_ts, &a.last_ts);
    union_keep_order(&mut into.notes, &a.notes);
    union_keep_order(&mut into.sensors, &a.sensors);
}

fn merge_conduit(into: &mut Conduit, c: &Conduit) {
    // The protocol of the larger side (content beats a port guess).
    if (c.protocol_from_content, c.flows) > (into.protocol_from_content, into.flows) {
        into.protocol = c.protocol.clone();
        into.protocol_from_content = c.protocol_from_content;
    }
    if verdict_rank(c.verdict) > verdict_rank(into.verdict) {
        into.verdict = c.verdict;
        into.rule = c.rule.clone();
        into.severity = c.severity;
    } else if c.verdict == into.verdict && c.severity > into.severity {
        into.severity = c.severity;
        into.rule = c.rule.clone();
    }
    if into.src_level.is_none() {
        into.src_level = c.src_level;
    }
    if into.dst_level.is_none() {
        into.dst_level = c.dst_level;
    }
    union_sorted(&mut into.protocols, &c.protocols);
    into.flows += c.flows;
    into.completed += c.completed;
    into.refused += c.refused;
    into.unanswered += c.unanswered;
    into.answered += c.answered;
    into.packets += c.packets;
    into.bytes += c.bytes;
    union_ips(&mut into.initiators, &c.initiators);
    union_ips(&mut into.responders, &c.responders);
    min_ts(&mut into.first_ts, &c.first_ts);
    max_ts(&mut into.last_ts, &c.last_ts);
    merge_frames(&mut into.evidence, &c.evidence);
    union_keep_order(&mut into.sensors, &c.sensors);
}

fn merge_finding(into: &mut Finding, f: &Finding) {
    into.count += f.count;
    if f.severity > into.severity {
        into.severity = f.severity;
        into.title = f.title.clone();
        into.description = f.description.clone();
    }
    union_ips(&mut into.peers, &f.peers);
    into.peer = into.peers.first().cloned();
    if into.zone.is_none() {
        into.zone = f.zone.clone();
    }
    for c in &f.credentials {
        if !into.credentials.contains(c) && into.credentials.len() < 16 {
            into.credentials.push(c.clone());
        }
    }
    let mut ev: Vec<FindingEvidence> = std::mem::take(&mut into.evidence);
    for e in &f.evidence {
        if !ev.iter().any(|x| x.input == e.input && x.frame == e.frame) {
            ev.push(e.clone());
        }
    }
    ev.sort_by_key(|e| (e.input, e.frame));
    ev.truncate(FINDING_EVIDENCE_CAP);
    into.evidence = ev;
    union_keep_order(&mut into.tshark_commands, &f.tshark_commands);
    union_keep_order(&mut into.references, &f.references);
    union_keep_order(&mut into.sensors, &f.sensors);
}

/// The zone matrix of a set of conduits, with the diagonal (traffic inside a zone) given.
fn matrix(conduits: &[Conduit], diag: &BTreeMap<String, (u64, u64)>) -> Vec<MatrixCell> {
    let mut cells: BTreeMap<(String, String), MatrixCell> = BTreeMap::new();
    for c in conduits {
        let cell = cells
            .entry((c.src_zone.clone(), c.dst_zone.clone()))
            .or_insert_with(|| MatrixCell {
                src_zone: c.src_zone.clone(),
                dst_zone: c.dst_zone.clone(),
                conduits: 0,
                flows: 0,
                violations: 0,
                verdict: "allowed".into(),
            });
        cell.conduits += 1;
        cell.flows += c.flows;
        if c.verdict == crate::zones::Verdict::Violation {
            cell.violations += 1;
        }
        let cur = match cell.verdict.as_str() {
            "violation" => 3,
            "unzoned" => 2,
            "unrated" => 1,
            _ => 0,
        };
        if verdict_rank(c.verdict) > cur {
            cell.verdict = super::verdict_name(c.verdict).to_string();
        }
    }
    for (z, (n, f)) in diag {
        cells.insert(
            (z.clone(), z.clone()),
            MatrixCell {
                src_zone: z.clone(),
                dst_zone: z.clone(),
                conduits: *n,
                flows: *f,
                violations: 0,
                verdict: "intra_zone".into(),
            },
        );
    }
    cells.into_values().collect()
}

/// Merge the reports of several sensors (name, report) into one.
pub fn merge(reports: &[(String, Report)]) -> Report {
    let mut inputs = Vec::new();
    let mut input_errors = Vec::new();
    let mut sensors = Vec::new();
    let mut quality = CaptureQuality::default();
    let mut zones: Vec<ZoneOut> = Vec::new();
    let mut assets: BTreeMap<(Option<IpAddr>, String), Asset> = BTreeMap::new();
    let mut conduits: BTreeMap<(String, String, u8, u16), Conduit> = BTreeMap::new();
    let mut findings: BTreeMap<String, Finding> = BTreeMap::new();
    let mut diag: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut unused: Option<Vec<UnusedConduit>> = None;
    let mut policy: Option<String> = None;
    let mut inferred = false;
    for (name, report) in reports {
        let off = u16::try_from(inputs.len()).unwrap_or(u16::MAX);
        let mut r = report.clone();
        renumber(&mut r, off, name);
        sensors.push(SensorInputs {
            name: name.clone(),
            inputs: (0..r.inputs.len())
                .map(|i| off.saturating_add(i as u16))
                .collect(),
        });
        inputs.extend(r.inputs);
        input_errors.extend(r.input_errors);
        merge_quality(&mut quality, &r.capture_quality);
        for z in &r.zones {
            match zones.iter_mut().find(|x| x.name == z.name) {
                Some(x) => merge_zone(x, z),
                None => zones.push(z.clone()),
            }
        }
        for a in r.assets {
            match assets.entry(ip_key(&a.ip)) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(a);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    merge_asset(o.get_mut(), &a, name)
                }
            }
        }
        for c in r.conduits {
            let key = (
                c.src_zone.clone(),
                c.dst_zone.clone(),
                transport_rank(&c.transport),
                c.port,
            );
            match conduits.entry(key) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(c);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    merge_conduit(o.get_mut(), &c)
                }
            }
        }
        for c in r.zone_matrix.iter().filter(|c| c.src_zone == c.dst_zone) {
            let e = diag.entry(c.src_zone.clone()).or_default();
            e.0 += c.conduits;
            e.1 += c.flows;
        }
        for f in r.findings {
            match findings.entry(f.id.clone()) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(f);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    merge_finding(o.get_mut(), &f)
                }
            }
        }
        // A declared conduit is unused only if no sensor with a zones file used it.
        if !r.zones_inferred {
            unused = Some(match unused {
                None => r.unused_conduits.clone(),
                Some(u) => u
                    .into_iter()
                    .filter(|x| r.unused_conduits.contains(x))
                    .collect(),
            });
            policy.get_or_insert(r.policy_model.clone());
        }
        inferred |= r.zones_inferred;
    }
    // Pseudo-zones last, as a single report has them.
    zones.sort_by_key(|z| match z.name.as_str() {
        crate::zones::config::INTERNET => 1,
        crate::zones::config::UNZONED => 2,
        _ => 0,
    });
    let conduits: Vec<Conduit> = conduits.into_values().collect();
    let zone_matrix = matrix(&conduits, &diag);
    let assets: Vec<Asset> = assets.into_values().collect();
    let mut findings: Vec<Finding> = findings.into_values().collect();
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then_with(|| {
            (a.asset.parse::<IpAddr>().ok(), a.port, &a.kind, &a.id).cmp(&(
                b.asset.parse::<IpAddr>().ok(),
                b.port,
                &b.kind,
                &b.id,
            ))
        })
    });
    let summary = Summary::of(&inputs, &assets, zones.len(), &conduits);
    let mut out = Report {
        schema_version: super::SCHEMA_VERSION,
        tool: Tool::default(),
        inputs,
        input_errors,
        capture_quality: quality,
        summary,
        policy_model: policy
            .or_else(|| reports.first().map(|r| r.1.policy_model.clone()))
            .unwrap_or_else(|| "purdue".into()),
        zones_inferred: inferred,
        zones,
        assets,
        conduits,
        zone_matrix,
        unused_conduits: unused.unwrap_or_default(),
        findings: Vec::new(),
        sensors,
    };
    out.set_findings(findings);
    out
}
