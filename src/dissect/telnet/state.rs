//! Per-flow telnet state: option negotiation stripped from both directions, then a
//! line-oriented login state machine over the server's output and the client's keystrokes.
//! Every buffer is bounded (a line, a user name, a password, a banner).

use super::codes::{self, DO, DONT, IAC, SB, SE, WILL, WONT};
use crate::dissect::{Cx, Dir, Parsed, Party, StreamDissector};
use crate::evidence::Ev;
use crate::inventory::observation::{AuthEvent, Op, Outcome};

/// Longest server line kept.
pub const MAX_LINE: usize = 512;
/// Longest user name / password kept.
const MAX_CRED: usize = 128;
/// Banner text kept.
const MAX_BANNER: usize = 512;
/// Login attempts followed per flow (a brute force does not need them all).
const MAX_ATTEMPTS: u16 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Neg {
    Data,
    Iac,
    /// After IAC WILL/WONT/DO/DONT: the option byte.
    Opt(u8),
    /// Inside a subnegotiation (bytes until IAC SE).
    Sb,
    SbIac,
}

/// IAC parser of one direction.
#[derive(Debug, Clone, Copy)]
struct Negotiation {
    st: Neg,
    /// Options (below 64) announced with WILL / requested with DO.
    will: u64,
    r#do: u64,
    /// `will` or `do` changed since the owner last looked (`take_changed`).
    changed: bool,
}

impl Negotiation {
    fn new() -> Self {
        Negotiation {
            st: Neg::Data,
            will: 0,
            r#do: 0,
            changed: false,
        }
    }

    /// Did an option change since the last call?
    #[inline]
    fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// Feed one byte; returns it when it is data (not negotiation).
    #[inline]
    fn byte(&mut self, c: u8) -> Option<u8> {
        match self.st {
            Neg::Data => {
                if c == IAC {
                    self.st = Neg::Iac;
                    None
                } else {
                    Some(c)
                }
            }
            Neg::Iac => match c {
                IAC => {
                    self.st = Neg::Data;
                    Some(IAC)
                }
                WILL..=DONT => {
                    self.st = Neg::Opt(c);
                    None
                }
                SB => {
                    self.st = Neg::Sb;
                    None
                }
                _ => {
                    // NOP, DM, BRK, IP, AO, AYT, EC, EL, GA, SE: one-byte commands.
                    self.st = Neg::Data;
                    None
                }
            },
            Neg::Opt(cmd) => {
                if c < 64 {
                    match cmd {
                        WILL => self.will |= 1 << c,
                        DO => self.r#do |= 1 << c,
                        WONT => self.will &= !(1 << c),
                        _ => self.r#do &= !(1 << c),
                    }
                    self.changed = true;
                }
                self.st = Neg::Data;
                None
            }
            Neg::Sb => {
                if c == IAC {
                    self.st = Neg::SbIac;
                }
                None
            }
            Neg::SbIac => {
                self.st = if c == SE { Neg::Data } else { Neg::Sb };
                None
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Login {
    /// Waiting for a prompt.
    Idle,
    /// Login prompt seen: the client types a user name.
    User,
    /// User name sent: waiting for the password prompt.
    AwaitPassPrompt,
    /// Password prompt seen: the client types the password (not echoed).
    Pass,
    /// Password sent: waiting for the server's verdict.
    AwaitOutcome,
    /// Logged in (or encrypted, or too many attempts): nothing more to read.
    Done,
}

pub struct Telnet {
    neg: [Negotiation; 2],
    login: Login,
    /// Current (incomplete) server line.
    line: Vec<u8>,
    banner: String,
    banner_sent: bool,
    offered_sent: bool,
    options_sent: bool,
    typed: Vec<u8>,
    /// The previous client byte was CR (a following LF or NUL is part of the same newline).
    cli_cr: bool,
    user: Option<String>,
    secret: Option<String>,
    cred_ev: Ev,
    attempts: u16,
    encrypted: bool,
}

impl Default for Telnet {
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

fn text(b: &[u8]) -> String {
    crate::dissect::http::state::text(b)
}

/// The line lower-cased, trailing blanks removed.
fn norm(line: &[u8]) -> String {
    let t = crate::dissect::http::parser::trim(line);
    String::from_utf8_lossy(t).to_ascii_lowercase()
}

fn ends_with_any(s: &str, list: &[&str]) -> bool {
    list.iter().any(|p| s.ends_with(p))
}

fn contains_any(s: &str, list: &[&str]) -> bool {
    list.iter().any(|p| s.contains(p))
}

impl Telnet {
    pub fn new() -> Telnet {
        Telnet {
            neg: [Negotiation::new(); 2],
            login: Login::Idle,
            line: Vec::new(),
            banner: String::new(),
            banner_sent: false,
            offered_sent: false,
            options_sent: false,
            typed: Vec::new(),
            cli_cr: false,
            user: None,
            secret: None,
            cred_ev: Ev::default(),
            attempts: 0,
            encrypted: false,
        }
    }

    fn emit(&mut self, outcome: Outcome, cx: &mut Cx<'_>) {
        let Some(secret) = self.secret.take() else {
            return;
        };
        let now = cx.ev;
        cx.ev = self.cred_ev;
        cx.auth(AuthEvent {
            mechanism: "telnet-login",
            outcome,
            user: self.user.clone(),
            secret: Some(secret),
            cleartext: !self.encrypted,
        });
        cx.ev = now;
        self.attempts = self.attempts.saturating_add(1);
    }

    fn send_banner(&mut self, cx: &mut Cx<'_>) {
        if !self.banner_sent {
            self.banner_sent = true;
            if !self.banner.is_empty() {
                let b = std::mem::take(&mut self.banner);
                cx.fact(Party::Server, "telnet.banner", b.clone());
                cx.claim(Party::Server, "telnet.banner", &b, "telnet.banner", 60);
            }
        }
        if !self.options_sent {
            self.options_sent = true;
            let will = self.neg[di(Dir::ToClient)].will;
            if will != 0 {
                let names: Vec<&str> = (0..64u8)
                    .filter(|o| will & (1u64 << o) != 0)
                    .map(codes::option_name)
                    .collect();
                cx.fact(Party::Server, "telnet.options", names.join(","));
            }
        }
    }

    fn offered(&mut self, cx: &mut Cx<'_>) {
        self.send_banner(cx);
        if !self.offered_sent {
            self.offered_sent = true;
            cx.auth(AuthEvent {
                mechanism: "telnet-login",
                outcome: Outcome::Offered,
                user: None,
                secret: None,
                cleartext: !self.encrypted,
            });
        }
    }

    /// A complete server line.
    fn server_line(&mut self, cx: &mut Cx<'_>) {
        let line = std::mem::take(&mut self.line);
        match self.login {
            Login::Idle if !self.banner_sent => {
                let t = text(crate::dissect::http::parser::trim(&line));
                let t = t.trim();
                if !t.is_empty() && self.banner.len() < MAX_BANNER {
                    if !self.banner.is_empty() {
                        self.banner.push_str(" | ");
                    }
                    self.banner.push_str(t);
                    if self.banner.len() > MAX_BANNER {
                        let mut e = MAX_BANNER;
                        while !self.banner.is_char_boundary(e) {
                            e -= 1;
                        }
                        self.banner.truncate(e);
                    }
                }
            }
            Login::AwaitOutcome => {
                let n = norm(&line);
                if contains_any(&n, codes::FAILURE_TEXT) {
                    self.emit(Outcome::Failure, cx);
                    self.login = Login::Idle;
                } else if contains_any(&n, codes::SUCCESS_TEXT) {
                    self.emit(Outcome::Success, cx);
                    self.login = Login::Done;
                }
            }
            _ => {}
        }
        self.line = line;
        self.line.clear();
    }

    /// End of a chunk of server output: is the partial line a prompt?
    fn server_prompt(&mut self, cx: &mut Cx<'_>) {
        if self.line.is_empty() || self.login == Login::Done {
            return;
        }
        let n = norm(&self.line);
        if self.login == Login::AwaitOutcome {
            // The verdict may come before its end of line (`Last login: ...` in pieces).
            if contains_any(&n, codes::FAILURE_TEXT) {
                self.emit(Outcome::Failure, cx);
                self.login = Login::Idle;
                return;
            }
            if contains_any(&n, codes::SUCCESS_TEXT) {
                self.emit(Outcome::Success, cx);
                self.login = Login::Done;
                return;
            }
        }
        if ends_with_any(&n, codes::LOGIN_PROMPTS) {
            if self.login == Login::AwaitOutcome {
                self.emit(Outcome::Failure, cx);
            }
            self.offered(cx);
            self.login = Login::User;
            self.typed.clear();
        } else if ends_with_any(&n, codes::PASSWORD_PROMPTS) {
            match self.login {
                Login::AwaitOutcome => self.emit(Outcome::Failure, cx),
                Login::Idle => self.user = None,
                _ => {}
            }
            self.offered(cx);
            self.login = Login::Pass;
            self.typed.clear();
        } else if self.login == Login::AwaitOutcome && n.len() <= 80 {
            // A shell prompt (`$ `, `# `, `> `, `Router>`).
            if n.ends_with('$') || n.ends_with('#') || n.ends_with('>') {
                self.emit(Outcome::Success, cx);
                self.login = Login::Done;
            }
        }
    }

    fn server_bytes(&mut self, data: &[u8], cx: &mut Cx<'_>) {
        let d = di(Dir::ToClient);
        // A prompt is judged once, when text was added to the current line.
        let mut changed = false;
        for &b in data {
            let Some(c) = self.neg[d].byte(b) else {
                if self.neg[d].take_changed() {
                    self.check_encryption(cx);
                }
                continue;
            };
            match c {
                b'\n' => {
                    self.server_line(cx);
                    changed = false;
                }
                b'\r' | 0 => {}
                0x08 | 0x7f => {
                    changed |= self.line.pop().is_some();
                }
                _ => {
                    if self.line.len() < MAX_LINE {
                        self.line.push(c);
                        changed = true;
                    }
                }
            }
            if self.login == Login::Done {
                break;
            }
        }
        if changed {
            self.server_prompt(cx);
        }
    }

    fn client_bytes(&mut self, data: &[u8], cx: &mut Cx<'_>) {
        let d = di(Dir::ToServer);
        for &b in data {
            let Some(c) = self.neg[d].byte(b) else {
                if self.neg[d].take_changed() {
                    self.check_encryption(cx);
                }
                continue;
            };
            let after_cr = std::mem::replace(&mut self.cli_cr, c == b'\r');
            if after_cr && (c == b'\n' || c == 0) {
                continue;
            }
            if !matches!(self.login, Login::User | Login::Pass) {
                continue;
            }
            match c {
                b'\r' | b'\n' => {
                    let t = std::mem::take(&mut self.typed);
                    if self.login == Login::User {
                        if !t.is_empty() {
                            self.user = Some(text(&t));
                            self.login = Login::AwaitPassPrompt;
                        }
                    } else {
                        self.secret = Some(text(&t));
                        self.cred_ev = cx.ev;
                        cx.op(Op::Login, Some("telnet_login"));
                        self.login = Login::AwaitOutcome;
                    }
                }
                0x08 | 0x7f => {
                    self.typed.pop();
                }
                0 => {}
                _ => {
                    if self.typed.len() < MAX_CRED {
                        self.typed.push(c);
                    }
                }
            }
        }
    }

    /// After every option change: encryption agreed at any moment is reported, whether or not
    /// it is withdrawn later in the same segment (so the fact does not depend on where the
    /// segments end).
    fn check_encryption(&mut self, cx: &mut Cx<'_>) {
        if self.encrypted {
            return;
        }
        let bit = 1u64 << codes::OPT_ENCRYPT;
        let (c, s) = (&self.neg[0], &self.neg[1]);
        let client_encrypts = c.will & bit != 0 && s.r#do & bit != 0;
        let server_encrypts = s.will & bit != 0 && c.r#do & bit != 0;
        if client_encrypts || server_encrypts {
            self.encrypted = true;
            cx.fact(Party::Server, "telnet.encryption", "negotiated");
        }
    }
}

impl StreamDissector for Telnet {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        if self.login == Login::Done || self.attempts >= MAX_ATTEMPTS {
            self.login = Login::Done;
            return Parsed::Consumed(data.len());
        }
        match dir {
            Dir::ToClient => self.server_bytes(data, cx),
            Dir::ToServer => self.client_bytes(data, cx),
        }
        Parsed::Consumed(data.len())
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        self.neg[di(dir)].st = Neg::Data;
        match dir {
            Dir::ToClient => self.line.clear(),
            Dir::ToServer => {
                // A lost keystroke makes the typed text wrong: drop it.
                self.typed.clear();
                if matches!(self.login, Login::User | Login::Pass) {
                    self.login = Login::Idle;
                }
            }
        }
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        if self.login == Login::AwaitOutcome {
            self.emit(Outcome::Attempt, cx);
        }
        if !self.banner_sent && !self.banner.is_empty() {
            self.send_banner(cx);
        }
    }
}

/// Is `data` a run of valid negotiations (`IAC WILL|WONT|DO|DONT opt` or `IAC SB opt`)?
/// Returns the number of complete commands checked, or `None` on a violation.
pub fn negotiation_run(data: &[u8]) -> Option<usize> {
    let mut n = 0;
    let mut i = data;
    while let [IAC, cmd, opt, rest @ ..] = i {
        match *cmd {
            WILL..=DONT | SB if codes::is_known_option(*opt) => {}
            _ => return None,
        }
        n += 1;
        if *cmd == SB {
            // Skip to IAC SE.
            let end = rest.windows(2).position(|w| w == [IAC, SE])?;
            i = rest.get(end + 2..).unwrap_or(&[]);
        } else {
            i = rest;
        }
    }
    match i {
        [] => Some(n),
        [IAC] | [IAC, _] => Some(n),
        [IAC, ..] => None,
        _ => Some(n),
    }
}
