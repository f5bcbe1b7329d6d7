//! Adversarial resource tests: hostile traffic built in memory, each test asserting that memory
//! stays inside `Limits` and that the counters say what was shed.
//!
//! Memory is measured with a counting global allocator (this test binary only): it tracks the
//! bytes live on the current thread and their peak, so tests running in parallel do not see
//! each other's allocations. Each engine runs on the test's own thread.
//!
//! The SYN flood sends one million flows; run the suite with `cargo test --release` (a few
//! seconds; about ten times longer in a debug build).

mod robust_support;

use otscope::capture::{Frame, LinkType};
use otscope::config::Limits;
use otscope::decode::DecodeError;
use otscope::engine::Engine;
use otscope::flow::reassembly::{Stream, StreamEvent, StreamLimits};
use otscope::time::Timestamp;
use robust_support::harness::{self, report_all};
use robust_support::netgen::{self, ACK, PSH, Rec, SYN, TcpConv, V4, v4};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A counting allocator: the only `unsafe` in the project's tests, needed to implement
/// `GlobalAlloc`; it forwards to the system allocator and adds up sizes per thread.
#[allow(unsafe_code)]
mod alloc_count {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
    }

    fn add(d: isize) {
        let _ = LIVE.try_with(|l| {
            let v = l.get() + d;
            l.set(v);
            let _ = PEAK.try_with(|p| {
                if v > p.get() {
                    p.set(v)
                }
            });
        });
    }

    pub struct Counting;

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(l) };
            if !p.is_null() {
                add(l.size() as isize);
            }
            p
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(l) };
            if !p.is_null() {
                add(l.size() as isize);
            }
            p
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            unsafe { System.dealloc(p, l) };
            add(-(l.size() as isize));
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            let q = unsafe { System.realloc(p, l, new) };
            if !q.is_null() {
                add(new as isize - l.size() as isize);
            }
            q
        }
    }

    /// Start measuring: returns the bytes live now on this thread.
    pub fn start() -> isize {
        let live = LIVE.with(|l| l.get());
        PEAK.with(|p| p.set(live));
        live
    }

    /// Peak bytes allocated on this thread since `start` (above what was live then).
    pub fn peak_since(base: isize) -> usize {
        (PEAK.with(|p| p.get()) - base).max(0) as usize
    }
}

#[global_allocator]
static ALLOC: alloc_count::Counting = alloc_count::Counting;

const MB: usize = 1 << 20;

/// Feeds frames built on the fly to one engine (nothing is kept but the engine).
struct Feed {
    engine: Engine,
    n: u64,
    ts: u64,
}

impl Feed {
    fn new(l: &Limits) -> Feed {
        Feed {
            engine: Engine::new(l),
            n: 0,
            ts: 1_700_000_000_000_000_000,
        }
    }

    fn frame(&mut self, link: LinkType, data: &[u8], step_ns: u64) {
        self.n += 1;
        self.ts += step_ns;
        self.engine.process(&Frame {
            input: 0,
            number: self.n,
            ts: Timestamp(self.ts),
            link,
            data,
            orig_len: data.len() as u32,
        });
    }

    fn recs(&mut self, recs: &[Rec]) {
        for r in recs {
            self.frame(LinkType::Ethernet, &r.data, 1000);
        }
    }

    fn finish(self) -> otscope::analysis::Analysis {
        let sh = self.engine.finish();
        otscope::analysis::Analysis {
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
}

fn quality(a: &otscope::analysis::Analysis) -> otscope::report::CaptureQuality {
    otscope::report::capture_quality(a)
}

fn bound(a: &otscope::analysis::Analysis, name: &str) -> u64 {
    quality(a).bounds_hit.get(name).copied().unwrap_or(0)
}

fn flood_limits() -> Limits {
    Limits {
        max_flows: 10_000,
        max_hosts: 10_000,
        max_conversations: 10_000,
        max_observations: 10_000,
        ..Limits::default()
    }
}

/// `n` SYNs from distinct sources to one server port; returns the analysis and the peak bytes.
fn syn_flood(n: u32, l: &Limits) -> (otscope::analysis::Analysis, usize) {
    let base = alloc_count::start();
    let mut feed = Feed::new(l);
    let dst = Ipv4Addr::new(10, 0, 0, 1);
    let mut frame = Vec::with_capacity(64);
    for i in 0..n {
        let src = Ipv4Addr::from(0x0b00_0000 + i);
        let t = netgen::tcp(1024 + (i % 60000) as u16, 502, i, 0, SYN, &[]);
        let ip = netgen::ipv4(&V4::new(src, dst, 6), &t);
        frame.clear();
        frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
        frame.extend_from_slice(&ip);
        feed.frame(LinkType::Ethernet, &frame, 1000);
    }
    let a = feed.finish();
    (a, alloc_count::peak_since(base))
}

#[test]
fn syn_flood_of_a_million_flows_stays_inside_max_flows() {
    let l = flood_limits();
    let (small, small_peak) = syn_flood(100_000, &l);
    let (a, peak) = syn_flood(1_000_000, &l);
    let c = &a.counters;
    assert_eq!(c.flows, 1_000_000);
    assert_eq!(c.tcp, 1_000_000);
    // The table never held more than max_flows; every flow beyond was evicted and counted.
    assert_eq!(c.flow_table.peak, l.max_flows as u64);
    assert_eq!(
        c.flow_table.evicted_at_limit,
        1_000_000 - l.max_flows as u64
    );
    assert_eq!(bound(&a, "max_flows"), 990_000);
    // Hosts and conversations are bounded and what did not fit is counted.
    assert_eq!(a.hosts.ips.len(), l.max_hosts);
    assert!(bound(&a, "max_hosts") > 0);
    assert!(a.convs.map.len() <= l.max_conversations);
    assert!(bound(&a, "max_conversations") > 0);
    // Memory: ten times the flood, not ten times the memory (same bounds, same ceiling).
    assert!(
        peak < small_peak + small_peak / 2 + 2 * MB,
        "1M flows peaked at {} KiB, 100k at {} KiB",
        peak / 1024,
        small_peak / 1024
    );
    assert!(peak < 64 * MB, "peak {} MiB", peak / MB);
    assert_eq!(small.counters.flow_table.peak, l.max_flows as u64);
    // The report still renders (one asset per kept host at most).
    let json = report_all(&a);
    assert!(
        json.contains("\"max_flows\": 990000"),
        "bounds_hit in the report"
    );
}

/// One connection opened, then data after a hole the sender never fills.
#[test]
fn reassembly_bomb_first_byte_never_sent() {
    let l = Limits {
        max_ooo_bytes_per_dir: 64 * 1024,
        max_ooo_segments_per_dir: 64,
        ..Limits::default()
    };
    let base = alloc_count::start();
    let mut feed = Feed::new(&l);
    let mut conv = TcpConv::new((v4(10, 0, 0, 2), 50000), (v4(10, 0, 0, 1), 502), 1000, 9000);
    feed.recs(&conv.handshake());
    // 20 MB of segments, all starting one byte after the expected sequence number; the server
    // never acknowledges (a bomb would otherwise be cleared by the ACK).
    let seg = vec![0x41u8; 1400];
    let first = conv.seq[0].wrapping_add(1);
    for i in 0..15_000u32 {
        let seq = first.wrapping_add(i * 1400);
        let t = netgen::tcp(50000, 502, seq, 9001, PSH, &seg);
        let f = netgen::ip_frame(v4(10, 0, 0, 2), v4(10, 0, 0, 1), 6, &t);
        feed.frame(LinkType::Ethernet, &f, 1000);
    }
    let a = feed.finish();
    let peak = alloc_count::peak_since(base);
    let s = &a.counters.stream;
    // Segments were buffered until the bound, then the hole was given up on ...
    assert!(
        s.ooo_segments > l.max_ooo_segments_per_dir as u64 / 2,
        "{s:?}"
    );
    assert!(s.ooo_bound_hits > 0, "bound hit counted");
    assert!(bound(&a, "max_ooo_bytes_per_dir") > 0);
    // ... declared a gap of the one missing byte, and everything after it flowed in order.
    assert_eq!((s.gaps, s.gap_bytes), (1, 1), "{s:?}");
    assert!(
        peak < l.max_ooo_bytes_per_dir * 4 + 4 * MB,
        "peak {} KiB",
        peak / 1024
    );

    // The reassembler on its own: never more than the bound buffered, at any time.
    let lim = StreamLimits {
        max_bytes: 64 * 1024,
        max_segments: 64,
    };
    let mut st = Stream::new();
    st.syn(0);
    let mut delivered = 0usize;
    let mut gaps = 0u64;
    for i in 0..10_000u32 {
        st.segment(2 + i * 100, &[7u8; 100], 100, lim, &mut |e| match e {
            StreamEvent::Data(d) => delivered += d.len(),
            StreamEvent::Gap(n) => gaps += n as u64,
        });
        assert!(st.buffered_bytes() <= lim.max_bytes);
    }
    assert_eq!(gaps, 1, "only the first byte is missing");
    assert!(st.stats.ooo_bound_hits > 0);
    st.close(&mut |e| {
        if let StreamEvent::Data(d) = e {
            delivered += d.len()
        }
    });
    assert_eq!(
        delivered,
        10_000 * 100,
        "everything after the hole is delivered"
    );
}

/// Segments of one byte every other byte: the segment bound is hit, not the byte bound.
#[test]
fn reassembly_comb_of_tiny_segments() {
    let lim = StreamLimits {
        max_bytes: 1 << 20,
        max_segments: 16,
    };
    let base = alloc_count::start();
    let mut st = Stream::new();
    st.syn(0);
    let mut gap_bytes = 0u64;
    for i in 0..100_000u32 {
        st.segment(3 + 2 * i, b"x", 1, lim, &mut |e| {
            if let StreamEvent::Gap(n) = e {
                gap_bytes += n as u64
            }
        });
        assert!(st.buffered_bytes() <= 16);
    }
    assert!(st.stats.ooo_bound_hits > 0);
    assert!(gap_bytes > 1000);
    assert!(alloc_count::peak_since(base) < MB);
}

/// An OPC UA message header claiming 4 GB, then 30 MB of body.
#[test]
fn opcua_message_claiming_a_huge_size() {
    let l = Limits {
        max_pdu_bytes: 64 * 1024,
        ..Limits::default()
    };
    let base = alloc_count::start();
    let mut feed = Feed::new(&l);
    let mut conv = TcpConv::new((v4(10, 0, 0, 2), 50001), (v4(10, 0, 0, 1), 4840), 1, 1);
    feed.recs(&conv.handshake());
    // HEL with a valid size first (the flow is recognised as OPC UA) ...
    let url = b"opc.tcp://10.0.0.1:4840";
    let mut hel = b"HELF".to_vec();
    let size = 8 + 20 + 4 + url.len();
    hel.extend_from_slice(&(size as u32).to_le_bytes());
    for v in [0u32, 65536, 65536, 0, 0] {
        hel.extend_from_slice(&v.to_le_bytes());
    }
    hel.extend_from_slice(&(url.len() as u32).to_le_bytes());
    hel.extend_from_slice(url);
    let r = conv.data(true, &hel);
    feed.recs(&[r]);
    // ... then a MSG claiming 0xFFFFFFF0 bytes, and a body that never ends.
    let mut msg = b"MSGF".to_vec();
    msg.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    msg.extend_from_slice(&[0u8; 1000]);
    let r = conv.data(true, &msg);
    feed.recs(&[r]);
    let body = vec![0x5au8; 1460];
    for _ in 0..20_000 {
        let r = conv.data(true, &body);
        feed.frame(LinkType::Ethernet, &r.data, 1000);
    }
    let a = feed.finish();
    let peak = alloc_count::peak_since(base);
    let q = quality(&a);
    assert!(
        a.counters.pdu_too_large >= 1 || q.anomalies.keys().any(|k| k.starts_with("opcua.")),
        "the oversized message is counted: {:?} {:?}",
        q.bounds_hit,
        q.anomalies
    );
    assert!(
        peak < 4 * l.max_pdu_bytes + 4 * MB,
        "peak {} KiB",
        peak / 1024
    );
    report_all(&a);
}

/// A client floods a Modbus server with requests that are never answered.
#[test]
fn modbus_transaction_flood() {
    let l = Limits {
        max_open_transactions: 64,
        ..Limits::default()
    };
    let base = alloc_count::start();
    let mut feed = Feed::new(&l);
    let mut conv = TcpConv::new((v4(10, 0, 0, 2), 50002), (v4(10, 0, 0, 1), 502), 1, 1);
    feed.recs(&conv.handshake());
    let n = 200_000u32;
    let mut payload = Vec::with_capacity(12 * 100);
    for i in 0..n {
        // MBAP: transaction id, protocol 0, length 6, unit 1; read holding registers 0..10
        let tid = (i % 65536) as u16;
        payload.extend_from_slice(&tid.to_be_bytes());
        payload.extend_from_slice(&[0, 0, 0, 6, 1, 3, 0, (i % 250) as u8, 0, 10]);
        if payload.len() >= 1200 {
            let r = conv.data(true, &payload);
            feed.frame(LinkType::Ethernet, &r.data, 1000);
            payload.clear();
        }
    }
    let a = feed.finish();
    let peak = alloc_count::peak_since(base);
    let q = quality(&a);
    let full = q
        .anomalies
        .get("modbus.transaction_table_full")
        .copied()
        .unwrap_or(0);
    assert!(full > 0, "table-full anomalies counted: {:?}", q.anomalies);
    assert!(peak < 8 * MB, "peak {} KiB", peak / 1024);
    // The operations are aggregated, not stored per request.
    assert!(a.store.ops.len() < 16, "{} op entries", a.store.ops.len());
}

/// Frames with 1 to 200 stacked VLAN tags around a UDP packet.
#[test]
fn deeply_stacked_vlan_tags() {
    let l = Limits::default();
    let mut feed = Feed::new(&l);
    let u = netgen::udp(40000, 161, &[0x30, 0]);
    let ip = netgen::ipv4(
        &V4::new(Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 1), 17),
        &u,
    );
    let mut too_many = 0;
    for depth in 1..=200usize {
        let tags: Vec<u16> = (0..depth).map(|i| 10 + i as u16).collect();
        let f = netgen::ethernet(netgen::mac(2), netgen::mac(1), &tags, netgen::ETH_IPV4, &ip);
        // Beyond the SPAN duplicate window: the same IP packet twice within it counts once.
        feed.frame(LinkType::Ethernet, &f, 3_000_000);
        if depth > l.max_vlan_tags {
            too_many += 1;
        }
    }
    // A tag cut in the middle.
    let mut f = netgen::ethernet(
        netgen::mac(2),
        netgen::mac(1),
        &[5, 6],
        netgen::ETH_IPV4,
        &[],
    );
    f.truncate(14 + 6);
    feed.frame(LinkType::Ethernet, &f, 1000);
    let a = feed.finish();
    let c = &a.counters;
    assert_eq!(
        c.decode_errors[DecodeError::TooManyVlanTags as usize],
        too_many
    );
    assert_eq!(c.decode_errors[DecodeError::VlanTruncated as usize], 1);
    assert_eq!(c.udp, l.max_vlan_tags as u64);
    let q = quality(&a);
    assert_eq!(q.decode_errors.get("too_many_vlan_tags"), Some(&too_many));
}

/// IPv6 packets behind chains of 0..300 extension headers, and chains cut short.
#[test]
fn ipv6_extension_header_chains() {
    let l = Limits::default();
    let mut feed = Feed::new(&l);
    let s: Ipv6Addr = "fd00::2".parse().unwrap();
    let d: Ipv6Addr = "fd00::1".parse().unwrap();
    let t = netgen::tcp(40000, 502, 1, 0, SYN, &[]);
    let mut too_many = 0;
    for n in 0..300usize {
        // hop-by-hop first, then alternating destination options and routing headers
        let ext: Vec<(u8, Vec<u8>)> = (0..n)
            .map(|i| {
                let ty = if i == 0 {
                    0
                } else if i % 2 == 1 {
                    60
                } else {
                    43
                };
                (ty, vec![0u8; 6 + 8 * (i % 3)])
            })
            .collect();
        let p = netgen::ipv6(s, d, 6, &ext, &t);
        let f = netgen::ethernet(netgen::mac(2), netgen::mac(1), &[], netgen::ETH_IPV6, &p);
        feed.frame(LinkType::Ethernet, &f, 3_000_000);
        if n > l.max_ipv6_ext_headers {
            too_many += 1;
        }
    }
    // A chain whose length byte points past the packet.
    let mut p = netgen::ipv6(s, d, 6, &[(60, vec![0u8; 6])], &[]);
    p[41] = 200;
    let f = netgen::ethernet(netgen::mac(2), netgen::mac(1), &[], netgen::ETH_IPV6, &p);
    feed.frame(LinkType::Ethernet, &f, 1000);
    let a = feed.finish();
    let c = &a.counters;
    assert_eq!(
        c.decode_errors[DecodeError::Ipv6TooManyExtHeaders as usize],
        too_many
    );
    assert_eq!(
        c.decode_errors[DecodeError::Ipv6ExtHeaderTruncated as usize],
        1
    );
    assert_eq!(c.tcp, (l.max_ipv6_ext_headers + 1) as u64);
}

fn frag_frame(src: Ipv4Addr, id: u16, off: u16, more: bool, data: &[u8]) -> Vec<u8> {
    let h = V4 {
        ident: id,
        frag_off: off,
        more,
        ..V4::new(src, Ipv4Addr::new(10, 0, 0, 1), 17)
    };
    netgen::ethernet(
        netgen::mac(2),
        netgen::mac(1),
        &[],
        netgen::ETH_IPV4,
        &netgen::ipv4(&h, data),
    )
}

/// Overlapping fragments (first wins, conflicts counted), fragments past 64 KiB, and a flood
/// of datagrams never completed.
#[test]
fn overlapping_ip_fragments_and_fragment_flood() {
    let l = Limits {
        max_frag_datagrams: 256,
        max_frag_bytes: 4 * MB,
        ..Limits::default()
    };
    let base = alloc_count::start();
    let mut feed = Feed::new(&l);
    let src = Ipv4Addr::new(10, 0, 0, 2);
    // A UDP datagram (SNMP-ish) in three fragments, the second overlapping the first with
    // different bytes (the Teardrop/evasion pattern).
    let mut dgram = netgen::udp(40000, 9999, &[0x11; 40]);
    dgram.truncate(48);
    feed.frame(
        LinkType::Ethernet,
        &frag_frame(src, 7, 0, true, &dgram[..24]),
        1000,
    );
    feed.frame(
        LinkType::Ethernet,
        &frag_frame(src, 7, 16, true, &[0xEE; 16]),
        1000,
    );
    feed.frame(
        LinkType::Ethernet,
        &frag_frame(src, 7, 32, false, &dgram[32..]),
        1000,
    );
    // One fragment claiming to end past 65535.
    feed.frame(
        LinkType::Ethernet,
        &frag_frame(src, 8, 65528, false, &[0; 16]),
        1000,
    );
    // 20k datagrams whose last fragment never comes, each opening a 60 KB hole.
    for i in 0..20_000u32 {
        let s = Ipv4Addr::from(0x0c00_0000 + i);
        feed.frame(
            LinkType::Ethernet,
            &frag_frame(s, i as u16, 60_000, true, &[1; 8]),
            10,
        );
    }
    // Tiny fragments: a whole 64 KiB datagram in 8-byte pieces, backwards.
    let total = 65_000u16;
    for off in (0..total).step_by(8).rev() {
        let more = off + 8 < total;
        feed.frame(
            LinkType::Ethernet,
            &frag_frame(src, 9, off, more, &[2; 8]),
            10,
        );
    }
    let a = feed.finish();
    let peak = alloc_count::peak_since(base);
    let f = &a.counters.frag;
    assert!(f.overlap_conflicts >= 1, "conflicting overlap counted");
    assert!(f.reassembled >= 1);
    assert_eq!(f.oversized, 1);
    assert!(
        f.evicted_at_limit >= 19_000,
        "evicted {}",
        f.evicted_at_limit
    );
    assert!(bound(&a, "max_frag_datagrams") > 0);
    assert!(peak < l.max_frag_bytes + 8 * MB, "peak {} KiB", peak / 1024);
}

/// One IP sending from a million different MAC addresses (and ARP from as many): the MAC table
/// stays bounded.
#[test]
fn mac_flood_is_bounded() {
    let l = Limits {
        max_hosts: 1000,
        ..Limits::default()
    };
    let base = alloc_count::start();
    let mut feed = Feed::new(&l);
    let u = netgen::udp(40000, 9999, b"x");
    let ip = netgen::ipv4(
        &V4::new(Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 1), 17),
        &u,
    );
    for i in 0..300_000u32 {
        let f = netgen::ethernet(
            netgen::mac(0x100 + i),
            netgen::mac(1),
            &[],
            netgen::ETH_IPV4,
            &ip,
        );
        feed.frame(LinkType::Ethernet, &f, 1000);
        // ARP reply: sender 10.0.0.3 at a new MAC every time
        let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 2];
        arp.extend_from_slice(&netgen::mac(0x900_0000 + i));
        arp.extend_from_slice(&[10, 0, 0, 3]);
        arp.extend_from_slice(&netgen::mac(1));
        arp.extend_from_slice(&[10, 0, 0, 1]);
        let f = netgen::ethernet(netgen::mac(0x900_0000 + i), [0xff; 6], &[], 0x0806, &arp);
        feed.frame(LinkType::Ethernet, &f, 1000);
    }
    let a = feed.finish();
    let peak = alloc_count::peak_since(base);
    assert!(a.hosts.ips.len() <= l.max_hosts);
    assert!(
        a.hosts.macs.len() <= l.max_hosts,
        "{} MACs kept with max_hosts {}",
        a.hosts.macs.len(),
        l.max_hosts
    );
    assert!(bound(&a, "max_hosts") > 0, "shed MACs counted");
    assert!(peak < 16 * MB, "peak {} KiB", peak / 1024);
    report_all(&a);
}

fn write_tmp(bytes: &[u8]) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

/// pcapng blocks (and a pcap record) claiming gigabytes: the reader stops with a reason and
/// allocates nothing near the claim.
#[test]
fn pcapng_block_claiming_gigabytes() {
    let l = Limits::default();
    // SHB + IDB, one good EPB, then an EPB whose total length says 4 GB.
    let mut v = harness::pcapng_prefix();
    let epb = |data: &[u8], total_override: Option<u32>| {
        let pad = (4 - data.len() % 4) % 4;
        let total = 32 + data.len() + pad;
        let mut b = Vec::new();
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(&total_override.unwrap_or(total as u32).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        b.extend(std::iter::repeat_n(0u8, pad));
        b.extend_from_slice(&(total as u32).to_le_bytes());
        b
    };
    let u = netgen::udp(40000, 161, &[0x30, 0]);
    let frame = netgen::ip_frame(v4(10, 0, 0, 2), v4(10, 0, 0, 1), 17, &u);
    v.extend(epb(&frame, None));
    v.extend(epb(&frame, Some(0xFFFF_FFF0)));
    v.extend(std::iter::repeat_n(0u8, 4096));
    let f = write_tmp(&v);
    let base = alloc_count::start();
    let a = otscope::analysis::analyze(&[f.path().to_path_buf()], &l, 1, None);
    let peak = alloc_count::peak_since(base);
    assert_eq!(a.inputs.len(), 1);
    let i = &a.inputs[0];
    assert_eq!(i.packets, 1, "the good packet before the bad block is kept");
    let stop = i.stopped.as_ref().expect("stop recorded");
    assert_eq!(stop.after_frame, 1);
    assert!(!stop.reason.is_empty());
    assert!(peak < 32 * MB, "peak {} MiB", peak / MB);
    assert_eq!(quality(&a).inputs_stopped, 1);

    // A pcap record header claiming a 4 GB caplen.
    let mut p = netgen::pcap(netgen::LINK_ETHERNET, &[Rec::new(1, frame.clone())]);
    p.extend_from_slice(&[0; 8]);
    p.extend_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    p.extend_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    p.extend_from_slice(&[0; 100]);
    let f = write_tmp(&p);
    let base = alloc_count::start();
    let a = otscope::analysis::analyze(&[f.path().to_path_buf()], &l, 1, None);
    let peak = alloc_count::peak_since(base);
    assert_eq!(a.inputs[0].packets, 1);
    assert!(a.inputs[0].stopped.is_some());
    assert!(peak < 32 * MB, "peak {} MiB", peak / MB);

    // A section header block claiming 2 GB.
    let mut s = harness::pcapng_prefix();
    s[4..8].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    let f = write_tmp(&s);
    let base = alloc_count::start();
    let a = otscope::analysis::analyze(&[f.path().to_path_buf()], &l, 1, None);
    assert!(alloc_count::peak_since(base) < 32 * MB);
    assert!(
        !a.input_errors.is_empty() || a.inputs.iter().all(|i| i.packets == 0),
        "no packets from a corrupt section"
    );
}

/// Every kind of bound at once with tiny limits over the shipped captures: the counters and
/// the tables agree with the limits.
#[test]
fn shipped_captures_under_tiny_limits_respect_every_bound() {
    let l = Limits {
        max_observations: 16,
        ..harness::small_limits()
    };
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures/public");
    let mut hit = std::collections::BTreeSet::new();
    for dir in [
        "modbus", "s7comm", "opcua", "enip", "it-ftp", "mixed", "link",
    ] {
        let a = otscope::analysis::analyze(&[root.join(dir)], &l, 1, None);
        harness::check_bounds(&a, &l);
        for (k, v) in quality(&a).bounds_hit {
            if v > 0 {
                hit.insert(k);
            }
        }
    }
    for name in [
        "max_flows",
        "max_hosts",
        "max_observations",
        "max_conversations",
    ] {
        assert!(hit.contains(name), "{name} never hit: {hit:?}");
    }
}

/// A TCP connection whose data is all retransmissions of one segment.
#[test]
fn retransmission_storm_is_counted_not_stored() {
    let l = Limits::default();
    let base = alloc_count::start();
    let mut feed = Feed::new(&l);
    let mut conv = TcpConv::new((v4(10, 0, 0, 2), 50003), (v4(10, 0, 0, 1), 502), 5, 5);
    feed.recs(&conv.handshake());
    let seq = conv.seq[0];
    let req = [0u8, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
    for _ in 0..100_000 {
        let t = netgen::tcp(50003, 502, seq, conv.seq[1], PSH | ACK, &req);
        let f = netgen::ip_frame(v4(10, 0, 0, 2), v4(10, 0, 0, 1), 6, &t);
        // 3 ms apart: retransmissions, not SPAN duplicates (those are counted separately).
        feed.frame(LinkType::Ethernet, &f, 3_000_000);
    }
    let a = feed.finish();
    assert_eq!(a.counters.duplicates, 0);
    assert_eq!(a.counters.stream.retransmitted_bytes, 99_999 * 12);
    assert!(alloc_count::peak_since(base) < 4 * MB);
    // One request reached the dissector.
    let reads: u64 = a.store.ops.values().map(|o| o.evidence.count).sum();
    assert_eq!(reads, 1);
    let _ = IpAddr::V4(Ipv4Addr::LOCALHOST);
}
