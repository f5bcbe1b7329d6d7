//! Replay a capture onto an interface as fast as one core can, for the live-mode rig.
//!
//! ```text
//! scripts/live-rig.sh up NAME
//! ip netns exec NAME-tx target/release/examples/blast tx-NAME CAPTURE PACKETS [PPS]
//! ```
//!
//! `tcpreplay --topspeed` tops out near 300,000 packets/s here, below what the capture side
//! keeps up with, so the highest loss-free rate could not be found with it. This sender loads
//! the frames once and sends them in a loop through libpcap (`pcap_sendpacket`, one `send` on
//! an `AF_PACKET` socket per frame), optionally paced to PPS. It prints the packets, bytes
//! and the rate achieved. Run it only inside the rig's namespace (`scripts/live-rate.sh
//! blast` does): it sends to whatever interface it is given.
//!
//! Needs the `live` feature (libpcap): `cargo build --release --features live --example blast`.

#[cfg(feature = "live")]
fn main() {
    use otscope::capture::LinkType;
    use otscope::capture::file::FileReader;
    use std::time::{Duration, Instant};

    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: blast INTERFACE CAPTURE PACKETS [PPS]");
        std::process::exit(2);
    }
    let (iface, path) = (&args[0], std::path::Path::new(&args[1]));
    let total: u64 = args[2].parse().expect("PACKETS: a number");
    let pps: Option<u64> = args.get(3).map(|s| s.parse().expect("PPS: a number"));

    let mut frames: Vec<Vec<u8>> = Vec::new();
    let mut r = FileReader::open(path, 0, 1 << 20).unwrap_or_else(|e| {
        eprintln!("blast: {}: {}", path.display(), e.error);
        std::process::exit(1);
    });
    let mut buf = Vec::new();
    while let Some(b) = r.next_block(std::mem::take(&mut buf), 4 << 20) {
        for i in 0..b.recs.len() {
            let f = b.frame(i);
            if f.link == LinkType::Ethernet && f.data.len() >= 14 {
                frames.push(f.data.to_vec());
            }
        }
        buf = b.data;
    }
    if frames.is_empty() {
        eprintln!("blast: no Ethernet frames in {}", path.display());
        std::process::exit(1);
    }

    let mut cap = pcap::Capture::from_device(iface.as_str())
        .and_then(|c| c.snaplen(64).buffer_size(1 << 16).open())
        .unwrap_or_else(|e| {
            eprintln!("blast: {iface}: {e}");
            std::process::exit(1);
        });
    // Do not capture what we send (the kernel would copy every frame into our ring).
    let _ = cap.direction(pcap::Direction::In);

    let start = Instant::now();
    let (mut sent, mut bytes, mut failed) = (0u64, 0u64, 0u64);
    'outer: loop {
        for f in &frames {
            if sent + failed >= total {
                break 'outer;
            }
            if let Some(p) = pps {
                // Pace in steps of 1,000 frames: cheap, and smooth at the rates that matter.
                if (sent + failed) % 1000 == 0 {
                    let due = Duration::from_secs_f64((sent + failed) as f64 / p as f64);
                    let now = start.elapsed();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                }
            }
            match cap.sendpacket(f.as_slice()) {
                Ok(()) => {
                    sent += 1;
                    bytes += f.len() as u64;
                }
                Err(_) => failed += 1,
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sent {sent} packets ({bytes} bytes, {failed} failed) in {secs:.3} s: {:.0} packets/s, {:.1} Mb/s",
        sent as f64 / secs,
        bytes as f64 * 8.0 / secs / 1e6
    );
}

#[cfg(not(feature = "live"))]
fn main() {
    eprintln!(
        "blast needs the live feature: cargo build --release --features live --example blast"
    );
    std::process::exit(2);
}
