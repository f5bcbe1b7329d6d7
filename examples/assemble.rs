//! Assemble a large benchmark capture from the shipped captures.
//!
//! ```text
//! cargo run --release --example assemble -- --size 100M --out target/bench/ot-100M.pcap
//! cargo run --release --example assemble -- --size 1G --out target/bench/ot-1G.pcap [--sites 16]
//!     [CAPTURE...]
//! ```
//!
//! Without CAPTURE arguments it takes `captures/generated/*.pcap` and
//! `captures/public/{modbus,s7comm,enip,opcua}/*.pcap*` (pcap or pcapng, gzip or not; Ethernet
//! frames only, other link types are skipped and counted).
//!
//! The output is built in *rounds*. A round holds every input once, each rebased to start at
//! the round's start (plus 1 ms per input) and merged in timestamp order, so the flows of all
//! inputs run concurrently, as on a real network. Each round maps every unicast IPv4 address
//! `a.b.c.d` into its own block: the /24 `a.b.c` becomes `10.X.Y` (a distinct `X.Y` for each
//! (round, /24) pair) and `d` is kept; unicast MAC addresses keep their OUI and get the round
//! mixed into their last three bytes. ARP payloads are rewritten the same way. IPv4 header and
//! TCP/UDP checksums are fixed incrementally (RFC 1624), so a checksum that was right stays
//! right (and one that was wrong, e.g. by offload, stays wrong). IPv6, multicast, broadcast and
//! 0.0.0.0 addresses are kept. Within an input, frames keep their file order and pauses longer
//! than a minute are shortened to a minute (some public captures span years). Rounds are separated by the longest input's duration plus
//! 15 minutes (more than the idle timeout), so flows of different rounds are distinct both by
//! address and by time.
//!
//! `--sites N` cycles through N address blocks instead of one per round: the number of hosts
//! then stays fixed while the capture grows (flows stay distinct by time), which is how a
//! week-long capture of one plant behaves.
//!
//! The output is a classic pcap (microsecond timestamps, Ethernet), written up to the requested
//! size (cut at a frame boundary).

use otscope::capture::LinkType;
use otscope::capture::file::FileReader;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Longest pause kept between two frames of one input.
const MAX_PAUSE_NS: u64 = 60 * 1_000_000_000;

struct Input {
    /// (ts relative to the input's first frame in ns, orig_len, bytes)
    frames: Vec<(u64, u32, Vec<u8>)>,
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let v: f64 = num.parse().ok()?;
    Some((v * mult as f64) as u64)
}

fn default_inputs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    let mut add = |dir: &str, pred: &dyn Fn(&str) -> bool| {
        if let Ok(rd) = std::fs::read_dir(dir) {
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(pred))
                .collect();
            files.sort();
            v.extend(files);
        }
    };
    add("captures/generated", &|n| n.ends_with(".pcap"));
    for d in ["modbus", "s7comm", "enip", "opcua"] {
        add(&format!("captures/public/{d}"), &|n| n.contains(".pcap"));
    }
    v
}

fn load(path: &Path, skipped: &mut u64) -> Option<Input> {
    let mut r = match FileReader::open(path, 0, 1 << 20) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("assemble: skipping {e}");
            return None;
        }
    };
    let mut frames = Vec::new();
    let mut buf = Vec::new();
    // (previous raw timestamp, rebased time)
    let mut clock: Option<(u64, u64)> = None;
    while let Some(b) = r.next_block(buf, 4 << 20) {
        for i in 0..b.recs.len() {
            let f = b.frame(i);
            if f.link != LinkType::Ethernet {
                *skipped += 1;
                continue;
            }
            // Keep file order; a step back in time counts as 0, a pause longer than MAX_PAUSE
            // as MAX_PAUSE (some public captures span years between two frames).
            let t = match clock {
                None => 0,
                Some((prev, t)) => t + f.ts.0.saturating_sub(prev).min(MAX_PAUSE_NS),
            };
            clock = Some((f.ts.0, t));
            frames.push((t, f.orig_len, f.data.to_vec()));
        }
        buf = b.data;
    }
    (!frames.is_empty()).then_some(Input { frames })
}

/// Is this IPv4 address one we rewrite (unicast, not 0.0.0.0, not loopback, not broadcast)?
fn rewritable(a: [u8; 4]) -> bool {
    !(a[0] == 0 || a[0] == 127 || a[0] >= 224 || a[3] == 255)
}

/// One's-complement checksum adjustment (RFC 1624 eqn. 3) for `old` replaced by `new`
/// (both an even number of bytes, aligned to 16-bit words of the checksummed data).
fn csum_adjust(csum: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut sum: u32 = (!csum) as u32;
    for (o, n) in old.chunks(2).zip(new.chunks(2)) {
        sum += (!u16::from_be_bytes([o[0], o[1]])) as u32;
        sum += u16::from_be_bytes([n[0], n[1]]) as u32;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

struct Rewriter {
    /// /24 prefix -> index
    prefixes: BTreeMap<[u8; 3], u32>,
}

impl Rewriter {
    fn ip(&self, a: [u8; 4], site: u32) -> [u8; 4] {
        if !rewritable(a) {
            return a;
        }
        let i = self.prefixes[&[a[0], a[1], a[2]]];
        let n = site * self.prefixes.len() as u32 + i;
        [10, (n >> 8) as u8, n as u8, a[3]]
    }

    fn mac(m: &mut [u8], site: u32) {
        if m[0] & 1 != 0 {
            return; // group address
        }
        // Keep the OUI; mix the site into the NIC-specific part (site 0 keeps the original).
        let s = site.wrapping_mul(0x9E37_79B1) >> 8;
        m[3] ^= (s >> 16) as u8;
        m[4] ^= (s >> 8) as u8;
        m[5] ^= s as u8;
    }

    /// Rewrite one Ethernet frame in place for `site`.
    fn frame(&self, d: &mut [u8], site: u32) {
        if d.len() < 14 {
            return;
        }
        Self::mac(&mut d[0..6], site);
        Self::mac(&mut d[6..12], site);
        let mut off = 12;
        let mut et = u16::from_be_bytes([d[12], d[13]]);
        let mut tags = 0;
        while matches!(et, 0x8100 | 0x88a8 | 0x9100) && tags < 4 && d.len() >= off + 6 {
            off += 4;
            et = u16::from_be_bytes([d[off], d[off + 1]]);
            tags += 1;
        }
        let l3 = off + 2;
        match et {
            0x0800 => self.ipv4(&mut d[l3..], site),
            0x0806 if d.len() >= l3 + 28 => {
                // ARP for IPv4 over Ethernet: sha(6) spa(4) tha(6) tpa(4) after 8 bytes.
                let a = &mut d[l3..];
                if a[0..2] == [0, 1] && a[2..4] == [8, 0] && a[4] == 6 && a[5] == 4 {
                    Self::mac(&mut a[8..14], site);
                    let spa = [a[14], a[15], a[16], a[17]];
                    a[14..18].copy_from_slice(&self.ip(spa, site));
                    if a[18..24] != [0; 6] {
                        Self::mac(&mut a[18..24], site);
                    }
                    let tpa = [a[24], a[25], a[26], a[27]];
                    a[24..28].copy_from_slice(&self.ip(tpa, site));
                }
            }
            _ => {}
        }
    }

    fn ipv4(&self, p: &mut [u8], site: u32) {
        if p.len() < 20 || p[0] >> 4 != 4 {
            return;
        }
        let ihl = ((p[0] & 15) as usize) * 4;
        if ihl < 20 || p.len() < ihl {
            return;
        }
        let old: [u8; 8] = p[12..20].try_into().unwrap();
        let src = self.ip([old[0], old[1], old[2], old[3]], site);
        let dst = self.ip([old[4], old[5], old[6], old[7]], site);
        let mut new = [0u8; 8];
        new[..4].copy_from_slice(&src);
        new[4..].copy_from_slice(&dst);
        if new == old {
            return;
        }
        p[12..20].copy_from_slice(&new);
        let hc = u16::from_be_bytes([p[10], p[11]]);
        p[10..12].copy_from_slice(&csum_adjust(hc, &old, &new).to_be_bytes());
        // L4 checksums cover the pseudo-header (addresses): only the first fragment has them.
        let frag_off = u16::from_be_bytes([p[6], p[7]]) & 0x1fff;
        if frag_off != 0 {
            return;
        }
        let proto = p[9];
        let at = match proto {
            6 => 16,
            17 => 6,
            _ => return,
        };
        let l4 = &mut p[ihl..];
        if l4.len() < at + 2 {
            return;
        }
        let c = u16::from_be_bytes([l4[at], l4[at + 1]]);
        if proto == 17 && c == 0 {
            return; // no UDP checksum
        }
        let mut n = csum_adjust(c, &old, &new);
        if proto == 17 && n == 0 {
            n = 0xffff;
        }
        l4[at..at + 2].copy_from_slice(&n.to_be_bytes());
    }
}

fn collect_prefixes(d: &[u8], out: &mut BTreeMap<[u8; 3], u32>) {
    if d.len() < 14 {
        return;
    }
    let mut off = 12;
    let mut et = u16::from_be_bytes([d[12], d[13]]);
    let mut tags = 0;
    while matches!(et, 0x8100 | 0x88a8 | 0x9100) && tags < 4 && d.len() >= off + 6 {
        off += 4;
        et = u16::from_be_bytes([d[off], d[off + 1]]);
        tags += 1;
    }
    let l3 = off + 2;
    let mut add = |a: &[u8]| {
        if rewritable([a[0], a[1], a[2], a[3]]) {
            let n = out.len() as u32;
            out.entry([a[0], a[1], a[2]]).or_insert(n);
        }
    };
    match et {
        0x0800 if d.len() >= l3 + 20 => {
            add(&d[l3 + 12..l3 + 16]);
            add(&d[l3 + 16..l3 + 20]);
        }
        0x0806 if d.len() >= l3 + 28 => {
            add(&d[l3 + 14..l3 + 18]);
            add(&d[l3 + 24..l3 + 28]);
        }
        _ => {}
    }
}

fn main() {
    let mut size: u64 = 100 << 20;
    let mut out: Option<PathBuf> = None;
    let mut sites: Option<u32> = None;
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--size" => {
                size = args
                    .next()
                    .and_then(|s| parse_size(&s))
                    .expect("--size N[K|M|G]")
            }
            "--out" | "-o" => out = args.next().map(PathBuf::from),
            "--sites" => sites = args.next().and_then(|s| s.parse().ok()),
            "-h" | "--help" => {
                eprintln!("usage: assemble [--size 100M] [--sites N] --out FILE.pcap [CAPTURE...]");
                return;
            }
            _ => inputs.push(PathBuf::from(a)),
        }
    }
    let out = out.unwrap_or_else(|| PathBuf::from("target/bench/ot.pcap"));
    if inputs.is_empty() {
        inputs = default_inputs();
    }
    let mut skipped = 0u64;
    let loaded: Vec<Input> = inputs
        .iter()
        .filter_map(|p| load(p, &mut skipped))
        .collect();
    if loaded.is_empty() {
        eprintln!("assemble: no usable input (run from the repository root)");
        std::process::exit(2);
    }
    let mut prefixes = BTreeMap::new();
    for i in &loaded {
        for (_, _, d) in &i.frames {
            collect_prefixes(d, &mut prefixes);
        }
    }
    let rw = Rewriter { prefixes };
    let p = rw.prefixes.len().max(1) as u32;
    let max_sites = 65536 / p;
    // One round: all inputs merged by rebased timestamp (input k starts k ms after the round).
    let mut order: Vec<(u64, u32, u32)> = Vec::new();
    let mut round_bytes = 0u64;
    let mut dur = 0u64;
    for (k, inp) in loaded.iter().enumerate() {
        for (j, (t, _, d)) in inp.frames.iter().enumerate() {
            let t = t + k as u64 * 1_000_000;
            dur = dur.max(t);
            order.push((t, k as u32, j as u32));
            round_bytes += 16 + d.len() as u64;
        }
    }
    order.sort();
    let round_len = dur + 15 * 60 * 1_000_000_000;
    let rounds_needed = size.div_ceil(round_bytes.max(1));
    let sites = sites.unwrap_or(rounds_needed as u32).clamp(1, max_sites);
    eprintln!(
        "assemble: {} inputs ({} frames, {} bytes per round, {} /24 prefixes, {} non-Ethernet frames skipped); \
         {} rounds, {} address blocks; round length {:.0} s",
        loaded.len(),
        order.len(),
        round_bytes,
        rw.prefixes.len(),
        skipped,
        rounds_needed,
        sites,
        round_len as f64 / 1e9
    );
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = std::fs::File::create(&out).unwrap_or_else(|e| {
        eprintln!("assemble: {}: {e}", out.display());
        std::process::exit(2);
    });
    let mut w = BufWriter::with_capacity(4 << 20, file);
    let mut hdr = Vec::with_capacity(24);
    hdr.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes());
    hdr.extend_from_slice(&2u16.to_le_bytes());
    hdr.extend_from_slice(&4u16.to_le_bytes());
    hdr.extend_from_slice(&[0; 8]);
    hdr.extend_from_slice(&262_144u32.to_le_bytes());
    hdr.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&hdr).unwrap();
    let base: u64 = 1_704_067_200 * 1_000_000_000; // 2024-01-01T00:00:00Z
    let mut written = 24u64;
    let mut frames = 0u64;
    let mut scratch = Vec::with_capacity(1 << 16);
    'outer: for r in 0.. {
        let site = (r as u32) % sites;
        let start = base + r as u64 * round_len;
        for &(t, k, j) in &order {
            let (_, orig, d) = &loaded[k as usize].frames[j as usize];
            scratch.clear();
            scratch.extend_from_slice(d);
            rw.frame(&mut scratch, site);
            let ts = start + t;
            let secs = (ts / 1_000_000_000) as u32;
            let usec = ((ts % 1_000_000_000) / 1000) as u32;
            w.write_all(&secs.to_le_bytes()).unwrap();
            w.write_all(&usec.to_le_bytes()).unwrap();
            w.write_all(&(scratch.len() as u32).to_le_bytes()).unwrap();
            w.write_all(&(*orig).max(scratch.len() as u32).to_le_bytes())
                .unwrap();
            w.write_all(&scratch).unwrap();
            written += 16 + scratch.len() as u64;
            frames += 1;
            if written >= size {
                break 'outer;
            }
        }
    }
    w.flush().unwrap();
    eprintln!(
        "assemble: wrote {} ({} frames, {} bytes, average frame {:.0} bytes)",
        out.display(),
        frames,
        written,
        (written - 24) as f64 / frames as f64 - 16.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Internet checksum of `d` (for checking the incremental update).
    fn csum(d: &[u8]) -> u16 {
        let mut s: u32 = 0;
        for c in d.chunks(2) {
            s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
        }
        while s >> 16 != 0 {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }

    #[test]
    fn incremental_checksum_matches_recomputed() {
        // IPv4 header (20 bytes) with a correct checksum.
        let mut h = [
            0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 192, 168, 1, 10, 192, 168, 1, 20,
        ];
        let c = csum(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        let mut p = BTreeMap::new();
        p.insert([192, 168, 1], 0);
        let rw = Rewriter { prefixes: p };
        let mut pkt = h.to_vec();
        pkt.extend_from_slice(&[0; 20]);
        rw.ipv4(&mut pkt, 3);
        assert_eq!(&pkt[12..16], &[10, 0, 3, 10]);
        assert_eq!(csum(&pkt[..20]), 0);
    }
}
