//! Connections picked up mid-stream, on ports no one registered: with no SYN to say who
//! connected, the engine orients a flow by its ports (the lower port serves), and the first
//! message a protocol probe recognises turns the flow round when that guess was wrong.
//!
//! Real captures are replayed as if the capture had begun after the connections were set up
//! (SYNs left out) and their servers had listened on another port.
mod common;

use common::*;
use otscope::capture::LinkType;
use otscope::capture::merge::MergedReader;
use serde_json::Value;
use std::collections::BTreeMap;

const TCP_SYN: u8 = 0x02;

/// `rel` without its SYN segments, the server port `from` moved to `server` and every client
/// port `p` to `client_base + p % 1000` (IPv4 over Ethernet, Linux cooked, BSD loopback or
/// raw; other frames as they were).
fn picked_up_mid_stream(
    rel: &str,
    from: u16,
    server: u16,
    client_base: u16,
) -> tempfile::NamedTempFile {
    picked_up_in_pieces(rel, from, server, client_base, usize::MAX)
}

/// [`picked_up_mid_stream`], with every TCP payload sent in segments of at most `piece` bytes.
fn picked_up_in_pieces(
    rel: &str,
    from: u16,
    server: u16,
    client_base: u16,
    piece: usize,
) -> tempfile::NamedTempFile {
    let path = capture(rel);
    let (mut r, _) = MergedReader::open(std::slice::from_ref(&path), 1 << 20);
    let mut frames = Vec::new();
    let mut moved = 0;
    let mut link = None;
    let mut clients = BTreeMap::new();
    r.for_each(|f| {
        let mut d = f.data.to_vec();
        // Where IPv4 starts, by link type.
        let (l2, linktype) = match f.link {
            LinkType::Ethernet if d.get(12..14) == Some(&[0x08, 0x00]) => (14, 1),
            LinkType::LinuxSll if d.get(14..16) == Some(&[0x08, 0x00]) => (16, 113),
            LinkType::Null if d.first() == Some(&2) || d.get(3) == Some(&2) => (4, 0),
            LinkType::Raw if d.first().is_some_and(|b| b >> 4 == 4) => (0, 101),
            LinkType::Ipv4 => (0, 228),
            _ => (usize::MAX, 0),
        };
        assert!(
            l2 == usize::MAX || *link.get_or_insert(linktype) == linktype,
            "{rel}: links"
        );
        let tcp = (d.len() >= l2.saturating_add(40) && d[l2 + 9] == 6)
            .then(|| l2 + (d[l2] & 0x0f) as usize * 4)
            .filter(|&t| d.len() >= t + 20);
        if let Some(t) = tcp {
            if d[t + 13] & TCP_SYN != 0 {
                return;
            }
            let port = |d: &[u8], at: usize| u16::from_be_bytes([d[at], d[at + 1]]);
            let (sp, dp) = (port(&d, t), port(&d, t + 2));
            for p in [sp, dp] {
                if p != from {
                    // Two client ports must not become one.
                    let old = *clients.entry(client_base + p % 1000).or_insert(p);
                    assert_eq!(old, p, "{rel}: client ports {old} and {p}");
                }
            }
            let (sp, dp) = if dp == from {
                (client_base + sp % 1000, server)
            } else if sp == from {
                (server, client_base + dp % 1000)
            } else {
                (sp, dp)
            };
            moved += usize::from(sp == server || dp == server);
            d[t..t + 2].copy_from_slice(&sp.to_be_bytes());
            d[t + 2..t + 4].copy_from_slice(&dp.to_be_bytes());
            let ip_len = u16::from_be_bytes([d[l2 + 2], d[l2 + 3]]) as usize;
            let data = t + (d[t + 12] >> 4) as usize * 4;
            let end = (l2 + ip_len).min(d.len());
            if data < end && end - data > piece {
                let seq = u32::from_be_bytes([d[t + 4], d[t + 5], d[t + 6], d[t + 7]]);
                let pieces = (end - data).div_ceil(piece);
                for (i, chunk) in d[data..end].chunks(piece).enumerate() {
                    let mut p = d[..data].to_vec();
                    if i + 1 < pieces {
                        // FIN, RST and PSH belong to the last piece.
                        p[t + 13] &= !(0x01 | 0x04 | 0x08);
                    }
                    p.extend_from_slice(chunk);
                    let total = (data - l2 + chunk.len()) as u16;
                    p[l2 + 2..l2 + 4].copy_from_slice(&total.to_be_bytes());
                    let at = seq.wrapping_add((i * piece) as u32);
                    p[t + 4..t + 8].copy_from_slice(&at.to_be_bytes());
                    frames.push((f.ts.0 / 1000, p));
                }
                return;
            }
        }
        frames.push((f.ts.0 / 1000, d));
    });
    assert!(moved > 3, "{rel}: {moved} segments on port {from}");
    write_pcap_link(link.unwrap_or(1), &frames)
}

/// What an operator reads off a report: each asset's roles and the protocols it serves, and
/// the findings by kind and asset.
#[derive(Debug, PartialEq)]
struct Reading {
    assets: BTreeMap<String, (Vec<String>, Vec<String>)>,
    findings: Vec<(String, String)>,
}

fn reading(r: &Value) -> Reading {
    let strs = |v: &Value, key: &str| -> Vec<String> {
        let mut s: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[key].as_str().unwrap_or("").to_string())
            .collect();
        s.sort();
        s
    };
    let assets = r["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let ip = a["ip"].as_str().unwrap().to_string();
            (
                ip,
                (strs(&a["roles"], "role"), strs(&a["services"], "protocol")),
            )
        })
        .collect();
    let mut findings: Vec<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["asset"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    findings.sort();
    Reading { assets, findings }
}

fn turned_round(r: &Value) -> u64 {
    r["capture_quality"]["flows"]["midstream_oriented_by_content"]
        .as_u64()
        .unwrap_or(0)
}

/// Each capture moved so that the port guess is wrong (the server on the higher port) reads
/// as the original does, with every flow of the protocol turned round; moved so that the
/// guess is right, it reads the same with nothing turned round.
fn reads_as_the_original(rel: &str, port: u16, proto: &str, flows: u64) {
    let original = report_json(&[capture(rel)], None);
    let want = reading(&original);
    assert!(
        want.assets
            .values()
            .any(|(roles, served)| served.iter().any(|p| p == proto) && !roles.is_empty()),
        "{rel}: {want:#?}"
    );
    let wrong = picked_up_mid_stream(rel, port, 50_000 + port % 1000, 30_000);
    let r = report_json(&[wrong.path().to_path_buf()], None);
    assert_eq!(reading(&r), want, "{rel}: server on the higher port");
    assert_eq!(turned_round(&r), flows, "{rel}");
    let served: Vec<u64> = r["assets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["services"].as_array().unwrap())
        .filter(|s| s["protocol"] == proto)
        .map(|s| s["port"].as_u64().unwrap())
        .collect();
    assert!(
        !served.is_empty() && served.iter().all(|&p| p == 50_000 + u64::from(port % 1000)),
        "{rel}: {served:?}"
    );
    // 21xxx: no well-known service port, below the clients' 30xxx.
    let right = picked_up_mid_stream(rel, port, 21_000 + port % 1000, 30_000);
    let r = report_json(&[right.path().to_path_buf()], None);
    assert_eq!(reading(&r), want, "{rel}: server on the lower port");
    assert_eq!(turned_round(&r), 0, "{rel}");
    // Where segments end does not change the answer: the probes see the first bytes a few at
    // a time, whichever way round the guess was.
    for piece in [1, 2, 5, 13] {
        for (server, turns) in [(50_000, flows), (21_000, 0)] {
            let moved = picked_up_in_pieces(rel, port, server + port % 1000, 30_000, piece);
            let r = report_json(&[moved.path().to_path_buf()], None);
            let case = format!(
                "{rel}: server on {}, {piece}-byte segments",
                server + port % 1000
            );
            assert_eq!(reading(&r), want, "{case}");
            assert_eq!(turned_round(&r), turns, "{case}");
        }
    }
}

#[test]
fn modbus_server_on_an_unusual_port_is_found_as_the_server() {
    // A poller and a local client.
    reads_as_the_original(
        "public/modbus/cisagov__modbus_example.pcap",
        502,
        "modbus",
        2,
    );
}

#[test]
fn enip_targets_on_an_unusual_port_are_found_as_the_servers() {
    // Four PLCs polled by one scanner: every connection turned round.
    reads_as_the_original("public/enip/iti__EthernetIP-CIP.pcap", 44818, "enip", 4);
}

#[test]
fn s7_plc_on_an_unusual_port_is_found_as_the_server() {
    // Jobs and acknowledgements.
    reads_as_the_original(
        "public/s7comm/iti__s7comm_reading_plc_status.pcap",
        102,
        "s7comm",
        1,
    );
    // The first message is userdata (a password check): its type says request or response.
    reads_as_the_original(
        "public/s7comm/iti__step7_s300_AuthPassword.pcapng",
        102,
        "s7comm",
        1,
    );
}

#[test]
fn web_server_on_an_unusual_port_is_found_as_the_server() {
    // A request line travels to the server, a status line back; Basic credentials in it.
    reads_as_the_original(
        "public/it-http/zeek__http-basic-auth-with-colon.pcap",
        8000,
        "http",
        1,
    );
}

#[test]
fn opcua_server_on_an_unusual_port_is_found_as_the_server() {
    // Requests and responses by the service they carry: three connections, two servers.
    reads_as_the_original(
        "public/opcua/cisagov__opcua_with-gap_with-handshake.pcap",
        4840,
        "opcua",
        3,
    );
    // Hello, OpenSecureChannel, sessions.
    reads_as_the_original(
        "public/opcua/cisagov__open62541_mainloop-non-standard-port.pcap",
        48010,
        "opcua",
        2,
    );
}

/// A client's ephemeral port that happens to be an ICS port is no hint: a Linux client on
/// port 44818 talking to a database is not an EtherNet/IP server, even when the database's
/// answer holds bytes that look like an encapsulation header.
#[test]
fn an_ephemeral_client_port_does_not_turn_a_flow() {
    let (cm, sm) = ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    let (c, s) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let query = b"Q\x00\x00\x00\x0dSELECT 1;\x00".to_vec();
    // 'D' then 24 bytes a RegisterSession header would have, and its 4-byte body.
    let mut answer = b"D".to_vec();
    answer.extend_from_slice(&[0x65, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    answer.extend_from_slice(&[0; 12]);
    answer.extend_from_slice(&[1, 0, 0, 0]);
    let (ack, psh) = (0x10, 0x08);
    let mut frames = Vec::new();
    for i in 0..3u32 {
        let (q, a) = (query.len() as u32, answer.len() as u32);
        let (cs, ss) = (1000 + i * q, 5000 + i * a);
        let t = 1_000_000 + u64::from(i) * 1000;
        frames.push((
            t,
            tcp_frame(cm, sm, c, s, 44818, 5432, cs, ss, psh | ack, &query),
        ));
        frames.push((
            t + 100,
            tcp_frame(sm, cm, s, c, 5432, 44818, ss, cs + q, psh | ack, &answer),
        ));
    }
    let pcap = write_pcap(&frames);
    let r = report_json(&[pcap.path().to_path_buf()], None);
    let protocols: Vec<&Value> = r["assets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["services"].as_array().unwrap())
        .map(|s| &s["protocol"])
        .collect();
    assert!(!protocols.iter().any(|p| *p == "enip"), "{protocols:?}");
    assert_eq!(turned_round(&r), 0);
    assert_eq!(r["capture_quality"]["flows"]["midstream_tcp"], 1);
}
