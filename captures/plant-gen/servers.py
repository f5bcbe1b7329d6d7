#!/usr/bin/env python3
"""Servers of the Alder Creek plant. Each runs in its host's network namespace.

  servers.py modbus NAME            pymodbus ModbusTcpServer (device identification from topology)
  servers.py s7 NAME                python-snap7 Server; only the SZL *contents* are supplied here
  servers.py opcua --pki DIR        asyncua Server (None / Basic256Sha256 Sign / SignAndEncrypt)
  servers.py http NAME              http.server with HTTP Basic authentication
  servers.py ftp --root DIR         pyftpdlib FTPServer
  servers.py switch-cli             login program that telnetd (inetutils) runs for the switch

All protocol encoding is done by the libraries; every value comes from topology.py.
Stop with SIGTERM/SIGINT.
"""
import argparse
import asyncio
import base64
import datetime
import ipaddress
import logging
import os
import signal
import struct
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import topology as T  # noqa: E402


def wait_for_signal():
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


# ----------------------------------------------------------------------------------- Modbus
def run_modbus(name):
    from pymodbus import ModbusDeviceIdentification
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    if name == "plc-dosing":
        # chlorine / coagulant dosing: setpoints, pump speeds, residuals (x100), alarms
        hr = [120, 85, 250, 1450, 1380, 0, 0, 3, 1, 0] + [i * 7 % 500 for i in range(90)]
        ir = [93, 118, 712, 655, 2110, 41, 0, 0] + [i * 13 % 900 for i in range(92)]
        coils = [True, True, False, False, True] + [False] * 95
        dis = [True, False, True, True, False, False, True, False] + [False] * 92
    else:  # rio-pumps: ioLogik E1212, 8 DI + 8 DIO
        hr = [0, 0, 0, 0, 1, 1, 0, 0] + [0] * 92
        ir = [0] * 100
        coils = [False, True, False, False, False, False, False, False] + [False] * 92
        dis = [True, True, False, True, False, False, False, True] + [False] * 92
    dev = SimDevice(1, simdata=(
        [SimData(0, values=coils, datatype=DataType.BITS)],
        [SimData(0, values=dis, datatype=DataType.BITS)],
        [SimData(0, values=hr, datatype=DataType.REGISTERS)],
        [SimData(0, values=ir, datatype=DataType.REGISTERS)],
    ))
    ident = T.MODBUS_IDENTITY.get(name)
    kw = {}
    if ident:
        kw["identity"] = ModbusDeviceIdentification(info_name=ident)

    async def main():
        server = ModbusTcpServer([dev], address=("0.0.0.0", 502), **kw)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(server.shutdown()))
        await server.serve_forever()

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())


# --------------------------------------------------------------------------------------- S7
def _txt(s, n):
    return s.encode("ascii").ljust(n, b"\x00")[:n]


def szl_001c(ident):
    i = ident["szl_001c"]
    recs = [
        (0x0001, _txt(i[1], 24) + bytes(8)),
        (0x0002, _txt(i[2], 24) + bytes(8)),
        (0x0003, _txt(i[3], 32)),
        (0x0004, _txt(i[4], 26) + bytes(6)),
        (0x0005, _txt(i[5], 24) + bytes(8)),
        (0x0007, _txt(i[7], 32)),
        (0x0008, _txt(i[8], 32)),
        (0x0009, struct.pack(">HHH", 0x002A, 0xF600, 0x0001) + bytes(26)),
        (0x000A, bytes(26) + struct.pack(">HI", 0, 0)),
        (0x000B, _txt(i[11], 32)),
    ]
    return struct.pack(">HH", 34, len(recs)) + b"".join(struct.pack(">H", x) + d for x, d in recs)


def szl_0011(ident):
    mlfb = _txt(ident["mlfb"], 20).replace(b"\x00", b" ")
    hw = ident["hardware_version"]
    a, b, c = ident["firmware"]
    # index(2) MLFB(20) BGTyp(2) Ausbg(2) Ausbe(2) = 28 bytes
    recs = [
        struct.pack(">H", 0x0001) + mlfb + struct.pack(">HHH", 0x0000, hw, 0x0000),
        struct.pack(">H", 0x0006) + mlfb + struct.pack(">HHH", 0x0000, hw, 0x0000),
        struct.pack(">H", 0x0007) + b" " * 20 + struct.pack(">H", 0x0000) + bytes([0x56, a, b, c]),
    ]
    return struct.pack(">HH", 28, len(recs)) + b"".join(recs)


def szl_protection(ident):
    # SZL 0x0132 / 0x0232 index 4: index, sch_schal, sch_par, sch_rel, bart_sch, anl_sch, then
    # ken_f .. reserved: 40 bytes per record
    rec = struct.pack(">HHHHHH", 0x0004, *ident["protection"]) + bytes(28)
    return struct.pack(">HH", 40, 1) + rec


def szl_0424():
    rec = struct.pack(">HBB", 0x4303, 0xFF, 0x08) + bytes(4) + bytes(4) \
        + bytes([0x25, 0x11, 0x03, 0x06, 0x00, 0x00, 0x00, 0x04])
    return struct.pack(">HH", 20, 1) + rec


def run_s7(name):
    import snap7
    from snap7.type import SrvArea

    ident = T.S7_IDENTITY[name]

    class PlantS7(snap7.server.Server):
        def _get_szl_data(self, szl_id, szl_index):
            if szl_id == 0x001C:
                return szl_001c(ident)
            if szl_id == 0x0011:
                return szl_0011(ident)
            if szl_id in (0x0132, 0x0232) and szl_index == 4:
                return szl_protection(ident)
            if szl_id == 0x0424:
                return szl_0424()
            return super()._get_szl_data(szl_id, szl_index)

    srv = PlantS7(log=False)
    if name == "plc-filter":
        db1 = bytearray(struct.pack(">ffffhh", 0.42, 118.5, 2.35, 7.21, 3, 1).ljust(64, b"\x00"))   # filter values
        db2 = bytearray(struct.pack(">hhhh", 180, 240, 900, 1).ljust(32, b"\x00"))                  # backwash recipe
        areas = [(SrvArea.DB, 1, db1), (SrvArea.DB, 2, db2)]
    else:
        db1 = bytearray(struct.pack(">ffffhh", 4.87, 5.10, 312.0, 298.5, 2, 0).ljust(64, b"\x00"))  # levels, flows
        db5 = bytearray(struct.pack(">ffh", 4.5, 5.6, 1).ljust(32, b"\x00"))                         # setpoints
        areas = [(SrvArea.DB, 1, db1), (SrvArea.DB, 5, db5)]
    areas += [(SrvArea.MK, 0, bytearray(32)), (SrvArea.PE, 0, bytearray(16)), (SrvArea.PA, 0, bytearray(16))]
    for area, idx, buf in areas:
        srv.register_area(area, idx, buf)
    srv.start(tcp_port=102)
    wait_for_signal()
    srv.stop()


# ------------------------------------------------------------------------------------ OPC UA
def make_cert(pki: Path, stem: str, name: str, uri: str, ip: str, server: bool, org: str):
    from asyncua.crypto import cert_gen
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key = cert_gen.generate_private_key()
    cert = cert_gen.generate_self_signed_app_certificate(
        key, name, {"organizationName": org, "countryName": "US"},
        [x509.UniformResourceIdentifier(uri), x509.IPAddress(ipaddress.ip_address(ip))],
        [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH], days=3650)
    (pki / f"{stem}_cert.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    (pki / f"{stem}_key.pem").write_bytes(cert_gen.dump_private_key_as_pem(key))
    return pki / f"{stem}_cert.der", pki / f"{stem}_key.pem"


def run_opcua(pki):
    from asyncua import Server, ua
    from asyncua.crypto.permission_rules import User, UserRole

    I = T.OPCUA_IDENTITY
    host_ip = T.ip("opcua-gw")

    class Users:
        def get_user(self, iserver, username=None, password=None, certificate=None):
            if username is None:
                return User(role=UserRole.User)
            if T.OPCUA_USERS.get(username) == password:
                return User(role=UserRole.User, name=username)
            return None

    async def main():
        logging.basicConfig(level=logging.WARNING)
        pk = Path(pki)
        pk.mkdir(parents=True, exist_ok=True)
        cert, key = make_cert(pk, "server", I["certificate_common_name"], I["application_uri"], host_ip, True,
                              I["certificate_org"])
        server = Server(user_manager=Users())
        await server.init()
        server.set_endpoint(f"opc.tcp://{host_ip}:{T.OPCUA_PORT}")
        server.set_server_name(I["application_name"])
        await server.set_application_uri(I["application_uri"])
        server.product_uri = I["product_uri"]
        server.manufacturer_name = I["manufacturer_name"]
        await server.set_build_info(I["product_uri"], I["manufacturer_name"], I["product_name"],
                                    I["software_version"], I["build_number"],
                                    datetime.datetime.fromisoformat(I["build_date"]))
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity,
                                    ua.SecurityPolicyType.Basic256Sha256_Sign,
                                    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        server.set_identity_tokens([ua.AnonymousIdentityToken, ua.UserNameIdentityToken])
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))
        idx = await server.register_namespace(I["namespace_uri"])
        objs = server.nodes.objects
        plant = await objs.add_object(ua.NodeId("WTP", idx), ua.QualifiedName("WTP", idx))
        nodes = {}
        for nid, val, vt in (("Filter1.Turbidity_NTU", 0.42, ua.VariantType.Double),
                             ("Filter1.Flow_m3h", 118.5, ua.VariantType.Double),
                             ("ClearWell.Level_m", 4.87, ua.VariantType.Double),
                             ("Chlorine.Residual_mgl", 0.93, ua.VariantType.Double),
                             ("Pumps.Running", 2, ua.VariantType.Int16),
                             ("Plant.State", "PRODUCTION", ua.VariantType.String)):
            n = await plant.add_variable(ua.NodeId(nid, idx), ua.QualifiedName(nid, idx), val, vt)
            nodes[nid] = n
        await nodes["ClearWell.Level_m"].set_writable()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with server:
            k = 0
            while not stop.is_set():
                # deterministic slow drift so subscriptions see data changes
                k += 1
                await nodes["Filter1.Turbidity_NTU"].write_value(round(0.42 + 0.01 * (k % 7), 3))
                await nodes["Filter1.Flow_m3h"].write_value(round(118.5 + 0.5 * (k % 5), 2))
                try:
                    await asyncio.wait_for(stop.wait(), timeout=2.0)
                except asyncio.TimeoutError:
                    pass

    asyncio.run(main())


# -------------------------------------------------------------------------------------- HTTP
def run_http(name):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cfg = T.HTTP_BASIC
    good = {base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in cfg["users"].items()}

    class H(BaseHTTPRequestHandler):
        server_version = cfg["server"]
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def version_string(self):
            return self.server_version

        def _send(self, code, body, extra=()):
            data = body.encode()
            self.send_response(code)
            for k, v in extra:
                self.send_header(k, v)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        def do_GET(self):
            auth = self.headers.get("Authorization", "")
            if not (auth.startswith("Basic ") and auth[6:].strip() in good):
                self._send(401, "<html><head><title>401 Unauthorized</title></head><body>"
                                "<h1>401 Unauthorized</h1></body></html>",
                           [("WWW-Authenticate", f'Basic realm="{cfg["realm"]}"')])
                return
            body = (f"<html><head><title>{cfg['title']}</title></head><body>"
                    "<h1>ioLogik E1212</h1><table><tr><td>DI-00</td><td>ON</td></tr>"
                    "<tr><td>DI-01</td><td>ON</td></tr><tr><td>DO-01</td><td>ON</td></tr></table>"
                    "</body></html>")
            self._send(200, body)

    srv = ThreadingHTTPServer(("0.0.0.0", 80), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    wait_for_signal()
    srv.shutdown()


# --------------------------------------------------------------------------------------- FTP
def run_ftp(root):
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    cfg = T.FTP
    os.makedirs(os.path.join(root, "export"), exist_ok=True)
    auth = DummyAuthorizer()
    auth.add_user("histexport", cfg["users"]["histexport"], root, perm="elradfmw")
    auth.add_user("erpimport", cfg["users"]["erpimport"], root, perm="elr")

    class Handler(FTPHandler):
        banner = cfg["banner"]
        passive_ports = [cfg["passive_port"]]
        permit_foreign_addresses = False
        use_sendfile = False

    Handler.authorizer = auth
    logging.basicConfig(level=logging.WARNING)
    srv = FTPServer(("0.0.0.0", 21), Handler)
    signal.signal(signal.SIGTERM, lambda *_: srv.close_all())
    signal.signal(signal.SIGINT, lambda *_: srv.close_all())
    srv.serve_forever(handle_exit=True)


# --------------------------------------------------------------------- switch login (telnet)
def run_switch_cli():
    """Runs on the pty telnetd allocates: the switch's banner, login and a tiny CLI."""
    import termios

    cfg = T.TELNET
    out = sys.stdout

    def w(s):
        out.write(s)
        out.flush()

    def readline(echo=True):
        fd = sys.stdin.fileno()
        old = termios.tcgetattr(fd)
        if not echo:
            new = termios.tcgetattr(fd)
            new[3] &= ~termios.ECHO
            termios.tcsetattr(fd, termios.TCSADRAIN, new)
        try:
            line = sys.stdin.readline()
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
        if not line:
            raise SystemExit(0)
        return line.strip()

    w(cfg["banner"])
    for _ in range(3):
        w("Login: ")
        user = readline()
        w("Password: ")
        pw = readline(echo=False)
        w("\n")
        if cfg["users"].get(user) == pw:
            break
        w("Login incorrect\n\n")
    else:
        raise SystemExit(1)
    snmp = T.SNMP_AGENTS["sw-ot"]
    w(f"\nWelcome {user}.\n")
    while True:
        w(f"{snmp['sysName']}# ")
        cmd = readline()
        if cmd in ("exit", "logout", "quit"):
            w("Bye.\n")
            return
        if cmd == "show version":
            w("Model: EDS-G516E-4GSFP\nFirmware Version: V6.3 build 23031014\n"
              f"System Name: {snmp['sysName']}\nSystem Location: {snmp['sysLocation']}\n"
              "MAC Address: 00-90-E8-58-A4-02\nIP Address: 10.41.30.2\n")
        elif cmd == "show interfaces":
            w("Port  Link  Speed   VLAN\nG1    Up    1G-FD   130 (uplink)\nG2    Up    100M-FD 130\n"
              "G3    Up    100M-FD 130\nG4    Down  ---     130\n")
        elif cmd:
            w(f"% Unknown command: {cmd}\n")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for c in ("modbus", "s7", "http"):
        p = sub.add_parser(c)
        p.add_argument("name")
    p = sub.add_parser("opcua")
    p.add_argument("--pki", required=True)
    p = sub.add_parser("ftp")
    p.add_argument("--root", required=True)
    sub.add_parser("switch-cli")
    a = ap.parse_args()
    if a.cmd == "modbus":
        run_modbus(a.name)
    elif a.cmd == "s7":
        run_s7(a.name)
    elif a.cmd == "http":
        run_http(a.name)
    elif a.cmd == "opcua":
        run_opcua(a.pki)
    elif a.cmd == "ftp":
        run_ftp(a.root)
    elif a.cmd == "switch-cli":
        run_switch_cli()


if __name__ == "__main__":
    main()
