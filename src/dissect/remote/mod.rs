//! Remote-access tools recognised by their own protocols.
//!
//! What is recognised, and how (kept small and honest):
//! * **TeamViewer** (TCP and UDP 5938): the proprietary packet head, magic `17 24` (protocol
//!   version 2) or `11 30` (version 1) followed by a known command code on TCP, magic `17 24`
//!   at offset 11 on UDP. Required: the port (a two-octet magic alone is too weak to claim a
//!   flow on another port). TeamViewer also runs over TCP 443/80 (HTTP tunnelling), which is
//!   not recognised here. The session content is encrypted and skipped.
//! * **AnyDesk** (TCP 7070/6568): its sessions are TLS; the TLS dissector reports the SNI
//!   (`*.net.anydesk.com`). Nothing is claimed here for AnyDesk.
//!
//! Facts (on both client and server): `remote_access.tool` = `TeamViewer`;
//! `remote_access.teamviewer_command` (TCP): the command of the first packet of each side
//! (e.g. `CMD_IDENTIFY`), on that side.
//!
//! Operations: `connect` (detail `teamviewer`) once per flow.

pub mod codes;
pub mod parser;
#[cfg(test)]
mod tests;

use crate::dissect::{Cx, DatagramDissector, Dir, Parsed, Party, Probe, StreamDissector};
use crate::inventory::observation::Op;

pub const TEAMVIEWER_PORTS: &[u16] = &[5938];

/// TCP: port 5938 and a TeamViewer packet head.
pub fn probe_teamviewer_tcp(_dir: Dir, data: &[u8], port_match: bool) -> Probe {
    if !port_match {
        return Probe::NoMatch;
    }
    if data.len() < 3 {
        return match data {
            [] => Probe::NeedMore,
            [a] if *a == parser::MAGIC_V2[0] || *a == parser::MAGIC_V1[0] => Probe::NeedMore,
            [a, b] if [*a, *b] == parser::MAGIC_V2 || [*a, *b] == parser::MAGIC_V1 => {
                Probe::NeedMore
            }
            _ => Probe::NoMatch,
        };
    }
    if parser::tcp_head(data).is_some() {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// UDP: port 5938 and the magic at its offset.
pub fn probe_teamviewer_udp(_dir: Dir, data: &[u8], port_match: bool) -> Probe {
    if port_match && parser::udp_magic(data) {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

pub fn new_teamviewer_tcp() -> Box<dyn StreamDissector> {
    Box::new(TeamViewer::default())
}

pub fn new_teamviewer_udp() -> Box<dyn DatagramDissector> {
    Box::new(TeamViewer::default())
}

/// One TeamViewer flow: reports the tool once, then skips everything.
#[derive(Debug, Default)]
pub struct TeamViewer {
    reported: bool,
    /// First packet of each direction looked at (client, server).
    seen: [bool; 2],
}

impl TeamViewer {
    fn report(&mut self, cx: &mut Cx<'_>) {
        if self.reported {
            return;
        }
        self.reported = true;
        cx.fact(Party::Client, "remote_access.tool", "TeamViewer");
        cx.fact(Party::Server, "remote_access.tool", "TeamViewer");
        cx.op(Op::Connect, Some("teamviewer"));
    }

    fn first_packet(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) {
        let (i, party) = match dir {
            Dir::ToServer => (0, Party::Client),
            Dir::ToClient => (1, Party::Server),
        };
        if self.seen[i] {
            return;
        }
        self.seen[i] = true;
        if let Some(h) = parser::tcp_head(data) {
            cx.fact(party, "remote_access.teamviewer_command", h.name);
        }
    }
}

impl StreamDissector for TeamViewer {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        self.report(cx);
        self.first_packet(dir, data, cx);
        Parsed::Consumed(data.len())
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        // Nothing is parsed after the first packet; a gap changes nothing but the first-packet
        // fact of a side not yet seen (its next bytes are not a packet head).
        match dir {
            Dir::ToServer => self.seen[0] = true,
            Dir::ToClient => self.seen[1] = true,
        }
    }
}

impl DatagramDissector for TeamViewer {
    fn datagram(&mut self, _dir: Dir, _data: &[u8], cx: &mut Cx<'_>) {
        self.report(cx);
    }
}
