#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from the captures shipped in captures/ (and tests/data).

Usage: python3 fuzz/seeds.py [OUT_DIR]        (default: fuzz/seeds; needs scapy)

Writes OUT_DIR/<target>/<sha1> files in the input format of each target
(tests/robust_support/harness.rs): for the dissector targets a flags byte and chunks
`[dir|len_hi][len_lo][bytes]`, one chunk per TCP segment (deduplicated, in capture order) or UDP
datagram of one conversation; for the capture targets file prefixes; for the pipeline targets
records and frames. Then minimise with libFuzzer (`cargo fuzz cmin` or `-merge=1`, see
docs/robustness.md) into fuzz/corpus/<target>.
"""
import hashlib
import os
import struct
import sys
import gzip
from collections import defaultdict, OrderedDict

from scapy.all import PcapReader, PcapNgReader, Ether, IP, IPv6, TCP, UDP, Raw  # noqa
from scapy.utils import RawPcapReader, RawPcapNgReader
import scapy.config

scapy.config.conf.verb = 0

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "seeds")

MAX_SEED = 16 * 1024  # bytes per dissector seed
MAX_PER_TARGET = 400
MAX_FLOW_CHUNKS = 200

TCP_PORTS = {
    22: "tcp_ssh", 5900: "tcp_vnc", 5901: "tcp_vnc", 4840: "tcp_opcua", 443: "tcp_tls",
    8443: "tcp_tls", 3389: "tcp_rdp", 102: "tcp_s7", 44818: "tcp_enip", 502: "tcp_modbus",
    80: "tcp_http", 8080: "tcp_http", 8000: "tcp_http", 21: "tcp_ftp", 23: "tcp_telnet",
    5938: "tcp_teamviewer",
}
UDP_PORTS = {
    44818: "udp_enip", 2222: "udp_cip_io", 161: "udp_snmp", 162: "udp_snmp", 69: "udp_tftp",
    5938: "udp_teamviewer", 67: "udp_dhcp", 68: "udp_dhcp", 137: "udp_nbns", 53: "udp_dns",
    5353: "udp_mdns", 5355: "udp_mdns", 1900: "udp_ssdp",
}
# Captures whose protocol runs on a port the table above does not know.
DIR_HINT = {
    "opcua": "tcp_opcua", "s7comm": "tcp_s7", "s7comm-plus": "tcp_s7", "mixed": "tcp_s7",
    "modbus": "tcp_modbus", "enip": "tcp_enip", "it-ssh": "tcp_ssh", "it-vnc": "tcp_vnc",
    "it-rdp": "tcp_rdp", "it-telnet": "tcp_telnet", "it-ftp": "tcp_ftp", "it-http": "tcp_http",
}
NAME_HINT = {
    "modbus": "tcp_modbus", "opcua": "tcp_opcua", "s7": "tcp_s7", "enip": "tcp_enip",
    "tls": "tcp_tls",
}

seeds = defaultdict(OrderedDict)  # target -> sha1 -> bytes


def add(target, data):
    if not data:
        return
    h = hashlib.sha1(data).hexdigest()
    if len(seeds[target]) < MAX_PER_TARGET:
        seeds[target][h] = data


def encode(flags, chunks):
    out = bytearray([flags])
    for to_client, data in chunks:
        for i in range(0, len(data), 0x7FFF):
            piece = data[i:i + 0x7FFF]
            n = len(piece)
            out.append(((n >> 8) & 0x7F) | (0x80 if to_client else 0))
            out.append(n & 0xFF)
            out += piece
        if len(out) >= MAX_SEED:
            break
    return bytes(out[:MAX_SEED])


def captures():
    for base in ("captures/public", "captures/generated", "tests/data"):
        for d, _, fs in sorted(os.walk(os.path.join(ROOT, base))):
            for f in sorted(fs):
                if f.endswith((".pcap", ".pcapng")):
                    yield os.path.join(d, f)


def raw_records(path):
    """(linktype, [(ts, caplen, wirelen, bytes)]) with the raw reader (no dissection)."""
    try:
        r = RawPcapReader(path)
    except Exception:
        try:
            r = RawPcapNgReader(path)
        except Exception:
            return None, []
    recs = []
    link = getattr(r, "linktype", 1)
    try:
        for data, meta in r:
            if hasattr(meta, "linktype"):
                link = meta.linktype
            recs.append((data, meta))
            if len(recs) >= 20000:
                break
    except Exception:
        pass
    return link, recs


def main():
    for path in captures():
        rel = os.path.relpath(path, ROOT)
        parent = os.path.basename(os.path.dirname(path))
        name = os.path.basename(path).lower()
        raw = open(path, "rb").read()
        # capture readers and the whole pipeline: files (prefixes of large ones)
        add("pipeline_file", raw[:64 * 1024])
        if raw[:4] == b"\x0a\x0d\x0d\x0a":
            add("capture_pcapng", raw[:64 * 1024])
        else:
            add("capture_pcap", raw[:64 * 1024])
        if len(raw) <= 32 * 1024:
            add("capture_gzip", gzip.compress(raw, 1))
        link, recs = raw_records(path)
        sel = {1: 0, 101: 1, 113: 2, 276: 3, 0: 4}.get(link)
        if sel is not None and raw[:4] != b"\x0a\x0d\x0d\x0a":
            add("pipeline_records", bytes([sel]) + raw[24:24 + 32 * 1024])
        fsel = {1: 0, 101: 1, 113: 2, 276: 3, 0: 4, 108: 5, 228: 6, 229: 7}.get(link)
        if fsel is not None:
            frames = [(bool(i % 7 == 6), bytes(d)) for i, (d, _) in enumerate(recs[:64])]
            add("pipeline_frames", encode(fsel, frames))
        # conversations
        tcp = OrderedDict()
        udp = OrderedDict()
        l2 = defaultdict(list)
        for data, meta in recs:
            try:
                if link == 1:
                    p = Ether(data)
                elif link in (101, 12, 14):
                    p = IP(data) if data[:1] and data[0] >> 4 == 4 else IPv6(data)
                elif link == 113:
                    from scapy.layers.l2 import CookedLinux
                    p = CookedLinux(data)
                elif link == 276:
                    from scapy.layers.l2 import CookedLinuxV2
                    p = CookedLinuxV2(data)
                else:
                    continue
            except Exception:
                continue
            if link == 1 and Ether in p:
                et = p[Ether].type
                if et == 0x88CC:
                    l2[0].append(bytes(p[Ether].payload))
                elif et == 0x8892:
                    l2[1].append(bytes(p[Ether].payload))
                elif et <= 1500:
                    body = bytes(p[Ether].payload)
                    if body[:3] == b"\xaa\xaa\x03" and body[3:8] == b"\x00\x00\x0c\x20\x00":
                        l2[2].append(body[8:])
            ipl = IP if IP in p else (IPv6 if IPv6 in p else None)
            if ipl is None:
                continue
            src, dst = p[ipl].src, p[ipl].dst
            if TCP in p:
                t = p[TCP]
                payload = bytes(t.payload)
                a, b = (src, t.sport), (dst, t.dport)
                key = tuple(sorted([a, b]))
                c = tcp.setdefault(key, {"client": None, "segs": [], "seen": set()})
                if t.flags & 0x02 and not t.flags & 0x10:
                    c["client"] = a
                if payload:
                    sig = (a, t.seq, len(payload))
                    if sig in c["seen"]:
                        continue
                    c["seen"].add(sig)
                    if len(c["segs"]) < MAX_FLOW_CHUNKS:
                        c["segs"].append((a, payload))
            elif UDP in p:
                u = p[UDP]
                a, b = (src, u.sport), (dst, u.dport)
                key = tuple(sorted([a, b]))
                c = udp.setdefault(key, {"first": a, "dgrams": []})
                if len(c["dgrams"]) < MAX_FLOW_CHUNKS:
                    c["dgrams"].append((a, bytes(u.payload)))
        for key, c in tcp.items():
            if not c["segs"]:
                continue
            (a, b) = key
            client = c["client"]
            if client is None:
                # the side not on a known port is the client
                if a[1] in TCP_PORTS and b[1] not in TCP_PORTS:
                    client = b
                elif b[1] in TCP_PORTS:
                    client = a
                else:
                    client = a if a[1] > b[1] else b
            server = b if client == a else a
            target = (DIR_HINT.get(parent) if parent.startswith("it-") else None) or TCP_PORTS.get(server[1]) or DIR_HINT.get(parent)
            if target is None:
                for k, v in NAME_HINT.items():
                    if k in name:
                        target = v
            if target is None:
                continue
            chunks = [(snd != client, data) for snd, data in c["segs"]]
            port_flag = 0 if server[1] in TCP_PORTS else 1
            add(target, encode(port_flag, chunks))
        for key, c in udp.items():
            (a, b) = key
            first = c["first"]
            other = b if first == a else a
            target = UDP_PORTS.get(other[1]) or UDP_PORTS.get(first[1])
            if target is None:
                continue
            server = other if other[1] in UDP_PORTS else first
            client = first if server == other else other
            chunks = [(snd != client, data) for snd, data in c["dgrams"]]
            add(target, encode(0, chunks))
        for kind, payloads in l2.items():
            add("l2_discovery", encode(kind, [(False, x) for x in payloads[:50]]))
    # TeamViewer: no public capture; heads from the protocol description (remote/parser.rs).
    tv = [(False, b"\x17\x24\x10\x04\x00" + b"\x00" * 16), (True, b"\x17\x24\x11\x04\x00" + b"\x00" * 16),
          (False, b"\x11\x30\x0a\x00\x00" + b"A" * 10)]
    add("tcp_teamviewer", encode(0, tv))
    add("tcp_teamviewer", encode(0, tv[:1]))
    dg = bytes(11) + b"\x17\x24" + b"\x00" * 20
    add("udp_teamviewer", encode(0, [(False, dg), (True, b"\x01" + dg[1:])]))
    for target in sorted(seeds):
        d = os.path.join(OUT, target)
        os.makedirs(d, exist_ok=True)
        for h, data in seeds[target].items():
            with open(os.path.join(d, h), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds[target])} seeds, {sum(map(len, seeds[target].values()))} bytes")


if __name__ == "__main__":
    main()
