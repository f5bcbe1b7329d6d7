//! TeamViewer packet heads (proprietary protocol; only the public, stable part is read).
//!
//! ```text
//! TCP: magic (2 octets: 17 24 for protocol version 2, 11 30 for version 1), command (1 octet)
//! UDP: octet 0 a counter (0 at the start), magic 17 24 at octets 11-12
//! ```

use super::codes;

pub const MAGIC_V2: [u8; 2] = [0x17, 0x24];
pub const MAGIC_V1: [u8; 2] = [0x11, 0x30];
/// Offset of the magic in a UDP datagram.
pub const UDP_MAGIC_AT: usize = 11;

/// A TCP packet head: (protocol version, command code, command name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub version: u8,
    pub command: u8,
    pub name: &'static str,
}

/// The head of a TCP packet, when its magic and command are known.
pub fn tcp_head(i: &[u8]) -> Option<Head> {
    let (magic, rest) = i.split_first_chunk::<2>()?;
    let version = match *magic {
        MAGIC_V2 => 2,
        MAGIC_V1 => 1,
        _ => return None,
    };
    let command = *rest.first()?;
    Some(Head {
        version,
        command,
        name: codes::teamviewer_command(command)?,
    })
}

/// Whether a UDP datagram carries the TeamViewer magic at its fixed offset.
pub fn udp_magic(i: &[u8]) -> bool {
    i.len() > UDP_MAGIC_AT + 2 && i.get(UDP_MAGIC_AT..UDP_MAGIC_AT + 2) == Some(&MAGIC_V2[..])
}
