#!/usr/bin/env bash
# Install the system packages otscope's build and test suite need (Debian/Ubuntu).
#   libpcap-dev   live capture (`pcap` crate)
#   tshark        protocol oracle in some tests (skipped with a notice when absent)
#   tcpreplay, iproute2, ethtool   live-mode tests in network namespaces
#   chromium      headless rendering test of the HTML report
# Runs as root (or with sudo); installs only what is missing.
set -euo pipefail
want=(libpcap-dev pkg-config)
if [ "${1:-}" != "--minimal" ]; then
  want+=(tshark tcpreplay iproute2 ethtool chromium)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all present (${want[*]})"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
