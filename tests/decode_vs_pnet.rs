//! Differential test: our L2–L4 decoder against an independent implementation (`pnet_packet`)
//! on every Ethernet frame of the shipped captures.

mod common;

use otscope::capture::LinkType;
use otscope::capture::merge::MergedReader;
use otscope::decode::{self, L4, Net};
use pnet_packet::Packet;
use pnet_packet::ethernet::{EtherTypes, EthernetPacket};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use pnet_packet::tcp::TcpPacket;
use pnet_packet::udp::UdpPacket;

#[derive(Default)]
struct Tally {
    frames: u64,
    ipv4: u64,
    ipv6: u64,
    tcp: u64,
    udp: u64,
}

fn check(t: &mut Tally, mismatches: &mut Vec<String>, file: &str, n: u64, data: &[u8], cut: bool) {
    let Some(eth) = EthernetPacket::new(data) else {
        return;
    };
    let ours = decode::decode(LinkType::Ethernet, data, cut, 4, 8);
    let mut bad = |what: &str| {
        if mismatches.len() < 20 {
            mismatches.push(format!("{file} frame {n}: {what}"));
        }
    };
    t.frames += 1;
    match eth.get_ethertype() {
        EtherTypes::Ipv4 => {
            let Some(ip) = Ipv4Packet::new(eth.payload()) else {
                return;
            };
            // pnet does not check lengths; compare only well-formed headers.
            let hlen = ip.get_header_length() as usize * 4;
            if hlen < 20
                || eth.payload().len() < hlen
                || (ip.get_total_length() as usize) > eth.payload().len() && !cut
            {
                return;
            }
            let Ok(p) = &ours else {
                return bad("ours failed on a well-formed IPv4 header");
            };
            let Net::Ip(o) = p.net else {
                return bad("not IP");
            };
            t.ipv4 += 1;
            if o.src != std::net::IpAddr::V4(ip.get_source())
                || o.dst != std::net::IpAddr::V4(ip.get_destination())
            {
                bad("addresses");
            }
            if o.ttl != ip.get_ttl()
                || o.ident != ip.get_identification()
                || o.proto != ip.get_next_level_protocol().0
            {
                bad("ttl/id/proto");
            }
            let frag = ip.get_fragment_offset() != 0 || ip.get_flags() & 1 != 0;
            if frag != o.frag.is_some() {
                bad("fragment flags");
            }
            if frag {
                return;
            }
            let hl = ip.get_header_length() as usize * 4;
            let tl = (ip.get_total_length() as usize).min(eth.payload().len());
            if tl < hl {
                return;
            }
            let body = &eth.payload()[hl..tl];
            compare_l4(t, &mut bad, &o, ip.get_next_level_protocol(), body);
        }
        EtherTypes::Ipv6 => {
            let Some(ip) = Ipv6Packet::new(eth.payload()) else {
                return;
            };
            let Ok(p) = &ours else { return };
            let Net::Ip(o) = p.net else {
                return bad("not IP");
            };
            t.ipv6 += 1;
            if o.src != std::net::IpAddr::V6(ip.get_source())
                || o.dst != std::net::IpAddr::V6(ip.get_destination())
            {
                bad("v6 addresses");
            }
            if o.ttl != ip.get_hop_limit() {
                bad("hop limit");
            }
            // Without extension headers the upper layer follows directly.
            let nh = ip.get_next_header();
            if nh == IpNextHeaderProtocols::Tcp || nh == IpNextHeaderProtocols::Udp {
                let end = (40 + ip.get_payload_length() as usize).min(eth.payload().len());
                compare_l4(t, &mut bad, &o, nh, &eth.payload()[40.min(end)..end]);
            }
        }
        _ => {}
    }
}

fn compare_l4(
    t: &mut Tally,
    bad: &mut dyn FnMut(&str),
    o: &decode::Ip<'_>,
    proto: pnet_packet::ip::IpNextHeaderProtocol,
    body: &[u8],
) {
    let ours = decode::l4(o);
    if proto == IpNextHeaderProtocols::Tcp {
        let Some(tcp) = TcpPacket::new(body) else {
            return;
        };
        if tcp.get_data_offset() < 5 || (tcp.get_data_offset() as usize * 4) > body.len() {
            return;
        }
        let Ok(L4::Tcp(x)) = ours else {
            return bad("ours failed on a well-formed TCP header");
        };
        t.tcp += 1;
        if (x.sport, x.dport, x.seq, x.ack)
            != (
                tcp.get_source(),
                tcp.get_destination(),
                tcp.get_sequence(),
                tcp.get_acknowledgement(),
            )
        {
            bad("tcp ports/seq/ack");
        }
        if x.flags != tcp.get_flags() || x.window != tcp.get_window() {
            bad("tcp flags/window");
        }
        if x.payload != tcp.payload() {
            bad("tcp payload");
        }
    } else if proto == IpNextHeaderProtocols::Udp {
        let Some(udp) = UdpPacket::new(body) else {
            return;
        };
        let len = udp.get_length() as usize;
        if len < 8 || len > body.len() {
            return;
        }
        let Ok(L4::Udp(x)) = ours else {
            return bad("ours failed on a well-formed UDP header");
        };
        t.udp += 1;
        if (x.sport, x.dport) != (udp.get_source(), udp.get_destination()) {
            bad("udp ports");
        }
        if x.payload != &body[8..len] {
            bad("udp payload");
        }
    }
}

#[test]
fn decoder_agrees_with_pnet_on_every_shipped_ethernet_frame() {
    let mut t = Tally::default();
    let mut mismatches = Vec::new();
    let mut files = common::public_captures();
    for g in [
        "generated/modbus-pymodbus.pcap",
        "generated/s7-snap7.pcap",
        "generated/enip-cpppo.pcap",
        "generated/opcua-asyncua-none.pcap",
    ] {
        files.push(common::capture(g));
    }
    for f in &files {
        let (mut r, _) = MergedReader::open(std::slice::from_ref(f), 1 << 20);
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        r.for_each(|fr| {
            if fr.link == LinkType::Ethernet {
                check(
                    &mut t,
                    &mut mismatches,
                    &name,
                    fr.number,
                    fr.data,
                    (fr.data.len() as u32) < fr.orig_len,
                );
            }
        });
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // The comparison covered real volume.
    assert!(
        t.frames > 50_000 && t.ipv4 > 40_000 && t.tcp > 30_000 && t.udp > 500 && t.ipv6 > 100,
        "{} {} {} {} {}",
        t.frames,
        t.ipv4,
        t.tcp,
        t.udp,
        t.ipv6
    );
}
