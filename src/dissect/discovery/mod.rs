//! Layer-2 discovery protocols: LLDP (ethertype 0x88CC), CDP (LLC/SNAP 00000C/2000) and
//! PROFINET DCP (ethertype 0x8892, FrameIDs 0xFEFC..=0xFEFF).
//!
//! These frames carry what a device says about itself (names, models, firmware, management
//! addresses, roles) and bind MAC addresses to IP addresses. The engine calls [`frame`] for
//! every LLDP, CDP and PROFINET frame; cyclic PROFINET real-time frames are rejected on their
//! FrameID without further work. Observations are about MACs (the frame's source MAC, the
//! chassis MAC) and about the IPs the frame announces (management addresses, the DCP IP
//! block); the flow endpoints of the `Cx` are `0.0.0.0` (there is no IP flow).
//!
//! ## Claims (`field` — source, confidence)
//! * LLDP, on the source MAC, the chassis MAC (subtype MAC or PROFINET chassis MAC TLV) and
//!   every management IP: `hostname` and `lldp.system_name` (System Name, 80),
//!   `lldp.system_description` (75), `lldp.chassis_id` (70), `name` (PROFINET device whose
//!   locally assigned chassis ID is its NameOfStation, 70), LLDP-MED inventory:
//!   `hardware_version`, `firmware`, `lldp.software_revision`, `serial`, `vendor`, `model`,
//!   `lldp.asset_id` (80). Source `lldp` / `lldp.med_inventory`.
//! * CDP, on the source MAC and every announced address: `hostname` and `cdp.device_id` (80),
//!   `cdp.system_name` (80), `cdp.software_version` (80), `firmware` (the token after
//!   "Version ", 75), `cdp.platform` and `model` (the platform without a leading "cisco ", 85),
//!   `vendor` = "Cisco" when the platform or software names Cisco (70). Source `cdp`.
//! * PROFINET DCP Identify response, Hello, Get response, on the source MAC and the IP of the
//!   IP block: `name` and `profinet.station_name` (90), `model` (80) and
//!   `profinet.type_of_station` (90), `profinet.vendor_id` / `profinet.device_id` (hex, 90),
//!   `vendor` for known VendorIDs (80), `profinet.oem_vendor_id` / `profinet.oem_device_id`
//!   (90), `profinet.alias_name` (80). Source `profinet.dcp_identify`, `profinet.dcp_hello`,
//!   `profinet.dcp_get`. A DCP Set of NameOfStation claims `profinet.station_name` on the
//!   target MAC (`profinet.dcp_set`, 60).
//!
//! ## Facts (`key` = value)
//! * `lldp.neighbor` = "port <port id> sys <system name>" (bounded)
//! * `lldp.port_id`, `lldp.port_description`: the sending port
//! * `lldp.capabilities` / `lldp.capabilities_supported` = enabled / supported capabilities,
//!   e.g. "bridge,router"
//! * `lldp.mgmt_address` (on MACs) = announced management IP; `lldp.mgmt_mac` (on IPs) = the
//!   chassis MAC (else the source MAC) that announced it
//! * `lldp.port_vlan`, `lldp.vlan_name` = "<id> <name>", `lldp.mau_type`,
//!   `lldp.max_frame_size`, `lldp.med_class`
//! * `lldp.profinet` = PROFINET TLV subtypes present (e.g. "port_status,chassis_mac"),
//!   `lldp.profinet_chassis_mac`, `lldp.profinet_alias`, `lldp.profinet_mrp_domain`,
//!   `lldp.ptcp_master`, `lldp.profinet_port_status` = "rtc2=0x0000 rtc3=0x0000"
//! * `cdp.capabilities` (e.g. "switch,igmp"), `cdp.port_id`, `cdp.native_vlan`,
//!   `cdp.vtp_domain`, `cdp.duplex` ("full"/"half"), `cdp.neighbor` = "port <id> dev <id>",
//!   `cdp.mgmt_address` (on the MAC), `cdp.mgmt_mac` (on the IPs)
//! * `profinet.identify_request` (on the sender: engineering tools and controllers browse with
//!   it) = the filter: "all", "name_of_station=<name>", ...
//! * `profinet.ip`, `profinet.netmask`, `profinet.gateway` (on the MAC) from the IP block;
//!   `profinet.mac` (on the IP); `profinet.ip_state` = "ip_set" / "ip_set_by_dhcp" /
//!   "ip_not_set" / "ip_conflict"
//! * `profinet.role` = "io_device" / "io_controller" / "io_multidevice" / "io_supervisor"
//!   (one fact per DeviceRole bit)
//! * `profinet.device_options` = supported options (bounded list), `profinet.device_instance`
//!   = "high.low", `profinet.device_initiative` = "hello_after_power_on" / "no_hello",
//!   `profinet.dhcp` = DHCP option numbers configured
//! * `profinet.set_request` (on the requester) = "<what> to <target MAC>",
//!   `profinet.set_received` (on the target) = "<what> from <requester MAC>": what is one of
//!   `name_of_station=<name>`, `ip=<ip>/<mask> gw <gw>`, `signal`, `factory_reset`,
//!   `reset_to_factory`, or an option name; `profinet.set_result` (on the responder) =
//!   "<option>: <error code>"
//! * `profinet.get_request` (on the requester) = "<options> to <target MAC>"
//!
//! ## Anomalies
//! `lldp_truncated`, `lldp_tlv_truncated`, `lldp_mandatory_tlv_missing`, `lldp_no_end_tlv`,
//! `lldp_bad_*_tlv`, `lldp_too_many_tlvs`; `cdp_truncated`, `cdp_tlv_truncated`,
//! `cdp_bad_checksum`, `cdp_unknown_version`, `cdp_bad_*_tlv`, `cdp_too_many_tlvs`;
//! `dcp_truncated`, `dcp_frame_id_service_mismatch`, `dcp_data_length_exceeds_frame`,
//! `dcp_block_truncated`, `dcp_block_too_short`, `dcp_too_many_blocks`.

pub mod codes;
pub mod parser;
#[cfg(test)]
mod tests;

use crate::config::Limits;
use crate::decode::{L2, Mac, Net};
use crate::dissect::Cx;
use crate::dissect::text::device_string;
use crate::evidence::Ev;
use crate::inventory::observation::{Store, Subject, Transport};
use parser::{DcpValue, Org};
use std::net::{IpAddr, Ipv4Addr};

/// IPs announced per frame that get claims.
const MAX_SUBJECT_IPS: usize = 4;
/// Longest piece of text put in a composed fact value.
const MAX_PART: usize = 64;

/// Entry point from the engine: an LLDP, CDP or PROFINET frame. Anything else is ignored.
pub fn frame(net: &Net<'_>, l2: &L2, ev: Ev, limits: &Limits, store: &mut Store) {
    let (proto, data) = match *net {
        Net::Lldp(b) => ("lldp", b),
        Net::Cdp(b) => ("cdp", b),
        // Cyclic real-time and alarm frames: not DCP, nothing to learn here.
        Net::Profinet(b) if parser::is_dcp(b) => ("profinet_dcp", b),
        _ => return,
    };
    let none = (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
    let mut expectations = Vec::new();
    let mut cx = Cx::new(
        none,
        none,
        Transport::L2,
        proto,
        ev,
        limits,
        store,
        &mut expectations,
    );
    match proto {
        "lldp" => lldp(data, l2, &mut cx),
        "cdp" => cdp(data, l2, &mut cx),
        _ => dcp(data, l2, &mut cx),
    }
}

/// An address that denotes one host (worth an identity claim).
fn host_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            !(v.is_unspecified() || v.is_loopback() || v.is_multicast() || v.is_broadcast())
        }
        IpAddr::V6(v) => !(v.is_unspecified() || v.is_loopback() || v.is_multicast()),
    }
}

/// A MAC worth a claim (a unicast, non-zero address).
fn host_mac(m: Mac) -> bool {
    !m.is_zero() && !m.is_multicast()
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn short(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

/// "port <port> <label> <name>", each part bounded; parts that are empty are left out.
fn neighbor(port: &str, label: &str, name: &str) -> String {
    let mut v = String::new();
    if !port.is_empty() {
        v.push_str("port ");
        v.push_str(short(port, MAX_PART));
    }
    if !name.is_empty() {
        if !v.is_empty() {
            v.push(' ');
        }
        v.push_str(label);
        v.push(' ');
        v.push_str(short(name, MAX_PART));
    }
    v
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The subjects one frame speaks about.
struct Subjects {
    all: Vec<Subject>,
}

impl Subjects {
    fn new(macs: &[Mac], ips: &[IpAddr]) -> Subjects {
        let mut all = Vec::new();
        for &m in macs {
            if host_mac(m) {
                push_unique(&mut all, Subject::Mac(m));
            }
        }
        for &ip in ips.iter().take(MAX_SUBJECT_IPS) {
            if host_ip(ip) {
                push_unique(&mut all, Subject::Ip(ip));
            }
        }
        Subjects { all }
    }

    fn claim(&self, cx: &mut Cx<'_>, field: &'static str, v: &str, src: &'static str, c: u8) {
        for &s in &self.all {
            cx.claim_for(s, field, v, src, c);
        }
    }

    fn fact(&self, cx: &mut Cx<'_>, key: &'static str, v: &str) {
        if v.is_empty() {
            return;
        }
        for &s in &self.all {
            cx.fact_for(s, key, v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// LLDP
// ---------------------------------------------------------------------------------------------

/// An LLDP Chassis/Port ID as text.
fn lldp_id_text(id: &parser::LldpId<'_>, mac_subtype: u8, net_subtype: u8) -> String {
    if id.subtype == mac_subtype && id.id.len() == 6 {
        return Mac::from_slice(id.id).to_string();
    }
    if id.subtype == net_subtype {
        if let Some((&fam, a)) = id.id.split_first() {
            if let Some(ip) = parser::iana_addr(fam, a) {
                return ip.to_string();
            }
        }
    }
    device_string(id.id)
}

fn lldp(data: &[u8], l2: &L2, cx: &mut Cx<'_>) {
    let l = match parser::parse_lldp(data) {
        Ok((_, l)) => l,
        Err(_) => {
            cx.anomaly("lldp_truncated");
            return;
        }
    };
    for &a in &l.anomalies {
        cx.anomaly(a);
    }
    let pn_chassis = l.org.iter().find_map(|o| match o {
        Org::PnChassisMac(m) => Some(*m),
        _ => None,
    });
    let chassis_mac = l.chassis_mac();
    let mut macs = Vec::new();
    for m in [l2.src, chassis_mac, pn_chassis].into_iter().flatten() {
        push_unique(&mut macs, m);
    }
    let mut ips = Vec::new();
    for m in &l.mgmt {
        if let Some(ip) = m.ip() {
            push_unique(&mut ips, ip);
        }
    }
    if let Some(ip) = l.chassis_ip() {
        push_unique(&mut ips, ip);
    }
    let subj = Subjects::new(&macs, &ips);
    let owner = chassis_mac.or(pn_chassis).or(l2.src);

    let name = l.sys_name.map(device_string).unwrap_or_default();
    if !name.is_empty() {
        subj.claim(cx, "hostname", &name, "lldp", 80);
        subj.claim(cx, "lldp.system_name", &name, "lldp", 80);
    }
    if let Some(d) = l.sys_desc {
        subj.claim(cx, "lldp.system_description", &device_string(d), "lldp", 75);
    }
    if let Some(c) = &l.chassis {
        subj.claim(cx, "lldp.chassis_id", &lldp_id_text(c, 4, 5), "lldp", 70);
    }
    let port = l
        .port
        .as_ref()
        .map(|p| lldp_id_text(p, 3, 4))
        .unwrap_or_default();
    subj.fact(cx, "lldp.port_id", &port);
    if let Some(pd) = l.port_desc {
        subj.fact(cx, "lldp.port_description", &device_string(pd));
    }
    subj.fact(cx, "lldp.neighbor", &neighbor(&port, "sys", &name));
    if let Some((sup, en)) = l.caps {
        subj.fact(
            cx,
            "lldp.capabilities",
            &codes::bit_names(u32::from(en), &codes::LLDP_CAPS),
        );
        subj.fact(
            cx,
            "lldp.capabilities_supported",
            &codes::bit_names(u32::from(sup), &codes::LLDP_CAPS),
        );
    }
    // Bind management IPs to the chassis.
    for &ip in ips.iter().take(MAX_SUBJECT_IPS) {
        if !host_ip(ip) {
            continue;
        }
        for &m in &macs {
            if host_mac(m) {
                cx.fact_for(Subject::Mac(m), "lldp.mgmt_address", ip.to_string());
            }
        }
        if let Some(o) = owner {
            cx.fact_for(Subject::Ip(ip), "lldp.mgmt_mac", o.to_string());
        }
    }
    let mut pn_subtypes: Vec<&'static str> = Vec::new();
    for o in &l.org {
        match *o {
            Org::PortVlan(v) => subj.fact(cx, "lldp.port_vlan", &v.to_string()),
            Org::VlanName { vlan, name } => {
                let v = format!("{vlan} {}", short(&device_string(name), MAX_PART));
                subj.fact(cx, "lldp.vlan_name", &v);
            }
            Org::MacPhy { mau, .. } => {
                let v = codes::mau_type(mau).map_or_else(|| mau.to_string(), str::to_string);
                subj.fact(cx, "lldp.mau_type", &v);
            }
            Org::MaxFrameSize(n) => subj.fact(cx, "lldp.max_frame_size", &n.to_string()),
            Org::MedCapabilities { class, .. } => {
                subj.fact(cx, "lldp.med_class", codes::med_class(class))
            }
            Org::MedInventory { subtype, value } => {
                let field = match subtype {
                    5 => "hardware_version",
                    6 => "firmware",
                    7 => "lldp.software_revision",
                    8 => "serial",
                    9 => "vendor",
                    10 => "model",
                    _ => "lldp.asset_id",
                };
                subj.claim(cx, field, &device_string(value), "lldp.med_inventory", 80);
            }
            Org::PnDelay { .. } => push_unique(&mut pn_subtypes, "measured_delay"),
            Org::PnPortStatus { rtc2, rtc3 } => {
                push_unique(&mut pn_subtypes, "port_status");
                let v = format!("rtc2=0x{rtc2:04x} rtc3=0x{rtc3:04x}");
                subj.fact(cx, "lldp.profinet_port_status", &v);
            }
            Org::PnAlias(a) => {
                push_unique(&mut pn_subtypes, "alias");
                subj.fact(cx, "lldp.profinet_alias", &device_string(a));
            }
            Org::PnMrpPortStatus { domain, .. } => {
                push_unique(&mut pn_subtypes, "mrp_port_status");
                let mut s = String::with_capacity(32);
                for b in domain {
                    s.push_str(&format!("{b:02x}"));
                }
                subj.fact(cx, "lldp.profinet_mrp_domain", &s);
            }
            Org::PnChassisMac(m) => {
                push_unique(&mut pn_subtypes, "chassis_mac");
                subj.fact(cx, "lldp.profinet_chassis_mac", &m.to_string());
            }
            Org::PnPtcpStatus { master } => {
                push_unique(&mut pn_subtypes, "ptcp_status");
                subj.fact(cx, "lldp.ptcp_master", &master.to_string());
            }
            Org::PnMauTypeExt(_) => push_unique(&mut pn_subtypes, "mau_type_extension"),
            Org::Other { oui, subtype, .. } if oui == parser::OUI_PROFINET => {
                push_unique(&mut pn_subtypes, codes::profinet_lldp_subtype(subtype))
            }
            Org::Other { .. } => {}
        }
    }
    if !pn_subtypes.is_empty() {
        subj.fact(cx, "lldp.profinet", &pn_subtypes.join(","));
        // PROFINET devices send their NameOfStation as a locally assigned chassis ID.
        if let Some(c) = l.chassis.filter(|c| c.subtype == 7) {
            subj.claim(cx, "name", &device_string(c.id), "lldp", 70);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CDP
// ---------------------------------------------------------------------------------------------

/// The version token of a Cisco software string: what follows "Version " up to a comma or
/// whitespace ("Cisco IOS Software, ... Version 12.2(25)SEG4, RELEASE" gives "12.2(25)SEG4").
pub fn version_token(s: &str) -> Option<&str> {
    let at = s.find("Version ")?;
    let rest = &s[at + "Version ".len()..];
    let end = rest
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(rest.len());
    let v = &rest[..end];
    // A version starts with a digit and contains a dot.
    (v.starts_with(|c: char| c.is_ascii_digit()) && v.contains('.')).then_some(v)
}

fn cdp(data: &[u8], l2: &L2, cx: &mut Cx<'_>) {
    let c = match parser::parse_cdp(data) {
        Ok((_, c)) => c,
        Err(_) => {
            cx.anomaly("cdp_truncated");
            return;
        }
    };
    for &a in &c.anomalies {
        cx.anomaly(a);
    }
    let mut ips = c.addresses.clone();
    for &ip in &c.mgmt_addresses {
        push_unique(&mut ips, ip);
    }
    let macs: Vec<Mac> = l2.src.into_iter().collect();
    let subj = Subjects::new(&macs, &ips);
    let device = c.device_id.map(device_string).unwrap_or_default();
    if !device.is_empty() {
        subj.claim(cx, "hostname", &device, "cdp", 80);
        subj.claim(cx, "cdp.device_id", &device, "cdp", 80);
    }
    if let Some(n) = c.sys_name {
        subj.claim(cx, "cdp.system_name", &device_string(n), "cdp", 80);
    }
    let mut cisco = false;
    if let Some(sw) = c.software {
        let sw = device_string(sw);
        subj.claim(cx, "cdp.software_version", &sw, "cdp", 80);
        if let Some(v) = version_token(&sw) {
            subj.claim(cx, "firmware", v, "cdp", 75);
        }
        cisco |= sw.to_ascii_lowercase().contains("cisco");
    }
    if let Some(p) = c.platform {
        let p = device_string(p);
        subj.claim(cx, "cdp.platform", &p, "cdp", 85);
        let model = match p.get(..6) {
            Some(pre) if pre.eq_ignore_ascii_case("cisco ") => p[6..].trim(),
            _ => p.as_str(),
        };
        subj.claim(cx, "model", model, "cdp", 85);
        cisco |= p.to_ascii_lowercase().contains("cisco");
    }
    if cisco {
        subj.claim(cx, "vendor", "Cisco", "cdp", 70);
    }
    let port = c.port_id.map(device_string).unwrap_or_default();
    subj.fact(cx, "cdp.port_id", &port);
    subj.fact(cx, "cdp.neighbor", &neighbor(&port, "dev", &device));
    if let Some(caps) = c.capabilities {
        subj.fact(
            cx,
            "cdp.capabilities",
            &codes::bit_names(caps, &codes::CDP_CAPS),
        );
    }
    if let Some(v) = c.native_vlan {
        subj.fact(cx, "cdp.native_vlan", &v.to_string());
    }
    if let Some(d) = c.vtp_domain {
        subj.fact(cx, "cdp.vtp_domain", &device_string(d));
    }
    if let Some(d) = c.duplex {
        subj.fact(cx, "cdp.duplex", if d == 1 { "full" } else { "half" });
    }
    for &ip in ips.iter().take(MAX_SUBJECT_IPS).filter(|ip| host_ip(**ip)) {
        if let Some(m) = l2.src.filter(|m| host_mac(*m)) {
            cx.fact_for(Subject::Mac(m), "cdp.mgmt_address", ip.to_string());
            cx.fact_for(Subject::Ip(ip), "cdp.mgmt_mac", m.to_string());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PROFINET DCP
// ---------------------------------------------------------------------------------------------

fn dcp(data: &[u8], l2: &L2, cx: &mut Cx<'_>) {
    let d = match parser::parse_dcp(data) {
        Ok((_, d)) => d,
        Err(_) => {
            cx.anomaly("dcp_truncated");
            return;
        }
    };
    for &a in &d.anomalies {
        cx.anomaly(a);
    }
    let h = d.header;
    let src = l2.src.filter(|m| host_mac(*m));
    match (h.service_id, h.is_response()) {
        (parser::SVC_IDENTIFY, false) => {
            if let Some(s) = src {
                let filter = dcp_describe(&d.blocks);
                let v = if filter.is_empty() {
                    "all".to_string()
                } else {
                    filter
                };
                cx.fact_for(Subject::Mac(s), "profinet.identify_request", v);
            }
        }
        (parser::SVC_IDENTIFY, true) | (parser::SVC_GET, true) | (parser::SVC_HELLO, false) => {
            // "Request not supported" responses carry nothing about the device.
            if h.is_response() && h.service_type != 1 {
                return;
            }
            let source = match h.service_id {
                parser::SVC_IDENTIFY => "profinet.dcp_identify",
                parser::SVC_GET => "profinet.dcp_get",
                _ => "profinet.dcp_hello",
            };
            dcp_identity(&d, src, source, cx);
        }
        (parser::SVC_SET, false) => {
            let what = dcp_describe(&d.blocks);
            let what = if what.is_empty() {
                "set".to_string()
            } else {
                what
            };
            let dst = l2.dst.filter(|m| host_mac(*m));
            if let Some(s) = src {
                let to = dst.map_or_else(|| "?".to_string(), |m| m.to_string());
                cx.fact_for(
                    Subject::Mac(s),
                    "profinet.set_request",
                    format!("{what} to {to}"),
                );
            }
            if let Some(t) = dst {
                let from = src.map_or_else(|| "?".to_string(), |m| m.to_string());
                cx.fact_for(
                    Subject::Mac(t),
                    "profinet.set_received",
                    format!("{what} from {from}"),
                );
                for b in &d.blocks {
                    if let DcpValue::NameOfStation(n) = b.value {
                        let n = device_string(n);
                        cx.claim_for(
                            Subject::Mac(t),
                            "profinet.station_name",
                            &n,
                            "profinet.dcp_set",
                            60,
                        );
                    }
                }
            }
        }
        (parser::SVC_SET, true) => {
            let Some(s) = src else { return };
            for b in &d.blocks {
                // Control/Response: option, suboption of the set block, error code.
                if let (5, 4, DcpValue::Control(&[o, so, err, ..])) =
                    (b.option, b.suboption, b.value)
                {
                    let v = format!("{}: {err}", codes::dcp_option(o, so));
                    cx.fact_for(Subject::Mac(s), "profinet.set_result", v);
                }
            }
        }
        (parser::SVC_GET, false) => {
            let Some(s) = src else { return };
            let mut names: Vec<&str> = Vec::new();
            for &(o, so) in d.selectors.iter().take(8) {
                push_unique(&mut names, codes::dcp_option(o, so));
            }
            let to = l2.dst.map_or_else(|| "?".to_string(), |m| m.to_string());
            cx.fact_for(
                Subject::Mac(s),
                "profinet.get_request",
                format!("{} to {to}", names.join(",")),
            );
        }
        _ => {}
    }
}

/// What a Set request sets, or what an Identify request filters on (bounded).
fn dcp_describe(blocks: &[parser::DcpBlock<'_>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for b in blocks.iter().take(8) {
        let p = match b.value {
            DcpValue::All => "all".to_string(),
            DcpValue::NameOfStation(n) => {
                format!("name_of_station={}", short(&device_string(n), MAX_PART))
            }
            DcpValue::AliasName(n) => format!("alias={}", short(&device_string(n), MAX_PART)),
            DcpValue::IpParam { ip, mask, gateway }
            | DcpValue::FullIpSuite {
                ip, mask, gateway, ..
            } => format!("ip={ip}/{mask} gw {gateway}"),
            DcpValue::DeviceId { vendor, device } => {
                format!("device_id=0x{vendor:04x}/0x{device:04x}")
            }
            DcpValue::Control(_) => match b.suboption {
                // Transaction brackets say nothing about what is set.
                1 | 2 => continue,
                3 => "signal".to_string(),
                5 => "factory_reset".to_string(),
                6 => "reset_to_factory".to_string(),
                _ => codes::dcp_option(b.option, b.suboption).to_string(),
            },
            _ => codes::dcp_option(b.option, b.suboption).to_string(),
        };
        if !parts.contains(&p) {
            parts.push(p);
        }
    }
    parts.join(", ")
}

fn dcp_identity(d: &parser::Dcp<'_>, src: Option<Mac>, source: &'static str, cx: &mut Cx<'_>) {
    // The IP block first: it adds a subject.
    let mut ip_param = None;
    for b in &d.blocks {
        match b.value {
            DcpValue::IpParam { ip, mask, gateway }
            | DcpValue::FullIpSuite {
                ip, mask, gateway, ..
            } => ip_param = Some((ip, mask, gateway, b.info.unwrap_or(0))),
            _ => {}
        }
    }
    let mut ips = Vec::new();
    if let Some((ip, mask, gw, info)) = ip_param {
        if let Some(m) = src {
            if !ip.is_unspecified() {
                cx.fact_for(Subject::Mac(m), "profinet.ip", ip.to_string());
                cx.fact_for(Subject::Mac(m), "profinet.netmask", mask.to_string());
                if !gw.is_unspecified() {
                    cx.fact_for(Subject::Mac(m), "profinet.gateway", gw.to_string());
                }
            }
            let state = if info & 0x80 != 0 {
                "ip_conflict"
            } else {
                codes::dcp_ip_block_info(info)
            };
            cx.fact_for(Subject::Mac(m), "profinet.ip_state", state);
        }
        if host_ip(IpAddr::V4(ip)) {
            ips.push(IpAddr::V4(ip));
            if let Some(m) = src {
                cx.fact_for(Subject::Ip(IpAddr::V4(ip)), "profinet.mac", m.to_string());
            }
        }
    }
    let macs: Vec<Mac> = src.into_iter().collect();
    let subj = Subjects::new(&macs, &ips);
    for b in &d.blocks {
        match b.value {
            DcpValue::NameOfStation(n) => {
                let n = device_string(n);
                subj.claim(cx, "name", &n, source, 90);
                subj.claim(cx, "profinet.station_name", &n, source, 90);
            }
            DcpValue::TypeOfStation(t) => {
                let t = device_string(t);
                subj.claim(cx, "model", &t, source, 80);
                subj.claim(cx, "profinet.type_of_station", &t, source, 90);
            }
            DcpValue::DeviceId { vendor, device } => {
                subj.claim(
                    cx,
                    "profinet.vendor_id",
                    &format!("0x{vendor:04x}"),
                    source,
                    90,
                );
                subj.claim(
                    cx,
                    "profinet.device_id",
                    &format!("0x{device:04x}"),
                    source,
                    90,
                );
                if let Some(v) = codes::profinet_vendor(vendor) {
                    subj.claim(cx, "vendor", v, source, 80);
                }
            }
            DcpValue::OemDeviceId { vendor, device } => {
                subj.claim(
                    cx,
                    "profinet.oem_vendor_id",
                    &format!("0x{vendor:04x}"),
                    source,
                    90,
                );
                subj.claim(
                    cx,
                    "profinet.oem_device_id",
                    &format!("0x{device:04x}"),
                    source,
                    90,
                );
            }
            DcpValue::AliasName(a) => {
                subj.claim(cx, "profinet.alias_name", &device_string(a), source, 80)
            }
            DcpValue::DeviceRole(r) => {
                for (bit, role) in codes::DCP_ROLES {
                    if r & bit != 0 {
                        subj.fact(cx, "profinet.role", role);
                    }
                }
            }
            DcpValue::DeviceOptions(o) => {
                let mut names: Vec<&str> = Vec::new();
                for p in o.chunks_exact(2).take(16) {
                    push_unique(&mut names, codes::dcp_option(p[0], p[1]));
                }
                subj.fact(cx, "profinet.device_options", &names.join(","));
            }
            DcpValue::DeviceInstance { high, low } => {
                subj.fact(cx, "profinet.device_instance", &format!("{high}.{low}"))
            }
            DcpValue::DeviceInitiative(v) => subj.fact(
                cx,
                "profinet.device_initiative",
                if v & 1 == 1 {
                    "hello_after_power_on"
                } else {
                    "no_hello"
                },
            ),
            DcpValue::Dhcp(_) => subj.fact(cx, "profinet.dhcp", &b.suboption.to_string()),
            _ => {}
        }
    }
}
