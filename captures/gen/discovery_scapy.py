#!/usr/bin/env python3
"""Build captures/generated/discovery-scapy.pcap (+ .truth.json) and discovery-malformed.pcap
(+ .truth.json) with scapy.

The frames are encoded by scapy's own implementations of LLDP (scapy.contrib.lldp), CDP
(scapy.contrib.cdp), PROFINET DCP (scapy.contrib.pnio_dcp), DHCP, DNS/mDNS/LLMNR and NetBIOS
Name Service (scapy.layers.*): an encoder independent of otscope's decoder. Nothing is sent on
any network: scapy's wrpcap writes the file. Contents are realistic ICS plant devices (a
Hirschmann switch and a Siemens ET 200SP in LLDP, a Cisco IE-3400 in CDP, ET 200SP and
S7-1500 DCP identify responses, a WAGO-style controller doing DHCP, an engineering workstation
resolving names, ...). Timestamps are fixed, so the output is byte-identical on every run.

Each frame's configured content is checked against tshark's decode of the written file; the
truth file holds both (tshark's values under "tshark"), and the script fails when they differ.

Usage: python3 captures/gen/discovery_scapy.py   (needs scapy >= 2.5 and tshark)
"""
import json
import os
import subprocess
import sys

from scapy.all import (
    BOOTP, DHCP, DNS, DNSQR, DNSRR, DNSRRSRV, IP, UDP, Ether, Raw, Dot3, LLC, SNAP, wrpcap,
)
from scapy.contrib.cdp import (
    CDPAddrRecordIPv4, CDPMsgAddr, CDPMsgCapabilities, CDPMsgDeviceID, CDPMsgDuplex,
    CDPMsgMgmtAddr, CDPMsgNativeVLAN, CDPMsgPlatform, CDPMsgPortID, CDPMsgSoftwareVersion,
    CDPMsgVTPMgmtDomain, CDPv2_HDR,
)
from scapy.contrib.lldp import (
    LLDPDU, LLDPDUChassisID, LLDPDUEndOfLLDPDU, LLDPDUGenericOrganisationSpecific,
    LLDPDUManagementAddress, LLDPDUPortDescription, LLDPDUPortID, LLDPDUSystemCapabilities,
    LLDPDUSystemDescription, LLDPDUSystemName, LLDPDUTimeToLive,
)
from scapy.contrib.pnio import ProfinetIO
from scapy.contrib.pnio_dcp import (
    DCPDeviceIDBlock, DCPDeviceInstanceBlock, DCPDeviceOptionsBlock, DCPDeviceRoleBlock,
    DCPIPBlock, DCPManufacturerSpecificBlock, DCPNameOfStationBlock, DCPControlBlock,
    DeviceOption, ProfinetDCP,
)
from scapy.layers.llmnr import LLMNRQuery, LLMNRResponse
from scapy.layers.netbios import (
    NBNS_ADD_ENTRY, NBNSHeader, NBNSNodeStatusRequest, NBNSNodeStatusResponse, NBNSNodeStatusResponseService,
    NBNSQueryRequest, NBNSQueryResponse, NBNSRegistrationRequest,
)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "generated"))
T0 = 1_700_000_000.0

LLDP_MCAST = "01:80:c2:00:00:0e"
CDP_MCAST = "01:00:0c:cc:cc:cc"
DCP_IDENT_MCAST = "01:0e:cf:00:00:00"
DCP_HELLO_MCAST = "01:0e:cf:00:00:01"

# Devices of the plant cell.
SW_PORT_MAC = "00:80:63:10:20:03"       # Hirschmann switch, port 1/3
SW_CHASSIS_MAC = "00:80:63:10:20:00"
ET200_PORT_MAC = "28:63:36:aa:bb:02"    # Siemens ET 200SP, port 1
ET200_MAC = "28:63:36:aa:bb:01"         # its interface (chassis) MAC
ET200B_MAC = "28:63:36:aa:bb:03"        # a second ET 200SP being named
S71500_MAC = "28:63:36:cc:dd:01"        # S7-1500 CPU
PHONE_MAC = "00:1b:54:11:22:33"         # IP phone with LLDP-MED inventory
IE3400_MAC = "00:1e:f6:34:00:03"        # Cisco IE-3400
ENG_MAC = "18:66:da:4f:54:60"           # engineering workstation (TIA Portal)
PFC_MAC = "00:30:de:11:22:33"           # controller doing DHCP
DHCP_SRV_MAC = "00:80:63:10:20:00"
HIST_MAC = "00:50:56:aa:bb:70"          # historian
IPC_MAC = "00:01:05:50:50:50"           # IPC announcing over mDNS

ENG_IP = "10.10.1.60"
DNS_IP = "10.10.1.1"
HIST_IP = "10.10.1.70"
IPC_IP = "10.10.1.50"

frames = []   # (packet, configured truth dict)


def add(pkt, **truth):
    pkt.time = T0 + len(frames)
    frames.append((pkt, truth))


def org(oui, subtype, data):
    return LLDPDUGenericOrganisationSpecific(org_code=oui, subtype=subtype, data=data)


def lldp_frames():
    # 1. Hirschmann RSP switch, port 1/3: chassis MAC, management IPv4, bridge, VLAN TLVs.
    sysdesc = "Hirschmann Rail Switch Power RSP35 HiOS-3S-08.1.02"
    p = (Ether(src=SW_PORT_MAC, dst=LLDP_MCAST) / LLDPDU()
         / LLDPDUChassisID(subtype=4, id=SW_CHASSIS_MAC)
         / LLDPDUPortID(subtype=5, id=b"1/3")
         / LLDPDUTimeToLive(ttl=120)
         / LLDPDUPortDescription(description=b"Module: 1 Port: 3 - 100 MBit")
         / LLDPDUSystemName(system_name=b"RSP-cell1")
         / LLDPDUSystemDescription(description=sysdesc.encode())
         / LLDPDUSystemCapabilities(mac_bridge_available=1, router_available=1,
                                    mac_bridge_enabled=1)
         / LLDPDUManagementAddress(management_address_subtype=1,
                                   management_address=bytes([10, 10, 1, 2]),
                                   interface_numbering_subtype=2, interface_number=1)
         / org(0x0080C2, 1, b"\x00\x0a")                       # port VLAN id 10
         / org(0x0080C2, 3, b"\x00\x0a\x05cell1")              # VLAN 10 name "cell1"
         / org(0x00120F, 1, b"\x03\x6c\x00\x00\x10")           # MAC/PHY, MAU 16 100BaseTXFD
         / LLDPDUEndOfLLDPDU())
    add(p, proto="lldp", src_mac=SW_PORT_MAC, chassis_mac=SW_CHASSIS_MAC, port_id="1/3",
        system_name="RSP-cell1", system_description=sysdesc, mgmt_ip="10.10.1.2",
        capabilities="bridge", capabilities_supported="bridge,router", port_vlan="10",
        vlan_name="10 cell1", mau_type="100BaseTXFD")

    # 2. Siemens ET 200SP (PROFINET device): NameOfStation as locally assigned chassis ID,
    #    PROFINET port status and chassis MAC TLVs.
    sysdesc = ("Siemens, SIMATIC ET 200SP, IM 155-6 PN ST, 6ES7 155-6AU01-0BN0, "
               "HW: Version 3, FW: Version V4.2.1")
    p = (Ether(src=ET200_PORT_MAC, dst=LLDP_MCAST) / LLDPDU()
         / LLDPDUChassisID(subtype=7, id=b"et200sp-line1")
         / LLDPDUPortID(subtype=7, id=b"port-001")
         / LLDPDUTimeToLive(ttl=20)
         / LLDPDUSystemDescription(description=sysdesc.encode())
         / LLDPDUSystemCapabilities(station_only_available=1, station_only_enabled=1)
         / LLDPDUManagementAddress(management_address_subtype=1,
                                   management_address=bytes([192, 168, 0, 20]),
                                   interface_numbering_subtype=2, interface_number=1)
         / org(0x000ECF, 2, b"\x00\x00\x00\x00")               # port status RTC2/RTC3
         / org(0x000ECF, 5, bytes.fromhex(ET200_MAC.replace(":", "")))  # chassis MAC
         / org(0x00120F, 1, b"\x03\x6c\x00\x00\x10")
         / LLDPDUEndOfLLDPDU())
    add(p, proto="lldp", src_mac=ET200_PORT_MAC, chassis_id="et200sp-line1",
        profinet_chassis_mac=ET200_MAC, port_id="port-001", system_description=sysdesc,
        mgmt_ip="192.168.0.20", capabilities="station", name="et200sp-line1",
        profinet="port_status,chassis_mac")

    # 3. IP phone on the plant LAN with LLDP-MED inventory TLVs.
    med = [(5, b"1"), (6, b"sip88xx.14-1-1"), (7, b"sip88xx.14-1-1SR1"),
           (8, b"FCH2222ABCD"), (9, b"Cisco Systems, Inc."), (10, b"CP-8841")]
    p = (Ether(src=PHONE_MAC, dst=LLDP_MCAST) / LLDPDU()
         / LLDPDUChassisID(subtype=5, family=1, id="10.10.3.40")
         / LLDPDUPortID(subtype=3, id=PHONE_MAC)
         / LLDPDUTimeToLive(ttl=180)
         / LLDPDUSystemName(system_name=b"SEP001B54112233")
         / LLDPDUSystemDescription(description=b"Cisco IP Phone CP-8841, V3, sip88xx.14-1-1")
         / LLDPDUSystemCapabilities(telephone_available=1, mac_bridge_available=1,
                                    telephone_enabled=1)
         / org(0x0012BB, 1, b"\x00\x33\x03"))                  # MED caps, class III
    for sub, val in med:
        p = p / org(0x0012BB, sub, val)
    p = p / LLDPDUEndOfLLDPDU()
    add(p, proto="lldp", src_mac=PHONE_MAC, chassis_ip="10.10.3.40", port_id=PHONE_MAC,
        system_name="SEP001B54112233",
        system_description="Cisco IP Phone CP-8841, V3, sip88xx.14-1-1",
        capabilities="telephone", hardware_version="1", firmware="sip88xx.14-1-1",
        software_revision="sip88xx.14-1-1SR1", serial="FCH2222ABCD",
        vendor="Cisco Systems, Inc.", model="CP-8841")


def cdp_frames():
    sw = ("Cisco IOS Software [Amsterdam], IE3x00 Switch Software (IE3x00-UNIVERSALK9-M), "
          "Version 17.3.4, RELEASE SOFTWARE (fc2)\nTechnical Support: "
          "http://www.cisco.com/techsupport\nCopyright (c) 1986-2021 by Cisco Systems, Inc.")
    cdp = CDPv2_HDR(vers=2, ttl=180, msg=[
        CDPMsgDeviceID(val=b"IE3400-cell2.plant.local"),
        CDPMsgAddr(naddr=1, addr=[CDPAddrRecordIPv4(addr="10.10.2.1")]),
        CDPMsgPortID(iface=b"GigabitEthernet1/3"),
        CDPMsgCapabilities(cap=0x29),                          # router, switch, igmp
        CDPMsgSoftwareVersion(val=sw.encode()),
        CDPMsgPlatform(val=b"cisco IE-3400-8T2S"),
        CDPMsgVTPMgmtDomain(val=b"PLANT"),
        CDPMsgNativeVLAN(vlan=20),
        CDPMsgDuplex(duplex=1),
        CDPMsgMgmtAddr(naddr=1, addr=[CDPAddrRecordIPv4(addr="10.10.2.1")]),
    ])
    p = Dot3(src=IE3400_MAC, dst=CDP_MCAST) / LLC(dsap=0xAA, ssap=0xAA, ctrl=3) \
        / SNAP(OUI=0x00000C, code=0x2000) / cdp
    add(p, proto="cdp", src_mac=IE3400_MAC, device_id="IE3400-cell2.plant.local",
        address="10.10.2.1", port_id="GigabitEthernet1/3", capabilities="router,switch,igmp",
        software_version=sw, firmware="17.3.4", platform="cisco IE-3400-8T2S",
        model="IE-3400-8T2S", vendor="Cisco", vtp_domain="PLANT", native_vlan="20",
        duplex="full")


def fix_pad(b):
    """scapy's DCP blocks always emit their 1-byte padding field; keep it only when the
    block has an odd length (IEC 61158-6-10: blocks are padded to even length)."""
    if hasattr(b, "padding"):
        b.padding = b""
        if len(bytes(b)) % 2:
            b.padding = b"\x00"
    return b


def dcp_response(frame_id, src, dst, xid, blocks, service_id=5):
    """A DCP response with its blocks; scapy leaves DCPDataLength to the caller here."""
    blocks = [fix_pad(b) for b in blocks]
    n = sum(len(bytes(b)) for b in blocks)
    return (Ether(src=src, dst=dst) / ProfinetIO(frameID=frame_id)
            / ProfinetDCP(service_id=service_id, service_type=1, xid=xid, dcp_data_length=n,
                          dcp_blocks=blocks))


def dcp_frames():
    # Identify All request from the engineering workstation.
    p = (Ether(src=ENG_MAC, dst=DCP_IDENT_MCAST) / ProfinetIO(frameID=0xFEFE)
         / ProfinetDCP(service_id=5, service_type=0, xid=0x1001, reserved=1,
                       option=255, sub_option=255, dcp_block_length=0, dcp_data_length=4))
    add(p, proto="profinet_dcp", kind="identify_request", src_mac=ENG_MAC, filter="all")

    # Identify responses: ET 200SP (IO device) and S7-1500 (IO controller).
    opts = [DeviceOption(option=o, sub_option=s)
            for o, s in [(1, 1), (1, 2), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (5, 3)]]
    for mac, ip, typ, name, dev, role, role_word in [
        (ET200_MAC, "192.168.0.20", b"ET200SP", b"et200sp-line1", 0x0313, 0x01, "io_device"),
        (S71500_MAC, "192.168.0.1", b"S7-1500", b"plc-line1", 0x010E, 0x02, "io_controller"),
    ]:
        p = dcp_response(0xFEFF, mac, ENG_MAC, 0x1001, [
                 DCPIPBlock(block_info=1, ip=ip, netmask="255.255.255.0", gateway="0.0.0.0",
                            dcp_block_length=14),
                 DCPManufacturerSpecificBlock(device_vendor_value=typ,
                                              dcp_block_length=len(typ) + 2),
                 DCPNameOfStationBlock(name_of_station=name),
                 DCPDeviceIDBlock(vendor_id=0x002A, device_id=dev, dcp_block_length=6),
                 DCPDeviceRoleBlock(device_role_details=role, dcp_block_length=4),
                 DCPDeviceOptionsBlock(device_options=opts,
                                       dcp_block_length=2 + 2 * len(opts)),
                 DCPDeviceInstanceBlock(device_instance_high=0, device_instance_low=100,
                                        dcp_block_length=4),
             ])
        add(p, proto="profinet_dcp", kind="identify_response", src_mac=mac, ip=ip,
            netmask="255.255.255.0", type_of_station=typ.decode(),
            station_name=name.decode(), vendor_id="0x002a", device_id=f"0x{dev:04x}",
            vendor="Siemens", role=role_word, device_instance="0.100")

    # Set NameOfStation on the second ET 200SP, its response, then Set IP.
    p = (Ether(src=ENG_MAC, dst=ET200B_MAC) / ProfinetIO(frameID=0xFEFD)
         / ProfinetDCP(service_id=4, service_type=0, xid=0x1002, option=2, sub_option=2,
                       dcp_block_length=15, block_qualifier=1,
                       name_of_station=b"et200sp-line2", dcp_data_length=20))
    add(p, proto="profinet_dcp", kind="set_request", src_mac=ENG_MAC, dst_mac=ET200B_MAC,
        set="name_of_station=et200sp-line2", station_name="et200sp-line2")
    p = dcp_response(0xFEFD, ET200B_MAC, ENG_MAC, 0x1002, [
        DCPControlBlock(response=2, response_sub_option=2, block_error=0, dcp_block_length=3)],
        service_id=4)
    add(p, proto="profinet_dcp", kind="set_response", src_mac=ET200B_MAC,
        set_result="device/name_of_station: 0")
    p = (Ether(src=ENG_MAC, dst=ET200B_MAC) / ProfinetIO(frameID=0xFEFD)
         / ProfinetDCP(service_id=4, service_type=0, xid=0x1003, option=1, sub_option=2,
                       dcp_block_length=14, block_qualifier=1, ip="192.168.0.21",
                       netmask="255.255.255.0", gateway="0.0.0.0", dcp_data_length=18))
    add(p, proto="profinet_dcp", kind="set_request", src_mac=ENG_MAC, dst_mac=ET200B_MAC,
        set="ip=192.168.0.21/255.255.255.0 gw 0.0.0.0")

    # Hello from the renamed device (fast start-up): blocks with BlockInfo, like an identify
    # response. scapy builds blocks only for responses, so the service bytes are set after.
    p = dcp_response(0xFEFC, ET200B_MAC, DCP_HELLO_MCAST, 0x1004, [
             DCPNameOfStationBlock(name_of_station=b"et200sp-line2"),
             DCPIPBlock(block_info=1, ip="192.168.0.21", netmask="255.255.255.0",
                        gateway="0.0.0.0", dcp_block_length=14),
             DCPDeviceIDBlock(vendor_id=0x002A, device_id=0x0313, dcp_block_length=6),
             DCPDeviceRoleBlock(device_role_details=0x01, dcp_block_length=4),
    ])
    raw = bytearray(bytes(p))
    raw[16] = 6   # ServiceID Hello (after 14-byte Ethernet header and 2-byte FrameID)
    raw[17] = 0   # ServiceType request
    p = Ether(bytes(raw))
    add(p, proto="profinet_dcp", kind="hello", src_mac=ET200B_MAC, ip="192.168.0.21",
        station_name="et200sp-line2", vendor_id="0x002a", device_id="0x0313",
        vendor="Siemens", role="io_device")


def udp(src_mac, dst_mac, src, dst, sport, dport, payload):
    return Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst, ttl=64, id=len(frames)) \
        / UDP(sport=sport, dport=dport) / payload


def dhcp_frames():
    bcast = "ff:ff:ff:ff:ff:ff"
    mac_b = bytes.fromhex(PFC_MAC.replace(":", ""))
    prl = [1, 3, 6, 12, 15, 28, 42]
    common = [("client_id", b"\x01" + mac_b), ("hostname", b"PFC200-112233"),
              ("vendor_class_id", b"WAGO PFC200V3 750-8212"), ("param_req_list", prl)]
    p = udp(PFC_MAC, bcast, "0.0.0.0", "255.255.255.255", 68, 67,
            BOOTP(op=1, chaddr=mac_b, xid=0x5a5a0001)
            / DHCP(options=[("message-type", "discover")] + common + ["end"]))
    add(p, proto="dhcp", kind="discover", chaddr=PFC_MAC, hostname="PFC200-112233",
        vendor_class="WAGO PFC200V3 750-8212", prl="1,3,6,12,15,28,42")
    srv = [("server_id", DNS_IP), ("lease_time", 86400), ("subnet_mask", "255.255.255.0"),
           ("router", DNS_IP)]
    p = udp(DHCP_SRV_MAC, bcast, DNS_IP, "255.255.255.255", 67, 68,
            BOOTP(op=2, chaddr=mac_b, xid=0x5a5a0001, yiaddr="10.10.1.80", siaddr=DNS_IP,
                  sname=b"dhcp-cell1")
            / DHCP(options=[("message-type", "offer")] + srv + ["end"]))
    add(p, proto="dhcp", kind="offer", chaddr=PFC_MAC, yiaddr="10.10.1.80",
        server=DNS_IP, sname="dhcp-cell1")
    p = udp(PFC_MAC, bcast, "0.0.0.0", "255.255.255.255", 68, 67,
            BOOTP(op=1, chaddr=mac_b, xid=0x5a5a0002)
            / DHCP(options=[("message-type", "request"), ("requested_addr", "10.10.1.80"),
                            ("server_id", DNS_IP)] + common
                   + [("client_FQDN", b"\x01\x00\x00pfc200-112233.plant.local"), "end"]))
    add(p, proto="dhcp", kind="request", chaddr=PFC_MAC, requested_ip="10.10.1.80",
        hostname="PFC200-112233", fqdn="pfc200-112233.plant.local",
        vendor_class="WAGO PFC200V3 750-8212", prl="1,3,6,12,15,28,42")
    p = udp(DHCP_SRV_MAC, bcast, DNS_IP, "255.255.255.255", 67, 68,
            BOOTP(op=2, chaddr=mac_b, xid=0x5a5a0002, yiaddr="10.10.1.80", siaddr=DNS_IP,
                  sname=b"dhcp-cell1")
            / DHCP(options=[("message-type", "ack")] + srv
                   + [("hostname", b"PFC200-112233"), "end"]))
    add(p, proto="dhcp", kind="ack", chaddr=PFC_MAC, yiaddr="10.10.1.80",
        hostname="PFC200-112233", server=DNS_IP, sname="dhcp-cell1")


def dns_frames():
    # The engineering workstation resolves a TeamViewer relay, an AnyDesk relay and the
    # historian (a local answer), and reverse-resolves the historian.
    eng, dns = (ENG_MAC, DNS_IP), ("00:80:63:10:20:00", DNS_IP)
    qs = [
        (50001, "router15.teamviewer.com", "A", [DNSRR(rrname="router15.teamviewer.com",
                                                       type="A", rdata="37.252.227.54")]),
        (50002, "relay-7f3a2b1c.net.anydesk.com", "A",
         [DNSRR(rrname="relay-7f3a2b1c.net.anydesk.com", type="A", rdata="195.181.174.49")]),
        (50003, "historian.plant.local", "A", [DNSRR(rrname="historian.plant.local",
                                                     type="A", rdata=HIST_IP)]),
        (50004, "70.1.10.10.in-addr.arpa", "PTR",
         [DNSRR(rrname="70.1.10.10.in-addr.arpa", type="PTR", rdata="historian.plant.local")]),
    ]
    for k, (sport, name, qtype, ans) in enumerate(qs):
        q = DNS(id=0x100 + k, rd=1, qd=DNSQR(qname=name, qtype=qtype))
        add(udp(ENG_MAC, dns[0], ENG_IP, DNS_IP, sport, 53, q), proto="dns", kind="query",
            client=ENG_IP, qname=name)
        r = DNS(id=0x100 + k, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype), an=ans)
        add(udp(dns[0], ENG_MAC, DNS_IP, ENG_IP, 53, sport, r), proto="dns", kind="response",
            client=ENG_IP, qname=name,
            answer=ans[0].rdata if isinstance(ans[0].rdata, str)
            else ans[0].rdata.decode().rstrip("."))


def mdns_frames():
    mc = "01:00:5e:00:00:fb"
    q = DNS(id=0, qd=DNSQR(qname="_http._tcp.local", qtype="PTR"))
    add(udp(ENG_MAC, mc, ENG_IP, "224.0.0.251", 5353, 5353, q), proto="mdns", kind="query",
        src=ENG_IP, browse="_http._tcp")
    inst = "cx5140-line1._http._tcp.local"
    r = DNS(id=0, qr=1, aa=1, qd=[], an=[
        DNSRR(rrname="_http._tcp.local", type="PTR", rdata=inst, ttl=4500),
        DNSRRSRV(rrname=inst, port=80, target="cx5140-line1.local", ttl=120),
        DNSRR(rrname=inst, type="TXT", rdata=[b"path=/config"], ttl=4500),
        DNSRR(rrname="cx5140-line1._device-info._tcp.local", type="TXT",
              rdata=[b"model=CX5140"], ttl=4500),
        DNSRR(rrname="cx5140-line1.local", type="A", rdata=IPC_IP, ttl=120),
    ])
    add(udp(IPC_MAC, mc, IPC_IP, "224.0.0.251", 5353, 5353, r), proto="mdns",
        kind="response", src=IPC_IP, hostname="cx5140-line1.local", address=IPC_IP,
        service="_http._tcp", instance=inst, model="CX5140",
        srv=f"{inst} -> cx5140-line1.local:80")


def nbns_frames():
    bc = "ff:ff:ff:ff:ff:ff"
    # Registration of ENG-WS01<00> (broadcast), query for HISTORIAN<20>, positive response,
    # node status request and response.
    p = udp(ENG_MAC, bc, ENG_IP, "10.10.1.255", 137, 137,
            NBNSHeader(NAME_TRN_ID=0x8001, OPCODE=5, NM_FLAGS=0x11, QDCOUNT=1, ARCOUNT=1)
            / NBNSRegistrationRequest(QUESTION_NAME=b"ENG-WS01", SUFFIX=0x4141,
                                      NB_ADDRESS=ENG_IP, TTL=300000))
    add(p, proto="netbios-ns", kind="registration", src=ENG_IP, name="ENG-WS01",
        suffix="0x00", address=ENG_IP)
    p = udp(ENG_MAC, bc, ENG_IP, "10.10.1.255", 137, 137,
            NBNSHeader(NAME_TRN_ID=0x8002, OPCODE=0, NM_FLAGS=0x11, QDCOUNT=1)
            / NBNSQueryRequest(QUESTION_NAME=b"HISTORIAN", SUFFIX=0x4341))
    add(p, proto="netbios-ns", kind="query", src=ENG_IP, query="HISTORIAN<20>")
    p = udp(HIST_MAC, ENG_MAC, HIST_IP, ENG_IP, 137, 137,
            NBNSHeader(NAME_TRN_ID=0x8002, RESPONSE=1, OPCODE=0, NM_FLAGS=0x50, ANCOUNT=1)
            / NBNSQueryResponse(RR_NAME=b"HISTORIAN", SUFFIX=0x4341,
                                ADDR_ENTRY=[NBNS_ADD_ENTRY(NB_ADDRESS=HIST_IP)]))
    add(p, proto="netbios-ns", kind="response", src=HIST_IP, name="HISTORIAN",
        suffix="0x20", address=HIST_IP)
    p = udp(ENG_MAC, HIST_MAC, ENG_IP, HIST_IP, 137, 137,
            NBNSHeader(NAME_TRN_ID=0x8003, OPCODE=0, QDCOUNT=1) / NBNSNodeStatusRequest())
    add(p, proto="netbios-ns", kind="node_status_request", src=ENG_IP)
    names = [
        NBNSNodeStatusResponseService(NETBIOS_NAME=b"HISTORIAN      ", SUFFIX=0x00,
                                      NAME_FLAGS=0x04),
        NBNSNodeStatusResponseService(NETBIOS_NAME=b"PLANT          ", SUFFIX=0x00,
                                      NAME_FLAGS=0x84),
        NBNSNodeStatusResponseService(NETBIOS_NAME=b"HISTORIAN      ", SUFFIX=0x20,
                                      NAME_FLAGS=0x04),
    ]
    p = udp(HIST_MAC, ENG_MAC, HIST_IP, ENG_IP, 137, 137,
            NBNSHeader(NAME_TRN_ID=0x8003, RESPONSE=1, OPCODE=0, NM_FLAGS=0x40, ANCOUNT=1)
            / NBNSNodeStatusResponse(RR_NAME=b"*" + b"\x00" * 14, SUFFIX=0x4141,
                                     NODE_NAME=names, MAC_ADDRESS=HIST_MAC,
                                     STATISTICS=b"\x00" * 46))
    add(p, proto="netbios-ns", kind="node_status_response", src=HIST_IP, name="HISTORIAN",
        group="PLANT<00>", mac=HIST_MAC)


def llmnr_frames():
    p = udp(ENG_MAC, "01:00:5e:00:00:fc", ENG_IP, "224.0.0.252", 55000, 5355,
            LLMNRQuery(id=0x4242, qd=DNSQR(qname="hist-backup", qtype="A")))
    add(p, proto="llmnr", kind="query", src=ENG_IP, query="hist-backup")
    p = udp(HIST_MAC, ENG_MAC, HIST_IP, ENG_IP, 5355, 55000,
            LLMNRResponse(id=0x4242, qr=1, qd=DNSQR(qname="hist-backup", qtype="A"),
                          an=DNSRR(rrname="hist-backup", type="A", rdata=HIST_IP, ttl=30)))
    add(p, proto="llmnr", kind="response", src=HIST_IP, hostname="hist-backup",
        address=HIST_IP)


def ssdp_frames():
    body = ("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n"
            f"LOCATION: http://{IPC_IP}:49152/description.xml\r\n"
            "NT: urn:schemas-upnp-org:device:Basic:1\r\nNTS: ssdp:alive\r\n"
            "SERVER: Linux/4.19 UPnP/1.0 Portable SDK for UPnP devices/1.8.4\r\n"
            "USN: uuid:2f402f80-da50-11e1-9b23-000105505050::urn:schemas-upnp-org:device:Basic:1"
            "\r\n\r\n")
    p = udp(IPC_MAC, "01:00:5e:7f:ff:fa", IPC_IP, "239.255.255.250", 1900, 1900,
            Raw(body.encode()))
    add(p, proto="ssdp", kind="notify", src=IPC_IP,
        server="Linux/4.19 UPnP/1.0 Portable SDK for UPnP devices/1.8.4",
        location=f"http://{IPC_IP}:49152/description.xml")


# ------------------------------------------------------------------------------------------
# Malformed frames: each one breaks one rule and names the anomaly otscope must count.
# ------------------------------------------------------------------------------------------

malformed = []


def bad(pkt, proto, anomaly, note):
    pkt.time = T0 + 1000 + len(malformed)
    malformed.append((pkt, {"proto": proto, "anomaly": anomaly, "note": note}))


def malformed_frames():
    # LLDP whose System Name TLV claims 100 bytes but the frame ends first.
    good = (bytes([0x02, 0x07, 0x04]) + bytes.fromhex(SW_CHASSIS_MAC.replace(":", ""))
            + bytes([0x04, 0x04, 0x05]) + b"1/4"          # Port ID, interface name
            + bytes([0x06, 0x02, 0x00, 0x78]))             # TTL 120
    trunc = good + bytes([0x0A, 100]) + b"RSP-cut"
    bad(Ether(src=SW_PORT_MAC, dst=LLDP_MCAST, type=0x88CC) / Raw(trunc), "lldp",
        "lldp_tlv_truncated", "System Name TLV length 100, 7 bytes present")
    # LLDP starting with a TTL TLV (Chassis ID and Port ID missing).
    p = bytes([0x06, 0x02, 0x00, 0x78, 0x00, 0x00])   # TTL 120, End
    bad(Ether(src=SW_PORT_MAC, dst=LLDP_MCAST, type=0x88CC) / Raw(p), "lldp",
        "lldp_mandatory_tlv_missing", "first TLV is TTL")
    # CDP with a wrong checksum.
    cdp = bytearray(bytes(CDPv2_HDR(vers=2, ttl=180, msg=[
        CDPMsgDeviceID(val=b"IE3400-bad"), CDPMsgPlatform(val=b"cisco IE-3400-8T2S")])))
    cdp[2] ^= 0x55
    bad(Dot3(src=IE3400_MAC, dst=CDP_MCAST) / LLC(dsap=0xAA, ssap=0xAA, ctrl=3)
        / SNAP(OUI=0x00000C, code=0x2000) / Raw(bytes(cdp)), "cdp", "cdp_bad_checksum",
        "checksum byte flipped")
    # DCP identify response whose DCPDataLength exceeds the frame.
    p = bytearray(bytes(dcp_response(0xFEFF, ET200B_MAC, ENG_MAC, 7, [
        DCPNameOfStationBlock(name_of_station=b"cut-device")])))
    p[24:26] = (400).to_bytes(2, "big")    # DCPDataLength (14 Ethernet + 2 FrameID + 8)
    bad(Ether(bytes(p)), "profinet_dcp",
        "dcp_data_length_exceeds_frame", "DCPDataLength 400")
    # DCP identify response with a block longer than the data.
    blk = bytes([2, 2, 0, 60, 0, 0]) + b"short"
    hdr = bytes([0xFE, 0xFF, 5, 1, 0, 0, 0, 8, 0, 0]) + len(blk).to_bytes(2, "big")
    bad(Ether(src=ET200B_MAC, dst=ENG_MAC, type=0x8892) / Raw(hdr + blk + b"\x00" * 30),
        "profinet_dcp", "dcp_block_truncated", "block length 60, 7 bytes of data")
    # DNS response whose answer name is a compression pointer to itself (a loop).
    q = bytes(DNS(id=9, qr=1, qd=DNSQR(qname="loop.plant.local")))
    q = bytearray(q)
    q[7] = 1                               # ANCOUNT 1
    off = len(q)
    q += bytes([0xC0 | (off >> 8), off & 0xFF]) + bytes([0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
                                                         10, 10, 1, 99])
    bad(udp(HIST_MAC, ENG_MAC, DNS_IP, ENG_IP, 53, 50100, Raw(bytes(q))), "dns",
        "dns_name_bad_pointer", "answer name points at itself")
    # DNS response whose answer claims more bytes than the message has.
    r = bytearray(bytes(DNS(id=10, qr=1, qd=DNSQR(qname="cut.plant.local"),
                            an=DNSRR(rrname="cut.plant.local", type="A", rdata="10.10.1.98"))))
    bad(udp(HIST_MAC, ENG_MAC, DNS_IP, ENG_IP, 53, 50101, Raw(bytes(r[:-3]))), "dns",
        "dns_truncated", "last 3 bytes of the A record cut")
    # DHCP request whose hostname option runs past the end of the message.
    mac_b = bytes.fromhex(PFC_MAC.replace(":", ""))
    d = bytes(BOOTP(op=1, chaddr=mac_b, xid=0x77) / DHCP(options=[("message-type", "request")]))
    d = d[: d.rfind(b"\xff")] + bytes([12, 40]) + b"PFC-CUT"
    bad(udp(PFC_MAC, "ff:ff:ff:ff:ff:ff", "0.0.0.0", "255.255.255.255", 68, 67, Raw(d)),
        "dhcp", "dhcp_options_truncated", "host name option length 40, 7 bytes present")


# ------------------------------------------------------------------------------------------
# tshark verification
# ------------------------------------------------------------------------------------------

FIELDS = [
    "frame.number", "eth.src", "eth.dst", "ip.src", "ip.dst", "udp.srcport", "udp.dstport",
    "frame.protocols", "_ws.expert.message",
    # LLDP
    "lldp.chassis.id.mac", "lldp.chassis.id", "lldp.chassis.id.ip4", "lldp.port.id",
    "lldp.port.id.mac",
    "lldp.port.desc", "lldp.tlv.system.name", "lldp.tlv.system.desc", "lldp.mgn.addr.ip4",
    "lldp.tlv.system_cap", "lldp.tlv.enable_system_cap", "lldp.ieee.802_1.port_vlan.id",
    "lldp.ieee.802_1.vlan.id", "lldp.ieee.802_1.vlan.name", "lldp.ieee.802_3.pmd_mau_type",
    "lldp.profinet.cm_mac_add", "lldp.profinet.rtc2_port_status", "lldp.media.subtype.class",
    "lldp.media.hardware", "lldp.media.firmware", "lldp.media.software", "lldp.media.sn",
    "lldp.media.manufacturer", "lldp.media.model",
    # CDP
    "cdp.deviceid", "cdp.nrgyz.ip_address", "cdp.portid", "cdp.capabilities",
    "cdp.software_version", "cdp.platform", "cdp.vtp_management_domain", "cdp.native_vlan",
    "cdp.duplex", "cdp.checksum.status",
    # DCP
    "pn_dcp.service_id", "pn_dcp.service_type", "pn_dcp.suboption_device_nameofstation",
    "pn_dcp.suboption_device_devicevendorvalue", "pn_dcp.suboption_vendor_id",
    "pn_dcp.suboption_device_id", "pn_dcp.suboption_device_role", "pn_dcp.suboption_ip_ip",
    "pn_dcp.suboption_ip_subnetmask", "pn_dcp.suboption_ip_block_info",
    "pn_dcp.suboption_device_instance", "pn_dcp.block_qualifier", "pn_dcp.block_error",
    # DHCP
    "dhcp.option.dhcp", "dhcp.hw.mac_addr", "dhcp.hw.addr", "dhcp.option.hostname",
    "dhcp.option.vendor_class_id", "dhcp.option.request_list_item",
    "dhcp.option.requested_ip_address", "dhcp.ip.your", "dhcp.server", "dhcp.fqdn.name",
    "dhcp.option.dhcp_server_id",
    # DNS family
    "dns.flags.response", "dns.qry.name", "dns.resp.name", "dns.resp.type", "dns.a", "dns.ptr.domain_name",
    "dns.srv.target", "dns.srv.port", "dns.txt",
    # NBNS
    "nbns.flags.opcode", "nbns.flags.response", "nbns.name", "nbns.addr", "nbns.netbios_name",
    "nbns.name_flags", "nbns.nb_flags", "nbns.unit_id",
    # SSDP
    "http.server", "http.location",
]


def tshark_fields(path):
    """tshark's view of every frame: {frame number: {field: [values]}} for fields it has."""
    # Ask only for fields this tshark knows (field names move between versions).
    known = set()
    out = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) > 2 and parts[0] == "F":
            known.add(parts[2])
    fields = [f for f in FIELDS if f in known or f.startswith("_ws.")]
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    frames_out = {}
    for line in res.splitlines():
        vals = line.split("\t")
        row = {}
        for f, v in zip(fields, vals):
            if v != "":
                row[f] = v.split("|")
        frames_out[int(row["frame.number"][0])] = row
    version = subprocess.run(["tshark", "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0]
    return frames_out, version


def check(cond, msg, errors):
    if not cond:
        errors.append(msg)


def verify_good(ts):
    """Configured values must be what tshark decodes."""
    errors = []
    for n, (_, t) in enumerate(frames, 1):
        f = ts.get(n, {})
        get = lambda k: f.get(k, [])  # noqa: E731
        protos = get("frame.protocols")[0] if get("frame.protocols") else ""
        name = {"profinet_dcp": "pn_dcp", "netbios-ns": "nbns", "ssdp": "ssdp"}.get(
            t["proto"], t["proto"])
        check(name in protos.split(":"), f"frame {n}: tshark protocols {protos} lack {name}",
              errors)
        if t["proto"] == "lldp":
            if "system_name" in t:
                check(get("lldp.tlv.system.name") == [t["system_name"]], f"frame {n} sysname",
                      errors)
            if "system_description" in t:
                check(get("lldp.tlv.system.desc") == [t["system_description"]],
                      f"frame {n} sysdesc", errors)
            if "chassis_mac" in t:
                check(get("lldp.chassis.id.mac") == [t["chassis_mac"]], f"frame {n} chassis",
                      errors)
            if "mgmt_ip" in t:
                check(get("lldp.mgn.addr.ip4") == [t["mgmt_ip"]], f"frame {n} mgmt", errors)
            if "model" in t:
                check(get("lldp.media.model") == [t["model"]], f"frame {n} MED model", errors)
                check(get("lldp.media.sn") == [t["serial"]], f"frame {n} MED serial",
                      errors)
        elif t["proto"] == "cdp":
            check(get("cdp.deviceid") == [t["device_id"]], f"frame {n} cdp device", errors)
            check(get("cdp.platform") == [t["platform"]], f"frame {n} cdp platform", errors)
            check(get("cdp.checksum.status") == ["1"], f"frame {n} cdp checksum", errors)
        elif t["proto"] == "profinet_dcp":
            if "station_name" in t and t["kind"] != "set_request":
                check(get("pn_dcp.suboption_device_nameofstation") == [t["station_name"]],
                      f"frame {n} NameOfStation", errors)
            if "type_of_station" in t:
                check(get("pn_dcp.suboption_device_devicevendorvalue") == [t["type_of_station"]],
                      f"frame {n} TypeOfStation", errors)
            if "device_id" in t:
                check(get("pn_dcp.suboption_device_id") == [t["device_id"]],
                      f"frame {n} DeviceID", errors)
        elif t["proto"] == "dhcp":
            check(get("dhcp.hw.mac_addr")[:1] == [t["chaddr"]], f"frame {n} chaddr", errors)
            if "hostname" in t:
                check(get("dhcp.option.hostname") == [t["hostname"]], f"frame {n} hostname",
                      errors)
            if "vendor_class" in t:
                check(get("dhcp.option.vendor_class_id") == [t["vendor_class"]],
                      f"frame {n} vendor class", errors)
        elif t["proto"] in ("dns", "mdns", "llmnr"):
            if "qname" in t:
                check(get("dns.qry.name") == [t["qname"]], f"frame {n} qname", errors)
        elif t["proto"] == "netbios-ns":
            if "name" in t and t["kind"] != "node_status_response":
                want = f"{t['name']}<{t['suffix'][2:]}>"
                check(any(v.startswith(want) for v in get("nbns.name")),
                      f"frame {n} nbns name {get('nbns.name')} != {want}", errors)
    return errors


def verify_malformed(ts):
    errors = []
    for n, (_, t) in enumerate(malformed, 1):
        f = ts.get(n, {})
        protos = f.get("frame.protocols", [""])[0].split(":")
        name = {"profinet_dcp": "pn_dcp"}.get(t["proto"], t["proto"])
        check(name in protos, f"malformed frame {n}: {protos} lacks {name}", errors)
    return errors


def write(path, items, kind, verify):
    wrpcap(path, [p for p, _ in items])
    ts, version = tshark_fields(path)
    errors = verify(ts)
    if errors:
        for e in errors:
            print("MISMATCH:", e, file=sys.stderr)
        raise SystemExit(1)
    truth = {
        "truth_schema": "otscope-generated/1",
        "generated_by": "captures/gen/discovery_scapy.py (scapy encoder, tshark decode)",
        "capture": os.path.basename(path),
        "kind": kind,
        "tshark_version": version,
        "frames": [
            {"frame": n, "configured": t, "tshark": ts.get(n, {})}
            for n, (_, t) in enumerate(items, 1)
        ],
    }
    with open(path[: -len(".pcap")] + ".truth.json", "w") as fh:
        json.dump(truth, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"wrote {path} ({len(items)} frames) and its truth")


def main():
    lldp_frames()
    cdp_frames()
    dcp_frames()
    dhcp_frames()
    dns_frames()
    mdns_frames()
    nbns_frames()
    llmnr_frames()
    ssdp_frames()
    malformed_frames()
    write(os.path.join(OUT, "discovery-scapy.pcap"), frames, "good", verify_good)
    write(os.path.join(OUT, "discovery-malformed.pcap"), malformed, "malformed",
          verify_malformed)


if __name__ == "__main__":
    main()
