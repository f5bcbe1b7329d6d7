use super::*;
use crate::dissect::snmp::testkit::{DatagramHarness, Rng, StreamHarness, summary};
use crate::dissect::{Dir, Probe};

/// TeamViewer over TCP: magic 17 24 (protocol v2), command 0x0a CMD_IDENTIFY, then payload.
const TV_IDENTIFY: &[u8] = &[0x17, 0x24, 0x0a, 0x20, 0x00, 0x00, 0x00, 0x01, 0x02];
/// Server answer: magic 17 24, command 0x24 CMD_OK.
const TV_OK: &[u8] = &[0x17, 0x24, 0x24, 0x00, 0x00];
/// TeamViewer over UDP: counter 0, ten bytes, magic 17 24 at offset 11.
const TV_UDP: &[u8] = &[
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x17, 0x24, 0x46, 0x00,
];

#[test]
fn probe_teamviewer() {
    assert_eq!(
        probe_teamviewer_tcp(Dir::ToServer, TV_IDENTIFY, true),
        Probe::Match
    );
    assert_eq!(
        probe_teamviewer_tcp(Dir::ToServer, &[0x11, 0x30, 0x10], true),
        Probe::Match
    );
    assert_eq!(
        probe_teamviewer_tcp(Dir::ToServer, &[0x17], true),
        Probe::NeedMore
    );
    assert_eq!(
        probe_teamviewer_tcp(Dir::ToServer, &[0x17, 0x24], true),
        Probe::NeedMore
    );
    // not without the port, not with an unknown command, not other protocols
    assert_eq!(
        probe_teamviewer_tcp(Dir::ToServer, TV_IDENTIFY, false),
        Probe::NoMatch
    );
    assert_eq!(
        probe_teamviewer_tcp(Dir::ToServer, &[0x17, 0x24, 0xff], true),
        Probe::NoMatch
    );
    assert_eq!(
        probe_teamviewer_tcp(Dir::ToServer, &[0x16, 0x03, 0x01, 0x00], true),
        Probe::NoMatch
    );
    assert_eq!(
        probe_teamviewer_tcp(Dir::ToServer, b"GET / HTTP/1.1\r\n", true),
        Probe::NoMatch
    );
    assert_eq!(
        probe_teamviewer_udp(Dir::ToServer, TV_UDP, true),
        Probe::Match
    );
    assert_eq!(
        probe_teamviewer_udp(Dir::ToServer, TV_UDP, false),
        Probe::NoMatch
    );
    assert_eq!(
        probe_teamviewer_udp(Dir::ToServer, &TV_UDP[..13], true),
        Probe::NoMatch
    );
    let mut rng = Rng(5);
    for _ in 0..500 {
        let n = 1 + rng.below(40);
        let b = rng.bytes(n);
        assert_ne!(probe_teamviewer_tcp(Dir::ToServer, &b, false), Probe::Match);
        assert_ne!(probe_teamviewer_udp(Dir::ToServer, &b, false), Probe::Match);
    }
}

#[test]
fn teamviewer_tcp_session() {
    let mut h = StreamHarness::new(new_teamviewer_tcp(), "teamviewer", 5938);
    h.feed(Dir::ToServer, TV_IDENTIFY);
    h.feed(Dir::ToClient, TV_OK);
    h.feed(Dir::ToServer, &[0xde, 0xad, 0xbe, 0xef]);
    h.close();
    let s = summary(&h.store);
    let want = [
        "fact client remote_access.teamviewer_command=CMD_IDENTIFY x1",
        "fact client remote_access.tool=TeamViewer x1",
        "fact server remote_access.teamviewer_command=CMD_OK x1",
        "fact server remote_access.tool=TeamViewer x1",
        r#"op Connect {"teamviewer"} x1"#,
    ];
    assert_eq!(s, want, "{s:#?}");
}

#[test]
fn teamviewer_udp_flow() {
    let mut h = DatagramHarness::new(new_teamviewer_udp(), "teamviewer", 5938);
    h.datagram(Dir::ToServer, TV_UDP);
    h.datagram(Dir::ToClient, TV_UDP);
    h.close();
    let s = summary(&h.store);
    assert_eq!(
        s,
        [
            "fact client remote_access.tool=TeamViewer x1",
            "fact server remote_access.tool=TeamViewer x1",
            r#"op Connect {"teamviewer"} x1"#,
        ],
        "{s:#?}"
    );
}

#[test]
fn fuzz_teamviewer() {
    let mut rng = Rng(0x5eed_0004);
    for _ in 0..2000 {
        let m = rng.mutate(TV_IDENTIFY);
        let _ = probe_teamviewer_tcp(Dir::ToServer, &m, true);
        let _ = probe_teamviewer_udp(Dir::ToServer, &m, true);
        let mut h = StreamHarness::new(new_teamviewer_tcp(), "teamviewer", 5938);
        h.feed(Dir::ToServer, &m);
        h.gap(Dir::ToClient, 3);
        h.feed(Dir::ToClient, &m);
        h.close();
        assert_eq!(h.buffered(), 0);
        let mut d = DatagramHarness::new(new_teamviewer_udp(), "teamviewer", 5938);
        d.datagram(Dir::ToServer, &m);
        d.close();
    }
}
