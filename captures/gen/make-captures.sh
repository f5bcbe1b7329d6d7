#!/usr/bin/env bash
# (Re)create every capture in ../generated/ from real Python ICS stacks.
#
# Must run as root: it creates two network namespaces (ots-srv, ots-cli)
# joined by a veth pair 10.77.0.10/24 <-> 10.77.0.20/24, runs a server in
# ots-srv and a client in ots-cli, and records the server-side veth with
# tcpdump. No packet leaves the namespaces. Namespaces are removed on exit,
# also on failure. Exits non-zero if any capture fails.
#
# Usage: sudo captures/gen/make-captures.sh [capture-name ...]
#   names: modbus modbus5020 s7 s7port1102 enip opcua opcua48400 opcuaenc garbage
#   (default: all)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(cd "$HERE/.." && pwd)/generated
PY=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
export PYTHONDONTWRITEBYTECODE=1
export PYTHONHASHSEED=0

SRV_NS=ots-srv
CLI_NS=ots-cli
SRV_IF=ots-s0
CLI_IF=ots-c0
SRV_IP=10.77.0.10
CLI_IP=10.77.0.20
CLI_MAC=18:66:da:4f:54:20        # Dell OUI (engineering workstation)

if [[ $(id -u) -ne 0 ]]; then
    echo "make-captures.sh: must run as root (network namespaces, tcpdump)" >&2
    exit 2
fi
for tool in ip tcpdump tshark unshare ethtool; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/otscope-gen.XXXXXX)
TCPDUMP_PID=""
SERVER_PID=""

log() { echo "[make-captures] $*" >&2; }

stop_pid() {  # stop_pid PID [signal]: stop one process we started, wait for it
    local pid=$1 sig=${2:-TERM}
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -"$sig" "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

teardown_ns() {
    local ns p
    for ns in "$SRV_NS" "$CLI_NS"; do
        ip netns list | grep -qw "$ns" || continue
        # only processes inside our own namespaces (started by this script)
        for p in $(ip netns pids "$ns" 2>/dev/null || true); do kill -KILL "$p" 2>/dev/null || true; done
    done
    ip netns del "$SRV_NS" 2>/dev/null || true
    ip netns del "$CLI_NS" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    set +e
    stop_pid "$SERVER_PID" TERM
    stop_pid "$TCPDUMP_PID" INT
    teardown_ns
    if [[ $rc -ne 0 || -n "${KEEP_WORK:-}" ]]; then
        log "rc=$rc; logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# setup_ns SERVER_MAC: fresh namespaces + veth pair, IPv6 off, fixed MACs.
setup_ns() {
    local srv_mac=$1
    teardown_ns
    ip netns add "$SRV_NS"
    ip netns add "$CLI_NS"
    for ns in "$SRV_NS" "$CLI_NS"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip link add "$SRV_IF" netns "$SRV_NS" type veth peer name "$CLI_IF" netns "$CLI_NS"
    ip -n "$SRV_NS" link set "$SRV_IF" address "$srv_mac"
    ip -n "$CLI_NS" link set "$CLI_IF" address "$CLI_MAC"
    ip -n "$SRV_NS" addr add "$SRV_IP/24" dev "$SRV_IF"
    ip -n "$CLI_NS" addr add "$CLI_IP/24" dev "$CLI_IF"
    # no segmentation/receive offloads: frames on the wire stay <= MTU (1514 bytes)
    ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    ip -n "$SRV_NS" link set "$SRV_IF" up
    ip -n "$CLI_NS" link set "$CLI_IF" up
    # wait for carrier on both ends
    for _ in $(seq 1 50); do
        if ip -n "$SRV_NS" link show "$SRV_IF" | grep -q LOWER_UP &&
           ip -n "$CLI_NS" link show "$CLI_IF" | grep -q LOWER_UP; then break; fi
        sleep 0.1
    done
}

# nsrun NS HOSTNAME CMD...: run CMD in NS inside its own UTS namespace with
# a neutral host name, so the build machine's host name cannot leak.
nsrun() {
    local ns=$1 host=$2; shift 2
    ip netns exec "$ns" unshare --uts -- /bin/sh -c 'hostname "$0"; exec "$@"' "$host" "$@"
}

start_capture() {  # start_capture FILE
    local file=$1
    rm -f "$file"
    ip netns exec "$SRV_NS" tcpdump -i "$SRV_IF" -n -U --immediate-mode -Z root -w "$file" >"$WORK/tcpdump.log" 2>&1 &
    TCPDUMP_PID=$!
    for _ in $(seq 1 50); do
        grep -q "listening on" "$WORK/tcpdump.log" 2>/dev/null && return 0
        sleep 0.1
    done
    log "tcpdump did not start"; cat "$WORK/tcpdump.log" >&2; return 1
}

stop_capture() {
    sleep 1.2   # let the last FIN/ACKs reach the capture ring
    stop_pid "$TCPDUMP_PID" INT
    TCPDUMP_PID=""
}

start_server() {  # start_server LOGNAME PORT PROTO(tcp|udp-too) CMD...
    local name=$1 port=$2; shift 2
    nsrun "$SRV_NS" plc-sim "$@" >"$WORK/$name.server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do
        if ip netns exec "$SRV_NS" ss -Hltn "sport = :$port" | grep -q LISTEN; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    log "server $name did not listen on $port"; cat "$WORK/$name.server.log" >&2; return 1
}

stop_server() {
    stop_pid "$SERVER_PID" "${1:-TERM}"
    SERVER_PID=""
}

client() {  # client LOGNAME CMD...
    local name=$1; shift
    if ! nsrun "$CLI_NS" eng-ws "$@" >>"$WORK/$name.client.log" 2>&1; then
        log "client $name failed"; tail -40 "$WORK/$name.client.log" >&2; return 1
    fi
}

truth() {  # truth NAME PORT SRV_MAC EXTRA-ARGS...
    local name=$1 port=$2 mac=$3; shift 3
    "$PY" "$HERE/truth.py" --pcap "$WORK/$name.pcap" --out "$WORK/$name.truth.json" \
        --server-ip "$SRV_IP" --client-ip "$CLI_IP" --server-mac "$mac" --client-mac "$CLI_MAC" \
        --port "$port" "$@"
    # publish only complete results
    mv -f "$WORK/$name.pcap" "$OUT/$name.pcap"
    mv -f "$WORK/$name.truth.json" "$OUT/$name.truth.json"
}

# ---------------------------------------------------------------- captures

cap_modbus() {
    local name=modbus-pymodbus mac=00:00:54:4f:54:10   # Schneider Electric OUI
    log "$name"
    setup_ns "$mac"
    start_capture "$WORK/$name.pcap"
    start_server "$name" 502 "$PY" "$HERE/modbus_server.py" --port 502 --info-json "$WORK/$name.server.json"
    client "$name" "$PY" "$HERE/modbus_client.py" --host "$SRV_IP" --port 502 --mode full --ops-json "$WORK/$name.ops.json"
    stop_server
    stop_capture
    truth "$name" 502 "$mac" --kind modbus --server-json "$WORK/$name.server.json" --ops-json "$WORK/$name.ops.json"
}

cap_modbus5020() {
    local name=modbus-pymodbus-port5020 mac=00:00:54:4f:54:11
    log "$name"
    setup_ns "$mac"
    start_capture "$WORK/$name.pcap"
    start_server "$name" 5020 "$PY" "$HERE/modbus_server.py" --port 5020 --info-json "$WORK/$name.server.json"
    client "$name" "$PY" "$HERE/modbus_client.py" --host "$SRV_IP" --port 5020 --mode short --ops-json "$WORK/$name.ops.json"
    stop_server
    stop_capture
    truth "$name" 5020 "$mac" --kind modbus --server-json "$WORK/$name.server.json" --ops-json "$WORK/$name.ops.json"
}

cap_garbage() {
    local name=modbus-garbage mac=00:00:54:4f:54:12
    log "$name"
    setup_ns "$mac"
    start_capture "$WORK/$name.pcap"
    start_server "$name" 502 "$PY" "$HERE/modbus_server.py" --port 502 --info-json "$WORK/$name.server.json"
    client "$name" "$PY" "$HERE/modbus_garbage_client.py" --host "$SRV_IP" --port 502 --ops-json "$WORK/$name.ops.json"
    stop_server
    stop_capture
    truth "$name" 502 "$mac" --kind modbus --server-json "$WORK/$name.server.json" --ops-json "$WORK/$name.ops.json"
}

cap_s7() {
    local name=s7-snap7 mac=28:63:36:4f:54:30           # Siemens OUI
    log "$name"
    setup_ns "$mac"
    start_capture "$WORK/$name.pcap"
    start_server "$name" 102 "$PY" "$HERE/s7_server.py" --port 102 --info-json "$WORK/$name.server.json"
    client "$name" "$PY" "$HERE/s7_client.py" --host "$SRV_IP" --port 102 --mode full --ops-json "$WORK/$name.ops.json"
    stop_server
    stop_capture
    truth "$name" 102 "$mac" --kind s7 --server-json "$WORK/$name.server.json" --ops-json "$WORK/$name.ops.json"
}

cap_s7port1102() {
    local name=s7-snap7-port1102 mac=28:63:36:4f:54:31
    log "$name"
    setup_ns "$mac"
    start_capture "$WORK/$name.pcap"
    start_server "$name" 1102 "$PY" "$HERE/s7_server.py" --port 1102 --info-json "$WORK/$name.server.json"
    client "$name" "$PY" "$HERE/s7_client.py" --host "$SRV_IP" --port 1102 --mode short --ops-json "$WORK/$name.ops.json"
    stop_server
    stop_capture
    truth "$name" 1102 "$mac" --kind s7 --server-json "$WORK/$name.server.json" --ops-json "$WORK/$name.ops.json"
}

cap_enip() {
    local name=enip-cpppo mac=5c:88:16:4f:54:40         # Rockwell Automation OUI
    log "$name"
    setup_ns "$mac"
    start_capture "$WORK/$name.pcap"
    start_server "$name" 44818 "$PY" -m cpppo.server.enip --config "$HERE/enip_identity.cfg" \
        --address "0.0.0.0:44818" --udp --tcp --print \
        'Scada=INT[10]' 'Temp=REAL' 'Speed=DINT'
    client "$name" "$PY" "$HERE/enip_client.py" --host "$SRV_IP" --ops-json "$WORK/$name.ops.json"
    stop_server
    stop_capture
    truth "$name" 44818 "$mac" --kind enip --identity-cfg "$HERE/enip_identity.cfg" --ops-json "$WORK/$name.ops.json"
}

opcua_capture() {  # opcua_capture NAME PORT MAC CLIENT-MODE
    local name=$1 port=$2 mac=$3 mode=$4
    log "$name"
    setup_ns "$mac"
    mkdir -p "$WORK/pki"
    start_capture "$WORK/$name.pcap"
    start_server "$name" "$port" "$PY" "$HERE/opcua_server.py" --host "$SRV_IP" --port "$port" \
        --pki "$WORK/pki" --info-json "$WORK/$name.server.json"
    client "$name" "$PY" "$HERE/opcua_client.py" --host "$SRV_IP" --port "$port" --mode "$mode" \
        --pki "$WORK/pki" --ops-json "$WORK/$name.ops.json"
    stop_server INT
    stop_capture
    truth "$name" "$port" "$mac" --kind opcua --server-json "$WORK/$name.server.json" --ops-json "$WORK/$name.ops.json"
}

cap_opcua()        { opcua_capture opcua-asyncua-none       4840  00:01:05:4f:54:50 none; }       # Beckhoff OUI
cap_opcuaenc()     { opcua_capture opcua-asyncua-encrypted  4840  00:01:05:4f:54:51 encrypted; }
cap_opcua48400()   { opcua_capture opcua-asyncua-port48400  48400 00:01:05:4f:54:52 short; }

ALL=(modbus modbus5020 s7 s7port1102 enip opcua opcuaenc opcua48400 garbage)
if [[ $# -gt 0 ]]; then SEL=("$@"); else SEL=("${ALL[@]}"); fi
for c in "${SEL[@]}"; do
    declare -F "cap_$c" >/dev/null || { echo "unknown capture: $c" >&2; exit 2; }
done
for c in "${SEL[@]}"; do
    "cap_$c"
done
teardown_ns
log "done: $(ls "$OUT" | tr '\n' ' ')"
