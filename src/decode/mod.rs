//! L2–L4 decoding, zero-copy: a [`Packet`] borrows the frame's bytes.
//!
//! Every header is checked before it is read (smoltcp `wire` style); a frame that fails a check
//! is counted under a [`DecodeError`] kind and the caller moves on. Captured lengths shorter than
//! the wire length (snaplen) are not errors: the packet is decoded as far as its bytes go and
//! `truncated` says so, with the missing payload length known from the IP/TCP headers.

pub mod frag;

use crate::capture::LinkType;
use serde::Serialize;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An Ethernet MAC address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }
    /// Locally administered (randomised, virtual) addresses carry no vendor.
    pub fn is_local(&self) -> bool {
        self.0[0] & 2 == 2
    }
    pub fn from_slice(b: &[u8]) -> Mac {
        let mut m = [0u8; 6];
        m.copy_from_slice(&b[..6]);
        Mac(m)
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}
impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
impl Serialize for Mac {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a frame could not be decoded (fully). Counted per kind in `capture_quality`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum DecodeError {
    UnsupportedLinkType,
    LinkHeaderTruncated,
    NullUnknownFamily,
    VlanTruncated,
    TooManyVlanTags,
    ArpTruncated,
    Ipv4Truncated,
    Ipv4BadVersion,
    Ipv4BadHeaderLength,
    Ipv4BadTotalLength,
    Ipv6Truncated,
    Ipv6ExtHeaderTruncated,
    Ipv6TooManyExtHeaders,
    TcpTruncated,
    TcpBadDataOffset,
    UdpTruncated,
    UdpBadLength,
    IcmpTruncated,
    IpVersionUnknown,
}

impl DecodeError {
    pub const COUNT: usize = DecodeError::IpVersionUnknown as usize + 1;
    pub const ALL: [DecodeError; DecodeError::COUNT] = [
        DecodeError::UnsupportedLinkType,
        DecodeError::LinkHeaderTruncated,
        DecodeError::NullUnknownFamily,
        DecodeError::VlanTruncated,
        DecodeError::TooManyVlanTags,
        DecodeError::ArpTruncated,
        DecodeError::Ipv4Truncated,
        DecodeError::Ipv4BadVersion,
        DecodeError::Ipv4BadHeaderLength,
        DecodeError::Ipv4BadTotalLength,
        DecodeError::Ipv6Truncated,
        DecodeError::Ipv6ExtHeaderTruncated,
        DecodeError::Ipv6TooManyExtHeaders,
        DecodeError::TcpTruncated,
        DecodeError::TcpBadDataOffset,
        DecodeError::UdpTruncated,
        DecodeError::UdpBadLength,
        DecodeError::IcmpTruncated,
        DecodeError::IpVersionUnknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DecodeError::UnsupportedLinkType => "unsupported_link_type",
            DecodeError::LinkHeaderTruncated => "link_header_truncated",
            DecodeError::NullUnknownFamily => "null_unknown_family",
            DecodeError::VlanTruncated => "vlan_truncated",
            DecodeError::TooManyVlanTags => "too_many_vlan_tags",
            DecodeError::ArpTruncated => "arp_truncated",
            DecodeError::Ipv4Truncated => "ipv4_truncated",
            DecodeError::Ipv4BadVersion => "ipv4_bad_version",
            DecodeError::Ipv4BadHeaderLength => "ipv4_bad_header_length",
            DecodeError::Ipv4BadTotalLength => "ipv4_bad_total_length",
            DecodeError::Ipv6Truncated => "ipv6_truncated",
            DecodeError::Ipv6ExtHeaderTruncated => "ipv6_ext_header_truncated",
            DecodeError::Ipv6TooManyExtHeaders => "ipv6_too_many_ext_headers",
            DecodeError::TcpTruncated => "tcp_header_truncated",
            DecodeError::TcpBadDataOffset => "tcp_bad_data_offset",
            DecodeError::UdpTruncated => "udp_header_truncated",
            DecodeError::UdpBadLength => "udp_bad_length",
            DecodeError::IcmpTruncated => "icmp_truncated",
            DecodeError::IpVersionUnknown => "ip_version_unknown",
        }
    }
}

pub const ETH_IPV4: u16 = 0x0800;
pub const ETH_ARP: u16 = 0x0806;
pub const ETH_IPV6: u16 = 0x86DD;
pub const ETH_VLAN: u16 = 0x8100;
pub const ETH_QINQ: u16 = 0x88A8;
pub const ETH_QINQ_OLD: u16 = 0x9100;
pub const ETH_LLDP: u16 = 0x88CC;
pub const ETH_PROFINET: u16 = 0x8892;

/// Link-layer facts of a frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct L2 {
    pub src: Option<Mac>,
    pub dst: Option<Mac>,
    /// Outermost VLAN id first; `vlan_count` may exceed 2 (only two are kept).
    pub vlans: [u16; 2],
    pub vlan_count: u8,
}

impl L2 {
    /// The innermost VLAN id (the customer VLAN of a QinQ frame), if tagged.
    pub fn vlan(&self) -> Option<u16> {
        match self.vlan_count {
            0 => None,
            1 => Some(self.vlans[0]),
            _ => Some(self.vlans[1]),
        }
    }
}

/// An ARP packet (Ethernet/IPv4 only).
#[derive(Debug, Clone, Copy)]
pub struct Arp {
    pub op: u16,
    pub sender_mac: Mac,
    pub sender_ip: Ipv4Addr,
    pub target_mac: Mac,
    pub target_ip: Ipv4Addr,
}

/// IPv4 fragment information (also used for IPv6 fragment headers).
#[derive(Debug, Clone, Copy)]
pub struct FragInfo {
    /// Offset of this fragment's payload in bytes.
    pub offset: u32,
    pub more: bool,
    pub id: u32,
}

/// The IP layer of a packet.
#[derive(Debug, Clone, Copy)]
pub struct Ip<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub proto: u8,
    pub ttl: u8,
    /// IPv4 identification (0 for IPv6).
    pub ident: u16,
    pub frag: Option<FragInfo>,
    /// The upper-layer bytes present in the frame.
    pub payload: &'a [u8],
    /// Upper-layer length according to the IP header.
    pub payload_len: u32,
}

/// A TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct Tcp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub checksum: u16,
    /// Payload bytes present (may be shorter than `payload_len` when the frame was cut by snaplen).
    pub payload: &'a [u8],
    pub payload_len: u32,
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;

impl Tcp<'_> {
    #[inline]
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy)]
pub struct Udp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub checksum: u16,
    pub payload: &'a [u8],
    pub payload_len: u32,
}

/// An ICMP/ICMPv6 message; `quoted` is the offending packet's header for error messages.
#[derive(Debug, Clone, Copy)]
pub struct Icmp<'a> {
    pub v6: bool,
    pub kind: u8,
    pub code: u8,
    pub quoted: &'a [u8],
}

impl Icmp<'_> {
    /// Destination unreachable: port (or protocol / administratively) unreachable.
    pub fn is_unreachable(&self) -> bool {
        if self.v6 {
            self.kind == 1
        } else {
            self.kind == 3
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum L4<'a> {
    Tcp(Tcp<'a>),
    Udp(Udp<'a>),
    Icmp(Icmp<'a>),
    /// Other protocols, and non-first fragments before reassembly.
    Other,
}

/// What a frame carries above the link layer.
#[derive(Debug, Clone, Copy)]
pub enum Net<'a> {
    Ip(Ip<'a>),
    Arp(Arp),
    Lldp(&'a [u8]),
    /// Cisco Discovery Protocol (LLC/SNAP 00000c/2000) payload.
    Cdp(&'a [u8]),
    Profinet(&'a [u8]),
    /// Any other ethertype or LLC frame (STP, LACP, ...).
    OtherL2(u16),
}

/// A decoded frame.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub l2: L2,
    pub net: Net<'a>,
    /// The frame was shorter than the packet on the wire.
    pub truncated: bool,
}

#[inline]
fn be16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}
#[inline]
fn be32(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Decode a frame to the network layer. `snap_cut` is true when the capture cut the frame.
pub fn decode(
    link: LinkType,
    data: &[u8],
    snap_cut: bool,
    max_vlans: usize,
    max_ext: usize,
) -> Result<Packet<'_>, DecodeError> {
    let mut l2 = L2::default();
    let (ethertype, rest) = match link {
        LinkType::Ethernet => {
            if data.len() < 14 {
                return Err(DecodeError::LinkHeaderTruncated);
            }
            l2.dst = Some(Mac::from_slice(&data[0..6]));
            l2.src = Some(Mac::from_slice(&data[6..12]));
            let et = be16(data, 12);
            if et < 0x0600 {
                return Ok(Packet {
                    l2,
                    net: llc(&data[14..]),
                    truncated: snap_cut,
                });
            }
            (et, &data[14..])
        }
        LinkType::LinuxSll => {
            // pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
            if data.len() < 16 {
                return Err(DecodeError::LinkHeaderTruncated);
            }
            let (hatype, halen) = (be16(data, 2), be16(data, 4));
            if hatype == 1 && halen == 6 {
                l2.src = Some(Mac::from_slice(&data[6..12]));
            }
            (be16(data, 14), &data[16..])
        }
        LinkType::LinuxSll2 => {
            // protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
            if data.len() < 20 {
                return Err(DecodeError::LinkHeaderTruncated);
            }
            if be16(data, 8) == 1 && data[11] == 6 {
                l2.src = Some(Mac::from_slice(&data[12..18]));
            }
            (be16(data, 0), &data[20..])
        }
        LinkType::Null | LinkType::Loop => {
            if data.len() < 4 {
                return Err(DecodeError::LinkHeaderTruncated);
            }
            let fam = if link == LinkType::Loop {
                be32(data, 0)
            } else {
                // Host byte order of the capturing machine: accept either.
                let le = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
                if le < 256 { le } else { be32(data, 0) }
            };
            let et = match fam {
                2 => ETH_IPV4,
                10 | 24 | 28 | 30 => ETH_IPV6,
                _ => return Err(DecodeError::NullUnknownFamily),
            };
            (et, &data[4..])
        }
        LinkType::Raw => match data.first().map(|b| b >> 4) {
            Some(4) => (ETH_IPV4, data),
            Some(6) => (ETH_IPV6, data),
            _ => return Err(DecodeError::IpVersionUnknown),
        },
        LinkType::Ipv4 => (ETH_IPV4, data),
        LinkType::Ipv6 => (ETH_IPV6, data),
        LinkType::Other(_) => return Err(DecodeError::UnsupportedLinkType),
    };
    let (ethertype, rest) = vlan_tags(ethertype, rest, &mut l2, max_vlans)?;
    let net = match ethertype {
        ETH_IPV4 => Net::Ip(ipv4(rest, snap_cut)?),
        ETH_IPV6 => Net::Ip(ipv6(rest, snap_cut, max_ext)?),
        ETH_ARP => Net::Arp(arp(rest)?),
        ETH_LLDP => Net::Lldp(rest),
        ETH_PROFINET => Net::Profinet(rest),
        other => Net::OtherL2(other),
    };
    Ok(Packet {
        l2,
        net,
        truncated: snap_cut,
    })
}

fn vlan_tags<'a>(
    mut et: u16,
    mut rest: &'a [u8],
    l2: &mut L2,
    max: usize,
) -> Result<(u16, &'a [u8]), DecodeError> {
    while matches!(et, ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD) {
        if rest.len() < 4 {
            return Err(DecodeError::VlanTruncated);
        }
        if l2.vlan_count as usize >= max {
            return Err(DecodeError::TooManyVlanTags);
        }
        let id = be16(rest, 0) & 0x0FFF;
        if (l2.vlan_count as usize) < 2 {
            l2.vlans[l2.vlan_count as usize] = id;
        }
        l2.vlan_count += 1;
        et = be16(rest, 2);
        rest = &rest[4..];
    }
    Ok((et, rest))
}

/// 802.3 length frames: LLC, with SNAP for CDP.
fn llc(b: &[u8]) -> Net<'_> {
    // DSAP AA SSAP AA ctrl 03, OUI 00 00 0c, PID 20 00 = CDP
    if b.len() >= 8 && b[0] == 0xAA && b[1] == 0xAA && b[2] == 0x03 {
        let oui = [b[3], b[4], b[5]];
        let pid = be16(b, 6);
        if oui == [0, 0, 0x0c] && pid == 0x2000 {
            return Net::Cdp(&b[8..]);
        }
        if oui == [0, 0, 0] {
            return Net::OtherL2(pid);
        }
    }
    Net::OtherL2(0)
}

fn arp(b: &[u8]) -> Result<Arp, DecodeError> {
    // htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4)
    if b.len() < 28 || b[4] != 6 || b[5] != 4 {
        return Err(DecodeError::ArpTruncated);
    }
    Ok(Arp {
        op: be16(b, 6),
        sender_mac: Mac::from_slice(&b[8..14]),
        sender_ip: Ipv4Addr::new(b[14], b[15], b[16], b[17]),
        target_mac: Mac::from_slice(&b[18..24]),
        target_ip: Ipv4Addr::new(b[24], b[25], b[26], b[27]),
    })
}

/// IPv4 header: version/ihl(1) tos(1) total_len(2) id(2) flags/frag(2) ttl(1) proto(1) csum(2)
/// src(4) dst(4) options.
pub fn ipv4(b: &[u8], snap_cut: bool) -> Result<Ip<'_>, DecodeError> {
    if b.len() < 20 {
        return Err(DecodeError::Ipv4Truncated);
    }
    if b[0] >> 4 != 4 {
        return Err(DecodeError::Ipv4BadVersion);
    }
    let ihl = (b[0] & 0x0F) as usize * 4;
    if ihl < 20 {
        return Err(DecodeError::Ipv4BadHeaderLength);
    }
    if b.len() < ihl {
        return Err(DecodeError::Ipv4Truncated);
    }
    let total = be16(b, 2) as usize;
    if total < ihl {
        return Err(DecodeError::Ipv4BadTotalLength);
    }
    if total > b.len() && !snap_cut {
        // Claimed longer than what is there, and the capture did not cut it.
        return Err(DecodeError::Ipv4BadTotalLength);
    }
    let end = total.min(b.len()); // trims Ethernet padding
    let ff = be16(b, 6);
    let offset = (ff & 0x1FFF) as u32 * 8;
    let more = ff & 0x2000 != 0;
    let ident = be16(b, 4);
    Ok(Ip {
        src: IpAddr::V4(Ipv4Addr::new(b[12], b[13], b[14], b[15])),
        dst: IpAddr::V4(Ipv4Addr::new(b[16], b[17], b[18], b[19])),
        proto: b[9],
        ttl: b[8],
        ident,
        frag: (more || offset > 0).then_some(FragInfo {
            offset,
            more,
            id: ident as u32,
        }),
        payload: &b[ihl..end],
        payload_len: (total - ihl) as u32,
    })
}

/// IPv6 header (40 bytes) and its extension-header chain.
pub fn ipv6(b: &[u8], snap_cut: bool, max_ext: usize) -> Result<Ip<'_>, DecodeError> {
    if b.len() < 40 {
        return Err(DecodeError::Ipv6Truncated);
    }
    if b[0] >> 4 != 6 {
        return Err(DecodeError::IpVersionUnknown);
    }
    let plen = be16(b, 4) as usize;
    if 40 + plen > b.len() && !snap_cut {
        return Err(DecodeError::Ipv6Truncated);
    }
    let end = (40 + plen).min(b.len());
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&b[8..24]);
    dst.copy_from_slice(&b[24..40]);
    let mut next = b[6];
    let mut off = 40usize;
    let mut frag = None;
    let mut n = 0;
    loop {
        match next {
            // hop-by-hop, routing, destination options, mobility, HIP, shim6
            0 | 43 | 60 | 135 | 139 | 140 => {
                if end < off + 8 {
                    return Err(DecodeError::Ipv6ExtHeaderTruncated);
                }
                let len = (b[off + 1] as usize + 1) * 8;
                next = b[off];
                off += len;
            }
            44 => {
                if end < off + 8 {
                    return Err(DecodeError::Ipv6ExtHeaderTruncated);
                }
                let fo = be16(b, off + 2);
                let offset = (fo & 0xFFF8) as u32;
                let more = fo & 1 != 0;
                let id = be32(b, off + 4);
                next = b[off];
                off += 8;
                if offset > 0 || more {
                    frag = Some(FragInfo { offset, more, id });
                }
            }
            51 => {
                // AH: length in 4-octet units minus 2
                if end < off + 8 {
                    return Err(DecodeError::Ipv6ExtHeaderTruncated);
                }
                let len = (b[off + 1] as usize + 2) * 4;
                next = b[off];
                off += len;
            }
            _ => break,
        }
        n += 1;
        if n > max_ext {
            return Err(DecodeError::Ipv6TooManyExtHeaders);
        }
        if off > end {
            return Err(DecodeError::Ipv6ExtHeaderTruncated);
        }
        if frag.is_some() {
            // Headers after a fragment header belong to the reassembled payload.
            break;
        }
    }
    Ok(Ip {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto: next,
        ttl: b[7],
        ident: 0,
        frag,
        payload: &b[off..end],
        payload_len: (40 + plen).saturating_sub(off) as u32,
    })
}

/// Just the IP addresses of a frame, cheaply, for choosing a worker (non-IP frames: `None`).
#[inline]
pub fn ip_pair(link: LinkType, data: &[u8]) -> Option<(IpAddr, IpAddr)> {
    let (mut et, mut rest) = match link {
        LinkType::Ethernet if data.len() >= 14 => (be16(data, 12), &data[14..]),
        LinkType::LinuxSll if data.len() >= 16 => (be16(data, 14), &data[16..]),
        LinkType::LinuxSll2 if data.len() >= 20 => (be16(data, 0), &data[20..]),
        LinkType::Null | LinkType::Loop if data.len() >= 4 => (0, &data[4..]),
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => (0, data),
        _ => return None,
    };
    let mut n = 0;
    while matches!(et, ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD) && rest.len() >= 4 && n < 8 {
        et = be16(rest, 2);
        rest = &rest[4..];
        n += 1;
    }
    if et != 0 && et != ETH_IPV4 && et != ETH_IPV6 {
        return None;
    }
    match rest.first().map(|b| b >> 4) {
        Some(4) if rest.len() >= 20 => Some((
            IpAddr::V4(Ipv4Addr::new(rest[12], rest[13], rest[14], rest[15])),
            IpAddr::V4(Ipv4Addr::new(rest[16], rest[17], rest[18], rest[19])),
        )),
        Some(6) if rest.len() >= 40 => {
            let mut s = [0u8; 16];
            let mut d = [0u8; 16];
            s.copy_from_slice(&rest[8..24]);
            d.copy_from_slice(&rest[24..40]);
            Some((IpAddr::V6(Ipv6Addr::from(s)), IpAddr::V6(Ipv6Addr::from(d))))
        }
        _ => None,
    }
}

/// Decode the upper layer of an (unfragmented or reassembled) IP packet.
pub fn l4<'a>(ip: &Ip<'a>) -> Result<L4<'a>, DecodeError> {
    let b = ip.payload;
    match ip.proto {
        6 => {
            // sport(2) dport(2) seq(4) ack(4) off/flags(2) window(2) csum(2) urg(2) options
            let cut = (b.len() as u32) < ip.payload_len;
            if b.len() < 20 && !(cut && b.len() >= 14) {
                return Err(DecodeError::TcpTruncated);
            }
            if b.len() < 20 {
                // Cut by the capture inside the header: ports, sequence numbers and flags are
                // there, the payload length is known from the IP header.
                let doff = (b[12] >> 4) as u32 * 4;
                if doff < 20 || doff > ip.payload_len {
                    return Err(DecodeError::TcpBadDataOffset);
                }
                return Ok(L4::Tcp(Tcp {
                    sport: be16(b, 0),
                    dport: be16(b, 2),
                    seq: be32(b, 4),
                    ack: be32(b, 8),
                    flags: b[13],
                    window: 0,
                    checksum: 0,
                    payload: &[],
                    payload_len: ip.payload_len - doff,
                }));
            }
            let doff = (b[12] >> 4) as usize * 4;
            if doff < 20 || doff as u32 > ip.payload_len {
                return Err(DecodeError::TcpBadDataOffset);
            }
            if b.len() < doff && !cut {
                return Err(DecodeError::TcpTruncated);
            }
            Ok(L4::Tcp(Tcp {
                sport: be16(b, 0),
                dport: be16(b, 2),
                seq: be32(b, 4),
                ack: be32(b, 8),
                flags: b[13],
                window: be16(b, 14),
                checksum: be16(b, 16),
                payload: &b[doff.min(b.len())..],
                payload_len: ip.payload_len - doff as u32,
            }))
        }
        17 => {
            // sport(2) dport(2) len(2) csum(2)
            if b.len() < 8 {
                return Err(DecodeError::UdpTruncated);
            }
            let len = be16(b, 4) as usize;
            if len < 8 || len as u32 > ip.payload_len {
                return Err(DecodeError::UdpBadLength);
            }
            Ok(L4::Udp(Udp {
                sport: be16(b, 0),
                dport: be16(b, 2),
                checksum: be16(b, 6),
                payload: &b[8..len.min(b.len())],
                payload_len: (len - 8) as u32,
            }))
        }
        1 | 58 => {
            if b.len() < 4 {
                return Err(DecodeError::IcmpTruncated);
            }
            let quoted = if b.len() > 8 { &b[8..] } else { &[][..] };
            Ok(L4::Icmp(Icmp {
                v6: ip.proto == 58,
                kind: b[0],
                code: b[1],
                quoted,
            }))
        }
        _ => Ok(L4::Other),
    }
}

#[cfg(test)]
mod tests;
