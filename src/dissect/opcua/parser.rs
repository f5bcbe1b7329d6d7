//! Pure nom parsers for OPC UA TCP (UACP), UA Secure Conversation (UASC) and UA Binary.
//!
//! Zero-copy: strings and byte strings are slices of the input. Everything is bounds-checked:
//! a length that runs past the input is [`UaError::Truncated`], an array count larger than
//! the bytes left (every element takes at least one byte) or than [`MAX_ARRAY`] is
//! [`UaError::TooLarge`], nesting deeper than [`MAX_DEPTH`] (Variants in Variants, DataValues,
//! DiagnosticInfos) is [`UaError::TooDeep`]. Null arrays and strings (length -1) are empty.
//!
//! Frame before body: [`header`] reads the 8-byte message header; callers take `size` bytes
//! and parse the body on that slice only.

use nom::IResult;
use nom::bytes::complete::take;
use nom::error::{ErrorKind, ParseError};
use nom::number::complete::{le_f64, le_i32, le_i64, le_u8, le_u16, le_u32};

/// Why UA Binary decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UaError {
    /// A length or field runs past the end of the message.
    Truncated,
    /// An array count is larger than what the message can hold.
    TooLarge,
    /// Variants / DataValues / DiagnosticInfos nested too deep.
    TooDeep,
    /// A value the encoding does not allow (negative length, unknown encoding byte...).
    Invalid,
}

impl UaError {
    /// The anomaly kind reported for this error.
    pub fn anomaly(self) -> &'static str {
        match self {
            UaError::Truncated => "ua_truncated",
            UaError::TooLarge => "ua_array_too_large",
            UaError::TooDeep => "ua_nesting_too_deep",
            UaError::Invalid => "ua_invalid_encoding",
        }
    }
}

impl<'a> ParseError<&'a [u8]> for UaError {
    fn from_error_kind(_input: &'a [u8], kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::TooLarge => UaError::TooLarge,
            ErrorKind::Eof | ErrorKind::Complete => UaError::Truncated,
            _ => UaError::Truncated,
        }
    }
    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

pub type Res<'a, T> = IResult<&'a [u8], T, UaError>;

/// The error of a failed parse.
pub fn error_of(e: nom::Err<UaError>) -> UaError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => UaError::Truncated,
    }
}

fn fail<'a, T>(e: UaError) -> Res<'a, T> {
    Err(nom::Err::Error(e))
}

/// Largest array count accepted.
pub const MAX_ARRAY: usize = 1 << 16;
/// Deepest nesting of Variants / DataValues / DiagnosticInfos.
pub const MAX_DEPTH: u8 = 8;
/// Structures kept per response (endpoints, servers); the rest are parsed and dropped.
pub const MAX_KEPT: usize = 32;
/// Token policies kept per endpoint.
pub const MAX_TOKENS: usize = 16;
/// Discovery URLs kept per application description.
pub const MAX_URLS: usize = 8;

// ---------------------------------------------------------------------------------------------
// Transport (OPC 10000-6 §7.1)
// ---------------------------------------------------------------------------------------------

/// Length of the message header (type, chunk type, size).
pub const HEADER_LEN: usize = 8;
/// Largest chunk size believed (a chunk is bounded by the negotiated buffer sizes, which real
/// stacks keep well below this).
pub const MAX_CHUNK: u32 = 16 << 20;
/// Largest size of a connection-protocol message (HEL/ACK/ERR/RHE: two strings of at most
/// 4096 bytes and a few integers).
pub const MAX_CONN_MSG: u32 = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgType {
    /// Hello (client → server).
    Hel,
    /// Acknowledge (server → client).
    Ack,
    /// Error (either side, then the connection closes).
    Err,
    /// ReverseHello (server → client over a connection the server opened).
    Rhe,
    /// OpenSecureChannel.
    Opn,
    /// Secure conversation message (service request/response).
    Msg,
    /// CloseSecureChannel.
    Clo,
}

impl MsgType {
    pub fn from_bytes(b: &[u8]) -> Option<MsgType> {
        Some(match b {
            b"HEL" => MsgType::Hel,
            b"ACK" => MsgType::Ack,
            b"ERR" => MsgType::Err,
            b"RHE" => MsgType::Rhe,
            b"OPN" => MsgType::Opn,
            b"MSG" => MsgType::Msg,
            b"CLO" => MsgType::Clo,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            MsgType::Hel => "HEL",
            MsgType::Ack => "ACK",
            MsgType::Err => "ERR",
            MsgType::Rhe => "RHE",
            MsgType::Opn => "OPN",
            MsgType::Msg => "MSG",
            MsgType::Clo => "CLO",
        }
    }

    /// Secure-channel messages (may be chunked, carry a security header).
    pub fn is_secure(self) -> bool {
        matches!(self, MsgType::Opn | MsgType::Msg | MsgType::Clo)
    }

    /// Smallest well-formed message of this type (header included).
    pub fn min_size(self) -> u32 {
        match self {
            // 5 u32 + endpoint URL length.
            MsgType::Hel => 8 + 20 + 4,
            MsgType::Ack => 8 + 20,
            // error code + reason length.
            MsgType::Err => 8 + 8,
            // two string lengths.
            MsgType::Rhe => 8 + 8,
            // channel id + 3 lengths + sequence header.
            MsgType::Opn => 8 + 4 + 12 + 8,
            // channel id + token id + sequence header.
            MsgType::Msg | MsgType::Clo => 8 + 8 + 8,
        }
    }

    pub fn max_size(self) -> u32 {
        if self.is_secure() {
            MAX_CHUNK
        } else {
            MAX_CONN_MSG
        }
    }
}

/// Chunk types of the fourth header byte.
pub const CHUNK_FINAL: u8 = b'F';
pub const CHUNK_INTERMEDIATE: u8 = b'C';
pub const CHUNK_ABORT: u8 = b'A';

/// The 8-byte message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub mtype: MsgType,
    /// `F` final, `C` intermediate, `A` abort.
    pub chunk: u8,
    /// Whole message size, header included.
    pub size: u32,
}

/// A header that may start a message: known type, a chunk type the message type allows,
/// and a size within the limits of the type. `None` for anything else (garbage, other
/// protocols, the middle of a message).
pub fn plausible_header(b: &[u8]) -> Option<Header> {
    if b.len() < HEADER_LEN {
        return None;
    }
    let mtype = MsgType::from_bytes(&b[..3])?;
    let chunk = b[3];
    let chunk_ok = if mtype.is_secure() {
        matches!(chunk, CHUNK_FINAL | CHUNK_INTERMEDIATE | CHUNK_ABORT)
    } else {
        chunk == CHUNK_FINAL
    };
    if !chunk_ok {
        return None;
    }
    let size = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    if size < mtype.min_size() || size > mtype.max_size() {
        return None;
    }
    Some(Header { mtype, chunk, size })
}

/// Parse the message header (fails with `Invalid` when not plausible).
pub fn header(i: &[u8]) -> Res<'_, Header> {
    let (rest, h) = take(HEADER_LEN)(i)?;
    match plausible_header(h) {
        Some(h) => Ok((rest, h)),
        None => fail(UaError::Invalid),
    }
}

/// Hello (client → server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello<'a> {
    pub version: u32,
    pub receive_buffer: u32,
    pub send_buffer: u32,
    pub max_message: u32,
    pub max_chunks: u32,
    pub endpoint_url: Option<&'a [u8]>,
}

/// Body of a HEL message (after the 8-byte header).
pub fn hello(i: &[u8]) -> Res<'_, Hello<'_>> {
    let (i, version) = le_u32(i)?;
    let (i, receive_buffer) = le_u32(i)?;
    let (i, send_buffer) = le_u32(i)?;
    let (i, max_message) = le_u32(i)?;
    let (i, max_chunks) = le_u32(i)?;
    let (i, endpoint_url) = string(i)?;
    Ok((
        i,
        Hello {
            version,
            receive_buffer,
            send_buffer,
            max_message,
            max_chunks,
            endpoint_url,
        },
    ))
}

/// Acknowledge (server → client): the negotiated limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    pub version: u32,
    pub receive_buffer: u32,
    pub send_buffer: u32,
    pub max_message: u32,
    pub max_chunks: u32,
}

pub fn ack(i: &[u8]) -> Res<'_, Ack> {
    let (i, version) = le_u32(i)?;
    let (i, receive_buffer) = le_u32(i)?;
    let (i, send_buffer) = le_u32(i)?;
    let (i, max_message) = le_u32(i)?;
    let (i, max_chunks) = le_u32(i)?;
    Ok((
        i,
        Ack {
            version,
            receive_buffer,
            send_buffer,
            max_message,
            max_chunks,
        },
    ))
}

/// Error message (ERR), also the body of an abort chunk after its sequence header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorMsg<'a> {
    pub code: u32,
    pub reason: Option<&'a [u8]>,
}

pub fn error_msg(i: &[u8]) -> Res<'_, ErrorMsg<'_>> {
    let (i, code) = le_u32(i)?;
    let (i, reason) = string(i)?;
    Ok((i, ErrorMsg { code, reason }))
}

/// ReverseHello: a server that opened the connection to a client introduces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReverseHello<'a> {
    pub server_uri: Option<&'a [u8]>,
    pub endpoint_url: Option<&'a [u8]>,
}

pub fn reverse_hello(i: &[u8]) -> Res<'_, ReverseHello<'_>> {
    let (i, server_uri) = string(i)?;
    let (i, endpoint_url) = string(i)?;
    Ok((
        i,
        ReverseHello {
            server_uri,
            endpoint_url,
        },
    ))
}

/// Asymmetric security header of OPN chunks (always cleartext).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsymHeader<'a> {
    pub channel_id: u32,
    pub policy_uri: Option<&'a [u8]>,
    /// DER X.509 certificate (or chain) of the sender.
    pub sender_cert: Option<&'a [u8]>,
    /// SHA-1 thumbprint of the receiver's certificate.
    pub receiver_thumbprint: Option<&'a [u8]>,
}

/// OPN body after the 8-byte header: channel id and asymmetric security header.
pub fn asym_header(i: &[u8]) -> Res<'_, AsymHeader<'_>> {
    let (i, channel_id) = le_u32(i)?;
    let (i, policy_uri) = string(i)?;
    let (i, sender_cert) = string(i)?;
    let (i, receiver_thumbprint) = string(i)?;
    Ok((
        i,
        AsymHeader {
            channel_id,
            policy_uri,
            sender_cert,
            receiver_thumbprint,
        },
    ))
}

/// Symmetric security header of MSG/CLO chunks (always cleartext).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymHeader {
    pub channel_id: u32,
    pub token_id: u32,
}

pub fn sym_header(i: &[u8]) -> Res<'_, SymHeader> {
    let (i, channel_id) = le_u32(i)?;
    let (i, token_id) = le_u32(i)?;
    Ok((
        i,
        SymHeader {
            channel_id,
            token_id,
        },
    ))
}

/// Sequence header (encrypted together with the body when the channel encrypts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqHeader {
    pub seq: u32,
    pub request_id: u32,
}

pub fn seq_header(i: &[u8]) -> Res<'_, SeqHeader> {
    let (i, seq) = le_u32(i)?;
    let (i, request_id) = le_u32(i)?;
    Ok((i, SeqHeader { seq, request_id }))
}

// ---------------------------------------------------------------------------------------------
// UA Binary built-in types (OPC 10000-6 §5.2)
// ---------------------------------------------------------------------------------------------

/// String / ByteString / XmlElement: i32 length (-1 = null) and bytes.
pub fn string(i: &[u8]) -> Res<'_, Option<&[u8]>> {
    let (i, len) = le_i32(i)?;
    if len == -1 {
        return Ok((i, None));
    }
    if len < 0 {
        return fail(UaError::Invalid);
    }
    let len = len as usize;
    if len > i.len() {
        return fail(UaError::Truncated);
    }
    let (i, s) = take(len)(i)?;
    Ok((i, Some(s)))
}

/// Array length: -1 (null) is 0; a count the remaining bytes cannot hold at
/// `min_elem` bytes per element is `TooLarge`.
pub fn array_len(i: &[u8], min_elem: usize) -> Res<'_, usize> {
    let (i, n) = le_i32(i)?;
    if n == -1 {
        return Ok((i, 0));
    }
    if n < 0 {
        return fail(UaError::Invalid);
    }
    let n = n as usize;
    if n > MAX_ARRAY || n.saturating_mul(min_elem.max(1)) > i.len() {
        return fail(UaError::TooLarge);
    }
    Ok((i, n))
}

/// Parse an array, calling `f` with each element's index and value.
pub fn array<'a, T>(
    i: &'a [u8],
    min_elem: usize,
    mut elem: impl FnMut(&'a [u8]) -> Res<'a, T>,
    mut f: impl FnMut(usize, T),
) -> Res<'a, ()> {
    let (mut i, n) = array_len(i, min_elem)?;
    for k in 0..n {
        let (r, v) = elem(i)?;
        f(k, v);
        i = r;
    }
    Ok((i, ()))
}

fn skip(i: &[u8], n: usize) -> Res<'_, ()> {
    if n > i.len() {
        return fail(UaError::Truncated);
    }
    let (i, _) = take(n)(i)?;
    Ok((i, ()))
}

fn skip_string_array(i: &[u8]) -> Res<'_, ()> {
    array(i, 4, string, |_, _| {})
}

/// A NodeId (only what the dissector needs: numeric ids are kept, others reduced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeId<'a> {
    Numeric { ns: u16, id: u32 },
    Str { ns: u16, id: Option<&'a [u8]> },
    Guid { ns: u16 },
    Opaque { ns: u16, id: Option<&'a [u8]> },
}

impl NodeId<'_> {
    /// The numeric identifier when the node is in namespace 0.
    pub fn ns0(&self) -> Option<u32> {
        match *self {
            NodeId::Numeric { ns: 0, id } => Some(id),
            _ => None,
        }
    }
}

fn node_id_body(i: &[u8], enc: u8) -> Res<'_, NodeId<'_>> {
    match enc & 0x0f {
        0 => {
            let (i, id) = le_u8(i)?;
            Ok((
                i,
                NodeId::Numeric {
                    ns: 0,
                    id: id as u32,
                },
            ))
        }
        1 => {
            let (i, ns) = le_u8(i)?;
            let (i, id) = le_u16(i)?;
            Ok((
                i,
                NodeId::Numeric {
                    ns: ns as u16,
                    id: id as u32,
                },
            ))
        }
        2 => {
            let (i, ns) = le_u16(i)?;
            let (i, id) = le_u32(i)?;
            Ok((i, NodeId::Numeric { ns, id }))
        }
        3 => {
            let (i, ns) = le_u16(i)?;
            let (i, id) = string(i)?;
            Ok((i, NodeId::Str { ns, id }))
        }
        4 => {
            let (i, ns) = le_u16(i)?;
            let (i, _) = skip(i, 16)?;
            Ok((i, NodeId::Guid { ns }))
        }
        5 => {
            let (i, ns) = le_u16(i)?;
            let (i, id) = string(i)?;
            Ok((i, NodeId::Opaque { ns, id }))
        }
        _ => fail(UaError::Invalid),
    }
}

/// NodeId (the two high bits of the encoding byte belong to ExpandedNodeId only).
pub fn node_id(i: &[u8]) -> Res<'_, NodeId<'_>> {
    let (i, enc) = le_u8(i)?;
    if enc & 0xc0 != 0 {
        return fail(UaError::Invalid);
    }
    node_id_body(i, enc)
}

/// ExpandedNodeId: NodeId plus optional namespace URI (0x80) and server index (0x40).
pub fn expanded_node_id(i: &[u8]) -> Res<'_, NodeId<'_>> {
    let (i, enc) = le_u8(i)?;
    if enc & 0x30 != 0 {
        return fail(UaError::Invalid);
    }
    let (mut i, id) = node_id_body(i, enc)?;
    if enc & 0x80 != 0 {
        i = string(i)?.0;
    }
    if enc & 0x40 != 0 {
        i = le_u32(i)?.0;
    }
    Ok((i, id))
}

/// LocalizedText: mask, optional locale (0x01), optional text (0x02).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalizedText<'a> {
    pub locale: Option<&'a [u8]>,
    pub text: Option<&'a [u8]>,
}

pub fn localized_text(i: &[u8]) -> Res<'_, LocalizedText<'_>> {
    let (mut i, mask) = le_u8(i)?;
    let mut t = LocalizedText::default();
    if mask & 0x01 != 0 {
        let (r, s) = string(i)?;
        t.locale = s;
        i = r;
    }
    if mask & 0x02 != 0 {
        let (r, s) = string(i)?;
        t.text = s;
        i = r;
    }
    Ok((i, t))
}

pub fn qualified_name(i: &[u8]) -> Res<'_, (u16, Option<&[u8]>)> {
    let (i, ns) = le_u16(i)?;
    let (i, name) = string(i)?;
    Ok((i, (ns, name)))
}

/// ExtensionObject: type id (NodeId of the encoding), encoding byte, body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtObj<'a> {
    pub type_id: NodeId<'a>,
    /// 0 no body, 1 binary, 2 XML.
    pub encoding: u8,
    pub body: Option<&'a [u8]>,
}

pub fn extension_object(i: &[u8]) -> Res<'_, ExtObj<'_>> {
    let (i, type_id) = node_id(i)?;
    let (i, encoding) = le_u8(i)?;
    match encoding {
        0 => Ok((
            i,
            ExtObj {
                type_id,
                encoding,
                body: None,
            },
        )),
        1 | 2 => {
            let (i, body) = string(i)?;
            Ok((
                i,
                ExtObj {
                    type_id,
                    encoding,
                    body,
                },
            ))
        }
        _ => fail(UaError::Invalid),
    }
}

/// DiagnosticInfo (recursive through the inner diagnostic info).
pub fn diagnostic_info(i: &[u8], depth: u8) -> Res<'_, ()> {
    if depth >= MAX_DEPTH {
        return fail(UaError::TooDeep);
    }
    let (mut i, mask) = le_u8(i)?;
    // Symbolic id, namespace URI, localized text, locale: i32 indexes into the string table.
    for bit in [0x01u8, 0x02, 0x04, 0x08] {
        if mask & bit != 0 {
            i = le_i32(i)?.0;
        }
    }
    if mask & 0x10 != 0 {
        i = string(i)?.0;
    }
    if mask & 0x20 != 0 {
        i = le_u32(i)?.0;
    }
    if mask & 0x40 != 0 {
        i = diagnostic_info(i, depth + 1)?.0;
    }
    Ok((i, ()))
}

/// A decoded Variant, reduced to what the dissector reads (build information strings, dates
/// and structures); everything else is checked and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Str(Option<&'a [u8]>),
    DateTime(i64),
    Ext(ExtObj<'a>),
    /// Another scalar type, or an array (`type_id` is the built-in type).
    Other {
        type_id: u8,
        array: bool,
    },
}

/// Fixed size of a built-in scalar type (`None` for variable-length ones).
fn fixed_size(t: u8) -> Option<usize> {
    Some(match t {
        1..=3 => 1,
        4 | 5 => 2,
        6 | 7 | 10 | 19 => 4,
        8 | 9 | 11 | 13 => 8,
        14 => 16,
        _ => return None,
    })
}

fn variant_scalar(i: &[u8], t: u8, depth: u8) -> Res<'_, Value<'_>> {
    if let Some(n) = fixed_size(t) {
        if t == 13 {
            let (i, v) = le_i64(i)?;
            return Ok((i, Value::DateTime(v)));
        }
        let (i, _) = skip(i, n)?;
        return Ok((
            i,
            Value::Other {
                type_id: t,
                array: false,
            },
        ));
    }
    match t {
        12 => {
            let (i, s) = string(i)?;
            Ok((i, Value::Str(s)))
        }
        15 | 16 => {
            let (i, _) = string(i)?;
            Ok((
                i,
                Value::Other {
                    type_id: t,
                    array: false,
                },
            ))
        }
        17 => {
            let (i, _) = node_id(i)?;
            Ok((
                i,
                Value::Other {
                    type_id: t,
                    array: false,
                },
            ))
        }
        18 => {
            let (i, _) = expanded_node_id(i)?;
            Ok((
                i,
                Value::Other {
                    type_id: t,
                    array: false,
                },
            ))
        }
        20 => {
            let (i, _) = qualified_name(i)?;
            Ok((
                i,
                Value::Other {
                    type_id: t,
                    array: false,
                },
            ))
        }
        21 => {
            let (i, _) = localized_text(i)?;
            Ok((
                i,
                Value::Other {
                    type_id: t,
                    array: false,
                },
            ))
        }
        22 => {
            let (i, e) = extension_object(i)?;
            Ok((i, Value::Ext(e)))
        }
        23 => {
            let (i, _) = data_value(i, depth + 1)?;
            Ok((
                i,
                Value::Other {
                    type_id: t,
                    array: false,
                },
            ))
        }
        24 => {
            let (i, _) = variant(i, depth + 1)?;
            Ok((
                i,
                Value::Other {
                    type_id: t,
                    array: false,
                },
            ))
        }
        25 => {
            let (i, _) = diagnostic_info(i, depth + 1)?;
            Ok((
                i,
                Value::Other {
                    type_id: t,
                    array: false,
                },
            ))
        }
        _ => fail(UaError::Invalid),
    }
}

/// Variant: encoding mask (type in bits 0-5, 0x80 array, 0x40 array dimensions), value(s).
pub fn variant(i: &[u8], depth: u8) -> Res<'_, Value<'_>> {
    if depth >= MAX_DEPTH {
        return fail(UaError::TooDeep);
    }
    let (i, mask) = le_u8(i)?;
    let t = mask & 0x3f;
    if t > 25 {
        return fail(UaError::Invalid);
    }
    if mask & 0x80 == 0 {
        if mask & 0x40 != 0 {
            return fail(UaError::Invalid);
        }
        if t == 0 {
            return Ok((i, Value::Null));
        }
        return variant_scalar(i, t, depth);
    }
    let min = fixed_size(t).unwrap_or(1);
    let (mut i, n) = array_len(i, min)?;
    if t == 0 && n > 0 {
        return fail(UaError::Invalid);
    }
    for _ in 0..n {
        i = variant_scalar(i, t, depth)?.0;
    }
    if mask & 0x40 != 0 {
        i = array(i, 4, le_i32, |_, _| {})?.0;
    }
    Ok((
        i,
        Value::Other {
            type_id: t,
            array: true,
        },
    ))
}

/// DataValue: mask, optional value, status, timestamps and picoseconds. Returns the value.
pub fn data_value(i: &[u8], depth: u8) -> Res<'_, Option<Value<'_>>> {
    if depth >= MAX_DEPTH {
        return fail(UaError::TooDeep);
    }
    let (mut i, mask) = le_u8(i)?;
    let mut value = None;
    if mask & 0x01 != 0 {
        let (r, v) = variant(i, depth + 1)?;
        value = Some(v);
        i = r;
    }
    if mask & 0x02 != 0 {
        i = le_u32(i)?.0;
    }
    if mask & 0x04 != 0 {
        i = le_i64(i)?.0;
    }
    if mask & 0x10 != 0 {
        i = le_u16(i)?.0;
    }
    if mask & 0x08 != 0 {
        i = le_i64(i)?.0;
    }
    if mask & 0x20 != 0 {
        i = le_u16(i)?.0;
    }
    Ok((i, value))
}

// ---------------------------------------------------------------------------------------------
// Service headers and bodies (OPC 10000-4 §5, §7)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHeader {
    pub handle: u32,
}

pub fn request_header(i: &[u8]) -> Res<'_, RequestHeader> {
    let (i, _auth_token) = node_id(i)?;
    let (i, _timestamp) = le_i64(i)?;
    let (i, handle) = le_u32(i)?;
    let (i, _return_diagnostics) = le_u32(i)?;
    let (i, _audit_entry) = string(i)?;
    let (i, _timeout_hint) = le_u32(i)?;
    let (i, _additional) = extension_object(i)?;
    Ok((i, RequestHeader { handle }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHeader {
    pub handle: u32,
    pub status: u32,
}

pub fn response_header(i: &[u8]) -> Res<'_, ResponseHeader> {
    let (i, _timestamp) = le_i64(i)?;
    let (i, handle) = le_u32(i)?;
    let (i, status) = le_u32(i)?;
    let (i, _) = diagnostic_info(i, 0)?;
    let (i, _) = skip_string_array(i)?;
    let (i, _additional) = extension_object(i)?;
    Ok((i, ResponseHeader { handle, status }))
}

/// ApplicationDescription.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppDesc<'a> {
    pub uri: Option<&'a [u8]>,
    pub product_uri: Option<&'a [u8]>,
    pub name: LocalizedText<'a>,
    pub app_type: u32,
    pub gateway_uri: Option<&'a [u8]>,
    pub discovery_profile_uri: Option<&'a [u8]>,
    /// At most [`MAX_URLS`].
    pub discovery_urls: Vec<&'a [u8]>,
}

pub fn app_desc(i: &[u8]) -> Res<'_, AppDesc<'_>> {
    let (i, uri) = string(i)?;
    let (i, product_uri) = string(i)?;
    let (i, name) = localized_text(i)?;
    let (i, app_type) = le_u32(i)?;
    let (i, gateway_uri) = string(i)?;
    let (i, discovery_profile_uri) = string(i)?;
    let mut discovery_urls = Vec::new();
    let (i, _) = array(i, 4, string, |_, s| {
        if let Some(s) = s {
            if discovery_urls.len() < MAX_URLS {
                discovery_urls.push(s);
            }
        }
    })?;
    Ok((
        i,
        AppDesc {
            uri,
            product_uri,
            name,
            app_type,
            gateway_uri,
            discovery_profile_uri,
            discovery_urls,
        },
    ))
}

/// UserTokenPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy<'a> {
    pub policy_id: Option<&'a [u8]>,
    pub token_type: u32,
    pub issued_token_type: Option<&'a [u8]>,
    pub issuer_endpoint_url: Option<&'a [u8]>,
    pub security_policy_uri: Option<&'a [u8]>,
}

pub fn token_policy(i: &[u8]) -> Res<'_, TokenPolicy<'_>> {
    let (i, policy_id) = string(i)?;
    let (i, token_type) = le_u32(i)?;
    let (i, issued_token_type) = string(i)?;
    let (i, issuer_endpoint_url) = string(i)?;
    let (i, security_policy_uri) = string(i)?;
    Ok((
        i,
        TokenPolicy {
            policy_id,
            token_type,
            issued_token_type,
            issuer_endpoint_url,
            security_policy_uri,
        },
    ))
}

/// EndpointDescription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint<'a> {
    pub url: Option<&'a [u8]>,
    pub server: AppDesc<'a>,
    pub server_cert: Option<&'a [u8]>,
    pub mode: u32,
    pub policy_uri: Option<&'a [u8]>,
    /// At most [`MAX_TOKENS`].
    pub tokens: Vec<TokenPolicy<'a>>,
    pub transport_profile_uri: Option<&'a [u8]>,
    pub security_level: u8,
}

pub fn endpoint(i: &[u8]) -> Res<'_, Endpoint<'_>> {
    let (i, url) = string(i)?;
    let (i, server) = app_desc(i)?;
    let (i, server_cert) = string(i)?;
    let (i, mode) = le_u32(i)?;
    let (i, policy_uri) = string(i)?;
    let mut tokens = Vec::new();
    let (i, _) = array(i, 20, token_policy, |_, t| {
        if tokens.len() < MAX_TOKENS {
            tokens.push(t);
        }
    })?;
    let (i, transport_profile_uri) = string(i)?;
    let (i, security_level) = le_u8(i)?;
    Ok((
        i,
        Endpoint {
            url,
            server,
            server_cert,
            mode,
            policy_uri,
            tokens,
            transport_profile_uri,
            security_level,
        },
    ))
}

fn endpoints(i: &[u8]) -> Res<'_, Vec<Endpoint<'_>>> {
    let mut v = Vec::new();
    let (i, _) = array(i, 40, endpoint, |_, e| {
        if v.len() < MAX_KEPT {
            v.push(e);
        }
    })?;
    Ok((i, v))
}

/// GetEndpointsRequest: the URL the client asked about.
pub fn get_endpoints_req(i: &[u8]) -> Res<'_, (RequestHeader, Option<&[u8]>)> {
    let (i, h) = request_header(i)?;
    let (i, url) = string(i)?;
    let (i, _) = skip_string_array(i)?; // locale ids
    let (i, _) = skip_string_array(i)?; // profile uris
    Ok((i, (h, url)))
}

pub fn get_endpoints_resp(i: &[u8]) -> Res<'_, (ResponseHeader, Vec<Endpoint<'_>>)> {
    let (i, h) = response_header(i)?;
    let (i, e) = endpoints(i)?;
    Ok((i, (h, e)))
}

pub fn find_servers_resp(i: &[u8]) -> Res<'_, (ResponseHeader, Vec<AppDesc<'_>>)> {
    let (i, h) = response_header(i)?;
    let mut v = Vec::new();
    let (i, _) = array(i, 24, app_desc, |_, a| {
        if v.len() < MAX_KEPT {
            v.push(a);
        }
    })?;
    Ok((i, (h, v)))
}

/// ServerOnNetwork (FindServersOnNetwork results).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOnNetwork<'a> {
    pub record_id: u32,
    pub server_name: Option<&'a [u8]>,
    pub discovery_url: Option<&'a [u8]>,
}

pub fn server_on_network(i: &[u8]) -> Res<'_, ServerOnNetwork<'_>> {
    let (i, record_id) = le_u32(i)?;
    let (i, server_name) = string(i)?;
    let (i, discovery_url) = string(i)?;
    let (i, _) = skip_string_array(i)?; // capabilities
    Ok((
        i,
        ServerOnNetwork {
            record_id,
            server_name,
            discovery_url,
        },
    ))
}

pub fn find_servers_on_network_resp(
    i: &[u8],
) -> Res<'_, (ResponseHeader, Vec<ServerOnNetwork<'_>>)> {
    let (i, h) = response_header(i)?;
    let (i, _last_counter_reset) = le_i64(i)?;
    let mut v = Vec::new();
    let (i, _) = array(i, 16, server_on_network, |_, s| {
        if v.len() < MAX_KEPT {
            v.push(s);
        }
    })?;
    Ok((i, (h, v)))
}

/// RegisteredServer (RegisterServer / RegisterServer2 requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredServer<'a> {
    pub server_uri: Option<&'a [u8]>,
    pub product_uri: Option<&'a [u8]>,
    /// Text of the first server name.
    pub server_name: Option<&'a [u8]>,
    pub server_type: u32,
    pub gateway_uri: Option<&'a [u8]>,
    pub discovery_urls: Vec<&'a [u8]>,
    pub is_online: bool,
}

/// RegisterServerRequest and RegisterServer2Request (the discovery configuration of the
/// latter, which follows, is not read).
pub fn register_server_req(i: &[u8]) -> Res<'_, (RequestHeader, RegisteredServer<'_>)> {
    let (i, h) = request_header(i)?;
    let (i, server_uri) = string(i)?;
    let (i, product_uri) = string(i)?;
    let mut server_name = None;
    let (i, _) = array(i, 1, localized_text, |k, t| {
        if k == 0 {
            server_name = t.text;
        }
    })?;
    let (i, server_type) = le_u32(i)?;
    let (i, gateway_uri) = string(i)?;
    let mut discovery_urls = Vec::new();
    let (i, _) = array(i, 4, string, |_, s| {
        if let Some(s) = s {
            if discovery_urls.len() < MAX_URLS {
                discovery_urls.push(s);
            }
        }
    })?;
    let (i, _semaphore) = string(i)?;
    let (i, online) = le_u8(i)?;
    Ok((
        i,
        (
            h,
            RegisteredServer {
                server_uri,
                product_uri,
                server_name,
                server_type,
                gateway_uri,
                discovery_urls,
                is_online: online != 0,
            },
        ),
    ))
}

/// CreateSessionRequest.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSessionReq<'a> {
    pub header: RequestHeader,
    pub client: AppDesc<'a>,
    pub server_uri: Option<&'a [u8]>,
    pub endpoint_url: Option<&'a [u8]>,
    pub session_name: Option<&'a [u8]>,
    pub client_cert: Option<&'a [u8]>,
    pub max_response_size: u32,
}

pub fn create_session_req(i: &[u8]) -> Res<'_, CreateSessionReq<'_>> {
    let (i, header) = request_header(i)?;
    let (i, client) = app_desc(i)?;
    let (i, server_uri) = string(i)?;
    let (i, endpoint_url) = string(i)?;
    let (i, session_name) = string(i)?;
    let (i, _client_nonce) = string(i)?;
    let (i, client_cert) = string(i)?;
    let (i, _timeout) = le_f64(i)?;
    let (i, max_response_size) = le_u32(i)?;
    Ok((
        i,
        CreateSessionReq {
            header,
            client,
            server_uri,
            endpoint_url,
            session_name,
            client_cert,
            max_response_size,
        },
    ))
}

/// CreateSessionResponse.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSessionResp<'a> {
    pub header: ResponseHeader,
    pub server_nonce: Option<&'a [u8]>,
    pub server_cert: Option<&'a [u8]>,
    pub endpoints: Vec<Endpoint<'a>>,
    pub max_request_size: u32,
}

fn signature_data(i: &[u8]) -> Res<'_, ()> {
    let (i, _algorithm) = string(i)?;
    let (i, _signature) = string(i)?;
    Ok((i, ()))
}

pub fn create_session_resp(i: &[u8]) -> Res<'_, CreateSessionResp<'_>> {
    let (i, header) = response_header(i)?;
    let (i, _session_id) = node_id(i)?;
    let (i, _auth_token) = node_id(i)?;
    let (i, _revised_timeout) = le_f64(i)?;
    let (i, server_nonce) = string(i)?;
    let (i, server_cert) = string(i)?;
    let (i, endpoints) = endpoints(i)?;
    // SignedSoftwareCertificate[]: two byte strings each.
    let (i, _) = array(i, 8, signature_data, |_, _| {})?;
    let (i, _) = signature_data(i)?;
    let (i, max_request_size) = le_u32(i)?;
    Ok((
        i,
        CreateSessionResp {
            header,
            server_nonce,
            server_cert,
            endpoints,
            max_request_size,
        },
    ))
}

/// The user identity token of ActivateSession.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity<'a> {
    /// No token (null ExtensionObject).
    Absent,
    Anonymous {
        policy_id: Option<&'a [u8]>,
    },
    UserName {
        policy_id: Option<&'a [u8]>,
        user: Option<&'a [u8]>,
        password: Option<&'a [u8]>,
        /// Empty or null: the password is not encrypted.
        encryption_algorithm: Option<&'a [u8]>,
    },
    X509 {
        policy_id: Option<&'a [u8]>,
        cert: Option<&'a [u8]>,
    },
    Issued {
        policy_id: Option<&'a [u8]>,
        encryption_algorithm: Option<&'a [u8]>,
    },
    /// A token type this dissector does not know (kept raw).
    Unknown {
        type_id: u32,
    },
}

fn identity<'a>(e: &ExtObj<'a>) -> Result<Identity<'a>, UaError> {
    use super::codes::*;
    let body = match (e.encoding, e.body) {
        (0, _) => return Ok(Identity::Absent),
        (1, Some(b)) => b,
        (1, None) => &[][..],
        _ => {
            return Ok(Identity::Unknown {
                type_id: e.type_id.ns0().unwrap_or(u32::MAX),
            });
        }
    };
    let r: Res<'a, Identity<'a>> = (|| match e.type_id.ns0() {
        Some(ANONYMOUS_IDENTITY_TOKEN) => {
            let (i, policy_id) = string(body)?;
            Ok((i, Identity::Anonymous { policy_id }))
        }
        Some(USERNAME_IDENTITY_TOKEN) => {
            let (i, policy_id) = string(body)?;
            let (i, user) = string(i)?;
            let (i, password) = string(i)?;
            let (i, encryption_algorithm) = string(i)?;
            Ok((
                i,
                Identity::UserName {
                    policy_id,
                    user,
                    password,
                    encryption_algorithm,
                },
            ))
        }
        Some(X509_IDENTITY_TOKEN) => {
            let (i, policy_id) = string(body)?;
            let (i, cert) = string(i)?;
            Ok((i, Identity::X509 { policy_id, cert }))
        }
        Some(ISSUED_IDENTITY_TOKEN) => {
            let (i, policy_id) = string(body)?;
            let (i, _token_data) = string(i)?;
            let (i, encryption_algorithm) = string(i)?;
            Ok((
                i,
                Identity::Issued {
                    policy_id,
                    encryption_algorithm,
                },
            ))
        }
        other => Ok((
            body,
            Identity::Unknown {
                type_id: other.unwrap_or(u32::MAX),
            },
        )),
    })();
    r.map(|(_, t)| t).map_err(error_of)
}

/// ActivateSessionRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivateSessionReq<'a> {
    pub header: RequestHeader,
    pub token: Identity<'a>,
}

pub fn activate_session_req(i: &[u8]) -> Res<'_, ActivateSessionReq<'_>> {
    let (i, header) = request_header(i)?;
    let (i, _) = signature_data(i)?;
    let (i, _) = array(i, 8, signature_data, |_, _| {})?;
    let (i, _) = skip_string_array(i)?; // locale ids
    let (i, ext) = extension_object(i)?;
    let token = match identity(&ext) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let (i, _) = signature_data(i)?;
    Ok((i, ActivateSessionReq { header, token }))
}

/// OpenSecureChannelRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpnReq {
    pub header: RequestHeader,
    pub client_version: u32,
    pub request_type: u32,
    pub mode: u32,
    pub requested_lifetime: u32,
}

pub fn opn_req(i: &[u8]) -> Res<'_, OpnReq> {
    let (i, header) = request_header(i)?;
    let (i, client_version) = le_u32(i)?;
    let (i, request_type) = le_u32(i)?;
    let (i, mode) = le_u32(i)?;
    let (i, _nonce) = string(i)?;
    let (i, requested_lifetime) = le_u32(i)?;
    Ok((
        i,
        OpnReq {
            header,
            client_version,
            request_type,
            mode,
            requested_lifetime,
        },
    ))
}

/// OpenSecureChannelResponse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpnResp {
    pub header: ResponseHeader,
    pub server_version: u32,
    pub channel_id: u32,
    pub token_id: u32,
    pub revised_lifetime: u32,
}

pub fn opn_resp(i: &[u8]) -> Res<'_, OpnResp> {
    let (i, header) = response_header(i)?;
    let (i, server_version) = le_u32(i)?;
    let (i, channel_id) = le_u32(i)?;
    let (i, token_id) = le_u32(i)?;
    let (i, _created_at) = le_i64(i)?;
    let (i, revised_lifetime) = le_u32(i)?;
    let (i, _nonce) = string(i)?;
    Ok((
        i,
        OpnResp {
            header,
            server_version,
            channel_id,
            token_id,
            revised_lifetime,
        },
    ))
}

/// ReadValueId as the dissector sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadItem {
    /// Numeric id when the node is in namespace 0.
    pub ns0: Option<u32>,
    pub attribute: u32,
}

fn read_value_id(i: &[u8]) -> Res<'_, ReadItem> {
    let (i, node) = node_id(i)?;
    let (i, attribute) = le_u32(i)?;
    let (i, _index_range) = string(i)?;
    let (i, _encoding) = qualified_name(i)?;
    Ok((
        i,
        ReadItem {
            ns0: node.ns0(),
            attribute,
        },
    ))
}

/// ReadRequest: calls `f(index, item)` for every node to read (no allocation).
pub fn read_req(i: &[u8], f: impl FnMut(usize, ReadItem)) -> Res<'_, RequestHeader> {
    let (i, h) = request_header(i)?;
    let (i, _max_age) = le_f64(i)?;
    let (i, _timestamps) = le_u32(i)?;
    let (i, _) = array(i, 13, read_value_id, f)?;
    Ok((i, h))
}

/// ReadResponse: calls `f(index, value)` for every result (no allocation).
pub fn read_resp<'a>(
    i: &'a [u8],
    f: impl FnMut(usize, Option<Value<'a>>),
) -> Res<'a, ResponseHeader> {
    let (i, h) = response_header(i)?;
    let (i, _) = array(i, 1, |i| data_value(i, 0), f)?;
    let (i, _) = array(i, 1, |i| diagnostic_info(i, 0), |_, _| {})?;
    Ok((i, h))
}

/// BuildInfo structure (ns=0;i=338, binary encoding 340).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuildInfo<'a> {
    pub product_uri: Option<&'a [u8]>,
    pub manufacturer_name: Option<&'a [u8]>,
    pub product_name: Option<&'a [u8]>,
    pub software_version: Option<&'a [u8]>,
    pub build_number: Option<&'a [u8]>,
    pub build_date: i64,
}

pub fn build_info(i: &[u8]) -> Res<'_, BuildInfo<'_>> {
    let (i, product_uri) = string(i)?;
    let (i, manufacturer_name) = string(i)?;
    let (i, product_name) = string(i)?;
    let (i, software_version) = string(i)?;
    let (i, build_number) = string(i)?;
    let (i, build_date) = le_i64(i)?;
    Ok((
        i,
        BuildInfo {
            product_uri,
            manufacturer_name,
            product_name,
            software_version,
            build_number,
            build_date,
        },
    ))
}

/// ServerStatusDataType (binary encoding 864): start time, current time, state, build info.
pub fn server_status(i: &[u8]) -> Res<'_, BuildInfo<'_>> {
    let (i, _start) = le_i64(i)?;
    let (i, _current) = le_i64(i)?;
    let (i, _state) = le_u32(i)?;
    build_info(i)
}

/// The encodeable object id that opens a service body, and the rest of the body.
pub fn type_id(i: &[u8]) -> Res<'_, NodeId<'_>> {
    expanded_node_id(i)
}

/// OPC UA DateTime (100 ns ticks since 1601-01-01) to Unix seconds; `None` for the null and
/// maximum values.
pub fn datetime_to_unix(ticks: i64) -> Option<i64> {
    if ticks <= 0 || ticks == i64::MAX {
        return None;
    }
    Some(ticks / 10_000_000 - 11_644_473_600)
}
