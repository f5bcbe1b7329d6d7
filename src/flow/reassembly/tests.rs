//! Reassembly suite: in order, out of order, retransmitted, overlapping, gapped, wrapped, cut.

use super::*;

const LIM: StreamLimits = StreamLimits {
    max_bytes: 1 << 20,
    max_segments: 64,
};

/// What the application layer would receive: bytes, with `?` standing for each missing byte.
fn run(isn: Option<u32>, segs: &[(u32, &[u8])], lim: StreamLimits) -> (Vec<u8>, Stream) {
    let mut s = Stream::new();
    if let Some(i) = isn {
        s.syn(i);
    }
    let mut out = Vec::new();
    for &(seq, d) in segs {
        s.segment(seq, d, d.len() as u32, lim, &mut |e| push(&mut out, e));
    }
    s.close(&mut |e| push(&mut out, e));
    (out, s)
}

fn push(out: &mut Vec<u8>, e: StreamEvent<'_>) {
    match e {
        StreamEvent::Data(d) => out.extend_from_slice(d),
        StreamEvent::Gap(n) => out.extend(std::iter::repeat_n(b'?', n as usize)),
    }
}

#[test]
fn in_order() {
    let (out, s) = run(Some(999), &[(1000, b"hello "), (1006, b"world")], LIM);
    assert_eq!(out, b"hello world");
    assert_eq!(s.stats, StreamStats::default());
}

#[test]
fn out_of_order_is_reordered() {
    let (out, s) = run(
        Some(999),
        &[(1006, b"world"), (1003, b"lo "), (1000, b"hel")],
        LIM,
    );
    assert_eq!(out, b"hello world");
    assert_eq!(s.stats.ooo_segments, 2);
    assert_eq!(s.stats.gaps, 0);
}

#[test]
fn retransmissions_are_dropped() {
    let (out, s) = run(
        Some(0),
        &[(1, b"abc"), (1, b"abc"), (4, b"def"), (2, b"bcdefg")],
        LIM,
    );
    assert_eq!(out, b"abcdefg");
    assert_eq!(s.stats.retransmitted_bytes, 3 + 5);
}

#[test]
fn overlap_first_wins_and_conflict_counted() {
    // "XYZW" (seq 5..9) overlaps buffered "def" (seq 4..7) with different bytes at 5..7
    let (out, s) = run(Some(0), &[(4, b"def"), (5, b"XYZW"), (1, b"abc")], LIM);
    assert_eq!(out, b"abcdefZW");
    assert_eq!(s.stats.overlap_conflicts, 1);
    // identical overlap is not a conflict
    let (out, s) = run(Some(0), &[(4, b"def"), (5, b"efg"), (1, b"abc")], LIM);
    assert_eq!(out, b"abcdefg");
    assert_eq!(s.stats.overlap_conflicts, 0);
}

#[test]
fn gap_declared_at_close() {
    let (out, s) = run(Some(0), &[(1, b"ab"), (6, b"fg")], LIM);
    assert_eq!(out, b"ab???fg");
    assert_eq!((s.stats.gaps, s.stats.gap_bytes), (1, 3));
}

#[test]
fn gap_declared_when_peer_acks_past_a_hole() {
    let mut s = Stream::new();
    s.syn(0);
    let mut out = Vec::new();
    s.segment(1, b"ab", 2, LIM, &mut |e| push(&mut out, e));
    // an ACK past `next` with nothing buffered is not trusted (SPAN reordering)
    s.acked(10, &mut |e| push(&mut out, e));
    assert_eq!(out, b"ab");
    s.segment(6, b"fg", 2, LIM, &mut |e| push(&mut out, e));
    assert_eq!(out, b"ab");
    s.acked(8, &mut |e| push(&mut out, e));
    assert_eq!(out, b"ab???fg");
    // the late copy of the hole is a retransmission now
    s.segment(3, b"cde", 3, LIM, &mut |e| push(&mut out, e));
    assert_eq!(out, b"ab???fg");
}

#[test]
fn sequence_numbers_wrap() {
    let isn = u32::MAX - 3;
    let segs: [(u32, &[u8]); 3] = [
        (isn.wrapping_add(6), b"fgh"),
        (isn.wrapping_add(1), b"abcd"),
        (isn.wrapping_add(5), b"e"),
    ];
    let (out, s) = run(Some(isn), &segs, LIM);
    assert_eq!(out, b"abcdefgh");
    assert_eq!(s.stats.gaps, 0);
}

#[test]
fn mid_stream_pickup_starts_at_first_data() {
    let (out, _) = run(None, &[(5000, b"xyz"), (5003, b"!")], LIM);
    assert_eq!(out, b"xyz!");
}

#[test]
fn bounds_force_gaps_instead_of_growth() {
    let lim = StreamLimits {
        max_bytes: 10,
        max_segments: 3,
    };
    let mut s = Stream::new();
    s.syn(0);
    let mut out = Vec::new();
    // first byte never sent; many segments after it (a reassembly bomb)
    for i in 0..100u32 {
        s.segment(2 + i * 4, b"abcd", 4, lim, &mut |e| push(&mut out, e));
        assert!(s.buffered_bytes() <= 10);
    }
    assert!(s.stats.ooo_bound_hits > 0);
    assert_eq!(out[0], b'?');
    assert_eq!(&out[1..5], b"abcd");
}

#[test]
fn snaplen_cut_segment_becomes_a_gap() {
    let mut s = Stream::new();
    s.syn(0);
    let mut out = Vec::new();
    // 10 bytes on the wire, 4 captured
    s.segment(1, b"abcd", 10, LIM, &mut |e| push(&mut out, e));
    s.segment(11, b"K", 1, LIM, &mut |e| push(&mut out, e));
    assert_eq!(out, b"abcd??????K");
    assert_eq!(s.stats.gap_bytes, 6);
    // the same when the cut segment was buffered out of order first
    let mut s = Stream::new();
    s.syn(0);
    let mut out = Vec::new();
    s.segment(3, b"cd", 8, LIM, &mut |e| push(&mut out, e));
    s.segment(1, b"ab", 2, LIM, &mut |e| push(&mut out, e));
    s.segment(11, b"K", 1, LIM, &mut |e| push(&mut out, e));
    assert_eq!(out, b"abcd??????K");
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any segmentation, any order, with duplicates: the same bytes come out.
        #[test]
        fn any_segmentation_and_order_delivers_the_stream(
            data in proptest::collection::vec(any::<u8>(), 1..400),
            cuts in proptest::collection::vec(1usize..40, 1..40),
            order in proptest::collection::vec(any::<u16>(), 0..80),
            isn in any::<u32>(),
        ) {
            let mut segs = Vec::new();
            let mut at = 0usize;
            let mut ci = 0;
            while at < data.len() {
                let n = cuts[ci % cuts.len()].min(data.len() - at);
                segs.push((isn.wrapping_add(1).wrapping_add(at as u32), at, n));
                at += n;
                ci += 1;
            }
            // shuffle deterministically and add retransmissions of some segments
            let mut shuffled = segs.clone();
            for (i, &o) in order.iter().enumerate() {
                let a = i % shuffled.len();
                let b = o as usize % shuffled.len();
                shuffled.swap(a, b);
                if o % 5 == 0 {
                    let dup = shuffled[b];
                    shuffled.push(dup);
                }
            }
            let mut s = Stream::new();
            s.syn(isn);
            let mut out = Vec::new();
            let lim = StreamLimits { max_bytes: 1 << 20, max_segments: 1 << 16 };
            for (seq, off, n) in shuffled {
                s.segment(seq, &data[off..off + n], n as u32, lim, &mut |e| push(&mut out, e));
            }
            s.close(&mut |e| push(&mut out, e));
            prop_assert_eq!(out, data);
            prop_assert_eq!(s.stats.gaps, 0);
        }
    }
}
