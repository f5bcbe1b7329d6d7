use super::*;
use crate::dissect::Dir::{ToClient, ToServer};
use crate::dissect::http::testkit::{Harness, Rng, growing_prefix, run_script};

/// A binary packet: uint32 packet_length, byte padding_length, payload, padding (zeros).
fn packet(payload: &[u8]) -> Vec<u8> {
    let pad = 8 - (payload.len() + 5) % 8 + 4;
    let len = (payload.len() + pad + 1) as u32;
    let mut v = len.to_be_bytes().to_vec(); // packet_length
    v.push(pad as u8); // padding_length
    v.extend_from_slice(payload);
    v.extend(std::iter::repeat_n(0, pad));
    v
}

/// KEXINIT: msg 20, 16-byte cookie, name-lists (only the first two filled), first_kex_follows,
/// reserved.
fn kexinit(kex: &str) -> Vec<u8> {
    let mut p = vec![20u8];
    p.extend_from_slice(&[0xaa; 16]); // cookie
    for (i, list) in [kex, "ssh-ed25519"]
        .iter()
        .chain(["", "", "", "", "", "", "", ""].iter())
        .enumerate()
    {
        let _ = i;
        p.extend_from_slice(&(list.len() as u32).to_be_bytes());
        p.extend_from_slice(list.as_bytes());
    }
    p.push(0); // first_kex_packet_follows
    p.extend_from_slice(&[0; 4]); // reserved
    p
}

#[test]
fn version_line_parser() {
    let (_, v) = parse_version_line(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10").unwrap();
    assert_eq!(v.proto, b"2.0");
    assert_eq!(v.software, b"OpenSSH_9.2p1");
    assert_eq!(v.comments, b"Debian-2+deb12u10");
    let (_, v) = parse_version_line(b"SSH-1.99-Cisco-1.25").unwrap();
    assert_eq!((v.proto, v.software), (&b"1.99"[..], &b"Cisco-1.25"[..]));
    assert!(parse_version_line(b"SSH-2.0-").is_err());
    assert!(parse_version_line(b"HTTP/1.1 200 OK").is_err());
    assert_eq!(
        parse_packet_header(&[0, 0, 0, 12, 10, 21]).unwrap().1,
        (12, 10)
    );
    assert_eq!(
        codes::software_hint("ROSSSH"),
        Some(("MikroTik", Some("RouterOS")))
    );
    assert_eq!(codes::software_hint("OpenSSH_9.2p1"), None);
    assert_eq!(codes::msg_name(20), "kexinit");
}

#[test]
fn probes() {
    assert_eq!(
        probe(ToClient, b"SSH-2.0-OpenSSH_5.8p1\r\n", false),
        Probe::Match
    );
    assert_eq!(probe(ToServer, b"SSH-1.5-x", true), Probe::Match);
    assert_eq!(probe(ToClient, b"SSH", false), Probe::NeedMore);
    assert_eq!(probe(ToClient, b"GET / HTTP/1.1\r\n", true), Probe::NoMatch);
    assert_eq!(probe(ToClient, b"SSH-3.0-x", true), Probe::NoMatch);
    assert_eq!(
        probe(ToServer, &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1], true),
        Probe::NoMatch
    );
    let mut r = Rng(3);
    for _ in 0..500 {
        let b = r.blob(32);
        assert_ne!(probe(ToServer, &b, true), Probe::Match);
    }
}

#[test]
fn banners_kex_and_encrypted_rest() {
    let skex = packet(&kexinit("curve25519-sha256,diffie-hellman-group14-sha256"));
    let ckex = packet(&kexinit("curve25519-sha256"));
    let newkeys = packet(&[21]);
    let mut server = b"SSH-2.0-Cisco-1.25\r\n".to_vec();
    server.extend_from_slice(&skex);
    server.extend_from_slice(&newkeys);
    server.extend_from_slice(&[0x5a; 300]); // encrypted
    let mut client = b"SSH-2.0-PuTTY_Release_0.78\r\n".to_vec();
    client.extend_from_slice(&ckex);
    client.extend_from_slice(&newkeys);
    client.extend_from_slice(&[0xff; 100]); // encrypted: would be a bad length in clear
    let h = growing_prefix("ssh", 22, new, &[(ToClient, &server), (ToServer, &client)]);
    assert_eq!(
        h.facts("ssh.banner"),
        vec!["SSH-2.0-PuTTY_Release_0.78", "SSH-2.0-Cisco-1.25"]
    );
    assert_eq!(
        h.claims("ssh.banner"),
        vec![("SSH-2.0-Cisco-1.25".to_string(), 70)]
    );
    assert_eq!(h.claims("vendor"), vec![("Cisco".to_string(), 50)]);
    assert_eq!(
        h.facts("ssh.kex"),
        vec![
            "curve25519-sha256",
            "curve25519-sha256,diffie-hellman-group14-sha256"
        ]
    );
    assert_eq!(h.ops(), vec![("login", vec!["ssh_session"], 1)]);
    assert!(h.auths().is_empty(), "SSH authentication cannot be seen");
    assert!(h.anomalies().is_empty(), "{:?}", h.anomalies());
}

#[test]
fn pre_banner_lines_ssh1_and_malformed() {
    let h = run_script(
        "ssh",
        22,
        new,
        &[
            (
                ToClient,
                b"Welcome to the box\r\nSSH-1.5-RomSShell_4.31\r\n\x00\x00\x01\x00junk",
            ),
            (ToServer, b"SSH-1.5-client\r\n\x00\x00\x00\x10"),
        ],
        0,
    );
    assert_eq!(h.facts("ssh.version"), vec!["1.5", "1.5"]);
    assert!(h.anomalies().is_empty());
    // A length beyond any sane packet: anomaly, then the direction is skipped.
    let h = run_script(
        "ssh",
        2222,
        new,
        &[
            (ToClient, b"SSH-2.0-x\r\n\xff\xff\xff\xff\x04abcd"),
            (ToServer, b"NOT-SSH\r\n"),
        ],
        0,
    );
    assert_eq!(
        h.anomalies(),
        vec!["ssh_bad_packet_length", "ssh_bad_version_line"]
    );
    // An endless version line is bounded.
    let mut h = Harness::new("ssh", 22);
    let mut d = new();
    h.feed_chunks(d.as_mut(), ToClient, &[b'S'; 5000], 100);
    assert!(h.max_buffered <= MAX_LINE + 100);
    assert_eq!(h.anomalies(), vec!["ssh_bad_version_line"]);
}

#[test]
fn fuzz_no_panic_bounded() {
    let mut seed = b"SSH-2.0-OpenSSH_9.2p1\r\n".to_vec();
    seed.extend_from_slice(&packet(&kexinit("a,b")));
    seed.extend_from_slice(&packet(&[21]));
    let mut r = Rng(0x5eed_0002);
    for i in 0..3000 {
        let data = if i % 4 == 0 {
            r.blob(200)
        } else {
            r.mutate(&seed)
        };
        let dir = if i % 2 == 0 { ToServer } else { ToClient };
        let _ = probe(dir, &data, i % 3 == 0);
        let mut h = Harness::new("ssh", 22);
        let mut d = new();
        h.feed_chunks(d.as_mut(), dir, &data, 1 + r.below(50));
        h.close(d.as_mut());
        assert!(h.max_buffered <= MAX_PACKET as usize + 64);
    }
}
