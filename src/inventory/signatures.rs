//! Signature data (`signatures/`): plain files a user can read and extend, built into the binary
//! at compile time; `--signatures DIR` loads a directory on top (same file names; entries add to
//! or override the built-in ones). Every file is validated when loaded: an error names the file,
//! the line and what is wrong. The schema of each file is in `signatures/README.md`.

use crate::decode::Mac;
use std::collections::HashMap;
use std::path::Path;

/// A signature file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for SigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// MAC prefix → vendor (IEEE MA-L/MA-M/MA-S), with the ICS-vendor mark.
///
/// Loaded on every run (about 50,000 prefixes), so loading allocates nothing per line: the
/// vendor names live in one string and the map holds their spans.
#[derive(Debug, Default, Clone)]
pub struct OuiTable {
    /// Keyed by (prefix length in hex digits, prefix value): (start, length) of the vendor
    /// name in `names`, ICS mark.
    map: HashMap<(u8, u64), (u32, u32, bool), ahash::RandomState>,
    names: String,
}

impl OuiTable {
    /// Vendor of a MAC: the longest matching prefix (36, 28, then 24 bits). Locally
    /// administered addresses have no vendor.
    pub fn lookup(&self, mac: Mac) -> Option<(&str, bool)> {
        if mac.is_local() || mac.is_multicast() {
            return None;
        }
        let v = mac.0.iter().fold(0u64, |a, &b| (a << 8) | b as u64);
        for digits in [9u8, 7, 6] {
            let p = v >> (4 * (12 - digits as u64));
            if let Some(&(start, len, ics)) = self.map.get(&(digits, p)) {
                let name = &self.names[start as usize..(start + len) as usize];
                return Some((name, ics));
            }
        }
        None
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Load `prefix<TAB>vendor[<TAB>ics]` lines (header and `#` comments skipped).
    pub fn load(&mut self, file: &str, text: &str) -> Result<(), SigError> {
        self.map.reserve(text.len() / 32);
        for (i, line) in text.lines().enumerate() {
            let err = |m: String| SigError {
                file: file.to_string(),
                line: i + 1,
                message: m,
            };
            if line.starts_with('#') || line.trim().is_empty() || line.starts_with("prefix\t") {
                continue;
            }
            let mut cols = line.split('\t');
            let prefix = cols.next().unwrap_or("");
            let vendor = cols.next().map(str::trim).unwrap_or("");
            if vendor.is_empty() {
                return Err(err("expected `prefix<TAB>vendor[<TAB>ics]`".into()));
            }
            // Hex digits, with `:` or `-` between them allowed.
            let (mut v, mut digits, mut bad) = (0u64, 0u8, false);
            for c in prefix.trim().bytes() {
                match (c as char).to_digit(16) {
                    Some(d) if digits < 9 => {
                        v = v << 4 | d as u64;
                        digits += 1;
                    }
                    None if c == b':' || c == b'-' => {}
                    _ => bad = true,
                }
            }
            if bad || !matches!(digits, 6 | 7 | 9) {
                return Err(err(format!(
                    "prefix {prefix:?} must be 6, 7 or 9 hex digits"
                )));
            }
            let ics = match cols.next().map(|s| s.trim()) {
                None | Some("") | Some("0") => false,
                Some("1") => true,
                Some(o) => return Err(err(format!("ics column must be 0 or 1, not {o:?}"))),
            };
            let (Ok(start), Ok(len)) =
                (u32::try_from(self.names.len()), u32::try_from(vendor.len()))
            else {
                return Err(err("vendor names exceed 4 GiB".into()));
            };
            self.names.push_str(vendor);
            self.map.insert((digits, v), (start, len, ics));
        }
        Ok(())
    }
}

/// Rows of a tab-separated table: `#` comments, blank lines and the header (first non-comment
/// line) skipped; each row must have at least `min` non-empty leading columns.
fn rows<'a>(
    file: &str,
    text: &'a str,
    header: &str,
    min: usize,
) -> Result<Vec<(usize, Vec<&'a str>)>, SigError> {
    let mut out = Vec::new();
    let mut seen_header = false;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !seen_header {
            seen_header = true;
            if line.split('\t').next() == header.split('\t').next() {
                continue;
            }
            return Err(SigError {
                file: file.into(),
                line: i + 1,
                message: format!(
                    "expected the header line `{}`",
                    header.replace('\t', "<TAB>")
                ),
            });
        }
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cols.len() < min || cols[..min].iter().any(|c| c.is_empty()) {
            return Err(SigError {
                file: file.into(),
                line: i + 1,
                message: format!(
                    "expected {} tab-separated columns: {}",
                    header.split('\t').count(),
                    header.replace('\t', ", ")
                ),
            });
        }
        out.push((i + 1, cols));
    }
    Ok(out)
}

/// Numeric id -> name (CIP vendor ids, CIP device types).
#[derive(Debug, Default, Clone)]
pub struct IdTable(pub HashMap<u32, String>);

impl IdTable {
    fn load(&mut self, file: &str, text: &str, header: &str) -> Result<(), SigError> {
        for (line, c) in rows(file, text, header, 2)? {
            let id = c[0].parse::<u32>().map_err(|_| SigError {
                file: file.into(),
                line,
                message: format!("id {:?} is not a number", c[0]),
            })?;
            self.0.insert(id, c[1].to_string());
        }
        Ok(())
    }
    pub fn get(&self, id: u32) -> Option<&str> {
        self.0.get(&id).map(String::as_str)
    }
}

/// A pattern table: pattern -> values (S7 families, OPC UA product URIs, banners, vendor roles).
#[derive(Debug, Default, Clone)]
pub struct PatternTable {
    /// (lower-cased pattern, values)
    pub rows: Vec<(String, Vec<String>)>,
}

impl PatternTable {
    fn load(&mut self, file: &str, text: &str, header: &str, min: usize) -> Result<(), SigError> {
        let width = header.split('\t').count();
        for (_, c) in rows(file, text, header, min)? {
            let vals: Vec<String> = (1..width)
                .map(|i| c.get(i).copied().unwrap_or("").to_string())
                .collect();
            let pat = c[0].to_ascii_lowercase();
            self.rows.retain(|(p, _)| *p != pat);
            self.rows.push((pat, vals));
        }
        Ok(())
    }

    /// Rows whose pattern (with `?` matching any one character) starts `s` (prefix match),
    /// longest first.
    pub fn prefix(&self, s: &str) -> Vec<&[String]> {
        let s = s.to_ascii_lowercase();
        let mut m: Vec<(&String, &Vec<String>)> = self
            .rows
            .iter()
            .filter(|(p, _)| wild_prefix(p, &s))
            .map(|(p, v)| (p, v))
            .collect();
        m.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        m.into_iter().map(|(_, v)| v.as_slice()).collect()
    }

    /// Rows whose pattern occurs anywhere in `s`.
    pub fn contained(&self, s: &str) -> Vec<(&str, &[String])> {
        let s = s.to_ascii_lowercase();
        self.rows
            .iter()
            .filter(|(p, _)| s.contains(p.as_str()))
            .map(|(p, v)| (p.as_str(), v.as_slice()))
            .collect()
    }
}

fn wild_prefix(pat: &str, s: &str) -> bool {
    let (p, t) = (pat.as_bytes(), s.as_bytes());
    p.len() <= t.len() && p.iter().zip(t).all(|(a, b)| *a == b'?' || a == b)
}

/// All signature data.
#[derive(Debug, Default, Clone)]
pub struct Signatures {
    pub oui: OuiTable,
    pub cip_vendors: IdTable,
    pub cip_device_types: IdTable,
    /// pattern -> family
    pub s7_families: PatternTable,
    /// prefix -> vendor, product
    pub opcua_products: PatternTable,
    /// pattern -> vendor, product, role
    pub banners: PatternTable,
    /// pattern -> role, weight
    pub vendor_roles: PatternTable,
    /// pattern -> canonical vendor name
    pub vendors: PatternTable,
}

const BUILTIN_OUI: &str = include_str!("../../signatures/oui.tsv");
const BUILTIN_CIP_VENDORS: &str = include_str!("../../signatures/cip_vendors.tsv");
const BUILTIN_CIP_DEVICE_TYPES: &str = include_str!("../../signatures/cip_device_types.tsv");
const BUILTIN_S7: &str = include_str!("../../signatures/s7_families.tsv");
const BUILTIN_OPCUA: &str = include_str!("../../signatures/opcua_products.tsv");
const BUILTIN_BANNERS: &str = include_str!("../../signatures/banners.tsv");
const BUILTIN_VENDOR_ROLES: &str = include_str!("../../signatures/vendor_roles.tsv");
const BUILTIN_VENDORS: &str = include_str!("../../signatures/vendors.tsv");

/// The signature files this version knows, with their header lines.
pub const FILES: [(&str, &str); 8] = [
    ("vendors.tsv", "pattern\tvendor"),
    ("oui.tsv", "prefix\tvendor\tics"),
    ("cip_vendors.tsv", "id\tvendor_name"),
    ("cip_device_types.tsv", "id\tdevice_type_name"),
    ("s7_families.tsv", "pattern\tfamily"),
    ("opcua_products.tsv", "prefix\tvendor\tproduct"),
    ("banners.tsv", "pattern\tvendor\tproduct\trole"),
    ("vendor_roles.tsv", "pattern\trole\tweight"),
];

impl Signatures {
    /// The built-in set.
    pub fn builtin() -> Signatures {
        let mut s = Signatures::default();
        for (name, text) in [
            ("oui.tsv", BUILTIN_OUI),
            ("cip_vendors.tsv", BUILTIN_CIP_VENDORS),
            ("cip_device_types.tsv", BUILTIN_CIP_DEVICE_TYPES),
            ("s7_families.tsv", BUILTIN_S7),
            ("opcua_products.tsv", BUILTIN_OPCUA),
            ("banners.tsv", BUILTIN_BANNERS),
            ("vendor_roles.tsv", BUILTIN_VENDOR_ROLES),
            ("vendors.tsv", BUILTIN_VENDORS),
        ] {
            s.load_file(name, &format!("signatures/{name}"), text)
                .expect("built-in signatures are valid");
        }
        s
    }

    /// Load one file by its name; `shown` is how errors name it.
    fn load_file(&mut self, name: &str, shown: &str, text: &str) -> Result<(), SigError> {
        let header = FILES.iter().find(|(n, _)| *n == name).map(|(_, h)| *h);
        match (name, header) {
            ("oui.tsv", _) => self.oui.load(shown, text),
            ("cip_vendors.tsv", Some(h)) => self.cip_vendors.load(shown, text, h),
            ("cip_device_types.tsv", Some(h)) => self.cip_device_types.load(shown, text, h),
            ("s7_families.tsv", Some(h)) => self.s7_families.load(shown, text, h, 2),
            ("opcua_products.tsv", Some(h)) => self.opcua_products.load(shown, text, h, 2),
            ("banners.tsv", Some(h)) => self.banners.load(shown, text, h, 1),
            ("vendors.tsv", Some(h)) => self.vendors.load(shown, text, h, 2),
            ("vendor_roles.tsv", Some(h)) => {
                self.vendor_roles.load(shown, text, h, 3)?;
                for (p, v) in &self.vendor_roles.rows {
                    if !v[1].parse::<f64>().is_ok_and(|w| (0.0..=1.0).contains(&w)) {
                        return Err(SigError {
                            file: shown.into(),
                            line: 0,
                            message: format!("{p}: weight {:?} must be a number from 0 to 1", v[1]),
                        });
                    }
                }
                Ok(())
            }
            _ => Err(SigError {
                file: shown.into(),
                line: 0,
                message: "unknown signature file (see signatures/README.md)".into(),
            }),
        }
    }

    /// A vendor name as reported: legal-form suffixes removed, then the canonical spelling of
    /// `vendors.tsv` when a pattern matches (first row wins).
    pub fn canonical_vendor(&self, v: &str) -> String {
        let n = crate::inventory::fusion::normalize_vendor(v);
        let l = n.to_ascii_lowercase();
        match self
            .vendors
            .rows
            .iter()
            .find(|(p, _)| l.contains(p.as_str()))
        {
            Some((_, vals)) => vals[0].clone(),
            None => n,
        }
    }

    /// One line per table with its size.
    pub fn summary(&self) -> String {
        format!(
            "oui.tsv: {} prefixes\ncip_vendors.tsv: {} vendors\ncip_device_types.tsv: {} device types\ns7_families.tsv: {} patterns\nopcua_products.tsv: {} prefixes\nbanners.tsv: {} patterns\nvendor_roles.tsv: {} patterns",
            self.oui.len(),
            self.cip_vendors.0.len(),
            self.cip_device_types.0.len(),
            self.s7_families.rows.len(),
            self.opcua_products.rows.len(),
            self.banners.rows.len(),
            self.vendor_roles.rows.len()
        )
    }

    /// The built-in set with a user directory on top.
    pub fn with_dir(dir: &Path) -> Result<Signatures, SigError> {
        let mut s = Signatures::builtin();
        s.add_dir(dir)?;
        Ok(s)
    }

    /// Load the files of `dir` that this version knows; unknown files are an error (a typo
    /// must not silently leave a signature unused).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), SigError> {
        let rd = std::fs::read_dir(dir).map_err(|e| SigError {
            file: dir.display().to_string(),
            line: 0,
            message: e.to_string(),
        })?;
        let mut files: Vec<_> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for p in files {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if name.starts_with('.') || name.ends_with(".md") {
                continue;
            }
            let text = std::fs::read_to_string(&p).map_err(|e| SigError {
                file: p.display().to_string(),
                line: 0,
                message: e.to_string(),
            })?;
            let file = p.display().to_string();
            self.load_file(&name, &file, &text)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_oui_longest_prefix() {
        let s = Signatures::builtin();
        assert!(s.oui.len() > 40_000);
        let siemens = Mac([0x28, 0x63, 0x36, 0x6f, 0x63, 0x9d]);
        assert_eq!(s.oui.lookup(siemens).unwrap().0, "Siemens AG");
        let mut t = OuiTable::default();
        t.load("t", "286336\tSiemens AG\n2863366\tSomeone Else\t1\n")
            .unwrap();
        assert_eq!(t.lookup(siemens), Some(("Someone Else", true)));
        assert_eq!(
            t.lookup(Mac([0x28, 0x63, 0x36, 0x0f, 0, 0])),
            Some(("Siemens AG", false))
        );
        // locally administered: no vendor
        assert_eq!(t.lookup(Mac([0x2a, 0x63, 0x36, 0x6f, 0, 0])), None);
    }

    #[test]
    fn pattern_tables() {
        let s = Signatures::builtin();
        assert_eq!(
            s.s7_families.prefix("6ES7 315-2EH14-0AB0")[0][0],
            "SIMATIC S7-300"
        );
        assert_eq!(
            s.s7_families.prefix("6ES7 214-1AG31-0XB0")[0][0],
            "SIMATIC S7-1200"
        );
        assert_eq!(
            s.s7_families.prefix("6ES7 212-0AA23-0XB0")[0][0],
            "SIMATIC S7-200"
        );
        assert_eq!(
            s.s7_families.prefix("6ES7 515-2AM02-0AB0")[0][0],
            "SIMATIC S7-1500"
        );
        assert_eq!(
            s.opcua_products
                .prefix("http://www.beckhoff.com/TwinCAT/TcOpcUaServer")[0][0],
            "Beckhoff Automation"
        );
        let b = s
            .banners
            .contained("Hirschmann Railswitch RS20-0800M2M2SDAE L2E-09.0.12");
        assert!(b.iter().any(|(_, v)| v[2] == "network_device"));
        assert_eq!(
            s.cip_vendors.get(1),
            Some("Rockwell Automation/Allen-Bradley")
        );
    }

    #[test]
    fn user_directory_overrides_and_errors_name_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("s7_families.tsv"),
            "pattern\tfamily\n6ES7 31\tMy S7-300\n",
        )
        .unwrap();
        let s = Signatures::with_dir(d.path()).unwrap();
        assert_eq!(
            s.s7_families.prefix("6ES7 315-2EH14-0AB0")[0][0],
            "My S7-300"
        );
        std::fs::write(
            d.path().join("banners.tsv"),
            "pattern\tvendor\tproduct\trole\n\tnovendor\n",
        )
        .unwrap();
        let e = Signatures::with_dir(d.path()).unwrap_err();
        assert!(e.file.ends_with("banners.tsv") && e.line == 2, "{e}");
        std::fs::remove_file(d.path().join("banners.tsv")).unwrap();
        std::fs::write(
            d.path().join("vendor_roles.tsv"),
            "pattern\trole\tweight\ndell\thmi\t7\n",
        )
        .unwrap();
        assert!(
            Signatures::with_dir(d.path())
                .unwrap_err()
                .message
                .contains("weight")
        );
        std::fs::remove_file(d.path().join("vendor_roles.tsv")).unwrap();
        std::fs::write(d.path().join("typo.tsv"), "x\n").unwrap();
        assert!(
            Signatures::with_dir(d.path())
                .unwrap_err()
                .message
                .contains("unknown signature file")
        );
        std::fs::remove_file(d.path().join("typo.tsv")).unwrap();
        std::fs::write(
            d.path().join("cip_vendors.tsv"),
            "id\tvendor_name\nx1\tBad\n",
        )
        .unwrap();
        assert!(
            Signatures::with_dir(d.path())
                .unwrap_err()
                .message
                .contains("not a number")
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let mut t = OuiTable::default();
        let e = t
            .load("my/oui.tsv", "# c\n286336\tSiemens\nXYZ\tBad\n")
            .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("my/oui.tsv", 3));
        let e = t.load("f", "286336\n").unwrap_err();
        assert!(e.message.contains("expected"));
        let e = t.load("f", "286336\tS\tyes\n").unwrap_err();
        assert!(e.message.contains("ics column"));
    }
}
