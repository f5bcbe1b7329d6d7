//! The CI-sized mutation run: 200 mutants (fixed seed) of the shipped public captures through
//! the full pipeline (analysis, inventory, zones, findings, every renderer, with and without
//! secrets): no panic, no hang, bounded memory. The full run with thousands of mutants in child
//! processes is `cargo run --release --example mutate` (see docs/robustness.md).

#[path = "../examples/mutate/mutants.rs"]
mod mutants;

use otscope::config::Limits;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

const VARIANTS: u64 = 200;
const SEED: u64 = 20_261_125;

#[test]
fn two_hundred_mutants_of_the_public_captures_neither_panic_nor_hang() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures/public");
    let all = mutants::captures(&dir);
    assert!(all.len() > 50, "public captures missing");
    let (tx, rx) = mpsc::channel::<(u64, Result<mutants::Outcome, String>)>();
    let worker_all = all.clone();
    // One worker runs the mutants in order; the test thread watches for a hang.
    std::thread::spawn(move || {
        let tmp = tempfile::Builder::new().suffix(".pcap").tempfile().unwrap();
        let limits = Limits::default();
        std::panic::set_hook(Box::new(|_| {}));
        for k in 0..VARIANTS {
            let c = (k as usize) % worker_all.len();
            let orig = std::fs::read(&worker_all[c]).unwrap();
            let other = std::fs::read(&worker_all[(c + 1) % worker_all.len()]).unwrap();
            let (bytes, _) =
                mutants::mutant(SEED, c as u64, k / worker_all.len() as u64, &orig, &other);
            std::fs::write(tmp.path(), &bytes).unwrap();
            let r = std::panic::catch_unwind(|| mutants::run_pipeline(tmp.path(), &limits))
                .map_err(|e| {
                    e.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                });
            if tx.send((k, r)).is_err() {
                return;
            }
        }
    });
    let mut opened = 0;
    let mut panics = Vec::new();
    for k in 0..VARIANTS {
        let c = (k as usize) % all.len();
        let idx = k / all.len() as u64;
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok((_, Ok(o))) => opened += o.opened as u64,
            Ok((_, Err(msg))) => panics.push(format!("{} mutant {idx}: {msg}", all[c].display())),
            Err(_) => panic!(
                "hang: {} mutant {idx} (seed {SEED}) still running after 120 s",
                all[c].display()
            ),
        }
    }
    let _ = std::panic::take_hook();
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
    // Most mutants still open as captures (the run exercises the pipeline, not just the
    // header check).
    assert!(opened > VARIANTS / 2, "only {opened} mutants opened");
    let rss = mutants::peak_rss_kb();
    assert!(rss < 1024 * 1024, "peak RSS {} MiB", rss / 1024);
}
