//! Conversations: flows folded by (client, server, transport, server port, protocol) when they
//! end. This is what services, conduits and exposure findings are built from; it grows with
//! distinct endpoints and services, not with connections or packets.

use super::{Flow, Handshake};
use crate::evidence::{Ev, Evidence};
use crate::inventory::observation::Transport;
use crate::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConvKey {
    pub client: IpAddr,
    pub server: IpAddr,
    pub transport: Transport,
    pub port: u16,
    /// Detected protocol, or "" when none was recognised.
    pub proto: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct Conv {
    pub flows: u64,
    pub completed: u64,
    pub refused: u64,
    pub unanswered: u64,
    pub midstream: u64,
    /// Flows where the server answered (completed TCP, or a UDP reply).
    pub answered: u64,
    /// Flows where both sides sent application bytes.
    pub with_payload: u64,
    /// [to server, to client]
    pub pkts: [u64; 2],
    pub bytes: [u64; 2],
    pub payload: [u64; 2],
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    /// Handshake frames (SYN, SYN-ACK, ACK; or SYN and RST) and first frames of the flows.
    pub evidence: Evidence,
    /// Evidence of the first answered flow (its handshake or reply), when there is one.
    pub answered_evidence: Evidence,
    pub client_vlans: BTreeSet<u16>,
    pub server_vlans: BTreeSet<u16>,
    /// TCP flows where only one side was seen (asymmetric SPAN, or one-way traffic).
    pub one_sided: u64,
}

/// All conversations of a run, bounded.
#[derive(Debug, Clone, Default)]
pub struct Conversations {
    pub map: BTreeMap<ConvKey, Conv>,
    pub max: usize,
    pub max_evidence: usize,
    pub dropped_flows: u64,
}

const MAX_VLANS: usize = 8;

impl Conversations {
    pub fn new(max: usize, max_evidence: usize) -> Self {
        Conversations {
            map: BTreeMap::new(),
            max,
            max_evidence,
            dropped_flows: 0,
        }
    }

    /// Fold a finished flow in. `proto` is what the application layer recognised.
    pub fn add<A>(&mut self, f: &Flow<A>, proto: &'static str, to_group: bool) {
        let transport = match f.key.proto {
            6 => Transport::Tcp,
            17 => Transport::Udp,
            1 | 58 => Transport::Icmp,
            _ => Transport::Ip,
        };
        let (client, _) = f.client_ep();
        let (server, sport) = f.server_ep();
        let port = match transport {
            Transport::Tcp | Transport::Udp => sport,
            Transport::Icmp => 0,
            _ => f.key.proto as u16,
        };
        let key = ConvKey {
            client,
            server,
            transport,
            port,
            proto,
        };
        if !self.map.contains_key(&key) && self.map.len() >= self.max {
            self.dropped_flows += 1;
            return;
        }
        let cap = self.max_evidence;
        let c = self.map.entry(key).or_insert_with(|| Conv {
            first_ts: f.first.ts,
            ..Default::default()
        });
        let (ci, si) = (f.client as usize, f.server() as usize);
        c.flows += 1;
        let hs = f.handshake();
        match hs {
            Handshake::Completed => c.completed += 1,
            Handshake::Refused => c.refused += 1,
            Handshake::Unanswered => c.unanswered += 1,
            Handshake::MidStream => c.midstream += 1,
            Handshake::None => {}
        }
        // A datagram sent to a broadcast or multicast group is answered by other flows.
        let answered = f.answered() && !to_group;
        if answered {
            c.answered += 1;
        }
        if f.payload[0] > 0 && f.payload[1] > 0 {
            c.with_payload += 1;
        }
        if f.is_tcp() && (f.pkts[0] == 0 || f.pkts[1] == 0) {
            c.one_sided += 1;
        }
        c.pkts[0] += f.pkts[ci];
        c.pkts[1] += f.pkts[si];
        c.bytes[0] += f.bytes[ci];
        c.bytes[1] += f.bytes[si];
        c.payload[0] += f.payload[ci];
        c.payload[1] += f.payload[si];
        c.first_ts = c.first_ts.min(f.first.ts);
        c.last_ts = c.last_ts.max(f.last_ts);
        let frames: Vec<Ev> = match hs {
            Handshake::Completed => [f.tcp.syn, f.tcp.synack, f.tcp.established]
                .into_iter()
                .flatten()
                .collect(),
            Handshake::Refused => [f.tcp.syn, f.tcp.refused].into_iter().flatten().collect(),
            Handshake::Unanswered => [f.tcp.syn].into_iter().flatten().collect(),
            _ => vec![f.first],
        };
        let mut flow_ev = Evidence::default();
        for ev in frames {
            flow_ev.add(ev, cap);
        }
        flow_ev.count = 1;
        c.evidence.merge(&flow_ev, cap);
        if answered {
            c.answered_evidence.merge(&flow_ev, cap);
        }
        if let Some(v) = f.vlan[ci] {
            if c.client_vlans.len() < MAX_VLANS {
                c.client_vlans.insert(v);
            }
        }
        if let Some(v) = f.vlan[si] {
            if c.server_vlans.len() < MAX_VLANS {
                c.server_vlans.insert(v);
            }
        }
    }

    pub fn merge(&mut self, other: Conversations) {
        let cap = self.max_evidence;
        for (k, v) in other.map {
            match self.map.get_mut(&k) {
                None => {
                    self.map.insert(k, v);
                }
                Some(c) => {
                    c.flows += v.flows;
                    c.completed += v.completed;
                    c.refused += v.refused;
                    c.unanswered += v.unanswered;
                    c.midstream += v.midstream;
                    c.answered += v.answered;
                    c.with_payload += v.with_payload;
                    c.one_sided += v.one_sided;
                    for i in 0..2 {
                        c.pkts[i] += v.pkts[i];
                        c.bytes[i] += v.bytes[i];
                        c.payload[i] += v.payload[i];
                    }
                    c.first_ts = c.first_ts.min(v.first_ts);
                    c.last_ts = c.last_ts.max(v.last_ts);
                    c.evidence.merge(&v.evidence, cap);
                    c.answered_evidence.merge(&v.answered_evidence, cap);
                    c.client_vlans.extend(v.client_vlans);
                    c.server_vlans.extend(v.server_vlans);
                }
            }
        }
        self.dropped_flows += other.dropped_flows;
    }
}
