//! Mutants of capture files and the full pipeline run over one (shared by the `mutate` example
//! and `tests/mutation.rs`).
//!
//! A mutant is a deterministic function of (seed, capture index, mutant index): the parent
//! process, the child that runs it, and a later reproduction all regenerate the same bytes.
#![allow(dead_code)]

use otscope::config::{Format, Limits};
use std::io::Write;
use std::path::{Path, PathBuf};

/// splitmix64.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64, capture: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ capture.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ index.rotate_left(32));
        r.next();
        r
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Kinds of mutation (a mutant stacks one to three).
pub const KINDS: &[&str] = &[
    "bit_flips",
    "byte_sets",
    "interesting_values",
    "truncate",
    "splice",
    "chunk_duplicate",
    "chunk_delete",
    "header_flip",
    "gzip",
];

const INTERESTING: &[u32] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
];

/// Apply one mutation of kind `k` to `v` (`other` is another capture for splices).
fn apply(k: &str, v: &mut Vec<u8>, other: &[u8], r: &mut Rng) {
    let n = v.len();
    match k {
        "bit_flips" => {
            for _ in 0..1 + r.below(16) {
                if n > 0 {
                    let i = r.below(n);
                    v[i] ^= 1 << r.below(8);
                }
            }
        }
        "byte_sets" => {
            for _ in 0..1 + r.below(8) {
                if n > 0 {
                    let i = r.below(n);
                    v[i] = r.next() as u8;
                }
            }
        }
        "interesting_values" => {
            // A length or count field set to an extreme value (either byte order).
            if n >= 4 {
                let i = r.below(n - 3);
                let x = INTERESTING[r.below(INTERESTING.len())];
                let b = if r.below(2) == 0 {
                    x.to_le_bytes()
                } else {
                    x.to_be_bytes()
                };
                let w = [1, 2, 4][r.below(3)];
                v[i..i + w].copy_from_slice(&b[..w]);
            }
        }
        "truncate" => {
            if n > 0 {
                let keep = r.below(n);
                v.truncate(keep);
            }
        }
        "splice" => {
            if !other.is_empty() && n > 0 {
                let at = r.below(n);
                let from = r.below(other.len());
                let take = (other.len() - from).min(1 + r.below(64 * 1024));
                v.truncate(at);
                v.extend_from_slice(&other[from..from + take]);
            }
        }
        "chunk_duplicate" => {
            if n > 0 {
                let a = r.below(n);
                let len = (n - a).min(1 + r.below(4096));
                let chunk = v[a..a + len].to_vec();
                let at = r.below(n);
                v.splice(at..at, chunk);
            }
        }
        "chunk_delete" => {
            if n > 0 {
                let a = r.below(n);
                let len = (n - a).min(1 + r.below(4096));
                v.drain(a..a + len);
            }
        }
        "header_flip" => {
            // The file header and the first record headers, where a flip hurts most.
            for _ in 0..1 + r.below(4) {
                if n > 0 {
                    let i = r.below(n.min(128));
                    v[i] ^= 1 << r.below(8);
                }
            }
        }
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(v).expect("gzip in memory");
            let mut gz = e.finish().expect("gzip in memory");
            match r.below(3) {
                0 => {}
                1 => {
                    let keep = 2 + r.below(gz.len().saturating_sub(2).max(1));
                    gz.truncate(keep);
                }
                _ => {
                    let i = 10 + r.below(gz.len().saturating_sub(10).max(1));
                    if i < gz.len() {
                        gz[i] ^= 1 << r.below(8);
                    }
                }
            }
            *v = gz;
        }
        _ => unreachable!("unknown mutation {k}"),
    }
}

/// Mutant `index` of capture `capture` (its bytes `orig`); `other` is used for splices.
/// Returns the bytes and the mutation kinds applied.
pub fn mutant(
    seed: u64,
    capture: u64,
    index: u64,
    orig: &[u8],
    other: &[u8],
) -> (Vec<u8>, Vec<&'static str>) {
    let mut r = Rng::new(seed, capture, index);
    let mut v = orig.to_vec();
    let mut kinds = Vec::new();
    let steps = 1 + r.below(3);
    for _ in 0..steps {
        // gzip only as the last step (mutating compressed bytes mostly breaks the stream).
        let k = KINDS[r.below(KINDS.len())];
        if k == "gzip" && kinds.len() + 1 < steps {
            continue;
        }
        apply(k, &mut v, other, &mut r);
        kinds.push(k);
    }
    (v, kinds)
}

/// Every capture file under `dir` (sorted).
pub fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    fn walk(d: &Path, v: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, v);
            } else if p
                .extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "gz")
            {
                v.push(p);
            }
        }
    }
    walk(dir, &mut v);
    v
}

/// What one run produced (for the figures).
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub opened: bool,
    pub packets: u64,
    pub stopped: bool,
    pub report_bytes: usize,
}

/// Render a report in a format the library can render (formats without their own renderer in
/// this build fall back to JSON, as `otscope::run` does). Exhaustive on purpose.
pub fn render(r: &otscope::report::Report, f: Format) -> String {
    match f {
        Format::Table => otscope::report::table::render(r),
        Format::Json | Format::Html | Format::Csv | Format::Markdown | Format::Sarif => {
            otscope::report::json::render(r)
        }
    }
}

pub const FORMATS: [Format; 6] = [
    Format::Table,
    Format::Json,
    Format::Html,
    Format::Csv,
    Format::Markdown,
    Format::Sarif,
];

/// The full pipeline over a capture file: analysis, inventory, zones, findings, every
/// renderer, with and without secrets. Panics on a violated bound.
pub fn run_pipeline(path: &Path, limits: &Limits) -> Outcome {
    let a = otscope::analysis::analyze(&[path.to_path_buf()], limits, 1, None);
    assert!(a.counters.flow_table.peak <= limits.max_flows as u64);
    assert!(a.hosts.ips.len() <= limits.max_hosts);
    assert!(a.convs.map.len() <= limits.max_conversations);
    let mut o = Outcome {
        opened: !a.inputs.is_empty(),
        packets: a.inputs.iter().map(|i| i.packets).sum(),
        stopped: a.inputs.iter().any(|i| i.stopped.is_some()),
        report_bytes: 0,
    };
    if !o.opened {
        return o;
    }
    static SIGS: std::sync::OnceLock<otscope::inventory::signatures::Signatures> =
        std::sync::OnceLock::new();
    let sigs = SIGS.get_or_init(otscope::inventory::signatures::Signatures::builtin);
    for show in [false, true] {
        let r = otscope::build_report(&a, sigs, None, show);
        for f in FORMATS {
            o.report_bytes += render(&r, f).len();
        }
    }
    o
}

/// Peak resident set of this process (kB), from /proc (0 where unavailable).
pub fn peak_rss_kb() -> u64 {
    proc_status("VmHWM:")
}

pub fn proc_status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|x| x.parse().ok()))
        })
        .unwrap_or(0)
}
