#!/usr/bin/env bash
# Whole-file throughput of otscope against tshark and Suricata, on the same captures, side by
# side: median wall time of RUNS runs, MB/s, packets/s, peak RSS, and each tool's time as a
# multiple of otscope's single-thread time.
#
#   scripts/bench.sh                      # 100 MB and 1 GB captures, 3 runs each
#   SIZES="100M" RUNS=5 scripts/bench.sh  # other sizes / run counts
#   SITES=16 scripts/bench.sh             # captures that cycle 16 address blocks (fixed hosts)
#   RUNS_1G=1 scripts/bench.sh            # fewer runs for the 1 GB capture (default: RUNS)
#
# The captures are assembled by `examples/assemble.rs` from the shipped captures into
# target/bench/ (not committed) and read once before timing, so every tool reads from the
# page cache. Tools:
#   otscope-1t   otscope analyze --threads 1 (all dissectors, inventory, zones, findings, JSON)
#   otscope-Nt   otscope analyze --threads $(nproc)
#   tshark-q     tshark -n -q -r FILE (reads the file, dissects only what -q needs)
#   tshark-ics   tshark -n -q -r FILE -Y "modbus || s7comm || enip || cip || opcua"
#                (the display filter makes tshark dissect every packet with the ICS dissectors)
#   suricata     Suricata, only its Modbus, ENIP and DNP3 parsers, no rules, no output, one
#                thread, mid-stream pick-up on and no stream depth limit (so that it parses the
#                same streams otscope parses); skipped with a notice when not installed
# Results are printed and written to target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"100M 1G"}
RUNS=${RUNS:-3}
DIR=${BENCH_DIR:-target/bench}
SITES=${SITES:-}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
mkdir -p "$DIR"
OUT="$DIR/results.md"

cargo build --release --quiet --bin otscope --example assemble
OTSCOPE="$CARGO_TARGET_DIR/release/otscope"
ASSEMBLE="$CARGO_TARGET_DIR/release/examples/assemble"

have() { command -v "$1" >/dev/null 2>&1; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

# Suricata: a minimal configuration with every app-layer parser off except Modbus, ENIP, DNP3.
SURI_DIR=$(mktemp -d)
trap 'rm -rf "$SURI_DIR"' EXIT
if have suricata; then
    {
        echo '%YAML 1.1'
        echo '---'
        echo 'vars:'
        echo '  address-groups: {HOME_NET: "any", EXTERNAL_NET: "any"}'
        echo '  port-groups: {HTTP_PORTS: "80", SHELLCODE_PORTS: "!80", ORACLE_PORTS: "1521", SSH_PORTS: "22", DNP3_PORTS: "20000", MODBUS_PORTS: "502", FILE_DATA_PORTS: "80", FTP_PORTS: "21", GENEVE_PORTS: "6081", VXLAN_PORTS: "4789", TEREDO_PORTS: "3544"}'
        echo "default-log-dir: $SURI_DIR"
        echo 'outputs: []'
        echo 'logging: {default-log-level: error, outputs: [{console: {enabled: yes}}]}'
        echo 'app-layer:'
        echo '  protocols:'
        # every parser the installed version knows (from its default configuration), off
        if [ -f /etc/suricata/suricata.yaml ]; then
            awk '/^app-layer:/{a=1;next} a&&/^[^ #]/{a=0} a&&/^    [a-z0-9-]+:[ ]*$/{sub(":","",$1); print $1}' \
                /etc/suricata/suricata.yaml | sort -u | while read -r p; do
                case "$p" in modbus | enip | dnp3) ;; *) echo "    $p: {enabled: no}" ;; esac
            done
        fi
        echo '    modbus: {enabled: yes, detection-ports: {dp: 502}}'
        echo '    enip: {enabled: yes, detection-ports: {dp: 44818, sp: 44818}}'
        echo '    dnp3: {enabled: yes, detection-ports: {dp: 20000}}'
        # Parse what otscope parses: flows picked up mid-stream (most shipped captures start
        # mid-connection; Suricata's default ignores those), one-sided flows, whole streams.
        echo 'stream: {midstream: true, async-oneside: true, reassembly: {depth: 0}}'
    } >"$SURI_DIR/suricata.yaml"
fi

# run NAME FILE CMD...: RUNS timed runs; prints "median_wall median_cpu max_rss_kb"
# (cpu = user + system time of all threads of the process)
run() {
    local walls=() cpus=() rss=0 i t u s m
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -f "%e %U %S %M" -o "$DIR/.time" "${@:3}" >/dev/null 2>"$DIR/.stderr" || {
            echo "bench: $1 failed:" >&2
            tail -5 "$DIR/.stderr" >&2
            echo "- - -"
            return
        }
        read -r t u s m <"$DIR/.time"
        walls+=("$t")
        cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')")
        if ((m > rss)); then rss=$m; fi
    done
    local w c
    w=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
    c=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
    echo "$w $c $rss"
}

{
    echo "# otscope whole-file benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB RAM; $(uname -sr)"
    echo "- load before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- otscope $("$OTSCOPE" --version 2>/dev/null | awk '{print $2}'), $(tshark --version 2>/dev/null | head -1)$(have suricata && echo ", $(suricata -V 2>/dev/null)")"
    echo "- median of $RUNS runs (1 GB: ${RUNS_1G:-$RUNS}), wall and CPU (user+system, all threads) time of the whole process; peak RSS = largest of the runs"
} | tee "$OUT"

ALL_RUNS=$RUNS
for size in $SIZES; do
    RUNS=$ALL_RUNS
    case $size in 1G | 1g | 1024M) RUNS=${RUNS_1G:-$ALL_RUNS} ;; esac
    file="$DIR/ot-$size${SITES:+-s$SITES}.pcap"
    if [ ! -s "$file" ]; then
        "$ASSEMBLE" --size "$size" ${SITES:+--sites "$SITES"} --out "$file" >&2
    fi
    cat "$file" >/dev/null # into the page cache
    bytes=$(stat -c %s "$file")
    frames=$("$OTSCOPE" analyze --threads 1 --format json -o "$DIR/.report.json" "$file" >/dev/null 2>&1; python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['inputs'][0]['packets'])" "$DIR/.report.json")
    {
        echo
        echo "## $file: $((bytes / 1000000)) MB, $frames frames ($((bytes / frames)) bytes per frame incl. record header)"
        echo
        echo "| tool | wall s | MB/s | packets/s | CPU s | MB per CPU-s | peak RSS MB | wall vs otscope-1t |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    } | tee -a "$OUT"
    base=""
    tools=(otscope-1t otscope-Nt tshark-q tshark-ics suricata)
    for tool in "${tools[@]}"; do
        case $tool in
        otscope-1t) cmd=("$OTSCOPE" analyze --threads 1 --format json -o /dev/null "$file") ;;
        otscope-Nt) cmd=("$OTSCOPE" analyze --threads "$(nproc)" --format json -o /dev/null "$file") ;;
        tshark-q)
            have tshark || { echo "| tshark-q | not installed | | | | | | |" | tee -a "$OUT"; continue; }
            cmd=(tshark -n -q -r "$file")
            ;;
        tshark-ics)
            have tshark || continue
            cmd=(tshark -n -q -r "$file" -Y "modbus || s7comm || enip || cip || opcua")
            ;;
        suricata)
            if ! have suricata; then
                echo "| suricata | not installed (skipped) | | | | | | |" | tee -a "$OUT"
                continue
            fi
            rm -rf "$SURI_DIR/log" && mkdir -p "$SURI_DIR/log"
            cmd=(suricata -c "$SURI_DIR/suricata.yaml" -S /dev/null -r "$file" -l "$SURI_DIR/log" --runmode single)
            ;;
        esac
        read -r wall cpu rss < <(run "$tool" "$file" "${cmd[@]}")
        if [ "$wall" = "-" ]; then
            echo "| $tool | failed | | | | | | |" | tee -a "$OUT"
            continue
        fi
        [ -z "$base" ] && base=$wall
        awk -v t="$tool" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$bytes" -v f="$frames" -v base="$base" 'BEGIN{
            printf "| %s | %.2f | %.0f | %.2f M | %.2f | %.0f | %.0f | %.1fx |\n", t, w, b/1e6/w, f/w/1e6, c, b/1e6/c, r/1024, w/base }' | tee -a "$OUT"
    done
done
echo | tee -a "$OUT"
echo "load after the runs: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
