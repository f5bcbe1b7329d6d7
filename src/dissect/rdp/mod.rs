//! RDP (TCP 3389): the cleartext part of the connection sequence.
//!
//! Followed: TPKT + X.224 Connection Request (routing token / `mstshash` cookie, RDP
//! Negotiation Request), Connection Confirm (Negotiation Response or Failure; none means
//! Standard RDP Security). With TLS or CredSSP (NLA) selected, the rest of the session is TLS
//! and is skipped. With Standard RDP Security the MCS Connect-Initial (GCC client core data)
//! and Connect-Response (server core and security data) are read, then the client's PDUs up to
//! its Client Info PDU: when that PDU is not encrypted (encryption level NONE), the user name,
//! domain and password it carries are cleartext credentials. Then the rest is skipped.
//! After a gap the direction is skipped (nothing later in RDP is worth resynchronising on).
//!
//! Authentication events (on the server; outcome `Attempt`: RDP authentication results are
//! encrypted; `user` from the Client Info PDU or else the cookie):
//! * `rdp-standard`: Standard RDP Security (no NLA: the credentials are typed into the remote
//!   session); `cleartext` true only when the Client Info PDU crossed unencrypted (then with the
//!   password as `secret`);
//! * `rdp-tls` (TLS without NLA), `rdp-nla` (CredSSP: hybrid, hybrid_ex), `rdp-rdstls`,
//!   `rdp-aad`, `rdp-other` (unknown selected value).
//!
//! Facts:
//! * client: `rdp.cookie_user` (`mstshash` user), `rdp.routing_token`, `rdp.cookie` (other
//!   cookie), `rdp.requested_protocols` (`rdp,ssl,hybrid`), `rdp.restricted_admin`
//!   (`required`), `rdp.client_name`, `rdp.client_build`, `rdp.client_version`,
//!   `rdp.desktop_size`, `rdp.keyboard_layout`;
//! * server: `rdp.selected_protocol` (`standard`, `ssl`, `hybrid`, `hybrid_ex`, `rdstls`),
//!   `rdp.negotiation_failure` (`ssl_not_allowed_by_server`, ...), `rdp.server_version`,
//!   `rdp.encryption_method` (`128bit`, ...), `rdp.encryption_level` (`none`, `low`,
//!   `client_compatible`, `high`, `fips`), `rdp.mcs_result` (non-zero Connect-Response
//!   result).
//!
//! Claims: `hostname` of the client from the client core data's clientName (source
//! `rdp.client_core_data`, confidence 60).
//!
//! Operations: `connect` (`x224_connection_request`) per CR, `login` (`rdp_session`) when the
//! server accepts a security protocol.
//!
//! Anomalies: `tpkt_bad_length`, `rdp_not_tpkt`, `x224_malformed`, `rdp_expected_cr`,
//! `rdp_expected_cc`, `rdp_cookie_unterminated`, `rdp_neg_req_bad_length`,
//! `rdp_cr_trailing_bytes`, `rdp_cc_malformed`, BER errors of the MCS layer (`ber_*`),
//! `gcc_no_user_data`, `gcc_length_exceeds_data`, `gcc_bad_block`, `rdp_client_core_short`,
//! `rdp_server_security_short`, `rdp_info_malformed`.

pub mod codes;
pub mod parser;
pub mod state;
#[cfg(test)]
mod tests;

use crate::dissect::{Cx, Dir, Parsed, Party, Probe, StreamDissector, text};
use crate::inventory::observation::{AuthEvent, Op, Outcome};
use parser::X224;
use state::{Cli, MAX_PDUS_UNTIL_INFO, Srv, State};

pub const PORTS: &[u16] = &[3389];

/// Largest Connection Request/Confirm accepted by the probe.
const MAX_CR_LEN: usize = 1024;

/// TPKT + X.224 CR carrying an RDP cookie or rdpNegReq (or, on 3389, a plain CR); TPKT + CC
/// carrying an rdpNegRsp/rdpNegFailure (or, on 3389, a plain CC); on 3389 also a TPKT + DT
/// (a session picked up mid-stream). CRs with ISO transport parameters (S7, MMS) are not RDP.
/// Off port 3389 the client's CR is not enough (internet scanners send RDP CRs to any port,
/// e.g. to Modbus/502): the server must answer with an RDP Negotiation Response or Failure.
pub fn probe(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    match data {
        [] | [3] => return Probe::NeedMore,
        [3, 0, ..] => {}
        _ => return Probe::NoMatch,
    }
    let Some(len) = parser::tpkt_len(data) else {
        return Probe::NeedMore;
    };
    if !(7..=MAX_CR_LEN).contains(&len) {
        return Probe::NoMatch;
    }
    let Some(pdu) = data.get(parser::TPKT_HEADER..len) else {
        return Probe::NeedMore;
    };
    let Ok((_, x)) = parser::x224(pdu) else {
        return Probe::NoMatch;
    };
    // LI must cover the whole TPDU for CR/CC (no user data).
    match (dir, x.code) {
        (Dir::ToServer, parser::X224_CR) if x.data.is_empty() && x.header.len() >= 5 => {
            let var = parser::variable_part(&x);
            let r = parser::conn_request(var);
            let neg_ok = r.neg.is_some() && !r.bad_neg_length;
            if (r.cookie.is_some() && !r.unterminated_cookie) || (neg_ok && r.trailing == 0) {
                // Off port 3389 a CR only says what the client hopes for (scanners send RDP
                // CRs to every port): wait for the server's Connection Confirm.
                if port_match {
                    Probe::Match
                } else {
                    Probe::NeedMore
                }
            } else if var.is_empty() && port_match {
                Probe::Match
            } else {
                Probe::NoMatch
            }
        }
        (Dir::ToClient, parser::X224_CC) if x.data.is_empty() && x.header.len() >= 5 => {
            match parser::conn_confirm(parser::variable_part(&x)) {
                parser::NegResult::Response { .. } | parser::NegResult::Failure { .. } => {
                    Probe::Match
                }
                parser::NegResult::Legacy if port_match => Probe::Match,
                _ => Probe::NoMatch,
            }
        }
        (_, parser::X224_DT) if port_match && x.header.len() == 1 => Probe::Match,
        _ => Probe::NoMatch,
    }
}

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(Rdp::default())
}

#[derive(Debug, Default)]
pub struct Rdp {
    pub(crate) st: State,
}

fn version_name(v: u32) -> String {
    let name = match v {
        0x0008_0001 => "RDP 4.0",
        0x0008_0004 => "RDP 5.0-8.1",
        0x0008_0005 => "RDP 10.0",
        0x0008_0006 => "RDP 10.1",
        0x0008_0007 => "RDP 10.2",
        0x0008_0008 => "RDP 10.3",
        0x0008_0009 => "RDP 10.4",
        0x0008_000a => "RDP 10.5",
        0x0008_000b => "RDP 10.6",
        0x0008_000c => "RDP 10.7",
        0x0008_000d => "RDP 10.8",
        0x0008_000e => "RDP 10.9",
        0x0008_000f => "RDP 10.10",
        0x0008_0010 => "RDP 10.11",
        0x0008_0011 => "RDP 10.12",
        _ => return format!("0x{v:08x}"),
    };
    format!("{name} (0x{v:08x})")
}

impl Rdp {
    fn done(&self, dir: Dir) -> bool {
        match dir {
            Dir::ToServer => self.st.cli == Cli::Done,
            Dir::ToClient => self.st.srv == Srv::Done,
        }
    }

    fn finish(&mut self, dir: Dir) {
        match dir {
            Dir::ToServer => self.st.cli = Cli::Done,
            Dir::ToClient => self.st.srv = Srv::Done,
        }
    }

    /// Bytes that are not a TPKT: expected after TLS starts or for fast-path PDUs; an anomaly
    /// only where a connection PDU was due.
    fn not_tpkt(&mut self, dir: Dir, cx: &mut Cx<'_>) {
        if matches!(
            (dir, self.st.cli, self.st.srv),
            (Dir::ToServer, Cli::Cr, _) | (Dir::ToClient, _, Srv::Cc)
        ) {
            cx.anomaly("rdp_not_tpkt");
        }
        self.finish(dir);
    }

    fn standard_auth(
        &mut self,
        user: Option<String>,
        secret: Option<String>,
        cleartext: bool,
        cx: &mut Cx<'_>,
    ) {
        if self.st.auth_reported {
            return;
        }
        self.st.auth_reported = true;
        cx.auth(AuthEvent {
            mechanism: "rdp-standard",
            outcome: Outcome::Attempt,
            user: user.or_else(|| self.st.cookie_user.clone()),
            secret,
            cleartext,
        });
    }

    fn pdu(&mut self, dir: Dir, pdu: &[u8], cx: &mut Cx<'_>) {
        let x = match parser::x224(pdu) {
            Ok((_, x)) => x,
            Err(_) => {
                cx.anomaly("x224_malformed");
                if matches!(self.st.cli, Cli::UntilInfo { .. }) && dir == Dir::ToServer {
                    return;
                }
                self.finish(dir);
                return;
            }
        };
        match dir {
            Dir::ToServer => self.client_pdu(&x, cx),
            Dir::ToClient => self.server_pdu(&x, cx),
        }
    }

    fn client_pdu(&mut self, x: &X224<'_>, cx: &mut Cx<'_>) {
        match self.st.cli {
            Cli::Done => {}
            Cli::Cr => match x.code {
                parser::X224_CR => {
                    self.connection_request(x, cx);
                    self.st.cli = Cli::ConnectInitial;
                }
                parser::X224_DT => self.st.cli = Cli::Done, // picked up mid-session
                _ => {
                    cx.anomaly("rdp_expected_cr");
                    self.st.cli = Cli::Done;
                }
            },
            Cli::ConnectInitial => {
                if x.code == parser::X224_DT && x.data.starts_with(&[0x7f, 0x65]) {
                    self.connect_initial(x.data, cx);
                    self.st.cli = Cli::UntilInfo { n: 0 };
                } else {
                    self.st.cli = Cli::Done;
                }
            }
            Cli::UntilInfo { n } => {
                let info = x.code == parser::X224_DT && self.client_info(x.data, cx);
                if info || n + 1 >= MAX_PDUS_UNTIL_INFO {
                    self.st.cli = Cli::Done;
                } else {
                    self.st.cli = Cli::UntilInfo { n: n + 1 };
                }
            }
        }
    }

    fn server_pdu(&mut self, x: &X224<'_>, cx: &mut Cx<'_>) {
        match self.st.srv {
            Srv::Done => {}
            Srv::Cc => match x.code {
                parser::X224_CC => self.connection_confirm(x, cx),
                parser::X224_DT => self.st.srv = Srv::Done,
                _ => {
                    cx.anomaly("rdp_expected_cc");
                    self.st.srv = Srv::Done;
                }
            },
            Srv::ConnectResponse => {
                if x.code == parser::X224_DT && x.data.starts_with(&[0x7f, 0x66]) {
                    self.connect_response(x.data, cx);
                }
                self.st.srv = Srv::Done;
            }
        }
    }

    fn connection_request(&mut self, x: &X224<'_>, cx: &mut Cx<'_>) {
        cx.op(Op::Connect, Some("x224_connection_request"));
        let r = parser::conn_request(parser::variable_part(x));
        if r.unterminated_cookie {
            cx.anomaly("rdp_cookie_unterminated");
        }
        if r.bad_neg_length {
            cx.anomaly("rdp_neg_req_bad_length");
        }
        if r.trailing > 0 {
            cx.anomaly("rdp_cr_trailing_bytes");
        }
        if let Some(c) = r.cookie {
            if let Some(u) = c.strip_prefix(b"mstshash=") {
                let u = text::device_string(u);
                if !u.is_empty() {
                    cx.fact(Party::Client, "rdp.cookie_user", u.clone());
                    self.st.cookie_user = Some(u);
                }
            } else if c.starts_with(b"msts=") {
                cx.fact(Party::Client, "rdp.routing_token", text::device_string(c));
            } else {
                cx.fact(Party::Client, "rdp.cookie", text::device_string(c));
            }
        }
        match r.neg {
            Some(n) => {
                cx.fact(
                    Party::Client,
                    "rdp.requested_protocols",
                    codes::requested_protocols(n.protocols),
                );
                if n.flags & codes::RESTRICTED_ADMIN_MODE_REQUIRED != 0 {
                    cx.fact(Party::Client, "rdp.restricted_admin", "required");
                }
            }
            None => cx.fact(Party::Client, "rdp.requested_protocols", "rdp"),
        }
    }

    fn connection_confirm(&mut self, x: &X224<'_>, cx: &mut Cx<'_>) {
        let sel = match parser::conn_confirm(parser::variable_part(x)) {
            parser::NegResult::Legacy => 0,
            parser::NegResult::Response { selected, .. } => selected,
            parser::NegResult::Failure { code } => {
                cx.fact(
                    Party::Server,
                    "rdp.negotiation_failure",
                    codes::named(codes::failure_code(code), code),
                );
                self.st.srv = Srv::Done;
                return;
            }
            parser::NegResult::Malformed => {
                cx.anomaly("rdp_cc_malformed");
                self.st.srv = Srv::Done;
                return;
            }
        };
        self.st.selected = Some(sel);
        cx.fact(
            Party::Server,
            "rdp.selected_protocol",
            codes::named(codes::selected_protocol(sel), sel),
        );
        cx.op(Op::Login, Some("rdp_session"));
        if sel == 0 {
            // Standard RDP Security: MCS in cleartext follows; the authentication event waits
            // for the Client Info PDU (which says whether it crossed in cleartext).
            self.st.srv = Srv::ConnectResponse;
        } else {
            cx.auth(AuthEvent {
                mechanism: codes::mechanism(sel),
                outcome: Outcome::Attempt,
                user: self.st.cookie_user.clone(),
                secret: None,
                cleartext: false,
            });
            self.st.srv = Srv::Done;
        }
    }

    fn connect_initial(&mut self, data: &[u8], cx: &mut Cx<'_>) {
        let user = match parser::mcs_connect_initial(data) {
            Ok(u) => u,
            Err(e) => {
                cx.anomaly(e.anomaly());
                return;
            }
        };
        let Some((blocks, short)) = parser::gcc_blocks(user, b"Duca") else {
            cx.anomaly("gcc_no_user_data");
            return;
        };
        if short {
            cx.anomaly("gcc_length_exceeds_data");
        }
        let mut it = parser::Blocks::new(blocks);
        for (t, body) in it.by_ref() {
            if t != parser::CS_CORE {
                continue;
            }
            let Ok((_, c)) = parser::client_core(body) else {
                cx.anomaly("rdp_client_core_short");
                continue;
            };
            let name = text::clean(&parser::utf16le(c.client_name));
            if !name.is_empty() {
                cx.claim(Party::Client, "hostname", &name, "rdp.client_core_data", 60);
                cx.fact(Party::Client, "rdp.client_name", name);
            }
            cx.fact(
                Party::Client,
                "rdp.client_build",
                c.client_build.to_string(),
            );
            cx.fact(Party::Client, "rdp.client_version", version_name(c.version));
            cx.fact(
                Party::Client,
                "rdp.desktop_size",
                format!("{}x{}", c.width, c.height),
            );
            cx.fact(
                Party::Client,
                "rdp.keyboard_layout",
                format!("0x{:08x}", c.keyboard_layout),
            );
        }
        if it.malformed() {
            cx.anomaly("gcc_bad_block");
        }
    }

    fn connect_response(&mut self, data: &[u8], cx: &mut Cx<'_>) {
        let (result, user) = match parser::mcs_connect_response(data) {
            Ok(r) => r,
            Err(e) => {
                cx.anomaly(e.anomaly());
                return;
            }
        };
        if result != 0 {
            cx.fact(Party::Server, "rdp.mcs_result", result.to_string());
        }
        let Some((blocks, short)) = parser::gcc_blocks(user, b"McDn") else {
            cx.anomaly("gcc_no_user_data");
            return;
        };
        if short {
            cx.anomaly("gcc_length_exceeds_data");
        }
        let mut it = parser::Blocks::new(blocks);
        for (t, body) in it.by_ref() {
            match t {
                parser::SC_CORE => {
                    if let Ok((_, v)) = parser::server_core(body) {
                        cx.fact(Party::Server, "rdp.server_version", version_name(v));
                    }
                }
                parser::SC_SECURITY => match parser::server_security(body) {
                    Ok((_, (method, level))) => {
                        cx.fact(
                            Party::Server,
                            "rdp.encryption_method",
                            codes::named(codes::encryption_method(method), method),
                        );
                        cx.fact(
                            Party::Server,
                            "rdp.encryption_level",
                            codes::named(codes::encryption_level(level), level),
                        );
                    }
                    Err(_) => cx.anomaly("rdp_server_security_short"),
                },
                _ => {}
            }
        }
        if it.malformed() {
            cx.anomaly("gcc_bad_block");
        }
    }

    /// A client DT PDU after Connect-Initial; true once the Client Info PDU was seen.
    fn client_info(&mut self, data: &[u8], cx: &mut Cx<'_>) -> bool {
        if parser::mcs_domain_type(data) != Some(25) {
            return false;
        }
        let Ok((_, ud)) = parser::mcs_send_data_request(data) else {
            return false;
        };
        let Ok((rest, (flags, _))) = parser::security_header(ud) else {
            return false;
        };
        if flags & parser::SEC_INFO_PKT == 0 {
            return false;
        }
        if flags & parser::SEC_ENCRYPT != 0 {
            self.standard_auth(None, None, false, cx);
            return true;
        }
        match parser::info_packet(rest) {
            Ok((_, info)) => {
                let s = |b: &[u8]| {
                    if info.unicode() {
                        text::clean(&parser::utf16le(b))
                    } else {
                        text::device_string(b)
                    }
                };
                let (domain, user, password) = (s(info.domain), s(info.user), s(info.password));
                let user = match (domain.is_empty(), user.is_empty()) {
                    (_, true) => None,
                    (true, false) => Some(user),
                    (false, false) => Some(format!("{domain}\\{user}")),
                };
                let secret = (!password.is_empty()).then_some(password);
                self.standard_auth(user, secret, true, cx);
            }
            Err(_) => {
                cx.anomaly("rdp_info_malformed");
                self.standard_auth(None, None, true, cx);
            }
        }
        true
    }
}

impl StreamDissector for Rdp {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let mut off = 0usize;
        loop {
            if self.done(dir) {
                return Parsed::Consumed(data.len());
            }
            let rest = data.get(off..).unwrap_or(&[]);
            if rest.is_empty() {
                return Parsed::Consumed(data.len());
            }
            let len = match parser::tpkt_len(rest) {
                Some(l) => l,
                None if rest.len() < parser::TPKT_HEADER && rest.first() == Some(&3) => {
                    return Parsed::NeedMore {
                        consumed: off,
                        needed: parser::TPKT_HEADER,
                    };
                }
                None => {
                    self.not_tpkt(dir, cx);
                    continue;
                }
            };
            if len < 7 {
                cx.anomaly("tpkt_bad_length");
                self.finish(dir);
                continue;
            }
            let Some(pdu) = rest.get(parser::TPKT_HEADER..len) else {
                return Parsed::NeedMore {
                    consumed: off,
                    needed: len,
                };
            };
            self.pdu(dir, pdu, cx);
            off += len;
        }
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        self.finish(dir);
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        if self.st.selected == Some(0) {
            self.standard_auth(None, None, false, cx);
        }
    }
}
