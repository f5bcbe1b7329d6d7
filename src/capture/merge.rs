//! Several capture files merged into one stream in timestamp order.
//!
//! Every file is checked when the run starts (so a file that is not a capture is reported at
//! once) and its first timestamp noted; it is then closed and opened again only when the merged
//! clock reaches that timestamp. Rotated captures (one file after another) thus keep one file
//! open at a time, while SPAN captures of the same period (one per port) interleave.

use super::file::FileReader;
use super::{BLOCK_SIZE, Block, Frame, InputError, InputSummary};
use crate::time::Timestamp;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Does the file start like a capture (pcap, pcapng or gzip magic)?
pub fn looks_like_capture(path: &Path) -> bool {
    use std::io::Read;
    let mut m = [0u8; 4];
    let ok = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut m))
        .is_ok();
    ok && (m[..2] == [0x1f, 0x8b]
        || [0xA1B2_C3D4u32, 0xA1B2_3C4D, 0xA1B2_CD34, 0x0A0D_0D0A]
            .iter()
            .any(|&x| m == x.to_le_bytes() || m == x.to_be_bytes()))
}

/// Files named on the command line, with directories expanded (one level, sorted by name,
/// hidden files and files that do not start like a capture skipped).
pub struct Expanded {
    pub files: Vec<PathBuf>,
    pub errors: Vec<InputError>,
    /// (directory, files skipped in it because they are not captures)
    pub skipped: Vec<(String, usize)>,
}

pub fn expand_inputs(paths: &[PathBuf]) -> Expanded {
    let mut x = Expanded {
        files: Vec::new(),
        errors: Vec::new(),
        skipped: Vec::new(),
    };
    for p in paths {
        if !p.is_dir() {
            x.files.push(p.clone());
            continue;
        }
        let rd = match std::fs::read_dir(p) {
            Ok(rd) => rd,
            Err(e) => {
                x.errors.push(InputError {
                    path: p.display().to_string(),
                    error: e.to_string(),
                });
                continue;
            }
        };
        let mut v: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with('.'))
            })
            .collect();
        v.sort();
        let total = v.len();
        v.retain(|f| looks_like_capture(f));
        if total > v.len() {
            x.skipped.push((p.display().to_string(), total - v.len()));
        }
        if v.is_empty() {
            x.errors.push(InputError {
                path: p.display().to_string(),
                error: "directory holds no capture files".into(),
            });
        }
        x.files.extend(v);
    }
    x
}

struct Pending {
    input: u16,
    path: PathBuf,
    first_ts: Timestamp,
}

struct Cursor {
    reader: FileReader,
    block: Arc<Block>,
    idx: usize,
}

impl Cursor {
    fn head_ts(&self) -> Timestamp {
        self.block.recs[self.idx].ts
    }
}

/// The merged frame stream of all inputs of a run.
pub struct MergedReader {
    pending: Vec<Pending>,
    active: Vec<Cursor>,
    summaries: Vec<Option<InputSummary>>,
    max_record: usize,
    block_size: usize,
    spare: Vec<Vec<u8>>,
    /// Blocks handed to workers, kept so that their buffers can be reused once the workers
    /// are done with them (no fresh 4 MB allocation and page faults per block).
    retired: VecDeque<Arc<Block>>,
    /// The reader whose summaries the report uses: hashes the files and warns.
    primary: bool,
    /// Per input: read no further than this many bytes ([`FileReader::open_with`]).
    caps: Vec<u64>,
    /// Some input is gzip-compressed.
    compressed: bool,
}

/// The cap of input `i` (none when `caps` does not say).
fn cap_of(caps: &[u64], i: usize) -> u64 {
    caps.get(i).copied().unwrap_or(u64::MAX)
}

/// Blocks kept for reuse (bounds the memory held for it).
const MAX_RETIRED: usize = 8;

/// A run of frames in merged order; frames reference blocks shared with other batches.
pub struct Batch {
    pub blocks: Vec<Arc<Block>>,
    /// (index into `blocks`, record index), in merged order.
    pub order: Vec<(u16, u32)>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.order.len()
    }
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
    #[inline]
    pub fn frame(&self, i: usize) -> Frame<'_> {
        let (b, r) = self.order[i];
        self.blocks[b as usize].frame(r as usize)
    }
}

impl MergedReader {
    /// Check every file; those that are not captures come back as errors, the run goes on
    /// with the rest. Input `i` of the report is `files[i]`.
    pub fn open(files: &[PathBuf], max_record: usize) -> (MergedReader, Vec<InputError>) {
        Self::open_with(files, max_record, Vec::new(), true)
    }

    /// [`MergedReader::open`] reading input `i` no further than `caps[i]` bytes (see
    /// [`FileReader::open_with`]; missing entries: no cap). A reader that is not `primary` is a
    /// replica of another over the same files: it does not hash them (its summaries carry no
    /// digest) and leaves warnings to the primary.
    pub fn open_with(
        files: &[PathBuf],
        max_record: usize,
        caps: Vec<u64>,
        primary: bool,
    ) -> (MergedReader, Vec<InputError>) {
        let mut pending = Vec::new();
        let mut errors = Vec::new();
        let mut summaries = Vec::new();
        let mut compressed = false;
        for (i, path) in files.iter().enumerate() {
            summaries.push(None);
            match FileReader::open_with(path, i as u16, max_record, cap_of(&caps, i), primary) {
                Ok(mut r) => {
                    compressed |= r.compressed();
                    // Peek the first timestamp with a small read, then close the file.
                    match r.next_block(Vec::new(), 64 << 10) {
                        Some(b) => {
                            let first_ts = b.recs.iter().map(|r| r.ts).min().unwrap_or_default();
                            pending.push(Pending {
                                input: i as u16,
                                path: path.clone(),
                                first_ts,
                            });
                        }
                        None => summaries[i] = Some(r.summary()),
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        // Activation order: earliest first packet first; ties by input order.
        pending.sort_by_key(|p| std::cmp::Reverse((p.first_ts, p.input)));
        (
            MergedReader {
                pending,
                active: Vec::new(),
                summaries,
                max_record,
                block_size: BLOCK_SIZE,
                spare: Vec::new(),
                retired: VecDeque::new(),
                primary,
                caps,
                compressed,
            },
            errors,
        )
    }

    /// Some input (among those that opened) is gzip-compressed.
    pub fn any_compressed(&self) -> bool {
        self.compressed
    }

    pub fn with_block_size(mut self, n: usize) -> Self {
        self.block_size = n.max(64);
        self
    }

    fn activate(&mut self, p: Pending) {
        let cap = cap_of(&self.caps, p.input as usize);
        match FileReader::open_with(&p.path, p.input, self.max_record, cap, self.primary) {
            Ok(mut reader) => {
                let buf = self.spare.pop().unwrap_or_default();
                match reader.next_block(buf, self.block_size) {
                    Some(b) => self.active.push(Cursor {
                        reader,
                        block: Arc::new(b),
                        idx: 0,
                    }),
                    None => self.summaries[p.input as usize] = Some(reader.summary()),
                }
            }
            // The file changed or vanished since it was checked.
            Err(e) => {
                self.summaries[p.input as usize] = None;
                if self.primary {
                    warn!("otscope: {e}");
                }
            }
        }
    }

    /// Advance cursor `c` past its head record, loading its next block when needed.
    fn advance(&mut self, c: usize) {
        let cur = &mut self.active[c];
        cur.idx += 1;
        if cur.idx < cur.block.recs.len() {
            return;
        }
        let old = std::mem::take(&mut cur.block);
        let (buf, recs) = match Arc::try_unwrap(old) {
            Ok(b) => (b.data, b.recs),
            // Still shared with workers: take a retired buffer they are done with, if any.
            Err(shared) => {
                self.retired.push_back(shared);
                let free = self.retired.iter().position(|b| Arc::strong_count(b) == 1);
                match free.and_then(|i| self.retired.remove(i)) {
                    Some(b) => match Arc::try_unwrap(b) {
                        Ok(b) => (b.data, b.recs),
                        Err(_) => (Vec::new(), Vec::new()),
                    },
                    None => (Vec::new(), Vec::new()),
                }
            }
        };
        if self.retired.len() > MAX_RETIRED {
            self.retired.pop_front();
        }
        let cur = &mut self.active[c];
        match cur.reader.next_block_with(buf, recs, self.block_size) {
            Some(b) => {
                cur.block = Arc::new(b);
                cur.idx = 0;
            }
            None => {
                let mut done = self.active.swap_remove(c);
                self.summaries[done.reader.input() as usize] = Some(done.reader.summary());
            }
        }
    }

    /// Index of the active cursor holding the earliest frame, after opening every pending
    /// file whose first packet is not later than it.
    fn next_cursor(&mut self) -> Option<usize> {
        loop {
            let best = (0..self.active.len())
                .min_by_key(|&i| (self.active[i].head_ts(), self.active[i].reader.input()));
            let due = match (best, self.pending.last()) {
                (None, Some(_)) => true,
                (Some(b), Some(p)) => p.first_ts <= self.active[b].head_ts(),
                _ => false,
            };
            if due {
                let p = self.pending.pop().unwrap();
                self.activate(p);
                continue;
            }
            return best;
        }
    }

    /// Call `f` on every frame of every input in timestamp order.
    pub fn for_each(&mut self, mut f: impl FnMut(&Frame<'_>)) {
        while let Some(c) = self.next_cursor() {
            if self.active.len() == 1 && self.pending.is_empty() {
                // Single input left: hand over whole blocks without per-frame comparisons.
                let cur = &mut self.active[c];
                for i in cur.idx..cur.block.recs.len() {
                    f(&cur.block.frame(i));
                }
                cur.idx = cur.block.recs.len() - 1;
                self.advance(c);
                continue;
            }
            let cur = &self.active[c];
            f(&cur.block.frame(cur.idx));
            self.advance(c);
        }
    }

    /// The next batch of up to `max` frames in merged order (for worker threads).
    pub fn next_batch(&mut self, max: usize) -> Option<Batch> {
        let mut batch = Batch {
            blocks: Vec::new(),
            order: Vec::with_capacity(max.min(1 << 16)),
        };
        while batch.order.len() < max {
            let Some(c) = self.next_cursor() else { break };
            let cur = &self.active[c];
            let bi = match batch.blocks.iter().position(|b| Arc::ptr_eq(b, &cur.block)) {
                Some(i) => i,
                None => {
                    batch.blocks.push(cur.block.clone());
                    batch.blocks.len() - 1
                }
            };
            if self.active.len() == 1 && self.pending.is_empty() {
                let n = (cur.block.recs.len() - cur.idx).min(max - batch.order.len());
                for i in cur.idx..cur.idx + n {
                    batch.order.push((bi as u16, i as u32));
                }
                self.active[c].idx += n - 1;
            } else {
                batch.order.push((bi as u16, cur.idx as u32));
            }
            self.advance(c);
        }
        (!batch.order.is_empty()).then_some(batch)
    }

    /// Give a finished block buffer back for reuse.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if self.spare.len() < 4 {
            self.spare.push(buf);
        }
    }

    /// Summaries of every input that was read (index = input), after the stream is drained.
    pub fn summaries(self) -> Vec<Option<InputSummary>> {
        self.summaries
    }

    /// The summaries without consuming the reader (complete once the stream is drained).
    pub fn summaries_so_far(&self) -> &[Option<InputSummary>] {
        &self.summaries
    }
}

/// Convenience: the files of `paths` (directories expanded), merged.
pub fn open_paths(paths: &[PathBuf], max_record: usize) -> (Expanded, MergedReader) {
    let mut x = expand_inputs(paths);
    let (reader, errs) = MergedReader::open(&x.files, max_record);
    x.errors.extend(errs);
    (x, reader)
}

/// Sizes of the files now (`u64::MAX` for one that cannot be read: the reader reports it): the
/// caps with which a run reads its inputs as they were when it began.
pub fn sizes_now(files: &[PathBuf]) -> Vec<u64> {
    files
        .iter()
        .map(|p| std::fs::metadata(p).map_or(u64::MAX, |m| m.len()))
        .collect()
}

/// Display form of a path for the report.
pub fn display(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pcap(ts: &[u32], tag: u8) -> tempfile::NamedTempFile {
        let mut v = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        for &t in ts {
            v.extend_from_slice(&t.to_le_bytes());
            v.extend_from_slice(&[0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, tag, t as u8]);
        }
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&v).unwrap();
        f
    }

    #[test]
    fn merges_by_timestamp_and_keeps_per_file_frame_numbers() {
        let a = pcap(&[1, 4, 5, 9], 0xa);
        let b = pcap(&[2, 3, 6], 0xb);
        let c = pcap(&[20, 21], 0xc); // opened only when reached
        let files = vec![a.path().into(), b.path().into(), c.path().into()];
        for block in [64usize, 1 << 20] {
            let (mut m, errs) = MergedReader::open(&files, 65536);
            m = m.with_block_size(block);
            assert!(errs.is_empty());
            let mut seen = Vec::new();
            m.for_each(|f| seen.push((f.data[1], f.input, f.number)));
            let ts: Vec<u8> = seen.iter().map(|s| s.0).collect();
            assert_eq!(ts, vec![1, 2, 3, 4, 5, 6, 9, 20, 21]);
            assert_eq!(seen[1], (2, 1, 1));
            assert_eq!(seen[6], (9, 0, 4));
            let sums = m.summaries();
            assert_eq!(
                sums.iter()
                    .map(|s| s.as_ref().unwrap().packets)
                    .collect::<Vec<_>>(),
                vec![4, 3, 2]
            );
        }
        // batches give the same order
        let (mut m, _) = MergedReader::open(&files, 65536);
        let mut seen = Vec::new();
        while let Some(b) = m.next_batch(2) {
            assert!(b.len() <= 2);
            for i in 0..b.len() {
                seen.push(b.frame(i).data[1]);
            }
        }
        assert_eq!(seen, vec![1, 2, 3, 4, 5, 6, 9, 20, 21]);
    }

    #[test]
    fn bad_files_are_reported_and_the_rest_read() {
        let good = pcap(&[1, 2], 1);
        let mut bad = tempfile::NamedTempFile::new().unwrap();
        bad.write_all(b"GIF89a not a capture at all").unwrap();
        let files = vec![bad.path().into(), good.path().into()];
        let (mut m, errs) = MergedReader::open(&files, 65536);
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0]
                .path
                .ends_with(bad.path().file_name().unwrap().to_str().unwrap())
        );
        let mut n = 0;
        m.for_each(|_| n += 1);
        assert_eq!(n, 2);
        let sums = m.summaries();
        assert!(sums[0].is_none() && sums[1].is_some());
    }

    #[test]
    fn directories_expand_to_their_captures_only() {
        let d = tempfile::tempdir().unwrap();
        let x = expand_inputs(&[d.path().to_path_buf()]);
        assert!(x.files.is_empty());
        assert_eq!(x.errors[0].error, "directory holds no capture files");
        let a = pcap(&[1], 1);
        std::fs::copy(a.path(), d.path().join("b.pcap")).unwrap();
        std::fs::copy(a.path(), d.path().join("a.pcap")).unwrap();
        std::fs::write(d.path().join("zones.toml"), "[policy]\n").unwrap();
        std::fs::write(d.path().join(".hidden.pcap"), "x").unwrap();
        let x = expand_inputs(&[d.path().to_path_buf()]);
        let names: Vec<_> = x
            .files
            .iter()
            .map(|f| f.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(names, vec!["a.pcap", "b.pcap"]);
        assert!(x.errors.is_empty());
        assert_eq!(x.skipped[0].1, 1);
    }
}
