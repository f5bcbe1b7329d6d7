//! The two threads of live capture and what passes between them.
//!
//! The capture thread copies each packet out of the kernel ring into a [`Batch`] (large
//! buffers taken from a pool) and hands full batches to the analysis thread over a bounded
//! channel with `try_send`: when the channel is full the batch is shed and its frames and
//! bytes are counted, so the capture thread never waits for analysis and loss is never
//! silent. The analysis thread runs the [`Engine`], writes the frames to rotating pcapng files
//! when asked (`--save-pcap`), answers snapshot requests with a copy of the state so far, and
//! on the end of the capture finishes the engine.
//!
//! Frame numbers: without `--save-pcap` a frame is numbered by its position in the capture
//! (1-based, shed frames included, so a gap in the numbers shows a loss); with it, by its
//! position in the pcapng file it was written to, and the file is the frame's input.

use super::save::Saver;
use crate::capture::{Frame, InputSummary, LinkType};
use crate::config::Limits;
use crate::engine::{Engine, Shard};
use crate::time::Timestamp;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// Bytes of frame data one batch holds before it is handed on.
pub const BATCH_BYTES: usize = 1 << 20;
/// Frames one batch holds before it is handed on.
pub const BATCH_FRAMES: usize = 4096;

/// One frame of a batch.
#[derive(Debug, Clone, Copy)]
pub struct BRec {
    pub off: u32,
    pub caplen: u32,
    pub orig_len: u32,
    pub ts: Timestamp,
    /// 1-based position in the capture (shed frames included).
    pub seq: u64,
}

/// Frames copied out of the kernel ring.
#[derive(Debug, Default)]
pub struct Batch {
    pub data: Vec<u8>,
    pub recs: Vec<BRec>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            data: Vec::with_capacity(BATCH_BYTES),
            recs: Vec::with_capacity(BATCH_FRAMES),
        }
    }

    fn clear(&mut self) {
        self.data.clear();
        self.recs.clear();
    }

    pub fn bytes(&self, r: &BRec) -> &[u8] {
        &self.data[r.off as usize..(r.off + r.caplen) as usize]
    }
}

/// Counters and flags shared by the threads (all monotonic totals).
#[derive(Debug, Default)]
pub struct Shared {
    /// Frames libpcap handed to otscope.
    pub captured: AtomicU64,
    pub captured_bytes: AtomicU64,
    /// Frames (and their bytes) shed because the analysis queue was full.
    pub shed_frames: AtomicU64,
    pub shed_bytes: AtomicU64,
    /// Frames the analysis thread has processed.
    pub analysed: AtomicU64,
    /// libpcap's counters.
    pub received: AtomicU64,
    pub kernel_drops: AtomicU64,
    pub interface_drops: AtomicU64,
    /// Ask the capture thread to stop.
    pub stop: AtomicBool,
    /// Why capture stopped on its own (the interface went away, ...).
    pub capture_error: Mutex<Option<String>>,
}

impl Shared {
    pub fn drops(&self) -> (u64, u64, u64) {
        (
            self.kernel_drops.load(Relaxed),
            self.interface_drops.load(Relaxed),
            self.shed_frames.load(Relaxed),
        )
    }
}

/// The capture side: copies packets into batches and hands them on without waiting.
pub struct Batcher {
    tx: Sender<Batch>,
    pool_rx: Receiver<Batch>,
    pool_tx: Sender<Batch>,
    cur: Batch,
    seq: u64,
    shared: Arc<Shared>,
}

impl Batcher {
    pub fn new(
        tx: Sender<Batch>,
        pool: (Sender<Batch>, Receiver<Batch>),
        shared: Arc<Shared>,
    ) -> Batcher {
        Batcher {
            tx,
            pool_tx: pool.0,
            pool_rx: pool.1,
            cur: Batch::new(),
            seq: 0,
            shared,
        }
    }

    /// Copy one packet in.
    #[inline]
    pub fn push(&mut self, ts: Timestamp, orig_len: u32, data: &[u8]) {
        if !self.cur.recs.is_empty()
            && (self.cur.data.len() + data.len() > BATCH_BYTES
                || self.cur.recs.len() >= BATCH_FRAMES)
        {
            self.ship();
        }
        self.seq += 1;
        self.shared.captured.fetch_add(1, Relaxed);
        self.shared
            .captured_bytes
            .fetch_add(data.len() as u64, Relaxed);
        let off = self.cur.data.len() as u32;
        self.cur.data.extend_from_slice(data);
        self.cur.recs.push(BRec {
            off,
            caplen: data.len() as u32,
            orig_len: orig_len.max(data.len() as u32),
            ts,
            seq: self.seq,
        });
    }

    /// Hand the current batch on, or shed it (counted) when the queue is full.
    pub fn ship(&mut self) {
        if self.cur.recs.is_empty() {
            return;
        }
        let fresh = self.pool_rx.try_recv().unwrap_or_else(|_| Batch::new());
        let full = std::mem::replace(&mut self.cur, fresh);
        if let Err(TrySendError::Full(mut b) | TrySendError::Disconnected(mut b)) =
            self.tx.try_send(full)
        {
            self.shared
                .shed_frames
                .fetch_add(b.recs.len() as u64, Relaxed);
            self.shared
                .shed_bytes
                .fetch_add(b.data.len() as u64, Relaxed);
            b.clear();
            let spare = std::mem::replace(&mut self.cur, b);
            let _ = self.pool_tx.try_send(spare);
        }
    }

    /// End of capture: hand the last batch on, waiting for room (analysis is draining).
    pub fn finish(mut self) {
        if !self.cur.recs.is_empty() {
            let last = std::mem::take(&mut self.cur);
            let n = last.recs.len() as u64;
            let bytes = last.data.len() as u64;
            if self.tx.send(last).is_err() {
                self.shared.shed_frames.fetch_add(n, Relaxed);
                self.shared.shed_bytes.fetch_add(bytes, Relaxed);
            }
        }
    }
}

/// Requests to the analysis thread.
pub enum Ctl {
    /// Send back a copy of the state so far.
    Snapshot(tokio::sync::oneshot::Sender<Snap>),
}

/// The state of the analysis at one moment.
pub struct Snap {
    pub shard: Shard,
    pub inputs: Vec<InputSummary>,
    pub analysed: u64,
    /// The engine was finished (end of capture).
    pub last: bool,
    /// Saving frames failed (disk full, ...): from then on frames are numbered in the capture.
    pub save_error: Option<String>,
}

/// What the analysis thread needs to know.
pub struct AnalysisSetup {
    pub limits: Limits,
    pub link: LinkType,
    pub interface: String,
    pub saver: Option<Saver>,
}

/// The inputs of the report: the interface (frames numbered in the capture) or the pcapng
/// files the frames were written to (numbered in their file).
struct Inputs {
    list: Vec<InputSummary>,
    saver: Option<Saver>,
    save_error: Option<String>,
    link_name: String,
    interface: String,
    /// Index in `list` of the interface's own input, once frames are numbered in the capture.
    live_input: Option<usize>,
}

fn live_summary(interface: &str, link: &str) -> InputSummary {
    InputSummary {
        pruned: false,
        path: format!("live:{interface}"),
        sha256: String::new(),
        format: crate::capture::FileFormat::Live,
        compressed: false,
        link_types: vec![link.to_string()],
        packets: 0,
        bytes: 0,
        file_bytes: 0,
        first_ts: None,
        last_ts: None,
        truncated_by_snaplen: 0,
        interface_drops: None,
        stopped: None,
    }
}

impl Inputs {
    fn new(setup: &mut AnalysisSetup) -> Inputs {
        let link_name = setup.link.name();
        let mut i = Inputs {
            list: Vec::new(),
            saver: setup.saver.take(),
            save_error: None,
            link_name,
            interface: setup.interface.clone(),
            live_input: None,
        };
        if i.saver.is_none() {
            i.list.push(live_summary(&i.interface, &i.link_name));
            i.live_input = Some(0);
        }
        i
    }

    /// Where a frame goes: (input index, frame number).
    fn place(&mut self, r: &BRec, data: &[u8], shared: &Shared) -> (u16, u64) {
        if let Some(s) = self.saver.as_mut() {
            match s.write(r.ts, r.orig_len, data, shared, &mut self.list) {
                Ok(at) => return at,
                Err(e) => {
                    warn!("otscope: saving frames stopped: {e}");
                    self.save_error = Some(e);
                    self.saver = None;
                }
            }
        }
        let idx = match self.live_input {
            Some(i) => i,
            None => {
                self.list
                    .push(live_summary(&self.interface, &self.link_name));
                let i = self.list.len() - 1;
                self.live_input = Some(i);
                i
            }
        };
        let s = &mut self.list[idx];
        s.packets += 1;
        s.bytes += data.len() as u64;
        s.first_ts = Some(s.first_ts.map_or(r.ts, |t| t.min(r.ts)));
        s.last_ts = Some(s.last_ts.map_or(r.ts, |t| t.max(r.ts)));
        if (data.len() as u32) < r.orig_len {
            s.truncated_by_snaplen += 1;
        }
        (idx.min(u16::MAX as usize) as u16, r.seq)
    }

    fn summaries(&mut self) -> Vec<InputSummary> {
        let mut v = self.list.clone();
        if let Some(s) = self.saver.as_mut() {
            s.refresh(&mut v);
        }
        v
    }

    fn close(&mut self, shared: &Shared) {
        if let Some(s) = self.saver.take() {
            if let Err(e) = s.close(shared, &mut self.list) {
                warn!("otscope: closing the capture file: {e}");
                self.save_error.get_or_insert(e);
            }
        }
    }
}

/// The analysis thread: runs until the capture side hangs up, then finishes the engine.
pub fn analysis_loop(
    mut setup: AnalysisSetup,
    data: Receiver<Batch>,
    ctl: Receiver<Ctl>,
    pool: Sender<Batch>,
    shared: Arc<Shared>,
) -> Snap {
    let mut engine = Engine::new(&setup.limits);
    let mut inputs = Inputs::new(&mut setup);
    let link = setup.link;
    let mut ctl = ctl;
    let mut analysed = 0u64;
    loop {
        crossbeam_channel::select! {
            recv(data) -> m => match m {
                Ok(mut b) => {
                    for r in &b.recs {
                        let bytes = b.bytes(r);
                        let (input, number) = inputs.place(r, bytes, &shared);
                        engine.process(&Frame {
                            input,
                            number,
                            ts: r.ts,
                            link,
                            data: bytes,
                            orig_len: r.orig_len,
                        });
                    }
                    analysed += b.recs.len() as u64;
                    shared.analysed.store(analysed, Relaxed);
                    b.clear();
                    let _ = pool.try_send(b);
                }
                Err(_) => break,
            },
            recv(ctl) -> m => match m {
                Ok(Ctl::Snapshot(reply)) => {
                    let _ = reply.send(Snap {
                        shard: engine.snapshot(),
                        inputs: inputs.summaries(),
                        analysed,
                        last: false,
                        save_error: inputs.save_error.clone(),
                    });
                }
                Err(_) => ctl = crossbeam_channel::never(),
            },
        }
    }
    inputs.close(&shared);
    Snap {
        shard: engine.finish(),
        inputs: inputs.summaries(),
        analysed,
        last: true,
        save_error: inputs.save_error.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batcher(cap: usize) -> (Batcher, Receiver<Batch>, Arc<Shared>) {
        let (tx, rx) = crossbeam_channel::bounded(cap);
        let pool = crossbeam_channel::bounded(cap + 2);
        let shared = Arc::new(Shared::default());
        (Batcher::new(tx, pool, shared.clone()), rx, shared)
    }

    #[test]
    fn full_queue_sheds_and_counts_without_waiting() {
        let (mut b, rx, shared) = batcher(1);
        let frame = [0u8; 100];
        for _ in 0..10 {
            b.push(Timestamp(1), 100, &frame);
        }
        b.ship(); // fills the queue (capacity 1)
        for _ in 0..7 {
            b.push(Timestamp(2), 120, &frame);
        }
        b.ship(); // queue full: shed, counted
        assert_eq!(shared.shed_frames.load(Relaxed), 7);
        assert_eq!(shared.shed_bytes.load(Relaxed), 700);
        assert_eq!(shared.captured.load(Relaxed), 17);
        let got = rx.try_recv().unwrap();
        assert_eq!(got.recs.len(), 10);
        assert_eq!(got.recs[9].seq, 10);
        // Frames after the loss keep their capture position: the gap shows the loss.
        b.push(Timestamp(3), 100, &frame);
        b.ship();
        let got = rx.try_recv().unwrap();
        assert_eq!(got.recs[0].seq, 18);
    }

    #[test]
    fn big_batches_split_by_bytes() {
        let (mut b, rx, _) = batcher(64);
        let frame = vec![7u8; 9000];
        let n = 2 * BATCH_BYTES / 9000 + 5;
        for _ in 0..n {
            b.push(Timestamp(1), 9000, &frame);
        }
        b.finish();
        let mut total = 0;
        while let Ok(batch) = rx.try_recv() {
            assert!(batch.data.len() <= BATCH_BYTES);
            for r in &batch.recs {
                assert_eq!(batch.bytes(r), &frame[..]);
            }
            total += batch.recs.len();
        }
        assert_eq!(total, n);
    }
}
