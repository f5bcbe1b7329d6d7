//! `zones.toml`: the operator's zones, Purdue levels and declared conduits.
//!
//! ```toml
//! [policy]
//! model = "purdue"            # Purdue adjacency rules; "none" = declared conduits only
//!
//! [[zone]]
//! name = "cell"
//! level = 1                   # 0, 1, 2, 3, 3.5, 4, 5 (optional)
//! cidrs = ["192.168.20.0/24"]
//! vlans = [20]                # optional
//! macs = ["00:00:54:85:20:5a"] # optional: hosts without a stable IP
//! description = "Cell/area LAN: PLCs"
//!
//! [[conduit]]                 # optional allow-list; when any is declared it is authoritative
//! from = "site-ops"
//! to = "control"
//! services = ["opcua", "s7comm", "tcp/502", "udp/161"]
//! ```
//!
//! A file is read whole or not at all: any error (syntax, unknown key, bad CIDR, overlapping
//! zones, unknown zone in a conduit) names the file, line and key, and nothing is analysed with
//! a half-read policy.

use super::cidr::Cidr;
use crate::decode::Mac;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;
use toml::Spanned;

/// Names that designate pseudo-zones and cannot be declared.
pub const INTERNET: &str = "internet";
pub const UNZONED: &str = "unzoned";

/// Valid Purdue levels.
pub const LEVELS: [f64; 7] = [0.0, 1.0, 2.0, 3.0, 3.5, 4.0, 5.0];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Purdue,
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub name: String,
    pub level: Option<f64>,
    pub cidrs: Vec<Cidr>,
    pub vlans: Vec<u16>,
    pub macs: Vec<Mac>,
    pub description: Option<String>,
}

/// One entry of a conduit's `services`: a protocol name, or transport/port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceSpec {
    Proto(String),
    Port {
        transport: String,
        port: u16,
    },
    /// `tcp/*`, `udp/*`
    AnyPort {
        transport: String,
    },
}

impl std::fmt::Display for ServiceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceSpec::Proto(p) => write!(f, "{p}"),
            ServiceSpec::Port { transport, port } => write!(f, "{transport}/{port}"),
            ServiceSpec::AnyPort { transport } => write!(f, "{transport}/*"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredConduit {
    pub from: String,
    pub to: String,
    /// Empty: any service.
    pub services: Vec<ServiceSpec>,
    /// Also allow `to` -> `from` with the same services.
    pub bidirectional: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ZonesConfig {
    pub model: Model,
    pub zones: Vec<Zone>,
    pub conduits: Vec<DeclaredConduit>,
    /// Zones were inferred from the traffic, not read from a file.
    pub inferred: bool,
}

/// A zones file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonesError {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ZonesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.file, self.line, self.key, self.message
            )
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    policy: Option<Spanned<RawPolicy>>,
    #[serde(default)]
    zone: Vec<Spanned<RawZone>>,
    #[serde(default)]
    conduit: Vec<Spanned<RawConduit>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    model: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    name: Spanned<String>,
    level: Option<Spanned<f64>>,
    #[serde(default)]
    cidrs: Vec<Spanned<String>>,
    #[serde(default)]
    vlans: Vec<Spanned<i64>>,
    #[serde(default)]
    macs: Vec<Spanned<String>>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConduit {
    from: Spanned<String>,
    to: Spanned<String>,
    #[serde(default)]
    services: Vec<Spanned<String>>,
    #[serde(default)]
    bidirectional: bool,
    description: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub fn parse_mac(s: &str) -> Option<Mac> {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut m = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        if p.len() != 2 {
            return None;
        }
        m[i] = u8::from_str_radix(p, 16).ok()?;
    }
    Some(Mac(m))
}

fn parse_service(s: &str) -> Result<ServiceSpec, String> {
    let s = s.trim().to_ascii_lowercase();
    if let Some((t, p)) = s.split_once('/') {
        if !matches!(t, "tcp" | "udp") {
            return Err(format!("{s:?}: transport must be tcp or udp"));
        }
        if p == "*" {
            return Ok(ServiceSpec::AnyPort {
                transport: t.to_string(),
            });
        }
        let port = p
            .parse::<u16>()
            .map_err(|_| format!("{s:?}: port must be 0-65535 or *"))?;
        return Ok(ServiceSpec::Port {
            transport: t.to_string(),
            port,
        });
    }
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(format!(
            "{s:?} is neither a protocol name nor transport/port"
        ));
    }
    Ok(ServiceSpec::Proto(s))
}

impl ZonesConfig {
    pub fn load(path: &Path) -> Result<ZonesConfig, ZonesError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ZonesError {
            file: file.clone(),
            line: 0,
            key: String::new(),
            message: e.to_string(),
        })?;
        ZonesConfig::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<ZonesConfig, ZonesError> {
        let err = |span: std::ops::Range<usize>, key: &str, message: String| ZonesError {
            file: file.to_string(),
            line: line_of(text, span.start),
            key: key.to_string(),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            ZonesError {
                file: file.to_string(),
                line,
                key: String::new(),
                message: e.message().trim().to_string(),
            }
        })?;
        let model = match raw.policy.as_ref().and_then(|p| p.get_ref().model.as_ref()) {
            None => Model::Purdue,
            Some(m) => match m.get_ref().as_str() {
                "purdue" => Model::Purdue,
                "none" => Model::None,
                other => {
                    return Err(err(
                        m.span(),
                        "policy.model",
                        format!("{other:?}: expected \"purdue\" or \"none\""),
                    ));
                }
            },
        };
        let mut zones: Vec<Zone> = Vec::new();
        let mut spans = Vec::new();
        for z in &raw.zone {
            let r = z.get_ref();
            let name = r.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(err(r.name.span(), "zone.name", "must not be empty".into()));
            }
            if name == INTERNET || name == UNZONED {
                return Err(err(
                    r.name.span(),
                    "zone.name",
                    format!("{name:?} is reserved for the pseudo-zone of addresses in no zone"),
                ));
            }
            if zones.iter().any(|x| x.name == name) {
                return Err(err(
                    r.name.span(),
                    "zone.name",
                    format!("zone {name:?} is declared twice"),
                ));
            }
            let level = match &r.level {
                None => None,
                Some(l) => {
                    let v = *l.get_ref();
                    if !LEVELS.contains(&v) {
                        return Err(err(
                            l.span(),
                            "zone.level",
                            format!("{v} is not a Purdue level (0, 1, 2, 3, 3.5, 4, 5)"),
                        ));
                    }
                    Some(v)
                }
            };
            let mut cidrs = Vec::new();
            for c in &r.cidrs {
                cidrs.push(
                    c.get_ref()
                        .parse::<Cidr>()
                        .map_err(|m| err(c.span(), "zone.cidrs", m))?,
                );
            }
            let mut vlans = Vec::new();
            for v in &r.vlans {
                let n = *v.get_ref();
                if !(1..=4094).contains(&n) {
                    return Err(err(
                        v.span(),
                        "zone.vlans",
                        format!("{n} is not a VLAN id (1-4094)"),
                    ));
                }
                vlans.push(n as u16);
            }
            let mut macs = Vec::new();
            for m in &r.macs {
                macs.push(parse_mac(m.get_ref()).ok_or_else(|| {
                    err(
                        m.span(),
                        "zone.macs",
                        format!("{:?} is not a MAC address", m.get_ref()),
                    )
                })?);
            }
            if cidrs.is_empty() && macs.is_empty() {
                return Err(err(
                    z.span(),
                    "zone",
                    format!("zone {name:?} has neither cidrs nor macs"),
                ));
            }
            zones.push(Zone {
                name,
                level,
                cidrs,
                vlans,
                macs,
                description: r.description.clone(),
            });
            spans.push(z.span());
        }
        // Overlaps: the same block in two zones is ambiguous unless VLANs tell them apart.
        // A block nested inside another is fine: the more specific one wins.
        for i in 0..zones.len() {
            for j in 0..i {
                let (a, b) = (&zones[i], &zones[j]);
                let vlans_disjoint = !a.vlans.is_empty()
                    && !b.vlans.is_empty()
                    && a.vlans.iter().all(|v| !b.vlans.contains(v));
                for ca in &a.cidrs {
                    for cb in &b.cidrs {
                        if ca == cb && !vlans_disjoint {
                            return Err(err(
                                spans[i].clone(),
                                "zone.cidrs",
                                format!(
                                    "zone {:?} and zone {:?} both claim {ca}: give them distinct VLANs or distinct blocks",
                                    a.name, b.name
                                ),
                            ));
                        }
                    }
                }
                for m in &a.macs {
                    if b.macs.contains(m) {
                        return Err(err(
                            spans[i].clone(),
                            "zone.macs",
                            format!("MAC {m} is in zone {:?} and zone {:?}", a.name, b.name),
                        ));
                    }
                }
            }
        }
        let known: BTreeSet<&str> = zones
            .iter()
            .map(|z| z.name.as_str())
            .chain([INTERNET, UNZONED])
            .collect();
        let mut conduits = Vec::new();
        for c in &raw.conduit {
            let r = c.get_ref();
            for (k, v) in [("conduit.from", &r.from), ("conduit.to", &r.to)] {
                if !known.contains(v.get_ref().as_str()) {
                    return Err(err(v.span(), k, format!("unknown zone {:?}", v.get_ref())));
                }
            }
            let mut services = Vec::new();
            for s in &r.services {
                services.push(
                    parse_service(s.get_ref()).map_err(|m| err(s.span(), "conduit.services", m))?,
                );
            }
            conduits.push(DeclaredConduit {
                from: r.from.get_ref().clone(),
                to: r.to.get_ref().clone(),
                services,
                bidirectional: r.bidirectional,
                description: r.description.clone(),
            });
        }
        Ok(ZonesConfig {
            model,
            zones,
            conduits,
            inferred: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLANT: &str = r#"
[policy]
model = "purdue"

[[zone]]
name = "site-ops"
level = 3
cidrs = ["172.16.30.0/25"]

[[zone]]
name = "cell"
level = 1
cidrs = ["192.168.20.0/24"]
vlans = [20]

[[conduit]]
from = "site-ops"
to = "cell"
services = ["s7comm", "tcp/502", "udp/*"]
"#;

    #[test]
    fn parses_the_documented_format() {
        let z = ZonesConfig::parse("zones.toml", PLANT).unwrap();
        assert_eq!(z.model, Model::Purdue);
        assert_eq!(z.zones.len(), 2);
        assert_eq!(z.zones[1].vlans, vec![20]);
        assert_eq!(z.zones[0].level, Some(3.0));
        assert_eq!(
            z.conduits[0].services,
            vec![
                ServiceSpec::Proto("s7comm".into()),
                ServiceSpec::Port {
                    transport: "tcp".into(),
                    port: 502
                },
                ServiceSpec::AnyPort {
                    transport: "udp".into()
                }
            ]
        );
    }

    fn error(text: &str) -> ZonesError {
        ZonesConfig::parse("z.toml", text).unwrap_err()
    }

    #[test]
    fn bad_cidr_names_line_and_key() {
        let e = error("[[zone]]\nname = \"a\"\ncidrs = [\"10.0.0.0/33\"]\n");
        assert_eq!((e.line, e.key.as_str()), (3, "zone.cidrs"));
        assert!(e.to_string().starts_with("z.toml:3: zone.cidrs:"), "{e}");
        let e = error("[[zone]]\nname = \"a\"\ncidrs = [\"10.0.0.1/8\"]\n");
        assert!(e.message.contains("host bits"));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = error("[[zone]]\nname = \"a\"\ncidr = [\"10.0.0.0/8\"]\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e = error("[policy]\nmodel = \"purdue\"\nstrict = true\n");
        assert!(e.message.contains("unknown field"));
        let e = error("[policy]\nmodel = \"iec\"\n");
        assert_eq!(e.key, "policy.model");
    }

    #[test]
    fn overlapping_zones_are_errors_unless_vlans_or_nesting_disambiguate() {
        let e = error(
            "[[zone]]\nname = \"a\"\ncidrs = [\"10.0.0.0/24\"]\n[[zone]]\nname = \"b\"\ncidrs = [\"10.0.0.0/24\"]\n",
        );
        assert!(
            e.message.contains("both claim 10.0.0.0/24"),
            "{}",
            e.message
        );
        assert_eq!(e.line, 4);
        // distinct VLANs: fine
        ZonesConfig::parse("z", "[[zone]]\nname = \"a\"\ncidrs = [\"10.0.0.0/24\"]\nvlans = [10]\n[[zone]]\nname = \"b\"\ncidrs = [\"10.0.0.0/24\"]\nvlans = [20]\n").unwrap();
        // nested: fine (more specific wins at match time)
        ZonesConfig::parse("z", "[[zone]]\nname = \"a\"\ncidrs = [\"10.0.0.0/16\"]\n[[zone]]\nname = \"b\"\ncidrs = [\"10.0.1.0/24\"]\n").unwrap();
    }

    #[test]
    fn unknown_zone_in_conduit_and_other_errors() {
        let e = error(
            "[[zone]]\nname = \"a\"\ncidrs = [\"10.0.0.0/8\"]\n[[conduit]]\nfrom = \"a\"\nto = \"b\"\n",
        );
        assert_eq!((e.line, e.key.as_str()), (6, "conduit.to"));
        assert!(e.message.contains("unknown zone \"b\""));
        let e = error("[[zone]]\nname = \"a\"\nlevel = 2.5\ncidrs = [\"10.0.0.0/8\"]\n");
        assert_eq!(e.key, "zone.level");
        let e = error("[[zone]]\nname = \"internet\"\ncidrs = [\"0.0.0.0/0\"]\n");
        assert!(e.message.contains("reserved"));
        let e = error("[[zone]]\nname = \"a\"\ncidrs = [\"10.0.0.0/8\"]\nvlans = [5000]\n");
        assert_eq!(e.key, "zone.vlans");
        let e = error("[[zone]]\nname = \"a\"\n");
        assert!(e.message.contains("neither cidrs nor macs"));
        let e = error(
            "[[zone]]\nname = \"a\"\ncidrs = [\"10.0.0.0/8\"]\n[[conduit]]\nfrom = \"a\"\nto = \"internet\"\nservices = [\"tcp/99999\"]\n",
        );
        assert_eq!(e.key, "conduit.services");
        let e = error("this is = not toml [");
        assert_eq!(e.line, 1);
    }
}
