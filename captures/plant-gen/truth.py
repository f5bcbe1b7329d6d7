#!/usr/bin/env python3
"""Write truth.json for the published captures, in the schema of captures/plant-a/truth.json.

  truth.py --work DIR --out DIR

Every count in the file (connections, handshakes, refusals, payload, truncated frames, UDP
requests/responses, logins, SNMP communities, ...) is computed from the published capture
files, not from the generator's intentions. Configured identity values (topology.py) are
written only after tshark shows them in the captures; every designed activity in the client
log (WORK/events.jsonl) must be visible on the wire with the expected outcome. Any failed check
makes this script exit non-zero (and the truth file is not written).
"""
import argparse
import datetime
import hashlib
import importlib.metadata as md
import ipaddress
import json
import platform
import re
import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import topology as T  # noqa: E402
from postprocess import SNAPLEN_CUT, CUT_CONN, host_table  # noqa: E402

ZONE_LEVEL = {z[0]: z[1] for z in T.ZONES}
LEVEL_ORDER = [1, 2, 3, 3.5, 4, 5]
PORT_GUESS = {3389: "rdp", 80: "http", 23: "telnet", 102: "s7comm", 502: "modbus", 44818: "enip",
              4840: "opcua", 22: "ssh", 5900: "vnc", 21: "ftp", 161: "snmp", 53: "dns", 67: "dhcp"}
# tshark frame.protocols token -> protocol name used in the truth (first match wins)
PROTO_TOKENS = [("s7comm", "s7comm"), ("modbus", "modbus"), ("enip", "enip"), ("opcua", "opcua"),
                ("ftp-data", "ftp-data"), ("ftp", "ftp"), ("ssh", "ssh"), ("vnc", "vnc"), ("telnet", "telnet"),
                ("http", "http"), ("snmp", "snmp"), ("dns", "dns"), ("dhcp", "dhcp")]
MGMT = {"ssh", "vnc", "telnet", "http", "rdp", "snmp", "ftp"}
ICS = {"modbus", "s7comm", "enip", "opcua"}
UDP_SERVER_PORTS = {53, 67, 161, 44818}

CHECKS = []


def check(ok, what):
    CHECKS.append({"check": what, "ok": bool(ok)})
    return ok


def fmt_level(x):
    return f"L{x:g}"


def zone_of(ip):
    a = ipaddress.ip_address(ip)
    for name, level, cidrs, vlan, descr in T.ZONES:
        if any(a in ipaddress.ip_network(c) for c in cidrs):
            return name, level
    return "internet", T.INTERNET_LEVEL


def verdict(src_zone, src_level, dst_zone, dst_level):
    if src_zone == dst_zone:
        return False, None, None
    i, j = LEVEL_ORDER.index(src_level), LEVEL_ORDER.index(dst_level)
    if abs(i - j) == 1:
        return True, "allowed", f"adjacent levels {fmt_level(src_level)} -> {fmt_level(dst_level)}"
    lo, hi = sorted((i, j))
    skipped = ", ".join(fmt_level(x) for x in LEVEL_ORDER[lo + 1:hi])
    why = f"{fmt_level(src_level)} -> {fmt_level(dst_level)} skips level(s) {skipped}"
    if 5 in (src_level, dst_level):
        why += " (internet host talks directly to an internal zone)"
    elif 4 in (src_level, dst_level) and min(src_level, dst_level) <= 2:
        why += " (enterprise <-> supervisory/cell must pass through the L3.5 DMZ)"
    return True, "violation", why


# ------------------------------------------------------------------------------- packet reading
def read_frames(path):
    """Frames of a pcap or pcapng file (Ethernet): dicts with the L2-L4 fields truth.py needs."""
    data = Path(path).read_bytes()
    out = []
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        off = 0
        while off + 12 <= len(data):
            btype, blen = struct.unpack("<II", data[off:off + 8])
            if btype == 6:
                _, hi, lo, cap, orig = struct.unpack("<IIIII", data[off + 8:off + 28])
                ts = ((hi << 32) | lo) / 1e6
                out.append((ts, data[off + 28:off + 28 + cap], orig))
            off += blen
    else:
        off = 24
        while off + 16 <= len(data):
            sec, usec, cap, orig = struct.unpack("<IIII", data[off:off + 16])
            out.append((sec + usec / 1e6, data[off + 16:off + 16 + cap], orig))
            off += 16 + cap
    frames = []
    for n, (ts, b, orig) in enumerate(out, 1):
        f = {"no": n, "ts": ts, "caplen": len(b), "len": orig, "dst_mac": b[0:6].hex(":"),
             "src_mac": b[6:12].hex(":"), "vlan": None, "ip": None}
        off = 12
        et = struct.unpack(">H", b[off:off + 2])[0]
        if et == 0x8100:
            f["vlan"] = struct.unpack(">H", b[off + 2:off + 4])[0] & 0x0FFF
            off += 4
            et = struct.unpack(">H", b[off:off + 2])[0]
        f["ethertype"] = et
        if et == 0x0806 and len(b) >= off + 2 + 28:
            a = b[off + 2:]
            f["arp"] = {"op": struct.unpack(">H", a[6:8])[0], "sha": a[8:14].hex(":"),
                        "spa": ".".join(map(str, a[14:18])), "tpa": ".".join(map(str, a[24:28]))}
        if et == 0x0800:
            ip = b[off + 2:]
            ihl = (ip[0] & 0x0F) * 4
            tot = struct.unpack(">H", ip[2:4])[0]
            f["ip"] = {"src": ".".join(map(str, ip[12:16])), "dst": ".".join(map(str, ip[16:20])),
                       "ttl": ip[8], "proto": ip[9], "id": struct.unpack(">H", ip[4:6])[0]}
            l4 = ip[ihl:]
            if ip[9] == 6 and len(l4) >= 14:
                sport, dport, seq, ack = struct.unpack(">HHII", l4[:12])
                doff = (l4[12] >> 4) * 4
                f["tcp"] = {"sport": sport, "dport": dport, "flags": l4[13], "payload": max(0, tot - ihl - doff),
                            "data": l4[doff:] if len(l4) > doff else b""}
            elif ip[9] == 17 and len(l4) >= 8:
                sport, dport, ulen = struct.unpack(">HHH", l4[:6])
                f["udp"] = {"sport": sport, "dport": dport, "payload": ulen - 8, "data": l4[8:]}
        frames.append(f)
    return frames


def tshark(path, *args):
    r = subprocess.run(["tshark", "-r", str(path), "-n", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"tshark failed on {path}: {r.stderr}")
    return r.stdout


def tshark_json(path, display_filter, *protos):
    args = ["-Y", display_filter, "-T", "json", "--no-duplicate-keys", "-J", " ".join(protos)]
    out = tshark(path, *args)
    return json.loads(out) if out.strip() else []


def walk(x):
    """Yield every (key, value) pair of a tshark JSON tree."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield k, v
            yield from walk(v)
    elif isinstance(x, list):
        for v in x:
            yield from walk(v)


def values(tree, key):
    out = []
    for k, v in walk(tree):
        if k == key:
            out.extend(v if isinstance(v, list) else [v])
    return out


# ------------------------------------------------------------------------------------ analysis
class Capture:
    def __init__(self, path, cap_name):
        self.path, self.name = path, cap_name
        self.frames = read_frames(path)
        protos = tshark(path, "-T", "fields", "-e", "frame.number", "-e", "frame.protocols").splitlines()
        self.protocols = {}
        for line in protos:
            n, p = line.split("\t")
            self.protocols[int(n)] = p.split(":")


def analyse(caps, hosts_by_ip):
    """Connections and UDP exchanges from the frames of all captures."""
    conns = {}            # (cip, cport, sip, sport) -> dict
    udp = defaultdict(lambda: {"requests": 0, "responses": 0, "frames": [], "protocols": set()})
    for cap in caps:
        for f in cap.frames:
            ip = f["ip"]
            if not ip:
                continue
            if "tcp" in f:
                t = f["tcp"]
                a, b = (ip["src"], t["sport"]), (ip["dst"], t["dport"])
                syn, ack, rst = t["flags"] & 0x02, t["flags"] & 0x10, t["flags"] & 0x04
                key = None
                if syn and not ack:
                    key = (a[0], a[1], b[0], b[1])
                    c = conns.get(key)
                    if c is None or c.get("closed_seen"):
                        conns[key] = c = {"cap": cap.name, "syn": 0, "synack": False, "ack3": False, "rst_srv": False,
                                          "c2s": 0, "s2c": 0, "trunc": 0, "frames": [], "protocols": set(),
                                          "vlan_c2s": set(), "vlan_s2c": set(), "data_c2s": b"", "data_s2c": b""}
                    c["syn"] += 1
                else:
                    if (a[0], a[1], b[0], b[1]) in conns:
                        key = (a[0], a[1], b[0], b[1])
                    elif (b[0], b[1], a[0], a[1]) in conns:
                        key = (b[0], b[1], a[0], a[1])
                if key is None:
                    raise RuntimeError(f"{cap.name} frame {f['no']}: TCP segment of a connection without SYN")
                c = conns[key]
                c2s = (ip["src"], t["sport"]) == (key[0], key[1])
                if syn and ack and not c2s:
                    c["synack"] = True
                if ack and not syn and c2s and c["synack"]:
                    c["ack3"] = True
                if rst and not c2s and not c["synack"]:
                    c["rst_srv"] = True
                if c2s:
                    c["c2s"] += t["payload"]
                    c["vlan_c2s"].add(f["vlan"])
                    if len(c["data_c2s"]) < 4096:
                        c["data_c2s"] += t["data"]
                else:
                    c["s2c"] += t["payload"]
                    c["vlan_s2c"].add(f["vlan"])
                    if len(c["data_s2c"]) < 8192:
                        c["data_s2c"] += t["data"]
                if f["caplen"] < f["len"]:
                    c["trunc"] += 1
                c["frames"].append(f["no"])
                c["protocols"].update(cap.protocols[f["no"]])
            elif "udp" in f:
                u = f["udp"]
                if u["dport"] in UDP_SERVER_PORTS and u["dport"] != 67:
                    key = (ip["src"], ip["dst"], u["dport"])
                    d = udp[key]
                    d["requests"] += 1
                    d["vlan_c2s"] = f["vlan"]
                elif u["sport"] in UDP_SERVER_PORTS and u["sport"] != 67:
                    key = (ip["dst"], ip["src"], u["sport"])
                    d = udp[key]
                    d["responses"] += 1
                    d["vlan_s2c"] = f["vlan"]
                else:
                    continue
                d["cap"] = cap.name
                d["frames"].append(f["no"])
                d["protocols"].update(cap.protocols[f["no"]])
    return conns, udp


def proto_of(tokens):
    for tok, name in PROTO_TOKENS:
        if tok in tokens:
            return name
    return None


def name_of(ip, hosts):
    h = hosts.get(ip)
    return h["name"] if h else None


def build_flows(conns, udp, hosts):
    flows = {}
    for (cip, cport, sip, sport), c in conns.items():
        k = (cip, sip, "tcp", sport)
        fl = flows.setdefault(k, {"conns": [], "protocols": set(), "cap": c["cap"], "vlan_c2s": set(),
                                  "vlan_s2c": set()})
        fl["conns"].append(((cip, cport, sip, sport), c))
        fl["protocols"] |= c["protocols"]
        fl["vlan_c2s"] |= c["vlan_c2s"]
        fl["vlan_s2c"] |= c["vlan_s2c"]
    for (cip, sip, port), d in udp.items():
        flows[(cip, sip, "udp", port)] = {"udp": d, "protocols": d["protocols"], "cap": d["cap"],
                                          "vlan_c2s": {d.get("vlan_c2s")}, "vlan_s2c": {d.get("vlan_s2c")}}
    out = []
    for (cip, sip, tr, port) in sorted(flows, key=lambda k: (k[0], k[1], k[2], k[3])):
        fl = flows[(cip, sip, tr, port)]
        sz, sl = zone_of(cip)
        dz, dl = zone_of(sip)
        crossing, verd, reason = verdict(sz, sl, dz, dl)
        proto = proto_of(fl["protocols"])
        seg_zone = {T.SEGMENTS[s][3]: T.SEGMENTS[s][4] for s in T.SEGMENTS if T.SEGMENTS[s][3]}
        cap = fl["cap"]

        def obs_zone(vlans):
            v = sorted(x for x in vlans if x is not None)
            if v:
                return seg_zone[v[0]], v[0]
            # untagged (site-fw.pcap): the segment of the lower-level endpoint
            zs = [zone_of(x) for x in (cip, sip) if hosts.get(x) and T.SEGMENTS[hosts[x]["seg"]][2] == cap]
            return min(zs, key=lambda z: LEVEL_ORDER.index(z[1]))[0], None
        oz_c, v_c = obs_zone(fl["vlan_c2s"])
        oz_s, v_s = obs_zone(fl["vlan_s2c"]) if any(x is not None for x in fl["vlan_s2c"]) or tr == "tcp" \
            else (oz_c, v_c)
        e = {"client_ip": cip, "client": name_of(cip, hosts), "server_ip": sip, "server": name_of(sip, hosts),
             "transport": tr, "port": port, "protocol": proto,
             "port_service_guess": None if proto else PORT_GUESS.get(port),
             "src_zone": sz, "src_level": sl, "dst_zone": dz, "dst_level": dl, "zone_crossing": crossing,
             "verdict": verd, "reason": reason, "sensor_file": cap,
             "observed_on_zone_client_to_server": oz_c, "observed_on_zone_server_to_client": oz_s,
             "vlan_client_to_server": v_c, "vlan_server_to_client": v_s}
        if tr == "tcp":
            cs = [c for _, c in fl["conns"]]
            est = [c for c in cs if c["synack"] and c["ack3"]]
            e.update({"connections": len(cs), "established_connections": len(est),
                      "refused_connections": sum(1 for c in cs if c["rst_srv"]),
                      "connections_with_payload": sum(1 for c in cs if c["c2s"] or c["s2c"]),
                      "handshake_completed": bool(est),
                      "truncated_connections": sum(1 for c in cs if c["trunc"])})
        else:
            d = fl["udp"]
            e.update({"requests": d["requests"], "responses": d["responses"], "handshake_completed": d["responses"] > 0})
        e["_conns"] = fl.get("conns")
        out.append(e)
    return out


# ------------------------------------------------------------------------------------ identity
def s7_identity(capfile, ip, name):
    cfg = T.S7_IDENTITY[name]
    pk = tshark_json(capfile, f"ip.src=={ip} && s7comm.param.userdata.funcgroup==4 && s7comm.header.rosctr==7",
                     "s7comm")
    mlfb = [v.strip() for v in values(pk, "s7comm.szl.xy11.0001.anz")]
    names = values(pk, "s7comm.szl.001c.0001.name") + values(pk, "s7comm.szl.001c.0002.name")
    serials = values(pk, "s7comm.szl.001c.0005.serialn")
    ausbg = values(pk, "s7comm.szl.xy11.0001.ausbg")
    ausbe = values(pk, "s7comm.szl.xy11.0001.ausbe")
    a, b, c = cfg["firmware"]
    fw_seen = str(0x5600 | a) in ausbg and str((b << 8) | c) in ausbe
    key = values(pk, "s7comm.szl.0132.0004.key")
    param = values(pk, "s7comm.szl.0132.0004.param")
    real = values(pk, "s7comm.szl.0132.0004.real")
    bart = values(pk, "s7comm.szl.0132.0004.bart_sch")
    sch = cfg["protection"]
    i = cfg["szl_001c"]
    check(cfg["mlfb"] in mlfb, f"{name}: SZL 0x0011 order number {cfg['mlfb']} on the wire")
    check(i[1] in names and i[2] in names, f"{name}: SZL 0x001C AS/module names on the wire")
    check(i[5] in serials, f"{name}: SZL 0x001C serial number on the wire")
    check(fw_seen, f"{name}: SZL 0x0011 firmware V{a}.{b}.{c} on the wire")
    raw = tshark(capfile, "-Y", f"ip.src=={ip} && s7comm.header.rosctr==7", "-T", "fields", "-e", "tcp.payload")
    blob = bytes.fromhex("".join(raw.split()))
    for idx in (3, 7, 8, 11):
        check(i[idx].encode() in blob, f"{name}: SZL 0x001C record {idx} {i[idx]!r} on the wire")
    prot_ok = [str(sch[0])] == sorted(set(key)) and [str(sch[1])] == sorted(set(param)) and \
        [str(sch[2])] == sorted(set(real)) and [str(sch[3])] == sorted(set(bart))
    check(prot_ok, f"{name}: SZL 0x0132 index 4 protection {sch[:4]} on the wire "
                   f"(key {key} param {param} real {real} bart_sch {bart})")
    return {"rack": cfg["rack"], "slot": cfg["slot"], "order_number": cfg["mlfb"], "firmware": f"V{a}.{b}.{c}",
            "szl_0011_hardware_version": cfg["hardware_version"], "as_name": i[1], "module_name": i[2],
            "serial_number": i[5], "module_type_name": i[7], "plant_id": i[3], "location": i[11],
            "memory_card_serial": i[8],
            "szl_0132_protection_level": sch[2], "szl_0132_password_level": sch[1],
            "szl_0132_mode_selector": sch[3], "password_protected": sch[1] != 0}


def modbus_identity(capfile, ip, name):
    cfg = T.MODBUS_IDENTITY[name]
    pk = tshark_json(capfile, f"ip.src=={ip} && modbus.func_code==43", "modbus")
    strs = set(values(pk, "modbus.object_str_value"))
    for k, v in cfg.items():
        check(v in strs, f"{name}: Modbus device identification {k}={v!r} on the wire")
    req = tshark_json(capfile, f"ip.dst=={ip} && modbus.func_code==43", "modbus")
    codes = sorted({int(x) for x in values(req, "modbus.read_device_id")})
    objs = {k: v for k, v in cfg.items()}
    return {"read_device_id_codes_requested": codes, "objects": objs}


def enip_identity(capfile, ip, name):
    cfg = T.ENIP_IDENTITY[name]
    lir = tshark_json(capfile, f"ip.src=={ip} && enip.command==0x0063 && enip.lir.name", "enip")
    gaa = tshark(capfile, "-Y", f'ip.src=={ip} && cip && !enip.lir.name && frame contains "{cfg["product_name"]}"',
                 "-T", "fields", "-e", "frame.number").split()
    seen = []
    udp_lir = tshark(capfile, "-Y", f"ip.src=={ip} && udp && enip.lir.name", "-T", "fields", "-e", "frame.number")
    tcp_lir = tshark(capfile, "-Y", f"ip.src=={ip} && tcp && enip.lir.name", "-T", "fields", "-e", "frame.number")
    if gaa:
        seen.append("GetAttributesAll(Identity)")
    if tcp_lir.strip():
        seen.append("ListIdentity/tcp")
    if udp_lir.strip():
        seen.append("ListIdentity/udp")
    maj, mnr = cfg["revision"]
    check(cfg["product_name"] in values(lir, "enip.lir.name"), f"{name}: ListIdentity product name on the wire")
    check(bool(gaa), f"{name}: Identity object (Get_Attributes_All) product name on the wire")
    check(str(cfg["product_code"]) in values(lir, "enip.lir.prodcode"), f"{name}: ListIdentity product code")
    check(f"0x{cfg['serial_number']:08x}" in values(lir, "enip.lir.serial"), f"{name}: ListIdentity serial number")
    check(cfg["vendor_id"] in [int(x, 16) for x in values(lir, "enip.lir.vendor")], f"{name}: ListIdentity vendor id")
    sa = values(lir, "enip.sinaddr")
    check(T.ip(name) in sa, f"{name}: ListIdentity socket address {sa}")
    return {"vendor_id": cfg["vendor_id"], "vendor_name": "Rockwell Automation/Allen-Bradley",
            "device_type": cfg["device_type"], "device_type_name": "Programmable Logic Controller",
            "product_code": cfg["product_code"], "revision": f"{maj}.{mnr}", "revision_major": maj,
            "revision_minor": mnr, "serial_number": f"0x{cfg['serial_number']:08x}",
            "serial_number_int": cfg["serial_number"], "product_name": cfg["product_name"],
            "status_word": f"0x{cfg['status_word']:04x}", "state": cfg["state"],
            "list_identity_socket_address": T.ip(name), "seen_via": sorted(seen)}


def opcua_identity(capfile, ip):
    I = T.OPCUA_IDENTITY
    pk = tshark_json(capfile, f"ip.src=={ip} && opcua.servicenodeid.numeric==431", "opcua")
    check(pk, "opcua-gw: GetEndpoints responses on the wire")
    eps = []
    for k, v in walk(pk[0] if pk else {}):
        if k == "Endpoints: Array of EndpointDescription":
            for kk, ep in v.items():
                if not kk.startswith("["):
                    continue
                toks = []
                for tk, tv in ep["UserIdentityTokens: Array of UserTokenPolicy"].items():
                    if tk.startswith("["):
                        toks.append({"policy_id": tv["opcua.PolicyId"],
                                     "token_type": {0: "Anonymous", 1: "UserName", 2: "Certificate",
                                                    3: "IssuedToken"}[int(tv["opcua.UserTokenType"], 16)],
                                     "security_policy_uri": tv["opcua.SecurityPolicyUri"]})
                mode = {1: "None", 2: "Sign", 3: "SignAndEncrypt"}[int(ep["opcua.MessageSecurityMode"], 16)]
                eps.append({"endpoint_url": ep["opcua.EndpointUrl"], "security_mode": mode,
                            "security_policy_uri": ep["opcua.SecurityPolicyUri"],
                            "security_level": int(ep["opcua.SecurityLevel"]), "user_tokens": toks})
            break
    apps = set(values(pk, "opcua.ApplicationUri"))
    prods = set(values(pk, "opcua.ProductUri"))
    names = set(values(pk, "opcua.loctext.Text"))
    check(apps == {I["application_uri"]}, f"opcua-gw: ApplicationUri on the wire {apps}")
    check(prods == {I["product_uri"]}, f"opcua-gw: ProductUri on the wire {prods}")
    check(I["application_name"] in names, "opcua-gw: ApplicationName on the wire")
    certs = values(pk, "opcua.ServerCertificate")
    sha1 = hashlib.sha1(bytes.fromhex(certs[0].replace(":", ""))).hexdigest() if certs else None
    # BuildInfo, read by the anonymous None session
    rr = tshark_json(capfile, f"ip.src=={ip} && opcua.servicenodeid.numeric==634", "opcua")
    bi = {"product_uri": values(rr, "opcua.ProductUri"), "manufacturer_name": values(rr, "opcua.ManufacturerName"),
          "product_name": values(rr, "opcua.ProductName"), "software_version": values(rr, "opcua.SoftwareVersion"),
          "build_number": values(rr, "opcua.BuildNumber")}
    for k, v in bi.items():
        check(I[k] in v, f"opcua-gw: BuildInfo {k}={I[k]!r} on the wire (in a ReadResponse)")
    return {"application_name": I["application_name"], "application_uri": I["application_uri"],
            "product_uri": I["product_uri"], "application_type": "Server", "endpoints": eps,
            "server_certificate_sha1": sha1,
            "build_info": {"product_uri": I["product_uri"], "manufacturer_name": I["manufacturer_name"],
                           "product_name": I["product_name"], "software_version": I["software_version"],
                           "build_number": I["build_number"]}}


def snmp_identity(capfile, ip, name):
    cfg = T.SNMP_AGENTS[name]
    out = tshark(capfile, "-Y", f"ip.src=={ip} && snmp", "-T", "fields", "-e", "snmp.name", "-e", "snmp.value.octets",
                 "-e", "snmp.value.oid", "-E", "occurrence=a", "-E", "aggregator=|")
    blob = out
    got = {}
    for line in out.splitlines():
        names, octs, oids = (line.split("\t") + ["", "", ""])[:3]
        octs_l = octs.split("|")
        oid_l = oids.split("|")
        oi = oc = 0
        for n in names.split("|"):
            if n in ("1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.6.0") and oc < len(octs_l):
                got[n] = bytes.fromhex(octs_l[oc].replace(":", "")).decode("latin-1") if octs_l[oc] else ""
                oc += 1
            elif n == "1.3.6.1.2.1.1.2.0" and oi < len(oid_l):
                got[n] = "." + oid_l[oi]
                oi += 1
    ident = {"sysDescr": got.get("1.3.6.1.2.1.1.1.0"), "sysName": got.get("1.3.6.1.2.1.1.5.0"),
             "sysLocation": got.get("1.3.6.1.2.1.1.6.0"), "sysObjectID": got.get("1.3.6.1.2.1.1.2.0")}
    for k, v in ident.items():
        check(v == cfg[k], f"{name}: SNMP {k} {v!r} on the wire == configured {cfg[k]!r}")
    del blob
    return ident


# ------------------------------------------------------------------------------------ auth
def snmp_communities(capfile, server_ip):
    out = tshark(capfile, "-Y", f"snmp && ip.addr=={server_ip}", "-T", "fields", "-e", "ip.src", "-e", "ip.dst",
                 "-e", "snmp.version", "-e", "snmp.community", "-e", "snmp.request_id")
    reqs = defaultdict(lambda: {"requests": 0, "responses": 0})
    for line in out.splitlines():
        src, dst, ver, comm, rid = line.split("\t")
        v = {"0": "v1", "1": "v2c", "3": "v3"}[ver]
        if dst == server_ip:
            reqs[(v, comm, src)]["requests"] += 1
        else:
            reqs[(v, comm, dst)]["responses"] += 1
    res = []
    for (v, comm, client), d in sorted(reqs.items()):
        acc = d["responses"] > 0
        access = None
        if acc:
            cfg = next(a for h, a in T.SNMP_AGENTS.items() if T.ip(h) == server_ip)
            access = "ro" if comm == cfg["ro_community"] else "rw"
        res.append({"version": v, "community": comm, "client": client, "accepted": acc, "access": access,
                    "requests": d["requests"], "responses": d["responses"]})
    return res


def http_basic(conns, server_ip):
    attempts = ok = fail = r401 = 0
    clients = set()
    realm = None
    for (cip, cport, sip, sport), c in conns:
        if sip != server_ip or sport != 80:
            continue
        req, resp = c["data_c2s"], c["data_s2c"]
        has_auth = b"\r\nAuthorization: Basic " in req
        code = resp[9:12]
        if b'WWW-Authenticate: Basic realm="' in resp:
            realm = resp.split(b'WWW-Authenticate: Basic realm="')[1].split(b'"')[0].decode()
        if code == b"401":
            r401 += 1
        if has_auth:
            attempts += 1
            clients.add(cip)
            if code == b"200":
                ok += 1
            elif code == b"401":
                fail += 1
    return realm, attempts, ok, fail, r401, sorted(clients)


def ftp_logins(conns, server_ip):
    attempts = ok = fail = 0
    users, clients = set(), set()
    for (cip, cport, sip, sport), c in conns:
        if sip != server_ip or sport != 21:
            continue
        cmds = c["data_c2s"].decode("latin-1").split("\r\n")
        replies = c["data_s2c"].decode("latin-1").split("\r\n")
        for line in cmds:
            if line.upper().startswith("USER "):
                users.add(line[5:])
            if line.upper().startswith("PASS "):
                attempts += 1
                clients.add(cip)
        ok += sum(1 for r in replies if r.startswith("230"))
        fail += sum(1 for r in replies if r.startswith("530"))
    return attempts, ok, fail, sorted(users), sorted(clients)


def telnet_logins(conns, server_ip):
    attempts = fail = 0
    clients = set()
    for (cip, cport, sip, sport), c in conns:
        if sip != server_ip or sport != 23:
            continue
        s = c["data_s2c"]
        attempts += s.count(b"Password: ")
        fail += s.count(b"Login incorrect")
        clients.add(cip)
    return attempts, attempts - fail, fail, sorted(clients)


def vnc_logins(capfile, server_ip):
    out = tshark(capfile, "-Y", f"vnc.auth_result && ip.src=={server_ip}", "-T", "fields", "-e", "ip.dst",
                 "-e", "vnc.auth_result")
    ok = fail = 0
    clients = set()
    for line in out.splitlines():
        dst, res = line.split("\t")
        clients.add(dst)
        if res in ("0", "False", "OK"):
            ok += 1
        else:
            fail += 1
    return ok + fail, ok, fail, sorted(clients)


# ------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    work, out = Path(a.work), Path(a.out)
    hosts = host_table(work)
    laptop_ip = next(ip for ip, h in hosts.items() if h["name"] == "ops-laptop")
    caps = [Capture(out / name, name) for name in T.CAPTURES]
    capfile = {c.name: c.path for c in caps}
    trunk, site = out / "ot-trunk.pcapng", out / "site-fw.pcap"
    conns, udp = analyse(caps, hosts)
    flows = build_flows(conns, udp, hosts)
    flow_by = {(f["client_ip"], f["server_ip"], f["transport"], f["port"]): f for f in flows}
    events = [json.loads(line) for line in open(work / "events.jsonl")]

    # ---- 1. no leak of the build machine
    hostname = platform.node()
    resolvers = [line.split()[1] for line in open("/etc/resolv.conf") if line.startswith("nameserver")]
    for c in caps:
        blob = c.path.read_bytes()
        # every text the dissectors find (names, banners, strings) must not carry the build host name
        text = tshark(c.path, "-T", "fields", "-e", "dns.qry.name", "-e", "lldp.tlv.system.name",
                      "-e", "dhcp.option.hostname", "-e", "vnc.desktop_name", "-e", "snmp.value.octets",
                      "-e", "ftp.response.arg", "-e", "http.server", "-e", "telnet.data", "-e", "s7comm.szl.001c.0001.name")
        words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9-]*", text))
        bad = [hostname] if hostname in words else []
        bad += [r for r in resolvers if r and (r in text or bytes(map(int, r.split("."))) in blob)
                and r not in hosts]
        lo = [f["no"] for f in c.frames if f["ip"] and (f["ip"]["src"].startswith("127.") or
                                                         f["ip"]["dst"].startswith("127."))]
        check(not bad and not lo, f"{c.name}: no build host name / resolver / loopback address in the capture bytes "
                                  f"{bad} {lo[:5]}")
        known = set(hosts) | {"0.0.0.0", "255.255.255.255"}
        strays = sorted({x for f in c.frames if f["ip"] for x in (f["ip"]["src"], f["ip"]["dst"])} - known -
                        {"10.41.10.1", "10.41.20.1", "10.41.30.1", "172.20.40.1", "172.20.50.1"})
        check(not strays, f"{c.name}: every IP address belongs to a plant host {strays}")

    # ---- 2. exactly once: every dropped raw copy exists in the published files
    pp = json.loads((work / "postprocess.json").read_text())
    total_raw = sum(s["raw_frames"] for s in pp["segments"].values())
    total_kept = sum(s["kept"] for s in pp["segments"].values())
    total_drop = sum(s["dropped_seen_on_lower_level_segment"] for s in pp["segments"].values())
    check(total_raw == total_kept + total_drop, f"raw frames {total_raw} = kept {total_kept} + dropped {total_drop}")
    check(total_kept == sum(len(c.frames) for c in caps), "published frames = kept frames")
    pub = set()
    for c in caps:
        for f in c.frames:
            if "tcp" in f or "udp" in f:
                l4 = f.get("tcp") or f.get("udp")
                pub.add((f["ip"]["src"], f["ip"]["dst"], f["ip"]["id"], l4["sport"], l4["dport"], l4["payload"]))
    missing = 0
    for seg in pp["segments"]:
        for f in read_frames(work / "raw" / f"{seg}.pcap"):
            if f["ip"] and ("tcp" in f or "udp" in f):
                l4 = f.get("tcp") or f.get("udp")
                k = (f["ip"]["src"], f["ip"]["dst"], f["ip"]["id"], l4["sport"], l4["dport"], l4["payload"])
                if k not in pub:
                    missing += 1
    check(missing == 0, f"every raw TCP/UDP frame (all segment copies) has its copy in the published files "
                        f"(missing {missing})")
    for c in caps:
        for f in c.frames:
            if f["ip"] and f["src_mac"] in ("00:80:63:a1:0e:01", "94:f7:ad:2c:40:11", "94:f7:ad:2c:40:12"):
                src = hosts.get(f["ip"]["src"])
                if src and f["ip"]["ttl"] >= 64 and f["ip"]["src"] not in ("0.0.0.0",):
                    check(False, f"{c.name} frame {f['no']}: routed packet from {src['name']} without TTL decrement")
                    break

    # ---- 3. designed activities reached the wire with the expected outcome
    def expect(cip, sip, tr, port, want, what):
        f = flow_by.get((cip, sip, tr, port))
        ok = f is not None
        if ok and want == "established":
            ok = f["handshake_completed"]
        elif ok and want == "refused":
            ok = (not f["handshake_completed"]) and f["refused_connections"] > 0
        elif ok and want == "answered":
            ok = f["responses"] > 0
        elif ok and want == "sent":
            ok = f["requests"] > 0
        check(ok, f"designed flow {what} ({cip} -> {sip} {tr}/{port}) observed, {want}")

    ip = T.ip
    designed = []
    for e in events:
        actor = e["actor"]
        cip = laptop_ip if actor == "ops-laptop" else ip(actor)
        op = e["op"]
        srv = e.get("server", "")
        if op == "tcp.connect":
            designed.append((cip, srv, "tcp", e["port"], "refused" if e["result"] == "refused" else "established", op))
        elif op in ("modbus.connect",):
            designed.append((cip, srv, "tcp", 502, "established", op))
        elif op == "s7.connect":
            designed.append((cip, srv, "tcp", 102, "established", op))
        elif op.startswith("enip.list_identity_udp"):
            designed.append((cip, srv, "udp", 44818, "answered", op))
        elif op.startswith("enip.") or op == "cip.close":
            designed.append((cip, srv, "tcp", 44818, "established", op))
        elif op.startswith("opcua.connect") or op == "opcua.get_endpoints":
            designed.append((cip, ip("opcua-gw"), "tcp", 4840, "established", op))
        elif op == "tcp.garbage":
            designed.append((cip, srv, "tcp", e["port"], "established", op))
        elif op == "snmp.get":
            designed.append((cip, srv, "udp", 161, "sent" if e["exit_code"] else "answered", op))
        elif op.startswith("telnet."):
            designed.append((cip, srv, "tcp", 23, "established", op))
        elif op == "http.get":
            designed.append((cip, srv, "tcp", 80, "established", op))
        elif op.startswith("ftp.login"):
            designed.append((cip, srv, "tcp", 21, "established", op))
        elif op == "ftp.stor" or op == "ftp.retr":
            designed.append((cip, srv, "tcp", T.FTP["passive_port"], "established", op))
        elif op == "ssh.exec":
            designed.append((cip, srv, "tcp", 22, "established", op))
        elif op == "vnc.session":
            designed.append((cip, srv, "tcp", 5900, "established", op))
        elif op == "dns.lookup":
            designed.append((cip, srv, "udp", 53, "answered", op))
    for d in sorted(set(designed)):
        expect(d[0], d[1], d[2], d[3], d[4], d[5])
    expected_fail = {("mon-01", "telnet.login"), ("erp-01", "ftp.login"), ("inet-vendor", "vnc.session"),
                     ("mon-01", "snmp.get")}
    for e in events:
        bad = e.get("result") == "error" or (e.get("exit_code") not in (None, 0))
        if bad and (e["actor"], e["op"]) not in expected_fail:
            check(False, f"unexpected client failure: {e['actor']} {e['op']} {e.get('error') or e.get('output_tail')}")
    # the client log and the wire agree on a few outcomes
    ev = lambda actor, op: [e for e in events if e["actor"] == actor and e["op"] == op]  # noqa: E731
    check([e["result"] for e in ev("mon-01", "telnet.login")] == ["failed", "ok"], "telnet: one failed, one good login")
    check([e["output_tail"][-1] for e in ev("ews-01", "http.get")] == ["401", "401", "200"], "http: 401, 401, 200")
    check([e["result"] for e in ev("inet-vendor", "vnc.session")] == ["error", "ok"], "vnc: wrong then right password")
    check([e["result"] for e in ev("erp-01", "ftp.login")] == ["failed", "ok"], "ftp: erp failed then good login")
    for op in ("s7.upload", "s7.download", "s7.plc_stop", "s7.plc_cold_start"):
        check([e["result"] for e in ev("ews-01", op)] == ["ok"], f"ews-01 {op} accepted by plc-filter")

    # S7 program transfer and CPU control on the wire
    s7fn = tshark(trunk, "-Y", f"ip.src=={ip('ews-01')} && s7comm.header.rosctr==1", "-T", "fields",
                  "-e", "s7comm.param.func")
    fns = {x for line in s7fn.splitlines() for x in line.split(",")}
    for fc, what in (("0x1d", "start upload"), ("0x1e", "upload"), ("0x1f", "end upload"),
                     ("0x1a", "request download"), ("0x29", "PLC stop"), ("0x28", "PLC control (cold start)")):
        check(fc in fns, f"ews-01 -> plc-filter: S7 job {what} ({fc}) on the wire")
    dl = tshark(trunk, "-Y", f"ip.src=={ip('plc-filter')} && s7comm.param.func==0x1b && s7comm.header.rosctr==1",
                "-T", "fields", "-e", "frame.number")
    check(dl.strip(), "plc-filter -> ews-01: S7 download block request (0x1b, PLC-driven) on the wire")

    # ---- 4. identity (configured values verified on the wire)
    identity = {h["name"]: {} for h in T.HOSTS}
    for name in T.S7_IDENTITY:
        identity[name]["s7comm"] = s7_identity(trunk, ip(name), name)
    identity["plc-dosing"]["modbus"] = modbus_identity(trunk, ip("plc-dosing"), "plc-dosing")
    identity["plc-pumps"]["enip"] = enip_identity(trunk, ip("plc-pumps"), "plc-pumps")
    identity["opcua-gw"]["opcua"] = opcua_identity(trunk, ip("opcua-gw"))
    for name in T.SNMP_AGENTS:
        identity[name]["snmp"] = snmp_identity(trunk, ip(name), name)
    banners = defaultdict(dict)
    for (cip, cport, sip, sport), c in conns.items():
        h = hosts.get(sip)
        if not h:
            continue
        s = c["data_s2c"]
        if sport == 23 and s:
            b = T.TELNET["banner"].strip().replace("\n", "\r\n")
            check(b.encode() in s, "sw-ot: telnet banner on the wire")
            banners[h["name"]]["telnet"] = T.TELNET["banner"].strip().split("\n")[0]
        if sport == 21 and s.startswith(b"220"):
            banners[h["name"]]["ftp"] = s.split(b"\r\n")[0].decode()
        if sport == 22 and s.startswith(b"SSH-"):
            banners[h["name"]]["ssh"] = s.split(b"\r\n")[0].decode()
        if sport == 80 and b"WWW-Authenticate" in s:
            srv = s.split(b"\r\nServer: ")[1].split(b"\r\n")[0].decode()
            realm = s.split(b'realm="')[1].split(b'"')[0].decode()
            banners[h["name"]].setdefault("http", {}).update({"server": srv,
                                                              "www_authenticate": f'Basic realm="{realm}"'})
        if sport == 80 and s.startswith(b"HTTP/1.1 200") and b"<title>" in s:
            banners[h["name"]].setdefault("http", {})["title"] = s.split(b"<title>")[1].split(b"</title>")[0].decode()
    for vip in (ip("jump-01"), ip("hmi-01")):
        f = site if vip == ip("jump-01") else trunk
        vout = tshark(f, "-Y", f"ip.src=={vip} && (vnc.server_proto_ver || vnc.desktop_name || vnc.security_type)",
                     "-T", "fields", "-e", "vnc.server_proto_ver", "-e", "vnc.desktop_name",
                     "-e", "vnc.security_type")
        ver = desk = None
        sec = set()
        for line in vout.splitlines():
            pv, dn, st = line.split("\t")
            ver = ver or pv or None
            desk = desk or dn or None
            sec |= {x for x in st.split(",") if x}
        name = hosts[vip]["name"]
        check(desk == T.VNC[name]["desktop"], f"{name}: VNC desktop name {desk!r} on the wire")
        banners[name]["vnc"] = {"rfb_version": ver, "desktop_name": desk,
                                "security_types": [{"2": "VNC Authentication (2)"}.get(x, x) for x in sorted(sec)]}
    for name, b in banners.items():
        identity[name]["banners"] = b
    check(banners["dmz-ftp"].get("ftp", "").endswith(T.FTP["banner"]), "dmz-ftp: FTP banner on the wire")
    check(banners["rio-pumps"]["http"]["title"] == T.HTTP_BASIC["title"], "rio-pumps: HTTP title on the wire")
    lldp = tshark_json(trunk, "lldp", "lldp")
    sysn = set(values(lldp, "lldp.tlv.system.name"))
    sysd = set(values(lldp, "lldp.tlv.system.desc"))
    check(sysn == {T.LLDP["system_name"]} and sysd == {T.LLDP["system_description"]},
          f"sw-ot: LLDP system name/description on the wire {sysn} {sysd}")
    lldp_src = set(tshark(trunk, "-Y", "lldp", "-T", "fields", "-e", "eth.src").split())
    check(lldp_src == {T.host("sw-ot")["mac"]}, f"LLDP frames come from sw-ot's MAC {lldp_src}")
    identity["sw-ot"]["lldp"] = {"chassis_id": T.host("sw-ot")["mac"], "port_id": "G1",
                                 "system_name": T.LLDP["system_name"],
                                 "system_description": T.LLDP["system_description"],
                                 "management_address": ip("sw-ot")}
    dh = tshark(site, "-Y", "dhcp", "-T", "fields", "-e", "dhcp.option.dhcp", "-e", "dhcp.option.hostname",
                "-e", "dhcp.option.vendor_class_id", "-e", "dhcp.ip.your", "-e", "dhcp.hw.mac_addr")
    dmsgs = [line.split("\t") for line in dh.splitlines()]
    check(any(m[0] == "5" and m[3] == laptop_ip for m in dmsgs), f"DHCP ACK for {laptop_ip} on the wire")
    identity["ops-laptop"]["dhcp"] = {"hostname": "ops-laptop", "vendor_class_id": "MSFT 5.0",
                                      "leased_ip": laptop_ip, "server": ip("ns-01"),
                                      "messages": sorted({{"1": "DISCOVER", "2": "OFFER", "3": "REQUEST",
                                                           "5": "ACK"}.get(m[0], m[0]) for m in dmsgs})}
    check(any(m[1] == "ops-laptop" and m[2] == "MSFT 5.0" for m in dmsgs), "DHCP host name / vendor class on the wire")

    # ---- 5. assets
    gw_macs = {g[1] for g in T.GATEWAYS}
    seen_mac = defaultdict(set)
    behind = defaultdict(set)
    for c in caps:
        for f in c.frames:
            if f["ip"]:
                for ipk, mk in (("src", "src_mac"), ("dst", "dst_mac")):
                    addr = f["ip"][ipk]
                    if f[mk] in gw_macs:
                        behind[addr].add(f[mk])
                    else:
                        seen_mac[addr].add(f[mk])
            if f.get("arp"):
                seen_mac[f["arp"]["spa"]].add(f["arp"]["sha"])
    served = defaultdict(lambda: defaultdict(set))
    used = defaultdict(lambda: defaultdict(set))
    for f in flows:
        if not f["handshake_completed"]:
            continue
        p = f["protocol"] or f["port_service_guess"]
        served[f["server_ip"]][(p, f["transport"], f["port"])].add(f["client_ip"])
        used[f["client_ip"]][(p, f["transport"], f["port"])].add(f["server_ip"])
    served[ip("ns-01")][("dhcp", "udp", 67)].add(laptop_ip)
    used[laptop_ip][("dhcp", "udp", 67)].add(ip("ns-01"))
    oui = {}
    for line in open("/usr/share/ieee-data/oui.csv", encoding="utf-8", errors="replace"):
        parts = line.split(",", 3)
        if len(parts) > 2 and len(parts[1]) == 6:
            oui[parts[1].upper()] = parts[2].strip().strip('"')
    # the routers' interfaces on captured segments are hosts too: they answer ARP for the gateway
    # address (and ARP for the hosts they route to), with their own MAC
    router_hosts = dict(hosts)
    for r, cfg in T.ROUTERS.items():
        for leg, addrs, mac in cfg["legs"]:
            if leg in T.SEGMENTS and T.SEGMENTS[leg][2]:
                a0 = addrs[0].split("/")[0]
                check(mac in seen_mac.get(a0, set()), f"{r}: interface {a0} ({mac}) seen on {leg}")
                router_hosts[a0] = {"name": f"{r}-{leg}", "seg": leg, "mac": mac, "role": "network_device",
                                    "vendor": cfg["brand"],
                                    "product": f"{cfg['product']} ({r}), interface on {T.SEGMENTS[leg][4]}",
                                    "firmware": None}
    assets = []
    for addr, h in sorted(router_hosts.items(), key=lambda kv: [int(x) for x in kv[0].split(".")]):
        z, lvl = zone_of(addr)
        observed = h["mac"] in seen_mac.get(addr, set())
        o = h["mac"].replace(":", "")[:6].upper()
        ident = {k: v for k, v in identity.get(h["name"], {}).items() if v}
        assets.append({
            "name": h["name"], "ip": addr, "zone": z, "level": lvl, "role": h["role"],
            "mac": h["mac"] if observed else None,
            "oui": ":".join(o[i:i + 2] for i in (0, 2, 4)) if observed else None,
            "oui_vendor": oui.get(o) if observed else None,
            "mac_not_observable": not observed,
            "seen_behind_gateway_macs": sorted(behind.get(addr, set())),
            # what a passive observer can know: hosts whose MAC never reaches a sensor and that show no
            # identity keep their vendor/product to themselves
            "vendor": h["vendor"] if (observed or ident) else None,
            "product": h["product"] if (observed or ident) else None,
            "firmware": h["firmware"] if (observed or ident) else None,
            "protocols_served": [{"protocol": p, "transport": t, "port": port, "clients": sorted(cl, key=ip_key)}
                                 for (p, t, port), cl in sorted(served[addr].items(), key=lambda kv: (kv[0][2], kv[0][1]))],
            "protocols_used": [{"protocol": p, "transport": t, "port": port, "servers": sorted(sv, key=ip_key)}
                               for (p, t, port), sv in sorted(used[addr].items(), key=lambda kv: (kv[0][2], kv[0][1]))],
            "identity": ident,
        })
        if h["vendor"] and observed:
            check(oui.get(o), f"{h['name']}: OUI {o} is in the IEEE registry ({oui.get(o)})")

    # ---- 6. zone crossings
    xs = defaultdict(list)
    for f in flows:
        if f["zone_crossing"]:
            xs[(f["src_zone"], f["dst_zone"], f["transport"], f["port"])].append(f)
    crossings = []
    for (sz, dz, tr, port), fl in sorted(xs.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][3], kv[0][2])):
        protos = {x["protocol"] for x in fl if x["protocol"]}
        crossings.append({"src_zone": sz, "src_level": fl[0]["src_level"], "dst_zone": dz,
                          "dst_level": fl[0]["dst_level"], "transport": tr, "port": port,
                          "protocol": sorted(protos)[0] if protos else None,
                          "port_service_guess": None if protos else PORT_GUESS.get(port),
                          "verdict": fl[0]["verdict"], "reason": fl[0]["reason"],
                          "established": any(x["handshake_completed"] for x in fl),
                          "flows": [{"client_ip": x["client_ip"], "client": x["client"], "server_ip": x["server_ip"],
                                     "server": x["server"], "established": x["handshake_completed"]} for x in fl]})

    # ---- 7. internet exposures
    exposures = []
    for f in flows:
        if f["src_zone"] != "internet" and f["dst_zone"] != "internet":
            continue
        pub_ip, in_ip = (f["client_ip"], f["server_ip"]) if f["src_zone"] == "internet" else (f["server_ip"], f["client_ip"])
        svc = f["protocol"] or f["port_service_guess"]
        conns_ = [c for _, c in (f["_conns"] or [])]
        exposures.append({"public_ip": pub_ip, "public_host": name_of(pub_ip, hosts), "internal_ip": in_ip,
                          "internal_asset": name_of(in_ip, hosts), "internal_zone": zone_of(in_ip)[0],
                          "internal_level": zone_of(in_ip)[1], "transport": f["transport"], "port": f["port"],
                          "service": svc, "management_interface": svc in MGMT, "industrial_protocol": svc in ICS,
                          "handshake_completed": f["handshake_completed"],
                          "application_data_exchanged": any(c["c2s"] and c["s2c"] for c in conns_)
                          if f["transport"] == "tcp" else f["responses"] > 0,
                          "refused": f.get("refused_connections", 0) > 0 and not f["handshake_completed"]})
    exposures.sort(key=lambda e: (e["public_ip"], e["internal_ip"], e["port"]))

    # ---- 8. no-MFA authentication endpoints
    nomfa = []
    all_conns = list(conns.items())
    for addr in sorted(hosts, key=ip_key):
        h = hosts[addr]
        # ICS protocols without authentication: one entry per (port, transport)
        for (p, t, port), cl in sorted(served[addr].items(), key=lambda kv: (kv[0][2], kv[0][1])):
            if p not in ("modbus", "s7comm", "enip"):
                continue
            valid, other = set(), set()
            for f in flows:
                if f["server_ip"] != addr or f["port"] != port or f["transport"] != t:
                    continue
                if t == "udp":
                    (valid if p in f_protocols(f, udp) else other).add(f["client_ip"])
                    continue
                for _, c in f["_conns"]:
                    if not (c["c2s"] or c["s2c"]):
                        continue
                    (valid if p in {proto_of(c["protocols"])} else other).add(f["client_ip"])
            other -= valid
            nomfa.append({"asset": h["name"], "ip": addr, "port": port, "service": p, "transport": t,
                          "mechanism": "none",
                          "note": f"{p} has no authentication: any client that reaches the port can read/write",
                          "login_observed": bool(valid), "unauthenticated_clients": sorted(valid, key=ip_key),
                          "other_clients_with_payload": sorted(other, key=ip_key), "credentials_cleartext": False,
                          "from_internet": any(zone_of(x)[0] == "internet" for x in valid)})
        if (("http", "tcp", 80)) in served[addr]:
            conn_list = [(k, c) for k, c in all_conns if k[2] == addr]
            realm, att, ok, fail, r401, cl = http_basic(conn_list, addr)
            check(realm == T.HTTP_BASIC["realm"], f"{h['name']}: HTTP Basic realm {realm!r} on the wire")
            nomfa.append({"asset": h["name"], "ip": addr, "port": 80, "service": "http", "transport": "tcp",
                          "mechanism": "http-basic", "realm": realm, "login_attempts": att, "successful_logins": ok,
                          "failed_logins": fail, "responses_401": r401, "login_observed": att > 0,
                          "credentials_cleartext": True, "clients": cl,
                          "from_internet": any(zone_of(x)[0] == "internet" for x in cl)})
        if ("snmp", "udp", 161) in served[addr]:
            comms = snmp_communities(trunk, addr)
            if h["name"] == "sw-ot":
                check(any(c["community"] == "private" and c["requests"] == 2 and c["responses"] == 0 for c in comms),
                      "sw-ot: community 'private' sent twice (one retry), never answered")
            cl = sorted({c["client"] for c in comms}, key=ip_key)
            nomfa.append({"asset": h["name"], "ip": addr, "port": 161, "service": "snmp", "transport": "udp",
                          "mechanism": "snmp-community", "communities": comms,
                          "login_observed": any(c["accepted"] for c in comms), "credentials_cleartext": True,
                          "clients": cl, "from_internet": any(zone_of(x)[0] == "internet" for x in cl)})
        if ("telnet", "tcp", 23) in served[addr]:
            att, ok, fail, cl = telnet_logins([(k, c) for k, c in all_conns if k[2] == addr], addr)
            nomfa.append({"asset": h["name"], "ip": addr, "port": 23, "service": "telnet", "transport": "tcp",
                          "mechanism": "telnet-login", "login_attempts": att, "successful_logins": ok,
                          "failed_logins": fail, "login_observed": att > 0, "credentials_cleartext": True,
                          "clients": cl, "from_internet": any(zone_of(x)[0] == "internet" for x in cl)})
        if ("ftp", "tcp", 21) in served[addr]:
            att, ok, fail, users, cl = ftp_logins([(k, c) for k, c in all_conns if k[2] == addr], addr)
            nomfa.append({"asset": h["name"], "ip": addr, "port": 21, "service": "ftp", "transport": "tcp",
                          "mechanism": "ftp-user-pass", "login_attempts": att, "successful_logins": ok,
                          "failed_logins": fail, "usernames": users, "login_observed": att > 0,
                          "credentials_cleartext": True, "clients": cl,
                          "from_internet": any(zone_of(x)[0] == "internet" for x in cl)})
        if ("vnc", "tcp", 5900) in served[addr]:
            f = site if h["seg"] == "dmz" else trunk
            att, ok, fail, cl = vnc_logins(f, addr)
            nomfa.append({"asset": h["name"], "ip": addr, "port": 5900, "service": "vnc", "transport": "tcp",
                          "mechanism": "vnc-password", "login_attempts": att, "successful_logins": ok,
                          "failed_logins": fail, "login_observed": att > 0, "credentials_cleartext": False,
                          "note": "RFB security type 2 (DES challenge/response): password not sent in clear but "
                                  "single-factor",
                          "clients": cl, "from_internet": any(zone_of(x)[0] == "internet" for x in cl)})
        if ("opcua", "tcp", 4840) in served[addr]:
            eps = identity[h["name"]]["opcua"]["endpoints"]
            # which clients activated an anonymous session on a None channel (readable)?
            act = tshark_json(trunk, f"ip.dst=={addr} && opcua.servicenodeid.numeric==467", "ip", "opcua")
            anon_clients = set()
            for pkt in act:
                src = pkt["_source"]["layers"]["ip"]["ip.src"] if "ip" in pkt["_source"]["layers"] else None
                pol = values(pkt, "opcua.PolicyId")
                if "anonymous" in pol:
                    anon_clients.add(src)
            if not act:
                act_src = tshark(trunk, "-Y", f"ip.dst=={addr} && opcua.servicenodeid.numeric==467", "-T", "fields",
                                 "-e", "ip.src").split()
                anon_clients |= set(act_src)
            # clients whose channel is SignAndEncrypt: tokens not readable
            opn = tshark(trunk, "-Y", f"ip.dst=={addr} && opcua.transport.type==\"OPN\"", "-T", "fields",
                         "-e", "ip.src", "-e", "opcua.security.spu")
            enc = {line.split("\t")[0] for line in opn.splitlines() if "Basic256Sha256" in line}
            for mech, ttype in (("opcua-anonymous", "Anonymous"), ("opcua-username", "UserName")):
                modes = [ep["security_mode"] for ep in eps if any(t["token_type"] == ttype for t in ep["user_tokens"])]
                none_ep = [ep for ep in eps if ep["security_mode"] == "None"]
                pol = None
                if none_ep:
                    pol = next((t["security_policy_uri"] for t in none_ep[0]["user_tokens"] if t["token_type"] == ttype),
                               None)
                cl = sorted(anon_clients, key=ip_key) if ttype == "Anonymous" else []
                nomfa.append({"asset": h["name"], "ip": addr, "port": 4840, "service": "opcua", "transport": "tcp",
                              "mechanism": mech, "offered_on_security_modes": modes,
                              "offered_over_security_mode_none": "None" in modes,
                              "token_security_policy_uri_on_none_endpoint": pol, "login_observed": bool(cl),
                              "clients": cl, "credentials_cleartext": False,
                              "from_internet": any(zone_of(x)[0] == "internet" for x in cl),
                              "encrypted_sessions_not_observable": sorted(enc, key=ip_key) if ttype == "UserName" else []})
    check(any(e["mechanism"] == "opcua-anonymous" and e["clients"] == [ip("ews-01")] for e in nomfa),
          "opcua-gw: ews-01 activated an anonymous session on the None endpoint (readable on the wire)")

    # ---- 9. malformed
    malformed = []
    cutc = (ip(CUT_CONN[0]), CUT_CONN[1], ip(CUT_CONN[2]), CUT_CONN[3])
    check(cutc in conns and conns[cutc]["trunc"] > 0, f"snaplen-cut connection {cutc} has truncated frames")
    malformed.append({"kind": "truncated_frames", "client_ip": cutc[0], "server_ip": cutc[2], "port": cutc[3],
                      "snaplen": SNAPLEN_CUT, "connections": 1,
                      "note": f"{conns[cutc]['trunc']} frames of this connection cut to the snap length after capture: "
                              "frame.cap_len < frame.len; payload and part of the TCP options missing"})
    for e in ev("ews-01", "tcp.garbage") + ev("inet-scan-b", "tcp.garbage"):
        cip = ip(e["actor"])
        data = bytes.fromhex(e["hex"])
        found = [c for k, c in conns.items() if k[0] == cip and k[2] == e["server"] and k[3] == e["port"]
                 and c["data_c2s"].startswith(data)]
        check(len(found) == 1, f"garbage from {e['actor']} to {e['server']}:{e['port']} on the wire")
        malformed.append({"kind": "garbage_payload", "client_ip": cip, "server_ip": e["server"], "port": e["port"],
                          "bytes": len(data), "prefix_hex": data[:8].hex(),
                          "note": "random bytes (seeded PRNG) sent as the first payload of a fresh connection to an "
                                  "industrial port; the server's reaction is what the real stack did "
                                  f"({found[0]['s2c'] if found else '?'} payload bytes back)"})

    # ---- 10. captures
    cap_entries = []
    for c in caps:
        info = T.CAPTURES[c.name]
        ts = [f["ts"] for f in c.frames]
        blob = c.path.read_bytes()
        cap_entries.append({
            "file": c.name, "format": info["format"], "description": info["description"], "bytes": len(blob),
            "sha256": hashlib.sha256(blob).hexdigest(), "packets": len(c.frames), "encapsulation": "ether",
            "duration_s": f"{max(ts) - min(ts):.6f} seconds",
            "vlan_ids": sorted({f["vlan"] for f in c.frames if f["vlan"] is not None}),
            "observation_model": "Each conversation is seen once, on the L2 segment of its lower-Purdue-level "
                                 "endpoint (or the shared segment). Endpoints on that segment carry their own MAC; the "
                                 "other endpoint appears behind the segment gateway's MAC (with its TTL decremented by "
                                 "every router on the path), so hosts that only talk to lower levels (and all "
                                 "L4/Internet hosts) never show their own MAC. 802.1Q tag = VLAN of that segment."})

    failed = [c for c in CHECKS if not c["ok"]]
    for f in flows:
        f.pop("_conns", None)
    versions = {"python": platform.python_version(), "pypi": {}, "debian": {}}
    for p in ("pymodbus", "python-snap7", "cpppo", "pylogix", "pycomm3", "asyncua", "pyftpdlib", "vncdotool",
              "cryptography"):
        try:
            versions["pypi"][p] = md.version(p)
        except md.PackageNotFoundError:
            versions["pypi"][p] = None
    for p in ("tcpdump", "tshark", "iproute2", "snmpd", "snmp", "openssh-server", "openssh-client", "sshpass",
              "inetutils-telnetd", "socat", "busybox", "tigervnc-standalone-server", "curl", "dnsmasq-base", "lldpd"):
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", p], capture_output=True, text=True)
        versions["debian"][p] = r.stdout.strip() or None
    truth = {
        "scenario": T.SCENARIO, "seed": T.SEED, "title": T.TITLE,
        "generated_at": datetime.datetime.fromtimestamp(min(f["ts"] for c in caps for f in c.frames),
                                                        datetime.timezone.utc).isoformat(timespec="seconds"),
        "generator": {"entry_point": "captures/plant-gen/make-plant.sh", "versions": versions},
        "captures": cap_entries,
        "observation_model": "see captures[].observation_model; every packet of the run appears exactly once across "
                             "the capture files of a scenario",
        "policy": {"model": "purdue-adjacent-levels", "level_order": LEVEL_ORDER, "internet_level": T.INTERNET_LEVEL,
                   "rule": "a zone crossing is allowed only between adjacent levels in level_order; everything else "
                           "(including L4<->L1/L2 and Internet<->anything below L4) is a violation; traffic inside "
                           "one zone is not a crossing"},
        "zones": [{"name": n, "level": lv, "cidrs": c, "vlan": v, "description": d} for n, lv, c, v, d in T.ZONES],
        "gateways": [{"name": g[0], "mac": g[1], "oui_vendor": oui.get(g[1].replace(":", "")[:6].upper()),
                      "description": T.ROUTERS[g[0]]["description"],
                      "segments": [T.SEGMENTS[s][4] for s in g[2]],
                      "note": "router/firewall interface MAC; source/destination MAC of all routed traffic on its "
                              "segments"} for g in T.GATEWAYS],
        "assets": assets, "flows": flows, "zone_crossings": crossings, "internet_exposures": exposures,
        "no_mfa_auth": nomfa, "malformed": malformed,
        "verification": {"passed": len(CHECKS) - len(failed), "failed": len(failed), "failures": failed,
                         "checks": CHECKS},
    }
    if failed:
        for fl in failed:
            print("FAILED:", fl["check"], file=sys.stderr)
        (work / "truth.failed.json").write_text(json.dumps(truth, indent=1))
        sys.exit(1)
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    (out / "zones.toml").write_text(zones_toml())
    print(f"truth.json: {len(assets)} assets, {len(flows)} flows, {len(crossings)} crossings, "
          f"{len(exposures)} exposures, {len(nomfa)} no-MFA endpoints, {len(CHECKS)} checks passed")


def zones_toml():
    lines = [f"# {T.TITLE} -- network zones (operator configuration)",
             "# Purdue levels: 1 cells (PLCs, remote I/O), 2 supervisory (HMI, SCADA, OPC UA, engineering),",
             "# 3 site operations, 3.5 industrial DMZ, 4 enterprise. Addresses outside every zone are the Internet.",
             "", "[policy]", 'model = "purdue"',
             "# Traffic may only pass between adjacent levels (1<->2, 2<->3, 3<->3.5, 3.5<->4; Internet only <->4).",
             ""]
    for name, level, cidrs, vlan, descr in T.ZONES:
        lines += ["[[zone]]", f'name = "{name}"', f"level = {level:g}",
                  "cidrs = [" + ", ".join(f'"{c}"' for c in cidrs) + "]"]
        if vlan is not None:
            lines.append(f"vlans = [{vlan}]")
        lines += [f'description = "{descr}"', ""]
    return "\n".join(lines)


def ip_key(x):
    return [int(p) for p in x.split(".")]


def f_protocols(f, udp):
    d = udp.get((f["client_ip"], f["server_ip"], f["port"]))
    return {proto_of(d["protocols"])} if d else set()


if __name__ == "__main__":
    main()
