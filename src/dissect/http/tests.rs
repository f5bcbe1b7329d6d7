use super::parser::*;
use super::testkit::{Harness, Rng, growing_prefix, run_script};
use super::*;
use crate::dissect::Dir::{ToClient, ToServer};

// ---------------------------------------------------------------- parser

#[test]
fn request_and_status_lines() {
    let (_, r) = parse_request_line(b"GET /index.html?x=1 HTTP/1.1").unwrap();
    assert_eq!(r.method, b"GET");
    assert_eq!(r.uri, b"/index.html?x=1");
    assert_eq!(r.version, Some((1, 1)));
    // HTTP/0.9 simple request: no version.
    let (_, r) = parse_request_line(b"GET /").unwrap();
    assert_eq!(r.version, None);
    assert!(parse_request_line(b" GET / HTTP/1.1").is_err());
    assert!(parse_request_line(b"\x00\x01\x02").is_err());

    let (_, s) = parse_status_line(b"HTTP/1.0 200 OK").unwrap();
    assert_eq!((s.version, s.code, s.reason), ((1, 0), 200, &b"OK"[..]));
    let (_, s) = parse_status_line(b"HTTP/1.1 401").unwrap();
    assert_eq!(s.code, 401);
    assert!(parse_status_line(b"HTTP/1.1 OK").is_err());
    assert!(parse_status_line(b"SSH-2.0-OpenSSH").is_err());
}

#[test]
fn headers_blocks_and_lengths() {
    assert_eq!(
        parse_header(b"Content-Length :  42 ").unwrap().1,
        (&b"Content-Length"[..], &b"42"[..])
    );
    assert!(parse_header(b"no colon here").is_err());
    assert_eq!(
        header_block_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY"),
        Some(27)
    );
    assert_eq!(
        header_block_end(b"GET / HTTP/1.1\nHost: a\n\nBODY"),
        Some(24)
    );
    assert_eq!(header_block_end(b"GET / HTTP/1.1\r\nHost: a\r\n"), None);
    assert_eq!(parse_content_length(b"643"), Some(643));
    assert_eq!(parse_content_length(b"-1"), None);
    assert_eq!(parse_content_length(b"99999999999999999999"), None);
    assert_eq!(parse_chunk_size(b"1a"), Some(26));
    assert_eq!(parse_chunk_size(b"0;ext=1"), Some(0));
    assert_eq!(parse_chunk_size(b"zz"), None);
    assert_eq!(parse_chunk_size(b"ffffffffffffffffffff"), None);
}

#[test]
fn authorization_values() {
    assert_eq!(decode_base64(b"dGVzdDoxOjM0", 64).unwrap(), b"test:1:34");
    assert_eq!(decode_base64(b"YWRtaW46", 64).unwrap(), b"admin:");
    assert_eq!(decode_base64(b"YQ==", 64).unwrap(), b"a");
    assert!(decode_base64(b"Y", 64).is_none());
    assert!(decode_base64(b"a=b=", 64).is_none());
    // The password keeps its colons: split at the first one only.
    assert_eq!(
        parse_authorization(b"Basic  dGVzdDoxOjM0"),
        Authorization::Basic {
            user: b"test".to_vec(),
            pass: b"1:34".to_vec()
        }
    );
    assert_eq!(parse_authorization(b"Basic !!!"), Authorization::BadBasic);
    assert_eq!(
        parse_authorization(b"Digest username=\"Mufasa\", realm=\"x@y\", nonce=\"n\""),
        Authorization::Digest {
            username: Some(&b"Mufasa"[..])
        }
    );
    assert_eq!(
        parse_authorization(b"Bearer mF_9.B5f-4.1JqM"),
        Authorization::Bearer
    );
    assert_eq!(parse_authorization(b"NTLM TlRMTVNT"), Authorization::Ntlm);
    assert_eq!(auth_scheme(b"Basic realm=\"WEB\""), b"Basic");
    assert_eq!(
        auth_param(b"Basic realm=\"My \\\"Realm\"", b"realm"),
        Some(&b"My \\\"Realm"[..])
    );
    assert_eq!(
        auth_param(b"Digest qop=auth, realm=plc", b"realm"),
        Some(&b"plc"[..])
    );
    assert_eq!(auth_param(b"Basic", b"realm"), None);
}

#[test]
fn form_logins() {
    let f = parse_form_login(b"username=admin&password=p%40ss+word&submit=Login").unwrap();
    assert_eq!(f.user.as_deref(), Some(&b"admin"[..]));
    assert_eq!(f.pass, b"p@ss word");
    let f = parse_form_login(b"login=op&pwd=1234").unwrap();
    assert_eq!(
        (f.user.unwrap(), f.pass),
        (b"op".to_vec(), b"1234".to_vec())
    );
    assert!(parse_form_login(b"q=search&page=2").is_none());
}

#[test]
fn html_scan_title_and_password_input() {
    let mut s = HtmlScan::default();
    s.feed(b"<html><head><TITLE>Siemens ");
    s.feed(b"S7-1500</title></head><form><input name=p TYPE='password'></form>");
    assert_eq!(s.title_done.as_deref(), Some(&b"Siemens S7-1500"[..]));
    assert!(s.password_input);
    let mut s = HtmlScan::default();
    s.feed(&[b'x'; HTML_SCAN_MAX]);
    s.feed(b"<title>late</title>");
    assert!(s.done() && s.title_done.is_none());
}

// ---------------------------------------------------------------- probe

#[test]
fn probe_requests_and_responses() {
    assert_eq!(
        probe(ToServer, b"GET / HTTP/1.1\r\nHost: x\r\n", false),
        Probe::Match
    );
    assert_eq!(
        probe(ToServer, b"POST /login HTTP/1.0\r\n", true),
        Probe::Match
    );
    assert_eq!(probe(ToServer, b"GE", true), Probe::NeedMore);
    assert_eq!(probe(ToServer, b"GET /index.htm", false), Probe::NeedMore);
    assert_eq!(probe(ToClient, b"HTTP/1.1 200 OK\r\n", false), Probe::Match);
    assert_eq!(probe(ToClient, b"HTTP/1", false), Probe::NeedMore);
    // Not HTTP.
    assert_eq!(probe(ToServer, b"GET / RTSP/1.0\r\n", true), Probe::NoMatch);
    assert_eq!(
        probe(ToServer, b"GETX / HTTP/1.1\r\n", true),
        Probe::NoMatch
    );
    assert_eq!(
        probe(ToClient, b"SSH-2.0-OpenSSH_5.8p1\r\n", true),
        Probe::NoMatch
    );
    assert_eq!(
        probe(ToServer, b"SSH-2.0-OpenSSH_5.2\r\n", true),
        Probe::NoMatch
    );
    // Modbus read holding registers, TLS ClientHello, S7 TPKT.
    let modbus = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];
    assert_eq!(probe(ToServer, &modbus, true), Probe::NoMatch);
    let tls = [0x16, 3, 1, 0, 0x40, 1, 0, 0, 0x3c, 3, 3];
    assert_eq!(probe(ToServer, &tls, true), Probe::NoMatch);
    assert_eq!(
        probe(ToServer, &[3, 0, 0, 22, 17, 0xe0], true),
        Probe::NoMatch
    );
    let mut r = Rng(7);
    for _ in 0..500 {
        let b = r.blob(64);
        if b.first().is_some_and(|c| c.is_ascii_uppercase()) {
            continue;
        }
        assert_ne!(probe(ToServer, &b, true), Probe::Match);
        assert_ne!(probe(ToClient, &b, true), Probe::Match);
    }
}

// ---------------------------------------------------------------- dissector

fn conv(script: &[(Dir, &[u8])]) -> Harness {
    run_script("http", 80, new, script, 0)
}

#[test]
fn basic_auth_success_failure_and_offer() {
    let h = conv(&[
        (
            ToServer,
            b"GET /cfg HTTP/1.1\r\nHost: plc\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n",
        ),
        (
            ToClient,
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"PLC\"\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            ToServer,
            b"GET /cfg HTTP/1.1\r\nAuthorization: Basic dGVzdDoxOjM0\r\n\r\n",
        ),
        (ToClient, b"HTTP/1.1 200 OK\r\nServer: GoAhead-Webs\r\nContent-Length: 5\r\n\r\nhello"),
    ]);
    assert_eq!(
        h.auths(),
        vec![(
            "http-basic",
            [0, 1, 1, 1],
            true,
            vec!["admin".to_string(), "test".to_string()],
            vec!["1:34".to_string(), "admin".to_string()]
        )]
    );
    assert_eq!(
        h.facts("http.www_authenticate"),
        vec!["Basic realm=\"PLC\""]
    );
    assert_eq!(h.facts("http.realm"), vec!["PLC"]);
    assert_eq!(
        h.claims("http.server"),
        vec![("GoAhead-Webs".to_string(), 60)]
    );
    assert_eq!(h.ops(), vec![("read", vec!["GET"], 2)]);
    assert!(h.anomalies().is_empty());
}

/// An extension method is a request like any other: its credentials are seen, in one segment
/// or byte by byte (a client cannot hide Basic credentials behind an unregistered method).
#[test]
fn extension_method_is_a_request_whatever_the_segments() {
    let req: &[u8] = b"PURGE /cache HTTP/1.1\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n";
    let resp: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    for chunk in [0, 1, 5] {
        let h = run_script("http", 80, new, &[(ToServer, req), (ToClient, resp)], chunk);
        assert_eq!(
            h.ops(),
            vec![("other", vec!["other_method"], 1)],
            "chunk {chunk}"
        );
        assert_eq!(h.auths().len(), 1, "chunk {chunk}");
        assert!(
            h.anomalies().is_empty(),
            "chunk {chunk}: {:?}",
            h.anomalies()
        );
    }
}

#[test]
fn unanswered_credentials_are_attempts_and_other_schemes() {
    let h = conv(&[(
        ToServer,
        b"GET / HTTP/1.1\r\nAuthorization: Digest username=\"op\", realm=\"r\"\r\n\r\n\
          PUT /f HTTP/1.1\r\nAuthorization: Basic dTpw\r\nContent-Length: 3\r\n\r\nabc\
          DELETE /x HTTP/1.1\r\nAuthorization: Bearer abc\r\n\r\n",
    )]);
    let a = h.auths();
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].0, "http-basic");
    assert_eq!(a[0].1, [1, 0, 0, 0]);
    assert_eq!(a[1], ("http-bearer", [1, 0, 0, 0], false, vec![], vec![]));
    assert_eq!(a[2].0, "http-digest");
    assert_eq!(a[2].3, vec!["op".to_string()]);
    assert!(!a[2].2);
    assert_eq!(
        h.ops(),
        vec![
            ("read", vec!["GET"], 1),
            ("write", vec!["DELETE", "PUT"], 2)
        ]
    );
}

#[test]
fn pipelined_requests_pair_in_order() {
    let h = conv(&[
        (
            ToServer,
            b"GET /a HTTP/1.1\r\nAuthorization: Basic YTpi\r\n\r\nGET /b HTTP/1.1\r\nAuthorization: Basic Yzpk\r\n\r\n",
        ),
        (
            ToClient,
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ),
    ]);
    let a = &h.auths()[0];
    assert_eq!(a.1, [0, 1, 1, 0]);
}

fn chunked(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        s += &format!("{:x}\r\n{p}\r\n", p.len());
    }
    s + "0\r\nX-Trailer: 1\r\n\r\n"
}

#[test]
fn chunked_html_title_and_login_form() {
    let body = chunked(&[
        "<html><title>WA",
        "GO 750 Web</title><form>",
        "<input type=\"password\" n=p>",
    ]);
    let resp = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n{body}"
    );
    let h = conv(&[
        (ToServer, b"GET /login.html HTTP/1.1\r\nHost: hmi\r\n\r\n"),
        (ToClient, resp.as_bytes()),
        (ToServer, b"HEAD / HTTP/1.1\r\n\r\n"),
        (ToClient, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
        (ToServer, b"GET /next HTTP/1.1\r\n\r\n"),
        (ToClient, b"HTTP/1.1 304 Not Modified\r\n\r\n"),
    ]);
    assert_eq!(h.facts("http.title"), vec!["WAGO 750 Web"]);
    assert_eq!(
        h.claims("http.title"),
        vec![("WAGO 750 Web".to_string(), 50)]
    );
    assert_eq!(h.facts("http.login_form"), vec!["/login.html"]);
    assert_eq!(h.ops(), vec![("read", vec!["GET", "HEAD"], 3)]);
    assert!(h.anomalies().is_empty(), "{:?}", h.anomalies());
}

#[test]
fn form_login_post() {
    let body = b"user=admin&pass=secret%21";
    let req = format!(
        "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut h = Harness::new("http", 8080);
    let mut d = new();
    h.feed(d.as_mut(), ToServer, req.as_bytes());
    h.feed(d.as_mut(), ToServer, &body[..5]);
    h.feed(d.as_mut(), ToServer, &body[5..]);
    h.feed(
        d.as_mut(),
        ToClient,
        b"HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n",
    );
    h.close(d.as_mut());
    assert_eq!(
        h.auths(),
        vec![(
            "http-form",
            [1, 0, 0, 0],
            true,
            vec!["admin".to_string()],
            vec!["secret!".to_string()]
        )]
    );
    assert!(h.ops().iter().any(|o| o.0 == "login"));
}

#[test]
fn upgrade_and_connect_stop_parsing() {
    let h = conv(&[
        (
            ToServer,
            b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        ),
        (
            ToClient,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
        ),
        (ToServer, b"\x81\x85garbage that is not http"),
    ]);
    assert!(h.anomalies().is_empty());
    assert_eq!(h.ops().len(), 1);
}

#[test]
fn malformed_oversize_and_garbage_resync() {
    let mut big = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..2000 {
        big.extend_from_slice(format!("X-Pad-{i}: aaaaaaaaaa\r\n").as_bytes());
    }
    big.extend_from_slice(b"\r\n");
    let h = conv(&[
        (ToServer, &big),
        (ToServer, b"GET /after HTTP/1.1\r\nHost: ok\r\n\r\n"),
        (
            ToServer,
            b"\x00\x01garbage\r\nmore junk\r\nPOST /x HTTP/1.1\r\n\r\n",
        ),
        (
            ToClient,
            b"HTTP/1.1 2xx bad\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ),
    ]);
    let an = h.anomalies();
    assert!(an.contains(&"http_header_too_large"), "{an:?}");
    assert!(an.contains(&"http_malformed_request_line") || an.contains(&"http_garbage"));
    assert!(an.contains(&"http_malformed_status_line"), "{an:?}");
    assert_eq!(h.facts("http.host"), vec!["ok"]);
    assert!(h.ops().iter().any(|o| o.1.contains(&"POST")));
}

#[test]
fn gap_inside_body_and_midstream() {
    let mut h = Harness::new("http", 80);
    let mut d = new();
    h.feed(
        d.as_mut(),
        ToClient,
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
    );
    // 50 of the remaining 90 body bytes are lost: the body is still skipped by length.
    h.gap(d.as_mut(), ToClient, 50);
    h.feed(d.as_mut(), ToClient, &[b'z'; 40]);
    h.feed(
        d.as_mut(),
        ToClient,
        b"HTTP/1.1 404 Not Found\r\nServer: after-gap\r\nContent-Length: 0\r\n\r\n",
    );
    // A gap that swallows a head: resynchronise at the next request, no anomaly.
    h.gap(d.as_mut(), ToServer, 10);
    h.feed(
        d.as_mut(),
        ToServer,
        b"ody bytes\r\nGET /again HTTP/1.1\r\nHost: h2\r\n\r\n",
    );
    h.close(d.as_mut());
    assert_eq!(h.facts("http.server"), vec!["after-gap"]);
    assert_eq!(h.facts("http.host"), vec!["h2"]);
    assert!(h.anomalies().is_empty(), "{:?}", h.anomalies());
}

#[test]
fn growing_prefix_same_observations() {
    let h = growing_prefix(
        "http",
        80,
        new,
        &[
            (
                ToServer,
                b"GET /a HTTP/1.1\r\nHost: dev\r\nUser-Agent: t\r\nAuthorization: Basic YTpi\r\n\r\n",
            ),
            (
                ToClient,
                b"HTTP/1.1 200 OK\r\nServer: S\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<titl\r\n9\r\ne>Pg</tit\r\n3\r\nle>\r\n0\r\n\r\n",
            ),
            (ToServer, b"POST /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"),
            (ToClient, b"HTTP/1.1 401 No\r\nWWW-Authenticate: Digest realm=x\r\nContent-Length: 3\r\n\r\nabc"),
        ],
    );
    assert_eq!(h.facts("http.title"), vec!["Pg"]);
    assert_eq!(h.auths()[0].1, [0, 1, 0, 0]);
}

#[test]
fn fuzz_no_panic_bounded() {
    let seeds: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<tit\r\n0\r\n\r\n",
        b"POST /l HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\npass=a&u=",
        b"HTTP/1.0 401 X\r\nWWW-Authenticate: Basic realm=\"r\"\r\n\r\n<title>t</title><input type=password>",
    ];
    let mut r = Rng(0x5eed_0001);
    for i in 0..3000 {
        let base = seeds[i % seeds.len()];
        let data = if i % 5 == 0 {
            r.blob(300)
        } else {
            r.mutate(base)
        };
        let dir = if r.below(2) == 0 { ToServer } else { ToClient };
        let _ = probe(dir, &data, r.below(2) == 0);
        let mut h = Harness::new("http", 80);
        let mut d = new();
        let chunk = 1 + r.below(40);
        h.feed_chunks(d.as_mut(), dir, &data, chunk);
        if r.below(3) == 0 {
            h.gap(d.as_mut(), dir, r.below(100) as u32);
        }
        h.feed_chunks(d.as_mut(), dir, &r.mutate(base), chunk);
        h.close(d.as_mut());
        assert!(
            h.max_buffered <= state::MAX_HEADER_BLOCK + 64,
            "{}",
            h.max_buffered
        );
    }
}

/// A request line that does not begin like HTTP is `http_garbage` whether it arrives whole or a
/// byte at a time (found by the chunking property test on a fuzzed input: byte by byte it was
/// garbage, whole it was a malformed request line).
#[test]
fn garbage_verdict_does_not_depend_on_segmentation() {
    let first: &[u8] = b"GET / HTTP/1.1\r\n\r\n";
    let run = |line: &'static [u8]| {
        let whole = conv(&[(ToServer, first), (ToServer, line)]);
        let mut pieces: Vec<(Dir, &[u8])> = vec![(ToServer, first)];
        pieces.extend(line.chunks(1).map(|c| (ToServer, c)));
        (whole.anomalies(), conv(&pieces).anomalies())
    };
    let (whole, bytewise) = run(b"\x00GET /index.html HTTP/1.1\r\n\r\n");
    assert_eq!(whole, vec!["http_garbage"]);
    assert_eq!(bytewise, whole);
    // A line that begins like a request but is broken stays a malformed request line.
    let (whole, bytewise) = run(b"GET /x HTTP/9\x01 z\r\n\r\n");
    assert_eq!(whole, vec!["http_malformed_request_line"]);
    assert_eq!(bytewise, whole);
    // An extension method (any token) is a request both ways. Byte by byte it used to be
    // garbage: the prefix test knew only the registered methods, the whole line any token.
    let (whole, bytewise) = run(b"od$T /x HTTP/1.1\r\nUser-Agent: evil\r\n\r\n");
    assert!(whole.is_empty(), "{whole:?}");
    assert_eq!(bytewise, whole);
    // A method that is not a token is garbage both ways.
    let (whole, bytewise) = run(b"G(T /x HTTP/1.1\r\n\r\n");
    assert_eq!(whole, vec!["http_garbage"]);
    assert_eq!(bytewise, whole);
}
