#!/usr/bin/env bash
# Regenerate captures/demo/: the Alder Creek water treatment works, built from real protocol
# stacks in network namespaces (see README.md in this folder).
#
# Usage: sudo captures/plant-gen/make-plant.sh [OUTPUT-DIR]     (default: captures/demo)
#
# Needs root (network namespaces, tcpdump). Every namespace it creates is named acw-* and is
# removed on exit, also after a failure or Ctrl-C. Nothing leaves the namespaces. Exits
# non-zero if any step or any truth check fails; the output folder is only written when all
# checks pass. KEEP_WORK=1 keeps the work folder (raw sensor captures, logs, client log).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$(cd "$HERE/.." && pwd)/demo}
PY=${PYTHON:-$(command -v python3)}
export PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0

if [[ $(id -u) -ne 0 ]]; then
    echo "make-plant.sh: must run as root (network namespaces, tcpdump)" >&2
    exit 2
fi
missing=()
for tool in ip bridge tcpdump tshark ethtool unshare socat snmpd snmpget /usr/sbin/sshd sshpass \
            ssh-keygen Xtigervnc vncpasswd dnsmasq lldpd busybox curl openssl /usr/sbin/telnetd; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
"$PY" - <<'PYEOF' || missing+=("python modules (pip install -r captures/plant-gen/requirements.txt)")
import pymodbus, snap7, cpppo, pylogix, pycomm3, asyncua, pyftpdlib, vncdotool  # noqa: F401
PYEOF
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "make-plant.sh: missing: ${missing[*]} (see captures/plant-gen/README.md)" >&2
    exit 2
fi

WORK=$(mktemp -d /tmp/acw-gen.XXXXXX)
chmod 755 "$WORK"
cleanup() {
    local rc=$?
    set +e
    "$PY" "$HERE/plant.py" teardown
    if [[ $rc -ne 0 || -n "${KEEP_WORK:-}" ]]; then
        echo "[make-plant] rc=$rc; work folder kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$PY" "$HERE/plant.py" run --work "$WORK/run"
"$PY" "$HERE/postprocess.py" --work "$WORK/run" --out "$WORK/out" >/dev/null
"$PY" "$HERE/truth.py" --work "$WORK/run" --out "$WORK/out"

mkdir -p "$OUT"
for f in ot-trunk.pcapng site-fw.pcap truth.json zones.toml; do
    cp -f "$WORK/out/$f" "$OUT/$f"
done
echo "[make-plant] wrote $(cd "$OUT" && ls ot-trunk.pcapng site-fw.pcap truth.json zones.toml | tr '\n' ' ')to $OUT" >&2
