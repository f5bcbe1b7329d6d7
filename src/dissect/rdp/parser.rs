//! RDP connection sequence (MS-RDPBCGR 1.3.1.1), pure nom over complete TPKT frames.
//!
//! ```text
//! TPKT (RFC 1006): 03 00 len(u16 BE, header included)
//! X.224 (ISO 8073): LI, code (CR e0 / CC d0 / DT f0), ...
//!   CR/CC: dst-ref(2) src-ref(2) class(1), then RDP's variable part:
//!     CR: ["Cookie: mstshash=USER\r\n" | routing token "Cookie: msts=...\r\n"]
//!         [rdpNegReq: 01 flags 08 00 requestedProtocols(u32 LE)] [rdpCorrelationInfo 06 ..]
//!     CC: [rdpNegRsp: 02 flags 08 00 selectedProtocol(u32 LE)
//!          | rdpNegFailure: 03 flags 08 00 failureCode(u32 LE)]
//!   DT: 02 f0 80, then MCS:
//!     Connect-Initial  [APPLICATION 101] (BER) ... userData OCTET STRING = T.124 GCC
//!       Conference Create Request, h221 key "Duca", PER length, client data blocks
//!     Connect-Response [APPLICATION 102] (BER) ... userData = GCC Conference Create
//!       Response, h221 key "McDn", PER length, server data blocks
//!     Send Data Request (PER, 0x64): initiator, channel, flags, length, security header,
//!       Client Info PDU (TS_INFO_PACKET) when SEC_INFO_PKT
//! data blocks: type(u16 LE) length(u16 LE, header included) body
//! ```

use crate::dissect::snmp::ber::{
    self, APPLICATION, BerError, UNIVERSAL, err_of, integer, octet_string, sequence,
};
use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16, le_u16, le_u32};

pub const TPKT_HEADER: usize = 4;
pub const X224_CR: u8 = 0xe0;
pub const X224_CC: u8 = 0xd0;
pub const X224_DT: u8 = 0xf0;

/// Client data block types (2.2.1.3.1).
pub const CS_CORE: u16 = 0xc001;
pub const CS_SECURITY: u16 = 0xc002;
/// Server data block types (2.2.1.4.1).
pub const SC_CORE: u16 = 0x0c01;
pub const SC_SECURITY: u16 = 0x0c02;

/// Security header flags (2.2.8.1.1.2.1).
pub const SEC_EXCHANGE_PKT: u16 = 0x0001;
pub const SEC_ENCRYPT: u16 = 0x0008;
pub const SEC_INFO_PKT: u16 = 0x0040;

/// TS_INFO_PACKET flags.
pub const INFO_AUTOLOGON: u32 = 0x0000_0008;
pub const INFO_UNICODE: u32 = 0x0000_0010;

/// Data blocks walked per GCC user data.
pub const MAX_BLOCKS: usize = 32;

/// TPKT total length (header included) from the first 4 bytes, if they are a TPKT header.
pub fn tpkt_len(i: &[u8]) -> Option<usize> {
    match i {
        [3, 0, hi, lo, ..] => Some(usize::from(u16::from_be_bytes([*hi, *lo]))),
        _ => None,
    }
}

/// An X.224 TPDU: its code, the header after the code (LI-1 bytes) and the user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct X224<'a> {
    pub code: u8,
    /// Header bytes after the code octet.
    pub header: &'a [u8],
    pub data: &'a [u8],
}

pub fn x224(i: &[u8]) -> IResult<&[u8], X224<'_>> {
    let (i, li) = be_u8(i)?;
    let (data, hdr) = take(li)(i)?;
    let (header, code) = be_u8(hdr)?;
    Ok((
        &[],
        X224 {
            code: code & 0xf0,
            header,
            data,
        },
    ))
}

/// The RDP variable part of a CR or CC (after dst-ref, src-ref and class).
pub fn variable_part<'a>(t: &X224<'a>) -> &'a [u8] {
    t.header.get(5..).unwrap_or(&[])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegReq {
    pub flags: u8,
    pub protocols: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnReq<'a> {
    /// The cookie line after `Cookie: ` (e.g. `mstshash=USER`), without CRLF.
    pub cookie: Option<&'a [u8]>,
    pub neg: Option<NegReq>,
    pub correlation: bool,
    /// Malformations seen (anomaly names).
    pub unterminated_cookie: bool,
    pub bad_neg_length: bool,
    pub trailing: usize,
}

/// Parse the variable part of an X.224 Connection Request.
pub fn conn_request(var: &[u8]) -> ConnReq<'_> {
    let mut r = ConnReq::default();
    let mut rest = var;
    if let Some(after) = rest.strip_prefix(b"Cookie: ") {
        match memchr::memmem::find(after, b"\r\n") {
            Some(p) => {
                r.cookie = after.get(..p);
                rest = after.get(p + 2..).unwrap_or(&[]);
            }
            None => {
                r.cookie = Some(after);
                r.unterminated_cookie = true;
                rest = &[];
            }
        }
    }
    if let [1, flags, l0, l1, p0, p1, p2, p3, tail @ ..] = rest {
        if u16::from_le_bytes([*l0, *l1]) != 8 {
            r.bad_neg_length = true;
        }
        r.neg = Some(NegReq {
            flags: *flags,
            protocols: u32::from_le_bytes([*p0, *p1, *p2, *p3]),
        });
        rest = tail;
        if let [6, _, 36, 0, ..] = rest {
            if rest.len() >= 36 {
                r.correlation = true;
                rest = rest.get(36..).unwrap_or(&[]);
            }
        }
    }
    r.trailing = rest.len();
    r
}

/// What a Connection Confirm says about security negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegResult {
    /// No rdpNegRsp: a legacy server, Standard RDP Security.
    Legacy,
    Response {
        flags: u8,
        selected: u32,
    },
    Failure {
        code: u32,
    },
    /// Something else in the variable part.
    Malformed,
}

pub fn conn_confirm(var: &[u8]) -> NegResult {
    match var {
        [] => NegResult::Legacy,
        [t @ (2 | 3), flags, 8, 0, p0, p1, p2, p3, ..] => {
            let v = u32::from_le_bytes([*p0, *p1, *p2, *p3]);
            if *t == 2 {
                NegResult::Response {
                    flags: *flags,
                    selected: v,
                }
            } else {
                NegResult::Failure { code: v }
            }
        }
        _ => NegResult::Malformed,
    }
}

fn e<T>(r: Result<T, nom::Err<BerError>>) -> Result<T, BerError> {
    r.map_err(err_of)
}

/// MCS Connect-Initial (T.125, BER): the userData (GCC) octets.
pub fn mcs_connect_initial(i: &[u8]) -> Result<&[u8], BerError> {
    let (_, body) = e(ber::expect(APPLICATION, true, 101)(i))?;
    let (b, _calling) = e(octet_string(body))?;
    let (b, _called) = e(octet_string(b))?;
    let (b, _upward) = e(ber::expect(UNIVERSAL, false, 1)(b))?;
    let (b, _target) = e(sequence(b))?;
    let (b, _min) = e(sequence(b))?;
    let (b, _max) = e(sequence(b))?;
    let (_, user) = e(octet_string(b))?;
    Ok(user)
}

/// MCS Connect-Response (T.125, BER): (result, userData).
pub fn mcs_connect_response(i: &[u8]) -> Result<(i64, &[u8]), BerError> {
    let (_, body) = e(ber::expect(APPLICATION, true, 102)(i))?;
    let (b, result) = e(ber::enumerated(body))?;
    let (b, _id) = e(integer(b))?;
    let (b, _params) = e(sequence(b))?;
    let (_, user) = e(octet_string(b))?;
    Ok((result, user))
}

/// PER length determinant (1 or 2 octets; fragmented form unsupported).
pub fn per_length(i: &[u8]) -> IResult<&[u8], usize> {
    let (i, b) = be_u8(i)?;
    if b & 0x80 == 0 {
        return Ok((i, usize::from(b)));
    }
    if b & 0x40 != 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::TooLarge,
        )));
    }
    let (i, b2) = be_u8(i)?;
    Ok((i, (usize::from(b & 0x3f) << 8) | usize::from(b2)))
}

/// The data blocks of a GCC Conference Create Request (`Duca`) or Response (`McDn`): the
/// bytes after the h221 key and its PER length. The second value is true when the length
/// claims more than there is (the available bytes are returned).
pub fn gcc_blocks<'a>(user: &'a [u8], key: &[u8; 4]) -> Option<(&'a [u8], bool)> {
    let p = memchr::memmem::find(user, key)?;
    let after = user.get(p + 4..)?;
    let (rest, len) = per_length(after).ok()?;
    if len > rest.len() {
        return Some((rest, true));
    }
    Some((rest.get(..len)?, false))
}

/// Iterator over data blocks: (type, body without the 4-byte header). Stops at the first
/// malformed header (`malformed()` says so) or after [`MAX_BLOCKS`].
#[derive(Debug, Clone)]
pub struct Blocks<'a> {
    rest: &'a [u8],
    n: usize,
    bad: bool,
}

impl<'a> Blocks<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Blocks {
            rest: b,
            n: 0,
            bad: false,
        }
    }
    pub fn malformed(&self) -> bool {
        self.bad
    }
}

impl<'a> Iterator for Blocks<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.n >= MAX_BLOCKS {
            return None;
        }
        self.n += 1;
        let r: IResult<&[u8], (u16, u16)> = (le_u16, le_u16).parse(self.rest);
        let Ok((_, (t, len))) = r else {
            self.bad = true;
            self.rest = &[];
            return None;
        };
        let len = usize::from(len);
        if len < 4 || len > self.rest.len() {
            self.bad = true;
            self.rest = &[];
            return None;
        }
        let body = self.rest.get(4..len).unwrap_or(&[]);
        self.rest = self.rest.get(len..).unwrap_or(&[]);
        Some((t, body))
    }
}

/// TS_UD_CS_CORE, the fields reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientCore<'a> {
    pub version: u32,
    pub width: u16,
    pub height: u16,
    pub keyboard_layout: u32,
    pub client_build: u32,
    /// 32 bytes of UTF-16LE, NUL-terminated.
    pub client_name: &'a [u8],
}

pub fn client_core(i: &[u8]) -> IResult<&[u8], ClientCore<'_>> {
    let (i, version) = le_u32(i)?;
    let (i, width) = le_u16(i)?;
    let (i, height) = le_u16(i)?;
    let (i, _color_depth) = le_u16(i)?;
    let (i, _sas) = le_u16(i)?;
    let (i, keyboard_layout) = le_u32(i)?;
    let (i, client_build) = le_u32(i)?;
    let (i, client_name) = take(32usize)(i)?;
    Ok((
        i,
        ClientCore {
            version,
            width,
            height,
            keyboard_layout,
            client_build,
            client_name,
        },
    ))
}

/// TS_UD_SC_SEC1: (encryptionMethod, encryptionLevel).
pub fn server_security(i: &[u8]) -> IResult<&[u8], (u32, u32)> {
    (le_u32, le_u32).parse(i)
}

/// TS_UD_SC_CORE: version.
pub fn server_core(i: &[u8]) -> IResult<&[u8], u32> {
    le_u32(i)
}

/// MCS Send Data Request (PER): the user data.
pub fn mcs_send_data_request(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, b) = be_u8(i)?;
    if b >> 2 != 25 {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Tag,
        )));
    }
    let (i, _initiator) = be_u16(i)?;
    let (i, _channel) = be_u16(i)?;
    let (i, _prio) = be_u8(i)?;
    let (i, len) = per_length(i)?;
    take(len)(i)
}

/// Domain MCS PDU type (first octet >> 2), e.g. 1 erectDomainRequest, 10 attachUserRequest,
/// 14 channelJoinRequest, 25 sendDataRequest.
pub fn mcs_domain_type(i: &[u8]) -> Option<u8> {
    i.first().map(|b| b >> 2)
}

/// Basic security header: (flags, flagsHi).
pub fn security_header(i: &[u8]) -> IResult<&[u8], (u16, u16)> {
    (le_u16, le_u16).parse(i)
}

/// TS_INFO_PACKET (cleartext Client Info PDU), the credential fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoPacket<'a> {
    pub flags: u32,
    pub domain: &'a [u8],
    pub user: &'a [u8],
    pub password: &'a [u8],
}

impl InfoPacket<'_> {
    pub fn unicode(&self) -> bool {
        self.flags & INFO_UNICODE != 0
    }
}

pub fn info_packet(i: &[u8]) -> IResult<&[u8], InfoPacket<'_>> {
    let (i, _code_page) = le_u32(i)?;
    let (i, flags) = le_u32(i)?;
    let (i, cb_domain) = le_u16(i)?;
    let (i, cb_user) = le_u16(i)?;
    let (i, cb_password) = le_u16(i)?;
    let (i, _cb_shell) = le_u16(i)?;
    let (i, _cb_dir) = le_u16(i)?;
    let nul: usize = if flags & INFO_UNICODE != 0 { 2 } else { 1 };
    let (i, domain) = take(cb_domain)(i)?;
    let (i, _) = take(nul)(i)?;
    let (i, user) = take(cb_user)(i)?;
    let (i, _) = take(nul)(i)?;
    let (i, password) = take(cb_password)(i)?;
    let (i, _) = take(nul)(i)?;
    Ok((
        i,
        InfoPacket {
            flags,
            domain,
            user,
            password,
        },
    ))
}

/// UTF-16LE bytes (stopping at a NUL) as text; at most 256 code units.
pub fn utf16le(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .take(256);
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}
