//! Unit tests: LLDP, CDP and PROFINET DCP byte vectors commented field by field, real frames
//! from the public captures, malformed frames, and a fixed-seed fuzz run.

use super::parser::*;
use super::*;
use crate::config::Limits;
use crate::decode::{L2, Mac, Net};
use crate::evidence::Ev;
use crate::inventory::observation::{Store, Subject};
use std::net::{IpAddr, Ipv4Addr};

fn mac(s: &str) -> Mac {
    let mut m = [0u8; 6];
    for (k, p) in s.split(':').enumerate() {
        m[k] = u8::from_str_radix(p, 16).unwrap();
    }
    Mac(m)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn l2(src: &str, dst: &str) -> L2 {
    L2 {
        src: Some(mac(src)),
        dst: Some(mac(dst)),
        ..Default::default()
    }
}

/// Run one frame through the entry point and return the store.
fn run(net: Net<'_>, l2: &L2) -> Store {
    let mut store = Store::new(10_000, 8);
    frame(&net, l2, Ev::default(), &Limits::default(), &mut store);
    store
}

fn claim(st: &Store, subject: Subject, field: &str) -> Vec<String> {
    let mut v: Vec<String> = st
        .claims
        .keys()
        .filter(|k| k.subject == subject && k.field == field)
        .map(|k| k.value.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn fact(st: &Store, subject: Subject, key: &str) -> Vec<String> {
    let mut v: Vec<String> = st
        .facts
        .keys()
        .filter(|k| k.subject == subject && k.key == key)
        .map(|k| k.value.clone())
        .collect();
    v.sort();
    v
}

fn anomalies(st: &Store) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = st.anomalies.keys().map(|k| k.kind).collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// LLDP
// ---------------------------------------------------------------------------------------------

/// A switch port LLDPDU with every basic TLV and the organisationally specific TLVs otscope
/// decodes (802.1, 802.3, LLDP-MED, PROFINET).
fn lldp_full() -> Vec<u8> {
    let mut b = Vec::new();
    // Chassis ID: type 1, length 7 (0x0207); subtype 4 MAC; 00:80:63:10:20:00
    b.extend([0x02, 0x07, 0x04, 0x00, 0x80, 0x63, 0x10, 0x20, 0x00]);
    // Port ID: type 2, length 4 (0x0404); subtype 5 interface name; "1/3"
    b.extend([0x04, 0x04, 0x05, b'1', b'/', b'3']);
    // TTL: type 3, length 2 (0x0602); 120 s
    b.extend([0x06, 0x02, 0x00, 0x78]);
    // Port Description: type 4, length 6 (0x0806); "Port 3"
    b.extend([0x08, 0x06]);
    b.extend(b"Port 3");
    // System Name: type 5, length 9 (0x0a09); "RSP-cell1"
    b.extend([0x0A, 0x09]);
    b.extend(b"RSP-cell1");
    // System Description: type 6, length 16 (0x0c10); "Hirschmann HiOS3"
    b.extend([0x0C, 0x10]);
    b.extend(b"Hirschmann HiOS3");
    // System Capabilities: type 7, length 4 (0x0e04); supported 0x0014 (bridge, router),
    // enabled 0x0004 (bridge)
    b.extend([0x0E, 0x04, 0x00, 0x14, 0x00, 0x04]);
    // Management Address: type 8, length 12 (0x100c); address string length 5, subtype 1
    // IPv4, 10.10.1.2; interface subtype 2 ifIndex, number 1; OID length 0
    b.extend([0x10, 0x0C, 0x05, 0x01, 10, 10, 1, 2, 0x02, 0, 0, 0, 1, 0x00]);
    // Org 802.1 (00-80-c2) subtype 1 port VLAN id: type 127, length 6 (0xfe06); VLAN 10
    b.extend([0xFE, 0x06, 0x00, 0x80, 0xC2, 0x01, 0x00, 0x0A]);
    // Org 802.1 subtype 3 VLAN name: length 12 (0xfe0c); VLAN 10, name length 5, "cell1"
    b.extend([0xFE, 0x0C, 0x00, 0x80, 0xC2, 0x03, 0x00, 0x0A, 0x05]);
    b.extend(b"cell1");
    // Org 802.3 (00-12-0f) subtype 1 MAC/PHY: length 9 (0xfe09); autoneg 0x03, advertised
    // 0x6c00, operational MAU 16 (100BaseTXFD)
    b.extend([
        0xFE, 0x09, 0x00, 0x12, 0x0F, 0x01, 0x03, 0x6C, 0x00, 0x00, 0x10,
    ]);
    // Org 802.3 subtype 4 max frame size: length 6 (0xfe06); 1522
    b.extend([0xFE, 0x06, 0x00, 0x12, 0x0F, 0x04, 0x05, 0xF2]);
    // Org LLDP-MED (00-12-bb) subtype 1 capabilities: length 7 (0xfe07); caps 0x0033,
    // class 4 network connectivity
    b.extend([0xFE, 0x07, 0x00, 0x12, 0xBB, 0x01, 0x00, 0x33, 0x04]);
    // Org LLDP-MED subtype 10 model name: length 9 (0xfe09); "RSP35"
    b.extend([0xFE, 0x09, 0x00, 0x12, 0xBB, 0x0A]);
    b.extend(b"RSP35");
    // Org LLDP-MED subtype 6 firmware revision: length 12 (0xfe0c); "08.1.02!"
    b.extend([0xFE, 0x0C, 0x00, 0x12, 0xBB, 0x06]);
    b.extend(b"08.1.02!");
    // Org PROFINET (00-0e-cf) subtype 2 port status: length 8 (0xfe08); RTC2 0, RTC3 0
    b.extend([0xFE, 0x08, 0x00, 0x0E, 0xCF, 0x02, 0x00, 0x00, 0x00, 0x00]);
    // Org PROFINET subtype 5 chassis MAC: length 10 (0xfe0a); 00:80:63:10:20:00
    b.extend([
        0xFE, 0x0A, 0x00, 0x0E, 0xCF, 0x05, 0x00, 0x80, 0x63, 0x10, 0x20, 0x00,
    ]);
    // Org PROFINET subtype 3 alias: length 16 (0xfe10); "port-003.rsp"
    b.extend([0xFE, 0x10, 0x00, 0x0E, 0xCF, 0x03]);
    b.extend(b"port-003.rsp");
    // Org PROFINET subtype 4 MRP port status: length 22 (0xfe16); domain UUID 16 x 0x11,
    // MRRT status 0x0000
    b.extend([0xFE, 0x16, 0x00, 0x0E, 0xCF, 0x04]);
    b.extend([0x11; 16]);
    b.extend([0x00, 0x00]);
    // Org PROFINET subtype 6 PTCP status: length 10 (0xfe0a); master 00:0e:cf:00:00:01
    b.extend([
        0xFE, 0x0A, 0x00, 0x0E, 0xCF, 0x06, 0x00, 0x0E, 0xCF, 0x00, 0x00, 0x01,
    ]);
    // Org PROFINET subtype 1 measured delay: length 24 (0xfe18); five u32 delays
    b.extend([0xFE, 0x18, 0x00, 0x0E, 0xCF, 0x01]);
    b.extend([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
    // Org PROFINET subtype 7 MAU type extension: length 6 (0xfe06); 0x0100
    b.extend([0xFE, 0x06, 0x00, 0x0E, 0xCF, 0x07, 0x01, 0x00]);
    // Org unknown OUI 00-00-0c subtype 1: length 5 (0xfe05); one byte
    b.extend([0xFE, 0x05, 0x00, 0x00, 0x0C, 0x01, 0x99]);
    // End of LLDPDU, then Ethernet padding
    b.extend([0x00, 0x00, 0x00, 0x00, 0x00]);
    b
}

#[test]
fn lldp_parses_every_tlv() {
    let b = lldp_full();
    let (_, l) = parse_lldp(&b).unwrap();
    assert!(l.anomalies.is_empty(), "{:?}", l.anomalies);
    assert!(l.end);
    assert_eq!(l.chassis_mac(), Some(mac("00:80:63:10:20:00")));
    assert_eq!(
        l.port,
        Some(LldpId {
            subtype: 5,
            id: b"1/3"
        })
    );
    assert_eq!(l.ttl, Some(120));
    assert_eq!(l.port_desc, Some(&b"Port 3"[..]));
    assert_eq!(l.sys_name, Some(&b"RSP-cell1"[..]));
    assert_eq!(l.sys_desc, Some(&b"Hirschmann HiOS3"[..]));
    assert_eq!(l.caps, Some((0x0014, 0x0004)));
    assert_eq!(l.mgmt.len(), 1);
    assert_eq!(l.mgmt[0].ip(), Some(ip("10.10.1.2")));
    assert_eq!(l.mgmt[0].if_subtype, 2);
    assert_eq!(l.mgmt[0].if_number, 1);
    assert_eq!(
        l.org,
        vec![
            Org::PortVlan(10),
            Org::VlanName {
                vlan: 10,
                name: b"cell1"
            },
            Org::MacPhy {
                autoneg: 3,
                advertised: 0x6C00,
                mau: 16
            },
            Org::MaxFrameSize(1522),
            Org::MedCapabilities {
                caps: 0x33,
                class: 4
            },
            Org::MedInventory {
                subtype: 10,
                value: b"RSP35"
            },
            Org::MedInventory {
                subtype: 6,
                value: b"08.1.02!"
            },
            Org::PnPortStatus { rtc2: 0, rtc3: 0 },
            Org::PnChassisMac(mac("00:80:63:10:20:00")),
            Org::PnAlias(b"port-003.rsp"),
            Org::PnMrpPortStatus {
                domain: [0x11; 16],
                status: 0
            },
            Org::PnPtcpStatus {
                master: mac("00:0e:cf:00:00:01")
            },
            Org::PnDelay {
                rx_local: 1,
                rx_remote: 2,
                tx_local: 3,
                tx_remote: 4,
                cable: 5
            },
            Org::PnMauTypeExt(0x0100),
            Org::Other {
                oui: [0, 0, 0x0C],
                subtype: 1,
                info: &[0x99]
            },
        ]
    );
}

#[test]
fn lldp_reports_on_port_mac_chassis_mac_and_mgmt_ip() {
    let b = lldp_full();
    let st = run(Net::Lldp(&b), &l2("00:80:63:10:20:03", "01:80:c2:00:00:0e"));
    let subjects = [
        Subject::Mac(mac("00:80:63:10:20:03")),
        Subject::Mac(mac("00:80:63:10:20:00")),
        Subject::Ip(ip("10.10.1.2")),
    ];
    for s in subjects {
        assert_eq!(claim(&st, s, "hostname"), ["RSP-cell1"], "{s:?}");
        assert_eq!(claim(&st, s, "lldp.system_name"), ["RSP-cell1"]);
        assert_eq!(
            claim(&st, s, "lldp.system_description"),
            ["Hirschmann HiOS3"]
        );
        assert_eq!(claim(&st, s, "model"), ["RSP35"]);
        assert_eq!(claim(&st, s, "firmware"), ["08.1.02!"]);
        assert_eq!(fact(&st, s, "lldp.capabilities"), ["bridge"]);
        assert_eq!(
            fact(&st, s, "lldp.capabilities_supported"),
            ["bridge,router"]
        );
        assert_eq!(fact(&st, s, "lldp.port_vlan"), ["10"]);
        assert_eq!(fact(&st, s, "lldp.vlan_name"), ["10 cell1"]);
        assert_eq!(fact(&st, s, "lldp.mau_type"), ["100BaseTXFD"]);
        assert_eq!(fact(&st, s, "lldp.max_frame_size"), ["1522"]);
        assert_eq!(fact(&st, s, "lldp.med_class"), ["network_connectivity"]);
        assert_eq!(fact(&st, s, "lldp.neighbor"), ["port 1/3 sys RSP-cell1"]);
        assert_eq!(fact(&st, s, "lldp.port_description"), ["Port 3"]);
        assert_eq!(
            fact(&st, s, "lldp.profinet"),
            [
                "port_status,chassis_mac,alias,mrp_port_status,ptcp_status,measured_delay,mau_type_extension"
            ]
        );
        assert_eq!(fact(&st, s, "lldp.profinet_alias"), ["port-003.rsp"]);
        assert_eq!(fact(&st, s, "lldp.ptcp_master"), ["00:0e:cf:00:00:01"]);
    }
    // The management IP is bound to the chassis MAC, and the MACs to the IP.
    assert_eq!(
        fact(&st, Subject::Ip(ip("10.10.1.2")), "lldp.mgmt_mac"),
        ["00:80:63:10:20:00"]
    );
    assert_eq!(
        fact(
            &st,
            Subject::Mac(mac("00:80:63:10:20:03")),
            "lldp.mgmt_address"
        ),
        ["10.10.1.2"]
    );
    // The chassis ID is a MAC, not a NameOfStation: no `name` claim.
    assert!(claim(&st, subjects[0], "name").is_empty());
    assert!(st.anomalies.is_empty());
}

/// The LLDP frame of `captures/public/enip/cisagov__enip_cip_example.pcap` frame 623
/// (after the Ethernet header), as tshark decodes it: chassis MAC 64:4b:f0:2b:31:71, port
/// MAC, TTL 3601, 802.3 MAC/PHY, LLDP-MED capabilities class I, End, trailer.
#[test]
fn lldp_real_frame_from_public_capture() {
    let b = hex(
        "020704644bf02b3171040703644bf02b317106020e11fe0900120f010300010000\
                 fe070012bb0100010100000000",
    );
    let (_, l) = parse_lldp(&b).unwrap();
    assert!(l.anomalies.is_empty());
    assert_eq!(l.chassis_mac(), Some(mac("64:4b:f0:2b:31:71")));
    assert_eq!(l.ttl, Some(3601));
    assert_eq!(
        l.org[1],
        Org::MedCapabilities {
            caps: 0x0001,
            class: 1
        }
    );
    let st = run(Net::Lldp(&b), &l2("64:4b:f0:2b:31:71", "01:80:c2:00:00:0e"));
    let s = Subject::Mac(mac("64:4b:f0:2b:31:71"));
    assert_eq!(fact(&st, s, "lldp.port_id"), ["64:4b:f0:2b:31:71"]);
    assert_eq!(fact(&st, s, "lldp.med_class"), ["endpoint_class_1"]);
    assert_eq!(fact(&st, s, "lldp.mau_type"), ["0"]);
}

/// A PROFINET device: NameOfStation as locally assigned chassis ID, port "port-001",
/// PROFINET chassis MAC TLV that differs from the port MAC.
#[test]
fn lldp_profinet_device_name_and_chassis_mac() {
    let mut b = Vec::new();
    // Chassis ID: length 14 (0x020e); subtype 7 locally assigned; "et200sp-line1"
    b.extend([0x02, 0x0E, 0x07]);
    b.extend(b"et200sp-line1");
    // Port ID: length 9 (0x0409); subtype 7 locally assigned; "port-001"
    b.extend([0x04, 0x09, 0x07]);
    b.extend(b"port-001");
    // TTL 20
    b.extend([0x06, 0x02, 0x00, 0x14]);
    // Management address 192.168.0.20
    b.extend([
        0x10, 0x0C, 0x05, 0x01, 192, 168, 0, 20, 0x02, 0, 0, 0, 1, 0x00,
    ]);
    // PROFINET chassis MAC 28:63:36:aa:bb:01
    b.extend([
        0xFE, 0x0A, 0x00, 0x0E, 0xCF, 0x05, 0x28, 0x63, 0x36, 0xAA, 0xBB, 0x01,
    ]);
    // End
    b.extend([0x00, 0x00]);
    let st = run(Net::Lldp(&b), &l2("28:63:36:aa:bb:02", "01:80:c2:00:00:0e"));
    for s in [
        Subject::Mac(mac("28:63:36:aa:bb:02")),
        Subject::Mac(mac("28:63:36:aa:bb:01")),
        Subject::Ip(ip("192.168.0.20")),
    ] {
        assert_eq!(claim(&st, s, "name"), ["et200sp-line1"], "{s:?}");
        assert_eq!(claim(&st, s, "lldp.chassis_id"), ["et200sp-line1"]);
        assert!(claim(&st, s, "hostname").is_empty());
    }
    assert_eq!(
        fact(&st, Subject::Ip(ip("192.168.0.20")), "lldp.mgmt_mac"),
        ["28:63:36:aa:bb:01"]
    );
}

#[test]
fn lldp_chassis_network_address_is_a_subject() {
    let mut b = Vec::new();
    // Chassis ID: length 6; subtype 5 network address; family 1 IPv4; 10.10.3.40
    b.extend([0x02, 0x06, 0x05, 0x01, 10, 10, 3, 40]);
    // Port ID: length 7; subtype 3 MAC; 00:1b:54:11:22:33
    b.extend([0x04, 0x07, 0x03, 0x00, 0x1B, 0x54, 0x11, 0x22, 0x33]);
    // TTL 180; System Name "SEP1"; End
    b.extend([
        0x06, 0x02, 0x00, 0xB4, 0x0A, 0x04, b'S', b'E', b'P', b'1', 0x00, 0x00,
    ]);
    let (_, l) = parse_lldp(&b).unwrap();
    assert_eq!(l.chassis_ip(), Some(ip("10.10.3.40")));
    assert_eq!(l.chassis_mac(), None);
    let st = run(Net::Lldp(&b), &l2("00:1b:54:11:22:33", "01:80:c2:00:00:0e"));
    assert_eq!(
        claim(&st, Subject::Ip(ip("10.10.3.40")), "hostname"),
        ["SEP1"]
    );
    assert_eq!(
        fact(&st, Subject::Ip(ip("10.10.3.40")), "lldp.mgmt_mac"),
        ["00:1b:54:11:22:33"]
    );
}

#[test]
fn lldp_malformed_frames_are_anomalies() {
    // Chassis, Port, TTL, then System Name length 100 with 3 bytes: truncated.
    let mut b = vec![0x02, 0x07, 0x04, 0, 0x80, 0x63, 0, 0, 1];
    b.extend([0x04, 0x02, 0x07, b'1', 0x06, 0x02, 0x00, 0x78]);
    b.extend([0x0A, 100, b'a', b'b', b'c']);
    let (_, l) = parse_lldp(&b).unwrap();
    assert_eq!(l.anomalies, ["lldp_tlv_truncated"]);
    // TTL first, no Chassis/Port: mandatory TLVs missing; a TTL of one byte is bad.
    let b = [0x06, 0x01, 0x00, 0x00, 0x00];
    let (_, l) = parse_lldp(&b).unwrap();
    assert!(l.anomalies.contains(&"lldp_mandatory_tlv_missing"));
    assert!(l.anomalies.contains(&"lldp_bad_ttl_tlv"));
    // No End TLV.
    let b = [
        0x02, 0x02, 0x07, b'x', 0x04, 0x02, 0x07, b'y', 0x06, 0x02, 0, 1,
    ];
    let (_, l) = parse_lldp(&b).unwrap();
    assert_eq!(l.anomalies, ["lldp_no_end_tlv"]);
    // Bad capabilities length, bad management address, short org TLV.
    let mut b = vec![
        0x02, 0x02, 0x07, b'x', 0x04, 0x02, 0x07, b'y', 0x06, 0x02, 0, 1,
    ];
    b.extend([0x0E, 0x02, 0x00, 0x04]); // capabilities of 2 bytes
    b.extend([0x10, 0x02, 0x09, 0x01]); // mgmt address string length 9 > TLV
    b.extend([0xFE, 0x05, 0x00, 0x80, 0xC2, 0x01, 0x00]); // port VLAN with 1 byte
    b.extend([0xFE, 0x02, 0x00, 0x80]); // org TLV shorter than OUI + subtype
    b.extend([0x00, 0x00]);
    let (_, l) = parse_lldp(&b).unwrap();
    assert_eq!(
        l.anomalies,
        [
            "lldp_bad_capabilities_tlv",
            "lldp_bad_mgmt_addr_tlv",
            "lldp_bad_org_tlv"
        ]
    );
    // An empty ID TLV.
    let b = [0x02, 0x00, 0x04, 0x02, 0x07, b'y', 0x06, 0x02, 0, 1, 0, 0];
    let (_, l) = parse_lldp(&b).unwrap();
    assert_eq!(l.anomalies, ["lldp_bad_id_tlv"]);
    // Fewer than two bytes: no LLDPDU at all.
    assert!(parse_lldp(&[0x02]).is_err());
    let st = run(
        Net::Lldp(&[0x02]),
        &l2("00:00:00:00:00:01", "01:80:c2:00:00:0e"),
    );
    assert_eq!(anomalies(&st), ["lldp_truncated"]);
}

#[test]
fn lldp_tlv_count_is_bounded() {
    // 200 Port Description TLVs of length 0 after the mandatory ones.
    let mut b = vec![
        0x02, 0x02, 0x07, b'x', 0x04, 0x02, 0x07, b'y', 0x06, 0x02, 0, 1,
    ];
    for _ in 0..200 {
        b.extend([0x08, 0x00]);
    }
    let (_, l) = parse_lldp(&b).unwrap();
    assert!(l.anomalies.contains(&"lldp_too_many_tlvs"));
}

// ---------------------------------------------------------------------------------------------
// CDP
// ---------------------------------------------------------------------------------------------

/// CDP of `captures/public/enip/iti__EIP-IPAddressChangeAttempt.pcap` frame 272 (after
/// LLC/SNAP, 327 bytes: an odd length whose last byte is 0xff, the case of Cisco's signed
/// checksum quirk): Cisco CE500 switch "Ns5gt", tshark: checksum 0x0ab0 correct.
const CDP_CE500: &str = "02b40ab0000100094e73356774000500bc436973636f20494f5320536f6674776172652c\
    20434535303020536f667477617265202843453530302d4c414e424153452d4d292c2056657273696f6e2031\
    322e3228323529534547342c2052454c4541534520534f4654574152452028666331290a436f707972696768\
    742028632920313938362d3230303720627920436973636f2053797374656d732c20496e632e0a436f6d7069\
    6c6564204d6f6e2031332d4175672d30372031373a33342062792079656e616e6800060017636973636f2057\
    532d43453530302d3234545400020011000000010101cc0004c0a80afd0003001447696761626974457468\
    65726e657431000400080000002800090004000a00060003000b0005010012000500001300050000160011\
    000000010101cc0004c0a80afd001a00100000000100000000ffffffff";

#[test]
fn cdp_real_frame_from_public_capture() {
    let b = hex(CDP_CE500);
    assert_eq!(b.len(), 327);
    let (_, c) = parse_cdp(&b).unwrap();
    assert!(c.anomalies.is_empty(), "{:?}", c.anomalies);
    assert!(c.checksum_ok);
    assert_eq!(c.version, 2);
    assert_eq!(c.ttl, 180);
    assert_eq!(c.device_id, Some(&b"Ns5gt"[..]));
    assert_eq!(c.platform, Some(&b"cisco WS-CE500-24TT"[..]));
    assert_eq!(c.addresses, [ip("192.168.10.253")]);
    assert_eq!(c.mgmt_addresses, [ip("192.168.10.253")]);
    assert_eq!(c.port_id, Some(&b"GigabitEthernet1"[..]));
    assert_eq!(c.capabilities, Some(0x28));
    assert_eq!(c.vtp_domain, Some(&b""[..]));
    assert_eq!(c.native_vlan, Some(3));
    assert_eq!(c.duplex, Some(1));
    let st = run(Net::Cdp(&b), &l2("00:1e:f6:73:59:81", "01:00:0c:cc:cc:cc"));
    for s in [
        Subject::Mac(mac("00:1e:f6:73:59:81")),
        Subject::Ip(ip("192.168.10.253")),
    ] {
        assert_eq!(claim(&st, s, "hostname"), ["Ns5gt"]);
        assert_eq!(claim(&st, s, "cdp.device_id"), ["Ns5gt"]);
        assert_eq!(claim(&st, s, "cdp.platform"), ["cisco WS-CE500-24TT"]);
        assert_eq!(claim(&st, s, "model"), ["WS-CE500-24TT"]);
        assert_eq!(claim(&st, s, "vendor"), ["Cisco"]);
        assert_eq!(claim(&st, s, "firmware"), ["12.2(25)SEG4"]);
        assert!(
            claim(&st, s, "cdp.software_version")[0]
                .starts_with("Cisco IOS Software, CE500 Software (CE500-LANBASE-M), Version")
        );
        assert_eq!(fact(&st, s, "cdp.capabilities"), ["switch,igmp"]);
        assert_eq!(fact(&st, s, "cdp.native_vlan"), ["3"]);
        assert_eq!(fact(&st, s, "cdp.duplex"), ["full"]);
        assert_eq!(fact(&st, s, "cdp.port_id"), ["GigabitEthernet1"]);
        assert_eq!(
            fact(&st, s, "cdp.neighbor"),
            ["port GigabitEthernet1 dev Ns5gt"]
        );
        // An empty VTP domain is not a fact.
        assert!(fact(&st, s, "cdp.vtp_domain").is_empty());
    }
    assert_eq!(
        fact(&st, Subject::Ip(ip("192.168.10.253")), "cdp.mgmt_mac"),
        ["00:1e:f6:73:59:81"]
    );
    assert!(st.anomalies.is_empty());
}

#[test]
fn cdp_checksum_variants() {
    // Odd length, last byte 0x31 < 0x80 (scapy-built, tshark: checksum 0x899b correct):
    // version 2, TTL 180, checksum 0x899b, Device ID (type 1, length 7) "sw1".
    let odd = [
        0x02, 0xB4, 0x89, 0x9B, 0x00, 0x01, 0x00, 0x07, b's', b'w', b'1',
    ];
    assert!(cdp_checksum_ok(&odd));
    // Even length (tshark: 0x5c6a correct): Device ID (length 8) "sw-a".
    let even = [
        0x02, 0xB4, 0x5C, 0x6A, 0x00, 0x01, 0x00, 0x08, b's', b'w', b'-', b'a',
    ];
    assert!(cdp_checksum_ok(&even));
    // Ethernet padding after the PDU does not count.
    let mut padded = even.to_vec();
    padded.extend([0u8; 20]);
    let (_, c) = parse_cdp(&padded).unwrap();
    assert!(c.checksum_ok && c.anomalies.is_empty());
    // A flipped bit is an anomaly, the PDU is still read.
    let mut bad = odd;
    bad[9] ^= 0x01;
    let (_, c) = parse_cdp(&bad).unwrap();
    assert_eq!(c.anomalies, ["cdp_bad_checksum"]);
    assert_eq!(c.device_id, Some(&b"sv1"[..]));
}

#[test]
fn cdp_ipv6_address_system_name_and_malformed_tlvs() {
    let mut b = vec![0x02, 0xB4, 0x00, 0x00];
    // Addresses (type 2): length 4 + 4 + 1+1+8+2+16 = 36 (0x24); count 1; protocol type 2
    // (802.2), length 8, AA AA 03 00 00 00 86 DD; address length 16; 2001:db8::1
    b.extend([0x00, 0x02, 0x00, 0x24, 0, 0, 0, 1, 0x02, 0x08]);
    b.extend([0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x86, 0xDD, 0x00, 0x10]);
    b.extend([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    // System Name (type 0x14): length 8; "ie-1"
    b.extend([0x00, 0x14, 0x00, 0x08, b'i', b'e', b'-', b'1']);
    // Capabilities with 2 bytes (bad), Native VLAN with 1 byte (bad), Duplex empty (bad)
    b.extend([0x00, 0x04, 0x00, 0x06, 0x00, 0x01]);
    b.extend([0x00, 0x0A, 0x00, 0x05, 0x01]);
    b.extend([0x00, 0x0B, 0x00, 0x04]);
    // A TLV with length 2 (< 4): truncated, the walk stops.
    b.extend([0x00, 0x06, 0x00, 0x02, 0x41, 0x41]);
    let (_, c) = parse_cdp(&b).unwrap();
    assert_eq!(c.addresses, [ip("2001:db8::1")]);
    assert_eq!(c.sys_name, Some(&b"ie-1"[..]));
    for a in [
        "cdp_bad_capabilities_tlv",
        "cdp_bad_native_vlan_tlv",
        "cdp_bad_duplex_tlv",
        "cdp_tlv_truncated",
        "cdp_bad_checksum",
    ] {
        assert!(c.anomalies.contains(&a), "{a} in {:?}", c.anomalies);
    }
    // Version 9 is unknown; an address list that runs out is bad.
    let b = [
        0x09, 0xB4, 0, 0, 0x00, 0x02, 0x00, 0x0A, 0, 0, 0, 5, 0x01, 0x01,
    ];
    let (_, c) = parse_cdp(&b).unwrap();
    assert!(c.anomalies.contains(&"cdp_unknown_version"));
    assert!(c.anomalies.contains(&"cdp_bad_address_tlv"));
    assert!(parse_cdp(&[0x02, 0xB4, 0x00]).is_err());
    let st = run(
        Net::Cdp(&[0x02]),
        &l2("00:1e:f6:00:00:01", "01:00:0c:cc:cc:cc"),
    );
    assert_eq!(anomalies(&st), ["cdp_truncated"]);
}

#[test]
fn cdp_version_token_and_vendor_rule() {
    assert_eq!(
        version_token("Cisco IOS Software, IE3x00 (X), Version 17.3.4, RELEASE"),
        Some("17.3.4")
    );
    assert_eq!(
        version_token("Version 12.2(25)SEG4\n"),
        Some("12.2(25)SEG4")
    );
    assert_eq!(version_token("Version unknown"), None);
    assert_eq!(version_token("no version here"), None);
    // A non-Cisco CDP speaker (platform without "cisco") gets no vendor claim.
    let mut b = vec![0x02, 0xB4, 0x00, 0x00];
    b.extend([
        0x00, 0x06, 0x00, 0x0B, b'V', b'M', b'w', b'a', b'r', b'e', b'!',
    ]);
    let st = run(Net::Cdp(&b), &l2("00:50:56:00:00:01", "01:00:0c:cc:cc:cc"));
    let s = Subject::Mac(mac("00:50:56:00:00:01"));
    assert_eq!(claim(&st, s, "model"), ["VMware!"]);
    assert!(claim(&st, s, "vendor").is_empty());
}

// ---------------------------------------------------------------------------------------------
// PROFINET DCP
// ---------------------------------------------------------------------------------------------

/// FrameID + DCP header + blocks.
fn dcp(frame_id: u16, service_id: u8, service_type: u8, blocks: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(frame_id.to_be_bytes()); // FrameID
    b.push(service_id); // ServiceID
    b.push(service_type); // ServiceType
    b.extend([0x00, 0x00, 0x10, 0x01]); // Xid 0x1001
    b.extend([0x00, 0x01]); // ResponseDelay (Identify request) / reserved
    b.extend((blocks.len() as u16).to_be_bytes()); // DCPDataLength
    b.extend(blocks);
    b
}

/// Identify response blocks of an ET 200SP.
fn et200sp_blocks() -> Vec<u8> {
    let mut b = Vec::new();
    // IP/IP parameter: option 1, suboption 2, length 14, BlockInfo 1 (IP set),
    // 192.168.0.20, 255.255.255.0, gateway 0.0.0.0
    b.extend([0x01, 0x02, 0x00, 0x0E, 0x00, 0x01]);
    b.extend([192, 168, 0, 20, 255, 255, 255, 0, 0, 0, 0, 0]);
    // Device/type of station: 2/1, length 9, BlockInfo 0, "ET200SP", padding byte
    b.extend([0x02, 0x01, 0x00, 0x09, 0x00, 0x00]);
    b.extend(b"ET200SP");
    b.push(0x00);
    // Device/NameOfStation: 2/2, length 15, BlockInfo 0, "et200sp-line1", padding
    b.extend([0x02, 0x02, 0x00, 0x0F, 0x00, 0x00]);
    b.extend(b"et200sp-line1");
    b.push(0x00);
    // Device/DeviceID: 2/3, length 6, BlockInfo 0, VendorID 0x002a, DeviceID 0x0313
    b.extend([0x02, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x2A, 0x03, 0x13]);
    // Device/DeviceRole: 2/4, length 4, BlockInfo 0, role 0x01 IO device, reserved
    b.extend([0x02, 0x04, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00]);
    // Device/DeviceOptions: 2/5, length 8, BlockInfo 0, options 1/2, 2/2, 5/3
    b.extend([
        0x02, 0x05, 0x00, 0x08, 0x00, 0x00, 0x01, 0x02, 0x02, 0x02, 0x05, 0x03,
    ]);
    // Device/AliasName: 2/6, length 24, BlockInfo 0, "port-001.et200sp-line1"
    b.extend([0x02, 0x06, 0x00, 0x18, 0x00, 0x00]);
    b.extend(b"port-001.et200sp-line1");
    // Device/DeviceInstance: 2/7, length 4, BlockInfo 0, high 0, low 100
    b.extend([0x02, 0x07, 0x00, 0x04, 0x00, 0x00, 0x00, 0x64]);
    // Device/OEM DeviceID: 2/8, length 6, BlockInfo 0, OEM vendor 0x0153, device 0x0201
    b.extend([0x02, 0x08, 0x00, 0x06, 0x00, 0x00, 0x01, 0x53, 0x02, 0x01]);
    // DHCP/client identifier (61): 3/61, length 5, BlockInfo 0, 61, 1, 1 (MAC), padding
    b.extend([0x03, 0x3D, 0x00, 0x05, 0x00, 0x00, 0x3D, 0x01, 0x01, 0x00]);
    // Device initiative: 6/1, length 4, BlockInfo 0, value 1 (Hello after power on)
    b.extend([0x06, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]);
    // IP/MAC: 1/1, length 8, BlockInfo 0, 28:63:36:aa:bb:01
    b.extend([
        0x01, 0x01, 0x00, 0x08, 0x00, 0x00, 0x28, 0x63, 0x36, 0xAA, 0xBB, 0x01,
    ]);
    // Manufacturer specific 0x80/0x01, length 4, BlockInfo 0, 2 bytes
    b.extend([0x80, 0x01, 0x00, 0x04, 0x00, 0x00, 0xAB, 0xCD]);
    b
}

#[test]
fn dcp_identify_response_blocks() {
    let b = dcp(FRAME_ID_IDENT_RES, SVC_IDENTIFY, 1, &et200sp_blocks());
    let (_, d) = parse_dcp(&b).unwrap();
    assert!(d.anomalies.is_empty(), "{:?}", d.anomalies);
    assert_eq!(d.header.xid, 0x1001);
    let values: Vec<DcpValue<'_>> = d.blocks.iter().map(|b| b.value).collect();
    assert_eq!(
        values,
        vec![
            DcpValue::IpParam {
                ip: Ipv4Addr::new(192, 168, 0, 20),
                mask: Ipv4Addr::new(255, 255, 255, 0),
                gateway: Ipv4Addr::UNSPECIFIED
            },
            DcpValue::TypeOfStation(b"ET200SP"),
            DcpValue::NameOfStation(b"et200sp-line1"),
            DcpValue::DeviceId {
                vendor: 0x2A,
                device: 0x0313
            },
            DcpValue::DeviceRole(1),
            DcpValue::DeviceOptions(&[1, 2, 2, 2, 5, 3]),
            DcpValue::AliasName(b"port-001.et200sp-line1"),
            DcpValue::DeviceInstance { high: 0, low: 100 },
            DcpValue::OemDeviceId {
                vendor: 0x0153,
                device: 0x0201
            },
            DcpValue::Dhcp(&[0x3D, 0x01, 0x01]),
            DcpValue::DeviceInitiative(1),
            DcpValue::Mac(mac("28:63:36:aa:bb:01")),
            DcpValue::Raw(&[0xAB, 0xCD]),
        ]
    );
    assert_eq!(d.blocks[0].info, Some(1));

    let st = run(
        Net::Profinet(&b),
        &l2("28:63:36:aa:bb:01", "18:66:da:4f:54:60"),
    );
    for s in [
        Subject::Mac(mac("28:63:36:aa:bb:01")),
        Subject::Ip(ip("192.168.0.20")),
    ] {
        assert_eq!(claim(&st, s, "name"), ["et200sp-line1"], "{s:?}");
        assert_eq!(claim(&st, s, "profinet.station_name"), ["et200sp-line1"]);
        assert_eq!(claim(&st, s, "model"), ["ET200SP"]);
        assert_eq!(claim(&st, s, "profinet.type_of_station"), ["ET200SP"]);
        assert_eq!(claim(&st, s, "profinet.vendor_id"), ["0x002a"]);
        assert_eq!(claim(&st, s, "profinet.device_id"), ["0x0313"]);
        assert_eq!(claim(&st, s, "vendor"), ["Siemens"]);
        assert_eq!(claim(&st, s, "profinet.oem_vendor_id"), ["0x0153"]);
        assert_eq!(claim(&st, s, "profinet.oem_device_id"), ["0x0201"]);
        assert_eq!(
            claim(&st, s, "profinet.alias_name"),
            ["port-001.et200sp-line1"]
        );
        assert_eq!(fact(&st, s, "profinet.role"), ["io_device"]);
        assert_eq!(fact(&st, s, "profinet.device_instance"), ["0.100"]);
        assert_eq!(
            fact(&st, s, "profinet.device_options"),
            ["ip/ip_parameter,device/name_of_station,control/signal"]
        );
        assert_eq!(
            fact(&st, s, "profinet.device_initiative"),
            ["hello_after_power_on"]
        );
        assert_eq!(fact(&st, s, "profinet.dhcp"), ["61"]);
    }
    let m = Subject::Mac(mac("28:63:36:aa:bb:01"));
    assert_eq!(fact(&st, m, "profinet.ip"), ["192.168.0.20"]);
    assert_eq!(fact(&st, m, "profinet.netmask"), ["255.255.255.0"]);
    assert!(fact(&st, m, "profinet.gateway").is_empty());
    assert_eq!(fact(&st, m, "profinet.ip_state"), ["ip_set"]);
    assert_eq!(
        fact(&st, Subject::Ip(ip("192.168.0.20")), "profinet.mac"),
        ["28:63:36:aa:bb:01"]
    );
    // Claims come from the identify response.
    assert!(
        st.claims
            .keys()
            .all(|k| k.source == "profinet.dcp_identify")
    );
    assert!(st.anomalies.is_empty());
}

#[test]
fn dcp_identify_request_all_and_filtered() {
    // All selector: option 255, suboption 255, length 0 (no BlockInfo in requests).
    let b = dcp(
        FRAME_ID_IDENT_REQ,
        SVC_IDENTIFY,
        0,
        &[0xFF, 0xFF, 0x00, 0x00],
    );
    let (_, d) = parse_dcp(&b).unwrap();
    assert_eq!(d.header.response_delay, 1);
    assert_eq!(d.blocks[0].value, DcpValue::All);
    assert_eq!(d.blocks[0].info, None);
    let st = run(
        Net::Profinet(&b),
        &l2("18:66:da:4f:54:60", "01:0e:cf:00:00:00"),
    );
    let eng = Subject::Mac(mac("18:66:da:4f:54:60"));
    assert_eq!(fact(&st, eng, "profinet.identify_request"), ["all"]);
    assert!(st.claims.is_empty());
    // Filter on NameOfStation: 2/2, length 9, "plc-line1", padding byte.
    let mut f = vec![0x02, 0x02, 0x00, 0x09];
    f.extend(b"plc-line1");
    f.push(0x00);
    let b = dcp(FRAME_ID_IDENT_REQ, SVC_IDENTIFY, 0, &f);
    let st = run(
        Net::Profinet(&b),
        &l2("18:66:da:4f:54:60", "01:0e:cf:00:00:00"),
    );
    assert_eq!(
        fact(&st, eng, "profinet.identify_request"),
        ["name_of_station=plc-line1"]
    );
    assert!(st.anomalies.is_empty());
}

#[test]
fn dcp_set_requests_and_response() {
    let (eng, dev) = ("18:66:da:4f:54:60", "28:63:36:aa:bb:03");
    // Set NameOfStation: 2/2, length 15 (BlockQualifier 2 + 13), qualifier 1 (permanent),
    // "et200sp-line2", padding.
    let mut blk = vec![0x02, 0x02, 0x00, 0x0F, 0x00, 0x01];
    blk.extend(b"et200sp-line2");
    blk.push(0x00);
    // Control/signal: 5/3, length 4, qualifier 0, signal value 0x0100
    blk.extend([0x05, 0x03, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00]);
    // Control/end transaction: 5/2, length 2, qualifier 0
    blk.extend([0x05, 0x02, 0x00, 0x02, 0x00, 0x00]);
    let b = dcp(FRAME_ID_GET_SET, SVC_SET, 0, &blk);
    let (_, d) = parse_dcp(&b).unwrap();
    assert!(d.anomalies.is_empty());
    assert_eq!(d.blocks[0].info, Some(1));
    assert_eq!(d.blocks[0].value, DcpValue::NameOfStation(b"et200sp-line2"));
    let st = run(Net::Profinet(&b), &l2(eng, dev));
    assert_eq!(
        fact(&st, Subject::Mac(mac(eng)), "profinet.set_request"),
        [format!("name_of_station=et200sp-line2, signal to {dev}")]
    );
    assert_eq!(
        fact(&st, Subject::Mac(mac(dev)), "profinet.set_received"),
        [format!("name_of_station=et200sp-line2, signal from {eng}")]
    );
    assert_eq!(
        claim(&st, Subject::Mac(mac(dev)), "profinet.station_name"),
        ["et200sp-line2"]
    );
    // Set IP: 1/2, length 14, qualifier 1, 192.168.0.21/255.255.255.0 gw 192.168.0.254
    let mut blk = vec![0x01, 0x02, 0x00, 0x0E, 0x00, 0x01];
    blk.extend([192, 168, 0, 21, 255, 255, 255, 0, 192, 168, 0, 254]);
    // Control/factory reset: 5/5, length 2, qualifier 2
    blk.extend([0x05, 0x05, 0x00, 0x02, 0x00, 0x02]);
    let b = dcp(FRAME_ID_GET_SET, SVC_SET, 0, &blk);
    let st = run(Net::Profinet(&b), &l2(eng, dev));
    assert_eq!(
        fact(&st, Subject::Mac(mac(eng)), "profinet.set_request"),
        [format!(
            "ip=192.168.0.21/255.255.255.0 gw 192.168.0.254, factory_reset to {dev}"
        )]
    );
    // Set response: Control/Response 5/4, length 3: option 2, suboption 2, error 0, pad.
    let b = dcp(
        FRAME_ID_GET_SET,
        SVC_SET,
        1,
        &[0x05, 0x04, 0x00, 0x03, 0x02, 0x02, 0x00, 0x00],
    );
    let (_, d) = parse_dcp(&b).unwrap();
    assert!(d.anomalies.is_empty());
    assert_eq!(d.blocks[0].value, DcpValue::Control(&[2, 2, 0]));
    let st = run(Net::Profinet(&b), &l2(dev, eng));
    assert_eq!(
        fact(&st, Subject::Mac(mac(dev)), "profinet.set_result"),
        ["device/name_of_station: 0"]
    );
}

#[test]
fn dcp_get_request_response_and_hello() {
    let (eng, dev) = ("18:66:da:4f:54:60", "28:63:36:aa:bb:03");
    // Get request: selectors 2/2 and 1/2 (option, suboption pairs, no lengths).
    let b = dcp(FRAME_ID_GET_SET, SVC_GET, 0, &[0x02, 0x02, 0x01, 0x02]);
    let (_, d) = parse_dcp(&b).unwrap();
    assert_eq!(d.selectors, [(2, 2), (1, 2)]);
    let st = run(Net::Profinet(&b), &l2(eng, dev));
    assert_eq!(
        fact(&st, Subject::Mac(mac(eng)), "profinet.get_request"),
        [format!("device/name_of_station,ip/ip_parameter to {dev}")]
    );
    // Get response: NameOfStation with BlockInfo.
    // NameOfStation 2/2, length 6 (BlockInfo 2 + "io-1")
    let mut blk = vec![0x02, 0x02, 0x00, 0x06, 0x00, 0x00];
    blk.extend(b"io-1");
    let b = dcp(FRAME_ID_GET_SET, SVC_GET, 1, &blk);
    let st = run(Net::Profinet(&b), &l2(dev, eng));
    let s = Subject::Mac(mac(dev));
    assert_eq!(claim(&st, s, "name"), ["io-1"]);
    assert!(st.claims.keys().all(|k| k.source == "profinet.dcp_get"));
    // Hello request (0xFEFC, service 6, type 0): blocks carry BlockInfo; role 0x0a =
    // IO controller + supervisor; IP block info 0x82 = set by DHCP with an address conflict.
    let mut blk = vec![0x02, 0x04, 0x00, 0x04, 0x00, 0x00, 0x0A, 0x00];
    blk.extend([0x01, 0x02, 0x00, 0x0E, 0x00, 0x82]);
    blk.extend([10, 0, 0, 5, 255, 0, 0, 0, 10, 0, 0, 1]);
    let b = dcp(FRAME_ID_HELLO, SVC_HELLO, 0, &blk);
    let st = run(Net::Profinet(&b), &l2(dev, "01:0e:cf:00:00:01"));
    assert_eq!(
        fact(&st, s, "profinet.role"),
        ["io_controller", "io_supervisor"]
    );
    assert_eq!(fact(&st, s, "profinet.ip_state"), ["ip_conflict"]);
    assert_eq!(fact(&st, s, "profinet.gateway"), ["10.0.0.1"]);
    assert_eq!(
        fact(&st, Subject::Ip(ip("10.0.0.5")), "profinet.role"),
        ["io_controller", "io_supervisor"]
    );
}

#[test]
fn dcp_unsupported_response_and_full_ip_suite() {
    // Response "request not supported" (type 5): no claims.
    // NameOfStation 2/2, length 6 (BlockInfo 2 + "io-1")
    let mut blk = vec![0x02, 0x02, 0x00, 0x06, 0x00, 0x00];
    blk.extend(b"io-1");
    let b = dcp(FRAME_ID_IDENT_RES, SVC_IDENTIFY, 5, &blk);
    let st = run(
        Net::Profinet(&b),
        &l2("28:63:36:aa:bb:03", "18:66:da:4f:54:60"),
    );
    assert!(st.claims.is_empty());
    // Full IP suite 1/3: length 30, BlockInfo 1, IP, mask, gateway, 4 DNS servers.
    let mut blk = vec![0x01, 0x03, 0x00, 0x1E, 0x00, 0x01];
    blk.extend([10, 1, 1, 9, 255, 255, 255, 0, 10, 1, 1, 1]);
    blk.extend([10, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let b = dcp(FRAME_ID_IDENT_RES, SVC_IDENTIFY, 1, &blk);
    let (_, d) = parse_dcp(&b).unwrap();
    assert!(matches!(
        d.blocks[0].value,
        DcpValue::FullIpSuite { ip, dns, .. } if ip == Ipv4Addr::new(10, 1, 1, 9)
            && dns[0] == Ipv4Addr::new(10, 1, 1, 2)
    ));
}

#[test]
fn dcp_not_dcp_and_malformed() {
    // Cyclic RT frame (FrameID 0x8000): not DCP, nothing recorded, no anomaly.
    let cyclic = [0x80, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    assert!(!is_dcp(&cyclic));
    assert!(parse_dcp(&cyclic).is_err());
    let st = run(
        Net::Profinet(&cyclic),
        &l2("28:63:36:aa:bb:01", "28:63:36:cc:dd:01"),
    );
    assert!(st.claims.is_empty() && st.facts.is_empty() && st.anomalies.is_empty());
    // Truncated header.
    let st = run(
        Net::Profinet(&[0xFE, 0xFF, 5, 1, 0]),
        &l2("28:63:36:aa:bb:01", "18:66:da:4f:54:60"),
    );
    assert_eq!(anomalies(&st), ["dcp_truncated"]);
    // Data length beyond the frame; block longer than the data; FrameID/service mismatch.
    let mut b = dcp(
        FRAME_ID_IDENT_RES,
        SVC_IDENTIFY,
        1,
        &[0x02, 0x02, 0x00, 0x3C, 0, 0],
    );
    b[10] = 0x01; // DCPDataLength 0x0106: more than the frame holds
    let (_, d) = parse_dcp(&b).unwrap();
    assert_eq!(
        d.anomalies,
        ["dcp_data_length_exceeds_frame", "dcp_block_truncated"]
    );
    let b = dcp(FRAME_ID_IDENT_REQ, SVC_SET, 0, &[]);
    let (_, d) = parse_dcp(&b).unwrap();
    assert_eq!(d.anomalies, ["dcp_frame_id_service_mismatch"]);
    // DeviceID block with 1 byte of data: too short.
    let b = dcp(
        FRAME_ID_IDENT_RES,
        SVC_IDENTIFY,
        1,
        &[0x02, 0x03, 0x00, 0x03, 0x00, 0x00, 0x2A, 0x00],
    );
    let (_, d) = parse_dcp(&b).unwrap();
    assert_eq!(d.anomalies, ["dcp_block_too_short"]);
    assert_eq!(d.blocks[0].value, DcpValue::Raw(&[0x2A]));
}

#[test]
fn other_l2_frames_are_ignored() {
    let st = run(
        Net::OtherL2(0x88B5),
        &l2("00:00:00:00:00:01", "ff:ff:ff:ff:ff:ff"),
    );
    assert!(st.claims.is_empty() && st.facts.is_empty() && st.anomalies.is_empty());
}

#[test]
fn codes_name_values() {
    assert_eq!(codes::bit_names(0x0014, &codes::LLDP_CAPS), "bridge,router");
    assert_eq!(codes::bit_names(0x8001, &codes::LLDP_CAPS), "other,bit15");
    assert_eq!(
        codes::bit_names(0x29, &codes::CDP_CAPS),
        "router,switch,igmp"
    );
    assert_eq!(codes::chassis_subtype(7), "locally_assigned");
    assert_eq!(codes::port_subtype(3), "mac_address");
    assert_eq!(codes::mau_type(30), Some("1000BaseTFD"));
    assert_eq!(codes::profinet_vendor(0x002A), Some("Siemens"));
    assert_eq!(codes::profinet_vendor(0x1234), None);
    assert_eq!(codes::dcp_option(0x81, 1), "manufacturer_specific");
    assert_eq!(codes::dcp_ip_block_info(0x82), "ip_set_by_dhcp");
}

// ---------------------------------------------------------------------------------------------
// Fuzz: fixed seed, std only. Random bytes and mutations of the valid vectors above through
// every parser and the entry point: no panic, bounded output.
// ---------------------------------------------------------------------------------------------

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    match rng.below(4) {
        0 => {
            // Flip a few bytes.
            for _ in 0..1 + rng.below(4) {
                if !v.is_empty() {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
            }
        }
        1 => v.truncate(rng.below(v.len() + 1)),
        2 => {
            // Set a length-looking byte to a large value.
            if !v.is_empty() {
                let i = rng.below(v.len());
                v[i] = 0xFF;
            }
        }
        _ => {
            let n = rng.below(64);
            v.extend((0..n).map(|_| rng.next() as u8));
        }
    }
    v
}

#[test]
fn fuzz_parsers_and_entry_point() {
    let mut rng = Rng(0x5EED_0FD1_5C0D_E2A1);
    let bases: Vec<Vec<u8>> = vec![
        lldp_full(),
        hex(CDP_CE500),
        dcp(FRAME_ID_IDENT_RES, SVC_IDENTIFY, 1, &et200sp_blocks()),
        dcp(FRAME_ID_IDENT_REQ, SVC_IDENTIFY, 0, &[0xFF, 0xFF, 0, 0]),
        dcp(
            FRAME_ID_GET_SET,
            SVC_SET,
            0,
            &[0x02, 0x02, 0x00, 0x04, 0, 1, b'a', b'b'],
        ),
        dcp(FRAME_ID_GET_SET, SVC_GET, 0, &[0x02, 0x02]),
        dcp(
            FRAME_ID_HELLO,
            SVC_HELLO,
            0,
            &[0x02, 0x04, 0, 4, 0, 0, 1, 0],
        ),
    ];
    let link = l2("28:63:36:aa:bb:01", "18:66:da:4f:54:60");
    let mut store = Store::new(100_000, 8);
    let lim = Limits::default();
    for round in 0..6000 {
        let input: Vec<u8> = if round % 3 == 0 {
            let n = rng.below(300);
            (0..n).map(|_| rng.next() as u8).collect()
        } else {
            let b = &bases[rng.below(bases.len())];
            mutate(&mut rng, b)
        };
        if let Ok((_, l)) = parse_lldp(&input) {
            assert!(l.org.len() <= MAX_ELEMENTS && l.mgmt.len() <= MAX_ADDRS);
        }
        if let Ok((_, c)) = parse_cdp(&input) {
            assert!(c.addresses.len() <= MAX_ADDRS && c.mgmt_addresses.len() <= MAX_ADDRS);
        }
        let mut dcp_in = input.clone();
        if round % 2 == 0 && dcp_in.len() >= 2 {
            dcp_in[0] = 0xFE;
            dcp_in[1] = 0xFC + (round % 4) as u8;
        }
        if let Ok((_, d)) = parse_dcp(&dcp_in) {
            assert!(d.blocks.len() <= MAX_ELEMENTS && d.selectors.len() <= MAX_ELEMENTS);
        }
        for net in [Net::Lldp(&input), Net::Cdp(&input), Net::Profinet(&dcp_in)] {
            frame(&net, &link, Ev::default(), &lim, &mut store);
        }
    }
    // Every value is bounded text.
    assert!(store.claims.keys().all(|k| k.value.len() <= 512));
    assert!(store.facts.keys().all(|k| k.value.len() <= 1024));
}
