//! Names of code values (TPKT/COTP, S7comm, S7comm-plus, ISO session/MMS) and how each
//! request is classified as an [`Op`]. Unknown values get a generic name; they are never a
//! parse error.

use crate::inventory::observation::Op;

// ---------------------------------------------------------------------------------------------
// COTP (ISO 8073) TPDU codes (high nibble of the code byte; CR/CC carry the credit in the low
// nibble).

pub const COTP_CR: u8 = 0xE0;
pub const COTP_CC: u8 = 0xD0;
pub const COTP_DR: u8 = 0x80;
pub const COTP_DC: u8 = 0xC0;
pub const COTP_ER: u8 = 0x70;
pub const COTP_DT: u8 = 0xF0;

/// CR/CC variable-part parameter codes.
pub const PARAM_TPDU_SIZE: u8 = 0xC0;
pub const PARAM_CALLING_TSAP: u8 = 0xC1;
pub const PARAM_CALLED_TSAP: u8 = 0xC2;

/// Name of a DR reason code (ISO 8073 13.5.3 e).
pub fn dr_reason(r: u8) -> &'static str {
    match r {
        0x00 => "not_specified",
        0x01 => "congestion_at_tsap",
        0x02 => "session_entity_not_attached",
        0x03 => "address_unknown",
        0x80 => "normal",
        0x81 => "remote_congestion",
        0x82 => "connection_negotiation_failed",
        0x83 => "duplicate_source_reference",
        0x84 => "mismatched_references",
        0x85 => "protocol_error",
        0x87 => "reference_overflow",
        0x88 => "connection_request_refused",
        0x8a => "header_or_parameter_length_invalid",
        _ => "other",
    }
}

/// S7 connection type from the first byte of the called TSAP (Snap7 / Siemens convention).
pub fn connection_type(b: u8) -> Option<&'static str> {
    match b {
        0x01 => Some("PG"),
        0x02 => Some("OP"),
        0x03..=0x10 => Some("S7 basic"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// S7comm (protocol id 0x32).

pub const S7_PROTOCOL_ID: u8 = 0x32;
pub const ROSCTR_JOB: u8 = 1;
pub const ROSCTR_ACK: u8 = 2;
pub const ROSCTR_ACK_DATA: u8 = 3;
pub const ROSCTR_USERDATA: u8 = 7;

pub const FN_CPU_SERVICES: u8 = 0x00;
pub const FN_SETUP_COMM: u8 = 0xF0;
pub const FN_READ_VAR: u8 = 0x04;
pub const FN_WRITE_VAR: u8 = 0x05;
pub const FN_REQUEST_DOWNLOAD: u8 = 0x1A;
pub const FN_DOWNLOAD_BLOCK: u8 = 0x1B;
pub const FN_DOWNLOAD_ENDED: u8 = 0x1C;
pub const FN_START_UPLOAD: u8 = 0x1D;
pub const FN_UPLOAD: u8 = 0x1E;
pub const FN_END_UPLOAD: u8 = 0x1F;
pub const FN_PI_SERVICE: u8 = 0x28;
pub const FN_PLC_STOP: u8 = 0x29;

/// Operation and detail of a job (ROSCTR 1) function. PI services are refined by name with
/// [`pi_service`].
pub fn job_op(func: u8) -> (Op, &'static str) {
    match func {
        FN_CPU_SERVICES => (Op::Other, "cpu_services"),
        FN_SETUP_COMM => (Op::Connect, "setup_communication"),
        FN_READ_VAR => (Op::Read, "read_var"),
        FN_WRITE_VAR => (Op::Write, "write_var"),
        FN_REQUEST_DOWNLOAD => (Op::ProgramDownload, "request_download"),
        FN_DOWNLOAD_BLOCK => (Op::ProgramDownload, "download_block"),
        FN_DOWNLOAD_ENDED => (Op::ProgramDownload, "download_ended"),
        FN_START_UPLOAD => (Op::ProgramUpload, "start_upload"),
        FN_UPLOAD => (Op::ProgramUpload, "upload"),
        FN_END_UPLOAD => (Op::ProgramUpload, "end_upload"),
        FN_PI_SERVICE => (Op::Other, "pi_service"),
        FN_PLC_STOP => (Op::CpuStop, "plc_stop"),
        _ => (Op::Other, "job_unknown_function"),
    }
}

/// Operation and detail of a PI (program invocation) service by its name.
pub fn pi_service(name: &[u8]) -> (Op, &'static str) {
    match name {
        b"_INSE" => (Op::ProgramDownload, "pi_insert_block"),
        b"_DELE" => (Op::ProgramDelete, "pi_delete_block"),
        b"P_PROGRAM" => (Op::CpuStart, "pi_program_start"),
        b"_MODU" => (Op::ConfigChange, "pi_copy_ram_to_rom"),
        b"_GARB" => (Op::ConfigChange, "pi_compress_memory"),
        b"_N_LOGIN_" => (Op::Login, "pi_nc_login"),
        b"_N_LOGOUT" => (Op::Other, "pi_nc_logout"),
        b"_N_NEWPWD" => (Op::ConfigChange, "pi_nc_new_password"),
        b"_N_F_DELE" | b"_N_F_DELR" => (Op::ProgramDelete, "pi_nc_file_delete"),
        b"_N_F_XFER" => (Op::ProgramDownload, "pi_nc_file_transfer"),
        n if n.starts_with(b"_N_") => (Op::Other, "pi_nc_service"),
        _ => (Op::Other, "pi_service_other"),
    }
}

/// Whether a job function changes the controller (its rejection is worth a fact).
pub fn job_is_control(func: u8) -> bool {
    matches!(
        func,
        FN_WRITE_VAR
            | FN_REQUEST_DOWNLOAD
            | FN_DOWNLOAD_BLOCK
            | FN_DOWNLOAD_ENDED
            | FN_PI_SERVICE
            | FN_PLC_STOP
    )
}

/// Userdata function groups (low nibble of the type/group byte).
pub const UD_GROUP_MODE_TRANSITION: u8 = 0;
pub const UD_GROUP_PROG: u8 = 1;
pub const UD_GROUP_CYCLIC: u8 = 2;
pub const UD_GROUP_BLOCK: u8 = 3;
pub const UD_GROUP_CPU: u8 = 4;
pub const UD_GROUP_SECURITY: u8 = 5;
pub const UD_GROUP_PBC: u8 = 6;
pub const UD_GROUP_TIME: u8 = 7;
pub const UD_GROUP_NC: u8 = 0xF;

/// Userdata type (high nibble of the type/group byte).
pub const UD_TYPE_PUSH: u8 = 0x0;
pub const UD_TYPE_REQUEST: u8 = 0x4;
pub const UD_TYPE_RESPONSE: u8 = 0x8;

pub const UD_CPU_READ_SZL: u8 = 0x01;
pub const UD_SEC_PASSWORD: u8 = 0x01;
pub const UD_SEC_CLEAR_PASSWORD: u8 = 0x02;

/// Operation and detail of a userdata request by function group and subfunction.
pub fn userdata_op(group: u8, sub: u8) -> (Op, &'static str) {
    match (group, sub) {
        (UD_GROUP_MODE_TRANSITION, _) => (Op::Other, "mode_transition"),
        (UD_GROUP_PROG, 0x01) | (UD_GROUP_PROG, 0x13) => (Op::Diagnostics, "block_status"),
        (UD_GROUP_PROG, 0x02) => (Op::Read, "variable_status"),
        (UD_GROUP_PROG, 0x03..=0x05) => (Op::Diagnostics, "output_stack"),
        (UD_GROUP_PROG, 0x06) => (Op::Diagnostics, "time_measurement"),
        (UD_GROUP_PROG, 0x07) => (Op::Read, "force_selection"),
        (UD_GROUP_PROG, 0x08) => (Op::Write, "modify_variable"),
        (UD_GROUP_PROG, 0x09) => (Op::Write, "force"),
        (UD_GROUP_PROG, 0x0a) => (Op::Diagnostics, "breakpoint"),
        (UD_GROUP_PROG, 0x0b) => (Op::CpuStart, "exit_hold"),
        (UD_GROUP_PROG, 0x0c) => (Op::Reset, "memory_reset"),
        (UD_GROUP_PROG, 0x0d..=0x12) => (Op::Diagnostics, "job_control"),
        (UD_GROUP_PROG, 0x16) => (Op::Diagnostics, "flash_led"),
        (UD_GROUP_PROG, _) => (Op::Diagnostics, "programmer_command"),
        (UD_GROUP_CYCLIC, _) => (Op::Subscribe, "cyclic_data"),
        (UD_GROUP_BLOCK, 0x01) => (Op::Read, "list_blocks"),
        (UD_GROUP_BLOCK, 0x02) => (Op::Read, "list_blocks_of_type"),
        (UD_GROUP_BLOCK, 0x03) => (Op::Read, "get_block_info"),
        (UD_GROUP_BLOCK, _) => (Op::Read, "block_function"),
        (UD_GROUP_CPU, UD_CPU_READ_SZL) => (Op::Identify, "szl_read"),
        (UD_GROUP_CPU, 0x02) => (Op::Subscribe, "message_service"),
        (UD_GROUP_CPU, 0x07) | (UD_GROUP_CPU, 0x08) => (Op::ConfigChange, "alarm_lock"),
        (UD_GROUP_CPU, 0x0b) => (Op::Write, "alarm_ack"),
        (UD_GROUP_CPU, 0x13) => (Op::Read, "alarm_query"),
        (UD_GROUP_CPU, _) => (Op::Diagnostics, "cpu_function"),
        (UD_GROUP_SECURITY, UD_SEC_PASSWORD) => (Op::Login, "plc_password"),
        (UD_GROUP_SECURITY, UD_SEC_CLEAR_PASSWORD) => (Op::Other, "clear_session_password"),
        (UD_GROUP_SECURITY, _) => (Op::Other, "security"),
        (UD_GROUP_PBC, _) => (Op::Other, "pbc"),
        (UD_GROUP_TIME, 0x01) | (UD_GROUP_TIME, 0x03) => (Op::Read, "read_clock"),
        (UD_GROUP_TIME, 0x02) | (UD_GROUP_TIME, 0x04) => (Op::TimeSet, "set_clock"),
        (UD_GROUP_TIME, _) => (Op::Other, "time_function"),
        (UD_GROUP_NC, _) => (Op::Other, "nc_programming"),
        _ => (Op::Other, "userdata_unknown_group"),
    }
}

/// CPU mode announced by a mode-transition push (the subfunction byte).
pub fn mode_transition(sub: u8) -> Option<&'static str> {
    Some(match sub {
        0 => "STOP",
        1 => "STARTUP",
        2 => "RUN",
        3 => "STARTUP",
        4 => "HOLD",
        6 => "STARTUP",
        9 => "RUN",
        11 => "LINK-UP",
        12 => "UPDATE",
        _ => return None,
    })
}

/// CPU mode from the requested-mode nibble of `bzu_id` in SZL xy24 records.
pub fn szl_mode(nibble: u8) -> Option<&'static str> {
    Some(match nibble {
        0x1..=0x4 => "STOP",
        0x5..=0x7 => "STARTUP",
        0x8 => "RUN",
        0xa => "HOLD",
        0xd => "DEFECT",
        _ => return None,
    })
}

/// Mode selector (key switch) position, `bart_sch` of SZL 0x0132 index 4.
pub fn mode_selector(v: u16) -> &'static str {
    match v {
        1 => "RUN",
        2 => "RUN-P",
        3 => "STOP",
        4 => "MRES",
        _ => "undefined",
    }
}

/// Block type from the two ASCII hex digits of an up/download file name (`_0A00001P`).
pub fn block_type(t: &[u8]) -> Option<&'static str> {
    Some(match t {
        b"08" => "OB",
        b"0A" => "DB",
        b"0B" => "SDB",
        b"0C" => "FC",
        b"0D" => "SFC",
        b"0E" => "FB",
        b"0F" => "SFB",
        _ => return None,
    })
}

/// Product family from an S7 order number (`6ES7 315-2EH14-0AB0` → `SIMATIC S7-300`).
///
/// Deliberately minimal: the third digit group's first two digits name the family for CPUs.
/// The inventory's signatures map order numbers more precisely.
pub fn product_family(order: &str) -> Option<&'static str> {
    let rest = order.strip_prefix("6ES7 ")?;
    let b = rest.as_bytes();
    if b.len() < 2 {
        return None;
    }
    Some(match (b[0], b[1]) {
        (b'3', b'1') => "SIMATIC S7-300",
        (b'4', b'1') => "SIMATIC S7-400",
        (b'2', b'1') => "SIMATIC S7-1200",
        (b'5', b'1') => "SIMATIC S7-1500",
        (b'1', b'5') => "SIMATIC ET 200",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// S7comm-plus (protocol id 0x72).

pub const S7PLUS_PROTOCOL_ID: u8 = 0x72;
pub const S7PLUS_OP_REQUEST: u8 = 0x31;
pub const S7PLUS_OP_RESPONSE: u8 = 0x32;
pub const S7PLUS_OP_NOTIFICATION: u8 = 0x33;
pub const S7PLUS_OP_RESPONSE2: u8 = 0x02;
pub const S7PLUS_KEEPALIVE: u8 = 0xFF;

pub const S7PLUS_FN_EXPLORE: u16 = 0x04bb;
pub const S7PLUS_FN_CREATE_OBJECT: u16 = 0x04ca;
pub const S7PLUS_FN_DELETE_OBJECT: u16 = 0x04d4;
pub const S7PLUS_FN_SET_VARIABLE: u16 = 0x04f2;
pub const S7PLUS_FN_GET_VARIABLE: u16 = 0x04fc;
pub const S7PLUS_FN_ADD_LINK: u16 = 0x0506;
pub const S7PLUS_FN_REMOVE_LINK: u16 = 0x051a;
pub const S7PLUS_FN_GET_LINK: u16 = 0x0524;
pub const S7PLUS_FN_SET_MULTI_VAR: u16 = 0x0542;
pub const S7PLUS_FN_GET_MULTI_VAR: u16 = 0x054c;
pub const S7PLUS_FN_BEGIN_SEQUENCE: u16 = 0x0556;
pub const S7PLUS_FN_END_SEQUENCE: u16 = 0x0560;
pub const S7PLUS_FN_INVOKE: u16 = 0x056b;
pub const S7PLUS_FN_SET_VAR_SUBSTREAMED: u16 = 0x057c;
pub const S7PLUS_FN_GET_VAR_SUBSTREAMED: u16 = 0x0586;
pub const S7PLUS_FN_ABORT: u16 = 0x059a;

/// Operation and detail of an S7comm-plus request (function codes as in Wireshark's
/// s7comm_plus dissector). `version` is the PDU type byte: CreateObject in a V1 (connect) PDU
/// opens the session.
pub fn s7plus_op(func: u16, version: u8) -> (Op, &'static str) {
    match func {
        S7PLUS_FN_EXPLORE => (Op::Browse, "explore"),
        S7PLUS_FN_CREATE_OBJECT if version == 1 => (Op::Connect, "create_session"),
        S7PLUS_FN_CREATE_OBJECT => (Op::Other, "create_object"),
        S7PLUS_FN_DELETE_OBJECT => (Op::Other, "delete_object"),
        S7PLUS_FN_SET_VARIABLE => (Op::Write, "set_variable"),
        S7PLUS_FN_GET_VARIABLE => (Op::Read, "get_variable"),
        S7PLUS_FN_ADD_LINK | S7PLUS_FN_REMOVE_LINK => (Op::Other, "link"),
        S7PLUS_FN_GET_LINK => (Op::Browse, "get_link"),
        S7PLUS_FN_SET_MULTI_VAR => (Op::Write, "set_multi_variables"),
        S7PLUS_FN_GET_MULTI_VAR => (Op::Read, "get_multi_variables"),
        S7PLUS_FN_BEGIN_SEQUENCE | S7PLUS_FN_END_SEQUENCE => (Op::Other, "sequence"),
        S7PLUS_FN_INVOKE => (Op::Call, "invoke"),
        S7PLUS_FN_SET_VAR_SUBSTREAMED => (Op::Write, "set_var_substreamed"),
        S7PLUS_FN_GET_VAR_SUBSTREAMED => (Op::Read, "get_var_substreamed"),
        S7PLUS_FN_ABORT => (Op::Other, "abort"),
        _ => (Op::Other, "s7comm_plus_unknown_function"),
    }
}

pub fn s7plus_version(v: u8) -> Option<&'static str> {
    match v {
        1 => Some("V1"),
        2 => Some("V2"),
        3 => Some("V3"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// ISO 8327 session SPDU identifiers (the first byte of a COTP SDU carrying MMS).

pub const SPDU_DT_GT: u8 = 0x01;
pub const SPDU_CONNECT: u8 = 0x0D;

/// Whether `si` is a session SPDU identifier that opens an SDU.
pub fn is_session_spdu(si: u8) -> bool {
    matches!(
        si,
        0x01 | 0x08 | 0x09 | 0x0A | 0x0C | 0x0D | 0x0E | 0x0F | 0x10 | 0x19 | 0x1A
    )
}

/// Operation and detail of an MMS confirmed request by its ConfirmedServiceRequest choice.
pub fn mms_op(service: u32) -> (Op, &'static str) {
    match service {
        0 => (Op::Diagnostics, "mms_status"),
        1 => (Op::Browse, "mms_get_name_list"),
        2 => (Op::Identify, "mms_identify"),
        3 => (Op::ConfigChange, "mms_rename"),
        4 => (Op::Read, "mms_read"),
        5 => (Op::Write, "mms_write"),
        6 => (Op::Browse, "mms_get_variable_access_attributes"),
        7 | 8 | 10 | 11 | 13 => (Op::ConfigChange, "mms_define_or_delete_variables"),
        9 | 12 => (Op::Browse, "mms_get_variable_list_attributes"),
        26..=28 | 32 | 34 => (Op::ProgramDownload, "mms_domain_download"),
        29..=31 | 33 | 35 => (Op::ProgramUpload, "mms_domain_upload"),
        36 => (Op::ProgramDelete, "mms_delete_domain"),
        37 | 45 => (Op::Browse, "mms_get_attributes"),
        38 | 39 => (Op::ConfigChange, "mms_program_invocation"),
        40 | 42 => (Op::CpuStart, "mms_start"),
        41 | 44 => (Op::CpuStop, "mms_stop"),
        43 => (Op::Reset, "mms_reset"),
        72 | 73 => (Op::Read, "mms_file_read"),
        74 => (Op::Other, "mms_file_close"),
        75 | 76 => (Op::ConfigChange, "mms_file_change"),
        77 => (Op::Browse, "mms_file_directory"),
        _ => (Op::Other, "mms_confirmed_request"),
    }
}
