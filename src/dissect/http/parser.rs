//! HTTP/1.x message heads, pure and zero-copy (nom): request and status lines, header fields,
//! chunk sizes, `Authorization` / `WWW-Authenticate` values, form bodies, and a small streaming
//! HTML scanner for `<title>` and password inputs.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take_while, take_while_m_n, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::opt;

/// Request methods a probe accepts (RFC 9110, WebDAV, UPnP GENA).
pub const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"PATCH",
    b"TRACE",
    b"CONNECT",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"REPORT",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
    b"NOTIFY",
];

/// `tchar` of RFC 9110 (token characters).
pub fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// `GET /path HTTP/1.1` (the line without its CRLF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    pub method: &'a [u8],
    pub uri: &'a [u8],
    /// (major, minor); `None` for an HTTP/0.9 simple request.
    pub version: Option<(u8, u8)>,
}

/// `HTTP/1.1 200 OK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusLine<'a> {
    pub version: (u8, u8),
    pub code: u16,
    pub reason: &'a [u8],
}

fn version(i: &[u8]) -> IResult<&[u8], (u8, u8)> {
    let (i, _) = tag("HTTP/")(i)?;
    let (i, (maj, _, min)) = (
        take_while_m_n(1, 1, |c: u8| c.is_ascii_digit()),
        char('.'),
        take_while_m_n(1, 1, |c: u8| c.is_ascii_digit()),
    )
        .parse(i)?;
    let d = |s: &[u8]| s.first().map_or(0, |c| c - b'0');
    Ok((i, (d(maj), d(min))))
}

/// A request line: method SP request-target [SP HTTP-version].
pub fn parse_request_line(i: &[u8]) -> IResult<&[u8], RequestLine<'_>> {
    let (i, method) = take_while1(is_tchar)(i)?;
    let (i, _) = take_while1(|c| c == b' ')(i)?;
    let (i, uri) = take_while1(|c: u8| c > b' ' && c != 0x7f)(i)?;
    let (i, v) = opt((take_while1(|c| c == b' '), version)).parse(i)?;
    let (i, _) = take_while(|c| c == b' ' || c == b'\t')(i)?;
    Ok((
        i,
        RequestLine {
            method,
            uri,
            version: v.map(|(_, v)| v),
        },
    ))
}

/// A status line: HTTP-version SP 3DIGIT [SP reason].
pub fn parse_status_line(i: &[u8]) -> IResult<&[u8], StatusLine<'_>> {
    let (i, v) = version(i)?;
    let (i, _) = take_while1(|c| c == b' ')(i)?;
    let (i, code) = take_while_m_n(3, 3, |c: u8| c.is_ascii_digit())(i)?;
    let (i, reason) = opt((take_while1(|c| c == b' '), take_while(|_| true))).parse(i)?;
    let code = code.iter().fold(0u16, |a, &c| {
        a.wrapping_mul(10).wrapping_add((c - b'0') as u16)
    });
    Ok((
        i,
        StatusLine {
            version: v,
            code,
            reason: reason.map_or(&[][..], |(_, r)| r),
        },
    ))
}

/// A header field `name: value` (value trimmed of surrounding whitespace).
pub fn parse_header(i: &[u8]) -> IResult<&[u8], (&[u8], &[u8])> {
    let (i, name) = take_while1(is_tchar)(i)?;
    let (i, _) = take_while(|c| c == b' ' || c == b'\t')(i)?;
    let (i, _) = char(':')(i)?;
    Ok((&[][..], (name, trim(i))))
}

/// Trim spaces and tabs at both ends.
pub fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|&c| c != b' ' && c != b'\t')
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(s, |p| p + 1);
    b.get(s..e).unwrap_or(&[])
}

/// Offset just after the empty line that ends a header block (`\r\n\r\n` or `\n\n`).
pub fn header_block_end(data: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'\n', data.get(from..)?) {
        let nl = from + p;
        let next = data.get(nl + 1..).unwrap_or(&[]);
        if next.starts_with(b"\r\n") {
            return Some(nl + 3);
        }
        if next.starts_with(b"\n") {
            return Some(nl + 2);
        }
        from = nl + 1;
    }
    None
}

/// Lines of a block (without their `\r\n` / `\n`).
pub fn lines(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    block
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// A chunk-size line: hex digits, optional `;ext`. `None` when invalid or over 2^48.
pub fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let (rest, hex) =
        take_while1::<_, _, nom::error::Error<&[u8]>>(|c: u8| c.is_ascii_hexdigit())(line).ok()?;
    let rest = trim(rest);
    if !(rest.is_empty() || rest.starts_with(b";")) || hex.len() > 12 {
        return None;
    }
    let mut v = 0u64;
    for &c in hex {
        let d = (c as char).to_digit(16)? as u64;
        v = v.checked_mul(16)?.checked_add(d)?;
    }
    Some(v)
}

/// A decimal Content-Length (at most 15 digits).
pub fn parse_content_length(v: &[u8]) -> Option<u64> {
    let (rest, d) = digit1::<_, nom::error::Error<&[u8]>>(v).ok()?;
    if !rest.is_empty() || d.len() > 15 {
        return None;
    }
    d.iter().try_fold(0u64, |a, &c| {
        a.checked_mul(10)?.checked_add((c - b'0') as u64)
    })
}

/// Standard base64 (padding optional, whitespace not allowed); at most `max` output bytes.
pub fn decode_base64(s: &[u8], max: usize) -> Option<Vec<u8>> {
    let s = match s.iter().position(|&c| c == b'=') {
        Some(p) if s.get(p..)?.iter().all(|&c| c == b'=') && s.len() - p <= 2 => s.get(..p)?,
        Some(_) => return None,
        None => s,
    };
    if s.len() % 4 == 1 || s.len() / 4 * 3 > max {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    for ch in s.chunks(4) {
        let mut acc = 0u32;
        for (k, &c) in ch.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * k as u32);
        }
        let bytes = acc.to_be_bytes();
        let n = ch.len() - 1;
        out.extend_from_slice(bytes.get(1..1 + n)?);
    }
    Some(out)
}

/// What an `Authorization` header carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization<'a> {
    /// Decoded `user:password` (split at the first colon; the password may hold colons).
    Basic {
        user: Vec<u8>,
        pass: Vec<u8>,
    },
    /// A Basic header whose credentials do not decode.
    BadBasic,
    Digest {
        username: Option<&'a [u8]>,
    },
    Bearer,
    Ntlm,
    Negotiate,
    Other(&'a [u8]),
}

/// Parse an `Authorization` header value.
pub fn parse_authorization(v: &[u8]) -> Authorization<'_> {
    let v = trim(v);
    let (scheme, rest) = match v.iter().position(|&c| c == b' ' || c == b'\t') {
        Some(p) => (v.get(..p).unwrap_or(&[]), trim(v.get(p..).unwrap_or(&[]))),
        None => (v, &[][..]),
    };
    if scheme.eq_ignore_ascii_case(b"basic") {
        match decode_base64(rest, 1024) {
            Some(d) => {
                let (user, pass) = match d.iter().position(|&c| c == b':') {
                    Some(p) => (
                        d.get(..p).unwrap_or(&[]).to_vec(),
                        d.get(p + 1..).unwrap_or(&[]).to_vec(),
                    ),
                    None => (d, Vec::new()),
                };
                Authorization::Basic { user, pass }
            }
            None => Authorization::BadBasic,
        }
    } else if scheme.eq_ignore_ascii_case(b"digest") {
        Authorization::Digest {
            username: auth_param(rest, b"username"),
        }
    } else if scheme.eq_ignore_ascii_case(b"bearer") {
        Authorization::Bearer
    } else if scheme.eq_ignore_ascii_case(b"ntlm") {
        Authorization::Ntlm
    } else if scheme.eq_ignore_ascii_case(b"negotiate") {
        Authorization::Negotiate
    } else {
        Authorization::Other(scheme)
    }
}

/// The first word of an auth header value (`Basic realm="x"` → `Basic`).
pub fn auth_scheme(v: &[u8]) -> &[u8] {
    let v = trim(v);
    let end = v
        .iter()
        .position(|&c| c == b' ' || c == b'\t' || c == b',')
        .unwrap_or(v.len());
    v.get(..end).unwrap_or(&[])
}

/// A parameter of an auth header (`name=value` or `name="value"`), value without quotes.
pub fn auth_param<'a>(params: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut i = params;
    loop {
        i = skip_ws_commas(i);
        if i.is_empty() {
            return None;
        }
        let (r, key) = take_while1::<_, _, nom::error::Error<&[u8]>>(is_tchar)(i).ok()?;
        let r = skip_ws(r);
        let Some(r) = r.strip_prefix(b"=") else {
            // A bare token (e.g. the scheme of a following challenge): skip it.
            i = r;
            continue;
        };
        let r = skip_ws(r);
        let (r, val) = if let Some(q) = r.strip_prefix(b"\"") {
            let mut end = None;
            let mut esc = false;
            for (k, &c) in q.iter().enumerate() {
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    end = Some(k);
                    break;
                }
            }
            let e = end.unwrap_or(q.len());
            (q.get(e + 1..).unwrap_or(&[]), q.get(..e).unwrap_or(&[]))
        } else {
            let e = r
                .iter()
                .position(|&c| c == b',' || c == b' ' || c == b'\t')
                .unwrap_or(r.len());
            (r.get(e..).unwrap_or(&[]), r.get(..e).unwrap_or(&[]))
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(val);
        }
        i = r;
    }
}

fn skip_ws(i: &[u8]) -> &[u8] {
    let p = i
        .iter()
        .position(|&c| c != b' ' && c != b'\t')
        .unwrap_or(i.len());
    i.get(p..).unwrap_or(&[])
}

fn skip_ws_commas(i: &[u8]) -> &[u8] {
    let p = i
        .iter()
        .position(|&c| c != b' ' && c != b'\t' && c != b',')
        .unwrap_or(i.len());
    i.get(p..).unwrap_or(&[])
}

/// Does the value contain `needle` (ASCII case-insensitive)?
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Percent-decode a form field (`+` is a space); output bounded to `max` bytes.
pub fn url_decode(s: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len().min(max));
    let mut k = 0;
    while k < s.len() && out.len() < max {
        let c = s.get(k).copied().unwrap_or(0);
        match c {
            b'+' => {
                out.push(b' ');
                k += 1;
            }
            b'%' => {
                let hex = |x: Option<&u8>| x.and_then(|&c| (c as char).to_digit(16));
                match (hex(s.get(k + 1)), hex(s.get(k + 2))) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        k += 3;
                    }
                    _ => {
                        out.push(b'%');
                        k += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                k += 1;
            }
        }
    }
    out
}

/// Credentials found in an `application/x-www-form-urlencoded` body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormLogin {
    pub user: Option<Vec<u8>>,
    pub pass: Vec<u8>,
}

fn is_pass_field(name: &[u8]) -> bool {
    contains_ci(name, b"pass") || contains_ci(name, b"pwd")
}

fn is_user_field(name: &[u8]) -> bool {
    [&b"user"[..], b"login", b"name", b"uid", b"account"]
        .iter()
        .any(|n| contains_ci(name, n))
}

/// A login in a form body: a field named like pass/pwd/password, and a user-ish field.
pub fn parse_form_login(body: &[u8]) -> Option<FormLogin> {
    let mut user = None;
    let mut pass = None;
    for field in body.split(|&c| c == b'&').take(64) {
        let (name, value) = match field.iter().position(|&c| c == b'=') {
            Some(p) => (
                field.get(..p).unwrap_or(&[]),
                field.get(p + 1..).unwrap_or(&[]),
            ),
            None => (field, &[][..]),
        };
        let name = url_decode(name, 64);
        if pass.is_none() && is_pass_field(&name) {
            pass = Some(url_decode(value, 256));
        } else if user.is_none() && is_user_field(&name) {
            user = Some(url_decode(value, 256));
        }
    }
    pass.map(|pass| FormLogin { user, pass })
}

/// Streaming scanner over the first bytes of an HTML body: the first `<title>` text and
/// whether an `<input type=password>` appears. State is bounded (a tag and a title buffer).
#[derive(Debug, Default, Clone)]
pub struct HtmlScan {
    in_tag: bool,
    in_title: bool,
    tag: Vec<u8>,
    title: Vec<u8>,
    /// The completed title (set once).
    pub title_done: Option<Vec<u8>>,
    pub password_input: bool,
    pub scanned: usize,
}

/// Bytes of a body scanned for a title or a login form.
pub const HTML_SCAN_MAX: usize = 8192;
const TAG_MAX: usize = 512;
const TITLE_MAX: usize = 256;

impl HtmlScan {
    pub fn done(&self) -> bool {
        self.scanned >= HTML_SCAN_MAX
    }

    /// Scan more body bytes (only the first [`HTML_SCAN_MAX`] count).
    pub fn feed(&mut self, data: &[u8]) {
        let room = HTML_SCAN_MAX.saturating_sub(self.scanned);
        let data = data.get(..data.len().min(room)).unwrap_or(&[]);
        self.scanned += data.len();
        for &c in data {
            if self.in_tag {
                if c == b'>' {
                    self.in_tag = false;
                    self.end_tag();
                } else if self.tag.len() < TAG_MAX {
                    self.tag.push(c);
                }
            } else if c == b'<' {
                self.in_tag = true;
                self.tag.clear();
                if self.in_title {
                    self.in_title = false;
                    self.title_done = Some(std::mem::take(&mut self.title));
                }
            } else if self.in_title && self.title.len() < TITLE_MAX {
                self.title.push(c);
            }
        }
    }

    fn end_tag(&mut self) {
        let t = &self.tag;
        let name_end = t
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'/')
            .unwrap_or(t.len());
        let name = t.get(..name_end).unwrap_or(&[]);
        if name.eq_ignore_ascii_case(b"title") && self.title_done.is_none() {
            self.in_title = true;
            self.title.clear();
        } else if name.eq_ignore_ascii_case(b"input") {
            let attrs: Vec<u8> = t
                .iter()
                .filter(|c| !c.is_ascii_whitespace() && **c != b'"' && **c != b'\'')
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if contains_ci(&attrs, b"type=password") {
                self.password_input = true;
            }
        }
    }
}
