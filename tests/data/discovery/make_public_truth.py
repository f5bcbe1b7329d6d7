#!/usr/bin/env python3
"""Write tests/data/discovery/public_truth.json: tshark's decode of the discovery and
name-service frames (LLDP, CDP, PROFINET DCP, DHCP, DNS, mDNS, NBNS, LLMNR; SSDP as distinct
sender/SERVER/LOCATION triples) of the public captures that carry them.

The public truth files in captures/public/truth/ list these protocols only by frame counts;
this adds the field values the integration test tests/dissect_discovery.rs compares with.
Only tshark reads the captures. Run from the repository root:
    python3 tests/data/discovery/make_public_truth.py
"""
import json
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "captures", "gen"))
from discovery_scapy import FIELDS  # noqa: E402  (the same tshark field list)

CAPTURES = [
    "captures/public/enip/iti__EIP-IPAddressChangeAttempt.pcap",
    "captures/public/enip/iti__EIP-FirmwareChange.pcap",
    "captures/public/enip/cisagov__enip_cip_example.pcap",
    "captures/public/enip/iti__EIP-ChangeDateAttempt.pcap",
    "captures/public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap",
    "captures/public/modbus/zeek__modbusSmall.pcap",
    "captures/public/link/zeek__pcapng-multi-interface.pcapng",
    "captures/public/link/rusticata__wireshark_samples-test.pcapng",
    "captures/public/opcua/cisagov__open62541_discover_getendpoints_discover_urls.pcap",
    "captures/public/opcua/cisagov__open62541_client-server_mainloop.pcap",
]
FILTER = "lldp || cdp || pn_dcp || dhcp || dns || mdns || nbns || llmnr"
EXTRA = ["ipv6.src", "ipv6.dst", "tcp.srcport"]


def known_fields():
    out = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True,
                         check=True).stdout
    return {p[2] for p in (l.split("\t") for l in out.splitlines()) if len(p) > 2 and p[0] == "F"}


def fields_of(path, flt, fields):
    cmd = ["tshark", "-n", "-r", path, "-Y", flt, "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    rows = []
    for line in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines():
        row = {}
        for f, v in zip(fields, line.split("\t")):
            if v != "":
                row[f] = v.split("|")
        rows.append(row)
    return rows


def main():
    known = known_fields()
    fields = [f for f in FIELDS + EXTRA if f in known]
    out = {
        "truth_schema": "otscope-public-discovery/1",
        "generated_by": "tests/data/discovery/make_public_truth.py (tshark only)",
        "tshark_version": subprocess.run(["tshark", "--version"], capture_output=True,
                                         text=True).stdout.splitlines()[0],
        "filter": FILTER,
        "captures": {},
    }
    for rel in CAPTURES:
        path = os.path.join(ROOT, rel)
        frames = fields_of(path, FILTER, fields)
        ssdp = fields_of(path, "ssdp && http.server", ["ip.src", "ipv6.src", "http.server",
                                                        "http.location"])
        triples = sorted({(r.get("ip.src", r.get("ipv6.src", [""]))[0],
                           r["http.server"][0], r.get("http.location", [""])[0]) for r in ssdp})
        out["captures"][rel] = {
            "frames": frames,
            "ssdp": [{"src": s, "server": v, "location": l} for s, v, l in triples],
        }
        print(f"{rel}: {len(frames)} frames, {len(triples)} SSDP senders")
    with open(os.path.join(ROOT, "tests", "data", "discovery", "public_truth.json"), "w") as fh:
        json.dump(out, fh, sort_keys=True, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
