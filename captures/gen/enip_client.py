#!/usr/bin/env python3
"""EtherNet/IP client session against the cpppo simulator (otscope captures).

Usage: enip_client.py --host IP --ops-json FILE [--broadcast 10.77.0.255]

Order of operations (each recorded in the ops json, failures included):
  1. cpppo client  --list-identity over TCP                  (ListIdentity 0x63)
  2. cpppo client  --udp --list-identity, unicast UDP        (ListIdentity 0x63)
  3. cpppo client  --udp --broadcast --list-identity to the namespace subnet
     broadcast address (only the veth peer can hear it)
  4. cpppo client  --list-services over TCP                  (ListServices 0x04)
  5. cpppo client  tag read/write (Read/Write Tag Fragmented via Multiple Service Packet)
  6. cpppo get_attribute: Get_Attributes_All @1/1 and Get_Attribute_Single @1/1/7
  7. pycomm3 CIPDriver: list_identity, generic_message Get_Attributes_All class 1 instance 1
     (connected, after Forward Open)
  8. pycomm3 LogixDriver(init_tags=False): get_plc_info, read 'Temp' (expected to fail:
     without tag upload pycomm3 cannot resolve tag types; cpppo has no Symbol object)
  9. pylogix PLC: GetDeviceProperties, Read('Temp'), Write('Scada[2]', 5), Read('Scada[2]')
"""
import argparse
import json
import subprocess
import sys
import time

OPS = []


def record(entry):
    entry["seq"] = len(OPS) + 1
    OPS.append(entry)
    print(json.dumps(entry)[:300])
    time.sleep(0.2)


def cpppo(tool, args, label, note=None):
    cmd = [sys.executable, "-m", tool] + args
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    out = (res.stdout + res.stderr).strip().splitlines()
    entry = {"tool": tool.replace("cpppo.server.enip.", "cpppo "), "op": label,
             "argv": ["python", "-m", tool] + args, "result": "ok" if res.returncode == 0 else "failed",
             "exit_code": res.returncode, "output_tail": out[-20:]}
    if note:
        entry["note"] = note
    record(entry)


def pyop(tool, label, fn, note=None):
    entry = {"tool": tool, "op": label}
    if note:
        entry["note"] = note
    try:
        val = fn()
        entry["result"] = "ok"
        entry["value"] = val
    except Exception as exc:  # noqa: BLE001
        entry["result"] = "failed"
        entry["error"] = f"{type(exc).__name__}: {exc}"
    record(entry)


def jsonable(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--broadcast", default="10.77.0.255")
    ap.add_argument("--ops-json", required=True)
    args = ap.parse_args()
    h = args.host
    C = "cpppo.server.enip.client"

    cpppo(C, ["-a", h, "--list-identity", "-p"], "list_identity_tcp")
    cpppo(C, ["-a", h, "--udp", "--list-identity", "-p"], "list_identity_udp_unicast")
    cpppo(C, ["-a", args.broadcast, "--udp", "--broadcast", "--list-identity", "-p", "-t", "1.0"],
          "list_identity_udp_broadcast", note=f"sent to subnet broadcast {args.broadcast}:44818")
    cpppo(C, ["-a", h, "--list-services", "-p"], "list_services_tcp")
    cpppo(C, ["-a", h, "-p", "Scada[0-3]", "Temp=(REAL)21.5", "Scada[1]=(INT)77", "Speed=(DINT)1500",
              "Scada[0-3]", "Temp", "Speed"], "tag_read_write")
    cpppo("cpppo.server.enip.get_attribute", ["-a", h, "@1/1", "@1/1/7", "@0xF5/1/6"],
          "get_attribute", note="Get_Attributes_All Identity, Get_Attribute_Single Identity.ProductName, "
                                "TCP/IP object Host Name")

    from pycomm3 import CIPDriver, LogixDriver, Services

    pyop("pycomm3", "CIPDriver.list_identity", lambda: jsonable(CIPDriver.list_identity(h)))

    def gaa():
        with CIPDriver(h) as d:
            r = d.generic_message(service=Services.get_attributes_all, class_code=1, instance=1,
                                  name="identity")
            return {"value_hex": r.value.hex() if r.value else None, "error": r.error}
    pyop("pycomm3", "CIPDriver.generic_message Get_Attributes_All class 1 inst 1", gaa)

    def logix():
        with LogixDriver(h, init_tags=False, init_program_tags=False) as plc:
            info = jsonable(plc.info)
            r = plc.read("Temp")
            return {"info": info, "read_Temp": {"value": r.value, "error": r.error}}
    pyop("pycomm3", "LogixDriver(init_tags=False) open + read Temp", logix,
         note="read is expected to fail (no tag list upload from cpppo)")

    from pylogix import PLC

    def pylogix_session():
        out = {}
        with PLC(h) as c:
            p = c.GetDeviceProperties()
            v = p.Value
            out["GetDeviceProperties"] = {"status": p.Status, "product_name": getattr(v, "ProductName", None),
                                          "vendor": getattr(v, "Vendor", None),
                                          "serial": getattr(v, "SerialNumber", None),
                                          "revision": getattr(v, "Revision", None)}
            for tag in ("Temp",):
                r = c.Read(tag)
                out[f"Read {tag}"] = {"value": r.Value, "status": r.Status}
            w = c.Write("Scada[2]", 5)
            out["Write Scada[2]=5"] = {"status": w.Status}
            r = c.Read("Scada[2]")
            out["Read Scada[2]"] = {"value": r.Value, "status": r.Status}
        return out
    pyop("pylogix", "PLC session", pylogix_session)

    with open(args.ops_json, "w") as f:
        json.dump({"clients": ["cpppo.server.enip.client", "cpppo.server.enip.get_attribute",
                               "pycomm3", "pylogix"], "operations": OPS,
                   "failed": [f"{e['tool']}: {e['op']}" for e in OPS if e["result"] != "ok"]}, f, indent=2)


if __name__ == "__main__":
    main()
