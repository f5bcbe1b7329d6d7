//! Building traffic in memory: Ethernet/VLAN, IPv4 (fragments), IPv6 (extension headers), TCP,
//! UDP, and pcap files. Shared by the robustness tests (`tests/adversarial.rs`,
//! `tests/properties.rs`, `tests/fuzz_corpus.rs`, ...) and the fuzz targets (`fuzz/`), so every
//! generated packet is built the same way. Plain std, no unsafe, no dependencies.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const ETH_IPV4: u16 = 0x0800;
pub const ETH_IPV6: u16 = 0x86dd;
pub const ETH_VLAN: u16 = 0x8100;
pub const ETH_QINQ: u16 = 0x88a8;
pub const ETH_LLDP: u16 = 0x88cc;
pub const ETH_PROFINET: u16 = 0x8892;

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// pcap LINKTYPE values.
pub const LINK_ETHERNET: u32 = 1;
pub const LINK_RAW: u32 = 101;
pub const LINK_SLL: u32 = 113;
pub const LINK_SLL2: u32 = 276;
pub const LINK_NULL: u32 = 0;

pub fn mac(last: u32) -> [u8; 6] {
    let b = last.to_be_bytes();
    [0x02, 0x00, b[0], b[1], b[2], b[3]]
}

/// An Ethernet frame with any number of VLAN tags (outer first).
pub fn ethernet(
    src: [u8; 6],
    dst: [u8; 6],
    vlans: &[u16],
    ethertype: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut v = Vec::with_capacity(14 + 4 * vlans.len() + payload.len());
    v.extend_from_slice(&dst);
    v.extend_from_slice(&src);
    for (i, id) in vlans.iter().enumerate() {
        let tpid = if i == 0 && vlans.len() > 1 {
            ETH_QINQ
        } else {
            ETH_VLAN
        };
        v.extend_from_slice(&tpid.to_be_bytes());
        v.extend_from_slice(&(id & 0x0fff).to_be_bytes());
    }
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn csum(data: &[u8]) -> u16 {
    let mut s = 0u32;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            (c[0] as u16) << 8
        };
        s += w as u32;
    }
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// IPv4 header fields that tests vary.
#[derive(Clone, Copy, Debug)]
pub struct V4 {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub ident: u16,
    pub ttl: u8,
    /// Fragment offset in bytes (multiple of 8) and more-fragments flag.
    pub frag_off: u16,
    pub more: bool,
}

impl V4 {
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr, proto: u8) -> V4 {
        V4 {
            src,
            dst,
            proto,
            ident: 1,
            ttl: 64,
            frag_off: 0,
            more: false,
        }
    }
}

pub fn ipv4(h: &V4, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut v = Vec::with_capacity(total);
    v.push(0x45);
    v.push(0);
    v.extend_from_slice(&(total.min(65535) as u16).to_be_bytes());
    v.extend_from_slice(&h.ident.to_be_bytes());
    let ff = ((h.frag_off / 8) & 0x1fff) | if h.more { 0x2000 } else { 0 };
    v.extend_from_slice(&ff.to_be_bytes());
    v.push(h.ttl);
    v.push(h.proto);
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&h.src.octets());
    v.extend_from_slice(&h.dst.octets());
    let c = csum(&v[..20]);
    v[10..12].copy_from_slice(&c.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// An IPv6 packet whose payload follows a chain of extension headers: each `(type, body)` is
/// written with the next-header byte filled in; `body` is padded to a multiple of 8 bytes
/// (2 bytes of the first 8 are the next-header and length fields).
pub fn ipv6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    proto: u8,
    ext: &[(u8, Vec<u8>)],
    payload: &[u8],
) -> Vec<u8> {
    let mut chain = Vec::new();
    for (i, (_, body)) in ext.iter().enumerate() {
        let next = ext.get(i + 1).map_or(proto, |e| e.0);
        let mut h = vec![next, 0];
        h.extend_from_slice(body);
        while h.len() < 8 || h.len() % 8 != 0 {
            h.push(0);
        }
        h[1] = (h.len() / 8 - 1) as u8;
        chain.extend_from_slice(&h);
    }
    let first = ext.first().map_or(proto, |e| e.0);
    let plen = chain.len() + payload.len();
    let mut v = Vec::with_capacity(40 + plen);
    v.extend_from_slice(&[0x60, 0, 0, 0]);
    v.extend_from_slice(&(plen.min(65535) as u16).to_be_bytes());
    v.push(first);
    v.push(64);
    v.extend_from_slice(&src.octets());
    v.extend_from_slice(&dst.octets());
    v.extend_from_slice(&chain);
    v.extend_from_slice(payload);
    v
}

pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(20 + payload.len());
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&ack.to_be_bytes());
    v.push(5 << 4);
    v.push(flags);
    v.extend_from_slice(&65535u16.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(payload);
    v
}

pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + payload.len());
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()).min(65535) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

/// An IP packet (v4 or v6 by the addresses) in an untagged Ethernet frame.
pub fn ip_frame(src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8]) -> Vec<u8> {
    let (sm, dm) = (mac(host_id(src)), mac(host_id(dst)));
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            ethernet(sm, dm, &[], ETH_IPV4, &ipv4(&V4::new(s, d, proto), l4))
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            ethernet(sm, dm, &[], ETH_IPV6, &ipv6(s, d, proto, &[], l4))
        }
        (s, d) => {
            let m = |a: IpAddr| match a {
                IpAddr::V4(v) => v.to_ipv6_mapped(),
                IpAddr::V6(v) => v,
            };
            ethernet(sm, dm, &[], ETH_IPV6, &ipv6(m(s), m(d), proto, &[], l4))
        }
    }
}

fn host_id(ip: IpAddr) -> u32 {
    match ip {
        IpAddr::V4(v) => u32::from(v),
        IpAddr::V6(v) => {
            let o = v.octets();
            u32::from_be_bytes([o[12], o[13], o[14], o[15]])
        }
    }
}

/// One captured record.
#[derive(Clone, Debug)]
pub struct Rec {
    pub ts_ns: u64,
    pub data: Vec<u8>,
    /// Length on the wire (>= data.len(); larger = cut by the snap length).
    pub orig_len: u32,
}

impl Rec {
    pub fn new(ts_ns: u64, data: Vec<u8>) -> Rec {
        let orig_len = data.len() as u32;
        Rec {
            ts_ns,
            data,
            orig_len,
        }
    }
}

/// A classic pcap file header (microsecond timestamps, little-endian).
pub fn pcap_header(link: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(24);
    v.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&262_144u32.to_le_bytes());
    v.extend_from_slice(&link.to_le_bytes());
    v
}

/// Append one pcap record.
pub fn pcap_record(out: &mut Vec<u8>, r: &Rec) {
    let secs = (r.ts_ns / 1_000_000_000) as u32;
    let usecs = ((r.ts_ns % 1_000_000_000) / 1000) as u32;
    out.extend_from_slice(&secs.to_le_bytes());
    out.extend_from_slice(&usecs.to_le_bytes());
    out.extend_from_slice(&(r.data.len() as u32).to_le_bytes());
    out.extend_from_slice(&r.orig_len.max(r.data.len() as u32).to_le_bytes());
    out.extend_from_slice(&r.data);
}

pub fn pcap(link: u32, recs: &[Rec]) -> Vec<u8> {
    let mut v = pcap_header(link);
    for r in recs {
        pcap_record(&mut v, r);
    }
    v
}

/// A pcap written record by record straight to a file (large generated captures).
pub struct PcapWriter<W: std::io::Write> {
    w: W,
    buf: Vec<u8>,
}

impl<W: std::io::Write> PcapWriter<W> {
    pub fn new(mut w: W, link: u32) -> std::io::Result<Self> {
        w.write_all(&pcap_header(link))?;
        Ok(PcapWriter {
            w,
            buf: Vec::with_capacity(1 << 16),
        })
    }

    pub fn write(&mut self, ts_ns: u64, data: &[u8]) -> std::io::Result<()> {
        let secs = (ts_ns / 1_000_000_000) as u32;
        let usecs = ((ts_ns % 1_000_000_000) / 1000) as u32;
        self.buf.extend_from_slice(&secs.to_le_bytes());
        self.buf.extend_from_slice(&usecs.to_le_bytes());
        self.buf
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 1 << 16 {
            self.w.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.w.write_all(&self.buf)?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// A TCP conversation between a client and a server, tracking sequence numbers, for building
/// sessions segment by segment.
#[derive(Clone, Debug)]
pub struct TcpConv {
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    /// Next sequence number of the client and of the server.
    pub seq: [u32; 2],
    pub ts_ns: u64,
}

impl TcpConv {
    pub fn new(client: (IpAddr, u16), server: (IpAddr, u16), isn_c: u32, isn_s: u32) -> TcpConv {
        TcpConv {
            client,
            server,
            seq: [isn_c, isn_s],
            ts_ns: 1_700_000_000_000_000_000,
        }
    }

    fn tick(&mut self) -> u64 {
        self.ts_ns += 1_000_000;
        self.ts_ns
    }

    /// A segment from the client (`to_server`) or the server with explicit seq, flags, data.
    pub fn raw(&mut self, to_server: bool, seq: u32, flags: u8, data: &[u8]) -> Rec {
        let (s, d) = if to_server {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let ack = self.seq[to_server as usize];
        let t = tcp(s.1, d.1, seq, ack, flags, data);
        let ts = self.tick();
        Rec::new(ts, ip_frame(s.0, d.0, 6, &t))
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> Vec<Rec> {
        let c = self.seq[0];
        let s = self.seq[1];
        let a = self.raw(true, c, SYN, &[]);
        self.seq[0] = c.wrapping_add(1);
        let b = self.raw(false, s, SYN | ACK, &[]);
        self.seq[1] = s.wrapping_add(1);
        let cc = self.raw(true, self.seq[0], ACK, &[]);
        vec![a, b, cc]
    }

    /// Data in one segment, advancing the sender's sequence number.
    pub fn data(&mut self, to_server: bool, data: &[u8]) -> Rec {
        let i = if to_server { 0 } else { 1 };
        let seq = self.seq[i];
        let r = self.raw(to_server, seq, PSH | ACK, data);
        self.seq[i] = seq.wrapping_add(data.len() as u32);
        r
    }

    /// FIN from both sides.
    pub fn close(&mut self) -> Vec<Rec> {
        let a = self.raw(true, self.seq[0], FIN | ACK, &[]);
        self.seq[0] = self.seq[0].wrapping_add(1);
        let b = self.raw(false, self.seq[1], FIN | ACK, &[]);
        self.seq[1] = self.seq[1].wrapping_add(1);
        vec![a, b]
    }
}

pub fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

/// A small deterministic PRNG (splitmix64) for generated traffic and mutants.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }
}
