//! Names of code values for DHCP, NetBIOS and DNS-based discovery.

/// DHCP message types (option 53).
pub fn dhcp_message(t: u8) -> &'static str {
    match t {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        _ => "other",
    }
}

/// The `source` of a DHCP observation: the message that said it.
pub fn dhcp_source(message: Option<u8>, op: u8) -> &'static str {
    match (message, op) {
        (Some(1), _) => "dhcp.discover",
        (Some(2), _) => "dhcp.offer",
        (Some(3), _) => "dhcp.request",
        (Some(4), _) => "dhcp.decline",
        (Some(5), _) => "dhcp.ack",
        (Some(6), _) => "dhcp.nak",
        (Some(7), _) => "dhcp.release",
        (Some(8), _) => "dhcp.inform",
        (None, 1) => "bootp.request",
        (None, 2) => "bootp.reply",
        _ => "dhcp",
    }
}

/// NetBIOS name suffixes (the 16th byte). `group` is the G bit of NB_FLAGS / name flags.
pub fn nb_suffix(suffix: u8, group: bool) -> &'static str {
    match (suffix, group) {
        (0x00, false) => "workstation",
        (0x00, true) => "domain_name",
        (0x01, _) => "master_browser",
        (0x03, _) => "messenger",
        (0x06, _) => "ras_server",
        (0x1B, _) => "domain_master_browser",
        (0x1C, _) => "domain_controller",
        (0x1D, _) => "master_browser",
        (0x1E, _) => "browser_election",
        (0x1F, _) => "netdde",
        (0x20, _) => "server",
        (0x21, _) => "ras_client",
        (0xBE, _) => "network_monitor_agent",
        (0xBF, _) => "network_monitor_application",
        _ => "other",
    }
}

/// Remote-access tools recognised by the domains their clients resolve.
pub const REMOTE_ACCESS_DOMAINS: &[(&str, &str)] = &[
    ("teamviewer.com", "TeamViewer"),
    ("anydesk.com", "AnyDesk"),
    ("logmein.com", "LogMeIn"),
    ("logme.in", "LogMeIn"),
    ("screenconnect.com", "ScreenConnect"),
    ("splashtop.com", "Splashtop"),
    ("rustdesk.com", "RustDesk"),
];

/// The remote-access tool whose domain `name` is in (case-insensitive, label boundary).
pub fn remote_access_tool(name: &str) -> Option<&'static str> {
    let n = name.trim_end_matches('.');
    REMOTE_ACCESS_DOMAINS.iter().find_map(|(d, tool)| {
        let hit = n.len() >= d.len()
            && n.is_char_boundary(n.len() - d.len())
            && n[n.len() - d.len()..].eq_ignore_ascii_case(d)
            && (n.len() == d.len() || n.as_bytes()[n.len() - d.len() - 1] == b'.');
        hit.then_some(*tool)
    })
}

/// DNS-SD TXT keys devices use for their identity: (key, identity field, confidence); a field
/// of `None` keeps the pair only as an `mdns.txt` fact.
const TXT_KEYS: &[(&str, Option<(&str, u8)>)] = &[
    ("model", Some(("model", 60))),
    ("md", Some(("model", 60))),
    ("mdl", Some(("model", 60))),
    ("usb_MDL", Some(("model", 60))),
    ("manufacturer", Some(("vendor", 50))),
    ("mf", Some(("vendor", 50))),
    ("usb_MFG", Some(("vendor", 50))),
    ("vendor", Some(("vendor", 50))),
    ("ty", Some(("product", 50))),
    ("product", Some(("product", 50))),
    ("fn", Some(("name", 50))),
    ("serial", Some(("serial", 50))),
    ("sn", Some(("serial", 50))),
    ("serialnumber", Some(("serial", 50))),
    ("fw", Some(("firmware", 50))),
    ("firmware", Some(("firmware", 50))),
    ("fwversion", Some(("firmware", 50))),
    ("fv", Some(("firmware", 50))),
    ("version", None),
    ("vers", None),
    ("osxvers", None),
    ("path", None),
    ("rp", None),
    ("adminurl", None),
    ("note", None),
];

/// What an mDNS/DNS-SD TXT key says (case-insensitive): `Some(Some((field, confidence)))`
/// for an identity key, `Some(None)` for a key only kept as a fact, `None` otherwise.
pub fn txt_key(key: &str) -> Option<Option<(&'static str, u8)>> {
    TXT_KEYS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| *v)
}
