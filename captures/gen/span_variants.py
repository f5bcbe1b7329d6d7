#!/usr/bin/env python3
"""Derive SPAN-port and link-layer variants of a real capture (default:
captures/generated/modbus-pymodbus.pcap) with scapy, to test what a trunk SPAN does to traffic:

  span-duplicates.pcap  every packet twice, as a SPAN of a router-on-a-stick trunk shows it: the
                        ingress copy tagged VLAN 10 (client side) and, 40 us later, the routed
                        egress copy tagged VLAN 20 with the router's MAC and the TTL decremented;
                        server-to-client packets the other way round. Client and server also
                        swap VLANs per direction, as in a routed inter-VLAN flow.
  sll2.pcap             the same packets as Linux cooked capture v2 (tcpdump -i any, libpcap >= 1.10).
  qinq.pcap             the same packets with two 802.1Q tags (S-tag 100, C-tag 10).

Also writes <name>.truth.json with the frame counts a correct reader must find. Re-runnable; the
output depends only on the input capture.

usage: span_variants.py [INPUT] [OUTDIR]
"""
import json
import sys
from pathlib import Path

from scapy.all import Ether, IP, Dot1Q, rdpcap, wrpcap, raw
from scapy.layers.l2 import CookedLinuxV2

here = Path(__file__).resolve().parent
inp = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "generated" / "modbus-pymodbus.pcap"
out = Path(sys.argv[2]) if len(sys.argv) > 2 else here.parent / "generated"
pkts = rdpcap(str(inp))
ROUTER = "58:ac:78:00:00:01"  # Cisco OUI: the router's interface MAC
client_ip = None
for p in pkts:
    if IP in p and p.haslayer("TCP") and p["TCP"].flags & 0x02 and not p["TCP"].flags & 0x10:
        client_ip = p[IP].src
        break

dups = []
for p in pkts:
    if IP not in p:
        continue
    from_client = p[IP].src == client_ip
    e = p[Ether]
    first_vlan, second_vlan = (10, 20) if from_client else (20, 10)
    a = Ether(src=e.src, dst=ROUTER) / Dot1Q(vlan=first_vlan) / p[IP].copy()
    a.time = p.time
    ip2 = p[IP].copy()
    ip2.ttl = ip2.ttl - 1
    del ip2.chksum  # recomputed: only the TTL and the IP header checksum change
    b = Ether(src=ROUTER, dst=e.dst) / Dot1Q(vlan=second_vlan) / ip2
    b.time = p.time + 0.00004
    dups += [a, b]
wrpcap(str(out / "span-duplicates.pcap"), dups)

sll2 = []
for p in pkts:
    if IP not in p:
        continue
    c = CookedLinuxV2(proto=0x0800, ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6, src=bytes.fromhex(p[Ether].src.replace(":", "")) + b"\0\0") / p[IP].copy()
    c.time = p.time
    sll2.append(c)
wrpcap(str(out / "sll2.pcap"), sll2, linktype=276)

qinq = []
for p in pkts:
    if IP not in p:
        continue
    q = Ether(src=p[Ether].src, dst=p[Ether].dst, type=0x88A8) / Dot1Q(vlan=100, type=0x8100) / Dot1Q(vlan=10) / p[IP].copy()
    q.time = p.time
    qinq.append(q)
wrpcap(str(out / "qinq.pcap"), qinq)

ip_packets = sum(1 for p in pkts if IP in p)
truth = {
    "source": inp.name,
    "generated_by": "captures/gen/span_variants.py (scapy)",
    "licence": "MIT OR Apache-2.0",
    "ip_packets_in_source": ip_packets,
    "span-duplicates.pcap": {"frames": len(dups), "duplicate_copies": ip_packets, "vlans": [10, 20], "router_mac": ROUTER, "client_ip": client_ip},
    "sll2.pcap": {"frames": len(sll2), "linktype": 276},
    "qinq.pcap": {"frames": len(qinq), "vlans": [100, 10]},
}
(out / "span-variants.truth.json").write_text(json.dumps(truth, indent=1) + "\n")
print(json.dumps(truth, indent=1))
