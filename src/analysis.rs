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

use crate::capture::merge::{MergedReader, expand_inputs, sizes_now};
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

/// How a run with several workers shares out its inputs (the report is the same either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharding {
    /// `Replicated` while there are no more workers than cores, `Dispatch` beyond.
    Auto,
    /// Every worker reads the files itself and keeps the frames of its shard (uncompressed
    /// files only: with a gzip input, `Dispatch`).
    Replicated,
    /// One reader hands every worker the frames of its shard.
    Dispatch,
}

/// Analyse capture files (and directories of them).
pub fn analyze(
    paths: &[PathBuf],
    limits: &Limits,
    threads: usize,
    progress: Option<Progress<'_>>,
) -> Analysis {
    analyze_with(paths, limits, threads, progress, Sharding::Auto)
}

/// [`analyze`] with a choice of [`Sharding`].
pub fn analyze_with(
    paths: &[PathBuf],
    limits: &Limits,
    threads: usize,
    progress: Option<Progress<'_>>,
    sharding: Sharding,
) -> Analysis {
    let mut expanded = expand_inputs(paths);
    // A run reads its files as they were when it began: every reader stops at these sizes, so
    // all of them see the same frames even while a capture is still being written.
    let caps = sizes_now(&expanded.files);
    let (reader, errs) =
        MergedReader::open_with(&expanded.files, limits.max_record_bytes, caps.clone(), true);
    expanded.errors.extend(errs);
    let threads = threads.max(1);
    // Every replicated reader reads every byte: worth it while each has a core of its own.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A gzip file is inflated once, not by every worker.
    let replicate = threads > 1
        && match sharding {
            Sharding::Auto => threads <= cores,
            Sharding::Replicated => true,
            Sharding::Dispatch => false,
        }
        && !reader.any_compressed();
    let (shards, reader) = if threads == 1 {
        let mut reader = reader.with_block_size(BLOCK_SIZE);
        (vec![run_shard(&mut reader, limits, 0, 1, progress)], reader)
    } else if replicate {
        let reader = reader.with_block_size(BLOCK_SIZE);
        let (shards, reader, errors) =
            run_replicated(&expanded.files, reader, caps, limits, threads, progress);
        expanded.errors.extend(errors);
        (shards, reader)
    } else {
        let mut reader = reader.with_block_size(SHARDED_BLOCK_SIZE);
        let shards = run_sharded(&mut reader, limits, threads, progress);
        (shards, reader)
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

/// What identifies the frames a reader saw of one input: packets, captured bytes, and the
/// offset and frame where it stopped early.
type Seen = (u64, u64, Option<(u64, u64)>);

fn seen(s: &Option<InputSummary>) -> Option<Seen> {
    s.as_ref().map(|s| {
        let stop = s.stopped.as_ref().map(|x| (x.offset, x.after_frame));
        (s.packets, s.bytes, stop)
    })
}

/// Inputs a replica read differently from the primary reader (the file was replaced, shrank
/// or became unreadable during the run): the shards of those workers may miss frames, and the
/// run says so instead of reporting a partial analysis as a whole one.
fn disagreements(
    files: &[PathBuf],
    primary: &[Option<InputSummary>],
    replicas: &[Vec<Option<InputSummary>>],
) -> Vec<InputError> {
    let mut out = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let p = seen(primary.get(i).unwrap_or(&None));
        if replicas
            .iter()
            .any(|r| seen(r.get(i).unwrap_or(&None)) != p)
        {
            out.push(InputError {
                path: path.display().to_string(),
                error: "the file changed while it was read (the workers saw different contents): \
                        frames may be missing; analyse a copy, or use --threads 1"
                    .into(),
            });
        }
    }
    out
}

/// Shard `k` of `n` over the whole merged stream of `reader`: the run's sweep clock ticks on
/// every frame, the engine processes the frames of its shard ([`shard_of`]; with `n` = 1,
/// every frame).
fn run_shard(
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

/// Sharded analysis of uncompressed files: every worker reads the whole merged stream itself
/// and processes the frames of its shard ([`run_shard`]). Nothing crosses between cores while
/// the capture is read: each worker analyses frames its own core just copied from the page
/// cache, which on a small machine beats one reader handing frames to workers. Worker 0 runs
/// on the calling thread with the primary reader, whose input summaries (and digests) the
/// report uses; the others read replicas, which stop at the same sizes (`caps`). An input a
/// replica read differently from the primary comes back as an error.
fn run_replicated(
    files: &[PathBuf],
    mut reader: MergedReader,
    caps: Vec<u64>,
    limits: &Limits,
    n: usize,
    progress: Option<Progress<'_>>,
) -> (Vec<Shard>, MergedReader, Vec<InputError>) {
    let (shards, replicas) = std::thread::scope(|s| {
        let handles: Vec<_> = (1..n)
            .map(|k| {
                let lim = limits.clone();
                let caps = caps.clone();
                std::thread::Builder::new()
                    .name(format!("otscope-worker-{k}"))
                    .spawn_scoped(s, move || {
                        let (replica, _) =
                            MergedReader::open_with(files, lim.max_record_bytes, caps, false);
                        let mut replica = replica.with_block_size(BLOCK_SIZE);
                        let shard = run_shard(&mut replica, &lim, k, n, None);
                        (shard, replica.summaries())
                    })
                    .expect("spawn worker thread")
            })
            .collect();
        let mut shards = vec![run_shard(&mut reader, limits, 0, n, progress)];
        let mut replicas = Vec::new();
        for h in handles {
            let (shard, seen) = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            shards.push(shard);
            replicas.push(seen);
        }
        (shards, replicas)
    });
    let errors = disagreements(files, reader.summaries_so_far(), &replicas);
    (shards, reader, errors)
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
///
/// The first shard is the base the others are folded into: folding it into empty collections
/// gave the same result (every shard was built under the same limits) after re-inserting all
/// of its entries, about 0.1 s for a capture with ten thousand assets even on one thread.
fn merge(shards: Vec<Shard>, limits: &Limits) -> Analysis {
    let cap = limits.max_evidence_frames;
    let mut shards = shards.into_iter();
    let (mut store, mut hosts, mut convs, mut counters) = match shards.next() {
        Some(s) => (s.store, s.hosts, s.convs, s.counters),
        None => (
            Store::new(limits.max_observations, cap),
            Hosts::new(limits.max_hosts),
            Conversations::new(limits.max_conversations, cap),
            Counters::default(),
        ),
    };
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

    /// A classic pcap file of (seconds, Ethernet frame) records.
    fn pcap_file(recs: &[(u64, Vec<u8>)]) -> tempfile::NamedTempFile {
        let mut bytes = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        for (t, f) in recs {
            bytes.extend_from_slice(&(*t as u32).to_le_bytes());
            bytes.extend_from_slice(&0u32.to_le_bytes());
            bytes.extend_from_slice(&(f.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&(f.len() as u32).to_le_bytes());
            bytes.extend_from_slice(f);
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        file
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
        let file = pcap_file(&recs);
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
        for how in [Sharding::Replicated, Sharding::Dispatch] {
            let a = analyze_with(&paths, &Limits::default(), 3, None, how);
            let got = (a.counters.flow_table.expired, a.counters.flows);
            assert_eq!(got, (one.0, one.1), "{how:?}");
            assert!(a.input_errors.is_empty());
        }
    }

    #[test]
    fn a_replica_that_read_other_contents_is_reported() {
        let pcap = |n: u8| {
            let recs: Vec<_> = (0..n)
                .map(|i| (100 + i as u64, udp_frame(i + 1, 1, i as u16)))
                .collect();
            pcap_file(&recs)
        };
        let (whole, shorter) = (pcap(5), pcap(3));
        let read = |f: &tempfile::NamedTempFile, primary: bool| {
            let files = vec![f.path().to_path_buf()];
            let (mut r, _) = MergedReader::open_with(&files, 1 << 16, Vec::new(), primary);
            r.for_each(|_| {});
            r.summaries()
        };
        let files = vec![whole.path().to_path_buf()];
        let primary = read(&whole, true);
        // The same contents: nothing to say (the replica's empty digest does not count).
        assert!(disagreements(&files, &primary, &[read(&whole, false)]).is_empty());
        // The file was replaced by a shorter one before a replica read it.
        let e = disagreements(
            &files,
            &primary,
            &[read(&whole, false), read(&shorter, false)],
        );
        assert_eq!(e.len(), 1);
        assert!(
            e[0].error.contains("changed while it was read"),
            "{}",
            e[0].error
        );
        // A replica that could not open it at all.
        let e = disagreements(&files, &primary, &[vec![None]]);
        assert_eq!(e.len(), 1);
    }
}
