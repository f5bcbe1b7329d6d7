//! Per-flow Modbus state, all of it bounded: framing state per direction, the open
//! transactions (request/response matching by transaction id and unit id, capped by
//! `Limits::max_open_transactions`), and small "already reported" sets that keep facts about
//! unit ids and exceptions from being rebuilt for every PDU.

use std::collections::VecDeque;

/// Distinct unit ids reported as `modbus.unit_id` per flow.
pub const MAX_UNITS: u8 = 32;
/// Distinct (function, exception code) pairs reported as `modbus.exception` per flow...
pub const MAX_EXCEPTIONS: usize = 32;
/// ... plus this many more for exception codes not seen yet (so a scan of every function
/// code does not hide a later, different exception).
pub const MAX_EXTRA_CODES: usize = 16;

/// Framing state of one direction.
#[derive(Debug, Clone, Copy)]
pub struct DirState {
    /// The next byte is the start of an MBAP header.
    pub synced: bool,
    /// The next byte is probably a segment start (start of the flow, or just after a gap): a
    /// plausible header there is accepted without checking the PDU body.
    pub trust_start: bool,
    /// Inside a run of skipped bytes (one `garbage` anomaly per run).
    pub in_garbage: bool,
    /// Bytes skipped since the last ADU.
    pub garbage_since_adu: u64,
    /// ADUs parsed.
    pub adus: u64,
}

impl Default for DirState {
    fn default() -> Self {
        DirState {
            synced: false,
            trust_start: true,
            in_garbage: false,
            garbage_since_adu: 0,
            adus: 0,
        }
    }
}

/// An open request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tx {
    pub transaction: u16,
    pub unit: u8,
    pub fc: u8,
    /// MEI type (43), diagnostics sub-function (8) or UMAS function code (90); else 0.
    pub sub: u16,
    /// First data byte after a UMAS function code (its sub-code), or the Read Device ID code
    /// of a 43/14 request; else 0.
    pub arg: u8,
}

/// Open requests, oldest first, bounded.
#[derive(Debug, Default)]
pub struct Transactions {
    q: VecDeque<Tx>,
}

impl Transactions {
    /// Remember a request. A request reusing an open (transaction, unit) replaces it. When
    /// `cap` requests are open the oldest is dropped and `true` is returned.
    pub fn open(&mut self, tx: Tx, cap: usize) -> bool {
        if let Some(i) = self
            .q
            .iter()
            .position(|t| t.transaction == tx.transaction && t.unit == tx.unit)
        {
            self.q.remove(i);
        }
        let mut full = false;
        while self.q.len() >= cap.max(1) {
            self.q.pop_front();
            full = true;
        }
        self.q.push_back(tx);
        full
    }

    /// The open request a response answers, removed from the table.
    pub fn close(&mut self, transaction: u16, unit: u8) -> Option<Tx> {
        let i = self
            .q
            .iter()
            .position(|t| t.transaction == transaction && t.unit == unit)?;
        self.q.remove(i)
    }

    pub fn len(&self) -> usize {
        self.q.len()
    }

    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
}

/// Everything a Modbus flow keeps.
#[derive(Debug, Default)]
pub struct FlowState {
    /// [to server, to client]
    pub dirs: [DirState; 2],
    pub tx: Transactions,
    /// Unit ids that answered (bit set), and how many were reported.
    units: [u64; 4],
    units_reported: u8,
    /// (function << 8 | exception code) already reported.
    exceptions: Vec<u16>,
    /// The server answered a UMAS (function 90) request.
    pub umas_reported: bool,
    /// A Read Device Identification response carried a ModelName.
    pub model_name_seen: bool,
}

impl FlowState {
    /// `true` the first time `unit` answers, while fewer than [`MAX_UNITS`] were reported.
    pub fn new_unit(&mut self, unit: u8) -> bool {
        let (w, b) = (usize::from(unit >> 6), unit & 63);
        if self.units[w] & (1 << b) != 0 || self.units_reported >= MAX_UNITS {
            return false;
        }
        self.units[w] |= 1 << b;
        self.units_reported += 1;
        true
    }

    /// Whether an exception (function, code) may be reported: already known, room for a new
    /// distinct value, or the first time this exception code is seen.
    pub fn exception_slot(&mut self, fc: u8, code: u8) -> bool {
        let k = (u16::from(fc) << 8) | u16::from(code);
        if self.exceptions.contains(&k) {
            return true;
        }
        let n = self.exceptions.len();
        let new_code = !self.exceptions.iter().any(|e| e & 0xff == u16::from(code));
        if n < MAX_EXCEPTIONS || (new_code && n < MAX_EXCEPTIONS + MAX_EXTRA_CODES) {
            self.exceptions.push(k);
            return true;
        }
        false
    }

    pub fn distinct_exceptions(&self) -> usize {
        self.exceptions.len()
    }

    pub fn total_adus(&self) -> u64 {
        self.dirs[0].adus.saturating_add(self.dirs[1].adus)
    }
}
