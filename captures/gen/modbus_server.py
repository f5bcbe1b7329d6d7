#!/usr/bin/env python3
"""pymodbus async Modbus/TCP server used to generate otscope test captures.

Usage: modbus_server.py --port 502 [--info-json FILE]

Serves two device (unit) ids, 1 and 17, each with coils, discrete inputs,
holding and input registers at addresses 0..99.  Any other unit id is
answered by pymodbus' default handling (ignore_missing_devices=False ->
exception 0x0B gateway target failed to respond).
The device identification (MEI 0x2B/0x0E) strings below are deliberately
distinctive so a scanner test can assert on them.
"""
import argparse
import asyncio
import json
import logging
import signal

from pymodbus import ModbusDeviceIdentification
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

IDENTITY = {
    "VendorName": "OTScope Test Vendor Modbus",
    "ProductCode": "OTS-MB-4711",
    "MajorMinorRevision": "3.16.1-ots",
    "VendorUrl": "https://otscope.invalid/modbus",
    "ProductName": "OTScope Modbus Simulator",
    "ModelName": "OTS-MBSIM-02",
    "UserApplicationName": "otscope capture generator",
}


def make_device(dev_id: int, base: int) -> SimDevice:
    """Non-shared blocks: (coils, discrete inputs, holding regs, input regs)."""
    coils = [SimData(0, values=[bool((i + base) % 3 == 0) for i in range(100)], datatype=DataType.BITS)]
    dis = [SimData(0, values=[bool((i + base) % 2 == 0) for i in range(100)], datatype=DataType.BITS)]
    hr = [SimData(0, values=[(base * 1000 + i) & 0xFFFF for i in range(100)], datatype=DataType.REGISTERS)]
    ir = [SimData(0, values=[(base * 2000 + 3 * i) & 0xFFFF for i in range(100)], datatype=DataType.REGISTERS)]
    return SimDevice(dev_id, simdata=(coils, dis, hr, ir))


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=502)
    ap.add_argument("--info-json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    identity = ModbusDeviceIdentification(info_name=IDENTITY)
    devices = [make_device(1, 1), make_device(17, 17)]
    server = ModbusTcpServer(devices, identity=identity, address=("0.0.0.0", args.port))
    if args.info_json:
        with open(args.info_json, "w") as f:
            json.dump({"modbus_identity": IDENTITY, "unit_ids": [1, 17], "port": args.port}, f, indent=2)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(server.shutdown()))
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
