//! Pure parsers for the name services: DHCP/BOOTP (RFC 2131/2132), DNS messages (RFC 1035, also
//! the wire format of mDNS RFC 6762, LLMNR RFC 4795 and NetBIOS Name Service RFC 1002), NetBIOS
//! first-level name encoding, and SSDP (UPnP 1.1) start line and headers.
//!
//! Fixed-layout parts are nom parsers on length-bounded slices. DNS names are read with
//! compression from the whole message: every pointer must point strictly backwards (so a walk
//! always ends), at most [`MAX_JUMPS`] pointers are followed and a name is at most 255 bytes.
//! Record counts are capped ([`MAX_RECORDS`]); a message with more records is cut there.

use nom::IResult;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16, be_u32};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

type R<'a, T> = IResult<&'a [u8], T>;

/// Compression pointers followed per name.
pub const MAX_JUMPS: usize = 16;
/// Encoded length of a name (RFC 1035 §2.3.4).
pub const MAX_NAME: usize = 255;
/// Questions kept per message.
pub const MAX_QUESTIONS: usize = 16;
/// Resource records kept per message (all sections).
pub const MAX_RECORDS: usize = 64;
/// TXT strings kept per record.
pub const MAX_TXT: usize = 16;
/// Names kept from a NetBIOS node status response.
pub const MAX_NBSTAT_NAMES: usize = 32;

fn ip4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

// ---------------------------------------------------------------------------------------------
// DHCP / BOOTP
// ---------------------------------------------------------------------------------------------

pub const DHCP_MAGIC: [u8; 4] = [0x63, 0x82, 0x53, 0x63];

/// The fixed BOOTP header (236 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bootp<'a> {
    /// 1 BOOTREQUEST, 2 BOOTREPLY.
    pub op: u8,
    pub htype: u8,
    pub hlen: u8,
    pub hops: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: &'a [u8; 16],
    pub sname: &'a [u8],
    pub file: &'a [u8],
}

impl Bootp<'_> {
    /// The client's Ethernet MAC (htype 1, hlen 6).
    pub fn client_mac(&self) -> Option<crate::decode::Mac> {
        (self.htype == 1 && self.hlen == 6).then(|| crate::decode::Mac::from_slice(self.chaddr))
    }
}

pub fn bootp(i: &[u8]) -> R<'_, Bootp<'_>> {
    let (i, op) = be_u8(i)?;
    let (i, htype) = be_u8(i)?;
    let (i, hlen) = be_u8(i)?;
    let (i, hops) = be_u8(i)?;
    let (i, xid) = be_u32(i)?;
    let (i, secs) = be_u16(i)?;
    let (i, flags) = be_u16(i)?;
    let (i, a) = take(16usize)(i)?;
    let (i, ch) = take(16usize)(i)?;
    let (i, sname) = take(64usize)(i)?;
    let (i, file) = take(128usize)(i)?;
    let chaddr: &[u8; 16] = ch.try_into().map_err(|_| {
        nom::Err::Error(nom::error::Error::new(
            ch,
            nom::error::ErrorKind::LengthValue,
        ))
    })?;
    Ok((
        i,
        Bootp {
            op,
            htype,
            hlen,
            hops,
            xid,
            secs,
            flags,
            ciaddr: ip4(&a[0..4]),
            yiaddr: ip4(&a[4..8]),
            siaddr: ip4(&a[8..12]),
            giaddr: ip4(&a[12..16]),
            chaddr,
            sname,
            file,
        },
    ))
}

/// One DHCP option (pad and end are not returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhcpOpt<'a> {
    pub code: u8,
    pub value: &'a [u8],
}

/// A DHCP message: BOOTP header, whether the magic cookie is there, the options (at most 64).
#[derive(Debug, Clone)]
pub struct Dhcp<'a> {
    pub bootp: Bootp<'a>,
    pub cookie: bool,
    pub options: Vec<DhcpOpt<'a>>,
    /// The option list ended without option 255, or an option ran past the end.
    pub options_truncated: bool,
}

impl<'a> Dhcp<'a> {
    pub fn opt(&self, code: u8) -> Option<&'a [u8]> {
        self.options
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.value)
    }
    /// Option 53 (1 DISCOVER .. 8 INFORM).
    pub fn message_type(&self) -> Option<u8> {
        self.opt(53).and_then(|v| v.first().copied())
    }
}

/// Length byte then `take(len)`.
fn dhcp_opt_body(i: &[u8]) -> R<'_, &[u8]> {
    let (i, len) = be_u8(i)?;
    take(len as usize)(i)
}

/// Parse a DHCP/BOOTP message (UDP payload).
pub fn parse_dhcp(input: &[u8]) -> R<'_, Dhcp<'_>> {
    let (i, b) = bootp(input)?;
    let mut d = Dhcp {
        bootp: b,
        cookie: false,
        options: Vec::new(),
        options_truncated: false,
    };
    if i.len() < 4 || i[..4] != DHCP_MAGIC {
        return Ok((i, d));
    }
    d.cookie = true;
    let mut i = &i[4..];
    loop {
        let Some((&code, rest)) = i.split_first() else {
            d.options_truncated = true;
            break;
        };
        match code {
            0 => i = rest,
            255 => {
                i = rest;
                break;
            }
            _ => match dhcp_opt_body(rest) {
                Ok((r, value)) => {
                    if d.options.len() < 64 {
                        d.options.push(DhcpOpt { code, value });
                    }
                    i = r;
                }
                Err(_) => {
                    d.options_truncated = true;
                    i = &i[i.len()..];
                    break;
                }
            },
        }
    }
    Ok((i, d))
}

// ---------------------------------------------------------------------------------------------
// DNS message format
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsHeader {
    pub id: u16,
    pub flags: u16,
    pub qd: u16,
    pub an: u16,
    pub ns: u16,
    pub ar: u16,
}

impl DnsHeader {
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// DNS: 0 query, 1 iquery, 2 status, 4 notify, 5 update. NBNS: 0 query, 5 registration,
    /// 6 release, 7 WACK, 8/9 refresh, 15 multi-homed registration.
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0F) as u8
    }
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x0F) as u8
    }
}

pub fn dns_header(i: &[u8]) -> R<'_, DnsHeader> {
    let (i, id) = be_u16(i)?;
    let (i, flags) = be_u16(i)?;
    let (i, qd) = be_u16(i)?;
    let (i, an) = be_u16(i)?;
    let (i, ns) = be_u16(i)?;
    let (i, ar) = be_u16(i)?;
    Ok((
        i,
        DnsHeader {
            id,
            flags,
            qd,
            an,
            ns,
            ar,
        },
    ))
}

/// Why a name could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    Truncated,
    /// A pointer that does not point strictly backwards (a loop or a forward reference).
    BadPointer,
    TooManyJumps,
    TooLong,
    /// Label types 01 and 10 (extended, obsolete).
    BadLabel,
}

impl NameError {
    pub fn anomaly(self) -> &'static str {
        match self {
            NameError::Truncated => "dns_name_truncated",
            NameError::BadPointer => "dns_name_bad_pointer",
            NameError::TooManyJumps => "dns_name_too_many_jumps",
            NameError::TooLong => "dns_name_too_long",
            NameError::BadLabel => "dns_name_bad_label",
        }
    }
}

/// Read the name at `off` of `msg` into `out` (labels joined by '.', raw bytes); returns the
/// offset after the name at its original position. Bounded: each pointer must point before the
/// label that holds it, at most `MAX_JUMPS` pointers, at most `MAX_NAME` bytes.
pub fn read_name(msg: &[u8], off: usize, out: &mut Vec<u8>) -> Result<usize, NameError> {
    out.clear();
    let mut pos = off;
    let mut end = None;
    let mut jumps = 0usize;
    let mut total = 0usize;
    loop {
        let &len = msg.get(pos).ok_or(NameError::Truncated)?;
        match len & 0xC0 {
            0x00 => {
                if len == 0 {
                    return Ok(end.unwrap_or(pos + 1));
                }
                let l = len as usize;
                let label = msg.get(pos + 1..pos + 1 + l).ok_or(NameError::Truncated)?;
                total += l + 1;
                if total > MAX_NAME {
                    return Err(NameError::TooLong);
                }
                if !out.is_empty() {
                    out.push(b'.');
                }
                out.extend_from_slice(label);
                pos += 1 + l;
            }
            0xC0 => {
                let &lo = msg.get(pos + 1).ok_or(NameError::Truncated)?;
                let target = (usize::from(len & 0x3F) << 8) | usize::from(lo);
                if target >= pos {
                    return Err(NameError::BadPointer);
                }
                jumps += 1;
                if jumps > MAX_JUMPS {
                    return Err(NameError::TooManyJumps);
                }
                end.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(NameError::BadLabel),
        }
    }
}

/// Name bytes as text: valid UTF-8 as is, other bytes escaped as `\xHH`; no trailing dot.
pub fn name_text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.trim_end_matches('.').to_string(),
        Err(_) => {
            let mut s = String::with_capacity(b.len());
            for &c in b {
                if c.is_ascii_graphic() || c == b' ' {
                    s.push(c as char);
                } else {
                    s.push_str(&format!("\\x{c:02x}"));
                }
            }
            s
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Raw name bytes (labels joined by '.').
    pub name: Vec<u8>,
    pub qtype: u16,
    pub qclass: u16,
}

/// A NetBIOS name (first-level decoded): 15 name bytes and the suffix byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NbName {
    pub name: [u8; 15],
    pub suffix: u8,
}

impl NbName {
    /// The name without its padding spaces.
    pub fn text(&self) -> String {
        crate::dissect::text::device_string(&self.name)
    }
    /// `NAME<xx>` as Wireshark shows it.
    pub fn display(&self) -> String {
        format!("{}<{:02x}>", self.text(), self.suffix)
    }
}

/// Decode the first label of an NBNS name: 32 characters 'A'..='P', two per byte (RFC 1001
/// §14.1). `raw` is the name as read by [`read_name`] (a scope may follow after a dot).
pub fn nb_decode(raw: &[u8]) -> Option<NbName> {
    let label = raw.get(..32)?;
    if raw.get(32).is_some_and(|&c| c != b'.') {
        return None;
    }
    let mut out = [0u8; 16];
    for (k, pair) in label.chunks_exact(2).enumerate() {
        let hi = pair[0].checked_sub(b'A').filter(|v| *v < 16)?;
        let lo = pair[1].checked_sub(b'A').filter(|v| *v < 16)?;
        out[k] = (hi << 4) | lo;
    }
    let mut name = [0u8; 15];
    name.copy_from_slice(&out[..15]);
    Some(NbName {
        name,
        suffix: out[15],
    })
}

/// Decoded record data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData<'a> {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// PTR or CNAME target.
    Name(Vec<u8>),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Vec<u8>,
    },
    Txt(Vec<&'a [u8]>),
    /// NBNS NB record: (NB_FLAGS, address) pairs.
    Nb(Vec<(u16, Ipv4Addr)>),
    /// NBNS node status: (name, name flags) and the unit MAC.
    NbStat {
        names: Vec<(NbName, u16)>,
        mac: Option<crate::decode::Mac>,
    },
    Other(&'a [u8]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Answer,
    Authority,
    Additional,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub section: Section,
    pub name: Vec<u8>,
    pub rtype: u16,
    /// Class without the mDNS cache-flush bit.
    pub class: u16,
    pub ttl: u32,
    pub data: RData<'a>,
}

/// A parsed message.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub header: DnsHeader,
    pub questions: Vec<Question>,
    pub records: Vec<Record<'a>>,
    /// Bytes consumed (equals the message length for a well-formed message).
    pub consumed: usize,
    /// Counts beyond `MAX_QUESTIONS`/`MAX_RECORDS` were not read.
    pub capped: bool,
    /// The first error that stopped the walk (records before it are kept).
    pub error: Option<&'static str>,
}

pub const T_A: u16 = 1;
pub const T_CNAME: u16 = 5;
pub const T_PTR: u16 = 12;
pub const T_TXT: u16 = 16;
pub const T_AAAA: u16 = 28;
pub const T_SRV: u16 = 33;
pub const T_NB: u16 = 0x20;
pub const T_NBSTAT: u16 = 0x21;

fn fixed_rr(i: &[u8]) -> R<'_, (u16, u16, u32, &[u8])> {
    let (i, rtype) = be_u16(i)?;
    let (i, class) = be_u16(i)?;
    let (i, ttl) = be_u32(i)?;
    let (i, len) = be_u16(i)?;
    let (i, rdata) = take(len as usize)(i)?;
    Ok((i, (rtype, class, ttl, rdata)))
}

fn fixed_q(i: &[u8]) -> R<'_, (u16, u16)> {
    let (i, qtype) = be_u16(i)?;
    let (i, qclass) = be_u16(i)?;
    Ok((i, (qtype, qclass)))
}

fn srv_fixed(i: &[u8]) -> R<'_, (u16, u16, u16)> {
    let (i, a) = be_u16(i)?;
    let (i, b) = be_u16(i)?;
    let (i, c) = be_u16(i)?;
    Ok((i, (a, b, c)))
}

fn rdata<'a>(
    msg: &'a [u8],
    at: usize,
    rtype: u16,
    d: &'a [u8],
    nbns: bool,
) -> Result<RData<'a>, &'static str> {
    Ok(match rtype {
        T_A if !nbns && d.len() == 4 => RData::A(ip4(d)),
        T_AAAA if d.len() == 16 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(d);
            RData::Aaaa(Ipv6Addr::from(o))
        }
        T_PTR | T_CNAME if !nbns => {
            let mut n = Vec::new();
            read_name(msg, at, &mut n).map_err(NameError::anomaly)?;
            RData::Name(n)
        }
        T_SRV if !nbns => {
            let (_, (priority, weight, port)) = srv_fixed(d).map_err(|_| "dns_bad_rdata")?;
            let mut target = Vec::new();
            read_name(msg, at + 6, &mut target).map_err(NameError::anomaly)?;
            RData::Srv {
                priority,
                weight,
                port,
                target,
            }
        }
        T_TXT if !nbns => {
            let mut v = Vec::new();
            let mut r = d;
            while let Some((&l, rest)) = r.split_first() {
                let s = rest.get(..l as usize).ok_or("dns_bad_rdata")?;
                if v.len() < MAX_TXT {
                    v.push(s);
                }
                r = &rest[l as usize..];
            }
            RData::Txt(v)
        }
        T_NB if nbns => {
            let mut v = Vec::new();
            for c in d.chunks(6).take(16) {
                if c.len() != 6 {
                    return Err("nbns_bad_rdata");
                }
                v.push((u16::from_be_bytes([c[0], c[1]]), ip4(&c[2..6])));
            }
            RData::Nb(v)
        }
        T_NBSTAT if nbns => {
            let (&n, rest) = d.split_first().ok_or("nbns_bad_rdata")?;
            let mut names = Vec::new();
            let need = n as usize * 18;
            let list = rest.get(..need).ok_or("nbns_bad_rdata")?;
            for e in list.chunks_exact(18).take(MAX_NBSTAT_NAMES) {
                let mut name = [0u8; 15];
                name.copy_from_slice(&e[..15]);
                names.push((
                    NbName {
                        name,
                        suffix: e[15],
                    },
                    u16::from_be_bytes([e[16], e[17]]),
                ));
            }
            let mac = rest.get(need..need + 6).map(crate::decode::Mac::from_slice);
            RData::NbStat { names, mac }
        }
        _ => RData::Other(d),
    })
}

/// Parse a DNS-format message. `nbns` selects NetBIOS record types (NB, NBSTAT) over DNS ones.
/// Fails only when the 12-byte header is missing; later errors stop the walk and are reported
/// in `error`.
pub fn parse_message(msg: &[u8], nbns: bool) -> R<'_, Message<'_>> {
    let (_, header) = dns_header(msg)?;
    let mut m = Message {
        header,
        questions: Vec::new(),
        records: Vec::new(),
        consumed: 12,
        capped: false,
        error: None,
    };
    let mut off = 12usize;
    let mut name = Vec::new();
    for _ in 0..header.qd {
        if m.questions.len() >= MAX_QUESTIONS {
            m.capped = true;
            return Ok((&msg[msg.len()..], m));
        }
        match read_name(msg, off, &mut name) {
            Ok(next) => off = next,
            Err(e) => {
                m.error = Some(e.anomaly());
                return Ok((&msg[msg.len()..], m));
            }
        }
        let Some(rest) = msg.get(off..) else {
            m.error = Some("dns_truncated");
            return Ok((&msg[msg.len()..], m));
        };
        match fixed_q(rest) {
            Ok((_, (qtype, qclass))) => {
                off += 4;
                m.questions.push(Question {
                    name: name.clone(),
                    qtype,
                    qclass,
                });
                m.consumed = off;
            }
            Err(_) => {
                m.error = Some("dns_truncated");
                return Ok((&msg[msg.len()..], m));
            }
        }
    }
    let sections = [
        (Section::Answer, header.an),
        (Section::Authority, header.ns),
        (Section::Additional, header.ar),
    ];
    for (section, count) in sections {
        for _ in 0..count {
            if m.records.len() >= MAX_RECORDS {
                m.capped = true;
                return Ok((&msg[msg.len()..], m));
            }
            match read_name(msg, off, &mut name) {
                Ok(next) => off = next,
                Err(e) => {
                    m.error = Some(e.anomaly());
                    return Ok((&msg[msg.len()..], m));
                }
            }
            let Some(rest) = msg.get(off..) else {
                m.error = Some("dns_truncated");
                return Ok((&msg[msg.len()..], m));
            };
            let (rtype, class, ttl, d) = match fixed_rr(rest) {
                Ok((_, x)) => x,
                Err(_) => {
                    m.error = Some("dns_truncated");
                    return Ok((&msg[msg.len()..], m));
                }
            };
            let at = off + 10;
            off = at + d.len();
            m.consumed = off;
            let data = match rdata(msg, at, rtype, d, nbns) {
                Ok(x) => x,
                Err(e) => {
                    m.error.get_or_insert(e);
                    RData::Other(d)
                }
            };
            m.records.push(Record {
                section,
                name: name.clone(),
                rtype,
                class: class & 0x7FFF,
                ttl,
                data,
            });
        }
    }
    Ok((msg.get(off..).unwrap_or(&[]), m))
}

/// The address a reverse-lookup name stands for: `4.3.2.1.in-addr.arpa` or the 32 nibbles of
/// `ip6.arpa`.
pub fn reverse_ip(name: &str) -> Option<IpAddr> {
    let lower = name.to_ascii_lowercase();
    if let Some(p) = lower.strip_suffix(".in-addr.arpa") {
        let parts: Vec<&str> = p.split('.').collect();
        if parts.len() != 4 {
            return None;
        }
        let mut o = [0u8; 4];
        for (k, s) in parts.iter().rev().enumerate() {
            o[k] = s.parse().ok()?;
        }
        return Some(IpAddr::V4(Ipv4Addr::from(o)));
    }
    if let Some(p) = lower.strip_suffix(".ip6.arpa") {
        let nibbles: Vec<&str> = p.split('.').collect();
        if nibbles.len() != 32 {
            return None;
        }
        let mut o = [0u8; 16];
        for (k, s) in nibbles.iter().rev().enumerate() {
            let v = u8::from_str_radix(s, 16).ok().filter(|_| s.len() == 1)?;
            o[k / 2] |= if k % 2 == 0 { v << 4 } else { v };
        }
        return Some(IpAddr::V6(Ipv6Addr::from(o)));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// SSDP
// ---------------------------------------------------------------------------------------------

/// An SSDP message: start line and the headers otscope reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ssdp<'a> {
    /// `NOTIFY`, `M-SEARCH` or `HTTP/1.1` (a search response).
    pub method: &'a str,
    pub server: Option<&'a str>,
    pub location: Option<&'a str>,
    pub nt: Option<&'a str>,
    pub st: Option<&'a str>,
    pub usn: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Parse an SSDP datagram (HTTP over UDP). Fails on a start line that is not SSDP.
pub fn parse_ssdp(b: &[u8]) -> Option<Ssdp<'_>> {
    let text = std::str::from_utf8(b.get(..b.len().min(4096))?).ok()?;
    let mut lines = text.split("\r\n");
    let first = lines.next()?;
    let method = if first.starts_with("NOTIFY * HTTP/1.") {
        "NOTIFY"
    } else if first.starts_with("M-SEARCH * HTTP/1.") {
        "M-SEARCH"
    } else if first.starts_with("HTTP/1.1 200") || first.starts_with("HTTP/1.0 200") {
        "HTTP/1.1"
    } else {
        return None;
    };
    let mut s = Ssdp {
        method,
        ..Default::default()
    };
    for line in lines.take(64) {
        if line.is_empty() {
            break;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        let is = |h: &str| k.eq_ignore_ascii_case(h);
        let slot = if is("SERVER") {
            &mut s.server
        } else if is("LOCATION") {
            &mut s.location
        } else if is("NT") {
            &mut s.nt
        } else if is("ST") {
            &mut s.st
        } else if is("USN") {
            &mut s.usn
        } else if is("USER-AGENT") {
            &mut s.user_agent
        } else {
            continue;
        };
        slot.get_or_insert(v);
    }
    Some(s)
}
