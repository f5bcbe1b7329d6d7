#!/bin/bash
# Make the committed replay sets fuzz/replay/<target>/ from the (uncommitted, large) fuzzing
# corpora fuzz/corpus/<target>/: libFuzzer's coverage-preserving merge with inputs cut to
# MAXLEN bytes (default 512; 8x that for the file and pipeline targets), so CI replays what the fuzzer learned in a few MB.
#   scripts/fuzz-replay-set.sh [MAXLEN] [TARGET...]
# Needs the fuzz binaries (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none).
set -eu
cd "$(dirname "$0")/../fuzz"
MAXLEN=${1:-512}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then TARGETS="$*"; else TARGETS=$(ls fuzz_targets | sed 's/\.rs$//'); fi
BIN=target/x86_64-unknown-linux-gnu/release
export OTSCOPE_FUZZ_TMP=${OTSCOPE_FUZZ_TMP:-/dev/shm}
for t in $TARGETS; do
    case $t in
        capture_*|pipeline_*) max=$((MAXLEN * 8)) ;;
        *) max=$MAXLEN ;;
    esac
    rm -rf "replay/$t"
    mkdir -p "replay/$t"
    "$BIN/$t" -merge=1 -max_len=$max -timeout=10 -rss_limit_mb=2048 "replay/$t" "corpus/$t" \
        > "logs/$t.replay.log" 2>&1
    echo "$t: $(ls "replay/$t" | wc -l) files, $(du -sk "replay/$t" | cut -f1) KB"
done
