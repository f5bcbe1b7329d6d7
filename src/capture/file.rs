//! Reading one capture file block by block.

use super::pcap::{PcapState, Step};
use super::pcapng::{self, PcapngState};
use super::{Block, FileFormat, InputError, InputSummary, LinkType, Rec, Stop};
use crate::time::Timestamp;
use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A reader that counts every byte it passes on and hashes it, until the hashing is handed
/// to a background thread ([`BgHash`]).
struct Hashing<R> {
    inner: R,
    sha: Option<Sha256>,
    n: u64,
    /// Read no further than this many bytes (see [`FileReader::open_with`]).
    cap: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = usize::try_from(self.cap.saturating_sub(self.n)).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        if want == 0 {
            return Ok(0);
        }
        let k = self.inner.read(&mut buf[..want])?;
        if let Some(sha) = &mut self.sha {
            sha.update(&buf[..k]);
        }
        self.n += k as u64;
        Ok(k)
    }
}

enum Source {
    Plain(Hashing<File>),
    Gzip(Box<MultiGzDecoder<BufReader<Hashing<File>>>>),
}

impl Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Plain(r) => r.read(buf),
            Source::Gzip(r) => r.read(buf),
        }
    }

    fn hashing(&mut self) -> &mut Hashing<File> {
        match self {
            Source::Plain(r) => r,
            Source::Gzip(r) => r.get_mut().get_mut(),
        }
    }

    /// Hash the rest of the file and return its digest and size (inline hashing only).
    fn finish(self) -> (String, u64) {
        let mut h = match self {
            Source::Plain(r) => r,
            Source::Gzip(r) => r.into_inner().into_inner(),
        };
        let _ = io::copy(&mut h, &mut io::sink());
        // No digest for an unhashed reader (an empty string, not the digest of nothing).
        let sha = h.sha.take().map(|sha| hex(&sha.finalize()));
        (sha.unwrap_or_default(), h.n)
    }
}

/// Files at least this large hash in a background thread once this many bytes were read.
const BG_HASH_MIN_FILE: u64 = 16 << 20;
/// Reads with blocks at least this large (not a peek at the first records) hash in background.
const BG_HASH_MIN_BLOCK: usize = 128 << 10;
/// How far (bytes) the background hash may run ahead of the reader: both then read from the
/// page cache, so the file is read from disk once even when it does not fit in memory.
const BG_HASH_LEAD: u64 = 256 << 20;

/// SHA-256 of a regular file computed by a thread of its own, which opens the file again and
/// goes on from where inline hashing stopped. SHA-256 (about 1.5 GB/s with SHA-NI) would
/// otherwise cost as much as the analysis of the bytes it hashes.
struct BgHash {
    handle: Option<std::thread::JoinHandle<(String, u64)>>,
    /// Raw bytes the reader has consumed (`u64::MAX`: stop throttling).
    reader_pos: Arc<AtomicU64>,
    cancel: Arc<AtomicBool>,
}

impl BgHash {
    fn start(path: &Path, sha: Sha256, from: u64, cap: u64) -> io::Result<BgHash> {
        use std::io::{Seek, SeekFrom};
        let mut f = File::open(path)?.take(cap.saturating_sub(from));
        f.get_mut().seek(SeekFrom::Start(from))?;
        let reader_pos = Arc::new(AtomicU64::new(from));
        let cancel = Arc::new(AtomicBool::new(false));
        let (pos, stop) = (reader_pos.clone(), cancel.clone());
        let handle = std::thread::Builder::new()
            .name("otscope-sha256".into())
            .spawn(move || {
                let (mut sha, mut n) = (sha, from);
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    while n > pos.load(Ordering::Acquire).saturating_add(BG_HASH_LEAD) {
                        if stop.load(Ordering::Relaxed) {
                            return (String::new(), n);
                        }
                        std::thread::park_timeout(std::time::Duration::from_millis(1));
                    }
                    if stop.load(Ordering::Relaxed) {
                        return (String::new(), n);
                    }
                    match f.read(&mut buf) {
                        Ok(0) => break,
                        Ok(k) => {
                            sha.update(&buf[..k]);
                            n += k as u64;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        // As inline: the digest of what could be read.
                        Err(_) => break,
                    }
                }
                (hex(&sha.finalize()), n)
            })?;
        Ok(BgHash {
            handle: Some(handle),
            reader_pos,
            cancel,
        })
    }

    fn finish(&mut self) -> Option<(String, u64)> {
        self.reader_pos.store(u64::MAX, Ordering::Release);
        self.handle.take()?.join().ok()
    }
}

impl Drop for BgHash {
    fn drop(&mut self) {
        if self.handle.is_some() {
            self.cancel.store(true, Ordering::Relaxed);
        }
    }
}

fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 15) as usize] as char);
    }
    s
}

enum Parser {
    Pcap(PcapState),
    Pcapng(PcapngState),
}

impl Parser {
    fn parse(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        number: &mut u64,
        out: &mut Vec<Rec>,
        max: usize,
    ) -> Step {
        match self {
            Parser::Pcap(p) => p.parse(buf, pos, number, out, max),
            Parser::Pcapng(p) => p.parse(buf, pos, number, out, max),
        }
    }
}

/// Fill `buf` as far as the source goes; returns the bytes read and the error that stopped
/// reading early, if any (bytes read before an error are kept).
fn read_full(src: &mut Source, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => e.to_string(),
    }
}

/// A capture file being read.
pub struct FileReader {
    input: u16,
    path: PathBuf,
    src: Option<Source>,
    parser: Parser,
    format: FileFormat,
    compressed: bool,
    max_record: usize,
    /// Bytes of an incomplete record carried into the next block.
    carry: Vec<u8>,
    /// Stream offset of the first byte of `carry`.
    carry_off: u64,
    number: u64,
    eof: bool,
    /// Size of the file on disk (the uncompressed size is unknown for gzip).
    file_len: u64,
    /// A read error seen with the last fill, reported where parsing stops.
    read_error: Option<String>,
    /// Size of the file on disk, or `cap` if smaller.
    regular_len: u64,
    /// Bytes of the file this reader may read (see [`FileReader::open_with`]).
    cap: u64,
    /// The background hash, once started.
    bg: Option<BgHash>,
    /// Record index of the last block, reused.
    spare_recs: Vec<Rec>,
    // summary
    sha256: String,
    file_bytes: u64,
    captured: u64,
    truncated: u64,
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
    links: BTreeSet<LinkType>,
    stopped: Option<Stop>,
}

impl FileReader {
    /// Open a file and check that it is a capture. Errors name what is wrong in one line.
    pub fn open(path: &Path, input: u16, max_record: usize) -> Result<FileReader, InputError> {
        Self::open_with(path, input, max_record, u64::MAX, true)
    }

    /// [`FileReader::open`] that reads no more than the first `cap` bytes of the file, as if it
    /// ended there (a run reads its files as they were when it began, even if a capture is still
    /// being written, so that every reader of a file sees the same frames), and hashes the file
    /// only if `hash` (a second reader of a file another reader hashes has an empty digest).
    pub fn open_with(
        path: &Path,
        input: u16,
        max_record: usize,
        cap: u64,
        hash: bool,
    ) -> Result<FileReader, InputError> {
        let err = |e: String| InputError {
            path: path.display().to_string(),
            error: e,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(describe_io(&e)))?;
        if meta.is_dir() {
            return Err(err("is a directory".into()));
        }
        if !meta.is_file() {
            // A pipe is read twice (a peek for its first timestamp, then the run): only files.
            return Err(err(
                "not a regular file (a pipe or a device): save the capture to a file".into(),
            ));
        }
        let len = meta.len().min(cap);
        if len == 0 {
            return Err(err("empty file (0 bytes): not a capture".into()));
        }
        let f = File::open(path).map_err(|e| err(describe_io(&e)))?;
        let mut plain = Hashing {
            inner: f,
            sha: None,
            n: 0,
            cap,
        };
        let mut magic = [0u8; 2];
        let got = plain.read(&mut magic).map_err(|e| err(describe_io(&e)))?;
        // Re-open to start over cleanly (the two magic bytes are hashed again from the start).
        let f = File::open(path).map_err(|e| err(describe_io(&e)))?;
        let plain = Hashing {
            inner: f,
            sha: hash.then(Sha256::new),
            n: 0,
            cap,
        };
        let compressed = got == 2 && magic == [0x1f, 0x8b];
        let mut src = if compressed {
            Source::Gzip(Box::new(MultiGzDecoder::new(BufReader::with_capacity(
                1 << 16,
                plain,
            ))))
        } else {
            Source::Plain(plain)
        };
        let mut hdr = [0u8; 24];
        let (n, e) = read_full(&mut src, &mut hdr);
        if let (Some(e), true) = (e, n < 24) {
            return Err(err(if compressed {
                format!("gzip data unreadable: {e}")
            } else {
                describe_io(&e)
            }));
        }
        let hdr = &hdr[..n];
        let what = if compressed {
            "gzip-compressed file holding neither"
        } else {
            "neither"
        };
        if n < 4 {
            return Err(err(format!("{what} a pcap nor a pcapng file ({n} bytes)")));
        }
        let (parser, format, skip) = if u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]])
            == pcapng::SHB
        {
            PcapngState::check_header(hdr).map_err(err)?;
            (
                Parser::Pcapng(PcapngState::default()),
                FileFormat::Pcapng,
                0,
            )
        } else {
            match PcapState::from_header(hdr) {
                Ok(p) => (Parser::Pcap(p), FileFormat::Pcap, 24),
                Err(e) if e.starts_with("truncated") => return Err(err(e)),
                Err(_) => {
                    return Err(err(format!(
                        "{what} a pcap nor a pcapng file (starts with {:02x} {:02x} {:02x} {:02x})",
                        hdr[0], hdr[1], hdr[2], hdr[3]
                    )));
                }
            }
        };
        let mut links = BTreeSet::new();
        if let Parser::Pcap(p) = &parser {
            links.insert(p.link());
        }
        // pcapng keeps its SHB in the stream (the parser reads it as a block).
        let carry = hdr[skip..].to_vec();
        Ok(FileReader {
            input,
            path: path.to_path_buf(),
            src: Some(src),
            parser,
            format,
            compressed,
            max_record,
            carry,
            carry_off: skip as u64,
            number: 0,
            eof: false,
            file_len: if compressed { u64::MAX } else { len },
            read_error: None,
            regular_len: len,
            cap,
            bg: None,
            spare_recs: Vec::new(),
            sha256: String::new(),
            file_bytes: 0,
            captured: 0,
            truncated: 0,
            first_ts: None,
            last_ts: None,
            links,
            stopped: None,
        })
    }

    pub fn input(&self) -> u16 {
        self.input
    }

    /// The file is gzip-compressed (read through an inflater).
    pub fn compressed(&self) -> bool {
        self.compressed
    }

    /// Bytes read from the file so far (plain files: the stream offset).
    fn raw_read(&self) -> u64 {
        match &self.src {
            Some(Source::Plain(h)) => h.n,
            _ => 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the next block of complete records into `buf` (reused). `None` at the end of the file
    /// (or where reading had to stop; see [`InputSummary::stopped`]).
    ///
    /// `Block::data` may be longer than the bytes read: the tail after the last record is
    /// scratch (a reused buffer is not zeroed again).
    pub fn next_block(&mut self, buf: Vec<u8>, block_size: usize) -> Option<Block> {
        let recs = std::mem::take(&mut self.spare_recs);
        self.next_block_with(buf, recs, block_size)
    }

    /// [`FileReader::next_block`] reusing the record index of a finished block too.
    pub fn next_block_with(
        &mut self,
        mut buf: Vec<u8>,
        mut recs: Vec<Rec>,
        block_size: usize,
    ) -> Option<Block> {
        self.src.as_ref()?;
        if block_size >= BG_HASH_MIN_BLOCK {
            self.maybe_hash_in_background();
        }
        loop {
            let block_off = self.carry_off;
            let mut filled = self.carry.len();
            if buf.len() < filled {
                buf.resize(filled, 0);
            }
            buf[..filled].copy_from_slice(&self.carry);
            self.carry.clear();
            // Small files get a small buffer: no point zero-filling megabytes for a few frames.
            let rest = self
                .file_len
                .saturating_sub(self.raw_read())
                .saturating_add(64) as usize;
            let mut want = block_size.min(rest.max(4096)).max(filled + 1);
            let mut pos = 0usize;
            recs.clear();
            loop {
                if !self.eof && filled < want {
                    if buf.len() < want {
                        // Zeroed once; a reused buffer is already long enough.
                        buf.resize(want, 0);
                    }
                    let (k, e) =
                        read_full(self.src.as_mut().expect("open"), &mut buf[filled..want]);
                    filled += k;
                    if self.bg.is_some() {
                        let at = self.src.as_mut().map_or(0, |s| s.hashing().n);
                        if let Some(bg) = &self.bg {
                            bg.reader_pos.store(at, Ordering::Release);
                        }
                    }
                    if filled < want {
                        self.eof = true;
                    }
                    if let Some(e) = e {
                        self.eof = true;
                        self.read_error = Some(if self.compressed {
                            format!("gzip stream ends early or is damaged ({e})")
                        } else {
                            format!("read error: {e}")
                        });
                    }
                }
                match self.parser.parse(
                    &buf[..filled],
                    &mut pos,
                    &mut self.number,
                    &mut recs,
                    self.max_record,
                ) {
                    Step::NeedMore { need } => {
                        let have = filled - pos;
                        if self.eof {
                            if let Some(e) = self.read_error.take() {
                                self.stop(block_off + pos as u64, e);
                            } else if have > 0 {
                                self.stop(
                                    block_off + pos as u64,
                                    format!(
                                        "capture cut short: last record incomplete ({have} of {need} bytes present)"
                                    ),
                                );
                            }
                            break;
                        }
                        if recs.is_empty() && pos == 0 {
                            // One record larger than the block: grow and read on.
                            want = want.max(need);
                            if filled >= want {
                                want = filled + 1;
                            }
                            continue;
                        }
                        // Carry the incomplete record into the next block.
                        self.carry.extend_from_slice(&buf[pos..filled]);
                        self.carry_off = block_off + pos as u64;
                        break;
                    }
                    Step::Corrupt(reason) => {
                        self.stop(block_off + pos as u64, reason);
                        self.eof = true;
                        break;
                    }
                }
            }
            for r in &recs {
                self.captured += r.caplen as u64;
                if r.caplen < r.origlen {
                    self.truncated += 1;
                }
                if r.ts != Timestamp::ZERO {
                    self.first_ts = Some(self.first_ts.map_or(r.ts, |t| t.min(r.ts)));
                    self.last_ts = Some(self.last_ts.map_or(r.ts, |t| t.max(r.ts)));
                }
            }
            if !recs.is_empty() {
                // Link types change only at pcapng interface boundaries; a cheap scan.
                let mut prev = None;
                for r in &recs {
                    if prev != Some(r.link) {
                        self.links.insert(r.link);
                        prev = Some(r.link);
                    }
                }
                return Some(Block {
                    input: self.input,
                    data: buf,
                    recs,
                });
            }
            if self.eof {
                self.spare_recs = recs;
                self.finish();
                return None;
            }
        }
    }

    /// Hand the SHA-256 of a large regular file to a thread of its own when it is read in
    /// earnest (a file only peeked at with a small block, or a small file, is hashed inline).
    fn maybe_hash_in_background(&mut self) {
        if self.bg.is_some() || self.regular_len < BG_HASH_MIN_FILE || self.eof {
            return;
        }
        let Some(src) = self.src.as_mut() else { return };
        let h = src.hashing();
        let Some(sha) = h.sha.take() else { return };
        match BgHash::start(&self.path, sha.clone(), h.n, self.cap) {
            Ok(bg) => self.bg = Some(bg),
            // Could not open the file again: keep hashing inline.
            Err(_) => h.sha = Some(sha),
        }
    }

    fn stop(&mut self, offset: u64, reason: String) {
        if self.stopped.is_none() {
            self.stopped = Some(Stop {
                offset,
                after_frame: self.number,
                reason,
            });
        }
    }

    fn finish(&mut self) {
        if let Some(src) = self.src.take() {
            let (sha, n) = match self.bg.as_mut() {
                Some(bg) => {
                    drop(src);
                    bg.finish().unwrap_or_default()
                }
                None => src.finish(),
            };
            self.sha256 = sha;
            self.file_bytes = n;
        }
    }

    /// The report's description of this input (call after the last block).
    pub fn summary(&mut self) -> InputSummary {
        self.finish();
        let interface_drops = match &self.parser {
            Parser::Pcapng(p) => p.drops(),
            Parser::Pcap(_) => None,
        };
        InputSummary {
            pruned: false,
            path: self.path.display().to_string(),
            sha256: self.sha256.clone(),
            format: self.format,
            compressed: self.compressed,
            link_types: self.links.iter().map(|l| l.name()).collect(),
            packets: self.number,
            bytes: self.captured,
            file_bytes: self.file_bytes,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            truncated_by_snaplen: self.truncated,
            interface_drops,
            stopped: self.stopped.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pcap_bytes(n: usize, payload: usize) -> Vec<u8> {
        let mut v = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        for i in 0..n {
            v.extend_from_slice(&(100 + i as u32).to_le_bytes());
            v.extend_from_slice(&0u32.to_le_bytes());
            v.extend_from_slice(&(payload as u32).to_le_bytes());
            v.extend_from_slice(&(payload as u32 + 10).to_le_bytes());
            v.extend(std::iter::repeat_n(i as u8, payload));
        }
        v
    }

    fn write_tmp(bytes: &[u8], gz: bool) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        if gz {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            f.write_all(&e.finish().unwrap()).unwrap();
        } else {
            f.write_all(bytes).unwrap();
        }
        f
    }

    fn read_all(path: &Path, block: usize) -> (Vec<(u64, u8)>, InputSummary) {
        let mut r = FileReader::open(path, 0, 65536).unwrap();
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(b) = r.next_block(buf, block) {
            for i in 0..b.recs.len() {
                let f = b.frame(i);
                out.push((f.number, f.data[0]));
            }
            buf = b.data;
        }
        (out, r.summary())
    }

    #[test]
    fn a_limited_reader_stops_where_the_file_ended_when_the_run_began() {
        // 10 records of 116 bytes after the 24-byte header; the file then grows by 5 more.
        let bytes = pcap_bytes(15, 100);
        let f = write_tmp(&bytes, false);
        let at_start = 24 + 10 * 116;
        for (hash, block) in [(true, 64), (false, 64), (false, 1 << 20)] {
            let mut r = FileReader::open_with(f.path(), 0, 65536, at_start, hash).unwrap();
            let mut n = 0;
            let mut buf = Vec::new();
            while let Some(b) = r.next_block(buf, block) {
                n += b.recs.len();
                buf = b.data;
            }
            let s = r.summary();
            assert_eq!((n, s.packets), (10, 10), "block {block}");
            assert!(s.stopped.is_none(), "a clean end: {:?}", s.stopped);
            assert_eq!(s.sha256.is_empty(), !hash);
            assert_eq!(s.file_bytes, at_start);
        }
        // A cap inside the header: as if the file were that short.
        let e = FileReader::open_with(f.path(), 0, 65536, 10, true)
            .err()
            .unwrap();
        assert!(
            e.error.contains("truncated pcap file header"),
            "{}",
            e.error
        );
        let e = FileReader::open_with(f.path(), 0, 65536, 0, true)
            .err()
            .unwrap();
        assert!(e.error.contains("empty file"), "{}", e.error);
    }

    #[test]
    fn a_large_file_hashed_in_background_is_hashed_up_to_the_cap() {
        // Over BG_HASH_MIN_FILE, read in blocks large enough to hash in background.
        let bytes = pcap_bytes(150_000, 100);
        assert!(bytes.len() as u64 > BG_HASH_MIN_FILE);
        let f = write_tmp(&bytes, false);
        let cap = 24 + 100_000 * 116;
        let mut r = FileReader::open_with(f.path(), 0, 65536, cap, true).unwrap();
        let mut buf = Vec::new();
        let mut n = 0;
        while let Some(b) = r.next_block(buf, 1 << 20) {
            n += b.recs.len();
            buf = b.data;
        }
        let s = r.summary();
        assert_eq!((n, s.packets, s.file_bytes), (100_000, 100_000, cap));
        let want: String = Sha256::digest(&bytes[..cap as usize])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            s.sha256, want,
            "the digest of what was read, not of the whole file"
        );
    }

    #[test]
    fn records_straddling_small_blocks_and_gzip() {
        let bytes = pcap_bytes(50, 100);
        for gz in [false, true] {
            let f = write_tmp(&bytes, gz);
            // 64-byte blocks: every record straddles a boundary, and each is larger than a block.
            let (frames, s) = read_all(f.path(), 64);
            assert_eq!(frames.len(), 50);
            assert!(
                frames
                    .iter()
                    .enumerate()
                    .all(|(i, &(n, b))| n == i as u64 + 1 && b == i as u8)
            );
            assert_eq!(s.packets, 50);
            assert_eq!(s.truncated_by_snaplen, 50);
            assert!(s.stopped.is_none());
            assert_eq!(s.compressed, gz);
            assert_eq!(s.sha256.len(), 64);
        }
    }

    #[test]
    fn cut_short_file_keeps_what_came_before() {
        let mut bytes = pcap_bytes(3, 40);
        bytes.truncate(bytes.len() - 7);
        for gz in [false, true] {
            let f = write_tmp(&bytes, gz);
            let (frames, s) = read_all(f.path(), 1 << 20);
            assert_eq!(frames.len(), 2);
            let stop = s.stopped.expect("stop noted");
            assert_eq!(stop.after_frame, 2);
            assert_eq!(stop.offset, 24 + 2 * 56);
            assert!(stop.reason.contains("cut short"), "{}", stop.reason);
        }
        // A gzip stream cut in the middle is a stop too, not an error.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&pcap_bytes(200, 500)).unwrap();
        let mut gz = e.finish().unwrap();
        gz.truncate(gz.len() / 2);
        let f = write_tmp(&gz, false);
        let (frames, s) = read_all(f.path(), 1 << 20);
        assert!(
            !frames.is_empty() && frames.len() < 200,
            "{} frames",
            frames.len()
        );
        assert!(s.stopped.is_some());
    }

    #[test]
    fn not_a_capture_empty_and_directory() {
        let f = write_tmp(b"hello world, this is not a capture", false);
        let e = FileReader::open(f.path(), 0, 65536).err().unwrap();
        assert!(
            e.error.contains("neither a pcap nor a pcapng"),
            "{}",
            e.error
        );
        let f = write_tmp(b"", false);
        assert!(
            FileReader::open(f.path(), 0, 65536)
                .err()
                .unwrap()
                .error
                .contains("empty")
        );
        let f = write_tmp(&pcap_bytes(0, 0)[..10], false);
        assert!(
            FileReader::open(f.path(), 0, 65536)
                .err()
                .unwrap()
                .error
                .contains("truncated")
        );
        let d = tempfile::tempdir().unwrap();
        assert!(
            FileReader::open(d.path(), 0, 65536)
                .err()
                .unwrap()
                .error
                .contains("directory")
        );
        let e = FileReader::open(Path::new("/nonexistent/x.pcap"), 0, 65536)
            .err()
            .unwrap();
        assert_eq!(e.error, "no such file");
    }

    #[test]
    fn zero_packet_capture_is_fine() {
        let f = write_tmp(&pcap_bytes(0, 0), false);
        let (frames, s) = read_all(f.path(), 4096);
        assert!(frames.is_empty());
        assert_eq!(s.packets, 0);
        assert!(s.stopped.is_none());
        assert_eq!(s.first_ts, None);
    }
}
