//! Test harness shared by the management-plane dissectors' unit tests: a `Cx` over a private
//! store, the engine's caller-side buffering (`Consumed` / `NeedMore` / `Desync`), chunked
//! feeding, a chunking-independent summary of the observations, and a std-only PRNG.

use crate::config::Limits;
use crate::dissect::{Cx, DatagramDissector, Dir, Expectation, Parsed, StreamDissector};
use crate::evidence::Ev;
use crate::inventory::observation::{Store, Transport, sorted};
use crate::time::Timestamp;
use std::net::{IpAddr, Ipv4Addr};

pub const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
pub const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

pub struct Harness {
    pub store: Store,
    pub limits: Limits,
    pub exp: Vec<Expectation>,
    pub frame: u64,
    pub port: u16,
    pub proto: &'static str,
    pub transport: Transport,
    /// Seconds since the epoch of the frames.
    pub now: u64,
    buf: [Vec<u8>; 2],
    need: [usize; 2],
    pub desync: bool,
    /// Largest caller-side buffer seen.
    pub max_buffered: usize,
}

fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

impl Harness {
    pub fn new(proto: &'static str, port: u16) -> Harness {
        let limits = Limits::default();
        Harness {
            store: Store::new(limits.max_observations, limits.max_evidence_frames),
            limits,
            exp: Vec::new(),
            frame: 0,
            port,
            proto,
            transport: Transport::Tcp,
            now: 1_700_000_000,
            buf: [Vec::new(), Vec::new()],
            need: [0; 2],
            desync: false,
            max_buffered: 0,
        }
    }

    fn with_cx<R>(&mut self, f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
        self.frame += 1;
        let ev = Ev {
            input: 0,
            frame: self.frame,
            ts: Timestamp::from_secs_nanos(self.now, 0),
        };
        let mut cx = Cx::new(
            (CLIENT, 40000),
            (SERVER, self.port),
            self.transport,
            self.proto,
            ev,
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        let r = f(&mut cx);
        self.proto = cx.proto;
        r
    }

    /// One segment, buffered the way the engine does.
    pub fn feed(&mut self, d: &mut dyn StreamDissector, dir: Dir, data: &[u8]) {
        if self.desync || data.is_empty() {
            return;
        }
        let k = di(dir);
        let max = self.limits.max_pdu_bytes;
        let mut buf = std::mem::take(&mut self.buf[k]);
        let buffered = !buf.is_empty();
        if buffered {
            buf.extend_from_slice(data);
            if buf.len() < self.need[k] {
                self.max_buffered = self.max_buffered.max(buf.len());
                self.buf[k] = buf;
                return;
            }
        }
        let input: Vec<u8> = if buffered { buf } else { data.to_vec() };
        let (off, need, desync) = self.with_cx(|cx| {
            let mut off = 0usize;
            let mut need = 0usize;
            let mut desync = false;
            while off < input.len() {
                match d.parse(dir, &input[off..], cx) {
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
                        desync = true;
                        break;
                    }
                }
            }
            (off, need, desync)
        });
        if desync {
            self.desync = true;
            return;
        }
        let rest = input.len() - off;
        if need > max || rest > max {
            self.need[k] = 0;
            self.with_cx(|cx| {
                cx.anomaly("pdu_too_large");
                d.gap(dir, rest as u32, cx);
            });
            return;
        }
        self.buf[k] = input[off..].to_vec();
        self.need[k] = need;
        self.max_buffered = self.max_buffered.max(self.buf[k].len());
    }

    /// Feed `data` in segments of `chunk` bytes.
    pub fn feed_chunks(
        &mut self,
        d: &mut dyn StreamDissector,
        dir: Dir,
        data: &[u8],
        chunk: usize,
    ) {
        for c in data.chunks(chunk.max(1)) {
            self.feed(d, dir, c);
        }
    }

    pub fn gap(&mut self, d: &mut dyn StreamDissector, dir: Dir, len: u32) {
        let k = di(dir);
        self.buf[k].clear();
        self.need[k] = 0;
        self.with_cx(|cx| d.gap(dir, len, cx));
    }

    pub fn close(&mut self, d: &mut dyn StreamDissector) {
        self.with_cx(|cx| d.close(cx));
    }

    pub fn datagram(&mut self, d: &mut dyn DatagramDissector, dir: Dir, data: &[u8]) {
        self.with_cx(|cx| d.datagram(dir, data, cx));
    }

    /// Values of a fact key.
    pub fn facts(&self, key: &str) -> Vec<String> {
        sorted(&self.store.facts)
            .into_iter()
            .filter(|(k, _)| k.key == key)
            .map(|(k, _)| k.value.clone())
            .collect()
    }

    /// Values of a claim field.
    pub fn claims(&self, field: &str) -> Vec<(String, u8)> {
        sorted(&self.store.claims)
            .into_iter()
            .filter(|(k, _)| k.field == field)
            .map(|(k, v)| (k.value.clone(), v.confidence))
            .collect()
    }

    /// (mechanism, attempts, successes, failures, offered, cleartext, users, secrets).
    #[allow(clippy::type_complexity)]
    pub fn auths(&self) -> Vec<(&'static str, [u64; 4], bool, Vec<String>, Vec<String>)> {
        sorted(&self.store.auths)
            .into_iter()
            .map(|(k, v)| {
                (
                    k.mechanism,
                    [v.attempts, v.successes, v.failures, v.offered],
                    v.cleartext,
                    v.users.iter().cloned().collect(),
                    v.secrets.iter().cloned().collect(),
                )
            })
            .collect()
    }

    /// (op name, details, count).
    pub fn ops(&self) -> Vec<(&'static str, Vec<&'static str>, u64)> {
        sorted(&self.store.ops)
            .into_iter()
            .map(|(k, v)| {
                (
                    k.op.name(),
                    v.details.iter().copied().collect(),
                    v.evidence.count,
                )
            })
            .collect()
    }

    pub fn anomalies(&self) -> Vec<&'static str> {
        sorted(&self.store.anomalies)
            .into_iter()
            .map(|(k, _)| k.kind)
            .collect()
    }

    /// Everything observed, without frame numbers (independent of how bytes were segmented).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (k, v) in sorted(&self.store.claims) {
            s += &format!(
                "claim {:?} {} {} {} {}\n",
                k.subject, k.field, k.value, k.source, v.confidence
            );
        }
        for (k, _) in sorted(&self.store.facts) {
            s += &format!("fact {:?} {} {}\n", k.subject, k.key, k.value);
        }
        for o in self.ops() {
            s += &format!("op {o:?}\n");
        }
        for a in self.auths() {
            s += &format!("auth {a:?}\n");
        }
        for a in self.anomalies() {
            s += &format!("anomaly {a}\n");
        }
        for e in &self.exp {
            s += &format!("expect {e:?}\n");
        }
        s
    }
}

/// xorshift64*: a fixed-seed PRNG for the fuzz-style tests (std only).
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
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Random bytes, fewer than `max`.
    pub fn blob(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        self.bytes(n)
    }

    /// Mutate a valid message: flip, insert, delete, truncate or splice random bytes.
    pub fn mutate(&mut self, base: &[u8]) -> Vec<u8> {
        let mut v = base.to_vec();
        for _ in 0..1 + self.below(4) {
            match self.below(5) {
                0 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] = self.next() as u8;
                }
                1 => {
                    let i = self.below(v.len() + 1);
                    let b = self.blob(9);
                    v.splice(i..i, b);
                }
                2 if !v.is_empty() => {
                    let i = self.below(v.len());
                    let j = (i + 1 + self.below(8)).min(v.len());
                    v.drain(i..j);
                }
                3 => {
                    let n = self.below(v.len() + 1);
                    v.truncate(n);
                }
                _ if !v.is_empty() => {
                    // Interesting values: lengths and delimiters.
                    let i = self.below(v.len());
                    v[i] = [0, 0xff, b'\n', b'\r', b':', b' ', 0x7f, 0x80][self.below(8)];
                }
                _ => {}
            }
        }
        v
    }
}

/// A two-way conversation: (direction, bytes) in arrival order.
pub type Script<'a> = &'a [(Dir, &'a [u8])];

/// Run a script through a fresh dissector with segments of `chunk` bytes (0 = whole).
pub fn run_script(
    proto: &'static str,
    port: u16,
    new: fn() -> Box<dyn StreamDissector>,
    script: Script<'_>,
    chunk: usize,
) -> Harness {
    let mut h = Harness::new(proto, port);
    let mut d = new();
    for (dir, data) in script {
        if chunk == 0 {
            h.feed(d.as_mut(), *dir, data);
        } else {
            h.feed_chunks(d.as_mut(), *dir, data, chunk);
        }
    }
    h.close(d.as_mut());
    h
}

/// Growing-prefix and segmentation test: every segment size gives the same observations as
/// the whole messages, and every truncation of the conversation runs without panic.
pub fn growing_prefix(
    proto: &'static str,
    port: u16,
    new: fn() -> Box<dyn StreamDissector>,
    script: Script<'_>,
) -> Harness {
    let whole = run_script(proto, port, new, script, 0);
    let expected = whole.summary();
    let longest = script.iter().map(|(_, d)| d.len()).max().unwrap_or(1);
    for chunk in (1..=longest.min(64)).chain([longest / 2, longest]) {
        let h = run_script(proto, port, new, script, chunk.max(1));
        assert_eq!(h.summary(), expected, "segments of {chunk} bytes");
    }
    // Every prefix of the conversation (a capture cut anywhere).
    let total: usize = script.iter().map(|(_, d)| d.len()).sum();
    for cut in 0..=total {
        let mut h = Harness::new(proto, port);
        let mut d = new();
        let mut left = cut;
        for (dir, data) in script {
            let n = left.min(data.len());
            h.feed(d.as_mut(), *dir, &data[..n]);
            left -= n;
        }
        h.close(d.as_mut());
    }
    whole
}
