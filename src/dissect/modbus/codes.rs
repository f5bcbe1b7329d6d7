//! Names of Modbus code values: function codes, diagnostics sub-functions, MEI types,
//! exception codes, Read Device Identification objects and Schneider UMAS function codes, with
//! the operation class each request counts as. Unknown values are kept raw by the parser and
//! named here (`unknown_function`, `code_N`), never an error.

use crate::inventory::observation::Op;

/// Function codes defined by the public Modbus Application Protocol specification (v1.1b3).
pub const PUBLIC_FUNCTIONS: &[u8] = &[
    1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43,
];

/// Schneider Electric UMAS (Unity) runs inside Modbus function code 90 (0x5A).
pub const FC_UMAS: u8 = 90;
/// Encapsulated Interface Transport.
pub const FC_MEI: u8 = 43;
/// MEI type 14: Read Device Identification.
pub const MEI_READ_DEVICE_ID: u8 = 14;
/// MEI type 13: CANopen General Reference.
pub const MEI_CANOPEN: u8 = 13;

/// A function code the spec (or a well-known vendor extension) defines.
#[inline]
pub fn is_known_function(fc: u8) -> bool {
    PUBLIC_FUNCTIONS.contains(&fc) || fc == FC_UMAS
}

/// Name of a function code (without the exception bit).
pub fn function_name(fc: u8) -> &'static str {
    match fc {
        1 => "read_coils",
        2 => "read_discrete_inputs",
        3 => "read_holding_registers",
        4 => "read_input_registers",
        5 => "write_single_coil",
        6 => "write_single_register",
        7 => "read_exception_status",
        8 => "diagnostics",
        9 => "program_484",
        10 => "poll_484",
        11 => "get_comm_event_counter",
        12 => "get_comm_event_log",
        13 => "program_controller",
        14 => "poll_controller",
        15 => "write_multiple_coils",
        16 => "write_multiple_registers",
        17 => "report_server_id",
        20 => "read_file_record",
        21 => "write_file_record",
        22 => "mask_write_register",
        23 => "read_write_multiple_registers",
        24 => "read_fifo_queue",
        43 => "encapsulated_interface_transport",
        65..=72 | 100..=110 => "user_defined_function",
        90 => "schneider_umas",
        _ => "unknown_function",
    }
}

/// Name of an exception code (`code_N` style names are built by the caller for unknown ones).
pub fn exception_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "illegal_function",
        2 => "illegal_data_address",
        3 => "illegal_data_value",
        4 => "server_device_failure",
        5 => "acknowledge",
        6 => "server_device_busy",
        7 => "negative_acknowledge",
        8 => "memory_parity_error",
        10 => "gateway_path_unavailable",
        11 => "gateway_target_failed_to_respond",
        _ => return None,
    })
}

/// Exception codes a server may send.
#[inline]
pub fn is_exception_code(code: u8) -> bool {
    exception_name(code).is_some()
}

/// Name of a diagnostics (function 8) sub-function.
pub fn diagnostics_name(sub: u16) -> &'static str {
    match sub {
        0 => "return_query_data",
        1 => "restart_communications_option",
        2 => "return_diagnostic_register",
        3 => "change_ascii_input_delimiter",
        4 => "force_listen_only_mode",
        10 => "clear_counters_and_diagnostic_register",
        11 => "return_bus_message_count",
        12 => "return_bus_communication_error_count",
        13 => "return_bus_exception_error_count",
        14 => "return_server_message_count",
        15 => "return_server_no_response_count",
        16 => "return_server_nak_count",
        17 => "return_server_busy_count",
        18 => "return_bus_character_overrun_count",
        20 => "clear_overrun_counter_and_flag",
        _ => "unknown_sub_function",
    }
}

/// Name of an MEI type (function 43).
pub fn mei_name(mei: u8) -> &'static str {
    match mei {
        MEI_CANOPEN => "canopen_general_reference",
        MEI_READ_DEVICE_ID => "read_device_identification",
        _ => "unknown_mei_type",
    }
}

/// Name of a Read Device Identification object id (spec names; reserved/private ranges).
pub fn object_name(id: u8) -> &'static str {
    match id {
        0x00 => "VendorName",
        0x01 => "ProductCode",
        0x02 => "MajorMinorRevision",
        0x03 => "VendorUrl",
        0x04 => "ProductName",
        0x05 => "ModelName",
        0x06 => "UserApplicationName",
        0x07..=0x7f => "reserved",
        _ => "private",
    }
}

/// Claim field (`modbus.<ObjectName>`, or `modbus.object_0xNN`) of each object id.
pub static OBJECT_FIELDS: [&str; 256] = [
    "modbus.VendorName",
    "modbus.ProductCode",
    "modbus.MajorMinorRevision",
    "modbus.VendorUrl",
    "modbus.ProductName",
    "modbus.ModelName",
    "modbus.UserApplicationName",
    "modbus.object_0x07",
    "modbus.object_0x08",
    "modbus.object_0x09",
    "modbus.object_0x0a",
    "modbus.object_0x0b",
    "modbus.object_0x0c",
    "modbus.object_0x0d",
    "modbus.object_0x0e",
    "modbus.object_0x0f",
    "modbus.object_0x10",
    "modbus.object_0x11",
    "modbus.object_0x12",
    "modbus.object_0x13",
    "modbus.object_0x14",
    "modbus.object_0x15",
    "modbus.object_0x16",
    "modbus.object_0x17",
    "modbus.object_0x18",
    "modbus.object_0x19",
    "modbus.object_0x1a",
    "modbus.object_0x1b",
    "modbus.object_0x1c",
    "modbus.object_0x1d",
    "modbus.object_0x1e",
    "modbus.object_0x1f",
    "modbus.object_0x20",
    "modbus.object_0x21",
    "modbus.object_0x22",
    "modbus.object_0x23",
    "modbus.object_0x24",
    "modbus.object_0x25",
    "modbus.object_0x26",
    "modbus.object_0x27",
    "modbus.object_0x28",
    "modbus.object_0x29",
    "modbus.object_0x2a",
    "modbus.object_0x2b",
    "modbus.object_0x2c",
    "modbus.object_0x2d",
    "modbus.object_0x2e",
    "modbus.object_0x2f",
    "modbus.object_0x30",
    "modbus.object_0x31",
    "modbus.object_0x32",
    "modbus.object_0x33",
    "modbus.object_0x34",
    "modbus.object_0x35",
    "modbus.object_0x36",
    "modbus.object_0x37",
    "modbus.object_0x38",
    "modbus.object_0x39",
    "modbus.object_0x3a",
    "modbus.object_0x3b",
    "modbus.object_0x3c",
    "modbus.object_0x3d",
    "modbus.object_0x3e",
    "modbus.object_0x3f",
    "modbus.object_0x40",
    "modbus.object_0x41",
    "modbus.object_0x42",
    "modbus.object_0x43",
    "modbus.object_0x44",
    "modbus.object_0x45",
    "modbus.object_0x46",
    "modbus.object_0x47",
    "modbus.object_0x48",
    "modbus.object_0x49",
    "modbus.object_0x4a",
    "modbus.object_0x4b",
    "modbus.object_0x4c",
    "modbus.object_0x4d",
    "modbus.object_0x4e",
    "modbus.object_0x4f",
    "modbus.object_0x50",
    "modbus.object_0x51",
    "modbus.object_0x52",
    "modbus.object_0x53",
    "modbus.object_0x54",
    "modbus.object_0x55",
    "modbus.object_0x56",
    "modbus.object_0x57",
    "modbus.object_0x58",
    "modbus.object_0x59",
    "modbus.object_0x5a",
    "modbus.object_0x5b",
    "modbus.object_0x5c",
    "modbus.object_0x5d",
    "modbus.object_0x5e",
    "modbus.object_0x5f",
    "modbus.object_0x60",
    "modbus.object_0x61",
    "modbus.object_0x62",
    "modbus.object_0x63",
    "modbus.object_0x64",
    "modbus.object_0x65",
    "modbus.object_0x66",
    "modbus.object_0x67",
    "modbus.object_0x68",
    "modbus.object_0x69",
    "modbus.object_0x6a",
    "modbus.object_0x6b",
    "modbus.object_0x6c",
    "modbus.object_0x6d",
    "modbus.object_0x6e",
    "modbus.object_0x6f",
    "modbus.object_0x70",
    "modbus.object_0x71",
    "modbus.object_0x72",
    "modbus.object_0x73",
    "modbus.object_0x74",
    "modbus.object_0x75",
    "modbus.object_0x76",
    "modbus.object_0x77",
    "modbus.object_0x78",
    "modbus.object_0x79",
    "modbus.object_0x7a",
    "modbus.object_0x7b",
    "modbus.object_0x7c",
    "modbus.object_0x7d",
    "modbus.object_0x7e",
    "modbus.object_0x7f",
    "modbus.object_0x80",
    "modbus.object_0x81",
    "modbus.object_0x82",
    "modbus.object_0x83",
    "modbus.object_0x84",
    "modbus.object_0x85",
    "modbus.object_0x86",
    "modbus.object_0x87",
    "modbus.object_0x88",
    "modbus.object_0x89",
    "modbus.object_0x8a",
    "modbus.object_0x8b",
    "modbus.object_0x8c",
    "modbus.object_0x8d",
    "modbus.object_0x8e",
    "modbus.object_0x8f",
    "modbus.object_0x90",
    "modbus.object_0x91",
    "modbus.object_0x92",
    "modbus.object_0x93",
    "modbus.object_0x94",
    "modbus.object_0x95",
    "modbus.object_0x96",
    "modbus.object_0x97",
    "modbus.object_0x98",
    "modbus.object_0x99",
    "modbus.object_0x9a",
    "modbus.object_0x9b",
    "modbus.object_0x9c",
    "modbus.object_0x9d",
    "modbus.object_0x9e",
    "modbus.object_0x9f",
    "modbus.object_0xa0",
    "modbus.object_0xa1",
    "modbus.object_0xa2",
    "modbus.object_0xa3",
    "modbus.object_0xa4",
    "modbus.object_0xa5",
    "modbus.object_0xa6",
    "modbus.object_0xa7",
    "modbus.object_0xa8",
    "modbus.object_0xa9",
    "modbus.object_0xaa",
    "modbus.object_0xab",
    "modbus.object_0xac",
    "modbus.object_0xad",
    "modbus.object_0xae",
    "modbus.object_0xaf",
    "modbus.object_0xb0",
    "modbus.object_0xb1",
    "modbus.object_0xb2",
    "modbus.object_0xb3",
    "modbus.object_0xb4",
    "modbus.object_0xb5",
    "modbus.object_0xb6",
    "modbus.object_0xb7",
    "modbus.object_0xb8",
    "modbus.object_0xb9",
    "modbus.object_0xba",
    "modbus.object_0xbb",
    "modbus.object_0xbc",
    "modbus.object_0xbd",
    "modbus.object_0xbe",
    "modbus.object_0xbf",
    "modbus.object_0xc0",
    "modbus.object_0xc1",
    "modbus.object_0xc2",
    "modbus.object_0xc3",
    "modbus.object_0xc4",
    "modbus.object_0xc5",
    "modbus.object_0xc6",
    "modbus.object_0xc7",
    "modbus.object_0xc8",
    "modbus.object_0xc9",
    "modbus.object_0xca",
    "modbus.object_0xcb",
    "modbus.object_0xcc",
    "modbus.object_0xcd",
    "modbus.object_0xce",
    "modbus.object_0xcf",
    "modbus.object_0xd0",
    "modbus.object_0xd1",
    "modbus.object_0xd2",
    "modbus.object_0xd3",
    "modbus.object_0xd4",
    "modbus.object_0xd5",
    "modbus.object_0xd6",
    "modbus.object_0xd7",
    "modbus.object_0xd8",
    "modbus.object_0xd9",
    "modbus.object_0xda",
    "modbus.object_0xdb",
    "modbus.object_0xdc",
    "modbus.object_0xdd",
    "modbus.object_0xde",
    "modbus.object_0xdf",
    "modbus.object_0xe0",
    "modbus.object_0xe1",
    "modbus.object_0xe2",
    "modbus.object_0xe3",
    "modbus.object_0xe4",
    "modbus.object_0xe5",
    "modbus.object_0xe6",
    "modbus.object_0xe7",
    "modbus.object_0xe8",
    "modbus.object_0xe9",
    "modbus.object_0xea",
    "modbus.object_0xeb",
    "modbus.object_0xec",
    "modbus.object_0xed",
    "modbus.object_0xee",
    "modbus.object_0xef",
    "modbus.object_0xf0",
    "modbus.object_0xf1",
    "modbus.object_0xf2",
    "modbus.object_0xf3",
    "modbus.object_0xf4",
    "modbus.object_0xf5",
    "modbus.object_0xf6",
    "modbus.object_0xf7",
    "modbus.object_0xf8",
    "modbus.object_0xf9",
    "modbus.object_0xfa",
    "modbus.object_0xfb",
    "modbus.object_0xfc",
    "modbus.object_0xfd",
    "modbus.object_0xfe",
    "modbus.object_0xff",
];

/// Read Device Identification access codes.
pub fn read_device_id_code_name(code: u8) -> &'static str {
    match code {
        1 => "basic",
        2 => "regular",
        3 => "extended",
        4 => "individual",
        _ => "unknown",
    }
}

/// Schneider UMAS function codes (second byte of a function 90 request).
pub mod umas {
    pub const INIT_COMM: u8 = 0x01;
    pub const READ_ID: u8 = 0x02;
    pub const READ_PROJECT_INFO: u8 = 0x03;
    pub const READ_PLC_INFO: u8 = 0x04;
    pub const READ_CARD_INFO: u8 = 0x06;
    pub const REPEAT: u8 = 0x0a;
    pub const TAKE_PLC_RESERVATION: u8 = 0x10;
    pub const RELEASE_PLC_RESERVATION: u8 = 0x11;
    pub const KEEP_ALIVE: u8 = 0x12;
    pub const READ_MEMORY_BLOCK: u8 = 0x20;
    pub const READ_VARIABLES: u8 = 0x22;
    pub const WRITE_VARIABLES: u8 = 0x23;
    pub const READ_COILS_REGISTERS: u8 = 0x24;
    pub const WRITE_COILS_REGISTERS: u8 = 0x25;
    pub const DATA_DICTIONARY: u8 = 0x26;
    pub const INITIALIZE_UPLOAD: u8 = 0x30;
    pub const UPLOAD_BLOCK: u8 = 0x31;
    pub const END_STRATEGY_UPLOAD: u8 = 0x32;
    pub const INITIALIZE_DOWNLOAD: u8 = 0x33;
    pub const DOWNLOAD_BLOCK: u8 = 0x34;
    pub const END_STRATEGY_DOWNLOAD: u8 = 0x35;
    pub const READ_ETH_MASTER_DATA: u8 = 0x39;
    pub const START_PLC: u8 = 0x40;
    pub const STOP_PLC: u8 = 0x41;
    pub const MONITOR_PLC: u8 = 0x50;
    pub const CHECK_PLC: u8 = 0x58;
    pub const READ_IO_OBJECT: u8 = 0x70;
    pub const WRITE_IO_OBJECT: u8 = 0x71;
    pub const GET_STATUS_MODULE: u8 = 0x73;
    /// Status byte of a successful response.
    pub const RESPONSE_OK: u8 = 0xfe;
    /// Status byte of an error response.
    pub const RESPONSE_ERROR: u8 = 0xfd;
}

/// Operation class and detail of a UMAS request. Schneider's own words are inverted with
/// respect to ours: UMAS "upload" (0x30-0x32) copies a program from the engineering PC into
/// the PLC, which is a program download in otscope's terms; UMAS "download" (0x33-0x35) reads
/// the program out of the PLC (a program upload).
pub fn umas_op(code: u8) -> (Op, &'static str) {
    use umas::*;
    match code {
        INIT_COMM => (Op::Connect, "fc90/0x01 umas_init_comm"),
        READ_ID => (Op::Identify, "fc90/0x02 umas_read_id"),
        READ_PROJECT_INFO => (Op::Identify, "fc90/0x03 umas_read_project_info"),
        READ_PLC_INFO => (Op::Diagnostics, "fc90/0x04 umas_read_plc_info"),
        READ_CARD_INFO => (Op::Diagnostics, "fc90/0x06 umas_read_card_info"),
        REPEAT => (Op::Diagnostics, "fc90/0x0a umas_repeat"),
        TAKE_PLC_RESERVATION => (Op::Login, "fc90/0x10 umas_take_plc_reservation"),
        RELEASE_PLC_RESERVATION => (Op::Other, "fc90/0x11 umas_release_plc_reservation"),
        KEEP_ALIVE => (Op::Other, "fc90/0x12 umas_keep_alive"),
        READ_MEMORY_BLOCK => (Op::Read, "fc90/0x20 umas_read_memory_block"),
        READ_VARIABLES => (Op::Read, "fc90/0x22 umas_read_variables"),
        WRITE_VARIABLES => (Op::Write, "fc90/0x23 umas_write_variables"),
        READ_COILS_REGISTERS => (Op::Read, "fc90/0x24 umas_read_coils_registers"),
        WRITE_COILS_REGISTERS => (Op::Write, "fc90/0x25 umas_write_coils_registers"),
        DATA_DICTIONARY => (Op::Browse, "fc90/0x26 umas_data_dictionary"),
        INITIALIZE_UPLOAD => (Op::ProgramDownload, "fc90/0x30 umas_initialize_upload"),
        UPLOAD_BLOCK => (Op::ProgramDownload, "fc90/0x31 umas_upload_block"),
        END_STRATEGY_UPLOAD => (Op::ProgramDownload, "fc90/0x32 umas_end_strategy_upload"),
        INITIALIZE_DOWNLOAD => (Op::ProgramUpload, "fc90/0x33 umas_initialize_download"),
        DOWNLOAD_BLOCK => (Op::ProgramUpload, "fc90/0x34 umas_download_block"),
        END_STRATEGY_DOWNLOAD => (Op::ProgramUpload, "fc90/0x35 umas_end_strategy_download"),
        READ_ETH_MASTER_DATA => (Op::Read, "fc90/0x39 umas_read_eth_master_data"),
        START_PLC => (Op::CpuStart, "fc90/0x40 umas_start_plc"),
        STOP_PLC => (Op::CpuStop, "fc90/0x41 umas_stop_plc"),
        MONITOR_PLC => (Op::Read, "fc90/0x50 umas_monitor_plc"),
        CHECK_PLC => (Op::Diagnostics, "fc90/0x58 umas_check_plc"),
        READ_IO_OBJECT => (Op::Read, "fc90/0x70 umas_read_io_object"),
        WRITE_IO_OBJECT => (Op::Write, "fc90/0x71 umas_write_io_object"),
        GET_STATUS_MODULE => (Op::Diagnostics, "fc90/0x73 umas_get_status_module"),
        _ => (Op::Other, UMAS_UNKNOWN),
    }
}

/// Detail of a UMAS request whose function code has no name.
pub const UMAS_UNKNOWN: &str = "fc90 umas_unknown_function";

/// A UMAS function code with a name.
pub fn umas_known(code: u8) -> bool {
    umas_op(code).1 != UMAS_UNKNOWN
}

/// Operation class and detail of a diagnostics (function 8) request.
pub fn diagnostics_op(sub: u16) -> (Op, &'static str) {
    match sub {
        0 => (Op::Diagnostics, "fc8/0 return_query_data"),
        1 => (Op::Reset, "fc8/1 restart_communications_option"),
        2 => (Op::Diagnostics, "fc8/2 return_diagnostic_register"),
        3 => (Op::ConfigChange, "fc8/3 change_ascii_input_delimiter"),
        4 => (Op::ConfigChange, "fc8/4 force_listen_only_mode"),
        10 => (
            Op::Diagnostics,
            "fc8/10 clear_counters_and_diagnostic_register",
        ),
        11 => (Op::Diagnostics, "fc8/11 return_bus_message_count"),
        12 => (
            Op::Diagnostics,
            "fc8/12 return_bus_communication_error_count",
        ),
        13 => (Op::Diagnostics, "fc8/13 return_bus_exception_error_count"),
        14 => (Op::Diagnostics, "fc8/14 return_server_message_count"),
        15 => (Op::Diagnostics, "fc8/15 return_server_no_response_count"),
        16 => (Op::Diagnostics, "fc8/16 return_server_nak_count"),
        17 => (Op::Diagnostics, "fc8/17 return_server_busy_count"),
        18 => (Op::Diagnostics, "fc8/18 return_bus_character_overrun_count"),
        20 => (Op::Diagnostics, "fc8/20 clear_overrun_counter_and_flag"),
        _ => (Op::Diagnostics, "fc8 unknown_sub_function"),
    }
}

/// Operation class and detail of a request with function code `fc`, for the codes whose class
/// does not depend on the body (see [`diagnostics_op`], [`umas_op`] and MEI types for the rest).
pub fn function_op(fc: u8) -> (Op, &'static str) {
    match fc {
        1 => (Op::Read, "fc1 read_coils"),
        2 => (Op::Read, "fc2 read_discrete_inputs"),
        3 => (Op::Read, "fc3 read_holding_registers"),
        4 => (Op::Read, "fc4 read_input_registers"),
        5 => (Op::Write, "fc5 write_single_coil"),
        6 => (Op::Write, "fc6 write_single_register"),
        7 => (Op::Diagnostics, "fc7 read_exception_status"),
        8 => (Op::Diagnostics, "fc8 diagnostics"),
        11 => (Op::Diagnostics, "fc11 get_comm_event_counter"),
        12 => (Op::Diagnostics, "fc12 get_comm_event_log"),
        15 => (Op::Write, "fc15 write_multiple_coils"),
        16 => (Op::Write, "fc16 write_multiple_registers"),
        17 => (Op::Identify, "fc17 report_server_id"),
        20 => (Op::Read, "fc20 read_file_record"),
        21 => (Op::Write, "fc21 write_file_record"),
        22 => (Op::Write, "fc22 mask_write_register"),
        23 => (Op::Write, "fc23 read_write_multiple_registers"),
        24 => (Op::Read, "fc24 read_fifo_queue"),
        43 => (Op::Other, "fc43 encapsulated_interface_transport"),
        90 => (Op::Other, "fc90 schneider_umas"),
        9 | 10 | 13 | 14 => (Op::Other, "legacy_function"),
        65..=72 | 100..=110 => (Op::Other, "user_defined_function"),
        _ => (Op::Other, "unknown_function"),
    }
}

/// Operation class and detail of an MEI (function 43) request.
pub fn mei_op(mei: u8) -> (Op, &'static str) {
    match mei {
        MEI_READ_DEVICE_ID => (Op::Identify, "fc43/14 read_device_identification"),
        MEI_CANOPEN => (Op::Other, "fc43/13 canopen_general_reference"),
        _ => (Op::Other, "fc43 unknown_mei_type"),
    }
}
