//! TLS (`tls`; ports 443, 8443, 4843 (OPC UA over TLS), 636, 993, 995 as a hint; found by
//! content anywhere a ClientHello opens a flow, and on those ports also from a ServerHello or
//! an application-data record when the capture starts mid-session). Port 3389 is deliberately not
//! listed: RDP negotiates TLS inside its own protocol (the RDP dissector's business); a flow on
//! 3389 is only called TLS when it opens with a TLS hello.
//!
//! Records are framed with `tls-parser`; the hellos, the extensions and the server certificate
//! (TLS ≤ 1.2; `x509-parser`) are read; handshake messages spanning records are reassembled
//! (bounded, 64 KB). Once a direction sends ChangeCipherSpec or application data, the rest of
//! it is consumed unread.
//!
//! Operations: `connect` (`tls_client_hello`) once per flow.
//!
//! Facts:
//! * `tls.sni` (server): the server name the client asked for.
//! * `tls.alpn` (server): application protocols the client offered.
//! * `tls.client_versions` (client): versions the client supports (`supported_versions`, or
//!   the ClientHello version).
//! * `tls.version` (server): the version chosen in the ServerHello (`TLS 1.2`, `TLS 1.3`).
//! * `tls.cipher` (server): the cipher suite chosen.
//! * `tls.cert_hidden` (server): `true` for TLS 1.3, whose certificate is encrypted.
//! * `tls.cert_subject`, `tls.cert_issuer` (server): RFC 4514 names of the first certificate.
//! * `tls.cert_not_before`, `tls.cert_not_after` (server): validity (`2024-01-31T12:00:00Z`).
//! * `tls.cert_self_signed` (server): `true` / `false` (subject equals issuer).
//! * `tls.cert_expired` (server): `true` / `false` (notAfter before the frame's time).
//! * `tls.cert_sha1` (server): SHA-1 fingerprint `AA:BB:…`.
//! * `tls.alert` (sender): a plaintext alert (`fatal:40`).
//! * `remote_access.tool` (client): `TeamViewer` / `AnyDesk` from the SNI.
//!
//! Claims (server, confidence 50, source `tls.certificate`): `tls.cert_subject`, and
//! `hostname` from the subject CN when it looks like a host name.
//!
//! Anomalies: `tls_bad_record`, `tls_bad_handshake`, `tls_handshake_too_large`,
//! `tls_bad_certificate`, `tls_empty_certificate`, `tls_hello_wrong_direction`.

pub mod parser;
pub mod sha1;
pub mod state;
#[cfg(test)]
mod tests;

use crate::dissect::{Dir, Probe, StreamDissector, StreamSpec};
pub use state::Tls;

pub const PORTS: &[u16] = &[443, 8443, 4843, 636, 993, 995];

/// A handshake record holding a ClientHello (client) or ServerHello (server); on a TLS port
/// also an application-data record (a capture that starts mid-session).
pub fn probe(dir: Dir, data: &[u8], port_match: bool) -> Probe {
    if data.len() < 11 {
        let type_ok = data.first().is_none_or(|&t| {
            t == parser::CT_HANDSHAKE || (port_match && t == parser::CT_APPLICATION_DATA)
        });
        let ok =
            type_ok && data.get(1).is_none_or(|&v| v == 3) && data.get(2).is_none_or(|&v| v <= 4);
        return if ok { Probe::NeedMore } else { Probe::NoMatch };
    }
    let Some(h) = parser::record_header(data) else {
        return Probe::NoMatch;
    };
    match h.record_type.0 {
        parser::CT_HANDSHAKE => {
            let want = match dir {
                Dir::ToServer => parser::HS_CLIENT_HELLO,
                Dir::ToClient => parser::HS_SERVER_HELLO,
            };
            let (Some(&t), Some(&l0), Some(&l1), Some(&l2), Some(&vmaj)) = (
                data.get(5),
                data.get(6),
                data.get(7),
                data.get(8),
                data.get(9),
            ) else {
                return Probe::NoMatch;
            };
            let hl = u32::from_be_bytes([0, l0, l1, l2]);
            // A ServerHello first (the ClientHello was missed) only counts on a TLS port: on
            // 3389 the TLS inside RDP belongs to the RDP dissector.
            let side_ok = dir == Dir::ToServer || port_match;
            if t == want && side_ok && vmaj == 3 && (38..=(1 << 17)).contains(&hl) && h.len >= 42 {
                Probe::Match
            } else {
                Probe::NoMatch
            }
        }
        parser::CT_APPLICATION_DATA if port_match && h.len > 0 => Probe::Match,
        _ => Probe::NoMatch,
    }
}

pub fn new() -> Box<dyn StreamDissector> {
    Box::new(Tls::new())
}

pub const SPEC: StreamSpec = StreamSpec {
    proto: "tls",
    ports: PORTS,
    probe,
    new,
};
