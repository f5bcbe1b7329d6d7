//! FTP control-channel lines (RFC 959, 2428), pure and zero-copy (nom): replies, commands,
//! and the data-channel addresses of PASV / EPSV replies and PORT / EPRT commands.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{take_while, take_while_m_n, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::opt;
use std::net::{IpAddr, Ipv4Addr};

/// A reply line: `NNN` followed by `-` (more lines follow), ` ` (last line) or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    pub code: u16,
    /// `b'-'` opens a multi-line reply; `b' '` or `0` (bare code) ends one.
    pub sep: u8,
    pub text: &'a [u8],
}

pub fn parse_reply_line(i: &[u8]) -> IResult<&[u8], ReplyLine<'_>> {
    let (i, code) = take_while_m_n(3, 3, |c: u8| c.is_ascii_digit())(i)?;
    let code = code.iter().fold(0u16, |a, &c| a * 10 + (c - b'0') as u16);
    let (sep, text) = match i.first() {
        None => (0, i),
        Some(&c @ (b' ' | b'-')) => (c, i.get(1..).unwrap_or(&[])),
        Some(_) => {
            return Err(nom::Err::Error(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Char,
            )));
        }
    };
    Ok((&[][..], ReplyLine { code, sep, text }))
}

/// A command line: a verb of 3 or 4 letters, then an optional argument (kept verbatim except
/// for the single separating space: a password may hold anything).
pub fn parse_command(i: &[u8]) -> IResult<&[u8], (&[u8], &[u8])> {
    let (i, verb) = take_while_m_n(3, 4, |c: u8| c.is_ascii_alphabetic())(i)?;
    match i.first() {
        None => Ok((&[][..], (verb, i))),
        Some(b' ') => Ok((&[][..], (verb, i.get(1..).unwrap_or(&[])))),
        Some(_) => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Char,
        ))),
    }
}

fn num_u8(i: &[u8]) -> IResult<&[u8], u8> {
    let (r, d) = take_while_m_n(1, 3, |c: u8| c.is_ascii_digit())(i)?;
    let v = d.iter().fold(0u16, |a, &c| a * 10 + (c - b'0') as u16);
    match u8::try_from(v) {
        Ok(v) => Ok((r, v)),
        Err(_) => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Digit,
        ))),
    }
}

/// `h1,h2,h3,h4,p1,p2`.
pub fn parse_host_port(i: &[u8]) -> IResult<&[u8], (Ipv4Addr, u16)> {
    let sep = |i| {
        let (i, _) = take_while(|c| c == b' ')(i)?;
        let (i, _) = char(',')(i)?;
        take_while(|c| c == b' ')(i)
    };
    let (i, a) = num_u8(i)?;
    let (i, (_, b, _, c, _, d, _, p1, _, p2)) = (
        sep, num_u8, sep, num_u8, sep, num_u8, sep, num_u8, sep, num_u8,
    )
        .parse(i)?;
    Ok((i, (Ipv4Addr::new(a, b, c, d), u16::from_be_bytes([p1, p2]))))
}

/// The address of a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply text (the numbers
/// may appear anywhere in the text, with or without parentheses).
pub fn parse_pasv_reply(text: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let mut k = 0;
    while k < text.len() {
        if text.get(k).is_some_and(|c| c.is_ascii_digit())
            && (k == 0 || !text.get(k - 1).is_some_and(|c| c.is_ascii_digit()))
        {
            if let Ok((_, hp)) = parse_host_port(text.get(k..).unwrap_or(&[])) {
                return Some(hp);
            }
        }
        k += 1;
    }
    None
}

fn port(i: &[u8]) -> IResult<&[u8], u16> {
    let (r, d) = digit1(i)?;
    let v = d.iter().try_fold(0u32, |a, &c| {
        a.checked_mul(10)?.checked_add((c - b'0') as u32)
    });
    match v.and_then(|v| u16::try_from(v).ok()) {
        Some(p) if d.len() <= 5 => Ok((r, p)),
        _ => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Digit,
        ))),
    }
}

/// The port of a `229 Entering Extended Passive Mode (|||port|)` reply text.
pub fn parse_epsv_reply(text: &[u8]) -> Option<u16> {
    let open = memchr::memchr(b'(', text)?;
    let i = text.get(open + 1..)?;
    let d = *i.first()?;
    if !(33..=126).contains(&d) || d.is_ascii_digit() {
        return None;
    }
    let delim = |i| char(d as char)(i);
    let (_, (_, _, _, p, _)) = (delim, delim, delim, port, delim).parse(i).ok()?;
    Some(p)
}

/// `PORT h1,h2,h3,h4,p1,p2` argument.
pub fn parse_port_arg(arg: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let (rest, hp) = parse_host_port(arg).ok()?;
    rest.iter().all(|c| c.is_ascii_whitespace()).then_some(hp)
}

/// `EPRT |af|address|port|` argument (af 1 = IPv4, 2 = IPv6).
pub fn parse_eprt_arg(arg: &[u8]) -> Option<(IpAddr, u16)> {
    let d = *arg.first()?;
    if !(33..=126).contains(&d) {
        return None;
    }
    let delim = |i| char(d as char)(i);
    let (_, (_, af, _, addr, _, p, _)) = (
        delim,
        digit1,
        delim,
        take_while1(|c: u8| c != d),
        delim,
        port,
        opt(delim),
    )
        .parse(arg)
        .ok()?;
    let addr = std::str::from_utf8(addr).ok()?;
    let ip: IpAddr = match af {
        b"1" => IpAddr::V4(addr.parse().ok()?),
        b"2" => IpAddr::V6(addr.parse().ok()?),
        _ => return None,
    };
    Some((ip, p))
}
