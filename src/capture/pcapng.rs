//! pcapng: a sequence of blocks `type(4) total_length(4) body total_length(4)`, in the byte
//! order of the enclosing Section Header Block. Packet blocks (EPB, SPB, obsolete PB) become
//! records; IDBs define the link type and timestamp resolution of each interface; ISBs carry
//! interface drop counters; every other block is skipped by its length.

use super::pcap::Step;
use super::{LinkType, Rec};
use crate::time::Timestamp;

pub(super) const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const OBSOLETE_PB: u32 = 2;
const SPB: u32 = 3;
const ISB: u32 = 5;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

#[derive(Debug, Clone)]
struct Iface {
    link: LinkType,
    snaplen: u32,
    /// Timestamp units: `Pow10(n)` = 10^-n s, `Pow2(n)` = 2^-n s.
    resol: Resol,
    /// Seconds added to every timestamp (if_tsoffset).
    offset_s: i64,
    drops: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
enum Resol {
    Pow10(u8),
    Pow2(u8),
}

impl Iface {
    fn ts(&self, units: u64) -> Timestamp {
        let ns: u128 = match self.resol {
            Resol::Pow10(n) if n <= 9 => units as u128 * 10u128.pow(9 - n as u32),
            Resol::Pow10(n) => units as u128 / 10u128.pow((n as u32 - 9).min(38)),
            Resol::Pow2(n) => (units as u128 * 1_000_000_000) >> n.min(127),
        };
        let ns = ns as i128 + self.offset_s as i128 * 1_000_000_000;
        Timestamp(ns.clamp(0, u64::MAX as i128) as u64)
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct PcapngState {
    big_endian: bool,
    ifaces: Vec<Iface>,
    /// Interfaces referenced by packets but never described (counted, frames use Ethernet).
    pub(super) unknown_iface_packets: u64,
}

#[inline]
fn rd16(b: &[u8], be: bool) -> u16 {
    let a = [b[0], b[1]];
    if be {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}
#[inline]
fn rd32(b: &[u8], be: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}
#[inline]
fn rd64(b: &[u8], be: bool) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    if be {
        u64::from_be_bytes(a)
    } else {
        u64::from_le_bytes(a)
    }
}

/// Iterate the TLV options `code(2) len(2) value(len, padded to 4)` of a block.
fn options(mut opts: &[u8], be: bool, mut f: impl FnMut(u16, &[u8])) {
    while opts.len() >= 4 {
        let code = rd16(opts, be);
        let len = rd16(&opts[2..], be) as usize;
        if code == 0 {
            break; // opt_endofopt
        }
        let padded = (len + 3) & !3;
        if opts.len() < 4 + len {
            break;
        }
        f(code, &opts[4..4 + len]);
        opts = &opts[(4 + padded).min(opts.len())..];
    }
}

impl PcapngState {
    /// The byte order of a section, from the SHB's byte-order magic at offset 8.
    fn section_order(block: &[u8]) -> Option<bool> {
        if block.len() < 12 {
            return None;
        }
        let m = [block[8], block[9], block[10], block[11]];
        if u32::from_le_bytes(m) == BYTE_ORDER_MAGIC {
            Some(false)
        } else if u32::from_be_bytes(m) == BYTE_ORDER_MAGIC {
            Some(true)
        } else {
            None
        }
    }

    /// Check the start of a file: a Section Header Block with a valid byte-order magic.
    pub(super) fn check_header(h: &[u8]) -> Result<(), String> {
        if h.len() < 12 {
            return Err(format!(
                "truncated pcapng section header ({} bytes)",
                h.len()
            ));
        }
        if rd32(h, false) != SHB {
            return Err("not a pcapng section header".into());
        }
        Self::section_order(h)
            .map(|_| ())
            .ok_or_else(|| "pcapng section header has no valid byte-order magic".into())
    }

    pub(super) fn drops(&self) -> Option<u64> {
        let mut any = false;
        let mut sum = 0u64;
        for i in &self.ifaces {
            if let Some(d) = i.drops {
                any = true;
                sum = sum.saturating_add(d);
            }
        }
        any.then_some(sum)
    }

    fn iface(&mut self, id: usize) -> Option<&Iface> {
        if id < self.ifaces.len() {
            Some(&self.ifaces[id])
        } else {
            None
        }
    }

    /// Parse complete blocks from `buf[*pos..]`; see [`super::pcap::PcapState::parse`].
    pub(super) fn parse(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        number: &mut u64,
        out: &mut Vec<Rec>,
        max_record: usize,
    ) -> Step {
        loop {
            let rest = &buf[*pos..];
            if rest.len() < 12 {
                return Step::NeedMore { need: 12 };
            }
            let raw_type = rd32(rest, false);
            if raw_type == SHB {
                match Self::section_order(rest) {
                    Some(be) => {
                        self.big_endian = be;
                    }
                    None => {
                        return Step::Corrupt("section header with a bad byte-order magic".into());
                    }
                }
            }
            let be = self.big_endian;
            let btype = rd32(rest, be);
            let total = rd32(&rest[4..], be) as usize;
            if total < 12 || total % 4 != 0 {
                return Step::Corrupt(format!(
                    "block of type {btype:#x} has an invalid length {total}"
                ));
            }
            if total > max_record + 64 {
                return Step::Corrupt(format!(
                    "block of type {btype:#x} claims {total} bytes (limit {}): corrupt block",
                    max_record + 64
                ));
            }
            if rest.len() < total {
                return Step::NeedMore { need: total };
            }
            if rd32(&rest[total - 4..], be) as usize != total {
                return Step::Corrupt(format!(
                    "block of type {btype:#x}: trailing length does not match {total}"
                ));
            }
            let body = &rest[8..total - 4];
            let base = *pos + 8;
            match btype {
                SHB => {
                    // A new section: interfaces are numbered afresh.
                    self.ifaces.clear();
                }
                IDB => {
                    if body.len() < 8 {
                        return Step::Corrupt("interface description block too short".into());
                    }
                    let mut iface = Iface {
                        link: LinkType::from_linktype(rd16(body, be) as u32),
                        snaplen: rd32(&body[4..], be),
                        resol: Resol::Pow10(6),
                        offset_s: 0,
                        drops: None,
                    };
                    options(&body[8..], be, |code, v| match code {
                        9 if !v.is_empty() => {
                            iface.resol = if v[0] & 0x80 != 0 {
                                Resol::Pow2(v[0] & 0x7F)
                            } else {
                                Resol::Pow10(v[0])
                            }
                        }
                        14 if v.len() >= 8 => iface.offset_s = rd64(v, be) as i64,
                        _ => {}
                    });
                    self.ifaces.push(iface);
                }
                EPB | OBSOLETE_PB => {
                    if body.len() < 20 {
                        return Step::Corrupt("packet block too short".into());
                    }
                    let (id, ts_hi, ts_lo) = if btype == EPB {
                        (
                            rd32(body, be) as usize,
                            rd32(&body[4..], be),
                            rd32(&body[8..], be),
                        )
                    } else {
                        (
                            rd16(body, be) as usize,
                            rd32(&body[4..], be),
                            rd32(&body[8..], be),
                        )
                    };
                    let caplen = rd32(&body[12..], be);
                    let origlen = rd32(&body[16..], be);
                    if caplen as usize > body.len() - 20 {
                        return Step::Corrupt(format!(
                            "packet block claims {caplen} captured bytes in a {total}-byte block"
                        ));
                    }
                    let units = ((ts_hi as u64) << 32) | ts_lo as u64;
                    let (link, ts) = match self.iface(id) {
                        Some(i) => (i.link, i.ts(units)),
                        None => {
                            self.unknown_iface_packets += 1;
                            (LinkType::Ethernet, Timestamp(units.saturating_mul(1000)))
                        }
                    };
                    *number += 1;
                    out.push(Rec {
                        off: (base + 20) as u32,
                        caplen,
                        origlen,
                        link,
                        number: *number,
                        ts,
                    });
                }
                SPB => {
                    if body.len() < 4 {
                        return Step::Corrupt("simple packet block too short".into());
                    }
                    let origlen = rd32(body, be);
                    let (link, snap) = match self.iface(0) {
                        Some(i) => (i.link, if i.snaplen == 0 { u32::MAX } else { i.snaplen }),
                        None => {
                            self.unknown_iface_packets += 1;
                            (LinkType::Ethernet, u32::MAX)
                        }
                    };
                    let caplen = origlen.min(snap).min((body.len() - 4) as u32);
                    *number += 1;
                    // SPBs carry no timestamp.
                    out.push(Rec {
                        off: (base + 4) as u32,
                        caplen,
                        origlen,
                        link,
                        number: *number,
                        ts: Timestamp::ZERO,
                    });
                }
                ISB if body.len() >= 12 => {
                    let id = rd32(body, be) as usize;
                    let mut drops = None;
                    options(&body[12..], be, |code, v| {
                        // isb_ifdrop (5), isb_osdrop (7)
                        if (code == 5 || code == 7) && v.len() >= 8 {
                            drops = Some(drops.unwrap_or(0u64).saturating_add(rd64(v, be)));
                        }
                    });
                    if let (Some(d), Some(i)) = (drops, self.ifaces.get_mut(id)) {
                        i.drops = Some(d);
                    }
                }
                _ => {} // NRB, DSB, custom and unknown blocks are skipped by length
            }
            *pos += total;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(t: u32, body: &[u8]) -> Vec<u8> {
        let total = (12 + body.len() + 3) & !3;
        let mut v = Vec::new();
        v.extend_from_slice(&t.to_le_bytes());
        v.extend_from_slice(&(total as u32).to_le_bytes());
        v.extend_from_slice(body);
        v.resize(total - 4, 0);
        v.extend_from_slice(&(total as u32).to_le_bytes());
        v
    }

    #[test]
    fn shb_idb_epb_with_nanosecond_resolution() {
        let mut f = Vec::new();
        // SHB body: byte-order magic, version 1.0, section length -1
        let mut shb = Vec::new();
        shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        shb.extend_from_slice(&[1, 0, 0, 0]);
        shb.extend_from_slice(&u64::MAX.to_le_bytes());
        f.extend(block(SHB, &shb));
        // IDB: linktype 113 (SLL), snaplen 0, option if_tsresol = 9 (nanoseconds)
        let mut idb = vec![113, 0, 0, 0, 0, 0, 0, 0];
        idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        f.extend(block(IDB, &idb));
        // EPB: iface 0, ts = 1_500_000_000_123 ns, caplen 3, origlen 3, data
        let units: u64 = 1_500_000_000_123;
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(units as u32).to_le_bytes());
        epb.extend_from_slice(&3u32.to_le_bytes());
        epb.extend_from_slice(&3u32.to_le_bytes());
        epb.extend_from_slice(&[7, 8, 9]);
        f.extend(block(EPB, &epb));
        PcapngState::check_header(&f).unwrap();
        let mut s = PcapngState::default();
        let (mut pos, mut n, mut out) = (0, 0, Vec::new());
        let step = s.parse(&f, &mut pos, &mut n, &mut out, 65536);
        assert!(matches!(step, Step::NeedMore { need: 12 }));
        assert_eq!(pos, f.len());
        assert_eq!(out.len(), 1);
        let r = out[0];
        assert_eq!(r.link, LinkType::LinuxSll);
        assert_eq!(r.ts, Timestamp(units));
        assert_eq!(&f[r.off as usize..r.off as usize + 3], &[7, 8, 9]);
    }

    #[test]
    fn huge_or_inconsistent_blocks_are_corrupt() {
        let mut s = PcapngState::default();
        let mut b = block(EPB, &[0u8; 24]);
        b[4..8].copy_from_slice(&0x4000_0000u32.to_le_bytes()); // claims 1 GiB
        let (mut pos, mut n, mut out) = (0, 0, Vec::new());
        assert!(matches!(
            s.parse(&b, &mut pos, &mut n, &mut out, 65536),
            Step::Corrupt(_)
        ));
        let mut b = block(EPB, &[0u8; 24]);
        let l = b.len();
        b[l - 4] ^= 4; // trailing length mismatch
        assert!(matches!(
            s.parse(&b, &mut pos, &mut n, &mut out, 65536),
            Step::Corrupt(_)
        ));
        // EPB whose caplen exceeds its block
        let mut body = vec![0u8; 24];
        body[12] = 200;
        let b = block(EPB, &body);
        let mut pos = 0;
        assert!(matches!(
            s.parse(&b, &mut pos, &mut n, &mut out, 65536),
            Step::Corrupt(_)
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn resolutions() {
        let mut i = Iface {
            link: LinkType::Ethernet,
            snaplen: 0,
            resol: Resol::Pow10(6),
            offset_s: 0,
            drops: None,
        };
        assert_eq!(i.ts(1_000_001), Timestamp(1_000_001_000));
        i.resol = Resol::Pow2(10);
        assert_eq!(i.ts(1024), Timestamp(1_000_000_000));
        i.resol = Resol::Pow10(12);
        assert_eq!(i.ts(5_000), Timestamp(5));
        i.offset_s = 10;
        assert_eq!(i.ts(0), Timestamp(10_000_000_000));
    }
}
