//! Names of EtherNet/IP and CIP code values, the CIP vendor and device type tables, and the
//! classification of CIP services into operation classes.
//!
//! Unknown values are never an error: they keep a generic name and their raw value travels
//! next to it where it matters.

use crate::inventory::observation::Op;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Encapsulation commands.
pub mod cmd {
    pub const NOP: u16 = 0x0000;
    /// Legacy (pre-ODVA Rockwell) "List Targets"; still answered by 1756-ENBT modules.
    pub const LIST_TARGETS: u16 = 0x0001;
    pub const LIST_SERVICES: u16 = 0x0004;
    pub const LIST_IDENTITY: u16 = 0x0063;
    pub const LIST_INTERFACES: u16 = 0x0064;
    pub const REGISTER_SESSION: u16 = 0x0065;
    pub const UNREGISTER_SESSION: u16 = 0x0066;
    pub const SEND_RR_DATA: u16 = 0x006F;
    pub const SEND_UNIT_DATA: u16 = 0x0070;
    pub const INDICATE_STATUS: u16 = 0x0072;
    pub const CANCEL: u16 = 0x0073;
}

/// Common Packet Format item type ids.
pub mod item {
    pub const NULL_ADDRESS: u16 = 0x0000;
    pub const LIST_IDENTITY: u16 = 0x000C;
    pub const CONNECTED_ADDRESS: u16 = 0x00A1;
    pub const CONNECTED_DATA: u16 = 0x00B1;
    pub const UNCONNECTED_DATA: u16 = 0x00B2;
    pub const LIST_SERVICES: u16 = 0x0100;
    pub const SOCKADDR_O2T: u16 = 0x8000;
    pub const SOCKADDR_T2O: u16 = 0x8001;
    pub const SEQUENCED_ADDRESS: u16 = 0x8002;
}

/// CIP object classes this dissector treats specially.
pub mod class {
    pub const IDENTITY: u32 = 0x01;
    pub const MESSAGE_ROUTER: u32 = 0x02;
    pub const CONNECTION_MANAGER: u32 = 0x06;
    pub const TIME_SYNC: u32 = 0x43;
    pub const PCCC: u32 = 0x67;
    pub const SYMBOL: u32 = 0x6B;
    pub const TEMPLATE: u32 = 0x6C;
    /// Rockwell wall clock time object.
    pub const WALL_CLOCK: u32 = 0x8B;
    /// Rockwell controller object (mode changes: Start/Stop).
    pub const CONTROLLER: u32 = 0x8E;
    /// Rockwell ControlFLASH firmware update object.
    pub const FIRMWARE: u32 = 0xA1;
    pub const PORT: u32 = 0xF4;
    pub const TCPIP: u32 = 0xF5;
    pub const ETHERNET_LINK: u32 = 0xF6;
}

/// CIP service codes (requests; responses have bit 0x80 set).
pub mod svc {
    pub const GET_ATTRIBUTES_ALL: u8 = 0x01;
    pub const GET_ATTRIBUTE_LIST: u8 = 0x03;
    pub const MULTIPLE_SERVICE_PACKET: u8 = 0x0A;
    pub const GET_ATTRIBUTE_SINGLE: u8 = 0x0E;
    pub const FORWARD_CLOSE: u8 = 0x4E;
    pub const UNCONNECTED_SEND: u8 = 0x52;
    pub const FORWARD_OPEN: u8 = 0x54;
    pub const LARGE_FORWARD_OPEN: u8 = 0x5B;
}

pub fn command_name(c: u16) -> Option<&'static str> {
    Some(match c {
        cmd::NOP => "NOP",
        cmd::LIST_TARGETS => "ListTargets",
        cmd::LIST_SERVICES => "ListServices",
        cmd::LIST_IDENTITY => "ListIdentity",
        cmd::LIST_INTERFACES => "ListInterfaces",
        cmd::REGISTER_SESSION => "RegisterSession",
        cmd::UNREGISTER_SESSION => "UnRegisterSession",
        cmd::SEND_RR_DATA => "SendRRData",
        cmd::SEND_UNIT_DATA => "SendUnitData",
        cmd::INDICATE_STATUS => "IndicateStatus",
        cmd::CANCEL => "Cancel",
        _ => return None,
    })
}

pub fn encap_status_name(s: u32) -> &'static str {
    match s {
        0x0000 => "success",
        0x0001 => "invalid_or_unsupported_command",
        0x0002 => "insufficient_memory",
        0x0003 => "incorrect_data",
        0x0064 => "invalid_session_handle",
        0x0065 => "invalid_length",
        0x0069 => "unsupported_protocol_version",
        0x006A => "encapsulated_cip_service_not_allowed",
        _ => "unknown_status",
    }
}

pub fn item_name(t: u16) -> &'static str {
    match t {
        item::NULL_ADDRESS => "null_address",
        item::LIST_IDENTITY => "list_identity",
        item::CONNECTED_ADDRESS => "connected_address",
        item::CONNECTED_DATA => "connected_data",
        item::UNCONNECTED_DATA => "unconnected_data",
        item::LIST_SERVICES => "list_services",
        item::SOCKADDR_O2T => "sockaddr_o2t",
        item::SOCKADDR_T2O => "sockaddr_t2o",
        item::SEQUENCED_ADDRESS => "sequenced_address",
        _ => "unknown_item",
    }
}

/// CIP general status codes (Vol. 1, Appendix B).
pub fn general_status_name(s: u8) -> &'static str {
    match s {
        0x00 => "Success",
        0x01 => "Connection failure",
        0x02 => "Resource unavailable",
        0x03 => "Invalid parameter value",
        0x04 => "Path segment error",
        0x05 => "Path destination unknown",
        0x06 => "Partial transfer",
        0x07 => "Connection lost",
        0x08 => "Service not supported",
        0x09 => "Invalid attribute value",
        0x0A => "Attribute list error",
        0x0B => "Already in requested mode/state",
        0x0C => "Object state conflict",
        0x0D => "Object already exists",
        0x0E => "Attribute not settable",
        0x0F => "Privilege violation",
        0x10 => "Device state conflict",
        0x11 => "Reply data too large",
        0x12 => "Fragmentation of a primitive value",
        0x13 => "Not enough data",
        0x14 => "Attribute not supported",
        0x15 => "Too much data",
        0x16 => "Object does not exist",
        0x17 => "Service fragmentation sequence not in progress",
        0x18 => "No stored attribute data",
        0x19 => "Store operation failure",
        0x1A => "Routing failure, request packet too large",
        0x1B => "Routing failure, response packet too large",
        0x1C => "Missing attribute list entry data",
        0x1D => "Invalid attribute value list",
        0x1E => "Embedded service error",
        0x1F => "Vendor specific error",
        0x20 => "Invalid parameter",
        0x21 => "Write-once value or medium already written",
        0x22 => "Invalid reply received",
        0x23 => "Buffer overflow",
        0x24 => "Invalid message format",
        0x25 => "Key failure in path",
        0x26 => "Path size invalid",
        0x27 => "Unexpected attribute in list",
        0x28 => "Invalid member ID",
        0x29 => "Member not settable",
        0x2A => "Group 2 only server general failure",
        0x2B => "Unknown Modbus error",
        0x2C => "Attribute not gettable",
        _ => "Unknown status",
    }
}

/// Connection Manager extended status codes (general status 0x01).
pub fn cm_ext_status_name(s: u16) -> &'static str {
    match s {
        0x0100 => "Connection in use or duplicate forward open",
        0x0103 => "Transport class and trigger combination not supported",
        0x0106 => "Ownership conflict",
        0x0107 => "Target connection not found",
        0x0108 => "Invalid network connection parameter",
        0x0109 => "Invalid connection size",
        0x0110 => "Target for connection not configured",
        0x0111 => "RPI not supported",
        0x0113 => "Out of connections",
        0x0114 => "Vendor ID or product code mismatch",
        0x0115 => "Device type mismatch",
        0x0116 => "Revision mismatch",
        0x0117 => "Invalid produced or consumed application path",
        0x0118 => "Invalid or inconsistent configuration application path",
        0x0119 => "Non-listen only connection not opened",
        0x011A => "Target object out of connections",
        0x011B => "RPI is smaller than the production inhibit time",
        0x0203 => "Connection timed out",
        0x0204 => "Unconnected request timed out",
        0x0205 => "Parameter error in unconnected request service",
        0x0206 => "Message too large for unconnected send service",
        0x0207 => "Unconnected acknowledge without reply",
        0x0301 => "No buffer memory available",
        0x0302 => "Network bandwidth not available for data",
        0x0303 => "No consumed connection ID filter available",
        0x0304 => "Not configured to send scheduled priority data",
        0x0305 => "Schedule signature mismatch",
        0x0306 => "Schedule signature validation not possible",
        0x0311 => "Port not available",
        0x0312 => "Link address not valid",
        0x0315 => "Invalid segment in connection path",
        0x0316 => "Error in forward close service connection path",
        0x0317 => "Scheduling not specified",
        0x0318 => "Link address to self invalid",
        0x0319 => "Secondary resources unavailable",
        0x031A => "Rack connection already established",
        0x031B => "Module connection already established",
        0x031C => "Miscellaneous",
        0x031D => "Redundant connection mismatch",
        0x031E => "No more user configurable link consumer resources",
        0x031F => "No user configurable link consumer resources configured",
        0x0800 => "Network link offline",
        0x0810 => "No target application data available",
        0x0811 => "No originator application data available",
        0x0812 => "Node address has changed since the network was scheduled",
        0x0813 => "Not configured for off-subnet multicast",
        _ => "Unknown extended status",
    }
}

/// Name of a CIP request service. Codes 0x4B-0x63 are object specific, so the name depends
/// on the class the request is addressed to (`symbolic`: the path names a tag).
pub fn service_name(service: u8, class: Option<u32>, symbolic: bool) -> &'static str {
    let s = service & 0x7F;
    match s {
        0x01 => return "Get_Attributes_All",
        0x02 => return "Set_Attributes_All",
        0x03 => return "Get_Attribute_List",
        0x04 => return "Set_Attribute_List",
        0x05 => return "Reset",
        0x06 => return "Start",
        0x07 => return "Stop",
        0x08 => return "Create",
        0x09 => return "Delete",
        0x0A => return "Multiple_Service_Packet",
        0x0D => return "Apply_Attributes",
        0x0E => return "Get_Attribute_Single",
        0x10 => return "Set_Attribute_Single",
        0x11 => return "Find_Next_Object_Instance",
        0x14 => return "Error_Response",
        0x15 => return "Restore",
        0x16 => return "Save",
        0x17 => return "NOP",
        0x18 => return "Get_Member",
        0x19 => return "Set_Member",
        0x1A => return "Insert_Member",
        0x1B => return "Remove_Member",
        0x1C => return "Group_Sync",
        _ => {}
    }
    if !symbolic {
        match class {
            Some(class::CONNECTION_MANAGER) => {
                return match s {
                    0x4E => "Forward_Close",
                    0x52 => "Unconnected_Send",
                    0x54 => "Forward_Open",
                    0x56 => "Get_Connection_Data",
                    0x57 => "Search_Connection_Data",
                    0x5A => "Get_Connection_Owner",
                    0x5B => "Large_Forward_Open",
                    _ => "Connection_Manager_Service",
                };
            }
            Some(class::FIRMWARE) => {
                return match s {
                    0x4B => "ControlFLASH_0x4B",
                    0x4C => "ControlFLASH_0x4C",
                    0x4D => "ControlFLASH_0x4D",
                    0x4E => "ControlFLASH_0x4E",
                    0x4F => "ControlFLASH_0x4F",
                    0x50 => "ControlFLASH_0x50",
                    0x51 => "ControlFLASH_0x51",
                    _ => "ControlFLASH_Service",
                };
            }
            Some(class::PCCC) => {
                return match s {
                    0x4B => "Execute_PCCC",
                    0x4C => "Execute_DH+",
                    0x4D => "Execute_Local_PCCC",
                    _ => "PCCC_Service",
                };
            }
            _ => {}
        }
    }
    // Logix (symbol, template and controller data services).
    match s {
        0x4C => "Read_Tag",
        0x4D => "Write_Tag",
        0x4E => "Read_Modify_Write",
        0x52 => "Read_Tag_Fragmented",
        0x53 => "Write_Tag_Fragmented",
        0x55 => "Get_Instance_Attribute_List",
        0x32..=0x4A => "Reserved_Service",
        0x4B..=0x63 => "Object_Specific_Service",
        0x64..=0x7F => "Reserved_Service",
        _ => "Unknown_Service",
    }
}

/// Name of a CIP object class (the common ones; vendor classes stay numeric).
pub fn class_name(c: u32) -> Option<&'static str> {
    Some(match c {
        0x01 => "Identity",
        0x02 => "Message Router",
        0x03 => "DeviceNet",
        0x04 => "Assembly",
        0x05 => "Connection",
        0x06 => "Connection Manager",
        0x07 => "Register",
        0x0F => "Parameter",
        0x37 => "File",
        0x43 => "Time Sync",
        0x47 => "Device Level Ring",
        0x48 => "Quality of Service",
        0x67 => "PCCC",
        0x6B => "Symbol",
        0x6C => "Template",
        0x8B => "Wall Clock Time",
        0x8E => "Controller",
        0xA1 => "ControlFLASH",
        0xF4 => "Port",
        0xF5 => "TCP/IP Interface",
        0xF6 => "Ethernet Link",
        _ => return None,
    })
}

/// Operation class and detail of a CIP request addressed to `class` (`symbolic`: tag path).
pub fn classify(service: u8, class: Option<u32>, symbolic: bool) -> (Op, &'static str) {
    let s = service & 0x7F;
    let name = service_name(s, class, symbolic);
    let write = |c: Option<u32>| -> (Op, &'static str) {
        match c {
            Some(class::TCPIP) => (Op::ConfigChange, "tcpip_object_write"),
            Some(class::ETHERNET_LINK) => (Op::ConfigChange, "ethernet_link_write"),
            Some(class::PORT) => (Op::ConfigChange, "port_object_write"),
            Some(class::TIME_SYNC) => (Op::TimeSet, "time_sync_write"),
            Some(class::WALL_CLOCK) => (Op::TimeSet, "wall_clock_write"),
            _ => (Op::Write, name),
        }
    };
    match s {
        0x01 | 0x03 | 0x0E | 0x11 | 0x18 => {
            if class == Some(class::IDENTITY) {
                (Op::Identify, name)
            } else {
                (Op::Read, name)
            }
        }
        0x02 | 0x04 | 0x08 | 0x09 | 0x0D | 0x10 | 0x15 | 0x19 | 0x1A | 0x1B => write(class),
        0x05 => (Op::Reset, name),
        0x06 => (Op::CpuStart, name),
        0x07 => (Op::CpuStop, name),
        0x4B..=0x63 if !symbolic && class == Some(class::CONNECTION_MANAGER) => match s {
            0x54 | 0x5B => (Op::Connect, name),
            0x56 | 0x57 | 0x5A => (Op::Read, name),
            _ => (Op::Other, name),
        },
        0x4B..=0x63 if !symbolic && class == Some(class::FIRMWARE) => (Op::FirmwareUpdate, name),
        0x4B..=0x4D if !symbolic && class == Some(class::PCCC) => (Op::Other, name),
        0x4C | 0x52 => (Op::Read, name),
        0x4D | 0x53 | 0x4E => (Op::Write, name),
        0x55 => (Op::Browse, name),
        _ => (Op::Other, name),
    }
}

const VENDORS_TSV: &str = include_str!("../../../signatures/cip_vendors.tsv");
const DEVICE_TYPES_TSV: &str = include_str!("../../../signatures/cip_device_types.tsv");

/// `id<TAB>name` lines; `#` comments, the header line and "Reserved" entries are skipped.
fn load(text: &'static str) -> HashMap<u16, &'static str> {
    let mut m = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((id, name)) = line.split_once('\t') else {
            continue;
        };
        let (Ok(id), name) = (id.trim().parse::<u16>(), name.trim()) else {
            continue;
        };
        if !name.is_empty() && name != "Reserved" {
            m.insert(id, name);
        }
    }
    m
}

/// The ODVA vendor name of a CIP vendor id.
pub fn vendor_name(id: u16) -> Option<&'static str> {
    static T: OnceLock<HashMap<u16, &'static str>> = OnceLock::new();
    T.get_or_init(|| load(VENDORS_TSV)).get(&id).copied()
}

/// The name of a CIP device type (device profile).
pub fn device_type_name(id: u16) -> Option<&'static str> {
    static T: OnceLock<HashMap<u16, &'static str>> = OnceLock::new();
    T.get_or_init(|| load(DEVICE_TYPES_TSV)).get(&id).copied()
}

/// Identity object state attribute (attribute 8).
pub fn state_name(s: u8) -> &'static str {
    match s {
        0 => "nonexistent",
        1 => "device_self_testing",
        2 => "standby",
        3 => "operational",
        4 => "major_recoverable_fault",
        5 => "major_unrecoverable_fault",
        255 => "default",
        _ => "reserved",
    }
}
