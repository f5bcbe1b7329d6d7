//! Live capture from a network interface through libpcap (feature `live`).
//!
//! The interface is opened promiscuous with a large kernel buffer; on Linux libpcap then uses
//! the TPACKET_V3 memory-mapped ring (blocks of packets handed over at once), and timestamps
//! are asked for in nanoseconds. [`LiveCapture::dispatch`] hands over what one kernel block
//! holds and returns; with the read timeout it also returns when the link is quiet, so the
//! caller's loop can check for a stop request. libpcap's counters are 32-bit and wrap;
//! [`LiveCapture::stats`] accumulates them into 64-bit totals (poll it at least every few
//! seconds).

use super::LinkType;
use crate::time::Timestamp;
use pcap::{Active, Capture};
use std::fmt;

/// How to open the interface.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub interface: String,
    /// A BPF filter expression (tcpdump syntax), applied in the kernel.
    pub bpf: Option<String>,
    /// Bytes captured per packet.
    pub snaplen: u32,
    /// Kernel ring buffer size in bytes.
    pub buffer_bytes: usize,
    pub promisc: bool,
    /// Read timeout: the longest a quiet link keeps `dispatch` waiting.
    pub timeout_ms: u32,
}

impl LiveOptions {
    pub fn new(interface: &str) -> LiveOptions {
        LiveOptions {
            interface: interface.to_string(),
            bpf: None,
            snaplen: 262_144,
            buffer_bytes: 128 << 20,
            promisc: true,
            timeout_ms: 100,
        }
    }
}

/// Why the interface could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    NoSuchInterface {
        interface: String,
        available: Vec<String>,
    },
    Permission {
        interface: String,
        detail: String,
    },
    Filter {
        expr: String,
        detail: String,
    },
    Other {
        interface: String,
        detail: String,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::NoSuchInterface {
                interface,
                available,
            } => {
                write!(f, "no such network interface: {interface:?}")?;
                if !available.is_empty() {
                    write!(f, " (interfaces here: {})", available.join(", "))?;
                }
                Ok(())
            }
            OpenError::Permission { interface, detail } => write!(
                f,
                "permission denied to capture on {interface:?} ({detail}): run as root, or give \
                 the binary the capture capabilities once: \
                 sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v otscope)\""
            ),
            OpenError::Filter { expr, detail } => {
                write!(f, "invalid BPF filter {expr:?}: {detail}")
            }
            OpenError::Other { interface, detail } => {
                write!(f, "cannot capture on {interface:?}: {detail}")
            }
        }
    }
}

impl std::error::Error for OpenError {}

/// One captured packet, borrowed from the kernel ring until the callback returns.
#[derive(Debug, Clone, Copy)]
pub struct LivePacket<'a> {
    pub ts: Timestamp,
    /// Length on the wire (`data` may be shorter: snaplen).
    pub orig_len: u32,
    pub data: &'a [u8],
}

/// libpcap's counters since the capture opened, as 64-bit totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets the kernel handed to the capture (`ps_recv`; on Linux it includes drops).
    pub received: u64,
    /// Packets dropped because the ring buffer was full (`ps_drop`).
    pub kernel_drops: u64,
    /// Packets the interface or its driver dropped (`ps_ifdrop`).
    pub interface_drops: u64,
}

/// Names of the network interfaces, from the kernel (Linux) or libpcap.
pub fn interfaces() -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir("/sys/class/net") {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => pcap::Device::list()
            .map(|l| l.into_iter().map(|d| d.name).collect())
            .unwrap_or_default(),
    };
    v.sort();
    v
}

fn interface_exists(name: &str) -> Option<bool> {
    if name == "any" {
        return Some(true);
    }
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Some(false);
    }
    let sys = std::path::Path::new("/sys/class/net");
    if sys.is_dir() {
        Some(sys.join(name).exists())
    } else {
        None
    }
}

fn classify(interface: &str, e: pcap::Error) -> OpenError {
    let detail = e.to_string();
    let low = detail.to_ascii_lowercase();
    if low.contains("permission") || low.contains("not permitted") {
        OpenError::Permission {
            interface: interface.to_string(),
            detail,
        }
    } else if low.contains("no such device") || low.contains("doesn't exist") {
        OpenError::NoSuchInterface {
            interface: interface.to_string(),
            available: interfaces(),
        }
    } else {
        OpenError::Other {
            interface: interface.to_string(),
            detail,
        }
    }
}

/// 32-bit counter accumulated across wrap-arounds.
#[derive(Debug, Default, Clone, Copy)]
struct Wrap {
    last: u32,
    total: u64,
}

impl Wrap {
    fn update(&mut self, now: u32) -> u64 {
        self.total += now.wrapping_sub(self.last) as u64;
        self.last = now;
        self.total
    }
}

/// Wakes a capture thread blocked in [`LiveCapture::dispatch`] (any thread may call it).
pub struct Breaker(pcap::BreakLoop);

impl Breaker {
    pub fn wake(&self) {
        self.0.breakloop();
    }
}

/// An open live capture.
pub struct LiveCapture {
    cap: Option<Capture<Active>>,
    link: LinkType,
    dlt: i32,
    interface: String,
    nanos: bool,
    counters: [Wrap; 3],
}

impl LiveCapture {
    /// Open the interface (and set the filter). Errors name the interface and say what to do.
    pub fn open(o: &LiveOptions) -> Result<LiveCapture, OpenError> {
        if interface_exists(&o.interface) == Some(false) {
            return Err(OpenError::NoSuchInterface {
                interface: o.interface.clone(),
                available: interfaces(),
            });
        }
        let inactive = Capture::from_device(o.interface.as_str())
            .map_err(|e| classify(&o.interface, e))?
            .promisc(o.promisc)
            .snaplen(o.snaplen.min(i32::MAX as u32) as i32)
            .buffer_size(o.buffer_bytes.min(i32::MAX as usize) as i32)
            .timeout(o.timeout_ms.clamp(1, 60_000) as i32);
        // Nanosecond timestamps (Linux libpcap supports them; elsewhere keep microseconds).
        let nanos = cfg!(target_os = "linux");
        let inactive = if nanos {
            inactive.precision(pcap::Precision::Nano)
        } else {
            inactive
        };
        let mut cap = inactive.open().map_err(|e| classify(&o.interface, e))?;
        if let Some(expr) = o.bpf.as_deref().filter(|s| !s.trim().is_empty()) {
            cap.filter(expr, true).map_err(|e| OpenError::Filter {
                expr: expr.to_string(),
                detail: e.to_string(),
            })?;
        }
        let dlt = cap.get_datalink().0;
        let link = LinkType::from_linktype(dlt as u32);
        Ok(LiveCapture {
            cap: Some(cap),
            link,
            dlt,
            interface: o.interface.clone(),
            nanos,
            counters: [Wrap::default(); 3],
        })
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// libpcap's data link type (DLT) of the interface.
    pub fn dlt(&self) -> i32 {
        self.dlt
    }

    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// A handle that wakes [`LiveCapture::dispatch`] from another thread.
    pub fn breaker(&mut self) -> Option<Breaker> {
        self.cap.as_mut().map(|c| Breaker(c.breakloop_handle()))
    }

    /// Switch to non-blocking reads: `dispatch` then returns `Ok(0)` at once when nothing is
    /// ready (to drain the ring at the end of a capture).
    pub fn set_nonblocking(&mut self) -> Result<(), String> {
        let Some(c) = self.cap.take() else {
            return Err(format!("{}: capture is closed", self.interface));
        };
        match c.setnonblock() {
            Ok(c) => {
                self.cap = Some(c);
                Ok(())
            }
            Err(e) => Err(format!("{}: {e}", self.interface)),
        }
    }

    /// Hand every packet that is ready (at most one kernel block) to `f`; returns how many.
    ///
    /// On Linux (TPACKET_V3) this waits until the kernel retires a block: when it is full, or
    /// `timeout_ms` after its first packet. A quiet link keeps it waiting until a packet
    /// arrives or [`Breaker::wake`] is called (then it returns `Err`).
    pub fn dispatch(&mut self, f: &mut dyn FnMut(LivePacket<'_>)) -> Result<usize, String> {
        let nanos = self.nanos;
        let Some(cap) = self.cap.as_mut() else {
            return Err(format!("{}: capture is closed", self.interface));
        };
        let r = cap.dispatch(None, |p| {
            let (s, frac) = (p.header.ts.tv_sec, p.header.ts.tv_usec);
            let sub = if nanos {
                frac.max(0) as u64
            } else {
                frac.max(0) as u64 * 1000
            };
            f(LivePacket {
                ts: Timestamp::from_secs_nanos(s.max(0) as u64, sub),
                orig_len: p.header.len,
                data: p.data,
            })
        });
        match r {
            Ok(n) => Ok(n),
            Err(pcap::Error::TimeoutExpired) => Ok(0),
            Err(e) => Err(format!("{}: {e}", self.interface)),
        }
    }

    /// libpcap's counters so far (64-bit, wrap-corrected). `None` if libpcap cannot say.
    pub fn stats(&mut self) -> Option<LiveStats> {
        let s = self.cap.as_mut()?.stats().ok()?;
        Some(LiveStats {
            received: self.counters[0].update(s.received),
            kernel_drops: self.counters[1].update(s.dropped),
            interface_drops: self.counters[2].update(s.if_dropped),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_survive_wrap_around() {
        let mut w = Wrap::default();
        assert_eq!(w.update(10), 10);
        assert_eq!(w.update(u32::MAX - 5), (u32::MAX - 5) as u64);
        // Wrapped: 6 to reach 0, then 4 more.
        assert_eq!(w.update(4), (u32::MAX - 5) as u64 + 10);
    }

    #[test]
    fn missing_interface_is_named() {
        let e = LiveCapture::open(&LiveOptions::new("otscope-no-such-if0")).err();
        match e {
            Some(e @ OpenError::NoSuchInterface { .. }) => {
                assert!(e.to_string().contains("otscope-no-such-if0"), "{e}");
            }
            other => panic!("expected NoSuchInterface, got {other:?}"),
        }
    }
}
