//! RFB security type names (IANA "Remote Framebuffer Security Types" registry, plus the
//! Apple and UltraVNC values seen in the field).

/// Name of a security type, or `None` when unassigned/unknown.
pub fn security_type_name(t: u32) -> Option<&'static str> {
    Some(match t {
        0 => "Invalid",
        1 => "None",
        2 => "VNC Authentication",
        3..=4 | 7..=15 | 128..=255 => "RealVNC",
        5 => "RA2",
        6 => "RA2ne",
        16 => "Tight",
        17 => "Ultra",
        18 => "TLS",
        19 => "VeNCrypt",
        20 => "GTK-VNC SASL",
        21 => "MD5 hash authentication",
        22 => "Colin Dean xvp",
        23 => "Secure Tunnel",
        24 => "Integrated SSH",
        30 => "Apple Remote Desktop",
        31..=35 => "Apple",
        113 => "UltraVNC MS Logon II",
        _ => return None,
    })
}

/// `Name (n)` as reported in facts, e.g. `VNC Authentication (2)`.
pub fn security_type_label(t: u32) -> String {
    match security_type_name(t) {
        Some(n) => format!("{n} ({t})"),
        None => format!("unknown ({t})"),
    }
}

/// Authentication mechanism name for a chosen security type.
pub fn mechanism(t: u32) -> &'static str {
    match t {
        1 => "vnc-none",
        2 => "vnc-password",
        _ => "vnc-other",
    }
}
