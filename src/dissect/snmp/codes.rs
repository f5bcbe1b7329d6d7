//! Names of SNMP code values, the system-group OIDs and the enterprise numbers the dissector
//! turns into vendor claims.

/// Name of an `error-status` value (RFC 3416 §3).
pub fn error_status_name(v: i64) -> Option<&'static str> {
    Some(match v {
        0 => "noError",
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        7 => "wrongType",
        8 => "wrongLength",
        9 => "wrongEncoding",
        10 => "wrongValue",
        11 => "noCreation",
        12 => "inconsistentValue",
        13 => "resourceUnavailable",
        14 => "commitFailed",
        15 => "undoFailed",
        16 => "authorizationError",
        17 => "notWritable",
        18 => "inconsistentName",
        _ => return None,
    })
}

/// Name of a v1 `generic-trap` value (RFC 1157).
pub fn generic_trap_name(v: i64) -> Option<&'static str> {
    Some(match v {
        0 => "coldStart",
        1 => "warmStart",
        2 => "linkDown",
        3 => "linkUp",
        4 => "authenticationFailure",
        5 => "egpNeighborLoss",
        6 => "enterpriseSpecific",
        _ => return None,
    })
}

/// Encoded contents (BER) of the system-group scalar OIDs (RFC 1213 / SNMPv2-MIB).
pub const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0]; // 1.3.6.1.2.1.1.1.0
pub const SYS_OBJECT_ID: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 2, 0]; // 1.3.6.1.2.1.1.2.0
pub const SYS_CONTACT: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 4, 0]; // 1.3.6.1.2.1.1.4.0
pub const SYS_NAME: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 5, 0]; // 1.3.6.1.2.1.1.5.0
pub const SYS_LOCATION: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 6, 0]; // 1.3.6.1.2.1.1.6.0
pub const SYS_SERVICES: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 7, 0]; // 1.3.6.1.2.1.1.7.0
/// Prefix of every system-group OID (1.3.6.1.2.1.1.), to skip other varbinds cheaply.
pub const SYSTEM_PREFIX: &[u8] = &[0x2b, 6, 1, 2, 1, 1];
/// 1.3.6.1.4.1 (iso.org.dod.internet.private.enterprises).
pub const ENTERPRISES: &[u8] = &[0x2b, 6, 1, 4, 1];
/// usmStats counters (1.3.6.1.6.3.15.1.1.N.0) carried by SNMPv3 Report PDUs.
pub const USM_STATS_PREFIX: &[u8] = &[0x2b, 6, 1, 6, 3, 15, 1, 1];

/// What a usmStats Report says about the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsmReport {
    /// The credentials were refused (unsupported level, unknown user, wrong digest,
    /// decryption error).
    Refused(&'static str),
    /// Part of the normal discovery (unknown engine ID, time window).
    Discovery,
}

/// Meaning of usmStats counter `n` (1.3.6.1.6.3.15.1.1.n.0, RFC 3414 §5).
pub fn usm_report(n: u8) -> Option<UsmReport> {
    Some(match n {
        1 => UsmReport::Refused("usmStatsUnsupportedSecLevels"),
        2 => UsmReport::Discovery, // usmStatsNotInTimeWindows
        3 => UsmReport::Refused("usmStatsUnknownUserNames"),
        4 => UsmReport::Discovery, // usmStatsUnknownEngineIDs
        5 => UsmReport::Refused("usmStatsWrongDigests"),
        6 => UsmReport::Refused("usmStatsDecryptionErrors"),
        _ => return None,
    })
}

/// Vendor of an IANA Private Enterprise Number, for the vendors commonly found on industrial
/// and enterprise networks. Every number was checked against the IANA registry (as shipped
/// with Wireshark, `enterprises.tsv`); numbers not listed stay unnamed.
pub fn enterprise_vendor(n: u64) -> Option<&'static str> {
    Some(match n {
        2 => "IBM",
        9 => "Cisco",
        11 => "Hewlett-Packard",
        43 => "3Com",
        95 => "Rockwell Automation",
        171 => "D-Link",
        207 => "Allied Telesis",
        244 => "Lantronix",
        248 => "Hirschmann",
        253 => "Xerox",
        311 => "Microsoft",
        318 => "APC",
        332 => "Digi International",
        368 => "Axis Communications",
        409 => "Mitsubishi Electric",
        534 => "Eaton",
        553 => "GarrettCom",
        641 => "Lexmark",
        674 => "Dell",
        890 => "ZyXEL",
        908 => "ABB",
        1347 => "Kyocera",
        1588 => "Brocade",
        1890 => "Red Lion Controls",
        1916 => "Extreme Networks",
        1966 => "Perle Systems",
        2001 => "Oki Data",
        2011 => "Huawei",
        2356 => "LANCOM Systems",
        2435 => "Brother",
        2620 => "Check Point",
        2636 => "Juniper Networks",
        3097 => "WatchGuard",
        3375 => "F5",
        3833 => "Schneider Electric",
        4196 => "Siemens",
        4329 => "Siemens",
        4346 => "Phoenix Contact",
        4473 => "Opto 22",
        4526 => "Netgear",
        5597 => "Meinberg",
        6486 => "Alcatel-Lucent Enterprise",
        6876 => "VMware",
        7427 => "Yokogawa",
        8691 => "Moxa",
        8741 => "SonicWall",
        11863 => "TP-Link",
        12356 => "Fortinet",
        13576 => "WAGO",
        14823 => "Aruba",
        14988 => "MikroTik",
        15004 => "RuggedCom",
        16177 => "Westermo",
        16838 => "Omron",
        25461 => "Palo Alto Networks",
        25506 => "H3C",
        30065 => "Arista Networks",
        41112 => "Ubiquiti",
        47196 => "Hewlett Packard Enterprise",
        _ => return None,
    })
}

/// Name of an enterprise number that denotes agent software rather than a device vendor.
pub fn enterprise_software(n: u64) -> Option<&'static str> {
    Some(match n {
        8072 => "Net-SNMP",
        _ => return None,
    })
}
