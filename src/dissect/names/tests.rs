//! Unit tests: DHCP, DNS, mDNS, LLMNR, NetBIOS NS and SSDP byte vectors commented field by
//! field, real datagrams from the public captures, probes, growing prefixes, bounded DNS
//! compression and a fixed-seed fuzz run.

use super::parser::*;
use super::*;
use crate::config::Limits;
use crate::dissect::{Cx, DatagramDissector, Dir, Probe};
use crate::evidence::Ev;
use crate::inventory::observation::{Store, Subject, Transport};
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn mac(s: &str) -> Mac {
    let mut m = [0u8; 6];
    for (k, p) in s.split(':').enumerate() {
        m[k] = u8::from_str_radix(p, 16).unwrap();
    }
    Mac(m)
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

type NewFn = fn() -> Box<dyn DatagramDissector>;

/// Feed datagrams of one flow (client, server endpoints) through a dissector.
fn feed(
    new: NewFn,
    proto: &'static str,
    client: (&str, u16),
    server: (&str, u16),
    msgs: &[(Dir, &[u8])],
    store: &mut Store,
) {
    let lim = Limits::default();
    let mut exp = Vec::new();
    let mut d = new();
    let mut cx = Cx::new(
        (ip(client.0), client.1),
        (ip(server.0), server.1),
        Transport::Udp,
        proto,
        Ev::default(),
        &lim,
        store,
        &mut exp,
    );
    for (dir, m) in msgs {
        d.datagram(*dir, m, &mut cx);
    }
}

fn store() -> Store {
    Store::new(100_000, 8)
}

fn claims(st: &Store, subject: Subject, field: &str) -> Vec<(String, &'static str, u8)> {
    let mut v: Vec<(String, &'static str, u8)> = st
        .claims
        .iter()
        .filter(|(k, _)| k.subject == subject && k.field == field)
        .map(|(k, a)| (k.value.clone(), k.source, a.confidence))
        .collect();
    v.sort();
    v
}

fn values(st: &Store, subject: Subject, field: &str) -> Vec<String> {
    let mut v: Vec<String> = claims(st, subject, field)
        .into_iter()
        .map(|c| c.0)
        .collect();
    v.dedup();
    v
}

fn facts(st: &Store, subject: Subject, key: &str) -> Vec<String> {
    let mut v: Vec<String> = st
        .facts
        .keys()
        .filter(|k| k.subject == subject && k.key == key)
        .map(|k| k.value.clone())
        .collect();
    v.sort();
    v
}

fn anomalies(st: &Store) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = st.anomalies.keys().map(|k| k.kind).collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// DHCP
// ---------------------------------------------------------------------------------------------

/// The 236-byte BOOTP header and the magic cookie, field by field.
fn bootp_header(
    op: u8,
    ciaddr: [u8; 4],
    yiaddr: [u8; 4],
    siaddr: [u8; 4],
    chaddr: [u8; 6],
    sname: &[u8],
) -> Vec<u8> {
    let mut b = vec![op, 0x01, 0x06, 0x00]; // op, htype Ethernet, hlen 6, hops 0
    b.extend([0x5A, 0x5A, 0x00, 0x01]); // xid
    b.extend([0x00, 0x00, 0x00, 0x00]); // secs, flags
    b.extend(ciaddr); // ciaddr
    b.extend(yiaddr); // yiaddr
    b.extend(siaddr); // siaddr
    b.extend([0, 0, 0, 0]); // giaddr
    b.extend(chaddr); // chaddr (6 bytes) ...
    b.extend([0u8; 10]); // ... and its padding to 16
    let mut sn = [0u8; 64]; // sname, NUL padded
    sn[..sname.len()].copy_from_slice(sname);
    b.extend(sn);
    b.extend([0u8; 128]); // file
    b.extend([0x63, 0x82, 0x53, 0x63]); // magic cookie
    b
}

const PFC: [u8; 6] = [0x00, 0x30, 0xDE, 0x11, 0x22, 0x33];

/// DHCPDISCOVER of a controller: host name, vendor class, PRL, client id, FQDN (wire format),
/// vendor specific.
fn dhcp_discover() -> Vec<u8> {
    let mut b = bootp_header(1, [0; 4], [0; 4], [0; 4], PFC, b"");
    b.extend([53, 1, 1]); // message type DISCOVER
    b.extend([61, 7, 0x01]); // client id: type 1 (Ethernet) + MAC
    b.extend(PFC);
    b.extend([12, 13]); // host name, 13 bytes
    b.extend(b"PFC200-112233");
    b.extend([60, 13]); // vendor class, 13 bytes
    b.extend(b"WAGO 750-8212");
    b.extend([55, 4, 1, 3, 6, 15]); // parameter request list
    // FQDN: flags 0x05 (S, E: wire format), rcode1 0, rcode2 0, \x03pfc\x05plant\x00
    b.extend([81, 14, 0x05, 0, 0, 3, b'p', b'f', b'c', 5]);
    b.extend(b"plant");
    b.push(0);
    b.extend([43, 3, 0x01, 0x01, 0xFF]); // vendor specific
    b.extend([0, 0]); // pad
    b.push(255); // end
    b
}

/// DHCPACK of `captures/public/enip/iti__EIP-IPAddressChangeAttempt.pcap` frame 2948 (UDP
/// payload without the trailing zero padding): yiaddr 192.168.10.131, siaddr
/// 192.168.10.105, chaddr 00:e0:62:60:35:d0, sname "DBLicenseServer", options 53 ACK,
/// 1 mask, 58/59/51 times, 54 server 192.168.10.105, 3 router, 12 "KoyoDL405", end.
fn dhcp_ack_real() -> Vec<u8> {
    let mut b = hex("02010600abcd00140000000000000000c0a80a83c0a80a690000000000e0626035d0");
    b.extend([0u8; 10]); // chaddr padding
    let mut sname = b"DBLicenseServer".to_vec();
    sname.resize(64, 0);
    b.extend(sname);
    b.extend([0u8; 128]);
    b.extend(hex(
        "638253633501050104ffffff003a04ffffffff3b04ffffffff3304ffffffff\
                  3604c0a80a690304c0a80a010c094b6f796f444c343035ff",
    ));
    b
}

#[test]
fn dhcp_parses_header_and_options() {
    let b = dhcp_discover();
    let (_, d) = parse_dhcp(&b).unwrap();
    assert!(d.cookie && !d.options_truncated);
    assert_eq!(d.bootp.op, 1);
    assert_eq!(d.bootp.xid, 0x5A5A_0001);
    assert_eq!(d.bootp.client_mac(), Some(Mac(PFC)));
    assert_eq!(d.message_type(), Some(1));
    assert_eq!(d.opt(12), Some(&b"PFC200-112233"[..]));
    assert_eq!(d.opt(55), Some(&[1u8, 3, 6, 15][..]));
    assert_eq!(d.opt(99), None);
    let codes: Vec<u8> = d.options.iter().map(|o| o.code).collect();
    assert_eq!(codes, [53, 61, 12, 60, 55, 81, 43]);
    // Real ACK.
    let b = dhcp_ack_real();
    let (_, d) = parse_dhcp(&b).unwrap();
    assert_eq!(d.message_type(), Some(5));
    assert_eq!(d.bootp.yiaddr.to_string(), "192.168.10.131");
    assert_eq!(d.bootp.client_mac(), Some(mac("00:e0:62:60:35:d0")));
    assert_eq!(d.opt(12), Some(&b"KoyoDL405"[..]));
}

#[test]
fn dhcp_discover_claims_on_the_client_mac() {
    let mut st = store();
    let b = dhcp_discover();
    feed(
        new_dhcp,
        "dhcp",
        ("0.0.0.0", 68),
        ("255.255.255.255", 67),
        &[(Dir::ToServer, &b)],
        &mut st,
    );
    let m = Subject::Mac(Mac(PFC));
    assert_eq!(
        claims(&st, m, "hostname"),
        [
            ("PFC200-112233".to_string(), "dhcp.discover", 70),
            ("pfc.plant".to_string(), "dhcp.discover", 70)
        ]
    );
    assert_eq!(values(&st, m, "dhcp.vendor_class"), ["WAGO 750-8212"]);
    assert_eq!(facts(&st, m, "dhcp.prl"), ["1,3,6,15"]);
    assert_eq!(facts(&st, m, "dhcp.client_id"), ["01:00:30:de:11:22:33"]);
    assert_eq!(facts(&st, m, "dhcp.vendor_specific"), ["01:01:ff"]);
    // Nothing about 0.0.0.0 or the broadcast address.
    assert!(st.claims.keys().all(|k| k.subject == m));
    assert!(st.anomalies.is_empty());
}

#[test]
fn dhcp_ack_binds_mac_ip_and_names_the_server() {
    let mut st = store();
    let b = dhcp_ack_real();
    feed(
        new_dhcp,
        "dhcp",
        ("192.168.10.105", 67),
        ("255.255.255.255", 68),
        &[(Dir::ToServer, &b)],
        &mut st,
    );
    let m = Subject::Mac(mac("00:e0:62:60:35:d0"));
    let leased = Subject::Ip(ip("192.168.10.131"));
    let server = Subject::Ip(ip("192.168.10.105"));
    for s in [m, leased] {
        assert_eq!(
            claims(&st, s, "hostname"),
            [("KoyoDL405".to_string(), "dhcp.ack", 70)]
        );
    }
    assert_eq!(facts(&st, m, "dhcp.assigned_ip"), ["192.168.10.131"]);
    assert_eq!(facts(&st, leased, "dhcp.mac"), ["00:e0:62:60:35:d0"]);
    assert_eq!(facts(&st, server, "dhcp.server"), ["ack"]);
    assert_eq!(
        claims(&st, server, "hostname"),
        [("DBLicenseServer".to_string(), "dhcp.ack", 50)]
    );
}

#[test]
fn dhcp_request_and_renewal_use_requested_ip_and_ciaddr() {
    // REQUEST from 0.0.0.0 with option 50 requested IP 10.10.1.80.
    let mut b = bootp_header(1, [0; 4], [0; 4], [0; 4], PFC, b"");
    b.extend([53, 1, 3, 50, 4, 10, 10, 1, 80, 12, 3, b'p', b'f', b'c', 255]);
    let mut st = store();
    feed(
        new_dhcp,
        "dhcp",
        ("0.0.0.0", 68),
        ("255.255.255.255", 67),
        &[(Dir::ToServer, &b)],
        &mut st,
    );
    assert_eq!(
        values(&st, Subject::Ip(ip("10.10.1.80")), "hostname"),
        ["pfc"]
    );
    // Renewal: unicast from the leased address, ciaddr set, no option 50.
    let mut b = bootp_header(1, [10, 10, 1, 80], [0; 4], [0; 4], PFC, b"");
    b.extend([53, 1, 3, 12, 3, b'p', b'f', b'c', 255]);
    let mut st = store();
    feed(
        new_dhcp,
        "dhcp",
        ("10.10.1.80", 68),
        ("10.10.1.1", 67),
        &[(Dir::ToServer, &b)],
        &mut st,
    );
    assert_eq!(
        claims(&st, Subject::Ip(ip("10.10.1.80")), "hostname"),
        [("pfc".to_string(), "dhcp.request", 70)]
    );
    // An OFFER is not a lease: no claims on yiaddr.
    let mut b = bootp_header(2, [0; 4], [10, 10, 1, 81], [0; 4], PFC, b"");
    b.extend([53, 1, 2, 12, 3, b'p', b'f', b'c', 255]);
    let mut st = store();
    feed(
        new_dhcp,
        "dhcp",
        ("10.10.1.1", 67),
        ("255.255.255.255", 68),
        &[(Dir::ToServer, &b)],
        &mut st,
    );
    assert!(values(&st, Subject::Ip(ip("10.10.1.81")), "hostname").is_empty());
    assert_eq!(values(&st, Subject::Mac(Mac(PFC)), "hostname"), ["pfc"]);
    assert_eq!(
        facts(&st, Subject::Ip(ip("10.10.1.1")), "dhcp.server"),
        ["offer"]
    );
}

#[test]
fn bootp_reply_without_options_and_malformed_dhcp() {
    // BOOTP reply (no message type): yiaddr is the assignment; a boot file name.
    let mut b = bootp_header(2, [0; 4], [10, 10, 1, 90], [10, 10, 1, 1], PFC, b"");
    b[108..108 + 8].copy_from_slice(b"pfc.cfg\0"); // file field at offset 108
    b.push(255);
    let mut st = store();
    feed(
        new_dhcp,
        "dhcp",
        ("10.10.1.1", 67),
        ("255.255.255.255", 68),
        &[(Dir::ToServer, &b)],
        &mut st,
    );
    let m = Subject::Mac(Mac(PFC));
    assert_eq!(facts(&st, m, "dhcp.assigned_ip"), ["10.10.1.90"]);
    assert_eq!(facts(&st, m, "dhcp.boot_file"), ["pfc.cfg"]);
    assert_eq!(
        facts(&st, Subject::Ip(ip("10.10.1.1")), "dhcp.server"),
        ["bootp_reply"]
    );
    // Host name option length 40 with 3 bytes: options truncated; shorter than a BOOTP
    // header: truncated.
    let mut b = bootp_header(1, [0; 4], [0; 4], [0; 4], PFC, b"");
    b.extend([53, 1, 3, 12, 40, b'a', b'b', b'c']);
    let mut st = store();
    feed(
        new_dhcp,
        "dhcp",
        ("0.0.0.0", 68),
        ("255.255.255.255", 67),
        &[(Dir::ToServer, &b), (Dir::ToServer, &b[..100])],
        &mut st,
    );
    assert_eq!(anomalies(&st), ["dhcp_options_truncated", "dhcp_truncated"]);
    assert!(values(&st, Subject::Mac(Mac(PFC)), "hostname").is_empty());
}

#[test]
fn dhcp_probe() {
    let d = dhcp_discover();
    assert_eq!(probe_dhcp(Dir::ToServer, &d, true), Probe::Match);
    assert_eq!(probe_dhcp(Dir::ToServer, &d, false), Probe::Match);
    // Without the cookie: plain BOOTP, only on the port and with the 64-byte vendor area.
    let mut b = bootp_header(1, [0; 4], [0; 4], [0; 4], PFC, b"");
    b.truncate(236);
    b.extend([0u8; 64]);
    assert_eq!(probe_dhcp(Dir::ToServer, &b, true), Probe::Match);
    assert_eq!(probe_dhcp(Dir::ToServer, &b, false), Probe::NoMatch);
    // Bad op, hardware length, short.
    let mut x = d.clone();
    x[0] = 3;
    assert_eq!(probe_dhcp(Dir::ToServer, &x, true), Probe::NoMatch);
    let mut x = d.clone();
    x[2] = 99;
    assert_eq!(probe_dhcp(Dir::ToServer, &x, true), Probe::NoMatch);
    assert_eq!(probe_dhcp(Dir::ToServer, &d[..200], true), Probe::NoMatch);
}

// ---------------------------------------------------------------------------------------------
// DNS
// ---------------------------------------------------------------------------------------------

/// Query: id 0x0102, flags 0x0100 (RD), 1 question "historian.plant.local" A IN.
fn dns_query() -> Vec<u8> {
    let mut b = vec![0x01, 0x02, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    b.push(9);
    b.extend(b"historian"); // offset 12
    b.push(5);
    b.extend(b"plant"); // offset 22
    b.push(5);
    b.extend(b"local"); // offset 28
    b.push(0);
    b.extend([0, 1, 0, 1]); // type A, class IN
    b
}

/// Response to `dns_query` with compression: A, AAAA (ULA), CNAME, PTR, and an OPT record.
fn dns_response() -> Vec<u8> {
    let mut b = dns_query();
    b[2] = 0x81; // QR, RD
    b[3] = 0x80; // RA
    b[7] = 4; // ANCOUNT 4
    b[11] = 1; // ARCOUNT 1
    // A: name -> offset 12, type 1, class 1, TTL 60, length 4, 10.10.1.70
    b.extend([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 10, 1, 70]);
    // AAAA: name -> 12, type 28, class 1, TTL 60, length 16, fd00::70
    b.extend([0xC0, 0x0C, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16]);
    b.extend([0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x70]);
    // CNAME: "www" + pointer to 12, type 5, class 1, TTL 60, length 2, rdata -> 12
    b.extend([
        3, b'w', b'w', b'w', 0xC0, 0x0C, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xC0, 0x0C,
    ]);
    // PTR: "70.1.10.10.in-addr.arpa", type 12, class 1, TTL 60, length 2, rdata -> 12
    for l in ["70", "1", "10", "10", "in-addr", "arpa"] {
        b.push(l.len() as u8);
        b.extend(l.as_bytes());
    }
    b.push(0);
    b.extend([0, 12, 0, 1, 0, 0, 0, 60, 0, 2, 0xC0, 0x0C]);
    // OPT: root name, type 41, class 4096 (UDP size), TTL 0, length 0
    b.extend([0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
    b
}

#[test]
fn dns_message_with_compression() {
    let b = dns_response();
    let (_, m) = parse_message(&b, false).unwrap();
    assert!(m.error.is_none() && !m.capped);
    assert_eq!(m.consumed, b.len());
    assert_eq!(m.questions[0].name, b"historian.plant.local");
    assert_eq!(m.records.len(), 5);
    assert_eq!(m.records[0].data, RData::A("10.10.1.70".parse().unwrap()));
    assert_eq!(m.records[1].data, RData::Aaaa("fd00::70".parse().unwrap()));
    assert_eq!(m.records[2].name, b"www.historian.plant.local");
    assert_eq!(
        m.records[2].data,
        RData::Name(b"historian.plant.local".to_vec())
    );
    assert_eq!(m.records[3].name, b"70.1.10.10.in-addr.arpa");
    assert_eq!(m.records[4].rtype, 41);
    assert_eq!(m.records[4].section, Section::Additional);
}

#[test]
fn dns_answers_about_local_addresses_only() {
    let (q, r) = (dns_query(), dns_response());
    let mut st = store();
    feed(
        new_dns,
        "dns",
        ("10.10.1.60", 50003),
        ("10.10.1.1", 53),
        &[(Dir::ToServer, &q), (Dir::ToClient, &r)],
        &mut st,
    );
    assert_eq!(
        claims(&st, Subject::Ip(ip("10.10.1.70")), "hostname"),
        [
            ("historian.plant.local".to_string(), "dns.answer", 50),
            ("historian.plant.local".to_string(), "dns.ptr", 50)
        ]
    );
    assert_eq!(
        values(&st, Subject::Ip(ip("fd00::70")), "hostname"),
        ["historian.plant.local"]
    );
    let client = Subject::Ip(ip("10.10.1.60"));
    assert_eq!(facts(&st, client, "dns.query"), ["historian.plant.local"]);
    // A public answer: no claim.
    let mut r2 = r.clone();
    let a = r2.len() - (r.len() - (12 + 27 + 12));
    r2[a..a + 4].copy_from_slice(&[37, 252, 227, 54]);
    let mut st = store();
    feed(
        new_dns,
        "dns",
        ("10.10.1.60", 50003),
        ("10.10.1.1", 53),
        &[(Dir::ToClient, &r2)],
        &mut st,
    );
    assert!(values(&st, Subject::Ip(ip("37.252.227.54")), "hostname").is_empty());
}

/// A query for `name` with id 7.
fn query_for(name: &str) -> Vec<u8> {
    let mut b = vec![0, 7, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in name.split('.') {
        b.push(l.len() as u8);
        b.extend(l.as_bytes());
    }
    b.extend([0, 0, 1, 0, 1]);
    b
}

#[test]
fn dns_queries_are_bounded_per_client_and_name_remote_access_tools() {
    let mut st = store();
    // 40 flows (random source ports), one distinct name each, plus repeats.
    for k in 0..40u16 {
        let q = query_for(&format!("host{k}.example.org"));
        feed(
            new_dns,
            "dns",
            ("10.10.1.60", 40000 + k),
            ("10.10.1.1", 53),
            &[(Dir::ToServer, &q), (Dir::ToServer, &q)],
            &mut st,
        );
    }
    let client = Subject::Ip(ip("10.10.1.60"));
    assert_eq!(
        facts(&st, client, "dns.query").len() as u64,
        MAX_QUERIES_PER_CLIENT
    );
    let counter = st
        .facts
        .iter()
        .find(|(k, _)| k.subject == client && k.key == "dns.distinct_queries")
        .unwrap();
    assert_eq!(counter.1.count, MAX_QUERIES_PER_CLIENT);
    // A name already kept is still counted as evidence.
    let q = query_for("host0.example.org");
    feed(
        new_dns,
        "dns",
        ("10.10.1.60", 50000),
        ("10.10.1.1", 53),
        &[(Dir::ToServer, &q)],
        &mut st,
    );
    let k = st
        .facts
        .iter()
        .find(|(k, _)| k.value == "host0.example.org")
        .unwrap();
    assert_eq!(k.1.count, 2);
    // Remote-access tools (after the cap: still recognised). Reverse lookups are no queries.
    for (port, name) in [
        (50001, "router15.teamviewer.com"),
        (50002, "relay-1.net.anydesk.com"),
        (50003, "70.1.10.10.in-addr.arpa"),
    ] {
        let q = query_for(name);
        feed(
            new_dns,
            "dns",
            ("10.10.1.60", port),
            ("10.10.1.1", 53),
            &[(Dir::ToServer, &q)],
            &mut st,
        );
    }
    assert_eq!(
        facts(&st, client, "remote_access.tool"),
        ["AnyDesk", "TeamViewer"]
    );
    assert!(!facts(&st, client, "dns.query").contains(&"70.1.10.10.in-addr.arpa".into()));
}

#[test]
fn remote_access_domains_match_on_label_boundaries() {
    assert_eq!(
        codes::remote_access_tool("ROUTER1.TeamViewer.com."),
        Some("TeamViewer")
    );
    assert_eq!(
        codes::remote_access_tool("teamviewer.com"),
        Some("TeamViewer")
    );
    assert_eq!(codes::remote_access_tool("notteamviewer.com"), None);
    assert_eq!(codes::remote_access_tool("teamviewer.com.evil.org"), None);
    assert_eq!(codes::remote_access_tool("x.logme.in"), Some("LogMeIn"));
    assert_eq!(codes::remote_access_tool(""), None);
}

#[test]
fn dns_name_compression_is_bounded() {
    let header = [0u8, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
    let mut out = Vec::new();
    // A pointer to itself.
    let mut m = header.to_vec();
    m.extend([0xC0, 0x0C]);
    assert_eq!(read_name(&m, 12, &mut out), Err(NameError::BadPointer));
    // A forward pointer.
    let mut m = header.to_vec();
    m.extend([0xC0, 0x0E, 0x01, b'a', 0x00]);
    assert_eq!(read_name(&m, 12, &mut out), Err(NameError::BadPointer));
    // A label followed by a pointer back to it: a loop, stopped by the jump limit.
    let mut m = header.to_vec();
    m.extend([0x01, b'a', 0xC0, 0x0C]);
    assert_eq!(read_name(&m, 12, &mut out), Err(NameError::TooManyJumps));
    // A chain of 20 backward pointers to "a": more than MAX_JUMPS.
    let mut m = header.to_vec();
    m.extend([0x01, b'a', 0x00]); // offset 12
    let mut prev = 12usize;
    for _ in 0..20 {
        let here = m.len();
        m.extend([0xC0 | (prev >> 8) as u8, prev as u8]);
        prev = here;
    }
    assert_eq!(read_name(&m, prev, &mut out), Err(NameError::TooManyJumps));
    // 16 jumps are fine.
    let sixteenth = 12 + 3 + 15 * 2;
    assert_eq!(read_name(&m, sixteenth, &mut out), Ok(sixteenth + 2));
    assert_eq!(out, b"a");
    // Five labels of 63 bytes: longer than 255.
    let mut m = header.to_vec();
    for _ in 0..5 {
        m.push(63);
        m.extend([b'x'; 63]);
    }
    m.push(0);
    assert_eq!(read_name(&m, 12, &mut out), Err(NameError::TooLong));
    // Label types 01 and 10; a label running past the end; a missing pointer byte.
    let mut m = header.to_vec();
    m.extend([0x41, 0x00]);
    assert_eq!(read_name(&m, 12, &mut out), Err(NameError::BadLabel));
    let mut m = header.to_vec();
    m.extend([0x05, b'a']);
    assert_eq!(read_name(&m, 12, &mut out), Err(NameError::Truncated));
    let mut m = header.to_vec();
    m.push(0xC0);
    assert_eq!(read_name(&m, 12, &mut out), Err(NameError::Truncated));
    assert_eq!(read_name(&m, 99, &mut out), Err(NameError::Truncated));
}

#[test]
fn dns_malformed_messages_are_anomalies() {
    // Answer name pointing at itself (the generated malformed capture has the same).
    let mut r = dns_query();
    r[2] = 0x81;
    r[7] = 1;
    let at = r.len();
    r.extend([
        0xC0 | (at >> 8) as u8,
        at as u8,
        0,
        1,
        0,
        1,
        0,
        0,
        0,
        60,
        0,
        4,
        10,
        0,
        0,
        1,
    ]);
    // A response cut inside its last (OPT) record.
    let full = dns_response();
    let t = &full[..full.len() - 3];
    // Trailing bytes after a whole message.
    let mut trailing = dns_query();
    trailing.extend([1, 2, 3]);
    let mut st = store();
    feed(
        new_dns,
        "dns",
        ("10.10.1.60", 50100),
        ("10.10.1.1", 53),
        &[
            (Dir::ToClient, &r),
            (Dir::ToClient, t),
            (Dir::ToServer, &trailing),
            (Dir::ToServer, &[1, 2, 3]),
        ],
        &mut st,
    );
    assert_eq!(
        anomalies(&st),
        [
            "dns_name_bad_pointer",
            "dns_trailing_bytes",
            "dns_truncated"
        ]
    );
    assert!(values(&st, Subject::Ip(ip("10.0.0.1")), "hostname").is_empty());
    // Records beyond the cap.
    let mut b = vec![0, 1, 0x81, 0x80, 0, 0, 0, 100, 0, 0, 0, 0];
    for _ in 0..100 {
        b.extend([0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 10, 0, 0, 1]);
    }
    let (_, m) = parse_message(&b, false).unwrap();
    assert!(m.capped);
    assert_eq!(m.records.len(), MAX_RECORDS);
    // Bad TXT and SRV rdata.
    let mut b = vec![0, 1, 0x81, 0x80, 0, 0, 0, 2, 0, 0, 0, 0];
    b.extend([0, 0, 16, 0, 1, 0, 0, 0, 1, 0, 3, 5, b'a', b'b']); // TXT string 5 > 2 bytes
    b.extend([0, 0, 33, 0, 1, 0, 0, 0, 1, 0, 2, 0, 1]); // SRV with 2 bytes
    let (_, m) = parse_message(&b, false).unwrap();
    assert_eq!(m.error, Some("dns_bad_rdata"));
    assert_eq!(m.records.len(), 2);
    assert!(parse_message(&[0, 1, 2], false).is_err());
}

#[test]
fn name_text_and_reverse_names() {
    assert_eq!(name_text(b"host.local."), "host.local");
    assert_eq!(name_text(&[b'a', 0xFF, b'\n']), "a\\xff\\x0a");
    assert_eq!(
        reverse_ip("70.1.10.10.in-addr.arpa"),
        Some(ip("10.10.1.70"))
    );
    assert_eq!(
        reverse_ip("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.IP6.ARPA"),
        Some(ip("fd00::1"))
    );
    assert_eq!(reverse_ip("1.10.10.in-addr.arpa"), None);
    assert_eq!(reverse_ip("300.1.10.10.in-addr.arpa"), None);
    assert_eq!(reverse_ip("x.ip6.arpa"), None);
    assert_eq!(reverse_ip("example.com"), None);
}

// ---------------------------------------------------------------------------------------------
// mDNS
// ---------------------------------------------------------------------------------------------

/// The mDNS response of
/// `captures/public/opcua/cisagov__open62541_discover_getendpoints_discover_urls.pcap` frame 1:
/// open62541's LDS announcing host "Maui-16714" on five addresses (one 127.0.0.1), the
/// instance "LDS-Maui-16714._opcua-tcp._tcp.local" on the same addresses, and PTR records for
/// `_opcua-tcp._tcp.local` and `_services._dns-sd._udp.local`.
const MDNS_LDS: &str = "000084000000000c000000000a4d6175692d313637313400000100010000025800040a016025\
    0e4c44532d4d6175692d31363731340a5f6f706375612d746370045f746370056c6f63616c0000010001000002\
    5800040a016025c00c00010001000002580004c0a86b01c02600010001000002580004c0a86b01c00c00010001\
    000002580004ac106101c02600010001000002580004ac106101c00c00010001000002580004c0a8e069c02600\
    010001000002580004c0a8e069c00c000100010000025800047f000001c026000100010000025800047f000001\
    c035000c0001000002580002c026095f7365727669636573075f646e732d7364045f756470c045000c00010000\
    02580002c035";

#[test]
fn mdns_real_lds_announcement() {
    let b = hex(MDNS_LDS);
    assert_eq!(probe_mdns(Dir::ToServer, &b, true), Probe::Match);
    let mut st = store();
    feed(
        new_dns,
        "mdns",
        ("192.168.224.105", 5353),
        ("224.0.0.251", 5353),
        &[(Dir::ToServer, &b)],
        &mut st,
    );
    for a in [
        "10.1.96.37",
        "192.168.107.1",
        "172.16.97.1",
        "192.168.224.105",
    ] {
        assert_eq!(
            claims(&st, Subject::Ip(ip(a)), "hostname"),
            [("Maui-16714".to_string(), "mdns.answer", 60)],
            "{a}"
        );
    }
    assert!(values(&st, Subject::Ip(ip("127.0.0.1")), "hostname").is_empty());
    let me = Subject::Ip(ip("192.168.224.105"));
    assert_eq!(facts(&st, me, "mdns.service"), ["_opcua-tcp._tcp"]);
    assert_eq!(
        facts(&st, me, "mdns.instance"),
        ["LDS-Maui-16714._opcua-tcp._tcp.local"]
    );
    assert!(st.facts.keys().all(|k| k.proto == "mdns"));
    assert!(st.anomalies.is_empty());
}

/// An mDNS response: PTR `_http._tcp.local` -> instance, SRV, TXT with identity keys, A.
fn mdns_response() -> Vec<u8> {
    let mut b = vec![0, 0, 0x84, 0x00, 0, 0, 0, 4, 0, 0, 0, 0]; // id 0, QR AA, 4 answers
    // PTR: "_http._tcp.local" (offset 12), class IN, TTL 4500, rdata "ipc1" + -> 12
    b.extend([
        5, b'_', b'h', b't', b't', b'p', 4, b'_', b't', b'c', b'p', 5,
    ]);
    b.extend(b"local");
    b.push(0);
    b.extend([
        0, 12, 0, 1, 0, 0, 0x11, 0x94, 0, 7, 4, b'i', b'p', b'c', b'1', 0xC0, 0x0C,
    ]);
    // SRV (offset 47): name -> instance (offset 40), class IN | cache flush, TTL 120,
    // length 13: priority 0, weight 0, port 80, target "ipc1" (offset 65) + -> "local" (23)
    let inst = 40u8;
    b.extend([
        0xC0, inst, 0, 33, 0x80, 1, 0, 0, 0, 120, 0, 13, 0, 0, 0, 0, 0, 80,
    ]);
    b.extend([4, b'i', b'p', b'c', b'1', 0xC0, 23]);
    // TXT (offset 72): name -> instance, TTL 4500, length 32: "model=CX5140",
    // "fn=Line1 IPC", "", "junk"
    b.extend([0xC0, inst, 0, 16, 0, 1, 0, 0, 0x11, 0x94, 0, 32]);
    b.push(12);
    b.extend(b"model=CX5140");
    b.push(12);
    b.extend(b"fn=Line1 IPC");
    b.push(0);
    b.push(4);
    b.extend(b"junk");
    // A (offset 116): name -> "ipc1.local" (offset 65), class IN | cache flush, TTL 120,
    // 10.10.1.50
    b.extend([0xC0, 65, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 10, 10, 1, 50]);
    b
}

#[test]
fn mdns_service_records_and_txt_identity() {
    let b = mdns_response();
    let (_, m) = parse_message(&b, false).unwrap();
    assert!(m.error.is_none(), "{:?}", m.error);
    assert_eq!(m.consumed, b.len());
    assert_eq!(
        m.records[0].data,
        RData::Name(b"ipc1._http._tcp.local".to_vec())
    );
    assert_eq!(
        m.records[1].data,
        RData::Srv {
            priority: 0,
            weight: 0,
            port: 80,
            target: b"ipc1.local".to_vec()
        }
    );
    assert_eq!(m.records[1].class, 1);
    assert_eq!(
        m.records[2].data,
        RData::Txt(vec![&b"model=CX5140"[..], b"fn=Line1 IPC", b"", b"junk"])
    );
    assert_eq!(m.records[3].name, b"ipc1.local");
    let mut st = store();
    feed(
        new_dns,
        "mdns",
        ("10.10.1.50", 5353),
        ("224.0.0.251", 5353),
        &[(Dir::ToServer, &b)],
        &mut st,
    );
    let me = Subject::Ip(ip("10.10.1.50"));
    assert_eq!(values(&st, me, "hostname"), ["ipc1.local"]);
    assert_eq!(
        claims(&st, me, "model"),
        [("CX5140".to_string(), "mdns.txt", 60)]
    );
    assert_eq!(values(&st, me, "name"), ["Line1 IPC"]);
    assert_eq!(facts(&st, me, "mdns.service"), ["_http._tcp"]);
    assert_eq!(
        facts(&st, me, "mdns.srv"),
        ["ipc1._http._tcp.local -> ipc1.local:80"]
    );
    assert_eq!(facts(&st, me, "mdns.txt"), ["fn=Line1 IPC", "model=CX5140"]);
}

#[test]
fn mdns_browse_query_and_probe() {
    // Query: 1 question "_http._tcp.local" PTR, QU bit set in the class.
    let mut q = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend([
        5, b'_', b'h', b't', b't', b'p', 4, b'_', b't', b'c', b'p', 5,
    ]);
    q.extend(b"local");
    q.extend([0, 0, 12, 0x80, 1]);
    // Probe: question "ws1.local" ANY, authority A record proposing 10.10.1.61.
    let mut p = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0];
    p.extend([3, b'w', b's', b'1', 5]);
    p.extend(b"local");
    p.extend([0, 0, 255, 0, 1]);
    p.extend([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 120, 0, 4, 10, 10, 1, 61]);
    let mut st = store();
    feed(
        new_dns,
        "mdns",
        ("10.10.1.60", 5353),
        ("224.0.0.251", 5353),
        &[
            (Dir::ToServer, &q),
            (Dir::ToServer, &q),
            (Dir::ToServer, &p),
        ],
        &mut st,
    );
    let me = Subject::Ip(ip("10.10.1.60"));
    assert_eq!(facts(&st, me, "mdns.browse"), ["_http._tcp"]);
    assert_eq!(
        values(&st, Subject::Ip(ip("10.10.1.61")), "hostname"),
        ["ws1.local"]
    );
}

// ---------------------------------------------------------------------------------------------
// LLMNR
// ---------------------------------------------------------------------------------------------

#[test]
fn llmnr_query_and_off_port_response() {
    // Query id 0x4242, flags 0, 1 question "hist-backup" A IN.
    let mut q = vec![0x42, 0x42, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11];
    q.extend(b"hist-backup");
    q.extend([0, 0, 1, 0, 1]);
    // Response: QR, the question, answer -> 12 A 10.10.1.70 TTL 30.
    let mut r = q.clone();
    r[2] = 0x80;
    r[7] = 1;
    r.extend([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 10, 1, 70]);
    assert_eq!(probe_mdns(Dir::ToServer, &q, true), Probe::Match);
    let mut st = store();
    feed(
        new_dns,
        "llmnr",
        ("10.10.1.60", 55000),
        ("224.0.0.252", 5355),
        &[(Dir::ToServer, &q)],
        &mut st,
    );
    // The unicast answer goes from 5355 to the querier's ephemeral port: no port match, the
    // strict DNS probe finds it and the dissector names it LLMNR by the port.
    assert_eq!(probe_dns(Dir::ToServer, &r, false), Probe::Match);
    feed(
        new_dns,
        "dns",
        ("10.10.1.70", 5355),
        ("10.10.1.60", 55000),
        &[(Dir::ToServer, &r)],
        &mut st,
    );
    assert_eq!(
        facts(&st, Subject::Ip(ip("10.10.1.60")), "llmnr.query"),
        ["hist-backup"]
    );
    assert_eq!(
        claims(&st, Subject::Ip(ip("10.10.1.70")), "hostname"),
        [("hist-backup".to_string(), "llmnr.answer", 60)]
    );
    assert!(st.claims.values().all(|a| a.proto == "llmnr"));
}

// ---------------------------------------------------------------------------------------------
// NetBIOS Name Service
// ---------------------------------------------------------------------------------------------

/// First-level encoding of a NetBIOS name (15 bytes space padded + suffix).
fn nb_encode(name: &str, suffix: u8) -> Vec<u8> {
    let mut raw = [b' '; 16];
    raw[..name.len()].copy_from_slice(name.as_bytes());
    raw[15] = suffix;
    let mut v = vec![32u8];
    for c in raw {
        v.push(b'A' + (c >> 4));
        v.push(b'A' + (c & 0x0F));
    }
    v.push(0);
    v
}

#[test]
fn netbios_name_encoding() {
    let e = nb_encode("ENG-WS01", 0x00);
    let n = nb_decode(&e[1..33]).unwrap();
    assert_eq!(n.text(), "ENG-WS01");
    assert_eq!(n.suffix, 0);
    assert_eq!(n.display(), "ENG-WS01<00>");
    // With a scope after the first label.
    let mut scoped = e[1..33].to_vec();
    scoped.extend(b".plant");
    assert!(nb_decode(&scoped).is_some());
    // Not 32 characters, or outside 'A'..='P'.
    assert!(nb_decode(&e[1..31]).is_none());
    let mut bad = e[1..33].to_vec();
    bad[0] = b'Z';
    assert!(nb_decode(&bad).is_none());
    let mut long = e[1..33].to_vec();
    long.push(b'A');
    assert!(nb_decode(&long).is_none());
}

/// Registration request: id 0x8001, flags 0x2910 (opcode 5, RD, B), 1 question, 1 additional
/// NB record (-> question name) with NB_FLAGS and address.
fn nbns_registration(name: &str, suffix: u8, nb_flags: u16, addr: [u8; 4]) -> Vec<u8> {
    let mut b = vec![0x80, 0x01, 0x29, 0x10, 0, 1, 0, 0, 0, 0, 0, 1];
    b.extend(nb_encode(name, suffix));
    b.extend([0, 0x20, 0, 1]); // type NB, class IN
    b.extend([0xC0, 0x0C, 0, 0x20, 0, 1, 0, 0x04, 0x93, 0xE0, 0, 6]); // TTL 300000, len 6
    b.extend(nb_flags.to_be_bytes());
    b.extend(addr);
    b
}

#[test]
fn netbios_registrations_bind_names() {
    let unique = nbns_registration("ENG-WS01", 0x00, 0x0000, [10, 10, 1, 60]);
    let server = nbns_registration("ENG-WS01", 0x20, 0x0000, [10, 10, 1, 60]);
    let group = nbns_registration("PLANT", 0x1C, 0x8000, [10, 10, 1, 60]);
    let (_, m) = parse_message(&unique, true).unwrap();
    assert!(m.error.is_none());
    assert_eq!(
        m.records[0].data,
        RData::Nb(vec![(0, "10.10.1.60".parse().unwrap())])
    );
    assert_eq!(probe_nbns(Dir::ToServer, &unique, true), Probe::Match);
    assert_eq!(probe_nbns(Dir::ToServer, &unique, false), Probe::Match);
    let mut st = store();
    feed(
        new_nbns,
        "netbios-ns",
        ("10.10.1.60", 137),
        ("10.10.1.255", 137),
        &[
            (Dir::ToServer, &unique),
            (Dir::ToServer, &server),
            (Dir::ToServer, &group),
        ],
        &mut st,
    );
    let s = Subject::Ip(ip("10.10.1.60"));
    assert_eq!(
        claims(&st, s, "hostname"),
        [("ENG-WS01".to_string(), "netbios.registration", 60)]
    );
    assert_eq!(
        facts(&st, s, "netbios.suffix"),
        ["0x00 workstation", "0x1c domain_controller", "0x20 server"]
    );
    assert_eq!(facts(&st, s, "netbios.group"), ["PLANT<1c>"]);
}

/// Query of `captures/public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap` frame 137: "SAS<1b>"
/// broadcast; response of `iti__EIP-IPAddressChangeAttempt.pcap` frame 371:
/// "DBLICENSESERVER<20>" at 192.168.10.105.
const NBNS_QUERY: &str = "99220110000100000000000020464445424644434143414341434143414341434143\
    414341434143414341424c0000200001";
const NBNS_RESPONSE: &str = "9786850000000001000000002045454543454d454a45444546454f464445464644\
    4546464346474546464343410000200001000493e000060000c0a80a69";

#[test]
fn netbios_real_query_and_response() {
    let (q, r) = (hex(NBNS_QUERY), hex(NBNS_RESPONSE));
    let mut st = store();
    feed(
        new_nbns,
        "netbios-ns",
        ("172.16.0.122", 137),
        ("172.16.255.255", 137),
        &[(Dir::ToServer, &q)],
        &mut st,
    );
    feed(
        new_nbns,
        "netbios-ns",
        ("192.168.10.105", 137),
        ("192.168.10.22", 137),
        &[(Dir::ToServer, &r)],
        &mut st,
    );
    assert_eq!(
        facts(&st, Subject::Ip(ip("172.16.0.122")), "netbios.query"),
        ["SAS<1b>"]
    );
    let s = Subject::Ip(ip("192.168.10.105"));
    assert_eq!(
        claims(&st, s, "hostname"),
        [("DBLICENSESERVER".to_string(), "netbios.response", 60)]
    );
    assert_eq!(facts(&st, s, "netbios.suffix"), ["0x20 server"]);
}

#[test]
fn netbios_node_status_response() {
    // Response id 0x8003, flags 0x8400 (QR, AA), 1 answer: name "*" <00>, type NBSTAT,
    // class IN, TTL 0, rdata: 3 names (15 bytes + suffix + flags), MAC, statistics.
    let mut b = vec![0x80, 0x03, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0];
    let mut star = nb_encode("", 0);
    star[1] = b'C'; // '*' = 0x2A
    star[2] = b'K';
    b.extend(star);
    b.extend([0, 0x21, 0, 1, 0, 0, 0, 0]);
    let mut rd = vec![3u8];
    for (n, s, f) in [
        ("HISTORIAN", 0x00u8, 0x0400u16),
        ("PLANT", 0x00, 0x8400),
        ("HISTORIAN", 0x20, 0x0400),
    ] {
        let mut name = [b' '; 15];
        name[..n.len()].copy_from_slice(n.as_bytes());
        rd.extend(name);
        rd.push(s);
        rd.extend(f.to_be_bytes());
    }
    rd.extend([0x00, 0x50, 0x56, 0xAA, 0xBB, 0x70]);
    rd.extend([0u8; 46]);
    b.extend((rd.len() as u16).to_be_bytes());
    b.extend(rd);
    let (_, m) = parse_message(&b, true).unwrap();
    assert!(m.error.is_none(), "{:?}", m.error);
    let mut st = store();
    feed(
        new_nbns,
        "netbios-ns",
        ("10.10.1.60", 137),
        ("10.10.1.70", 137),
        &[(Dir::ToClient, &b)],
        &mut st,
    );
    let s = Subject::Ip(ip("10.10.1.70"));
    assert_eq!(
        claims(&st, s, "hostname"),
        [("HISTORIAN".to_string(), "netbios.node_status", 70)]
    );
    assert_eq!(facts(&st, s, "netbios.group"), ["PLANT<00>"]);
    assert_eq!(facts(&st, s, "netbios.mac"), ["00:50:56:aa:bb:70"]);
    // A node status rdata that claims more names than it holds is bad.
    let mut bad = b.clone();
    let at = bad.len() - (1 + 3 * 18 + 6 + 46);
    bad[at] = 200;
    let (_, m) = parse_message(&bad, true).unwrap();
    assert_eq!(m.error, Some("nbns_bad_rdata"));
}

// ---------------------------------------------------------------------------------------------
// SSDP
// ---------------------------------------------------------------------------------------------

const NOTIFY: &str = "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\
    LOCATION: http://10.10.1.50:49152/description.xml\r\n\
    NT: urn:schemas-upnp-org:device:Basic:1\r\nNTS: ssdp:alive\r\n\
    Server: Linux/4.19 UPnP/1.0 Portable SDK for UPnP devices/1.8.4\r\n\
    USN: uuid:1::urn:schemas-upnp-org:device:Basic:1\r\n\r\n";
const MSEARCH: &str = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\
    MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\nUSER-AGENT: Chrome/61.0\r\n\r\n";
const SEARCH_RESPONSE: &str = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=100\r\n\
    ST: upnp:rootdevice\r\nUSN: uuid:2::upnp:rootdevice\r\nSERVER: IPC/1.0\r\n\r\n";

#[test]
fn ssdp_messages() {
    let s = parse_ssdp(NOTIFY.as_bytes()).unwrap();
    assert_eq!(s.method, "NOTIFY");
    assert_eq!(
        s.server,
        Some("Linux/4.19 UPnP/1.0 Portable SDK for UPnP devices/1.8.4")
    );
    assert_eq!(s.location, Some("http://10.10.1.50:49152/description.xml"));
    assert_eq!(
        probe_ssdp(Dir::ToServer, NOTIFY.as_bytes(), true),
        Probe::Match
    );
    assert_eq!(
        probe_ssdp(Dir::ToServer, NOTIFY.as_bytes(), false),
        Probe::NoMatch
    );
    assert_eq!(
        probe_ssdp(Dir::ToServer, SEARCH_RESPONSE.as_bytes(), false),
        Probe::Match
    );
    assert_eq!(
        probe_ssdp(Dir::ToServer, b"HTTP/1.1 200 OK\r\n\r\n", true),
        Probe::NoMatch
    );
    let mut st = store();
    feed(
        new_ssdp,
        "ssdp",
        ("10.10.1.50", 1900),
        ("239.255.255.250", 1900),
        &[(Dir::ToServer, NOTIFY.as_bytes())],
        &mut st,
    );
    feed(
        new_ssdp,
        "ssdp",
        ("10.10.1.60", 50000),
        ("239.255.255.250", 1900),
        &[
            (Dir::ToServer, MSEARCH.as_bytes()),
            (Dir::ToServer, b"garbage\r\n"),
        ],
        &mut st,
    );
    let dev = Subject::Ip(ip("10.10.1.50"));
    assert_eq!(
        values(&st, dev, "ssdp.server"),
        ["Linux/4.19 UPnP/1.0 Portable SDK for UPnP devices/1.8.4"]
    );
    assert_eq!(
        facts(&st, dev, "ssdp.device_type"),
        ["urn:schemas-upnp-org:device:Basic:1"]
    );
    let ws = Subject::Ip(ip("10.10.1.60"));
    assert_eq!(facts(&st, ws, "ssdp.search"), ["ssdp:all"]);
    assert_eq!(facts(&st, ws, "ssdp.user_agent"), ["Chrome/61.0"]);
    assert_eq!(anomalies(&st), ["ssdp_bad_message"]);
}

// ---------------------------------------------------------------------------------------------
// Probes against other traffic
// ---------------------------------------------------------------------------------------------

#[test]
fn probes_reject_other_protocols() {
    let others: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\nHost: plc\r\n\r\n".to_vec(),
        // Modbus/TCP read holding registers: MBAP + PDU.
        vec![
            0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x0A,
        ],
        // TPKT + COTP CR (S7).
        vec![
            0x03, 0x00, 0x00, 0x16, 0x11, 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xC0, 0x01, 0x0A,
            0xC1, 0x02, 0x01, 0x00, 0xC2, 0x02, 0x01, 0x02,
        ],
        // ENIP ListIdentity request over UDP (command 0x0063, 24-byte header).
        vec![
            0x63, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        // BACnet/IP Who-Is.
        vec![
            0x81, 0x0B, 0x00, 0x0C, 0x01, 0x20, 0xFF, 0xFF, 0x00, 0xFF, 0x10, 0x08,
        ],
        // SNMP v2c get-request start.
        vec![
            0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c',
        ],
        vec![],
    ];
    for o in &others {
        for port in [true, false] {
            assert_eq!(probe_dns(Dir::ToServer, o, port), Probe::NoMatch, "{o:?}");
            assert_eq!(probe_mdns(Dir::ToServer, o, port), Probe::NoMatch);
            assert_eq!(probe_nbns(Dir::ToServer, o, port), Probe::NoMatch);
            assert_eq!(probe_dhcp(Dir::ToServer, o, port), Probe::NoMatch);
            assert_eq!(probe_ssdp(Dir::ToServer, o, port), Probe::NoMatch);
        }
    }
    // A DNS query is not NBNS, and an NBNS message off its port is not called DNS first
    // (netbios-ns is probed before dns in DATAGRAM_PROTOCOLS).
    assert_eq!(
        probe_nbns(Dir::ToServer, &dns_query(), true),
        Probe::NoMatch
    );
    assert_eq!(probe_dns(Dir::ToServer, &dns_query(), false), Probe::Match);
    assert_eq!(
        probe_mdns(Dir::ToServer, &dns_query(), false),
        Probe::NoMatch
    );
    // Random bytes: never without the port; on the port, the header check is strong.
    let mut rng = Rng(7);
    let mut on_port = 0;
    for _ in 0..5000 {
        let n = 12 + rng.below(80);
        let b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        assert_eq!(probe_dns(Dir::ToServer, &b, false), Probe::NoMatch);
        assert_eq!(probe_nbns(Dir::ToServer, &b, false), Probe::NoMatch);
        assert_eq!(probe_dhcp(Dir::ToServer, &b, false), Probe::NoMatch);
        if probe_dns(Dir::ToServer, &b, true) == Probe::Match {
            on_port += 1;
        }
    }
    assert_eq!(on_port, 0);
}

// ---------------------------------------------------------------------------------------------
// Growing prefixes: every prefix of a datagram (a capture cut by its snap length) is handled
// without panic, and never yields a claim the whole datagram does not.
// ---------------------------------------------------------------------------------------------

#[test]
fn growing_prefixes() {
    type Case = (
        NewFn,
        &'static str,
        (&'static str, u16),
        (&'static str, u16),
        Vec<u8>,
    );
    let cases: Vec<Case> = vec![
        (
            new_dhcp,
            "dhcp",
            ("0.0.0.0", 68),
            ("255.255.255.255", 67),
            dhcp_discover(),
        ),
        (
            new_dhcp,
            "dhcp",
            ("192.168.10.105", 67),
            ("255.255.255.255", 68),
            dhcp_ack_real(),
        ),
        (
            new_dns,
            "dns",
            ("10.10.1.1", 53),
            ("10.10.1.60", 50003),
            dns_response(),
        ),
        (
            new_dns,
            "mdns",
            ("192.168.224.105", 5353),
            ("224.0.0.251", 5353),
            hex(MDNS_LDS),
        ),
        (
            new_dns,
            "mdns",
            ("10.10.1.50", 5353),
            ("224.0.0.251", 5353),
            mdns_response(),
        ),
        (
            new_nbns,
            "netbios-ns",
            ("10.10.1.60", 137),
            ("10.10.1.255", 137),
            nbns_registration("ENG-WS01", 0, 0, [10, 10, 1, 60]),
        ),
        (
            new_nbns,
            "netbios-ns",
            ("192.168.10.105", 137),
            ("192.168.10.22", 137),
            hex(NBNS_RESPONSE),
        ),
    ];
    for (new, proto, c, s, full) in cases {
        let mut whole = store();
        feed(new, proto, c, s, &[(Dir::ToServer, &full)], &mut whole);
        assert!(
            !whole.claims.is_empty() || !whole.facts.is_empty(),
            "{proto}"
        );
        for n in 0..full.len() {
            let mut part = store();
            feed(new, proto, c, s, &[(Dir::ToServer, &full[..n])], &mut part);
            for k in part.claims.keys() {
                assert!(
                    whole.claims.contains_key(k),
                    "{proto} prefix {n}: {k:?} not in the whole datagram's claims"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzz: fixed seed, std only.
// ---------------------------------------------------------------------------------------------

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    match rng.below(5) {
        0 => {
            for _ in 0..1 + rng.below(4) {
                if !v.is_empty() {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
            }
        }
        1 => v.truncate(rng.below(v.len() + 1)),
        2 => {
            // Plant a compression pointer somewhere (loops, forward references).
            if v.len() > 2 {
                let i = rng.below(v.len() - 1);
                v[i] = 0xC0 | (rng.next() as u8 & 0x3F);
                v[i + 1] = rng.next() as u8;
            }
        }
        3 => {
            if !v.is_empty() {
                let i = rng.below(v.len());
                v[i] = 0xFF;
            }
        }
        _ => {
            let n = rng.below(64);
            v.extend((0..n).map(|_| rng.next() as u8));
        }
    }
    v
}

#[test]
fn fuzz_parsers_probes_and_dissectors() {
    let mut rng = Rng(0x0DD5_EED5_1234_5678);
    let bases: Vec<Vec<u8>> = vec![
        dhcp_discover(),
        dhcp_ack_real(),
        dns_query(),
        dns_response(),
        hex(MDNS_LDS),
        mdns_response(),
        nbns_registration("ENG-WS01", 0, 0, [10, 10, 1, 60]),
        hex(NBNS_QUERY),
        hex(NBNS_RESPONSE),
        NOTIFY.as_bytes().to_vec(),
    ];
    let mut st = store();
    let news: [(NewFn, &str, u16); 6] = [
        (new_dhcp, "dhcp", 67),
        (new_dns, "dns", 53),
        (new_dns, "mdns", 5353),
        (new_dns, "llmnr", 5355),
        (new_nbns, "netbios-ns", 137),
        (new_ssdp, "ssdp", 1900),
    ];
    for round in 0..4000 {
        let input: Vec<u8> = if round % 4 == 0 {
            let n = rng.below(400);
            (0..n).map(|_| rng.next() as u8).collect()
        } else {
            let k = rng.below(bases.len());
            mutate(&mut rng, &bases[k])
        };
        let _ = parse_dhcp(&input);
        for nbns in [false, true] {
            if let Ok((_, m)) = parse_message(&input, nbns) {
                assert!(m.questions.len() <= MAX_QUESTIONS && m.records.len() <= MAX_RECORDS);
                for r in &m.records {
                    assert!(r.name.len() <= MAX_NAME);
                }
            }
        }
        let _ = parse_ssdp(&input);
        for port in [true, false] {
            let _ = probe_dhcp(Dir::ToServer, &input, port);
            let _ = probe_dns(Dir::ToServer, &input, port);
            let _ = probe_mdns(Dir::ToServer, &input, port);
            let _ = probe_nbns(Dir::ToServer, &input, port);
            let _ = probe_ssdp(Dir::ToServer, &input, port);
        }
        let (new, proto, port) = news[round % news.len()];
        let dir = if round % 2 == 0 {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        feed(
            new,
            proto,
            ("10.0.0.1", 40000),
            ("10.0.0.2", port),
            &[(dir, &input)],
            &mut st,
        );
    }
    assert!(st.claims.keys().all(|k| k.value.len() <= 512));
    assert!(st.facts.keys().all(|k| k.value.len() <= 1024));
}

#[test]
fn worst_case_compression_work_is_bounded() {
    // 100 answers; answer 1 is named "a", answer k is named by a pointer to the name of
    // answer k-1, so reading it takes k-1 jumps. Answers 1..=17 are read (16 jumps at most);
    // answer 18 would take 17 jumps and ends the walk.
    let mut b = vec![0, 1, 0x81, 0x80, 0, 0, 0, 100, 0, 0, 0, 0];
    let mut prev_name: Option<usize> = None;
    for _ in 0..100 {
        let here = b.len();
        match prev_name {
            None => b.extend([1, b'a', 0]),
            Some(p) => b.extend([0xC0 | (p >> 8) as u8, p as u8]),
        }
        prev_name = Some(here);
        // type 99 (kept raw), class IN, TTL 1, length 2, rdata
        b.extend([0, 99, 0, 1, 0, 0, 0, 1, 0, 2, 0xAB, 0xCD]);
    }
    let (_, m) = parse_message(&b, false).unwrap();
    assert_eq!(m.records.len(), 17);
    assert_eq!(m.error, Some("dns_name_too_many_jumps"));
    assert!(m.records.iter().all(|r| r.name == b"a"));
}
