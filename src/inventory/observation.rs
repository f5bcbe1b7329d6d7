//! Observations: what the dissectors saw, aggregated with their evidence.
//!
//! Dissectors never build assets; they report facts about endpoints through
//! [`crate::dissect::Cx`], which lands here:
//!
//! * **claims**: an identity value for a subject (an IP or a MAC), with the source that said
//!   so and how much that source is worth (`confidence`, 0–100);
//! * **operations**: what a client did to a server (read, write, program download, CPU stop...);
//! * **authentications**: a login mechanism seen on a server, with outcomes, users and (redacted
//!   unless asked) secrets;
//! * **facts**: protocol-specific key/value observations (security posture, banners, offered
//!   security modes...) that rules and roles read by key;
//! * **anomalies**: spec violations, counted.
//!
//! Everything is keyed so that repeated observations fold into one entry with a count and the
//! first frames as evidence; the number of entries is bounded by `Limits::max_observations`.

use crate::decode::Mac;
use crate::evidence::{Ev, Evidence};
use ahash::RandomState;
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::net::IpAddr;

/// What an observation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum Subject {
    Ip(IpAddr),
    Mac(Mac),
}

/// Transport of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
    Icmp,
    /// Another IP protocol (the "port" is the protocol number).
    Ip,
    /// Layer 2 (LLDP, CDP, PROFINET DCP, ARP).
    L2,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Icmp => "icmp",
            Transport::Ip => "ip",
            Transport::L2 => "l2",
        }
    }
}

/// Operation classes, from the client's point of view, on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Read,
    Write,
    Diagnostics,
    /// Identity queries: Modbus 43/14, S7 SZL reads, CIP ListIdentity / Identity object, ...
    Identify,
    /// Broadcast or unicast discovery (ListIdentity over UDP, FindServers, ...).
    Discovery,
    Browse,
    Subscribe,
    Call,
    Connect,
    Login,
    ProgramDownload,
    ProgramUpload,
    ProgramDelete,
    CpuStop,
    CpuStart,
    FirmwareUpdate,
    ConfigChange,
    TimeSet,
    Reset,
    Other,
}

impl Op {
    /// Operations that change what a controller does (for `unauthenticated_control`).
    pub fn is_control(self) -> bool {
        matches!(
            self,
            Op::Write
                | Op::ProgramDownload
                | Op::ProgramDelete
                | Op::CpuStop
                | Op::CpuStart
                | Op::FirmwareUpdate
                | Op::ConfigChange
                | Op::TimeSet
                | Op::Reset
        )
    }

    /// Engineering operations (program and mode changes, firmware).
    pub fn is_engineering(self) -> bool {
        matches!(
            self,
            Op::ProgramDownload
                | Op::ProgramUpload
                | Op::ProgramDelete
                | Op::CpuStop
                | Op::CpuStart
                | Op::FirmwareUpdate
                | Op::ConfigChange
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::Diagnostics => "diagnostics",
            Op::Identify => "identify",
            Op::Discovery => "discovery",
            Op::Browse => "browse",
            Op::Subscribe => "subscribe",
            Op::Call => "call",
            Op::Connect => "connect",
            Op::Login => "login",
            Op::ProgramDownload => "program_download",
            Op::ProgramUpload => "program_upload",
            Op::ProgramDelete => "program_delete",
            Op::CpuStop => "cpu_stop",
            Op::CpuStart => "cpu_start",
            Op::FirmwareUpdate => "firmware_update",
            Op::ConfigChange => "config_change",
            Op::TimeSet => "time_set",
            Op::Reset => "reset",
            Op::Other => "other",
        }
    }
}

/// Outcome of an authentication exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Credentials (or none) offered; result not seen.
    Attempt,
    Success,
    Failure,
    /// The server offers this mechanism (e.g. an endpoint policy, a login prompt).
    Offered,
}

/// One authentication observation, reported by a dissector.
#[derive(Debug, Clone)]
pub struct AuthEvent {
    /// Mechanism name, e.g. `telnet-login`, `ftp-user-pass`, `http-basic`, `snmp-community`,
    /// `vnc-password`, `vnc-none`, `rdp-standard`, `rdp-nla`, `opcua-anonymous`,
    /// `opcua-username`, `s7-password`, `none` (protocol without authentication).
    pub mechanism: &'static str,
    pub outcome: Outcome,
    pub user: Option<String>,
    /// The secret as seen (password, community). Redacted in output unless `--show-secrets`.
    pub secret: Option<String>,
    /// Credentials crossed the wire readable.
    pub cleartext: bool,
}

/// Key of a client→server interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ServiceKey {
    pub server: IpAddr,
    pub port: u16,
    pub transport: Transport,
    pub proto: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClaimKey {
    pub subject: Subject,
    pub field: &'static str,
    pub value: String,
    pub source: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimAgg {
    pub confidence: u8,
    pub proto: &'static str,
    pub port: u16,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpKey {
    pub svc: ServiceKey,
    pub client: IpAddr,
    pub op: Op,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct OpAgg {
    pub evidence: Evidence,
    /// Names of the functions seen (e.g. `fc3 read_holding_registers`), at most `MAX_DETAILS`.
    pub details: BTreeSet<&'static str>,
    pub first_ts: crate::time::Timestamp,
    pub last_ts: crate::time::Timestamp,
    /// The detail of the last call, already in `details` or met with `details` full (which
    /// never shrinks): a poll repeats its function, and the set is not searched again for it.
    #[serde(skip)]
    last_detail: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuthKey {
    pub svc: ServiceKey,
    pub client: IpAddr,
    pub mechanism: &'static str,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AuthAgg {
    pub attempts: u64,
    pub successes: u64,
    pub failures: u64,
    pub offered: u64,
    pub cleartext: bool,
    pub users: BTreeSet<String>,
    pub secrets: BTreeSet<String>,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FactKey {
    pub subject: Subject,
    pub port: u16,
    pub transport: Transport,
    pub proto: &'static str,
    pub key: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AnomalyKey {
    pub proto: &'static str,
    pub kind: &'static str,
    pub server: Option<IpAddr>,
    pub port: u16,
}

/// Caps that keep one noisy key from growing without bound.
pub const MAX_DETAILS: usize = 16;
pub const MAX_USERS: usize = 16;

type Map<K, V> = HashMap<K, V, RandomState>;

/// All observations of a run (or of one worker, merged at the end). Hash maps while the
/// capture is read (operations are recorded per PDU); consumers sort with [`sorted`].
#[derive(Debug, Default, Clone)]
pub struct Store {
    pub claims: Map<ClaimKey, ClaimAgg>,
    pub ops: Map<OpKey, OpAgg>,
    pub auths: Map<AuthKey, AuthAgg>,
    pub facts: Map<FactKey, Evidence>,
    pub anomalies: Map<AnomalyKey, Evidence>,
    /// Observations not kept because `max_observations` was reached.
    pub dropped: u64,
    pub max_entries: usize,
    pub max_evidence: usize,
}

impl Store {
    pub fn new(max_entries: usize, max_evidence: usize) -> Store {
        Store {
            max_entries,
            max_evidence,
            ..Default::default()
        }
    }

    fn len(&self) -> usize {
        self.claims.len()
            + self.ops.len()
            + self.auths.len()
            + self.facts.len()
            + self.anomalies.len()
    }

    fn full(&self) -> bool {
        self.len() >= self.max_entries
    }

    /// The aggregate of `k` in `map` and whether `new` just created it; `None` when `k` is new
    /// and the store is full (counted in `dropped`). One hash lookup either way: these are
    /// called for every PDU that reports something.
    #[inline]
    fn entry<'m, K: Eq + Hash, V>(
        map: &'m mut Map<K, V>,
        k: K,
        full: bool,
        dropped: &mut u64,
        new: impl FnOnce() -> V,
    ) -> Option<(&'m mut V, bool)> {
        match map.entry(k) {
            Entry::Occupied(o) => Some((o.into_mut(), false)),
            Entry::Vacant(_) if full => {
                *dropped += 1;
                None
            }
            Entry::Vacant(v) => Some((v.insert(new()), true)),
        }
    }

    pub fn claim(&mut self, k: ClaimKey, confidence: u8, proto: &'static str, port: u16, ev: Ev) {
        let (cap, full) = (self.max_evidence, self.full());
        let new = || ClaimAgg {
            confidence,
            proto,
            port,
            evidence: Evidence::one(ev),
        };
        if let Some((a, false)) = Self::entry(&mut self.claims, k, full, &mut self.dropped, new) {
            a.evidence.add(ev, cap);
            a.confidence = a.confidence.max(confidence);
        }
    }

    #[inline]
    pub fn op(&mut self, k: OpKey, detail: Option<&'static str>, ev: Ev) {
        let (cap, full) = (self.max_evidence, self.full());
        let new = || OpAgg {
            first_ts: ev.ts,
            last_ts: ev.ts,
            ..Default::default()
        };
        let Some((a, _)) = Self::entry(&mut self.ops, k, full, &mut self.dropped, new) else {
            return;
        };
        a.evidence.add(ev, cap);
        a.first_ts = a.first_ts.min(ev.ts);
        a.last_ts = a.last_ts.max(ev.ts);
        if let Some(d) = detail {
            if !a.last_detail.is_some_and(|l| std::ptr::eq(l, d)) {
                a.last_detail = Some(d);
                if a.details.len() < MAX_DETAILS {
                    a.details.insert(d);
                }
            }
        }
    }

    pub fn auth(&mut self, k: AuthKey, e: AuthEvent, ev: Ev) {
        let (cap, full) = (self.max_evidence, self.full());
        let Some((a, _)) = Self::entry(
            &mut self.auths,
            k,
            full,
            &mut self.dropped,
            AuthAgg::default,
        ) else {
            return;
        };
        match e.outcome {
            Outcome::Attempt => a.attempts += 1,
            Outcome::Success => a.successes += 1,
            Outcome::Failure => a.failures += 1,
            Outcome::Offered => a.offered += 1,
        }
        a.cleartext |= e.cleartext;
        if let Some(u) = e.user {
            if a.users.len() < MAX_USERS {
                a.users.insert(u);
            }
        }
        if let Some(s) = e.secret {
            if a.secrets.len() < MAX_USERS {
                a.secrets.insert(s);
            }
        }
        a.evidence.add(ev, cap);
    }

    pub fn fact(&mut self, k: FactKey, ev: Ev) {
        let (cap, full) = (self.max_evidence, self.full());
        let new = || Evidence::one(ev);
        if let Some((e, false)) = Self::entry(&mut self.facts, k, full, &mut self.dropped, new) {
            e.add(ev, cap);
        }
    }

    pub fn anomaly(&mut self, k: AnomalyKey, ev: Ev) {
        let (cap, full) = (self.max_evidence, self.full());
        let new = || Evidence::one(ev);
        if let Some((e, false)) = Self::entry(&mut self.anomalies, k, full, &mut self.dropped, new)
        {
            e.add(ev, cap);
        }
    }

    /// Fold another store in (per-worker stores at the end of a run).
    pub fn merge(&mut self, other: Store) {
        let cap = self.max_evidence;
        for (k, v) in other.claims {
            match self.claims.get_mut(&k) {
                Some(a) => {
                    a.confidence = a.confidence.max(v.confidence);
                    a.evidence.merge(&v.evidence, cap);
                }
                None => {
                    self.claims.insert(k, v);
                }
            }
        }
        for (k, v) in other.ops {
            match self.ops.get_mut(&k) {
                Some(a) => {
                    a.evidence.merge(&v.evidence, cap);
                    a.first_ts = a.first_ts.min(v.first_ts);
                    a.last_ts = a.last_ts.max(v.last_ts);
                    // Which names survive the cap would depend on the order shards are
                    // folded; it does not arise from sharding, which keeps a client and its
                    // server in one shard (`engine::shard_of`), only from merging reports.
                    for d in v.details {
                        if a.details.len() < MAX_DETAILS {
                            a.details.insert(d);
                        }
                    }
                }
                None => {
                    self.ops.insert(k, v);
                }
            }
        }
        for (k, v) in other.auths {
            match self.auths.get_mut(&k) {
                Some(a) => {
                    a.attempts += v.attempts;
                    a.successes += v.successes;
                    a.failures += v.failures;
                    a.offered += v.offered;
                    a.cleartext |= v.cleartext;
                    for u in v.users {
                        if a.users.len() < MAX_USERS {
                            a.users.insert(u);
                        }
                    }
                    for s in v.secrets {
                        if a.secrets.len() < MAX_USERS {
                            a.secrets.insert(s);
                        }
                    }
                    a.evidence.merge(&v.evidence, cap);
                }
                None => {
                    self.auths.insert(k, v);
                }
            }
        }
        for (k, v) in other.facts {
            self.facts
                .entry(k)
                .and_modify(|e| e.merge(&v, cap))
                .or_insert(v);
        }
        for (k, v) in other.anomalies {
            self.anomalies
                .entry(k)
                .and_modify(|e| e.merge(&v, cap))
                .or_insert(v);
        }
        self.dropped += other.dropped;
    }
}

/// A map's entries sorted by key (deterministic output from hash maps).
pub fn sorted<K: Ord, V>(m: &HashMap<K, V, RandomState>) -> Vec<(&K, &V)> {
    sorted_where(m, |_| true)
}

/// The entries whose key passes `keep`, sorted by key (filtering first: a rule that wants a few
/// keys out of a hundred thousand does not sort them all).
pub fn sorted_where<K: Ord, V>(
    m: &HashMap<K, V, RandomState>,
    keep: impl Fn(&K) -> bool,
) -> Vec<(&K, &V)> {
    let mut v: Vec<(&K, &V)> = m.iter().filter(|(k, _)| keep(k)).collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    v
}
