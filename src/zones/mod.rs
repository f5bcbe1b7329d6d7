//! Zones and conduits: place every asset in a zone and every conversation in a conduit, and
//! judge each zone crossing against the policy.
//!
//! * Placement: a zone listing one of the asset's own MACs wins; then the zones whose CIDR holds
//!   the address, the most specific first, preferring zones whose VLANs include the VLAN the
//!   asset's own MAC was seen on; addresses in no zone are `internet` (public, level 5) or
//!   `unzoned` (private).
//! * Conduits: conversations folded by (initiator zone, responder zone, transport, port). A
//!   refused or unanswered attempt that reached the responder's segment is still a crossing.
//! * Policy: declared `[[conduit]]`s are an authoritative allow-list when present (IEC 62443-3-2
//!   style); otherwise `model = "purdue"` allows a crossing only between adjacent levels in the
//!   order 0, 1, 2, 3, 3.5, 4, 5 (so L4 to L1/L2 must pass the L3.5 DMZ and the internet only
//!   reaches L4). Each verdict names the rule that decided it.

pub mod cidr;
pub mod config;
pub mod infer;

use crate::decode::Mac;
use crate::engine::is_group;
use crate::evidence::Evidence;
use crate::evidence::Frame;
use crate::flow::conv::Conversations;
use crate::inventory::is_private;
use crate::inventory::observation::Transport;
use crate::time::Timestamp;
use config::{DeclaredConduit, INTERNET, Model, ServiceSpec, UNZONED, ZonesConfig};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// Level of the `internet` pseudo-zone.
pub const INTERNET_LEVEL: f64 = 5.0;

/// Finding severities, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// Where an address was placed, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub zone: String,
    pub level: Option<f64>,
    /// `mac`, `cidr+vlan`, `cidr`, `internet`, `unzoned`.
    pub by: &'static str,
    /// The zone lists VLANs and the asset's own MAC was seen on another one.
    pub vlan_mismatch: bool,
}

/// Networks of one prefix length → the zones (indices) with a block of that network.
type Networks = HashMap<u128, Vec<usize>, ahash::RandomState>;

/// The operator's (or inferred) zones, ready for lookups. Indexed for placing addresses: every
/// asset and every conversation endpoint is placed, and inferred zones (one per subnet seen)
/// can number in the thousands, so a walk over all zones per address made this the slowest
/// step of a large report.
pub struct ZoneMap {
    cfg: ZonesConfig,
    /// Per (IPv4?, prefix length), longest first: network → zones (indices into `cfg.zones`,
    /// ascending) with a block of exactly that network.
    by_len: Vec<((bool, u8), Networks)>,
    /// Zones that list MACs (indices, in file order).
    with_macs: Vec<usize>,
    by_name: HashMap<String, usize, ahash::RandomState>,
}

impl ZoneMap {
    pub fn new(cfg: ZonesConfig) -> ZoneMap {
        let mut lens: BTreeMap<(bool, u8), Networks> = BTreeMap::new();
        let mut with_macs = Vec::new();
        let mut by_name = HashMap::default();
        for (i, z) in cfg.zones.iter().enumerate() {
            for c in &z.cidrs {
                let zs = lens
                    .entry((c.addr.is_ipv4(), c.len))
                    .or_default()
                    .entry(c.network_key().1)
                    .or_default();
                if zs.last() != Some(&i) {
                    zs.push(i);
                }
            }
            if !z.macs.is_empty() {
                with_macs.push(i);
            }
            by_name.entry(z.name.clone()).or_insert(i);
        }
        let mut by_len: Vec<_> = lens.into_iter().collect();
        by_len.sort_by_key(|((v4, len), _)| (*v4, std::cmp::Reverse(*len)));
        ZoneMap {
            cfg,
            by_len,
            with_macs,
            by_name,
        }
    }

    /// The configuration the map was built from (zones, conduits, policy).
    pub fn cfg(&self) -> &ZonesConfig {
        &self.cfg
    }

    pub fn level_of(&self, zone: &str) -> Option<f64> {
        if zone == INTERNET {
            return Some(INTERNET_LEVEL);
        }
        self.by_name
            .get(zone)
            .and_then(|&i| self.cfg.zones[i].level)
    }

    /// Place an address; `macs` are the asset's own MACs, `home_vlans` the VLANs they were seen
    /// on.
    pub fn place(&self, ip: IpAddr, macs: &[Mac], home_vlans: &[u16]) -> Placement {
        for &i in &self.with_macs {
            let z = &self.cfg.zones[i];
            if z.macs.iter().any(|m| macs.contains(m)) {
                return Placement {
                    zone: z.name.clone(),
                    level: z.level,
                    by: "mac",
                    vlan_mismatch: false,
                };
            }
        }
        // Ranking key: (VLAN mismatch, -prefix length, no VLAN constraint, file order).
        type Rank = (bool, i32, bool, usize);
        let mut best: Option<(Rank, &config::Zone)> = None;
        // Each zone with a block containing `ip`, with its longest such block (lengths are
        // visited longest first, so a zone's first hit is its longest).
        let mut hits: Vec<(usize, u8)> = Vec::new();
        for ((v4, len), nets) in &self.by_len {
            if *v4 != ip.is_ipv4() {
                continue;
            }
            if let Some(zs) = nets.get(&cidr::Cidr::key_of(ip, *len).1) {
                for &i in zs {
                    if !hits.iter().any(|h| h.0 == i) {
                        hits.push((i, *len));
                    }
                }
            }
        }
        for (i, len) in hits {
            let z = &self.cfg.zones[i];
            let mismatch = !z.vlans.is_empty()
                && !home_vlans.is_empty()
                && !home_vlans.iter().any(|v| z.vlans.contains(v));
            let key = (mismatch, -(len as i32), z.vlans.is_empty(), i);
            if best.as_ref().is_none_or(|(k, _)| key < *k) {
                best = Some((key, z));
            }
        }
        if let Some(((mismatch, ..), z)) = best {
            let by = if !z.vlans.is_empty() && !mismatch && !home_vlans.is_empty() {
                "cidr+vlan"
            } else {
                "cidr"
            };
            return Placement {
                zone: z.name.clone(),
                level: z.level,
                by,
                vlan_mismatch: mismatch,
            };
        }
        if is_private(ip) || is_group(ip) {
            Placement {
                zone: UNZONED.into(),
                level: None,
                by: "unzoned",
                vlan_mismatch: false,
            }
        } else {
            Placement {
                zone: INTERNET.into(),
                level: Some(INTERNET_LEVEL),
                by: "internet",
                vlan_mismatch: false,
            }
        }
    }
}

/// Verdict on a zone crossing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Violation,
    /// One side is in no zone (a private address the zones file does not cover).
    Unzoned,
    /// A zone has no level and no conduit is declared: the policy cannot judge.
    Unrated,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub rule: String,
    pub severity: Option<Severity>,
    /// The declared conduit that allowed it (index into `cfg.conduits`).
    pub conduit: Option<usize>,
}

const ORDER: [f64; 7] = [0.0, 1.0, 2.0, 3.0, 3.5, 4.0, 5.0];

fn idx(l: f64) -> usize {
    ORDER.iter().position(|&x| x == l).unwrap_or(0)
}

fn lname(l: f64) -> String {
    if l == INTERNET_LEVEL {
        "internet (L5)".into()
    } else {
        format!("L{l}")
    }
}

/// Severity of a crossing between levels, rising the deeper it reaches: anything reaching L0/L1
/// from L3 or above, or the internet reaching L2 or below, is critical.
pub fn crossing_severity(src: Option<f64>, dst: Option<f64>) -> Severity {
    let (Some(s), Some(d)) = (src, dst) else {
        return Severity::Medium;
    };
    if (d <= 1.0 && s >= 3.0)
        || (s == INTERNET_LEVEL && d <= 2.0)
        || (d == INTERNET_LEVEL && s <= 1.0)
    {
        Severity::Critical
    } else if (s == INTERNET_LEVEL && d < 4.0)
        || (d == INTERNET_LEVEL && s <= 3.0)
        || (d <= 2.0 && s >= 3.5)
        || (d <= 1.0 && s >= 2.0 && idx(s) - idx(d) > 1)
    {
        Severity::High
    } else {
        Severity::Medium
    }
}

/// Protocol names an operator may write in `services`, mapped to otscope's names.
fn canonical(p: &str) -> &str {
    match p {
        "s7" | "iso-tsap" | "iso_tsap" => "s7comm",
        "s7plus" | "s7comm-plus" | "s7commplus" => "s7comm_plus",
        "cip" | "ethernet/ip" | "ethernetip" | "ethernet_ip" => "enip",
        "opc-ua" | "opc_ua" | "opc.tcp" => "opcua",
        "modbus/tcp" | "modbus_tcp" | "modbustcp" | "mbtcp" => "modbus",
        "https" | "ssl" => "tls",
        "rfb" => "vnc",
        other => other,
    }
}

fn service_matches(
    spec: &ServiceSpec,
    transport: Transport,
    port: u16,
    protos: &BTreeSet<String>,
) -> bool {
    match spec {
        ServiceSpec::Proto(p) => protos.iter().any(|x| canonical(x) == canonical(p)),
        ServiceSpec::Port {
            transport: t,
            port: p,
        } => t == transport.name() && *p == port,
        ServiceSpec::AnyPort { transport: t } => t == transport.name(),
    }
}

fn conduit_allows(
    c: &DeclaredConduit,
    src: &str,
    dst: &str,
    transport: Transport,
    port: u16,
    protos: &BTreeSet<String>,
) -> bool {
    let dir = (c.from == src && c.to == dst) || (c.bidirectional && c.from == dst && c.to == src);
    dir && (c.services.is_empty()
        || c.services
            .iter()
            .any(|s| service_matches(s, transport, port, protos)))
}

/// Judge one crossing (`src` initiated to `dst`).
pub fn judge(
    cfg: &ZonesConfig,
    src: &Placement,
    dst: &Placement,
    transport: Transport,
    port: u16,
    protos: &BTreeSet<String>,
) -> Judgement {
    let sev = crossing_severity(src.level, dst.level);
    if !cfg.conduits.is_empty() {
        if let Some(i) = cfg
            .conduits
            .iter()
            .position(|c| conduit_allows(c, &src.zone, &dst.zone, transport, port, protos))
        {
            let c = &cfg.conduits[i];
            return Judgement {
                verdict: Verdict::Allowed,
                rule: format!("declared conduit {} -> {}", c.from, c.to),
                severity: None,
                conduit: Some(i),
            };
        }
        let any_dir = cfg
            .conduits
            .iter()
            .any(|c| c.from == src.zone && c.to == dst.zone);
        let rule = if any_dir {
            format!(
                "conduit {} -> {} is declared but does not list {}/{}",
                src.zone,
                dst.zone,
                transport.name(),
                port
            )
        } else {
            format!("no declared conduit from {} to {}", src.zone, dst.zone)
        };
        return Judgement {
            verdict: Verdict::Violation,
            rule,
            severity: Some(sev),
            conduit: None,
        };
    }
    if src.zone == UNZONED || dst.zone == UNZONED {
        return Judgement {
            verdict: Verdict::Unzoned,
            rule: "an endpoint is in no declared zone".into(),
            severity: Some(Severity::Low),
            conduit: None,
        };
    }
    if cfg.model == Model::None {
        return Judgement {
            verdict: Verdict::Violation,
            rule: "model \"none\": only declared conduits are allowed, and none is declared".into(),
            severity: Some(sev),
            conduit: None,
        };
    }
    let (Some(s), Some(d)) = (src.level, dst.level) else {
        return Judgement {
            verdict: Verdict::Unrated,
            rule: "a zone has no Purdue level".into(),
            severity: None,
            conduit: None,
        };
    };
    let (is, id) = (idx(s), idx(d));
    if is.abs_diff(id) == 1 {
        return Judgement {
            verdict: Verdict::Allowed,
            rule: format!("adjacent levels {} -> {}", lname(s), lname(d)),
            severity: None,
            conduit: None,
        };
    }
    let rule = if is == id {
        format!(
            "crossing between two zones of the same level {} (peer zones must not talk directly)",
            lname(s)
        )
    } else {
        let (lo, hi) = (is.min(id), is.max(id));
        let skipped: Vec<String> = ORDER[lo + 1..hi].iter().map(|&l| lname(l)).collect();
        let mut r = format!(
            "{} -> {} skips level(s) {}",
            lname(s),
            lname(d),
            skipped.join(", ")
        );
        if (s >= 4.0 && d <= 2.0) || (d >= 4.0 && s <= 2.0) {
            r.push_str(" (enterprise/internet <-> control/cell must pass through the L3.5 DMZ)");
        }
        r
    };
    Judgement {
        verdict: Verdict::Violation,
        rule,
        severity: Some(sev),
        conduit: None,
    }
}

/// A zone in the report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ZoneOut {
    pub name: String,
    pub level: Option<f64>,
    pub cidrs: Vec<String>,
    pub vlans: Vec<u16>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub macs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// IPs of the assets placed in this zone.
    pub assets: Vec<String>,
}

/// A conduit: every crossing of one (initiator zone, responder zone, transport, port).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Conduit {
    pub src_zone: String,
    pub dst_zone: String,
    pub src_level: Option<f64>,
    pub dst_level: Option<f64>,
    pub transport: String,
    pub port: u16,
    /// Protocol recognised from content (the most frequent), else what the port usually carries.
    pub protocol: Option<String>,
    /// Whether `protocol` was recognised from content (false: a port guess).
    pub protocol_from_content: bool,
    pub protocols: Vec<String>,
    pub flows: u64,
    pub completed: u64,
    pub refused: u64,
    pub unanswered: u64,
    /// Flows where the responder answered (TCP established, or a UDP reply).
    pub answered: u64,
    pub packets: u64,
    pub bytes: u64,
    pub initiators: Vec<String>,
    pub responders: Vec<String>,
    pub first_ts: String,
    pub last_ts: String,
    pub verdict: Verdict,
    pub rule: String,
    pub severity: Option<Severity>,
    pub evidence: Vec<Frame>,
    /// Sensors (sites) that saw this, in a merged report (`otscope merge`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sensors: Vec<String>,
}

/// Traffic between two zones (all ports), for the zone matrix.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MatrixCell {
    pub src_zone: String,
    pub dst_zone: String,
    pub conduits: u64,
    pub flows: u64,
    pub violations: u64,
    /// Worst verdict in the cell: violation > unzoned > unrated > allowed; `intra_zone` on the
    /// diagonal.
    pub verdict: String,
}

/// A declared conduit no traffic used (least functionality: remove it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnusedConduit {
    pub from: String,
    pub to: String,
    pub services: Vec<String>,
}

/// Zones, conduits and the matrix, for the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Segmentation {
    pub policy_model: String,
    pub zones_inferred: bool,
    pub zones: Vec<ZoneOut>,
    pub conduits: Vec<Conduit>,
    pub matrix: Vec<MatrixCell>,
    pub unused_conduits: Vec<UnusedConduit>,
}

#[derive(Default)]
struct Agg {
    flows: u64,
    completed: u64,
    refused: u64,
    unanswered: u64,
    answered: u64,
    packets: u64,
    bytes: u64,
    initiators: BTreeSet<IpAddr>,
    responders: BTreeSet<IpAddr>,
    protos: BTreeMap<&'static str, u64>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    evidence: Evidence,
}

/// Build conduits from conversations. `place` gives the placement of any address.
pub fn conduits(
    map: &ZoneMap,
    convs: &Conversations,
    place: &dyn Fn(IpAddr) -> Placement,
    cap: usize,
) -> (Vec<Conduit>, Vec<MatrixCell>, Vec<UnusedConduit>) {
    let mut aggs: BTreeMap<(String, String, Transport, u16), Agg> = BTreeMap::new();
    let mut diag: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (k, c) in &convs.map {
        // Link-local multicast and limited broadcast never cross a router.
        let limited = match k.server {
            IpAddr::V4(v) => v.is_broadcast() || v.is_multicast(),
            IpAddr::V6(v) => v.is_multicast(),
        };
        if limited || k.client.is_unspecified() {
            continue;
        }
        let (s, d) = (place(k.client), place(k.server));
        if s.zone == d.zone {
            let e = diag.entry(s.zone.clone()).or_default();
            e.0 += 1;
            e.1 += c.flows;
            continue;
        }
        let a = aggs
            .entry((s.zone.clone(), d.zone.clone(), k.transport, k.port))
            .or_default();
        a.flows += c.flows;
        a.completed += c.completed;
        a.refused += c.refused;
        a.unanswered += c.unanswered;
        a.answered += c.answered;
        a.packets += c.pkts[0] + c.pkts[1];
        a.bytes += c.bytes[0] + c.bytes[1];
        a.initiators.insert(k.client);
        a.responders.insert(k.server);
        if !k.proto.is_empty() {
            *a.protos.entry(k.proto).or_default() += c.flows;
        }
        a.first = Some(a.first.map_or(c.first_ts, |t| t.min(c.first_ts)));
        a.last = Some(a.last.map_or(c.last_ts, |t| t.max(c.last_ts)));
        a.evidence.merge(&c.evidence, cap);
    }
    let mut used = vec![false; map.cfg().conduits.len()];
    let mut out = Vec::new();
    let mut cells: BTreeMap<(String, String), (u64, u64, u64, Verdict)> = BTreeMap::new();
    for ((sz, dz, transport, port), a) in aggs {
        let protos: BTreeSet<String> = a.protos.keys().map(|p| p.to_string()).collect();
        let guess = crate::dissect::ports::guess(transport, port).map(str::to_string);
        let mut judge_protos = protos.clone();
        if judge_protos.is_empty() {
            judge_protos.extend(guess.clone());
        }
        let src = Placement {
            zone: sz.clone(),
            level: map.level_of(&sz),
            by: "",
            vlan_mismatch: false,
        };
        let dst = Placement {
            zone: dz.clone(),
            level: map.level_of(&dz),
            by: "",
            vlan_mismatch: false,
        };
        let j = judge(map.cfg(), &src, &dst, transport, port, &judge_protos);
        if let Some(i) = j.conduit {
            used[i] = true;
        }
        let top = a
            .protos
            .iter()
            .max_by_key(|(p, n)| (**n, std::cmp::Reverse(**p)))
            .map(|(p, _)| p.to_string());
        let cell = cells
            .entry((sz.clone(), dz.clone()))
            .or_insert((0, 0, 0, Verdict::Allowed));
        cell.0 += 1;
        cell.1 += a.flows;
        if j.verdict == Verdict::Violation {
            cell.2 += 1;
        }
        let rank = |v: Verdict| match v {
            Verdict::Violation => 3,
            Verdict::Unzoned => 2,
            Verdict::Unrated => 1,
            Verdict::Allowed => 0,
        };
        if rank(j.verdict) > rank(cell.3) {
            cell.3 = j.verdict;
        }
        out.push(Conduit {
            src_level: src.level,
            dst_level: dst.level,
            src_zone: sz,
            dst_zone: dz,
            transport: transport.name().into(),
            port,
            protocol_from_content: top.is_some(),
            protocol: top.or(guess),
            protocols: protos.into_iter().collect(),
            flows: a.flows,
            completed: a.completed,
            refused: a.refused,
            unanswered: a.unanswered,
            answered: a.answered,
            packets: a.packets,
            bytes: a.bytes,
            initiators: a.initiators.iter().map(|i| i.to_string()).collect(),
            responders: a.responders.iter().map(|i| i.to_string()).collect(),
            first_ts: a.first.unwrap_or_default().to_string(),
            last_ts: a.last.unwrap_or_default().to_string(),
            verdict: j.verdict,
            rule: j.rule,
            severity: j.severity,
            evidence: a.evidence.frames.iter().map(|&e| e.into()).collect(),
            sensors: Vec::new(),
        });
    }
    let mut matrix: Vec<MatrixCell> = cells
        .into_iter()
        .map(|((s, d), (n, f, v, worst))| MatrixCell {
            src_zone: s,
            dst_zone: d,
            conduits: n,
            flows: f,
            violations: v,
            verdict: format!("{worst:?}").to_lowercase(),
        })
        .collect();
    for (z, (n, f)) in diag {
        matrix.push(MatrixCell {
            src_zone: z.clone(),
            dst_zone: z,
            conduits: n,
            flows: f,
            violations: 0,
            verdict: "intra_zone".into(),
        });
    }
    matrix.sort_by(|a, b| (&a.src_zone, &a.dst_zone).cmp(&(&b.src_zone, &b.dst_zone)));
    let unused = map
        .cfg
        .conduits
        .iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(c, _)| UnusedConduit {
            from: c.from.clone(),
            to: c.to.clone(),
            services: c.services.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    (out, matrix, unused)
}

#[cfg(test)]
mod tests;

/// Place the assets in zones (setting `zone` and `level`) and build the segmentation view.
pub fn segment(
    map: &ZoneMap,
    assets: &mut [crate::inventory::model::Asset],
    convs: &Conversations,
    cap: usize,
) -> Segmentation {
    let mut placed: BTreeMap<IpAddr, Placement> = BTreeMap::new();
    for a in assets.iter_mut() {
        let Ok(ip) = a.ip.parse::<IpAddr>() else {
            continue;
        };
        let macs: Vec<Mac> = a.macs.iter().filter_map(|m| config::parse_mac(m)).collect();
        let p = map.place(ip, &macs, &a.vlans);
        a.zone = Some(p.zone.clone());
        a.level = p.level;
        if p.vlan_mismatch {
            a.notes.push(format!(
                "seen on VLAN(s) {:?}, which zone {} does not list",
                a.vlans, p.zone
            ));
        }
        placed.insert(ip, p);
    }
    let place = |ip: IpAddr| {
        placed
            .get(&ip)
            .cloned()
            .unwrap_or_else(|| map.place(ip, &[], &[]))
    };
    let (conduits, matrix, unused) = conduits(map, convs, &place, cap);
    let mut zones: Vec<ZoneOut> = map
        .cfg
        .zones
        .iter()
        .map(|z| ZoneOut {
            name: z.name.clone(),
            level: z.level,
            cidrs: z.cidrs.iter().map(|c| c.to_string()).collect(),
            vlans: z.vlans.clone(),
            macs: z.macs.iter().map(|m| m.to_string()).collect(),
            description: z.description.clone(),
            assets: Vec::new(),
        })
        .collect();
    for pseudo in [INTERNET, UNZONED] {
        if placed.values().any(|p| p.zone == pseudo) {
            zones.push(ZoneOut {
                name: pseudo.into(),
                level: (pseudo == INTERNET).then_some(INTERNET_LEVEL),
                cidrs: Vec::new(),
                vlans: Vec::new(),
                macs: Vec::new(),
                description: Some(if pseudo == INTERNET {
                    "public addresses in no zone".into()
                } else {
                    "private addresses in no zone".into()
                }),
                assets: Vec::new(),
            });
        }
    }
    // `zones` is the configured zones in order, then the pseudo zones: the map's name index
    // finds the first zone of a name (thousands of inferred zones times thousands of assets
    // made a scan per asset the largest cost of this function).
    let configured = map.cfg.zones.len();
    for (ip, p) in &placed {
        let i = map.by_name.get(&p.zone).copied().or_else(|| {
            let pseudo = zones[configured..].iter().position(|z| z.name == p.zone);
            pseudo.map(|k| configured + k)
        });
        if let Some(i) = i {
            zones[i].assets.push(ip.to_string());
        }
    }
    Segmentation {
        policy_model: match map.cfg().model {
            Model::Purdue => "purdue".into(),
            Model::None => "none".into(),
        },
        zones_inferred: map.cfg().inferred,
        zones,
        conduits,
        matrix,
        unused_conduits: unused,
    }
}
