use super::*;
use crate::dissect::Dir::{ToClient, ToServer};
use crate::dissect::http::testkit::{Harness, Rng, SERVER, growing_prefix, run_script};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[test]
fn line_parsers() {
    let (_, r) = parser::parse_reply_line(b"220-FileZilla Server 1.9.1").unwrap();
    assert_eq!(
        (r.code, r.sep, r.text),
        (220, b'-', &b"FileZilla Server 1.9.1"[..])
    );
    let (_, r) = parser::parse_reply_line(b"230").unwrap();
    assert_eq!((r.code, r.sep), (230, 0));
    assert!(parser::parse_reply_line(b"22x ok").is_err());
    assert!(parser::parse_reply_line(b"2200 ok").is_err());
    // The argument is kept verbatim: a password may contain anything, even "PASS ".
    let (_, (v, a)) = parser::parse_command(b"PASS PASS word ").unwrap();
    assert_eq!((v, a), (&b"PASS"[..], &b"PASS word "[..]));
    let (_, (v, a)) = parser::parse_command(b"syst").unwrap();
    assert_eq!((v, a), (&b"syst"[..], &b""[..]));
    assert!(parser::parse_command(b"\x16\x03\x01").is_err());
    assert_eq!(
        parser::parse_pasv_reply(b"Entering Passive Mode (199,233,217,249,221,90)."),
        Some((Ipv4Addr::new(199, 233, 217, 249), 56666))
    );
    assert_eq!(
        parser::parse_pasv_reply(b"=10,0,0,5,4,1"),
        Some((Ipv4Addr::new(10, 0, 0, 5), 1025))
    );
    assert_eq!(parser::parse_pasv_reply(b"(300,1,1,1,1,1)"), None);
    assert_eq!(
        parser::parse_epsv_reply(b"Entering Extended Passive Mode (|||57086|)"),
        Some(57086)
    );
    assert_eq!(parser::parse_epsv_reply(b"(!!!1234!)"), Some(1234));
    assert_eq!(parser::parse_epsv_reply(b"(|||99999|)"), None);
    assert_eq!(
        parser::parse_port_arg(b"141,142,220,235,131,46"),
        Some((Ipv4Addr::new(141, 142, 220, 235), 33582))
    );
    assert_eq!(
        parser::parse_eprt_arg(b"|2|2001:470:1f11:81f:c999:d94:aa7c:2e3e|49189|"),
        Some((
            IpAddr::V6(
                "2001:470:1f11:81f:c999:d94:aa7c:2e3e"
                    .parse::<Ipv6Addr>()
                    .unwrap()
            ),
            49189
        ))
    );
    assert_eq!(
        parser::parse_eprt_arg(b"|1|10.0.0.1|6446|"),
        Some((IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 6446))
    );
    assert_eq!(parser::parse_eprt_arg(b"|3|x|1|"), None);
    assert_eq!(codes::verb_op(&codes::verb_key(b"stor")).1, "ftp_stor");
    assert_eq!(codes::verb_op(&codes::verb_key(b"mkd")).1, "ftp_mkd");
}

#[test]
fn probes() {
    assert_eq!(probe(ToClient, b"220 ready\r\n", true), Probe::Match);
    assert_eq!(probe(ToClient, b"220-", true), Probe::Match);
    assert_eq!(probe(ToClient, b"22", true), Probe::NeedMore);
    assert_eq!(
        probe(ToClient, b"220 ftp.NetBSD.org FTP server ready.\r\n", false),
        Probe::Match
    );
    assert_eq!(probe(ToClient, b"220 box ready", false), Probe::NeedMore);
    // SMTP greetings are not FTP, whatever they say.
    assert_eq!(
        probe(
            ToClient,
            b"220 mail.example ESMTP Postfix (ftp gateway)\r\n",
            false
        ),
        Probe::NoMatch
    );
    assert_eq!(
        probe(ToClient, b"220 plain ready\r\n", false),
        Probe::NoMatch
    );
    assert_eq!(probe(ToServer, b"USER anonymous\r\n", true), Probe::Match);
    assert_eq!(
        probe(ToServer, b"USER anonymous\r\n", false),
        Probe::NoMatch
    );
    assert_eq!(probe(ToServer, b"GET / HTTP/1.1\r\n", true), Probe::NoMatch);
    assert_eq!(
        probe(ToClient, b"HTTP/1.1 200 OK\r\n", true),
        Probe::NoMatch
    );
    assert_eq!(probe(ToClient, b"SSH-2.0-x\r\n", true), Probe::NoMatch);
    let mut r = Rng(5);
    for _ in 0..500 {
        let b = r.blob(40);
        if b.first().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        assert_ne!(probe(ToClient, &b, true), Probe::Match);
    }
}

#[test]
fn login_failure_with_multiline_banner() {
    // zeek ftp-password-pass-command: FileZilla, USER Admin / PASS qwerty → 530.
    let h = run_script(
        "ftp",
        21,
        new,
        &[
            (
                ToClient,
                b"220-FileZilla Server 1.9.1\r\n220 Please visit https://filezilla-project.org/\r\n",
            ),
            (ToServer, b"USER Admin\r\n"),
            (ToClient, b"331 Please, specify the password.\r\n"),
            (ToServer, b"PASS PASS:qwerty\r\n"),
            (ToClient, b"530 Login incorrect.\r\n"),
        ],
        0,
    );
    assert_eq!(
        h.auths(),
        vec![(
            "ftp-user-pass",
            [0, 0, 1, 0],
            true,
            vec!["Admin".to_string()],
            vec!["PASS:qwerty".to_string()]
        )]
    );
    let b = "FileZilla Server 1.9.1 | Please visit https://filezilla-project.org/";
    assert_eq!(h.facts("ftp.banner"), vec![b]);
    assert_eq!(h.claims("ftp.banner"), vec![(b.to_string(), 70)]);
    assert_eq!(h.ops(), vec![("login", vec!["ftp_pass", "ftp_user"], 2)]);
}

#[test]
fn anonymous_session_data_channels_and_ops() {
    let script: &[(Dir, &[u8])] = &[
        (
            ToClient,
            b"220 ftp.NetBSD.org FTP server (NetBSD-ftpd 20100320) ready.\r\n",
        ),
        (ToServer, b"USER anonymous\r\n"),
        (
            ToClient,
            b"331 Guest login ok, type your name as password.\r\n",
        ),
        (ToServer, b"PASS test\r\n"),
        (
            ToClient,
            b"230-\r\n    Welcome\r\n230-more\r\n230 Guest login ok.\r\n",
        ),
        (ToServer, b"SYST\r\n"),
        (
            ToClient,
            b"215 UNIX Type: L8 Version: NetBSD-ftpd 20100320\r\n",
        ),
        (ToServer, b"PASV\r\n"),
        (ToClient, b"227 Entering Passive Mode (10,0,0,2,221,90)\r\n"),
        (ToServer, b"RETR README\r\n"),
        (
            ToClient,
            b"150 Opening BINARY mode data connection\r\n226 Transfer complete.\r\n",
        ),
        (ToServer, b"EPSV\r\n"),
        (
            ToClient,
            b"229 Entering Extended Passive Mode (|||57086|)\r\n",
        ),
        (
            ToServer,
            b"PORT 10,0,0,1,131,46\r\nSTOR up.bin\r\nDELE old\r\nLIST\r\nQUIT\r\n",
        ),
        (
            ToClient,
            b"200 PORT ok\r\n150 ok\r\n226 ok\r\n250 ok\r\n150 x\r\n226 y\r\n221 bye\r\n",
        ),
    ];
    let h = growing_prefix("ftp", 21, new, script);
    assert_eq!(
        h.auths(),
        vec![(
            "ftp-anonymous",
            [0, 1, 0, 0],
            true,
            vec!["anonymous".to_string()],
            vec!["test".to_string()]
        )]
    );
    assert_eq!(
        h.facts("ftp.syst"),
        vec!["UNIX Type: L8 Version: NetBSD-ftpd 20100320"]
    );
    let exp: Vec<(IpAddr, u16, &str)> = h.exp.iter().map(|e| (e.server, e.port, e.proto)).collect();
    assert_eq!(
        exp,
        vec![
            (SERVER, 56666, "ftp-data"),
            (SERVER, 57086, "ftp-data"),
            (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 33582, "ftp-data"),
        ]
    );
    let ops = h.ops();
    assert!(ops.contains(&("read", vec!["ftp_retr"], 1)), "{ops:?}");
    assert!(
        ops.contains(&("write", vec!["ftp_dele", "ftp_stor"], 2)),
        "{ops:?}"
    );
    assert!(ops.contains(&("identify", vec!["ftp_syst"], 1)), "{ops:?}");
    assert!(h.anomalies().is_empty(), "{:?}", h.anomalies());
}

#[test]
fn pasv_behind_nat_announces_both_addresses() {
    let h = run_script(
        "ftp",
        21,
        new,
        &[
            (ToServer, b"PASV\r\n"),
            (
                ToClient,
                b"227 Entering Passive Mode (192,168,1,10,4,1)\r\n",
            ),
        ],
        0,
    );
    let exp: Vec<(IpAddr, u16)> = h.exp.iter().map(|e| (e.server, e.port)).collect();
    assert_eq!(
        exp,
        vec![
            (IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10)), 1025),
            (SERVER, 1025)
        ]
    );
}

#[test]
fn auth_tls_stops_parsing_and_unanswered_pass_is_attempt() {
    let h = run_script(
        "ftp",
        21,
        new,
        &[
            (ToClient, b"220 ready\r\n"),
            (ToServer, b"AUTH TLS\r\n"),
            (ToClient, b"234 Proceed with negotiation.\r\n"),
            (
                ToServer,
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03USER x\r\nPASS y\r\n",
            ),
            (ToClient, b"\x16\x03\x03\x00\x10garbage\r\n"),
        ],
        0,
    );
    assert_eq!(h.facts("ftp.tls"), vec!["true"]);
    assert!(h.auths().is_empty());
    assert!(h.anomalies().is_empty());

    let h = run_script(
        "ftp",
        21,
        new,
        &[(ToServer, b"USER plc\r\nPASS 1234\r\n")],
        0,
    );
    assert_eq!(h.auths()[0].1, [1, 0, 0, 0]);
}

#[test]
fn malformed_lines_and_gap() {
    let mut h = Harness::new("ftp", 21);
    let mut d = new();
    h.feed(d.as_mut(), ToServer, b"\x01\x02\x03\r\nUSER a\r\n");
    h.feed_chunks(d.as_mut(), ToClient, &[b'x'; 5000], 500);
    h.feed(d.as_mut(), ToClient, b"\r\n331 pw\r\n");
    h.feed(d.as_mut(), ToServer, b"PASS b\r\n");
    h.gap(d.as_mut(), ToClient, 100);
    h.feed(d.as_mut(), ToClient, b"ost line\r\n230 ok\r\n");
    h.close(d.as_mut());
    assert_eq!(h.anomalies(), vec!["ftp_bad_command", "ftp_line_too_long"]);
    assert!(h.max_buffered <= MAX_LINE + 500);
    // The gap lost the pairing: the password is an attempt, the 230 is not attributed.
    assert_eq!(h.auths()[0].1, [1, 0, 0, 0]);
}

#[test]
fn fuzz_no_panic_bounded() {
    let seeds: &[&[u8]] = &[
        b"220-a\r\n220 b\r\n331 c\r\n230 d\r\n227 (1,2,3,4,5,6)\r\n229 (|||7|)\r\n215 UNIX\r\n",
        b"USER x\r\nPASS y\r\nPORT 1,2,3,4,5,6\r\nEPRT |2|::1|5|\r\nRETR f\r\nAUTH TLS\r\n",
    ];
    let mut r = Rng(0x5eed_0003);
    for i in 0..3000 {
        let data = if i % 5 == 0 {
            r.blob(300)
        } else {
            r.mutate(seeds[i % 2])
        };
        let dir = if i % 2 == 0 { ToClient } else { ToServer };
        let _ = probe(dir, &data, i % 3 == 0);
        let mut h = Harness::new("ftp", 21);
        let mut d = new();
        h.feed_chunks(d.as_mut(), dir, &data, 1 + r.below(30));
        let other = r.mutate(seeds[(i + 1) % 2]);
        h.feed(
            d.as_mut(),
            if dir == ToClient { ToServer } else { ToClient },
            &other,
        );
        h.close(d.as_mut());
        assert!(h.max_buffered <= MAX_LINE + 300);
        assert!(h.exp.len() <= 64);
    }
}
