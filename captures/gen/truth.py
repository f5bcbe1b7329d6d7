#!/usr/bin/env python3
"""Write <capture>.truth.json: configured ground truth + what tshark sees.

Called by make-captures.sh after each capture. Combines
  * the network set-up (IPs, MACs, port),
  * the identity the server was configured with (--server-json / --identity-cfg),
  * the operations the client performed and their results (--ops-json),
  * tshark's view: protocol hierarchy (io,phs), key per-frame fields, and the
    frame numbers of identity-bearing packets,
and fails (exit 1) if the protocol does not decode at all.
"""
import argparse
import configparser
import hashlib
import json
import os
import re
import socket
import subprocess
import sys

OUI = {
    "00:00:54": "Schneider Electric (Modicon)",
    "28:63:36": "Siemens AG",
    "5c:88:16": "Rockwell Automation",
    "00:01:05": "Beckhoff Automation",
    "18:66:da": "Dell Inc.",
}

# per protocol: display filter, decode-as rule for non-standard ports, key fields
KINDS = {
    "modbus": {
        "filter": "mbtcp",
        "decode_as": "tcp.port=={port},mbtcp",
        "std_port": 502,
        "fields": ["frame.number", "ip.src", "tcp.srcport", "tcp.dstport", "mbtcp.trans_id", "mbtcp.unit_id",
                   "modbus.func_code", "modbus.exception_code", "modbus.read_device_id", "modbus.object_id",
                   "modbus.object_str_value"],
    },
    "s7": {
        "filter": "cotp || s7comm",
        "decode_as": "tcp.port=={port},tpkt",
        "std_port": 102,
        "fields": ["frame.number", "ip.src", "cotp.type", "cotp.src-tsap", "cotp.dst-tsap", "s7comm.header.rosctr",
                   "s7comm.param.func", "s7comm.param.pdu_length", "s7comm.param.userdata.funcgroup",
                   "s7comm.param.userdata.subfunc", "s7comm.data.userdata.szl_id", "s7comm.data.userdata.szl_index",
                   "s7comm.data.returncode",
                   "s7comm.szl.001c.0001.name", "s7comm.szl.001c.0002.name", "s7comm.szl.001c.0005.serialn",
                   "s7comm.szl.001c.0007.cputypname", "s7comm.szl.xy11.0001.index"],
    },
    "enip": {
        "filter": "enip",
        "decode_as": None,
        "std_port": 44818,
        "fields": ["frame.number", "ip.src", "ip.dst", "udp.srcport", "tcp.srcport", "enip.command", "enip.session",
                   "enip.lir.vendor", "enip.lir.devtype", "enip.lir.prodcode", "enip.lir.revision",
                   "enip.lir.serial", "enip.lir.name", "enip.lsr.servicename", "cip.service", "cip.class",
                   "cip.id.vendor_id", "cip.id.product_code", "cip.id.serial_number", "cip.id.product_name"],
    },
    "opcua": {
        "filter": "opcua",
        "decode_as": "tcp.port=={port},opcua",
        "std_port": 4840,
        "fields": ["frame.number", "ip.src", "opcua.transport.type", "opcua.transport.endpoint",
                   "opcua.security.spu", "opcua.servicenodeid.numeric", "opcua.MessageSecurityMode",
                   "opcua.ApplicationUri", "opcua.ProductUri", "opcua.UserName", "opcua.SessionName"],
    },
}


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{res.stderr}")
    return res.stdout


def tshark(pcap, *args, decode=None):
    cmd = ["tshark", "-n", "-r", pcap]
    if decode:
        cmd += ["-d", decode]
    return run(cmd + list(args))


def field_rows(pcap, dfilter, fields, decode=None):
    cmd = ["-Y", dfilter, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = tshark(pcap, *cmd, decode=decode)
    rows = []
    for line in out.splitlines():
        vals = line.split("\t")
        row = {}
        for f, v in zip(fields, vals):
            if v != "":
                row[f] = v
        rows.append(row)
    return rows


def frames_matching(pcap, dfilter, decode=None):
    out = tshark(pcap, "-Y", dfilter, "-T", "fields", "-e", "frame.number", decode=decode)
    return [int(x) for x in out.split()]


def contains_filter(s):
    esc = s.replace("\\", "\\\\").replace('"', '\\"')
    return f'frame contains "{esc}"'


def collect_strings(obj):
    """Distinctive identity strings to look for in the raw frames."""
    out = []
    if isinstance(obj, dict):
        for v in obj.values():
            out += collect_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            out += collect_strings(v)
    elif isinstance(obj, str) and len(obj) >= 6:
        out.append(obj)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kind", required=True, choices=sorted(KINDS))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--server-ip", required=True)
    ap.add_argument("--client-ip", required=True)
    ap.add_argument("--server-mac", required=True)
    ap.add_argument("--client-mac", required=True)
    ap.add_argument("--server-json")
    ap.add_argument("--ops-json")
    ap.add_argument("--identity-cfg")
    args = ap.parse_args()

    kind = KINDS[args.kind]
    pcap = args.pcap
    name = os.path.basename(pcap)[: -len(".pcap")]
    decode = None
    if kind["decode_as"] and args.port != kind["std_port"]:
        decode = kind["decode_as"].format(port=args.port)

    with open(pcap, "rb") as f:
        raw = f.read()
    truth = {
        "capture": os.path.basename(pcap),
        "generated_by": "captures/gen/make-captures.sh (otscope project)",
        "licence": "MIT OR Apache-2.0",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size_bytes": len(raw),
        "note": "timestamps, TCP ISNs, ephemeral client ports and session ids differ on every run; "
                "everything configured below is fixed",
        "network": {
            "link": "Ethernet (veth pair between network namespaces ots-srv / ots-cli), captured on the server side",
            "server": {"ip": args.server_ip, "mac": args.server_mac,
                       "oui_vendor": OUI.get(args.server_mac[:8].lower(), "unknown"), "port": args.port},
            "client": {"ip": args.client_ip, "mac": args.client_mac,
                       "oui_vendor": OUI.get(args.client_mac[:8].lower(), "unknown")},
            "ipv6": "disabled on both veths",
        },
    }
    if args.server_json:
        with open(args.server_json) as f:
            truth["server_config"] = json.load(f)
    if args.identity_cfg:
        cp = configparser.ConfigParser()
        cp.optionxform = str
        cp.read(args.identity_cfg)
        truth["server_config"] = {sec: dict(cp[sec]) for sec in cp.sections()}
    if args.ops_json:
        with open(args.ops_json) as f:
            truth["client_session"] = json.load(f)

    # ------------------------------------------------------------ tshark view
    version = run(["tshark", "--version"]).splitlines()[0]
    frames = int(tshark(pcap, "-T", "fields", "-e", "frame.number").split()[-1])
    phs = tshark(pcap, "-q", "-z", "io,phs", decode=decode)
    phs_lines = [l.rstrip() for l in phs.splitlines() if l.strip() and not l.startswith("=")]
    rows = field_rows(pcap, kind["filter"], list(dict.fromkeys(kind["fields"])), decode=decode)
    if not rows:
        print(f"truth.py: no '{kind['filter']}' frames decoded in {pcap}", file=sys.stderr)
        sys.exit(1)
    macs = sorted(set(tshark(pcap, "-T", "fields", "-e", "eth.src").split()))
    tv = {
        "version": version,
        "decode_as": decode,
        "commands": {
            "phs": f"tshark -r {name}.pcap {'-d ' + decode + ' ' if decode else ''}-q -z io,phs",
            "fields": f"tshark -r {name}.pcap {'-d ' + decode + ' ' if decode else ''}-Y '{kind['filter']}' -T fields "
                      + " ".join("-e " + f for f in dict.fromkeys(kind["fields"])),
        },
        "frame_count": frames,
        "eth_src_macs": macs,
        "io_phs": phs_lines,
        "decoded_frames": len(rows),
        "key_fields": rows,
    }
    truth["tshark"] = tv

    # -------------------------------------------------- identity-bearing frames
    ident = {}
    srv = f"ip.src=={args.server_ip}"
    if args.kind == "modbus":
        ident["read_device_id_responses"] = frames_matching(pcap, f"{srv} && modbus.func_code==43 && !modbus.exception_code", decode)
        ident["report_server_id_responses"] = frames_matching(pcap, f"{srv} && modbus.func_code==17", decode)
        ident["exception_responses"] = frames_matching(pcap, f"{srv} && modbus.exception_code", decode)
        multi = [r for r in rows if "|" in r.get("mbtcp.trans_id", "")]
        ident["segments_with_multiple_mbtcp_pdus"] = [
            {"frame": int(r["frame.number"]), "trans_ids": r["mbtcp.trans_id"].split("|"), "src": r.get("ip.src")}
            for r in multi]
    elif args.kind == "s7":
        ident["szl_001c_responses"] = frames_matching(pcap, f"{srv} && s7comm.data.userdata.szl_id==0x001c", decode)
        ident["szl_0011_responses"] = frames_matching(pcap, f"{srv} && s7comm.data.userdata.szl_id==0x0011", decode)
        ident["szl_0424_responses"] = frames_matching(pcap, f"{srv} && s7comm.data.userdata.szl_id==0x0424", decode)
        ident["cotp_connect_requests"] = frames_matching(pcap, "cotp.type==0x0e", decode)
        ident["cotp_connect_confirms"] = frames_matching(pcap, "cotp.type==0x0d", decode)
        ident["setup_communication"] = frames_matching(pcap, "s7comm.param.func==0xf0", decode)
    elif args.kind == "enip":
        ident["list_identity_responses"] = frames_matching(pcap, f"{srv} && enip.command==0x0063", decode)
        ident["list_identity_requests"] = frames_matching(pcap, f"ip.src=={args.client_ip} && enip.command==0x0063", decode)
        ident["list_services_responses"] = frames_matching(pcap, f"{srv} && enip.command==0x0004", decode)
        ident["cip_identity_get_attributes_all_responses"] = frames_matching(
            pcap, f"{srv} && cip.id.product_name", decode)
    elif args.kind == "opcua":
        ident["hello"] = frames_matching(pcap, "opcua.transport.type==\"HEL\"", decode)
        ident["open_secure_channel"] = frames_matching(pcap, "opcua.transport.type==\"OPN\"", decode)
        ident["frames_with_application_uri_from_server"] = frames_matching(pcap, f"{srv} && opcua.ApplicationUri", decode)
        ident["frames_with_username"] = frames_matching(pcap, "opcua.UserName", decode)
    cfg_strings = collect_strings(truth.get("server_config", {}).get("identity_strings", truth.get("server_config", {})))
    hits = {}
    for s in dict.fromkeys(cfg_strings):
        fr = frames_matching(pcap, contains_filter(s), decode)
        if fr:
            hits[s] = fr
    ident["frames_containing_identity_string"] = hits
    truth["identity_frames"] = ident

    # host name of the build machine must not appear
    host = socket.gethostname()
    if len(host) >= 4:
        truth["build_host_name_absent"] = host.encode() not in raw
        if host.encode() in raw:
            print("truth.py: WARNING build host name found in capture", file=sys.stderr)
            sys.exit(1)

    with open(args.out, "w") as f:
        json.dump(truth, f, indent=2, sort_keys=False)
        f.write("\n")
    print(f"truth.py: {args.out}: {frames} frames, {len(rows)} decoded", file=sys.stderr)


if __name__ == "__main__":
    main()
