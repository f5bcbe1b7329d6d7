//! Pure parsers (nom 8, zero-copy) for the layer-2 discovery protocols: LLDP (IEEE 802.1AB),
//! CDP (Cisco Discovery Protocol v1/v2) and PROFINET DCP (IEC 61158-6-10 §4.3).
//!
//! Every parser reads a length header first and parses the body on that slice only. A
//! truncated or inconsistent element ends the walk with an anomaly recorded in the result
//! (what was parsed before it is kept); unknown types and subtypes are kept raw. Element counts
//! are capped so that one frame costs bounded work.

use crate::decode::Mac;
use nom::IResult;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16, be_u32};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

type R<'a, T> = IResult<&'a [u8], T>;

/// TLVs walked per LLDP/CDP frame, blocks per DCP frame.
pub const MAX_ELEMENTS: usize = 64;
/// Management addresses kept per frame.
pub const MAX_ADDRS: usize = 8;
/// Anomalies kept per frame.
const MAX_ANOMALIES: usize = 8;

fn note(v: &mut Vec<&'static str>, kind: &'static str) {
    if v.len() < MAX_ANOMALIES && !v.contains(&kind) {
        v.push(kind);
    }
}

/// An address as IANA address family number + bytes (LLDP management address, chassis
/// network address), decoded when it is IPv4 or IPv6.
pub fn iana_addr(family: u8, b: &[u8]) -> Option<IpAddr> {
    match (family, b.len()) {
        (1, 4) => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        (2, 16) => {
            let mut o = [0u8; 16];
            o.copy_from_slice(b);
            Some(IpAddr::V6(Ipv6Addr::from(o)))
        }
        _ => None,
    }
}

fn mac6(b: &[u8]) -> Option<Mac> {
    (b.len() == 6).then(|| Mac::from_slice(b))
}

// ---------------------------------------------------------------------------------------------
// LLDP
// ---------------------------------------------------------------------------------------------

/// One LLDP TLV: 7-bit type, 9-bit length, value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LldpTlv<'a> {
    pub typ: u8,
    pub value: &'a [u8],
}

/// TLV header then `take(len)`.
pub fn lldp_tlv(i: &[u8]) -> R<'_, LldpTlv<'_>> {
    let (i, h) = be_u16(i)?;
    let (i, value) = take((h & 0x01FF) as usize)(i)?;
    Ok((
        i,
        LldpTlv {
            typ: (h >> 9) as u8,
            value,
        },
    ))
}

/// Chassis ID or Port ID: subtype + identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LldpId<'a> {
    pub subtype: u8,
    pub id: &'a [u8],
}

/// Management Address TLV (type 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MgmtAddr<'a> {
    /// IANA address family (1 IPv4, 2 IPv6, 6 IEEE 802 MAC).
    pub family: u8,
    pub addr: &'a [u8],
    /// 1 unknown, 2 ifIndex, 3 system port number.
    pub if_subtype: u8,
    pub if_number: u32,
    pub oid: &'a [u8],
}

impl MgmtAddr<'_> {
    pub fn ip(&self) -> Option<IpAddr> {
        iana_addr(self.family, self.addr)
    }
}

/// Management Address TLV body.
pub fn lldp_mgmt_addr(i: &[u8]) -> R<'_, MgmtAddr<'_>> {
    // address string length (covers the subtype byte and the address)
    let (i, slen) = be_u8(i)?;
    let (i, s) = take(slen as usize)(i)?;
    let (addr, family) = be_u8(s)?;
    let (i, if_subtype) = be_u8(i)?;
    let (i, if_number) = be_u32(i)?;
    let (i, olen) = be_u8(i)?;
    let (i, oid) = take(olen as usize)(i)?;
    Ok((
        i,
        MgmtAddr {
            family,
            addr,
            if_subtype,
            if_number,
            oid,
        },
    ))
}

/// Organisationally specific TLVs (type 127) that are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Org<'a> {
    /// IEEE 802.1 (00-80-C2) subtype 1.
    PortVlan(u16),
    /// IEEE 802.1 subtype 3.
    VlanName { vlan: u16, name: &'a [u8] },
    /// IEEE 802.3 (00-12-0F) subtype 1: auto-negotiation support/status, advertised
    /// capability, operational MAU type.
    MacPhy {
        autoneg: u8,
        advertised: u16,
        mau: u16,
    },
    /// IEEE 802.3 subtype 4.
    MaxFrameSize(u16),
    /// TIA LLDP-MED (00-12-BB) subtype 1: capabilities and device class.
    MedCapabilities { caps: u16, class: u8 },
    /// LLDP-MED inventory subtypes 5..=11 (hardware, firmware, software revision, serial,
    /// manufacturer, model, asset id).
    MedInventory { subtype: u8, value: &'a [u8] },
    /// PROFINET (00-0E-CF) subtype 1: measured delays (ns).
    PnDelay {
        rx_local: u32,
        rx_remote: u32,
        tx_local: u32,
        tx_remote: u32,
        cable: u32,
    },
    /// PROFINET subtype 2: RTClass2 / RTClass3 port status.
    PnPortStatus { rtc2: u16, rtc3: u16 },
    /// PROFINET subtype 3: alias (NameOfPort.NameOfStation).
    PnAlias(&'a [u8]),
    /// PROFINET subtype 4: MRP domain UUID and MRRT port status.
    PnMrpPortStatus { domain: [u8; 16], status: u16 },
    /// PROFINET subtype 5: the device's chassis MAC.
    PnChassisMac(Mac),
    /// PROFINET subtype 6: PTCP status (the sync master's MAC first).
    PnPtcpStatus { master: Mac },
    /// PROFINET subtype 7: MAU type extension.
    PnMauTypeExt(u16),
    /// Anything else (kept raw).
    Other {
        oui: [u8; 3],
        subtype: u8,
        info: &'a [u8],
    },
}

pub const OUI_8021: [u8; 3] = [0x00, 0x80, 0xC2];
pub const OUI_8023: [u8; 3] = [0x00, 0x12, 0x0F];
pub const OUI_MED: [u8; 3] = [0x00, 0x12, 0xBB];
pub const OUI_PROFINET: [u8; 3] = [0x00, 0x0E, 0xCF];

fn org_known<'a>(oui: [u8; 3], subtype: u8, b: &'a [u8]) -> R<'a, Org<'a>> {
    Ok(match (oui, subtype) {
        (OUI_8021, 1) => {
            let (b, v) = be_u16(b)?;
            (b, Org::PortVlan(v))
        }
        (OUI_8021, 3) => {
            let (b, vlan) = be_u16(b)?;
            let (b, n) = be_u8(b)?;
            let (b, name) = take(n as usize)(b)?;
            (b, Org::VlanName { vlan, name })
        }
        (OUI_8023, 1) => {
            let (b, autoneg) = be_u8(b)?;
            let (b, advertised) = be_u16(b)?;
            let (b, mau) = be_u16(b)?;
            (
                b,
                Org::MacPhy {
                    autoneg,
                    advertised,
                    mau,
                },
            )
        }
        (OUI_8023, 4) => {
            let (b, v) = be_u16(b)?;
            (b, Org::MaxFrameSize(v))
        }
        (OUI_MED, 1) => {
            let (b, caps) = be_u16(b)?;
            let (b, class) = be_u8(b)?;
            (b, Org::MedCapabilities { caps, class })
        }
        (OUI_MED, 5..=11) => (&b[b.len()..], Org::MedInventory { subtype, value: b }),
        (OUI_PROFINET, 1) => {
            let (b, rx_local) = be_u32(b)?;
            let (b, rx_remote) = be_u32(b)?;
            let (b, tx_local) = be_u32(b)?;
            let (b, tx_remote) = be_u32(b)?;
            let (b, cable) = be_u32(b)?;
            (
                b,
                Org::PnDelay {
                    rx_local,
                    rx_remote,
                    tx_local,
                    tx_remote,
                    cable,
                },
            )
        }
        (OUI_PROFINET, 2) => {
            let (b, rtc2) = be_u16(b)?;
            let (b, rtc3) = be_u16(b)?;
            (b, Org::PnPortStatus { rtc2, rtc3 })
        }
        (OUI_PROFINET, 3) => (&b[b.len()..], Org::PnAlias(b)),
        (OUI_PROFINET, 4) => {
            let (b, d) = take(16usize)(b)?;
            let (b, status) = be_u16(b)?;
            let mut domain = [0u8; 16];
            domain.copy_from_slice(d);
            (b, Org::PnMrpPortStatus { domain, status })
        }
        (OUI_PROFINET, 5) => {
            let (b, m) = take(6usize)(b)?;
            (b, Org::PnChassisMac(Mac::from_slice(m)))
        }
        (OUI_PROFINET, 6) => {
            let (b, m) = take(6usize)(b)?;
            (
                b,
                Org::PnPtcpStatus {
                    master: Mac::from_slice(m),
                },
            )
        }
        (OUI_PROFINET, 7) => {
            let (b, v) = be_u16(b)?;
            (b, Org::PnMauTypeExt(v))
        }
        _ => (
            &b[b.len()..],
            Org::Other {
                oui,
                subtype,
                info: b,
            },
        ),
    })
}

/// Organisationally specific TLV body: OUI, subtype, information. A body too short for its
/// known subtype is returned as `Other` and flagged by the caller.
pub fn lldp_org(i: &[u8]) -> R<'_, (Org<'_>, bool)> {
    let (i, o) = take(3usize)(i)?;
    let (i, subtype) = be_u8(i)?;
    let oui = [o[0], o[1], o[2]];
    match org_known(oui, subtype, i) {
        Ok((_, org)) => Ok((&i[i.len()..], (org, true))),
        Err(_) => Ok((
            &i[i.len()..],
            (
                Org::Other {
                    oui,
                    subtype,
                    info: i,
                },
                false,
            ),
        )),
    }
}

/// A decoded LLDPDU.
#[derive(Debug, Clone, Default)]
pub struct Lldp<'a> {
    pub chassis: Option<LldpId<'a>>,
    pub port: Option<LldpId<'a>>,
    pub ttl: Option<u16>,
    pub port_desc: Option<&'a [u8]>,
    pub sys_name: Option<&'a [u8]>,
    pub sys_desc: Option<&'a [u8]>,
    /// (supported, enabled) capability bits.
    pub caps: Option<(u16, u16)>,
    pub mgmt: Vec<MgmtAddr<'a>>,
    pub org: Vec<Org<'a>>,
    /// The End TLV was seen.
    pub end: bool,
    pub anomalies: Vec<&'static str>,
}

impl<'a> Lldp<'a> {
    /// The chassis MAC when the chassis ID subtype is "MAC address" (4).
    pub fn chassis_mac(&self) -> Option<Mac> {
        self.chassis
            .filter(|c| c.subtype == 4)
            .and_then(|c| mac6(c.id))
    }

    /// The chassis IP when the chassis ID subtype is "network address" (5).
    pub fn chassis_ip(&self) -> Option<IpAddr> {
        let c = self.chassis.filter(|c| c.subtype == 5)?;
        let (&fam, addr) = c.id.split_first()?;
        iana_addr(fam, addr)
    }
}

/// Walk an LLDPDU (the bytes after ethertype 0x88CC, Ethernet padding included) up to the End
/// TLV. Fails only when not even one TLV header is there.
pub fn parse_lldp(input: &[u8]) -> R<'_, Lldp<'_>> {
    let mut l = Lldp::default();
    let (mut i, first) = lldp_tlv(input)?;
    let mut tlv = Some(first);
    let mut n = 0usize;
    while let Some(t) = tlv {
        n += 1;
        // The three mandatory TLVs come first, in this order.
        let expect = match n {
            1 => Some(1),
            2 => Some(2),
            3 => Some(3),
            _ => None,
        };
        if let Some(e) = expect {
            if t.typ != e {
                note(&mut l.anomalies, "lldp_mandatory_tlv_missing");
            }
        }
        match t.typ {
            0 => {
                l.end = true;
                break;
            }
            1 | 2 => match t.value.split_first() {
                Some((&subtype, id)) if !id.is_empty() => {
                    let v = Some(LldpId { subtype, id });
                    if t.typ == 1 {
                        l.chassis = l.chassis.or(v);
                    } else {
                        l.port = l.port.or(v);
                    }
                }
                _ => note(&mut l.anomalies, "lldp_bad_id_tlv"),
            },
            3 => match be_u16::<_, nom::error::Error<&[u8]>>(t.value) {
                Ok((_, ttl)) => l.ttl = l.ttl.or(Some(ttl)),
                Err(_) => note(&mut l.anomalies, "lldp_bad_ttl_tlv"),
            },
            4 => l.port_desc = l.port_desc.or(Some(t.value)),
            5 => l.sys_name = l.sys_name.or(Some(t.value)),
            6 => l.sys_desc = l.sys_desc.or(Some(t.value)),
            7 => {
                if t.value.len() == 4 {
                    let s = u16::from_be_bytes([t.value[0], t.value[1]]);
                    let e = u16::from_be_bytes([t.value[2], t.value[3]]);
                    l.caps = Some((s, e));
                } else {
                    note(&mut l.anomalies, "lldp_bad_capabilities_tlv");
                }
            }
            8 => match lldp_mgmt_addr(t.value) {
                Ok((_, m)) => {
                    if l.mgmt.len() < MAX_ADDRS {
                        l.mgmt.push(m);
                    }
                }
                Err(_) => note(&mut l.anomalies, "lldp_bad_mgmt_addr_tlv"),
            },
            127 => match lldp_org(t.value) {
                Ok((_, (org, ok))) => {
                    if !ok {
                        note(&mut l.anomalies, "lldp_bad_org_tlv");
                    }
                    if l.org.len() < MAX_ELEMENTS {
                        l.org.push(org);
                    }
                }
                Err(_) => note(&mut l.anomalies, "lldp_bad_org_tlv"),
            },
            _ => {}
        }
        if n >= MAX_ELEMENTS {
            note(&mut l.anomalies, "lldp_too_many_tlvs");
            break;
        }
        if i.is_empty() {
            break;
        }
        match lldp_tlv(i) {
            Ok((rest, t)) => {
                i = rest;
                tlv = Some(t);
            }
            Err(_) => {
                note(&mut l.anomalies, "lldp_tlv_truncated");
                tlv = None;
            }
        }
    }
    if !l.end && !l.anomalies.contains(&"lldp_tlv_truncated") {
        note(&mut l.anomalies, "lldp_no_end_tlv");
    }
    Ok((i, l))
}

// ---------------------------------------------------------------------------------------------
// CDP
// ---------------------------------------------------------------------------------------------

/// One CDP TLV: type, length (including the 4-byte header), value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CdpTlv<'a> {
    pub typ: u16,
    pub value: &'a [u8],
}

/// TLV header then `take(len - 4)`; a length below 4 is an error.
pub fn cdp_tlv(i: &[u8]) -> R<'_, CdpTlv<'_>> {
    let (i, typ) = be_u16(i)?;
    let (i, len) = be_u16(i)?;
    let Some(body) = (len as usize).checked_sub(4) else {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::LengthValue,
        )));
    };
    let (i, value) = take(body)(i)?;
    Ok((i, CdpTlv { typ, value }))
}

/// CDP address list (Addresses 0x0002, Management Addresses 0x0016): count, then per address
/// protocol type (1 NLPID, 2 802.2), protocol length, protocol, address length, address.
/// IPv4 (NLPID 0xCC) and IPv6 (802.2 SNAP ..86DD) are decoded; others are skipped.
pub fn cdp_addresses(i: &[u8]) -> R<'_, Vec<IpAddr>> {
    let (mut i, count) = be_u32(i)?;
    let mut out = Vec::new();
    for _ in 0..count.min(MAX_ADDRS as u32) {
        let (r, ptype) = be_u8(i)?;
        let (r, plen) = be_u8(r)?;
        let (r, proto) = take(plen as usize)(r)?;
        let (r, alen) = be_u16(r)?;
        let (r, addr) = take(alen as usize)(r)?;
        i = r;
        let ip = match (ptype, proto, addr.len()) {
            (1, [0xCC], 4) => Some(IpAddr::V4(Ipv4Addr::new(
                addr[0], addr[1], addr[2], addr[3],
            ))),
            (2, [.., 0x86, 0xDD], 16) => iana_addr(2, addr),
            _ => None,
        };
        if let Some(ip) = ip {
            out.push(ip);
        }
    }
    Ok((i, out))
}

/// A decoded CDP PDU.
#[derive(Debug, Clone, Default)]
pub struct Cdp<'a> {
    pub version: u8,
    pub ttl: u8,
    pub checksum: u16,
    pub checksum_ok: bool,
    pub device_id: Option<&'a [u8]>,
    pub addresses: Vec<IpAddr>,
    pub port_id: Option<&'a [u8]>,
    pub capabilities: Option<u32>,
    pub software: Option<&'a [u8]>,
    pub platform: Option<&'a [u8]>,
    pub vtp_domain: Option<&'a [u8]>,
    pub native_vlan: Option<u16>,
    /// 0 half, 1 full.
    pub duplex: Option<u8>,
    pub mgmt_addresses: Vec<IpAddr>,
    pub sys_name: Option<&'a [u8]>,
    pub anomalies: Vec<&'static str>,
}

/// CDP checksum check over the whole PDU (checksum field included). CDP computes the
/// Internet checksum as if on a big-endian machine: an odd trailing byte `b` is added as the
/// word `0x00bb`, and Cisco's code adds it as a signed value with an off-by-one that is
/// compensated as `0xFF, b - 1` when `b >= 0x80` (the same rule Wireshark applies).
pub fn cdp_checksum_ok(pdu: &[u8]) -> bool {
    let mut sum: u32 = 0;
    let mut it = pdu.chunks_exact(2);
    for c in &mut it {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = it.remainder() {
        let w = if b & 0x80 != 0 {
            u16::from_be_bytes([0xFF, b.wrapping_sub(1)])
        } else {
            u16::from(*b)
        };
        sum += u32::from(w);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    sum == 0xFFFF
}

/// Parse a CDP PDU (the bytes after the SNAP header). Trailing zero bytes (Ethernet padding)
/// end the walk quietly.
pub fn parse_cdp(input: &[u8]) -> R<'_, Cdp<'_>> {
    let (mut i, version) = be_u8(input)?;
    let (i2, ttl) = be_u8(i)?;
    let (i2, checksum) = be_u16(i2)?;
    i = i2;
    let mut c = Cdp {
        version,
        ttl,
        checksum,
        ..Default::default()
    };
    if !(1..=2).contains(&version) {
        note(&mut c.anomalies, "cdp_unknown_version");
    }
    let mut n = 0usize;
    let mut end = input.len();
    while !i.is_empty() {
        // Ethernet padding (zeros) or a short trailer ends the PDU.
        if i.len() < 4 || i.iter().all(|&b| b == 0) {
            end = input.len() - i.len();
            break;
        }
        n += 1;
        if n > MAX_ELEMENTS {
            note(&mut c.anomalies, "cdp_too_many_tlvs");
            break;
        }
        let (rest, t) = match cdp_tlv(i) {
            Ok(x) => x,
            Err(_) => {
                note(&mut c.anomalies, "cdp_tlv_truncated");
                end = input.len() - i.len();
                break;
            }
        };
        i = rest;
        let v = t.value;
        match t.typ {
            0x0001 => c.device_id = c.device_id.or(Some(v)),
            0x0002 | 0x0016 => match cdp_addresses(v) {
                Ok((_, ips)) => {
                    let dst = if t.typ == 2 {
                        &mut c.addresses
                    } else {
                        &mut c.mgmt_addresses
                    };
                    for ip in ips {
                        if dst.len() < MAX_ADDRS && !dst.contains(&ip) {
                            dst.push(ip);
                        }
                    }
                }
                Err(_) => note(&mut c.anomalies, "cdp_bad_address_tlv"),
            },
            0x0003 => c.port_id = c.port_id.or(Some(v)),
            0x0004 => match be_u32::<_, nom::error::Error<&[u8]>>(v) {
                Ok((_, caps)) => c.capabilities = Some(caps),
                Err(_) => note(&mut c.anomalies, "cdp_bad_capabilities_tlv"),
            },
            0x0005 => c.software = c.software.or(Some(v)),
            0x0006 => c.platform = c.platform.or(Some(v)),
            0x0009 => c.vtp_domain = c.vtp_domain.or(Some(v)),
            0x000A => match be_u16::<_, nom::error::Error<&[u8]>>(v) {
                Ok((_, vl)) => c.native_vlan = Some(vl),
                Err(_) => note(&mut c.anomalies, "cdp_bad_native_vlan_tlv"),
            },
            0x000B => match v.first() {
                Some(&d) => c.duplex = Some(d),
                None => note(&mut c.anomalies, "cdp_bad_duplex_tlv"),
            },
            0x0014 => c.sys_name = c.sys_name.or(Some(v)),
            _ => {}
        }
    }
    // The checksum covers the PDU (without trailing padding).
    let pdu = &input[..end.min(input.len())];
    c.checksum_ok = cdp_checksum_ok(pdu);
    if !c.checksum_ok {
        note(&mut c.anomalies, "cdp_bad_checksum");
    }
    Ok((i, c))
}

// ---------------------------------------------------------------------------------------------
// PROFINET DCP
// ---------------------------------------------------------------------------------------------

pub const FRAME_ID_HELLO: u16 = 0xFEFC;
pub const FRAME_ID_GET_SET: u16 = 0xFEFD;
pub const FRAME_ID_IDENT_REQ: u16 = 0xFEFE;
pub const FRAME_ID_IDENT_RES: u16 = 0xFEFF;

pub const SVC_GET: u8 = 3;
pub const SVC_SET: u8 = 4;
pub const SVC_IDENTIFY: u8 = 5;
pub const SVC_HELLO: u8 = 6;

/// DCP header (after the FrameID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcpHeader {
    pub service_id: u8,
    /// 0 request, 1 response success, 5 response "request not supported".
    pub service_type: u8,
    pub xid: u32,
    /// ResponseDelay in Identify requests, reserved otherwise.
    pub response_delay: u16,
    pub data_length: u16,
}

impl DcpHeader {
    pub fn is_response(&self) -> bool {
        self.service_type & 1 == 1
    }
    /// Blocks carry a 2-byte BlockInfo (Identify and Get responses, Hello requests).
    pub fn has_block_info(&self) -> bool {
        (matches!(self.service_id, SVC_IDENTIFY | SVC_GET) && self.is_response())
            || (self.service_id == SVC_HELLO && !self.is_response())
    }
    /// Blocks carry a 2-byte BlockQualifier (Set requests).
    pub fn has_block_qualifier(&self) -> bool {
        self.service_id == SVC_SET && !self.is_response()
    }
}

pub fn dcp_header(i: &[u8]) -> R<'_, DcpHeader> {
    let (i, service_id) = be_u8(i)?;
    let (i, service_type) = be_u8(i)?;
    let (i, xid) = be_u32(i)?;
    let (i, response_delay) = be_u16(i)?;
    let (i, data_length) = be_u16(i)?;
    Ok((
        i,
        DcpHeader {
            service_id,
            service_type,
            xid,
            response_delay,
            data_length,
        },
    ))
}

/// The value of a DCP block, decoded for the options otscope reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcpValue<'a> {
    /// 1/1 MAC address.
    Mac(Mac),
    /// 1/2 IP parameter.
    IpParam {
        ip: Ipv4Addr,
        mask: Ipv4Addr,
        gateway: Ipv4Addr,
    },
    /// 1/3 full IP suite (IP parameter and up to four DNS servers).
    FullIpSuite {
        ip: Ipv4Addr,
        mask: Ipv4Addr,
        gateway: Ipv4Addr,
        dns: [Ipv4Addr; 4],
    },
    /// 2/1 manufacturer specific "type of station" (DeviceVendorValue).
    TypeOfStation(&'a [u8]),
    /// 2/2 NameOfStation.
    NameOfStation(&'a [u8]),
    /// 2/3 DeviceID.
    DeviceId { vendor: u16, device: u16 },
    /// 2/4 DeviceRole bits.
    DeviceRole(u8),
    /// 2/5 DeviceOptions: the (option, suboption) pairs the device supports.
    DeviceOptions(&'a [u8]),
    /// 2/6 AliasName.
    AliasName(&'a [u8]),
    /// 2/7 DeviceInstance.
    DeviceInstance { high: u8, low: u8 },
    /// 2/8 OEM DeviceID.
    OemDeviceId { vendor: u16, device: u16 },
    /// 3/x DHCP parameter (suboption = DHCP option code).
    Dhcp(&'a [u8]),
    /// 5/x control (start/end transaction, signal, response, factory reset).
    Control(&'a [u8]),
    /// 6/1 DeviceInitiative value.
    DeviceInitiative(u16),
    /// 255/255 all selector.
    All,
    /// Anything else, or a body too short for its suboption.
    Raw(&'a [u8]),
}

/// One DCP block: option, suboption, BlockInfo or BlockQualifier when the service carries one,
/// and the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcpBlock<'a> {
    pub option: u8,
    pub suboption: u8,
    /// BlockInfo (responses, Hello) or BlockQualifier (Set requests).
    pub info: Option<u16>,
    pub value: DcpValue<'a>,
    /// The body was shorter than its suboption needs (value is `Raw`).
    pub short: bool,
}

fn ip4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn dcp_value(option: u8, suboption: u8, b: &[u8]) -> (DcpValue<'_>, bool) {
    let u16at =
        |o: usize| -> Option<u16> { Some(u16::from_be_bytes([*b.get(o)?, *b.get(o + 1)?])) };
    let v = match (option, suboption) {
        (1, 1) => mac6(b.get(..6).unwrap_or(&[])).map(DcpValue::Mac),
        (1, 2) if b.len() >= 12 => Some(DcpValue::IpParam {
            ip: ip4(&b[0..4]),
            mask: ip4(&b[4..8]),
            gateway: ip4(&b[8..12]),
        }),
        (1, 3) if b.len() >= 28 => Some(DcpValue::FullIpSuite {
            ip: ip4(&b[0..4]),
            mask: ip4(&b[4..8]),
            gateway: ip4(&b[8..12]),
            dns: [
                ip4(&b[12..16]),
                ip4(&b[16..20]),
                ip4(&b[20..24]),
                ip4(&b[24..28]),
            ],
        }),
        (2, 1) => Some(DcpValue::TypeOfStation(b)),
        (2, 2) => Some(DcpValue::NameOfStation(b)),
        (2, 3) => u16at(0)
            .zip(u16at(2))
            .map(|(vendor, device)| DcpValue::DeviceId { vendor, device }),
        (2, 4) => b.first().map(|&r| DcpValue::DeviceRole(r)),
        (2, 5) => Some(DcpValue::DeviceOptions(b)),
        (2, 6) => Some(DcpValue::AliasName(b)),
        (2, 7) if b.len() >= 2 => Some(DcpValue::DeviceInstance {
            high: b[0],
            low: b[1],
        }),
        (2, 8) => u16at(0)
            .zip(u16at(2))
            .map(|(vendor, device)| DcpValue::OemDeviceId { vendor, device }),
        (3, _) => Some(DcpValue::Dhcp(b)),
        (5, _) => Some(DcpValue::Control(b)),
        (6, 1) => u16at(0).map(DcpValue::DeviceInitiative),
        (255, 255) => Some(DcpValue::All),
        _ => return (DcpValue::Raw(b), false),
    };
    match v {
        Some(v) => (v, false),
        None => (DcpValue::Raw(b), true),
    }
}

/// One block: option, suboption, DCPBlockLength, then the body on `take(len)`; the padding
/// byte that keeps blocks at even offsets is consumed when present.
pub fn dcp_block(h: &DcpHeader) -> impl Fn(&[u8]) -> R<'_, DcpBlock<'_>> + '_ {
    move |i: &[u8]| {
        let (i, option) = be_u8(i)?;
        let (i, suboption) = be_u8(i)?;
        let (i, len) = be_u16(i)?;
        let (mut i, body) = take(len as usize)(i)?;
        if len % 2 == 1 && !i.is_empty() {
            i = &i[1..];
        }
        // Filter blocks of Identify requests and Set blocks carry no BlockInfo.
        let with_info = h.has_block_info() || h.has_block_qualifier();
        let (body, info) = if with_info && !(option == 255 && suboption == 255) {
            match be_u16::<_, nom::error::Error<&[u8]>>(body) {
                Ok((b, x)) => (b, Some(x)),
                Err(_) => (body, None),
            }
        } else {
            (body, None)
        };
        let (value, short) = dcp_value(option, suboption, body);
        Ok((
            i,
            DcpBlock {
                option,
                suboption,
                info,
                value,
                short: short || (with_info && info.is_none() && option != 255),
            },
        ))
    }
}

/// A decoded DCP PDU.
#[derive(Debug, Clone)]
pub struct Dcp<'a> {
    pub frame_id: u16,
    pub header: DcpHeader,
    /// Blocks (for a Get request: none, see `selectors`).
    pub blocks: Vec<DcpBlock<'a>>,
    /// Get request: the (option, suboption) pairs asked for.
    pub selectors: Vec<(u8, u8)>,
    pub anomalies: Vec<&'static str>,
}

/// Is this PROFINET frame a DCP frame (FrameID 0xFEFC..=0xFEFF)? Cheap check on the first two
/// bytes, for the hot path of cyclic real-time frames.
#[inline]
pub fn is_dcp(b: &[u8]) -> bool {
    matches!(b, [0xFE, 0xFC..=0xFF, ..])
}

/// Parse a DCP PDU (the bytes after ethertype 0x8892, FrameID first). Fails when the frame is
/// not DCP or the header is truncated.
pub fn parse_dcp(input: &[u8]) -> R<'_, Dcp<'_>> {
    let (i, frame_id) = be_u16(input)?;
    if !(FRAME_ID_HELLO..=FRAME_ID_IDENT_RES).contains(&frame_id) {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Tag,
        )));
    }
    let (i, header) = dcp_header(i)?;
    let mut d = Dcp {
        frame_id,
        header,
        blocks: Vec::new(),
        selectors: Vec::new(),
        anomalies: Vec::new(),
    };
    let consistent = match frame_id {
        FRAME_ID_IDENT_REQ => header.service_id == SVC_IDENTIFY && !header.is_response(),
        FRAME_ID_IDENT_RES => header.service_id == SVC_IDENTIFY && header.is_response(),
        FRAME_ID_HELLO => header.service_id == SVC_HELLO,
        _ => matches!(header.service_id, SVC_GET | SVC_SET),
    };
    if !consistent {
        note(&mut d.anomalies, "dcp_frame_id_service_mismatch");
    }
    let data = if (header.data_length as usize) <= i.len() {
        &i[..header.data_length as usize]
    } else {
        note(&mut d.anomalies, "dcp_data_length_exceeds_frame");
        i
    };
    let rest = &i[data.len()..];
    if header.service_id == SVC_GET && !header.is_response() {
        for p in data.chunks(2).take(MAX_ELEMENTS) {
            match p {
                [o, s] => d.selectors.push((*o, *s)),
                _ => note(&mut d.anomalies, "dcp_block_truncated"),
            }
        }
        return Ok((rest, d));
    }
    let block = dcp_block(&header);
    let mut b = data;
    while !b.is_empty() {
        if d.blocks.len() >= MAX_ELEMENTS {
            note(&mut d.anomalies, "dcp_too_many_blocks");
            break;
        }
        match block(b) {
            Ok((r, blk)) => {
                if blk.short {
                    note(&mut d.anomalies, "dcp_block_too_short");
                }
                d.blocks.push(blk);
                b = r;
            }
            Err(_) => {
                note(&mut d.anomalies, "dcp_block_truncated");
                break;
            }
        }
    }
    Ok((rest, d))
}
