//! Helpers shared by the integration tests. Captures come from `captures/` only.
#![allow(dead_code)]

use otscope::analysis::{Analysis, analyze};
use otscope::config::Limits;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn capture(rel: &str) -> PathBuf {
    root().join("captures").join(rel)
}

pub fn run(paths: &[PathBuf]) -> Analysis {
    analyze(paths, &Limits::default(), 1, None)
}

pub fn run1(rel: &str) -> Analysis {
    run(&[capture(rel)])
}

/// Every capture file under `captures/public` (sorted).
pub fn public_captures() -> Vec<PathBuf> {
    let mut v = Vec::new();
    fn walk(d: &Path, v: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, v);
            } else if p.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
                v.push(p);
            }
        }
    }
    walk(&capture("public"), &mut v);
    v
}

/// The tshark truth of a public capture, by file stem.
pub fn truth(stem: &str) -> serde_json::Value {
    let p = capture("public/truth").join(format!("{stem}.json"));
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

/// Full report (inventory, zones inferred unless given, findings) as JSON.
pub fn report_json(paths: &[PathBuf], zones: Option<&Path>) -> serde_json::Value {
    let a = run(paths);
    let sigs = otscope::inventory::signatures::Signatures::builtin();
    let z = zones.map(|p| otscope::zones::config::ZonesConfig::load(p).unwrap());
    let r = otscope::build_report(&a, &sigs, z, false);
    serde_json::to_value(&r).unwrap()
}

/// A pcap (Ethernet, microseconds) holding `frames` (timestamp in µs, bytes).
pub fn write_pcap(frames: &[(u64, Vec<u8>)]) -> tempfile::NamedTempFile {
    write_pcap_link(1, frames)
}

/// A pcap with link type `linktype` (LINKTYPE_*), microseconds, holding `frames`.
pub fn write_pcap_link(linktype: u32, frames: &[(u64, Vec<u8>)]) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut v = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0,
    ];
    v.extend_from_slice(&linktype.to_le_bytes());
    for (ts, f) in frames {
        v.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        v.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(f);
    }
    let mut t = tempfile::Builder::new().suffix(".pcap").tempfile().unwrap();
    t.write_all(&v).unwrap();
    t
}

/// An Ethernet + IPv4 + TCP frame (checksums zero: otscope does not verify them).
#[allow(clippy::too_many_arguments)]
pub fn tcp_frame(
    smac: [u8; 6],
    dmac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dmac);
    f.extend_from_slice(&smac);
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + 20 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// A complete TCP connection (handshake, one request and one response, FIN) as frames.
#[allow(clippy::too_many_arguments)]
pub fn tcp_session(
    t0: u64,
    cmac: [u8; 6],
    smac: [u8; 6],
    c: [u8; 4],
    s: [u8; 4],
    cport: u16,
    sport: u16,
    req: &[u8],
    resp: &[u8],
) -> Vec<(u64, Vec<u8>)> {
    let (syn, ack, psh, fin) = (0x02, 0x10, 0x08, 0x01);
    vec![
        (
            t0,
            tcp_frame(cmac, smac, c, s, cport, sport, 100, 0, syn, &[]),
        ),
        (
            t0 + 100,
            tcp_frame(smac, cmac, s, c, sport, cport, 500, 101, syn | ack, &[]),
        ),
        (
            t0 + 200,
            tcp_frame(cmac, smac, c, s, cport, sport, 101, 501, ack, &[]),
        ),
        (
            t0 + 300,
            tcp_frame(cmac, smac, c, s, cport, sport, 101, 501, psh | ack, req),
        ),
        (
            t0 + 400,
            tcp_frame(
                smac,
                cmac,
                s,
                c,
                sport,
                cport,
                501,
                101 + req.len() as u32,
                psh | ack,
                resp,
            ),
        ),
        (
            t0 + 500,
            tcp_frame(
                cmac,
                smac,
                c,
                s,
                cport,
                sport,
                101 + req.len() as u32,
                501 + resp.len() as u32,
                fin | ack,
                &[],
            ),
        ),
        (
            t0 + 600,
            tcp_frame(
                smac,
                cmac,
                s,
                c,
                sport,
                cport,
                501 + resp.len() as u32,
                102 + req.len() as u32,
                fin | ack,
                &[],
            ),
        ),
    ]
}
