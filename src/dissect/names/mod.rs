//! Name services over UDP: DHCP/BOOTP (67/68), DNS (53), mDNS (5353), LLMNR (5355), NetBIOS
//! Name Service (137) and SSDP (1900).
//!
//! These bind names to addresses: a DHCP client's host name and vendor class to its MAC and
//! leased IP, an mDNS/LLMNR/NetBIOS announcement's name to the announced IP. Ordinary DNS
//! answers about internet hosts are not identity: from port-53 DNS only answers about local
//! (private, link-local, ULA) addresses give `hostname` claims, and the names a client asks
//! for are recorded as `dns.query` facts (remote-access tools are recognised by their domains).
//!
//! Observations are made with [`Cx::claim_for`] / [`Cx::fact_for`] on explicit subjects: the
//! DHCP client is its hardware address (`chaddr`), never the 0.0.0.0 it sends from.
//!
//! ## Claims (`field` — source, confidence)
//! * DHCP, on `Mac(chaddr)` and the client's IP (`ciaddr`, option 50 requested IP, `yiaddr` of
//!   an ACK or BOOTP reply, the source IP of a renewing client): `hostname` from option 12 or
//!   option 81 (70), `dhcp.vendor_class` from option 60 (60). On the server IP: `hostname` from
//!   `sname` (50). Sources `dhcp.discover`, `dhcp.request`, `dhcp.ack`, ..., `bootp.request`,
//!   `bootp.reply`.
//! * DNS (port 53): `hostname` for a private/link-local/ULA address from an A/AAAA answer
//!   (`dns.answer`, 50) or a PTR answer (`dns.ptr`, 50).
//! * mDNS: `hostname` for every A/AAAA record of a response (or a probe's authority section)
//!   whose owner is a host name, not a service instance (`mdns.answer`, 60); PTR of a reverse
//!   name (`mdns.ptr`, 60); TXT identity keys on the sender (`mdns.txt`): `model` (model, md,
//!   mdl, usb_MDL: 60), `vendor` (manufacturer, mf, usb_MFG, vendor: 50), `product` (ty,
//!   product: 50), `name` (fn: 50), `serial` (50), `firmware` (fw, firmware: 50).
//! * LLMNR: `hostname` for A/AAAA answers (`llmnr.answer`, 60).
//! * NetBIOS NS: `hostname` for the IP of a unique name with suffix 0x00 or 0x20 from a
//!   registration/refresh (`netbios.registration`, 60), a positive query response
//!   (`netbios.response`, 60) or a node status response (`netbios.node_status`, 70).
//! * SSDP: `ssdp.server` (the SERVER header, 60) on the sender.
//!
//! ## Facts (`key` = value)
//! * `dhcp.prl` = option 55 parameter request list "1,3,6,15" (a client fingerprint)
//! * `dhcp.client_id` = option 61, hex; `dhcp.vendor_specific` = option 43, hex (bounded)
//! * `dhcp.assigned_ip` (on the MAC) = `yiaddr` of an ACK or BOOTP reply; `dhcp.mac` (on that
//!   IP) = the client MAC; `dhcp.boot_file` (on the MAC) = BOOTP file name
//! * `dhcp.server` (on the server IP) = message type it sent ("offer", "ack", "bootp_reply")
//! * `dns.query` (on the client) = a name it resolved (reverse lookups left out), at most
//!   [`MAX_QUERIES_PER_CLIENT`] distinct names per client and worker; the fact
//!   `dns.distinct_queries` = "names kept as dns.query" counts them (its evidence count; the
//!   cap spans flows, so it is read back from the store: DNS clients use a new port, hence a
//!   new flow, per query)
//! * `remote_access.tool` (on the client) = "TeamViewer", "AnyDesk", "LogMeIn",
//!   "ScreenConnect", "Splashtop", "RustDesk" from the domains it resolves
//! * `mdns.browse` (on the sender) = a service type it browses for ("_http._tcp")
//! * `mdns.service` (on the sender) = a service type it offers; `mdns.instance` = a service
//!   instance; `mdns.srv` = "<instance> -> <target>:<port>"; `mdns.txt` = "key=value" for
//!   identity keys and version/path keys
//! * `llmnr.query` (on the sender) = a name it asks for
//! * `netbios.query` (on the sender) = "NAME<xx>" it asks for ("NAME<xx> status" for a node
//!   status query)
//! * `netbios.suffix` (on the IP) = "0x20 server", "0x00 workstation", "0x1c domain_controller"...
//! * `netbios.group` (on the IP) = group name "NAME<xx>" it belongs to; `netbios.mac` = unit MAC
//!   of a node status response
//! * `ssdp.location`, `ssdp.device_type` (NT/ST device URNs), `ssdp.search` (M-SEARCH
//!   target), `ssdp.user_agent`
//!
//! ## Anomalies
//! `dhcp_truncated`, `dhcp_options_truncated`, `dns_truncated`, `dns_name_truncated`,
//! `dns_name_bad_pointer`, `dns_name_too_many_jumps`, `dns_name_too_long`,
//! `dns_name_bad_label`, `dns_bad_rdata`, `dns_too_many_records`, `dns_trailing_bytes`,
//! `nbns_bad_rdata`, `nbns_bad_name`, `ssdp_bad_message`.

pub mod codes;
pub mod parser;
pub mod state;
#[cfg(test)]
mod tests;

use crate::decode::Mac;
use crate::dissect::text::device_string;
use crate::dissect::{Cx, DatagramDissector, Dir, Party, Probe};
use crate::inventory::observation::{FactKey, Subject};
use parser::{Message, NbName, RData, Section, name_text, reverse_ip};
use state::{Kind, Seen, fnv};
use std::net::{IpAddr, Ipv4Addr};

/// Distinct `dns.query` names kept per client (per worker).
pub const MAX_QUERIES_PER_CLIENT: u64 = 32;
const COUNTER_VALUE: &str = "names kept as dns.query";
/// Longest text put into a composed fact value.
const MAX_PART: usize = 128;

// ---------------------------------------------------------------------------------------------
// Probes
// ---------------------------------------------------------------------------------------------

/// DHCP/BOOTP: a sane BOOTP header (op 1/2, hardware type and length, hops) and the DHCP
/// magic cookie; without the cookie (plain BOOTP) only on ports 67/68.
pub fn probe_dhcp(_dir: Dir, d: &[u8], port_match: bool) -> Probe {
    if d.len() < 236 {
        return Probe::NoMatch;
    }
    let sane = matches!(d[0], 1 | 2) && (1..=32).contains(&d[1]) && d[2] <= 16 && d[3] <= 16;
    if !sane {
        return Probe::NoMatch;
    }
    let cookie = d.get(236..240) == Some(&parser::DHCP_MAGIC[..]);
    if cookie || (port_match && d.len() >= 300) {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

fn known_type(t: u16, nbns: bool) -> bool {
    if nbns {
        matches!(t, parser::T_NB | parser::T_NBSTAT | 1 | 2 | 10)
    } else {
        matches!(
            t,
            1 | 2
                | 5
                | 6
                | 12
                | 13
                | 15
                | 16
                | 28
                | 33
                | 35
                | 41
                | 43
                | 46
                | 47
                | 48
                | 50
                | 64
                | 65
                | 99
                | 252
                | 255
        )
    }
}

fn text_ok(name: &[u8]) -> bool {
    std::str::from_utf8(name).is_ok_and(|s| !s.chars().any(char::is_control))
}

/// A plausible DNS-format header: a known opcode, reserved flag bits clear, at least one entry
/// and no count above 256 (random bytes pass with a probability around 1e-9).
fn header_sane(d: &[u8], nbns: bool) -> bool {
    let Ok((_, h)) = parser::dns_header(d) else {
        return false;
    };
    let counts = [h.qd, h.an, h.ns, h.ar];
    let total: u32 = counts.iter().map(|&c| u32::from(c)).sum();
    let op_ok = if nbns {
        matches!(h.opcode(), 0 | 5 | 6 | 7 | 8 | 9 | 15)
    } else {
        matches!(h.opcode(), 0 | 1 | 2 | 4 | 5)
    };
    let reserved = if nbns { 0x0060 } else { 0x0040 };
    op_ok && h.flags & reserved == 0 && total > 0 && counts.iter().all(|&c| c <= 256)
}

/// A DNS-format message. On its port: a plausible header (a malformed body is then the
/// dissector's anomaly), and for NBNS the first name NetBIOS-encoded when it can be read.
/// Without the port (`strict`): the whole message parses without error and without cap,
/// every byte consumed, known types and classes, printable names, NBNS names all encoded.
fn dns_like(d: &[u8], nbns: bool, strict: bool) -> bool {
    if !header_sane(d, nbns) {
        return false;
    }
    let Ok((_, m)) = parser::parse_message(d, nbns) else {
        return false;
    };
    let mut names = m
        .questions
        .iter()
        .map(|q| &q.name)
        .chain(m.records.iter().map(|r| &r.name));
    if !strict {
        return !nbns || names.next().is_none_or(|n| parser::nb_decode(n).is_some());
    }
    if m.error.is_some() || m.capped || m.consumed != d.len() {
        return false;
    }
    if nbns && !names.all(|n| parser::nb_decode(n).is_some()) {
        return false;
    }
    let qs_ok = m.questions.iter().all(|q| {
        known_type(q.qtype, nbns) && matches!(q.qclass & 0x7FFF, 1 | 255) && text_ok(&q.name)
    });
    let rs_ok = m.records.iter().all(|r| {
        (r.rtype == 41 || (known_type(r.rtype, nbns) && matches!(r.class, 1 | 255)))
            && text_ok(&r.name)
    });
    qs_ok && rs_ok
}

/// DNS: a DNS message; without the port, a strict whole-message check.
pub fn probe_dns(_dir: Dir, d: &[u8], port_match: bool) -> Probe {
    if dns_like(d, false, !port_match) {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// mDNS and LLMNR: a DNS message on their port (off-port answers are found by `dns` and
/// renamed by port).
pub fn probe_mdns(_dir: Dir, d: &[u8], port_match: bool) -> Probe {
    if port_match && dns_like(d, false, false) {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// NetBIOS Name Service: a DNS-format message whose names are all NetBIOS-encoded.
pub fn probe_nbns(_dir: Dir, d: &[u8], port_match: bool) -> Probe {
    if dns_like(d, true, !port_match) {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// SSDP: an SSDP start line; without the port, a search response with ST and USN headers.
pub fn probe_ssdp(_dir: Dir, d: &[u8], port_match: bool) -> Probe {
    match parser::parse_ssdp(d) {
        Some(s) if port_match => {
            if s.method == "HTTP/1.1" && s.st.is_none() && s.usn.is_none() {
                Probe::NoMatch
            } else {
                Probe::Match
            }
        }
        Some(s) if s.method == "HTTP/1.1" && s.st.is_some() && s.usn.is_some() => Probe::Match,
        _ => Probe::NoMatch,
    }
}

pub fn new_dhcp() -> Box<dyn DatagramDissector> {
    Box::new(Names::new(Kind::Dhcp))
}
pub fn new_dns() -> Box<dyn DatagramDissector> {
    Box::new(Names::new(Kind::Dns))
}
pub fn new_nbns() -> Box<dyn DatagramDissector> {
    Box::new(Names::new(Kind::Nbns))
}
pub fn new_ssdp() -> Box<dyn DatagramDissector> {
    Box::new(Names::new(Kind::Ssdp))
}

// ---------------------------------------------------------------------------------------------
// Dissector
// ---------------------------------------------------------------------------------------------

/// One name-service flow.
pub struct Names {
    kind: Kind,
    seen: Seen,
}

impl Names {
    pub fn new(kind: Kind) -> Names {
        Names {
            kind,
            seen: Seen::default(),
        }
    }
}

/// An address that denotes one host.
fn host_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            !(v.is_unspecified() || v.is_loopback() || v.is_multicast() || v.is_broadcast())
        }
        IpAddr::V6(v) => !(v.is_unspecified() || v.is_loopback() || v.is_multicast()),
    }
}

/// A site-local address (RFC 1918, link-local, IPv6 ULA and link-local).
fn local_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private() || v.is_link_local(),
        IpAddr::V6(v) => {
            let s = v.segments()[0];
            (s & 0xFE00) == 0xFC00 || (s & 0xFFC0) == 0xFE80
        }
    }
}

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

fn hex(b: &[u8], max: usize) -> String {
    let mut s = String::with_capacity(b.len().min(max) * 3);
    for (k, x) in b.iter().take(max).enumerate() {
        if k > 0 {
            s.push(':');
        }
        s.push_str(&format!("{x:02x}"));
    }
    s
}

fn strip_local(s: &str) -> &str {
    s.strip_suffix(".local").unwrap_or(s)
}

/// A DNS-SD service instance or type (a `_tcp` / `_udp` label), not a host name.
fn is_service_name(s: &str) -> bool {
    s.split('.').any(|l| l == "_tcp" || l == "_udp")
}

impl DatagramDissector for Names {
    fn datagram(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) {
        let kind = match self.kind {
            Kind::Dns | Kind::Mdns | Kind::Llmnr => {
                match Kind::by_ports(cx.client_port, cx.server_port) {
                    Kind::Nbns => Kind::Dns,
                    k => k,
                }
            }
            k => k,
        };
        if cx.proto != kind.proto() {
            cx.set_proto(kind.proto());
        }
        let sender = match dir {
            Dir::ToServer => cx.client,
            Dir::ToClient => cx.server,
        };
        match kind {
            Kind::Dhcp => dhcp(data, sender, cx),
            Kind::Ssdp => self.ssdp(data, sender, cx),
            _ => {
                let nbns = kind == Kind::Nbns;
                let m = match parser::parse_message(data, nbns) {
                    Ok((_, m)) => m,
                    Err(_) => {
                        cx.anomaly("dns_truncated");
                        return;
                    }
                };
                if let Some(e) = m.error {
                    cx.anomaly(e);
                } else if m.consumed < data.len() && kind != Kind::Nbns {
                    cx.anomaly("dns_trailing_bytes");
                }
                if m.capped {
                    cx.anomaly("dns_too_many_records");
                }
                match kind {
                    Kind::Dns => self.dns(&m, cx),
                    Kind::Mdns => self.mdns(&m, sender, cx),
                    Kind::Llmnr => self.llmnr(&m, sender, cx),
                    _ => self.nbns(&m, sender, cx),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DHCP
// ---------------------------------------------------------------------------------------------

/// Option 81 (client FQDN): flags, two rcodes, then the name, DNS wire format when the E bit
/// (0x04) is set, ASCII otherwise.
fn fqdn(v: &[u8]) -> Option<String> {
    let (&flags, rest) = v.split_first()?;
    let name = rest.get(2..)?;
    if flags & 0x04 != 0 {
        let mut out = Vec::new();
        // Wire format without compression: a pointer would point outside the option.
        parser::read_name(name, 0, &mut out).ok()?;
        Some(name_text(&out))
    } else {
        Some(device_string(name))
    }
}

fn dhcp(data: &[u8], sender: IpAddr, cx: &mut Cx<'_>) {
    let m = match parser::parse_dhcp(data) {
        Ok((_, m)) => m,
        Err(_) => {
            cx.anomaly("dhcp_truncated");
            return;
        }
    };
    if m.options_truncated {
        cx.anomaly("dhcp_options_truncated");
    }
    let b = m.bootp;
    let mt = m.message_type();
    // BOOTP has a 64-byte vendor area (300 bytes in all); a shorter message without the
    // DHCP cookie was cut. A DHCP message cut before its message type cannot be read either.
    if (!m.cookie && data.len() < 300) || (m.cookie && mt.is_none() && m.options_truncated) {
        if !m.options_truncated {
            cx.anomaly("dhcp_truncated");
        }
        return;
    }
    let source = codes::dhcp_source(mt, b.op);
    let request = b.op == 1;
    let mac = b
        .client_mac()
        .filter(|m: &Mac| !m.is_zero() && !m.is_multicast());
    // The client's addresses.
    let mut ips: Vec<IpAddr> = Vec::new();
    let add = |ip: Ipv4Addr, ips: &mut Vec<IpAddr>| {
        let ip = IpAddr::V4(ip);
        if host_ip(ip) && !ips.contains(&ip) {
            ips.push(ip);
        }
    };
    add(b.ciaddr, &mut ips);
    if request {
        if let Some(&[a, b2, c, d]) = m.opt(50) {
            add(Ipv4Addr::new(a, b2, c, d), &mut ips);
        }
        if let IpAddr::V4(s) = sender {
            add(s, &mut ips);
        }
    }
    let leased = !request && matches!(mt, Some(5) | None) && !b.yiaddr.is_unspecified();
    if leased {
        add(b.yiaddr, &mut ips);
    }
    let mut subjects: Vec<Subject> = mac.iter().map(|m| Subject::Mac(*m)).collect();
    subjects.extend(ips.iter().map(|ip| Subject::Ip(*ip)));

    let mut hostnames = Vec::new();
    if let Some(h) = m.opt(12) {
        hostnames.push(device_string(h));
    }
    if let Some(f) = m.opt(81).and_then(fqdn) {
        hostnames.push(f);
    }
    for s in &subjects {
        for h in &hostnames {
            cx.claim_for(*s, "hostname", h, source, 70);
        }
        if let Some(vc) = m.opt(60) {
            cx.claim_for(*s, "dhcp.vendor_class", &device_string(vc), source, 60);
        }
        if request {
            if let Some(prl) = m.opt(55) {
                let v: Vec<String> = prl.iter().take(64).map(|c| c.to_string()).collect();
                cx.fact_for(*s, "dhcp.prl", v.join(","));
            }
            if let Some(id) = m.opt(61) {
                cx.fact_for(*s, "dhcp.client_id", hex(id, 32));
            }
        }
        if let Some(vs) = m.opt(43) {
            cx.fact_for(*s, "dhcp.vendor_specific", hex(vs, 64));
        }
    }
    if request {
        return;
    }
    // Reply: the lease, the boot file, the server.
    if let Some(mc) = mac {
        if leased {
            cx.fact_for(Subject::Mac(mc), "dhcp.assigned_ip", b.yiaddr.to_string());
            cx.fact_for(
                Subject::Ip(IpAddr::V4(b.yiaddr)),
                "dhcp.mac",
                mc.to_string(),
            );
        }
        let file = device_string(b.file);
        if !file.is_empty() {
            cx.fact_for(Subject::Mac(mc), "dhcp.boot_file", short(&file, MAX_PART));
        }
    }
    let server = match m.opt(54) {
        Some(&[a, b2, c, d]) => IpAddr::V4(Ipv4Addr::new(a, b2, c, d)),
        _ => sender,
    };
    if host_ip(server) {
        let kind = mt.map_or("bootp_reply", codes::dhcp_message);
        cx.fact_for(Subject::Ip(server), "dhcp.server", kind);
        let sname = device_string(b.sname);
        if !sname.is_empty() {
            cx.claim_for(Subject::Ip(server), "hostname", &sname, source, 50);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DNS, mDNS, LLMNR, NetBIOS
// ---------------------------------------------------------------------------------------------

/// Record `name` as a `dns.query` of `client`, at most `MAX_QUERIES_PER_CLIENT` distinct names
/// per client: a counter fact (its evidence count) tells how many are kept.
fn record_query(cx: &mut Cx<'_>, client: IpAddr, name: &str) {
    let subject = Subject::Ip(client);
    let key = |k: &'static str, v: &str| FactKey {
        subject,
        port: cx.server_port,
        transport: cx.transport,
        proto: cx.proto,
        key: k,
        value: v.to_string(),
    };
    let known = cx.store.facts.contains_key(&key("dns.query", name));
    if !known {
        let kept = cx
            .store
            .facts
            .get(&key("dns.distinct_queries", COUNTER_VALUE))
            .map_or(0, |e| e.count);
        if kept >= MAX_QUERIES_PER_CLIENT {
            return;
        }
        cx.fact_for(subject, "dns.distinct_queries", COUNTER_VALUE);
    }
    cx.fact_for(subject, "dns.query", name);
}

impl Names {
    fn dns(&mut self, m: &Message<'_>, cx: &mut Cx<'_>) {
        let client = cx.client;
        for q in &m.questions {
            let name = name_text(&q.name);
            if name.is_empty() || reverse_ip(&name).is_some() {
                continue;
            }
            if !self.seen.first(fnv(&[b"q", &q.name])) {
                continue;
            }
            if let Some(tool) = codes::remote_access_tool(&name) {
                cx.fact(Party::Client, "remote_access.tool", tool);
            }
            if host_ip(client) {
                record_query(cx, client, short(&name, MAX_PART));
            }
        }
        if !m.header.is_response() {
            return;
        }
        for r in m.records.iter().filter(|r| r.section == Section::Answer) {
            match &r.data {
                RData::A(a) => {
                    let ip = IpAddr::V4(*a);
                    if local_ip(ip) {
                        let n = name_text(&r.name);
                        cx.claim_for(Subject::Ip(ip), "hostname", &n, "dns.answer", 50);
                    }
                }
                RData::Aaaa(a) => {
                    let ip = IpAddr::V6(*a);
                    if local_ip(ip) {
                        let n = name_text(&r.name);
                        cx.claim_for(Subject::Ip(ip), "hostname", &n, "dns.answer", 50);
                    }
                }
                RData::Name(t) if r.rtype == parser::T_PTR => {
                    if let Some(ip) = reverse_ip(&name_text(&r.name)) {
                        if local_ip(ip) && host_ip(ip) {
                            let n = name_text(t);
                            cx.claim_for(Subject::Ip(ip), "hostname", &n, "dns.ptr", 50);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn mdns(&mut self, m: &Message<'_>, sender: IpAddr, cx: &mut Cx<'_>) {
        let resp = m.header.is_response();
        let me = host_ip(sender).then_some(Subject::Ip(sender));
        if !resp {
            for q in &m.questions {
                let name = name_text(&q.name);
                if name.starts_with('_') && self.seen.first(fnv(&[b"b", &q.name])) {
                    if let Some(s) = me {
                        cx.fact_for(s, "mdns.browse", strip_local(short(&name, MAX_PART)));
                    }
                }
            }
        }
        for r in &m.records {
            // Responses announce in answers and additionals; probes propose in authority.
            let wanted = if resp {
                r.section != Section::Authority
            } else {
                r.section == Section::Authority
            };
            if !wanted {
                continue;
            }
            let owner = name_text(&r.name);
            match &r.data {
                RData::A(_) | RData::Aaaa(_) => {
                    let ip = match r.data {
                        RData::A(a) => IpAddr::V4(a),
                        RData::Aaaa(a) => IpAddr::V6(a),
                        _ => continue,
                    };
                    if host_ip(ip) && !is_service_name(&owner) {
                        cx.claim_for(Subject::Ip(ip), "hostname", &owner, "mdns.answer", 60);
                    }
                }
                RData::Name(t) if r.rtype == parser::T_PTR => {
                    let target = name_text(t);
                    if let Some(ip) = reverse_ip(&owner) {
                        if host_ip(ip) {
                            cx.claim_for(Subject::Ip(ip), "hostname", &target, "mdns.ptr", 60);
                        }
                    } else if let Some(s) = me {
                        if owner.eq_ignore_ascii_case("_services._dns-sd._udp.local") {
                            let v = strip_local(short(&target, MAX_PART));
                            cx.fact_for(s, "mdns.service", v);
                        } else if owner.starts_with('_') {
                            let v = strip_local(short(&owner, MAX_PART));
                            cx.fact_for(s, "mdns.service", v);
                            cx.fact_for(s, "mdns.instance", short(&target, MAX_PART));
                        }
                    }
                }
                RData::Srv { port, target, .. } => {
                    if let Some(s) = me {
                        let v = format!(
                            "{} -> {}:{port}",
                            short(&owner, MAX_PART),
                            short(&name_text(target), MAX_PART)
                        );
                        cx.fact_for(s, "mdns.srv", v);
                    }
                }
                RData::Txt(strings) => {
                    let Some(s) = me else { continue };
                    for t in strings {
                        let t = device_string(t);
                        let Some((k, v)) = t.split_once('=') else {
                            continue;
                        };
                        let Some(id) = codes::txt_key(k) else {
                            continue;
                        };
                        if v.is_empty() {
                            continue;
                        }
                        if let Some((field, conf)) = id {
                            cx.claim_for(s, field, v, "mdns.txt", conf);
                        }
                        cx.fact_for(s, "mdns.txt", short(&t, MAX_PART));
                    }
                }
                _ => {}
            }
        }
    }

    fn llmnr(&mut self, m: &Message<'_>, sender: IpAddr, cx: &mut Cx<'_>) {
        if !m.header.is_response() {
            if !host_ip(sender) {
                return;
            }
            for q in &m.questions {
                if self.seen.first(fnv(&[b"l", &q.name])) {
                    let n = name_text(&q.name);
                    cx.fact_for(Subject::Ip(sender), "llmnr.query", short(&n, MAX_PART));
                }
            }
            return;
        }
        for r in m.records.iter().filter(|r| r.section == Section::Answer) {
            let ip = match r.data {
                RData::A(a) => IpAddr::V4(a),
                RData::Aaaa(a) => IpAddr::V6(a),
                _ => continue,
            };
            if host_ip(ip) {
                let n = name_text(&r.name);
                cx.claim_for(Subject::Ip(ip), "hostname", &n, "llmnr.answer", 60);
            }
        }
    }

    fn nbns(&mut self, m: &Message<'_>, sender: IpAddr, cx: &mut Cx<'_>) {
        let h = m.header;
        if !h.is_response() {
            match h.opcode() {
                0 => {
                    if !host_ip(sender) {
                        return;
                    }
                    for q in &m.questions {
                        match parser::nb_decode(&q.name) {
                            Some(n) => {
                                if self.seen.first(fnv(&[b"n", &q.name])) {
                                    let mut v = n.display();
                                    if q.qtype == parser::T_NBSTAT {
                                        v.push_str(" status");
                                    }
                                    cx.fact_for(Subject::Ip(sender), "netbios.query", v);
                                }
                            }
                            None => cx.anomaly("nbns_bad_name"),
                        }
                    }
                }
                // Registration, refresh, multi-homed registration: the name and address are in
                // the additional record.
                5 | 8 | 9 | 15 => {
                    for r in &m.records {
                        self.nb_record(r, sender, "netbios.registration", 60, cx);
                    }
                }
                _ => {}
            }
            return;
        }
        if h.rcode() != 0 {
            return;
        }
        for r in m.records.iter().filter(|r| r.section == Section::Answer) {
            self.nb_record(r, sender, "netbios.response", 60, cx);
        }
    }

    fn nb_record(
        &mut self,
        r: &parser::Record<'_>,
        sender: IpAddr,
        source: &'static str,
        conf: u8,
        cx: &mut Cx<'_>,
    ) {
        match &r.data {
            RData::Nb(entries) => {
                let Some(name) = parser::nb_decode(&r.name) else {
                    cx.anomaly("nbns_bad_name");
                    return;
                };
                for &(flags, ip) in entries {
                    let ip = if ip.is_unspecified() {
                        sender
                    } else {
                        IpAddr::V4(ip)
                    };
                    nb_name(cx, name, flags & 0x8000 != 0, ip, source, conf);
                }
            }
            RData::NbStat { names, mac } => {
                for &(n, flags) in names {
                    nb_name(
                        cx,
                        n,
                        flags & 0x8000 != 0,
                        sender,
                        "netbios.node_status",
                        70,
                    );
                }
                if let Some(mc) = mac.filter(|m| !m.is_zero()) {
                    if host_ip(sender) {
                        cx.fact_for(Subject::Ip(sender), "netbios.mac", mc.to_string());
                    }
                }
            }
            _ => {}
        }
    }

    fn ssdp(&mut self, data: &[u8], sender: IpAddr, cx: &mut Cx<'_>) {
        let Some(s) = parser::parse_ssdp(data) else {
            cx.anomaly("ssdp_bad_message");
            return;
        };
        if !host_ip(sender) {
            return;
        }
        let me = Subject::Ip(sender);
        if let Some(v) = s.server {
            cx.claim_for(me, "ssdp.server", v, "ssdp", 60);
        }
        if let Some(v) = s.location {
            cx.fact_for(me, "ssdp.location", short(v, MAX_PART));
        }
        for t in [s.nt, s.st].into_iter().flatten() {
            if t.starts_with("urn:") && t.contains(":device:") {
                cx.fact_for(me, "ssdp.device_type", short(t, MAX_PART));
            }
        }
        if s.method == "M-SEARCH" {
            if let Some(st) = s.st {
                if self.seen.first(fnv(&[b"s", st.as_bytes()])) {
                    cx.fact_for(me, "ssdp.search", short(st, MAX_PART));
                }
            }
            if let Some(ua) = s.user_agent {
                cx.fact_for(me, "ssdp.user_agent", short(ua, MAX_PART));
            }
        }
    }
}

/// A NetBIOS name bound to an address.
fn nb_name(cx: &mut Cx<'_>, name: NbName, group: bool, ip: IpAddr, source: &'static str, conf: u8) {
    if !host_ip(ip) {
        return;
    }
    let s = Subject::Ip(ip);
    let text = name.text();
    if !group && matches!(name.suffix, 0x00 | 0x20) && !text.is_empty() {
        cx.claim_for(s, "hostname", &text, source, conf);
    }
    if group {
        cx.fact_for(s, "netbios.group", name.display());
    }
    if !group || name.suffix == 0x1C {
        let v = format!(
            "0x{:02x} {}",
            name.suffix,
            codes::nb_suffix(name.suffix, group)
        );
        cx.fact_for(s, "netbios.suffix", v);
    }
}
