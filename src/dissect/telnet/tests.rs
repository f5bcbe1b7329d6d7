use super::codes::*;
use super::*;
use crate::dissect::Dir::{self, ToClient, ToServer};
use crate::dissect::http::testkit::{Harness, Rng, growing_prefix, run_script};

/// IAC DO TERMINAL-TYPE, IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC SB NAWS 0 80 0 24 IAC SE.
const NEG: &[u8] = &[
    IAC, DO, 24, // DO terminal_type
    IAC, WILL, 1, // WILL echo
    IAC, WILL, 3, // WILL suppress_go_ahead
    IAC, SB, 31, 0, 80, 0, 24, IAC, SE, // SB naws 80x24
];

#[test]
fn negotiation_runs_and_names() {
    assert_eq!(state::negotiation_run(NEG), Some(4));
    assert_eq!(state::negotiation_run(&[IAC, DO]), Some(0));
    assert_eq!(state::negotiation_run(&[IAC, 0x10, 1]), None);
    assert_eq!(state::negotiation_run(&[IAC, WILL, 200]), None);
    assert_eq!(option_name(24), "terminal_type");
    assert_eq!(option_name(38), "encrypt");
    assert_eq!(command_name(WILL), "WILL");
}

#[test]
fn probes() {
    assert_eq!(probe(ToClient, NEG, false), Probe::Match);
    assert_eq!(probe(ToClient, &[IAC, DO, 37], true), Probe::Match);
    assert_eq!(probe(ToClient, &[IAC, DO, 37], false), Probe::NeedMore);
    assert_eq!(
        probe(
            ToClient,
            b"\r\nUser Access Verification\r\n\r\nUsername: ",
            false
        ),
        Probe::Match
    );
    assert_eq!(probe(ToClient, b"Welcome\r\n", true), Probe::Match);
    assert_eq!(probe(ToClient, b"Welcome\r\n", false), Probe::NoMatch);
    assert_eq!(
        probe(ToServer, b"GET / HTTP/1.1\r\n", false),
        Probe::NoMatch
    );
    assert_eq!(probe(ToClient, b"220 ftp ready\r\n", false), Probe::NoMatch);
    assert_eq!(probe(ToClient, b"SSH-2.0-x\r\n", false), Probe::NoMatch);
    assert_eq!(
        probe(ToServer, &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1], true),
        Probe::NoMatch
    );
    assert_eq!(probe(ToServer, &[0x16, 3, 1, 0, 5], true), Probe::NoMatch);
    let mut r = Rng(11);
    for _ in 0..500 {
        let b = r.blob(64);
        assert_ne!(probe(ToClient, &b, false), Probe::Match, "{b:?}");
    }
}

/// The OpenBSD session of suricata telnet-01: negotiation, banner, `login:`, user typed in one
/// segment, `Password:`, password, `Last login`.
fn openbsd_session() -> Vec<(Dir, Vec<u8>)> {
    vec![
        (ToServer, vec![IAC, DO, 3, IAC, WILL, 24]),
        (ToClient, vec![IAC, DO, 37, IAC, WILL, 38]),
        (ToServer, vec![IAC, WONT, 37, IAC, DONT, 38]),
        (
            ToClient,
            b"\r\n\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\n".to_vec(),
        ),
        (ToClient, b"login: ".to_vec()),
        (ToServer, b"fake\r\n".to_vec()),
        (ToClient, b"fake\r\n".to_vec()),
        (ToClient, b"Password:".to_vec()),
        (ToServer, b"user\r\n".to_vec()),
        (ToClient, b"\r\n".to_vec()),
        (
            ToClient,
            b"Last login: Sat Nov 27 20:11:43 on ttyp2 from bam.zing.org\r\n".to_vec(),
        ),
        (ToClient, b"$ ".to_vec()),
        (ToServer, b"/sbin/ping www.yahoo.com\r\n".to_vec()),
    ]
}

#[test]
fn openbsd_login_success() {
    let s = openbsd_session();
    let script: Vec<(Dir, &[u8])> = s.iter().map(|(d, b)| (*d, b.as_slice())).collect();
    let h = growing_prefix("telnet", 23, new, &script);
    assert_eq!(
        h.auths(),
        vec![(
            "telnet-login",
            [0, 1, 0, 1],
            true,
            vec!["fake".to_string()],
            vec!["user".to_string()]
        )]
    );
    assert_eq!(h.facts("telnet.banner"), vec!["OpenBSD/i386 (oof) (ttyp2)"]);
    assert_eq!(
        h.claims("telnet.banner"),
        vec![("OpenBSD/i386 (oof) (ttyp2)".to_string(), 60)]
    );
    assert_eq!(h.facts("telnet.options"), vec!["encrypt"]);
    assert!(h.facts("telnet.encryption").is_empty());
    assert_eq!(h.ops(), vec![("login", vec!["telnet_login"], 1)]);
}

#[test]
fn echoed_keystrokes_backspace_and_failure_then_retry() {
    let mut script: Vec<(Dir, Vec<u8>)> = vec![(
        ToClient,
        b"Hirschmann Automation and Control GmbH - Rail Switch RS20-0800M2M2SDAE\r\nUser: "
            .to_vec(),
    )];
    // One character per segment, each echoed; a typo fixed with backspace (DEL).
    for c in b"admx\x7fin\r" {
        script.push((ToServer, vec![*c]));
        script.push((ToClient, vec![*c]));
    }
    script.push((ToServer, vec![0])); // CR NUL
    script.push((ToClient, b"\nPassword: ".to_vec()));
    for c in b"privat\r\n" {
        script.push((ToServer, vec![*c]));
    }
    script.push((ToClient, b"\r\nLogin incorrect\r\nUser: ".to_vec()));
    script.push((ToServer, b"admin\r\n".to_vec()));
    script.push((ToClient, b"admin\r\nPassword: ".to_vec()));
    script.push((ToServer, b"private\r\n".to_vec()));
    script.push((ToClient, b"\r\nRS20-0800M2M2SDAE > ".to_vec()));
    script.push((ToServer, b"show running-config\r\n".to_vec()));
    let s: Vec<(Dir, &[u8])> = script.iter().map(|(d, b)| (*d, b.as_slice())).collect();
    let h = run_script("telnet", 23, new, &s, 0);
    assert_eq!(
        h.auths(),
        vec![(
            "telnet-login",
            [0, 1, 1, 1],
            true,
            vec!["admin".to_string()],
            vec!["privat".to_string(), "private".to_string()]
        )]
    );
    assert_eq!(
        h.facts("telnet.banner"),
        vec!["Hirschmann Automation and Control GmbH - Rail Switch RS20-0800M2M2SDAE"]
    );
}

#[test]
fn password_only_prompt_cisco_style() {
    let h = run_script(
        "telnet",
        23,
        new,
        &[
            (
                ToClient,
                b"\r\n\r\nUser Access Verification\r\n\r\nPassword: ",
            ),
            (ToServer, b"cisco\r\n"),
            (ToClient, b"\r\n% Bad passwords\r\n\r\nPassword: "),
            (ToServer, b"cisco123\r\n"),
            (ToClient, b"\r\nSwitch>"),
        ],
        0,
    );
    assert_eq!(
        h.auths(),
        vec![(
            "telnet-login",
            [0, 1, 1, 1],
            true,
            vec![],
            vec!["cisco".to_string(), "cisco123".to_string()]
        )]
    );
    assert_eq!(h.facts("telnet.banner"), vec!["User Access Verification"]);
}

#[test]
fn prompt_without_typing_is_offered_and_unanswered_is_attempt() {
    let h = run_script("telnet", 23, new, &[(ToClient, b"router login: ")], 0);
    assert_eq!(h.auths()[0].1, [0, 0, 0, 1]);
    let h = run_script(
        "telnet",
        23,
        new,
        &[
            (ToClient, b"login: "),
            (ToServer, b"root\r\n"),
            (ToClient, b"root\r\nPassword: "),
            (ToServer, b"toor\r\n"),
        ],
        0,
    );
    assert_eq!(h.auths()[0].1, [1, 0, 0, 1]);
}

#[test]
fn encryption_negotiated_is_not_cleartext() {
    let h = run_script(
        "telnet",
        23,
        new,
        &[
            (ToClient, &[IAC, WILL, 38, IAC, DO, 38]),
            (ToServer, &[IAC, DO, 38, IAC, WILL, 38]),
            (ToClient, b"login: "),
        ],
        0,
    );
    assert_eq!(h.facts("telnet.encryption"), vec!["negotiated"]);
    assert!(!h.auths()[0].2);
}

#[test]
fn long_lines_gap_and_bounds() {
    let mut h = Harness::new("telnet", 23);
    let mut d = new();
    h.feed_chunks(d.as_mut(), ToClient, &[b'A'; 10_000], 700);
    h.feed(d.as_mut(), ToClient, b"\r\nlogin: ");
    h.gap(d.as_mut(), ToServer, 3);
    h.feed(d.as_mut(), ToServer, b"er\r\n");
    h.feed(d.as_mut(), ToClient, &[IAC, SB, 24]);
    h.feed_chunks(d.as_mut(), ToClient, &[0x41; 3000], 100); // endless subnegotiation
    h.close(d.as_mut());
    assert_eq!(h.max_buffered, 0, "telnet never asks the caller to buffer");
    assert_eq!(h.auths()[0].1, [0, 0, 0, 1]);
}

#[test]
fn fuzz_no_panic_bounded() {
    let s = openbsd_session();
    let mut r = Rng(0x5eed_0004);
    for i in 0..2000 {
        let mut h = Harness::new("telnet", 23);
        let mut d = new();
        for (dir, b) in &s {
            let data = if i % 4 == 0 { r.blob(40) } else { r.mutate(b) };
            let _ = probe(*dir, &data, i % 2 == 0);
            h.feed_chunks(d.as_mut(), *dir, &data, 1 + r.below(8));
        }
        h.close(d.as_mut());
        assert_eq!(h.max_buffered, 0);
    }
}

#[test]
fn encryption_agreed_then_withdrawn_is_reported_whatever_the_segments() {
    // The client asks for encryption; the server agrees and withdraws it in one segment.
    // Agreed for a moment is reported, whether the segment arrives whole or byte by byte.
    let script: &[(Dir, &[u8])] = &[
        (ToServer, &[IAC, DO, 38]),
        (ToClient, &[IAC, WILL, 38, IAC, WONT, 38]),
        (ToClient, b"login: "),
    ];
    for chunk in [0, 1, 2, 3] {
        let h = run_script("telnet", 23, new, script, chunk);
        assert_eq!(
            h.facts("telnet.encryption"),
            vec!["negotiated"],
            "chunk {chunk}"
        );
    }
}
