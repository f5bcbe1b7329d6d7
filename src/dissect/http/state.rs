//! Per-flow HTTP state: one parse phase per direction, a bounded queue of requests awaiting
//! their response (pipelining), and the credentials waiting for the response that tells
//! whether they worked.

use super::parser::{self, Authorization, HtmlScan};
use crate::dissect::{Cx, Dir, Parsed, Party, StreamDissector};
use crate::evidence::Ev;
use crate::inventory::observation::{AuthEvent, Op, Outcome};
use std::collections::VecDeque;

/// Largest header block accepted (request or response head).
pub const MAX_HEADER_BLOCK: usize = 16 * 1024;
/// Largest form body read for credentials.
const MAX_FORM_BODY: u64 = 8 * 1024;
/// Longest chunk-size line.
const MAX_CHUNK_LINE: usize = 1024;
/// Upper bound of pending requests, whatever `max_open_transactions` says.
const MAX_PENDING: usize = 64;
/// Bytes of a request path kept for `http.login_form`.
const PATH_MAX: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data (bytes left).
    Data(u64),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// Trailer fields until the empty line.
    Trailer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Expecting a request / status line.
    Start,
    /// A body of known remaining length.
    Body(u64),
    Chunked(Chunk),
    /// A response body delimited by the end of the connection.
    UntilClose,
    /// Lost: looking for the next request / status line at a line start.
    Resync,
    /// Not HTTP any more (protocol upgrade, CONNECT tunnel): everything is consumed.
    Opaque,
}

/// What a request left for its response.
#[derive(Debug)]
struct Pending {
    head: bool,
    connect: bool,
    /// Request path (first bytes, inline: no allocation per request), for `http.login_form`.
    path: [u8; PATH_MAX],
    path_len: u8,
    auth: Option<PendingAuth>,
}

#[derive(Debug)]
struct PendingAuth {
    mechanism: &'static str,
    user: Option<String>,
    secret: Option<String>,
    cleartext: bool,
    /// Frame that carried the credentials (the evidence of the event).
    ev: Ev,
}

#[derive(Debug)]
struct Side {
    phase: Phase,
    /// The previous byte consumed ended a line (resynchronisation looks at line starts).
    line_start: bool,
    /// Bytes were lost (gap): skipping to the next message is not an anomaly.
    after_gap: bool,
    /// Garbage already counted for the current resynchronisation.
    garbage_counted: bool,
}

impl Side {
    fn new() -> Side {
        Side {
            phase: Phase::Start,
            line_start: true,
            after_gap: false,
            garbage_counted: false,
        }
    }
}

/// Response body being read: what it is scanned for.
#[derive(Debug)]
struct RespBody {
    html: Option<HtmlScan>,
    /// Path of the request this response answers (inline bytes, length).
    path: ([u8; PATH_MAX], u8),
    title_sent: bool,
    form_sent: bool,
    /// Status code of the response: only a successful page's title names the device (an
    /// error page's "401 Unauthorized" does not).
    status: u16,
}

/// Request body being read: a form login to look at.
#[derive(Debug, Default)]
struct ReqBody {
    form: bool,
}

/// The HTTP/1.x dissector of one flow.
pub struct Http {
    req: Side,
    resp: Side,
    pending: VecDeque<Pending>,
    req_body: ReqBody,
    resp_body: RespBody,
    /// Hashes of the last Host / User-Agent / Server values reported (no repeated strings).
    last_host: u64,
    last_ua: u64,
    last_server: u64,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

fn hash(b: &[u8]) -> u64 {
    // FNV-1a: stable and cheap; only used to avoid re-reporting the same value.
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| {
        (h ^ c as u64).wrapping_mul(0x100_0000_01b3)
    }) | 1
}

/// Bytes as report text: UTF-8 kept (bounded), anything else as hex.
pub fn text(b: &[u8]) -> String {
    const MAX: usize = 256;
    match std::str::from_utf8(b) {
        Ok(s) => {
            let mut end = s.len().min(MAX);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.get(..end).unwrap_or("").to_string()
        }
        Err(_) => {
            let mut s = String::from("hex:");
            for x in b.iter().take(MAX / 2) {
                s.push_str(&format!("{x:02x}"));
            }
            s
        }
    }
}

/// Operation class and static detail of a request method.
pub fn method_op(m: &[u8]) -> (Op, &'static str) {
    const T: &[(&[u8], Op, &str)] = &[
        (b"GET", Op::Read, "GET"),
        (b"HEAD", Op::Read, "HEAD"),
        (b"POST", Op::Write, "POST"),
        (b"PUT", Op::Write, "PUT"),
        (b"DELETE", Op::Write, "DELETE"),
        (b"PATCH", Op::Write, "PATCH"),
        (b"OPTIONS", Op::Other, "OPTIONS"),
        (b"TRACE", Op::Diagnostics, "TRACE"),
        (b"CONNECT", Op::Connect, "CONNECT"),
        (b"PROPFIND", Op::Browse, "PROPFIND"),
        (b"PROPPATCH", Op::Write, "PROPPATCH"),
        (b"MKCOL", Op::Write, "MKCOL"),
        (b"COPY", Op::Write, "COPY"),
        (b"MOVE", Op::Write, "MOVE"),
        (b"LOCK", Op::Write, "LOCK"),
        (b"UNLOCK", Op::Write, "UNLOCK"),
        (b"REPORT", Op::Read, "REPORT"),
        (b"SUBSCRIBE", Op::Subscribe, "SUBSCRIBE"),
        (b"UNSUBSCRIBE", Op::Subscribe, "UNSUBSCRIBE"),
        (b"NOTIFY", Op::Other, "NOTIFY"),
    ];
    T.iter()
        .find(|(n, _, _)| *n == m)
        .map_or((Op::Other, "other_method"), |(_, o, d)| (*o, *d))
}

/// Where a plausible message start is in `data`.
enum Found {
    At(usize),
    /// A line start at this offset could be one: show me more bytes.
    Maybe(usize),
    None,
}

/// Could `b` (a line start) begin a request (`METHOD SP`) or a response (`HTTP/1.`)?
/// `Some(true)` yes, `Some(false)` no, `None` too short to say.
fn plausible_start(dir: Dir, b: &[u8]) -> Option<bool> {
    match dir {
        Dir::ToServer => {
            let mut short = false;
            for m in parser::METHODS {
                let n = m.len();
                if b.len() > n + 1 {
                    if b.get(..n) == Some(*m)
                        && b.get(n) == Some(&b' ')
                        && b.get(n + 1).is_some_and(|&c| c > b' ')
                    {
                        return Some(true);
                    }
                } else if b.iter().zip(m.iter()).all(|(a, c)| a == c) {
                    short = true;
                }
            }
            if short { None } else { Some(false) }
        }
        Dir::ToClient => {
            const P: &[u8] = b"HTTP/1.";
            if b.len() >= P.len() {
                Some(b.get(..P.len()) == Some(P))
            } else if P.starts_with(b) {
                None
            } else {
                Some(false)
            }
        }
    }
}

/// Longest method token taken at the start of a message.
const MAX_METHOD: usize = 24;

/// Does `b` begin like a message where one is expected (at the start of the stream or after
/// the previous message)? Requests may use any method token (RFC 9110 9.1: extension
/// methods; an unknown method is itself worth reporting), so this is looser than
/// [`plausible_start`], which resynchronisation uses after garbage. `None`: more bytes
/// needed. Like [`plausible_start`], a verdict on a prefix never changes with more bytes, so
/// a line judged whole and the same line judged as it arrives agree.
fn plausible_message(dir: Dir, b: &[u8]) -> Option<bool> {
    if dir == Dir::ToClient {
        return plausible_start(dir, b);
    }
    let tok = b.iter().take_while(|&&c| parser::is_tchar(c)).count();
    if tok > MAX_METHOD {
        return Some(false);
    }
    match (tok, b.get(tok), b.get(tok + 1)) {
        (_, None, _) => None,
        (0, Some(_), _) => Some(false),
        (_, Some(&b' '), None) => None,
        (_, Some(&b' '), Some(&c)) => Some(c > b' '),
        _ => Some(false),
    }
}

fn find_start(dir: Dir, data: &[u8], line_start: bool) -> Found {
    let mut cand = if line_start { Some(0) } else { None };
    let mut from = 0;
    loop {
        if let Some(c) = cand {
            match plausible_start(dir, data.get(c..).unwrap_or(&[])) {
                Some(true) => return Found::At(c),
                None => return Found::Maybe(c),
                Some(false) => {}
            }
        }
        match memchr::memchr(b'\n', data.get(from..).unwrap_or(&[])) {
            Some(p) => {
                cand = Some(from + p + 1);
                from = from + p + 1;
            }
            None => return Found::None,
        }
    }
}

enum Step {
    /// Bytes consumed (0 when only the phase changed).
    Adv(usize),
    /// More bytes needed: total length wanted from the current offset.
    Need(usize),
}

impl Http {
    pub fn new() -> Http {
        Http {
            req: Side::new(),
            resp: Side::new(),
            pending: VecDeque::new(),
            req_body: ReqBody::default(),
            resp_body: RespBody {
                html: None,
                path: ([0; PATH_MAX], 0),
                title_sent: false,
                form_sent: false,
                status: 0,
            },
            last_host: 0,
            last_ua: 0,
            last_server: 0,
        }
    }

    fn side(&mut self, dir: Dir) -> &mut Side {
        match dir {
            Dir::ToServer => &mut self.req,
            Dir::ToClient => &mut self.resp,
        }
    }

    fn step(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Step {
        let phase = self.side(dir).phase;
        match phase {
            Phase::Opaque => Step::Adv(data.len()),
            Phase::Resync => self.resync(dir, data, cx),
            Phase::Start => self.start(dir, data, cx),
            Phase::Body(rem) => self.body(dir, data, rem, cx),
            Phase::Chunked(c) => self.chunked(dir, data, c, cx),
            Phase::UntilClose => {
                self.scan_body(dir, data, cx);
                Step::Adv(data.len())
            }
        }
    }

    fn resync(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Step {
        let line_start = self.side(dir).line_start;
        let (skip, next) = match find_start(dir, data, line_start) {
            Found::At(p) => (p, Some(Phase::Start)),
            Found::Maybe(p) => {
                if p > 0 {
                    (p, None)
                } else {
                    return Step::Need(data.len() + 1);
                }
            }
            Found::None => (data.len(), None),
        };
        let s = self.side(dir);
        if skip > 0 && !s.after_gap && !s.garbage_counted {
            s.garbage_counted = true;
            cx.anomaly("http_garbage");
        }
        if skip > 0 {
            s.line_start = data.get(skip - 1) == Some(&b'\n');
        }
        if let Some(p) = next {
            s.phase = p;
            s.after_gap = false;
            s.garbage_counted = false;
        }
        Step::Adv(skip)
    }

    fn lost(&mut self, dir: Dir, cx: &mut Cx<'_>, kind: &'static str) {
        cx.anomaly(kind);
        let s = self.side(dir);
        s.phase = Phase::Resync;
        s.garbage_counted = true;
    }

    fn start(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Step {
        // Empty lines between messages are tolerated (RFC 9112 2.2).
        let lead = data
            .iter()
            .position(|&c| c != b'\r' && c != b'\n')
            .unwrap_or(data.len());
        if lead > 0 {
            self.side(dir).line_start = data.get(lead - 1) == Some(&b'\n');
            return Step::Adv(lead);
        }
        // Judge the first line as soon as it is there, before taking the block.
        if let Some(nl) = memchr::memchr(b'\n', data) {
            let first = data.get(..nl).unwrap_or(&[]);
            let first = first.strip_suffix(b"\r").unwrap_or(first);
            // The prefix test too: a line the prefix test rejects (a method that is not a
            // token) is rejected whole as well, or the verdict would depend on whether the
            // line arrived in one segment.
            let ok = plausible_message(dir, first) == Some(true)
                && match dir {
                    Dir::ToServer => parser::parse_request_line(first)
                        .is_ok_and(|(r, l)| r.is_empty() && l.version.is_some()),
                    Dir::ToClient => parser::parse_status_line(first).is_ok(),
                };
            if !ok {
                // A line that does not even begin like HTTP is garbage, judged by the same
                // prefix test as before the line end arrives, so the verdict does not depend
                // on where the segments were cut.
                let kind = match (dir, plausible_message(dir, first)) {
                    (_, Some(false)) => "http_garbage",
                    (Dir::ToServer, _) => "http_malformed_request_line",
                    (Dir::ToClient, _) => "http_malformed_status_line",
                };
                self.lost(dir, cx, kind);
                return Step::Adv(0);
            }
        } else if plausible_message(dir, data) == Some(false) {
            self.lost(dir, cx, "http_garbage");
            return Step::Adv(0);
        }
        let Some(end) = parser::header_block_end(data) else {
            if data.len() >= MAX_HEADER_BLOCK {
                self.lost(dir, cx, "http_header_too_large");
                // The head is skipped line by line until a new message starts.
                return Step::Adv(data.len());
            }
            return Step::Need(data.len() + 1);
        };
        if end > MAX_HEADER_BLOCK {
            self.lost(dir, cx, "http_header_too_large");
            return Step::Adv(end);
        }
        let block = data.get(..end).unwrap_or(&[]);
        self.side(dir).line_start = true;
        match dir {
            Dir::ToServer => self.request_head(block, cx),
            Dir::ToClient => self.response_head(block, cx),
        }
        Step::Adv(end)
    }

    fn request_head(&mut self, block: &[u8], cx: &mut Cx<'_>) {
        let mut lines = parser::lines(block);
        let first = lines.next().unwrap_or(&[]);
        let rl = match parser::parse_request_line(first) {
            Ok((&[], rl)) => rl,
            _ => {
                self.lost(Dir::ToServer, cx, "http_malformed_request_line");
                return;
            }
        };
        if rl.version.is_none() {
            cx.anomaly("http_missing_version");
        }
        let (op, detail) = method_op(rl.method);
        cx.op(op, Some(detail));
        let mut content_length = None;
        let mut chunked = false;
        let mut form = false;
        let mut auth: Option<PendingAuth> = None;
        for line in lines {
            if line.is_empty() {
                continue;
            }
            let Ok((_, (name, value))) = parser::parse_header(line) else {
                cx.anomaly("http_malformed_header");
                continue;
            };
            if name.eq_ignore_ascii_case(b"host") {
                let h = hash(value);
                if h != self.last_host {
                    self.last_host = h;
                    cx.fact(Party::Server, "http.host", text(value));
                }
            } else if name.eq_ignore_ascii_case(b"user-agent") {
                let h = hash(value);
                if h != self.last_ua {
                    self.last_ua = h;
                    cx.fact(Party::Client, "http.user_agent", text(value));
                }
            } else if name.eq_ignore_ascii_case(b"authorization") {
                auth = self.authorization(value, cx);
            } else if name.eq_ignore_ascii_case(b"content-length") {
                match parser::parse_content_length(value) {
                    Some(n) => content_length = Some(n),
                    None => cx.anomaly("http_bad_content_length"),
                }
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                chunked = parser::contains_ci(value, b"chunked");
            } else if name.eq_ignore_ascii_case(b"content-type") {
                form = parser::contains_ci(value, b"application/x-www-form-urlencoded");
            }
        }
        let path_end = rl
            .uri
            .iter()
            .position(|&c| c == b'?' || c == b'#')
            .unwrap_or(rl.uri.len());
        let src = rl.uri.get(..path_end.min(PATH_MAX)).unwrap_or(&[]);
        let mut path = [0u8; PATH_MAX];
        path.get_mut(..src.len())
            .unwrap_or(&mut [])
            .copy_from_slice(src);
        let p = Pending {
            head: rl.method == b"HEAD",
            connect: rl.method == b"CONNECT",
            path,
            path_len: src.len() as u8,
            auth,
        };
        let cap = cx.limits.max_open_transactions.clamp(1, MAX_PENDING);
        if self.pending.len() >= cap {
            if let Some(old) = self.pending.pop_front() {
                Self::emit(old.auth, Outcome::Attempt, cx);
            }
        }
        self.pending.push_back(p);
        self.req_body = ReqBody {
            form: form && rl.method == b"POST",
        };
        self.req.phase = if chunked {
            Phase::Chunked(Chunk::Size)
        } else {
            match content_length {
                Some(n) if n > 0 => Phase::Body(n),
                _ => Phase::Start,
            }
        };
    }

    fn authorization(&mut self, value: &[u8], cx: &mut Cx<'_>) -> Option<PendingAuth> {
        let ev = cx.ev;
        let mk = |mechanism, user, secret, cleartext| {
            Some(PendingAuth {
                mechanism,
                user,
                secret,
                cleartext,
                ev,
            })
        };
        match parser::parse_authorization(value) {
            Authorization::Basic { user, pass } => {
                mk("http-basic", Some(text(&user)), Some(text(&pass)), true)
            }
            Authorization::BadBasic => {
                cx.anomaly("http_bad_basic_auth");
                mk("http-basic", None, None, true)
            }
            Authorization::Digest { username } => {
                mk("http-digest", username.map(text), None, false)
            }
            Authorization::Bearer => mk("http-bearer", None, None, false),
            Authorization::Ntlm => mk("http-ntlm", None, None, false),
            Authorization::Negotiate => mk("http-negotiate", None, None, false),
            Authorization::Other(_) => mk("http-other", None, None, false),
        }
    }

    /// Report credentials with their outcome, as seen in the frame that carried them.
    fn emit(a: Option<PendingAuth>, outcome: Outcome, cx: &mut Cx<'_>) {
        let Some(a) = a else { return };
        let now = cx.ev;
        cx.ev = a.ev;
        cx.auth(AuthEvent {
            mechanism: a.mechanism,
            outcome,
            user: a.user,
            secret: a.secret,
            cleartext: a.cleartext,
        });
        cx.ev = now;
    }

    fn response_head(&mut self, block: &[u8], cx: &mut Cx<'_>) {
        let mut lines = parser::lines(block);
        let first = lines.next().unwrap_or(&[]);
        let sl = match parser::parse_status_line(first) {
            Ok((_, sl)) => sl,
            Err(_) => {
                self.lost(Dir::ToClient, cx, "http_malformed_status_line");
                return;
            }
        };
        let code = sl.code;
        let mut content_length = None;
        let mut chunked = false;
        let mut html = true;
        for line in lines {
            if line.is_empty() {
                continue;
            }
            let Ok((_, (name, value))) = parser::parse_header(line) else {
                cx.anomaly("http_malformed_header");
                continue;
            };
            if name.eq_ignore_ascii_case(b"server") {
                let h = hash(value);
                if h != self.last_server && !value.is_empty() {
                    self.last_server = h;
                    let v = text(value);
                    cx.fact(Party::Server, "http.server", v.clone());
                    cx.claim(Party::Server, "http.server", &v, "http.server_header", 60);
                }
            } else if name.eq_ignore_ascii_case(b"www-authenticate") {
                cx.fact(Party::Server, "http.www_authenticate", text(value));
                if code == 401 {
                    let scheme = parser::auth_scheme(value);
                    let mechanism = if scheme.eq_ignore_ascii_case(b"basic") {
                        Some("http-basic")
                    } else if scheme.eq_ignore_ascii_case(b"digest") {
                        Some("http-digest")
                    } else if scheme.eq_ignore_ascii_case(b"bearer") {
                        Some("http-bearer")
                    } else if scheme.eq_ignore_ascii_case(b"ntlm") {
                        Some("http-ntlm")
                    } else if scheme.eq_ignore_ascii_case(b"negotiate") {
                        Some("http-negotiate")
                    } else {
                        None
                    };
                    if let Some(mechanism) = mechanism {
                        cx.auth(AuthEvent {
                            mechanism,
                            outcome: Outcome::Offered,
                            user: None,
                            secret: None,
                            cleartext: mechanism == "http-basic",
                        });
                    }
                    if let Some(realm) = parser::auth_param(value, b"realm") {
                        cx.fact(Party::Server, "http.realm", text(realm));
                    }
                }
            } else if name.eq_ignore_ascii_case(b"content-length") {
                match parser::parse_content_length(value) {
                    Some(n) => content_length = Some(n),
                    None => cx.anomaly("http_bad_content_length"),
                }
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                chunked = parser::contains_ci(value, b"chunked");
            } else if name.eq_ignore_ascii_case(b"content-type") {
                html = parser::contains_ci(value, b"html");
            }
        }
        // Interim responses (100 Continue, 103) leave the request waiting.
        let interim = (100..200).contains(&code) && code != 101;
        let req = if interim {
            None
        } else {
            self.pending.pop_front()
        };
        let (head, connect) = req.as_ref().map_or((false, false), |r| (r.head, r.connect));
        let mut path = ([0u8; PATH_MAX], 0u8);
        if let Some(r) = req {
            let outcome = match code {
                401 | 403 => Outcome::Failure,
                _ if r.auth.as_ref().is_some_and(|a| a.mechanism == "http-form") => {
                    Outcome::Attempt
                }
                _ => Outcome::Success,
            };
            Self::emit(r.auth, outcome, cx);
            path = (r.path, r.path_len);
        }
        if code == 101 || (connect && (200..300).contains(&code)) {
            self.req.phase = Phase::Opaque;
            self.resp.phase = Phase::Opaque;
            return;
        }
        let no_body = head || interim || code == 204 || code == 304 || code == 101;
        self.resp_body = RespBody {
            html: (html && !no_body).then(HtmlScan::default),
            path,
            title_sent: false,
            form_sent: false,
            status: code,
        };
        self.resp.phase = if no_body {
            Phase::Start
        } else if chunked {
            Phase::Chunked(Chunk::Size)
        } else {
            match content_length {
                Some(0) => Phase::Start,
                Some(n) => Phase::Body(n),
                // No length: the body ends with the connection (RFC 9112 6.3).
                None => Phase::UntilClose,
            }
        };
    }

    /// Feed response body bytes to the HTML scanner; report a title or a login form.
    fn scan_body(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) {
        if dir != Dir::ToClient {
            return;
        }
        let b = &mut self.resp_body;
        let Some(h) = b.html.as_mut() else { return };
        h.feed(data);
        if !b.title_sent {
            if let Some(t) = h.title_done.as_ref() {
                b.title_sent = true;
                let t = text(t);
                let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
                if !t.is_empty() && (200..300).contains(&b.status) {
                    cx.fact(Party::Server, "http.title", t.clone());
                    cx.claim(Party::Server, "http.title", &t, "http.title", 50);
                }
            }
        }
        if h.password_input && !b.form_sent {
            b.form_sent = true;
            let p = b.path.0.get(..b.path.1 as usize).unwrap_or(&[]);
            let p = if p.is_empty() {
                "/".to_string()
            } else {
                text(p)
            };
            cx.fact(Party::Server, "http.login_form", p);
        }
        if h.done() || (b.title_sent && b.form_sent) {
            b.html = None;
        }
    }

    fn body(&mut self, dir: Dir, data: &[u8], rem: u64, cx: &mut Cx<'_>) -> Step {
        if dir == Dir::ToServer && self.req_body.form && rem <= MAX_FORM_BODY {
            let n = rem as usize;
            let Some(body) = data.get(..n) else {
                return Step::Need(n);
            };
            self.req_body.form = false;
            if let Some(f) = parser::parse_form_login(body) {
                let a = PendingAuth {
                    mechanism: "http-form",
                    user: f.user.as_deref().map(text),
                    secret: Some(text(&f.pass)),
                    cleartext: true,
                    ev: cx.ev,
                };
                cx.op(Op::Login, Some("http_form_login"));
                match self.pending.back_mut() {
                    Some(p) if p.auth.is_none() => p.auth = Some(a),
                    _ => Self::emit(Some(a), Outcome::Attempt, cx),
                }
            }
            self.req.phase = Phase::Start;
            return Step::Adv(n);
        }
        let n = (data.len() as u64).min(rem) as usize;
        self.scan_body(dir, data.get(..n).unwrap_or(&[]), cx);
        let left = rem - n as u64;
        let s = self.side(dir);
        s.phase = if left == 0 {
            Phase::Start
        } else {
            Phase::Body(left)
        };
        Step::Adv(n)
    }

    fn chunked(&mut self, dir: Dir, data: &[u8], c: Chunk, cx: &mut Cx<'_>) -> Step {
        match c {
            Chunk::Data(rem) => {
                let n = (data.len() as u64).min(rem) as usize;
                self.scan_body(dir, data.get(..n).unwrap_or(&[]), cx);
                let left = rem - n as u64;
                self.side(dir).phase = Phase::Chunked(if left == 0 {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left)
                });
                Step::Adv(n)
            }
            Chunk::Size | Chunk::DataEnd | Chunk::Trailer => {
                let Some(nl) = memchr::memchr(b'\n', data) else {
                    if data.len() > MAX_CHUNK_LINE {
                        self.lost(dir, cx, "http_bad_chunk");
                        return Step::Adv(0);
                    }
                    return Step::Need(data.len() + 1);
                };
                let line = data.get(..nl).unwrap_or(&[]);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let next = match c {
                    Chunk::DataEnd => {
                        if !line.is_empty() {
                            self.lost(dir, cx, "http_bad_chunk");
                            return Step::Adv(0);
                        }
                        Phase::Chunked(Chunk::Size)
                    }
                    Chunk::Trailer => {
                        if line.is_empty() {
                            Phase::Start
                        } else {
                            Phase::Chunked(Chunk::Trailer)
                        }
                    }
                    _ => match parser::parse_chunk_size(line) {
                        Some(0) => Phase::Chunked(Chunk::Trailer),
                        Some(n) => Phase::Chunked(Chunk::Data(n)),
                        None => {
                            self.lost(dir, cx, "http_bad_chunk");
                            return Step::Adv(0);
                        }
                    },
                };
                let s = self.side(dir);
                s.phase = next;
                s.line_start = true;
                Step::Adv(nl + 1)
            }
        }
    }
}

impl StreamDissector for Http {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let mut off = 0usize;
        let mut idle = 0u8;
        while off < data.len() {
            match self.step(dir, data.get(off..).unwrap_or(&[]), cx) {
                Step::Adv(0) => {
                    // Only the phase changed; a few in a row means a bug, not progress.
                    idle += 1;
                    if idle > 4 {
                        return Parsed::Consumed(data.len());
                    }
                }
                Step::Adv(n) => {
                    idle = 0;
                    off = off.saturating_add(n).min(data.len());
                    let ls = off > 0 && data.get(off - 1) == Some(&b'\n');
                    self.side(dir).line_start = ls;
                }
                Step::Need(n) => {
                    return Parsed::NeedMore {
                        consumed: off,
                        needed: n,
                    };
                }
            }
        }
        Parsed::Consumed(off)
    }

    fn gap(&mut self, dir: Dir, len: u32, cx: &mut Cx<'_>) {
        let s = self.side(dir);
        s.phase = match s.phase {
            Phase::Opaque => Phase::Opaque,
            Phase::UntilClose => Phase::UntilClose,
            Phase::Body(rem) if (len as u64) < rem => Phase::Body(rem - len as u64),
            Phase::Chunked(Chunk::Data(rem)) if (len as u64) < rem => {
                Phase::Chunked(Chunk::Data(rem - len as u64))
            }
            _ => Phase::Resync,
        };
        s.after_gap = true;
        s.line_start = false;
        let resync = s.phase == Phase::Resync;
        if dir == Dir::ToServer {
            self.req_body.form = false;
        } else {
            self.resp_body.html = None;
        }
        if resync {
            // Requests and responses can no longer be paired.
            for p in std::mem::take(&mut self.pending) {
                Self::emit(p.auth, Outcome::Attempt, cx);
            }
        }
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        for p in std::mem::take(&mut self.pending) {
            Self::emit(p.auth, Outcome::Attempt, cx);
        }
    }
}
