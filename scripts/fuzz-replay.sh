#!/bin/sh
# CI: replay the fuzz corpora and the crash regressions through the fuzz targets' entry points.
#
# On stable Rust (default): `cargo test --release --test fuzz_corpus` runs every file of
# fuzz/replay/<target>/ and fuzz/regressions/<target>/ through the same function the libFuzzer
# target calls (tests/robust_support/harness.rs). No nightly toolchain, no cargo-fuzz.
#
# With --libfuzzer: also builds the libFuzzer targets (cargo-fuzz; RUSTC_BOOTSTRAP=1 on stable)
# and runs each over its corpus with -runs=0 (every input once, with the fuzzer's checks).
set -eu
cd "$(dirname "$0")/.."
cargo test --release --test fuzz_corpus
if [ "${1:-}" = "--libfuzzer" ]; then
    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none)
    export OTSCOPE_FUZZ_TMP="${OTSCOPE_FUZZ_TMP:-${TMPDIR:-/tmp}}"
    for t in $(ls fuzz/fuzz_targets | sed 's/\.rs$//'); do
        for d in fuzz/replay/$t fuzz/regressions/$t; do
            [ -d "$d" ] || continue
            fuzz/target/x86_64-unknown-linux-gnu/release/$t -runs=0 -timeout=10 \
                -rss_limit_mb=2048 -malloc_limit_mb=512 "$d" 2>&1 | tail -1
        done
    done
fi
