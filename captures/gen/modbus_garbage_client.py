#!/usr/bin/env python3
"""Raw TCP client that sends garbage to the pymodbus server (resync test capture).

Usage: modbus_garbage_client.py --host IP --port 502 --ops-json FILE

Valid requests are built with pymodbus' own framer; garbage comes from a
fixed-seed PRNG (deterministic). Three TCP connections:
  1. 24 garbage bytes, pause, then a valid Read Holding Registers request
  2. 24 garbage bytes immediately followed by a valid request in ONE segment
  3. a valid request split over two TCP segments (7-byte MBAP header, then PDU)
     followed by a valid Read Device Identification request
"""
import argparse
import json
import random
import socket
import time

from pymodbus.framer.socket import FramerSocket
from pymodbus.pdu import DecodePDU
from pymodbus.pdu import mei_message as mei
from pymodbus.pdu import register_message as regmsg

OPS = []


def garbage(seed):
    rng = random.Random(seed)
    while True:
        b = bytes(rng.randrange(256) for _ in range(24))
        if b[2:4] != b"\x00\x00":  # must not look like an MBAP header (protocol id 0)
            return b


def recv_all(s, wait):
    s.settimeout(wait)
    data = b""
    closed = False
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                closed = True
                break
            data += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    return data, closed


def connect(host, port):
    s = socket.create_connection((host, port), timeout=2)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def decode(framer, data):
    out = []
    while data:
        used, dev_id, tid, pdu = framer.decode(data)
        if not used or not pdu:
            out.append({"undecodable_hex": data.hex()})
            break
        data = data[used:]
        p = framer.decoder.decode(pdu)
        out.append({"tid": tid, "unit": dev_id, "function_code": p.function_code if p else None,
                    "registers": getattr(p, "registers", None) or None,
                    "exception_code": getattr(p, "exception_code", None)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=502)
    ap.add_argument("--ops-json", required=True)
    args = ap.parse_args()
    framer = FramerSocket(DecodePDU(False))

    def req(tid, unit=1, addr=0, count=2):
        return framer.buildFrame(regmsg.ReadHoldingRegistersRequest(address=addr, count=count, dev_id=unit,
                                                                    transaction_id=tid))

    # 1 -----------------------------------------------------------------
    g1 = garbage(0x0715)
    s = connect(args.host, args.port)
    s.sendall(g1)
    r1, closed1 = recv_all(s, 0.7)
    entry = {"connection": 1, "sent_garbage_hex": g1.hex(), "reply_to_garbage_hex": r1.hex(),
             "server_closed_after_garbage": closed1}
    if not closed1:
        v = req(0x0042, addr=4, count=3)
        s.sendall(v)
        r2, closed2 = recv_all(s, 0.7)
        entry.update({"sent_valid_hex": v.hex(), "reply_to_valid_hex": r2.hex(), "reply_decoded": decode(framer, r2),
                      "server_closed_after_valid": closed2})
    s.close()
    OPS.append(entry)
    print(json.dumps(entry))
    time.sleep(0.3)

    # 2 -----------------------------------------------------------------
    g2 = garbage(0x0716)
    v = req(0x0043, unit=17, addr=0, count=2)
    s = connect(args.host, args.port)
    s.sendall(g2 + v)
    r, closed = recv_all(s, 0.7)
    entry = {"connection": 2, "sent_hex": (g2 + v).hex(), "garbage_len": len(g2),
             "note": "garbage and a valid request in the same TCP segment",
             "reply_hex": r.hex(), "reply_decoded": decode(framer, r) if r else [], "server_closed": closed}
    if not closed:
        v2 = req(0x0044, unit=1, addr=10, count=1)
        s.sendall(v2)
        r2, closed2 = recv_all(s, 0.7)
        entry.update({"followup_sent_hex": v2.hex(), "followup_reply_hex": r2.hex(),
                      "followup_reply_decoded": decode(framer, r2) if r2 else [], "server_closed_after_followup": closed2})
    s.close()
    OPS.append(entry)
    print(json.dumps(entry))
    time.sleep(0.3)

    # 3 -----------------------------------------------------------------
    v = req(0x0045, unit=1, addr=20, count=4)
    s = connect(args.host, args.port)
    s.sendall(v[:7])
    time.sleep(0.2)
    s.sendall(v[7:])
    r, closed = recv_all(s, 0.7)
    d = framer.buildFrame(mei.ReadDeviceInformationRequest(read_code=1, object_id=0, dev_id=1, transaction_id=0x0046))
    s.sendall(d)
    r2, closed2 = recv_all(s, 0.7)
    entry = {"connection": 3, "note": "request split: 7-byte MBAP header segment, then PDU segment",
             "sent_hex": v.hex(), "reply_hex": r.hex(), "reply_decoded": decode(framer, r) if r else [],
             "then_read_device_id_hex": d.hex(), "read_device_id_reply_hex": r2.hex(),
             "server_closed": closed or closed2}
    s.close()
    OPS.append(entry)
    print(json.dumps(entry))
    c1, c2, c3 = OPS
    summary = {
        "garbage_then_valid_answered": bool(c1.get("reply_to_valid_hex")),
        "garbage_plus_valid_same_segment_answered": bool(c2.get("reply_hex")),
        "followup_after_garbage_answered": bool(c2.get("followup_reply_hex")),
        "split_request_answered": bool(c3.get("reply_hex")),
        "read_device_id_after_split_answered": bool(c3.get("read_device_id_reply_hex")),
    }
    summary["interpretation"] = (
        "pymodbus server resynchronises after garbage" if summary["garbage_then_valid_answered"] else
        "pymodbus server does NOT resynchronise: once garbage is in its receive buffer, later valid "
        "requests on that connection are never answered (no exception, no close); a new connection works")
    with open(args.ops_json, "w") as f:
        json.dump({"client": "raw socket + pymodbus FramerSocket", "server_behaviour": summary,
                   "operations": OPS}, f, indent=2)


if __name__ == "__main__":
    main()
