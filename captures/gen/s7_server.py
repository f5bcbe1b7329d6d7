#!/usr/bin/env python3
"""python-snap7 (pure Python, 3.x) S7 server used to generate otscope captures.

Usage: s7_server.py --port 102 [--info-json FILE]

The S7 protocol encoding (TPKT/COTP/S7comm) is done entirely by
snap7.server.Server.  Only the *content* of three SZL lists is supplied by
this subclass, because the stock emulator
  * answers SZL 0x001C with LENTHDR=0/N_DR=0 and zero record indexes
    (a real CPU sends LENTHDR=34 and indexed records), and fixed strings,
  * answers SZL 0x0011 with fixed strings,
  * does not know SZL 0x0424 (CPU mode).
Our records follow the layout of a real S7-300 CPU, with distinctive strings.
SZL 0x0132 is deliberately left unsupported (error answer).
"""
import argparse
import json
import signal
import struct
import threading

import snap7
from snap7.type import SrvArea

IDENTITY = {
    "szl_001c": {
        "0x0001_as_name": "OTSCOPE-S7-STATION",
        "0x0002_module_name": "OTS CPU 317-2 PN/DP",
        "0x0003_plant_designation": "OTS-LINE-7",
        "0x0004_copyright": "Original Siemens Equipment",
        "0x0005_serial_number": "S C-OTS7A1B2C3D4",
        "0x0007_module_type_name": "CPU 317-2 PN/DP",
        "0x0008_mmc_serial": "MMC 267A1B2C",
        "0x0009_manufacturer_profile": {"manufacturer_id": "0x002a", "profile_id": "0xf600",
                                        "profile_specific_type": "0x0001"},
        "0x000a_oem": {"oem_copyright": "", "oem_id": 0, "oem_add_id": 0},
        "0x000b_location": "OTS Hall 4 / Rack 0",
    },
    "szl_0011": {
        "0x0001_mlfb": "6ES7 317-2OT51-0AB0",
        "0x0006_mlfb": "6ES7 317-2OT51-0AB0",
        "0x0007_firmware": "V3.3.17",
    },
    "szl_0424": {"mode": "RUN (bzu_id 0x08)"},
    "plc_clock_note": "server answers with its own clock (time of generation)",
}


def txt(s: str, n: int) -> bytes:
    return s.encode("ascii").ljust(n, b"\x00")[:n]


def szl_001c() -> bytes:
    i = IDENTITY["szl_001c"]
    recs = [
        (0x0001, txt(i["0x0001_as_name"], 24) + bytes(8)),
        (0x0002, txt(i["0x0002_module_name"], 24) + bytes(8)),
        (0x0003, txt(i["0x0003_plant_designation"], 32)),
        (0x0004, txt(i["0x0004_copyright"], 26) + bytes(6)),
        (0x0005, txt(i["0x0005_serial_number"], 24) + bytes(8)),
        (0x0007, txt(i["0x0007_module_type_name"], 32)),
        (0x0008, txt(i["0x0008_mmc_serial"], 32)),
        (0x0009, struct.pack(">HHH", 0x002A, 0xF600, 0x0001) + bytes(26)),
        (0x000A, bytes(26) + struct.pack(">HI", 0, 0)),
        (0x000B, txt(i["0x000b_location"], 32)),
    ]
    body = b"".join(struct.pack(">H", idx) + data for idx, data in recs)
    return struct.pack(">HH", 34, len(recs)) + body


def szl_0011() -> bytes:
    i = IDENTITY["szl_0011"]
    # index(2) MLFB(20) BGTyp(2) Ausbg(2) Ausbe(2) = 28 bytes
    recs = [
        struct.pack(">H", 0x0001) + txt(i["0x0001_mlfb"], 20).replace(b"\x00", b" ") + struct.pack(">HHH", 0x00C0, 0x0005, 0x0000),
        struct.pack(">H", 0x0006) + txt(i["0x0006_mlfb"], 20).replace(b"\x00", b" ") + struct.pack(">HHH", 0x00C0, 0x0005, 0x0000),
        struct.pack(">H", 0x0007) + b" " * 20 + struct.pack(">H", 0x00C0) + bytes([0x56, 3, 3, 17]),
    ]
    return struct.pack(">HH", 28, len(recs)) + b"".join(recs)


def szl_0424() -> bytes:
    # ereig(2) ae(1) bzu_id(1) res(4) anlinfo1..4(4) time(8, BCD) = 20 bytes
    rec = struct.pack(">HBB", 0x4303, 0xFF, 0x08) + bytes(4) + bytes([0x00, 0x00, 0x00, 0x00]) \
        + bytes([0x26, 0x01, 0x15, 0x08, 0x30, 0x00, 0x00, 0x04])  # 2026-01-15 08:30:00.000
    return struct.pack(">HH", 20, 1) + rec


class OtsServer(snap7.server.Server):
    def _get_szl_data(self, szl_id, szl_index):
        if szl_id == 0x001C:
            return szl_001c()
        if szl_id == 0x0011:
            return szl_0011()
        if szl_id == 0x0424:
            return szl_0424()
        if szl_id == 0x0132:
            return None  # deliberately unsupported -> error response
        return super()._get_szl_data(szl_id, szl_index)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=102)
    ap.add_argument("--info-json")
    args = ap.parse_args()

    srv = OtsServer(log=False)
    areas = {}
    db1 = bytearray(b"OTSCOPE-DB1-DATA" + bytes(range(48)))          # 64 bytes
    db2 = bytearray(struct.pack(">hhhfI", 1234, -5, 42, 21.5, 0xDEADBEEF).ljust(32, b"\x00"))
    db10 = bytearray(range(256)) * 2                                      # 512 bytes, fixed pattern
    mk = bytearray(b"\x55\xaa" * 32)
    pe = bytearray(16)
    pa = bytearray(16)
    for area, idx, buf, name in ((SrvArea.DB, 1, db1, "DB1"), (SrvArea.DB, 2, db2, "DB2"),
                                 (SrvArea.DB, 10, db10, "DB10"), (SrvArea.MK, 0, mk, "MK"),
                                 (SrvArea.PE, 0, pe, "PE"), (SrvArea.PA, 0, pa, "PA")):
        srv.register_area(area, idx, buf)
        areas[name] = len(buf)
    srv.start(tcp_port=args.port)
    if args.info_json:
        with open(args.info_json, "w") as f:
            json.dump({"stack": f"python-snap7 {snap7.__version__} snap7.server.Server (pure Python)",
                       "port": args.port, "registered_areas_bytes": areas,
                       "identity_strings": IDENTITY}, f, indent=2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    srv.stop()


if __name__ == "__main__":
    main()
