//! Replays the fuzz corpora on stable Rust: every file under `fuzz/replay/<target>/` (the
//! committed, size-capped minimisation of the fuzzing corpus, made by
//! `scripts/fuzz-replay-set.sh`) and `fuzz/regressions/<target>/` goes through the same entry point as the libFuzzer target
//! (`tests/robust_support/harness.rs`). A panic is a failure naming the file. CI runs this
//! (`scripts/fuzz-replay.sh`); no nightly toolchain is needed.

mod robust_support;

use robust_support::harness;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn replay(kind: &str) -> usize {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind);
    let mut total = 0;
    let mut failed = Vec::new();
    for (name, f) in harness::targets() {
        for p in files(&root.join(name)) {
            let data = std::fs::read(&p).unwrap();
            total += 1;
            if std::panic::catch_unwind(|| f(&data)).is_err() {
                failed.push(p.display().to_string());
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} input(s) panic: {failed:#?}",
        failed.len()
    );
    total
}

#[test]
fn corpus_replays_without_panic() {
    let n = replay("replay");
    // The replay sets are committed (fuzz/replay); an empty replay means they went missing.
    assert!(n > 1000, "only {n} corpus files found under fuzz/replay");
}

#[test]
fn fuzz_regressions_replay_without_panic() {
    replay("regressions");
}

#[test]
fn every_target_has_a_fuzz_binary_and_a_corpus() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, _) in harness::targets() {
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{name}.rs missing"
        );
        assert!(
            !files(&root.join("replay").join(name)).is_empty(),
            "fuzz/replay/{name} is empty"
        );
    }
}
