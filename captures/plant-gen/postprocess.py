#!/usr/bin/env python3
"""Turn the sensors' raw per-segment captures into the published capture files.

  postprocess.py --work DIR --out DIR

1. Observation model (the same as plant-a's): a routed conversation crosses two captured
   segments (e.g. HMI on VLAN 130 -> PLC on VLAN 120), so the raw captures hold it twice, once
   per segment, each copy with the router's MAC for the far side and its own TTL. Only the copy
   on the segment of the lower-Purdue-level endpoint is kept, so every packet of the run
   appears exactly once across the published files. Packets that are not between two plant
   hosts (ARP, LLDP, DHCP broadcasts) belong to one segment only and are all kept.
2. 802.1Q: frames captured on the OT segments get the tag of their VLAN (110/120/130) inserted
   after the source MAC, as the OT core switch's SPAN destination port emits them. (The build
   kernel has no VLAN support; see plant.py.)
3. Snaplen: the frames of one designated connection (scada-01:49502 -> plc-dosing:502) are cut
   to 68 bytes (caplen < len), as an old tcpdump -s 68 would have written them.
4. Frames of one output file are merged by timestamp; the order within a segment is kept.

Writes OUT/ot-trunk.pcapng, OUT/site-fw.pcap and WORK/postprocess.json (counts per step).
"""
import argparse
import json
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import topology as T  # noqa: E402

SNAPLEN_CUT = 68
CUT_CONN = ("scada-01", 49502, "plc-dosing", 502)


def read_pcap(path):
    data = Path(path).read_bytes()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e, nano = "<", False
    elif magic == b"\xa1\xb2\xc3\xd4":
        e, nano = ">", False
    elif magic == b"\x4d\x3c\xb2\xa1":
        e, nano = "<", True
    else:
        raise ValueError(f"{path}: not a pcap file")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, want Ethernet")
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        usec = frac // 1000 if nano else frac
        out.append([sec, usec, data[off:off + caplen], origlen])
        off += caplen
    return out


def ipv4_of(frame):
    """(src, dst, proto, sport, dport, l3 offset) or None. Understands one 802.1Q tag."""
    off = 12
    et = struct.unpack(">H", frame[off:off + 2])[0]
    if et == 0x8100:
        off += 4
        et = struct.unpack(">H", frame[off:off + 2])[0]
    if et != 0x0800 or len(frame) < off + 2 + 20:
        return None
    ip = frame[off + 2:]
    ihl = (ip[0] & 0x0F) * 4
    proto = ip[9]
    src = ".".join(map(str, ip[12:16]))
    dst = ".".join(map(str, ip[16:20]))
    sport = dport = None
    if proto in (6, 17) and len(ip) >= ihl + 4:
        sport, dport = struct.unpack(">HH", ip[ihl:ihl + 4])
    return src, dst, proto, sport, dport


def host_table(work):
    table = {}
    for h in T.HOSTS:
        ip = h["ip"]
        if ip is None and h["name"] == "ops-laptop":
            ip = (Path(work) / "ops-laptop.ip").read_text().strip()
        table[ip] = h
    return table


ZONE_LEVEL = {z[0]: z[1] for z in T.ZONES}


def seg_level(seg):
    zone = T.SEGMENTS[seg][4]
    return ZONE_LEVEL.get(zone, T.INTERNET_LEVEL)


def designated(src, dst, hosts):
    """Segment that keeps a packet between src and dst, or None if any segment may keep it."""
    if src not in hosts or dst not in hosts:
        return None
    cands = [hosts[x]["seg"] for x in (src, dst) if T.SEGMENTS[hosts[x]["seg"]][2]]
    if not cands:
        return None
    return min(cands, key=lambda s: (seg_level(s), T.SEGMENTS[s][3] or 0, s))


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for sec, usec, data, orig in frames:
            f.write(struct.pack("<IIII", sec, usec, len(data), orig))
            f.write(data)


def _opt(code, val):
    pad = (-len(val)) % 4
    return struct.pack("<HH", code, len(val)) + val + b"\x00" * pad


def _block(btype, body):
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def write_pcapng(path, frames, if_name, if_descr):
    shb_opts = _opt(4, b"otscope captures/plant-gen") + _opt(0, b"")
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + shb_opts)
    idb_opts = _opt(2, if_name.encode()) + _opt(3, if_descr.encode()) + _opt(9, b"\x06") + _opt(0, b"")
    idb = _block(0x00000001, struct.pack("<HHI", 1, 0, 262144) + idb_opts)
    with open(path, "wb") as f:
        f.write(shb)
        f.write(idb)
        for sec, usec, data, orig in frames:
            ts = sec * 1_000_000 + usec
            pad = (-len(data)) % 4
            body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig) + data + b"\x00" * pad
            f.write(_block(0x00000006, body))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    work, out = Path(a.work), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    hosts = host_table(work)
    cut_client, cut_cport = T.ip(CUT_CONN[0]), CUT_CONN[1]
    cut_server, cut_sport = T.ip(CUT_CONN[2]), CUT_CONN[3]
    report = {"segments": {}, "files": {}}
    per_file = {}
    for seg, (swns, br, cap, vlan, zone) in T.SEGMENTS.items():
        if not cap:
            continue
        raw = read_pcap(work / "raw" / f"{seg}.pcap")
        kept, dropped, cut = [], 0, 0
        for idx, (sec, usec, data, orig) in enumerate(raw):
            ip = ipv4_of(data)
            if ip:
                d = designated(ip[0], ip[1], hosts)
                if d is not None and d != seg:
                    dropped += 1
                    continue
            if vlan is not None:
                data = data[:12] + struct.pack(">HH", 0x8100, vlan) + data[12:]
                orig += 4
            if ip and ip[2] == 6 and (
                    (ip[0], ip[3], ip[1], ip[4]) == (cut_client, cut_cport, cut_server, cut_sport)
                    or (ip[1], ip[4], ip[0], ip[3]) == (cut_client, cut_cport, cut_server, cut_sport)):
                if len(data) > SNAPLEN_CUT:
                    data = data[:SNAPLEN_CUT]
                    cut += 1
            # sort key: time, then segment order, then original index (stable within a segment)
            kept.append(((sec, usec, list(T.SEGMENTS).index(seg), idx), [sec, usec, data, orig]))
        report["segments"][seg] = {"raw_frames": len(raw), "kept": len(kept),
                                   "dropped_seen_on_lower_level_segment": dropped, "cut_to_snaplen": cut}
        per_file.setdefault(cap, []).extend(kept)
    for cap, items in per_file.items():
        items.sort(key=lambda x: x[0])
        frames = [f for _, f in items]
        if cap.endswith(".pcapng"):
            write_pcapng(out / cap, frames, "span-ot-core", T.CAPTURES[cap]["description"])
        else:
            write_pcap(out / cap, frames)
        report["files"][cap] = {"frames": len(frames), "bytes": (out / cap).stat().st_size}
    (work / "postprocess.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
