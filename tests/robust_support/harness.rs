//! Entry points shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`, nightly libFuzzer) and
//! the corpus replay on stable Rust (`tests/fuzz_corpus.rs`): one function per target, taking
//! the raw fuzz input. A panic anywhere below is a bug.
//!
//! ## Input format of the dissector targets
//!
//! `flags` (1 byte), then chunks: `[d|len_hi] [len_lo] bytes...` where `d` (bit 7) is the
//! direction (0 = client to server, 1 = server to client) and `len` (15 bits) the chunk length
//! (cut to what is left). A TCP chunk is one segment's payload, a UDP chunk one datagram. Seeds
//! are real conversations from `captures/` in this format (`fuzz/seeds.py`).
//!
//! Flags: bit 0 = server on a port that is not the protocol's (detection by content only);
//! bit 1 = no handshake (picked up mid-stream); bit 2 = re-segment every chunk into pieces of
//! `(flags >> 4) + 1` bytes; bit 3 = swap neighbouring segments (out of order) and retransmit
//! some; bit 6 = small `Limits` (every bound is hit sooner); bit 7 = lose one segment (a gap).
//!
//! Each dissector target runs the bytes twice: straight into a fresh dissector through the same
//! buffering contract as the engine (checking the contract on every answer), and as frames
//! through the public `Engine::process` (the real path: probing, reassembly, dispatch), then
//! builds the report and renders it.
#![allow(dead_code)]

use super::netgen::{self, Rec, TcpConv};
use otscope::analysis::Analysis;
use otscope::capture::file::FileReader;
use otscope::capture::{Frame, LinkType};
use otscope::config::{Format, Limits};
use otscope::dissect::{
    Cx, DATAGRAM_PROTOCOLS, DatagramSpec, Dir, Expectation, Parsed, STREAM_PROTOCOLS, StreamSpec,
};
use otscope::engine::Engine;
use otscope::evidence::Ev;
use otscope::inventory::observation::{Store, Transport};
use otscope::time::Timestamp;
use std::net::IpAddr;
use std::path::PathBuf;

/// Every output format of `otscope analyze`. The match is exhaustive on purpose: a new format
/// does not compile until it is listed here, so the robustness tests cover it.
pub fn all_formats() -> Vec<Format> {
    let all = [
        Format::Table,
        Format::Json,
        Format::Html,
        Format::Csv,
        Format::Markdown,
        Format::Sarif,
    ];
    for f in all {
        match f {
            Format::Table
            | Format::Json
            | Format::Html
            | Format::Csv
            | Format::Markdown
            | Format::Sarif => {}
        }
    }
    all.to_vec()
}

/// Render a report in a format the library can render (formats without their own renderer in
/// this build fall back to JSON, as `otscope::run` does).
pub fn render(r: &otscope::report::Report, f: Format) -> String {
    own_render(r, f).unwrap_or_else(|| otscope::report::json::render(r))
}

/// The output of a format's own renderer; `None` where this build has none (JSON is used).
pub fn own_render(r: &otscope::report::Report, f: Format) -> Option<String> {
    match f {
        Format::Table => Some(otscope::report::table::render(r)),
        Format::Json => Some(otscope::report::json::render(r)),
        Format::Html | Format::Csv | Format::Markdown | Format::Sarif => None,
    }
}

/// Small bounds: every limit is hit with little input.
pub fn small_limits() -> Limits {
    Limits {
        max_flows: 16,
        max_ooo_bytes_per_dir: 4096,
        max_ooo_segments_per_dir: 4,
        max_pdu_bytes: 2048,
        max_open_transactions: 8,
        max_frag_datagrams: 4,
        max_frag_bytes: 64 * 1024,
        max_conversations: 32,
        max_hosts: 32,
        max_observations: 256,
        max_evidence_frames: 2,
        max_vlan_tags: 2,
        max_ipv6_ext_headers: 3,
        ..Limits::default()
    }
}

pub struct Chunk<'a> {
    pub to_client: bool,
    pub data: &'a [u8],
}

/// Split a dissector-target input into flags and chunks (at most 4096 chunks).
pub fn chunks(input: &[u8]) -> (u8, Vec<Chunk<'_>>) {
    let Some((&flags, mut rest)) = input.split_first() else {
        return (0, Vec::new());
    };
    let mut v = Vec::new();
    while rest.len() >= 2 && v.len() < 4096 {
        let len = (((rest[0] & 0x7f) as usize) << 8) | rest[1] as usize;
        let to_client = rest[0] & 0x80 != 0;
        let body = &rest[2..];
        let n = len.min(body.len());
        v.push(Chunk {
            to_client,
            data: &body[..n],
        });
        rest = &body[n..];
    }
    if !rest.is_empty() {
        v.push(Chunk {
            to_client: false,
            data: rest,
        });
    }
    (flags, v)
}

/// Encode chunks in the input format (used to write seeds and regression inputs).
pub fn encode(flags: u8, chunks: &[(bool, &[u8])]) -> Vec<u8> {
    let mut v = vec![flags];
    for (to_client, data) in chunks {
        for piece in data.chunks(0x7fff) {
            let len = piece.len();
            v.push(((len >> 8) as u8 & 0x7f) | if *to_client { 0x80 } else { 0 });
            v.push(len as u8);
            v.extend_from_slice(piece);
        }
    }
    v
}

fn limits_for(flags: u8) -> Limits {
    if flags & 0x40 != 0 {
        small_limits()
    } else {
        Limits::default()
    }
}

pub fn stream_spec(proto: &str) -> &'static StreamSpec {
    STREAM_PROTOCOLS
        .iter()
        .find(|s| s.proto == proto)
        .unwrap_or_else(|| panic!("no TCP dissector {proto}"))
}

pub fn datagram_spec(proto: &str) -> &'static DatagramSpec {
    DATAGRAM_PROTOCOLS
        .iter()
        .find(|s| s.proto == proto)
        .unwrap_or_else(|| panic!("no UDP dissector {proto}"))
}

const CLIENT: (IpAddr, u16) = (IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 1, 10)), 49_152);
const SERVER_IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 2, 20));

fn ev(frame: u64) -> Ev {
    Ev {
        input: 0,
        frame,
        ts: Timestamp(1_700_000_000_000_000_000 + frame),
    }
}

/// The engine's caller-side buffering (src/engine.rs `feed`), with the contract checked on
/// every answer of the dissector.
struct Feeder {
    buf: [Vec<u8>; 2],
    need: [usize; 2],
    done: bool,
}

fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

impl Feeder {
    fn feed(
        &mut self,
        ds: &mut dyn otscope::dissect::StreamDissector,
        dir: Dir,
        data: &[u8],
        cx: &mut Cx<'_>,
    ) {
        if self.done {
            return;
        }
        let d = di(dir);
        let max = cx.limits.max_pdu_bytes;
        self.buf[d].extend_from_slice(data);
        if self.buf[d].len() < self.need[d] {
            return;
        }
        let input = std::mem::take(&mut self.buf[d]);
        let mut off = 0usize;
        let mut need = 0usize;
        let mut calls = 0usize;
        while off < input.len() {
            calls += 1;
            assert!(
                calls <= input.len() + 2,
                "dissector loops without consuming"
            );
            let avail = input.len() - off;
            match ds.parse(dir, &input[off..], cx) {
                Parsed::Consumed(n) => {
                    assert!(n <= avail, "Consumed({n}) of {avail} bytes given");
                    if n == 0 {
                        need = avail + 1;
                        break;
                    }
                    off += n;
                }
                Parsed::NeedMore { consumed, needed } => {
                    assert!(
                        consumed <= avail,
                        "NeedMore consumed {consumed} of {avail} bytes given"
                    );
                    off += consumed;
                    need = needed;
                    break;
                }
                Parsed::Desync { consumed } => {
                    assert!(
                        consumed <= avail,
                        "Desync consumed {consumed} of {avail} bytes given"
                    );
                    self.done = true;
                    return;
                }
            }
        }
        let rest = input.len() - off;
        if need > max || rest > max {
            ds.gap(dir, rest as u32, cx);
            self.need[d] = 0;
            return;
        }
        self.buf[d] = input[off..].to_vec();
        self.need[d] = need;
    }
}

fn dir_of(c: &Chunk<'_>) -> Dir {
    if c.to_client {
        Dir::ToClient
    } else {
        Dir::ToServer
    }
}

/// A fresh TCP dissector fed the chunks directly (the probe is asked too, for coverage).
pub fn stream_direct(spec: &StreamSpec, flags: u8, chunks: &[Chunk<'_>], limits: &Limits) -> Store {
    let mut store = Store::new(limits.max_observations, limits.max_evidence_frames);
    let mut expect: Vec<Expectation> = Vec::new();
    let port_match = flags & 1 == 0;
    let server = (
        SERVER_IP,
        if port_match {
            spec.ports.first().copied().unwrap_or(1)
        } else {
            40_000
        },
    );
    let mut ds = (spec.new)();
    let mut f = Feeder {
        buf: [Vec::new(), Vec::new()],
        need: [0, 0],
        done: false,
    };
    // The protocol a dissector refines (`set_proto`) stays the flow's, as in the engine.
    let mut proto = spec.proto;
    for (i, c) in chunks.iter().enumerate() {
        let dir = dir_of(c);
        let _ = (spec.probe)(dir, c.data, port_match);
        let mut cx = Cx::new(
            CLIENT,
            server,
            Transport::Tcp,
            proto,
            ev(i as u64 + 1),
            limits,
            &mut store,
            &mut expect,
        );
        if flags & 0x80 != 0 && i == 1 {
            // A gap: what was buffered is dropped, the dissector is told.
            f.buf[di(dir)].clear();
            f.need[di(dir)] = 0;
            ds.gap(dir, c.data.len() as u32, &mut cx);
            proto = cx.proto;
            continue;
        }
        f.feed(ds.as_mut(), dir, c.data, &mut cx);
        proto = cx.proto;
    }
    let mut cx = Cx::new(
        CLIENT,
        server,
        Transport::Tcp,
        proto,
        ev(0),
        limits,
        &mut store,
        &mut expect,
    );
    ds.close(&mut cx);
    store
}

/// Frames of a TCP session carrying the chunks (segmentation, order, loss as the flags say).
pub fn tcp_session(server_port: u16, flags: u8, chunks: &[Chunk<'_>]) -> Vec<Rec> {
    let mut conv = TcpConv::new(CLIENT, (SERVER_IP, server_port), 0xfffff000, 0x7fff_fff0);
    let mut recs = if flags & 2 == 0 {
        conv.handshake()
    } else {
        Vec::new()
    };
    let piece = if flags & 4 != 0 {
        ((flags >> 4) as usize & 3) + 1
    } else {
        usize::MAX
    };
    let mut segs = Vec::new();
    for c in chunks {
        if c.data.is_empty() {
            continue;
        }
        for p in c.data.chunks(piece.min(c.data.len())) {
            segs.push(conv.data(!c.to_client, p));
            if segs.len() >= 8192 {
                break;
            }
        }
    }
    if flags & 8 != 0 {
        let mut i = 0;
        while i + 1 < segs.len() {
            segs.swap(i, i + 1);
            if i % 3 == 0 {
                let dup = segs[i].clone();
                segs.push(dup);
            }
            i += 2;
        }
    }
    if flags & 0x80 != 0 && segs.len() > 2 {
        segs.remove(1);
    }
    recs.extend(segs);
    recs.extend(conv.close());
    recs
}

/// Run frames through one engine and return the analysis (no input files).
pub fn run_engine(link: LinkType, recs: &[Rec], limits: &Limits) -> Analysis {
    let mut engine = Engine::new(limits);
    for (i, r) in recs.iter().enumerate() {
        engine.process(&Frame {
            input: 0,
            number: i as u64 + 1,
            ts: Timestamp(r.ts_ns),
            link,
            data: &r.data,
            orig_len: r.orig_len.max(r.data.len() as u32),
        });
    }
    let sh = engine.finish();
    Analysis {
        inputs: Vec::new(),
        input_errors: Vec::new(),
        skipped: Vec::new(),
        store: sh.store,
        hosts: sh.hosts,
        convs: sh.convs,
        counters: sh.counters,
        threads: 1,
    }
}

/// The built-in signatures, loaded once (parsing the OUI table takes milliseconds).
pub fn sigs() -> &'static otscope::inventory::signatures::Signatures {
    static S: std::sync::OnceLock<otscope::inventory::signatures::Signatures> =
        std::sync::OnceLock::new();
    S.get_or_init(otscope::inventory::signatures::Signatures::builtin)
}

/// Inventory, zones, findings and every renderer, over an analysis. Returns the JSON.
pub fn report_all(a: &Analysis) -> String {
    let sigs = sigs();
    let mut json = String::new();
    for show in [false, true] {
        let r = otscope::build_report(a, sigs, None, show);
        for f in all_formats() {
            if let Some(s) = own_render(&r, f) {
                if f == Format::Json && !show {
                    json = s;
                }
            }
        }
    }
    json
}

/// Fuzz target body for one TCP dissector.
pub fn stream_target(proto: &str, input: &[u8]) {
    let spec = stream_spec(proto);
    let (flags, chunks) = chunks(input);
    let limits = limits_for(flags);
    stream_direct(spec, flags, &chunks, &limits);
    let port = if flags & 1 == 0 {
        spec.ports.first().copied().unwrap_or(1)
    } else {
        40_000
    };
    let recs = tcp_session(port, flags, &chunks);
    let a = run_engine(LinkType::Ethernet, &recs, &limits);
    check_bounds(&a, &limits);
    report_all(&a);
}

/// Fuzz target body for one UDP dissector: probe + a fresh dissector, then frames.
pub fn datagram_target(proto: &str, input: &[u8]) {
    let spec = datagram_spec(proto);
    let (flags, chunks) = chunks(input);
    let limits = limits_for(flags);
    let port_match = flags & 1 == 0;
    let port = if port_match {
        spec.ports.first().copied().unwrap_or(1)
    } else {
        40_000
    };
    let server = (SERVER_IP, port);
    let mut store = Store::new(limits.max_observations, limits.max_evidence_frames);
    let mut expect = Vec::new();
    let mut d = (spec.new)();
    for (i, c) in chunks.iter().enumerate() {
        let dir = dir_of(c);
        let _ = (spec.probe)(dir, c.data, port_match);
        let mut cx = Cx::new(
            CLIENT,
            server,
            Transport::Udp,
            spec.proto,
            ev(i as u64 + 1),
            &limits,
            &mut store,
            &mut expect,
        );
        d.datagram(dir, c.data, &mut cx);
    }
    let mut cx = Cx::new(
        CLIENT,
        server,
        Transport::Udp,
        spec.proto,
        ev(0),
        &limits,
        &mut store,
        &mut expect,
    );
    d.close(&mut cx);
    // The engine path: datagrams between the client and the server port.
    let mut recs = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let (s, dst) = if c.to_client {
            (server, CLIENT)
        } else {
            (CLIENT, server)
        };
        let u = netgen::udp(s.1, dst.1, c.data);
        recs.push(Rec::new(
            1_700_000_000_000_000_000 + i as u64 * 1000,
            netgen::ip_frame(s.0, dst.0, 17, &u),
        ));
    }
    let a = run_engine(LinkType::Ethernet, &recs, &limits);
    check_bounds(&a, &limits);
    report_all(&a);
}

/// L2 discovery (LLDP, PROFINET DCP, CDP): each chunk is the payload of one frame; flags bits
/// 0-1 choose the encapsulation (3 = the chunk's first two bytes are the EtherType).
pub fn discovery_target(input: &[u8]) {
    let (flags, chunks) = chunks(input);
    let limits = limits_for(flags);
    let mut recs = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let src = netgen::mac(0x10 + (i as u32 % 3));
        let frame = match flags & 3 {
            0 => netgen::ethernet(
                src,
                [0x01, 0x80, 0xc2, 0, 0, 0x0e],
                &[],
                netgen::ETH_LLDP,
                c.data,
            ),
            1 => netgen::ethernet(
                src,
                [0x01, 0x0e, 0xcf, 0, 0, 0],
                &[],
                netgen::ETH_PROFINET,
                c.data,
            ),
            2 => {
                // 802.3 length + LLC/SNAP with the Cisco OUI and PID 0x2000 (CDP).
                let mut p = vec![0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0x00];
                p.extend_from_slice(c.data);
                let len = (p.len().min(1500)) as u16;
                let mut f = Vec::new();
                f.extend_from_slice(&[0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc]);
                f.extend_from_slice(&src);
                f.extend_from_slice(&len.to_be_bytes());
                f.extend_from_slice(&p);
                f
            }
            _ => {
                let (et, body) = if c.data.len() >= 2 {
                    (u16::from_be_bytes([c.data[0], c.data[1]]), &c.data[2..])
                } else {
                    (0x0800, c.data)
                };
                netgen::ethernet(src, netgen::mac(1), &[], et, body)
            }
        };
        recs.push(Rec::new(1_700_000_000_000_000_000 + i as u64 * 1000, frame));
    }
    let a = run_engine(LinkType::Ethernet, &recs, &limits);
    check_bounds(&a, &limits);
    report_all(&a);
}

/// The bounds every analysis must respect, whatever the input.
pub fn check_bounds(a: &Analysis, l: &Limits) {
    assert!(
        a.counters.flow_table.peak <= l.max_flows as u64,
        "flow table above max_flows"
    );
    let s = &a.store;
    let entries = s.claims.len() + s.ops.len() + s.auths.len() + s.facts.len() + s.anomalies.len();
    assert!(
        entries <= l.max_observations,
        "{entries} observations above max_observations"
    );
    assert!(a.hosts.ips.len() <= l.max_hosts, "hosts above max_hosts");
    assert!(
        a.convs.map.len() <= l.max_conversations,
        "conversations above max_conversations"
    );
    for (_, c) in s.claims.iter() {
        assert!(c.evidence.frames.len() <= l.max_evidence_frames);
    }
}

// ---------------------------------------------------------------------------------------------
// Capture readers and the whole pipeline: the bytes go through a file, as they do in use.

/// A scratch file for this process and tag (in `$OTSCOPE_FUZZ_TMP`, else the temp dir).
pub fn scratch(tag: &str, ext: &str) -> PathBuf {
    let dir = std::env::var_os("OTSCOPE_FUZZ_TMP")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let t = std::thread::current().id();
    dir.join(
        format!("otscope-fuzz-{}-{tag}-{t:?}.{ext}", std::process::id()).replace(['(', ')'], ""),
    )
}

/// Everything a reader yields for a file, for comparing two reads.
#[derive(Debug, PartialEq)]
pub struct ReadOut {
    pub frames: Vec<(u64, u64, LinkType, u32, Vec<u8>)>,
    pub stopped: Option<otscope::capture::Stop>,
    pub packets: u64,
}

/// Read a capture file completely with the given block size.
pub fn read_file(path: &std::path::Path, block: usize, max_record: usize) -> Option<ReadOut> {
    let mut r = FileReader::open(path, 0, max_record).ok()?;
    let mut frames = Vec::new();
    let mut buf = Vec::new();
    let mut blocks = 0u64;
    while let Some(b) = r.next_block(buf, block) {
        blocks += 1;
        assert!(blocks < 10_000_000, "reader does not progress");
        for i in 0..b.recs.len() {
            let f = b.frame(i);
            assert!(f.data.len() <= max_record, "record above max_record_bytes");
            frames.push((f.number, f.ts.0, f.link, f.orig_len, f.data.to_vec()));
        }
        buf = b.data;
    }
    let s = r.summary();
    assert_eq!(s.packets, frames.len() as u64);
    Some(ReadOut {
        frames,
        stopped: s.stopped,
        packets: s.packets,
    })
}

/// Capture reader target: the bytes as a file, read with two block sizes (the result must not
/// depend on where block boundaries fall).
pub fn capture_target(tag: &str, bytes: &[u8]) {
    let p = scratch(tag, "cap");
    std::fs::write(&p, bytes).expect("scratch file");
    let small = 64 + (bytes.len() % 977);
    let a = read_file(&p, small, 64 * 1024);
    let b = read_file(&p, 4 << 20, 64 * 1024);
    let _ = std::fs::remove_file(&p);
    match (a, b) {
        (Some(a), Some(b)) => {
            assert_eq!(a.frames, b.frames, "records depend on the block size");
            assert_eq!(a.stopped, b.stopped, "stop depends on the block size");
        }
        (None, None) => {}
        _ => panic!("open succeeded once and failed once"),
    }
}

/// A pcap or pcapng target input.
pub fn pcap_target(input: &[u8]) {
    capture_target("pcap", input);
}

/// pcapng: the input is used as is when it starts with a Section Header Block, else a minimal
/// SHB and IDB (Ethernet) are put before it, so the fuzzer works on blocks.
pub fn pcapng_target(input: &[u8]) {
    if input.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        capture_target("pcapng", input);
    } else {
        let mut v = pcapng_prefix();
        v.extend_from_slice(input);
        capture_target("pcapng", &v);
    }
}

/// Section Header Block (little-endian, no options) + Interface Description Block (Ethernet).
pub fn pcapng_prefix() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0x0a0d0d0au32.to_le_bytes());
    v.extend_from_slice(&28u32.to_le_bytes());
    v.extend_from_slice(&0x1a2b3c4du32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(&u64::MAX.to_le_bytes());
    v.extend_from_slice(&28u32.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&20u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&20u32.to_le_bytes());
    v
}

/// gzip: inputs that are gzip already are used as is; others are compressed, and the last byte
/// chooses where to cut the compressed stream (255 = not cut).
pub fn gzip_target(input: &[u8]) {
    use std::io::Write;
    if input.starts_with(&[0x1f, 0x8b]) {
        capture_target("gzip", input);
        return;
    }
    let Some((&cut, body)) = input.split_last() else {
        return;
    };
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body).expect("gzip in memory");
    let mut gz = e.finish().expect("gzip in memory");
    if cut != 255 {
        let n = gz.len() * cut as usize / 255;
        gz.truncate(n.max(2));
    }
    capture_target("gzip", &gz);
}

/// The whole pipeline from a file: analysis, inventory, zones, findings, every renderer.
pub fn pipeline_path(path: &std::path::Path, limits: &Limits) -> Option<String> {
    let a = otscope::analysis::analyze(&[path.to_path_buf()], limits, 1, None);
    check_bounds(&a, limits);
    if a.inputs.is_empty() {
        return None;
    }
    Some(report_all(&a))
}

/// Whole pipeline over the raw bytes as a capture file (pcap, pcapng or gzip by content).
pub fn pipeline_file_target(input: &[u8]) {
    let p = scratch("pipeline", "cap");
    std::fs::write(&p, input).expect("scratch file");
    let limits = if input.len() % 2 == 1 {
        small_limits()
    } else {
        Limits::default()
    };
    pipeline_path(&p, &limits);
    let _ = std::fs::remove_file(&p);
}

/// Whole pipeline with a valid pcap header (link type from the first byte) before the input,
/// which is read as records.
pub fn pipeline_records_target(input: &[u8]) {
    let Some((&sel, body)) = input.split_first() else {
        return;
    };
    let link = [
        netgen::LINK_ETHERNET,
        netgen::LINK_RAW,
        netgen::LINK_SLL,
        netgen::LINK_SLL2,
        netgen::LINK_NULL,
    ][sel as usize % 5];
    let mut v = netgen::pcap_header(link);
    v.extend_from_slice(body);
    let p = scratch("records", "pcap");
    std::fs::write(&p, &v).expect("scratch file");
    let limits = if sel & 0x80 != 0 {
        small_limits()
    } else {
        Limits::default()
    };
    pipeline_path(&p, &limits);
    let _ = std::fs::remove_file(&p);
}

/// Frames straight into the engine (chunks are whole frames of the link type chosen by flag
/// bits 0-2), then the report: decoding, VLANs, IPv6 extension headers, fragments, flows.
pub fn frames_target(input: &[u8]) {
    let (flags, chunks) = chunks(input);
    let limits = limits_for(flags);
    let link = [
        LinkType::Ethernet,
        LinkType::Raw,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Null,
        LinkType::Loop,
        LinkType::Ipv4,
        LinkType::Ipv6,
    ][flags as usize & 7];
    let recs: Vec<Rec> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut r = Rec::new(
                1_700_000_000_000_000_000 + (i as u64) * 1_000_000,
                c.data.to_vec(),
            );
            if c.to_client {
                // Cut by the snap length: the wire was longer.
                r.orig_len = c.data.len() as u32 + 100;
            }
            r
        })
        .collect();
    let a = run_engine(link, &recs, &limits);
    check_bounds(&a, &limits);
    report_all(&a);
}

// ---------------------------------------------------------------------------------------------
// The target table: fuzz target name (`fuzz/fuzz_targets/<name>.rs`, `fuzz/replay/<name>/`)
// and its body.

macro_rules! stream_targets {
    ($($name:ident => $proto:expr),* $(,)?) => {
        $(pub fn $name(input: &[u8]) { stream_target($proto, input) })*
    };
}
macro_rules! datagram_targets {
    ($($name:ident => $proto:expr),* $(,)?) => {
        $(pub fn $name(input: &[u8]) { datagram_target($proto, input) })*
    };
}

pub mod t {
    use super::{datagram_target, stream_target};
    stream_targets! {
        tcp_ssh => "ssh", tcp_vnc => "vnc", tcp_opcua => "opcua", tcp_tls => "tls",
        tcp_rdp => "rdp", tcp_s7 => "s7comm", tcp_enip => "enip", tcp_modbus => "modbus",
        tcp_http => "http", tcp_ftp => "ftp", tcp_telnet => "telnet",
        tcp_teamviewer => "teamviewer",
    }
    datagram_targets! {
        udp_enip => "enip", udp_cip_io => "cip_io", udp_snmp => "snmp", udp_tftp => "tftp",
        udp_teamviewer => "teamviewer", udp_dhcp => "dhcp", udp_nbns => "netbios-ns",
        udp_dns => "dns", udp_mdns => "mdns", udp_ssdp => "ssdp",
    }
}

pub type Target = fn(&[u8]);

/// Every fuzz target, by name.
pub fn targets() -> Vec<(&'static str, Target)> {
    vec![
        ("tcp_ssh", t::tcp_ssh),
        ("tcp_vnc", t::tcp_vnc),
        ("tcp_opcua", t::tcp_opcua),
        ("tcp_tls", t::tcp_tls),
        ("tcp_rdp", t::tcp_rdp),
        ("tcp_s7", t::tcp_s7),
        ("tcp_enip", t::tcp_enip),
        ("tcp_modbus", t::tcp_modbus),
        ("tcp_http", t::tcp_http),
        ("tcp_ftp", t::tcp_ftp),
        ("tcp_telnet", t::tcp_telnet),
        ("tcp_teamviewer", t::tcp_teamviewer),
        ("udp_enip", t::udp_enip),
        ("udp_cip_io", t::udp_cip_io),
        ("udp_snmp", t::udp_snmp),
        ("udp_tftp", t::udp_tftp),
        ("udp_teamviewer", t::udp_teamviewer),
        ("udp_dhcp", t::udp_dhcp),
        ("udp_nbns", t::udp_nbns),
        ("udp_dns", t::udp_dns),
        ("udp_mdns", t::udp_mdns),
        ("udp_ssdp", t::udp_ssdp),
        ("l2_discovery", discovery_target),
        ("capture_pcap", pcap_target),
        ("capture_pcapng", pcapng_target),
        ("capture_gzip", gzip_target),
        ("pipeline_file", pipeline_file_target),
        ("pipeline_records", pipeline_records_target),
        ("pipeline_frames", frames_target),
    ]
}
