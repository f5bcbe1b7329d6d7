//! Classic libpcap format: 24-byte file header, then 16-byte record headers (24 bytes in the
//! "modified" Kuznetsov format) each followed by the captured bytes.

use super::{LinkType, Rec};
use crate::time::Timestamp;

pub(super) const MAGIC_USEC: u32 = 0xA1B2_C3D4;
pub(super) const MAGIC_NSEC: u32 = 0xA1B2_3C4D;
/// Alexey Kuznetsov's patched libpcap: 8 extra bytes per record header.
pub(super) const MAGIC_MODIFIED: u32 = 0xA1B2_CD34;

/// What a parse step could not do.
#[derive(Debug)]
pub(super) enum Step {
    /// The next record needs `need` bytes from the current position.
    NeedMore { need: usize },
    /// The bytes at the current position cannot be a record.
    Corrupt(String),
}

#[derive(Debug, Clone)]
pub(super) struct PcapState {
    big_endian: bool,
    nanos: bool,
    modified: bool,
    link: LinkType,
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

impl PcapState {
    /// Parse the 24-byte file header.
    ///
    /// ```text
    /// magic(4) version_major(2) version_minor(2) thiszone(4) sigfigs(4) snaplen(4) linktype(4)
    /// ```
    pub(super) fn from_header(h: &[u8]) -> Result<PcapState, String> {
        if h.len() < 24 {
            return Err(format!(
                "truncated pcap file header ({} of 24 bytes)",
                h.len()
            ));
        }
        let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let (big_endian, magic) = if matches!(le, MAGIC_USEC | MAGIC_NSEC | MAGIC_MODIFIED) {
            (false, le)
        } else if matches!(be, MAGIC_USEC | MAGIC_NSEC | MAGIC_MODIFIED) {
            (true, be)
        } else {
            return Err("not a pcap file header".into());
        };
        let linktype = rd32(&h[20..24], big_endian);
        Ok(PcapState {
            big_endian,
            nanos: magic == MAGIC_NSEC,
            modified: magic == MAGIC_MODIFIED,
            link: LinkType::from_linktype(linktype),
        })
    }

    pub(super) fn link(&self) -> LinkType {
        self.link
    }

    fn rec_hdr_len(&self) -> usize {
        if self.modified { 24 } else { 16 }
    }

    /// Parse complete records from `buf[*pos..]`, appending them to `out` and advancing `*pos`
    /// past each. Returns why it stopped (always at an incomplete or corrupt record).
    pub(super) fn parse(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        number: &mut u64,
        out: &mut Vec<Rec>,
        max_record: usize,
    ) -> Step {
        let hl = self.rec_hdr_len();
        loop {
            let rest = &buf[*pos..];
            if rest.len() < hl {
                return Step::NeedMore { need: hl };
            }
            let be = self.big_endian;
            let secs = rd32(&rest[0..4], be) as u64;
            let frac = rd32(&rest[4..8], be) as u64;
            let caplen = rd32(&rest[8..12], be);
            let origlen = rd32(&rest[12..16], be);
            if caplen as usize > max_record {
                return Step::Corrupt(format!(
                    "record header claims {caplen} captured bytes (limit {max_record}): corrupt record"
                ));
            }
            let need = hl + caplen as usize;
            if rest.len() < need {
                return Step::NeedMore { need };
            }
            let nanos = if self.nanos {
                frac
            } else {
                frac.saturating_mul(1000)
            };
            *number += 1;
            out.push(Rec {
                off: (*pos + hl) as u32,
                caplen,
                origlen,
                link: self.link,
                number: *number,
                ts: Timestamp::from_secs_nanos(secs, nanos),
            });
            *pos += need;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Little-endian microsecond pcap header, snaplen 65535, Ethernet.
    const HDR_LE: [u8; 24] = [
        0xd4, 0xc3, 0xb2, 0xa1, // magic (LE)
        0x02, 0x00, 0x04, 0x00, // version 2.4
        0, 0, 0, 0, // thiszone
        0, 0, 0, 0, // sigfigs
        0xff, 0xff, 0, 0, // snaplen 65535
        1, 0, 0, 0, // linktype 1 = Ethernet
    ];

    #[test]
    fn header_endianness_and_link() {
        let s = PcapState::from_header(&HDR_LE).unwrap();
        assert_eq!(s.link(), LinkType::Ethernet);
        assert!(!s.big_endian && !s.nanos && !s.modified);
        let mut be = [0u8; 24];
        be[..4].copy_from_slice(&MAGIC_NSEC.to_be_bytes());
        be[20..24].copy_from_slice(&113u32.to_be_bytes());
        let s = PcapState::from_header(&be).unwrap();
        assert!(s.big_endian && s.nanos);
        assert_eq!(s.link(), LinkType::LinuxSll);
        assert!(PcapState::from_header(&[0u8; 24]).is_err());
        assert!(PcapState::from_header(&HDR_LE[..10]).is_err());
    }

    #[test]
    fn records_complete_partial_and_corrupt() {
        let mut s = PcapState::from_header(&HDR_LE).unwrap();
        let mut buf = Vec::new();
        // record 1: ts 10.000005, caplen 4, origlen 60
        buf.extend_from_slice(&[10, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 60, 0, 0, 0]);
        buf.extend_from_slice(&[0xaa; 4]);
        // record 2: header only, claims 8 bytes, 3 present
        buf.extend_from_slice(&[11, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 1, 2, 3]);
        let (mut pos, mut n, mut out) = (0, 0, Vec::new());
        match s.parse(&buf, &mut pos, &mut n, &mut out, 65536) {
            Step::NeedMore { need } => assert_eq!(need, 24),
            other => panic!("{other:?}"),
        }
        assert_eq!(out.len(), 1);
        assert_eq!(pos, 20);
        assert_eq!(
            (out[0].off, out[0].caplen, out[0].origlen, out[0].number),
            (16, 4, 60, 1)
        );
        assert_eq!(out[0].ts, Timestamp::from_secs_nanos(10, 5000));
        // a record that claims 1 GB is corrupt, not a reason to allocate
        let bad = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0x40];
        let (mut pos, mut out) = (0, Vec::new());
        assert!(matches!(
            s.parse(&bad, &mut pos, &mut n, &mut out, 65536),
            Step::Corrupt(_)
        ));
    }
}
