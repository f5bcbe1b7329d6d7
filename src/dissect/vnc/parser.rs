//! RFB (RFC 6143) handshake messages, pure nom over complete slices.
//!
//! The RFB handshake has no length framing of its own: each message's size follows from the
//! protocol version, the security type and a few length fields. The dissector (`mod.rs`)
//! works out how many bytes the next message needs ([`ard_challenge_len`],
//! [`reason_len`], [`server_init_len`]) before calling these parsers on exactly those bytes.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take};
use nom::number::complete::{be_u8, be_u16, be_u32};

/// "RFB xxx.yyy\n".
pub const VERSION_LEN: usize = 12;
/// Longest reason or desktop name accepted (longer ones are an anomaly and are skipped).
pub const MAX_STRING: u32 = 4096;

/// The ProtocolVersion pattern; `#` stands for an ASCII digit.
const VERSION_PATTERN: &[u8; VERSION_LEN] = b"RFB ###.###\n";

/// Whether `i` (possibly shorter than 12 bytes) is consistent with a ProtocolVersion message.
pub fn version_prefix_ok(i: &[u8]) -> bool {
    i.iter().zip(VERSION_PATTERN.iter()).all(|(&b, &p)| {
        if p == b'#' {
            b.is_ascii_digit()
        } else {
            b == p
        }
    })
}

fn three_digits(i: &[u8]) -> IResult<&[u8], u16> {
    let (r, d) = take(3usize)(i)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Digit,
        )));
    }
    let n = d.iter().fold(0u16, |n, &c| n * 10 + u16::from(c - b'0'));
    Ok((r, n))
}

/// ProtocolVersion: (major, minor).
pub fn version(i: &[u8]) -> IResult<&[u8], (u16, u16)> {
    let (i, _) = tag(&b"RFB "[..])(i)?;
    let (i, major) = three_digits(i)?;
    let (i, _) = tag(&b"."[..])(i)?;
    let (i, minor) = three_digits(i)?;
    let (i, _) = tag(&b"\n"[..])(i)?;
    Ok((i, (major, minor)))
}

/// Security types list (3.7+): count, then `count` type octets (count 0 = failure, a reason
/// follows).
pub fn security_types(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, n) = be_u8(i)?;
    take(n)(i)
}

/// A u32 length-prefixed string (failure reason).
pub fn reason(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, n) = be_u32(i)?;
    take(n)(i)
}

/// Length of a reason string from its first 4 bytes.
pub fn reason_len(i: &[u8]) -> Option<u32> {
    be_u32::<_, nom::error::Error<&[u8]>>(i)
        .ok()
        .map(|(_, n)| n)
}

/// Apple Remote Desktop (type 30) challenge size: generator (2), key length (2), prime and
/// public value (key length each).
pub fn ard_challenge_len(i: &[u8]) -> Option<(u16, usize)> {
    let (_, (_, keylen)) = (be_u16::<_, nom::error::Error<&[u8]>>, be_u16)
        .parse(i)
        .ok()?;
    Some((keylen, 4 + 2 * usize::from(keylen)))
}

/// ARD client response size: 128 bytes of encrypted credentials and the client's public
/// value (key length).
pub fn ard_response_len(keylen: u16) -> usize {
    128 + usize::from(keylen)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelFormat {
    pub bits_per_pixel: u8,
    pub depth: u8,
    pub big_endian: bool,
    pub true_colour: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerInit<'a> {
    pub width: u16,
    pub height: u16,
    pub pixel: PixelFormat,
    pub name: &'a [u8],
}

/// Fixed part of ServerInit: width, height, 16-byte pixel format, name length.
pub const SERVER_INIT_FIXED: usize = 24;

/// Name length of a ServerInit from its first 24 bytes.
pub fn server_init_len(i: &[u8]) -> Option<u32> {
    let b = i.get(20..24)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

pub fn server_init(i: &[u8]) -> IResult<&[u8], ServerInit<'_>> {
    let (i, width) = be_u16(i)?;
    let (i, height) = be_u16(i)?;
    let (i, pf) = take(16usize)(i)?;
    let (i, name) = reason(i)?;
    let (_, (bpp, depth, be, tc)) = (be_u8, be_u8, be_u8, be_u8).parse(pf)?;
    Ok((
        i,
        ServerInit {
            width,
            height,
            pixel: PixelFormat {
                bits_per_pixel: bpp,
                depth,
                big_endian: be != 0,
                true_colour: tc != 0,
            },
            name,
        },
    ))
}
