//! Unit tests of the OPC UA dissector: parsers on commented byte vectors, probe, the
//! dissector through the engine's buffering (growing prefixes, garbage, gaps, mid-stream
//! starts, chunking, encrypted channels) and a fixed-seed fuzz run.

use super::parser::*;
use super::*;
use crate::config::Limits;
use crate::dissect::Expectation;
use crate::evidence::Ev;
use crate::inventory::observation::{Store, Subject, Transport, sorted};
use crate::time::Timestamp;
use std::net::{IpAddr, Ipv4Addr};

// ---------------------------------------------------------------------------------------------
// Encoders for test messages (UA Binary, little endian)
// ---------------------------------------------------------------------------------------------

fn u32le(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// UA String: i32 length + UTF-8.
fn s(v: &str) -> Vec<u8> {
    let mut o = (v.len() as i32).to_le_bytes().to_vec();
    o.extend_from_slice(v.as_bytes());
    o
}

fn bs(v: &[u8]) -> Vec<u8> {
    let mut o = (v.len() as i32).to_le_bytes().to_vec();
    o.extend_from_slice(v);
    o
}

/// Null string / array: length -1.
fn null() -> Vec<u8> {
    vec![0xff, 0xff, 0xff, 0xff]
}

/// Four-byte NodeId ns=0;i=id (the form of every service type id).
fn nid(id: u32) -> Vec<u8> {
    let id = id as u16;
    vec![0x01, 0x00, id as u8, (id >> 8) as u8]
}

/// Numeric NodeId ns=0 with the full 4-byte form (ids above 65535 or as asyncua encodes).
fn nid_numeric(id: u32) -> Vec<u8> {
    let mut o = vec![0x02, 0x00, 0x00];
    o.extend(u32le(id));
    o
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// RequestHeader: auth token (two-byte NodeId 0), timestamp, handle, return diagnostics,
/// audit entry (null), timeout hint, additional header (null ExtensionObject).
fn req_hdr(handle: u32) -> Vec<u8> {
    cat(&[
        &[0x00, 0x00],       // AuthenticationToken: two-byte NodeId i=0
        &[0u8; 8],           // Timestamp
        &u32le(handle),      // RequestHandle
        &u32le(0),           // ReturnDiagnostics
        &null(),             // AuditEntryId
        &u32le(10_000),      // TimeoutHint
        &[0x00, 0x00, 0x00], // AdditionalHeader: NodeId i=0, no body
    ])
}

/// ResponseHeader: timestamp, handle, service result, diagnostics (empty mask), string table
/// (null array), additional header (null ExtensionObject).
fn resp_hdr(handle: u32, status: u32) -> Vec<u8> {
    cat(&[
        &[0u8; 8],
        &u32le(handle),
        &u32le(status),
        &[0x00], // ServiceDiagnostics: empty mask
        &null(), // StringTable
        &[0x00, 0x00, 0x00],
    ])
}

/// A message: 3-byte type, chunk type, u32 size (header included), body.
fn frame(t: &[u8; 3], chunk: u8, body: &[u8]) -> Vec<u8> {
    let mut o = t.to_vec();
    o.push(chunk);
    o.extend(u32le((body.len() + 8) as u32));
    o.extend_from_slice(body);
    o
}

fn hel(url: &str) -> Vec<u8> {
    frame(
        b"HEL",
        b'F',
        &cat(&[
            &u32le(0),      // ProtocolVersion
            &u32le(65_536), // ReceiveBufferSize
            &u32le(65_536), // SendBufferSize
            &u32le(0),      // MaxMessageSize (no limit)
            &u32le(0),      // MaxChunkCount (no limit)
            &s(url),        // EndpointUrl
        ]),
    )
}

fn ack() -> Vec<u8> {
    frame(
        b"ACK",
        b'F',
        &cat(&[
            &u32le(0),
            &u32le(65_536),
            &u32le(65_536),
            &u32le(0),
            &u32le(0),
        ]),
    )
}

const NONE: &str = "http://opcfoundation.org/UA/SecurityPolicy#None";
const B256: &str = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";
const B128: &str = "http://opcfoundation.org/UA/SecurityPolicy#Basic128Rsa15";

/// OPN chunk: channel id, asymmetric header, then `rest` (sequence header + body, or cipher).
fn opn_raw(chunk: u8, channel: u32, policy: &str, cert: Option<&[u8]>, rest: &[u8]) -> Vec<u8> {
    frame(
        b"OPN",
        chunk,
        &cat(&[
            &u32le(channel),
            &s(policy),
            &cert.map(bs).unwrap_or_else(null),
            &null(), // ReceiverCertificateThumbprint
            rest,
        ]),
    )
}

fn seq(seq: u32, req: u32) -> Vec<u8> {
    cat(&[&u32le(seq), &u32le(req)])
}

fn opn_req_none(req: u32) -> Vec<u8> {
    let body = cat(&[
        &nid(446),
        &req_hdr(1),
        &u32le(0), // ClientProtocolVersion
        &u32le(0), // RequestType Issue
        &u32le(1), // SecurityMode None
        &null(),   // ClientNonce
        &u32le(600_000),
    ]);
    opn_raw(b'F', 0, NONE, None, &cat(&[&seq(1, req), &body]))
}

fn opn_resp_none(channel: u32, req: u32) -> Vec<u8> {
    let body = cat(&[
        &nid(449),
        &resp_hdr(1, 0),
        &u32le(0),       // ServerProtocolVersion
        &u32le(channel), // SecurityToken.ChannelId
        &u32le(1),       // TokenId
        &[0u8; 8],       // CreatedAt
        &u32le(600_000), // RevisedLifetime
        &null(),         // ServerNonce
    ]);
    opn_raw(b'F', channel, NONE, None, &cat(&[&seq(1, req), &body]))
}

/// MSG chunk: channel, token, sequence header, service body.
fn msg(chunk: u8, channel: u32, req: u32, body: &[u8]) -> Vec<u8> {
    frame(
        b"MSG",
        chunk,
        &cat(&[&u32le(channel), &u32le(1), &seq(req + 1, req), body]),
    )
}

fn localized(text: &str) -> Vec<u8> {
    cat(&[&[0x02], &s(text)])
}

/// ApplicationDescription.
fn app_desc(uri: &str, product: &str, name: &str, kind: u32, urls: &[&str]) -> Vec<u8> {
    let mut o = cat(&[
        &s(uri),
        &s(product),
        &localized(name),
        &u32le(kind),
        &null(), // GatewayServerUri
        &null(), // DiscoveryProfileUri
        &u32le(urls.len() as u32),
    ]);
    for u in urls {
        o.extend(s(u));
    }
    o
}

/// EndpointDescription with the given tokens (type, token policy URI).
fn endpoint_desc(url: &str, mode: u32, policy: &str, tokens: &[(u32, Option<&str>)]) -> Vec<u8> {
    let mut o = cat(&[
        &s(url),
        &app_desc(
            "urn:example:plc",
            "urn:example:product:plc",
            "Example PLC",
            0,
            &[url],
        ),
        &null(), // ServerCertificate
        &u32le(mode),
        &s(policy),
        &u32le(tokens.len() as u32),
    ]);
    for (k, (t, p)) in tokens.iter().enumerate() {
        o.extend(s(&format!("policy{k}")));
        o.extend(u32le(*t));
        o.extend(null()); // IssuedTokenType
        o.extend(null()); // IssuerEndpointUrl
        o.extend(p.map(s).unwrap_or_else(null));
    }
    o.extend(s(
        "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary",
    ));
    o.push(1); // SecurityLevel
    o
}

fn get_endpoints_resp(handle: u32, eps: &[Vec<u8>]) -> Vec<u8> {
    let mut o = cat(&[&nid(431), &resp_hdr(handle, 0), &u32le(eps.len() as u32)]);
    for e in eps {
        o.extend_from_slice(e);
    }
    o
}

fn create_session_req(handle: u32) -> Vec<u8> {
    cat(&[
        &nid(461),
        &req_hdr(handle),
        &app_desc(
            "urn:example:hmi",
            "urn:vendor:scada-hmi",
            "Example HMI",
            1,
            &[],
        ),
        &null(),                       // ServerUri
        &s("opc.tcp://10.0.0.1:4840"), // EndpointUrl
        &s("HMI Session"),             // SessionName
        &null(),                       // ClientNonce
        &null(),                       // ClientCertificate
        &60_000f64.to_le_bytes(),      // RequestedSessionTimeout
        &u32le(0),                     // MaxResponseMessageSize
    ])
}

fn activate_username(handle: u32, user: &str, pw: &[u8], alg: Option<&str>) -> Vec<u8> {
    let token = cat(&[
        &s("username"),
        &s(user),
        &bs(pw),
        &alg.map(s).unwrap_or_else(null),
    ]);
    cat(&[
        &nid(467),
        &req_hdr(handle),
        &null(),   // ClientSignature.Algorithm
        &null(),   // ClientSignature.Signature
        &null(),   // ClientSoftwareCertificates
        &null(),   // LocaleIds
        &nid(324), // UserIdentityToken type: UserNameIdentityToken
        &[0x01],   // binary body
        &bs(&token),
        &null(), // UserTokenSignature.Algorithm
        &null(), // UserTokenSignature.Signature
    ])
}

fn activate_resp(handle: u32, status: u32) -> Vec<u8> {
    cat(&[
        &nid(470),
        &resp_hdr(handle, status),
        &null(),
        &null(),
        &null(),
    ])
}

fn service_fault(handle: u32, status: u32) -> Vec<u8> {
    cat(&[&nid(397), &resp_hdr(handle, status)])
}

/// ReadRequest of Server.ServerStatus.BuildInfo (i=2260, attribute Value).
fn read_build_info_req(handle: u32) -> Vec<u8> {
    cat(&[
        &nid(631),
        &req_hdr(handle),
        &0f64.to_le_bytes(),       // MaxAge
        &u32le(2),                 // TimestampsToReturn Neither... (value irrelevant)
        &u32le(1),                 // NodesToRead: 1
        &[0x01, 0x00, 0xd4, 0x08], // NodeId i=2260
        &u32le(13),                // AttributeId Value
        &null(),                   // IndexRange
        &[0x00, 0x00],             // DataEncoding ns
        &null(),                   // DataEncoding name
    ])
}

fn build_info_body() -> Vec<u8> {
    cat(&[
        &s("urn:vendor:product:x"),
        &s("ACME Automation"),
        &s("ACME UA Server"),
        &s("2.4.1"),
        &s("815"),
        &133_000_000_000_000_000i64.to_le_bytes(),
    ])
}

fn read_build_info_resp(handle: u32) -> Vec<u8> {
    let body = build_info_body();
    cat(&[
        &nid(634),
        &resp_hdr(handle, 0),
        &u32le(1), // Results: 1 DataValue
        &[0x01],   // DataValue mask: value
        &[22],     // Variant: ExtensionObject
        &nid(340), // TypeId: BuildInfo binary encoding
        &[0x01],   // binary body
        &bs(&body),
        &null(), // DiagnosticInfos
    ])
}

fn read_plain_req(handle: u32) -> Vec<u8> {
    cat(&[
        &nid(631),
        &req_hdr(handle),
        &0f64.to_le_bytes(),
        &u32le(0),
        &u32le(1),
        &[0x01, 0x02, 0x10, 0x00], // NodeId ns=2;i=16
        &u32le(13),
        &null(),
        &[0x00, 0x00],
        &null(),
    ])
}

// ---------------------------------------------------------------------------------------------
// Harness: the engine's buffering around one dissector
// ---------------------------------------------------------------------------------------------

struct H {
    d: OpcUa,
    store: Store,
    limits: Limits,
    exp: Vec<Expectation>,
    buf: [Vec<u8>; 2],
    need: [usize; 2],
    desync: bool,
    ts: Timestamp,
    frame: u64,
}

fn client() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))
}
fn server() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))
}

impl H {
    fn new() -> H {
        H::with_limits(Limits::default())
    }

    fn with_limits(limits: Limits) -> H {
        H {
            d: OpcUa::default(),
            store: Store::new(100_000, 8),
            limits,
            exp: Vec::new(),
            buf: [Vec::new(), Vec::new()],
            need: [0, 0],
            desync: false,
            // 2027-01-01
            ts: Timestamp::from_secs_nanos(1_798_761_600, 0),
            frame: 0,
        }
    }

    /// Same algorithm as `engine::feed`.
    fn feed(&mut self, dir: Dir, data: &[u8]) {
        if self.desync {
            return;
        }
        self.frame += 1;
        let d = state::di(dir);
        let H {
            d: ds,
            store,
            limits,
            exp,
            buf,
            need: needv,
            ts,
            frame,
            ..
        } = self;
        let mut cx = Cx::new(
            (client(), 50_000),
            (server(), 4840),
            Transport::Tcp,
            "opcua",
            Ev {
                input: 0,
                frame: *frame,
                ts: *ts,
            },
            limits,
            store,
            exp,
        );
        let max = cx.limits.max_pdu_bytes;
        let buffered = !buf[d].is_empty();
        if buffered {
            buf[d].extend_from_slice(data);
            if buf[d].len() < needv[d] {
                return;
            }
        }
        let input: Vec<u8> = if buffered {
            std::mem::take(&mut buf[d])
        } else {
            data.to_vec()
        };
        let mut off = 0usize;
        let mut need = 0usize;
        let mut desync = false;
        while off < input.len() {
            match ds.parse(dir, &input[off..], &mut cx) {
                Parsed::Consumed(n) => {
                    if n == 0 {
                        need = input.len() - off + 1;
                        break;
                    }
                    off += n.min(input.len() - off);
                }
                Parsed::NeedMore { consumed, needed } => {
                    off += consumed.min(input.len() - off);
                    need = needed;
                    break;
                }
                Parsed::Desync { consumed } => {
                    off += consumed.min(input.len() - off);
                    desync = true;
                    break;
                }
            }
        }
        if desync {
            self.desync = true;
            return;
        }
        let rest = input.len() - off;
        if need > max || rest > max {
            cx.anomaly("pdu_too_large");
            buf[d].clear();
            needv[d] = 0;
            ds.gap(dir, rest as u32, &mut cx);
            return;
        }
        buf[d] = input[off..].to_vec();
        needv[d] = need;
    }

    fn gap(&mut self, dir: Dir, n: u32) {
        let d = state::di(dir);
        self.buf[d].clear();
        self.need[d] = 0;
        let mut cx = Cx::new(
            (client(), 50_000),
            (server(), 4840),
            Transport::Tcp,
            "opcua",
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        self.d.gap(dir, n, &mut cx);
    }

    fn close(&mut self) {
        let mut cx = Cx::new(
            (client(), 50_000),
            (server(), 4840),
            Transport::Tcp,
            "opcua",
            Ev::default(),
            &self.limits,
            &mut self.store,
            &mut self.exp,
        );
        self.d.close(&mut cx);
    }

    fn facts(&self, key: &str) -> Vec<(IpAddr, String)> {
        sorted(&self.store.facts)
            .into_iter()
            .filter(|(k, _)| k.key == key)
            .filter_map(|(k, _)| match k.subject {
                Subject::Ip(ip) => Some((ip, k.value.clone())),
                _ => None,
            })
            .collect()
    }

    fn fact(&self, ip: IpAddr, key: &str, value: &str) -> bool {
        self.facts(key).iter().any(|(i, v)| *i == ip && v == value)
    }

    fn claim(&self, ip: IpAddr, field: &str, value: &str) -> bool {
        self.store
            .claims
            .keys()
            .any(|k| k.subject == Subject::Ip(ip) && k.field == field && k.value == value)
    }

    fn ops(&self, op: Op) -> u64 {
        self.store
            .ops
            .iter()
            .filter(|(k, _)| k.op == op)
            .map(|(_, v)| v.evidence.count)
            .sum()
    }

    fn anomaly(&self, kind: &str) -> u64 {
        self.store
            .anomalies
            .iter()
            .filter(|(k, _)| k.kind == kind)
            .map(|(_, v)| v.count)
            .sum()
    }

    fn anomalies(&self) -> u64 {
        self.store.anomalies.values().map(|v| v.count).sum()
    }

    fn auth(&self, mech: &str) -> Option<&crate::inventory::observation::AuthAgg> {
        self.store
            .auths
            .iter()
            .find(|(k, _)| k.mechanism == mech)
            .map(|(_, v)| v)
    }

    /// A comparable digest of everything observed (frames excluded).
    fn snapshot(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (k, a) in sorted(&self.store.claims) {
            v.push(format!(
                "C {:?} {} {} {}",
                k.subject, k.field, k.value, a.confidence
            ));
        }
        for (k, e) in sorted(&self.store.facts) {
            v.push(format!(
                "F {:?} {} {} {}",
                k.subject, k.key, k.value, e.count
            ));
        }
        for (k, a) in sorted(&self.store.ops) {
            v.push(format!("O {:?} {:?} {}", k.op, a.details, a.evidence.count));
        }
        for (k, a) in sorted(&self.store.auths) {
            v.push(format!(
                "A {} {} {} {} {} {} {:?} {:?}",
                k.mechanism,
                a.attempts,
                a.successes,
                a.failures,
                a.offered,
                a.cleartext,
                a.users,
                a.secrets
            ));
        }
        for (k, e) in sorted(&self.store.anomalies) {
            v.push(format!("X {} {}", k.kind, e.count));
        }
        v
    }
}

/// A plaintext session: HEL/ACK, OPN None, GetEndpoints response, CreateSession, a
/// cleartext UserName ActivateSession (success), a BuildInfo read.
fn session() -> Vec<(Dir, Vec<u8>)> {
    use Dir::*;
    let eps = vec![
        endpoint_desc("opc.tcp://10.0.0.1:4840", 1, NONE, &[(0, None), (1, None)]),
        endpoint_desc(
            "opc.tcp://10.0.0.1:4840",
            3,
            B256,
            &[(1, Some(B256)), (2, None)],
        ),
    ];
    vec![
        (ToServer, hel("opc.tcp://10.0.0.1:4840")),
        (ToClient, ack()),
        (ToServer, opn_req_none(1)),
        (ToClient, opn_resp_none(7, 1)),
        (
            ToServer,
            msg(
                b'F',
                7,
                2,
                &cat(&[&nid(428), &req_hdr(2), &null(), &null(), &null()]),
            ),
        ),
        (ToClient, msg(b'F', 7, 2, &get_endpoints_resp(2, &eps))),
        (ToServer, msg(b'F', 7, 3, &create_session_req(3))),
        (
            ToServer,
            msg(
                b'F',
                7,
                4,
                &activate_username(4, "operator", b"s3cret", None),
            ),
        ),
        (ToClient, msg(b'F', 7, 4, &activate_resp(4, 0))),
        (ToServer, msg(b'F', 7, 5, &read_build_info_req(5))),
        (ToClient, msg(b'F', 7, 5, &read_build_info_resp(5))),
        (ToServer, msg(b'F', 7, 6, &read_plain_req(6))),
    ]
}

fn run(msgs: &[(Dir, Vec<u8>)]) -> H {
    let mut h = H::new();
    for (d, m) in msgs {
        h.feed(*d, m);
    }
    h
}

// ---------------------------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------------------------

#[test]
fn header_plausibility() {
    // "MSG" 'F' size=24: the smallest secure message.
    let h = plausible_header(b"MSGF\x18\x00\x00\x00").unwrap();
    assert_eq!((h.mtype, h.chunk, h.size), (MsgType::Msg, b'F', 24));
    // Intermediate and abort chunks exist for secure messages only.
    assert!(plausible_header(b"MSGC\x18\x00\x00\x00").is_some());
    assert!(plausible_header(b"OPNA\x40\x00\x00\x00").is_some());
    assert!(plausible_header(b"HELC\x40\x00\x00\x00").is_none());
    // Sizes below the minimum of the type or above the maximum.
    assert!(plausible_header(b"MSGF\x17\x00\x00\x00").is_none());
    assert!(plausible_header(b"ACKF\x10\x00\x00\x00").is_none());
    assert!(plausible_header(b"MSGF\x00\x00\x00\x02").is_none()); // 32 MiB
    assert!(plausible_header(b"HELF\x00\x00\x01\x00").is_none()); // 64 KiB hello
    // Unknown type, SMTP HELO, short input.
    assert!(plausible_header(b"XYZF\x18\x00\x00\x00").is_none());
    assert!(plausible_header(b"HELO example.org\r\n").is_none());
    assert!(plausible_header(b"MSGF\x18\x00").is_none());
}

#[test]
fn hello_ack_error_reverse_hello() {
    let b: &[u8] = &[
        0x00, 0x00, 0x00, 0x00, // ProtocolVersion 0
        0x00, 0x00, 0x01, 0x00, // ReceiveBufferSize 65536
        0x00, 0x20, 0x00, 0x00, // SendBufferSize 8192
        0x00, 0x00, 0x00, 0x01, // MaxMessageSize 16 MiB
        0x05, 0x00, 0x00, 0x00, // MaxChunkCount 5
        0x0b, 0x00, 0x00, 0x00, // EndpointUrl length 11
        b'o', b'p', b'c', b'.', b't', b'c', b'p', b':', b'/', b'/', b'x',
    ];
    let (_, h) = hello(b).unwrap();
    assert_eq!(h.receive_buffer, 65_536);
    assert_eq!(h.send_buffer, 8192);
    assert_eq!(h.max_message, 16 << 20);
    assert_eq!(h.max_chunks, 5);
    assert_eq!(h.endpoint_url, Some(&b"opc.tcp://x"[..]));
    // The same without the last URL byte is truncated.
    assert_eq!(
        error_of(hello(&b[..b.len() - 1]).unwrap_err()),
        UaError::Truncated
    );

    let a: &[u8] = &[
        0, 0, 0, 0, // ProtocolVersion
        0, 0, 1, 0, // ReceiveBufferSize
        0, 0, 1, 0, // SendBufferSize
        0, 0, 0, 0, // MaxMessageSize
        0, 0, 0, 0, // MaxChunkCount
    ];
    assert_eq!(super::parser::ack(a).unwrap().1.send_buffer, 65_536);

    let e: &[u8] = &[
        0x00, 0x00, 0x83, 0x80, // Error 0x80830000 BadTcpEndpointUrlInvalid
        0x03, 0x00, 0x00, 0x00, b'b', b'a', b'd', // Reason "bad"
    ];
    let (_, e) = error_msg(e).unwrap();
    assert_eq!(codes::status_name(e.code), Some("BadTcpEndpointUrlInvalid"));
    assert_eq!(e.reason, Some(&b"bad"[..]));

    let r = cat(&[&s("urn:plc:1"), &s("opc.tcp://plc:4840")]);
    let (_, r) = reverse_hello(&r).unwrap();
    assert_eq!(r.server_uri, Some(&b"urn:plc:1"[..]));
}

#[test]
fn strings_arrays_and_node_ids() {
    // Null string, empty string, negative length other than -1, length past the end.
    assert_eq!(string(&null()).unwrap().1, None);
    assert_eq!(string(&[0, 0, 0, 0]).unwrap().1, Some(&b""[..]));
    assert_eq!(
        error_of(string(&[0xfe, 0xff, 0xff, 0xff]).unwrap_err()),
        UaError::Invalid
    );
    assert_eq!(
        error_of(string(&[0x10, 0, 0, 0, b'a']).unwrap_err()),
        UaError::Truncated
    );
    // Null array = 0 elements; a count the bytes cannot hold is TooLarge.
    assert_eq!(array_len(&null(), 4).unwrap().1, 0);
    assert_eq!(
        error_of(array_len(&[0xff, 0xff, 0xff, 0x7f], 1).unwrap_err()),
        UaError::TooLarge
    );
    assert_eq!(
        error_of(array_len(&[3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8], 4).unwrap_err()),
        UaError::TooLarge
    );
    // NodeIds: two-byte, four-byte, numeric, string, guid, opaque; ExpandedNodeId flags.
    assert_eq!(node_id(&[0x00, 0x2a]).unwrap().1.ns0(), Some(42));
    assert_eq!(
        node_id(&[0x01, 0x00, 0xdf, 0x01]).unwrap().1.ns0(),
        Some(479)
    );
    assert_eq!(node_id(&nid_numeric(12211)).unwrap().1.ns0(), Some(12211));
    let sn = cat(&[&[0x03, 0x02, 0x00], &s("Boiler1")]);
    assert_eq!(
        node_id(&sn).unwrap().1,
        NodeId::Str {
            ns: 2,
            id: Some(&b"Boiler1"[..])
        }
    );
    assert!(matches!(
        node_id(&[
            0x04, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        ])
        .unwrap()
        .1,
        NodeId::Guid { ns: 1 }
    ));
    assert!(matches!(
        node_id(&cat(&[&[0x05, 0, 0], &bs(b"\x01\x02")])).unwrap().1,
        NodeId::Opaque { .. }
    ));
    assert_eq!(error_of(node_id(&[0x07]).unwrap_err()), UaError::Invalid);
    // 0x80: namespace URI follows; 0x40: server index follows.
    let ex = cat(&[&[0xc1, 0x00, 0x01, 0x02], &s("urn:ns"), &u32le(3)]);
    let (rest, id) = expanded_node_id(&ex).unwrap();
    assert!(rest.is_empty());
    assert_eq!(id.ns0(), Some(0x0201));
}

#[test]
fn variants_data_values_and_depth() {
    // Scalar Int32 42.
    assert!(matches!(
        variant(&[0x06, 42, 0, 0, 0], 0).unwrap().1,
        Value::Other {
            type_id: 6,
            array: false
        }
    ));
    // String "RUNNING".
    let v = cat(&[&[0x0c], &s("RUNNING")]);
    assert_eq!(variant(&v, 0).unwrap().1, Value::Str(Some(&b"RUNNING"[..])));
    // Array of 2 Double with dimensions [2].
    let a = cat(&[&[0xcb], &u32le(2), &[0u8; 16], &u32le(1), &u32le(2)]);
    let (rest, v) = variant(&a, 0).unwrap();
    assert!(rest.is_empty());
    assert_eq!(
        v,
        Value::Other {
            type_id: 11,
            array: true
        }
    );
    // Array of Double claiming more elements than bytes.
    let a = cat(&[&[0x8b], &u32le(1000), &[0u8; 16]]);
    assert_eq!(error_of(variant(&a, 0).unwrap_err()), UaError::TooLarge);
    // Unknown built-in type 30.
    assert_eq!(error_of(variant(&[30], 0).unwrap_err()), UaError::Invalid);
    // Variants nested in Variants beyond the depth limit.
    let deep = vec![24u8; 64];
    assert_eq!(error_of(variant(&deep, 0).unwrap_err()), UaError::TooDeep);
    // DataValue: value + status + source timestamp.
    let dv = cat(&[&[0x07, 0x01, 0x01], &u32le(0), &[0u8; 8]]);
    let (rest, v) = data_value(&dv, 0).unwrap();
    assert!(rest.is_empty());
    assert!(matches!(v, Some(Value::Other { type_id: 1, .. })));
    // DiagnosticInfo nested too deep.
    let di = vec![0x40u8; 64];
    assert_eq!(
        error_of(diagnostic_info(&di, 0).unwrap_err()),
        UaError::TooDeep
    );
}

#[test]
fn service_bodies() {
    let eps = [endpoint_desc(
        "opc.tcp://10.0.0.1:4840",
        1,
        NONE,
        &[(0, None), (1, Some(NONE))],
    )];
    let b = get_endpoints_resp(9, &eps);
    let (rest, tid) = type_id(&b).unwrap();
    assert_eq!(tid.ns0(), Some(431));
    let (_, (h, eps)) = super::parser::get_endpoints_resp(rest).unwrap();
    assert_eq!(h.handle, 9);
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0].server.uri, Some(&b"urn:example:plc"[..]));
    assert_eq!(eps[0].tokens.len(), 2);
    assert_eq!(eps[0].tokens[1].token_type, 1);
    assert_eq!(eps[0].security_level, 1);

    let b = create_session_req(3);
    let (_, r) = super::parser::create_session_req(&b[4..]).unwrap();
    assert_eq!(r.session_name, Some(&b"HMI Session"[..]));
    assert_eq!(r.client.app_type, 1);

    let b = activate_username(
        4,
        "op",
        b"pw",
        Some("http://www.w3.org/2001/04/xmlenc#rsa-oaep"),
    );
    let (_, r) = super::parser::activate_session_req(&b[4..]).unwrap();
    assert!(matches!(
        r.token,
        Identity::UserName {
            user: Some(b"op"),
            encryption_algorithm: Some(_),
            ..
        }
    ));

    let b = read_build_info_resp(5);
    let mut got = None;
    let (_, h) = read_resp(&b[4..], |k, v| got = Some((k, v))).unwrap();
    assert_eq!(h.handle, 5);
    let Some((0, Some(Value::Ext(e)))) = got else {
        panic!("{got:?}")
    };
    assert_eq!(e.type_id.ns0(), Some(340));
    let (_, bi) = build_info(e.body.unwrap()).unwrap();
    assert_eq!(bi.manufacturer_name, Some(&b"ACME Automation"[..]));
    assert_eq!(bi.software_version, Some(&b"2.4.1"[..]));
}

#[test]
fn codes_are_named() {
    for id in [
        397, 422, 425, 428, 431, 446, 449, 452, 461, 464, 467, 470, 473, 476, 488, 491, 500, 503,
        527, 530, 533, 536, 554, 557, 631, 634, 673, 676, 712, 715, 751, 754, 787, 790, 826, 829,
        12208, 12209, 12211, 12212,
    ] {
        assert!(codes::service(id).is_some(), "{id}");
    }
    assert_eq!(codes::service(631).unwrap().op, Some((Op::Read, "read")));
    assert_eq!(
        codes::service(826).unwrap().op,
        Some((Op::Subscribe, "publish"))
    );
    assert_eq!(
        codes::service(428).unwrap().op,
        Some((Op::Identify, "get_endpoints"))
    );
    assert!(codes::service(9999).is_none());
    assert_eq!(codes::status_name(0x801f_0000), Some("BadUserAccessDenied"));
    assert_eq!(codes::status_text(0x8123_4567), "0x81234567");
    assert!(codes::is_deprecated_policy(B128));
    assert!(!codes::is_deprecated_policy(B256));
    // Every id appears once.
    let mut ids: Vec<u32> = codes::SERVICES.iter().map(|s| s.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), codes::SERVICES.len());
}

#[test]
fn certificates_and_digests() {
    assert_eq!(
        cert::hex(&cert::sha1(b"abc")),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        cert::hex(&cert::sha1(b"")),
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
    // Two blocks (56 bytes: padding spills into a second block).
    assert_eq!(
        cert::hex(&cert::sha1(
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        )),
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
    );
    assert_eq!(cert::rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(cert::rfc3339(2_110_220_399), "2036-11-13T20:19:59Z");
    assert_eq!(cert::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(cert::rfc3339(-86_400), "1969-12-31T00:00:00Z");

    let der = include_bytes!("../../../tests/data/opcua/asyncua-server-cert.der");
    let c = cert::parse(der).unwrap();
    assert_eq!(
        c.subject,
        "CN=OTScope OPC UA Test Server, O=OTScope Test Automation GmbH, C=DE"
    );
    assert!(c.self_signed);
    assert_eq!(c.sha1, "d9334939e392898040df39727511a04763966582");
    assert_eq!(cert::rfc3339(c.not_after), "2036-11-22T20:13:19Z");
    // A chain: the first certificate is described, its own thumbprint.
    let chain = [&der[..], &der[..]].concat();
    assert_eq!(cert::parse(&chain).unwrap().sha1, c.sha1);

    let leaf = include_bytes!("../../../tests/data/opcua/ca-signed-leaf.der");
    let l = cert::parse(leaf).unwrap();
    assert!(!l.self_signed);
    assert_eq!(l.issuer, "CN=Test Plant CA, O=Example");
    assert_eq!(l.sha1, "c233c47cbc1c1e36ed0abca85f771deb00692d07");
    // Garbage and truncations are not certificates (and do not panic).
    assert!(cert::parse(b"not a certificate").is_none());
    for n in 0..der.len() {
        let _ = cert::parse(&der[..n]);
    }
}

#[test]
fn urls() {
    assert_eq!(
        url_host_port("opc.tcp://10.0.0.1:4840/x"),
        Some(("10.0.0.1", 4840))
    );
    assert_eq!(url_host_port("opc.tcp://plc"), Some(("plc", 4840)));
    assert_eq!(url_host_port("opc.tcp://[::1]:48010"), Some(("::1", 48010)));
    assert_eq!(url_host_port("no scheme"), None);
    assert_eq!(
        url_names_ip("opc.tcp://10.0.0.9:4840", server()),
        Some(false)
    );
    assert_eq!(
        url_names_ip("opc.tcp://10.0.0.1:4840", server()),
        Some(true)
    );
    assert_eq!(url_names_ip("opc.tcp://0.0.0.0:4840", server()), Some(true));
    assert_eq!(url_names_ip("opc.tcp://Maui-16714:4840/", server()), None);
}

// ---------------------------------------------------------------------------------------------
// Probe
// ---------------------------------------------------------------------------------------------

#[test]
fn probe_positive() {
    let h = hel("opc.tcp://10.0.0.1:4840");
    assert_eq!(probe(Dir::ToServer, &h, false), Probe::Match);
    assert_eq!(probe(Dir::ToServer, &h[..20], false), Probe::NeedMore);
    assert_eq!(probe(Dir::ToServer, &h[..3], false), Probe::NeedMore);
    assert_eq!(probe(Dir::ToClient, &ack(), false), Probe::Match);
    assert_eq!(probe(Dir::ToServer, &opn_req_none(1), false), Probe::Match);
    // A flow picked up mid-message: the tail of one message then two MSG chunks.
    let mut mid = vec![0x55u8; 37];
    mid.extend(msg(b'F', 7, 9, &read_plain_req(9)));
    mid.extend(msg(b'F', 7, 10, &read_plain_req(10)));
    assert_eq!(probe(Dir::ToServer, &mid, false), Probe::Match);
    // ERR and RHE.
    let err = frame(
        b"ERR",
        b'F',
        &cat(&[&u32le(0x8083_0000), &s("unknown endpoint")]),
    );
    assert_eq!(probe(Dir::ToClient, &err, false), Probe::Match);
    let rhe = frame(
        b"RHE",
        b'F',
        &cat(&[&s("urn:plc"), &s("opc.tcp://plc:4840")]),
    );
    assert_eq!(probe(Dir::ToServer, &rhe, false), Probe::Match);
}

/// Away from port 4840 a message must travel its way (HEL and requests to the server, ACK and
/// responses back): the engine turns a flow picked up mid-stream round when only the other way
/// matches. On the port, the port says which side serves.
#[test]
fn probe_direction_counts_away_from_port_4840() {
    let to_server = [
        hel("opc.tcp://10.0.0.1:4840"),
        opn_req_none(1),
        msg(b'F', 7, 9, &read_plain_req(9)),
    ];
    let to_client = [
        ack(),
        opn_resp_none(7, 1),
        msg(b'F', 7, 9, &read_build_info_resp(9)),
        msg(b'F', 7, 9, &activate_resp(9, 0)),
    ];
    crate::dissect::assert_probe_ways(probe, &to_server, &to_client);
    // A body that names no known service (encrypted) travels either way.
    let sealed = msg(b'F', 7, 9, &[0xA7; 64]);
    assert_eq!(probe(Dir::ToServer, &sealed, false), Probe::Match);
    assert_eq!(probe(Dir::ToClient, &sealed, false), Probe::Match);
    // Until the type id and the request header have arrived, the answer waits.
    let read = msg(b'F', 7, 9, &read_plain_req(9));
    for n in [26, 28, 40] {
        assert_eq!(
            probe(Dir::ToClient, &read[..n], false),
            Probe::NeedMore,
            "{n}"
        );
    }
    assert_eq!(probe(Dir::ToClient, &read, false), Probe::NoMatch);
    // An abort chunk carries an error, not a service: either way.
    let abort = msg(b'A', 7, 9, &read_plain_req(9));
    assert_eq!(probe(Dir::ToClient, &abort, false), Probe::Match);
}

#[test]
fn probe_negative() {
    // Random bytes (fixed seed), HTTP, SMTP, Modbus/TCP, TPKT/COTP (S7), EtherNet/IP.
    let mut rng = Rng(0x1234_5678_9abc_def0);
    for _ in 0..2000 {
        let n = (rng.next() % 300) as usize + 8;
        let b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        assert_ne!(probe(Dir::ToServer, &b, false), Probe::Match, "{b:02x?}");
    }
    let others: [&[u8]; 7] = [
        b"GET / HTTP/1.1\r\nHost: plc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HELO mail.example.org\r\n",
        // Modbus/TCP read holding registers.
        &[
            0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x0a,
        ],
        // TPKT + COTP CR (S7).
        &[
            0x03, 0x00, 0x00, 0x16, 0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xc1, 0x02, 0x01,
            0x00, 0xc2, 0x02, 0x01, 0x02, 0xc0, 0x01, 0x0a,
        ],
        // ENIP RegisterSession.
        &[
            0x65, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0x01, 0x00, 0x00, 0x00,
        ],
        // "MSG" in text.
        b"MSGFROM alice: hello world\r\n",
    ];
    for b in others {
        assert_eq!(probe(Dir::ToServer, b, true), Probe::NoMatch, "{b:02x?}");
    }
    // A HEL with a binary endpoint URL or absurd buffers is not OPC UA.
    let mut bad = hel("opc.tcp://x");
    bad[8 + 24] = 0x01;
    assert_eq!(probe(Dir::ToServer, &bad, false), Probe::NoMatch);
    // An OPN whose policy is not an OPC UA policy URI.
    let bad = opn_raw(
        b'F',
        0,
        "http://example.org/NotAPolicy#None",
        None,
        &[0u8; 8],
    );
    assert_eq!(probe(Dir::ToServer, &bad, false), Probe::NoMatch);
    // A MSG header followed by garbage where the next header should be.
    let mut bad = msg(b'F', 1, 1, &read_plain_req(1));
    bad.extend_from_slice(b"garbage!garbage!");
    assert_eq!(probe(Dir::ToServer, &bad, false), Probe::NoMatch);
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Dissector
// ---------------------------------------------------------------------------------------------

#[test]
fn plaintext_session() {
    let h = run(&session());
    let (srv, cli) = (server(), client());
    assert!(h.fact(srv, "opcua.endpoint_url", "opc.tcp://10.0.0.1:4840"));
    assert!(h.fact(srv, "opcua.security_policy", NONE));
    assert!(h.fact(srv, "opcua.channel_security_mode", "None"));
    // Endpoints.
    assert!(h.claim(srv, "application_uri", "urn:example:plc"));
    assert!(h.claim(srv, "product_uri", "urn:example:product:plc"));
    assert!(h.claim(srv, "name", "Example PLC"));
    assert!(h.claim(srv, "opcua.application_type", "Server"));
    assert!(h.fact(
        srv,
        "opcua.endpoint",
        &format!("None|{NONE}|Anonymous,UserName")
    ));
    assert!(h.fact(
        srv,
        "opcua.endpoint",
        &format!("SignAndEncrypt|{B256}|UserName,Certificate")
    ));
    assert!(h.fact(srv, "opcua.token_offered", "Anonymous@None"));
    assert!(h.fact(srv, "opcua.token_offered", "UserName@SignAndEncrypt"));
    assert!(h.fact(srv, "opcua.security_mode_offered", "SignAndEncrypt"));
    assert!(h.fact(srv, "opcua.security_policy_offered", B256));
    assert!(h.fact(srv, "opcua.username_cleartext_possible", "true"));
    // CreateSession: the client's identity.
    assert!(h.claim(cli, "application_uri", "urn:example:hmi"));
    assert!(h.claim(cli, "product_uri", "urn:vendor:scada-hmi"));
    assert!(h.claim(cli, "opcua.client_application_name", "Example HMI"));
    assert!(h.fact(cli, "opcua.session_name", "HMI Session"));
    // ActivateSession with a cleartext password, then success.
    let a = h.auth("opcua-username").unwrap();
    assert_eq!((a.attempts, a.successes, a.failures), (1, 1, 0));
    assert!(a.cleartext);
    assert!(a.users.contains("operator"));
    assert!(a.secrets.contains("s3cret"));
    assert_eq!(a.offered, 2);
    assert_eq!(h.auth("opcua-anonymous").unwrap().offered, 1);
    assert_eq!(h.auth("opcua-x509").unwrap().offered, 1);
    assert!(h.fact(srv, "opcua.session_security_mode", "None"));
    // BuildInfo.
    assert!(h.claim(srv, "vendor", "ACME Automation"));
    assert!(h.claim(srv, "product", "ACME UA Server"));
    assert!(h.claim(srv, "firmware", "2.4.1"));
    assert!(h.claim(srv, "opcua.build_number", "815"));
    assert!(h.claim(srv, "product_uri", "urn:vendor:product:x"));
    assert_eq!(h.facts("opcua.build_date").len(), 1);
    // Operations: OPN, GetEndpoints, CreateSession, ActivateSession, 2 reads.
    assert_eq!(h.ops(Op::Connect), 2);
    assert_eq!(h.ops(Op::Identify), 1);
    assert_eq!(h.ops(Op::Login), 1);
    assert_eq!(h.ops(Op::Read), 2);
    assert_eq!(h.anomalies(), 0, "{:?}", h.snapshot());
    // Nothing pending, nothing buffered.
    assert!(h.d.st.pending.is_empty());
}

#[test]
fn failed_login_and_encrypted_password() {
    use Dir::*;
    let mut m = session()[..5].to_vec();
    m.push((
        ToServer,
        msg(
            b'F',
            7,
            4,
            &activate_username(
                4,
                "op",
                &[0xa5; 64],
                Some("http://www.w3.org/2001/04/xmlenc#rsa-oaep"),
            ),
        ),
    ));
    m.push((ToClient, msg(b'F', 7, 4, &service_fault(4, 0x801f_0000))));
    let h = run(&m);
    let a = h.auth("opcua-username").unwrap();
    assert_eq!((a.attempts, a.successes, a.failures), (1, 0, 1));
    assert!(!a.cleartext);
    assert!(a.secrets.is_empty());
    assert!(a.users.contains("op"));
    assert!(h.fact(
        server(),
        "opcua.service_fault",
        "BadUserAccessDenied (0x801f0000)"
    ));
}

#[test]
fn error_and_reverse_hello() {
    let mut h = H::new();
    h.feed(Dir::ToServer, &hel("opc.tcp://10.0.0.1:4840/bad"));
    h.feed(
        Dir::ToClient,
        &frame(
            b"ERR",
            b'F',
            &cat(&[&u32le(0x8083_0000), &s("no such endpoint")]),
        ),
    );
    assert!(h.fact(
        server(),
        "opcua.error",
        "BadTcpEndpointUrlInvalid (0x80830000) no such endpoint"
    ));

    // Reverse connect: the UA server (TCP client) sends RHE, the UA client answers HEL.
    let mut h = H::new();
    h.feed(
        Dir::ToServer,
        &frame(
            b"RHE",
            b'F',
            &cat(&[&s("urn:plc:reverse"), &s("opc.tcp://10.0.0.2:4840")]),
        ),
    );
    h.feed(Dir::ToClient, &hel("opc.tcp://10.0.0.2:4840"));
    h.feed(Dir::ToServer, &ack());
    h.feed(Dir::ToClient, &opn_req_none(1));
    h.feed(Dir::ToServer, &opn_resp_none(3, 1));
    assert!(h.fact(client(), "opcua.reverse_connect", "true"));
    assert!(h.claim(client(), "application_uri", "urn:plc:reverse"));
    // The policy is about the UA server, which is the TCP client here.
    assert!(h.fact(client(), "opcua.security_policy", NONE));
    assert_eq!(h.anomalies(), 0, "{:?}", h.snapshot());
}

#[test]
fn growing_prefixes() {
    // Every split point of the whole stream of each direction gives the same observations.
    let msgs = session();
    let full = run(&msgs).snapshot();
    // Interleave by message, but split each message at k bytes.
    let longest = msgs.iter().map(|(_, m)| m.len()).max().unwrap();
    for k in 0..=longest {
        let mut h = H::new();
        for (d, m) in &msgs {
            let k = k.min(m.len());
            h.feed(*d, &m[..k]);
            h.feed(*d, &m[k..]);
        }
        assert_eq!(h.snapshot(), full, "split at {k}");
    }
    // Byte by byte.
    let mut h = H::new();
    for (d, m) in &msgs {
        for b in m {
            h.feed(*d, std::slice::from_ref(b));
        }
    }
    assert_eq!(h.snapshot(), full);
    // Whole direction streams as every prefix, then the rest (server replies fed after).
    let to_server: Vec<u8> = msgs
        .iter()
        .filter(|(d, _)| *d == Dir::ToServer)
        .flat_map(|(_, m)| m.clone())
        .collect();
    for k in (0..=to_server.len()).step_by(7) {
        let mut h = H::new();
        h.feed(Dir::ToServer, &to_server[..k]);
        h.feed(Dir::ToServer, &to_server[k..]);
        assert_eq!(h.ops(Op::Read), 2, "split at {k}");
        assert_eq!(h.anomalies(), 0);
    }
}

#[test]
fn chunked_message_is_reassembled() {
    use Dir::*;
    let body = create_session_req(3);
    let (a, b) = body.split_at(body.len() / 2);
    let (b, c) = b.split_at(b.len() / 2);
    let mut m = session()[..4].to_vec();
    m.push((ToServer, msg(b'C', 7, 3, a)));
    m.push((ToServer, msg(b'C', 7, 3, b)));
    m.push((ToServer, msg(b'F', 7, 3, c)));
    let h = run(&m);
    assert!(h.claim(client(), "application_uri", "urn:example:hmi"));
    assert_eq!(h.ops(Op::Connect), 2);
    assert!(h.d.st.reasm.is_empty());
    assert_eq!(h.d.st.reasm_bytes, 0);
    assert_eq!(h.anomalies(), 0, "{:?}", h.snapshot());

    // An abort chunk drops the partial message.
    let mut m = session()[..4].to_vec();
    m.push((ToServer, msg(b'C', 7, 3, a)));
    m.push((
        ToServer,
        msg(b'A', 7, 3, &cat(&[&u32le(0x8080_0000), &s("too large")])),
    ));
    m.push((ToServer, msg(b'F', 7, 5, &read_plain_req(5))));
    let h = run(&m);
    assert!(!h.claim(client(), "application_uri", "urn:example:hmi"));
    assert!(h.d.st.reasm.is_empty());
    assert_eq!(h.ops(Op::Read), 1);
}

#[test]
fn reassembly_is_bounded() {
    use Dir::*;
    let limits = Limits {
        max_pdu_bytes: 1024,
        ..Limits::default()
    };
    let mut h = H::with_limits(limits);
    for (d, m) in &session()[..4] {
        h.feed(*d, m);
    }
    // 5 intermediate chunks of 300 bytes exceed 1024.
    for _ in 0..5 {
        h.feed(ToServer, &msg(b'C', 7, 3, &[0x11; 300]));
        assert!(h.d.st.reasm_bytes <= 1024);
    }
    h.feed(ToServer, &msg(b'F', 7, 3, &[0x11; 10]));
    assert_eq!(h.anomaly("message_too_large"), 1);
    assert!(h.d.st.reasm.is_empty());
    // Interleaved partial messages on many request ids: at most MAX_REASSEMBLIES kept.
    for id in 100..120 {
        h.feed(ToServer, &msg(b'C', 7, id, &[0x22; 10]));
        assert!(h.d.st.reasm.len() <= state::MAX_REASSEMBLIES);
    }
    assert!(h.anomaly("too_many_partial_messages") > 0);
    // A single chunk larger than max_pdu_bytes is skipped, the next message is parsed.
    h.feed(ToServer, &msg(b'F', 7, 200, &[0x33; 3000]));
    assert_eq!(h.anomaly("chunk_too_large"), 1);
    h.feed(ToServer, &msg(b'F', 7, 201, &read_plain_req(201)));
    assert_eq!(h.ops(Op::Read), 1);
}

#[test]
fn garbage_is_skipped() {
    use Dir::*;
    let mut h = H::new();
    let m = session();
    for (d, b) in &m[..4] {
        h.feed(*d, b);
    }
    // 120 random bytes on the established connection, then a valid request.
    let mut rng = Rng(42);
    let junk: Vec<u8> = (0..120).map(|_| rng.next() as u8).collect();
    h.feed(ToServer, &junk);
    h.feed(ToServer, &msg(b'F', 7, 9, &read_plain_req(9)));
    assert_eq!(h.anomaly("garbage_skipped"), 1);
    assert_eq!(h.ops(Op::Read), 1);
    // Garbage glued to the front of a message in one segment.
    let mut glued = junk.clone();
    glued.extend(msg(b'F', 7, 10, &read_plain_req(10)));
    h.feed(ToServer, &glued);
    assert_eq!(h.ops(Op::Read), 2);
    assert_eq!(h.anomaly("garbage_skipped"), 2);
    // A body that does not decode is an anomaly, not a stop.
    h.feed(ToServer, &msg(b'F', 7, 11, &cat(&[&nid(631), &[0xff; 5]])));
    assert!(h.anomalies() > 2);
    h.feed(ToServer, &msg(b'F', 7, 12, &read_plain_req(12)));
    assert_eq!(h.ops(Op::Read), 4);
}

#[test]
fn gap_and_midstream_resync() {
    use Dir::*;
    let mut h = H::new();
    let m = session();
    for (d, b) in &m[..4] {
        h.feed(*d, b);
    }
    // A request loses its first bytes: the rest of it arrives after a gap, then a request.
    let lost = msg(b'F', 7, 20, &create_session_req(20));
    h.feed(ToServer, &lost[..10]);
    h.gap(ToServer, 50);
    h.feed(ToServer, &lost[60..]);
    h.feed(ToServer, &msg(b'F', 7, 21, &read_plain_req(21)));
    assert_eq!(h.ops(Op::Read), 1);
    assert_eq!(h.anomaly("garbage_skipped"), 0);
    // After a gap, a MSG header naming another channel is not trusted.
    h.gap(ToServer, 10);
    let mut b = vec![0x99; 5];
    b.extend(msg(b'F', 99, 22, &read_plain_req(22)));
    b.extend(msg(b'F', 7, 23, &read_plain_req(23)));
    h.feed(ToServer, &b);
    assert_eq!(h.ops(Op::Read), 2);

    // Mid-stream start: tail of a message, then requests on a channel never opened here.
    let mut h = H::new();
    let mut b = vec![0x42; 33];
    b.extend(msg(b'F', 5, 1, &read_plain_req(1)));
    h.feed(ToServer, &b);
    h.feed(ToServer, &msg(b'F', 5, 2, &read_plain_req(2)));
    assert_eq!(h.ops(Op::Read), 2);
    assert_eq!(h.anomalies(), 0, "{:?}", h.snapshot());
    assert!(h.fact(server(), "opcua.channel_security_mode", "NoneOrSign"));
}

#[test]
fn encrypted_channel() {
    use Dir::*;
    let der = include_bytes!("../../../tests/data/opcua/asyncua-server-cert.der");
    let leaf = include_bytes!("../../../tests/data/opcua/ca-signed-leaf.der");
    let mut rng = Rng(7);
    let mut cipher = |n: usize| -> Vec<u8> { (0..n).map(|_| rng.next() as u8).collect() };
    let mut h = H::new();
    h.feed(ToServer, &hel("opc.tcp://10.0.0.1:4840"));
    h.feed(ToClient, &ack());
    h.feed(ToServer, &opn_raw(b'F', 0, B256, Some(leaf), &cipher(256)));
    h.feed(ToClient, &opn_raw(b'F', 77, B256, Some(der), &cipher(256)));
    for k in 0..4 {
        let body = cat(&[&u32le(77), &u32le(1), &cipher(144)]);
        h.feed(
            if k % 2 == 0 { ToServer } else { ToClient },
            &frame(b"MSG", b'F', &body),
        );
    }
    h.feed(
        ToServer,
        &frame(b"CLO", b'F', &cat(&[&u32le(77), &u32le(1), &cipher(64)])),
    );
    let srv = server();
    assert!(h.fact(srv, "opcua.security_policy", B256));
    assert!(h.fact(srv, "opcua.channel_security_mode", "SignAndEncrypt"));
    assert!(h.fact(srv, "opcua.encrypted_channel", B256));
    assert!(h.fact(srv, "opcua.cert_self_signed", "true"));
    assert!(h.fact(
        srv,
        "opcua.cert_sha1",
        "d9334939e392898040df39727511a04763966582"
    ));
    assert!(h.fact(srv, "opcua.cert_not_after", "2036-11-22T20:13:19Z"));
    assert!(h.fact(srv, "opcua.cert_expired", "false"));
    // The client's certificate is on the client; it expired before the capture time.
    assert!(h.fact(
        client(),
        "opcua.cert_subject",
        "CN=PLC-UA-Server, O=Example"
    ));
    assert!(h.fact(client(), "opcua.cert_self_signed", "false"));
    assert!(h.fact(client(), "opcua.cert_expired", "true"));
    // Only what is visible is counted: OPN and CLO, no service.
    assert_eq!(h.ops(Op::Connect), 1);
    assert_eq!(h.ops(Op::Other), 1);
    assert_eq!(h.ops(Op::Read) + h.ops(Op::Login), 0);
    assert_eq!(h.anomalies(), 0, "{:?}", h.snapshot());
}

#[test]
fn sign_only_channel_is_readable() {
    use Dir::*;
    let mut h = H::new();
    h.feed(ToServer, &hel("opc.tcp://10.0.0.1:4840"));
    h.feed(ToClient, &ack());
    h.feed(ToServer, &opn_raw(b'F', 0, B128, None, &[0x5a; 128]));
    h.feed(ToClient, &opn_raw(b'F', 12, B128, None, &[0x5a; 128]));
    // Signed bodies: plaintext followed by a 20-byte signature.
    let mut body = activate_username(4, "eng", b"pw", None);
    body.extend([0xee; 20]);
    h.feed(ToServer, &msg(b'F', 12, 4, &body));
    let mut resp = activate_resp(4, 0);
    resp.extend([0xee; 20]);
    h.feed(ToClient, &msg(b'F', 12, 4, &resp));
    let srv = server();
    assert!(h.fact(srv, "opcua.channel_security_mode", "Sign"));
    assert!(h.fact(srv, "opcua.deprecated_policy", B128));
    assert!(h.fact(srv, "opcua.session_security_mode", "Sign"));
    assert!(h.facts("opcua.encrypted_channel").is_empty());
    let a = h.auth("opcua-username").unwrap();
    assert_eq!((a.attempts, a.successes), (1, 1));
    assert!(a.cleartext);
    // A channel that carried no message: Sign or SignAndEncrypt, said at close.
    let mut h = H::new();
    h.feed(ToServer, &opn_raw(b'F', 0, B256, None, &[0x5a; 128]));
    h.feed(ToClient, &opn_raw(b'F', 13, B256, None, &[0x5a; 128]));
    h.close();
    assert!(h.fact(
        server(),
        "opcua.channel_security_mode",
        &format!("SignOrEncrypt({B256})")
    ));
}

#[test]
fn discovery_attribution() {
    use Dir::*;
    // An LDS answers FindServers: itself (DiscoveryServer on our port) and another server.
    let find = cat(&[
        &nid(425),
        &resp_hdr(2, 0),
        &u32le(2),
        &app_desc(
            "urn:lds",
            "urn:lds:product",
            "LDS",
            3,
            &["opc.tcp://lds-host:4840/"],
        ),
        &app_desc(
            "urn:other",
            "urn:other:product",
            "Other",
            0,
            &["opc.tcp://lds-host:51944/"],
        ),
    ]);
    // GetEndpoints answered with an endpoint of another IP (a gateway describing a server).
    let eps = vec![endpoint_desc(
        "opc.tcp://10.9.9.9:4840",
        1,
        NONE,
        &[(0, None)],
    )];
    let mut m = session()[..4].to_vec();
    m.push((ToClient, msg(b'F', 7, 2, &find)));
    m.push((ToClient, msg(b'F', 7, 3, &get_endpoints_resp(3, &eps))));
    let h = run(&m);
    let srv = server();
    assert!(h.claim(srv, "application_uri", "urn:lds"));
    assert!(!h.claim(srv, "application_uri", "urn:other"));
    assert!(!h.claim(srv, "application_uri", "urn:example:plc"));
    assert!(h.fact(
        srv,
        "opcua.discovered_server",
        "urn:other opc.tcp://lds-host:51944/"
    ));
    assert!(h.fact(
        srv,
        "opcua.discovered_server",
        "urn:lds opc.tcp://lds-host:4840/"
    ));
    assert!(h.fact(
        srv,
        "opcua.discovered_server",
        "urn:example:plc opc.tcp://10.9.9.9:4840"
    ));
}

#[test]
fn fuzz_no_panic_bounded_state() {
    let base: Vec<(Dir, Vec<u8>)> = session();
    let stream: Vec<(Dir, u8)> = base
        .iter()
        .flat_map(|(d, m)| m.iter().map(move |b| (*d, *b)))
        .collect();
    let mut rng = Rng(0x0f0f_1234_dead_beef);
    let limits = Limits {
        max_pdu_bytes: 4096,
        max_open_transactions: 16,
        ..Limits::default()
    };
    for round in 0..3000 {
        let mut h = H::with_limits(limits.clone());
        match round % 3 {
            // Pure random bytes in random-size pieces, both directions.
            0 => {
                for _ in 0..(rng.next() % 8 + 1) {
                    let n = (rng.next() % 600) as usize;
                    let b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                    let d = if rng.next() % 2 == 0 {
                        Dir::ToServer
                    } else {
                        Dir::ToClient
                    };
                    h.feed(d, &b);
                }
            }
            // The valid session with mutated bytes, fed in random pieces.
            1 => {
                let mut s = stream.clone();
                for _ in 0..(rng.next() % 12 + 1) {
                    let i = (rng.next() as usize) % s.len();
                    s[i].1 = rng.next() as u8;
                }
                let mut i = 0;
                while i < s.len() {
                    let d = s[i].0;
                    let n = ((rng.next() % 64) as usize + 1).min(s.len() - i);
                    let chunk: Vec<u8> = s[i..i + n]
                        .iter()
                        .take_while(|(dd, _)| *dd == d)
                        .map(|(_, b)| *b)
                        .collect();
                    i += chunk.len().max(1);
                    h.feed(d, &chunk);
                    if rng.next() % 50 == 0 {
                        h.gap(d, 10);
                    }
                }
            }
            // Valid headers with random bodies (deep parser paths).
            _ => {
                for _ in 0..(rng.next() % 10 + 1) {
                    let t: &[u8; 3] = [b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"MSG", b"CLO"]
                        [(rng.next() % 7) as usize];
                    let c = [b'F', b'C', b'A'][(rng.next() % 3) as usize];
                    let n = (rng.next() % 300) as usize;
                    let mut body: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                    if t == b"MSG" && n > 20 {
                        // A known channel and service id, so body decoders run.
                        body[..4].copy_from_slice(&7u32.to_le_bytes());
                        let ids = [431u16, 425, 464, 461, 467, 470, 397, 631, 634, 12209, 12211];
                        let id = ids[(rng.next() as usize) % ids.len()];
                        body[16..20].copy_from_slice(&[0x01, 0x00, id as u8, (id >> 8) as u8]);
                    }
                    let d = if rng.next() % 2 == 0 {
                        Dir::ToServer
                    } else {
                        Dir::ToClient
                    };
                    if t == b"MSG" && h.d.st.channels.is_empty() {
                        for (dd, m) in &base[2..4] {
                            h.feed(*dd, m);
                        }
                    }
                    h.feed(d, &frame(t, c, &body));
                }
            }
        }
        h.close();
        let st = &h.d.st;
        assert!(st.channels.len() <= state::MAX_CHANNELS);
        assert!(st.pending.len() <= limits.max_open_transactions);
        assert!(st.reasm.len() <= state::MAX_REASSEMBLIES);
        assert!(st.reasm_bytes <= limits.max_pdu_bytes);
        assert_eq!(
            st.reasm_bytes,
            st.reasm.iter().map(|r| r.buf.len()).sum::<usize>()
        );
        assert!(st.certs_seen.len() <= state::MAX_CERTS_SEEN);
        assert!(h.buf.iter().all(|b| b.len() <= limits.max_pdu_bytes));
        assert!(!h.desync);
    }
}

#[test]
fn parsers_survive_random_input() {
    let mut rng = Rng(99);
    for _ in 0..3000 {
        let n = (rng.next() % 200) as usize;
        let b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        let _ = hello(&b);
        let _ = super::parser::ack(&b);
        let _ = error_msg(&b);
        let _ = reverse_hello(&b);
        let _ = asym_header(&b);
        let _ = variant(&b, 0);
        let _ = data_value(&b, 0);
        let _ = diagnostic_info(&b, 0);
        let _ = extension_object(&b);
        let _ = super::parser::get_endpoints_resp(&b);
        let _ = find_servers_resp(&b);
        let _ = find_servers_on_network_resp(&b);
        let _ = register_server_req(&b);
        let _ = super::parser::create_session_req(&b);
        let _ = create_session_resp(&b);
        let _ = activate_session_req(&b);
        let _ = opn_req(&b);
        let _ = opn_resp(&b);
        let _ = read_req(&b, |_, _| {});
        let _ = read_resp(&b, |_, _| {});
        let _ = build_info(&b);
        let _ = server_status(&b);
        let _ = cert::parse(&b);
        let _ = probe(Dir::ToServer, &b, false);
    }
}

#[test]
fn unknown_service_kept_raw() {
    use Dir::*;
    let mut h = run(&session()[..4]);
    h.feed(
        ToServer,
        &msg(b'F', 7, 30, &cat(&[&nid(9999), &req_hdr(30)])),
    );
    // A vendor type id in namespace 3 with a string identifier.
    let vendor = cat(&[&[0x03, 0x03, 0x00], &s("Vendor.Magic"), &req_hdr(31)]);
    h.feed(ToServer, &msg(b'F', 7, 31, &vendor));
    assert!(h.fact(server(), "opcua.unknown_service", "ns=0;i=9999"));
    assert!(h.fact(server(), "opcua.unknown_service", "ns=3;s=Vendor.Magic"));
    assert_eq!(h.ops(Op::Other), 2);
    assert_eq!(h.anomalies(), 0);
    // Bounded per flow.
    for id in 10_000..10_050u32 {
        h.feed(ToServer, &msg(b'F', 7, id, &cat(&[&nid(id), &req_hdr(id)])));
    }
    assert_eq!(
        h.facts("opcua.unknown_service").len(),
        state::MAX_UNKNOWN_SERVICES as usize
    );
}

/// ReadResponse carrying ServerStatus (i=2256) with a given current time.
fn server_status_resp(handle: u32, now: i64) -> Vec<u8> {
    let body = cat(&[
        &1i64.to_le_bytes(), // StartTime
        &now.to_le_bytes(),  // CurrentTime
        &u32le(0),           // State Running
        &build_info_body(),  // BuildInfo
        &u32le(0),           // SecondsTillShutdown
        &[0x00],             // ShutdownReason: empty LocalizedText
    ]);
    cat(&[
        &nid(634),
        &resp_hdr(handle, 0),
        &u32le(1),
        &[0x01, 22],
        &nid(864), // ServerStatusDataType binary encoding
        &[0x01],
        &bs(&body),
        &null(),
    ])
}

fn read_server_status_req(handle: u32) -> Vec<u8> {
    let mut r = read_build_info_req(handle);
    // NodeId i=2256 instead of i=2260 (bytes after type id, header, max age, timestamps,
    // array length and the four-byte NodeId prefix).
    let at = r.len() - (4 + 4 + 2 + 4) - 2;
    r[at..at + 2].copy_from_slice(&2256u16.to_le_bytes());
    r
}

#[test]
fn polled_server_status_reported_once() {
    use Dir::*;
    let mut h = run(&session()[..4]);
    for k in 0..50u32 {
        h.feed(
            ToServer,
            &msg(b'F', 7, 100 + k, &read_server_status_req(100 + k)),
        );
        h.feed(
            ToClient,
            &msg(
                b'F',
                7,
                100 + k,
                &server_status_resp(100 + k, 1000 + k as i64),
            ),
        );
    }
    assert!(h.claim(server(), "vendor", "ACME Automation"));
    assert!(h.claim(server(), "firmware", "2.4.1"));
    let n = h
        .store
        .claims
        .iter()
        .find(|(k, _)| k.field == "vendor")
        .map(|(_, v)| v.evidence.count);
    assert_eq!(n, Some(1));
    assert_eq!(h.ops(Op::Read), 50);
    assert!(h.d.st.pending.is_empty());
    assert_eq!(h.anomalies(), 0, "{:?}", h.snapshot());
}

#[test]
fn string_observations_are_budgeted() {
    use Dir::*;
    let mut h = H::new();
    for k in 0..3000u32 {
        h.feed(
            ToClient,
            &frame(
                b"ERR",
                b'F',
                &cat(&[&u32le(0x8000_0000 | k), &s(&format!("reason {k}"))]),
            ),
        );
    }
    let n = h.facts("opcua.error").len();
    assert_eq!(n, state::MAX_STRING_REPORTS as usize);
    assert_eq!(h.anomaly("observation_budget_exhausted"), 1);
}

/// Certificates recognised from their bytes (`recent_certs`, no SHA-1) give what the SHA-1
/// path gives: a stream of OpenSecureChannel messages carrying 12 certificates (more than
/// `certs_seen` holds, so keys are evicted and certificates reported again), one too long to be
/// kept, in a random order with runs of repeats, observed with and without.
#[test]
fn recent_certificates_give_what_their_digests_give() {
    use Dir::*;
    let der = include_bytes!("../../../tests/data/opcua/asyncua-server-cert.der");
    let leaf = include_bytes!("../../../tests/data/opcua/ca-signed-leaf.der");
    let mut certs: Vec<Vec<u8>> = vec![der.to_vec(), leaf.to_vec()];
    for k in 0..9u8 {
        // Another serial number: another certificate, still readable.
        let mut c = if k % 2 == 0 {
            der.to_vec()
        } else {
            leaf.to_vec()
        };
        c[15] ^= k + 1;
        certs.push(c);
    }
    let mut long = der.to_vec();
    long.resize(state::RECENT_CERT_MAX + 100, 0);
    certs.push(long);
    let mut rng = Rng(0xce47);
    let mut msgs = Vec::new();
    let mut last = 0;
    for _ in 0..600 {
        // Runs: half the time the same certificate again.
        if rng.below(2) == 0 {
            last = rng.below(certs.len());
        }
        let dir = if rng.below(2) == 0 {
            ToServer
        } else {
            ToClient
        };
        msgs.push((dir, opn_raw(b'F', 0, B256, Some(&certs[last]), &[0u8; 64])));
    }
    let observe = |recent: bool| {
        NO_RECENT_CERTS.set(!recent);
        let mut h = H::new();
        h.limits.max_evidence_frames = 1_000;
        for (d, m) in &msgs {
            h.feed(*d, m);
        }
        NO_RECENT_CERTS.set(false);
        let frames: Vec<String> = sorted(&h.store.facts)
            .into_iter()
            .map(|(k, e)| format!("{} {} {:?}", k.key, k.value, e))
            .collect();
        (h.snapshot(), frames)
    };
    let (want, want_frames) = observe(false);
    let (got, got_frames) = observe(true);
    assert!(
        want.iter()
            .filter(|l| l.contains("opcua.cert_sha1"))
            .count()
            >= 10,
        "{want:?}"
    );
    assert_eq!(got, want);
    assert_eq!(got_frames, want_frames);
}
