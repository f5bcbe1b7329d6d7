#!/usr/bin/env python3
"""Clients of the Alder Creek plant: one sub-command per activity, run in the client's namespace.

Every sub-command appends one JSON line per operation to --log (what was attempted, what the
library reported). truth.py does not trust these lines: it counts what the captures show and
uses the log only to check that every designed activity reached the wire.

Long-running pollers (modbus-poll, s7-poll, cip-hmi, opcua-hist) run until SIGTERM, then close
their connections cleanly.
"""
import argparse
import asyncio
import json
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import topology as T  # noqa: E402

LOG = None
ACTOR = None
STOP = False


def log(op, **kw):
    entry = {"t": round(time.time(), 6), "actor": ACTOR, "op": op, **kw}
    line = json.dumps(entry, default=str)
    print(line[:400], flush=True)
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def on_term(*_):
    global STOP
    STOP = True


def sleep_until_stop(seconds):
    end = time.time() + seconds
    while not STOP and time.time() < end:
        time.sleep(0.05)


def guarded(op, fn, **kw):
    try:
        val = fn()
        log(op, result="ok", value=val, **kw)
        return val
    except Exception as exc:  # noqa: BLE001 - record and continue
        log(op, result="error", error=f"{type(exc).__name__}: {exc}", **kw)
        return None


# ------------------------------------------------------------------------------------ Modbus
def _mb_summary(rr):
    if rr is None:
        return None
    if rr.isError():
        return {"exception": getattr(rr, "exception_code", None), "fc": rr.function_code}
    out = {"fc": rr.function_code}
    if hasattr(rr, "registers") and rr.registers:
        out["registers"] = list(rr.registers)
    if hasattr(rr, "bits") and rr.bits:
        out["bits"] = [bool(b) for b in rr.bits][:16]
    if hasattr(rr, "information") and rr.information:
        out["information"] = {hex(k): (v.decode("latin-1") if isinstance(v, bytes) else str(v))
                              for k, v in rr.information.items()}
    return out


def cmd_modbus(a):
    """modbus: --mode poll|oneshot|probe|short."""
    from pymodbus.client import AsyncModbusTcpClient
    from pymodbus.framer import FramerType

    async def run():
        kw = {}
        if a.source_port:
            kw["source_address"] = (a.source_ip, a.source_port)
        c = AsyncModbusTcpClient(a.host, port=502, framer=FramerType.SOCKET, timeout=2, retries=0,
                                 reconnect_delay=0, **kw)
        ok = await c.connect()
        log("modbus.connect", server=a.host, port=502, result="ok" if ok else "failed")
        if not ok:
            return

        async def do(name, coro, **kw2):
            try:
                rr = await coro
                log("modbus." + name, server=a.host, result="ok", response=_mb_summary(rr), **kw2)
            except Exception as exc:  # noqa: BLE001
                log("modbus." + name, server=a.host, result="error", error=str(exc), **kw2)
            await asyncio.sleep(0.05)

        u = 1
        if a.identity:
            for code in (1, 2):
                await do("read_device_information", c.read_device_information(read_code=code, object_id=0,
                                                                                device_id=u), read_code=code)
        if a.mode == "probe":
            await do("read_holding_registers", c.read_holding_registers(0, count=10, device_id=u))
        elif a.mode == "oneshot":
            await do("read_holding_registers", c.read_holding_registers(0, count=10, device_id=u))
            await do("read_input_registers", c.read_input_registers(0, count=8, device_id=u))
        elif a.mode == "short":
            for _ in range(3):
                await do("read_holding_registers", c.read_holding_registers(0, count=20, device_id=u))
                await do("read_input_registers", c.read_input_registers(0, count=8, device_id=u))
                await asyncio.sleep(0.6)
        else:  # poll until SIGTERM
            k = 0
            while not STOP:
                if a.profile == "dosing":
                    await do("read_holding_registers", c.read_holding_registers(0, count=10, device_id=u))
                    await do("read_input_registers", c.read_input_registers(0, count=8, device_id=u))
                    await do("read_coils", c.read_coils(0, count=8, device_id=u))
                    if k == 6:
                        await do("write_register", c.write_register(0, 125, device_id=u), address=0, value=125)
                    if k == 12:
                        await do("write_registers", c.write_registers(3, [1460, 1390], device_id=u),
                                 address=3, values=[1460, 1390])
                else:  # rio
                    await do("read_discrete_inputs", c.read_discrete_inputs(0, count=8, device_id=u))
                    await do("read_coils", c.read_coils(0, count=8, device_id=u))
                    if k == 8:
                        await do("write_coil", c.write_coil(2, True, device_id=u), address=2, value=True)
                k += 1
                for _ in range(int(a.interval / 0.05)):
                    if STOP:
                        break
                    await asyncio.sleep(0.05)
        c.close()
        log("modbus.close", server=a.host)
        await asyncio.sleep(0.3)

    asyncio.run(run())


# ---------------------------------------------------------------------------------------- S7
def _s7_connect(host, rack, slot):
    import snap7
    c = snap7.client.Client()
    c.connect(host, rack, slot, 102)
    return c


def cmd_s7_poll(a):
    """Cyclic DB reads (+ a few writes for the HMI) until SIGTERM."""
    try:
        cl = _s7_connect(a.host, a.rack, a.slot)
        log("s7.connect", server=a.host, result="ok", rack=a.rack, slot=a.slot)
    except Exception as exc:  # noqa: BLE001
        log("s7.connect", server=a.host, result="error", error=str(exc))
        return
    k = 0
    while not STOP:
        guarded("s7.db_read", lambda: cl.db_read(1, 0, 20).hex(), server=a.host, db=1, start=0, size=20)
        if a.writes and k in (5, 11):
            val = bytearray(b"\x40\x90\x00\x00") if k == 5 else bytearray(b"\x40\xa0\x00\x00")  # 4.5 / 5.0 m
            guarded("s7.db_write", lambda: cl.db_write(5, 0, val), server=a.host, db=5, start=0, data=val.hex())
            guarded("s7.db_read", lambda: cl.db_read(5, 0, 10).hex(), server=a.host, db=5, start=0, size=10)
        k += 1
        sleep_until_stop(a.interval)
    guarded("s7.disconnect", cl.disconnect, server=a.host)


def cmd_s7_eng(a):
    """Engineering workstation: identity, protection, and for --program: upload/download/stop/start."""
    cl = None
    try:
        cl = _s7_connect(a.host, a.rack, a.slot)
        log("s7.connect", server=a.host, result="ok", rack=a.rack, slot=a.slot)
    except Exception as exc:  # noqa: BLE001
        log("s7.connect", server=a.host, result="error", error=str(exc))
        return

    def szl(i, idx):
        r = cl.read_szl(i, idx)
        n = r.Header.LengthDR * r.Header.NDR
        return bytes(b & 0xFF for b in r.Data[:n]).hex()

    guarded("s7.get_order_code", lambda: str(cl.get_order_code().OrderCode), server=a.host, szl="0x0011")
    def cpu_info():
        i = cl.get_cpu_info()
        return {"module_type": str(i.ModuleTypeName), "serial": str(i.SerialNumber), "as_name": str(i.ASName)}
    guarded("s7.get_cpu_info", cpu_info, server=a.host, szl="0x001c")
    guarded("s7.read_szl", lambda: szl(0x0132, 4), server=a.host, szl="0x0132", index=4)
    guarded("s7.read_szl", lambda: szl(0x0424, 0), server=a.host, szl="0x0424", index=0)
    guarded("s7.db_read", lambda: cl.db_read(1, 0, 16).hex(), server=a.host, db=1)
    if a.program:
        guarded("s7.list_blocks", lambda: str(cl.list_blocks()), server=a.host)
        guarded("s7.get_block_info", lambda: str(cl.get_block_info(__import__("snap7").type.Block.DB, 2)),
                server=a.host, block="DB2")
        blk = guarded("s7.upload", lambda: cl.upload(2).hex(), server=a.host, block="DB2")
        guarded("s7.plc_stop", cl.plc_stop, server=a.host)
        time.sleep(0.3)
        if blk:
            data = bytearray(bytes.fromhex(blk))
            guarded("s7.download", lambda: cl.download(data, 2), server=a.host, block="DB2", bytes=len(data))
        time.sleep(0.3)
        guarded("s7.plc_cold_start", cl.plc_cold_start, server=a.host)
        guarded("s7.read_szl", lambda: szl(0x0424, 0), server=a.host, szl="0x0424", index=0)
    guarded("s7.disconnect", cl.disconnect, server=a.host)


# -------------------------------------------------------------------------------------- ENIP
def cmd_cip_hmi(a):
    from pylogix import PLC
    with PLC(a.host) as plc:
        k = 0
        while not STOP:
            for tag in ("Pump1_Speed", "Pump2_Speed", "Station_Flow"):
                r = plc.Read(tag)
                log("cip.read", server=a.host, tag=tag, value=r.Value, status=r.Status)
            if k in (4, 10):
                sp = 1480.0 if k == 4 else 1450.0
                r = plc.Write("Pump1_SP", sp)
                log("cip.write", server=a.host, tag="Pump1_SP", value=sp, status=r.Status)
            k += 1
            sleep_until_stop(a.interval)
    log("cip.close", server=a.host)


def _cpppo(tool, args, op, **kw):
    cmd = [sys.executable, "-m", tool] + args
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    out = (res.stdout + res.stderr).strip().splitlines()
    log(op, result="ok" if res.returncode == 0 else "failed", exit_code=res.returncode,
        output_tail=out[-12:], **kw)


def cmd_enip(a):
    C = "cpppo.server.enip.client"
    if a.mode == "eng":
        _cpppo(C, ["-a", a.host, "--udp", "--list-identity", "-p"], "enip.list_identity_udp", server=a.host)
        time.sleep(0.3)
        _cpppo(C, ["-a", a.host, "--list-identity", "-p"], "enip.list_identity_tcp", server=a.host)
        time.sleep(0.3)
        _cpppo("cpppo.server.enip.get_attribute", ["-a", a.host, "@1/1"], "enip.get_attributes_all_identity",
               server=a.host)
    else:  # internet probe: ListIdentity over TCP
        _cpppo(C, ["-a", a.host, "--list-identity", "-p"], "enip.list_identity_tcp", server=a.host)


# ------------------------------------------------------------------------------------ OPC UA
def cmd_opcua(a):
    from asyncua import Client, ua
    from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
    from servers import make_cert

    url = f"opc.tcp://{T.ip('opcua-gw')}:{T.OPCUA_PORT}"
    I = T.OPCUA_IDENTITY

    async def run():
        # GetEndpoints on its own connection (what every client does first)
        c0 = Client(url, timeout=5)
        c0.application_uri = a.uri
        try:
            eps = await c0.connect_and_get_server_endpoints()
            log("opcua.get_endpoints", server=url, result="ok",
                value=[{"mode": e.SecurityMode.name, "policy": e.SecurityPolicyUri,
                        "tokens": [t.TokenType.name for t in e.UserIdentityTokens]} for e in eps])
        except Exception as exc:  # noqa: BLE001
            log("opcua.get_endpoints", server=url, result="error", error=str(exc))
        await asyncio.sleep(0.3)
        c = Client(url, timeout=5)
        c.application_uri = a.uri
        c.name = a.name
        c.description = a.name
        if a.mode == "hist":
            cert = make_cert(Path(a.pki), "hist", "hist-01 Process Historian", a.uri, T.ip("hist-01"), False,
                             "Alder Creek Water")
            c.set_user("historian")
            c.set_password(T.OPCUA_USERS["historian"])
            await c.set_security(SecurityPolicyBasic256Sha256, certificate=str(cert[0]), private_key=str(cert[1]),
                                 mode=ua.MessageSecurityMode.SignAndEncrypt)
        try:
            await c.connect()
            log("opcua.connect", server=url, result="ok", mode=a.mode)
        except Exception as exc:  # noqa: BLE001
            log("opcua.connect", server=url, result="error", error=str(exc))
            return
        idx = await c.get_namespace_index(I["namespace_uri"])
        names = ["Filter1.Turbidity_NTU", "Filter1.Flow_m3h", "ClearWell.Level_m", "Chlorine.Residual_mgl"]
        nodes = [c.get_node(ua.NodeId(n, idx)) for n in names]
        if a.mode == "hist":
            class H:
                n = 0

                def datachange_notification(self, node, val, data):
                    H.n += 1

            sub = await c.create_subscription(1000, H())
            await sub.subscribe_data_change(nodes)
            log("opcua.subscribe", server=url, result="ok", nodes=names)
            k = 0
            while not STOP:
                await asyncio.sleep(0.25)
                k += 1
                if k % 20 == 0:
                    vals = [await n.read_value() for n in nodes]
                    log("opcua.read", server=url, result="ok", values=vals)
            log("opcua.notifications", server=url, count=H.n)
            await sub.delete()
        else:
            build = await c.get_node(ua.NodeId(ua.ObjectIds.Server_ServerStatus_BuildInfo)).read_value()
            log("opcua.read_buildinfo", server=url, result="ok", value=str(build))
            wtp = c.get_node(ua.NodeId("WTP", idx))
            ch = [str((await x.read_browse_name()).Name) for x in await wtp.get_children()]
            log("opcua.browse", server=url, result="ok", value=ch)
            vals = [await n.read_value() for n in nodes]
            log("opcua.read", server=url, result="ok", values=vals)
        await c.disconnect()
        log("opcua.disconnect", server=url)

    asyncio.run(run())


# ------------------------------------------------------------------------------ raw TCP helpers
def cmd_garbage(a):
    rng = random.Random(T.SEED + a.n)
    data = bytes(rng.randrange(256) for _ in range(a.bytes))
    s = socket.create_connection((a.host, a.port), timeout=3)
    s.settimeout(1.5)
    s.sendall(data)
    got = b""
    try:
        got = s.recv(4096)
    except OSError:
        pass
    s.close()
    log("tcp.garbage", server=a.host, port=a.port, bytes=len(data), hex=data.hex(), reply_bytes=len(got))
    time.sleep(0.3)


def cmd_syn(a):
    for port in a.ports:
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect((a.host, port))
            log("tcp.connect", server=a.host, port=port, result="established")
            s.close()
        except ConnectionRefusedError:
            log("tcp.connect", server=a.host, port=port, result="refused")
        except OSError as exc:
            log("tcp.connect", server=a.host, port=port, result="error", error=str(exc))
        time.sleep(0.4)


# -------------------------------------------------------------------------------- IT protocols
def run(cmd, op, check_rc=None, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    out = (res.stdout + res.stderr).strip().splitlines()
    log(op, cmd=cmd[0], exit_code=res.returncode, output_tail=out[-15:], **kw)
    return res


def cmd_snmp(a):
    env_note = {}
    sysoids = [".1.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.1.2.0", ".1.3.6.1.2.1.1.3.0", ".1.3.6.1.2.1.1.5.0",
               ".1.3.6.1.2.1.1.6.0"]
    ifoids = [".1.3.6.1.2.1.2.1.0", ".1.3.6.1.2.1.2.2.1.8.2", ".1.3.6.1.2.1.2.2.1.10.2", ".1.3.6.1.2.1.2.2.1.16.2"]
    base = ["snmpget", "-v2c", "-On", "-r", "0", "-t", "2"]
    if a.mode == "poll":
        run(base + ["-c", "public", a.host] + sysoids, "snmp.get", server=a.host, community="public", **env_note)
        time.sleep(0.3)
        run(base + ["-c", "public", a.host] + ifoids, "snmp.get", server=a.host, community="public")
    elif a.mode == "uptime":
        run(base + ["-c", "public", a.host, ".1.3.6.1.2.1.1.3.0"], "snmp.get", server=a.host, community="public")
    else:  # wrong community: agent stays silent; one retry
        run(["snmpget", "-v2c", "-On", "-r", "1", "-t", "1", "-c", "private", a.host, ".1.3.6.1.2.1.1.5.0"],
            "snmp.get", server=a.host, community="private")


def cmd_telnet(a):
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import telnetlib
    cfg = T.TELNET
    user, pw = next(iter(cfg["users"].items()))
    tn = telnetlib.Telnet(a.host, 23, timeout=10)
    got = tn.read_until(b"Login: ", 10)
    log("telnet.banner", server=a.host, value=got.decode("latin-1"))
    tn.write(user.encode() + b"\r\n")
    tn.read_until(b"Password: ", 10)
    tn.write(b"admin123\r\n")
    got = tn.read_until(b"Login: ", 10)
    log("telnet.login", server=a.host, user=user, result="failed" if b"incorrect" in got else "?")
    tn.write(user.encode() + b"\r\n")
    tn.read_until(b"Password: ", 10)
    tn.write(pw.encode() + b"\r\n")
    got = tn.read_until(b"# ", 10)
    log("telnet.login", server=a.host, user=user, result="ok" if got.endswith(b"# ") else "?")
    for cmd in (b"show version", b"show interfaces"):
        time.sleep(0.3)
        tn.write(cmd + b"\r\n")
        got = tn.read_until(b"# ", 10)
        log("telnet.cmd", server=a.host, cmd=cmd.decode(), output=got.decode("latin-1"))
    tn.write(b"exit\r\n")
    try:
        tn.read_all()
    except EOFError:
        pass
    tn.close()


def cmd_http(a):
    cfg = T.HTTP_BASIC
    user, pw = next(iter(cfg["users"].items()))
    ua_ = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    url = f"http://{a.host}/"
    base = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-A", ua_]
    run(base + [url], "http.get", server=a.host, auth=None)
    time.sleep(0.5)
    run(base + ["-u", f"{user}:admin", url], "http.get", server=a.host, auth=f"{user}:<wrong>")
    time.sleep(0.5)
    run(base + ["-u", f"{user}:{pw}", url], "http.get", server=a.host, auth=f"{user}:<right>")


def cmd_ftp(a):
    import ftplib
    cfg = T.FTP
    if a.mode == "put":
        rng = random.Random(T.SEED + 100)
        ftp = ftplib.FTP()
        ftp.connect(a.host, 21, timeout=10)
        log("ftp.connect", server=a.host, banner=ftp.getwelcome())
        ftp.login("histexport", cfg["users"]["histexport"])
        log("ftp.login", server=a.host, user="histexport", result="ok")
        ftp.set_pasv(True)
        ftp.cwd("export")
        import io
        for day in ("20251103", "20251104"):
            rows = ["timestamp,turbidity_ntu,flow_m3h,clearwell_m,chlorine_mgl"]
            for h in range(24):
                rows.append(f"{day[:4]}-{day[4:6]}-{day[6:]}T{h:02d}:00:00Z,{0.4 + rng.random() / 10:.3f},"
                            f"{115 + rng.random() * 8:.1f},{4.7 + rng.random() / 3:.2f},{0.9 + rng.random() / 10:.2f}")
            data = ("\r\n".join(rows) + "\r\n").encode()
            ftp.storbinary(f"STOR wtp_daily_{day}.csv", io.BytesIO(data))
            log("ftp.stor", server=a.host, file=f"wtp_daily_{day}.csv", bytes=len(data))
            time.sleep(0.3)
        ftp.quit()
    else:
        ftp = ftplib.FTP()
        ftp.connect(a.host, 21, timeout=10)
        try:
            ftp.login("erpimport", "erp-2024-import")
            log("ftp.login", server=a.host, user="erpimport", result="ok?")
        except ftplib.error_perm as exc:
            log("ftp.login", server=a.host, user="erpimport", result="failed", error=str(exc))
        ftp.quit()
        time.sleep(0.5)
        ftp = ftplib.FTP()
        ftp.connect(a.host, 21, timeout=10)
        ftp.login("erpimport", cfg["users"]["erpimport"])
        log("ftp.login", server=a.host, user="erpimport", result="ok")
        ftp.cwd("export")
        names = ftp.nlst()
        log("ftp.nlst", server=a.host, value=names)
        buf = []
        ftp.retrbinary("RETR wtp_daily_20251104.csv", buf.append)
        log("ftp.retr", server=a.host, file="wtp_daily_20251104.csv", bytes=sum(len(b) for b in buf))
        ftp.quit()


def cmd_ssh(a):
    cfg = T.SSH
    run(["sshpass", "-p", cfg["password"], "ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no", "-o", "GSSAPIAuthentication=no",
         "-o", "PreferredAuthentications=password", "-o", "LogLevel=ERROR", f"{cfg['user']}@{a.host}",
         "uname -sr; uptime"], "ssh.exec", server=a.host, user=cfg["user"])


def cmd_vnc(a):
    from vncdotool import api, rfb
    from vncdotool.client import VNCDoToolClient

    VNCDoToolClient.encoding = rfb.Encoding.ZRLE
    target = a.target
    cfg = T.VNC[target]
    pwds = ([a.wrong] if a.wrong else []) + [cfg["password"]]
    for pw in pwds:
        ok = pw == cfg["password"]
        try:
            cl = api.connect(f"{T.ip(target)}::5900", password=pw, timeout=10)
            cl.refreshScreen()
            if ok:
                cl.keyPress("ctrl")
                cl.mouseMove(120, 80)
                cl.mousePress(1)
                time.sleep(0.5)
            cl.disconnect()
            log("vnc.session", server=T.ip(target), result="ok", password="right" if ok else "wrong")
        except Exception as exc:  # noqa: BLE001
            log("vnc.session", server=T.ip(target), result="error", error=f"{type(exc).__name__}: {exc}",
                password="right" if ok else "wrong")
        time.sleep(0.8)
    api.shutdown()


def cmd_dns(a):
    for name in a.names:
        run(["busybox", "nslookup", name, T.ip("ns-01")], "dns.lookup", server=T.ip("ns-01"), name=name)
        time.sleep(0.2)


def main():
    global LOG, ACTOR
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--actor", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("modbus")
    p.add_argument("host")
    p.add_argument("--mode", choices=("poll", "oneshot", "probe", "short"), default="poll")
    p.add_argument("--profile", choices=("dosing", "rio"), default="dosing")
    p.add_argument("--identity", action="store_true")
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("--source-ip", default="0.0.0.0")
    p.add_argument("--source-port", type=int, default=0)
    p = sub.add_parser("s7-poll")
    p.add_argument("host")
    p.add_argument("--rack", type=int, default=0)
    p.add_argument("--slot", type=int, default=1)
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("--writes", action="store_true")
    p = sub.add_parser("s7-eng")
    p.add_argument("host")
    p.add_argument("--rack", type=int, default=0)
    p.add_argument("--slot", type=int, default=1)
    p.add_argument("--program", action="store_true")
    p = sub.add_parser("cip-hmi")
    p.add_argument("host")
    p.add_argument("--interval", type=float, default=2.0)
    p = sub.add_parser("enip")
    p.add_argument("host")
    p.add_argument("--mode", choices=("eng", "probe"), default="eng")
    p = sub.add_parser("opcua")
    p.add_argument("--mode", choices=("hist", "anon"), required=True)
    p.add_argument("--pki", default="")
    p.add_argument("--uri", required=True)
    p.add_argument("--name", required=True)
    p = sub.add_parser("garbage")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--bytes", type=int, default=64)
    p.add_argument("--n", type=int, default=0)
    p = sub.add_parser("syn")
    p.add_argument("host")
    p.add_argument("ports", type=int, nargs="+")
    p = sub.add_parser("snmp")
    p.add_argument("host")
    p.add_argument("--mode", choices=("poll", "uptime", "wrong"), default="poll")
    p = sub.add_parser("telnet")
    p.add_argument("host")
    p = sub.add_parser("http")
    p.add_argument("host")
    p = sub.add_parser("ftp")
    p.add_argument("host")
    p.add_argument("--mode", choices=("put", "get"), required=True)
    p = sub.add_parser("ssh")
    p.add_argument("host")
    p = sub.add_parser("vnc")
    p.add_argument("target")
    p.add_argument("--wrong", default="")
    p = sub.add_parser("dns")
    p.add_argument("names", nargs="+")
    a = ap.parse_args()
    LOG, ACTOR = a.log, a.actor
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    fn = {"modbus": cmd_modbus, "s7-poll": cmd_s7_poll, "s7-eng": cmd_s7_eng, "cip-hmi": cmd_cip_hmi,
          "enip": cmd_enip, "opcua": cmd_opcua, "garbage": cmd_garbage, "syn": cmd_syn, "snmp": cmd_snmp,
          "telnet": cmd_telnet, "http": cmd_http, "ftp": cmd_ftp, "ssh": cmd_ssh, "vnc": cmd_vnc,
          "dns": cmd_dns}[a.cmd]
    fn(a)


if __name__ == "__main__":
    main()
