//! The rules. Each function states what it looks for and why it matters.

use super::{Credential, Ctx, Finding};
use crate::evidence::Evidence;
use crate::flow::conv::{Conv, ConvKey};
use crate::inventory::is_private;
use crate::inventory::model::Asset;
use crate::inventory::observation::{AuthAgg, Op, Transport, sorted, sorted_where};
use crate::zones::{Severity, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Industrial protocols (by recognised name or port guess).
const INDUSTRIAL: [&str; 19] = [
    "modbus",
    "s7comm",
    "s7comm_plus",
    "iso_tsap",
    "enip",
    "cip_io",
    "opcua",
    "mms",
    "dnp3",
    "iec104",
    "bacnet",
    "fox",
    "omron-fins",
    "ge-srtp",
    "melsec",
    "proconos",
    "profinet",
    "ads",
    "ff-hse",
];
/// Management interfaces (CISA BOD 23-02 scope and the like).
const MANAGEMENT: [&str; 18] = [
    "http",
    "https",
    "tls",
    "telnet",
    "ssh",
    "snmp",
    "rdp",
    "vnc",
    "vnc-http",
    "ftp",
    "tftp",
    "smb",
    "x11",
    "ipmi",
    "netbios-ssn",
    "msrpc",
    "ldap",
    "teamviewer",
];
/// Industrial protocols that have no authentication at all.
const NO_AUTH_ICS: [&str; 8] = [
    "modbus", "s7comm", "enip", "cip_io", "dnp3", "iec104", "bacnet", "fox",
];

const REF_BOD: &str =
    "CISA BOD 23-02: Mitigating the Risk from Internet-Exposed Management Interfaces";
const REF_CPG_EXPOSED: &str =
    "CISA Cross-Sector Cybersecurity Performance Goals: no exploitable services on the internet";
const REF_CPG_MFA: &str = "CISA Cross-Sector Cybersecurity Performance Goals: phishing-resistant multifactor authentication";
const REF_SR11: &str = "IEC 62443-3-3 SR 1.1 (human user identification and authentication; RE 2: multifactor authentication for untrusted networks)";
const REF_SR12: &str =
    "IEC 62443-3-3 SR 1.2 (software process and device identification and authentication)";
const REF_SR21: &str = "IEC 62443-3-3 SR 2.1 (authorization enforcement)";
const REF_SR41: &str = "IEC 62443-3-3 SR 4.1 (information confidentiality)";
const REF_SR51: &str = "IEC 62443-3-3 SR 5.1 (network segmentation)";
const REF_SR52: &str = "IEC 62443-3-3 SR 5.2 (zone boundary protection)";
const REF_32: &str = "IEC 62443-3-2 (zones and conduits; ZCR 3)";
const REF_82: &str = "NIST SP 800-82r3, Guide to Operational Technology (OT) Security";

fn service_name(k: &ConvKey) -> Option<String> {
    if !k.proto.is_empty() {
        return Some(k.proto.to_string());
    }
    crate::dissect::ports::guess(k.transport, k.port).map(str::to_string)
}

fn is_public(ip: IpAddr) -> bool {
    !is_private(ip) && !crate::engine::is_group(ip)
}

fn assets_by_ip<'a>(cx: &Ctx<'a>) -> BTreeMap<String, &'a Asset> {
    cx.report.assets.iter().map(|a| (a.ip.clone(), a)).collect()
}

fn label(proto: Option<&str>, transport: Transport, port: u16) -> String {
    match proto {
        Some(p) => format!("{p} ({}/{port})", transport.name()),
        None => format!("{}/{port}", transport.name()),
    }
}

fn tcp_filter(a: IpAddr, peers: &BTreeSet<IpAddr>, transport: Transport, port: u16) -> String {
    let ipf = |ip: IpAddr| {
        if ip.is_ipv4() {
            format!("ip.addr=={ip}")
        } else {
            format!("ipv6.addr=={ip}")
        }
    };
    let peers: Vec<String> = peers.iter().take(8).map(|p| ipf(*p)).collect();
    let peer = if peers.is_empty() {
        String::new()
    } else {
        format!(" && ({})", peers.join(" || "))
    };
    format!("{}{peer} && {}.port=={port}", ipf(a), transport.name())
}

#[allow(clippy::too_many_arguments)]
fn finding(
    kind: &str,
    rule: &str,
    severity: Severity,
    title: String,
    asset: IpAddr,
    transport: Transport,
    port: u16,
    proto: Option<String>,
) -> Finding {
    Finding {
        id: String::new(),
        rule: rule.into(),
        kind: kind.into(),
        severity,
        title,
        asset: asset.to_string(),
        transport: Some(transport.name().into()),
        port: Some(port),
        protocol: proto,
        peer: None,
        peers: Vec::new(),
        zone: None,
        count: 1,
        description: String::new(),
        credentials: Vec::new(),
        evidence: Vec::new(),
        tshark_filter: String::new(),
        tshark_commands: Vec::new(),
        remediation: String::new(),
        references: Vec::new(),
        sensors: Vec::new(),
    }
}

/// (server, transport, port) of a service.
type Svc = (IpAddr, Transport, u16);
/// (server, transport, port, protocol).
type SvcProto = (IpAddr, Transport, u16, &'static str);
/// Conversations grouped by service.
type Groups<'a> = BTreeMap<Svc, Vec<(&'a ConvKey, &'a Conv)>>;
/// Facts of a service by key, with their evidence.
type FactsBySvc = BTreeMap<Svc, (BTreeMap<&'static str, BTreeSet<String>>, Evidence)>;
/// Control operations on a service: clients and their operations, evidence, count, engineering.
type CtlOps = BTreeMap<SvcProto, (BTreeMap<IpAddr, OpFunctions>, Evidence, u64, bool)>;
/// Control operations from outside: clients, operations, evidence, count.
type OutsideOps = BTreeMap<SvcProto, (BTreeSet<IpAddr>, OpFunctions, Evidence, u64)>;
/// Operations and the protocol functions seen for each (`fc16 write_multiple_registers`).
type OpFunctions = BTreeMap<Op, BTreeSet<&'static str>>;

/// Functions listed per operation in a finding's description.
const FUNCTIONS_LISTED: usize = 8;

/// A name's sort key with its first number compared as a number.
fn natural_key(s: &str) -> (&str, u64, &str) {
    let start = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    let digits = s[start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(s.len(), |i| start + i);
    let n = s[start..digits].parse().unwrap_or(0);
    (&s[..start], n, &s[digits..])
}

/// `write (fc6 write_single_register, fc16 write_multiple_registers), cpu_stop (plc_stop)`.
fn ops_text(ops: &OpFunctions) -> String {
    ops.iter()
        .map(|(op, fns)| {
            if fns.is_empty() {
                return op.name().to_string();
            }
            let mut list: Vec<&str> = fns.iter().copied().collect();
            // Numbers in numeric order: fc5, fc6, fc15, fc16.
            list.sort_by_key(|f| natural_key(f));
            list.truncate(FUNCTIONS_LISTED);
            if fns.len() > FUNCTIONS_LISTED {
                list.push("…");
            }
            format!("{} ({})", op.name(), list.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
/// Violating conversations by (server, transport, port, source zone, destination zone).
type ZoneGroups<'a> =
    BTreeMap<(IpAddr, Transport, u16, String, String), Vec<(&'a ConvKey, &'a Conv)>>;

/// `internet_exposure`: a public address completed a TCP handshake (or got a UDP answer) with
/// an internal asset. A SYN answered by RST, or unanswered, proves only that the firewall let
/// the attempt through: that is `internet_reachability`, never an exposure.
pub fn internet_exposure(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    let mut exposed: Groups = BTreeMap::new();
    let mut reached: Groups = BTreeMap::new();
    for (k, c) in &cx.analysis.convs.map {
        if !is_public(k.client) || !matches!(k.transport, Transport::Tcp | Transport::Udp) {
            continue;
        }
        let Some(a) = assets.get(&k.server.to_string()) else {
            continue;
        };
        if a.zone.as_deref() == Some("internet") {
            continue;
        }
        if c.answered > 0 {
            exposed
                .entry((k.server, k.transport, k.port))
                .or_default()
                .push((k, c));
        } else if c.refused > 0 || c.unanswered > 0 {
            reached
                .entry((k.server, k.transport, k.port))
                .or_default()
                .push((k, c));
        }
    }
    for ((server, transport, port), convs) in exposed {
        let a = assets[&server.to_string()];
        let proto = convs
            .iter()
            .find_map(|(k, _)| (!k.proto.is_empty()).then(|| k.proto.to_string()))
            .or_else(|| service_name(convs[0].0));
        let p = proto.as_deref().unwrap_or("");
        let industrial = INDUSTRIAL.contains(&p);
        let management = MANAGEMENT.contains(&p);
        let deep = a.level.is_some_and(|l| l <= 2.0);
        let severity = if industrial || (management && deep) {
            Severity::Critical
        } else if management || deep {
            Severity::High
        } else {
            Severity::Medium
        };
        let peers: BTreeSet<IpAddr> = convs.iter().map(|(k, _)| k.client).collect();
        let mut ev = Evidence::default();
        let (mut flows, mut completed, mut payload) = (0, 0, 0);
        for (_, c) in &convs {
            ev.merge(&c.answered_evidence, 8);
            flows += c.answered;
            completed += c.completed;
            payload += c.with_payload;
        }
        let what = if industrial {
            "industrial protocol"
        } else if management {
            "management interface"
        } else {
            "service"
        };
        let mut f = finding(
            "internet_exposure",
            if industrial {
                "internet_exposure.industrial"
            } else if management {
                "internet_exposure.management"
            } else {
                "internet_exposure.service"
            },
            severity,
            format!(
                "{} on {} reachable from the internet",
                label(proto.as_deref(), transport, port),
                server
            ),
            server,
            transport,
            port,
            proto.clone(),
        );
        f.zone = a.zone.clone();
        f.peers = peers.iter().map(|p| p.to_string()).collect();
        f.count = flows;
        f.description = format!(
            "{} public address(es) ({}) reached this {what} of {} (zone {}, level {}): {} answered flow(s){}{}.",
            peers.len(),
            f.peers
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            server,
            a.zone.as_deref().unwrap_or("?"),
            a.level.map_or("?".into(), |l| l.to_string()),
            flows,
            if transport == Transport::Tcp {
                format!(", {completed} with a completed handshake")
            } else {
                String::new()
            },
            if payload > 0 {
                format!(", {payload} exchanging application data")
            } else {
                String::new()
            },
        );
        f.evidence = Ctx::rows(
            &ev,
            if transport == Transport::Tcp {
                "handshake with the internet host"
            } else {
                "request and answer"
            },
        );
        f.tshark_filter = tcp_filter(server, &peers, transport, port);
        f.remediation = if industrial {
            "Remove the path from the internet to this industrial service: block it at the site firewall, and reach it only from inside the plant through the DMZ (jump host, data diode or broker). Industrial protocols have no authentication: anyone who reaches the port controls the process.".into()
        } else {
            "Take the interface off the internet: block it at the firewall, or put it behind a VPN with multifactor authentication reachable only from an authorised management network (BOD 23-02).".into()
        };
        f.references = if management {
            vec![
                REF_BOD.into(),
                REF_CPG_EXPOSED.into(),
                REF_SR52.into(),
                REF_82.into(),
            ]
        } else {
            vec![
                REF_CPG_EXPOSED.into(),
                REF_SR52.into(),
                REF_SR51.into(),
                REF_82.into(),
            ]
        };
        cx.add(f);
    }
    for ((server, transport, port), convs) in reached {
        let a = assets[&server.to_string()];
        let proto = service_name(convs[0].0);
        let peers: BTreeSet<IpAddr> = convs.iter().map(|(k, _)| k.client).collect();
        let mut ev = Evidence::default();
        let (mut refused, mut unanswered) = (0, 0);
        for (_, c) in &convs {
            ev.merge(&c.evidence, 8);
            refused += c.refused;
            unanswered += c.unanswered;
        }
        let mut f = finding(
            "internet_reachability",
            "internet_reachability.attempt",
            Severity::Medium,
            format!(
                "Connection attempts from the internet reach {} on {}",
                server,
                label(proto.as_deref(), transport, port)
            ),
            server,
            transport,
            port,
            proto,
        );
        f.zone = a.zone.clone();
        f.peers = peers.iter().map(|p| p.to_string()).collect();
        f.count = refused + unanswered;
        f.description = format!(
            "Attempts from {} public address(es) reached the asset's segment ({refused} refused with a reset, {unanswered} unanswered). Not an exposure: no connection was established. It shows the firewall forwards this traffic from the internet.",
            peers.len()
        );
        f.evidence = Ctx::rows(&ev, "connection attempt");
        f.tshark_filter = tcp_filter(server, &peers, transport, port);
        f.remediation = "Drop traffic from the internet to this segment at the site firewall (default deny), so that the service is not one misconfiguration away from exposure.".into();
        f.references = vec![REF_SR52.into(), REF_82.into()];
        cx.add(f);
    }
}

/// `outbound_internet`: an OT asset (level 3 or below) opened a connection to the internet that
/// was answered. OT assets should not talk to the internet directly.
pub fn outbound_internet(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    let mut groups: Groups = BTreeMap::new();
    for (k, c) in &cx.analysis.convs.map {
        if c.answered == 0 || !is_public(k.server) || is_public(k.client) {
            continue;
        }
        let Some(a) = assets.get(&k.client.to_string()) else {
            continue;
        };
        if a.level.is_none_or(|l| l > 3.0) {
            continue;
        }
        groups
            .entry((k.client, k.transport, k.port))
            .or_default()
            .push((k, c));
    }
    for ((client, transport, port), convs) in groups {
        let a = assets[&client.to_string()];
        let peers: BTreeSet<IpAddr> = convs.iter().map(|(k, _)| k.server).collect();
        let proto = service_name(convs[0].0);
        let mut ev = Evidence::default();
        for (_, c) in &convs {
            ev.merge(&c.answered_evidence, 8);
        }
        let sev = if a.level.is_some_and(|l| l <= 2.0) {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut f = finding(
            "outbound_internet",
            "outbound_internet.ot_asset",
            sev,
            format!(
                "OT asset {client} (level {}) talks to the internet on {}",
                a.level.unwrap_or(0.0),
                label(proto.as_deref(), transport, port)
            ),
            client,
            transport,
            port,
            proto,
        );
        f.zone = a.zone.clone();
        f.peers = peers.iter().map(|p| p.to_string()).collect();
        f.count = convs.iter().map(|(_, c)| c.answered).sum();
        f.description = format!(
            "The asset opened answered connections to {} public address(es).",
            peers.len()
        );
        f.evidence = Ctx::rows(&ev, "connection to the internet");
        f.tshark_filter = tcp_filter(client, &peers, transport, port);
        f.remediation = "Block direct internet access from OT levels; route updates and telemetry through the DMZ (proxy, update server, broker).".into();
        f.references = vec![REF_SR52.into(), REF_32.into(), REF_82.into()];
        cx.add(f);
    }
}

/// `zone_violation`: every conversation on a conduit the policy does not allow, one finding per
/// responder and port, with the rule that decided.
pub fn zone_violations(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    let zone_of = |ip: IpAddr| assets.get(&ip.to_string()).and_then(|a| a.zone.clone());
    let conduits: BTreeMap<(String, String, String, u16), &crate::zones::Conduit> = cx
        .report
        .conduits
        .iter()
        .map(|c| {
            (
                (
                    c.src_zone.clone(),
                    c.dst_zone.clone(),
                    c.transport.clone(),
                    c.port,
                ),
                c,
            )
        })
        .collect();
    let mut groups: ZoneGroups = BTreeMap::new();
    for (k, c) in &cx.analysis.convs.map {
        let (Some(sz), Some(dz)) = (zone_of(k.client), zone_of(k.server)) else {
            continue;
        };
        if sz == dz {
            continue;
        }
        let Some(cd) = conduits.get(&(
            sz.clone(),
            dz.clone(),
            k.transport.name().to_string(),
            k.port,
        )) else {
            continue;
        };
        if cd.verdict != Verdict::Violation {
            continue;
        }
        groups
            .entry((k.server, k.transport, k.port, sz, dz))
            .or_default()
            .push((k, c));
    }
    for ((server, transport, port, sz, dz), convs) in groups {
        let cd = conduits[&(sz.clone(), dz.clone(), transport.name().to_string(), port)];
        let peers: BTreeSet<IpAddr> = convs.iter().map(|(k, _)| k.client).collect();
        let mut ev = Evidence::default();
        let (mut flows, mut completed, mut refused, mut unanswered) = (0, 0, 0, 0);
        for (_, c) in &convs {
            ev.merge(&c.evidence, 8);
            flows += c.flows;
            completed += c.completed;
            refused += c.refused;
            unanswered += c.unanswered;
        }
        let lvl = |l: Option<f64>| {
            l.map_or("?".to_string(), |l| {
                if l == 5.0 {
                    "internet".into()
                } else {
                    format!("L{l}")
                }
            })
        };
        let mut f = finding(
            "zone_violation",
            if cd.rule.starts_with("no declared conduit") || cd.rule.starts_with("conduit ") {
                "zone_violation.conduit"
            } else {
                "zone_violation.purdue"
            },
            cd.severity.unwrap_or(Severity::Medium),
            format!(
                "{sz} ({}) -> {dz} ({}) on {} to {server}",
                lvl(cd.src_level),
                lvl(cd.dst_level),
                label(cd.protocol.as_deref(), transport, port)
            ),
            server,
            transport,
            port,
            cd.protocol.clone(),
        );
        f.zone = Some(dz.clone());
        f.peers = peers.iter().map(|p| p.to_string()).collect();
        f.count = flows;
        let outcome = if transport == Transport::Tcp {
            format!(
                "{flows} flow(s): {completed} completed, {refused} refused, {unanswered} unanswered"
            )
        } else {
            format!("{flows} flow(s)")
        };
        f.description = format!(
            "Rule: {}. {} from {}. A refused or unanswered attempt still crossed the zone boundary.",
            cd.rule,
            outcome,
            f.peers.join(", ")
        );
        f.evidence = Ctx::rows(&ev, "crossing");
        f.tshark_filter = tcp_filter(server, &peers, transport, port);
        f.remediation = format!(
            "Block {} from {sz} to {dz} at the zone boundary, or route it through the intended conduit (e.g. via the DMZ); if the flow is required, declare it as a conduit with its services.",
            label(cd.protocol.as_deref(), transport, port)
        );
        f.references = vec![
            REF_32.into(),
            REF_SR51.into(),
            REF_SR52.into(),
            REF_82.into(),
        ];
        cx.add(f);
    }
}

/// Control operations (writes, program changes, CPU stop/start) on industrial protocols that
/// originate outside levels 1-3 (DMZ, enterprise, internet or unzoned): called out on their own.
pub fn control_from_outside(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    let mut groups: OutsideOps = BTreeMap::new();
    let ops = sorted_where(&cx.analysis.store.ops, |k| {
        k.op.is_control() && INDUSTRIAL.contains(&k.svc.proto)
    });
    for (k, v) in ops {
        let client = assets.get(&k.client.to_string());
        let level = client.and_then(|a| a.level);
        let outside = match client.and_then(|a| a.zone.as_deref()) {
            Some("internet") | Some("unzoned") | None => true,
            _ => level.is_none_or(|l| !(1.0..=3.0).contains(&l)),
        };
        if !outside || cx.report.zones_inferred {
            continue;
        }
        let g = groups
            .entry((k.svc.server, k.svc.transport, k.svc.port, k.svc.proto))
            .or_default();
        g.0.insert(k.client);
        g.1.entry(k.op)
            .or_default()
            .extend(v.details.iter().copied());
        g.2.merge(&v.evidence, 8);
        g.3 += v.evidence.count;
    }
    for ((server, transport, port, proto), (peers, ops, ev, n)) in groups {
        let opsn: Vec<&str> = ops.keys().map(|o| o.name()).collect();
        let mut f = finding(
            "zone_violation",
            "zone_violation.control_outside_l1_l3",
            Severity::Critical,
            format!(
                "Control operations ({}) on {server} over {proto} from outside levels 1-3",
                opsn.join(", ")
            ),
            server,
            transport,
            port,
            Some(proto.to_string()),
        );
        f.zone = assets.get(&server.to_string()).and_then(|a| a.zone.clone());
        f.peers = peers.iter().map(|p| p.to_string()).collect();
        f.count = n;
        f.description = format!(
            "{n} control operation(s) came from {} (not in a level 1-3 zone): {}.",
            f.peers.join(", "),
            ops_text(&ops)
        );
        f.evidence = Ctx::rows(&ev, "control operation");
        f.tshark_filter = tcp_filter(server, &peers, transport, port);
        f.remediation = "Only engineering and supervisory zones (levels 1-3) may send control commands; block control protocols from the DMZ, enterprise and internet, and make engineers work from the engineering workstation zone.".into();
        f.references = vec![
            REF_32.into(),
            REF_SR21.into(),
            REF_SR51.into(),
            REF_82.into(),
        ];
        cx.add(f);
    }
}

/// Mechanisms that log people in with one factor (or none), and how to name them.
fn mechanism_text(m: &str) -> Option<(&'static str, bool)> {
    // (description, no authentication at all)
    Some(match m {
        "telnet-login" => ("telnet login (user name and password in clear text)", false),
        "ftp-user-pass" => ("FTP USER/PASS (clear text)", false),
        "ftp-anonymous" => ("anonymous FTP", true),
        "http-basic" => ("HTTP Basic authentication", false),
        "http-digest" => ("HTTP Digest authentication", false),
        "http-form" => ("HTML login form over plain HTTP", false),
        "snmp-community" => ("SNMP v1/v2c community string", false),
        "snmpv3-noauth" => ("SNMPv3 noAuthNoPriv (no authentication)", true),
        "vnc-password" => ("VNC password (challenge/response)", false),
        "vnc-none" => ("VNC without authentication", true),
        "vnc-other" => ("VNC vendor authentication", false),
        "rdp-standard" => ("RDP with Standard RDP Security (no NLA)", false),
        "rdp-tls" => ("RDP over TLS without NLA", false),
        "opcua-anonymous" => ("OPC UA Anonymous token", true),
        "opcua-username" => ("OPC UA user name and password token", false),
        "opcua-x509" => ("OPC UA X.509 user certificate", false),
        "opcua-issued" => ("OPC UA issued token", false),
        "s7-password" => ("S7 PLC password (legacy, replayable)", false),
        "none" => ("no authentication", true),
        _ => return None,
    })
}

fn auth_summary(m: &str, a: &AuthAgg) -> String {
    let mut parts = Vec::new();
    if a.attempts + a.successes + a.failures > 0 {
        parts.push(format!(
            "{} login(s): {} succeeded, {} failed, {} without a seen result",
            a.attempts + a.successes + a.failures,
            a.successes,
            a.failures,
            a.attempts
        ));
    }
    if a.offered > 0 && parts.is_empty() {
        parts.push("offered (no login seen)".to_string());
    }
    format!(
        "{} — {}",
        mechanism_text(m).map_or(m, |t| t.0),
        parts.join(", ")
    )
}

/// `no_mfa` and `cleartext_credentials`: endpoints where people or programs log in with one
/// factor or none, from the authentication exchanges the dissectors saw.
pub fn authentication(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    type Key = SvcProto;
    let mut groups: BTreeMap<Key, Vec<(&'static str, IpAddr, &AuthAgg)>> = BTreeMap::new();
    for (k, v) in sorted(&cx.analysis.store.auths) {
        if mechanism_text(k.mechanism).is_none() {
            continue;
        }
        groups
            .entry((k.svc.server, k.svc.transport, k.svc.port, k.svc.proto))
            .or_default()
            .push((k.mechanism, k.client, v));
    }
    for ((server, transport, port, proto), rows) in groups {
        let zone = assets.get(&server.to_string()).and_then(|a| a.zone.clone());
        let mut mechs: BTreeMap<&str, AuthAgg> = BTreeMap::new();
        let mut clients: BTreeSet<IpAddr> = BTreeSet::new();
        let mut login_clients: BTreeSet<IpAddr> = BTreeSet::new();
        let mut ev = Evidence::default();
        for (m, c, a) in &rows {
            let e = mechs.entry(m).or_default();
            e.attempts += a.attempts;
            e.successes += a.successes;
            e.failures += a.failures;
            e.offered += a.offered;
            e.cleartext |= a.cleartext;
            e.users.extend(a.users.iter().cloned());
            e.secrets.extend(a.secrets.iter().cloned());
            ev.merge(&a.evidence, 8);
            clients.insert(*c);
            if a.attempts + a.successes + a.failures > 0 {
                login_clients.insert(*c);
            }
        }
        let from_internet = login_clients.iter().any(|c| is_public(*c));
        let no_auth = mechs.keys().any(|m| mechanism_text(m).is_some_and(|t| t.1));
        let cleartext = mechs
            .values()
            .any(|a| a.cleartext && (!a.users.is_empty() || !a.secrets.is_empty()));
        let logins: u64 = mechs
            .values()
            .map(|a| a.attempts + a.successes + a.failures)
            .sum();
        let severity = match (from_internet, no_auth || cleartext) {
            (true, true) => Severity::Critical,
            (true, false) | (false, true) => Severity::High,
            _ => Severity::Medium,
        };
        let names: Vec<String> = mechs.iter().map(|(m, a)| auth_summary(m, a)).collect();
        let peers: Vec<String> = if login_clients.is_empty() {
            clients.iter().map(|c| c.to_string()).collect()
        } else {
            login_clients.iter().map(|c| c.to_string()).collect()
        };
        let p = Some(proto.to_string());
        let mut f = finding(
            "no_mfa",
            "no_mfa.single_factor_login",
            severity,
            format!(
                "Single-factor {} on {server} ({})",
                if no_auth {
                    "or no authentication"
                } else {
                    "authentication"
                },
                label(Some(proto), transport, port)
            ),
            server,
            transport,
            port,
            p.clone(),
        );
        f.zone = zone.clone();
        f.peers = peers.clone();
        f.count = logins.max(1);
        f.description = format!(
            "{}. {} The traffic shows single-factor (or no) authentication; an out-of-band second factor cannot be seen on the wire and is not assumed.",
            names.join("; "),
            if logins > 0 {
                format!("Logins were observed from {}.", peers.join(", "))
            } else {
                "No login was observed; the server offers it.".to_string()
            }
        );
        f.evidence = Ctx::rows(&ev, "authentication exchange");
        f.tshark_filter = tcp_filter(server, &login_clients, transport, port);
        let (f_evidence, f_filter) = (f.evidence.clone(), f.tshark_filter.clone());
        f.remediation = "Require multifactor authentication for interactive access (e.g. through a jump host with MFA), disable clear-text and anonymous logins, and prefer protocols that protect credentials (SSH, TLS, SNMPv3 authPriv, OPC UA SignAndEncrypt with user certificates).".into();
        f.references = vec![
            REF_SR11.into(),
            REF_SR12.into(),
            REF_CPG_MFA.into(),
            REF_82.into(),
        ];
        cx.add(f);
        if cleartext {
            let mut creds = Vec::new();
            for a in mechs.values() {
                if !a.cleartext {
                    continue;
                }
                let users: Vec<Option<String>> = if a.users.is_empty() {
                    vec![None]
                } else {
                    a.users.iter().cloned().map(Some).collect()
                };
                for u in users.into_iter().take(8) {
                    let secret = (!a.secrets.is_empty()).then(|| {
                        if cx.show_secrets {
                            a.secrets.iter().cloned().collect::<Vec<_>>().join(" | ")
                        } else {
                            cx.redact("")
                        }
                    });
                    creds.push(Credential { user: u, secret });
                }
            }
            let mut g = finding(
                "cleartext_credentials",
                "cleartext_credentials.on_the_wire",
                if from_internet {
                    Severity::Critical
                } else {
                    Severity::High
                },
                format!(
                    "Credentials in clear text to {server} ({})",
                    label(Some(proto), transport, port)
                ),
                server,
                transport,
                port,
                p,
            );
            g.zone = zone;
            g.peers = peers;
            g.count = logins.max(1);
            g.credentials = creds;
            g.description = format!(
                "User names and passwords (or community strings) crossed the network readable by anyone on the path ({}). Secrets are redacted in this report unless it was made with --show-secrets.",
                mechs
                    .iter()
                    .filter(|(_, a)| a.cleartext)
                    .map(|(m, _)| mechanism_text(m).map_or(*m, |t| t.0))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            g.evidence = f_evidence;
            g.tshark_filter = f_filter;
            g.remediation = "Replace the clear-text protocol (telnet -> SSH, FTP -> SFTP, HTTP -> HTTPS, SNMPv1/v2c -> SNMPv3 authPriv, OPC UA SecurityMode None -> SignAndEncrypt) and change the exposed credentials.".into();
            g.references = vec![REF_SR41.into(), REF_SR11.into(), REF_82.into()];
            cx.add(g);
        }
    }
}

/// `no_mfa` (mechanism none): industrial protocols without any authentication that carried a
/// session: whoever reaches the port can read and write.
pub fn unauthenticated_ics(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    let mut groups: Groups = BTreeMap::new();
    for (k, c) in &cx.analysis.convs.map {
        if NO_AUTH_ICS.contains(&k.proto) && c.answered > 0 && !crate::engine::is_group(k.server) {
            groups
                .entry((k.server, k.transport, k.port))
                .or_default()
                .push((k, c));
        }
    }
    for ((server, transport, port), convs) in groups {
        let proto = convs[0].0.proto;
        let peers: BTreeSet<IpAddr> = convs.iter().map(|(k, _)| k.client).collect();
        let from_internet = peers.iter().any(|p| is_public(*p));
        let outside = peers.iter().any(|p| {
            assets
                .get(&p.to_string())
                .and_then(|a| a.level)
                .is_some_and(|l| l >= 3.5)
        });
        let mut ev = Evidence::default();
        for (_, c) in &convs {
            ev.merge(&c.answered_evidence, 8);
        }
        let severity = if from_internet {
            Severity::Critical
        } else if outside {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut f = finding(
            "no_mfa",
            "no_mfa.protocol_without_authentication",
            severity,
            format!(
                "{} on {server} has no authentication",
                label(Some(proto), transport, port)
            ),
            server,
            transport,
            port,
            Some(proto.to_string()),
        );
        f.zone = assets.get(&server.to_string()).and_then(|a| a.zone.clone());
        f.peers = peers.iter().map(|p| p.to_string()).collect();
        f.count = convs.iter().map(|(_, c)| c.answered).sum();
        f.description = format!(
            "{proto} carries no authentication: any client that reaches the port can read and write. Sessions were observed from {}.",
            f.peers.join(", ")
        );
        f.evidence = Ctx::rows(&ev, "session");
        f.tshark_filter = tcp_filter(server, &peers, transport, port);
        f.remediation = "Restrict who can reach the port (zone boundary allow-list to named HMI/SCADA/engineering hosts), enable the controller's access protection where it exists (e.g. CPU protection level, CIP Security), and monitor writes.".into();
        f.references = vec![
            REF_SR12.into(),
            REF_SR21.into(),
            REF_SR52.into(),
            REF_82.into(),
        ];
        cx.add(f);
    }
}

/// `unauthenticated_control`: writes, program download/upload, CPU stop/start and firmware
/// updates over a protocol without authentication, with who did it and from which zone.
pub fn unauthenticated_control(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    let mut groups: CtlOps = BTreeMap::new();
    let ops = sorted_where(&cx.analysis.store.ops, |k| {
        (k.op.is_control() || k.op == Op::ProgramUpload) && NO_AUTH_ICS.contains(&k.svc.proto)
    });
    for (k, v) in ops {
        let g = groups
            .entry((k.svc.server, k.svc.transport, k.svc.port, k.svc.proto))
            .or_default();
        g.0.entry(k.client)
            .or_default()
            .entry(k.op)
            .or_default()
            .extend(v.details.iter().copied());
        g.1.merge(&v.evidence, 8);
        g.2 += v.evidence.count;
        g.3 |= k.op.is_engineering();
    }
    for ((server, transport, port, proto), (by_client, ev, n, engineering)) in groups {
        let who: Vec<String> = by_client
            .iter()
            .map(|(c, ops)| {
                let z = assets
                    .get(&c.to_string())
                    .and_then(|a| a.zone.clone())
                    .unwrap_or_else(|| "?".into());
                format!("{c} (zone {z}): {}", ops_text(ops))
            })
            .collect();
        let mut f = finding(
            "unauthenticated_control",
            if engineering {
                "unauthenticated_control.engineering"
            } else {
                "unauthenticated_control.write"
            },
            if engineering {
                Severity::Critical
            } else {
                Severity::High
            },
            format!(
                "{} on {server} accepted unauthenticated {}",
                label(Some(proto), transport, port),
                if engineering {
                    "program/mode changes"
                } else {
                    "writes"
                }
            ),
            server,
            transport,
            port,
            Some(proto.to_string()),
        );
        f.zone = assets.get(&server.to_string()).and_then(|a| a.zone.clone());
        f.peers = by_client.keys().map(|p| p.to_string()).collect();
        f.count = n;
        f.description = format!(
            "{n} control operation(s) without authentication: {}.",
            who.join("; ")
        );
        f.evidence = Ctx::rows(&ev, "control operation");
        let peers: BTreeSet<IpAddr> = by_client.keys().copied().collect();
        f.tshark_filter = tcp_filter(server, &peers, transport, port);
        f.remediation = "Limit control access to named engineering/HMI hosts at the zone boundary, enable controller write/program protection (key switch, protection level, CIP Security, Modbus write filtering on a gateway), and alert on program changes.".into();
        f.references = vec![REF_SR21.into(), REF_SR12.into(), REF_82.into()];
        cx.add(f);
    }
}

fn facts_of<'a>(cx: &Ctx<'a>, prefix: &str) -> FactsBySvc {
    let mut m: FactsBySvc = BTreeMap::new();
    let facts = sorted_where(&cx.analysis.store.facts, |k| k.key.starts_with(prefix));
    for (k, e) in facts {
        let crate::inventory::observation::Subject::Ip(ip) = k.subject else {
            continue;
        };
        let g = m.entry((ip, k.transport, k.port)).or_default();
        g.0.entry(k.key).or_default().insert(k.value.clone());
        g.1.merge(e, 8);
    }
    m
}

/// `weak_opcua_security`: endpoints offering SecurityMode None, deprecated security policies,
/// self-signed or expired server certificates.
pub fn opcua_security(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    for ((server, transport, port), (facts, ev)) in facts_of(cx, "opcua.") {
        // Facts about the server side only (client certificates are not the endpoint's).
        let Some(a) = assets.get(&server.to_string()) else {
            continue;
        };
        if !a
            .services
            .iter()
            .any(|s| s.port == port && s.transport == transport.name())
        {
            continue;
        }
        let zone = a.zone.clone();
        let get = |k: &str| facts.get(k).cloned().unwrap_or_default();
        let modes = get("opcua.security_mode_offered");
        let mut issues = Vec::new();
        let mut sev = Severity::Low;
        if modes.contains("None") {
            if modes.len() == 1 {
                issues.push(
                    "only SecurityMode None is offered: no signing, no encryption".to_string(),
                );
                sev = sev.max(Severity::High);
            } else {
                issues.push(format!(
                    "SecurityMode None is offered alongside {}",
                    modes
                        .iter()
                        .filter(|m| *m != "None")
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                sev = sev.max(Severity::Medium);
            }
        }
        for p in get("opcua.deprecated_policy") {
            issues.push(format!("deprecated security policy {p}"));
            sev = sev.max(Severity::Medium);
        }
        if get("opcua.cert_expired").contains("true") {
            issues.push("the server certificate has expired".into());
            sev = sev.max(Severity::Medium);
        }
        if get("opcua.cert_self_signed").contains("true") {
            issues.push("the server certificate is self-signed".into());
            sev = sev.max(Severity::Low);
        }
        if issues.is_empty() || transport != Transport::Tcp {
            continue;
        }
        let mut f = finding(
            "weak_opcua_security",
            "weak_opcua_security.endpoints",
            sev,
            format!("Weak OPC UA security on {server} (tcp/{port})"),
            server,
            transport,
            port,
            Some("opcua".into()),
        );
        f.description = format!("{}.", issues.join("; "));
        f.zone = zone;
        f.evidence = Ctx::rows(&ev, "endpoint description or secure channel");
        f.tshark_filter = format!(
            "{} && tcp.port=={port} && opcua",
            if server.is_ipv4() {
                format!("ip.addr=={server}")
            } else {
                format!("ipv6.addr=={server}")
            }
        );
        f.remediation = "Offer only SignAndEncrypt endpoints with current policies (Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss), remove None and deprecated policies, and use CA-signed application certificates with a renewal process.".into();
        f.references = vec![
            "OPC UA Part 2 (Security Model) and Part 7 (security policy profiles)".into(),
            REF_SR41.into(),
            REF_SR12.into(),
            REF_82.into(),
        ];
        cx.add(f);
    }
}

/// `plc_no_password`: an S7 CPU reporting protection level without a password.
pub fn plc_no_password(cx: &mut Ctx<'_>) {
    let assets = assets_by_ip(cx);
    for ((server, transport, port), (facts, ev)) in facts_of(cx, "s7comm.") {
        let zone = assets.get(&server.to_string()).and_then(|a| a.zone.clone());
        let nopw = facts
            .get("s7comm.password_set")
            .is_some_and(|v| v.contains("false"))
            || facts
                .get("s7comm.protection_level")
                .is_some_and(|v| v.iter().any(|x| x == "0" || x == "1"));
        if !nopw {
            continue;
        }
        let mut f = finding(
            "plc_no_password",
            "plc_no_password.s7_protection",
            Severity::High,
            format!("S7 CPU {server} has no password protection"),
            server,
            transport,
            port,
            Some("s7comm".into()),
        );
        f.description = format!(
            "The CPU's protection (SZL 0x0132) reports {}: any client can read, write, download programs and stop the CPU.",
            facts
                .iter()
                .map(|(k, v)| format!("{k}={}", v.iter().cloned().collect::<Vec<_>>().join("/")))
                .collect::<Vec<_>>()
                .join(", ")
        );
        f.zone = zone;
        f.evidence = Ctx::rows(&ev, "SZL protection record");
        f.tshark_filter = format!("ip.addr=={server} && s7comm.szl.id == 0x0132");
        f.remediation = "Set a protection level with a password in the CPU properties (write or read/write protection) and restrict who can reach port 102.".into();
        f.references = vec![REF_SR11.into(), REF_SR21.into(), REF_82.into()];
        cx.add(f);
    }
}

/// `unzoned_asset`: a private address the zones file does not cover.
pub fn unzoned_assets(cx: &mut Ctx<'_>) {
    if cx.report.zones_inferred {
        return;
    }
    let rows: Vec<(String, String)> = cx
        .report
        .assets
        .iter()
        .filter(|a| a.zone.as_deref() == Some("unzoned"))
        .map(|a| (a.ip.clone(), a.first_ts.clone()))
        .collect();
    for (ip, first) in rows {
        let Ok(addr) = ip.parse::<IpAddr>() else {
            continue;
        };
        let mut f = finding(
            "unzoned_asset",
            "unzoned_asset.private_address",
            Severity::Low,
            format!("{ip} is in no declared zone"),
            addr,
            Transport::Tcp,
            0,
            None,
        );
        f.transport = None;
        f.port = None;
        f.zone = Some("unzoned".into());
        f.description = format!(
            "A private address first seen at {first} is not covered by any zone of the zones file: add it to a zone (or find out what it is)."
        );
        f.tshark_filter = if addr.is_ipv4() {
            format!("ip.addr=={ip}")
        } else {
            format!("ipv6.addr=={ip}")
        };
        f.remediation = "Add the address range to the right zone in zones.toml.".into();
        f.references = vec![REF_32.into()];
        if let Some(ev) = cx.analysis.hosts.ips.get(&addr).and_then(|h| h.first) {
            f.evidence = vec![Ctx::row(ev, "first frame of the address")];
        }
        cx.add(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_are_listed_per_operation_in_numeric_order_and_capped() {
        let mut ops = OpFunctions::new();
        ops.entry(Op::Write).or_default().extend([
            "fc16 write_multiple_registers",
            "fc5 write_single_coil",
            "fc15 write_multiple_coils",
            "fc6 write_single_register",
        ]);
        ops.entry(Op::CpuStop).or_default();
        assert_eq!(
            ops_text(&ops),
            "write (fc5 write_single_coil, fc6 write_single_register, fc15 write_multiple_coils, \
             fc16 write_multiple_registers), cpu_stop"
        );
        let many: Vec<&'static str> = vec![
            "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11",
        ];
        let mut ops = OpFunctions::new();
        ops.entry(Op::Write).or_default().extend(many);
        assert_eq!(ops_text(&ops), "write (f1, f2, f3, f4, f5, f6, f7, f8, …)");
    }

    #[test]
    fn natural_key_never_panics_on_odd_names() {
        for s in ["", "fc", "99999999999999999999999x", "x1y2", "é3"] {
            let _ = natural_key(s);
        }
        assert!(natural_key("fc5 a") < natural_key("fc16 b"));
        assert!(natural_key("plc_stop") > natural_key("download"));
    }
}
