//! OPC UA binary: UA TCP (UACP), UA Secure Conversation (UASC) and UA Binary service bodies,
//! passively. Protocol `opcua`, usual port 4840, found by content on any port.
//!
//! ## What is parsed
//! * Transport: the 8-byte message header (`HEL`/`ACK`/`ERR`/`RHE`/`OPN`/`MSG`/`CLO`, chunk
//!   type `F`/`C`/`A`, size), framed before the body. HEL (version, buffer sizes, max message
//!   size, endpoint URL), ACK (negotiated limits), ERR (status code named, reason), RHE
//!   (reverse hello: the server opened the connection; server URI and endpoint URL).
//! * Chunks: intermediate `C` chunks of readable channels are reassembled per (direction,
//!   secure channel, request id), bounded by `Limits::max_pdu_bytes`; `A` aborts one.
//! * OPN: asymmetric security header (policy URI, sender certificate, receiver thumbprint:
//!   always cleartext); with policy None the OpenSecureChannel request/response bodies.
//! * MSG/CLO bodies when readable: GetEndpoints, FindServers, FindServersOnNetwork,
//!   RegisterServer(2), CreateSession, ActivateSession (identity tokens), Read (build
//!   information nodes matched request → response by request handle), ServiceFault; every other
//!   service is named (codes.rs) and counted as an operation; unknown ids are kept raw.
//!
//! ## What is knowable on the wire (security)
//! With a policy other than None the OPN body is always encrypted, so the requested mode
//! (Sign or SignAndEncrypt) cannot be read there. MSG bodies are readable when the mode is
//! None or Sign (a signature follows the body), not with SignAndEncrypt. The dissector decides
//! from the first MSG of such a channel: when its bytes decode as a plaintext service message
//! (sequence header, a known service type id and a valid request/response header), the channel
//! signs only (`Sign`); otherwise it encrypts (`SignAndEncrypt`). A channel that carried no MSG
//! is reported as `SignOrEncrypt(<policy>)`. A channel picked up mid-stream whose OPN was not
//! seen but whose bodies read as plaintext is `NoneOrSign`. Encrypted bodies are not counted
//! as operations (they cannot be seen); encrypted OPN and CLO messages are (their type is
//! cleartext).
//!
//! Certificates: subject, issuer, validity and SHA-1 thumbprint are read (x509-parser);
//! self-signed means subject == issuer (and matching key identifiers): the signature is not
//! verified.
//!
//! Attribution: identity is claimed for the side that *sent* a response (so a reverse
//! connection or a flow whose direction was guessed wrong still lands on the right IP). An
//! endpoint description in a GetEndpoints response describes the responder unless its URL
//! names another IP literal (and is not the URL of the HEL); a FindServers entry describes the
//! responder only with positive evidence (a discovery URL equal to the HEL URL, or with the
//! responder's port and address / a host name, or a DiscoveryServer without URLs); the others
//! become `opcua.discovered_server` facts.
//!
//! ## Claims (source, confidence)
//! * Server, from endpoint descriptions (`opcua.get_endpoints` / `opcua.create_session`, 90)
//!   and FindServers self-descriptions (`opcua.find_servers`, 80): `application_uri`,
//!   `product_uri`, `name`, `opcua.application_name`, `opcua.application_uri`,
//!   `opcua.product_uri`, `opcua.application_type`.
//! * Server, from BuildInfo / ServerStatus reads (`opcua.build_info`, 85): `vendor`, `product`,
//!   `firmware`, `product_uri`, `opcua.manufacturer_name`, `opcua.product_name`,
//!   `opcua.software_version`, `opcua.build_number`.
//! * Server, from ReverseHello (`opcua.reverse_hello`, 80): `application_uri`.
//! * Client, from CreateSession (`opcua.create_session`, 90): `application_uri`, `product_uri`,
//!   `name`, `opcua.client_application_name`, `opcua.application_type`.
//! * Client registering with a discovery server (`opcua.register_server`, 80):
//!   `application_uri`, `product_uri`, `name`, `opcua.application_type`.
//!
//! ## Facts (`cx.fact` keys)
//! * `opcua.endpoint_url` (server): URL from HEL, RHE or CreateSession.
//! * `opcua.security_policy` (server): policy URI of each secure channel.
//! * `opcua.channel_security_mode` (server): `None`, `Sign`, `SignAndEncrypt` (inferred, see
//!   above), `NoneOrSign`, `SignOrEncrypt(<policy>)`.
//! * `opcua.encrypted_channel` (server): policy URI of a channel whose bodies are encrypted.
//! * `opcua.deprecated_policy` (server): Basic128Rsa15 / Basic256 in use or offered.
//! * `opcua.session_security_mode` (server): channel mode under which ActivateSession ran.
//! * `opcua.endpoint` (server): `<mode>|<policy uri>|<token types>` per offered endpoint.
//! * `opcua.security_mode_offered`, `opcua.security_policy_offered`, `opcua.token_offered`
//!   (`<TokenType>@<mode>`), `opcua.username_cleartext_possible` = `true` (UserName offered on
//!   mode None with a None or empty token policy).
//! * `opcua.discovered_server` (responder): `<application uri or name> <url>` of servers a
//!   discovery answer describes.
//! * `opcua.cert_subject`, `opcua.cert_issuer`, `opcua.cert_not_after` (RFC 3339),
//!   `opcua.cert_self_signed` (`true`/`false`), `opcua.cert_sha1`, `opcua.cert_expired`
//!   (`true`/`false` against the capture time), `opcua.cert_not_yet_valid` = `true`: on the
//!   owner of the certificate (server certificates on the server, client certificates on the
//!   client).
//! * `opcua.receiver_thumbprint` (receiver of an OPN): thumbprint of its certificate.
//! * `opcua.session_name` (client).
//! * `opcua.build_date` (server): RFC 3339.
//! * `opcua.error` (sender of ERR): `<status> <reason>`.
//! * `opcua.service_fault` (responder): status of a ServiceFault.
//! * `opcua.reverse_connect` = `true` (server that opened the connection with RHE).
//! * `opcua.unknown_service` (receiver): raw type id (`ns=0;i=4711`) of a message body this
//!   dissector does not name, at most 8 per flow.
//!
//! ## Operations
//! Every readable request once: GetEndpoints → identify `get_endpoints`; FindServers(OnNetwork)
//! → discovery; CreateSession / OpenSecureChannel → connect; ActivateSession → login;
//! Read/QueryFirst/QueryNext/HistoryRead → read; Browse/BrowseNext/TranslateBrowsePaths/
//! (Un)RegisterNodes → browse; Write/HistoryUpdate → write; Add/DeleteNodes,
//! Add/DeleteReferences → config_change; Call → call; subscriptions, monitored items and
//! Publish → subscribe; CloseSession, Cancel, CloseSecureChannel, RegisterServer → other.
//!
//! ## Authentication
//! `opcua-anonymous`, `opcua-username`, `opcua-x509`, `opcua-issued`: `Offered` for each token
//! type of each endpoint, `Attempt` for ActivateSession, then `Success`/`Failure` from the
//! ActivateSession response or ServiceFault with the same request handle. `cleartext` is true
//! when a UserName password had no encryption algorithm and the channel body was readable
//! (mode None, or Sign: the password crossed the wire readable either way).
//!
//! ## Anomalies
//! `garbage_skipped`, `chunk_too_large`, `chunk_exceeds_buffer_size`, `message_too_large`,
//! `message_exceeds_max_message_size`, `too_many_chunks`, `too_many_partial_messages`,
//! `buffer_size_below_minimum`, `malformed_hello`, `malformed_ack`,
//! `malformed_error`, `malformed_reverse_hello`, `malformed_opn`, `malformed_msg`,
//! `malformed_certificate`, `mode_policy_mismatch`, `unexpected_service`,
//! `pending_table_full`, `observation_budget_exhausted` (more than 1024 observations with
//! device-chosen strings on one flow), and the UA Binary decoding errors `ua_truncated`,
//! `ua_array_too_large`, `ua_nesting_too_deep`, `ua_invalid_encoding`.

pub mod cert;
pub mod codes;
pub mod parser;
pub mod state;

#[cfg(test)]
mod tests;

use crate::dissect::text::device_string;
use crate::dissect::{Cx, Dir, Parsed, Party, Probe, StreamDissector, StreamSpec};
use crate::inventory::observation::{AuthEvent, Op, Outcome};
use codes::Kind;
use parser::{HEADER_LEN, Header, MsgType, UaError};
use state::{Channel, Mode, Pending, PendingKind, Reasm, State};
use std::net::IpAddr;

#[cfg(test)]
thread_local! {
    /// Tests: compute every certificate's SHA-1 (no `recent_certs`).
    pub static NO_RECENT_CERTS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Registration in [`crate::dissect::STREAM_PROTOCOLS`].
pub const SPEC: StreamSpec = StreamSpec {
    proto: "opcua",
    ports: &[4840],
    probe,
    new,
};

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(OpcUa::default())
}

const TYPES: [&[u8; 3]; 7] = [b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"MSG", b"CLO"];
/// Bytes the engine holds while probing (a HEL longer than that is judged on what is there).
const PROBE_WINDOW: usize = 2048;

enum Check {
    Yes,
    No,
    More,
}

fn printable(b: &[u8]) -> bool {
    b.iter().all(|&c| (0x20..0x7f).contains(&c))
}

/// Judge a message header (and what the body shows) at the start of `data`.
fn check_at(data: &[u8]) -> Check {
    let Some(h) = parser::plausible_header(data) else {
        return Check::No;
    };
    let size = h.size as usize;
    let have = data.len().min(size);
    let body = data.get(HEADER_LEN..have).unwrap_or(&[]);
    let complete = data.len() >= size;
    let window_full = data.len() >= PROBE_WINDOW;
    let wait = |enough: bool| {
        if enough || window_full {
            Check::No
        } else {
            Check::More
        }
    };
    match h.mtype {
        MsgType::Hel => {
            if body.len() < 24 {
                return wait(complete);
            }
            let u = |k: usize| u32::from_le_bytes([body[k], body[k + 1], body[k + 2], body[k + 3]]);
            let (version, rbuf, sbuf) = (u(0), u(4), u(8));
            let url_len = i32::from_le_bytes([body[20], body[21], body[22], body[23]]);
            if version > 255 || rbuf < 1024 || sbuf < 1024 {
                return Check::No;
            }
            if url_len < 0 || url_len as usize > size - 32 {
                return Check::No;
            }
            let url = &body[24..body.len().min(24 + url_len as usize)];
            if !printable(url) {
                return Check::No;
            }
            if url.len() < url_len as usize && !window_full {
                return Check::More;
            }
            Check::Yes
        }
        MsgType::Ack => {
            if !complete {
                return wait(false);
            }
            let u = |k: usize| u32::from_le_bytes([body[k], body[k + 1], body[k + 2], body[k + 3]]);
            if size > 64 || u(0) > 255 || u(4) < 1024 || u(8) < 1024 {
                return Check::No;
            }
            Check::Yes
        }
        MsgType::Err | MsgType::Rhe => {
            if !complete {
                return wait(false);
            }
            let ok = if h.mtype == MsgType::Err {
                parser::error_msg(body)
                    .map(|(rest, e)| rest.is_empty() && e.code & 0x8000_0000 != 0)
                    .unwrap_or(false)
            } else {
                parser::reverse_hello(body)
                    .map(|(rest, r)| {
                        rest.is_empty()
                            && r.server_uri.is_some_and(printable)
                            && r.endpoint_url.is_some_and(printable)
                    })
                    .unwrap_or(false)
            };
            if ok { Check::Yes } else { Check::No }
        }
        MsgType::Opn => {
            let prefix = codes::POLICY_PREFIX.as_bytes();
            if body.len() < 8 {
                return wait(complete);
            }
            let len = i32::from_le_bytes([body[4], body[5], body[6], body[7]]);
            if len < prefix.len() as i32 || len > 256 {
                return Check::No;
            }
            let got = &body[8..body.len().min(8 + prefix.len())];
            if !prefix.starts_with(got) {
                return Check::No;
            }
            if got.len() < prefix.len() {
                return wait(complete);
            }
            Check::Yes
        }
        MsgType::Msg | MsgType::Clo => {
            // Messages follow each other back to back: when the next header is there it must
            // be one too.
            if let Some(next) = data.get(size..) {
                if next.len() >= HEADER_LEN && parser::plausible_header(next).is_none() {
                    return Check::No;
                }
            }
            Check::Yes
        }
    }
}

/// Which way the message at the start of `data` travels: `Some(true)` to the server (HEL, RHE
/// from the server that opened the connection, a request), `Some(false)` back (ACK, a response
/// or fault), `None` either (ERR, an abort, a body that is encrypted or does not read as a
/// known service with its request or response header). `Err` while the bytes that tell have
/// not all arrived. (With reverse connect, HEL and requests come from the side that listened:
/// a flow picked up mid-stream is then oriented by OPC UA roles, not by who connected.)
fn way(data: &[u8], h: &Header) -> Result<Option<bool>, ()> {
    match h.mtype {
        MsgType::Hel | MsgType::Rhe => Ok(Some(true)),
        MsgType::Ack => Ok(Some(false)),
        MsgType::Err => Ok(None),
        _ if h.chunk == parser::CHUNK_ABORT => Ok(None),
        MsgType::Opn | MsgType::Msg | MsgType::Clo => {
            let m = &data[..data.len().min(h.size as usize)];
            let arriving = m.len() < h.size as usize && data.len() < PROBE_WINDOW;
            // The sequence header starts after the security header.
            let seq_at = match h.mtype {
                MsgType::Opn => m
                    .get(HEADER_LEN..)
                    .and_then(|b| parser::asym_header(b).ok())
                    .map(|(rest, _)| m.len() - rest.len()),
                _ => Some(HEADER_LEN + 8),
            };
            match seq_at.and_then(|at| m.get(at..)).and_then(plain_kind) {
                Some(k) => Ok(Some(k == Kind::Request)),
                None if arriving => Err(()),
                None => Ok(None),
            }
        }
    }
}

/// The kind of a plaintext message from its sequence header on: a known service type id and
/// a valid request or response header; `None` when it does not read so (encrypted, a later
/// chunk, not yet all there).
fn plain_kind(rest: &[u8]) -> Option<Kind> {
    let (b, _) = parser::seq_header(rest).ok()?;
    let (b, tid) = parser::type_id(b).ok()?;
    let s = tid.ns0().and_then(codes::service)?;
    let ok = match s.kind {
        Kind::Request => parser::request_header(b).is_ok(),
        Kind::Response | Kind::Fault => parser::response_header(b).is_ok(),
    };
    ok.then_some(s.kind)
}

/// Away from port 4840 a message must travel its way ([`way`]): the engine turns a flow picked
/// up mid-stream round when only the other way matches.
fn way_ok(data: &[u8], to_server: Option<bool>) -> Probe {
    let (Some(to_server), Some(h)) = (to_server, parser::plausible_header(data)) else {
        return Probe::Match;
    };
    match way(data, &h) {
        Ok(Some(w)) if w != to_server => Probe::NoMatch,
        Ok(_) => Probe::Match,
        Err(()) => Probe::NeedMore,
    }
}

/// Content detection (any port): an OPC UA message header at the start of the bytes, with a
/// body consistent with its type; or, for a flow picked up mid-message, two consecutive
/// secure-channel headers further in. Away from port 4840 the direction counts too ([`way`]).
pub fn probe(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    let to_server = (!port_match).then_some(dir == Dir::ToServer);
    if data.len() < HEADER_LEN {
        let n = data.len().min(3);
        let type_ok = TYPES.iter().any(|t| t.starts_with(&data[..n]));
        let chunk_ok = data.len() < 4 || matches!(data[3], b'F' | b'C' | b'A');
        return if type_ok && chunk_ok {
            Probe::NeedMore
        } else {
            Probe::NoMatch
        };
    }
    match check_at(data) {
        Check::Yes => return way_ok(data, to_server),
        Check::More => return Probe::NeedMore,
        Check::No => {}
    }
    // Mid-stream: a secure-channel header followed by another one right after it.
    let mut k = 1;
    while k + HEADER_LEN <= data.len() {
        if let Some(h) = parser::plausible_header(&data[k..]) {
            if h.mtype.is_secure() {
                let next = k.saturating_add(h.size as usize);
                if let Some(n) = data.get(next..) {
                    if parser::plausible_header(n).is_some_and(|g| g.mtype.is_secure()) {
                        return way_ok(&data[k..], to_server);
                    }
                }
            }
        }
        k += 1;
    }
    Probe::NoMatch
}

/// Position of the first plausible header in `b` (a candidate for resynchronisation).
fn find_header(b: &[u8]) -> Option<usize> {
    let mut k = 0;
    while k + HEADER_LEN <= b.len() {
        let c = b[k];
        if matches!(c, b'H' | b'A' | b'E' | b'R' | b'O' | b'M' | b'C')
            && parser::plausible_header(&b[k..]).is_some()
        {
            return Some(k);
        }
        k += 1;
    }
    None
}

/// The party that sent bytes travelling in `d`.
fn sender(d: Dir) -> Party {
    match d {
        Dir::ToServer => Party::Client,
        Dir::ToClient => Party::Server,
    }
}

fn receiver(d: Dir) -> Party {
    sender(d.other())
}

fn party_ip(cx: &Cx<'_>, p: Party) -> IpAddr {
    match p {
        Party::Server => cx.server,
        Party::Client => cx.client,
    }
}

fn party_port(cx: &Cx<'_>, p: Party) -> u16 {
    match p {
        Party::Server => cx.server_port,
        Party::Client => cx.client_port,
    }
}

fn text(b: Option<&[u8]>) -> String {
    b.map(device_string).unwrap_or_default()
}

/// Host and port of an `opc.tcp://host:port/path` URL (port 4840 when absent).
pub fn url_host_port(url: &str) -> Option<(&str, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let authority = authority.rsplit('@').next()?;
    if let Some(r) = authority.strip_prefix('[') {
        let (h, after) = r.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => 4840,
        };
        return Some((h, port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h, p.parse().ok()?)),
        None => Some((authority, 4840)),
    }
}

/// What a URL says about whether it designates `ip`: `Some(true)` same address (or both
/// loopback / unspecified), `Some(false)` another IP literal, `None` a host name.
fn url_names_ip(url: &str, ip: IpAddr) -> Option<bool> {
    let (host, _) = url_host_port(url)?;
    let host_ip: IpAddr = host.parse().ok()?;
    Some(
        host_ip == ip
            || host_ip.is_unspecified()
            || (host_ip.is_loopback() && ip.is_loopback())
            || match (host_ip, ip) {
                (IpAddr::V4(a), IpAddr::V6(b)) | (IpAddr::V6(b), IpAddr::V4(a)) => {
                    b.to_ipv4_mapped() == Some(a)
                }
                _ => false,
            },
    )
}

/// FNV-1a over the bytes of a build-information value (ServerStatus without its two
/// timestamps and state, which change on every read).
fn value_digest(node: u32, v: &parser::Value<'_>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: &[u8]| {
        for &x in b {
            h ^= u64::from(x);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(&node.to_le_bytes());
    match v {
        parser::Value::Str(Some(b)) => eat(b),
        parser::Value::DateTime(t) => eat(&t.to_le_bytes()),
        parser::Value::Ext(e) => {
            let body = e.body.unwrap_or(&[]);
            let skip = if node == codes::NODE_SERVER_STATUS {
                20
            } else {
                0
            };
            eat(body.get(skip..).unwrap_or(&[]));
        }
        _ => {}
    }
    h
}

/// How a body is available after chunk handling.
enum Body {
    /// This chunk is a whole message.
    Direct,
    /// The final chunk completed a reassembled message.
    Assembled(Vec<u8>),
    /// Nothing to decode now (intermediate chunk stored, aborted, dropped).
    Wait,
}

/// The OPC UA dissector of one flow.
#[derive(Debug, Default)]
pub struct OpcUa {
    st: State,
}

impl OpcUa {
    /// The party that is the UA server (the TCP client after a ReverseHello).
    fn ua_server(&self) -> Party {
        if self.st.reverse {
            Party::Client
        } else {
            Party::Server
        }
    }

    /// Budget for observations with device-chosen string values: a stream cannot flood the
    /// store with distinct values (the store is bounded, but one flow should not fill it).
    fn spend(&mut self, cx: &mut Cx<'_>) -> bool {
        if self.st.reports >= state::MAX_STRING_REPORTS {
            if !self.st.budget_exhausted {
                self.st.budget_exhausted = true;
                cx.anomaly("observation_budget_exhausted");
            }
            return false;
        }
        self.st.reports += 1;
        true
    }

    /// Requests travel in this direction.
    fn is_request_dir(&self, d: Dir) -> bool {
        (d == Dir::ToServer) != self.st.reverse
    }

    fn message(&mut self, dir: Dir, h: Header, body: &[u8], cx: &mut Cx<'_>) {
        match h.mtype {
            MsgType::Hel => self.on_hello(dir, body, cx),
            MsgType::Ack => self.on_ack(dir, body, cx),
            MsgType::Err => self.on_error(dir, body, cx),
            MsgType::Rhe => self.on_reverse_hello(dir, body, cx),
            MsgType::Opn => self.on_opn(dir, h, body, cx),
            MsgType::Msg | MsgType::Clo => self.on_msg(dir, h, body, cx),
        }
    }

    fn on_hello(&mut self, dir: Dir, body: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, hel)) = parser::hello(body) else {
            cx.anomaly("malformed_hello");
            return;
        };
        if hel.receive_buffer < 8192 || hel.send_buffer < 8192 {
            cx.anomaly("buffer_size_below_minimum");
        }
        // The HEL sender receives chunks of at most its ReceiveBufferSize.
        let back = self.st.dir(dir.other());
        back.max_chunk = hel.receive_buffer;
        back.max_message = hel.max_message;
        back.max_chunks = hel.max_chunks;
        if let Some(u) = hel.endpoint_url.filter(|_| self.spend(cx)) {
            let url = device_string(u);
            if !url.is_empty() {
                cx.fact(receiver(dir), "opcua.endpoint_url", url.clone());
                self.st.hello_url = Some(url);
            }
        }
    }

    fn on_ack(&mut self, dir: Dir, body: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, ack)) = parser::ack(body) else {
            cx.anomaly("malformed_ack");
            return;
        };
        if ack.receive_buffer < 8192 || ack.send_buffer < 8192 {
            cx.anomaly("buffer_size_below_minimum");
        }
        // The ACK sender receives chunks of at most its ReceiveBufferSize and requests of at
        // most MaxMessageSize.
        let back = self.st.dir(dir.other());
        back.max_chunk = ack.receive_buffer;
        back.max_message = ack.max_message;
        back.max_chunks = ack.max_chunks;
        let fwd = self.st.dir(dir);
        if fwd.max_chunk == 0 || ack.send_buffer < fwd.max_chunk {
            fwd.max_chunk = ack.send_buffer;
        }
    }

    fn on_error(&mut self, dir: Dir, body: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, e)) = parser::error_msg(body) else {
            cx.anomaly("malformed_error");
            return;
        };
        if !self.spend(cx) {
            return;
        }
        let reason = text(e.reason);
        let v = if reason.is_empty() {
            codes::status_text(e.code)
        } else {
            format!("{} {}", codes::status_text(e.code), reason)
        };
        cx.fact(sender(dir), "opcua.error", v);
    }

    fn on_reverse_hello(&mut self, dir: Dir, body: &[u8], cx: &mut Cx<'_>) {
        let Ok((_, r)) = parser::reverse_hello(body) else {
            cx.anomaly("malformed_reverse_hello");
            return;
        };
        // The UA server sent this over a connection it opened: it is the TCP client.
        self.st.reverse = dir == Dir::ToServer;
        let srv = sender(dir);
        cx.fact(srv, "opcua.reverse_connect", "true");
        if !self.spend(cx) {
            return;
        }
        let uri = text(r.server_uri);
        cx.claim(srv, "application_uri", &uri, "opcua.reverse_hello", 80);
        let url = text(r.endpoint_url);
        if !url.is_empty() {
            cx.fact(srv, "opcua.endpoint_url", url);
        }
    }

    /// A certificate seen: its facts once (per `certs_seen`), and an anomaly if unreadable.
    fn report_cert(&mut self, owner: Party, der: &[u8], cx: &mut Cx<'_>) {
        if der.is_empty() {
            return;
        }
        #[cfg(test)]
        if NO_RECENT_CERTS.get() {
            self.st.recent_certs.clear();
        }
        if let Some(i) = self.st.recent_certs.iter().position(|c| c == der) {
            self.st.recent_certs[..=i].rotate_right(1);
            return;
        }
        let digest = cert::sha1(der);
        let mut key = [0u8; 8];
        key.copy_from_slice(&digest[..8]);
        let seen = self.st.cert_seen(key);
        if der.len() <= state::RECENT_CERT_MAX {
            const _: () = assert!(state::RECENT_CERTS <= state::MAX_CERTS_SEEN);
            if self.st.recent_certs.len() >= state::RECENT_CERTS {
                self.st.recent_certs.pop();
            }
            self.st.recent_certs.insert(0, der.to_vec());
        } else {
            // Its key went in unseen here: the others' count of keys since would be wrong.
            self.st.recent_certs.clear();
        }
        if seen || !self.spend(cx) {
            return;
        }
        let Some(c) = cert::parse(der) else {
            cx.anomaly("malformed_certificate");
            return;
        };
        let now = cx.ev.ts.secs() as i64;
        cx.fact(owner, "opcua.cert_subject", c.subject);
        cx.fact(owner, "opcua.cert_issuer", c.issuer);
        cx.fact(owner, "opcua.cert_not_after", cert::rfc3339(c.not_after));
        cx.fact(
            owner,
            "opcua.cert_self_signed",
            if c.self_signed { "true" } else { "false" },
        );
        cx.fact(owner, "opcua.cert_sha1", c.sha1);
        cx.fact(
            owner,
            "opcua.cert_expired",
            if c.not_after < now { "true" } else { "false" },
        );
        if c.not_before > now {
            cx.fact(owner, "opcua.cert_not_yet_valid", "true");
        }
    }

    fn report_policy(&mut self, policy: &str, cx: &mut Cx<'_>) {
        if !self.spend(cx) {
            return;
        }
        let srv = self.ua_server();
        cx.fact(srv, "opcua.security_policy", policy.to_string());
        if codes::is_deprecated_policy(policy) {
            cx.fact(srv, "opcua.deprecated_policy", policy.to_string());
        }
    }

    fn report_mode(&mut self, channel: u32, cx: &mut Cx<'_>) {
        let srv = self.ua_server();
        let Some(ch) = self.st.channel(channel) else {
            return;
        };
        if ch.mode_reported || ch.mode == Mode::Unknown {
            return;
        }
        ch.mode_reported = true;
        let (mode, policy) = (ch.mode, ch.policy.clone());
        cx.fact(srv, "opcua.channel_security_mode", mode.name());
        if mode == Mode::SignAndEncrypt {
            cx.fact(srv, "opcua.encrypted_channel", policy);
        }
    }

    fn on_opn(&mut self, dir: Dir, h: Header, body: &[u8], cx: &mut Cx<'_>) {
        let (rest, ah) = match parser::asym_header(body) {
            Ok(v) => v,
            Err(_) => {
                cx.anomaly("malformed_opn");
                return;
            }
        };
        let is_req = self.is_request_dir(dir);
        let policy = text(ah.policy_uri);
        self.report_policy(&policy, cx);
        if let Some(c) = ah.sender_cert {
            self.report_cert(sender(dir), c, cx);
        }
        let thumbprint = ah
            .receiver_thumbprint
            .filter(|t| !t.is_empty() && t.len() <= 64);
        if let Some(t) = thumbprint.filter(|_| self.spend(cx)) {
            cx.fact(receiver(dir), "opcua.receiver_thumbprint", cert::hex(t));
        }
        if !codes::is_none_policy(&policy) {
            // Body encrypted with the receiver's public key: only the header is visible.
            if is_req {
                cx.op(Op::Connect, Some("open_secure_channel"));
            }
            let keep_mode = self
                .st
                .channel(ah.channel_id)
                .filter(|c| c.policy == policy)
                .map(|c| (c.mode, c.mode_reported));
            let (mode, mode_reported) = keep_mode.unwrap_or((Mode::Unknown, false));
            if ah.channel_id != 0 {
                self.st.upsert_channel(Channel {
                    id: ah.channel_id,
                    policy,
                    mode,
                    mode_reported,
                });
            }
            return;
        }
        let Ok((payload, seq)) = parser::seq_header(rest) else {
            cx.anomaly("malformed_opn");
            return;
        };
        match self.chunk(dir, h, ah.channel_id, seq.request_id, payload, cx) {
            Body::Direct => self.opn_body(dir, ah.channel_id, payload, &policy, cx),
            Body::Assembled(b) => self.opn_body(dir, ah.channel_id, &b, &policy, cx),
            Body::Wait => {}
        }
    }

    fn opn_body(&mut self, dir: Dir, header_channel: u32, b: &[u8], policy: &str, cx: &mut Cx<'_>) {
        let Ok((rest, tid)) = parser::type_id(b) else {
            cx.anomaly("malformed_opn");
            return;
        };
        let id = tid.ns0().unwrap_or(u32::MAX);
        let channel = match id {
            codes::OPEN_SECURE_CHANNEL_REQ => {
                cx.op(Op::Connect, Some("open_secure_channel"));
                match parser::opn_req(rest) {
                    Ok((_, r)) => {
                        if r.mode != 1 {
                            cx.anomaly("mode_policy_mismatch");
                        }
                        header_channel
                    }
                    Err(e) => {
                        cx.anomaly(parser::error_of(e).anomaly());
                        return;
                    }
                }
            }
            codes::OPEN_SECURE_CHANNEL_RESP => match parser::opn_resp(rest) {
                Ok((_, r)) => {
                    if !codes::status_ok(r.header.status) {
                        cx.fact(
                            sender(dir),
                            "opcua.service_fault",
                            codes::status_text(r.header.status),
                        );
                    }
                    r.channel_id
                }
                Err(e) => {
                    cx.anomaly(parser::error_of(e).anomaly());
                    return;
                }
            },
            codes::SERVICE_FAULT => {
                self.service(dir, b, Mode::None, cx);
                return;
            }
            _ => {
                cx.anomaly("unexpected_service");
                return;
            }
        };
        let prev = self
            .st
            .channel(channel)
            .map(|c| c.mode_reported)
            .unwrap_or(false);
        self.st.upsert_channel(Channel {
            id: channel,
            policy: policy.to_string(),
            mode: Mode::None,
            mode_reported: prev,
        });
        self.report_mode(channel, cx);
    }

    /// Chunk bookkeeping for a readable secure-channel chunk; `payload` follows the sequence
    /// header.
    fn chunk(
        &mut self,
        dir: Dir,
        h: Header,
        channel: u32,
        request_id: u32,
        payload: &[u8],
        cx: &mut Cx<'_>,
    ) -> Body {
        let idx = self.st.reasm_index(dir, channel, request_id);
        match h.chunk {
            parser::CHUNK_ABORT => {
                if let Some(i) = idx {
                    self.st.remove_reasm(i);
                }
                Body::Wait
            }
            parser::CHUNK_INTERMEDIATE => {
                let max = cx.limits.max_pdu_bytes;
                let i = match idx {
                    Some(i) => i,
                    None => {
                        if self.st.reasm.len() >= state::MAX_REASSEMBLIES {
                            cx.anomaly("too_many_partial_messages");
                            self.st.remove_reasm(0);
                        }
                        self.st.reasm.push(Reasm {
                            dir,
                            channel,
                            request_id,
                            buf: Vec::new(),
                            chunks: 0,
                            overflow: false,
                        });
                        self.st.reasm.len() - 1
                    }
                };
                let ds = self.st.dirs[state::di(dir)];
                let total = self.st.reasm_bytes.saturating_add(payload.len());
                let Some(r) = self.st.reasm.get_mut(i) else {
                    return Body::Wait;
                };
                r.chunks = r.chunks.saturating_add(1);
                if ds.max_chunks != 0 && r.chunks == ds.max_chunks.saturating_add(1) {
                    cx.anomaly("too_many_chunks");
                }
                if r.overflow {
                    return Body::Wait;
                }
                if total > max {
                    cx.anomaly("message_too_large");
                    let freed = r.buf.len();
                    r.buf = Vec::new();
                    r.overflow = true;
                    self.st.reasm_bytes = self.st.reasm_bytes.saturating_sub(freed);
                    return Body::Wait;
                }
                r.buf.extend_from_slice(payload);
                self.st.reasm_bytes = total;
                if ds.max_message != 0 && r.buf.len() > ds.max_message as usize {
                    cx.anomaly("message_exceeds_max_message_size");
                    let freed = r.buf.len();
                    r.buf = Vec::new();
                    r.overflow = true;
                    self.st.reasm_bytes = self.st.reasm_bytes.saturating_sub(freed);
                }
                Body::Wait
            }
            _ => {
                let Some(i) = idx else {
                    return Body::Direct;
                };
                let Some(mut r) = self.st.remove_reasm(i) else {
                    return Body::Direct;
                };
                if r.overflow {
                    return Body::Wait;
                }
                if r.buf.len().saturating_add(payload.len()) > cx.limits.max_pdu_bytes {
                    cx.anomaly("message_too_large");
                    return Body::Wait;
                }
                r.buf.extend_from_slice(payload);
                let ds = self.st.dirs[state::di(dir)];
                if ds.max_message != 0 && r.buf.len() > ds.max_message as usize {
                    cx.anomaly("message_exceeds_max_message_size");
                }
                Body::Assembled(r.buf)
            }
        }
    }

    /// Whether the bytes after a symmetric security header read as a plaintext message: a
    /// sequence header, a known service type id and a valid request/response header.
    fn looks_plain(rest: &[u8]) -> bool {
        plain_kind(rest).is_some()
    }

    fn on_msg(&mut self, dir: Dir, h: Header, body: &[u8], cx: &mut Cx<'_>) {
        let Ok((rest, sh)) = parser::sym_header(body) else {
            cx.anomaly("malformed_msg");
            return;
        };
        let mode = match self.st.channel(sh.channel_id).map(|c| c.mode) {
            Some(Mode::Unknown) => {
                // Policy not None, first message: readable means Sign only. An intermediate
                // chunk that does not read waits for the next message.
                let m = if Self::looks_plain(rest) {
                    Mode::Sign
                } else if h.chunk == parser::CHUNK_FINAL {
                    Mode::SignAndEncrypt
                } else {
                    return;
                };
                if let Some(c) = self.st.channel(sh.channel_id) {
                    c.mode = m;
                }
                self.report_mode(sh.channel_id, cx);
                m
            }
            Some(m) => m,
            None => {
                // Channel opened before the capture (or its OPN was lost): decide by content,
                // after a few unreadable messages for the encrypted verdict.
                let srv = self.ua_server();
                let m = if Self::looks_plain(rest) {
                    Mode::Plain
                } else {
                    self.st.undecided = self.st.undecided.saturating_add(1);
                    if self.st.undecided < 3 {
                        return;
                    }
                    Mode::SignAndEncrypt
                };
                self.st.upsert_channel(Channel {
                    id: sh.channel_id,
                    policy: String::new(),
                    mode: m,
                    mode_reported: true,
                });
                cx.fact(srv, "opcua.channel_security_mode", m.name());
                if m == Mode::SignAndEncrypt {
                    cx.fact(srv, "opcua.encrypted_channel", "unknown");
                }
                m
            }
        };
        if h.mtype == MsgType::Clo && self.is_request_dir(dir) && !mode.readable() {
            cx.op(Op::Other, Some("close_secure_channel"));
        }
        if !mode.readable() {
            if h.mtype == MsgType::Clo {
                self.close_channel(sh.channel_id);
            }
            return;
        }
        let Ok((payload, seq)) = parser::seq_header(rest) else {
            cx.anomaly("malformed_msg");
            return;
        };
        match self.chunk(dir, h, sh.channel_id, seq.request_id, payload, cx) {
            Body::Direct => self.service(dir, payload, mode, cx),
            Body::Assembled(b) => self.service(dir, &b, mode, cx),
            Body::Wait => {}
        }
        if h.mtype == MsgType::Clo {
            self.close_channel(sh.channel_id);
        }
    }

    fn close_channel(&mut self, id: u32) {
        self.st.channels.retain(|c| c.id != id);
    }

    /// A readable service body (type id first).
    fn service(&mut self, dir: Dir, b: &[u8], mode: Mode, cx: &mut Cx<'_>) {
        let Ok((rest, tid)) = parser::type_id(b) else {
            cx.anomaly("malformed_msg");
            return;
        };
        let Some(svc) = tid.ns0().and_then(codes::service) else {
            // Not a service this dissector names (vendor or newer): kept raw.
            if self.is_request_dir(dir) {
                cx.op(Op::Other, Some("unknown_service"));
            }
            if self.st.unknown_services < state::MAX_UNKNOWN_SERVICES {
                self.st.unknown_services += 1;
                let raw = match tid {
                    parser::NodeId::Numeric { ns, id } => format!("ns={ns};i={id}"),
                    parser::NodeId::Str { ns, id } => format!("ns={ns};s={}", text(id)),
                    parser::NodeId::Guid { ns } => format!("ns={ns};g=?"),
                    parser::NodeId::Opaque { ns, .. } => format!("ns={ns};b=?"),
                };
                cx.fact(receiver(dir), "opcua.unknown_service", raw);
            }
            return;
        };
        let id = svc.id;
        if svc.kind == Kind::Request {
            if let Some((op, detail)) = svc.op {
                cx.op(op, Some(detail));
            }
        }
        let r: Result<(), UaError> = match id {
            codes::GET_ENDPOINTS_RESP => parser::get_endpoints_resp(rest)
                .map(|(_, (_, eps))| self.endpoints(dir, &eps, "opcua.get_endpoints", false, cx))
                .map_err(parser::error_of),
            codes::FIND_SERVERS_RESP => parser::find_servers_resp(rest)
                .map(|(_, (_, apps))| self.find_servers(dir, &apps, cx))
                .map_err(parser::error_of),
            codes::FIND_SERVERS_ON_NETWORK_RESP => parser::find_servers_on_network_resp(rest)
                .map(|(_, (_, list))| {
                    for s in list {
                        let v = format!("{} {}", text(s.server_name), text(s.discovery_url));
                        self.discovered(sender(dir), v, cx);
                    }
                })
                .map_err(parser::error_of),
            codes::REGISTER_SERVER_REQ | codes::REGISTER_SERVER2_REQ => {
                parser::register_server_req(rest)
                    .map(|(_, (_, s))| self.register_server(dir, &s, cx))
                    .map_err(parser::error_of)
            }
            codes::CREATE_SESSION_REQ => parser::create_session_req(rest)
                .map(|(_, r)| self.create_session_req(dir, &r, cx))
                .map_err(parser::error_of),
            codes::CREATE_SESSION_RESP => parser::create_session_resp(rest)
                .map(|(_, r)| {
                    if let Some(c) = r.server_cert {
                        self.report_cert(sender(dir), c, cx);
                    }
                    self.endpoints(dir, &r.endpoints, "opcua.create_session", true, cx);
                })
                .map_err(parser::error_of),
            codes::ACTIVATE_SESSION_REQ => parser::activate_session_req(rest)
                .map(|(_, r)| self.activate_req(&r, mode, cx))
                .map_err(parser::error_of),
            codes::ACTIVATE_SESSION_RESP | codes::SERVICE_FAULT => parser::response_header(rest)
                .map(|(_, h)| self.outcome(dir, id, h, cx))
                .map_err(parser::error_of),
            codes::READ_REQ => self.read_req(rest, cx),
            codes::READ_RESP => self.read_resp(dir, rest, cx),
            codes::OPEN_SECURE_CHANNEL_REQ | codes::OPEN_SECURE_CHANNEL_RESP => {
                // Renewals travel as OPN; inside MSG they are out of place.
                cx.anomaly("unexpected_service");
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = r {
            cx.anomaly(e.anomaly());
        }
    }

    fn discovered(&mut self, party: Party, v: String, cx: &mut Cx<'_>) {
        if self.st.endpoint_facts >= state::MAX_ENDPOINT_FACTS {
            return;
        }
        self.st.endpoint_facts += 1;
        cx.fact(party, "opcua.discovered_server", v);
    }

    fn claim_app(
        party: Party,
        app: &parser::AppDesc<'_>,
        source: &'static str,
        conf: u8,
        cx: &mut Cx<'_>,
    ) {
        let uri = text(app.uri);
        let product = text(app.product_uri);
        let name = text(app.name.text);
        let kind = codes::application_type(app.app_type);
        cx.claim(party, "application_uri", &uri, source, conf);
        cx.claim(party, "product_uri", &product, source, conf);
        cx.claim(party, "name", &name, source, conf);
        cx.claim(party, "opcua.application_uri", &uri, source, conf);
        cx.claim(party, "opcua.product_uri", &product, source, conf);
        cx.claim(party, "opcua.application_name", &name, source, conf);
        cx.claim(party, "opcua.application_type", kind, source, conf);
    }

    /// Endpoint descriptions from GetEndpoints or CreateSession responses.
    fn endpoints(
        &mut self,
        dir: Dir,
        eps: &[parser::Endpoint<'_>],
        source: &'static str,
        own: bool,
        cx: &mut Cx<'_>,
    ) {
        let responder = sender(dir);
        let ip = party_ip(cx, responder);
        for ep in eps {
            if !self.spend(cx) {
                return;
            }
            let url = text(ep.url);
            let is_self = own
                || self.st.hello_url.as_deref() == Some(url.as_str())
                || url_names_ip(&url, ip) != Some(false);
            if !is_self {
                let who = match text(ep.server.uri) {
                    u if u.is_empty() => text(ep.server.name.text),
                    u => u,
                };
                self.discovered(responder, format!("{who} {url}"), cx);
                continue;
            }
            Self::claim_app(responder, &ep.server, source, 90, cx);
            if let Some(c) = ep.server_cert {
                self.report_cert(responder, c, cx);
            }
            let mode = codes::security_mode(ep.mode);
            let policy = text(ep.policy_uri);
            if codes::is_deprecated_policy(&policy) {
                cx.fact(responder, "opcua.deprecated_policy", policy.clone());
            }
            let mut types = String::new();
            for t in &ep.tokens {
                let tt = codes::token_type(t.token_type);
                if !types.split(',').any(|x| x == tt) {
                    if !types.is_empty() {
                        types.push(',');
                    }
                    types.push_str(tt);
                }
                cx.fact(responder, "opcua.token_offered", format!("{tt}@{mode}"));
                let tpol = text(t.security_policy_uri);
                if codes::is_deprecated_policy(&tpol) {
                    cx.fact(responder, "opcua.deprecated_policy", tpol.clone());
                }
                if t.token_type == 1
                    && ep.mode == 1
                    && (tpol.is_empty() || codes::is_none_policy(&tpol))
                {
                    cx.fact(responder, "opcua.username_cleartext_possible", "true");
                }
                cx.auth(AuthEvent {
                    mechanism: codes::token_mechanism(t.token_type),
                    outcome: Outcome::Offered,
                    user: None,
                    secret: None,
                    cleartext: false,
                });
            }
            cx.fact(responder, "opcua.security_mode_offered", mode);
            if !policy.is_empty() {
                cx.fact(responder, "opcua.security_policy_offered", policy.clone());
            }
            if self.st.endpoint_facts < state::MAX_ENDPOINT_FACTS {
                self.st.endpoint_facts += 1;
                cx.fact(
                    responder,
                    "opcua.endpoint",
                    format!("{mode}|{policy}|{types}"),
                );
            }
        }
    }

    fn find_servers(&mut self, dir: Dir, apps: &[parser::AppDesc<'_>], cx: &mut Cx<'_>) {
        let responder = sender(dir);
        let ip = party_ip(cx, responder);
        let port = party_port(cx, responder);
        for app in apps {
            if !self.spend(cx) {
                return;
            }
            let urls: Vec<String> = app
                .discovery_urls
                .iter()
                .map(|u| device_string(u))
                .collect();
            let own = urls.iter().any(|u| {
                self.st.hello_url.as_deref() == Some(u.as_str())
                    || (url_host_port(u).is_some_and(|(_, p)| p == port)
                        && url_names_ip(u, ip) != Some(false))
            }) || (app.app_type == 3 && urls.is_empty());
            let who = match text(app.uri) {
                u if u.is_empty() => text(app.name.text),
                u => u,
            };
            let first = urls.first().cloned().unwrap_or_default();
            self.discovered(responder, format!("{who} {first}"), cx);
            if own {
                Self::claim_app(responder, app, "opcua.find_servers", 80, cx);
            }
        }
    }

    fn register_server(&mut self, dir: Dir, s: &parser::RegisteredServer<'_>, cx: &mut Cx<'_>) {
        if !self.spend(cx) {
            return;
        }
        let who = sender(dir);
        let src = "opcua.register_server";
        cx.claim(who, "application_uri", &text(s.server_uri), src, 80);
        cx.claim(who, "product_uri", &text(s.product_uri), src, 80);
        cx.claim(who, "name", &text(s.server_name), src, 80);
        cx.claim(
            who,
            "opcua.application_type",
            codes::application_type(s.server_type),
            src,
            80,
        );
        let first = s.discovery_urls.first().map(|u| device_string(u));
        let v = format!("{} {}", text(s.server_uri), first.unwrap_or_default());
        self.discovered(receiver(dir), v, cx);
    }

    fn create_session_req(&mut self, dir: Dir, r: &parser::CreateSessionReq<'_>, cx: &mut Cx<'_>) {
        if !self.spend(cx) {
            return;
        }
        let client = sender(dir);
        let src = "opcua.create_session";
        let name = text(r.client.name.text);
        cx.claim(client, "application_uri", &text(r.client.uri), src, 90);
        cx.claim(client, "product_uri", &text(r.client.product_uri), src, 90);
        cx.claim(client, "name", &name, src, 90);
        cx.claim(client, "opcua.client_application_name", &name, src, 90);
        cx.claim(
            client,
            "opcua.application_type",
            codes::application_type(r.client.app_type),
            src,
            90,
        );
        let session = text(r.session_name);
        if !session.is_empty() {
            cx.fact(client, "opcua.session_name", session);
        }
        let url = text(r.endpoint_url);
        if !url.is_empty() {
            cx.fact(receiver(dir), "opcua.endpoint_url", url);
        }
        if let Some(c) = r.client_cert {
            self.report_cert(client, c, cx);
        }
    }

    fn activate_req(&mut self, r: &parser::ActivateSessionReq<'_>, mode: Mode, cx: &mut Cx<'_>) {
        use parser::Identity;
        let (mechanism, user, secret, cleartext) = match r.token {
            Identity::Absent | Identity::Anonymous { .. } => ("opcua-anonymous", None, None, false),
            Identity::UserName {
                user,
                password,
                encryption_algorithm,
                ..
            } => {
                let plain = encryption_algorithm.is_none_or(|a| a.is_empty());
                let cleartext = plain && mode.readable() && password.is_some();
                let secret = if cleartext {
                    password.map(device_string)
                } else {
                    None
                };
                ("opcua-username", user.map(device_string), secret, cleartext)
            }
            Identity::X509 { cert: c, .. } => {
                let subject = c.and_then(cert::parse).map(|c| c.subject);
                ("opcua-x509", subject, None, false)
            }
            Identity::Issued { .. } => ("opcua-issued", None, None, false),
            Identity::Unknown { .. } => ("opcua-unknown-token", None, None, false),
        };
        cx.auth(AuthEvent {
            mechanism,
            outcome: Outcome::Attempt,
            user: user.clone(),
            secret: secret.clone(),
            cleartext,
        });
        let srv = self.ua_server();
        cx.fact(srv, "opcua.session_security_mode", mode.name());
        let ok = self.st.add_pending(
            Pending {
                handle: r.header.handle,
                kind: PendingKind::Activate {
                    mechanism,
                    user,
                    secret,
                    cleartext,
                },
            },
            cx.limits.max_open_transactions,
        );
        if !ok {
            cx.anomaly("pending_table_full");
        }
    }

    fn outcome(&mut self, dir: Dir, id: u32, h: parser::ResponseHeader, cx: &mut Cx<'_>) {
        let ok = codes::status_ok(h.status);
        if (id == codes::SERVICE_FAULT || !ok) && self.spend(cx) {
            cx.fact(
                sender(dir),
                "opcua.service_fault",
                codes::status_text(h.status),
            );
        }
        let Some(p) = self.st.take_pending(h.handle) else {
            return;
        };
        if let PendingKind::Activate {
            mechanism,
            user,
            cleartext,
            ..
        } = p.kind
        {
            if id == codes::ACTIVATE_SESSION_RESP || id == codes::SERVICE_FAULT {
                cx.auth(AuthEvent {
                    mechanism,
                    outcome: if ok && id != codes::SERVICE_FAULT {
                        Outcome::Success
                    } else {
                        Outcome::Failure
                    },
                    user,
                    secret: None,
                    cleartext,
                });
            }
        }
    }

    fn read_req(&mut self, b: &[u8], cx: &mut Cx<'_>) -> Result<(), UaError> {
        let mut items = [(0u32, 0u32); state::MAX_READ_ITEMS];
        let mut n = 0usize;
        let (_, h) = parser::read_req(b, |k, it| {
            if let Some(id) = it.ns0 {
                if it.attribute == codes::ATTR_VALUE
                    && codes::is_build_info_node(id)
                    && n < state::MAX_READ_ITEMS
                {
                    items[n] = (k as u32, id);
                    n += 1;
                }
            }
        })
        .map_err(parser::error_of)?;
        if n > 0 {
            let ok = self.st.add_pending(
                Pending {
                    handle: h.handle,
                    kind: PendingKind::Read { items, n: n as u8 },
                },
                cx.limits.max_open_transactions,
            );
            if !ok {
                cx.anomaly("pending_table_full");
            }
        }
        Ok(())
    }

    fn read_resp(&mut self, dir: Dir, b: &[u8], cx: &mut Cx<'_>) -> Result<(), UaError> {
        // Only responses to a remembered build-information read are decoded past the header.
        let (_, h) = parser::response_header(b).map_err(parser::error_of)?;
        let items = match self.st.pending.iter().position(|p| p.handle == h.handle) {
            Some(i) => match &self.st.pending[i].kind {
                PendingKind::Read { items, n } => {
                    let v = (*items, *n);
                    self.st.pending.remove(i);
                    v
                }
                _ => return Ok(()),
            },
            None => return Ok(()),
        };
        let (items, n) = items;
        let items = &items[..(n as usize).min(state::MAX_READ_ITEMS)];
        let mut found: [Option<(u32, parser::Value<'_>)>; state::MAX_READ_ITEMS] =
            [None; state::MAX_READ_ITEMS];
        parser::read_resp(b, |k, v| {
            if let Some(v) = v {
                if let Some(j) = items.iter().position(|(idx, _)| *idx as usize == k) {
                    if let Some(slot) = found.get_mut(j) {
                        *slot = Some((items[j].1, v));
                    }
                }
            }
        })
        .map_err(parser::error_of)?;
        let who = sender(dir);
        for (node, v) in found.into_iter().flatten() {
            // Servers polled for ServerStatus answer the same build information every time:
            // report it once.
            let digest = value_digest(node, &v);
            if self.st.build_seen(digest) || !self.spend(cx) {
                continue;
            }
            self.build_value(who, node, v, cx);
        }
        Ok(())
    }

    fn build_value(&mut self, who: Party, node: u32, v: parser::Value<'_>, cx: &mut Cx<'_>) {
        use parser::Value;
        let src = "opcua.build_info";
        let s = |v: &Value<'_>| match v {
            Value::Str(s) => text(*s),
            _ => String::new(),
        };
        match node {
            codes::NODE_BUILD_INFO | codes::NODE_SERVER_STATUS => {
                let Value::Ext(e) = v else {
                    return;
                };
                let Some(body) = e.body.filter(|_| e.encoding == 1) else {
                    return;
                };
                let parsed = match e.type_id.ns0() {
                    Some(codes::BUILD_INFO_ENCODING) => parser::build_info(body),
                    Some(codes::SERVER_STATUS_ENCODING) => parser::server_status(body),
                    _ => return,
                };
                match parsed {
                    Ok((_, bi)) => {
                        let f = |b: Option<&[u8]>| text(b);
                        Self::claim_build(
                            who,
                            [
                                f(bi.manufacturer_name),
                                f(bi.product_name),
                                f(bi.software_version),
                                f(bi.product_uri),
                                f(bi.build_number),
                            ],
                            cx,
                        );
                        if let Some(t) = parser::datetime_to_unix(bi.build_date) {
                            cx.fact(who, "opcua.build_date", cert::rfc3339(t));
                        }
                    }
                    Err(e) => cx.anomaly(parser::error_of(e).anomaly()),
                }
            }
            codes::NODE_PRODUCT_NAME => {
                let p = s(&v);
                cx.claim(who, "product", &p, src, 85);
                cx.claim(who, "opcua.product_name", &p, src, 85);
            }
            codes::NODE_PRODUCT_URI => cx.claim(who, "product_uri", &s(&v), src, 85),
            codes::NODE_MANUFACTURER_NAME => {
                let m = s(&v);
                cx.claim(who, "vendor", &m, src, 85);
                cx.claim(who, "opcua.manufacturer_name", &m, src, 85);
            }
            codes::NODE_SOFTWARE_VERSION => {
                let f = s(&v);
                cx.claim(who, "firmware", &f, src, 85);
                cx.claim(who, "opcua.software_version", &f, src, 85);
            }
            codes::NODE_BUILD_NUMBER => cx.claim(who, "opcua.build_number", &s(&v), src, 85),
            codes::NODE_BUILD_DATE => {
                if let Value::DateTime(t) = v {
                    if let Some(t) = parser::datetime_to_unix(t) {
                        cx.fact(who, "opcua.build_date", cert::rfc3339(t));
                    }
                }
            }
            _ => {}
        }
    }

    /// [manufacturer, product name, software version, product URI, build number].
    fn claim_build(who: Party, v: [String; 5], cx: &mut Cx<'_>) {
        let src = "opcua.build_info";
        let [m, p, sw, uri, build] = v;
        cx.claim(who, "vendor", &m, src, 85);
        cx.claim(who, "opcua.manufacturer_name", &m, src, 85);
        cx.claim(who, "product", &p, src, 85);
        cx.claim(who, "opcua.product_name", &p, src, 85);
        cx.claim(who, "firmware", &sw, src, 85);
        cx.claim(who, "opcua.software_version", &sw, src, 85);
        cx.claim(who, "product_uri", &uri, src, 85);
        cx.claim(who, "opcua.build_number", &build, src, 85);
    }

    /// Whether a header found while not synchronised is trustworthy: after a gap, a
    /// secure-channel message must name a channel this flow knows (when it knows any).
    fn accept_unsynced(&self, h: &Header, rest: &[u8]) -> Option<bool> {
        if !matches!(h.mtype, MsgType::Msg | MsgType::Clo) || self.st.channels.is_empty() {
            return Some(true);
        }
        let b = rest.get(HEADER_LEN..HEADER_LEN + 4)?;
        let id = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        Some(self.st.channels.iter().any(|c| c.id == id))
    }
}

impl StreamDissector for OpcUa {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let d = state::di(dir);
        let mut off = 0usize;
        loop {
            let Some(rest) = data.get(off..) else {
                return Parsed::Consumed(data.len());
            };
            if rest.is_empty() {
                return Parsed::Consumed(off);
            }
            if self.st.dirs[d].skip > 0 {
                let n = self.st.dirs[d].skip.min(rest.len() as u64);
                self.st.dirs[d].skip -= n;
                off += n as usize;
                continue;
            }
            if rest.len() < HEADER_LEN {
                return Parsed::NeedMore {
                    consumed: off,
                    needed: HEADER_LEN,
                };
            }
            let synced = self.st.dirs[d].synced;
            let h = parser::plausible_header(rest);
            let accept = match (&h, synced) {
                (Some(_), true) => true,
                (Some(h), false) => match self.accept_unsynced(h, rest) {
                    Some(a) => a,
                    None => {
                        return Parsed::NeedMore {
                            consumed: off,
                            needed: HEADER_LEN + 4,
                        };
                    }
                },
                (None, _) => false,
            };
            match h {
                Some(h) if accept => {
                    self.st.dirs[d].synced = true;
                    let size = h.size as usize;
                    let ds = self.st.dirs[d];
                    if ds.max_chunk >= 8192 && h.size > ds.max_chunk {
                        cx.anomaly("chunk_exceeds_buffer_size");
                    }
                    if size > cx.limits.max_pdu_bytes {
                        cx.anomaly("chunk_too_large");
                        self.st.drop_reasm(dir);
                        self.st.dirs[d].skip = size as u64;
                        continue;
                    }
                    if rest.len() < size {
                        return Parsed::NeedMore {
                            consumed: off,
                            needed: size,
                        };
                    }
                    self.message(dir, h, &rest[HEADER_LEN..size], cx);
                    off += size;
                }
                _ => {
                    // Not a header: garbage, or bytes before the first header of a flow picked
                    // up mid-stream / after a gap. Skip to the next plausible header.
                    if synced {
                        cx.anomaly("garbage_skipped");
                        self.st.dirs[d].synced = false;
                    }
                    let skip = match rest.get(1..).and_then(find_header) {
                        Some(p) => p + 1,
                        None => rest.len() - (HEADER_LEN - 1),
                    };
                    off += skip.max(1);
                }
            }
        }
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        let ds = self.st.dir(dir);
        ds.synced = false;
        ds.skip = 0;
        self.st.drop_reasm(dir);
    }

    fn close(&mut self, cx: &mut Cx<'_>) {
        let srv = self.ua_server();
        for ch in &self.st.channels {
            if ch.mode == Mode::Unknown && !ch.mode_reported {
                cx.fact(
                    srv,
                    "opcua.channel_security_mode",
                    format!("SignOrEncrypt({})", ch.policy),
                );
            }
        }
    }
}
