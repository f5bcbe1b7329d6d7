//! Per-flow state of the name-service dissectors: which protocol the flow speaks and a small
//! bounded set of values already reported (queries repeat; reporting each once per flow keeps
//! the work per datagram small and the facts bounded).

/// Values remembered per flow.
pub const MAX_SEEN: usize = 64;

/// Protocol of a name-service flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dhcp,
    Dns,
    Mdns,
    Llmnr,
    Nbns,
    Ssdp,
}

impl Kind {
    pub fn proto(self) -> &'static str {
        match self {
            Kind::Dhcp => "dhcp",
            Kind::Dns => "dns",
            Kind::Mdns => "mdns",
            Kind::Llmnr => "llmnr",
            Kind::Nbns => "netbios-ns",
            Kind::Ssdp => "ssdp",
        }
    }

    /// The DNS-format protocol of a flow, by its ports (a unicast mDNS or LLMNR answer goes to
    /// an ephemeral port, so either side counts).
    pub fn by_ports(a: u16, b: u16) -> Kind {
        let has = |p: u16| a == p || b == p;
        if has(137) {
            Kind::Nbns
        } else if has(5353) {
            Kind::Mdns
        } else if has(5355) {
            Kind::Llmnr
        } else {
            Kind::Dns
        }
    }
}

/// A bounded set of 64-bit hashes (FNV-1a) of reported values.
#[derive(Debug, Default)]
pub struct Seen {
    hashes: Vec<u64>,
}

pub fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Seen {
    /// True the first time `h` is offered while there is room; false when already seen or
    /// when the set is full (the flow has reported enough).
    pub fn first(&mut self, h: u64) -> bool {
        if self.hashes.contains(&h) || self.hashes.len() >= MAX_SEEN {
            return false;
        }
        self.hashes.push(h);
        true
    }
}
