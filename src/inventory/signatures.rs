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
#[derive(Debug, Default, Clone)]
pub struct OuiTable {
    /// Keyed by (prefix length in hex digits, prefix value).
    map: HashMap<(u8, u64), (String, bool)>,
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
            if let Some((name, ics)) = self.map.get(&(digits, p)) {
                return Some((name.as_str(), *ics));
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
        for (i, line) in text.lines().enumerate() {
            let err = |m: String| SigError {
                file: file.to_string(),
                line: i + 1,
                message: m,
            };
            if line.starts_with('#') || line.trim().is_empty() || line.starts_with("prefix\t") {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 2 || cols[1].trim().is_empty() {
                return Err(err("expected `prefix<TAB>vendor[<TAB>ics]`".into()));
            }
            let p = cols[0].trim().replace([':', '-'], "");
            if !matches!(p.len(), 6 | 7 | 9) || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(err(format!(
                    "prefix {:?} must be 6, 7 or 9 hex digits",
                    cols[0]
                )));
            }
            let ics = match cols.get(2).map(|s| s.trim()) {
                None | Some("") | Some("0") => false,
                Some("1") => true,
                Some(o) => return Err(err(format!("ics column must be 0 or 1, not {o:?}"))),
            };
            let v = u64::from_str_radix(&p, 16).map_err(|e| err(e.to_string()))?;
            self.map
                .insert((p.len() as u8, v), (cols[1].trim().to_string(), ics));
        }
        Ok(())
    }
}

/// All signature data.
#[derive(Debug, Default, Clone)]
pub struct Signatures {
    pub oui: OuiTable,
}

const BUILTIN_OUI: &str = include_str!("../../signatures/oui.tsv");

impl Signatures {
    /// The built-in set.
    pub fn builtin() -> Signatures {
        let mut s = Signatures::default();
        s.oui
            .load("signatures/oui.tsv", BUILTIN_OUI)
            .expect("built-in signatures are valid");
        s
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
            match name.as_str() {
                "oui.tsv" => self.oui.load(&file, &text)?,
                _ => {
                    return Err(SigError {
                        file,
                        line: 0,
                        message: "unknown signature file (see signatures/README.md)".into(),
                    });
                }
            }
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
