//! SNMP message parsing (RFC 1157, RFC 3416, RFC 3412/3414), zero-copy over [`super::ber`].
//!
//! ```text
//! v1/v2c: SEQUENCE { version INTEGER, community OCTET STRING, pdu }
//! v3:     SEQUENCE { msgVersion INTEGER (3),
//!                    msgGlobalData SEQUENCE { msgID, msgMaxSize, msgFlags OCTET STRING,
//!                                             msgSecurityModel },
//!                    msgSecurityParameters OCTET STRING (USM: SEQUENCE { engineID, boots,
//!                                             time, userName, authParams, privParams }),
//!                    msgData: ScopedPDU SEQUENCE { contextEngineID, contextName, pdu }
//!                             | encryptedPDU OCTET STRING }
//! pdu:    [n] IMPLICIT SEQUENCE { request-id, error-status, error-index, VarBindList }
//!         (n = 0 Get, 1 GetNext, 2 Response, 3 Set, 5 GetBulk, 6 Inform, 7 SNMPv2-Trap,
//!          8 Report); [4] Trap-PDU (v1) { enterprise OID, agent-addr, generic-trap,
//!          specific-trap, time-stamp, VarBindList }
//! ```
//!
//! Variable bindings are not collected: [`VarBinds`] iterates them lazily over the borrowed
//! list, so a response with hundreds of bindings costs no allocation.

use super::ber::{
    self, APPLICATION, BerError, CONTEXT, UNIVERSAL, check_nesting, err_of, integer, octet_string,
    sequence, tlv,
};

/// Variable bindings looked at per PDU (a GetBulk response can hold many; the rest is skipped).
pub const MAX_VARBINDS: usize = 1024;

/// PDU type (context-specific tag of the PDU).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduKind {
    Get,
    GetNext,
    Response,
    Set,
    TrapV1,
    GetBulk,
    Inform,
    TrapV2,
    Report,
    /// Any other tag (kept raw in [`Pdu::tag`]).
    Unknown,
}

impl PduKind {
    pub fn from_tag(tag: u32) -> PduKind {
        match tag {
            0 => PduKind::Get,
            1 => PduKind::GetNext,
            2 => PduKind::Response,
            3 => PduKind::Set,
            4 => PduKind::TrapV1,
            5 => PduKind::GetBulk,
            6 => PduKind::Inform,
            7 => PduKind::TrapV2,
            8 => PduKind::Report,
            _ => PduKind::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PduKind::Get => "get_request",
            PduKind::GetNext => "get_next_request",
            PduKind::Response => "get_response",
            PduKind::Set => "set_request",
            PduKind::TrapV1 => "trap",
            PduKind::GetBulk => "get_bulk_request",
            PduKind::Inform => "inform_request",
            PduKind::TrapV2 => "snmpv2_trap",
            PduKind::Report => "report",
            PduKind::Unknown => "unknown",
        }
    }

    /// Sent by a manager, answered by the receiver (a Response is expected).
    pub fn is_request(self) -> bool {
        matches!(
            self,
            PduKind::Get | PduKind::GetNext | PduKind::Set | PduKind::GetBulk | PduKind::Inform
        )
    }

    /// Sent by an agent (the sender is the agent whose identity the PDU carries).
    pub fn is_notification(self) -> bool {
        matches!(self, PduKind::TrapV1 | PduKind::TrapV2)
    }
}

/// v1 Trap-PDU fields before the bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrapV1<'a> {
    /// OID contents of `enterprise`.
    pub enterprise: &'a [u8],
    /// `agent-addr` (4 octets for IPv4).
    pub agent_addr: &'a [u8],
    pub generic: i64,
    pub specific: i64,
    pub timestamp: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdu<'a> {
    pub kind: PduKind,
    pub tag: u32,
    pub request_id: i64,
    /// error-status (GetBulk: non-repeaters).
    pub error_status: i64,
    /// error-index (GetBulk: max-repetitions).
    pub error_index: i64,
    /// Contents of the VarBindList SEQUENCE (iterate with [`VarBinds`]).
    pub varbinds: &'a [u8],
    pub trap: Option<TrapV1<'a>>,
}

/// USM security parameters (RFC 3414 §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usm<'a> {
    pub engine_id: &'a [u8],
    pub engine_boots: i64,
    pub engine_time: i64,
    pub user: &'a [u8],
    pub auth_params: &'a [u8],
    pub priv_params: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoped<'a> {
    Plain {
        context_engine_id: &'a [u8],
        context_name: &'a [u8],
        pdu: Pdu<'a>,
    },
    /// privacy flag set: the scoped PDU is ciphertext.
    Encrypted(&'a [u8]),
}

/// msgFlags bits.
pub const FLAG_AUTH: u8 = 0x01;
pub const FLAG_PRIV: u8 = 0x02;
pub const FLAG_REPORTABLE: u8 = 0x04;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V3<'a> {
    pub msg_id: i64,
    pub max_size: i64,
    pub flags: u8,
    pub security_model: i64,
    /// Present when the security model is USM (3) and its parameters parse.
    pub usm: Option<Usm<'a>>,
    pub scoped: Scoped<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    Community { community: &'a [u8], pdu: Pdu<'a> },
    V3(V3<'a>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// 0 = v1, 1 = v2c, 3 = v3 (others are parsed as community-based if they fit).
    pub version: i64,
    pub body: Body<'a>,
    /// Bytes after the message SEQUENCE (an anomaly when not zero).
    pub trailing: usize,
}

impl<'a> Message<'a> {
    /// The PDU when it is readable (not encrypted).
    pub fn pdu(&self) -> Option<&Pdu<'a>> {
        match &self.body {
            Body::Community { pdu, .. } => Some(pdu),
            Body::V3(V3 {
                scoped: Scoped::Plain { pdu, .. },
                ..
            }) => Some(pdu),
            Body::V3(_) => None,
        }
    }
}

fn e<T>(r: Result<T, nom::Err<BerError>>) -> Result<T, BerError> {
    r.map_err(err_of)
}

/// Quick structural check of the start of a datagram: SEQUENCE, INTEGER version 0/1/3, then a
/// community OCTET STRING and a PDU tag (v1/v2c) or a msgGlobalData SEQUENCE (v3).
/// The outer SEQUENCE may be cut short (a capture snap length): only what is there is read.
pub fn looks_like_snmp(i: &[u8]) -> bool {
    let Ok((rest, (UNIVERSAL, true, 16, len))) = ber::header(i) else {
        return false;
    };
    let body = rest.get(..len).unwrap_or(rest);
    let Ok((rest, version)) = integer(body) else {
        return false;
    };
    match version {
        0 | 1 => {
            let Ok((rest, _)) = octet_string(rest) else {
                return false;
            };
            matches!(ber::header(rest), Ok((_, (CONTEXT, true, 0..=8, _))))
        }
        3 => sequence(rest).is_ok(),
        _ => false,
    }
}

/// Parse one SNMP message (one UDP datagram).
pub fn parse_message(i: &[u8]) -> Result<Message<'_>, BerError> {
    let (after, body) = e(sequence(i))?;
    let (rest, version) = e(integer(body))?;
    let body = if version == 3 {
        Body::V3(parse_v3(rest)?)
    } else {
        let (rest, community) = e(octet_string(rest))?;
        let (_, pdu) = parse_pdu(rest)?;
        Body::Community { community, pdu }
    };
    Ok(Message {
        version,
        body,
        trailing: after.len(),
    })
}

fn parse_v3(i: &[u8]) -> Result<V3<'_>, BerError> {
    let (i, global) = e(sequence(i))?;
    let (g, msg_id) = e(integer(global))?;
    let (g, max_size) = e(integer(g))?;
    let (g, flags) = e(octet_string(g))?;
    let (_, security_model) = e(integer(g))?;
    let flags = match flags {
        [f] => *f,
        _ => return Err(BerError::BadValue),
    };
    let (i, sec) = e(octet_string(i))?;
    let usm = if security_model == 3 {
        parse_usm(sec).ok()
    } else {
        None
    };
    let (_, data) = e(tlv(i))?;
    let scoped = if data.is(UNIVERSAL, true, 16) {
        let (s, context_engine_id) = e(octet_string(data.value))?;
        let (s, context_name) = e(octet_string(s))?;
        let (_, pdu) = parse_pdu(s)?;
        Scoped::Plain {
            context_engine_id,
            context_name,
            pdu,
        }
    } else if data.is(UNIVERSAL, false, 4) {
        Scoped::Encrypted(data.value)
    } else {
        return Err(BerError::Unexpected);
    };
    Ok(V3 {
        msg_id,
        max_size,
        flags,
        security_model,
        usm,
        scoped,
    })
}

/// USM parameters: SEQUENCE { engineID, boots, time, userName, authParams, privParams }.
pub fn parse_usm(i: &[u8]) -> Result<Usm<'_>, BerError> {
    let (_, s) = e(sequence(i))?;
    let (s, engine_id) = e(octet_string(s))?;
    let (s, engine_boots) = e(integer(s))?;
    let (s, engine_time) = e(integer(s))?;
    let (s, user) = e(octet_string(s))?;
    let (s, auth_params) = e(octet_string(s))?;
    let (_, priv_params) = e(octet_string(s))?;
    Ok(Usm {
        engine_id,
        engine_boots,
        engine_time,
        user,
        auth_params,
        priv_params,
    })
}

/// One PDU (context-specific constructed element).
pub fn parse_pdu(i: &[u8]) -> Result<(&[u8], Pdu<'_>), BerError> {
    let (rest, t) = e(tlv(i))?;
    if t.class != CONTEXT || !t.constructed {
        return Err(BerError::Unexpected);
    }
    let kind = PduKind::from_tag(t.tag);
    let mut pdu = Pdu {
        kind,
        tag: t.tag,
        request_id: 0,
        error_status: 0,
        error_index: 0,
        varbinds: &[],
        trap: None,
    };
    match kind {
        PduKind::Unknown => {}
        PduKind::TrapV1 => {
            let (s, enterprise) = e(ber::expect(UNIVERSAL, false, 6)(t.value))?;
            let (s, addr) = e(tlv(s))?;
            if !addr.is(APPLICATION, false, 0) {
                return Err(BerError::Unexpected);
            }
            let (s, generic) = e(integer(s))?;
            let (s, specific) = e(integer(s))?;
            let (s, ts) = e(ber::expect(APPLICATION, false, 3)(s))?;
            let (_, vb) = e(sequence(s))?;
            pdu.trap = Some(TrapV1 {
                enterprise,
                agent_addr: addr.value,
                generic,
                specific,
                timestamp: ber::uint_value(ts).unwrap_or(0),
            });
            pdu.varbinds = vb;
        }
        _ => {
            let (s, request_id) = e(integer(t.value))?;
            let (s, error_status) = e(integer(s))?;
            let (s, error_index) = e(integer(s))?;
            let (_, vb) = e(sequence(s))?;
            pdu.request_id = request_id;
            pdu.error_status = error_status;
            pdu.error_index = error_index;
            pdu.varbinds = vb;
        }
    }
    Ok((rest, pdu))
}

/// A variable binding's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Integer(i64),
    OctetString(&'a [u8]),
    Null,
    /// OID contents.
    Oid(&'a [u8]),
    IpAddress(&'a [u8]),
    Counter32(u64),
    Gauge32(u64),
    TimeTicks(u64),
    Opaque(&'a [u8]),
    Counter64(u64),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
    /// Anything else, raw.
    Other {
        class: u8,
        tag: u32,
        raw: &'a [u8],
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarBind<'a> {
    /// OID contents of the name.
    pub name: &'a [u8],
    pub value: Value<'a>,
}

/// Decode a value element.
pub fn parse_value(i: &[u8]) -> Result<Value<'_>, BerError> {
    let (_, t) = e(tlv(i))?;
    let v = t.value;
    let bad = BerError::BadValue;
    if t.constructed {
        // No SNMP value is constructed: validate it (bounded depth) and keep it raw.
        check_nesting(v, 1)?;
        return Ok(Value::Other {
            class: t.class,
            tag: t.tag,
            raw: v,
        });
    }
    Ok(match (t.class, t.tag) {
        (UNIVERSAL, 2) => Value::Integer(ber::int_value(v).ok_or(bad)?),
        (UNIVERSAL, 4) => Value::OctetString(v),
        (UNIVERSAL, 5) => Value::Null,
        (UNIVERSAL, 6) => Value::Oid(v),
        (APPLICATION, 0) => Value::IpAddress(v),
        (APPLICATION, 1) => Value::Counter32(ber::uint_value(v).ok_or(bad)?),
        (APPLICATION, 2) => Value::Gauge32(ber::uint_value(v).ok_or(bad)?),
        (APPLICATION, 3) => Value::TimeTicks(ber::uint_value(v).ok_or(bad)?),
        (APPLICATION, 4) => Value::Opaque(v),
        (APPLICATION, 6) => Value::Counter64(ber::uint_value(v).ok_or(bad)?),
        (CONTEXT, 0) => Value::NoSuchObject,
        (CONTEXT, 1) => Value::NoSuchInstance,
        (CONTEXT, 2) => Value::EndOfMibView,
        (class, tag) => Value::Other { class, tag, raw: v },
    })
}

/// Lazy iterator over a VarBindList's contents; yields at most [`MAX_VARBINDS`] items and
/// stops after the first error.
#[derive(Debug, Clone)]
pub struct VarBinds<'a> {
    rest: &'a [u8],
    n: usize,
}

impl<'a> VarBinds<'a> {
    pub fn new(list: &'a [u8]) -> Self {
        VarBinds { rest: list, n: 0 }
    }
}

impl<'a> Iterator for VarBinds<'a> {
    type Item = Result<VarBind<'a>, BerError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.n >= MAX_VARBINDS {
            return None;
        }
        self.n += 1;
        let r = (|| {
            let (rest, vb) = e(sequence(self.rest))?;
            self.rest = rest;
            let (v, name) = e(ber::expect(UNIVERSAL, false, 6)(vb))?;
            let value = parse_value(v)?;
            Ok(VarBind { name, value })
        })();
        if r.is_err() {
            self.rest = &[];
        }
        Some(r)
    }
}
