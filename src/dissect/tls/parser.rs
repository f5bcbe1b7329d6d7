//! TLS handshake content through Rusticata's `tls-parser` (records, hellos, extensions,
//! certificates) and `x509-parser` (the server certificate). Only what inventory and
//! findings use is extracted; everything is zero-copy until a report string is built.

use tls_parser::{
    TlsCipherSuite, TlsExtension, TlsMessage, TlsMessageHandshake, TlsRecordHeader, TlsVersion,
};

/// Largest record fragment accepted (2^14 plus the expansion TLS 1.2 allows).
pub const MAX_RECORD: u16 = 16384 + 2048;

pub const CT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CT_ALERT: u8 = 21;
pub const CT_HANDSHAKE: u8 = 22;
pub const CT_APPLICATION_DATA: u8 = 23;
pub const CT_HEARTBEAT: u8 = 24;

pub const HS_CLIENT_HELLO: u8 = 1;
pub const HS_SERVER_HELLO: u8 = 2;
pub const HS_CERTIFICATE: u8 = 11;

/// A record header, when plausible (content type 20..=24, version 3.x, length bounded).
pub fn record_header(i: &[u8]) -> Option<TlsRecordHeader> {
    let (_, h) = tls_parser::parse_tls_record_header(i).ok()?;
    let t = h.record_type.0;
    let plausible = (CT_CHANGE_CIPHER_SPEC..=CT_HEARTBEAT).contains(&t)
        && (0x0300..=0x0304).contains(&h.version.0)
        && h.len <= MAX_RECORD;
    plausible.then_some(h)
}

/// Name of a protocol version (`TLS 1.2`); GREASE values give `None`.
pub fn version_name(v: u16) -> Option<String> {
    if v & 0x0f0f == 0x0a0a {
        return None;
    }
    Some(match v {
        0x0200 => "SSL 2.0".into(),
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        0x7f00..=0x7fff => format!("TLS 1.3 draft {}", v & 0xff),
        _ => format!("0x{v:04x}"),
    })
}

/// What a ClientHello says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    pub version: u16,
    pub sni: Option<String>,
    /// `supported_versions` (TLS 1.3 clients), GREASE removed.
    pub versions: Vec<u16>,
    pub alpn: Vec<String>,
}

/// What a ServerHello says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// The negotiated version (`supported_versions` when present).
    pub version: u16,
    pub cipher: u16,
}

/// One handshake message (header and body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handshake<'a> {
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    /// The certificate chain (DER, first = the server's own).
    Certificate(Vec<&'a [u8]>),
    Other(u8),
}

fn text(b: &[u8]) -> String {
    crate::dissect::http::state::text(b)
}

/// Parse one complete handshake message (4-byte header included). `None` if malformed.
pub fn parse_handshake(msg: &[u8]) -> Option<Handshake<'_>> {
    let t = *msg.first()?;
    if !matches!(t, HS_CLIENT_HELLO | HS_SERVER_HELLO | HS_CERTIFICATE) {
        return Some(Handshake::Other(t));
    }
    let (_, m) = tls_parser::parse_tls_message_handshake(msg).ok()?;
    let TlsMessage::Handshake(h) = m else {
        return None;
    };
    Some(match h {
        TlsMessageHandshake::ClientHello(ch) => {
            let mut out = ClientHello {
                version: ch.version.0,
                ..Default::default()
            };
            if let Some(ext) = ch.ext {
                if let Ok((_, exts)) = tls_parser::parse_tls_client_hello_extensions(ext) {
                    for e in exts {
                        match e {
                            TlsExtension::SNI(names) => {
                                if let Some((_, n)) = names.first() {
                                    out.sni = Some(text(n));
                                }
                            }
                            TlsExtension::SupportedVersions(v) => {
                                out.versions = v
                                    .iter()
                                    .map(|x| x.0)
                                    .filter(|x| x & 0x0f0f != 0x0a0a)
                                    .take(16)
                                    .collect();
                            }
                            TlsExtension::ALPN(p) => {
                                out.alpn = p.iter().take(8).map(|x| text(x)).collect();
                            }
                            _ => {}
                        }
                    }
                }
            }
            Handshake::ClientHello(out)
        }
        TlsMessageHandshake::ServerHello(sh) => {
            let mut version = sh.version.0;
            if let Some(ext) = sh.ext {
                if let Ok((_, exts)) = tls_parser::parse_tls_server_hello_extensions(ext) {
                    for e in exts {
                        if let TlsExtension::SupportedVersions(v) = e {
                            if let Some(TlsVersion(x)) = v.first() {
                                version = *x;
                            }
                        }
                    }
                }
            }
            Handshake::ServerHello(ServerHello {
                version,
                cipher: sh.cipher.0,
            })
        }
        TlsMessageHandshake::ServerHelloV13Draft18(sh) => Handshake::ServerHello(ServerHello {
            version: sh.version.0,
            cipher: sh.cipher.0,
        }),
        TlsMessageHandshake::Certificate(c) => {
            Handshake::Certificate(c.cert_chain.iter().take(8).map(|c| c.data).collect())
        }
        _ => Handshake::Other(t),
    })
}

/// Name of a cipher suite (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`), or its number.
pub fn cipher_name(id: u16) -> String {
    match TlsCipherSuite::from_id(id) {
        Some(c) => c.name.to_string(),
        None => format!("0x{id:04x}"),
    }
}

/// The server certificate, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub common_name: Option<String>,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub self_signed: bool,
    /// SHA-1 fingerprint, `AA:BB:…`.
    pub sha1: String,
}

/// Summarise a DER certificate; `None` if it does not parse.
pub fn cert_summary(der: &[u8]) -> Option<CertSummary> {
    let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
    let bound = |s: String| {
        let mut s = s;
        if s.len() > 512 {
            let mut e = 512;
            while !s.is_char_boundary(e) {
                e -= 1;
            }
            s.truncate(e);
        }
        s
    };
    let common_name = c
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(|s| bound(s.to_string()));
    Some(CertSummary {
        subject: bound(c.subject().to_string()),
        issuer: bound(c.issuer().to_string()),
        common_name,
        not_before: c.validity().not_before.timestamp(),
        not_after: c.validity().not_after.timestamp(),
        self_signed: c.subject().as_raw() == c.issuer().as_raw(),
        sha1: super::sha1::fingerprint(der),
    })
}

/// `2024-01-31T12:00:00Z` for a Unix time (dates before 1970 are clamped to 1970).
pub fn iso_date(secs: i64) -> String {
    let t = crate::time::Timestamp::from_secs_nanos(secs.max(0) as u64, 0).to_string();
    t.replace(".000000Z", "Z")
}

/// Does a certificate common name look like a host name (not a wildcard, a person or an IP)?
pub fn looks_like_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && !s.eq_ignore_ascii_case("localhost")
        && s.parse::<std::net::IpAddr>().is_err()
        && s.chars().any(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        && s.split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'))
}

/// Remote-access tools recognised by the server name a client asks for.
pub fn remote_access_tool(sni: &str) -> Option<&'static str> {
    let s = sni.to_ascii_lowercase();
    let under = |d: &str| s == d || s.ends_with(&format!(".{d}"));
    if under("teamviewer.com") {
        Some("TeamViewer")
    } else if under("anydesk.com") {
        Some("AnyDesk")
    } else {
        None
    }
}
