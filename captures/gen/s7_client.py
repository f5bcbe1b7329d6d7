#!/usr/bin/env python3
"""python-snap7 client session used to generate otscope S7 captures.

Usage: s7_client.py --host IP --port 102 --mode full|short --ops-json FILE

Every call is wrapped: a call the server refuses (or the library cannot do)
is recorded with its exception and the session continues.
"""
import argparse
import datetime
import json
import time

import snap7
from snap7.type import Area, Block

OPS = []


def jsonable(v):
    if isinstance(v, (bytes, bytearray)):
        b = bytes(v).rstrip(b"\x00")
        if len(b) >= 4 and all(32 <= x < 127 for x in b):
            return b.decode("ascii")
        return bytes(v).hex()
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if hasattr(v, "_fields_"):
        return {name: jsonable(getattr(v, name)) for name, *_ in v._fields_}
    return str(v)


def op(conn, name, fn, *args, note=None, **params):
    entry = {"seq": len(OPS) + 1, "connection": conn, "op": name, "params": params}
    if note:
        entry["note"] = note
    try:
        res = fn(*args)
        entry["result"] = "ok"
        if name == "read_szl" and res is not None:
            n = res.Header.LengthDR
            entry["value"] = {"LengthDR": n, "NDR": res.Header.NDR,
                              "data_hex": bytes(b & 0xFF for b in res.Data[:n]).hex()}
        elif name != "connect":
            entry["value"] = jsonable(res)
    except Exception as exc:  # noqa: BLE001 - record and continue
        entry["result"] = "refused"
        entry["error"] = f"{type(exc).__name__}: {exc}"
    OPS.append(entry)
    print(json.dumps(entry)[:300])
    time.sleep(0.05)
    return entry


def full(host, port):
    c = snap7.client.Client()
    op(1, "connect", c.connect, host, 0, 1, port, rack=0, slot=1, note="COTP CR dst TSAP 0x0101, S7 setup communication")
    op(1, "get_cpu_info", c.get_cpu_info, szl_id="0x001c")
    op(1, "get_order_code", c.get_order_code, szl_id="0x0011")
    op(1, "read_szl", c.read_szl, 0x0424, 0, szl_id="0x0424", index=0)
    op(1, "read_szl", c.read_szl, 0x0132, 4, szl_id="0x0132", index=4,
       note="server deliberately has no 0x0132: expect error return code")
    op(1, "read_szl", c.read_szl, 0x0000, 0, szl_id="0x0000", index=0, note="list of available SZL ids")
    op(1, "get_cp_info", c.get_cp_info, szl_id="0x0131")
    op(1, "get_protection", c.get_protection, szl_id="0x0232")
    op(1, "db_read", c.db_read, 1, 0, 32, db=1, start=0, size=32)
    op(1, "db_write", c.db_write, 1, 32, bytearray(b"WRITTEN-BY-OTS!!"), db=1, start=32, data="WRITTEN-BY-OTS!!")
    op(1, "db_read", c.db_read, 2, 0, 16, db=2, start=0, size=16)
    op(1, "db_read", c.db_read, 10, 0, 400, db=10, start=0, size=400)
    op(1, "read_area", c.read_area, Area.MK, 0, 0, 8, area="MK", start=0, size=8)
    op(1, "write_area", c.write_area, Area.MK, 0, 8, bytearray(b"\x01\x02\x03\x04"), area="MK", start=8, data="01020304")
    op(1, "read_area", c.read_area, Area.PE, 0, 0, 4, area="PE", start=0, size=4)
    op(1, "db_read", c.db_read, 99, 0, 4, db=99, start=0, size=4, note="DB99 not registered: expect error")
    op(1, "get_cpu_state", c.get_cpu_state,
       note="python-snap7 3.3 sends a non-standard job PDU (param length 1, func 0x04 only) and "
            "reports RUN locally; the real CPU state is read via SZL 0x0424 above")
    op(1, "plc_stop", c.plc_stop)
    op(1, "plc_hot_start", c.plc_hot_start)
    op(1, "get_plc_datetime", c.get_plc_datetime)
    fixed = datetime.datetime(2026, 1, 15, 8, 30, 0)
    op(1, "set_plc_datetime", c.set_plc_datetime, fixed, datetime=fixed.isoformat())
    op(1, "list_blocks", c.list_blocks)
    op(1, "list_blocks_of_type", c.list_blocks_of_type, Block.DB, 16, block_type="DB")
    op(1, "get_block_info", c.get_block_info, Block.DB, 1, block_type="DB", number=1)
    op(1, "upload", c.upload, 1, block_type="DB", number=1)
    op(1, "set_session_password", c.set_session_password, "otspass1", password="otspass1")
    op(1, "clear_session_password", c.clear_session_password)
    op(1, "disconnect", c.disconnect)
    time.sleep(0.3)
    c2 = snap7.client.Client()
    op(2, "connect", c2.connect, host, 0, 2, port, rack=0, slot=2, note="COTP CR dst TSAP 0x0102")
    op(2, "get_cpu_info", c2.get_cpu_info, szl_id="0x001c")
    op(2, "db_read", c2.db_read, 1, 0, 16, db=1, start=0, size=16)
    op(2, "disconnect", c2.disconnect)


def short(host, port):
    c = snap7.client.Client()
    op(1, "connect", c.connect, host, 0, 1, port, rack=0, slot=1)
    op(1, "get_cpu_info", c.get_cpu_info, szl_id="0x001c")
    op(1, "get_order_code", c.get_order_code, szl_id="0x0011")
    op(1, "db_read", c.db_read, 1, 0, 16, db=1, start=0, size=16)
    op(1, "read_area", c.read_area, Area.MK, 0, 0, 4, area="MK", start=0, size=4)
    op(1, "disconnect", c.disconnect)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=102)
    ap.add_argument("--mode", choices=("full", "short"), default="full")
    ap.add_argument("--ops-json", required=True)
    args = ap.parse_args()
    (full if args.mode == "full" else short)(args.host, args.port)
    refused = [f"{e['op']} {json.dumps(e['params'], sort_keys=True)}" for e in OPS if e["result"] != "ok"]
    with open(args.ops_json, "w") as f:
        json.dump({"client": f"python-snap7 {snap7.__version__} snap7.client.Client", "operations": OPS,
                   "refused_or_failed": refused}, f, indent=2)
    if OPS[0]["result"] != "ok":
        raise SystemExit("connect failed")


if __name__ == "__main__":
    main()
