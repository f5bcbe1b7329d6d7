//! Identity fusion: every claim about an asset (from its IP and from its own MACs) is kept in
//! `provenance`; each normalised field takes the value of the most trusted source; sources that
//! disagree are listed as conflicts (an OUI saying Moxa under a CIP identity saying Rockwell is
//! what a protocol gateway looks like).

use crate::inventory::model::{Identity, Provenance};
use std::collections::BTreeMap;

/// Normalised identity fields, in report order.
pub const FIELDS: [&str; 12] = [
    "vendor",
    "product",
    "model",
    "firmware",
    "hardware_version",
    "serial",
    "order_number",
    "name",
    "hostname",
    "device_type",
    "application_uri",
    "product_uri",
];

/// A vendor name without its legal-form suffixes, in a readable case:
/// `Dell Inc.` -> `Dell`, `ADVANTECH CO., LTD.` -> `Advantech`, `Siemens AG` -> `Siemens`.
pub fn normalize_vendor(v: &str) -> String {
    const SUFFIXES: [&str; 28] = [
        "inc",
        "inc.",
        "incorporated",
        "co",
        "co.",
        "corp",
        "corp.",
        "corporation",
        "company",
        "ltd",
        "ltd.",
        "limited",
        "llc",
        "l.l.c.",
        "gmbh",
        "ag",
        "se",
        "s.a.",
        "sa",
        "s.p.a.",
        "spa",
        "b.v.",
        "bv",
        "oy",
        "ab",
        "a/s",
        "kg",
        "plc",
    ];
    let mut words: Vec<&str> = v.split_whitespace().collect();
    while let Some(last) = words.last() {
        let l = last.trim_end_matches(',').to_ascii_lowercase();
        if !(SUFFIXES.contains(&l.as_str()) || l == "&" || l.is_empty()) {
            break;
        }
        words.pop();
    }
    let s = words.join(" ");
    let s = s.trim_end_matches([',', '.', ' ']).to_string();
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 3 && letters.iter().all(|c| c.is_uppercase()) {
        // ALL CAPS registry entries read better in title case.
        s.split(' ')
            .map(|w| {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f
                        .to_uppercase()
                        .chain(c.flat_map(|x| x.to_lowercase()))
                        .collect(),
                    None => String::new(),
                }
            })
            .collect::<Vec<String>>()
            .join(" ")
    } else {
        s
    }
}

/// Letters and digits only, lower case: what two spellings of a name share.
fn key(v: &str) -> String {
    if v.is_ascii() {
        // The same result as `key_unicode` for ASCII, without a char iterator per byte.
        return v
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    key_unicode(v)
}

fn key_unicode(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Two values that name the same thing (case, punctuation, one containing the other, or the
/// same first word for vendors).
fn same(field: &str, a: &str, b: &str) -> bool {
    let (ka, kb) = (key(a), key(b));
    if ka == kb || ka.contains(&kb) || kb.contains(&ka) {
        return true;
    }
    if field == "vendor" {
        let fa = a.split([' ', '/', ',']).next().unwrap_or("").to_lowercase();
        let fb = b.split([' ', '/', ',']).next().unwrap_or("").to_lowercase();
        return !fa.is_empty() && fa == fb;
    }
    false
}

/// Fuse claims into an identity; `canon` gives the canonical spelling of a vendor name.
pub fn fuse(mut provenance: Vec<Provenance>, canon: &dyn Fn(&str) -> String) -> Identity {
    provenance.sort_by(|a, b| {
        (
            &a.field,
            std::cmp::Reverse(a.confidence),
            &a.source,
            &a.value,
        )
            .cmp(&(
                &b.field,
                std::cmp::Reverse(b.confidence),
                &b.source,
                &b.value,
            ))
    });
    let mut best: BTreeMap<&str, &Provenance> = BTreeMap::new();
    for p in &provenance {
        let cur = best.get(p.field.as_str());
        let better = match cur {
            None => true,
            Some(c) => (p.confidence, p.frames.len()) > (c.confidence, c.frames.len()),
        };
        if better {
            best.insert(p.field.as_str(), p);
        }
    }
    let mut id = Identity::default();
    let mut conflicts = Vec::new();
    for (field, p) in &best {
        let value = if *field == "vendor" {
            canon(&p.value)
        } else {
            p.value.clone()
        };
        // Conflicts: another trusted source says something else.
        for o in provenance.iter().filter(|o| {
            o.field == *field
                && o.confidence >= 30
                && !same(field, &o.value, &p.value)
                && !(*field == "vendor" && canon(&o.value) == canon(&p.value))
        }) {
            let c = format!(
                "{field}: {:?} ({}) vs {:?} ({})",
                p.value, p.source, o.value, o.source
            );
            if !conflicts.contains(&c) && conflicts.len() < 16 {
                conflicts.push(c);
            }
        }
        let slot = match *field {
            "vendor" => &mut id.vendor,
            "product" => &mut id.product,
            "model" => &mut id.model,
            "firmware" => &mut id.firmware,
            "hardware_version" => &mut id.hardware_version,
            "serial" => &mut id.serial,
            "order_number" => &mut id.order_number,
            "name" => &mut id.name,
            "hostname" => &mut id.hostname,
            "device_type" => &mut id.device_type,
            "application_uri" => &mut id.application_uri,
            "product_uri" => &mut id.product_uri,
            other => {
                id.attributes.insert(other.to_string(), value);
                continue;
            }
        };
        *slot = Some(value);
    }
    id.conflicts = conflicts;
    id.provenance = provenance;
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_the_same_on_the_ascii_path() {
        let slow = key_unicode;
        let mut all: String = (0u8..128).map(char::from).collect();
        all.push_str("Rockwell Automation/Allen-Bradley 1756-L81E/B FW 32.011");
        for v in [
            all.as_str(),
            "",
            "  ",
            "SIEMENS AG",
            "ABB_AC500-eCo v3.5",
            "Schneider\tElectric",
        ] {
            assert!(v.is_ascii());
            assert_eq!(key(v), slow(v), "{v:?}");
        }
        // Not ASCII: the Unicode path (a Turkish dotted capital I lowercases to two chars).
        assert_eq!(key("İnönü Élec"), slow("İnönü Élec"));
    }

    fn p(field: &str, value: &str, source: &str, confidence: u8) -> Provenance {
        Provenance {
            field: field.into(),
            value: value.into(),
            source: source.into(),
            confidence,
            frames: vec![],
            sensors: vec![],
        }
    }

    fn fuse_plain(p: Vec<Provenance>) -> Identity {
        fuse(p, &|v| normalize_vendor(v))
    }

    #[test]
    fn vendor_names() {
        assert_eq!(normalize_vendor("Dell Inc."), "Dell");
        assert_eq!(normalize_vendor("ADVANTECH CO., LTD."), "Advantech");
        assert_eq!(normalize_vendor("Siemens AG"), "Siemens");
        assert_eq!(normalize_vendor("Cisco Systems, Inc"), "Cisco Systems");
        assert_eq!(
            normalize_vendor("Beckhoff Automation GmbH"),
            "Beckhoff Automation"
        );
        assert_eq!(
            normalize_vendor("Rockwell Automation/Allen-Bradley"),
            "Rockwell Automation/Allen-Bradley"
        );
        assert_eq!(normalize_vendor("Hewlett Packard"), "Hewlett Packard");
    }

    #[test]
    fn best_source_wins_and_conflicts_are_kept() {
        let id = fuse_plain(vec![
            p("vendor", "Moxa Inc.", "oui", 30),
            p(
                "vendor",
                "Rockwell Automation/Allen-Bradley",
                "enip.list_identity",
                90,
            ),
            p("firmware", "34.11", "enip.list_identity", 90),
            p("enip.product_code", "166", "enip.list_identity", 90),
        ]);
        assert_eq!(
            id.vendor.as_deref(),
            Some("Rockwell Automation/Allen-Bradley")
        );
        assert_eq!(id.firmware.as_deref(), Some("34.11"));
        assert_eq!(
            id.attributes.get("enip.product_code").map(String::as_str),
            Some("166")
        );
        assert_eq!(id.conflicts.len(), 1, "{:?}", id.conflicts);
        assert!(id.conflicts[0].contains("Moxa"));
        assert_eq!(id.provenance.len(), 4);
    }

    #[test]
    fn agreeing_sources_are_not_conflicts() {
        let id = fuse_plain(vec![
            p("vendor", "Siemens AG", "oui", 30),
            p("vendor", "Siemens", "s7comm.szl_0x0011", 80),
        ]);
        assert_eq!(id.vendor.as_deref(), Some("Siemens"));
        assert!(id.conflicts.is_empty());
        let id = fuse_plain(vec![
            p("vendor", "Rockwell Automation", "oui", 30),
            p("vendor", "Rockwell Automation/Allen-Bradley", "enip", 90),
        ]);
        assert!(id.conflicts.is_empty());
    }
}
