//! Pure, zero-copy parsers (nom 8) for EtherNet/IP encapsulation, the Common Packet Format,
//! CIP explicit messages, EPATHs and the Connection Manager services.
//!
//! Frame before body everywhere: a length field is read first, `take(len)` cuts the body, and
//! the body is parsed on that slice only. Unknown code values are kept raw.

use super::codes::{cmd, item};
use nom::IResult;
use nom::bytes::complete::take;
use nom::number::complete::{be_u16, le_u16, le_u32, le_u64, u8 as byte};

pub type R<'a, T> = IResult<&'a [u8], T>;

/// Length of the encapsulation header.
pub const HEADER_LEN: usize = 24;
/// Items of a Common Packet Format kept (more are counted, not stored).
pub const MAX_ITEMS: usize = 8;
/// EPATH segments walked before the path is called malformed.
const MAX_SEGMENTS: usize = 32;

/// The 24-byte encapsulation header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncapHeader {
    pub command: u16,
    pub length: u16,
    pub session: u32,
    pub status: u32,
    /// Sender context, 8 opaque bytes (read little-endian, echoed by the target).
    pub context: u64,
    pub options: u32,
}

pub fn parse_header(i: &[u8]) -> R<'_, EncapHeader> {
    let (i, command) = le_u16(i)?;
    let (i, length) = le_u16(i)?;
    let (i, session) = le_u32(i)?;
    let (i, status) = le_u32(i)?;
    let (i, context) = le_u64(i)?;
    let (i, options) = le_u32(i)?;
    Ok((
        i,
        EncapHeader {
            command,
            length,
            session,
            status,
            context,
            options,
        },
    ))
}

/// One encapsulation PDU: header, then exactly `length` bytes of body.
pub fn parse_encap(i: &[u8]) -> R<'_, (EncapHeader, &[u8])> {
    let (i, h) = parse_header(i)?;
    let (i, body) = take(h.length)(i)?;
    Ok((i, (h, body)))
}

/// Commands defined by the specification (plus the legacy List Targets).
pub fn known_command(c: u16) -> bool {
    matches!(
        c,
        cmd::NOP
            | cmd::LIST_TARGETS
            | cmd::LIST_SERVICES
            | cmd::LIST_IDENTITY
            | cmd::LIST_INTERFACES
            | cmd::REGISTER_SESSION
            | cmd::UNREGISTER_SESSION
            | cmd::SEND_RR_DATA
            | cmd::SEND_UNIT_DATA
            | cmd::INDICATE_STATUS
            | cmd::CANCEL
    )
}

/// A header that is worth trusting while in sync (loose): a known command, options 0.
pub fn header_ok(h: &EncapHeader) -> bool {
    known_command(h.command) && h.options == 0
}

/// A header strict enough to resynchronise on (or to detect the protocol by): a known,
/// non-trivial command, options 0, a length that fits the command, status 0 from a client.
/// `body` is what follows the header (possibly incomplete); when the command-specific part is
/// present it is checked too. `None`: need more bytes to decide.
pub fn header_plausible(h: &EncapHeader, body: &[u8], to_server: bool) -> Option<bool> {
    if h.options != 0 {
        return Some(false);
    }
    if to_server && h.status != 0 {
        return Some(false);
    }
    let len = h.length as usize;
    match h.command {
        cmd::LIST_IDENTITY | cmd::LIST_SERVICES | cmd::LIST_INTERFACES => {
            if to_server {
                // Requests carry no data (a few stacks send a short, ignored one).
                Some(len <= 8)
            } else if len == 0 {
                Some(true)
            } else {
                // Replies: an item count and items.
                if len < 2 {
                    return Some(false);
                }
                if body.len() < 2 {
                    return None;
                }
                let count = u16::from_le_bytes([body[0], body[1]]);
                Some(count <= 64 && (count > 0 || len == 2))
            }
        }
        cmd::REGISTER_SESSION => {
            if len != 4 {
                return Some(false);
            }
            if body.len() < 4 {
                return None;
            }
            // Protocol version 1, options 0.
            Some(body[..4] == [1, 0, 0, 0])
        }
        cmd::UNREGISTER_SESSION => Some(len == 0 && h.session != 0),
        cmd::SEND_RR_DATA | cmd::SEND_UNIT_DATA => {
            if len < 8 {
                return Some(false);
            }
            if body.len() < 12 {
                return None;
            }
            // Interface handle 0 (CIP), a small item count, and a known first item type.
            let handle = u32::from_le_bytes([body[0], body[1], body[2], body[3]]);
            let count = u16::from_le_bytes([body[6], body[7]]);
            let first = u16::from_le_bytes([body[8], body[9]]);
            let first_len = u16::from_le_bytes([body[10], body[11]]) as usize;
            Some(
                handle == 0
                    && (1..=8).contains(&count)
                    && matches!(
                        first,
                        item::NULL_ADDRESS | item::CONNECTED_ADDRESS | item::SEQUENCED_ADDRESS
                    )
                    && first_len <= len.saturating_sub(12),
            )
        }
        cmd::INDICATE_STATUS | cmd::CANCEL => Some(len <= 4096 && h.session != 0),
        // NOP and List Targets are too weak to synchronise on.
        _ => Some(false),
    }
}

/// One Common Packet Format item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpfItem<'a> {
    pub type_id: u16,
    pub data: &'a [u8],
}

pub fn parse_cpf_item(i: &[u8]) -> R<'_, CpfItem<'_>> {
    let (i, type_id) = le_u16(i)?;
    let (i, len) = le_u16(i)?;
    let (i, data) = take(len)(i)?;
    Ok((i, CpfItem { type_id, data }))
}

/// A Common Packet Format: the item count and the first [`MAX_ITEMS`] items, kept as the
/// bytes they span and read again when walked (a PDU walks them once or twice). Keeping the
/// items themselves made the struct 200 bytes, copied through each parser level of every PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cpf<'a> {
    pub count: u16,
    /// Items stored (`min(count, MAX_ITEMS)`, or the complete ones of a cut CPF).
    pub stored: usize,
    /// The bytes of the `stored` items, each complete.
    raw: &'a [u8],
}

impl<'a> Cpf<'a> {
    pub fn items(&self) -> CpfItems<'a> {
        CpfItems {
            rest: self.raw,
            left: self.stored,
        }
    }

    pub fn find(&self, type_id: u16) -> Option<CpfItem<'a>> {
        self.items().find(|it| it.type_id == type_id)
    }
}

/// The stored items of a [`Cpf`].
pub struct CpfItems<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for CpfItems<'a> {
    type Item = CpfItem<'a>;

    fn next(&mut self) -> Option<CpfItem<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // Never fails: the items were checked when the CPF was parsed.
        let (rest, it) = parse_cpf_item(self.rest).ok()?;
        self.rest = rest;
        Some(it)
    }
}

/// Item count, then items (all of them are walked, at most [`MAX_ITEMS`] are kept).
pub fn parse_cpf(i: &[u8]) -> R<'_, Cpf<'_>> {
    let (items, count) = le_u16(i)?;
    let (cpf, walked) = walk_cpf(items, count, count as usize);
    walked.map(|(rest, ())| (rest, cpf))
}

/// The complete items of a cut CPF (at most [`MAX_ITEMS`]); `None` without an item count.
pub fn parse_cpf_prefix(i: &[u8]) -> Option<Cpf<'_>> {
    let (items, count) = le_u16::<_, nom::error::Error<&[u8]>>(i).ok()?;
    Some(walk_cpf(items, count, (count as usize).min(MAX_ITEMS)).0)
}

/// Walk up to `walk` items from `items`, keeping the first [`MAX_ITEMS`]: the CPF of the
/// complete items, and the bytes after them or the error of the first incomplete one.
fn walk_cpf(items: &[u8], count: u16, walk: usize) -> (Cpf<'_>, R<'_, ()>) {
    let mut cpf = Cpf {
        count,
        stored: 0,
        raw: &[],
    };
    let mut i = items;
    for n in 0..walk {
        match parse_cpf_item(i) {
            Ok((rest, _)) => i = rest,
            Err(e) => return (cpf, Err(e)),
        }
        if n < MAX_ITEMS {
            cpf.stored = n + 1;
            cpf.raw = &items[..items.len() - i.len()];
        }
    }
    (cpf, Ok((i, ())))
}

/// Command-specific data of SendRRData / SendUnitData.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrData<'a> {
    pub interface: u32,
    pub timeout: u16,
    pub cpf: Cpf<'a>,
}

pub fn parse_rr_data(i: &[u8]) -> R<'_, RrData<'_>> {
    let (i, interface) = le_u32(i)?;
    let (i, timeout) = le_u16(i)?;
    let (i, cpf) = parse_cpf(i)?;
    Ok((
        i,
        RrData {
            interface,
            timeout,
            cpf,
        },
    ))
}

/// Attributes 1-7 (and 8, state) of the Identity object, as in a ListIdentity item and in a
/// Get_Attributes_All response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    pub vendor: u16,
    pub device_type: u16,
    pub product_code: u16,
    pub rev_major: u8,
    pub rev_minor: u8,
    pub status: u16,
    pub serial: u32,
    pub product_name: &'a [u8],
    pub state: Option<u8>,
}

/// A CIP SHORT_STRING: one length byte, then the characters.
pub fn short_string(i: &[u8]) -> R<'_, &[u8]> {
    let (i, n) = byte(i)?;
    take(n)(i)
}

/// Vendor .. product name, then the state byte when present.
pub fn parse_identity_attrs(i: &[u8]) -> R<'_, Identity<'_>> {
    let (i, vendor) = le_u16(i)?;
    let (i, device_type) = le_u16(i)?;
    let (i, product_code) = le_u16(i)?;
    let (i, rev_major) = byte(i)?;
    let (i, rev_minor) = byte(i)?;
    let (i, status) = le_u16(i)?;
    let (i, serial) = le_u32(i)?;
    let (i, product_name) = short_string(i)?;
    let (i, state) = match byte::<_, nom::error::Error<&[u8]>>(i) {
        Ok((i, s)) => (i, Some(s)),
        Err(_) => (i, None),
    };
    Ok((
        i,
        Identity {
            vendor,
            device_type,
            product_code,
            rev_major,
            rev_minor,
            status,
            serial,
            product_name,
            state,
        },
    ))
}

/// A ListIdentity reply item (type 0x000C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityItem<'a> {
    pub version: u16,
    pub sin_family: u16,
    pub sin_port: u16,
    pub sin_addr: [u8; 4],
    pub id: Identity<'a>,
}

pub fn parse_identity_item(i: &[u8]) -> R<'_, IdentityItem<'_>> {
    let (i, version) = le_u16(i)?;
    // The socket address is big-endian (network order).
    let (i, sin_family) = be_u16(i)?;
    let (i, sin_port) = be_u16(i)?;
    let (i, a) = take(4usize)(i)?;
    let (i, _zero) = take(8usize)(i)?;
    let (i, id) = parse_identity_attrs(i)?;
    Ok((
        i,
        IdentityItem {
            version,
            sin_family,
            sin_port,
            sin_addr: [a[0], a[1], a[2], a[3]],
            id,
        },
    ))
}

/// A ListServices reply item (type 0x0100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceItem<'a> {
    pub version: u16,
    pub capability: u16,
    /// The 16-byte name field (some stacks send it shorter; kept as sent).
    pub name: &'a [u8],
}

pub fn parse_service_item(i: &[u8]) -> R<'_, ServiceItem<'_>> {
    let (i, version) = le_u16(i)?;
    let (i, capability) = le_u16(i)?;
    let n = i.len().min(16);
    let (i, name) = take(n)(i)?;
    Ok((
        i,
        ServiceItem {
            version,
            capability,
            name,
        },
    ))
}

/// RegisterSession data: protocol version, options.
pub fn parse_register(i: &[u8]) -> R<'_, (u16, u16)> {
    let (i, v) = le_u16(i)?;
    let (i, o) = le_u16(i)?;
    Ok((i, (v, o)))
}

/// A CIP explicit request: service, request path, service data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipRequest<'a> {
    pub service: u8,
    pub path: &'a [u8],
    pub data: &'a [u8],
}

pub fn parse_cip_request(i: &[u8]) -> R<'_, CipRequest<'_>> {
    let (i, service) = byte(i)?;
    let (i, words) = byte(i)?;
    let (data, path) = take(words as usize * 2)(i)?;
    Ok((
        &[],
        CipRequest {
            service,
            path,
            data,
        },
    ))
}

/// A CIP explicit response: service (without the 0x80 bit), general and extended status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipResponse<'a> {
    pub service: u8,
    pub general: u8,
    /// Additional status words (raw, little-endian).
    pub ext: &'a [u8],
    pub data: &'a [u8],
}

impl CipResponse<'_> {
    /// The first additional status word.
    pub fn ext_status(&self) -> Option<u16> {
        match self.ext {
            [a, b, ..] => Some(u16::from_le_bytes([*a, *b])),
            _ => None,
        }
    }
}

pub fn parse_cip_response(i: &[u8]) -> R<'_, CipResponse<'_>> {
    let (i, service) = byte(i)?;
    let (i, _reserved) = byte(i)?;
    let (i, general) = byte(i)?;
    let (i, words) = byte(i)?;
    let (data, ext) = take(words as usize * 2)(i)?;
    Ok((
        &[],
        CipResponse {
            service: service & 0x7F,
            general,
            ext,
            data,
        },
    ))
}

/// A port segment of an EPATH (a hop of a route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSeg {
    pub port: u16,
    /// The link address when it is one byte (a slot, a node number); `None` when it is longer
    /// (an IP address string, for instance).
    pub link: Option<u8>,
}

/// What an EPATH addresses. Segments are walked once; only the first of each kind is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EPath<'a> {
    pub class: Option<u32>,
    pub instance: Option<u32>,
    pub attribute: Option<u32>,
    pub member: Option<u32>,
    pub connection_point: Option<u32>,
    /// The first symbolic (tag name) segment.
    pub symbol: Option<&'a [u8]>,
    /// The first port segment (the first hop of a route).
    pub port: Option<PortSeg>,
    pub ports: u8,
    pub segments: u8,
    /// A segment could not be decoded (truncated, reserved type, too many segments).
    pub malformed: bool,
}

impl EPath<'_> {
    pub fn symbolic(&self) -> bool {
        self.symbol.is_some()
    }
}

/// Decode an EPATH (padded form). Never fails: a bad segment stops the walk and sets
/// `malformed`.
pub fn parse_epath(p: &[u8]) -> EPath<'_> {
    let mut e = EPath::default();
    let mut i = p;
    while !i.is_empty() {
        if e.segments as usize >= MAX_SEGMENTS {
            e.malformed = true;
            break;
        }
        match segment(i, &mut e) {
            Some(rest) => {
                e.segments += 1;
                i = rest;
            }
            None => {
                e.malformed = true;
                break;
            }
        }
    }
    e
}

fn get(i: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    if i.len() < n {
        None
    } else {
        Some(i.split_at(n))
    }
}

/// One segment; returns the rest of the path.
fn segment<'a>(i: &'a [u8], e: &mut EPath<'a>) -> Option<&'a [u8]> {
    let (&t, rest) = i.split_first()?;
    match t >> 5 {
        0 => {
            // Port segment: 000e pppp; e = extended link address size follows.
            let mut r = rest;
            let ext = t & 0x10 != 0;
            let link_len = if ext {
                let (&n, r2) = r.split_first()?;
                r = r2;
                n as usize
            } else {
                1
            };
            let mut port = (t & 0x0F) as u16;
            if port == 0x0F {
                let (b, r2) = get(r, 2)?;
                port = u16::from_le_bytes([b[0], b[1]]);
                r = r2;
            }
            let (link, r2) = get(r, link_len)?;
            r = r2;
            // Total segment length is padded to an even number of bytes.
            let used = i.len() - r.len();
            if used % 2 == 1 && !r.is_empty() {
                r = &r[1..];
            }
            if e.port.is_none() {
                e.port = Some(PortSeg {
                    port,
                    link: if link_len == 1 { Some(link[0]) } else { None },
                });
            }
            e.ports = e.ports.saturating_add(1);
            Some(r)
        }
        1 => {
            // Logical segment: 001t ttff.
            let kind = (t >> 2) & 0x07;
            let fmt = t & 0x03;
            if kind == 5 {
                // Special: electronic key (0x34), key format 4 then 8 bytes.
                let (b, r) = get(rest, 1)?;
                let n = if b[0] == 4 { 8 } else { return None };
                let (_, r) = get(r, n)?;
                return Some(r);
            }
            let (v, r) = match fmt {
                0 => {
                    let (b, r) = get(rest, 1)?;
                    (b[0] as u32, r)
                }
                1 => {
                    let (_, r) = get(rest, 1)?; // pad
                    let (b, r) = get(r, 2)?;
                    (u16::from_le_bytes([b[0], b[1]]) as u32, r)
                }
                2 => {
                    let (_, r) = get(rest, 1)?; // pad
                    let (b, r) = get(r, 4)?;
                    (u32::from_le_bytes([b[0], b[1], b[2], b[3]]), r)
                }
                _ => return None,
            };
            let slot = match kind {
                0 => &mut e.class,
                1 => &mut e.instance,
                2 => &mut e.member,
                3 => &mut e.connection_point,
                4 => &mut e.attribute,
                _ => return Some(r), // service id (6) and reserved kinds: value skipped
            };
            if slot.is_none() {
                *slot = Some(v);
            }
            Some(r)
        }
        2 => {
            // Network segment: 010t tttt; subtypes 0x10.. carry a word count.
            if t & 0x10 != 0 {
                let (b, r) = get(rest, 1)?;
                let (_, r) = get(r, b[0] as usize * 2)?;
                Some(r)
            } else {
                let (_, r) = get(rest, 1)?;
                Some(r)
            }
        }
        3 => {
            // Symbolic segment: 011s ssss, s characters (0: extended format, not decoded).
            let n = (t & 0x1F) as usize;
            if n == 0 {
                return None;
            }
            let (sym, mut r) = get(rest, n)?;
            if (1 + n) % 2 == 1 && !r.is_empty() {
                r = &r[1..];
            }
            if e.symbol.is_none() {
                e.symbol = Some(sym);
            }
            Some(r)
        }
        4 => {
            // Data segment: 0x80 simple data (word count), 0x91 ANSI extended symbol.
            match t {
                0x80 => {
                    let (b, r) = get(rest, 1)?;
                    let (_, r) = get(r, b[0] as usize * 2)?;
                    Some(r)
                }
                0x91 => {
                    let (b, r) = get(rest, 1)?;
                    let n = b[0] as usize;
                    let (sym, mut r) = get(r, n)?;
                    if n % 2 == 1 && !r.is_empty() {
                        r = &r[1..];
                    }
                    if e.symbol.is_none() {
                        e.symbol = Some(sym);
                    }
                    Some(r)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Unconnected Send (Connection Manager 0x52) request data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnconnectedSend<'a> {
    pub tick: u8,
    pub timeout_ticks: u8,
    pub message: &'a [u8],
    pub route: &'a [u8],
}

pub fn parse_unconnected_send(i: &[u8]) -> R<'_, UnconnectedSend<'_>> {
    let (i, tick) = byte(i)?;
    let (i, timeout_ticks) = byte(i)?;
    let (i, size) = le_u16(i)?;
    let (i, message) = take(size)(i)?;
    let i = if size % 2 == 1 && !i.is_empty() {
        &i[1..]
    } else {
        i
    };
    let (i, words) = byte(i)?;
    let (i, _reserved) = byte(i)?;
    let (i, route) = take(words as usize * 2)(i)?;
    Ok((
        i,
        UnconnectedSend {
            tick,
            timeout_ticks,
            message,
            route,
        },
    ))
}

/// Forward Open / Large Forward Open request data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardOpen<'a> {
    pub large: bool,
    pub tick: u8,
    pub timeout_ticks: u8,
    pub o2t_id: u32,
    pub t2o_id: u32,
    pub serial: u16,
    pub vendor: u16,
    pub orig_serial: u32,
    pub timeout_multiplier: u8,
    /// Requested packet intervals, microseconds.
    pub o2t_rpi: u32,
    pub o2t_params: u32,
    pub t2o_rpi: u32,
    pub t2o_params: u32,
    pub transport: u8,
    pub path: &'a [u8],
}

pub fn parse_forward_open(i: &[u8], large: bool) -> R<'_, ForwardOpen<'_>> {
    let params = |i| -> R<'_, u32> {
        if large {
            le_u32(i)
        } else {
            le_u16(i).map(|(i, v)| (i, v as u32))
        }
    };
    let (i, tick) = byte(i)?;
    let (i, timeout_ticks) = byte(i)?;
    let (i, o2t_id) = le_u32(i)?;
    let (i, t2o_id) = le_u32(i)?;
    let (i, serial) = le_u16(i)?;
    let (i, vendor) = le_u16(i)?;
    let (i, orig_serial) = le_u32(i)?;
    let (i, timeout_multiplier) = byte(i)?;
    let (i, _reserved) = take(3usize)(i)?;
    let (i, o2t_rpi) = le_u32(i)?;
    let (i, o2t_params) = params(i)?;
    let (i, t2o_rpi) = le_u32(i)?;
    let (i, t2o_params) = params(i)?;
    let (i, transport) = byte(i)?;
    let (i, words) = byte(i)?;
    let (i, path) = take(words as usize * 2)(i)?;
    Ok((
        i,
        ForwardOpen {
            large,
            tick,
            timeout_ticks,
            o2t_id,
            t2o_id,
            serial,
            vendor,
            orig_serial,
            timeout_multiplier,
            o2t_rpi,
            o2t_params,
            t2o_rpi,
            t2o_params,
            transport,
            path,
        },
    ))
}

/// Successful Forward Open / Large Forward Open response data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardOpenReply {
    pub o2t_id: u32,
    pub t2o_id: u32,
    pub serial: u16,
    pub vendor: u16,
    pub orig_serial: u32,
    /// Actual packet intervals, microseconds.
    pub o2t_api: u32,
    pub t2o_api: u32,
}

pub fn parse_forward_open_reply(i: &[u8]) -> R<'_, ForwardOpenReply> {
    let (i, o2t_id) = le_u32(i)?;
    let (i, t2o_id) = le_u32(i)?;
    let (i, serial) = le_u16(i)?;
    let (i, vendor) = le_u16(i)?;
    let (i, orig_serial) = le_u32(i)?;
    let (i, o2t_api) = le_u32(i)?;
    let (i, t2o_api) = le_u32(i)?;
    Ok((
        i,
        ForwardOpenReply {
            o2t_id,
            t2o_id,
            serial,
            vendor,
            orig_serial,
            o2t_api,
            t2o_api,
        },
    ))
}

/// Forward Close request data (the connection triad and the path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardClose<'a> {
    pub serial: u16,
    pub vendor: u16,
    pub orig_serial: u32,
    pub path: &'a [u8],
}

pub fn parse_forward_close(i: &[u8]) -> R<'_, ForwardClose<'_>> {
    let (i, _tick) = byte(i)?;
    let (i, _timeout) = byte(i)?;
    let (i, serial) = le_u16(i)?;
    let (i, vendor) = le_u16(i)?;
    let (i, orig_serial) = le_u32(i)?;
    let (i, words) = byte(i)?;
    let (i, _reserved) = byte(i)?;
    let (i, path) = take(words as usize * 2)(i)?;
    Ok((
        i,
        ForwardClose {
            serial,
            vendor,
            orig_serial,
            path,
        },
    ))
}

/// Multiple Service Packet data (request or response): a count and offsets, relative to the
/// start of the data, of the embedded messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msp<'a> {
    pub count: u16,
    offsets: &'a [u8],
    data: &'a [u8],
}

pub fn parse_msp(data: &[u8]) -> R<'_, Msp<'_>> {
    let (i, count) = le_u16(data)?;
    let (_, offsets) = take(count as usize * 2)(i)?;
    Ok((
        &[],
        Msp {
            count,
            offsets,
            data,
        },
    ))
}

impl<'a> Msp<'a> {
    fn offset(&self, n: usize) -> Option<usize> {
        let b = self.offsets.get(n * 2..n * 2 + 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]) as usize)
    }

    /// The `n`-th embedded message: from its offset to the next one (or the end). `None` when
    /// the offsets point outside the data or backwards.
    pub fn get(&self, n: usize) -> Option<&'a [u8]> {
        let start = self.offset(n)?;
        let end = if n + 1 < self.count as usize {
            self.offset(n + 1)?
        } else {
            self.data.len()
        };
        if start < 2 + self.offsets.len() || end < start {
            return None;
        }
        self.data.get(start..end)
    }
}

/// A class 0/1 implicit I/O datagram: sequenced address item, then connected data item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoPacket<'a> {
    pub conn_id: u32,
    pub seq: u32,
    pub data: &'a [u8],
    /// Items after the first two (socket address items).
    pub extra_items: u16,
}

pub fn parse_io(i: &[u8]) -> R<'_, IoPacket<'_>> {
    let (rest, cpf) = parse_cpf(i)?;
    let err = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify));
    let mut items = cpf.items();
    let (Some(addr), Some(data)) = (items.next(), items.next()) else {
        return Err(err());
    };
    if addr.type_id != item::SEQUENCED_ADDRESS
        || addr.data.len() != 8
        || data.type_id != item::CONNECTED_DATA
    {
        return Err(err());
    }
    let a = addr.data;
    Ok((
        rest,
        IoPacket {
            conn_id: u32::from_le_bytes([a[0], a[1], a[2], a[3]]),
            seq: u32::from_le_bytes([a[4], a[5], a[6], a[7]]),
            data: data.data,
            extra_items: cpf.count.saturating_sub(2),
        },
    ))
}
