//! Per-flow RDP connection-sequence state.

/// Client PDUs of the connection sequence still to be looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cli {
    /// X.224 Connection Request.
    Cr,
    /// MCS Connect-Initial (Standard RDP Security: cleartext).
    ConnectInitial,
    /// Erect domain, attach user, channel joins, security exchange, until the Client Info PDU
    /// (at most `n` PDUs).
    UntilInfo {
        n: u8,
    },
    Done,
}

/// Server PDUs still to be looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Srv {
    /// X.224 Connection Confirm.
    Cc,
    /// MCS Connect-Response.
    ConnectResponse,
    Done,
}

/// Client PDUs looked at after Connect-Initial before giving up on the Client Info PDU.
pub const MAX_PDUS_UNTIL_INFO: u8 = 32;

#[derive(Debug, Clone)]
pub struct State {
    pub cli: Cli,
    pub srv: Srv,
    /// User name from the `mstshash` cookie (bounded text).
    pub cookie_user: Option<String>,
    /// Selected protocol from the CC (0 = standard).
    pub selected: Option<u32>,
    /// The rdp-standard authentication event has been reported.
    pub auth_reported: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            cli: Cli::Cr,
            srv: Srv::Cc,
            cookie_user: None,
            selected: None,
            auth_reported: false,
        }
    }
}
