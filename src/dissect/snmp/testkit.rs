//! Test support shared by the management-plane dissector tests (SNMP, VNC, RDP, remote):
//! a stream harness that buffers exactly like the engine's `feed`, a datagram harness, a
//! normalised dump of the observation store, and a small deterministic PRNG for fuzzing.

use crate::config::Limits;
use crate::dissect::{Cx, DatagramDissector, Dir, Expectation, Parsed, StreamDissector};
use crate::evidence::Ev;
use crate::inventory::observation::{Store, Transport, sorted};
use std::net::{IpAddr, Ipv4Addr};

pub const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
pub const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

/// A stream dissector fed the way the engine feeds it (caller-side buffering of partial PDUs,
/// `NeedMore` honoured, `Desync` stops the flow, oversized PDUs skipped as a gap).
pub struct StreamHarness {
    pub store: Store,
    pub limits: Limits,
    exp: Vec<Expectation>,
    buf: [Vec<u8>; 2],
    need: [usize; 2],
    pub d: Box<dyn StreamDissector>,
    pub desync: bool,
    pub proto: &'static str,
    port: u16,
    /// Calls to `parse` (to check progress, not spin).
    pub calls: usize,
}

impl StreamHarness {
    pub fn new(d: Box<dyn StreamDissector>, proto: &'static str, port: u16) -> Self {
        StreamHarness {
            store: Store::new(100_000, 8),
            limits: Limits::default(),
            exp: Vec::new(),
            buf: [Vec::new(), Vec::new()],
            need: [0, 0],
            d,
            desync: false,
            proto,
            port,
            calls: 0,
        }
    }

    pub fn feed(&mut self, dir: Dir, data: &[u8]) {
        if self.desync || data.is_empty() {
            return;
        }
        let d = di(dir);
        let buffered = !self.buf[d].is_empty();
        if buffered {
            self.buf[d].extend_from_slice(data);
            if self.buf[d].len() < self.need[d] {
                return;
            }
        }
        let input: Vec<u8> = if buffered {
            std::mem::take(&mut self.buf[d])
        } else {
            data.to_vec()
        };
        let mut cx = Cx::new(
            (CLIENT, 50000),
            (SERVER, self.port),
            Transport::Tcp,
            self.proto,
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        let mut off = 0usize;
        let mut need = 0usize;
        while off < input.len() {
            self.calls += 1;
            assert!(self.calls < 10_000_000, "dissector does not make progress");
            match self.d.parse(dir, &input[off..], &mut cx) {
                Parsed::Consumed(n) => {
                    if n == 0 {
                        need = input.len() - off + 1;
                        break;
                    }
                    off += n.min(input.len() - off);
                }
                Parsed::NeedMore { consumed, needed } => {
                    off += consumed.min(input.len() - off);
                    need = needed;
                    break;
                }
                Parsed::Desync { consumed } => {
                    off += consumed.min(input.len() - off);
                    self.desync = true;
                    break;
                }
            }
        }
        self.proto = cx.proto;
        if self.desync {
            return;
        }
        let rest = input.len() - off;
        let max = self.limits.max_pdu_bytes;
        if need > max || rest > max {
            cx.anomaly("pdu_too_large");
            self.buf[d].clear();
            self.need[d] = 0;
            self.d.gap(dir, rest as u32, &mut cx);
            return;
        }
        self.buf[d] = input[off..].to_vec();
        self.need[d] = need;
    }

    pub fn gap(&mut self, dir: Dir, len: u32) {
        let d = di(dir);
        self.buf[d].clear();
        self.need[d] = 0;
        let mut cx = Cx::new(
            (CLIENT, 50000),
            (SERVER, self.port),
            Transport::Tcp,
            self.proto,
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        self.d.gap(dir, len, &mut cx);
    }

    pub fn close(&mut self) {
        let mut cx = Cx::new(
            (CLIENT, 50000),
            (SERVER, self.port),
            Transport::Tcp,
            self.proto,
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        self.d.close(&mut cx);
    }

    /// Bytes held for a partial PDU, per direction (bounded by `max_pdu_bytes`).
    pub fn buffered(&self) -> usize {
        self.buf[0].len() + self.buf[1].len()
    }
}

/// Feed a conversation (in order) in chunks of `chunk` bytes, then close; return the summary.
pub fn run_chunked(
    new: fn() -> Box<dyn StreamDissector>,
    proto: &'static str,
    port: u16,
    conv: &[(Dir, Vec<u8>)],
    chunk: usize,
) -> Vec<String> {
    let mut h = StreamHarness::new(new(), proto, port);
    for (dir, bytes) in conv {
        for c in bytes.chunks(chunk.max(1)) {
            h.feed(*dir, c);
        }
    }
    h.close();
    summary(&h.store)
}

/// A datagram dissector with its store.
pub struct DatagramHarness {
    pub store: Store,
    pub limits: Limits,
    exp: Vec<Expectation>,
    pub d: Box<dyn DatagramDissector>,
    pub proto: &'static str,
    port: u16,
}

impl DatagramHarness {
    pub fn new(d: Box<dyn DatagramDissector>, proto: &'static str, port: u16) -> Self {
        DatagramHarness {
            store: Store::new(100_000, 8),
            limits: Limits::default(),
            exp: Vec::new(),
            d,
            proto,
            port,
        }
    }

    pub fn datagram(&mut self, dir: Dir, data: &[u8]) {
        let mut cx = Cx::new(
            (CLIENT, 50000),
            (SERVER, self.port),
            Transport::Udp,
            self.proto,
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        self.d.datagram(dir, data, &mut cx);
    }

    pub fn close(&mut self) {
        let mut cx = Cx::new(
            (CLIENT, 50000),
            (SERVER, self.port),
            Transport::Udp,
            self.proto,
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        self.d.close(&mut cx);
    }
}

fn who(s: &crate::inventory::observation::Subject) -> &'static str {
    match s {
        crate::inventory::observation::Subject::Ip(ip) if *ip == CLIENT => "client",
        crate::inventory::observation::Subject::Ip(ip) if *ip == SERVER => "server",
        _ => "other",
    }
}

/// Everything in a store as sorted lines (counts included, evidence frames left out).
pub fn summary(s: &Store) -> Vec<String> {
    let mut v = Vec::new();
    for (k, a) in sorted(&s.claims) {
        v.push(format!(
            "claim {} {}={} src={} conf={}",
            who(&k.subject),
            k.field,
            k.value,
            k.source,
            a.confidence
        ));
    }
    for (k, e) in sorted(&s.facts) {
        v.push(format!(
            "fact {} {}={} x{}",
            who(&k.subject),
            k.key,
            k.value,
            e.count
        ));
    }
    for (k, a) in sorted(&s.auths) {
        v.push(format!(
            "auth {} att={} ok={} fail={} offered={} clear={} users={:?} secrets={:?}",
            k.mechanism,
            a.attempts,
            a.successes,
            a.failures,
            a.offered,
            a.cleartext,
            a.users,
            a.secrets
        ));
    }
    for (k, a) in sorted(&s.ops) {
        v.push(format!(
            "op {:?} {:?} x{}",
            k.op, a.details, a.evidence.count
        ));
    }
    for (k, e) in sorted(&s.anomalies) {
        v.push(format!("anomaly {} x{}", k.kind, e.count));
    }
    v
}

/// Whether a summary has a line starting with `prefix`.
pub fn has(sum: &[String], prefix: &str) -> bool {
    sum.iter().any(|l| l.starts_with(prefix))
}

/// xorshift64* (deterministic, std only).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// `base` with a few random mutations (flips, truncation, insertion, byte overwrite).
    pub fn mutate(&mut self, base: &[u8]) -> Vec<u8> {
        let mut v = base.to_vec();
        for _ in 0..1 + self.below(4) {
            match self.below(5) {
                0 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] ^= 1 << self.below(8);
                }
                1 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] = self.next() as u8;
                }
                2 => {
                    let n = self.below(v.len() + 1);
                    v.truncate(n);
                }
                3 => {
                    let i = self.below(v.len() + 1);
                    let n = 1 + self.below(8);
                    let b = self.bytes(n);
                    v.splice(i..i, b);
                }
                _ if !v.is_empty() => {
                    // Length-ish bytes: 0x00, 0x7f, 0x80, 0xff.
                    let i = self.below(v.len());
                    v[i] = [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff][self.below(6)];
                }
                _ => {}
            }
        }
        v
    }
}
