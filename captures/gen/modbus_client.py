#!/usr/bin/env python3
"""pymodbus client session used to generate otscope test captures.

Usage: modbus_client.py --host IP --port N --mode full|short --ops-json FILE

full : every function code listed in README (fc 1,2,3,4,5,6,8,15,16,17,23,43/14
       read codes 1..4), unit ids 1 and 17, an illegal-address exception, an
       unknown unit id, then a second TCP connection on which several requests
       built by pymodbus' own framer are written with ONE send() so that a
       single TCP segment carries several MBAP PDUs (the pymodbus client API
       itself serialises requests, so pipelining needs the raw socket).
short: device identification (basic + regular) and a few reads.
"""
import argparse
import asyncio
import json
import socket
import time

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.framer import FramerType
from pymodbus.framer.socket import FramerSocket
from pymodbus.pdu import DecodePDU, ExceptionResponse
from pymodbus.pdu import bit_message as bitmsg
from pymodbus.pdu import mei_message as mei
from pymodbus.pdu import register_message as regmsg

OPS = []


def summarize(rr):
    if isinstance(rr, ExceptionResponse) or (hasattr(rr, "isError") and rr.isError()):
        return {"result": "exception", "function_code": rr.function_code,
                "exception_code": getattr(rr, "exception_code", None)}
    out = {"result": "ok", "function_code": rr.function_code}
    for attr in ("registers", "bits", "status", "information", "identifier", "message", "address", "count"):
        if hasattr(rr, attr):
            val = getattr(rr, attr)
            if attr == "bits":
                val = [bool(b) for b in val]
            if attr == "information":
                val = {hex(k): (v.decode("utf-8", "replace") if isinstance(v, bytes) else
                                [x.decode("utf-8", "replace") for x in v] if isinstance(v, list) else str(v))
                       for k, v in val.items()}
            if isinstance(val, bytes):
                val = val.decode("latin-1")
            out[attr] = val
    return out


async def op(name, fc, unit, coro, **params):
    entry = {"seq": len(OPS) + 1, "op": name, "fc": fc, "unit": unit, "params": params}
    try:
        rr = await coro
        entry.update(summarize(rr))
    except ModbusException as exc:
        entry.update({"result": "error", "error": str(exc)})
    OPS.append(entry)
    print(json.dumps(entry))
    await asyncio.sleep(0.05)
    return entry


async def full_session(c):
    u = 1
    await op("read_coils", 1, u, c.read_coils(0, count=16, device_id=u), address=0, count=16)
    await op("read_discrete_inputs", 2, u, c.read_discrete_inputs(0, count=16, device_id=u), address=0, count=16)
    await op("read_holding_registers", 3, u, c.read_holding_registers(0, count=10, device_id=u), address=0, count=10)
    await op("read_input_registers", 4, u, c.read_input_registers(0, count=8, device_id=u), address=0, count=8)
    await op("write_coil", 5, u, c.write_coil(3, True, device_id=u), address=3, value=True)
    await op("write_register", 6, u, c.write_register(5, 0x1234, device_id=u), address=5, value=0x1234)
    coils = [True, False, True, True, False, False, True, False, True]
    await op("write_coils", 15, u, c.write_coils(10, coils, device_id=u), address=10, values=coils)
    regs = [0x0101, 0x0202, 0x0303, 0x0404]
    await op("write_registers", 16, u, c.write_registers(20, regs, device_id=u), address=20, values=regs)
    await op("readwrite_registers", 23, u,
             c.readwrite_registers(read_address=0, read_count=4, write_address=30, values=[0x0A0A, 0x0B0B], device_id=u),
             read_address=0, read_count=4, write_address=30, values=[0x0A0A, 0x0B0B])
    await op("diag_query_data", 8, u, c.diag_query_data(b"OTSC", device_id=u), sub_function=0, data="OTSC")
    await op("report_device_id", 17, u, c.report_device_id(device_id=u))
    for code, obj in ((1, 0), (2, 0), (3, 0), (4, 4)):
        await op("read_device_information", 43, u,
                 c.read_device_information(read_code=code, object_id=obj, device_id=u),
                 mei_type=14, read_code=code, object_id=obj)
    # exception: illegal data address (registers only defined at 0..99)
    await op("read_holding_registers_illegal_address", 3, u, c.read_holding_registers(500, count=4, device_id=u),
             address=500, count=4, expect="exception 2 (illegal data address)")
    u = 17
    await op("read_holding_registers", 3, u, c.read_holding_registers(0, count=6, device_id=u), address=0, count=6)
    await op("read_coils", 1, u, c.read_coils(0, count=8, device_id=u), address=0, count=8)
    await op("read_device_information", 43, u, c.read_device_information(read_code=1, object_id=0, device_id=u),
             mei_type=14, read_code=1, object_id=0)
    await op("report_device_id", 17, u, c.report_device_id(device_id=u))
    # unit id that the server does not serve
    await op("read_holding_registers_unknown_unit", 3, 99, c.read_holding_registers(0, count=2, device_id=99),
             address=0, count=2, expect="exception 0x0B (gateway target failed) or no answer")


async def short_session(c):
    u = 1
    await op("read_device_information", 43, u, c.read_device_information(read_code=1, object_id=0, device_id=u),
             mei_type=14, read_code=1, object_id=0)
    await op("read_device_information", 43, u, c.read_device_information(read_code=2, object_id=0, device_id=u),
             mei_type=14, read_code=2, object_id=0)
    await op("read_holding_registers", 3, u, c.read_holding_registers(0, count=4, device_id=u), address=0, count=4)
    await op("read_input_registers", 4, u, c.read_input_registers(0, count=4, device_id=u), address=0, count=4)
    await op("read_coils", 1, u, c.read_coils(0, count=8, device_id=u), address=0, count=8)


def pipelined(host, port):
    """Second connection: several MBAP frames written with one send()."""
    framer = FramerSocket(DecodePDU(False))
    reqs = [
        regmsg.ReadHoldingRegistersRequest(address=0, count=3, dev_id=1, transaction_id=0x1001),
        regmsg.ReadInputRegistersRequest(address=2, count=2, dev_id=17, transaction_id=0x1002),
        bitmsg.ReadCoilsRequest(address=0, count=8, dev_id=1, transaction_id=0x1003),
        mei.ReadDeviceInformationRequest(read_code=1, object_id=0, dev_id=17, transaction_id=0x1004),
    ]
    blob = b"".join(framer.buildFrame(r) for r in reqs)
    entry = {"seq": len(OPS) + 1, "op": "pipelined_burst", "connection": 2,
             "note": "4 MBAP requests written with a single send() (one TCP segment)",
             "requests": [{"tid": r.transaction_id, "unit": r.dev_id, "fc": r.function_code} for r in reqs],
             "request_bytes": blob.hex()}
    s = socket.create_connection((host, port), timeout=0.5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(blob)
    buf = b""
    resps = []
    deadline = time.time() + 1.5
    while len(resps) < len(reqs) and time.time() < deadline:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        while True:
            used, dev_id, tid, data = framer.decode(buf)
            if not used or not data:
                break
            buf = buf[used:]
            pdu = framer.decoder.decode(data)
            resps.append({"tid": tid, "unit": dev_id, **summarize(pdu)})
    s.close()
    entry["responses"] = resps
    entry["result"] = "ok" if len(resps) == len(reqs) else "partial"
    if len(resps) < len(reqs):
        entry["server_limitation"] = (
            "pymodbus server answers only the first PDU of a multi-PDU segment: "
            "ModbusProtocol.send() clears its receive buffer, discarding the rest")
    OPS.append(entry)
    print(json.dumps(entry))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=502)
    ap.add_argument("--mode", choices=("full", "short"), default="full")
    ap.add_argument("--ops-json", required=True)
    args = ap.parse_args()
    c = AsyncModbusTcpClient(args.host, port=args.port, framer=FramerType.SOCKET, timeout=2, retries=0,
                             reconnect_delay=0)
    ok = await c.connect()
    if not ok:
        raise SystemExit("connect failed")
    if args.mode == "full":
        await full_session(c)
    else:
        await short_session(c)
    c.close()
    await asyncio.sleep(0.3)
    if args.mode == "full":
        pipelined(args.host, args.port)
    with open(args.ops_json, "w") as f:
        json.dump({"client": "pymodbus AsyncModbusTcpClient", "operations": OPS}, f, indent=2)


if __name__ == "__main__":
    asyncio.run(main())
