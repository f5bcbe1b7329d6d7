//! Per-flow TLS state: record framing per direction, a bounded buffer for handshake messages
//! that span records, and what has been reported. Once a direction switches to encrypted
//! records (ChangeCipherSpec or application data) its bytes are consumed unread.

use super::parser::{self, Handshake};
use crate::dissect::{Cx, Dir, Parsed, Party, StreamDissector};
use crate::inventory::observation::Op;

/// Largest handshake message reassembled across records (certificate chains).
const MAX_HANDSHAKE: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Records,
    Encrypted,
}

pub struct Tls {
    phase: [Phase; 2],
    /// Partial handshake message per direction (only when one spans records).
    hs: [Vec<u8>; 2],
    /// Bytes of an oversized handshake message still to skip, per direction.
    hs_skip: [usize; 2],
    tls13: bool,
    cert_done: bool,
    hello_done: bool,
}

impl Default for Tls {
    fn default() -> Self {
        Self::new()
    }
}

fn di(d: Dir) -> usize {
    match d {
        Dir::ToServer => 0,
        Dir::ToClient => 1,
    }
}

fn hs_len(b: &[u8]) -> Option<usize> {
    match b {
        [_, a, b, c, ..] => Some(u32::from_be_bytes([0, *a, *b, *c]) as usize + 4),
        _ => None,
    }
}

impl Tls {
    pub fn new() -> Tls {
        Tls {
            phase: [Phase::Records; 2],
            hs: [Vec::new(), Vec::new()],
            hs_skip: [0; 2],
            tls13: false,
            cert_done: false,
            hello_done: false,
        }
    }

    /// Bytes held for handshake reassembly (bounded).
    pub fn held_bytes(&self) -> usize {
        self.hs[0].len() + self.hs[1].len()
    }

    fn encrypted(&mut self, dir: Dir) {
        let d = di(dir);
        self.phase[d] = Phase::Encrypted;
        self.hs[d] = Vec::new();
    }

    /// The handshake bytes of one record.
    fn handshake_fragment(&mut self, dir: Dir, mut frag: &[u8], cx: &mut Cx<'_>) {
        let d = di(dir);
        if self.hs_skip[d] > 0 {
            let n = self.hs_skip[d].min(frag.len());
            self.hs_skip[d] -= n;
            frag = frag.get(n..).unwrap_or(&[]);
        }
        if !self.hs[d].is_empty() {
            let mut buf = std::mem::take(&mut self.hs[d]);
            buf.extend_from_slice(frag);
            self.messages(dir, &buf, cx);
            return;
        }
        self.messages(dir, frag, cx);
    }

    /// Complete messages of `frag` are parsed; a partial one is kept for the next record.
    fn messages(&mut self, dir: Dir, mut frag: &[u8], cx: &mut Cx<'_>) {
        let d = di(dir);
        while !frag.is_empty() {
            match hs_len(frag) {
                Some(n) if n <= frag.len() => {
                    self.message(dir, frag.get(..n).unwrap_or(&[]), cx);
                    frag = frag.get(n..).unwrap_or(&[]);
                }
                Some(n) if n > MAX_HANDSHAKE => {
                    cx.anomaly("tls_handshake_too_large");
                    self.hs_skip[d] = n - frag.len();
                    return;
                }
                _ => {
                    // Continues in the next record(s).
                    self.hs[d] = frag.to_vec();
                    return;
                }
            }
        }
    }

    fn message(&mut self, dir: Dir, msg: &[u8], cx: &mut Cx<'_>) {
        let Some(h) = parser::parse_handshake(msg) else {
            cx.anomaly("tls_bad_handshake");
            return;
        };
        match h {
            Handshake::ClientHello(ch) if dir == Dir::ToServer => {
                if !self.hello_done {
                    self.hello_done = true;
                    cx.op(Op::Connect, Some("tls_client_hello"));
                }
                if let Some(sni) = ch.sni.as_deref().filter(|s| !s.is_empty()) {
                    cx.fact(Party::Server, "tls.sni", sni.to_string());
                    if let Some(tool) = parser::remote_access_tool(sni) {
                        cx.fact(Party::Client, "remote_access.tool", tool);
                    }
                }
                let versions: Vec<String> = if ch.versions.is_empty() {
                    parser::version_name(ch.version).into_iter().collect()
                } else {
                    ch.versions
                        .iter()
                        .filter_map(|v| parser::version_name(*v))
                        .collect()
                };
                if !versions.is_empty() {
                    cx.fact(Party::Client, "tls.client_versions", versions.join(","));
                }
                if !ch.alpn.is_empty() {
                    cx.fact(Party::Server, "tls.alpn", ch.alpn.join(","));
                }
            }
            Handshake::ServerHello(sh) if dir == Dir::ToClient => {
                if let Some(v) = parser::version_name(sh.version) {
                    cx.fact(Party::Server, "tls.version", v);
                }
                cx.fact(Party::Server, "tls.cipher", parser::cipher_name(sh.cipher));
                if sh.version == 0x0304 || (0x7f00..=0x7fff).contains(&sh.version) {
                    self.tls13 = true;
                    cx.fact(Party::Server, "tls.cert_hidden", "true");
                }
            }
            Handshake::Certificate(chain) if dir == Dir::ToClient && !self.tls13 => {
                if self.cert_done {
                    return;
                }
                self.cert_done = true;
                let Some(first) = chain.first() else {
                    cx.anomaly("tls_empty_certificate");
                    return;
                };
                match parser::cert_summary(first) {
                    Some(c) => self.certificate(c, cx),
                    None => cx.anomaly("tls_bad_certificate"),
                }
            }
            Handshake::ClientHello(_) | Handshake::ServerHello(_) => {
                cx.anomaly("tls_hello_wrong_direction");
            }
            _ => {}
        }
    }

    fn certificate(&mut self, c: parser::CertSummary, cx: &mut Cx<'_>) {
        let s = Party::Server;
        cx.fact(s, "tls.cert_subject", c.subject.clone());
        cx.fact(s, "tls.cert_issuer", c.issuer.clone());
        cx.fact(s, "tls.cert_not_before", parser::iso_date(c.not_before));
        cx.fact(s, "tls.cert_not_after", parser::iso_date(c.not_after));
        cx.fact(s, "tls.cert_self_signed", c.self_signed.to_string());
        let now = cx.ev.ts.secs() as i64;
        cx.fact(s, "tls.cert_expired", (c.not_after < now).to_string());
        cx.fact(s, "tls.cert_sha1", c.sha1.clone());
        cx.claim(s, "tls.cert_subject", &c.subject, "tls.certificate", 50);
        if let Some(cn) = c.common_name.as_deref() {
            if parser::looks_like_hostname(cn) {
                cx.claim(s, "hostname", cn, "tls.certificate", 50);
            }
        }
    }
}

impl StreamDissector for Tls {
    fn parse(&mut self, dir: Dir, data: &[u8], cx: &mut Cx<'_>) -> Parsed {
        let d = di(dir);
        let mut off = 0usize;
        while off < data.len() {
            if self.phase[d] == Phase::Encrypted {
                return Parsed::Consumed(data.len());
            }
            let rest = data.get(off..).unwrap_or(&[]);
            if rest.len() < 5 {
                return Parsed::NeedMore {
                    consumed: off,
                    needed: 5,
                };
            }
            let Some(h) = parser::record_header(rest) else {
                cx.anomaly("tls_bad_record");
                self.encrypted(dir);
                return Parsed::Consumed(data.len());
            };
            let total = 5 + h.len as usize;
            let Some(body) = rest.get(5..total) else {
                return Parsed::NeedMore {
                    consumed: off,
                    needed: total,
                };
            };
            match h.record_type.0 {
                parser::CT_HANDSHAKE => self.handshake_fragment(dir, body, cx),
                parser::CT_ALERT => {
                    if let [level, desc] = body {
                        cx.fact(
                            match dir {
                                Dir::ToServer => Party::Client,
                                Dir::ToClient => Party::Server,
                            },
                            "tls.alert",
                            format!("{}:{}", if *level == 2 { "fatal" } else { "warning" }, desc),
                        );
                    }
                }
                parser::CT_CHANGE_CIPHER_SPEC | parser::CT_APPLICATION_DATA => {
                    self.encrypted(dir);
                    return Parsed::Consumed(data.len());
                }
                _ => {}
            }
            off += total;
        }
        Parsed::Consumed(off)
    }

    fn gap(&mut self, dir: Dir, _len: u32, _cx: &mut Cx<'_>) {
        // Records cannot be re-framed reliably after lost bytes: stop reading this direction.
        self.encrypted(dir);
    }
}
