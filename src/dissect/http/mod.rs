//! HTTP/1.x (`http`; ports 80, 8080, 8000, 8081, 8888 as a hint, found by content anywhere).
//!
//! Request and status lines, the header fields that matter for exposure and authentication,
//! request/response pairing (pipelining, bounded queue), bodies skipped by `Content-Length`,
//! chunked encoding (chunk sizes parsed, bounded) or connection end. Header blocks are capped
//! at 16 KB. Protocol upgrades (101) and CONNECT tunnels end the parsing of the flow.
//!
//! Operations: GET/HEAD/REPORT → `read`; POST/PUT/DELETE/PATCH (and WebDAV writes) → `write`;
//! the method name is the detail. A form login adds `login` (`http_form_login`).
//!
//! Authentications (outcome from the paired response: 401/403 → failure, otherwise success;
//! no response seen → attempt):
//! * `http-basic` (user and password decoded, split at the first colon; cleartext),
//! * `http-digest` (user name), `http-bearer`, `http-ntlm`, `http-negotiate`, `http-other`
//!   (scheme only; not cleartext),
//! * `http-form`: a POST with an `application/x-www-form-urlencoded` body holding a field named
//!   like pass/pwd/password (user from a user/login/name field; cleartext; failure on
//!   401/403, otherwise attempt),
//! * a 401 offering a scheme: that mechanism with outcome `offered`.
//!
//! Facts:
//! * `http.host` (server): a `Host` header value.
//! * `http.user_agent` (client): a `User-Agent` header value.
//! * `http.server` (server): a `Server` header value (also claimed, confidence 60).
//! * `http.www_authenticate` (server): a `WWW-Authenticate` header value.
//! * `http.realm` (server): the realm of a 401 challenge.
//! * `http.title` (server): the first `<title>` in the first 8 KB of an HTML body (also claimed,
//!   confidence 50).
//! * `http.login_form` (server): path of a page holding an `<input type=password>`.
//!
//! Anomalies: `http_malformed_request_line`, `http_malformed_status_line`,
//! `http_malformed_header`, `http_missing_version`, `http_header_too_large`,
//! `http_bad_content_length`, `http_bad_chunk`, `http_bad_basic_auth`, `http_garbage`.

pub mod parser;
pub mod state;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

use crate::dissect::{Dir, Probe, StreamDissector, StreamSpec};
pub use state::Http;

pub const PORTS: &[u16] = &[80, 8080, 8000, 8081, 8888];

/// A request line (`METHOD SP target SP HTTP/1.x`) from the client, or a status line
/// (`HTTP/1.x NNN`) from the server. Strict enough to work on any port.
pub fn probe(dir: Dir, data: &[u8], _port_match: bool) -> Probe {
    match dir {
        Dir::ToServer => {
            let mut maybe = false;
            for m in parser::METHODS {
                let n = m.len();
                let head = data.get(..n.min(data.len())).unwrap_or(&[]);
                if !m.starts_with(head) {
                    continue;
                }
                if data.len() <= n {
                    maybe = true;
                    continue;
                }
                if data.get(n) != Some(&b' ') {
                    continue;
                }
                // The whole line must be there to decide (bounded by the probe buffer).
                let line_end = memchr::memchr(b'\n', data);
                let line = match line_end {
                    Some(e) => data.get(..e).unwrap_or(&[]),
                    None if data.len() < 1024 => {
                        maybe = true;
                        continue;
                    }
                    None => return Probe::NoMatch,
                };
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                return match parser::parse_request_line(line) {
                    Ok((rest, rl)) if rest.is_empty() && rl.version.is_some_and(|v| v.0 == 1) => {
                        Probe::Match
                    }
                    _ => Probe::NoMatch,
                };
            }
            if maybe {
                Probe::NeedMore
            } else {
                Probe::NoMatch
            }
        }
        Dir::ToClient => {
            const P: &[u8] = b"HTTP/1.";
            if data.len() < 12 {
                let k = data.len().min(P.len());
                return if data.get(..k) == P.get(..k) {
                    Probe::NeedMore
                } else {
                    Probe::NoMatch
                };
            }
            let line = data.get(..data.len().min(64)).unwrap_or(&[]);
            let line = match memchr::memchr(b'\n', line) {
                Some(e) => line.get(..e).unwrap_or(&[]),
                None => line,
            };
            match parser::parse_status_line(line) {
                Ok((_, sl)) if sl.version.0 == 1 && (100..600).contains(&sl.code) => Probe::Match,
                _ => Probe::NoMatch,
            }
        }
    }
}

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(Http::new())
}

pub const SPEC: StreamSpec = StreamSpec {
    proto: "http",
    ports: PORTS,
    probe,
    new,
};
