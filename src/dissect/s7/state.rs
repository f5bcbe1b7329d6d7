//! Per-flow state of the TPKT/COTP dissector. Everything here is bounded: the COTP
//! reassembly buffers by `Limits::max_pdu_bytes`, the SZL fragment buffer by
//! [`MAX_SZL_REASM`], the request table by `Limits::max_open_transactions`, and the "already
//! reported" sets by [`MAX_REMEMBERED`].

use crate::dissect::Dir;
use crate::evidence::Ev;
use std::collections::VecDeque;

/// Largest SZL answer reassembled from userdata fragments.
pub const MAX_SZL_REASM: usize = 16 * 1024;
/// Distinct values remembered per flow for facts that would otherwise be re-formatted per PDU
/// (SZL ids read, blocks up/downloaded).
pub const MAX_REMEMBERED: usize = 32;
/// Capacity kept by an emptied COTP reassembly buffer (larger ones are released).
pub const KEEP_CAPACITY: usize = 64 * 1024;
/// Garbage skipped, with no valid TPKT ever seen, before the flow is given up as not ours.
pub const DESYNC_AFTER: u64 = 16 * 1024;
/// Longest TSAP kept (S7comm-plus uses strings such as `SIMATIC-ROOT-HMI`).
pub const MAX_TSAP: usize = 32;

/// What the flow carries, decided by the first COTP data unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    #[default]
    Unknown,
    S7,
    S7Plus,
    Mms,
    IsoTsap,
}

impl Kind {
    pub fn proto(self) -> &'static str {
        match self {
            Kind::Unknown | Kind::S7 => "s7comm",
            Kind::S7Plus => "s7comm_plus",
            Kind::Mms => "mms",
            Kind::IsoTsap => "iso_tsap",
        }
    }
}

/// Per-direction state.
#[derive(Debug, Default)]
pub struct DirState {
    /// No header seen yet in this direction: a bad one is not garbage (the flow may have been
    /// picked up mid-stream), and the search that follows is strict.
    pub fresh: bool,
    /// Do not trust the bytes until a strongly plausible header is found (after a gap, after
    /// garbage, after a bad start).
    pub resync: bool,
    /// Payload of COTP DT units without end-of-TSDU, waiting for the last one.
    pub reasm: Vec<u8>,
    /// The unit being reassembled exceeded the bound: drop until its end.
    pub reasm_overflow: bool,
    /// The next S7comm-plus unit continues a fragmented one (no trailer seen yet).
    pub plus_cont: bool,
}

impl DirState {
    pub fn new() -> DirState {
        DirState {
            fresh: true,
            ..Default::default()
        }
    }

    pub fn reset(&mut self) {
        self.resync = true;
        self.reasm.clear();
        self.reasm_overflow = false;
        self.plus_cont = false;
    }
}

/// A bounded copy of a TSAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tsap {
    pub len: u8,
    pub bytes: [u8; MAX_TSAP],
}

impl Tsap {
    pub fn new(b: &[u8]) -> Tsap {
        let n = b.len().min(MAX_TSAP);
        let mut bytes = [0u8; MAX_TSAP];
        bytes[..n].copy_from_slice(&b[..n]);
        Tsap {
            len: n as u8,
            bytes,
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// A COTP connection request (or confirm, when the request was not seen), reported once the
/// first data unit tells what the flow carries.
#[derive(Debug, Clone, Copy)]
pub struct PendingConn {
    pub calling: Option<Tsap>,
    pub called: Option<Tsap>,
    pub ev: Ev,
    pub from_cr: bool,
}

/// The S7 password as sent (8 obfuscated bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Secret {
    pub len: u8,
    pub bytes: [u8; 8],
}

impl Secret {
    pub fn new(b: &[u8]) -> Secret {
        let n = b.len().min(8);
        let mut bytes = [0u8; 8];
        bytes[..n].copy_from_slice(&b[..n]);
        Secret {
            len: n as u8,
            bytes,
        }
    }

    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(16);
        for b in &self.bytes[..self.len as usize] {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// What a request was, kept until its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    Job(u8),
    Userdata { group: u8, sub: u8 },
}

#[derive(Debug, Clone, Copy)]
pub struct Tx {
    pub pdu_ref: u16,
    pub kind: TxKind,
    pub secret: Option<Secret>,
    pub ev: Ev,
}

/// Open requests by PDU reference, oldest first, bounded.
#[derive(Debug, Default)]
pub struct TxTable {
    q: VecDeque<Tx>,
}

impl TxTable {
    /// Add a request; a previous one with the same reference is replaced. Returns the request
    /// evicted when the table was full.
    pub fn insert(&mut self, tx: Tx, cap: usize) -> Option<Tx> {
        if let Some(i) = self.q.iter().position(|t| t.pdu_ref == tx.pdu_ref) {
            let old = self.q.remove(i);
            self.q.push_back(tx);
            return old.filter(|o| o.secret.is_some());
        }
        let evicted = if self.q.len() >= cap.max(1) {
            self.q.pop_front()
        } else {
            None
        };
        self.q.push_back(tx);
        evicted
    }

    /// The request answered by a response with this reference.
    pub fn take(&mut self, pdu_ref: u16) -> Option<Tx> {
        let i = self.q.iter().rposition(|t| t.pdu_ref == pdu_ref)?;
        self.q.remove(i)
    }

    pub fn len(&self) -> usize {
        self.q.len()
    }

    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    pub fn drain(&mut self) -> impl Iterator<Item = Tx> + '_ {
        self.q.drain(..)
    }
}

/// An SZL answer arriving in several userdata fragments.
#[derive(Debug)]
pub struct SzlReasm {
    pub dir: Dir,
    pub dur: u8,
    /// The list is not one we decode: only follow its fragments.
    pub skip: bool,
    pub buf: Vec<u8>,
}

/// FNV-1a, to recognise an answer already reported without keeping it.
pub fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A small set of values already reported, bounded.
#[derive(Debug, Default)]
pub struct Remembered<T: PartialEq + Copy> {
    v: Vec<T>,
}

impl<T: PartialEq + Copy> Remembered<T> {
    /// True when `x` is new and was remembered (so the caller reports it).
    pub fn add(&mut self, x: T) -> bool {
        if self.v.contains(&x) || self.v.len() >= MAX_REMEMBERED {
            return false;
        }
        self.v.push(x);
        true
    }

    pub fn len(&self) -> usize {
        self.v.len()
    }

    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }
}

/// S7comm-plus session state.
#[derive(Debug, Default)]
pub struct PlusState {
    /// Bit `v` set: version `v` seen.
    pub seen: u8,
    /// Bit `v` set: version `v` reported.
    pub reported: u8,
    pub family_reported: bool,
    pub integrity_reported: bool,
    pub tls_reported: bool,
    pub order_found: bool,
}

/// Everything one flow keeps.
#[derive(Debug)]
pub struct Flow {
    pub dirs: [DirState; 2],
    pub kind: Kind,
    pub pending: Option<PendingConn>,
    pub tx: TxTable,
    pub szl: Option<SzlReasm>,
    pub pdu_size: u16,
    pub cpu_state: Option<&'static str>,
    pub szl_ids: Remembered<u16>,
    pub blocks: Remembered<(&'static str, u32, bool)>,
    pub rejected: Remembered<u8>,
    /// SZL identity answers already reported: (SZL id, FNV-1a hash of the list).
    pub szl_lists: Remembered<(u16, u64)>,
    /// Last protection reported: (sch_rel, sch_par, bart_sch).
    pub protection: Option<(u16, u16, u16)>,
    pub plus: PlusState,
    pub frames: u64,
    pub garbage: u64,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            dirs: [DirState::new(), DirState::new()],
            kind: Kind::Unknown,
            pending: None,
            tx: TxTable::default(),
            szl: None,
            pdu_size: 0,
            cpu_state: None,
            szl_ids: Remembered::default(),
            blocks: Remembered::default(),
            rejected: Remembered::default(),
            szl_lists: Remembered::default(),
            protection: None,
            plus: PlusState::default(),
            frames: 0,
            garbage: 0,
        }
    }
}
