"""The Alder Creek water treatment works: one description of the plant, used by the
generator (plant.py), the servers, the clients and the truth writer (truth.py).

Nothing here is read from the network: these are the values the generator configures.
truth.py checks every one of them against the captures with tshark before it writes them.
"""

SCENARIO = "demo"
TITLE = "Alder Creek water treatment works (filtration, chemical dosing, pumping station)"
SEED = 4127          # garbage payloads and file contents come from random.Random(SEED + n)
NS_PREFIX = "acw-"   # every network namespace of a run starts with this

# ------------------------------------------------------------------------------------------ zones
# (name, level, cidrs, vlan, description); order = zones.toml order
ZONES = [
    ("enterprise", 4, ["10.60.0.0/16", "10.62.8.0/22"], None,
     "Corporate IT: office clients (10.60/16) and business systems (10.62.8/22)"),
    ("dmz", 3.5, ["172.20.50.0/24"], None, "Industrial DMZ: vendor remote access, file exchange"),
    ("site-ops", 3, ["172.20.40.0/24"], None, "Site operations: historian, monitoring, name services"),
    ("supervisory", 2, ["10.41.30.0/24"], 130, "Supervisory LAN: HMI, SCADA, OPC UA gateway, engineering"),
    ("cell-filtration", 1, ["10.41.10.0/24"], 110, "Cell LAN: filtration and chemical dosing controllers"),
    ("cell-pumping", 1, ["10.41.20.0/24"], 120, "Cell LAN: pumping station and reservoir controllers, remote I/O"),
]
INTERNET_LEVEL = 5

# --------------------------------------------------------------------------------------- segments
# name -> (bridge namespace, bridge, capture file or None, vlan, zone)
SEGMENTS = {
    "v110": ("otsw", "br110", "ot-trunk.pcapng", 110, "cell-filtration"),
    "v120": ("otsw", "br120", "ot-trunk.pcapng", 120, "cell-pumping"),
    "v130": ("otsw", "br130", "ot-trunk.pcapng", 130, "supervisory"),
    "ops": ("sitesw", "brops", "site-fw.pcap", None, "site-ops"),
    "dmz": ("sitesw", "brdmz", "site-fw.pcap", None, "dmz"),
    "ent1": ("outsw", "brent1", None, None, "enterprise"),
    "ent2": ("outsw", "brent2", None, None, "enterprise"),
    "inet": ("outsw", "brinet", None, None, "internet"),
}
CAPTURES = {
    "ot-trunk.pcapng": {
        "format": "pcapng",
        "description": "SPAN of the OT core switch: VLAN 110 (cell-filtration), VLAN 120 (cell-pumping) and "
                       "VLAN 130 (supervisory), 802.1Q tagged",
        "segments": ["v110", "v120", "v130"],
    },
    "site-fw.pcap": {
        "format": "pcap",
        "description": "SPAN of the site firewall inside ports: site operations (L3) and DMZ (L3.5), untagged",
        "segments": ["ops", "dmz"],
    },
}

# ---------------------------------------------------------------------------------------- routers
# Each router leg: (segment or "link:<peer>", ip/prefix list, mac)
ROUTERS = {
    "ot-core": {
        "description": "OT core L3 switch (Hirschmann MACH4002) routing VLAN 110/120/130; one MAC on all VLAN interfaces",
        "vendor": "Hirschmann Automation and Control GmbH",
        "brand": "Hirschmann", "product": "MACH4002 L3 switch",
        "legs": [
            ("v110", ["10.41.10.1/24"], "00:80:63:a1:0e:01"),
            ("v120", ["10.41.20.1/24"], "00:80:63:a1:0e:01"),
            ("v130", ["10.41.30.1/24"], "00:80:63:a1:0e:01"),
            ("link:fw-site", ["172.20.255.2/30"], "00:80:63:a1:0e:02"),
        ],
        "routes": [("default", "172.20.255.1")],
    },
    "fw-site": {
        "description": "Site firewall (Juniper SRX) between the OT core, site operations, DMZ and the WAN edge; "
                       "one MAC per interface",
        "vendor": "Juniper Networks",
        "brand": "Juniper", "product": "SRX firewall",
        "legs": [
            ("ops", ["172.20.40.1/24"], "94:f7:ad:2c:40:11"),
            ("dmz", ["172.20.50.1/24"], "94:f7:ad:2c:40:12"),
            ("link:ot-core", ["172.20.255.1/30"], "94:f7:ad:2c:40:13"),
            ("link:edge", ["172.20.255.5/30"], "94:f7:ad:2c:40:14"),
        ],
        "routes": [("10.41.0.0/16", "172.20.255.2"), ("default", "172.20.255.6")],
    },
    "edge": {
        "description": "WAN edge router (Juniper) for the enterprise ranges and the Internet; never observed",
        "vendor": "Juniper Networks",
        "brand": "Juniper", "product": "MX router",
        "legs": [
            ("ent1", ["10.60.14.1/24"], "c0:42:d0:19:7e:01"),
            ("ent2", ["10.62.8.1/22"], "c0:42:d0:19:7e:02"),
            ("inet", ["192.0.2.1/24", "198.51.100.1/24", "203.0.113.1/24"], "c0:42:d0:19:7e:03"),
            ("link:fw-site", ["172.20.255.6/30"], "c0:42:d0:19:7e:04"),
        ],
        "routes": [("10.41.0.0/16", "172.20.255.5"), ("172.20.40.0/24", "172.20.255.5"),
                   ("172.20.50.0/24", "172.20.255.5")],
    },
}
# routers whose MAC stands for routed traffic on captured segments (truth "gateways")
GATEWAYS = [
    ("ot-core", "00:80:63:a1:0e:01", ["v110", "v120", "v130"]),
    ("fw-site", "94:f7:ad:2c:40:11", ["ops"]),
    ("fw-site", "94:f7:ad:2c:40:12", ["dmz"]),
]

# ------------------------------------------------------------------------------------------ hosts
# ip None = DHCP.  role words follow DESIGN.md.  product/firmware: what the device is (truth).
HOSTS = [
    # --- VLAN 110 cell-filtration
    dict(name="plc-filter", seg="v110", ip="10.41.10.21", mac="ec:1c:5d:3a:91:0e", role="plc",
         vendor="Siemens", product="SIMATIC S7-1200 CPU 1215C DC/DC/DC", firmware="V4.5.2"),
    dict(name="plc-dosing", seg="v110", ip="10.41.10.22", mac="00:30:de:41:7c:22", role="plc",
         vendor="WAGO", product="PFC200 750-8212", firmware="04.02.13(24)"),
    # --- VLAN 120 cell-pumping
    dict(name="plc-pumps", seg="v120", ip="10.41.20.31", mac="e4:90:69:5b:20:c1", role="plc",
         vendor="Rockwell Automation/Allen-Bradley", product="CompactLogix 5380 5069-L320ER", firmware="33.11"),
    dict(name="plc-reservoir", seg="v120", ip="10.41.20.32", mac="00:0e:8c:7d:13:a4", role="plc",
         vendor="Siemens", product="SIMATIC S7-300 CPU 319-3 PN/DP", firmware="V3.2.17"),
    dict(name="rio-pumps", seg="v120", ip="10.41.20.41", mac="00:90:e8:62:0f:31", role="io_device",
         vendor="Moxa", product="ioLogik E1212 remote I/O", firmware=None),
    # --- VLAN 130 supervisory
    dict(name="sw-ot", seg="v130", ip="10.41.30.2", mac="00:90:e8:58:a4:02", role="network_device",
         vendor="Moxa", product="EDS-G516E-4GSFP managed switch", firmware="V6.3"),
    dict(name="scada-01", seg="v130", ip="10.41.30.10", mac="48:4a:e9:1d:66:10", role="scada_server",
         vendor="Hewlett Packard Enterprise", product="ProLiant DL360 (SCADA server)", firmware=None),
    dict(name="opcua-gw", seg="v130", ip="10.41.30.15", mac="10:c5:95:2e:b8:15", role="opcua_server",
         vendor="Lenovo", product="ThinkEdge SE30, Softing dataFEED OPC Suite", firmware="5.30.0"),
    dict(name="hmi-01", seg="v130", ip="10.41.30.20", mac="00:a0:45:9c:12:20", role="hmi",
         vendor="Phoenix Contact", product="Valueline panel PC (HMI runtime)", firmware=None),
    dict(name="ews-01", seg="v130", ip="10.41.30.50", mac="98:e7:43:0b:7e:50", role="engineering_workstation",
         vendor="Dell", product="Precision 3680 (TIA Portal / Studio 5000 / e!COCKPIT)", firmware=None),
    # --- site operations
    dict(name="ns-01", seg="ops", ip="172.20.40.5", mac="c8:f7:50:61:02:05", role="server",
         vendor="Dell", product="PowerEdge R250 (DNS/DHCP, dnsmasq)", firmware=None),
    dict(name="hist-01", seg="ops", ip="172.20.40.20", mac="9c:7b:ef:44:e1:20", role="historian",
         vendor="Hewlett Packard", product="ProLiant ML110 (process historian)", firmware=None),
    dict(name="mon-01", seg="ops", ip="172.20.40.30", mac="a4:11:94:c3:5d:30", role="monitoring_server",
         vendor="Lenovo", product="ThinkCentre M90q (network monitoring)", firmware=None),
    dict(name="ops-laptop", seg="ops", ip=None, mac="10:c5:95:71:aa:07", role="workstation",
         vendor="Lenovo", product="ThinkPad (operations laptop, DHCP)", firmware=None),
    # --- DMZ
    dict(name="jump-01", seg="dmz", ip="172.20.50.10", mac="6c:2b:59:e0:31:10", role="jump_host",
         vendor="Dell", product="OptiPlex 7010 (vendor remote access)", firmware=None),
    dict(name="dmz-ftp", seg="dmz", ip="172.20.50.20", mac="4c:ae:a3:08:52:20", role="server",
         vendor="Hewlett Packard Enterprise", product="ProLiant MicroServer (file exchange)", firmware=None),
    # --- enterprise
    dict(name="corp-ws-042", seg="ent1", ip="10.60.14.77", mac="9c:7b:ef:90:21:77", role="it_workstation",
         vendor="Hewlett Packard", product="EliteDesk (office PC)", firmware=None),
    dict(name="erp-01", seg="ent2", ip="10.62.9.15", mac="c8:f7:50:88:09:15", role="server",
         vendor="Dell", product="PowerEdge (ERP / maintenance planning)", firmware=None),
    # --- Internet (documentation ranges, RFC 5737)
    dict(name="inet-vendor", seg="inet", ip="192.0.2.44", mac="02:00:c0:00:02:2c", role="external_remote_access",
         vendor=None, product=None, firmware=None),
    dict(name="inet-scan-a", seg="inet", ip="198.51.100.23", mac="02:00:c6:33:64:17", role="external_scanner",
         vendor=None, product=None, firmware=None),
    dict(name="inet-scan-b", seg="inet", ip="203.0.113.201", mac="02:00:cb:00:71:c9", role="external_scanner",
         vendor=None, product=None, firmware=None),
]
PREFIX = {"v110": 24, "v120": 24, "v130": 24, "ops": 24, "dmz": 24, "ent1": 24, "ent2": 22, "inet": 24}
GW = {"v110": "10.41.10.1", "v120": "10.41.20.1", "v130": "10.41.30.1", "ops": "172.20.40.1",
      "dmz": "172.20.50.1", "ent1": "10.60.14.1", "ent2": "10.62.8.1"}


def gateway_for(host):
    if host["seg"] == "inet":
        first = host["ip"].split(".")[:3]
        return ".".join(first + ["1"])
    return GW[host["seg"]]


def host(name):
    for h in HOSTS:
        if h["name"] == name:
            return h
    raise KeyError(name)


def ip(name):
    return host(name)["ip"]


DHCP_RANGE = ("172.20.40.100", "172.20.40.149")
DOMAIN = "alder-creek.example"

# --------------------------------------------------------------------------------- identities
S7_IDENTITY = {
    "plc-filter": {
        "szl_001c": {
            1: "WTP-FILTRATION",                       # AS name
            2: "PLC_Filter",                           # module name
            3: "Alder Creek WTP Filtration",           # plant designation
            4: "Original Siemens Equipment",           # copyright
            5: "S C-J4U21988",                         # serial number
            7: "CPU 1215C DC/DC/DC",                   # module type name
            8: "SMC 4B1C7D22",                         # memory card serial
            11: "Filter hall / cabinet +F1",           # location
        },
        "mlfb": "6ES7 215-1AG40-0XB0",
        "hardware_version": 1,
        "firmware": (4, 5, 2),
        # SZL 0x0132 index 4: sch_schal, sch_par, sch_rel, bart_sch, anl_sch
        "protection": (1, 0, 1, 1, 0),                 # level 1, NO password, switch RUN
        "rack": 0, "slot": 1,
    },
    "plc-reservoir": {
        "szl_001c": {
            1: "WTP-RESERVOIR",
            2: "PLC_Reservoir",
            3: "Alder Creek WTP Pumping",
            4: "Original Siemens Equipment",
            5: "S C-X4B803422011",
            7: "CPU 319-3 PN/DP",
            8: "MMC 2E7F0A91",
            11: "Pump house / cabinet +R2",
        },
        "mlfb": "6ES7 318-3EL01-0AB0",
        "hardware_version": 3,
        "firmware": (3, 2, 17),
        "protection": (1, 3, 3, 2, 0),                 # password level 3 (read/write protection), RUN-P
        "rack": 0, "slot": 2,
    },
}

MODBUS_IDENTITY = {
    "plc-dosing": {
        "VendorName": "WAGO Kontakttechnik GmbH & Co. KG",
        "ProductCode": "750-8212",
        "MajorMinorRevision": "04.02.13(24)",
        "VendorUrl": "http://www.wago.com",
        "ProductName": "PFC200 CS 2ETH RS",
        "ModelName": "750-8212/0000-0100",
        "UserApplicationName": "Dosing_Control",
    },
    "rio-pumps": None,   # the ioLogik answers data requests only; nobody asks it for identity
}

ENIP_IDENTITY = {
    "plc-pumps": {
        "vendor_id": 1,
        "device_type": 14,
        "product_code": 191,
        "revision": (33, 11),
        "status_word": 0x3160,
        "serial_number": 0x40A17C3E,
        "product_name": "5069-L320ER/A LOGIX5320ER",
        "state": 3,
        "host_name": "plc-pumps",
    },
}

OPCUA_IDENTITY = {
    "application_uri": "urn:OPCUA-GW:Softing:dataFEEDOPCSuite",
    "product_uri": "http://industrial.softing.com/dataFEED/OPCSuite",
    "application_name": "dataFEED OPC Suite UA Server OPCUA-GW",
    "manufacturer_name": "Softing Industrial Automation GmbH",
    "product_name": "dataFEED OPC Suite",
    "software_version": "5.30.0",
    "build_number": "5.30.0.1204",
    "build_date": "2025-09-18T10:00:00+00:00",
    "namespace_uri": "urn:alder-creek:wtp:tags",
    "certificate_common_name": "OPCUA-GW dataFEED OPC Suite",
    "certificate_org": "Alder Creek Water",
}
OPCUA_USERS = {"historian": "Hist#2025-ac"}
OPCUA_PORT = 4840
HIST_CLIENT_URI = "urn:hist-01:AlderCreek:ProcessHistorian"
EWS_CLIENT_URI = "urn:ews-01:Softing:OPCUAClient"

SNMP_AGENTS = {
    "sw-ot": {
        "sysDescr": "Moxa EtherDevice Switch EDS-G516E-4GSFP, Firmware V6.3 build 23031014",
        "sysObjectID": ".1.3.6.1.4.1.8691.7.72",
        "sysName": "SW-OT-SUP01",
        "sysLocation": "Control room, rack R1",
        "sysContact": "ot-network@alder-creek.example",
        "ro_community": "public",
        "rw_community": "m0xa-rw",
    },
    "plc-dosing": {
        "sysDescr": "WAGO 750-8212 PFC200 G2 2ETH RS, FW 04.02.13(24)",
        "sysObjectID": ".1.3.6.1.4.1.13576.10.1.2",
        "sysName": "plc-dosing",
        "sysLocation": "Chemical building, dosing skid 2",
        "sysContact": "process-eng@alder-creek.example",
        "ro_community": "public",
        "rw_community": None,
    },
}

TELNET = {
    "host": "sw-ot",
    "banner": "\nMoxa EtherDevice Switch EDS-G516E-4GSFP\n"
              "Name: SW-OT-SUP01, Location: Control room, rack R1\n"
              "Firmware V6.3 build 23031014, Serial No.: TBBFB1042317\n\n",
    "users": {"admin": "moxa2019"},
}

HTTP_BASIC = {
    "host": "rio-pumps",
    "realm": "ioLogik E1212",
    "title": "ioLogik E1212 - Web Console (rio-pumps)",
    "server": "ioLogik E1212 Web Server",
    "users": {"admin": "ioadmin"},
}

FTP = {
    "host": "dmz-ftp",
    "banner": "DMZ-FTP01 Alder Creek file exchange ready.",
    "users": {"histexport": "Exp0rt!hist", "erpimport": "erp-2025-import"},
    "passive_port": 40110,
}

SSH = {"host": "jump-01", "user": "vendor", "password": "Vend0r-Support!"}
VNC = {
    "jump-01": {"password": "jmp4vnd", "desktop": "JUMP-01 vendor remote access", "display": 11},
    "hmi-01": {"password": "hmi0ps", "desktop": "HMI-01 Alder Creek operator station", "display": 12},
}

LLDP = {
    "host": "sw-ot",
    "system_name": "SW-OT-SUP01",
    "system_description": "Moxa EtherDevice Switch EDS-G516E-4GSFP, Firmware V6.3 build 23031014",
    "tx_interval": 20,
}
