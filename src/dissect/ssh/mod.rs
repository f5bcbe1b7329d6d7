//! SSH (`ssh`; port 22 as a hint, found by content on any port, e.g. SSH on port 80).
//!
//! The version exchange (`SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10`), then the unencrypted
//! binary packets of the key exchange (packet_length framing; the KEXINIT algorithm lists),
//! until NEWKEYS: everything after it is consumed unread. SSH authentication happens inside
//! the encrypted channel, so no authentication event is reported (its factors cannot be
//! seen).
//!
//! Operations: `login` (`ssh_session`) once per flow that carried a version line both ways.
//!
//! Facts:
//! * `ssh.banner` (server and client): the version line.
//! * `ssh.version` (server and client): the protocol version (`2.0`, `1.99`, `1.5`).
//! * `ssh.kex` (server and client): the key exchange algorithms offered in KEXINIT.
//!
//! Claims (server): `ssh.banner` (confidence 70, source `ssh.version_exchange`); `vendor` and
//! `product` (confidence 50) when the software names a device's own stack (`codes.rs`).
//!
//! Anomalies: `ssh_bad_version_line`, `ssh_bad_packet_length`, `ssh_bad_kexinit`.

pub mod codes;
#[cfg(test)]
mod tests;

use crate::dissect::{Cx, Dir, Parsed, Party, Probe, StreamDissector, StreamSpec};
use crate::inventory::observation::Op;
use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take, take_while1};
use nom::multi::length_data;
use nom::number::complete::{be_u8, be_u32};

pub const PORTS: &[u16] = &[22];

/// Longest version line (RFC 4253 allows 255 bytes; some stacks send more).
const MAX_LINE: usize = 1024;
/// Lines a server may send before its version line (RFC 4253 4.2).
const MAX_PRE_LINES: u8 = 16;
/// Largest binary packet accepted (RFC 4253 6.1 asks for 35000; be generous).
const MAX_PACKET: u32 = 256 * 1024;

/// `SSH-protoversion-softwareversion [SP comments]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionLine<'a> {
    pub proto: &'a [u8],
    pub software: &'a [u8],
    pub comments: &'a [u8],
}

/// Parse a version line (without CR LF).
pub fn parse_version_line(i: &[u8]) -> IResult<&[u8], VersionLine<'_>> {
    let (i, _) = tag("SSH-")(i)?;
    let (i, proto) = take_while1(|c: u8| c.is_ascii_digit() || c == b'.')(i)?;
    let (i, _) = tag("-")(i)?;
    let (i, software) = take_while1(|c: u8| c > b' ' && c < 0x7f)(i)?;
    let comments = i.strip_prefix(b" ").unwrap_or(i);
    Ok((
        &[][..],
        VersionLine {
            proto,
            software,
            comments,
        },
    ))
}

/// Header of a binary packet: (packet_length, padding_length).
pub fn parse_packet_header(i: &[u8]) -> IResult<&[u8], (u32, u8)> {
    (be_u32, be_u8).parse(i)
}

/// The first name-list of a KEXINIT payload (after the message number): kex algorithms.
pub fn parse_kexinit_kex(payload: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, _cookie) = take(16usize)(payload)?;
    length_data(be_u32).parse(i)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Version {
        pre_lines: u8,
    },
    Packets,
    /// After NEWKEYS (or when lost): consumed unread.
    Encrypted,
}

pub struct Ssh {
    phase: [Phase; 2],
    seen_version: [bool; 2],
    login_reported: bool,
}

impl Default for Ssh {
    fn default() -> Self {
        Self::new()
    }
}

fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn party(d: Dir) -> Party {
    match d {
        Dir::ToServer => Party::Client,
        Dir::ToClient => Party::Server,
    }
}

impl Ssh {
    pub fn new() -> Ssh {
        Ssh {
            phase: [Phase::Version { pre_lines: 0 }; 2],
            seen_version: [false; 2],
            login_reported: false,
        }
    }

    fn version(&mut self, dir: Dir, data: &[u8], pre_lines: u8, cx: &mut Cx<'_>) -> Parsed {
        let d = di(dir);
        let Some(nl) = memchr::memchr(b'\n', data.get(..data.len().min(MAX_LINE)).unwrap_or(&[]))
        else {
            if data.len() >= MAX_LINE {
                cx.anomaly("ssh_bad_version_line");
                self.phase[d] = Phase::Encrypted;
                return Parsed::Consumed(data.len());
            }
            return Parsed::NeedMore {
                consumed: 0,
                needed: data.len() + 1,
            };
        };
        let line = data.get(..nl).unwrap_or(&[]);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match parse_version_line(line) {
            Ok((_, v)) => {
                self.seen_version[d] = true;
                let p = party(dir);
                let banner = crate::dissect::text::device_string(line);
                cx.fact(p, "ssh.banner", banner.clone());
                cx.fact(
                    p,
                    "ssh.version",
                    crate::dissect::text::device_string(v.proto),
                );
                if dir == Dir::ToClient {
                    cx.claim(p, "ssh.banner", &banner, "ssh.version_exchange", 70);
                    let sw = crate::dissect::text::device_string(v.software);
                    if let Some((vendor, product)) = codes::software_hint(&sw) {
                        cx.claim(p, "vendor", vendor, "ssh.version_exchange", 50);
                        if let Some(product) = product {
                            cx.claim(p, "product", product, "ssh.version_exchange", 50);
                        }
                    }
                }
                if self.seen_version == [true, true] && !self.login_reported {
                    self.login_reported = true;
                    cx.op(Op::Login, Some("ssh_session"));
                }
                // SSH-1 packets are framed differently and encrypted early: not followed.
                self.phase[d] = if v.proto == b"2.0" || v.proto == b"1.99" {
                    Phase::Packets
                } else {
                    Phase::Encrypted
                };
            }
            Err(_) => {
                if dir == Dir::ToClient && pre_lines < MAX_PRE_LINES && !line.starts_with(b"SSH-") {
                    self.phase[d] = Phase::Version {
                        pre_lines: pre_lines + 1,
                    };
                } else {
                    cx.anomaly("ssh_bad_version_line");
                    self.phase[d] = Phase::Encrypted;
                }
            }
        }
        Parsed::Consumed(nl + 1)
    }

    fn packet(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let d = di(dir);
        let Ok((_, (len, pad))) = parse_packet_header(data) else {
            return Parsed::NeedMore {
                consumed: 0,
                needed: 5,
            };
        };
        if !(5..=MAX_PACKET).contains(&len) || pad as u32 >= len {
            cx.anomaly("ssh_bad_packet_length");
            self.phase[d] = Phase::Encrypted;
            return Parsed::Consumed(data.len());
        }
        let total = 4 + len as usize;
        let Some(pkt) = data.get(..total) else {
            return Parsed::NeedMore {
                consumed: 0,
                needed: total,
            };
        };
        let payload = pkt.get(5..total - pad as usize).unwrap_or(&[]);
        match payload.first().copied() {
            Some(codes::MSG_KEXINIT) => match parse_kexinit_kex(payload.get(1..).unwrap_or(&[])) {
                Ok((_, kex)) => {
                    let kex = kex.get(..kex.len().min(512)).unwrap_or(&[]);
                    cx.fact(
                        party(dir),
                        "ssh.kex",
                        crate::dissect::text::device_string(kex),
                    );
                }
                Err(_) => cx.anomaly("ssh_bad_kexinit"),
            },
            Some(codes::MSG_NEWKEYS) => self.phase[d] = Phase::Encrypted,
            Some(codes::MSG_DISCONNECT) => self.phase[d] = Phase::Encrypted,
            _ => {}
        }
        Parsed::Consumed(total)
    }
}

impl StreamDissector for Ssh {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        match self.phase[di(dir)] {
            Phase::Encrypted => Parsed::Consumed(data.len()),
            Phase::Version { pre_lines } => self.version(dir, data, pre_lines, cx),
            Phase::Packets => self.packet(dir, data, cx),
        }
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        // Binary packets cannot be re-framed after lost bytes: stop reading this direction.
        self.phase[di(dir)] = Phase::Encrypted;
    }
}

/// `SSH-1.x-` or `SSH-2.0-` at the start of either direction.
pub fn probe(_dir: Dir, data: &[u8], _port_match: bool) -> Probe {
    const P: &[u8] = b"SSH-";
    if data.len() < 6 {
        let k = data.len().min(P.len());
        return if data.get(..k) == P.get(..k) {
            Probe::NeedMore
        } else {
            Probe::NoMatch
        };
    }
    let ok = data.starts_with(b"SSH-2.") || data.starts_with(b"SSH-1.");
    if ok { Probe::Match } else { Probe::NoMatch }
}

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(Ssh::new())
}

pub const SPEC: StreamSpec = StreamSpec {
    proto: "ssh",
    ports: PORTS,
    probe,
    new,
};
