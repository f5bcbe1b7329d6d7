//! FTP control channel (`ftp`; port 21, or any port when the banner says FTP).
//!
//! Server replies (multi-line `NNN-` … `NNN `) and client commands, paired in order (bounded
//! queue). Parsing stops for good once `AUTH TLS` (or SSL) is accepted: the channel is then
//! encrypted.
//!
//! Authentications: `ftp-user-pass` (USER + PASS; user, password, cleartext) or
//! `ftp-anonymous` (USER anonymous / ftp), outcome from the reply to PASS (or ACCT, or USER
//! when no password is asked): 2xx success, 4xx/5xx failure, none seen: attempt.
//!
//! Operations (detail `ftp_<verb>`): RETR/SIZE/MDTM → `read`; STOR/STOU/APPE/DELE/RNFR/RNTO/
//! MKD/RMD/SITE → `write`; LIST/NLST/MLSD/CWD/PWD → `browse`; USER/PASS/ACCT → `login`;
//! SYST/FEAT/HELP → `identify`; others → `other`.
//!
//! Data channels announced by a 227 (PASV) or 229 (EPSV) reply, or a PORT / EPRT command, are
//! announced to the engine as `ftp-data` expectations (for PORT/EPRT the server of the data
//! connection is the client's announced address).
//!
//! Facts:
//! * `ftp.banner` (server): the text of the first 220 reply (also claimed, confidence 70).
//! * `ftp.syst` (server): the text of the 215 reply to SYST.
//! * `ftp.tls` (server): `true` when AUTH TLS/SSL was accepted.
//!
//! Anomalies: `ftp_line_too_long`, `ftp_bad_reply`, `ftp_bad_command`, `ftp_bad_pasv`,
//! `ftp_bad_port`.

pub mod codes;
pub mod parser;
#[cfg(test)]
mod tests;

use crate::dissect::{Cx, Dir, Expectation, Parsed, Party, Probe, StreamDissector, StreamSpec};
use crate::evidence::Ev;
use crate::inventory::observation::{AuthEvent, Outcome, Transport};
use std::collections::VecDeque;

pub const PORTS: &[u16] = &[21];

/// Longest control line kept (RFC 959 suggests 512).
const MAX_LINE: usize = 2048;
/// Commands awaiting a reply.
const MAX_CMDS: usize = 16;
/// Banner text kept.
const MAX_BANNER: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    User,
    Pass,
    Acct,
    AuthTls,
    Syst,
    Pasv,
    Epsv,
    Other,
}

#[derive(Debug)]
struct Cred {
    mechanism: &'static str,
    user: Option<String>,
    secret: Option<String>,
    ev: Ev,
}

pub struct Ftp {
    /// Skip to the end of the current line (after an overlong line or a gap), per direction.
    skip_line: [bool; 2],
    /// Code of the multi-line reply in progress.
    multi: Option<u16>,
    banner: Option<String>,
    banner_done: bool,
    cmds: VecDeque<Cmd>,
    user: Option<String>,
    anonymous: bool,
    cred: Option<Cred>,
    /// AUTH TLS accepted: nothing more is readable.
    tls: bool,
}

impl Default for Ftp {
    fn default() -> Self {
        Self::new()
    }
}

fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

/// Bytes as report text (UTF-8 kept, else hex), bounded.
fn text(b: &[u8]) -> String {
    crate::dissect::http::state::text(b)
}

impl Ftp {
    pub fn new() -> Ftp {
        Ftp {
            skip_line: [false; 2],
            multi: None,
            banner: None,
            banner_done: false,
            cmds: VecDeque::new(),
            user: None,
            anonymous: false,
            cred: None,
            tls: false,
        }
    }

    fn emit(&mut self, outcome: Outcome, cx: &mut Cx<'_>) {
        let Some(c) = self.cred.take() else { return };
        let now = cx.ev;
        cx.ev = c.ev;
        cx.auth(AuthEvent {
            mechanism: c.mechanism,
            outcome,
            user: c.user,
            secret: c.secret,
            cleartext: true,
        });
        cx.ev = now;
    }

    /// A password sent without a reply seen is an attempt.
    fn emit_unanswered(&mut self, cx: &mut Cx<'_>) {
        if self.cred.as_ref().is_some_and(|c| c.secret.is_some()) {
            self.emit(Outcome::Attempt, cx);
        }
        self.cred = None;
    }

    fn mechanism(&self) -> &'static str {
        if self.anonymous {
            "ftp-anonymous"
        } else {
            "ftp-user-pass"
        }
    }

    fn command(&mut self, line: &[u8], cx: &mut Cx<'_>) {
        // Telnet IP/Synch sequences may precede ABOR (RFC 959 4.1.3).
        let mut line = line;
        while let [0xff, _, rest @ ..] = line {
            line = rest;
        }
        if line.is_empty() {
            return;
        }
        let Ok((_, (verb, arg))) = parser::parse_command(line) else {
            cx.anomaly("ftp_bad_command");
            return;
        };
        let key = codes::verb_key(verb);
        let (op, detail) = codes::verb_op(&key);
        cx.op(op, Some(detail));
        let cmd = match &key {
            b"USER" => {
                let u = text(arg);
                self.anonymous =
                    u.eq_ignore_ascii_case("anonymous") || u.eq_ignore_ascii_case("ftp");
                // A new USER starts a new login: an unanswered one stays an attempt.
                self.emit_unanswered(cx);
                self.cred = Some(Cred {
                    mechanism: self.mechanism(),
                    user: Some(u.clone()),
                    secret: None,
                    ev: cx.ev,
                });
                self.user = Some(u);
                Cmd::User
            }
            b"PASS" => {
                let c = Cred {
                    mechanism: self.mechanism(),
                    user: self.user.clone(),
                    secret: Some(text(arg)),
                    ev: cx.ev,
                };
                self.cred = Some(c);
                Cmd::Pass
            }
            b"ACCT" => Cmd::Acct,
            b"AUTH" => {
                let a = parser_trim(arg);
                if a.eq_ignore_ascii_case(b"TLS")
                    || a.eq_ignore_ascii_case(b"SSL")
                    || a.eq_ignore_ascii_case(b"TLS-C")
                    || a.eq_ignore_ascii_case(b"TLS-P")
                {
                    Cmd::AuthTls
                } else {
                    Cmd::Other
                }
            }
            b"SYST" => Cmd::Syst,
            b"PASV" => Cmd::Pasv,
            b"EPSV" => Cmd::Epsv,
            b"PORT" => {
                match parser::parse_port_arg(parser_trim(arg)) {
                    Some((ip, port)) => self.expect(std::net::IpAddr::V4(ip), port, cx),
                    None => cx.anomaly("ftp_bad_port"),
                }
                Cmd::Other
            }
            b"EPRT" => {
                match parser::parse_eprt_arg(parser_trim(arg)) {
                    Some((ip, port)) => self.expect(ip, port, cx),
                    None => cx.anomaly("ftp_bad_port"),
                }
                Cmd::Other
            }
            _ => Cmd::Other,
        };
        if self.cmds.len() >= MAX_CMDS {
            self.cmds.pop_front();
        }
        self.cmds.push_back(cmd);
    }

    fn expect(&mut self, server: std::net::IpAddr, port: u16, cx: &mut Cx<'_>) {
        if port == 0 {
            return;
        }
        cx.expect(Expectation {
            server,
            port,
            transport: Transport::Tcp,
            proto: "ftp-data",
        });
    }

    fn reply_line(&mut self, line: &[u8], cx: &mut Cx<'_>) {
        if let Some(code) = self.multi {
            // Inside a multi-line reply: only `NNN ` with the same code ends it.
            let (end, body) = match parser::parse_reply_line(line) {
                Ok((_, r)) if r.code == code => (r.sep != b'-', r.text),
                _ => (false, line),
            };
            if !end {
                if code == 220 && !self.banner_done {
                    self.banner_add(body);
                }
                return;
            }
            self.multi = None;
        }
        let r = match parser::parse_reply_line(line) {
            Ok((_, r)) => r,
            Err(_) => {
                if !line.is_empty() {
                    cx.anomaly("ftp_bad_reply");
                }
                return;
            }
        };
        let first_of_banner = !self.banner_done && r.code == 220 && self.cmds.is_empty();
        if first_of_banner {
            self.banner_add(r.text);
        }
        if r.sep == b'-' {
            self.multi = Some(r.code);
            if !first_of_banner {
                self.banner_done = true;
            }
            return;
        }
        if first_of_banner || !self.banner_done {
            self.banner_done = true;
            if let Some(b) = self.banner.take() {
                if !b.is_empty() {
                    cx.fact(Party::Server, "ftp.banner", b.clone());
                    cx.claim(Party::Server, "ftp.banner", &b, "ftp.banner", 70);
                }
            }
            if first_of_banner {
                return;
            }
        }
        if (100..200).contains(&r.code) {
            return;
        }
        let Some(cmd) = self.cmds.pop_front() else {
            return;
        };
        let ok = (200..300).contains(&r.code);
        let fail = r.code >= 400;
        match cmd {
            Cmd::User => {
                if ok {
                    // Logged in without a password.
                    self.emit(Outcome::Success, cx);
                } else if fail {
                    self.emit(Outcome::Failure, cx);
                }
            }
            Cmd::Pass | Cmd::Acct => {
                if ok {
                    self.emit(Outcome::Success, cx);
                } else if fail {
                    self.emit(Outcome::Failure, cx);
                }
            }
            Cmd::AuthTls => {
                if ok {
                    self.tls = true;
                    cx.fact(Party::Server, "ftp.tls", "true");
                }
            }
            Cmd::Syst => {
                if ok {
                    let t = text(parser_trim(r.text));
                    if !t.is_empty() {
                        cx.fact(Party::Server, "ftp.syst", t);
                    }
                }
            }
            Cmd::Pasv => {
                if r.code == 227 {
                    match parser::parse_pasv_reply(r.text) {
                        Some((ip, port)) => {
                            let ip = std::net::IpAddr::V4(ip);
                            self.expect(ip, port, cx);
                            // Behind NAT the announced address is not the one seen.
                            if ip != cx.server {
                                let s = cx.server;
                                self.expect(s, port, cx);
                            }
                        }
                        None => cx.anomaly("ftp_bad_pasv"),
                    }
                }
            }
            Cmd::Epsv => {
                if r.code == 229 {
                    match parser::parse_epsv_reply(r.text) {
                        Some(port) => {
                            let s = cx.server;
                            self.expect(s, port, cx);
                        }
                        None => cx.anomaly("ftp_bad_pasv"),
                    }
                }
            }
            Cmd::Other => {}
        }
    }

    fn banner_add(&mut self, t: &[u8]) {
        let t = text(parser_trim(t));
        let b = self.banner.get_or_insert_with(String::new);
        if t.is_empty() || b.len() >= MAX_BANNER {
            return;
        }
        if !b.is_empty() {
            b.push_str(" | ");
        }
        b.push_str(&t);
        if b.len() > MAX_BANNER {
            let mut e = MAX_BANNER;
            while !b.is_char_boundary(e) {
                e -= 1;
            }
            b.truncate(e);
        }
    }
}

fn parser_trim(b: &[u8]) -> &[u8] {
    crate::dissect::http::parser::trim(b)
}

impl StreamDissector for Ftp {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let d = di(dir);
        let mut off = 0usize;
        while off < data.len() {
            if self.tls {
                return Parsed::Consumed(data.len());
            }
            let rest = data.get(off..).unwrap_or(&[]);
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                if rest.len() > MAX_LINE || self.skip_line[d] {
                    if !self.skip_line[d] {
                        cx.anomaly("ftp_line_too_long");
                    }
                    self.skip_line[d] = true;
                    return Parsed::Consumed(data.len());
                }
                return Parsed::NeedMore {
                    consumed: off,
                    needed: rest.len() + 1,
                };
            };
            off += nl + 1;
            if std::mem::take(&mut self.skip_line[d]) {
                continue;
            }
            let line = rest.get(..nl).unwrap_or(&[]);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > MAX_LINE {
                cx.anomaly("ftp_line_too_long");
                continue;
            }
            match dir {
                Dir::ToServer => self.command(line, cx),
                Dir::ToClient => self.reply_line(line, cx),
            }
        }
        Parsed::Consumed(off)
    }

    fn gap(&mut self, dir: Dir, _len: u32, cx: &mut Cx<'_>) {
        self.skip_line[di(dir)] = true;
        // Replies can no longer be paired with commands.
        self.cmds.clear();
        self.multi = None;
        self.emit_unanswered(cx);
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        self.emit_unanswered(cx);
    }
}

/// A `220` greeting from the server (on port 21, or anywhere when it names FTP), or an FTP
/// command from the client on port 21.
pub fn probe(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    let line_end = memchr::memchr(b'\n', data);
    match dir {
        Dir::ToClient => {
            if data.len() < 4 {
                return if data.iter().take(3).all(|c| c.is_ascii_digit()) {
                    Probe::NeedMore
                } else {
                    Probe::NoMatch
                };
            }
            let Ok((_, r)) = parser::parse_reply_line(data.get(..4).unwrap_or(&[])) else {
                return Probe::NoMatch;
            };
            if r.sep == 0 || !(100..600).contains(&r.code) {
                return Probe::NoMatch;
            }
            if port_match {
                return if r.code == 220 || line_end.is_some() {
                    Probe::Match
                } else {
                    Probe::NeedMore
                };
            }
            if r.code != 220 {
                return Probe::NoMatch;
            }
            let Some(e) = line_end else {
                return if data.len() < 512 {
                    Probe::NeedMore
                } else {
                    Probe::NoMatch
                };
            };
            let line = data.get(..e).unwrap_or(&[]);
            let h = crate::dissect::http::parser::contains_ci;
            if h(line, b"ftp") && !h(line, b"smtp") && !h(line, b"esmtp") {
                Probe::Match
            } else {
                Probe::NoMatch
            }
        }
        Dir::ToServer => {
            if !port_match {
                return Probe::NoMatch;
            }
            let Some(e) = line_end else {
                return if data.len() < 64 {
                    Probe::NeedMore
                } else {
                    Probe::NoMatch
                };
            };
            let line = data.get(..e).unwrap_or(&[]);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match parser::parse_command(line) {
                Ok((_, (verb, _))) if codes::is_known(&codes::verb_key(verb)) => Probe::Match,
                _ => Probe::NoMatch,
            }
        }
    }
}

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(Ftp::new())
}

pub const SPEC: StreamSpec = StreamSpec {
    proto: "ftp",
    ports: PORTS,
    probe,
    new,
};
