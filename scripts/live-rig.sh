#!/usr/bin/env bash
# Test rig for `otscope live`: two network namespaces joined by a veth pair. Frames replayed
# into one end (tcpreplay) arrive on the other, where otscope captures them. Nothing leaves the
# namespaces: the ends have no addresses and no routes, IPv6 is off (no ND/MLD chatter), and
# the capture side's kernel drops the replayed packets (not addressed to it).
#
#   live-rig.sh up NAME           create NAME-tx / NAME-rx with veth tx-NAME <-> rx-NAME
#   live-rig.sh replay NAME FILE [tcpreplay options...]   replay FILE into tx-NAME
#   live-rig.sh exec NAME CMD...  run CMD in the capture namespace (interface rx-NAME)
#   live-rig.sh down NAME         remove both namespaces (and with them the veth pair)
#
# NAME: up to 12 characters. Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN), iproute2 and
# tcpreplay (scripts/install-deps.sh).
set -euo pipefail
cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || { sed -n '2,14p' "$0"; exit 2; }
[ ${#name} -le 12 ] || { echo "live-rig: NAME must be at most 12 characters" >&2; exit 2; }
tx="$name-tx"; rx="$name-rx"; itx="tx-$name"; irx="rx-$name"
case "$cmd" in
  up)
    ip netns add "$tx"
    ip netns add "$rx"
    ip link add "$itx" netns "$tx" type veth peer name "$irx" netns "$rx"
    for ns in "$tx" "$rx"; do
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
      ip -n "$ns" link set lo up
    done
    # Large frames from captures (jumbo, offloaded TSO segments) must fit.
    ip -n "$tx" link set "$itx" mtu 65000
    ip -n "$rx" link set "$irx" mtu 65000
    ip netns exec "$tx" sysctl -qw "net.ipv6.conf.$itx.disable_ipv6=1"
    ip netns exec "$rx" sysctl -qw "net.ipv6.conf.$irx.disable_ipv6=1"
    ip -n "$tx" link set "$itx" up
    ip -n "$rx" link set "$irx" up
    ;;
  replay)
    shift 2
    file=$1; shift
    exec ip netns exec "$tx" tcpreplay -q -i "$itx" "$@" "$file"
    ;;
  exec)
    shift 2
    exec ip netns exec "$rx" "$@"
    ;;
  down)
    ip netns del "$tx" 2>/dev/null || true
    ip netns del "$rx" 2>/dev/null || true
    ;;
  *) echo "live-rig: unknown command $cmd" >&2; exit 2 ;;
esac
