//! Zones inferred from the traffic when the operator gave none: one zone per VLAN (when assets
//! were seen on their own VLAN), else per private /24 (/64 for IPv6); a level from the roles of
//! the zone's assets. The report says the zones are inferred; `otscope zones infer` writes them
//! as a draft `zones.toml` for the operator to correct.

use super::cidr::Cidr;
use super::config::{Model, Zone, ZonesConfig};
use crate::inventory::is_private;
use crate::inventory::model::Asset;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::net::IpAddr;

/// Purdue level a role suggests.
pub fn role_level(role: &str) -> Option<f64> {
    Some(match role {
        "plc" | "io_device" => 1.0,
        "hmi" | "scada_server" | "opcua_server" => 2.0,
        "engineering_workstation" | "historian" | "monitoring_server" => 3.0,
        "jump_host" => 3.5,
        "it_workstation" => 4.0,
        _ => return None,
    })
}

fn block_of(ip: IpAddr) -> Cidr {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            Cidr {
                addr: IpAddr::V4([o[0], o[1], o[2], 0].into()),
                len: 24,
            }
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            Cidr {
                addr: IpAddr::V6([s[0], s[1], s[2], s[3], 0, 0, 0, 0].into()),
                len: 64,
            }
        }
    }
}

#[derive(Default)]
struct Group {
    vlan: Option<u16>,
    blocks: BTreeSet<Cidr>,
    votes: BTreeMap<String, u32>,
    members: Vec<String>,
}

/// Infer zones from the assets (their addresses, own VLANs and roles).
pub fn infer(assets: &[Asset]) -> (ZonesConfig, BTreeMap<String, String>) {
    // Group key: VLAN if the asset's own MAC was seen on exactly one VLAN, else the /24.
    let mut block_vlan: BTreeMap<Cidr, BTreeMap<u16, u32>> = BTreeMap::new();
    let mut parsed = Vec::new();
    for a in assets {
        let Ok(ip) = a.ip.parse::<IpAddr>() else {
            continue;
        };
        if !is_private(ip) || ip.is_loopback() {
            continue;
        }
        let b = block_of(ip);
        if a.vlans.len() == 1 {
            *block_vlan
                .entry(b)
                .or_default()
                .entry(a.vlans[0])
                .or_default() += 1;
        }
        parsed.push((ip, b, a));
    }
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (_, b, a) in &parsed {
        // The block's VLAN: the one most of its assets were seen on.
        let vlan = block_vlan.get(b).and_then(|m| {
            m.iter()
                .max_by_key(|(v, n)| (**n, std::cmp::Reverse(**v)))
                .map(|(v, _)| *v)
        });
        let name = match vlan {
            Some(v) => format!("vlan{v}"),
            None => format!("net-{}", b.addr.to_string().replace(['.', ':'], "-")),
        };
        let g = groups.entry(name).or_default();
        g.vlan = vlan;
        g.blocks.insert(*b);
        g.members.push(a.ip.clone());
        if let Some(r) = a.roles.first() {
            if r.confidence >= 0.5 {
                *g.votes.entry(r.role.clone()).or_default() += 1;
            }
        }
    }
    let mut notes = BTreeMap::new();
    let zones = groups
        .into_iter()
        .map(|(name, g)| {
            // Level: the lowest level any confident role in the zone calls for (a zone holding a
            // PLC is a control zone, whatever else is in it).
            let level = g
                .votes
                .keys()
                .filter_map(|r| role_level(r))
                .fold(None, |acc: Option<f64>, l| {
                    Some(acc.map_or(l, |a| a.min(l)))
                });
            let why: Vec<String> = g.votes.iter().map(|(r, n)| format!("{r} x{n}")).collect();
            notes.insert(
                name.clone(),
                if why.is_empty() {
                    "no role seen".to_string()
                } else {
                    why.join(", ")
                },
            );
            Zone {
                name,
                level,
                cidrs: g.blocks.into_iter().collect(),
                vlans: g.vlan.into_iter().collect(),
                macs: Vec::new(),
                description: Some(format!("inferred: {} asset(s)", g.members.len())),
            }
        })
        .collect();
    (
        ZonesConfig {
            model: Model::Purdue,
            zones,
            conduits: Vec::new(),
            inferred: true,
        },
        notes,
    )
}

/// A draft `zones.toml` for the operator to edit.
pub fn to_toml(cfg: &ZonesConfig, notes: &BTreeMap<String, String>, inputs: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Draft zones inferred by otscope {} from:",
        env!("CARGO_PKG_VERSION")
    );
    for i in inputs {
        let _ = writeln!(s, "#   {i}");
    }
    s.push_str(
        "# Zones are one per VLAN (or per /24 when untagged); levels come from the roles seen.\n",
    );
    s.push_str(
        "# Check every name, level and block, then run: otscope analyze --zones zones.toml ...\n\n",
    );
    s.push_str("[policy]\nmodel = \"purdue\"\n");
    for z in &cfg.zones {
        let _ = writeln!(s, "\n[[zone]]");
        let _ = writeln!(s, "name = {:?}", z.name);
        match z.level {
            Some(l) => {
                let _ = writeln!(
                    s,
                    "level = {l}  # from roles: {}",
                    notes.get(&z.name).map_or("", |n| n.as_str())
                );
            }
            None => {
                let _ = writeln!(s, "# level = ?  (no role seen that suggests one)");
            }
        }
        let cidrs: Vec<String> = z
            .cidrs
            .iter()
            .map(|c| format!("{:?}", c.to_string()))
            .collect();
        let _ = writeln!(s, "cidrs = [{}]", cidrs.join(", "));
        if !z.vlans.is_empty() {
            let v: Vec<String> = z.vlans.iter().map(|v| v.to_string()).collect();
            let _ = writeln!(s, "vlans = [{}]", v.join(", "));
        }
        if let Some(d) = &z.description {
            let _ = writeln!(s, "description = {d:?}");
        }
    }
    s
}
