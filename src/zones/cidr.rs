//! IPv4/IPv6 CIDR blocks.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub len: u8,
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v) => (u32::from(v) as u128, 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

impl Cidr {
    /// The network part of the block (host bits cleared), as an integer, and whether it is
    /// IPv4: the key under which `ZoneMap` indexes blocks of one length.
    pub fn network_key(&self) -> (bool, u128) {
        (self.addr.is_ipv4(), bits(self.addr).0 & self.mask())
    }

    /// The network part of `ip` under a prefix of `len` bits (the key [`Cidr::network_key`]
    /// gives a block of that length containing `ip`).
    pub fn key_of(ip: IpAddr, len: u8) -> (bool, u128) {
        Cidr { addr: ip, len }.network_key()
    }

    fn mask(&self) -> u128 {
        let (_, width) = bits(self.addr);
        if self.len == 0 {
            0
        } else {
            (!0u128 << (width - self.len)) & (if width == 32 { 0xFFFF_FFFF } else { !0u128 })
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        if self.addr.is_ipv4() != ip.is_ipv4() {
            return false;
        }
        let m = self.mask();
        bits(ip).0 & m == bits(self.addr).0 & m
    }

    /// Every address of `other` is in `self`.
    pub fn covers(&self, other: &Cidr) -> bool {
        self.len <= other.len && self.contains(other.addr)
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.covers(other) || other.covers(self)
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Cidr, String> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR block"))?;
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            Some(l) => l
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= width)
                .ok_or_else(|| format!("{s:?}: prefix length must be 0..={width}"))?,
            None => width,
        };
        let c = Cidr { addr, len };
        if bits(addr).0 & !c.mask() & if width == 32 { 0xFFFF_FFFF } else { !0u128 } != 0 {
            return Err(format!(
                "{s:?} has host bits set (did you mean {}/{len}?)",
                c.network()
            ));
        }
        Ok(c)
    }
}

impl Cidr {
    pub fn network(&self) -> IpAddr {
        let n = bits(self.addr).0 & self.mask();
        match self.addr {
            IpAddr::V4(_) => IpAddr::V4((n as u32).into()),
            IpAddr::V6(_) => IpAddr::V6(n.into()),
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_contain_cover() {
        let c: Cidr = "192.168.20.0/24".parse().unwrap();
        assert!(c.contains("192.168.20.18".parse().unwrap()));
        assert!(!c.contains("192.168.21.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        let big: Cidr = "192.168.0.0/16".parse().unwrap();
        assert!(big.covers(&c) && !c.covers(&big) && c.overlaps(&big));
        let h: Cidr = "10.0.0.5".parse().unwrap();
        assert_eq!(h.len, 32);
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(
            "192.168.20.1/24"
                .parse::<Cidr>()
                .unwrap_err()
                .contains("host bits")
        );
        assert!("192.168.20.0/33".parse::<Cidr>().is_err());
        assert!("not-an-ip/24".parse::<Cidr>().is_err());
    }
}
