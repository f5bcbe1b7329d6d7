//! TFTP (`tftp`; UDP port 69, RFC 1350 / 2347).
//!
//! RRQ / WRQ (file name, mode, options), DATA, ACK, ERROR, OACK. The transfer itself continues
//! between two new ephemeral ports, so a flow on port 69 usually shows only the request.
//! TFTP has no authentication at all: every request is reported as mechanism `none`
//! (outcome `attempt`).
//!
//! Operations: RRQ → `read` (`tftp_rrq`), WRQ → `write` (`tftp_wrq`).
//!
//! Facts:
//! * `tftp.file` (server): the requested file name (bounded).
//! * `tftp.mode` (server): the transfer mode (`octet`, `netascii`, `mail`).
//! * `tftp.error` (server): an ERROR message (`code: message`).
//!
//! Anomalies: `tftp_bad_opcode`, `tftp_bad_request`, `tftp_bad_mode`, `tftp_short`.

#[cfg(test)]
mod tests;

use crate::dissect::{Cx, DatagramDissector, DatagramSpec, Dir, Party, Probe};
use crate::inventory::observation::{AuthEvent, Op, Outcome};
use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take_till};
use nom::number::complete::be_u16;

pub const PORTS: &[u16] = &[69];

pub const RRQ: u16 = 1;
pub const WRQ: u16 = 2;
pub const DATA: u16 = 3;
pub const ACK: u16 = 4;
pub const ERROR: u16 = 5;
pub const OACK: u16 = 6;

/// Longest file name reported.
const MAX_NAME: usize = 256;

/// A TFTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// RRQ (`write` false) or WRQ: file name, mode.
    Request {
        write: bool,
        file: &'a [u8],
        mode: &'a [u8],
    },
    Data {
        block: u16,
        len: usize,
    },
    Ack {
        block: u16,
    },
    Error {
        code: u16,
        msg: &'a [u8],
    },
    Oack,
    Unknown(u16),
}

fn cstr(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, s) = take_till(|c| c == 0)(i)?;
    let (i, _) = tag(&[0u8][..])(i)?;
    Ok((i, s))
}

/// Parse a TFTP datagram.
pub fn parse_packet(i: &[u8]) -> IResult<&[u8], Packet<'_>> {
    let (i, op) = be_u16(i)?;
    match op {
        RRQ | WRQ => {
            let (i, (file, mode)) = (cstr, cstr).parse(i)?;
            Ok((
                i,
                Packet::Request {
                    write: op == WRQ,
                    file,
                    mode,
                },
            ))
        }
        DATA => {
            let (i, block) = be_u16(i)?;
            Ok((
                &[][..],
                Packet::Data {
                    block,
                    len: i.len(),
                },
            ))
        }
        ACK => {
            let (i, block) = be_u16(i)?;
            Ok((i, Packet::Ack { block }))
        }
        ERROR => {
            let (i, code) = be_u16(i)?;
            let (i, msg) = take_till(|c| c == 0)(i)?;
            Ok((i, Packet::Error { code, msg }))
        }
        OACK => Ok((&[][..], Packet::Oack)),
        n => Ok((i, Packet::Unknown(n))),
    }
}

/// A mode RFC 1350 defines (case-insensitive).
pub fn valid_mode(m: &[u8]) -> bool {
    m.eq_ignore_ascii_case(b"octet")
        || m.eq_ignore_ascii_case(b"netascii")
        || m.eq_ignore_ascii_case(b"mail")
}

fn valid_name(f: &[u8]) -> bool {
    !f.is_empty() && f.len() <= 512 && f.iter().all(|&c| (0x20..0x7f).contains(&c))
}

#[derive(Default)]
pub struct Tftp;

impl DatagramDissector for Tftp {
    fn datagram(&mut self, _dir: Dir, data: &[u8], cx: &mut Cx<'_>) {
        let p = match parse_packet(data) {
            Ok((_, p)) => p,
            Err(_) => {
                cx.anomaly("tftp_short");
                return;
            }
        };
        match p {
            Packet::Request { write, file, mode } => {
                if !valid_name(file) {
                    cx.anomaly("tftp_bad_request");
                }
                if !valid_mode(mode) {
                    cx.anomaly("tftp_bad_mode");
                }
                let (op, detail) = if write {
                    (Op::Write, "tftp_wrq")
                } else {
                    (Op::Read, "tftp_rrq")
                };
                cx.op(op, Some(detail));
                let f = file.get(..file.len().min(MAX_NAME)).unwrap_or(&[]);
                cx.fact(
                    Party::Server,
                    "tftp.file",
                    crate::dissect::http::state::text(f),
                );
                if valid_mode(mode) {
                    cx.fact(
                        Party::Server,
                        "tftp.mode",
                        String::from_utf8_lossy(mode).to_ascii_lowercase(),
                    );
                }
                cx.auth(AuthEvent {
                    mechanism: "none",
                    outcome: Outcome::Attempt,
                    user: None,
                    secret: None,
                    cleartext: false,
                });
            }
            Packet::Error { code, msg } => {
                let m = msg.get(..msg.len().min(128)).unwrap_or(&[]);
                cx.fact(
                    Party::Server,
                    "tftp.error",
                    format!("{code}: {}", crate::dissect::http::state::text(m)),
                );
            }
            Packet::Data { .. } | Packet::Ack { .. } | Packet::Oack => {}
            Packet::Unknown(_) => cx.anomaly("tftp_bad_opcode"),
        }
    }
}

/// A well-formed RRQ / WRQ (any port); on port 69 also an ERROR, DATA or ACK.
pub fn probe(_dir: Dir, data: &[u8], port_match: bool) -> Probe {
    match parse_packet(data) {
        Ok((_, Packet::Request { file, mode, .. })) if valid_name(file) && valid_mode(mode) => {
            Probe::Match
        }
        Ok((rest, Packet::Error { code, msg }))
            if port_match
                && code <= 8
                && rest.first() == Some(&0)
                && msg.iter().all(|&c| (0x20..0x7f).contains(&c)) =>
        {
            Probe::Match
        }
        Ok((_, Packet::Data { block, len })) if port_match && block >= 1 && len <= 65464 => {
            if block == 1 {
                Probe::Match
            } else {
                Probe::NoMatch
            }
        }
        _ => Probe::NoMatch,
    }
}

pub fn new() -> Box<dyn DatagramDissector> {
    Box::new(Tftp)
}

pub const SPEC: DatagramSpec = DatagramSpec {
    proto: "tftp",
    ports: PORTS,
    probe,
    new,
};
