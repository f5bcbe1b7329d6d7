//! Names of SSH values: message numbers (RFC 4250) and device hints in software versions.

/// Name of an SSH message number.
pub fn msg_name(n: u8) -> &'static str {
    match n {
        1 => "disconnect",
        2 => "ignore",
        3 => "unimplemented",
        4 => "debug",
        5 => "service_request",
        6 => "service_accept",
        7 => "ext_info",
        20 => "kexinit",
        21 => "newkeys",
        30..=49 => "kex_method_specific",
        50 => "userauth_request",
        51 => "userauth_failure",
        52 => "userauth_success",
        53 => "userauth_banner",
        80 => "global_request",
        90 => "channel_open",
        _ => "unknown",
    }
}

pub const MSG_DISCONNECT: u8 = 1;
pub const MSG_KEXINIT: u8 = 20;
pub const MSG_NEWKEYS: u8 = 21;

/// What a software version string says about the device: (prefix, vendor, product).
/// Only strings that name one vendor's own SSH stack are listed (OpenSSH or Dropbear run on
/// everything and say nothing about the device).
pub const SOFTWARE_HINTS: &[(&str, &str, Option<&str>)] = &[
    ("Cisco-", "Cisco", None),
    ("ROSSSH", "MikroTik", Some("RouterOS")),
    ("HUAWEI-", "Huawei", None),
    ("Comware-", "H3C", Some("Comware")),
    ("NetScreen", "Juniper", Some("ScreenOS")),
    ("mpSSH_", "HPE", Some("iLO")),
    ("FortiSSH", "Fortinet", None),
    ("Zyxel", "Zyxel", None),
    ("ZyXEL", "Zyxel", None),
];

/// The (vendor, product) a software version string names, if any.
pub fn software_hint(software: &str) -> Option<(&'static str, Option<&'static str>)> {
    SOFTWARE_HINTS
        .iter()
        .find(|(p, _, _)| software.starts_with(p))
        .map(|(_, v, p)| (*v, *p))
}
