//! Per-address and per-MAC facts: which MACs an IP was seen with (as sender and as receiver),
//! VLANs, TTLs, ARP bindings, and which IPs each MAC fronted. The inventory uses them to bind an
//! IP to its own MAC only when the binding is local (a router's MAC fronts many IPs and must not
//! lend them its vendor).
//!
//! Kept off the per-packet path: the engine reports a binding when a flow sees a new
//! (MAC, VLAN) for one of its sides, and traffic totals when a flow ends. Counts of bindings are
//! therefore counts of flows, not frames.

use crate::decode::Mac;
use crate::evidence::{Ev, Evidence};
use crate::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Distinct MACs kept per IP, IPs per MAC, VLANs per IP.
pub const MAX_MACS_PER_IP: usize = 8;
pub const MAX_IPS_PER_MAC: usize = 64;
pub const MAX_VLANS_PER_IP: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct MacSeen {
    /// Flows in which the IP sent frames from this MAC.
    pub as_src: u64,
    /// Flows in which frames to the IP went to this MAC.
    pub as_dst: u64,
    pub first: Option<Ev>,
    /// TTLs of frames sent from this MAC (min, max); 0 when none.
    pub ttl_min: u8,
    pub ttl_max: u8,
    /// VLANs of the frames that carried this binding (the IP's segment when the MAC is its own).
    pub vlans: BTreeSet<u16>,
}

#[derive(Debug, Clone, Default)]
pub struct Host {
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub pkts_sent: u64,
    pub pkts_recv: u64,
    pub bytes_sent: u64,
    pub bytes_recv: u64,
    pub macs: BTreeMap<Mac, MacSeen>,
    pub vlans: BTreeSet<u16>,
    /// MAC the host announced in ARP (sender hardware address), with evidence.
    pub arp: BTreeMap<Mac, Evidence>,
    pub first: Option<Ev>,
}

#[derive(Debug, Clone, Default)]
pub struct MacInfo {
    /// Source IPs of frames sent from this MAC.
    pub src_ips: BTreeSet<IpAddr>,
    /// More distinct IPs than `MAX_IPS_PER_MAC` were seen.
    pub overflow: bool,
    pub first: Option<Ev>,
    pub last_ts: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct Hosts {
    pub ips: BTreeMap<IpAddr, Host>,
    pub macs: BTreeMap<Mac, MacInfo>,
    /// ARP: two MACs claimed one IP (conflict or spoofing), with evidence.
    pub arp_conflicts: BTreeMap<IpAddr, Evidence>,
    pub max: usize,
    pub dropped: u64,
}

fn min_ev(a: Option<Ev>, b: Option<Ev>) -> Option<Ev> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Hosts {
    pub fn new(max: usize) -> Hosts {
        Hosts {
            max,
            ..Default::default()
        }
    }

    fn host(&mut self, ip: IpAddr, ev: Ev) -> Option<&mut Host> {
        if !self.ips.contains_key(&ip) {
            if self.ips.len() >= self.max {
                self.dropped += 1;
                return None;
            }
            self.ips.insert(
                ip,
                Host {
                    first_ts: ev.ts,
                    last_ts: ev.ts,
                    first: Some(ev),
                    ..Default::default()
                },
            );
        }
        let h = self.ips.get_mut(&ip)?;
        h.first_ts = h.first_ts.min(ev.ts);
        h.last_ts = h.last_ts.max(ev.ts);
        h.first = min_ev(h.first, Some(ev));
        Some(h)
    }

    /// The entry of a MAC; MACs are bounded like hosts (`max`), the excess counted in `dropped`
    /// (one IP sending from a flood of forged source MACs must not grow the table).
    fn mac(&mut self, m: Mac) -> Option<&mut MacInfo> {
        if self.macs.len() >= self.max && !self.macs.contains_key(&m) {
            self.dropped += 1;
            return None;
        }
        Some(self.macs.entry(m).or_default())
    }

    /// A flow saw `ip` send from `mac` (`as_src`) or receive at `mac`, on `vlan`.
    pub fn binding(
        &mut self,
        ip: IpAddr,
        mac: Option<Mac>,
        as_src: bool,
        vlan: Option<u16>,
        ttl: u8,
        ev: Ev,
    ) {
        let Some(h) = self.host(ip, ev) else { return };
        if let Some(v) = vlan {
            if h.vlans.len() < MAX_VLANS_PER_IP {
                h.vlans.insert(v);
            }
        }
        let Some(m) = mac else { return };
        if m.is_multicast() || m.is_zero() {
            return;
        }
        if h.macs.len() < MAX_MACS_PER_IP || h.macs.contains_key(&m) {
            let s = h.macs.entry(m).or_default();
            s.first = min_ev(s.first, Some(ev));
            if let Some(v) = vlan {
                if s.vlans.len() < MAX_VLANS_PER_IP {
                    s.vlans.insert(v);
                }
            }
            if as_src {
                s.as_src += 1;
                s.ttl_min = if s.ttl_min == 0 {
                    ttl
                } else {
                    s.ttl_min.min(ttl)
                };
                s.ttl_max = s.ttl_max.max(ttl);
            } else {
                s.as_dst += 1;
            }
        }
        if as_src {
            let Some(mi) = self.mac(m) else { return };
            mi.first = min_ev(mi.first, Some(ev));
            mi.last_ts = mi.last_ts.max(ev.ts);
            if !mi.src_ips.contains(&ip) {
                if mi.src_ips.len() < MAX_IPS_PER_MAC {
                    mi.src_ips.insert(ip);
                } else {
                    mi.overflow = true;
                }
            }
        }
    }

    /// Traffic totals of a finished flow for one endpoint.
    #[allow(clippy::too_many_arguments)]
    pub fn traffic(
        &mut self,
        ip: IpAddr,
        sent: (u64, u64),
        recv: (u64, u64),
        first: Ev,
        last_ts: Timestamp,
    ) {
        let Some(h) = self.host(ip, first) else {
            return;
        };
        h.last_ts = h.last_ts.max(last_ts);
        h.pkts_sent += sent.0;
        h.bytes_sent += sent.1;
        h.pkts_recv += recv.0;
        h.bytes_recv += recv.1;
    }

    /// An ARP packet: the sender binds its IP to its MAC on the local segment.
    pub fn arp(&mut self, ip: IpAddr, mac: Mac, cap: usize, ev: Ev) {
        if mac.is_zero() || mac.is_multicast() || ip.is_unspecified() {
            return;
        }
        let conflict;
        {
            let Some(h) = self.host(ip, ev) else { return };
            conflict = !h.arp.is_empty() && !h.arp.contains_key(&mac);
            if h.arp.len() < MAX_MACS_PER_IP || h.arp.contains_key(&mac) {
                h.arp.entry(mac).or_default().add(ev, cap);
            }
        }
        if conflict {
            self.arp_conflicts.entry(ip).or_default().add(ev, cap);
        }
        let Some(mi) = self.mac(mac) else { return };
        mi.first = min_ev(mi.first, Some(ev));
        mi.last_ts = mi.last_ts.max(ev.ts);
        if !mi.src_ips.contains(&ip) && mi.src_ips.len() < MAX_IPS_PER_MAC {
            mi.src_ips.insert(ip);
        }
    }

    pub fn merge(&mut self, other: Hosts, cap: usize) {
        for (ip, o) in other.ips {
            match self.ips.get_mut(&ip) {
                None => {
                    self.ips.insert(ip, o);
                }
                Some(h) => {
                    h.first_ts = h.first_ts.min(o.first_ts);
                    h.last_ts = h.last_ts.max(o.last_ts);
                    h.pkts_sent += o.pkts_sent;
                    h.pkts_recv += o.pkts_recv;
                    h.bytes_sent += o.bytes_sent;
                    h.bytes_recv += o.bytes_recv;
                    h.first = min_ev(h.first, o.first);
                    for (m, s) in o.macs {
                        if h.macs.len() >= MAX_MACS_PER_IP && !h.macs.contains_key(&m) {
                            continue;
                        }
                        let t = h.macs.entry(m).or_default();
                        t.as_src += s.as_src;
                        t.as_dst += s.as_dst;
                        t.first = min_ev(t.first, s.first);
                        t.ttl_min = match (t.ttl_min, s.ttl_min) {
                            (0, x) | (x, 0) => x,
                            (a, b) => a.min(b),
                        };
                        t.ttl_max = t.ttl_max.max(s.ttl_max);
                        for v in s.vlans {
                            if t.vlans.len() < MAX_VLANS_PER_IP {
                                t.vlans.insert(v);
                            }
                        }
                    }
                    for v in o.vlans {
                        if h.vlans.len() < MAX_VLANS_PER_IP {
                            h.vlans.insert(v);
                        }
                    }
                    for (m, e) in o.arp {
                        h.arp.entry(m).or_default().merge(&e, cap);
                    }
                }
            }
        }
        for (m, o) in other.macs {
            let Some(t) = self.mac(m) else { continue };
            t.first = min_ev(t.first, o.first);
            t.last_ts = t.last_ts.max(o.last_ts);
            for ip in o.src_ips {
                if t.src_ips.len() < MAX_IPS_PER_MAC {
                    t.src_ips.insert(ip);
                } else if !t.src_ips.contains(&ip) {
                    t.overflow = true;
                }
            }
            t.overflow |= o.overflow;
        }
        for (ip, e) in other.arp_conflicts {
            self.arp_conflicts.entry(ip).or_default().merge(&e, cap);
        }
        self.dropped += other.dropped;
    }
}
