//! Per-flow state of the OPC UA dissector. Every table is bounded.

use crate::dissect::Dir;

/// Secure channels remembered per flow (a connection carries one, renewals reuse it).
pub const MAX_CHANNELS: usize = 8;
/// Multi-chunk messages under reassembly at once per flow.
pub const MAX_REASSEMBLIES: usize = 4;
/// Certificates already reported per flow (by thumbprint prefix).
pub const MAX_CERTS_SEEN: usize = 8;
/// Certificates kept as [`State::recent_certs`] (at most [`MAX_CERTS_SEEN`]), and the longest.
pub const RECENT_CERTS: usize = 2;
pub const RECENT_CERT_MAX: usize = 8 << 10;
/// `opcua.endpoint` / `opcua.discovered_server` facts per flow.
pub const MAX_ENDPOINT_FACTS: u16 = 64;
/// Observations with device-chosen strings per flow (endpoints, certificates, policies...).
pub const MAX_STRING_REPORTS: u16 = 1024;
/// Build-information values remembered per flow (to report a polled value once).
pub const MAX_BUILD_SEEN: usize = 16;
/// `opcua.unknown_service` facts per flow.
pub const MAX_UNKNOWN_SERVICES: u8 = 8;
/// Read items remembered per pending Read (build information nodes only).
pub const MAX_READ_ITEMS: usize = 8;

/// How a secure channel protects its messages, as far as the wire shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Policy None: everything readable.
    None,
    /// Signed only: bodies readable (a signature follows them). Known from a readable body on
    /// a channel whose policy is not None.
    Sign,
    /// Bodies are not readable.
    SignAndEncrypt,
    /// Policy not None and no MSG seen yet: Sign or SignAndEncrypt.
    Unknown,
    /// Readable bodies on a channel whose OPN was not seen: None or Sign.
    Plain,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::None => "None",
            Mode::Sign => "Sign",
            Mode::SignAndEncrypt => "SignAndEncrypt",
            Mode::Unknown => "SignOrEncrypt",
            Mode::Plain => "NoneOrSign",
        }
    }

    pub fn readable(self) -> bool {
        matches!(self, Mode::None | Mode::Sign | Mode::Plain)
    }
}

#[derive(Debug, Clone)]
pub struct Channel {
    /// Secure channel id (0 until the server assigns one).
    pub id: u32,
    /// Security policy URI (`None` policy is stored as its URI too).
    pub policy: String,
    pub mode: Mode,
    /// The mode fact was emitted.
    pub mode_reported: bool,
}

/// What a request asked, kept until its response (matched by request handle).
#[derive(Debug, Clone)]
pub enum PendingKind {
    /// A Read of build information nodes: (index in the request, ns=0 node id).
    Read {
        items: [(u32, u32); MAX_READ_ITEMS],
        n: u8,
    },
    /// An ActivateSession: the outcome comes with the response (or a ServiceFault).
    Activate {
        mechanism: &'static str,
        user: Option<String>,
        secret: Option<String>,
        cleartext: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Pending {
    pub handle: u32,
    pub kind: PendingKind,
}

/// A message being reassembled from intermediate chunks.
#[derive(Debug, Clone)]
pub struct Reasm {
    pub dir: Dir,
    pub channel: u32,
    pub request_id: u32,
    /// Bodies after the sequence header, concatenated.
    pub buf: Vec<u8>,
    pub chunks: u32,
    /// Exceeded the bound: chunks are dropped until the final one.
    pub overflow: bool,
}

/// Per direction.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirState {
    /// A header was found and the stream is followed message by message.
    pub synced: bool,
    /// Bytes of an oversized chunk still to skip.
    pub skip: u64,
    /// Largest chunk the receiver of this direction accepts (from HEL/ACK; 0 unknown).
    pub max_chunk: u32,
    /// Largest message the receiver accepts (0 unknown / unlimited).
    pub max_message: u32,
    /// Largest number of chunks the receiver accepts (0 unlimited).
    pub max_chunks: u32,
}

/// State of one OPC UA flow.
#[derive(Debug, Default)]
pub struct State {
    pub dirs: [DirState; 2],
    pub channels: Vec<Channel>,
    pub pending: Vec<Pending>,
    pub reasm: Vec<Reasm>,
    pub reasm_bytes: usize,
    /// Endpoint URL of the HEL (the URL the client used to reach this server).
    pub hello_url: Option<String>,
    /// The UA server opened the connection (ReverseHello).
    pub reverse: bool,
    /// SHA-1 thumbprints (first 8 bytes) of certificates already reported.
    pub certs_seen: Vec<[u8; 8]>,
    /// The bytes of the last [`RECENT_CERTS`] certificates checked, most recent first (those
    /// of at most [`RECENT_CERT_MAX`] bytes). Their keys went into `certs_seen` then, and
    /// fewer than [`MAX_CERTS_SEEN`] keys since, so they are still there: the same bytes
    /// again are seen without computing their SHA-1. A GetEndpoints response repeats the
    /// server's certificate in every endpoint; OpenSecureChannel requests and responses
    /// alternate the client's and the server's.
    pub recent_certs: Vec<Vec<u8>>,
    pub endpoint_facts: u16,
    /// Unreadable messages seen on channels whose OPN was not seen (mid-stream).
    pub undecided: u8,
    pub unknown_services: u8,
    pub reports: u16,
    pub budget_exhausted: bool,
    /// Digests of build-information values already reported.
    pub build_seen: Vec<u64>,
}

pub fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

impl State {
    pub fn dir(&mut self, d: Dir) -> &mut DirState {
        &mut self.dirs[di(d)]
    }

    pub fn channel(&mut self, id: u32) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| c.id == id)
    }

    /// Remember a channel (replacing one with the same id, evicting the oldest when full).
    pub fn upsert_channel(&mut self, ch: Channel) -> &mut Channel {
        if let Some(i) = self.channels.iter().position(|c| c.id == ch.id) {
            self.channels[i] = ch;
            return &mut self.channels[i];
        }
        if self.channels.len() >= MAX_CHANNELS {
            self.channels.remove(0);
        }
        self.channels.push(ch);
        let last = self.channels.len() - 1;
        &mut self.channels[last]
    }

    /// Remember a request; returns false when the table was full (oldest entry evicted).
    pub fn add_pending(&mut self, p: Pending, cap: usize) -> bool {
        self.pending.retain(|q| q.handle != p.handle);
        let cap = cap.max(1);
        let mut ok = true;
        while self.pending.len() >= cap {
            self.pending.remove(0);
            ok = false;
        }
        self.pending.push(p);
        ok
    }

    pub fn take_pending(&mut self, handle: u32) -> Option<Pending> {
        let i = self.pending.iter().position(|p| p.handle == handle)?;
        Some(self.pending.remove(i))
    }

    /// Whether this certificate was already reported; records it otherwise.
    pub fn cert_seen(&mut self, key: [u8; 8]) -> bool {
        if self.certs_seen.contains(&key) {
            return true;
        }
        if self.certs_seen.len() >= MAX_CERTS_SEEN {
            self.certs_seen.remove(0);
        }
        self.certs_seen.push(key);
        false
    }

    /// Whether this build-information value was already reported; records it otherwise.
    pub fn build_seen(&mut self, digest: u64) -> bool {
        if self.build_seen.contains(&digest) {
            return true;
        }
        if self.build_seen.len() >= MAX_BUILD_SEEN {
            self.build_seen.remove(0);
        }
        self.build_seen.push(digest);
        false
    }

    /// Drop the reassemblies of a direction (after a gap).
    pub fn drop_reasm(&mut self, d: Dir) {
        let mut freed = 0;
        self.reasm.retain(|r| {
            if r.dir == d {
                freed += r.buf.len();
                false
            } else {
                true
            }
        });
        self.reasm_bytes = self.reasm_bytes.saturating_sub(freed);
    }

    pub fn reasm_index(&self, d: Dir, channel: u32, request_id: u32) -> Option<usize> {
        self.reasm
            .iter()
            .position(|r| r.dir == d && r.channel == channel && r.request_id == request_id)
    }

    pub fn remove_reasm(&mut self, i: usize) -> Option<Reasm> {
        if i >= self.reasm.len() {
            return None;
        }
        let r = self.reasm.remove(i);
        self.reasm_bytes = self.reasm_bytes.saturating_sub(r.buf.len());
        Some(r)
    }
}
