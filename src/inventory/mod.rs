//! Asset inventory: one asset per device, from host bookkeeping, conversations and the
//! dissectors' observations.

pub mod hosts;
pub mod observation;
pub mod signatures;

use crate::analysis::Analysis;
use crate::decode::Mac;
use crate::engine::is_group;
use crate::flow::conv::{Conv, ConvKey};

/// Conversations of each service (transport, port, protocol) of each server.
type ServiceConvs<'a> =
    BTreeMap<IpAddr, BTreeMap<(Transport, u16, &'static str), Vec<(&'a ConvKey, &'a Conv)>>>;
use crate::inventory::observation::{Subject, Transport, sorted};
use crate::report::{Asset, Frame, Identity, Provenance, Service};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

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

fn frames(e: &crate::evidence::Evidence) -> Vec<Frame> {
    e.frames.iter().map(|&f| f.into()).collect()
}

/// Build the asset list.
pub fn build(a: &Analysis, sigs: &signatures::Signatures) -> Vec<Asset> {
    let gateways = gateway_macs(a);
    // Services: answered conversations, by server.
    let mut services: ServiceConvs = BTreeMap::new();
    let mut used: BTreeMap<IpAddr, BTreeSet<&'static str>> = BTreeMap::new();
    for (k, c) in &a.convs.map {
        if c.answered > 0
            && is_device_ip(k.server)
            && matches!(k.transport, Transport::Tcp | Transport::Udp)
        {
            services
                .entry(k.server)
                .or_default()
                .entry((k.transport, k.port, k.proto))
                .or_default()
                .push((k, c));
        }
        if !k.proto.is_empty() && c.answered > 0 {
            used.entry(k.client).or_default().insert(k.proto);
        }
    }
    // Claims by IP.
    let mut claims: BTreeMap<IpAddr, Vec<Provenance>> = BTreeMap::new();
    for (k, v) in sorted(&a.store.claims) {
        if let Subject::Ip(ip) = k.subject {
            claims.entry(ip).or_default().push(Provenance {
                field: k.field.to_string(),
                value: k.value.clone(),
                source: k.source.to_string(),
                confidence: v.confidence,
                frames: frames(&v.evidence),
            });
        }
    }
    let mut out = Vec::new();
    for (ip, h) in &a.hosts.ips {
        if !is_device_ip(*ip) {
            continue;
        }
        let (own, behind) = own_macs(a, *ip, &gateways);
        let mut svcs = Vec::new();
        for ((transport, port, proto), convs) in services.get(ip).into_iter().flatten() {
            let mut clients = BTreeSet::new();
            let mut flows = 0;
            let mut first = None;
            let mut last = None;
            let mut ev = crate::evidence::Evidence::default();
            for (k, c) in convs {
                clients.insert(k.client.to_string());
                flows += c.flows;
                first =
                    Some(first.map_or(c.first_ts, |t: crate::time::Timestamp| t.min(c.first_ts)));
                last = Some(last.map_or(c.last_ts, |t: crate::time::Timestamp| t.max(c.last_ts)));
                ev.merge(&c.answered_evidence, 8);
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
                clients: clients.into_iter().collect(),
                flows,
                first_ts: first.unwrap_or_default().to_string(),
                last_ts: last.unwrap_or_default().to_string(),
                evidence: frames(&ev),
            });
        }
        let provenance = claims.remove(ip).unwrap_or_default();
        // Vendor of the most used own MAC.
        let main_mac = own
            .iter()
            .max_by_key(|m| h.macs.get(m).map_or(0, |s| s.as_src + s.as_dst))
            .copied();
        let mac_vendor = main_mac
            .and_then(|m| sigs.oui.lookup(m))
            .map(|(v, _)| v.to_string());
        let mut notes = Vec::new();
        for m in &own {
            if let Some(mi) = a.hosts.macs.get(m) {
                for other in mi.src_ips.iter().filter(|o| *o != ip && is_device_ip(**o)) {
                    notes.push(format!("dual-homed: MAC {m} also carries {other}"));
                }
            }
        }
        if let Some(e) = a.hosts.arp_conflicts.get(ip) {
            notes.push(format!(
                "ARP conflict: several MACs claimed this address (first in frame {})",
                e.first().map_or(0, |f| f.frame)
            ));
        }
        out.push(Asset {
            ip: ip.to_string(),
            macs: own.iter().map(|m| m.to_string()).collect(),
            mac_vendor,
            gateway_macs: behind.iter().map(|m| m.to_string()).collect(),
            vlans: h.vlans.iter().copied().collect(),
            zone: None,
            level: None,
            roles: Vec::new(),
            identity: Identity {
                provenance,
                ..Default::default()
            },
            services: svcs,
            protocols: used
                .get(ip)
                .map(|s| s.iter().map(|p| p.to_string()).collect())
                .unwrap_or_default(),
            packets_sent: h.pkts_sent,
            packets_received: h.pkts_recv,
            bytes_sent: h.bytes_sent,
            bytes_received: h.bytes_recv,
            first_ts: h.first_ts.to_string(),
            last_ts: h.last_ts.to_string(),
            notes,
        });
    }
    out
}
