#!/usr/bin/env bash
# Throughput and memory of `otscope live` on the netns rig (scripts/live-rig.sh). Root only.
#
#   scripts/live-rate.sh rate [CAPTURE] [PPS...]   replay CAPTURE (looped to ~LOOP_PACKETS
#       packets) at each rate (packets/s; `top` = tcpreplay --topspeed) and print, per rate,
#       what tcpreplay sent, what otscope captured and analysed, and every loss counter.
#   LIVE_ARGS="--buffer-size 1M" adds options to otscope live (e.g. to see drops counted);
#   BATCH=N sets the frames per sendmmsg of blast (default 64).
#   scripts/live-rate.sh rss [CAPTURE] [PPS] [SECONDS]   replay CAPTURE in a loop at PPS for
#       SECONDS with a snapshot every 10 s, and print the process RSS at each snapshot.
#   scripts/live-rate.sh blast [CAPTURE] [PACKETS] [SENDERS]   send PACKETS frames of CAPTURE
#       with SENDERS (default 1) parallel copies of examples/blast.rs (faster than tcpreplay:
#       frames preloaded, 64 per sendmmsg) at top speed, and print what each sender achieved,
#       what otscope captured and lost, and the CPU time otscope used (and each of its
#       threads). Sender i sends frames i*PACKETS.. of CAPTURE (in a loop if it is shorter):
#       give a capture of at least SENDERS*PACKETS frames, so that no frame is sent twice.
#
# Uses target/release/otscope (built if missing). Traffic stays inside the rig's namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-rate}; shift || true
BIN=${OTSCOPE:-target/release/otscope}
[ -x "$BIN" ] || cargo build --release --quiet
RIG=scripts/live-rig.sh
NAME=rate$$
NAME=${NAME:0:12}
work=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null || true; $RIG down "$NAME"; rm -rf "$work"; }
trap cleanup EXIT
$RIG up "$NAME"

start_live() { # args: out dir, extra args
  local out=$1; shift
  $RIG exec "$NAME" "$BIN" live -i "rx-$NAME" --out "$out" --quiet "$@" &
  pid=$!
  for _ in $(seq 100); do [ -f "$out/report.json" ] && return 0; sleep 0.1; done
  echo "otscope live did not start" >&2; exit 1
}

stop_live() { kill -INT "$pid"; wait "$pid" || true; pid=; }

field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['live'][sys.argv[2]])" "$@"; }

case "$mode" in
  rate)
    cap=${1:-captures/public/modbus/iti__ModbusTCP.pcap}; shift || true
    rates=("$@"); [ ${#rates[@]} -gt 0 ] || rates=(20000 50000 100000 150000 200000 top)
    n=$(capinfos -c -M "$cap" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    loops=$(( (${LOOP_PACKETS:-600000} + n - 1) / n ))
    printf '%-8s %10s %10s %10s %10s %9s %9s %9s %10s\n' rate sent_pps sent captured analysed kernel ifdrop shed rss_MiB
    for r in "${rates[@]}"; do
      out="$work/$r"; mkdir -p "$out"
      start_live "$out" --snapshot-every 1h ${LIVE_ARGS:-}
      if [ "$r" = top ]; then opt=(--topspeed); else opt=(--pps "$r"); fi
      res=$($RIG replay "$NAME" "$cap" --loop "$loops" "${opt[@]}" 2>&1)
      sent=$(echo "$res" | awk '/Actual:/ {print $2}')
      secs=$(echo "$res" | awk '/Actual:/ {print $(NF-1)}')
      stop_live
      j="$out/report.json"
      printf '%-8s %10.0f %10s %10s %10s %9s %9s %9s %10.1f\n' "$r" "$(awk -v a="$sent" -v b="$secs" 'BEGIN{print a/b}')" "$sent" \
        "$(field "$j" captured)" "$(field "$j" analysed)" "$(field "$j" kernel_drops)" \
        "$(field "$j" interface_drops)" "$(field "$j" queue_shed_frames)" "$(awk -v a="$(field "$j" rss_bytes)" 'BEGIN{print a/1048576}')"
    done
    ;;
  rss)
    cap=${1:-captures/public/modbus/iti__ModbusTCP.pcap}
    pps=${2:-20000}; secs=${3:-180}
    out="$work/rss"; mkdir -p "$out"
    start_live "$out" --snapshot-every 10s
    $RIG replay "$NAME" "$cap" --loop 0 --pps "$pps" >/dev/null 2>&1 &
    rp=$!
    echo "time_s analysed rss_MiB assets conduits flows_open_or_closed"
    t0=$(date +%s)
    while [ $(( $(date +%s) - t0 )) -lt "$secs" ]; do
      sleep 10
      python3 - "$out/report.json" "$(( $(date +%s) - t0 ))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["live"]
print(sys.argv[2], l["analysed"], round(l["rss_bytes"] / 1048576, 1), len(r["assets"]),
      len(r["conduits"]), r["capture_quality"]["flows"].get("flows", 0),
      "drops:", l["kernel_drops"], l["interface_drops"], l["queue_shed_frames"])
PY
    done
    kill "$rp" 2>/dev/null || true; wait "$rp" 2>/dev/null || true
    stop_live
    ;;
  blast)
    cap=${1:-captures/public/modbus/iti__ModbusTCP.pcap}
    packets=${2:-3000000}; senders=${3:-1}
    BLAST=target/release/examples/blast
    cargo build --release --quiet --example blast  # a no-op when up to date
    out="$work/blast"; mkdir -p "$out"
    $RIG exec "$NAME" /usr/bin/time -o "$work/time" -f "%U %S" "$BIN" live -i "rx-$NAME" \
      --out "$out" --quiet --snapshot-every 1h ${LIVE_ARGS:-} &
    pid=$!
    for _ in $(seq 100); do [ -f "$out/report.json" ] && break; sleep 0.1; done
    sp=()
    # Each sender its own part of the capture (see examples/blast.rs for why).
    for i in $(seq 0 $((senders - 1))); do
      ip netns exec "$NAME-tx" "$BLAST" "tx-$NAME" "$cap" "$packets" 0 "${BATCH:-64}" $((i * packets)) | tee -a "$work/sent" &
      sp+=($!)
    done
    for p in "${sp[@]}"; do wait "$p"; done
    # Together: all frames over the longest sender's time. On a link each frame also takes
    # 24 bytes the capture does not hold (FCS 4, preamble 8, inter-frame gap 12): the second
    # figure is the line rate the same frames fill on a SPAN port.
    awk '{n += $2; b += substr($4, 2); if ($9 > t) t = $9}
         END {printf "all senders: %d packets in %.3f s: %.0f packets/s, %.1f Mb/s of frames, %.1f Mb/s on the wire\n",
              n, t, n / t, b * 8 / t / 1e6, (b + 24 * n) * 8 / t / 1e6}' "$work/sent"
    sleep 1
    # CPU per thread (capture, analysis, ...), from /proc, in clock ticks.
    lp=$(pgrep -f "^$BIN live -i rx-$NAME" | head -1)
    tick=$(getconf CLK_TCK)
    threads=$(for t in /proc/"$lp"/task/*; do
      awk -v tick="$tick" -v name="$(cat "$t/comm")" '{printf "%s %.2f s, ", name, ($14 + $15) / tick}' "$t/stat"
    done)
    # The capture runs under time(1): signal otscope itself, then wait for both.
    kill -INT "$lp" || true
    wait "$pid" || true; pid=
    j="$out/report.json"
    echo "otscope: captured $(field "$j" captured), analysed $(field "$j" analysed)," \
      "kernel drops $(field "$j" kernel_drops), interface drops $(field "$j" interface_drops)," \
      "shed $(field "$j" queue_shed_frames), RSS $(awk -v a="$(field "$j" rss_bytes)" 'BEGIN{printf "%.1f", a/1048576}') MiB," \
      "CPU $(awk '{printf "%.2f s user, %.2f s system", $1, $2}' "$work/time")"
    echo "otscope CPU by thread: ${threads%, }"
    python3 -c "import json,sys; q=json.load(open(sys.argv[1]))['capture_quality']
print('analysis: %d duplicate frames, %d retransmitted TCP bytes' % (q.get('duplicate_frames', 0), q['tcp'].get('retransmitted_bytes', 0)))" "$j"
    ;;
  *) sed -n '2,18p' "$0"; exit 2 ;;
esac
