//! Telnet commands (RFC 854) and option names (IANA telnet-options registry).

pub const IAC: u8 = 255;
pub const DONT: u8 = 254;
pub const DO: u8 = 253;
pub const WONT: u8 = 252;
pub const WILL: u8 = 251;
pub const SB: u8 = 250;
pub const SE: u8 = 240;

pub const OPT_AUTHENTICATION: u8 = 37;
pub const OPT_ENCRYPT: u8 = 38;

/// Name of a telnet command byte.
pub fn command_name(c: u8) -> &'static str {
    match c {
        240 => "SE",
        241 => "NOP",
        242 => "DM",
        243 => "BRK",
        244 => "IP",
        245 => "AO",
        246 => "AYT",
        247 => "EC",
        248 => "EL",
        249 => "GA",
        250 => "SB",
        251 => "WILL",
        252 => "WONT",
        253 => "DO",
        254 => "DONT",
        255 => "IAC",
        _ => "unknown",
    }
}

/// Name of a telnet option.
pub fn option_name(o: u8) -> &'static str {
    match o {
        0 => "binary",
        1 => "echo",
        2 => "reconnection",
        3 => "suppress_go_ahead",
        4 => "approx_message_size",
        5 => "status",
        6 => "timing_mark",
        7 => "rcte",
        8 => "output_line_width",
        9 => "output_page_size",
        10..=16 => "output_disposition",
        17 => "extended_ascii",
        18 => "logout",
        19 => "byte_macro",
        20 => "data_entry_terminal",
        21 => "supdup",
        22 => "supdup_output",
        23 => "send_location",
        24 => "terminal_type",
        25 => "end_of_record",
        26 => "tacacs_user_identification",
        27 => "output_marking",
        28 => "terminal_location_number",
        29 => "telnet_3270_regime",
        30 => "x3_pad",
        31 => "naws",
        32 => "terminal_speed",
        33 => "remote_flow_control",
        34 => "linemode",
        35 => "x_display_location",
        36 => "environment",
        37 => "authentication",
        38 => "encrypt",
        39 => "new_environment",
        40 => "tn3270e",
        41 => "xauth",
        42 => "charset",
        43 => "rsp",
        44 => "com_port_control",
        45 => "suppress_local_echo",
        46 => "start_tls",
        47 => "kermit",
        48 => "send_url",
        49 => "forward_x",
        138 => "telopt_pragma_logon",
        139 => "telopt_sspi_logon",
        140 => "telopt_pragma_heartbeat",
        255 => "extended_options_list",
        _ => "unknown",
    }
}

/// Options a probe accepts in a negotiation (assigned ones).
pub fn is_known_option(o: u8) -> bool {
    option_name(o) != "unknown"
}

/// Server text after a password that means the login failed (lower case).
pub const FAILURE_TEXT: &[&str] = &[
    "login incorrect",
    "authentication failed",
    "% bad passwords",
    "bad password",
    "access denied",
    "login failed",
    "invalid password",
    "incorrect password",
    "login invalid",
    "% login invalid",
    "permission denied",
    "wrong password",
];

/// Server text after a password that means the login worked (lower case).
pub const SUCCESS_TEXT: &[&str] = &["last login", "welcome", "logged in"];

/// Ends of a server line that ask for a user name (lower case, trailing blanks removed).
pub const LOGIN_PROMPTS: &[&str] = &["login:", "username:", "user name:", "user:", "login as:"];

/// Ends of a server line that ask for a password.
pub const PASSWORD_PROMPTS: &[&str] = &["password:", "passcode:", "passwd:"];
