//! Per-flow RFB handshake state: one small state machine per direction.

/// What the server sends next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Srv {
    Version,
    /// 3.3: a u32 security type; 3.7+: the list of types.
    SecurityTypes,
    /// Waiting for the client's choice to know what comes next.
    AfterChoice,
    /// VNC Authentication challenge (16 bytes).
    Challenge,
    /// Apple Remote Desktop Diffie-Hellman parameters.
    ArdChallenge,
    SecurityResult,
    /// Failure reason (u32 length + text), then the server closes.
    Reason,
    ServerInit,
    /// Handshake over (or not followable): the rest is skipped.
    Done,
}

/// What the client sends next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cli {
    Version,
    /// 3.7+: the chosen security type (1 byte).
    Choice,
    /// Waiting for the (server-decided or chosen) type to know what comes next.
    AfterChoice,
    /// VNC Authentication response (16 bytes).
    Response,
    ArdResponse,
    /// ClientInit: shared flag (1 byte).
    ClientInit,
    Done,
}

#[derive(Debug, Clone)]
pub struct State {
    pub srv: Srv,
    pub cli: Cli,
    pub server_version: Option<(u16, u16)>,
    pub client_version: Option<(u16, u16)>,
    /// The only type offered, when the server offered exactly one.
    pub single_offer: Option<u8>,
    /// Types offered (bit set over 0..=255).
    pub offered: [u64; 4],
    /// Security type in use (chosen by the client in 3.7+, decided by the server in 3.3).
    pub chosen: Option<u32>,
    /// ARD key length, from the server's challenge.
    pub ard_keylen: Option<u16>,
    /// An outcome has been reported for the chosen mechanism.
    pub auth_reported: bool,
    pub login_counted: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            srv: Srv::Version,
            cli: Cli::Version,
            server_version: None,
            client_version: None,
            single_offer: None,
            offered: [0; 4],
            chosen: None,
            ard_keylen: None,
            auth_reported: false,
            login_counted: false,
        }
    }
}

impl State {
    /// Effective minor version of the session: 3, 7 or 8 (RFC 6143 §7.1.1: the client's
    /// version rules; unknown 3.x versions behave as 3.3; Apple's 3.889 and 4.x as 3.8).
    pub fn minor(&self) -> u16 {
        let v = self
            .client_version
            .or(self.server_version)
            .unwrap_or((3, 8));
        match v {
            (major, _) if major > 3 => 8,
            (_, minor) if minor >= 8 => 8,
            (_, 7) => 7,
            _ => 3,
        }
    }

    pub fn offer(&mut self, t: u8) {
        if let Some(w) = self.offered.get_mut(usize::from(t >> 6)) {
            *w |= 1u64 << (t & 63);
        }
    }

    pub fn was_offered(&self, t: u8) -> bool {
        self.offered
            .get(usize::from(t >> 6))
            .is_some_and(|w| w & (1u64 << (t & 63)) != 0)
    }
}
