//! Application-layer dissectors and their dispatch.
//!
//! ## Contract (DESIGN.md §3)
//!
//! A TCP dissector implements [`StreamDissector`]: the reassembler hands it in-order bytes of
//! one direction and it answers with [`Parsed`]:
//!
//! * `Consumed(n)`: `n` bytes were whole PDUs (or skipped garbage); the caller drops them;
//! * `NeedMore { consumed, needed }`: after dropping `consumed` bytes, the next PDU needs
//!   `needed` bytes in all (the caller buffers, bounded by `Limits::max_pdu_bytes`, and calls
//!   again once that many are there);
//! * `Desync { consumed }`: after `consumed` bytes the stream is not this protocol at all; the
//!   caller stops feeding the flow to this dissector.
//!
//! Buffering belongs to the caller. Missing bytes arrive as [`StreamDissector::gap`]; after a gap
//! (and at the start of a flow picked up mid-stream) a dissector must not trust the bytes until
//! it has found a plausible header again: TPKT, MBAP, ENIP and OPC UA headers all allow it.
//! Garbage is skipped with an anomaly (`Cx::anomaly`), never a panic and never a stop.
//!
//! A UDP (or L2) dissector implements [`DatagramDissector`], one call per datagram.
//!
//! Dissectors report what they learn through [`Cx`]: identity claims, operations,
//! authentications, facts and anomalies (see [`crate::inventory::observation`]).
//!
//! ## Detection
//! Protocols are found by content, with the port as a hint: [`STREAM_PROTOCOLS`] lists every
//! TCP dissector with its usual ports and a `probe` that looks at the first bytes of either
//! direction. Specs whose ports match are probed first, then all the others, so Modbus on port
//! 5020 or OPC UA on 48010 is found, and garbage on port 502 is not called Modbus.

pub mod discovery;
pub mod enip;
pub mod ftp;
pub mod http;
pub mod modbus;
pub mod names;
pub mod opcua;
pub mod ports;
pub mod rdp;
pub mod remote;
pub mod s7;
pub mod snmp;
pub mod ssh;
pub mod telnet;
pub mod text;
pub mod tftp;
pub mod tls;
pub mod vnc;

use crate::config::Limits;
use crate::evidence::Ev;
use crate::inventory::observation::{
    AnomalyKey, AuthEvent, AuthKey, ClaimKey, FactKey, Op, OpKey, ServiceKey, Store, Subject,
    Transport,
};
use std::net::IpAddr;

/// Direction of bytes within a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Client (initiator) to server.
    ToServer,
    /// Server to client.
    ToClient,
}

impl Dir {
    /// The other direction.
    pub fn other(self) -> Dir {
        match self {
            Dir::ToServer => Dir::ToClient,
            Dir::ToClient => Dir::ToServer,
        }
    }
}

/// A dissector's answer for a chunk of stream bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    Consumed(usize),
    NeedMore { consumed: usize, needed: usize },
    Desync { consumed: usize },
}

/// Result of probing the first bytes of a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Match,
    NoMatch,
    /// Could be, show me more bytes.
    NeedMore,
}

/// Which endpoint of the flow a fact or claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Server,
    Client,
}

/// A TCP application-layer dissector (one instance per flow).
pub trait StreamDissector: Send {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed;
    /// `len` bytes are missing in direction `dir`; resynchronise before trusting what follows.
    fn gap(&mut self, dir: Dir, len: u32, cx: &mut Cx<'_>);
    /// The flow ended (FIN/RST, idle expiry or end of capture).
    fn close(&mut self, _cx: &mut Cx<'_>) {}
}

/// A datagram (UDP or L2) dissector (one instance per flow).
pub trait DatagramDissector: Send {
    fn datagram(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>);
    fn close(&mut self, _cx: &mut Cx<'_>) {}
}

/// Test helper: away from its port, `probe` matches each unit only in the direction it travels
/// (so the engine can turn a flow picked up mid-stream round); on its port the port decides.
#[cfg(test)]
pub(crate) fn assert_probe_ways(
    probe: fn(Dir, &[u8], bool) -> Probe,
    to_server: &[Vec<u8>],
    to_client: &[Vec<u8>],
) {
    for (units, way, other) in [
        (to_server, Dir::ToServer, Dir::ToClient),
        (to_client, Dir::ToClient, Dir::ToServer),
    ] {
        for (i, v) in units.iter().enumerate() {
            assert_eq!(probe(way, v, false), Probe::Match, "{way:?} unit {i}");
            assert_eq!(probe(other, v, false), Probe::NoMatch, "{way:?} unit {i}");
            assert_eq!(probe(other, v, true), Probe::Match, "{way:?} unit {i}");
        }
    }
}

/// A TCP protocol the engine can detect.
pub struct StreamSpec {
    /// Protocol name as it appears in reports (`modbus`, `s7comm`, `opcua`, `http`, ...).
    pub proto: &'static str,
    /// Usual server ports (a hint: probed first when the server port matches).
    pub ports: &'static [u16],
    /// Look at the first bytes seen in `dir`. `port_match` says whether the server port is one
    /// of `ports`; weak signatures (e.g. a `220 ` banner) may require it.
    pub probe: fn(dir: Dir, data: &[u8], port_match: bool) -> Probe,
    pub new: fn() -> Box<dyn StreamDissector>,
}

/// A UDP protocol the engine can detect.
pub struct DatagramSpec {
    pub proto: &'static str,
    pub ports: &'static [u16],
    pub probe: fn(dir: Dir, data: &[u8], port_match: bool) -> Probe,
    pub new: fn() -> Box<dyn DatagramDissector>,
}

/// Every TCP dissector, in probe order (most specific signatures first).
pub static STREAM_PROTOCOLS: &[StreamSpec] = &[
    ssh::SPEC,
    StreamSpec {
        proto: "vnc",
        ports: vnc::PORTS,
        probe: vnc::probe,
        new: vnc::new,
    },
    opcua::SPEC,
    tls::SPEC,
    // RDP before ISO-TSAP/S7: both start with TPKT + X.224 CR; RDP's carries a cookie or an
    // rdpNegReq instead of TSAP parameters.
    StreamSpec {
        proto: "rdp",
        ports: rdp::PORTS,
        probe: rdp::probe,
        new: rdp::new,
    },
    s7::SPEC,
    enip::SPEC_TCP,
    StreamSpec {
        proto: modbus::PROTO,
        ports: modbus::PORTS,
        probe: modbus::probe,
        new: modbus::new,
    },
    http::SPEC,
    ftp::SPEC,
    telnet::SPEC,
    StreamSpec {
        proto: "teamviewer",
        ports: remote::TEAMVIEWER_PORTS,
        probe: remote::probe_teamviewer_tcp,
        new: remote::new_teamviewer_tcp,
    },
];

/// Every UDP dissector.
pub static DATAGRAM_PROTOCOLS: &[DatagramSpec] = &[
    enip::SPEC_UDP,
    enip::SPEC_IO,
    DatagramSpec {
        proto: "snmp",
        ports: snmp::PORTS,
        probe: snmp::probe,
        new: snmp::new,
    },
    tftp::SPEC,
    DatagramSpec {
        proto: "teamviewer",
        ports: remote::TEAMVIEWER_PORTS,
        probe: remote::probe_teamviewer_udp,
        new: remote::new_teamviewer_udp,
    },
    DatagramSpec {
        proto: "dhcp",
        ports: &[67, 68],
        probe: names::probe_dhcp,
        new: names::new_dhcp,
    },
    DatagramSpec {
        proto: "netbios-ns",
        ports: &[137],
        probe: names::probe_nbns,
        new: names::new_nbns,
    },
    DatagramSpec {
        proto: "dns",
        ports: &[53],
        probe: names::probe_dns,
        new: names::new_dns,
    },
    DatagramSpec {
        proto: "mdns",
        ports: &[5353],
        probe: names::probe_mdns,
        new: names::new_dns,
    },
    DatagramSpec {
        proto: "llmnr",
        ports: &[5355],
        probe: names::probe_mdns,
        new: names::new_dns,
    },
    DatagramSpec {
        proto: "ssdp",
        ports: &[1900],
        probe: names::probe_ssdp,
        new: names::new_ssdp,
    },
];

/// An expected future connection (e.g. an FTP data channel announced by PASV/PORT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expectation {
    pub server: IpAddr,
    pub port: u16,
    pub transport: Transport,
    pub proto: &'static str,
}

/// Fact values are trimmed and bounded like claim values (they may hold device strings).
fn bounded(v: String) -> String {
    if v.len() <= text::MAX_TEXT * 2 && v.trim() == v {
        v
    } else {
        text::clean(&v)
    }
}

/// What a dissector can see of its flow, and where it reports observations.
pub struct Cx<'a> {
    pub client: IpAddr,
    pub server: IpAddr,
    pub client_port: u16,
    pub server_port: u16,
    pub transport: Transport,
    /// The frame being processed (the one that completed the bytes being parsed).
    pub ev: Ev,
    pub limits: &'a Limits,
    /// Protocol name of the flow; a dissector may refine it (`set_proto`).
    pub proto: &'static str,
    pub(crate) store: &'a mut Store,
    pub(crate) expectations: &'a mut Vec<Expectation>,
    /// How many things this context recorded or changed so far (claims, facts, operations,
    /// authentications, anomalies, expectations, the protocol): a dissector that caches what
    /// decoding a message gave caches only messages that had no effect but its result.
    pub effects: u32,
}

impl<'a> Cx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        transport: Transport,
        proto: &'static str,
        ev: Ev,
        limits: &'a Limits,
        store: &'a mut Store,
        expectations: &'a mut Vec<Expectation>,
    ) -> Cx<'a> {
        Cx {
            client: client.0,
            server: server.0,
            client_port: client.1,
            server_port: server.1,
            transport,
            ev,
            limits,
            proto,
            store,
            expectations,
            effects: 0,
        }
    }

    fn party_ip(&self, p: Party) -> IpAddr {
        match p {
            Party::Server => self.server,
            Party::Client => self.client,
        }
    }

    fn svc(&self) -> ServiceKey {
        ServiceKey {
            server: self.server,
            port: self.server_port,
            transport: self.transport,
            proto: self.proto,
        }
    }

    /// Refine the protocol of this flow (e.g. `iso_tsap` to `s7comm`).
    pub fn set_proto(&mut self, proto: &'static str) {
        self.effects += 1;
        self.proto = proto;
    }

    /// An identity claim about `party`: `field` is a normalised field (`vendor`, `product`,
    /// `model`, `firmware`, `hardware_version`, `serial`, `order_number`, `name`, `hostname`,
    /// `application_uri`, `product_uri`, `device_type`) or a protocol field such as
    /// `s7comm.plant_id`; `source` names the message (`s7comm.szl_0x0011`).
    pub fn claim(
        &mut self,
        party: Party,
        field: &'static str,
        value: &str,
        source: &'static str,
        confidence: u8,
    ) {
        let value = text::clean(value);
        if value.is_empty() {
            return;
        }
        let k = ClaimKey {
            subject: Subject::Ip(self.party_ip(party)),
            field,
            value,
            source,
        };
        let (proto, port, ev) = (self.proto, self.server_port, self.ev);
        self.effects += 1;
        self.store.claim(k, confidence, proto, port, ev);
    }

    /// A claim about any subject: a MAC (discovery protocols: LLDP chassis, PROFINET DCP) or an
    /// IP that is not an endpoint of this flow (a management address announced in LLDP).
    pub fn claim_for(
        &mut self,
        subject: Subject,
        field: &'static str,
        value: &str,
        source: &'static str,
        confidence: u8,
    ) {
        let value = text::clean(value);
        if value.is_empty() {
            return;
        }
        let k = ClaimKey {
            subject,
            field,
            value,
            source,
        };
        let (proto, port, ev) = (self.proto, self.server_port, self.ev);
        self.effects += 1;
        self.store.claim(k, confidence, proto, port, ev);
    }

    /// A fact about any subject (see [`Cx::claim_for`]).
    pub fn fact_for(&mut self, subject: Subject, key: &'static str, value: impl Into<String>) {
        let k = FactKey {
            subject,
            port: self.server_port,
            transport: self.transport,
            proto: self.proto,
            key,
            value: bounded(value.into()),
        };
        let ev = self.ev;
        self.effects += 1;
        self.store.fact(k, ev);
    }

    /// The client performed `op` on the server; `detail` names the function (a static name, so
    /// that recording an operation per PDU allocates nothing).
    #[inline]
    pub fn op(&mut self, op: Op, detail: Option<&'static str>) {
        let k = OpKey {
            svc: self.svc(),
            client: self.client,
            op,
        };
        let ev = self.ev;
        self.effects += 1;
        self.store.op(k, detail, ev);
    }

    /// An authentication exchange (or an offered mechanism) on the server.
    pub fn auth(&mut self, e: AuthEvent) {
        let k = AuthKey {
            svc: self.svc(),
            client: self.client,
            mechanism: e.mechanism,
        };
        let ev = self.ev;
        self.effects += 1;
        self.store.auth(k, e, ev);
    }

    /// A protocol fact about `party` (documented per dissector: e.g. `opcua.endpoint`).
    pub fn fact(&mut self, party: Party, key: &'static str, value: impl Into<String>) {
        let k = FactKey {
            subject: Subject::Ip(self.party_ip(party)),
            port: self.server_port,
            transport: self.transport,
            proto: self.proto,
            key,
            value: bounded(value.into()),
        };
        let ev = self.ev;
        self.effects += 1;
        self.store.fact(k, ev);
    }

    /// A spec violation or garbage, counted.
    pub fn anomaly(&mut self, kind: &'static str) {
        let k = AnomalyKey {
            proto: self.proto,
            kind,
            server: Some(self.server),
            port: self.server_port,
        };
        let ev = self.ev;
        self.effects += 1;
        self.store.anomaly(k, ev);
    }

    /// Announce a connection that will follow (FTP data channels).
    pub fn expect(&mut self, e: Expectation) {
        self.effects += 1;
        if self.expectations.len() < 64 {
            self.expectations.push(e);
        }
    }
}
