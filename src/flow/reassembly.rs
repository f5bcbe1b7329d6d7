//! One direction of a TCP stream put back in order.
//!
//! In-order segments are handed on as slices of the frame (zero copy). Segments ahead of the
//! expected sequence number are copied into a small sorted buffer, bounded in segments and
//! bytes; when a bound is hit, or when the peer acknowledges bytes the capture never had, the
//! hole is declared a gap (`StreamEvent::Gap`) and delivery resumes after it. Retransmitted
//! bytes are dropped; overlapping bytes are resolved first-wins and a conflicting overlap
//! (different bytes for the same sequence range) is counted.
//!
//! A stream whose SYN was not seen (the capture started mid-connection) is picked up at the
//! first segment with data.

use super::seq::{diff, le, lt};

/// What the reassembler hands to the application layer.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    Data(&'a [u8]),
    /// `n` bytes of the stream are missing.
    Gap(u32),
}

/// Counters of one direction (summed into `capture_quality`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamStats {
    pub gaps: u64,
    pub gap_bytes: u64,
    pub retransmitted_bytes: u64,
    pub overlap_conflicts: u64,
    pub ooo_segments: u64,
    /// Out-of-order data discarded because a bound was hit.
    pub ooo_bound_hits: u64,
}

impl StreamStats {
    /// Add another direction's counters to these.
    pub fn add(&mut self, t: &StreamStats) {
        self.gaps += t.gaps;
        self.gap_bytes += t.gap_bytes;
        self.retransmitted_bytes += t.retransmitted_bytes;
        self.overlap_conflicts += t.overlap_conflicts;
        self.ooo_segments += t.ooo_segments;
        self.ooo_bound_hits += t.ooo_bound_hits;
    }
}

#[derive(Debug)]
struct Seg {
    seq: u32,
    /// Length on the wire; `data` is shorter when the capture cut the frame.
    len: u32,
    data: Vec<u8>,
}

/// Bounds for one direction.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub max_bytes: usize,
    pub max_segments: usize,
}

#[derive(Debug, Default)]
pub struct Stream {
    /// Next expected sequence number, once synchronised.
    next: Option<u32>,
    ooo: Vec<Seg>,
    ooo_bytes: usize,
    pub stats: StreamStats,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// A SYN (or SYN-ACK) with initial sequence number `isn`: data starts at `isn + 1`.
    pub fn syn(&mut self, isn: u32) {
        if self.next.is_none() {
            self.next = Some(isn.wrapping_add(1));
        }
    }

    pub fn is_synced(&self) -> bool {
        self.next.is_some()
    }

    pub fn buffered_bytes(&self) -> usize {
        self.ooo_bytes
    }

    /// The next expected sequence number, if synchronised.
    pub fn next_seq(&self) -> Option<u32> {
        self.next
    }

    /// A segment with sequence number `seq` whose payload is `len` bytes long on the wire, of
    /// which `data` (a prefix, shorter when the capture cut the frame) is present.
    pub fn segment(
        &mut self,
        seq: u32,
        data: &[u8],
        len: u32,
        lim: StreamLimits,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        if len == 0 {
            return;
        }
        let next = match self.next {
            Some(n) => n,
            None => {
                // Mid-stream pick-up.
                self.next = Some(seq);
                seq
            }
        };
        let end = seq.wrapping_add(len);
        if le(end, next) {
            self.stats.retransmitted_bytes += len as u64;
            return;
        }
        if lt(next, seq) {
            // Ahead of what we expect: buffer it (bounded).
            self.buffer(seq, data, len, lim, emit);
            return;
        }
        // Starts at or before `next`: deliver the new part.
        let skip = diff(next, seq) as u32;
        if skip > 0 {
            self.stats.retransmitted_bytes += skip as u64;
        }
        self.deliver(skip, data, len, emit);
        self.drain(emit);
    }

    /// Deliver bytes [skip, len) of a segment that starts at or before `next`.
    fn deliver(&mut self, skip: u32, data: &[u8], len: u32, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        let next = self.next.expect("synced");
        let present = data.len() as u32;
        if skip < present {
            emit(StreamEvent::Data(&data[skip as usize..]));
        }
        if present < len {
            // Captured short (snaplen): the rest of the segment is missing.
            let missing = len - present.max(skip);
            self.stats.gaps += 1;
            self.stats.gap_bytes += missing as u64;
            emit(StreamEvent::Gap(missing));
        }
        self.next = Some(next.wrapping_add(len - skip));
    }

    /// Deliver buffered segments that have become in order.
    fn drain(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        while let Some(first) = self.ooo.first() {
            let next = self.next.expect("synced");
            if lt(next, first.seq) {
                break;
            }
            let seg = self.ooo.remove(0);
            self.ooo_bytes -= seg.data.len();
            let len = seg.len;
            let end = seg.seq.wrapping_add(len);
            if le(end, next) {
                self.stats.retransmitted_bytes += len as u64;
                continue;
            }
            let skip = diff(next, seg.seq) as u32;
            self.deliver(skip, &seg.data, len, emit);
        }
    }

    fn buffer(
        &mut self,
        seq: u32,
        data: &[u8],
        len: u32,
        lim: StreamLimits,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        self.stats.ooo_segments += 1;
        // A segment cut by snaplen keeps its wire length; the missing tail becomes a gap when
        // it is delivered.
        let data = data.to_vec();
        // Overlap check against buffered segments (first-wins).
        let mut conflict = false;
        for s in &self.ooo {
            let (a0, a1) = (s.seq, s.seq.wrapping_add(s.data.len() as u32));
            let (b0, b1) = (seq, seq.wrapping_add(data.len() as u32));
            let lo = if lt(a0, b0) { b0 } else { a0 };
            let hi = if lt(a1, b1) { a1 } else { b1 };
            if lt(lo, hi) {
                let n = diff(hi, lo) as usize;
                let ai = diff(lo, a0) as usize;
                let bi = diff(lo, b0) as usize;
                if s.data[ai..ai + n] != data[bi..bi + n] {
                    conflict = true;
                }
            }
        }
        if conflict {
            self.stats.overlap_conflicts += 1;
        }
        let pos = self
            .ooo
            .iter()
            .position(|s| lt(seq, s.seq))
            .unwrap_or(self.ooo.len());
        self.ooo_bytes += data.len();
        self.ooo.insert(pos, Seg { seq, len, data });
        // Bounds: give up on the hole, deliver from the first buffered segment on.
        while self.ooo.len() > lim.max_segments || self.ooo_bytes > lim.max_bytes {
            self.stats.ooo_bound_hits += 1;
            self.skip_hole(emit);
        }
    }

    /// Declare the bytes between `next` and the first buffered segment missing.
    fn skip_hole(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        let (Some(next), Some(first)) = (self.next, self.ooo.first()) else {
            return;
        };
        if lt(next, first.seq) {
            let n = diff(first.seq, next) as u32;
            self.stats.gaps += 1;
            self.stats.gap_bytes += n as u64;
            emit(StreamEvent::Gap(n));
            self.next = Some(first.seq);
        }
        self.drain(emit);
    }

    /// The peer acknowledged up to `ack`. When data after a hole is buffered and the peer
    /// acknowledges past the hole, the capture missed those bytes for good: declare the gap and
    /// deliver what follows. (With nothing buffered an ACK proves nothing yet: on a SPAN port the
    /// ACK can overtake the data it acknowledges.)
    pub fn acked(&mut self, ack: u32, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        let Some(next) = self.next else { return };
        if !lt(next, ack) {
            return;
        }
        while let Some(first) = self.ooo.first() {
            if !lt(first.seq, ack) {
                break;
            }
            self.skip_hole(emit);
        }
    }

    /// The connection ended: flush what is buffered, with gaps for the holes.
    pub fn close(&mut self, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        while !self.ooo.is_empty() {
            self.skip_hole(emit);
        }
    }
}

#[cfg(test)]
mod tests;
