//! Replay a capture onto an interface as fast as one core can, for the live-mode rig.
//!
//! ```text
//! scripts/live-rig.sh up NAME
//! ip netns exec NAME-tx target/release/examples/blast tx-NAME CAPTURE PACKETS [PPS] [BATCH] [SKIP]
//! ```
//!
//! `tcpreplay --topspeed` tops out near 300,000 packets/s here, below what the capture side
//! keeps up with, so the highest loss-free rate could not be found with it. This sender loads
//! PACKETS frames of CAPTURE, from frame SKIP on (default 0), once and sends them on a raw
//! `AF_PACKET` socket (a capture with fewer than SKIP + PACKETS frames is sent in a loop,
//! beginning at frame SKIP modulo its length):
//!
//! * `sendmmsg`, BATCH frames (default 64) per system call;
//! * `PACKET_QDISC_BYPASS`: straight to the driver, no queueing discipline;
//! * bound with protocol 0, so the kernel never copies a frame back to the sender (a libpcap
//!   handle, as a first version used, gets a copy of everything it sends and filters it out
//!   in user space).
//!
//! Several senders at once should each send their own part of a capture large enough (SKIP
//! apart): the same frame sent twice at once is a SPAN duplicate to otscope, and a capture
//! sent in a loop repeats its TCP data, which reassembly sees as retransmitted and does not
//! analyse again; either would measure less analysis than real traffic needs.
//!
//! PPS (0: top speed) paces it (in steps of BATCH frames). It prints the packets, bytes and the rate achieved.
//! A frame the kernel refuses (`sendmmsg` fails, e.g. `ENOBUFS`) is counted as failed, not
//! retried. Run it only inside the rig's namespace (`scripts/live-rate.sh blast` does): it
//! sends to whatever interface it is given.
//!
//! The system calls need `unsafe`; this is a test tool outside the product, which forbids it.

#[cfg(target_os = "linux")]
fn main() {
    use std::time::{Duration, Instant};

    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: blast INTERFACE CAPTURE PACKETS [PPS] [BATCH] [SKIP]");
        std::process::exit(2);
    }
    let (iface, path) = (&args[0], std::path::Path::new(&args[1]));
    let total: u64 = args[2].parse().expect("PACKETS: a number");
    let pps: Option<u64> = args
        .get(3)
        .map(|s| s.parse().expect("PPS: a number"))
        .filter(|&p| p > 0);
    let batch: usize = args
        .get(4)
        .map(|s| s.parse().expect("BATCH: a number"))
        .unwrap_or(64)
        .clamp(1, 1024);
    let skip: u64 = args
        .get(5)
        .map_or(0, |s| s.parse().expect("SKIP: a number"));

    // Frames SKIP.. of the capture, up to PACKETS of them. A capture too short for that is
    // loaded whole and turned to begin at frame SKIP (modulo its length), then sent in a loop.
    let mut frames = load(path, skip, total);
    if (frames.len() as u64) < total {
        frames = load(path, 0, u64::MAX);
        if frames.is_empty() {
            eprintln!("blast: no Ethernet frames in {}", path.display());
            std::process::exit(1);
        }
        let n = frames.len();
        frames.rotate_left((skip % n as u64) as usize);
    }

    let sock = raw::Sender::bind(iface).unwrap_or_else(|e| {
        eprintln!("blast: {iface}: {e}");
        std::process::exit(1);
    });

    let start = Instant::now();
    let (mut sent, mut bytes, mut failed) = (0u64, 0u64, 0u64);
    let mut at = 0usize; // next frame to send
    while sent + failed < total {
        if let Some(p) = pps {
            let due = Duration::from_secs_f64((sent + failed) as f64 / p as f64);
            let now = start.elapsed();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let left = usize::try_from(total - sent - failed).unwrap_or(usize::MAX);
        let n = batch.min(left).min(frames.len() - at);
        let chunk = &frames[at..at + n];
        match sock.send_batch(chunk) {
            Ok(k) => {
                sent += k as u64;
                bytes += chunk[..k].iter().map(|f| f.len() as u64).sum::<u64>();
                // The first frame the kernel did not take is refused: count it, go on.
                if k < n {
                    failed += 1;
                    at += k + 1;
                } else {
                    at += n;
                }
            }
            Err(_) => {
                failed += 1;
                at += 1;
            }
        }
        if at >= frames.len() {
            at = 0;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sent {sent} packets ({bytes} bytes, {failed} failed) in {secs:.3} s: {:.0} packets/s, {:.1} Mb/s",
        sent as f64 / secs,
        bytes as f64 * 8.0 / secs / 1e6
    );
}

/// The Ethernet frames of a capture from the `skip`-th on, at most `max` of them.
#[cfg(target_os = "linux")]
fn load(path: &std::path::Path, skip: u64, max: u64) -> Vec<Vec<u8>> {
    use otscope::capture::LinkType;
    use otscope::capture::file::FileReader;

    let mut frames = Vec::new();
    let mut r = FileReader::open(path, 0, 1 << 20).unwrap_or_else(|e| {
        eprintln!("blast: {}: {}", path.display(), e.error);
        std::process::exit(1);
    });
    let mut buf = Vec::new();
    let mut seen = 0u64; // Ethernet frames of the capture passed over
    while let Some(b) = r.next_block(std::mem::take(&mut buf), 4 << 20) {
        for i in 0..b.recs.len() {
            let f = b.frame(i);
            if f.link == LinkType::Ethernet && f.data.len() >= 14 {
                seen += 1;
                if seen > skip {
                    frames.push(f.data.to_vec());
                    if frames.len() as u64 >= max {
                        return frames;
                    }
                }
            }
        }
        buf = b.data;
    }
    frames
}

#[cfg(target_os = "linux")]
mod raw {
    use std::ffi::CString;
    use std::io;

    /// A raw `AF_PACKET` socket bound to one interface, for sending only.
    pub struct Sender {
        fd: libc::c_int,
    }

    impl Sender {
        pub fn bind(iface: &str) -> io::Result<Sender> {
            let name = CString::new(iface).map_err(|_| io::Error::other("bad interface name"))?;
            // SAFETY: plain system calls on values we own; every result is checked.
            unsafe {
                let ifindex = libc::if_nametoindex(name.as_ptr());
                if ifindex == 0 {
                    return Err(io::Error::last_os_error());
                }
                // Protocol 0: this socket receives nothing, not even what it sends.
                let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0);
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                let s = Sender { fd };
                let mut sll: libc::sockaddr_ll = std::mem::zeroed();
                sll.sll_family = libc::AF_PACKET as u16;
                sll.sll_ifindex = ifindex as i32;
                if libc::bind(
                    fd,
                    (&sll as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                ) < 0
                {
                    return Err(io::Error::last_os_error());
                }
                let one: libc::c_int = 1;
                // Best effort: without it frames go through the (noqueue) qdisc layer.
                libc::setsockopt(
                    fd,
                    libc::SOL_PACKET,
                    libc::PACKET_QDISC_BYPASS,
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as u32,
                );
                Ok(s)
            }
        }

        /// Send `frames` with one `sendmmsg`; how many the kernel took.
        pub fn send_batch(&self, frames: &[Vec<u8>]) -> io::Result<usize> {
            let mut iov: Vec<libc::iovec> = frames
                .iter()
                .map(|f| libc::iovec {
                    iov_base: f.as_ptr() as *mut libc::c_void,
                    iov_len: f.len(),
                })
                .collect();
            // SAFETY: each header points at one iovec of `iov`, which points at a frame
            // borrowed for the duration of the call; the kernel only reads them.
            unsafe {
                let mut msgs: Vec<libc::mmsghdr> = iov
                    .iter_mut()
                    .map(|v| {
                        let mut m: libc::mmsghdr = std::mem::zeroed();
                        m.msg_hdr.msg_iov = v;
                        m.msg_hdr.msg_iovlen = 1;
                        m
                    })
                    .collect();
                let n = libc::sendmmsg(self.fd, msgs.as_mut_ptr(), msgs.len() as u32, 0);
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            }
        }
    }

    impl Drop for Sender {
        fn drop(&mut self) {
            // SAFETY: the descriptor is ours and closed once.
            unsafe { libc::close(self.fd) };
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("blast sends on a Linux AF_PACKET socket; it runs on Linux only");
    std::process::exit(2);
}
