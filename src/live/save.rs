//! `--save-pcap DIR --rotate SIZE`: the analysed frames written to rotating pcapng files, so
//! that every piece of evidence in a live report names a file and a frame in it that
//! `tshark -r` (or `otscope analyze`) can replay.
//!
//! Files are named `otscope-<interface>-<start time>-<NNNNNN>.pcapng`, so a directory listing
//! sorts them in capture order. Each holds one section, one interface (nanosecond
//! timestamps), one Enhanced Packet Block per frame and, when it is closed, an Interface
//! Statistics Block with the drops during its time (kernel drops and frames otscope shed in
//! `isb_osdrop`, interface drops in `isb_ifdrop`). The SHA-256 of a file is computed while it
//! is written; a snapshot taken while a file is open gives the hash of what it holds so far.
//!
//! `--save-max SIZE` bounds the disk they take: when a file is closed, the oldest closed files
//! are deleted until the closed files and room for a whole next file fit in SIZE. A deleted
//! file stays in the report's inputs, marked `pruned`, so evidence that names it says the
//! frames are gone instead of pointing at nothing.

use super::pipeline::Shared;
use crate::capture::{FileFormat, InputSummary, LinkType};
use crate::time::Timestamp;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const ISB: u32 = 5;
const EPB: u32 = 6;

/// Rotating pcapng writer.
pub struct Saver {
    dir: PathBuf,
    prefix: String,
    rotate: u64,
    linktype: u16,
    link: LinkType,
    snaplen: u32,
    interface: String,
    seq: u32,
    cur: Option<Open>,
    /// Disk budget of the saved files (`--save-max`).
    max_total: Option<u64>,
    /// A file could not be deleted (said once).
    prune_warned: bool,
}

struct Open {
    w: BufWriter<File>,
    path: PathBuf,
    hasher: Sha256,
    bytes: u64,
    frames: u64,
    /// Index of this file in the report's inputs.
    index: usize,
    drops_at_open: (u64, u64, u64),
    last_ts: Timestamp,
}

/// pcap's DLT values as pcapng LINKTYPE values (they differ only for raw IP).
pub fn linktype_of_dlt(dlt: i32) -> u16 {
    match dlt {
        12 | 14 => 101,
        d => (d & 0xFFFF) as u16,
    }
}

fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

fn opt(out: &mut Vec<u8>, code: u16, v: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(v.len() as u16).to_le_bytes());
    out.extend_from_slice(v);
    out.resize(pad4(out.len()), 0);
}

fn block(t: u32, body: &[u8]) -> Vec<u8> {
    let total = 12 + pad4(body.len());
    let mut v = Vec::with_capacity(total);
    v.extend_from_slice(&t.to_le_bytes());
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(body);
    v.resize(total - 4, 0);
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v
}

fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `20261125T192601Z` from a timestamp.
pub fn compact_time(t: Timestamp) -> String {
    let s = t.to_string();
    let mut out: String = s[..19.min(s.len())]
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    out.push('Z');
    out
}

impl Saver {
    /// A writer into `dir` (created if missing); the first file is opened with the first frame.
    pub fn new(
        dir: &Path,
        rotate: u64,
        dlt: i32,
        link: LinkType,
        snaplen: u32,
        interface: &str,
        started: Timestamp,
    ) -> Result<Saver, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Saver {
            dir: dir.to_path_buf(),
            prefix: format!("otscope-{}-{}", safe_name(interface), compact_time(started)),
            rotate: rotate.max(1 << 16),
            linktype: linktype_of_dlt(dlt),
            link,
            snaplen,
            interface: interface.to_string(),
            seq: 0,
            cur: None,
            max_total: None,
            prune_warned: false,
        })
    }

    /// Keep the saved files within `max` bytes of disk (the oldest closed files are deleted).
    /// `max` must leave room for two whole files, or the evidence of a file would be deleted
    /// as soon as it is closed.
    pub fn with_max_total(mut self, max: u64) -> Result<Saver, String> {
        if max < self.rotate.saturating_mul(2) {
            return Err(format!(
                "--save-max {max} bytes: at least twice --rotate ({} bytes) is needed",
                self.rotate
            ));
        }
        self.max_total = Some(max);
        Ok(self)
    }

    /// Called when a file was closed (no file is open): delete the oldest saved files until
    /// those left and a whole next file fit. `list` holds the saved files in the order they
    /// were written, so what is on disk is its entries not yet pruned; the newest (the file
    /// just closed, whose evidence is in the snapshot just written) always stays. A file that
    /// cannot be deleted still counts, and deleting it is tried again at the next close.
    fn prune(&mut self, list: &mut [InputSummary]) {
        let Some(max) = self.max_total else {
            return;
        };
        let mut total: u64 = list
            .iter()
            .filter(|s| !s.pruned)
            .map(|s| s.file_bytes)
            .sum();
        let Some((_, older)) = list.split_last_mut() else {
            return;
        };
        for s in older.iter_mut().filter(|s| !s.pruned) {
            if total.saturating_add(self.rotate) <= max {
                break;
            }
            match std::fs::remove_file(&s.path) {
                Ok(()) => {
                    s.pruned = true;
                    total -= s.file_bytes;
                }
                Err(e) if !self.prune_warned => {
                    self.prune_warned = true;
                    warn!("otscope: --save-max: cannot delete {}: {e}", s.path);
                }
                Err(_) => {}
            }
        }
    }

    fn open(&mut self, shared: &Shared, list: &mut Vec<InputSummary>) -> Result<(), String> {
        self.seq += 1;
        let path = self
            .dir
            .join(format!("{}-{:06}.pcapng", self.prefix, self.seq));
        let f = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut o = Open {
            w: BufWriter::with_capacity(1 << 20, f),
            path,
            hasher: Sha256::new(),
            bytes: 0,
            frames: 0,
            index: list.len(),
            drops_at_open: shared.drops(),
            last_ts: Timestamp::ZERO,
        };
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        opt(
            &mut shb,
            4,
            format!("otscope {}", env!("CARGO_PKG_VERSION")).as_bytes(),
        );
        opt(&mut shb, 0, &[]);
        let mut idb = Vec::new();
        idb.extend_from_slice(&self.linktype.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&self.snaplen.to_le_bytes());
        opt(&mut idb, 2, self.interface.as_bytes());
        opt(&mut idb, 9, &[9]);
        opt(&mut idb, 0, &[]);
        let head = [block(SHB, &shb), block(IDB, &idb)].concat();
        put(&mut o, &head)?;
        list.push(InputSummary {
            path: o.path.display().to_string(),
            sha256: String::new(),
            format: FileFormat::Pcapng,
            compressed: false,
            link_types: vec![self.link.name()],
            packets: 0,
            bytes: 0,
            file_bytes: o.bytes,
            first_ts: None,
            last_ts: None,
            truncated_by_snaplen: 0,
            interface_drops: None,
            stopped: None,
            pruned: false,
        });
        self.cur = Some(o);
        Ok(())
    }

    /// Write one frame; returns (input index, frame number in its file).
    pub fn write(
        &mut self,
        ts: Timestamp,
        orig_len: u32,
        data: &[u8],
        shared: &Shared,
        list: &mut Vec<InputSummary>,
    ) -> Result<(u16, u64), String> {
        let size = 32 + pad4(data.len()) as u64;
        let rotate = self.cur.as_ref().is_some_and(|o| {
            o.frames > 0 && o.bytes + size > self.rotate && list.len() < u16::MAX as usize
        });
        if rotate {
            self.finish_file(shared, list)?;
        }
        if self.cur.is_none() {
            self.open(shared, list)?;
        }
        let o = self.cur.as_mut().expect("open file");
        let mut b = Vec::with_capacity(size as usize);
        let units = ts.0;
        b.extend_from_slice(&EPB.to_le_bytes());
        b.extend_from_slice(&(size as u32).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(units as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&orig_len.to_le_bytes());
        b.extend_from_slice(data);
        b.resize(size as usize - 4, 0);
        b.extend_from_slice(&(size as u32).to_le_bytes());
        put(o, &b)?;
        o.frames += 1;
        o.last_ts = o.last_ts.max(ts);
        let s = &mut list[o.index];
        s.packets += 1;
        s.bytes += data.len() as u64;
        s.file_bytes = o.bytes;
        s.first_ts = Some(s.first_ts.map_or(ts, |t| t.min(ts)));
        s.last_ts = Some(s.last_ts.map_or(ts, |t| t.max(ts)));
        if (data.len() as u32) < orig_len {
            s.truncated_by_snaplen += 1;
        }
        Ok((o.index.min(u16::MAX as usize) as u16, o.frames))
    }

    /// Make what was written so far readable on disk and its hash current in `v`.
    pub fn refresh(&mut self, v: &mut [InputSummary]) {
        if let Some(o) = self.cur.as_mut() {
            let _ = o.w.flush();
            if let Some(s) = v.get_mut(o.index) {
                s.sha256 = hex(&o.hasher.clone().finalize());
                s.file_bytes = o.bytes;
            }
        }
    }

    fn finish_file(&mut self, shared: &Shared, list: &mut [InputSummary]) -> Result<(), String> {
        let Some(mut o) = self.cur.take() else {
            return Ok(());
        };
        let (k0, i0, s0) = o.drops_at_open;
        let (k1, i1, s1) = shared.drops();
        let (osdrop, ifdrop) = ((k1 - k0) + (s1 - s0), i1 - i0);
        let mut isb = Vec::new();
        isb.extend_from_slice(&0u32.to_le_bytes());
        isb.extend_from_slice(&((o.last_ts.0 >> 32) as u32).to_le_bytes());
        isb.extend_from_slice(&(o.last_ts.0 as u32).to_le_bytes());
        opt(&mut isb, 5, &ifdrop.to_le_bytes());
        opt(&mut isb, 7, &osdrop.to_le_bytes());
        opt(&mut isb, 0, &[]);
        put(&mut o, &block(ISB, &isb))?;
        let path = o.path.display().to_string();
        o.w.flush().map_err(|e| format!("{path}: {e}"))?;
        o.w.get_ref()
            .sync_all()
            .map_err(|e| format!("{path}: {e}"))?;
        if let Some(s) = list.get_mut(o.index) {
            s.sha256 = hex(&o.hasher.finalize());
            s.file_bytes = o.bytes;
            s.interface_drops = Some(osdrop + ifdrop);
        }
        self.prune(list);
        Ok(())
    }

    /// End of capture: close the current file.
    pub fn close(mut self, shared: &Shared, list: &mut [InputSummary]) -> Result<(), String> {
        self.finish_file(shared, list)
    }
}

fn put(o: &mut Open, b: &[u8]) -> Result<(), String> {
    o.w.write_all(b)
        .map_err(|e| format!("{}: {e}", o.path.display()))?;
    o.hasher.update(b);
    o.bytes += b.len() as u64;
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::merge::open_paths;

    /// A writer of 64 KiB Ethernet files into `dir`.
    fn saver(dir: &Path) -> Saver {
        Saver::new(
            dir,
            1 << 16,
            1,
            LinkType::Ethernet,
            262_144,
            "veth0",
            Timestamp::from_secs_nanos(1_700_000_000, 0),
        )
        .unwrap()
    }

    #[test]
    fn written_files_read_back_with_numbers_hashes_and_drops() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Shared::default();
        let mut list = Vec::new();
        let mut s = saver(dir.path());
        let frame = vec![0xAB; 1000];
        let mut last = (0, 0);
        for i in 0..150u64 {
            if i == 100 {
                shared
                    .kernel_drops
                    .fetch_add(3, std::sync::atomic::Ordering::Relaxed);
            }
            let ts = Timestamp::from_secs_nanos(1_700_000_000 + i, 123_456_789);
            last = s.write(ts, 1500, &frame, &shared, &mut list).unwrap();
        }
        s.close(&shared, &mut list).unwrap();
        // 65536-byte files hold 63 frames of 1032 bytes after 96 bytes of headers.
        assert_eq!(list.len(), 3);
        assert_eq!(last, (2, 150 - 2 * 63));
        assert_eq!(list.iter().map(|i| i.packets).sum::<u64>(), 150);
        assert_eq!(list[1].interface_drops, Some(3));
        assert_eq!(list[0].interface_drops, Some(0));
        let paths: Vec<PathBuf> = list.iter().map(|i| PathBuf::from(&i.path)).collect();
        let (_, mut reader) = open_paths(&paths, 1 << 20);
        let mut n = 0u64;
        let mut numbers = Vec::new();
        reader.for_each(|f| {
            n += 1;
            assert_eq!(f.data.len(), 1000);
            assert_eq!(f.orig_len, 1500);
            assert_eq!(f.ts.0 % 1_000_000_000, 123_456_789);
            numbers.push((f.input, f.number));
        });
        assert_eq!(n, 150);
        assert_eq!(numbers[63], (1, 1));
        assert_eq!(*numbers.last().unwrap(), (2, 24));
        let read = reader.summaries();
        let read: Vec<_> = read.into_iter().flatten().collect();
        for (a, b) in read.iter().zip(&list) {
            assert_eq!(a.sha256, b.sha256, "{}", a.path);
            assert_eq!(a.packets, b.packets);
            assert_eq!(a.interface_drops, b.interface_drops);
            assert_eq!(a.file_bytes, b.file_bytes);
        }
    }

    #[test]
    fn save_max_deletes_the_oldest_files_and_marks_them_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Shared::default();
        let mut list = Vec::new();
        let new = || saver(dir.path());
        // Less than two files' worth is refused.
        assert!(new().with_max_total((2 << 16) - 1).is_err());
        // Three files' worth: two closed files and the open one at most.
        let mut s = new().with_max_total(3 << 16).unwrap();
        let frame = vec![0xAB; 1000];
        for i in 0..63 * 6 + 10 {
            let ts = Timestamp::from_secs_nanos(1_700_000_000 + i, 0);
            s.write(ts, 1000, &frame, &shared, &mut list).unwrap();
            let on_disk: u64 = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().metadata().unwrap().len())
                .sum();
            assert!(
                on_disk <= 3 << 16,
                "{on_disk} bytes on disk after frame {i}"
            );
        }
        s.close(&shared, &mut list).unwrap();
        // Seven files were written; the closing of the last pruned down to it and one more.
        assert_eq!(list.len(), 7);
        let pruned: Vec<bool> = list.iter().map(|i| i.pruned).collect();
        assert_eq!(pruned, [true, true, true, true, true, false, false]);
        for i in &list {
            assert_eq!(
                std::path::Path::new(&i.path).exists(),
                !i.pruned,
                "{}",
                i.path
            );
            assert!(
                !i.sha256.is_empty(),
                "a pruned file keeps its digest: {}",
                i.path
            );
        }
        assert_eq!(list.iter().map(|i| i.packets).sum::<u64>(), 63 * 6 + 10);
        // A pruned input is marked in the JSON; the others carry no such key.
        let j = serde_json::to_value(&list).unwrap();
        assert_eq!(j[0]["pruned"], true);
        assert!(j[6].get("pruned").is_none());
    }
}
