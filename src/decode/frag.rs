//! IPv4 and IPv6 fragment reassembly, bounded in datagrams, bytes and time.
//!
//! Overlaps are resolved first-wins (the bytes that arrived first stay); an overlap whose bytes
//! differ is counted, since it is how fragment-overlap evasion looks on the wire.

use super::{FragInfo, Ip};
use crate::time::Timestamp;
use ahash::RandomState;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
}

struct Datagram {
    first_ts: Timestamp,
    data: Vec<u8>,
    /// Received byte ranges [start, end), sorted and merged.
    have: Vec<(u32, u32)>,
    /// Total payload length, known once the last fragment (MF=0) arrived.
    total: Option<u32>,
    ttl: u8,
    ident: u16,
}

/// A datagram put back together; `payload` is the upper-layer bytes.
#[derive(Debug)]
pub struct Reassembled {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub ttl: u8,
    pub ident: u16,
    pub payload: Vec<u8>,
}

impl Reassembled {
    pub fn ip(&self) -> Ip<'_> {
        Ip {
            src: self.src,
            dst: self.dst,
            proto: self.proto,
            ttl: self.ttl,
            ident: self.ident,
            frag: None,
            payload: &self.payload,
            payload_len: self.payload.len() as u32,
        }
    }
}

/// Counters for `capture_quality`.
#[derive(Debug, Default, Clone, Copy)]
pub struct FragStats {
    pub fragments: u64,
    pub reassembled: u64,
    pub timed_out: u64,
    pub evicted_at_limit: u64,
    pub overlap_conflicts: u64,
    pub oversized: u64,
}

pub struct Defrag {
    table: HashMap<Key, Datagram, RandomState>,
    order: VecDeque<(Key, Timestamp)>,
    bytes: usize,
    max_datagrams: usize,
    max_bytes: usize,
    timeout_ns: u64,
    pub stats: FragStats,
}

const MAX_DATAGRAM: u32 = 65_535;

impl Defrag {
    pub fn new(max_datagrams: usize, max_bytes: usize, timeout_s: u64) -> Defrag {
        Defrag {
            table: HashMap::default(),
            order: VecDeque::new(),
            bytes: 0,
            max_datagrams,
            max_bytes,
            timeout_ns: timeout_s * 1_000_000_000,
            stats: FragStats::default(),
        }
    }

    pub fn pending(&self) -> usize {
        self.table.len()
    }

    fn remove(&mut self, k: &Key) -> Option<Datagram> {
        let d = self.table.remove(k)?;
        self.bytes -= d.data.capacity();
        Some(d)
    }

    /// Drop datagrams older than the timeout.
    fn expire(&mut self, now: Timestamp) {
        while let Some(&(k, ts)) = self.order.front() {
            if now.saturating_sub(ts) < self.timeout_ns {
                break;
            }
            self.order.pop_front();
            if self.table.get(&k).is_some_and(|d| d.first_ts == ts) && self.remove(&k).is_some() {
                self.stats.timed_out += 1;
            }
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((k, ts)) = self.order.pop_front() {
            if self.table.get(&k).is_some_and(|d| d.first_ts == ts) {
                self.remove(&k);
                self.stats.evicted_at_limit += 1;
                return;
            }
        }
    }

    /// Add a fragment; returns the datagram when it is complete.
    pub fn add(&mut self, ip: &Ip<'_>, f: FragInfo, now: Timestamp) -> Option<Reassembled> {
        self.stats.fragments += 1;
        self.expire(now);
        let key = Key {
            src: ip.src,
            dst: ip.dst,
            proto: ip.proto,
            id: f.id,
        };
        let len = ip.payload.len() as u32;
        let start = f.offset;
        let end = start.saturating_add(len);
        if end > MAX_DATAGRAM {
            self.stats.oversized += 1;
            self.remove(&key);
            return None;
        }
        if !self.table.contains_key(&key) {
            while self.table.len() >= self.max_datagrams || self.bytes + 1500 > self.max_bytes {
                if self.table.is_empty() {
                    break;
                }
                self.evict_oldest();
            }
            self.table.insert(
                key,
                Datagram {
                    first_ts: now,
                    data: Vec::new(),
                    have: Vec::new(),
                    total: None,
                    ttl: ip.ttl,
                    ident: ip.ident,
                },
            );
            self.order.push_back((key, now));
            if self.order.len() > 4 * self.max_datagrams.max(16) {
                // Completed datagrams leave stale entries; drop them.
                let table = &self.table;
                self.order
                    .retain(|(k, ts)| table.get(k).is_some_and(|d| d.first_ts == *ts));
            }
        }
        let d = self.table.get_mut(&key).expect("inserted above");
        if !f.more {
            d.total = Some(end);
        }
        if d.data.len() < end as usize {
            let before = d.data.capacity();
            d.data.resize(end as usize, 0);
            self.bytes += d.data.capacity() - before;
        }
        // Copy only the parts not already present (first-wins); compare the rest.
        let mut conflict = false;
        let mut cur = start;
        for &(hs, he) in d.have.iter().chain(std::iter::once(&(u32::MAX, u32::MAX))) {
            if he <= cur {
                continue;
            }
            if hs >= end {
                if cur < end {
                    let (a, b) = (cur as usize, end as usize);
                    d.data[a..b].copy_from_slice(
                        &ip.payload[(cur - start) as usize..(end - start) as usize],
                    );
                }
                break;
            }
            if cur < hs {
                let (a, b) = (cur as usize, hs as usize);
                d.data[a..b]
                    .copy_from_slice(&ip.payload[(cur - start) as usize..(hs - start) as usize]);
            }
            let os = cur.max(hs);
            let oe = end.min(he);
            if os < oe
                && d.data[os as usize..oe as usize]
                    != ip.payload[(os - start) as usize..(oe - start) as usize]
            {
                conflict = true;
            }
            cur = oe.max(cur);
            if cur >= end {
                break;
            }
        }
        if conflict {
            self.stats.overlap_conflicts += 1;
        }
        if len > 0 {
            d.have.push((start, end));
            d.have.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::with_capacity(d.have.len());
            for &(s, e) in &d.have {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            d.have = merged;
        }
        let complete = match d.total {
            Some(t) => d.have.len() == 1 && d.have[0] == (0, t),
            None => false,
        };
        if !complete {
            if self.bytes > self.max_bytes {
                self.stats.evicted_at_limit += 1;
                self.remove(&key);
            }
            return None;
        }
        let mut d = self.remove(&key)?;
        d.data.truncate(d.total.unwrap_or(0) as usize);
        self.stats.reassembled += 1;
        Some(Reassembled {
            src: ip.src,
            dst: ip.dst,
            proto: ip.proto,
            ttl: d.ttl,
            ident: d.ident,
            payload: d.data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn frag<'a>(payload: &'a [u8], offset: u32, more: bool) -> (Ip<'a>, FragInfo) {
        let f = FragInfo {
            offset,
            more,
            id: 7,
        };
        let ip = Ip {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            proto: 17,
            ttl: 64,
            ident: 7,
            frag: Some(f),
            payload,
            payload_len: payload.len() as u32,
        };
        (ip, f)
    }

    #[test]
    fn out_of_order_fragments_reassemble() {
        let mut d = Defrag::new(16, 1 << 20, 30);
        let data: Vec<u8> = (0..40u8).collect();
        let (ip, f) = frag(&data[24..], 24, false);
        assert!(d.add(&ip, f, Timestamp(1)).is_none());
        let (ip, f) = frag(&data[..16], 0, true);
        assert!(d.add(&ip, f, Timestamp(2)).is_none());
        let (ip, f) = frag(&data[16..24], 16, true);
        let r = d.add(&ip, f, Timestamp(3)).expect("complete");
        assert_eq!(r.payload, data);
        assert_eq!(d.pending(), 0);
        assert_eq!(d.stats.reassembled, 1);
    }

    #[test]
    fn overlap_is_first_wins_and_counted() {
        let mut d = Defrag::new(16, 1 << 20, 30);
        let (ip, f) = frag(&[1; 16], 0, true);
        d.add(&ip, f, Timestamp(1));
        // overlapping fragment with different bytes for 8..16, new bytes 16..24, last
        let (ip, f) = frag(&[9; 16], 8, false);
        let r = d.add(&ip, f, Timestamp(2)).unwrap();
        assert_eq!(&r.payload[..16], &[1; 16]);
        assert_eq!(&r.payload[16..], &[9; 8]);
        assert_eq!(d.stats.overlap_conflicts, 1);
    }

    #[test]
    fn bounded_by_count_time_and_size() {
        let mut d = Defrag::new(4, 1 << 20, 30);
        for id in 0..100u32 {
            let f = FragInfo {
                offset: 0,
                more: true,
                id,
            };
            let (ip, _) = frag(&[0; 8], 0, true);
            d.add(&ip, f, Timestamp(id as u64));
            assert!(d.pending() <= 4);
        }
        assert_eq!(d.stats.evicted_at_limit, 96);
        // everything times out
        let (ip, f) = frag(&[0; 8], 0, true);
        d.add(
            &ip,
            FragInfo { id: 1000, ..f },
            Timestamp(31_000_000_000 + 100),
        );
        assert_eq!(d.pending(), 1);
        assert_eq!(d.stats.timed_out, 4);
        // a fragment that would end past 65535 is dropped
        let (ip, f) = frag(&[0; 8], 65_532, false);
        assert!(d.add(&ip, f, Timestamp(0)).is_none());
        assert_eq!(d.stats.oversized, 1);
    }
}
