use super::*;
use crate::dissect::snmp::testkit::{Rng, StreamHarness, has, run_chunked, summary};
use crate::dissect::{Dir, Probe};

const S: Dir = Dir::ToClient; // server → client
const C: Dir = Dir::ToServer; // client → server

fn harness() -> StreamHarness {
    StreamHarness::new(new(), "vnc", 5900)
}

/// ServerInit: 1024x768, 32 bpp depth 24 true colour, name "test".
fn server_init(name: &[u8]) -> Vec<u8> {
    let mut v = vec![
        0x04, 0x00, //             framebuffer-width 1024
        0x03, 0x00, //             framebuffer-height 768
        0x20, //                   bits-per-pixel 32
        0x18, //                   depth 24
        0x00, //                   big-endian-flag
        0x01, //                   true-colour-flag
        0x00, 0xff, 0x00, 0xff, 0x00, 0xff, // red/green/blue-max 255
        0x10, 0x08, 0x00, //       red/green/blue-shift 16, 8, 0
        0x00, 0x00, 0x00, //       padding
    ];
    v.extend((name.len() as u32).to_be_bytes()); // name-length
    v.extend_from_slice(name); //                  name-string
    v
}

/// RFB 3.8, server offers None (1) and VNC Authentication (2), client picks 2, accepted.
fn session_38_vnc_auth() -> Vec<(Dir, Vec<u8>)> {
    vec![
        (S, b"RFB 003.008\n".to_vec()), //              ProtocolVersion (server)
        (C, b"RFB 003.008\n".to_vec()), //              ProtocolVersion (client)
        (S, vec![0x02, 0x01, 0x02]),    //                 number-of-security-types 2: None, VNC
        (C, vec![0x02]),                //                             chosen security-type 2
        (S, vec![0x11; 16]),            //                         VNC Authentication challenge
        (C, vec![0x22; 16]),            //                         DES response
        (S, vec![0x00, 0x00, 0x00, 0x00]), //           SecurityResult OK
        (C, vec![0x01]),                //                             ClientInit shared-flag 1
        (S, server_init(b"test")),
        (C, vec![0x00, 0x00, 0x00, 0x00, 0x20, 0x18, 0x00, 0x01]), // SetPixelFormat (skipped)
        (S, vec![0x00, 0x00, 0x00, 0x01, 0xde, 0xad]),             // FramebufferUpdate (skipped)
    ]
}

fn run(conv: &[(Dir, Vec<u8>)]) -> Vec<String> {
    run_chunked(new, "vnc", 5900, conv, usize::MAX)
}

#[test]
fn probe_greeting_either_direction() {
    assert_eq!(probe(S, b"RFB 003.008\n", true), Probe::Match);
    assert_eq!(probe(C, b"RFB 003.889\n", false), Probe::Match);
    assert_eq!(probe(S, b"RFB 003.00", false), Probe::NeedMore);
    assert_eq!(probe(S, b"R", false), Probe::NeedMore);
    assert_eq!(probe(S, b"", false), Probe::NeedMore);
    // negatives
    assert_eq!(probe(S, b"RFB 3.8\n", true), Probe::NoMatch);
    assert_eq!(probe(S, b"RFB 003.008\r", true), Probe::NoMatch);
    assert_eq!(probe(S, b"SSH-2.0-OpenSSH_8.9\r\n", true), Probe::NoMatch);
    assert_eq!(probe(C, b"GET / HTTP/1.1\r\n\r\n", true), Probe::NoMatch);
    let mbap = [
        0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x0a,
    ];
    assert_eq!(probe(C, &mbap, true), Probe::NoMatch);
    let tpkt = [
        0x03, 0x00, 0x00, 0x16, 0x11, 0xe0, 0, 0, 0, 1, 0, 0xc1, 2, 1, 0,
    ];
    assert_eq!(probe(C, &tpkt, true), Probe::NoMatch);
    let mut rng = Rng(3);
    for _ in 0..500 {
        let n = 1 + rng.below(40);
        let b = rng.bytes(n);
        assert_eq!(probe(C, &b, true), Probe::NoMatch);
    }
}

#[test]
fn version_parser() {
    assert_eq!(parser::version(b"RFB 003.008\n").unwrap().1, (3, 8));
    assert_eq!(parser::version(b"RFB 003.889\n").unwrap().1, (3, 889));
    assert!(parser::version(b"RFB 003.0a8\n").is_err());
    assert!(parser::version(b"RFB 003.008").is_err());
}

#[test]
fn rfb_38_vnc_authentication() {
    let s = run(&session_38_vnc_auth());
    let want = [
        "claim server vnc.desktop_name=test src=vnc.server_init conf=50",
        "fact client vnc.shared=true x1",
        "fact client vnc.version=003.008 x1",
        "fact server vnc.desktop_name=test x1",
        "fact server vnc.framebuffer=1024x768 x1",
        "fact server vnc.pixel_format=32bpp depth 24 x1",
        "fact server vnc.security_type_selected=VNC Authentication (2) x1",
        "fact server vnc.security_types=None (1) x1",
        "fact server vnc.security_types=VNC Authentication (2) x1",
        "fact server vnc.version=003.008 x1",
        "auth vnc-none att=0 ok=0 fail=0 offered=1 clear=false users={} secrets={}",
        "auth vnc-password att=0 ok=1 fail=0 offered=1 clear=false users={} secrets={}",
        r#"op Login {"vnc_session"} x1"#,
    ];
    assert_eq!(s, want, "{s:#?}");
}

#[test]
fn rfb_38_failure_with_reason() {
    let mut reason = vec![0x00, 0x00, 0x00, 0x01]; // SecurityResult failed
    reason.extend(14u32.to_be_bytes()); //              reason-length
    reason.extend(b"Authentication"); //               reason-string
    let conv = vec![
        (S, b"RFB 003.008\n".to_vec()),
        (C, b"RFB 003.008\n".to_vec()),
        (S, vec![0x01, 0x02]), // one type: VNC Authentication
        (C, vec![0x02]),
        (S, vec![0x33; 16]),
        (C, vec![0x44; 16]),
        (S, reason),
    ];
    let s = run(&conv);
    assert!(
        s.contains(
            &"auth vnc-password att=0 ok=0 fail=1 offered=1 clear=false users={} secrets={}"
                .to_string()
        ),
        "{s:#?}"
    );
    assert!(
        s.contains(&"fact server vnc.failure_reason=Authentication x1".to_string()),
        "{s:#?}"
    );
    assert!(!has(&s, "fact server vnc.desktop_name"));
}

#[test]
fn rfb_33_server_decides_none() {
    let conv = vec![
        (S, b"RFB 003.003\n".to_vec()),
        (C, b"RFB 003.003\n".to_vec()),
        (S, vec![0x00, 0x00, 0x00, 0x01]), // security-type 1 (None), decided by the server
        (C, vec![0x00]),                   //                   ClientInit (not shared)
        (S, server_init(b"plant-hmi")),
    ];
    let s = run(&conv);
    let want = [
        "claim server vnc.desktop_name=plant-hmi src=vnc.server_init conf=50",
        "fact client vnc.shared=false x1",
        "fact client vnc.version=003.003 x1",
        "fact server vnc.desktop_name=plant-hmi x1",
        "fact server vnc.framebuffer=1024x768 x1",
        "fact server vnc.pixel_format=32bpp depth 24 x1",
        "fact server vnc.security_type_selected=None (1) x1",
        "fact server vnc.security_types=None (1) x1",
        "fact server vnc.version=003.003 x1",
        "auth vnc-none att=0 ok=1 fail=0 offered=1 clear=false users={} secrets={}",
        r#"op Login {"vnc_session"} x1"#,
    ];
    assert_eq!(s, want, "{s:#?}");
}

#[test]
fn rfb_33_vnc_auth_failed_no_reason() {
    let conv = vec![
        (S, b"RFB 003.003\n".to_vec()),
        (C, b"RFB 003.003\n".to_vec()),
        (S, vec![0x00, 0x00, 0x00, 0x02]), // VNC Authentication
        (S, vec![0x55; 16]),
        (C, vec![0x66; 16]),
        (S, vec![0x00, 0x00, 0x00, 0x01]), // failed, no reason in 3.3
    ];
    let s = run(&conv);
    assert!(
        s.contains(
            &"auth vnc-password att=0 ok=0 fail=1 offered=1 clear=false users={} secrets={}"
                .to_string()
        ),
        "{s:#?}"
    );
}

#[test]
fn rfb_37_none_has_no_security_result() {
    let conv = vec![
        (S, b"RFB 003.007\n".to_vec()),
        (C, b"RFB 003.007\n".to_vec()),
        (S, vec![0x01, 0x01]), // one type: None
        (C, vec![0x01]),
        (C, vec![0x01]),        //       ClientInit
        (S, server_init(b"x")), // straight to ServerInit in 3.7
    ];
    let s = run(&conv);
    assert!(
        s.contains(
            &"auth vnc-none att=0 ok=1 fail=0 offered=1 clear=false users={} secrets={}"
                .to_string()
        ),
        "{s:#?}"
    );
    assert!(has(&s, "fact server vnc.framebuffer=1024x768"), "{s:#?}");
}

#[test]
fn handshake_refused_with_reason() {
    let mut refuse = vec![0x00]; // number-of-security-types 0
    refuse.extend(12u32.to_be_bytes());
    refuse.extend(b"Too many con");
    let conv = vec![
        (S, b"RFB 003.008\n".to_vec()),
        (C, b"RFB 003.008\n".to_vec()),
        (S, refuse),
    ];
    let s = run(&conv);
    assert!(
        s.contains(&"fact server vnc.failure_reason=Too many con x1".to_string()),
        "{s:#?}"
    );
    assert!(!has(&s, "auth"), "{s:#?}");
}

#[test]
fn apple_remote_desktop() {
    let mut ard = vec![0x00, 0x02, 0x00, 0x80]; // generator 2, key length 128
    ard.extend([0x77; 256]); //                     prime + server public value
    let mut name = vec![0u8; 5];
    name.extend([0x02, 0xbf, 0xfe, 0xe7, 0x03, 0xe0, 0, 0]);
    name.extend(b"MacMini SSD");
    let conv = vec![
        (S, b"RFB 003.889\n".to_vec()),
        (C, b"RFB 003.889\n".to_vec()),
        (S, vec![0x02, 0x1e, 0x23]), // Apple Remote Desktop (30), Apple (35)
        (C, vec![0x1e]),
        (S, ard),
        (C, vec![0x88; 256]), //        128 bytes credentials + 128 public value
        (S, vec![0x00, 0x00, 0x00, 0x00]),
        (C, vec![0x01]),
        (S, server_init(&name)),
    ];
    let s = run(&conv);
    assert!(
        s.contains(
            &"auth vnc-other att=0 ok=1 fail=0 offered=0 clear=false users={} secrets={}"
                .to_string()
        ),
        "{s:#?}"
    );
    assert!(
        s.contains(
            &"fact server vnc.security_type_selected=Apple Remote Desktop (30) x1".to_string()
        ),
        "{s:#?}"
    );
    assert!(
        s.contains(&"fact server vnc.desktop_name=MacMini SSD x1".to_string()),
        "{s:#?}"
    );
}

#[test]
fn other_type_is_an_attempt_and_skipped() {
    let conv = vec![
        (S, b"RFB 003.008\n".to_vec()),
        (C, b"RFB 003.008\n".to_vec()),
        (S, vec![0x02, 0x10, 0x13]), // Tight (16), VeNCrypt (19)
        (C, vec![0x13]),
        (S, vec![0x00, 0x02]), //       VeNCrypt version 0.2 (not followed)
        (C, vec![0x00, 0x02]),
    ];
    let s = run(&conv);
    assert!(
        s.contains(
            &"auth vnc-other att=1 ok=0 fail=0 offered=0 clear=false users={} secrets={}"
                .to_string()
        ),
        "{s:#?}"
    );
    assert!(
        s.contains(&"fact server vnc.security_type_selected=VeNCrypt (19) x1".to_string()),
        "{s:#?}"
    );
    assert!(!has(&s, "anomaly"), "{s:#?}");
}

#[test]
fn choice_not_offered_is_an_anomaly() {
    let conv = vec![
        (S, b"RFB 003.008\n".to_vec()),
        (C, b"RFB 003.008\n".to_vec()),
        (S, vec![0x01, 0x02]),
        (C, vec![0x01]), // None, not offered
    ];
    let s = run(&conv);
    assert!(has(&s, "anomaly vnc_type_not_offered x1"), "{s:#?}");
}

#[test]
fn growing_prefixes_give_the_same_observations() {
    let conv = session_38_vnc_auth();
    let want = run(&conv);
    // Every chunk size.
    for chunk in 1..=40 {
        assert_eq!(
            run_chunked(new, "vnc", 5900, &conv, chunk),
            want,
            "chunk {chunk}"
        );
    }
    // Every split point of every message.
    let total: usize = conv.iter().map(|(_, b)| b.len()).sum();
    for k in 0..total {
        let mut h = harness();
        let mut pos = 0;
        for (dir, b) in &conv {
            if k > pos && k < pos + b.len() {
                h.feed(*dir, &b[..k - pos]);
                h.feed(*dir, &b[k - pos..]);
            } else {
                h.feed(*dir, b);
            }
            pos += b.len();
        }
        h.close();
        assert_eq!(summary(&h.store), want, "split at {k}");
    }
}

#[test]
fn whole_conversation_in_one_segment_per_direction() {
    // Both directions held by the probe and handed over at once: the server's bytes wait for
    // the client's choice (NeedMore), then complete.
    let mut h = harness();
    let conv = session_38_vnc_auth();
    let srv: Vec<u8> = conv
        .iter()
        .filter(|(d, _)| *d == S)
        .flat_map(|(_, b)| b.clone())
        .collect();
    let cli: Vec<u8> = conv
        .iter()
        .filter(|(d, _)| *d == C)
        .flat_map(|(_, b)| b.clone())
        .collect();
    h.feed(S, &srv);
    h.feed(C, &cli);
    h.feed(S, &[0x00]); // more server bytes arrive later
    h.close();
    let s = summary(&h.store);
    assert!(has(&s, "auth vnc-password att=0 ok=1"), "{s:#?}");
    assert!(has(&s, "fact server vnc.desktop_name=test"), "{s:#?}");
}

#[test]
fn gap_and_midstream() {
    // Gap in the server direction after the version: the rest of that side is skipped.
    let mut h = harness();
    h.feed(S, b"RFB 003.008\n");
    h.feed(C, b"RFB 003.008\n");
    h.gap(S, 100);
    h.feed(S, &[0x02, 0x01, 0x02, 0x11, 0x11]);
    h.feed(C, &[0x02]);
    h.close();
    let s = summary(&h.store);
    assert!(!has(&s, "fact server vnc.security_types"), "{s:#?}");
    assert!(has(&s, "auth vnc-password att=1"), "{s:#?}");
    // Picked up mid-stream: not a version, an anomaly and nothing else.
    let mut h = harness();
    h.feed(
        S,
        &[
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x10,
        ],
    );
    h.feed(S, &[0x01; 100]);
    h.close();
    assert_eq!(summary(&h.store), ["anomaly vnc_bad_version x1"]);
}

#[test]
fn huge_lengths_are_refused() {
    let mut si = server_init(b"");
    si[20..24].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    let conv = vec![
        (S, b"RFB 003.003\n".to_vec()),
        (C, b"RFB 003.003\n".to_vec()),
        (S, vec![0x00, 0x00, 0x00, 0x01]),
        (C, vec![0x00]),
        (S, si),
    ];
    let s = run(&conv);
    assert!(has(&s, "anomaly vnc_string_too_long x1"), "{s:#?}");
    let mut refuse = vec![0x00];
    refuse.extend(0x7fff_ffffu32.to_be_bytes());
    let s = run(&[
        (S, b"RFB 003.008\n".to_vec()),
        (C, b"RFB 003.008\n".to_vec()),
        (S, refuse),
    ]);
    assert!(has(&s, "anomaly vnc_string_too_long x1"), "{s:#?}");
}

#[test]
fn fuzz_stream() {
    let base = session_38_vnc_auth();
    let mut rng = Rng(0x5eed_0002);
    for _ in 0..3000 {
        let mut h = harness();
        for (dir, b) in &base {
            let m = if rng.below(3) == 0 {
                rng.mutate(b)
            } else {
                b.clone()
            };
            let _ = probe(*dir, &m, rng.below(2) == 0);
            let cut = rng.below(m.len() + 1);
            h.feed(*dir, &m[..cut]);
            h.feed(*dir, &m[cut..]);
            if rng.below(50) == 0 {
                h.gap(*dir, 10);
            }
            assert!(h.buffered() <= h.limits.max_pdu_bytes);
        }
        h.close();
        // Random bytes after a valid greeting.
        let mut h = harness();
        h.feed(S, b"RFB 003.008\n");
        h.feed(C, b"RFB 003.008\n");
        for _ in 0..4 {
            let n = rng.below(64);
            let b = rng.bytes(n);
            let dir = if rng.below(2) == 0 { S } else { C };
            h.feed(dir, &b);
        }
        h.close();
        assert!(h.buffered() <= h.limits.max_pdu_bytes);
    }
}

#[test]
fn waiting_on_a_side_that_is_gone_does_not_buffer() {
    // 3.3 client waits for the server-decided type; the server side has a gap: the client's
    // bytes are skipped, not buffered until pdu_too_large.
    let mut h = harness();
    h.feed(S, b"RFB 003.003\n");
    h.feed(C, b"RFB 003.003\n");
    h.gap(S, 4);
    for _ in 0..100 {
        h.feed(C, &[0x42; 1000]);
    }
    assert_eq!(h.buffered(), 0);
    h.close();
    assert!(
        !has(&summary(&h.store), "anomaly"),
        "{:#?}",
        summary(&h.store)
    );
}
