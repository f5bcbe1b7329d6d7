//! `otscope live`: the same analysis as `analyze`, on frames captured from an interface (a
//! SPAN/mirror port or a TAP), with periodic snapshots of the report.
//!
//! ```text
//! capture thread ──(batches, bounded; full ⇒ shed + counted)──▶ analysis thread (Engine)
//!        │ pcap stats                                                │ ▲ snapshot request
//!        ▼                                                           ▼ │
//!   shared counters ─────────────▶ tokio: timers, signals ──▶ report, atomic files, events,
//!                                                                   HTTP view
//! ```
//!
//! * The capture thread ([`crate::capture::live`]) never waits for analysis: it copies packets
//!   into pooled batches and `try_send`s them ([`pipeline::Batcher`]).
//! * The analysis thread runs one [`crate::engine::Engine`] and, with `--save-pcap`, writes the
//!   frames it analyses to rotating pcapng files ([`save`]), so evidence names a file and frame.
//! * tokio runs the rest: every `--snapshot-every` it asks the analysis thread for a copy of the
//!   state ([`crate::engine::Engine::snapshot`]), builds the report and writes it atomically
//!   ([`snapshot`]), appends NDJSON events ([`events`]) and updates the web view ([`serve`]).
//!   On SIGINT/SIGTERM or after `--duration` the capture stops, the analysis drains the queue
//!   and finishes the engine (every open flow closed, as at the end of a capture file), and
//!   the final snapshot is written.
//!
//! Losses are counted in three places and shown in every snapshot: kernel drops and
//! interface drops (libpcap's statistics, polled twice a second) and frames shed by the
//! analysis queue.

pub mod events;
pub mod pipeline;
pub mod save;
pub mod serve;
pub mod snapshot;

use crate::capture::live::{LiveCapture, LiveOptions};
use crate::config::{Format, Limits};
use pipeline::{AnalysisSetup, Batcher, Ctl, Shared, Snap};
use snapshot::{LiveStatus, ReportSetup};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// libpcap read timeout: the kernel hands a block over at most this long after its first
/// packet.
pub const CAPTURE_TIMEOUT_MS: u32 = 100;

/// Batches the analysis queue holds (each up to [`pipeline::BATCH_BYTES`]).
pub const QUEUE_BATCHES: usize = 64;

/// Where events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsTo {
    Stdout,
    File(PathBuf),
}

/// Everything `otscope live` needs; built by the CLI.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    pub capture: LiveOptions,
    pub zones: Option<PathBuf>,
    pub signatures: Option<PathBuf>,
    /// Directory the snapshot files are written to.
    pub out: PathBuf,
    pub formats: Vec<Format>,
    pub snapshot_every: Duration,
    pub duration: Option<Duration>,
    pub save_pcap: Option<PathBuf>,
    pub rotate_bytes: u64,
    /// Disk budget of the saved files (`--save-max`); none: they grow with the traffic.
    pub save_max_bytes: Option<u64>,
    pub serve: Option<SocketAddr>,
    pub serve_allow_remote: bool,
    pub events: Option<EventsTo>,
    pub show_secrets: bool,
    pub limits: Limits,
    pub queue_batches: usize,
    /// No progress lines on stderr.
    pub quiet: bool,
}

impl LiveConfig {
    pub fn new(interface: &str) -> LiveConfig {
        LiveConfig {
            capture: LiveOptions {
                timeout_ms: CAPTURE_TIMEOUT_MS,
                ..LiveOptions::new(interface)
            },
            zones: None,
            signatures: None,
            out: PathBuf::from("."),
            formats: vec![Format::Json, Format::Html],
            snapshot_every: Duration::from_secs(60),
            duration: None,
            save_pcap: None,
            rotate_bytes: 100 << 20,
            save_max_bytes: None,
            serve: None,
            serve_allow_remote: false,
            events: None,
            show_secrets: false,
            limits: Limits::default(),
            queue_batches: QUEUE_BATCHES,
            quiet: false,
        }
    }
}

fn fail(msg: impl std::fmt::Display) -> u8 {
    warn!("otscope: {msg}");
    crate::exit::ERROR
}

/// Run `otscope live`; returns the process exit code.
pub fn run(cfg: LiveConfig) -> u8 {
    // Everything that can be wrong with the command line is checked before capturing.
    let sigs = match &cfg.signatures {
        Some(d) => match crate::inventory::signatures::Signatures::with_dir(d) {
            Ok(s) => s,
            Err(e) => return fail(format!("signatures: {e}")),
        },
        None => crate::inventory::signatures::Signatures::builtin(),
    };
    let zones = match &cfg.zones {
        Some(p) => match crate::zones::config::ZonesConfig::load(p) {
            Ok(z) => Some(z),
            Err(e) => return fail(format!("zones: {e}")),
        },
        None => None,
    };
    if let Some(a) = cfg.serve {
        if !a.ip().is_loopback() && !cfg.serve_allow_remote {
            return fail(format!(
                "--serve {a}: not a loopback address; the live view has no authentication, \
                 add --serve-allow-remote to listen there anyway"
            ));
        }
    }
    let cap = match LiveCapture::open(&cfg.capture) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::create_dir_all(&cfg.out) {
        return fail(format!("--out {}: {e}", cfg.out.display()));
    }
    let events_out: Option<Box<dyn Write + Send>> = match &cfg.events {
        None => None,
        Some(EventsTo::Stdout) => Some(Box::new(std::io::stdout())),
        Some(EventsTo::File(p)) => {
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
            {
                Ok(f) => Some(Box::new(f)),
                Err(e) => return fail(format!("--events {}: {e}", p.display())),
            }
        }
    };
    let started = snapshot::now();
    let saver = match &cfg.save_pcap {
        Some(dir) => {
            let s = match save::Saver::new(
                dir,
                cfg.rotate_bytes,
                cap.dlt(),
                cap.link(),
                cfg.capture.snaplen,
                &cfg.capture.interface,
                started,
            ) {
                Ok(s) => s,
                Err(e) => return fail(format!("--save-pcap {e}")),
            };
            match cfg.save_max_bytes {
                None => Some(s),
                Some(m) => match s.with_max_total(m) {
                    Ok(s) => Some(s),
                    Err(e) => return fail(e),
                },
            }
        }
        None => None,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let setup = ReportSetup {
        sigs,
        zones,
        show_secrets: cfg.show_secrets,
    };
    rt.block_on(orchestrate(cfg, cap, saver, setup, events_out, started))
}

/// The run's state on the tokio side.
struct Runner {
    cfg: LiveConfig,
    shared: Arc<Shared>,
    setup: Arc<ReportSetup>,
    events: Option<Box<dyn Write + Send>>,
    ev_state: events::EventState,
    page: Option<tokio::sync::watch::Sender<Arc<serve::Page>>>,
    base: LiveStatus,
    seq: u64,
}

impl Runner {
    fn status(&mut self, snap: &Snap) -> LiveStatus {
        self.seq += 1;
        let s = &self.shared;
        LiveStatus {
            snapshot_time: snapshot::now(),
            snapshot: self.seq,
            last: snap.last,
            received: s.received.load(Relaxed),
            captured: s.captured.load(Relaxed),
            captured_bytes: s.captured_bytes.load(Relaxed),
            analysed: snap.analysed,
            kernel_drops: s.kernel_drops.load(Relaxed),
            interface_drops: s.interface_drops.load(Relaxed),
            queue_shed_frames: s.shed_frames.load(Relaxed),
            queue_shed_bytes: s.shed_bytes.load(Relaxed),
            save_error: snap.save_error.clone(),
            rss_bytes: snapshot::rss_bytes(),
            ..self.base.clone()
        }
    }

    /// Report, files, events and web page of one snapshot.
    async fn write(&mut self, snap: Snap) -> Result<(), String> {
        let st = self.status(&snap);
        let setup = self.setup.clone();
        let formats = self.cfg.formats.clone();
        let out = self.cfg.out.clone();
        let serve = self.page.is_some();
        let mut ev_state = std::mem::take(&mut self.ev_state);
        let want_events = self.events.is_some();
        let job = tokio::task::spawn_blocking(move || {
            let report = snapshot::build(snap, &setup, &st);
            let mut written = Ok(());
            let mut json = String::new();
            let mut html = String::new();
            for f in &formats {
                for (name, text) in snapshot::render(*f, &report, &st) {
                    if let Err(e) = snapshot::write_atomic(&out, name, text.as_bytes()) {
                        written = Err(format!("{}: {e}", out.join(name).display()));
                    }
                    match f {
                        Format::Json => json = text,
                        Format::Html => html = text,
                        _ => {}
                    }
                }
            }
            if serve {
                if json.is_empty() {
                    json = snapshot::render_json(&report, &st);
                }
                if html.is_empty() {
                    html = snapshot::render_html(&report, &st);
                }
            }
            let lines = if want_events {
                events::diff(&mut ev_state, &report, &st)
            } else {
                Vec::new()
            };
            (written, serve::Page { json, html }, lines, ev_state)
        });
        let (written, page, lines, ev_state) = job.await.map_err(|e| format!("snapshot: {e}"))?;
        self.ev_state = ev_state;
        if let Some(p) = &self.page {
            let _ = p.send(Arc::new(page));
        }
        if let Some(w) = self.events.as_mut() {
            let mut buf = String::new();
            for l in lines {
                buf.push_str(&l);
                buf.push('\n');
            }
            if !buf.is_empty() {
                if let Err(e) = w.write_all(buf.as_bytes()).and_then(|_| w.flush()) {
                    warn!("otscope: events: {e}");
                }
            }
        }
        written
    }
}

async fn orchestrate(
    cfg: LiveConfig,
    mut cap: LiveCapture,
    saver: Option<save::Saver>,
    setup: ReportSetup,
    events_out: Option<Box<dyn Write + Send>>,
    started: crate::time::Timestamp,
) -> u8 {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut sigint), Ok(mut sigterm)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return fail("cannot install signal handlers");
    };
    let page = match cfg.serve {
        Some(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => {
                let (tx, rx) = tokio::sync::watch::channel(Arc::new(serve::Page::default()));
                let refresh = cfg.snapshot_every.as_secs().max(1);
                if !cfg.quiet {
                    warn!(
                        "otscope: live view on http://{} (JSON at /report.json)",
                        l.local_addr().unwrap_or(addr)
                    );
                }
                tokio::spawn(serve::serve(l, rx, refresh));
                Some(tx)
            }
            Err(e) => return fail(format!("--serve {addr}: {e}")),
        },
        None => None,
    };
    let shared = Arc::new(Shared::default());
    let link = cap.link();
    let Some(breaker) = cap.breaker() else {
        return fail("capture is closed");
    };
    let (data_tx, data_rx) = crossbeam_channel::bounded(cfg.queue_batches.max(1));
    let (pool_tx, pool_rx) = crossbeam_channel::bounded(cfg.queue_batches.max(1) + 4);
    let (ctl_tx, ctl_rx) = crossbeam_channel::bounded::<Ctl>(4);
    // Analysis thread.
    let a_setup = AnalysisSetup {
        limits: cfg.limits.clone(),
        link,
        interface: cfg.capture.interface.clone(),
        saver,
    };
    let (fin_tx, fin_rx) = tokio::sync::oneshot::channel::<Snap>();
    let a_shared = shared.clone();
    let a_pool = pool_tx.clone();
    let analysis = std::thread::Builder::new()
        .name("otscope-analysis".into())
        .spawn(move || {
            let last = pipeline::analysis_loop(a_setup, data_rx, ctl_rx, a_pool, a_shared);
            let _ = fin_tx.send(last);
        });
    if let Err(e) = analysis {
        return fail(format!("cannot start the analysis thread: {e}"));
    }
    // Capture thread.
    let (cap_done_tx, mut cap_done) = tokio::sync::oneshot::channel::<()>();
    let c_shared = shared.clone();
    let capture = std::thread::Builder::new()
        .name("otscope-capture".into())
        .spawn(move || {
            let batcher = Batcher::new(data_tx, (pool_tx, pool_rx), c_shared.clone());
            capture_loop(&mut cap, batcher, &c_shared);
            let _ = cap_done_tx.send(());
        });
    if let Err(e) = capture {
        shared.stop.store(true, Relaxed);
        return fail(format!("cannot start the capture thread: {e}"));
    }
    if !cfg.quiet {
        warn!(
            "otscope: capturing on {} ({}), snapshots every {:?} in {}",
            cfg.capture.interface,
            link.name(),
            cfg.snapshot_every,
            cfg.out.display()
        );
    }
    let mut runner = Runner {
        base: LiveStatus {
            interface: cfg.capture.interface.clone(),
            link_type: link.name(),
            bpf: cfg.capture.bpf.clone(),
            started,
            saved_to: cfg.save_pcap.as_ref().map(|p| p.display().to_string()),
            ..Default::default()
        },
        shared: shared.clone(),
        setup: Arc::new(setup),
        events: events_out,
        ev_state: events::EventState::default(),
        page,
        seq: 0,
        cfg,
    };
    let mut tick = tokio::time::interval(runner.cfg.snapshot_every.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let deadline = runner.cfg.duration.map(|d| tokio::time::Instant::now() + d);
    let until = async move {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until);
    let mut code = crate::exit::OK;
    let mut write_errors = 0u32;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                if ctl_tx.send(Ctl::Snapshot(tx)).is_err() {
                    break;
                }
                let Ok(snap) = rx.await else { break };
                if let Err(e) = runner.write(snap).await {
                    write_errors += 1;
                    if write_errors == 1 || write_errors % 60 == 0 {
                        warn!("otscope: snapshot: {e}");
                    }
                }
            }
            _ = sigint.recv() => break,
            _ = sigterm.recv() => break,
            _ = &mut until => break,
            _ = &mut cap_done => {
                // Capture ended on its own: an error (the interface went away, ...).
                code = crate::exit::ERROR;
                break;
            }
        }
    }
    // Stop: the capture thread hands its last batch on and hangs up; the analysis drains the
    // queue, finishes the engine and sends the final state. A second signal exits at once.
    shared.stop.store(true, Relaxed);
    breaker.wake();
    drop(ctl_tx);
    let last = tokio::select! {
        s = fin_rx => s.ok(),
        _ = sigint.recv() => None,
        _ = sigterm.recv() => None,
    };
    if let Some(e) = shared.capture_error.lock().ok().and_then(|g| g.clone()) {
        warn!("otscope: capture stopped: {e}");
        code = crate::exit::ERROR;
    }
    let Some(last) = last else {
        warn!("otscope: interrupted again: exiting without a final snapshot");
        return 130;
    };
    if let Err(e) = runner.write(last).await {
        warn!("otscope: final snapshot: {e}");
        code = crate::exit::ERROR;
    }
    if !runner.cfg.quiet {
        let s = &runner.shared;
        let (k, i, q) = s.drops();
        warn!(
            "otscope: stopped: {} frames captured, {} analysed; lost: {k} in the kernel, {i} at \
             the interface, {q} shed by the analysis queue; report in {}",
            s.captured.load(Relaxed),
            s.analysed.load(Relaxed),
            runner.cfg.out.display()
        );
    }
    code
}

/// Poll libpcap's counters into the shared totals.
fn poll_stats(cap: &mut LiveCapture, shared: &Shared) {
    if let Some(s) = cap.stats() {
        shared.received.store(s.received, Relaxed);
        shared.kernel_drops.store(s.kernel_drops, Relaxed);
        shared.interface_drops.store(s.interface_drops, Relaxed);
    }
}

/// The capture thread: read, copy, hand on; never waits for analysis.
fn capture_loop(cap: &mut LiveCapture, mut b: Batcher, shared: &Shared) {
    let mut last_stats = std::time::Instant::now();
    poll_stats(cap, shared);
    let mut err = None;
    while !shared.stop.load(Relaxed) {
        match cap.dispatch(&mut |p| b.push(p.ts, p.orig_len, p.data)) {
            // A retired kernel block: hand its frames on now (the link may go quiet).
            Ok(_) => b.ship(),
            // Woken to stop (or the interface failed).
            Err(e) => {
                if !shared.stop.load(Relaxed) {
                    err = Some(e);
                }
                break;
            }
        }
        if last_stats.elapsed() >= Duration::from_millis(500) {
            poll_stats(cap, shared);
            last_stats = std::time::Instant::now();
        }
    }
    if err.is_none() {
        // Frames the kernel still holds: wait for it to retire the open block, then read what
        // is ready without blocking (bounded: a busy link never runs dry).
        std::thread::sleep(Duration::from_millis(u64::from(CAPTURE_TIMEOUT_MS) * 3 / 2));
        if cap.set_nonblocking().is_ok() {
            for _ in 0..256 {
                match cap.dispatch(&mut |p| b.push(p.ts, p.orig_len, p.data)) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => b.ship(),
                }
            }
        }
    }
    poll_stats(cap, shared);
    b.finish();
    if let Some(e) = err {
        if let Ok(mut g) = shared.capture_error.lock() {
            *g = Some(e);
        }
    }
}
