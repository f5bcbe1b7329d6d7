//! Telnet (`telnet`; port 23 with negotiation or text, or any port with a run of valid
//! option negotiations or a login prompt).
//!
//! Option negotiation (IAC WILL/WONT/DO/DONT, SB … IAC SE) is stripped from both directions;
//! the data then drive a line-oriented login state machine: a login prompt (`login:`,
//! `Username:`, `User Name:`, `user:` at the end of the server output), the user name typed by
//! the client (up to CR/LF, backspace handled; clients often send one character per segment,
//! echoed by the server), a `Password:` prompt, the password typed (not echoed), then the
//! verdict: failure text (`Login incorrect`, `Authentication failed`, `% Bad passwords`,
//! `Access denied`, `Login failed`, …) or a new prompt → failure; a shell prompt (`$`, `#`,
//! `>`) or `Last login` / `Welcome` → success. Devices that only ask for a password are
//! handled (no user).
//!
//! Authentications: `telnet-login` (user, password, cleartext unless ENCRYPT was negotiated):
//! `offered` once when a prompt is seen, then one event per password typed (success, failure,
//! or attempt when the flow ends first).
//!
//! Operations: `login` (`telnet_login`) per password sent.
//!
//! Facts:
//! * `telnet.banner` (server): server text before the first prompt, lines joined by ` | `
//!   (also claimed, confidence 60: device banners often name the device).
//! * `telnet.options` (server): options the server announced with WILL (names in `codes.rs`).
//! * `telnet.encryption` (server): `negotiated` when the ENCRYPT option was agreed.

pub mod codes;
pub mod state;
#[cfg(test)]
mod tests;

use crate::dissect::{Dir, Probe, StreamDissector, StreamSpec};
pub use state::Telnet;

pub const PORTS: &[u16] = &[23];

fn printable(c: u8) -> bool {
    (0x20..0x7f).contains(&c) || c == b'\r' || c == b'\n' || c == b'\t' || c == 0
}

pub fn probe(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    if data.is_empty() {
        return Probe::NeedMore;
    }
    if data.first() == Some(&codes::IAC) {
        return match state::negotiation_run(data) {
            None => Probe::NoMatch,
            Some(n) if n >= 2 || (port_match && n >= 1) => Probe::Match,
            Some(_) if data.len() < 64 => Probe::NeedMore,
            Some(_) => Probe::NoMatch,
        };
    }
    let head = data.get(..data.len().min(256)).unwrap_or(&[]);
    if !head.iter().all(|&c| printable(c)) {
        return Probe::NoMatch;
    }
    if port_match {
        return if head.len() >= 2 {
            Probe::Match
        } else {
            Probe::NeedMore
        };
    }
    // Elsewhere only a server that ends its first output with a login prompt.
    if dir != Dir::ToClient || data.len() > 1024 || !data.iter().all(|&c| printable(c)) {
        return Probe::NoMatch;
    }
    let last = data.rsplit(|&c| c == b'\n').next().unwrap_or(&[]);
    let t = String::from_utf8_lossy(crate::dissect::http::parser::trim(last)).to_ascii_lowercase();
    let t = t.trim_end();
    let prompt = codes::LOGIN_PROMPTS
        .iter()
        .chain(codes::PASSWORD_PROMPTS)
        .any(|p| t.ends_with(p));
    if prompt { Probe::Match } else { Probe::NoMatch }
}

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(Telnet::new())
}

pub const SPEC: StreamSpec = StreamSpec {
    proto: "telnet",
    ports: PORTS,
    probe,
    new,
};
