//! Asset inventory: one asset per device (keyed by IP address), fusing every identity clue —
//! ICS identity responses, discovery protocols, banners, the MAC vendor — with a role, a
//! confidence and the frames that prove each claim.
//!
//! MAC addresses are bound to an IP only when the binding is local: ARP says so, or the MAC
//! is not a gateway's. A router or firewall interface (it fronts many IPs, or an IP that also
//! has a MAC of its own, or both private and public IPs) never lends its vendor to the hosts
//! behind it; those hosts list it under `gateway_macs`.

pub mod fusion;
pub mod hosts;
pub mod model;
pub mod observation;
pub mod roles;
pub mod signatures;

use crate::analysis::Analysis;
use crate::decode::Mac;
use crate::engine::is_group;
use crate::evidence::{Evidence, Frame};
use crate::flow::conv::{Conv, ConvKey};
use crate::inventory::observation::{Subject, Transport, sorted};
use crate::time::Timestamp;
use model::{Asset, Provenance, Service};
use roles::Behavior;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Conversations of each service (transport, port, protocol) of each server.
type ServiceConvs<'a> = BTreeMap<IpAddr, BTreeMap<(Transport, u16), Vec<(&'a ConvKey, &'a Conv)>>>;

/// A MAC that fronts at least this many IPs is a router/gateway interface, not a device's own.
pub const GATEWAY_MIN_IPS: usize = 3;

/// Addresses that are not devices (unspecified, group, link-local multicast sources...).
pub fn is_device_ip(ip: IpAddr) -> bool {
    !(ip.is_unspecified() || is_group(ip))
}

/// Private (RFC 1918, CGNAT, loopback, link-local, ULA) as opposed to public addresses. The
/// documentation ranges (TEST-NET-1/2/3) count as public: captures use them for internet hosts.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v) => {
            let s = v.segments()[0];
            v.is_loopback()
                || v.is_unspecified()
                || (s & 0xfe00) == 0xfc00
                || (s & 0xffc0) == 0xfe80
        }
    }
}

/// MACs that are router or firewall interfaces on a segment, not a device's own. A MAC is a
/// gateway when it fronts many IPs; or two, one of which is public while the other is private;
/// or two, one of which is also seen behind a MAC of its own (so this MAC is its way out). A
/// MAC with exactly two private IPs and no such sign is a dual-homed host.
pub fn gateway_macs(a: &Analysis) -> BTreeSet<Mac> {
    // IP -> MACs that front only that IP (its own interface)
    let mut dedicated: BTreeMap<IpAddr, BTreeSet<Mac>> = BTreeMap::new();
    for (mac, m) in &a.hosts.macs {
        let ips: Vec<&IpAddr> = m.src_ips.iter().filter(|ip| is_device_ip(**ip)).collect();
        if ips.len() == 1 && !m.overflow {
            dedicated.entry(*ips[0]).or_default().insert(*mac);
        }
    }
    let mut out = BTreeSet::new();
    for (mac, m) in &a.hosts.macs {
        let ips: Vec<IpAddr> = m
            .src_ips
            .iter()
            .copied()
            .filter(|ip| is_device_ip(*ip))
            .collect();
        let gateway = m.overflow
            || ips.len() >= GATEWAY_MIN_IPS
            || (ips.len() == 2
                && (is_private(ips[0]) != is_private(ips[1])
                    || ips.iter().any(|ip| {
                        dedicated
                            .get(ip)
                            .is_some_and(|d| d.iter().any(|x| x != mac))
                    })));
        if gateway {
            out.insert(*mac);
        }
    }
    out
}

/// The device's own MACs and the gateway MACs it was seen behind.
pub fn own_macs(a: &Analysis, ip: IpAddr, gateways: &BTreeSet<Mac>) -> (Vec<Mac>, Vec<Mac>) {
    let Some(h) = a.hosts.ips.get(&ip) else {
        return (Vec::new(), Vec::new());
    };
    let mut own = Vec::new();
    let mut behind = Vec::new();
    for (mac, seen) in &h.macs {
        let arp = h.arp.contains_key(mac);
        if arp || (seen.as_src > 0 && !gateways.contains(mac) && !mac.is_multicast()) {
            own.push(*mac);
        } else if seen.as_src > 0 || gateways.contains(mac) {
            behind.push(*mac);
        }
    }
    for mac in h.arp.keys() {
        if !own.contains(mac) {
            own.push(*mac);
        }
    }
    own.sort();
    behind.sort();
    behind.dedup();
    (own, behind)
}

/// Fields whose text names a device (banners, descriptions, certificate subjects).
const TEXT_FIELDS: [&str; 13] = [
    "snmp.sysDescr",
    "telnet.banner",
    "ftp.banner",
    "ssh.banner",
    "http.server",
    "http.title",
    "lldp.system_description",
    "cdp.platform",
    "cdp.software_version",
    "tls.cert_subject",
    "ssdp.server",
    "vnc.desktop_name",
    "modbus.VendorName",
];

/// Identity derived from signatures: product families from order numbers, vendors and
/// products from OPC UA URIs and banners, CIP vendor names. Returns role hints from banners.
fn enrich(p: &mut Vec<Provenance>, sigs: &signatures::Signatures) -> Vec<(String, String)> {
    let mut add = Vec::new();
    let mut hints = Vec::new();
    let has_vendor_from = |p: &[Provenance], src: &str| {
        p.iter()
            .any(|x| x.field == "vendor" && x.source.starts_with(src))
    };
    for c in p.iter() {
        match c.field.as_str() {
            "order_number" | "s7comm.order_number" => {
                if let Some(v) = sigs.s7_families.prefix(&c.value).first() {
                    add.push((
                        "product",
                        v[0].clone(),
                        "signatures/s7_families.tsv",
                        75,
                        c.frames.clone(),
                    ));
                    add.push((
                        "vendor",
                        "Siemens".to_string(),
                        "signatures/s7_families.tsv",
                        75,
                        c.frames.clone(),
                    ));
                }
            }
            "product_uri" | "application_uri" => {
                // A client's application description names its software, not its maker.
                let software_only = c.source.contains("create_session");
                if let Some(v) = sigs.opcua_products.prefix(&c.value).first() {
                    if !v[0].is_empty() && !software_only {
                        add.push((
                            "vendor",
                            v[0].clone(),
                            "signatures/opcua_products.tsv",
                            65,
                            c.frames.clone(),
                        ));
                    }
                    if v.len() > 1 && !v[1].is_empty() {
                        add.push((
                            if software_only { "software" } else { "product" },
                            v[1].clone(),
                            "signatures/opcua_products.tsv",
                            55,
                            c.frames.clone(),
                        ));
                    }
                }
            }
            "enip.vendor_id" => {
                if let (Ok(id), false) = (c.value.parse::<u32>(), has_vendor_from(p, "enip")) {
                    if let Some(name) = sigs.cip_vendors.get(id) {
                        add.push((
                            "vendor",
                            name.to_string(),
                            "signatures/cip_vendors.tsv",
                            85,
                            c.frames.clone(),
                        ));
                    }
                }
            }
            f if TEXT_FIELDS.contains(&f) || f.ends_with(".banner") => {
                if let Some(v) = firmware_in(&c.value) {
                    add.push((
                        "firmware",
                        v,
                        "signatures:version-in-text",
                        45,
                        c.frames.clone(),
                    ));
                }
                for (pat, v) in sigs.banners.contained(&c.value) {
                    if !v[0].is_empty() {
                        add.push((
                            "vendor",
                            v[0].clone(),
                            "signatures/banners.tsv",
                            55,
                            c.frames.clone(),
                        ));
                    }
                    if !v[1].is_empty() {
                        add.push((
                            "product",
                            v[1].clone(),
                            "signatures/banners.tsv",
                            50,
                            c.frames.clone(),
                        ));
                    }
                    if !v[2].is_empty() {
                        hints.push((v[2].clone(), format!("{f} mentions {pat:?}")));
                    }
                }
            }
            _ => {}
        }
    }
    for (field, value, source, confidence, frames) in add {
        if !p
            .iter()
            .any(|x| x.field == field && x.value == value && x.source == source)
        {
            p.push(Provenance {
                field: field.into(),
                value,
                source: source.into(),
                confidence,
                frames,
                sensors: Vec::new(),
            });
        }
    }
    hints.sort();
    hints.dedup();
    hints
}

/// A version written after a firmware/version keyword in a banner or description:
/// `... Firmware V6.3 build 230310` -> `V6.3`, `FW: V2.9.4` -> `V2.9.4`, `Version 15.2(7)E4`.
pub fn firmware_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    for kw in [
        "firmware", "fw:", "fw ", "version", "ver.", "ver ", "sw:", "software",
    ] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(kw) {
            let start = from + i + kw.len();
            from = start;
            let rest = &text[start..];
            let rest = rest.trim_start_matches([' ', ':', '=', '\t']);
            let token: String = rest
                .chars()
                .take_while(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '(' | ')')
                })
                .collect();
            let token = token.trim_end_matches(['.', '-', '_']);
            let digits = token.trim_start_matches(['V', 'v']);
            // A version: starts with a digit and has a dot (1.2, 2.9.4, 15.2(7)E4).
            if digits.starts_with(|c: char| c.is_ascii_digit())
                && digits.contains('.')
                && token.len() <= 32
            {
                return Some(token.to_string());
            }
        }
    }
    None
}

fn frames(e: &Evidence) -> Vec<Frame> {
    e.frames.iter().map(|&f| f.into()).collect()
}

/// Identity claims by subject, each subject's in key order.
fn claims_by_subject(a: &Analysis) -> BTreeMap<Subject, Vec<Provenance>> {
    let mut claims: BTreeMap<Subject, Vec<Provenance>> = BTreeMap::new();
    for (k, v) in sorted(&a.store.claims) {
        claims.entry(k.subject).or_default().push(Provenance {
            field: k.field.to_string(),
            value: k.value.clone(),
            source: k.source.to_string(),
            confidence: v.confidence,
            frames: frames(&v.evidence),
            sensors: Vec::new(),
        });
    }
    claims
}

/// The values of fact `key` (made empty the first time; the key is copied only then).
fn fact_values<'m>(
    m: &'m mut BTreeMap<String, BTreeSet<String>>,
    key: &str,
) -> &'m mut BTreeSet<String> {
    if !m.contains_key(key) {
        m.insert(key.to_string(), BTreeSet::new());
    }
    m.get_mut(key).expect("inserted above")
}

/// Build the asset list.
pub fn build(a: &Analysis, sigs: &signatures::Signatures) -> Vec<Asset> {
    let gateways = gateway_macs(a);
    let cap = 8;
    // Services (answered conversations) by server; behaviour per address.
    let mut services: ServiceConvs = BTreeMap::new();
    let mut beh: BTreeMap<IpAddr, Behavior> = BTreeMap::new();
    for (k, c) in &a.convs.map {
        if !is_device_ip(k.server) || !matches!(k.transport, Transport::Tcp | Transport::Udp) {
            continue;
        }
        // A refused or unanswered attempt is not a service, and proves no client role.
        if c.answered == 0 {
            continue;
        }
        services
            .entry(k.server)
            .or_default()
            .entry((k.transport, k.port))
            .or_default()
            .push((k, c));
        let s = beh.entry(k.server).or_default();
        if k.proto.is_empty() {
            if let Some(g) = crate::dissect::ports::guess(k.transport, k.port) {
                s.served_guess.insert(g.to_string());
                beh.entry(k.client)
                    .or_default()
                    .used_guess
                    .insert(g.to_string());
            }
        } else {
            s.served
                .entry(k.proto.to_string())
                .or_default()
                .insert(k.client);
            if !is_private(k.client) {
                s.remote_clients_public = true;
            }
            let cb = beh.entry(k.client).or_default();
            cb.used
                .entry(k.proto.to_string())
                .or_default()
                .insert(k.server);
            let v = cb.used_volume.entry(k.proto.to_string()).or_default();
            v.0 += c.pkts[0] + c.pkts[1];
            v.1 =
                v.1.max(c.last_ts.saturating_sub(c.first_ts) / 1_000_000_000);
        }
    }
    // Operation counts are sums: any order gives the same totals.
    for (k, v) in &a.store.ops {
        *beh.entry(k.client)
            .or_default()
            .ops
            .entry((k.svc.proto.to_string(), k.op))
            .or_default() += v.evidence.count;
    }
    // Claims by subject, on another thread while the facts are sorted out here.
    let (mut claims, mac_facts) = std::thread::scope(|s| {
        let other = (a.threads > 1)
            .then(|| {
                std::thread::Builder::new()
                    .name("otscope-report".into())
                    .spawn_scoped(s, || claims_by_subject(a))
                    .ok()
            })
            .flatten();
        // Facts about MACs (discovery protocols) count for the asset that owns the MAC. At
        // most 16 values per key, the first in key order.
        let mut mac_facts: BTreeMap<Mac, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for (k, _) in sorted(&a.store.facts) {
            let by_key = match k.subject {
                Subject::Ip(ip) => &mut beh.entry(ip).or_default().facts,
                Subject::Mac(m) => mac_facts.entry(m).or_default(),
            };
            let f = fact_values(by_key, k.key);
            if f.len() < 16 && !f.contains(&k.value) {
                f.insert(k.value.clone());
            }
        }
        let claims = match other {
            Some(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
            None => claims_by_subject(a),
        };
        (claims, mac_facts)
    });
    // One asset per device address, in address order: what each owns is taken out first,
    // then the assets are made on up to `a.threads` threads (a capture with ten thousand
    // assets spends about 0.15 s here).
    let work: Vec<_> = a
        .hosts
        .ips
        .iter()
        .filter(|(ip, _)| is_device_ip(**ip))
        .map(|(ip, h)| {
            let provenance = claims.remove(&Subject::Ip(*ip)).unwrap_or_default();
            (ip, h, provenance, beh.remove(ip).unwrap_or_default())
        })
        .collect();
    let (gateways, services, mac_claims, mac_facts) = (&gateways, &services, &claims, &mac_facts);
    let mut out = crate::par::map_into(work, a.threads, |(ip, h, mut provenance, mut b)| {
        let (own, behind) = own_macs(a, *ip, gateways);
        let mut svcs = Vec::new();
        for ((transport, port), convs) in services.get(ip).into_iter().flatten() {
            // One service per protocol recognised on the port (S7comm and S7comm-plus share
            // 102); connections on which nothing was recognised (no data) belong to the
            // protocol most flows on the port carried, not to a service of their own.
            let mut by_proto: BTreeMap<&'static str, u64> = BTreeMap::new();
            for (k, c) in convs.iter().filter(|(k, _)| !k.proto.is_empty()) {
                *by_proto.entry(k.proto).or_default() += c.flows;
            }
            let main: &'static str = by_proto
                .iter()
                .max_by_key(|(p, n)| (**n, std::cmp::Reverse(**p)))
                .map_or("", |(p, _)| *p);
            let mut split: BTreeMap<&'static str, Vec<&(&ConvKey, &Conv)>> = BTreeMap::new();
            for kc in convs {
                let p = if kc.0.proto.is_empty() {
                    main
                } else {
                    kc.0.proto
                };
                split.entry(p).or_default().push(kc);
            }
            for (proto, convs) in split {
                let mut clients = BTreeSet::new();
                let mut flows = 0;
                let mut first: Option<Timestamp> = None;
                let mut last: Option<Timestamp> = None;
                let mut ev = Evidence::default();
                for (k, c) in convs {
                    clients.insert(k.client);
                    flows += c.flows;
                    first = Some(first.map_or(c.first_ts, |t| t.min(c.first_ts)));
                    last = Some(last.map_or(c.last_ts, |t| t.max(c.last_ts)));
                    ev.merge(&c.answered_evidence, cap);
                }
                svcs.push(Service {
                    transport: transport.name().to_string(),
                    port: *port,
                    protocol: (!proto.is_empty()).then(|| proto.to_string()),
                    port_guess: if proto.is_empty() {
                        crate::dissect::ports::guess(*transport, *port).map(str::to_string)
                    } else {
                        None
                    },
                    clients: clients.iter().map(|c| c.to_string()).collect(),
                    flows,
                    first_ts: first.unwrap_or_default().to_string(),
                    last_ts: last.unwrap_or_default().to_string(),
                    evidence: frames(&ev),
                    sensors: Vec::new(),
                });
            }
        }
        for m in &own {
            if let Some(c) = mac_claims.get(&Subject::Mac(*m)) {
                provenance.extend(c.iter().cloned());
            }
        }
        // The vendor of the MAC most used as the device's own.
        let main_mac = own
            .iter()
            .max_by_key(|m| h.macs.get(m).map_or(0, |s| s.as_src + s.as_dst))
            .copied();
        let oui = main_mac.and_then(|m| sigs.oui.lookup(m));
        let mac_vendor = oui.map(|(v, _)| v.to_string());
        if let (Some(m), Some((v, _))) = (main_mac, oui) {
            let first = h.macs.get(&m).and_then(|s| s.first);
            provenance.push(Provenance {
                field: "vendor".into(),
                value: fusion::normalize_vendor(v),
                source: "oui".into(),
                confidence: 30,
                frames: first.into_iter().map(Frame::from).collect(),
                sensors: Vec::new(),
            });
        }
        let banner_hints = enrich(&mut provenance, sigs);
        let identity = fusion::fuse(provenance, &|v| sigs.canonical_vendor(v));
        let vendor_hints: BTreeMap<String, f64> = mac_vendor
            .as_deref()
            .map(|v| {
                sigs.vendor_roles
                    .contained(v)
                    .into_iter()
                    .filter_map(|(_, r)| Some((r[0].clone(), r[1].parse::<f64>().ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        b.routes_for = own
            .iter()
            .filter(|m| gateways.contains(m))
            .filter_map(|m| a.hosts.macs.get(m))
            .map(|mi| {
                mi.src_ips
                    .iter()
                    .filter(|o| *o != ip && is_device_ip(**o))
                    .count()
            })
            .max()
            .unwrap_or(0);
        for m in &own {
            for (k, v) in mac_facts.get(m).into_iter().flatten() {
                b.facts
                    .entry(k.clone())
                    .or_default()
                    .extend(v.iter().cloned());
            }
        }
        let b = Behavior {
            oui_vendor: mac_vendor.clone(),
            oui_ics: oui.is_some_and(|(_, ics)| ics),
            remote_self: !is_private(*ip),
            vendor_hints,
            banner_hints,
            ..b
        };
        let roles = roles::roles(&b, &identity);
        let mut vlans: BTreeSet<u16> = BTreeSet::new();
        for m in &own {
            if let Some(s) = h.macs.get(m) {
                vlans.extend(s.vlans.iter().copied());
            }
        }
        let mut notes = Vec::new();
        for m in own.iter().filter(|m| !gateways.contains(m)) {
            if let Some(mi) = a.hosts.macs.get(m) {
                for other in mi.src_ips.iter().filter(|o| *o != ip && is_device_ip(**o)) {
                    notes.push(format!("dual-homed: MAC {m} also carries {other}"));
                }
            }
        }
        if own.len() > 1 {
            notes.push(format!(
                "{} own MACs (NIC change, teaming or address reuse)",
                own.len()
            ));
        }
        if let Some(e) = a.hosts.arp_conflicts.get(ip) {
            notes.push(format!(
                "ARP conflict: several MACs claimed this address (first in frame {})",
                e.first().map_or(0, |f| f.frame)
            ));
        }
        if identity
            .conflicts
            .iter()
            .any(|c| c.starts_with("vendor:") && c.contains("(oui)"))
        {
            notes.push("MAC vendor differs from the protocol identity: a protocol gateway or a replaced NIC".into());
        }
        let protocols: BTreeSet<String> = b.used.keys().cloned().collect();
        Asset {
            ip: ip.to_string(),
            macs: own.iter().map(|m| m.to_string()).collect(),
            mac_vendor,
            gateway_macs: behind.iter().map(|m| m.to_string()).collect(),
            vlans: vlans.into_iter().collect(),
            zone: None,
            level: None,
            roles,
            identity,
            services: svcs,
            protocols: protocols.into_iter().collect(),
            packets_sent: h.pkts_sent,
            packets_received: h.pkts_recv,
            bytes_sent: h.bytes_sent,
            bytes_received: h.bytes_recv,
            first_ts: h.first_ts.to_string(),
            last_ts: h.last_ts.to_string(),
            notes,
            sensors: Vec::new(),
        }
    });
    // Devices known only from what they announced: an address with identity claims but no
    // traffic of its own (e.g. a PROFINET DCP answer), or a MAC that no address owns.
    let owned: BTreeSet<String> = out.iter().flat_map(|x| x.macs.iter().cloned()).collect();
    let listed: BTreeSet<String> = out.iter().map(|x| x.ip.clone()).collect();
    for (subject, provenance) in claims {
        let (ip, macs) = match subject {
            Subject::Ip(ip) if is_device_ip(ip) && !listed.contains(&ip.to_string()) => {
                (ip.to_string(), Vec::new())
            }
            Subject::Mac(m) if !owned.contains(&m.to_string()) && !m.is_multicast() => {
                (String::new(), vec![m])
            }
            _ => continue,
        };
        let first = provenance
            .iter()
            .flat_map(|p| p.frames.iter())
            .min()
            .cloned();
        let mut provenance = provenance;
        let oui = macs.first().and_then(|m| sigs.oui.lookup(*m));
        if let (Some((v, _)), Some(f)) = (oui, &first) {
            provenance.push(Provenance {
                field: "vendor".into(),
                value: fusion::normalize_vendor(v),
                source: "oui".into(),
                confidence: 30,
                frames: vec![f.clone()],
                sensors: Vec::new(),
            });
        }
        let banner_hints = enrich(&mut provenance, sigs);
        let identity = fusion::fuse(provenance, &|v| sigs.canonical_vendor(v));
        let mut b = Behavior {
            banner_hints,
            remote_self: false,
            oui_vendor: oui.map(|(v, _)| v.to_string()),
            ..Default::default()
        };
        for m in &macs {
            for (k, v) in mac_facts.get(m).into_iter().flatten() {
                b.facts
                    .entry(k.clone())
                    .or_default()
                    .extend(v.iter().cloned());
            }
        }
        let roles = roles::roles(&b, &identity);
        let ts = first.as_ref().map(|f| f.ts.clone()).unwrap_or_default();
        out.push(Asset {
            ip,
            macs: macs.iter().map(|m| m.to_string()).collect(),
            mac_vendor: oui.map(|(v, _)| v.to_string()),
            gateway_macs: Vec::new(),
            vlans: Vec::new(),
            zone: None,
            level: None,
            roles,
            identity,
            services: Vec::new(),
            protocols: Vec::new(),
            packets_sent: 0,
            packets_received: 0,
            bytes_sent: 0,
            bytes_received: 0,
            first_ts: ts.clone(),
            last_ts: ts,
            notes: vec!["known only from what it announced (discovery protocol); no traffic of its own was seen".into()],
            sensors: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_banners() {
        assert_eq!(
            firmware_in("Moxa EDS-408A Firmware V6.3 build 23031014").as_deref(),
            Some("V6.3")
        );
        assert_eq!(
            firmware_in(
                "Siemens, SIMATIC S7, CPU 1515-2 PN, 6ES7 515-2AM02-0AB0, HW: 2, FW: V2.9.4"
            )
            .as_deref(),
            Some("V2.9.4")
        );
        assert_eq!(
            firmware_in("Cisco IOS Software, IE3400 Software, Version 17.3.4, RELEASE").as_deref(),
            Some("17.3.4")
        );
        assert_eq!(firmware_in("Linux sw01 5.10.0 #1 SMP"), None);
        assert_eq!(firmware_in("version: beta"), None);
    }
}
