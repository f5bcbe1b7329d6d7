//! VNC / RFB (RFC 6143; TCP 5900-5910, found anywhere by its `RFB xxx.yyy\n` greeting).
//!
//! The handshake is followed in both directions: ProtocolVersion, security types (3.3: decided
//! by the server; 3.7+: offered list and the client's choice), VNC Authentication challenge and
//! response, Apple Remote Desktop (type 30) key exchange, SecurityResult (with the 3.8 failure
//! reason), ClientInit and ServerInit. After ServerInit (or a security type whose exchange is
//! not followed: TLS, VeNCrypt, Tight, ...) the rest of the session is skipped cheaply.
//! RFB has no headers to resynchronise on: after a gap the direction is skipped.
//!
//! Authentication events (on the server, `user` None, `secret` None, `cleartext` false):
//! * `vnc-password` (type 2, DES challenge/response), `vnc-none` (type 1: no authentication at
//!   all), `vnc-other` (any other type; fact `vnc.security_type_selected` names it);
//! * `Offered` when the server offers type 1 or 2; `Success`/`Failure` from SecurityResult
//!   (for None without a SecurityResult (3.3/3.7): `Success` when ServerInit arrives);
//!   `Attempt` at the end when a type was chosen and no result was seen.
//!
//! Facts:
//! * `vnc.version` (server and client): `003.008`;
//! * `vnc.security_types` (server): one per offered type, `VNC Authentication (2)`;
//! * `vnc.security_type_selected` (server): the type in use, same format;
//! * `vnc.failure_reason` (server): reason text of a failed handshake or SecurityResult;
//! * `vnc.shared` (client): ClientInit shared flag, `true`/`false`;
//! * `vnc.framebuffer` (server): `1024x768`; `vnc.pixel_format` (server): `32bpp depth 24`;
//! * `vnc.desktop_name` (server): ServerInit name (also a claim, source `vnc.server_init`,
//!   confidence 50); for Apple's binary name field, the text after its last NUL.
//!
//! Operations: `login` (detail `vnc_session`) once per session, when the client commits to a
//! security type.
//!
//! Anomalies: `vnc_bad_version`, `vnc_type_not_offered`, `vnc_string_too_long`,
//! `vnc_bad_server_init`.

pub mod codes;
pub mod parser;
pub mod state;
#[cfg(test)]
mod tests;

use crate::dissect::{Cx, Dir, Parsed, Party, Probe, StreamDissector, text};
use crate::inventory::observation::{AuthEvent, Op, Outcome};
use state::{Cli, Srv, State};

pub const PORTS: &[u16] = &[
    5900, 5901, 5902, 5903, 5904, 5905, 5906, 5907, 5908, 5909, 5910,
];

/// The ProtocolVersion greeting, in either direction (strong enough without the port).
pub fn probe(_dir: Dir, data: &[u8], _port_match: bool) -> Probe {
    if !parser::version_prefix_ok(data) {
        Probe::NoMatch
    } else if data.len() < parser::VERSION_LEN {
        Probe::NeedMore
    } else {
        Probe::Match
    }
}

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(Vnc::default())
}

#[derive(Debug, Default)]
pub struct Vnc {
    pub(crate) st: State,
}

/// Bytes `off..off+n` of `d`, or the `NeedMore` to return.
fn need(d: &[u8], off: usize, n: usize) -> Result<&[u8], Parsed> {
    match off.checked_add(n).and_then(|end| d.get(off..end)) {
        Some(s) => Ok(s),
        None => Err(Parsed::NeedMore {
            consumed: off,
            needed: n,
        }),
    }
}

/// Wait for the other direction (more bytes of this one arrive only after it has spoken).
fn wait_other(d: &[u8], off: usize) -> Parsed {
    Parsed::NeedMore {
        consumed: off,
        needed: d.len().saturating_sub(off).saturating_add(1),
    }
}

/// Desktop name as text. Apple's servers (3.889) put a binary structure before the name: when
/// the field is not clean text, the printable run after its last NUL is the name.
fn desktop_name(raw: &[u8]) -> String {
    let printable = |b: &[u8]| b.iter().all(|&c| c >= 0x20 && c != 0x7f);
    let s = text::device_string(raw);
    if !s.starts_with("hex:") && printable(s.as_bytes()) {
        return s;
    }
    match raw.rsplit(|&b| b == 0).next() {
        Some(tail) if tail.len() >= 3 && printable(tail) => text::device_string(tail),
        _ => s,
    }
}

fn version_text((major, minor): (u16, u16)) -> String {
    format!("{major:03}.{minor:03}")
}

impl Vnc {
    fn report_outcome(&mut self, outcome: Outcome, cx: &mut Cx<'_>) {
        let Some(t) = self.st.chosen else { return };
        if self.st.auth_reported {
            return;
        }
        self.st.auth_reported = true;
        cx.auth(AuthEvent {
            mechanism: codes::mechanism(t),
            outcome,
            user: None,
            secret: None,
            cleartext: false,
        });
    }

    fn offered(&mut self, t: u32, cx: &mut Cx<'_>) {
        if let Ok(b) = u8::try_from(t) {
            self.st.offer(b);
        }
        cx.fact(
            Party::Server,
            "vnc.security_types",
            codes::security_type_label(t),
        );
        if t == 1 || t == 2 {
            cx.auth(AuthEvent {
                mechanism: codes::mechanism(t),
                outcome: Outcome::Offered,
                user: None,
                secret: None,
                cleartext: false,
            });
        }
    }

    fn choose(&mut self, t: u32, cx: &mut Cx<'_>) {
        self.st.chosen = Some(t);
        cx.fact(
            Party::Server,
            "vnc.security_type_selected",
            codes::security_type_label(t),
        );
        if !self.st.login_counted {
            self.st.login_counted = true;
            cx.op(Op::Login, Some("vnc_session"));
        }
    }

    fn server(&mut self, d: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let mut off = 0usize;
        loop {
            let step = match self.st.srv {
                Srv::Done => return Parsed::Consumed(d.len()),
                Srv::Version => {
                    let b = match need(d, off, parser::VERSION_LEN) {
                        Ok(b) => b,
                        Err(p) => return p,
                    };
                    match parser::version(b) {
                        Ok((_, v)) => {
                            self.st.server_version = Some(v);
                            cx.fact(Party::Server, "vnc.version", version_text(v));
                            self.st.srv = Srv::SecurityTypes;
                        }
                        Err(_) => {
                            cx.anomaly("vnc_bad_version");
                            self.st.srv = Srv::Done;
                        }
                    }
                    parser::VERSION_LEN
                }
                Srv::SecurityTypes if self.st.minor() == 3 => {
                    let b = match need(d, off, 4) {
                        Ok(b) => b,
                        Err(p) => return p,
                    };
                    let t = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                    if t == 0 {
                        self.st.srv = Srv::Reason;
                    } else {
                        self.offered(t, cx);
                        self.choose(t, cx);
                        self.st.srv = self.after_choice(t);
                    }
                    4
                }
                Srv::SecurityTypes => {
                    let n = match need(d, off, 1) {
                        Ok(b) => usize::from(b[0]),
                        Err(p) => return p,
                    };
                    let b = match need(d, off, 1 + n) {
                        Ok(b) => b,
                        Err(p) => return p,
                    };
                    let types = match parser::security_types(b) {
                        Ok((_, t)) => t,
                        Err(_) => &[][..],
                    };
                    if types.is_empty() {
                        self.st.srv = Srv::Reason;
                    } else {
                        for &t in types {
                            self.offered(u32::from(t), cx);
                        }
                        if let [only] = types {
                            self.st.single_offer = Some(*only);
                        }
                        self.st.srv = Srv::AfterChoice;
                    }
                    1 + n
                }
                Srv::AfterChoice => {
                    let t = match self.st.chosen {
                        Some(t) => t,
                        None => match self.st.single_offer {
                            Some(t) => u32::from(t),
                            // The client side is gone (gap): nothing more to follow.
                            None if self.st.cli == Cli::Done => {
                                self.st.srv = Srv::Done;
                                continue;
                            }
                            None => return wait_other(d, off),
                        },
                    };
                    self.st.srv = self.after_choice(t);
                    0
                }
                Srv::Challenge => {
                    if let Err(p) = need(d, off, 16) {
                        return p;
                    }
                    self.st.srv = Srv::SecurityResult;
                    16
                }
                Srv::ArdChallenge => {
                    let b = d.get(off..).unwrap_or(&[]);
                    let Some((keylen, len)) = parser::ard_challenge_len(b) else {
                        return Parsed::NeedMore {
                            consumed: off,
                            needed: 4,
                        };
                    };
                    if let Err(p) = need(d, off, len) {
                        return p;
                    }
                    self.st.ard_keylen = Some(keylen);
                    self.st.srv = Srv::SecurityResult;
                    len
                }
                Srv::SecurityResult => {
                    let b = match need(d, off, 4) {
                        Ok(b) => b,
                        Err(p) => return p,
                    };
                    let r = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                    if r == 0 {
                        self.report_outcome(Outcome::Success, cx);
                        self.st.srv = Srv::ServerInit;
                    } else {
                        self.report_outcome(Outcome::Failure, cx);
                        // 3.8 sends a reason; 3.3/3.7 (and Apple's 3.889) close at once.
                        self.st.srv = if self.st.minor() >= 8 {
                            Srv::Reason
                        } else {
                            Srv::Done
                        };
                    }
                    4
                }
                Srv::Reason => {
                    let b = d.get(off..).unwrap_or(&[]);
                    let Some(n) = parser::reason_len(b) else {
                        return Parsed::NeedMore {
                            consumed: off,
                            needed: 4,
                        };
                    };
                    if n > parser::MAX_STRING {
                        cx.anomaly("vnc_string_too_long");
                        self.st.srv = Srv::Done;
                        continue;
                    }
                    let len = 4 + n as usize;
                    let b = match need(d, off, len) {
                        Ok(b) => b,
                        Err(p) => return p,
                    };
                    if let Ok((_, r)) = parser::reason(b) {
                        let r = text::device_string(r);
                        if !r.is_empty() {
                            cx.fact(Party::Server, "vnc.failure_reason", r);
                        }
                    }
                    self.st.srv = Srv::Done;
                    len
                }
                Srv::ServerInit => {
                    let b = match need(d, off, parser::SERVER_INIT_FIXED) {
                        Ok(b) => b,
                        Err(p) => return p,
                    };
                    let n = parser::server_init_len(b).unwrap_or(0);
                    if n > parser::MAX_STRING {
                        cx.anomaly("vnc_string_too_long");
                        self.st.srv = Srv::Done;
                        continue;
                    }
                    let len = parser::SERVER_INIT_FIXED + n as usize;
                    let b = match need(d, off, len) {
                        Ok(b) => b,
                        Err(p) => return p,
                    };
                    match parser::server_init(b) {
                        Ok((_, si)) => self.server_init(&si, cx),
                        Err(_) => cx.anomaly("vnc_bad_server_init"),
                    }
                    self.st.srv = Srv::Done;
                    len
                }
            };
            off = off.saturating_add(step).min(d.len());
            if off >= d.len() && self.st.srv != Srv::AfterChoice {
                return Parsed::Consumed(d.len());
            }
        }
    }

    /// What the server sends after the security type `t` is settled.
    fn after_choice(&self, t: u32) -> Srv {
        match t {
            2 => Srv::Challenge,
            30 => Srv::ArdChallenge,
            1 if self.st.minor() >= 8 => Srv::SecurityResult,
            1 => Srv::ServerInit,
            _ => Srv::Done,
        }
    }

    fn server_init(&mut self, si: &parser::ServerInit<'_>, cx: &mut Cx<'_>) {
        if self.st.chosen == Some(1) {
            // None in 3.3/3.7 has no SecurityResult: reaching ServerInit is the success.
            self.report_outcome(Outcome::Success, cx);
        }
        cx.fact(
            Party::Server,
            "vnc.framebuffer",
            format!("{}x{}", si.width, si.height),
        );
        cx.fact(
            Party::Server,
            "vnc.pixel_format",
            format!("{}bpp depth {}", si.pixel.bits_per_pixel, si.pixel.depth),
        );
        let name = desktop_name(si.name);
        if !name.is_empty() {
            cx.claim(
                Party::Server,
                "vnc.desktop_name",
                &name,
                "vnc.server_init",
                50,
            );
            cx.fact(Party::Server, "vnc.desktop_name", name);
        }
    }

    fn client(&mut self, d: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let mut off = 0usize;
        loop {
            let step = match self.st.cli {
                Cli::Done => return Parsed::Consumed(d.len()),
                Cli::Version => {
                    let b = match need(d, off, parser::VERSION_LEN) {
                        Ok(b) => b,
                        Err(p) => return p,
                    };
                    match parser::version(b) {
                        Ok((_, v)) => {
                            self.st.client_version = Some(v);
                            cx.fact(Party::Client, "vnc.version", version_text(v));
                            self.st.cli = if self.st.minor() >= 7 {
                                Cli::Choice
                            } else {
                                Cli::AfterChoice
                            };
                        }
                        Err(_) => {
                            cx.anomaly("vnc_bad_version");
                            self.st.cli = Cli::Done;
                        }
                    }
                    parser::VERSION_LEN
                }
                Cli::Choice => {
                    let b = match need(d, off, 1) {
                        Ok(b) => b[0],
                        Err(p) => return p,
                    };
                    if !self.st.was_offered(b) && self.st.offered != [0; 4] {
                        cx.anomaly("vnc_type_not_offered");
                    }
                    self.choose(u32::from(b), cx);
                    self.st.cli = Cli::AfterChoice;
                    1
                }
                Cli::AfterChoice => {
                    let Some(t) = self.st.chosen else {
                        if self.st.srv == Srv::Done {
                            self.st.cli = Cli::Done;
                            continue;
                        }
                        return wait_other(d, off);
                    };
                    self.st.cli = match t {
                        2 => Cli::Response,
                        30 => Cli::ArdResponse,
                        1 => Cli::ClientInit,
                        _ => Cli::Done,
                    };
                    0
                }
                Cli::Response => {
                    if let Err(p) = need(d, off, 16) {
                        return p;
                    }
                    self.st.cli = Cli::ClientInit;
                    16
                }
                Cli::ArdResponse => {
                    let Some(k) = self.st.ard_keylen else {
                        if self.st.srv == Srv::Done {
                            self.st.cli = Cli::Done;
                            continue;
                        }
                        return wait_other(d, off);
                    };
                    let len = parser::ard_response_len(k);
                    if let Err(p) = need(d, off, len) {
                        return p;
                    }
                    self.st.cli = Cli::ClientInit;
                    len
                }
                Cli::ClientInit => {
                    let b = match need(d, off, 1) {
                        Ok(b) => b[0],
                        Err(p) => return p,
                    };
                    cx.fact(
                        Party::Client,
                        "vnc.shared",
                        if b != 0 { "true" } else { "false" },
                    );
                    self.st.cli = Cli::Done;
                    1
                }
            };
            off = off.saturating_add(step).min(d.len());
            if off >= d.len() && self.st.cli != Cli::AfterChoice {
                return Parsed::Consumed(d.len());
            }
        }
    }
}

impl StreamDissector for Vnc {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        match dir {
            Dir::ToServer => self.client(data, cx),
            Dir::ToClient => self.server(data, cx),
        }
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        // No headers to resynchronise on: skip the rest of this direction.
        match dir {
            Dir::ToServer => self.st.cli = Cli::Done,
            Dir::ToClient => self.st.srv = Srv::Done,
        }
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        self.report_outcome(Outcome::Attempt, cx);
    }
}
