//! Offline analysis: read the inputs, run the engine (one thread, or sharded workers), merge.
//!
//! With `threads > 1` each frame belongs to one worker, chosen by a direction-symmetric hash of
//! its IP addresses ([`shard_of`]). Uncompressed files are read by every worker, each keeping
//! the frames of its shard (`run_replicated`), when there are no more workers than cores.
//! Otherwise, and for compressed files (inflated once), the calling thread reads and hands
//! workers batches (shared blocks plus the indices of their frames) over bounded channels, so
//! memory stays bounded when the workers fall behind (`run_sharded`). The merged result is the
//! same whatever the number of workers and either way, except where a per-worker bound was hit
//! (the bound is per worker).

use crate::capture::merge::{MergedReader, open_paths};
use crate::capture::{BLOCK_SIZE, InputError, InputSummary, SHARDED_BLOCK_SIZE};
use crate::config::Limits;
use crate::engine::{Counters, Engine, Shard, SweepClock, shard_of};
use crate::flow::conv::Conversations;
use crate::inventory::hosts::Hosts;
use crate::inventory::observation::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// Frames per batch handed to workers.
const BATCH: usize = 16 * 1024;

/// Everything the capture showed, before inventory, zones and findings.
pub struct Analysis {
    /// One per input file, in command-line order (directories expanded, sorted).
    pub inputs: Vec<InputSummary>,
    pub input_errors: Vec<InputError>,
    /// Files skipped in directories because they are not captures: (directory, count).
    pub skipped: Vec<(String, usize)>,
    pub store: Store,
    pub hosts: Hosts,
    pub convs: Conversations,
    pub counters: Counters,
    pub threads: usize,
}

/// Progress callback: bytes of captured data processed so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Analyse capture files (and directories of them).
pub fn analyze(
    paths: &[PathBuf],
    limits: &Limits,
    threads: usize,
    progress: Option<Progress<'_>>,
) -> Analysis {
    let (expanded, reader) = open_paths(paths, limits.max_record_bytes);
    let threads = threads.max(1);
    // Every replicated reader reads every byte: worth it while each has a core of its own.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let caps = if threads > 1 && threads <= cores {
        plain_file_sizes(&expanded.files)
    } else {
        None
    };
    let (shards, reader) = match caps {
        _ if threads == 1 => {
            let mut reader = reader.with_block_size(BLOCK_SIZE);
            (vec![run_single(&mut reader, limits, progress)], reader)
        }
        Some(caps) => {
            let reader = reader.with_block_size(BLOCK_SIZE).with_caps(caps.clone());
            run_replicated(&expanded.files, reader, caps, limits, threads, progress)
        }
        None => {
            let mut reader = reader.with_block_size(SHARDED_BLOCK_SIZE);
            let shards = run_sharded(&mut reader, limits, threads, progress);
            (shards, reader)
        }
    };
    let summaries = reader.summaries();
    let inputs = summaries.into_iter().flatten().collect();
    let mut a = merge(shards, limits);
    a.inputs = inputs;
    a.input_errors = expanded.errors;
    a.skipped = expanded.skipped;
    a.threads = threads;
    a
}

fn run_single(reader: &mut MergedReader, limits: &Limits, progress: Option<Progress<'_>>) -> Shard {
    let mut engine = Engine::new(limits);
    let mut bytes = 0u64;
    let mut next_report = 0u64;
    reader.for_each(|f| {
        engine.process(f);
        if let Some(p) = progress {
            bytes += f.data.len() as u64 + 16;
            if bytes >= next_report {
                p(bytes);
                next_report = bytes + (8 << 20);
            }
        }
    });
    engine.finish()
}

/// Sizes of the inputs when every one is an uncompressed regular file (which each worker can
/// read for itself); `None` otherwise (gzip; pipes and devices, which the reader refuses).
fn plain_file_sizes(files: &[PathBuf]) -> Option<Vec<u64>> {
    use std::io::Read;
    files
        .iter()
        .map(|p| {
            // Only regular files are opened here: a read from a pipe would take its bytes.
            let meta = std::fs::metadata(p).ok().filter(|m| m.is_file())?;
            let mut magic = [0u8; 2];
            let mut f = std::fs::File::open(p).ok()?;
            let gzip = f.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
            (!gzip).then_some(meta.len())
        })
        .collect()
}

/// Sharded analysis of uncompressed regular files: every worker reads the whole merged stream
/// itself and processes the frames of its shard ([`shard_of`]), running the run's sweep clock
/// on every frame. Nothing crosses between cores while the capture is read: each worker
/// analyses frames its own core just copied from the page cache, which on a small machine
/// beats one reader handing frames to workers. Worker 0 runs on the calling thread with the
/// reader the report's input summaries (and digests) come from; the others read unhashed
/// replicas. All of them stop at the sizes the files had when the run started (`caps`), so
/// they see the same frames even if a file grows meanwhile.
fn run_replicated(
    files: &[PathBuf],
    mut reader: MergedReader,
    caps: Vec<u64>,
    limits: &Limits,
    n: usize,
    progress: Option<Progress<'_>>,
) -> (Vec<Shard>, MergedReader) {
    fn work(
        reader: &mut MergedReader,
        limits: &Limits,
        k: usize,
        n: usize,
        progress: Option<Progress<'_>>,
    ) -> Shard {
        let mut engine = Engine::worker(limits);
        let mut clock = SweepClock::default();
        let (mut bytes, mut next_report) = (0u64, 0u64);
        reader.for_each(|f| {
            if clock.tick(f.ts) {
                engine.sweep(f.ts);
            }
            if shard_of(f, n) == k {
                engine.process(f);
            }
            if let Some(p) = progress {
                bytes += f.data.len() as u64 + 16;
                if bytes >= next_report {
                    p(bytes);
                    next_report = bytes + (8 << 20);
                }
            }
        });
        engine.finish()
    }
    let shards = std::thread::scope(|s| {
        let handles: Vec<_> = (1..n)
            .map(|k| {
                let lim = limits.clone();
                let caps = caps.clone();
                std::thread::Builder::new()
                    .name(format!("otscope-worker-{k}"))
                    .spawn_scoped(s, move || {
                        let (replica, _) = MergedReader::open(files, lim.max_record_bytes);
                        let mut replica = replica
                            .with_block_size(BLOCK_SIZE)
                            .unhashed()
                            .with_caps(caps);
                        work(&mut replica, &lim, k, n, None)
                    })
                    .expect("spawn worker thread")
            })
            .collect();
        let mut shards = vec![work(&mut reader, limits, 0, n, progress)];
        shards.extend(
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
        );
        shards
    });
    (shards, reader)
}

struct Work {
    batch: Arc<crate::capture::merge::Batch>,
    /// Frames of this worker (indices into `batch`), and sweeps: an entry with `SWEEP` set
    /// means "sweep at the time of that frame" (a frame of any worker).
    idx: Vec<u32>,
}

/// Marks a sweep in [`Work::idx`].
const SWEEP: u32 = 1 << 31;

/// Sharded analysis of inputs only one reader should read (compressed files: inflating them once):
/// the calling thread reads and merges them and hands each worker the frames of its shard.
fn run_sharded(
    reader: &mut MergedReader,
    limits: &Limits,
    n: usize,
    progress: Option<Progress<'_>>,
) -> Vec<Shard> {
    std::thread::scope(|s| {
        let mut txs = Vec::with_capacity(n);
        let mut handles = Vec::with_capacity(n);
        for k in 0..n {
            let (tx, rx) = crossbeam_channel::bounded::<Work>(4);
            txs.push(tx);
            let lim = limits.clone();
            let worker = std::thread::Builder::new().name(format!("otscope-worker-{k}"));
            let h = worker
                .spawn_scoped(s, move || {
                    let mut engine = Engine::worker(&lim);
                    for w in rx {
                        for &i in &w.idx {
                            if i & SWEEP != 0 {
                                engine.sweep(w.batch.frame((i & !SWEEP) as usize).ts);
                            } else {
                                engine.process(&w.batch.frame(i as usize));
                            }
                        }
                    }
                    engine.finish()
                })
                .expect("spawn worker thread");
            handles.push(h);
        }
        let mut bytes = 0u64;
        // The sweep clock runs over the whole merged stream, as in a single engine.
        let mut clock = SweepClock::default();
        while let Some(batch) = reader.next_batch(BATCH) {
            let mut idx: Vec<Vec<u32>> = vec![Vec::with_capacity(batch.len() / n + 16); n];
            for i in 0..batch.len() {
                let f = batch.frame(i);
                bytes += f.data.len() as u64 + 16;
                if clock.tick(f.ts) {
                    for v in idx.iter_mut() {
                        v.push(i as u32 | SWEEP);
                    }
                }
                idx[shard_of(&f, n)].push(i as u32);
            }
            let batch = Arc::new(batch);
            for (k, v) in idx.into_iter().enumerate() {
                if !v.is_empty() {
                    // A worker that died (panicked) drops its receiver; the join below reports it.
                    let _ = txs[k].send(Work {
                        batch: batch.clone(),
                        idx: v,
                    });
                }
            }
            if let Some(p) = progress {
                p(bytes);
            }
        }
        drop(txs);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Merge worker results (order-independent: every collection is keyed and sorted).
fn merge(shards: Vec<Shard>, limits: &Limits) -> Analysis {
    let cap = limits.max_evidence_frames;
    let mut store = Store::new(limits.max_observations, cap);
    let mut hosts = Hosts::new(limits.max_hosts);
    let mut convs = Conversations::new(limits.max_conversations, cap);
    let mut counters = Counters::default();
    for sh in shards {
        store.merge(sh.store);
        hosts.merge(sh.hosts, cap);
        convs.merge(sh.convs);
        counters.merge(&sh.counters);
    }
    Analysis {
        inputs: Vec::new(),
        input_errors: Vec::new(),
        skipped: Vec::new(),
        store,
        hosts,
        convs,
        counters,
        threads: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An Ethernet/IPv4/UDP frame from 10.0.0.`a` to 10.0.1.`b` (ports 40000+a → 161).
    fn udp_frame(a: u8, b: u8, id: u16) -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 1, b, 0x02, 0, 0, 0, 0, a, 0x08, 0x00];
        let payload = [0x30u8, 0x03, 0x02, 0x01, 0x00];
        let total = (20 + 8 + payload.len()) as u16;
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0]);
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f[18..20].copy_from_slice(&id.to_be_bytes());
        f.extend_from_slice(&[10, 0, 0, a, 10, 0, 1, b]);
        f.extend_from_slice(&(40_000 + a as u16).to_be_bytes());
        f.extend_from_slice(&161u16.to_be_bytes());
        f.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(&payload);
        f
    }

    #[test]
    fn idle_expiry_is_the_same_for_any_number_of_workers() {
        // 30 conversations that each pause longer than the idle timeout (600 s) three times,
        // among a heartbeat that keeps the capture clock going every second.
        let mut recs: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut id = 0u16;
        for i in 0..30u8 {
            for k in 0..4u64 {
                id = id.wrapping_add(1);
                recs.push((1000 + k * 650 + i as u64 * 3, udp_frame(i + 1, i % 7, id)));
            }
        }
        for t in 1000..(1000 + 3 * 650 + 700) {
            id = id.wrapping_add(1);
            recs.push((t, udp_frame(200, 200, id)));
        }
        recs.sort_by_key(|r| r.0);
        let mut bytes = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        for (t, f) in &recs {
            bytes.extend_from_slice(&(*t as u32).to_le_bytes());
            bytes.extend_from_slice(&0u32.to_le_bytes());
            bytes.extend_from_slice(&(f.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&(f.len() as u32).to_le_bytes());
            bytes.extend_from_slice(f);
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        let paths = vec![file.path().to_path_buf()];
        let run = |threads: usize| {
            let a = analyze(&paths, &Limits::default(), threads, None);
            (
                a.counters.flow_table.expired,
                a.counters.flows,
                format!("{:?}", a.convs.map),
            )
        };
        let one = run(1);
        // Every pause ends the flow: 30 × 4 flows, all expired (the heartbeat's stays open).
        assert_eq!((one.0, one.1), (120, 121));
        for threads in [2, 3, 4] {
            assert_eq!(run(threads), one, "{threads} workers");
        }
    }
}
