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

fn frames(e: &Evidence) -> Vec<Frame> {
    e.frames.iter().map(|&f| f.into()).collect()
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
    for (k, v) in sorted(&a.store.ops) {
        *beh.entry(k.client)
            .or_default()
            .ops
            .entry((k.svc.proto.to_string(), k.op))
            .or_default() += v.evidence.count;
    }
    for (k, _) in sorted(&a.store.facts) {
        if let Subject::Ip(ip) = k.subject {
            let f = beh
                .entry(ip)
                .or_default()
                .facts
                .entry(k.key.to_string())
                .or_default();
            if f.len() < 16 {
                f.insert(k.value.clone());
            }
        }
    }
    // Claims by subject.
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
    let mut out = Vec::new();
    for (ip, h) in &a.hosts.ips {
        if !is_device_ip(*ip) {
            continue;
        }
        let (own, behind) = own_macs(a, *ip, &gateways);
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
        let mut provenance = claims.remove(&Subject::Ip(*ip)).unwrap_or_default();
        for m in &own {
            if let Some(c) = claims.get(&Subject::Mac(*m)) {
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
        let identity = fusion::fuse(provenance);
        let b = beh.remove(ip).unwrap_or_default();
        let b = Behavior {
            oui_vendor: mac_vendor.clone(),
            oui_ics: oui.is_some_and(|(_, ics)| ics),
            remote_self: !is_private(*ip),
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
        for m in &own {
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
        out.push(Asset {
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
        });
    }
    out
}
