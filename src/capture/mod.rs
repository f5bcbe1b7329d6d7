//! Frame sources: capture files (pcap, pcapng, either gzip-compressed) and, with the `live`
//! feature, a network interface.
//!
//! Files are read in large blocks (`BLOCK_SIZE`) into a reusable buffer; each block carries an
//! index of the complete records it holds (`Rec`), so frames are handed on as slices of the
//! block without copying. Several files are merged in timestamp order (`merge`), opening a file
//! only when the merged clock reaches its first packet, so a directory of rotated captures
//! holds one or two files open at a time.

pub mod file;
#[cfg(feature = "live")]
pub mod live;
pub mod merge;
mod pcap;
mod pcapng;

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Default block size for file reads (one thread). Every byte is touched three times in a row:
/// the kernel copies it in, the record scan reads the headers, the analysis reads the frames.
/// A block that fits in the core's L2 cache keeps the last two from missing it; 4 MiB blocks
/// cost about 10 % more CPU on one thread.
pub const BLOCK_SIZE: usize = 256 << 10;
/// Block size when workers analyse the frames: another core reads them, so the cache argument
/// does not hold, and larger blocks mean fewer allocations (a block lives until every worker
/// is done with it).
pub const SHARDED_BLOCK_SIZE: usize = 4 << 20;

/// Link-layer header type of a frame (pcap LINKTYPE_* values, normalised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkType {
    Ethernet,
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    Null,
    /// OpenBSD loopback: 4-byte address family in network byte order.
    Loop,
    /// Raw IP (version from the first nibble).
    Raw,
    Ipv4,
    Ipv6,
    LinuxSll,
    LinuxSll2,
    Other(u16),
}

impl LinkType {
    pub fn from_linktype(v: u32) -> LinkType {
        match v & 0xFFFF {
            1 => LinkType::Ethernet,
            0 => LinkType::Null,
            108 => LinkType::Loop,
            // 12 and 14 are DLT_RAW on some platforms; 101 is LINKTYPE_RAW.
            101 | 12 | 14 => LinkType::Raw,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            other => LinkType::Other(other as u16),
        }
    }

    /// The name `capinfos` / tshark use for the encapsulation.
    pub fn name(self) -> String {
        match self {
            LinkType::Ethernet => "ether".into(),
            LinkType::Null => "null".into(),
            LinkType::Loop => "loop".into(),
            LinkType::Raw => "rawip".into(),
            LinkType::Ipv4 => "rawip4".into(),
            LinkType::Ipv6 => "rawip6".into(),
            LinkType::LinuxSll => "linux-sll".into(),
            LinkType::LinuxSll2 => "linux-sll2".into(),
            LinkType::Other(v) => format!("linktype-{v}"),
        }
    }
}

/// One record in a block: where its bytes are and what the capture header said about it.
#[derive(Debug, Clone, Copy)]
pub struct Rec {
    /// Offset of the captured bytes in `Block::data`.
    pub off: u32,
    /// Captured length (bytes present).
    pub caplen: u32,
    /// Length on the wire.
    pub origlen: u32,
    pub link: LinkType,
    /// 1-based frame number within its file (what `tshark -r FILE` calls `frame.number`).
    pub number: u64,
    pub ts: Timestamp,
}

/// A chunk of one input file and the complete records in it.
#[derive(Debug, Default)]
pub struct Block {
    pub input: u16,
    pub data: Vec<u8>,
    pub recs: Vec<Rec>,
}

impl Block {
    #[inline]
    pub fn frame(&self, i: usize) -> Frame<'_> {
        let r = &self.recs[i];
        let start = r.off as usize;
        Frame {
            input: self.input,
            number: r.number,
            ts: r.ts,
            link: r.link,
            data: &self.data[start..start + r.caplen as usize],
            orig_len: r.origlen,
        }
    }
}

/// A captured frame as handed to the decoder.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Index of the input (file or interface) in the report's `inputs`.
    pub input: u16,
    /// 1-based frame number within that input.
    pub number: u64,
    pub ts: Timestamp,
    pub link: LinkType,
    pub data: &'a [u8],
    pub orig_len: u32,
}

/// Container format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Pcap,
    Pcapng,
    /// A network interface captured live (`otscope live` without `--save-pcap`).
    Live,
}

/// Why a file stopped being read before its end, and where.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stop {
    /// Byte offset (in the uncompressed stream) of the record that could not be read.
    pub offset: u64,
    /// Frames read before the stop.
    pub after_frame: u64,
    pub reason: String,
}

/// What the report says about one input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputSummary {
    pub path: String,
    pub sha256: String,
    pub format: FileFormat,
    pub compressed: bool,
    pub link_types: Vec<String>,
    pub packets: u64,
    /// Captured bytes of all frames (sum of captured lengths).
    pub bytes: u64,
    pub file_bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// Frames whose captured length is shorter than their length on the wire.
    pub truncated_by_snaplen: u64,
    /// Drops the capturing interface recorded (pcapng interface statistics), when present.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interface_drops: Option<u64>,
    /// Set when reading stopped before the end of the file (cut short or corrupt).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stopped: Option<Stop>,
    /// Live `--save-pcap --save-max`: the file was deleted to keep the saved files within
    /// their disk budget; its evidence can no longer be replayed.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub pruned: bool,
}

impl InputSummary {
    /// What a reader of the report should know about this input, for the text formats:
    /// where it stopped early, and whether it was deleted. Empty when neither.
    pub fn status(&self) -> String {
        let stopped = self
            .stopped
            .as_ref()
            .map(|s| format!("stopped after frame {}: {}", s.after_frame, s.reason));
        let pruned = self
            .pruned
            .then(|| "deleted by --save-max: its frames cannot be replayed".to_string());
        [stopped, pruned]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// An input that could not be read at all.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub error: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.error)
    }
}
