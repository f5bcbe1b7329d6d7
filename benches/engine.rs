//! Micro-benchmarks of the per-packet path: decode, flow lookup, reassembly, each dissector
//! on its own (every TCP and UDP dissector with shipped traffic: `dissector/*` and
//! `datagram/*`), and the whole engine per protocol (frames held in memory, no I/O).
//!
//! ```text
//! cargo bench --bench engine                 # all
//! cargo bench --bench engine -- dissector    # one group
//! ```
//!
//! Inputs are the shipped captures (`captures/`), read once before timing. Whole-file
//! throughput of the binary against tshark and Suricata is `scripts/bench.sh`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use otscope::capture::LinkType;
use otscope::capture::file::FileReader;
use otscope::config::Limits;
use otscope::decode::{self, L4, Net};
use otscope::dissect::{
    Cx, DATAGRAM_PROTOCOLS, DatagramSpec, Dir, Expectation, Parsed, STREAM_PROTOCOLS,
};
use otscope::engine::Engine;
use otscope::evidence::Ev;
use otscope::flow::reassembly::{Stream, StreamLimits};
use otscope::flow::{FlowKey, FlowTable, Initiator};
use otscope::inventory::observation::{Store, Transport};
use otscope::time::Timestamp;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// A frame held in memory: (link, timestamp, bytes, wire length).
type Held = (LinkType, Timestamp, Vec<u8>, u32);

fn load(path: &Path) -> Vec<Held> {
    let Ok(mut r) = FileReader::open(path, 0, 1 << 20) else {
        return Vec::new();
    };
    let mut v = Vec::new();
    let mut buf = Vec::new();
    while let Some(b) = r.next_block(buf, 4 << 20) {
        for i in 0..b.recs.len() {
            let f = b.frame(i);
            v.push((f.link, f.ts, f.data.to_vec(), f.orig_len));
        }
        buf = b.data;
    }
    v
}

fn captures(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.to_str().is_some_and(|s| s.contains(".pcap")));
    v.sort();
    v
}

fn frames_of(dir: &str) -> Vec<Held> {
    captures(dir).iter().flat_map(|p| load(p)).collect()
}

fn bytes(frames: &[Held]) -> u64 {
    frames.iter().map(|f| f.2.len() as u64 + 16).sum()
}

fn bench_decode(c: &mut Criterion) {
    let frames = frames_of("captures/public/modbus");
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("modbus_captures_l2_to_l4", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for (link, _, d, orig) in &frames {
                let cut = (d.len() as u32) < *orig;
                if let Ok(p) = decode::decode(*link, d, cut, 4, 8) {
                    if let Net::Ip(ip) = p.net {
                        if let Ok(L4::Tcp(t)) = decode::l4(&ip) {
                            n += t.payload.len() as u64;
                        }
                    }
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

fn bench_flow_lookup(c: &mut Criterion) {
    const N: u32 = 10_000;
    let mut table: FlowTable<()> = FlowTable::new(1_000_000, 600, 30);
    let ev = Ev::default();
    let key = |i: u32| {
        FlowKey::new(
            IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)),
            40_000 + (i % 20_000) as u16,
            IpAddr::V4(Ipv4Addr::new(10, 200, 0, (i % 250) as u8)),
            502,
            6,
        )
    };
    for i in 0..N {
        let (k, _) = key(i);
        table.create(k, 0, Initiator::Syn, ev);
    }
    // Packets in both directions, spread over the table.
    let probes: Vec<FlowKey> = (0..4096u32)
        .map(|j| {
            let i = j.wrapping_mul(2_654_435_761) % N;
            let (k, _) = key(i);
            k
        })
        .collect();
    let mut g = c.benchmark_group("flow");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("lookup_10k_flows", |b| {
        b.iter(|| {
            let mut hit = 0u32;
            for k in &probes {
                hit += table.get(k).is_some() as u32;
            }
            black_box(hit)
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("key_from_packet", |b| {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 1, 20));
        let s = IpAddr::V4(Ipv4Addr::new(10, 0, 1, 10));
        b.iter(|| black_box(FlowKey::new(black_box(a), 51_000, black_box(s), 502, 6)))
    });
    g.finish();
}

fn bench_reassembly(c: &mut Criterion) {
    let seg = vec![0x5au8; 100];
    let lim = StreamLimits {
        max_bytes: 256 * 1024,
        max_segments: 64,
    };
    let mut g = c.benchmark_group("reassembly");
    g.throughput(Throughput::Bytes(1000 * 100));
    g.bench_function("in_order_1000x100B", |b| {
        b.iter(|| {
            let mut s = Stream::new();
            s.syn(1000);
            let mut got = 0usize;
            for i in 0..1000u32 {
                s.segment(1001 + i * 100, &seg, 100, lim, &mut |e| {
                    if let otscope::flow::reassembly::StreamEvent::Data(d) = e {
                        got += d.len();
                    }
                });
            }
            black_box(got)
        })
    });
    g.bench_function("swapped_pairs_1000x100B", |b| {
        b.iter(|| {
            let mut s = Stream::new();
            s.syn(1000);
            let mut got = 0usize;
            for i in (0..1000u32).step_by(2) {
                for j in [i + 1, i] {
                    s.segment(1001 + j * 100, &seg, 100, lim, &mut |e| {
                        if let otscope::flow::reassembly::StreamEvent::Data(d) = e {
                            got += d.len();
                        }
                    });
                }
            }
            black_box(got)
        })
    });
    g.finish();
}

/// The TCP payload segments (`proto` 6) or UDP datagrams (17) to or from `ports`, in capture
/// order, as (flow number, direction, bytes): a flow per address and port pair, as the engine
/// keeps them. Retransmissions are not removed (the shipped captures used here have few); the
/// benchmark is about parsing cost.
fn payloads(frames: &[Held], ports: &[u16], proto: u8) -> Vec<(usize, Dir, Vec<u8>)> {
    let mut flows: Vec<FlowKey> = Vec::new();
    let mut out = Vec::new();
    for (link, _, d, orig) in frames {
        let cut = (d.len() as u32) < *orig;
        let Ok(p) = decode::decode(*link, d, cut, 4, 8) else {
            continue;
        };
        let Net::Ip(ip) = p.net else { continue };
        let (sport, dport, payload) = match decode::l4(&ip) {
            Ok(L4::Tcp(t)) if proto == 6 => (t.sport, t.dport, t.payload),
            Ok(L4::Udp(u)) if proto == 17 => (u.sport, u.dport, u.payload),
            _ => continue,
        };
        if payload.is_empty() || !(ports.contains(&dport) || ports.contains(&sport)) {
            continue;
        }
        let (key, _) = FlowKey::new(ip.src, sport, ip.dst, dport, proto);
        let n = match flows.iter().position(|k| *k == key) {
            Some(n) => n,
            None => {
                flows.push(key);
                flows.len() - 1
            }
        };
        let dir = if ports.contains(&dport) {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        out.push((n, dir, payload.to_vec()));
    }
    out
}

/// Feed segments to fresh dissectors the way the engine does (a buffer per direction for a
/// PDU split across segments).
fn run_dissector(proto: &str, segs: &[(usize, Dir, Vec<u8>)], limits: &Limits) -> usize {
    let spec = STREAM_PROTOCOLS
        .iter()
        .find(|s| s.proto == proto)
        .expect("known protocol");
    let mut store = Store::new(limits.max_observations, limits.max_evidence_frames);
    let mut exp = Vec::new();
    let flows = segs.iter().map(|s| s.0).max().map_or(0, |m| m + 1);
    let mut state: Vec<_> = (0..flows)
        .map(|_| ((spec.new)(), [Vec::<u8>::new(), Vec::new()], false))
        .collect();
    for (i, (n, dir, data)) in segs.iter().enumerate() {
        let (ds, bufs, dead) = &mut state[*n];
        if *dead {
            continue;
        }
        let at = (i, spec.ports[0], Transport::Tcp, spec.proto);
        let mut cx = bench_cx(at, limits, &mut store, &mut exp);
        let d = (*dir == Dir::ToClient) as usize;
        bufs[d].extend_from_slice(data);
        let mut off = 0;
        while off < bufs[d].len() {
            match ds.parse(*dir, &bufs[d][off..], &mut cx) {
                Parsed::Consumed(0) => break,
                Parsed::Consumed(k) => off += k,
                Parsed::NeedMore { consumed, .. } => {
                    off += consumed;
                    break;
                }
                Parsed::Desync { .. } => {
                    *dead = true;
                    break;
                }
            }
        }
        let off = off.min(bufs[d].len());
        bufs[d].drain(..off);
    }
    store.ops.len() + store.claims.len()
}

/// Shipped captures with traffic of each stream dissector.
const STREAM_INPUTS: &[(&str, &[&str])] = &[
    ("modbus", &["captures/public/modbus"]),
    (
        "s7comm",
        &["captures/public/s7comm", "captures/public/s7comm-plus"],
    ),
    ("enip", &["captures/public/enip"]),
    ("opcua", &["captures/public/opcua"]),
    ("http", &["captures/public/it-http"]),
    ("ssh", &["captures/public/it-ssh"]),
    ("ftp", &["captures/public/it-ftp"]),
    ("telnet", &["captures/public/it-telnet"]),
    ("vnc", &["captures/public/it-vnc"]),
    ("rdp", &["captures/public/it-rdp"]),
    ("tls", &["tests/data/tls"]),
];

fn bench_dissectors(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("dissector");
    for spec in STREAM_PROTOCOLS {
        let Some((_, dirs)) = STREAM_INPUTS.iter().find(|(p, _)| *p == spec.proto) else {
            eprintln!("dissector/{}: no shipped capture, not measured", spec.proto);
            continue;
        };
        let frames: Vec<Held> = dirs.iter().flat_map(|d| frames_of(d)).collect();
        let segs = payloads(&frames, spec.ports, 6);
        measure(&mut g, "dissector", spec.proto, &segs, |segs| {
            run_dissector(spec.proto, segs, &limits)
        });
    }
    g.finish();
}

/// Payloads of one protocol, as [`payloads`] gives them.
type Payloads = [(usize, Dir, Vec<u8>)];

/// Benchmark `run` over `items` in group `g` (throughput in payload bytes), or say that the
/// shipped captures have no traffic of `proto`.
fn measure(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    group: &str,
    proto: &str,
    items: &Payloads,
    run: impl Fn(&Payloads) -> usize,
) {
    if items.is_empty() {
        eprintln!("{group}/{proto}: no shipped traffic on its ports, not measured");
        return;
    }
    let n: usize = items.iter().map(|s| s.2.len()).sum();
    g.throughput(Throughput::Bytes(n as u64));
    g.bench_with_input(BenchmarkId::from_parameter(proto), items, |b, items| {
        b.iter(|| black_box(run(items)))
    });
}

/// The context of the `i`-th payload of a bench run: client 10.0.0.2:50000 to the server
/// 10.0.0.1 on `port`, frame `i + 1`, 1 µs apart.
fn bench_cx<'a>(
    (i, port, transport, proto): (usize, u16, Transport, &'static str),
    limits: &'a Limits,
    store: &'a mut Store,
    exp: &'a mut Vec<Expectation>,
) -> Cx<'a> {
    let ev = Ev {
        input: 0,
        frame: i as u64 + 1,
        ts: Timestamp(i as u64 * 1000),
    };
    let client = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 50_000);
    let server = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), port);
    Cx::new(client, server, transport, proto, ev, limits, store, exp)
}

/// Feed datagrams to fresh dissectors, one per flow, the way the engine does.
fn run_datagrams(spec: &DatagramSpec, dgs: &Payloads, limits: &Limits) -> usize {
    let mut store = Store::new(limits.max_observations, limits.max_evidence_frames);
    let mut exp = Vec::new();
    let flows = dgs.iter().map(|s| s.0).max().map_or(0, |m| m + 1);
    let mut state: Vec<_> = (0..flows).map(|_| (spec.new)()).collect();
    for (i, (n, dir, data)) in dgs.iter().enumerate() {
        let at = (i, spec.ports[0], Transport::Udp, spec.proto);
        let mut cx = bench_cx(at, limits, &mut store, &mut exp);
        state[*n].datagram(*dir, data, &mut cx);
    }
    store.ops.len() + store.claims.len() + store.facts.len()
}

fn bench_datagrams(c: &mut Criterion) {
    let limits = Limits::default();
    let mut frames: Vec<Held> = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("captures/public")
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.push("captures/generated".into());
    dirs.push("captures/demo".into());
    dirs.push("tests/data/tftp".into());
    dirs.sort();
    for d in &dirs {
        if let Some(d) = d.to_str() {
            frames.extend(frames_of(d));
        }
    }
    let mut g = c.benchmark_group("datagram");
    for spec in DATAGRAM_PROTOCOLS {
        let dgs = payloads(&frames, spec.ports, 17);
        measure(&mut g, "datagram", spec.proto, &dgs, |dgs| {
            run_datagrams(spec, dgs, &limits)
        });
    }
    g.finish();
}

fn bench_engine(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("engine");
    g.sample_size(20);
    for name in ["modbus", "s7comm", "enip", "opcua"] {
        let frames = frames_of(&format!("captures/public/{name}"));
        g.throughput(Throughput::Bytes(bytes(&frames)));
        g.bench_with_input(BenchmarkId::from_parameter(name), &frames, |b, frames| {
            b.iter(|| {
                let mut e = Engine::new(&limits);
                for (i, (link, ts, d, orig)) in frames.iter().enumerate() {
                    e.process(&otscope::capture::Frame {
                        input: 0,
                        number: i as u64 + 1,
                        ts: *ts,
                        link: *link,
                        data: d,
                        orig_len: *orig,
                    });
                }
                black_box(e.finish().counters.frames)
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_decode,
    bench_flow_lookup,
    bench_reassembly,
    bench_dissectors,
    bench_datagrams,
    bench_engine
);
criterion_main!(benches);
