//! Decoder unit tests over hand-written frames, commented field by field.

use super::*;

/// Ethernet + 802.1Q(10) + IPv4 + TCP SYN 192.168.10.120:50000 -> 192.168.20.18:102.
fn vlan_tcp_syn() -> Vec<u8> {
    let mut f = vec![
        0x28, 0x63, 0x36, 0x6f, 0x63, 0x9d, // dst MAC (Siemens OUI)
        0x00, 0xd0, 0xc9, 0xfd, 0x31, 0x13, // src MAC (Advantech OUI)
        0x81, 0x00, // TPID 802.1Q
        0x00, 0x0a, // PCP 0, DEI 0, VID 10
        0x08, 0x00, // ethertype IPv4
        0x45, 0x00, // version 4, IHL 5; TOS
        0x00, 0x2c, // total length 44 (20 IP + 24 TCP)
        0x12, 0x34, // identification
        0x40, 0x00, // flags DF, fragment offset 0
        0x40, 0x06, // TTL 64, protocol TCP
        0x00, 0x00, // header checksum (not checked)
        192, 168, 10, 120, // source
        192, 168, 20, 18, // destination
        0xc3, 0x50, // source port 50000
        0x00, 0x66, // destination port 102
        0x00, 0x00, 0x03, 0xe8, // sequence 1000
        0x00, 0x00, 0x00, 0x00, // ack 0
        0x60, 0x02, // data offset 6 (24 bytes), flags SYN
        0xfa, 0xf0, // window
        0xab, 0xcd, // checksum
        0x00, 0x00, // urgent pointer
        0x02, 0x04, 0x05, 0xb4, // option MSS 1460
    ];
    f.extend_from_slice(&[0; 2]); // Ethernet padding (must be trimmed by total length)
    f
}

#[test]
fn ethernet_vlan_ipv4_tcp() {
    let f = vlan_tcp_syn();
    let p = decode(LinkType::Ethernet, &f, false, 4, 8).unwrap();
    assert_eq!(p.l2.vlan(), Some(10));
    assert_eq!(p.l2.src.unwrap().to_string(), "00:d0:c9:fd:31:13");
    let Net::Ip(ip) = p.net else { panic!() };
    assert_eq!(ip.src.to_string(), "192.168.10.120");
    assert_eq!(ip.dst.to_string(), "192.168.20.18");
    assert_eq!((ip.ttl, ip.ident, ip.proto), (64, 0x1234, 6));
    assert!(ip.frag.is_none());
    let L4::Tcp(t) = l4(&ip).unwrap() else {
        panic!()
    };
    assert_eq!(
        (t.sport, t.dport, t.seq, t.flags),
        (50000, 102, 1000, TCP_SYN)
    );
    assert_eq!(t.payload.len(), 0, "padding trimmed");
    assert_eq!(t.payload_len, 0);
}

#[test]
fn qinq_keeps_both_tags_and_inner_is_the_vlan() {
    let mut f = vlan_tcp_syn();
    // insert an outer S-tag 0x88a8 VID 100 before the C-tag
    f.splice(12..12, [0x88, 0xa8, 0x00, 0x64]);
    let p = decode(LinkType::Ethernet, &f, false, 4, 8).unwrap();
    assert_eq!(p.l2.vlan_count, 2);
    assert_eq!(p.l2.vlans, [100, 10]);
    assert_eq!(p.l2.vlan(), Some(10));
    // more tags than the limit is an error, not a loop
    let mut g = f.clone();
    for _ in 0..10 {
        g.splice(12..12, [0x81, 0x00, 0x00, 0x01]);
    }
    assert_eq!(
        decode(LinkType::Ethernet, &g, false, 4, 8).unwrap_err(),
        DecodeError::TooManyVlanTags
    );
}

#[test]
fn snaplen_cut_payload_is_known_but_absent() {
    let mut f = vlan_tcp_syn();
    // claim 100 bytes of payload the capture did not keep
    f[20] = 0x00;
    f[21] = 44 + 100;
    f.truncate(18 + 44);
    let p = decode(LinkType::Ethernet, &f, true, 4, 8).unwrap();
    let Net::Ip(ip) = p.net else { panic!() };
    let L4::Tcp(t) = l4(&ip).unwrap() else {
        panic!()
    };
    assert_eq!(t.payload.len(), 0);
    assert_eq!(t.payload_len, 100);
    // the same frame not cut by the capture is malformed
    assert_eq!(
        decode(LinkType::Ethernet, &f, false, 4, 8).unwrap_err(),
        DecodeError::Ipv4BadTotalLength
    );
}

#[test]
fn broken_headers_are_counted_kinds() {
    let f = vlan_tcp_syn();
    assert_eq!(
        decode(LinkType::Ethernet, &f[..10], false, 4, 8).unwrap_err(),
        DecodeError::LinkHeaderTruncated
    );
    assert_eq!(
        decode(LinkType::Ethernet, &f[..16], false, 4, 8).unwrap_err(),
        DecodeError::VlanTruncated
    );
    assert_eq!(
        decode(LinkType::Ethernet, &f[..30], true, 4, 8).unwrap_err(),
        DecodeError::Ipv4Truncated
    );
    let mut g = f.clone();
    g[18] = 0x43; // IHL 3
    assert_eq!(
        decode(LinkType::Ethernet, &g, false, 4, 8).unwrap_err(),
        DecodeError::Ipv4BadHeaderLength
    );
    let mut g = f.clone();
    g[18] = 0x55; // version 5
    assert_eq!(
        decode(LinkType::Ethernet, &g, false, 4, 8).unwrap_err(),
        DecodeError::Ipv4BadVersion
    );
    let mut g = f.clone();
    g[50] = 0x30; // TCP data offset 3
    let p = decode(LinkType::Ethernet, &g, false, 4, 8).unwrap();
    let Net::Ip(ip) = p.net else { panic!() };
    assert_eq!(l4(&ip).unwrap_err(), DecodeError::TcpBadDataOffset);
    assert_eq!(
        decode(LinkType::Other(105), &f, false, 4, 8).unwrap_err(),
        DecodeError::UnsupportedLinkType
    );
}

#[test]
fn ipv4_fragment_fields() {
    let mut f = vlan_tcp_syn();
    f[24] = 0x20; // MF set
    f[25] = 0x03; // offset 3 * 8 = 24
    let p = decode(LinkType::Ethernet, &f, false, 4, 8).unwrap();
    let Net::Ip(ip) = p.net else { panic!() };
    let fr = ip.frag.unwrap();
    assert_eq!((fr.offset, fr.more, fr.id), (24, true, 0x1234));
}

/// Linux cooked v1 + IPv4 UDP 10.0.0.1:5000 -> 10.0.0.2:161, 3 payload bytes.
#[test]
fn linux_sll_udp() {
    let f = [
        0x00, 0x00, // packet type: to us
        0x00, 0x01, // ARPHRD_ETHER
        0x00, 0x06, // address length 6
        0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0x00, 0x00, // address (8 bytes, 6 used)
        0x08, 0x00, // protocol IPv4
        0x45, 0x00, 0x00, 0x1f, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00,
        0x00, // IPv4, len 31, UDP
        10, 0, 0, 1, 10, 0, 0, 2, // addresses
        0x13, 0x88, 0x00, 0xa1, // ports 5000 -> 161
        0x00, 0x0b, 0x00, 0x00, // UDP length 11, checksum
        0x30, 0x01, 0x00, // payload
    ];
    let p = decode(LinkType::LinuxSll, &f, false, 4, 8).unwrap();
    assert_eq!(p.l2.src.unwrap().to_string(), "02:42:ac:11:00:02");
    let Net::Ip(ip) = p.net else { panic!() };
    let L4::Udp(u) = l4(&ip).unwrap() else {
        panic!()
    };
    assert_eq!(
        (u.sport, u.dport, u.payload),
        (5000, 161, &[0x30, 0x01, 0x00][..])
    );
}

/// Linux cooked v2 + ARP reply.
#[test]
fn linux_sll2_arp() {
    let mut f = vec![
        0x08, 0x06, // protocol ARP
        0x00, 0x00, // reserved
        0x00, 0x00, 0x00, 0x02, // interface index
        0x00, 0x01, // ARPHRD_ETHER
        0x04, // packet type: outgoing
        0x06, // address length
        0x00, 0x00, 0x54, 0x85, 0x20, 0x5a, 0x00, 0x00, // address
    ];
    f.extend_from_slice(&[
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, // Ethernet/IPv4, hlen 6, plen 4
        0x00, 0x02, // op reply
        0x00, 0x00, 0x54, 0x85, 0x20, 0x5a, 192, 168, 20, 95, // sender
        0x28, 0x63, 0x36, 0x6f, 0x63, 0x9d, 192, 168, 20, 18, // target
    ]);
    let p = decode(LinkType::LinuxSll2, &f, false, 4, 8).unwrap();
    let Net::Arp(a) = p.net else { panic!() };
    assert_eq!(a.op, 2);
    assert_eq!(a.sender_ip.to_string(), "192.168.20.95");
    assert_eq!(a.sender_mac.to_string(), "00:00:54:85:20:5a");
}

/// BSD NULL loopback (family 30 = IPv6 on macOS, little-endian) + IPv6 with a hop-by-hop
/// and a destination-options header before TCP.
#[test]
fn null_ipv6_extension_chain() {
    let mut f = vec![30, 0, 0, 0];
    let tcp = [
        0x10, 0x92, 0x12, 0xe8, // 4242 -> 4840
        0, 0, 0, 1, 0, 0, 0, 0, // seq 1, ack 0
        0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, // doff 5, SYN
    ];
    let ext_len = 8 + 8;
    f.extend_from_slice(&[
        0x60,
        0,
        0,
        0, // version 6
        0,
        (ext_len + tcp.len()) as u8, // payload length
        0,
        64, // next header hop-by-hop, hop limit 64
    ]);
    f.extend_from_slice(&[0; 15]);
    f.push(1); // ::1
    f.extend_from_slice(&[0; 15]);
    f.push(1); // ::1
    f.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]); // hop-by-hop: next = dest opts, len 0 (8 bytes)
    f.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 0]); // dest opts: next = TCP
    f.extend_from_slice(&tcp);
    let p = decode(LinkType::Null, &f, false, 4, 8).unwrap();
    let Net::Ip(ip) = p.net else { panic!() };
    assert_eq!(ip.src.to_string(), "::1");
    assert_eq!(ip.proto, 6);
    let L4::Tcp(t) = l4(&ip).unwrap() else {
        panic!()
    };
    assert_eq!((t.sport, t.dport), (4242, 4840));
    // a chain longer than the limit is refused
    assert_eq!(
        decode(LinkType::Null, &f, false, 4, 1).unwrap_err(),
        DecodeError::Ipv6TooManyExtHeaders
    );
}

#[test]
fn cdp_via_llc_snap() {
    let mut f = vec![
        0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc, 0x58, 0xac, 0x78, 0xb7, 0xd0, 0xb9,
    ];
    f.extend_from_slice(&[0x00, 0x20]); // 802.3 length
    f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00]); // LLC/SNAP, CDP
    f.extend_from_slice(&[0x02, 0xb4, 0x00, 0x00]); // CDP version 2, ttl 180, checksum
    let p = decode(LinkType::Ethernet, &f, false, 4, 8).unwrap();
    assert!(matches!(p.net, Net::Cdp(b) if b[0] == 2));
}
