//! Per-flow SNMP state: open requests (for request/response pairing) and the credentials seen,
//! both bounded.

use super::parser::PduKind;
use crate::dissect::Party;
use std::collections::VecDeque;

/// Credentials (communities, USM user names) tracked per flow.
pub const MAX_CREDS: usize = 16;
/// Bytes of a community or user name kept.
pub const MAX_CRED_BYTES: usize = 256;
/// Hard cap on open requests, whatever `Limits::max_open_transactions` says.
pub const MAX_PENDING: usize = 1024;

/// A request waiting for its response.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    /// request-id (v1/v2c) or msgID (v3).
    pub id: i64,
    pub v3: bool,
    /// `Unknown` when the PDU was encrypted.
    pub kind: PduKind,
    /// Index into [`State::creds`].
    pub cred: Option<u8>,
}

/// A community or a USM user seen on the flow, with what happened to it.
#[derive(Debug, Clone)]
pub struct Cred {
    pub v3: bool,
    pub mechanism: &'static str,
    /// Raw bytes (truncated to [`MAX_CRED_BYTES`]).
    pub raw: Vec<u8>,
    /// The agent this credential was presented to.
    pub agent: Party,
    pub requests: u32,
    pub success: bool,
    pub failure: bool,
    pub attempt_reported: bool,
    pub get_ok: bool,
    pub set_ok: bool,
    pub set_refused: bool,
}

#[derive(Debug, Default)]
pub struct State {
    pub pending: VecDeque<Pending>,
    pub creds: Vec<Cred>,
    /// Open requests dropped because the table was full.
    pub pending_evicted: u64,
    /// Versions already reported (bit 0 v1, 1 v2c, 2 v3, 3 other).
    pub versions: u8,
    /// v3 security levels already reported (bit per level).
    pub levels: u8,
    pub engine_reported: bool,
    /// System-group scalars already claimed (bit per OID).
    pub sys_claimed: u8,
    pub trap_enterprise_reported: bool,
    /// Generic trap types reported (bit per value 0..=6, bit 7 other).
    pub trap_generic: u8,
    pub usm_reports: u8,
}

impl State {
    /// Index of the credential with these bytes, added when new and there is room.
    pub fn cred(
        &mut self,
        v3: bool,
        mechanism: &'static str,
        raw: &[u8],
        agent: Party,
    ) -> Option<u8> {
        let raw = &raw[..raw.len().min(MAX_CRED_BYTES)];
        if let Some(i) = self
            .creds
            .iter()
            .position(|c| c.v3 == v3 && c.mechanism == mechanism && c.raw == raw)
        {
            return u8::try_from(i).ok();
        }
        if self.creds.len() >= MAX_CREDS {
            return None;
        }
        self.creds.push(Cred {
            v3,
            mechanism,
            raw: raw.to_vec(),
            agent,
            requests: 0,
            success: false,
            failure: false,
            attempt_reported: false,
            get_ok: false,
            set_ok: false,
            set_refused: false,
        });
        u8::try_from(self.creds.len() - 1).ok()
    }

    /// Remember an open request; the oldest is dropped when `cap` are open.
    pub fn push(&mut self, p: Pending, cap: usize) {
        let cap = cap.clamp(1, MAX_PENDING);
        // A retransmission replaces the earlier copy.
        if let Some(i) = self
            .pending
            .iter()
            .position(|q| q.id == p.id && q.v3 == p.v3)
        {
            self.pending.remove(i);
        }
        while self.pending.len() >= cap {
            self.pending.pop_front();
            self.pending_evicted += 1;
        }
        self.pending.push_back(p);
    }

    /// Take the open request answered by `id`.
    pub fn answer(&mut self, id: i64, v3: bool) -> Option<Pending> {
        let i = self
            .pending
            .iter()
            .rposition(|q| q.id == id && q.v3 == v3)?;
        self.pending.remove(i)
    }
}
