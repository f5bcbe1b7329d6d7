//! Names of code values of LLDP, CDP and PROFINET DCP (unknown values keep their number).

/// LLDP system capability bits (IEEE 802.1AB-2016 §8.5.8), bit 0 first.
pub const LLDP_CAPS: [&str; 11] = [
    "other",
    "repeater",
    "bridge",
    "wlan_ap",
    "router",
    "telephone",
    "docsis",
    "station",
    "c_vlan",
    "s_vlan",
    "tpmr",
];

/// CDP capability bits (Cisco), bit 0 first.
pub const CDP_CAPS: [&str; 11] = [
    "router",
    "transparent_bridge",
    "source_route_bridge",
    "switch",
    "host",
    "igmp",
    "repeater",
    "voip_phone",
    "remotely_managed",
    "cvta",
    "two_port_mac_relay",
];

/// Names of the set bits of `bits`, comma separated (unknown bits as `bitN`).
pub fn bit_names(bits: u32, names: &[&str]) -> String {
    let mut s = String::new();
    for b in 0..32u32 {
        if bits & (1 << b) == 0 {
            continue;
        }
        if !s.is_empty() {
            s.push(',');
        }
        match names.get(b as usize) {
            Some(n) => s.push_str(n),
            None => s.push_str(&format!("bit{b}")),
        }
    }
    s
}

/// LLDP Chassis ID subtypes (§8.5.2.2).
pub fn chassis_subtype(s: u8) -> &'static str {
    match s {
        1 => "chassis_component",
        2 => "interface_alias",
        3 => "port_component",
        4 => "mac_address",
        5 => "network_address",
        6 => "interface_name",
        7 => "locally_assigned",
        _ => "reserved",
    }
}

/// LLDP Port ID subtypes (§8.5.3.2).
pub fn port_subtype(s: u8) -> &'static str {
    match s {
        1 => "interface_alias",
        2 => "port_component",
        3 => "mac_address",
        4 => "network_address",
        5 => "interface_name",
        6 => "agent_circuit_id",
        7 => "locally_assigned",
        _ => "reserved",
    }
}

/// IEEE 802.3 operational MAU types (RFC 4836 dot3MauType), the common ones.
pub fn mau_type(t: u16) -> Option<&'static str> {
    Some(match t {
        10 => "10BaseTHD",
        11 => "10BaseTFD",
        15 => "100BaseTXHD",
        16 => "100BaseTXFD",
        17 => "100BaseFXHD",
        18 => "100BaseFXFD",
        21 => "1000BaseXHD",
        22 => "1000BaseXFD",
        23 => "1000BaseLXHD",
        24 => "1000BaseLXFD",
        25 => "1000BaseSXHD",
        26 => "1000BaseSXFD",
        29 => "1000BaseTHD",
        30 => "1000BaseTFD",
        _ => return None,
    })
}

/// LLDP-MED device class.
pub fn med_class(c: u8) -> &'static str {
    match c {
        1 => "endpoint_class_1",
        2 => "endpoint_class_2",
        3 => "endpoint_class_3",
        4 => "network_connectivity",
        _ => "not_defined",
    }
}

/// PROFINET LLDP organisationally specific subtypes (OUI 00-0E-CF).
pub fn profinet_lldp_subtype(s: u8) -> &'static str {
    match s {
        1 => "measured_delay",
        2 => "port_status",
        3 => "alias",
        4 => "mrp_port_status",
        5 => "chassis_mac",
        6 => "ptcp_status",
        7 => "mau_type_extension",
        8 => "mrpic_port_status",
        _ => "other",
    }
}

/// PROFINET DCP option/suboption names.
pub fn dcp_option(option: u8, suboption: u8) -> &'static str {
    match (option, suboption) {
        (1, 1) => "ip/mac",
        (1, 2) => "ip/ip_parameter",
        (1, 3) => "ip/full_ip_suite",
        (2, 1) => "device/type_of_station",
        (2, 2) => "device/name_of_station",
        (2, 3) => "device/device_id",
        (2, 4) => "device/device_role",
        (2, 5) => "device/device_options",
        (2, 6) => "device/alias_name",
        (2, 7) => "device/device_instance",
        (2, 8) => "device/oem_device_id",
        (2, 9) => "device/standard_gateway",
        (2, 10) => "device/rsi_properties",
        (3, _) => "dhcp",
        (4, _) => "lldp",
        (5, 1) => "control/start_transaction",
        (5, 2) => "control/end_transaction",
        (5, 3) => "control/signal",
        (5, 4) => "control/response",
        (5, 5) => "control/factory_reset",
        (5, 6) => "control/reset_to_factory",
        (5, _) => "control",
        (6, 1) => "device_initiative",
        (255, 255) => "all",
        (0x80..=0xFE, _) => "manufacturer_specific",
        _ => "reserved",
    }
}

/// PROFINET DCP DeviceRole bits: role words as the inventory uses them.
pub const DCP_ROLES: [(u8, &str); 4] = [
    (0x01, "io_device"),
    (0x02, "io_controller"),
    (0x04, "io_multidevice"),
    (0x08, "io_supervisor"),
];

/// PROFINET VendorIDs (assigned by PI) that are certain: read from vendors' own documentation
/// (GSDML files, device manuals). Others are reported by number only.
pub fn profinet_vendor(id: u16) -> Option<&'static str> {
    Some(match id {
        0x002A => "Siemens",
        0x0153 => "TR-Electronic",
        _ => return None,
    })
}

/// IP block info of DCP Identify/Get responses.
pub fn dcp_ip_block_info(info: u16) -> &'static str {
    match info & 0x7F {
        0 => "ip_not_set",
        1 => "ip_set",
        2 => "ip_set_by_dhcp",
        _ => "reserved",
    }
}
