//! SNMP (UDP 161, traps on UDP 162): v1, v2c and v3 messages.
//!
//! Every datagram is one BER message ([`parser`], over the bounded reader in [`ber`]).
//! Requests are paired with responses by request-id (v1/v2c) or msgID (v3) in a bounded table
//! ([`state`]). The *agent* of a message is worked out from the PDU type, not from the flow's
//! orientation: the receiver of a request, the sender of a response, report or trap (for traps
//! on udp/162 the agent is the flow's client, the manager its server).
//!
//! Authentication events (on the flow's server):
//! * `snmp-community` (v1/v2c): `secret` = the community, `cleartext` = true. `Success` once per
//!   community and flow when a Response comes back (agents drop requests with a wrong
//!   community silently, so any response means the community was accepted); at the end of the
//!   flow one `Attempt` per community whose requests were never answered. A trap or inform
//!   carries its community too (`Attempt`, or `Success` when an inform is answered).
//! * `snmpv3-usm` (authNoPriv/authPriv) and `snmpv3-noauth` (noAuthNoPriv) with `user` =
//!   msgUserName: `Success` on a response, `Failure` on a usmStats Report that refuses the
//!   credentials (unknown user, wrong digest, unsupported level, decryption error), `Attempt`
//!   when unanswered. Engine discovery (empty user name) is not an authentication.
//!
//! Facts (on the agent unless said otherwise):
//! * `snmp.version`: `v1`, `v2c`, `v3` (or `other`);
//! * `snmp.community_access`: `rw` when a SetRequest with a community got a noError response,
//!   `ro` when only reads succeeded (or sets were refused) in that flow; managers often use a
//!   new source port per request, so one agent can show both: `rw` is the stronger evidence;
//! * `snmp.community_unanswered`: number of requests of the flow never answered (including
//!   those pushed out of the bounded open-request table);
//! * `snmp.v3_flags`: `noAuthNoPriv`, `authNoPriv`, `authPriv` (security level of requests);
//! * `snmp.engine_id`: authoritative engine ID, hex; `snmp.engine_enterprise`: its enterprise
//!   number (first four octets & 0x7fffffff);
//! * `snmp.usm_report`: usmStats counter named by a Report (`usmStatsUnknownUserNames`, ...);
//! * `snmp.sysDescr`, `snmp.sysServices` (the integer), `snmp.sysServices_layers` (layers set,
//!   e.g. `2,3`: a switch/router);
//! * `snmp.trap_enterprise` (v1 trap enterprise OID), `snmp.trap_generic` (generic trap name,
//!   e.g. `authenticationFailure`).
//!
//! Claims (on the agent, source `snmp.get_response`, or `snmp.notification` for system scalars
//! carried in a trap or inform (on its sender), confidence 80): `snmp.sysDescr`,
//! `snmp.sysObjectID` (dotted), `snmp.sysName` and `hostname`, `snmp.sysLocation`,
//! `snmp.sysContact`; `vendor` (70) from the enterprise number of a sysObjectID under
//! 1.3.6.1.4.1 ([`codes::enterprise_vendor`]); `vendor` (40) from the engine ID's enterprise.
//!
//! Operations (client on server): Get/GetNext/GetBulk `read`, Set `write`, traps and informs
//! `other` (detail `trap`), an encrypted v3 request `other` (`encrypted_request`).
//!
//! Anomalies: BER errors (`ber_*`), `snmp_trailing_bytes`, `snmp_unknown_version`,
//! `snmp_unknown_pdu`, `snmpv3_bad_flags`, `snmp_varbind_malformed`.

pub mod ber;
pub mod codes;
pub mod parser;
pub mod state;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

use crate::dissect::{Cx, DatagramDissector, Dir, Party, Probe, text};
use crate::inventory::observation::{AuthEvent, Op, Outcome};
use parser::{
    Body, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, Message, Pdu, PduKind, Scoped, Value, VarBinds,
};
use state::{Pending, State};

pub const PORTS: &[u16] = &[161, 162];

/// Probe one datagram. On the SNMP ports the message head must be SNMP-shaped; elsewhere the
/// whole message must parse and fill the datagram exactly.
pub fn probe(_dir: Dir, data: &[u8], port_match: bool) -> Probe {
    if data.first() != Some(&0x30) {
        return Probe::NoMatch;
    }
    if port_match {
        return if parser::looks_like_snmp(data) {
            Probe::Match
        } else {
            Probe::NoMatch
        };
    }
    match parser::parse_message(data) {
        Ok(m) if m.trailing == 0 && matches!(m.version, 0 | 1 | 3) => Probe::Match,
        _ => Probe::NoMatch,
    }
}

pub fn new() -> Box<dyn DatagramDissector> {
    Box::new(Snmp::default())
}

/// The SNMP dissector of one UDP flow.
#[derive(Debug, Default)]
pub struct Snmp {
    pub(crate) st: State,
}

fn sender(dir: Dir) -> Party {
    match dir {
        Dir::ToServer => Party::Client,
        Dir::ToClient => Party::Server,
    }
}

fn receiver(dir: Dir) -> Party {
    match dir {
        Dir::ToServer => Party::Server,
        Dir::ToClient => Party::Client,
    }
}

/// Report text of a credential: kept exactly (not trimmed) when UTF-8, else `hex:`.
fn cred_text(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => format!("hex:{}", ber::hex(raw, state::MAX_CRED_BYTES)),
    }
}

fn level_name(flags: u8) -> Option<&'static str> {
    match flags & (FLAG_AUTH | FLAG_PRIV) {
        0 => Some("noAuthNoPriv"),
        FLAG_AUTH => Some("authNoPriv"),
        x if x == FLAG_AUTH | FLAG_PRIV => Some("authPriv"),
        _ => None,
    }
}

impl Snmp {
    fn message(&mut self, dir: Dir, m: &Message<'_>, cx: &mut Cx<'_>) {
        if m.trailing > 0 {
            cx.anomaly("snmp_trailing_bytes");
        }
        let pdu = m.pdu().copied();
        let kind = pdu.map(|p| p.kind);
        if kind == Some(PduKind::Unknown) {
            cx.anomaly("snmp_unknown_pdu");
        }
        // Who is the agent (the party whose identity and security posture this is)?
        let agent = match (kind, &m.body) {
            (Some(k), _) if k.is_request() => receiver(dir),
            (Some(PduKind::Unknown), _) => Party::Server,
            (Some(_), _) => sender(dir),
            (None, Body::V3(v)) if v.flags & FLAG_REPORTABLE != 0 => receiver(dir),
            (None, _) => sender(dir),
        };
        let (bit, vname) = match m.version {
            0 => (1u8, "v1"),
            1 => (2, "v2c"),
            3 => (4, "v3"),
            _ => (8, "other"),
        };
        if bit == 8 && self.st.versions & 8 == 0 {
            cx.anomaly("snmp_unknown_version");
        }
        if self.st.versions & bit == 0 {
            self.st.versions |= bit;
            cx.fact(agent, "snmp.version", vname);
        }
        // Operations, counted once per request PDU (only in the flow's client→server sense).
        if dir == Dir::ToServer {
            match kind {
                Some(PduKind::Get) => cx.op(Op::Read, Some("get_request")),
                Some(PduKind::GetNext) => cx.op(Op::Read, Some("get_next_request")),
                Some(PduKind::GetBulk) => cx.op(Op::Read, Some("get_bulk_request")),
                Some(PduKind::Set) => cx.op(Op::Write, Some("set_request")),
                Some(PduKind::TrapV1 | PduKind::TrapV2 | PduKind::Inform) => {
                    cx.op(Op::Other, Some("trap"))
                }
                None if matches!(&m.body, Body::V3(v) if v.flags & FLAG_REPORTABLE != 0) => {
                    cx.op(Op::Other, Some("encrypted_request"))
                }
                _ => {}
            }
        }
        match &m.body {
            Body::Community { community, pdu } => self.community(community, pdu, agent, cx),
            Body::V3(v) => self.v3(v, kind, agent, cx),
        }
        if let Some(p) = pdu {
            if p.kind == PduKind::Response {
                self.system_group(p.varbinds, agent, "snmp.get_response", cx);
            } else if p.kind.is_notification() || p.kind == PduKind::Inform {
                // Notifications may carry the originator's system scalars (sysName.0, ...).
                self.system_group(p.varbinds, sender(dir), "snmp.notification", cx);
            } else if p.kind != PduKind::Unknown {
                // Validate the bindings of every other PDU (no allocation).
                if VarBinds::new(p.varbinds).any(|r| r.is_err()) {
                    cx.anomaly("snmp_varbind_malformed");
                }
            }
            if let Some(t) = p.trap {
                self.trap_v1(&t, agent, cx);
            }
        }
    }

    fn community(&mut self, community: &[u8], pdu: &Pdu<'_>, agent: Party, cx: &mut Cx<'_>) {
        let cap = cx.limits.max_open_transactions;
        let ci = self.st.cred(false, "snmp-community", community, agent);
        let k = pdu.kind;
        if k.is_request() {
            if let Some(c) = ci.and_then(|i| self.st.creds.get_mut(usize::from(i))) {
                c.requests = c.requests.saturating_add(1);
                c.agent = agent;
            }
            self.st.push(
                Pending {
                    id: pdu.request_id,
                    v3: false,
                    kind: k,
                    cred: ci,
                },
                cap,
            );
        } else if k.is_notification() {
            self.attempt_once(ci, cx);
        } else if k == PduKind::Response {
            let req = self.st.answer(pdu.request_id, false);
            // The response echoes the request's community: prefer the request's entry.
            let ci = req.and_then(|p| p.cred).or(ci);
            let Some(c) = ci.and_then(|i| self.st.creds.get_mut(usize::from(i))) else {
                return;
            };
            c.agent = agent;
            let ok = pdu.error_status == 0;
            match req.map(|p| p.kind) {
                Some(PduKind::Set) if ok && !c.set_ok => {
                    c.set_ok = true;
                    cx.fact(agent, "snmp.community_access", "rw");
                }
                Some(PduKind::Set) if !ok => c.set_refused = true,
                Some(PduKind::Get | PduKind::GetNext | PduKind::GetBulk) if ok => c.get_ok = true,
                _ => {}
            }
            if !c.success {
                c.success = true;
                let secret = cred_text(&c.raw);
                cx.auth(AuthEvent {
                    mechanism: "snmp-community",
                    outcome: Outcome::Success,
                    user: None,
                    secret: Some(secret),
                    cleartext: true,
                });
            }
        }
    }

    /// One `Attempt` for a credential that is never answered by design (traps).
    fn attempt_once(&mut self, ci: Option<u8>, cx: &mut Cx<'_>) {
        let Some(c) = ci.and_then(|i| self.st.creds.get_mut(usize::from(i))) else {
            return;
        };
        if c.attempt_reported {
            return;
        }
        c.attempt_reported = true;
        let e = auth_event(c, Outcome::Attempt);
        cx.auth(e);
    }

    fn v3(&mut self, v: &parser::V3<'_>, kind: Option<PduKind>, agent: Party, cx: &mut Cx<'_>) {
        let cap = cx.limits.max_open_transactions;
        let level = level_name(v.flags);
        if level.is_none() {
            cx.anomaly("snmpv3_bad_flags");
        }
        let is_report = kind == Some(PduKind::Report);
        if !is_report {
            if let Some(l) = level {
                let bit = match l {
                    "noAuthNoPriv" => 1,
                    "authNoPriv" => 2,
                    _ => 4,
                };
                if self.st.levels & bit == 0 {
                    self.st.levels |= bit;
                    cx.fact(agent, "snmp.v3_flags", l);
                }
            }
        }
        let Some(usm) = v.usm else {
            return;
        };
        if !usm.engine_id.is_empty() && !self.st.engine_reported {
            self.st.engine_reported = true;
            cx.fact(agent, "snmp.engine_id", ber::hex(usm.engine_id, 64));
            if usm.engine_id.len() >= 5 {
                let mut n = [0u8; 4];
                n.copy_from_slice(&usm.engine_id[..4]);
                let ent = u64::from(u32::from_be_bytes(n) & 0x7fff_ffff);
                cx.fact(agent, "snmp.engine_enterprise", ent.to_string());
                if let Some(vendor) = codes::enterprise_vendor(ent) {
                    cx.claim(agent, "vendor", vendor, "snmp.engine_id", 40);
                }
            }
        }
        let requesting = match kind {
            Some(k) => k.is_request(),
            None => v.flags & FLAG_REPORTABLE != 0,
        };
        let mech = if v.flags & FLAG_AUTH != 0 {
            "snmpv3-usm"
        } else {
            "snmpv3-noauth"
        };
        if requesting {
            if usm.user.is_empty() {
                return; // engine discovery
            }
            let ci = self.st.cred(true, mech, usm.user, agent);
            if let Some(c) = ci.and_then(|i| self.st.creds.get_mut(usize::from(i))) {
                c.requests = c.requests.saturating_add(1);
            }
            self.st.push(
                Pending {
                    id: v.msg_id,
                    v3: true,
                    kind: kind.unwrap_or(PduKind::Unknown),
                    cred: ci,
                },
                cap,
            );
            return;
        }
        if kind.is_some_and(|k| k.is_notification()) {
            if !usm.user.is_empty() {
                let ci = self.st.cred(true, mech, usm.user, agent);
                self.attempt_once(ci, cx);
            }
            return;
        }
        // A response or report (or an encrypted non-reportable message: a response).
        let Some(req) = self.st.answer(v.msg_id, true) else {
            return;
        };
        let Some(c) = req.cred.and_then(|i| self.st.creds.get_mut(usize::from(i))) else {
            return;
        };
        if is_report {
            let Some(p) = v_pdu(v) else { return };
            let refusal = VarBinds::new(p.varbinds)
                .next()
                .and_then(|r| r.ok())
                .and_then(|vb| {
                    let n = vb.name.strip_prefix(codes::USM_STATS_PREFIX)?;
                    match n {
                        [x, 0] => codes::usm_report(*x),
                        _ => None,
                    }
                });
            if let Some(codes::UsmReport::Refused(name)) = refusal {
                if !c.failure {
                    c.failure = true;
                    let e = auth_event(c, Outcome::Failure);
                    cx.auth(e);
                }
                if self.st.usm_reports < 8 {
                    self.st.usm_reports += 1;
                    cx.fact(agent, "snmp.usm_report", name);
                }
            }
            return;
        }
        if !c.success {
            c.success = true;
            let e = auth_event(c, Outcome::Success);
            cx.auth(e);
        }
    }

    /// Claims from a Response's system-group bindings (each scalar once per flow).
    fn system_group(&mut self, list: &[u8], agent: Party, src: &'static str, cx: &mut Cx<'_>) {
        for vb in VarBinds::new(list) {
            let vb = match vb {
                Ok(vb) => vb,
                Err(_) => {
                    cx.anomaly("snmp_varbind_malformed");
                    return;
                }
            };
            if !vb.name.starts_with(codes::SYSTEM_PREFIX) {
                continue;
            }
            let bit = match vb.name {
                codes::SYS_DESCR => 1u8,
                codes::SYS_OBJECT_ID => 2,
                codes::SYS_CONTACT => 4,
                codes::SYS_NAME => 8,
                codes::SYS_LOCATION => 16,
                codes::SYS_SERVICES => 32,
                _ => continue,
            };
            if self.st.sys_claimed & bit != 0 {
                continue;
            }
            match (bit, vb.value) {
                (1, Value::OctetString(s)) => {
                    let s = text::device_string(s);
                    cx.claim(agent, "snmp.sysDescr", &s, src, 80);
                    cx.fact(agent, "snmp.sysDescr", s);
                }
                (2, Value::Oid(o)) => {
                    let Some(dotted) = ber::oid_string(o) else {
                        cx.anomaly("ber_bad_value");
                        continue;
                    };
                    cx.claim(agent, "snmp.sysObjectID", &dotted, src, 80);
                    if let Some(rest) = o.strip_prefix(codes::ENTERPRISES) {
                        if let Some(n) = enterprise_of(rest) {
                            if let Some(vendor) = codes::enterprise_vendor(n) {
                                cx.claim(agent, "vendor", vendor, "snmp.sysObjectID", 70);
                            }
                        }
                    }
                }
                (4, Value::OctetString(s)) => {
                    cx.claim(agent, "snmp.sysContact", &text::device_string(s), src, 80)
                }
                (8, Value::OctetString(s)) => {
                    let s = text::device_string(s);
                    cx.claim(agent, "snmp.sysName", &s, src, 80);
                    cx.claim(agent, "hostname", &s, src, 80);
                }
                (16, Value::OctetString(s)) => {
                    cx.claim(agent, "snmp.sysLocation", &text::device_string(s), src, 80)
                }
                (32, Value::Integer(n)) => {
                    cx.fact(agent, "snmp.sysServices", n.to_string());
                    let layers: Vec<String> = (1..=7)
                        .filter(|l| n & (1 << (l - 1)) != 0)
                        .map(|l: i64| l.to_string())
                        .collect();
                    if !layers.is_empty() {
                        cx.fact(agent, "snmp.sysServices_layers", layers.join(","));
                    }
                }
                // noSuchObject, NULL, a wrong type: nothing to claim.
                _ => continue,
            }
            self.st.sys_claimed |= bit;
        }
    }

    fn trap_v1(&mut self, t: &parser::TrapV1<'_>, agent: Party, cx: &mut Cx<'_>) {
        if !self.st.trap_enterprise_reported {
            if let Some(o) = ber::oid_string(t.enterprise) {
                self.st.trap_enterprise_reported = true;
                cx.fact(agent, "snmp.trap_enterprise", o);
            }
        }
        let bit = if (0..=6).contains(&t.generic) {
            1u8 << t.generic
        } else {
            0x80
        };
        if self.st.trap_generic & bit == 0 {
            self.st.trap_generic |= bit;
            let name = codes::generic_trap_name(t.generic).unwrap_or("other");
            cx.fact(agent, "snmp.trap_generic", name);
        }
    }
}

fn v_pdu<'a>(v: &parser::V3<'a>) -> Option<Pdu<'a>> {
    match v.scoped {
        Scoped::Plain { pdu, .. } => Some(pdu),
        Scoped::Encrypted(_) => None,
    }
}

/// Enterprise number: the first arc of an OID tail under 1.3.6.1.4.1.
fn enterprise_of(tail: &[u8]) -> Option<u64> {
    // The tail is not a full OID encoding (no first-octet pair), so read one sub-identifier.
    let mut n: u64 = 0;
    for &b in tail.iter().take(10) {
        n = (n << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

fn auth_event(c: &state::Cred, outcome: Outcome) -> AuthEvent {
    let text = cred_text(&c.raw);
    if c.v3 {
        AuthEvent {
            mechanism: c.mechanism,
            outcome,
            user: Some(text),
            secret: None,
            cleartext: false,
        }
    } else {
        AuthEvent {
            mechanism: c.mechanism,
            outcome,
            user: None,
            secret: Some(text),
            cleartext: true,
        }
    }
}

impl DatagramDissector for Snmp {
    fn datagram(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) {
        match parser::parse_message(data) {
            Ok(m) => self.message(dir, &m, cx),
            Err(e) => cx.anomaly(e.anomaly()),
        }
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        // Requests still open (and those pushed out of the bounded table) were never answered.
        let mut unanswered = self.st.pending_evicted;
        let mut agent = None;
        for p in std::mem::take(&mut self.st.pending) {
            if !p.v3 {
                unanswered = unanswered.saturating_add(1);
                if let Some(c) = p.cred.and_then(|i| self.st.creds.get(usize::from(i))) {
                    agent = Some(c.agent);
                }
            }
        }
        if unanswered > 0 {
            let agent = agent
                .or_else(|| self.st.creds.first().map(|c| c.agent))
                .unwrap_or(Party::Server);
            cx.fact(agent, "snmp.community_unanswered", unanswered.to_string());
        }
        for c in &mut self.st.creds {
            if c.requests > 0 && !c.success && !c.failure && !c.attempt_reported {
                c.attempt_reported = true;
                let e = auth_event(c, Outcome::Attempt);
                cx.auth(e);
            }
            if !c.v3 && !c.set_ok && (c.get_ok || c.set_refused) {
                cx.fact(c.agent, "snmp.community_access", "ro");
            }
        }
    }
}
