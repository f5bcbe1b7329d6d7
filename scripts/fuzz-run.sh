#!/bin/bash
# Fuzz every target (or the ones named) for SECONDS each, one at a time, one job each:
#   scripts/fuzz-run.sh SECONDS [TARGET...]
# Needs cargo-fuzz and a toolchain that accepts -Z flags: on stable Rust,
#   (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none)
# first. Seeds come from fuzz/seeds (python3 fuzz/seeds.py) and are minimised into
# fuzz/corpus/<target> together with what was there. A crash is saved under
# fuzz/artifacts/<target>/ and fuzzing goes on (up to 5 restarts). Per-target figures (runs,
# cov, ft, corpus, crashes) are appended to fuzz/logs/summary.tsv.
set -u
cd "$(dirname "$0")/../fuzz"
SECS=${1:?seconds per target}
shift
if [ $# -gt 0 ]; then TARGETS="$*"; else TARGETS=$(ls fuzz_targets | sed 's/\.rs$//'); fi
BIN=target/x86_64-unknown-linux-gnu/release
export OTSCOPE_FUZZ_TMP=${OTSCOPE_FUZZ_TMP:-/dev/shm}
mkdir -p logs
[ -f logs/summary.tsv ] || printf 'target\tseconds\truns\tcov\tft\tcorpus_files\tcorpus_kb\tcrashes\n' > logs/summary.tsv
for t in $TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t"
    case $t in
        capture_*|pipeline_*) maxlen=65536 ;;
        *) maxlen=4096 ;;
    esac
    common=(-max_len=$maxlen -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512
            -artifact_prefix="artifacts/$t/" -print_final_stats=1)
    if [ -d "seeds/$t" ]; then
        "$BIN/$t" -merge=1 "${common[@]}" "corpus/$t" "seeds/$t" > "logs/$t.merge.log" 2>&1
    fi
    log="logs/$t.log"
    : > "$log"
    start=$(date +%s)
    crashes=0
    runs=0
    while :; do
        now=$(date +%s)
        left=$((SECS - (now - start)))
        [ $left -le 5 ] && break
        "$BIN/$t" "${common[@]}" -max_total_time=$left "corpus/$t" >> "$log" 2>&1
        rc=$?
        r=$(grep 'stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
        runs=$((runs + ${r:-0}))
        if [ $rc -ne 0 ]; then
            crashes=$((crashes + 1))
            [ $crashes -ge 5 ] && break
        else
            break
        fi
    done
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    files=$(ls "corpus/$t" | wc -l)
    kb=$(du -sk "corpus/$t" | cut -f1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECS" "$runs" "$cov" "$ft" "$files" "$kb" "$crashes" >> logs/summary.tsv
    echo "$t: runs $runs cov $cov ft $ft corpus $files files ${kb} KB crashes $crashes"
done
