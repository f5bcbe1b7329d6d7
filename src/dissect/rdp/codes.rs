//! Names of RDP code values (MS-RDPBCGR).

/// requestedProtocols / selectedProtocol flags (2.2.1.1.1).
pub const PROTOCOL_SSL: u32 = 0x1;
pub const PROTOCOL_HYBRID: u32 = 0x2;
pub const PROTOCOL_RDSTLS: u32 = 0x4;
pub const PROTOCOL_HYBRID_EX: u32 = 0x8;
pub const PROTOCOL_RDSAAD: u32 = 0x10;

/// rdpNegReq flags.
pub const RESTRICTED_ADMIN_MODE_REQUIRED: u8 = 0x01;
pub const REDIRECTED_AUTHENTICATION_MODE_REQUIRED: u8 = 0x02;

/// Requested protocols as a list: `rdp` (always: standard security is implied), then the
/// flags set, e.g. `rdp,ssl,hybrid`.
pub fn requested_protocols(flags: u32) -> String {
    let mut s = String::from("rdp");
    for (bit, name) in [
        (PROTOCOL_SSL, "ssl"),
        (PROTOCOL_HYBRID, "hybrid"),
        (PROTOCOL_RDSTLS, "rdstls"),
        (PROTOCOL_HYBRID_EX, "hybrid_ex"),
        (PROTOCOL_RDSAAD, "rdsaad"),
    ] {
        if flags & bit != 0 {
            s.push(',');
            s.push_str(name);
        }
    }
    let unknown = flags & !0x1f;
    if unknown != 0 {
        s.push_str(&format!(",0x{unknown:x}"));
    }
    s
}

/// Name of a selectedProtocol value.
pub fn selected_protocol(p: u32) -> Option<&'static str> {
    Some(match p {
        0 => "standard",
        PROTOCOL_SSL => "ssl",
        PROTOCOL_HYBRID => "hybrid",
        PROTOCOL_RDSTLS => "rdstls",
        PROTOCOL_HYBRID_EX => "hybrid_ex",
        PROTOCOL_RDSAAD => "rdsaad",
        _ => return None,
    })
}

/// Authentication mechanism for a selected protocol.
pub fn mechanism(p: u32) -> &'static str {
    match p {
        0 => "rdp-standard",
        PROTOCOL_SSL => "rdp-tls",
        PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX => "rdp-nla",
        PROTOCOL_RDSTLS => "rdp-rdstls",
        PROTOCOL_RDSAAD => "rdp-aad",
        _ => "rdp-other",
    }
}

/// Name of an RDP Negotiation Failure code (2.2.1.2.2).
pub fn failure_code(c: u32) -> Option<&'static str> {
    Some(match c {
        1 => "ssl_required_by_server",
        2 => "ssl_not_allowed_by_server",
        3 => "ssl_cert_not_on_server",
        4 => "inconsistent_flags",
        5 => "hybrid_required_by_server",
        6 => "ssl_with_user_auth_required_by_server",
        _ => return None,
    })
}

/// Server security data encryptionMethod (2.2.1.4.3).
pub fn encryption_method(m: u32) -> Option<&'static str> {
    Some(match m {
        0 => "none",
        1 => "40bit",
        2 => "128bit",
        8 => "56bit",
        0x10 => "fips",
        _ => return None,
    })
}

/// Server security data encryptionLevel (2.2.1.4.3).
pub fn encryption_level(l: u32) -> Option<&'static str> {
    Some(match l {
        0 => "none",
        1 => "low",
        2 => "client_compatible",
        3 => "high",
        4 => "fips",
        _ => return None,
    })
}

/// `name` or `0x..` for a value without a name.
pub fn named(name: Option<&'static str>, raw: u32) -> String {
    match name {
        Some(n) => n.to_string(),
        None => format!("0x{raw:08x}"),
    }
}
