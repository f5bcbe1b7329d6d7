#!/usr/bin/env python3
"""Build the Alder Creek plant in network namespaces, run it, and record the sensors' captures.

  plant.py run --work DIR          build, start servers and sensors, run the scenario, stop
  plant.py teardown                remove every namespace of the plant (and what runs in it)

Network: each L2 segment is a Linux bridge in a "switch" namespace; the bridges do not learn MAC
addresses (learning off on every port), so they flood every frame to every port, including the
sensor's port: each sensor port sees every frame of its segment exactly once, as a SPAN port
would. Three router namespaces forward between segments for real (ip_forward, TTL decrement,
ARP): ot-core (VLAN 110/120/130 interfaces sharing one MAC, as an L3 switch does), fw-site
(site operations, DMZ) and edge (enterprise ranges, Internet). Every host is its own namespace
with one interface "eth0", its own MAC (vendor OUI) and its own UTS host name.

The kernel this was built on has no 802.1Q support, so VLAN tags are not added by the bridge:
postprocess.py inserts the tag of the segment each frame was captured on (see README.md).

Raw sensor captures go to DIR/raw/<segment>.pcap, the client log to DIR/events.jsonl.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import topology as T  # noqa: E402

PY = sys.executable
P = T.NS_PREFIX


def log(msg):
    print(f"[plant {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sh(*cmd, check=True, quiet=False):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"command failed ({r.returncode}): {' '.join(map(str, cmd))}\n{r.stderr.strip()}")
    return r


def all_namespaces():
    names = {"otsw", "sitesw", "outsw", "sensor"} | set(T.ROUTERS) | {h["name"] for h in T.HOSTS}
    return sorted(P + n for n in names)


def existing_namespaces():
    r = sh("ip", "netns", "list", check=False)
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def teardown():
    """Kill what runs in our namespaces (all of it was started by this generator), delete them."""
    ours = [n for n in all_namespaces() if n in existing_namespaces()]
    for ns in ours:
        r = sh("ip", "netns", "pids", ns, check=False)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
    if ours:
        time.sleep(0.5)
    for ns in ours:
        r = sh("ip", "netns", "pids", ns, check=False)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
    for ns in ours:
        sh("ip", "netns", "del", ns, check=False)
    return ours


class Plant:
    def __init__(self, work: Path):
        self.work = work
        self.procs = {}          # name -> Popen (servers, sensors, pollers)
        self.events = work / "events.jsonl"
        self.raw = work / "raw"
        self.raw.mkdir(parents=True, exist_ok=True)
        self.logs = work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.port_no = {}

    # ------------------------------------------------------------------------------- network
    def add_ns(self, name):
        ns = P + name
        sh("ip", "netns", "add", ns)
        for k, v in (("net.ipv6.conf.all.disable_ipv6", 1), ("net.ipv6.conf.default.disable_ipv6", 1)):
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"{k}={v}")
        sh("ip", "-n", ns, "link", "set", "lo", "up")

    def veth(self, ns_a, if_a, ns_b, if_b, mac_a=None):
        sh("ip", "link", "add", if_a, "netns", P + ns_a, "type", "veth", "peer", "name", if_b, "netns", P + ns_b)
        if mac_a:
            sh("ip", "-n", P + ns_a, "link", "set", if_a, "address", mac_a)
        for ns, i in ((ns_a, if_a), (ns_b, if_b)):
            sh("ip", "netns", "exec", P + ns, "ethtool", "-K", i, "tso", "off", "gso", "off", "gro", "off",
               "tx", "off", "rx", "off", check=False)

    def attach(self, seg, ns, ifname, mac=None):
        """Connect (ns, ifname) to the bridge of segment seg."""
        swns, br, *_ = T.SEGMENTS[seg]
        n = self.port_no.get(seg, 0) + 1
        self.port_no[seg] = n
        port = f"{seg}-{n}"
        self.veth(ns, ifname, swns, port, mac)
        sh("ip", "-n", P + swns, "link", "set", port, "master", br)
        sh("ip", "netns", "exec", P + swns, "bridge", "link", "set", "dev", port, "learning", "off")
        sh("ip", "-n", P + swns, "link", "set", port, "up")

    def build(self):
        log("building namespaces")
        for sw in ("otsw", "sitesw", "outsw", "sensor"):
            self.add_ns(sw)
        for seg, (swns, br, cap, vlan, zone) in T.SEGMENTS.items():
            sh("ip", "-n", P + swns, "link", "add", br, "type", "bridge", "stp_state", "0")
            # forward LLDP (01:80:c2:00:00:0e) like the multicast it is on a SPAN'd segment
            sh("ip", "-n", P + swns, "link", "set", br, "type", "bridge", "group_fwd_mask", "0x4000", check=False)
            sh("ip", "-n", P + swns, "link", "set", br, "up")
            if cap:
                self.attach(seg, "sensor", f"span-{seg}")
                sh("ip", "-n", P + "sensor", "link", "set", f"span-{seg}", "up")
        # routers
        for r in T.ROUTERS:
            self.add_ns(r)
            for k in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                      "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0"):
                sh("ip", "netns", "exec", P + r, "sysctl", "-qw", k)
        done_links = set()
        for r, cfg in T.ROUTERS.items():
            for leg, addrs, mac in cfg["legs"]:
                if leg.startswith("link:"):
                    peer = leg[5:]
                    key = tuple(sorted((r, peer)))
                    if key in done_links:
                        continue
                    done_links.add(key)
                    peer_leg = next(x for x in T.ROUTERS[peer]["legs"] if x[0] == f"link:{r}")
                    a_if, b_if = f"to-{peer}"[:15], f"to-{r}"[:15]
                    self.veth(r, a_if, peer, b_if, mac)
                    sh("ip", "-n", P + peer, "link", "set", b_if, "address", peer_leg[2])
                    for ns, i, ad in ((r, a_if, addrs), (peer, b_if, peer_leg[1])):
                        for a in ad:
                            sh("ip", "-n", P + ns, "addr", "add", a, "dev", i)
                        sh("ip", "-n", P + ns, "link", "set", i, "up")
                else:
                    self.attach(leg, r, leg, mac)
                    for a in addrs:
                        sh("ip", "-n", P + r, "addr", "add", a, "dev", leg)
                    sh("ip", "-n", P + r, "link", "set", leg, "up")
        for r, cfg in T.ROUTERS.items():
            for dst, via in cfg["routes"]:
                sh("ip", "-n", P + r, "route", "add", dst, "via", via)
        # hosts
        for h in T.HOSTS:
            self.add_ns(h["name"])
            self.attach(h["seg"], h["name"], "eth0", h["mac"])
            ns = P + h["name"]
            if h["ip"]:
                sh("ip", "-n", ns, "addr", "add", f"{h['ip']}/{T.PREFIX[h['seg']]}", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            if h["ip"]:
                sh("ip", "-n", ns, "route", "add", "default", "via", T.gateway_for(h))
        # wait for carrier everywhere
        time.sleep(1.0)

    # ------------------------------------------------------------------------------ processes
    def cmdline(self, host, argv, mounts=(), tmpfs_run=False, private_tmp=None):
        """argv to run argv inside host's namespace, with its own UTS name and mount namespace."""
        etc = self.work / "etc"
        etc.mkdir(exist_ok=True)
        hosts = etc / f"{host}.hosts"
        if not hosts.exists():
            hosts.write_text(f"127.0.0.1\tlocalhost\n127.0.1.1\t{host}\n")
        resolv = etc / "resolv.conf"
        if not resolv.exists():
            # nothing may resolve through the build machine's resolver: its address would leak
            resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        script = ['hostname "$H"', f"mount --bind {hosts} /etc/hosts", f"mount --bind {resolv} /etc/resolv.conf"]
        if tmpfs_run:
            script.append("mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd /run/lldpd")
        if private_tmp:
            script.append(f"mount --bind {private_tmp} /tmp")
        for src, dst in mounts:
            script.append(f"mount --bind {src} {dst}")
        script.append('exec "$@"')
        return (["ip", "netns", "exec", P + host, "unshare", "--mount", "--propagation", "private", "--uts", "--",
                 "env", f"H={host}", "/bin/sh", "-c", "; ".join(script), "sh"] + [str(a) for a in argv])

    def spawn(self, name, host, argv, **kw):
        out = open(self.logs / f"{name}.log", "ab")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", MIBS="", MIBDIRS="/nonexistent",
                   SNMP_PERSISTENT_DIR=str(self.work / "snmp-state"), SNMPCONFPATH=str(self.work / "snmp-state"),
                   HOME=str(self.work / "home-root"))
        p = subprocess.Popen(self.cmdline(host, argv, **kw), stdout=out, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
        self.procs[name] = p
        return p

    def wait_listen(self, host, proto, port, name, timeout=20):
        flag = "-Hltn" if proto == "tcp" else "-Hlun"
        end = time.time() + timeout
        while time.time() < end:
            r = sh("ip", "netns", "exec", P + host, "ss", flag, f"sport = :{port}", check=False)
            if r.stdout.strip():
                return
            p = self.procs.get(name)
            if p is not None and p.poll() is not None:
                break
            time.sleep(0.1)
        tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{name} on {host} does not listen on {proto}/{port}\n{tail}")

    def stop(self, name, sig=signal.SIGTERM, timeout=10):
        p = self.procs.pop(name, None)
        if p is None:
            return
        if p.poll() is None:
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()

    def client(self, actor, *args, bg=False, timeout=120):
        argv = [PY, HERE / "clients.py", "--log", self.events, "--actor", actor] + list(args)
        name = f"client-{actor}-{args[0]}-{len(self.procs)}-{time.time():.0f}"
        p = self.spawn(name, actor, argv)
        if bg:
            return name
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(name, signal.SIGKILL)
            raise RuntimeError(f"client {actor} {args} timed out")
        self.procs.pop(name, None)
        if rc != 0:
            tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"client {actor} {args} failed rc={rc}\n{tail}")
        return name

    # -------------------------------------------------------------------------------- servers
    def write_configs(self):
        w = self.work
        (w / "snmp-state").mkdir(exist_ok=True)
        (w / "home-root").mkdir(exist_ok=True)
        # SNMP agents
        for host, a in T.SNMP_AGENTS.items():
            lines = ["agentAddress udp:161",
                     "view sysview included .1.3.6.1.2.1.1",
                     "view sysview included .1.3.6.1.2.1.2",
                     f"rocommunity {a['ro_community']} default -V sysview"]
            if a["rw_community"]:
                lines.append(f"rwcommunity {a['rw_community']} 172.20.40.30 -V sysview")
            lines += [f"sysDescr {a['sysDescr']}", f"sysObjectID {a['sysObjectID']}", f"sysName {a['sysName']}",
                      f"sysLocation {a['sysLocation']}", f"sysContact {a['sysContact']}", "sysServices 2"]
            (w / f"snmpd-{host}.conf").write_text("\n".join(lines) + "\n")
        # ENIP identity (cpppo)
        e = T.ENIP_IDENTITY["plc-pumps"]
        maj, mnr = e["revision"]
        (w / "enip-plc-pumps.cfg").write_text(
            "[Identity]\n"
            f"Vendor Number = {e['vendor_id']}\nDevice Type = {e['device_type']}\n"
            f"Product Code Number = {e['product_code']}\nProduct Revision = {mnr * 256 + maj}\n"
            f"Status Word = {e['status_word']}\nSerial Number = {e['serial_number']}\n"
            f"Product Name = {e['product_name']}\nState = {e['state']}\n\n"
            "[TCPIP]\n"
            f"Host Name = {e['host_name']}\n"
            'Interface Configuration = {"ip_address": "%s", "network_mask": "255.255.255.0", '
            '"dns_primary": "%s", "dns_secondary": "0.0.0.0", "domain_name": "%s"}\n'
            % (T.ip("plc-pumps"), T.ip("ns-01"), T.DOMAIN))
        # telnet login program
        (w / "switch-login.sh").write_text(f"#!/bin/sh\nexec {PY} {HERE / 'servers.py'} switch-cli\n")
        (w / "switch-login.sh").chmod(0o755)
        # SSH: private passwd/shadow/group for the jump host's mount namespace
        sshd = w / "sshd"
        sshd.mkdir(exist_ok=True)
        home = sshd / "home-vendor"
        home.mkdir(exist_ok=True)
        os.chown(home, 2001, 2001)
        key = sshd / "ssh_host_ed25519_key"
        if not key.exists():
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@jump-01", "-f", key)
        hashed = sh("openssl", "passwd", "-6", "-salt", "acjump01", T.SSH["password"]).stdout.strip()
        (sshd / "passwd").write_text(
            "root:x:0:0:root:/root:/bin/sh\nsshd:x:103:65534::/run/sshd:/usr/sbin/nologin\n"
            f"{T.SSH['user']}:x:2001:2001:Vendor support:{home}:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
        (sshd / "shadow").write_text(f"root:*:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\n"
                                     f"{T.SSH['user']}:{hashed}:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n")
        (sshd / "shadow").chmod(0o600)
        (sshd / "group").write_text(f"root:x:0:\nnogroup:x:65534:\n{T.SSH['user']}:x:2001:\n")
        (sshd / "sshd_config").write_text(
            f"Port 22\nListenAddress {T.ip('jump-01')}\nHostKey {key}\nPasswordAuthentication yes\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\nPermitRootLogin no\n"
            "PidFile none\nAuthorizedKeysFile none\nPrintMotd no\nPrintLastLog no\nUseDNS no\n")
        # VNC: password files inside each server's private /tmp
        for host, v in T.VNC.items():
            d = w / f"xtmp-{host}"
            d.mkdir(exist_ok=True)
            r = subprocess.run(["vncpasswd", "-f"], input=(v["password"] + "\n").encode(), capture_output=True)
            (d / "vncpasswd").write_bytes(r.stdout)
            (d / "vncpasswd").chmod(0o600)
        # DNS / DHCP
        hosts = "".join(f"{h['ip']} {h['name']}\n" for h in T.HOSTS
                        if h["ip"] and h["seg"] not in ("inet",))
        (w / "dns-hosts").write_text(hosts)
        # lldpd
        l = T.LLDP
        (w / "lldpd.conf").write_text(
            f"configure system hostname {l['system_name']}\n"
            f"configure system description \"{l['system_description']}\"\n"
            "configure system platform EDS-G516E-4GSFP\n"
            f"configure lldp tx-interval {l['tx_interval']}\n"
            "configure ports eth0 lldp portidsubtype local G1 description \"Port G1 uplink to OT core\"\n")
        (w / "ftp-root").mkdir(exist_ok=True)
        (w / "pki").mkdir(exist_ok=True)

    def start_servers(self):
        w = self.work
        S = [PY, HERE / "servers.py"]
        log("starting servers")
        self.spawn("s7-plc-filter", "plc-filter", S + ["s7", "plc-filter"])
        self.spawn("s7-plc-reservoir", "plc-reservoir", S + ["s7", "plc-reservoir"])
        self.spawn("modbus-plc-dosing", "plc-dosing", S + ["modbus", "plc-dosing"])
        self.spawn("modbus-rio-pumps", "rio-pumps", S + ["modbus", "rio-pumps"])
        self.spawn("http-rio-pumps", "rio-pumps", S + ["http", "rio-pumps"])
        self.spawn("enip-plc-pumps", "plc-pumps",
                   [PY, "-m", "cpppo.server.enip", "--config", w / "enip-plc-pumps.cfg", "--address", "0.0.0.0:44818",
                    "--udp", "--tcp", "Pump1_Speed=REAL", "Pump2_Speed=REAL", "Pump1_SP=REAL", "Station_Flow=REAL",
                    "Pump_Run=DINT[4]"])
        self.spawn("opcua-gw", "opcua-gw", S + ["opcua", "--pki", w / "pki"])
        for host in T.SNMP_AGENTS:
            self.spawn(f"snmpd-{host}", host, ["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", w / f"snmpd-{host}.conf",
                                               "-p", w / f"snmpd-{host}.pid"])
        self.spawn("telnetd-sw-ot", "sw-ot",
                   ["socat", "TCP4-LISTEN:23,reuseaddr,fork",
                    f"EXEC:/usr/sbin/telnetd -h -E {w / 'switch-login.sh'},nofork"])
        self.spawn("ftp-dmz", "dmz-ftp", S + ["ftp", "--root", w / "ftp-root"])
        sshd = w / "sshd"
        self.spawn("sshd-jump", "jump-01", ["/usr/sbin/sshd", "-D", "-e", "-f", sshd / "sshd_config"],
                   mounts=[(sshd / "passwd", "/etc/passwd"), (sshd / "shadow", "/etc/shadow"),
                           (sshd / "group", "/etc/group")], tmpfs_run=True)
        for host, v in T.VNC.items():
            # Xtigervnc's private /tmp is mounted over /tmp, so the mount command must come first:
            # the rfbauth file is referenced by its path inside that /tmp.
            self.spawn(f"vnc-{host}", host,
                       ["Xtigervnc", f":{v['display']}", "-rfbport", "5900", "-rfbauth", "/tmp/vncpasswd",
                        "-SecurityTypes", "VncAuth", "-geometry", "1024x600", "-depth", "24",
                        "-desktop", v["desktop"], "-nolisten", "tcp", "-AlwaysShared"],
                       private_tmp=w / f"xtmp-{host}")
        ns01 = T.ip("ns-01")
        self.spawn("dnsmasq-ns-01", "ns-01",
                   ["dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    f"--addn-hosts={w / 'dns-hosts'}", f"--domain={T.DOMAIN}", "--expand-hosts",
                    f"--local=/{T.DOMAIN}/", "--interface=eth0", "--bind-interfaces",
                    f"--dhcp-range={T.DHCP_RANGE[0]},{T.DHCP_RANGE[1]},255.255.255.0,12h",
                    "--dhcp-option=3,172.20.40.1", f"--dhcp-option=6,{ns01}",
                    f"--dhcp-option=15,{T.DOMAIN}", f"--dhcp-leasefile={w / 'dhcp.leases'}",
                    f"--pid-file={w / 'dnsmasq.pid'}", "--log-facility=-", "--log-queries", "--log-dhcp"])
        for name, host, proto, port in (
                ("s7-plc-filter", "plc-filter", "tcp", 102), ("s7-plc-reservoir", "plc-reservoir", "tcp", 102),
                ("modbus-plc-dosing", "plc-dosing", "tcp", 502), ("modbus-rio-pumps", "rio-pumps", "tcp", 502),
                ("http-rio-pumps", "rio-pumps", "tcp", 80), ("enip-plc-pumps", "plc-pumps", "tcp", 44818),
                ("enip-plc-pumps", "plc-pumps", "udp", 44818), ("opcua-gw", "opcua-gw", "tcp", 4840),
                ("snmpd-sw-ot", "sw-ot", "udp", 161), ("snmpd-plc-dosing", "plc-dosing", "udp", 161),
                ("telnetd-sw-ot", "sw-ot", "tcp", 23), ("ftp-dmz", "dmz-ftp", "tcp", 21),
                ("sshd-jump", "jump-01", "tcp", 22), ("vnc-jump-01", "jump-01", "tcp", 5900),
                ("vnc-hmi-01", "hmi-01", "tcp", 5900), ("dnsmasq-ns-01", "ns-01", "udp", 53)):
            self.wait_listen(host, proto, port, name, timeout=40)
        log("all servers listen")

    def start_lldpd(self):
        self.spawn("lldpd-sw-ot", "sw-ot",
                   ["/bin/sh", "-c", f"exec lldpd -d -k -I eth0 -m {T.ip('sw-ot')} "
                                     f"-O {self.work / 'lldpd.conf'} -u /run/lldpd.socket"],
                   tmpfs_run=True)

    # -------------------------------------------------------------------------------- sensors
    def start_sensors(self):
        for seg, (swns, br, cap, vlan, zone) in T.SEGMENTS.items():
            if not cap:
                continue
            name = f"sensor-{seg}"
            f = self.raw / f"{seg}.pcap"
            self.spawn(name, "sensor", ["tcpdump", "-i", f"span-{seg}", "-n", "-U", "--immediate-mode", "-s", "0",
                                        "-Z", "root", "-w", f])
        end = time.time() + 15
        for seg, v in T.SEGMENTS.items():
            if not v[2]:
                continue
            lf = self.logs / f"sensor-{seg}.log"
            while "listening on" not in lf.read_text(errors="replace"):
                if time.time() > end:
                    raise RuntimeError(f"tcpdump on {seg} did not start: {lf.read_text()}")
                time.sleep(0.1)
        log("sensors capturing")

    def stop_sensors(self):
        time.sleep(1.5)
        for seg, v in T.SEGMENTS.items():
            if v[2]:
                self.stop(f"sensor-{seg}", signal.SIGINT)
        stats = {}
        for seg, v in T.SEGMENTS.items():
            if v[2]:
                txt = (self.logs / f"sensor-{seg}.log").read_text(errors="replace")
                stats[seg] = [line for line in txt.splitlines() if "packets" in line]
                if "0 packets dropped by kernel" not in txt:
                    raise RuntimeError(f"sensor {seg} dropped packets: {txt}")
        (self.work / "sensor-stats.json").write_text(json.dumps(stats, indent=1))
        log(f"sensors stopped: {stats}")

    # ------------------------------------------------------------------------------- scenario
    def dhcp(self):
        script = self.work / "udhcpc.sh"
        script.write_text('#!/bin/sh\ncase "$1" in\n  bound|renew)\n    ip addr flush dev "$interface"\n'
                          '    ip addr add "$ip/$mask" dev "$interface"\n'
                          '    [ -n "$router" ] && ip route replace default via "${router%% *}"\n'
                          f'    echo "$ip" > {self.work / "ops-laptop.ip"}\n    ;;\n'
                          '  deconfig) ip addr flush dev "$interface" ;;\nesac\nexit 0\n')
        script.chmod(0o755)
        name = "dhcp-ops-laptop"
        p = self.spawn(name, "ops-laptop", ["busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "2",
                                            "-s", script, "-x", "hostname:ops-laptop", "-V", "MSFT 5.0"])
        if p.wait(30) != 0:
            raise RuntimeError("DHCP failed: " + (self.logs / f"{name}.log").read_text())
        self.procs.pop(name, None)
        leased = (self.work / "ops-laptop.ip").read_text().strip()
        with open(self.events, "a") as f:
            f.write(json.dumps({"t": time.time(), "actor": "ops-laptop", "op": "dhcp.lease", "ip": leased}) + "\n")
        log(f"ops-laptop leased {leased}")

    def scenario(self):
        C = self.client
        ipd = T.ip
        pki = str(self.work / "pki")
        fqdn = lambda n: f"{n}.{T.DOMAIN}"  # noqa: E731
        self.start_lldpd()
        time.sleep(1.0)
        self.dhcp()
        time.sleep(0.5)
        # --- background: the plant's steady state
        bg = [
            C("scada-01", "modbus", ipd("plc-dosing"), "--profile", "dosing", "--identity", "--interval", "2", bg=True),
            C("scada-01", "modbus", ipd("rio-pumps"), "--profile", "rio", "--interval", "2.5", bg=True),
            C("opcua-gw", "s7-poll", ipd("plc-filter"), "--slot", "1", "--interval", "2", bg=True),
            C("hmi-01", "s7-poll", ipd("plc-reservoir"), "--slot", "2", "--interval", "2", "--writes", bg=True),
            C("hmi-01", "cip-hmi", ipd("plc-pumps"), "--interval", "2", bg=True),
        ]
        time.sleep(1.5)
        C("hist-01", "dns", fqdn("opcua-gw"), fqdn("dmz-ftp"))
        bg.append(C("hist-01", "opcua", "--mode", "hist", "--pki", pki, "--uri", T.HIST_CLIENT_URI,
                    "--name", "hist-01 Process Historian", bg=True))
        time.sleep(2.0)
        # --- monitoring
        C("mon-01", "dns", fqdn("sw-ot"), fqdn("plc-dosing"))
        C("mon-01", "snmp", ipd("sw-ot"), "--mode", "poll")
        C("mon-01", "snmp", ipd("plc-dosing"), "--mode", "poll")
        C("mon-01", "snmp", ipd("sw-ot"), "--mode", "wrong")
        time.sleep(0.5)
        C("mon-01", "telnet", ipd("sw-ot"))
        time.sleep(0.5)
        # --- engineering
        C("ews-01", "s7-eng", ipd("plc-filter"), "--slot", "1", "--program")
        time.sleep(0.5)
        C("ews-01", "s7-eng", ipd("plc-reservoir"), "--slot", "2")
        time.sleep(0.5)
        C("ews-01", "enip", ipd("plc-pumps"), "--mode", "eng")
        time.sleep(0.5)
        C("ews-01", "http", ipd("rio-pumps"))
        time.sleep(0.5)
        C("ews-01", "opcua", "--mode", "anon", "--uri", T.EWS_CLIENT_URI, "--name", "ews-01 UA client")
        time.sleep(0.5)
        C("ews-01", "garbage", ipd("opcua-gw"), str(T.OPCUA_PORT), "--bytes", "96", "--n", "1")
        time.sleep(0.5)
        # --- site operations laptop, file exchange
        C("ops-laptop", "dns", fqdn("hist-01"), fqdn("hmi-01"))
        C("hist-01", "ftp", ipd("dmz-ftp"), "--mode", "put")
        time.sleep(0.5)
        C("erp-01", "ftp", ipd("dmz-ftp"), "--mode", "get")
        time.sleep(0.5)
        # --- vendor remote access through the DMZ jump host
        C("inet-vendor", "ssh", ipd("jump-01"))
        time.sleep(0.5)
        C("inet-vendor", "vnc", "jump-01", "--wrong", "vendor")
        time.sleep(0.5)
        C("jump-01", "vnc", "hmi-01")
        time.sleep(0.5)
        # --- enterprise misbehaviour
        C("corp-ws-042", "syn", ipd("hmi-01"), "3389")
        C("corp-ws-042", "modbus", ipd("plc-dosing"), "--mode", "oneshot")
        time.sleep(0.5)
        # --- Internet scanners
        C("inet-scan-a", "syn", ipd("plc-filter"), "80", "23")
        C("inet-scan-a", "syn", ipd("plc-pumps"), "80")
        C("inet-scan-a", "modbus", ipd("plc-dosing"), "--mode", "probe", "--identity")
        C("inet-scan-a", "enip", ipd("plc-pumps"), "--mode", "probe")
        time.sleep(0.5)
        C("inet-scan-b", "garbage", ipd("plc-reservoir"), "102", "--bytes", "72", "--n", "2")
        time.sleep(0.5)
        # --- a second SCADA driver connection (the one whose frames are cut by snaplen)
        C("scada-01", "modbus", ipd("plc-dosing"), "--mode", "short", "--source-ip", ipd("scada-01"),
          "--source-port", "49502")
        time.sleep(1.0)
        C("mon-01", "snmp", ipd("sw-ot"), "--mode", "uptime")
        C("mon-01", "snmp", ipd("plc-dosing"), "--mode", "uptime")
        # let the pollers run a little longer, then stop them (they close cleanly)
        time.sleep(6.0)
        for name in reversed(bg):
            self.stop(name, signal.SIGTERM, timeout=20)
        time.sleep(1.0)

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name, signal.SIGTERM, timeout=10)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--work", required=True)
    sub.add_parser("teardown")
    a = ap.parse_args()
    if a.cmd == "teardown":
        gone = teardown()
        if gone:
            log(f"removed {len(gone)} namespaces")
        return
    work = Path(a.work)
    if work.exists() and any(work.iterdir()):
        sys.exit(f"plant.py: work directory {work} is not empty")
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)
    plant = Plant(work)
    teardown()
    try:
        plant.build()
        plant.write_configs()
        plant.start_servers()
        plant.start_sensors()
        t0 = time.time()
        plant.scenario()
        plant.stop_sensors()
        log(f"scenario took {time.time() - t0:.1f}s")
    finally:
        plant.stop_all()
        teardown()


if __name__ == "__main__":
    main()
