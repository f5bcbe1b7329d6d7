//! Mutation run over capture files: for every capture under a directory, generate N mutants
//! (bit flips, byte sets, extreme length values, truncations, splices with another capture,
//! duplicated and deleted chunks, header flips, gzip wrapping; seeded, reproducible) and run the
//! full pipeline (analysis, inventory, zones, findings, every renderer, with and without
//! secrets) on each, in child processes watched for hangs (timeout) and memory (RSS limit).
//!
//! ```text
//! cargo run --release --example mutate -- [--dir captures/public] [--per-capture 100]
//!     [--seed 1] [--timeout-ms 20000] [--rss-limit-mb 1024] [--out target/mutants]
//!     [--only SUBSTRING]
//! ```
//!
//! Prints one line per capture and a summary (variants, panics, hangs, over-RSS, max RSS,
//! time). Failing mutants are written to `--out` (with the kinds applied) for reproduction:
//! `cargo run --release -- analyze --format json <file>`. Exit code 1 when any failed.

mod mutants;

use mutants::{captures, mutant, peak_rss_kb, run_pipeline};
use otscope::config::Limits;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Opts {
    dir: PathBuf,
    per: u64,
    seed: u64,
    timeout: Duration,
    rss_limit_kb: u64,
    out: PathBuf,
    only: Option<String>,
}

fn parse() -> (Opts, Option<(usize, u64, u64)>) {
    let mut o = Opts {
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures/public"),
        per: 100,
        seed: 1,
        timeout: Duration::from_millis(20_000),
        rss_limit_kb: 1024 * 1024,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/mutants"),
        only: None,
    };
    let mut child = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    let val = |i: usize| -> String {
        args.get(i + 1).cloned().unwrap_or_else(|| {
            eprintln!("mutate: {} needs a value", args[i]);
            std::process::exit(2)
        })
    };
    while i < args.len() {
        match args[i].as_str() {
            "--dir" => o.dir = PathBuf::from(val(i)),
            "--per-capture" => o.per = val(i).parse().expect("number"),
            "--seed" => o.seed = val(i).parse().expect("number"),
            "--timeout-ms" => o.timeout = Duration::from_millis(val(i).parse().expect("number")),
            "--rss-limit-mb" => o.rss_limit_kb = val(i).parse::<u64>().expect("number") * 1024,
            "--out" => o.out = PathBuf::from(val(i)),
            "--only" => o.only = Some(val(i)),
            "--child" => {
                // --child CAPTURE_INDEX FROM TO
                let c = val(i).parse().expect("number");
                let from = args[i + 2].parse().expect("number");
                let to = args[i + 3].parse().expect("number");
                child = Some((c, from, to));
                i += 2;
            }
            "-h" | "--help" => {
                println!(
                    "{}",
                    include_str!("main.rs")
                        .lines()
                        .take(17)
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                std::process::exit(0)
            }
            a => {
                eprintln!("mutate: unknown argument {a}");
                std::process::exit(2)
            }
        }
        i += 2;
    }
    (o, child)
}

fn files(o: &Opts) -> Vec<PathBuf> {
    captures(&o.dir)
        .into_iter()
        .filter(|p| {
            o.only
                .as_ref()
                .is_none_or(|s| p.display().to_string().contains(s.as_str()))
        })
        .collect()
}

/// The capture a splice takes its tail from: the next one in the list.
fn other_of(all: &[PathBuf], c: usize) -> Vec<u8> {
    std::fs::read(&all[(c + 1) % all.len()]).unwrap_or_default()
}

/// Child: run mutants `from..to` of capture `c`, one line per event on stdout.
fn child(o: &Opts, c: usize, from: u64, to: u64) {
    let all = files(o);
    let orig = std::fs::read(&all[c]).expect("capture");
    let other = other_of(&all, c);
    let tmp = std::env::temp_dir().join(format!("otscope-mutant-{}.cap", std::process::id()));
    let limits = Limits::default();
    std::panic::set_hook(Box::new(|info| {
        eprintln!("PANIC {info}");
    }));
    let out = std::io::stdout();
    for i in from..to {
        let (bytes, _) = mutant(o.seed, c as u64, i, &orig, &other);
        std::fs::write(&tmp, &bytes).expect("temp file");
        let _ = writeln!(out.lock(), "start {i}");
        let t = Instant::now();
        let r = std::panic::catch_unwind(|| run_pipeline(&tmp, &limits));
        let ms = t.elapsed().as_millis();
        let mut l = out.lock();
        match r {
            Ok(oc) => {
                let _ = writeln!(
                    l,
                    "ok {i} {ms} {} {} {}",
                    oc.packets, oc.opened as u8, oc.stopped as u8
                );
            }
            Err(_) => {
                let _ = writeln!(l, "panic {i} {ms}");
            }
        }
        let _ = l.flush();
    }
    let _ = std::fs::remove_file(&tmp);
    let _ = writeln!(out.lock(), "done {}", peak_rss_kb());
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|x| x.parse().ok()))
        })
        .unwrap_or(0)
}

#[derive(Default)]
struct Tally {
    variants: u64,
    panics: u64,
    hangs: u64,
    over_rss: u64,
    opened: u64,
    stopped: u64,
    max_rss_kb: u64,
    max_ms: u128,
    failures: Vec<String>,
}

fn save(o: &Opts, all: &[PathBuf], c: usize, i: u64, what: &str) -> String {
    let orig = std::fs::read(&all[c]).unwrap_or_default();
    let (bytes, kinds) = mutant(o.seed, c as u64, i, &orig, &other_of(all, c));
    let _ = std::fs::create_dir_all(&o.out);
    let stem = all[c]
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let p = o.out.join(format!("{what}-{stem}-s{}-m{i}.pcap", o.seed));
    let _ = std::fs::write(&p, bytes);
    format!(
        "{what}: {} mutant {i} ({}) -> {}",
        all[c].display(),
        kinds.join("+"),
        p.display()
    )
}

/// Parent: run the mutants of one capture in child processes, restarting after a hang.
fn run_capture(o: &Opts, all: &[PathBuf], c: usize, t: &mut Tally) {
    let exe = std::env::current_exe().expect("own path");
    let mut next = 0u64;
    while next < o.per {
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--dir",
            &o.dir.display().to_string(),
            "--seed",
            &o.seed.to_string(),
        ]);
        if let Some(s) = &o.only {
            cmd.args(["--only", s]);
        }
        cmd.args([
            "--child",
            &c.to_string(),
            &next.to_string(),
            &o.per.to_string(),
        ]);
        let mut ch = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn child");
        let pid = ch.id();
        let (tx, rx) = mpsc::channel::<String>();
        let stdout = ch.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let stderr = ch.stderr.take().expect("stderr");
        let err_thread = std::thread::spawn(move || {
            let mut v = Vec::new();
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                if v.len() < 50 {
                    v.push(l);
                }
            }
            v
        });
        let mut current: Option<u64> = None;
        let mut started = Instant::now();
        let mut finished = false;
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => {
                    let f: Vec<&str> = line.split_whitespace().collect();
                    match f.first().copied() {
                        Some("start") => {
                            current = f.get(1).and_then(|x| x.parse().ok());
                            started = Instant::now();
                        }
                        Some("ok") => {
                            t.variants += 1;
                            let ms: u128 = f[2].parse().unwrap_or(0);
                            t.max_ms = t.max_ms.max(ms);
                            t.opened += f[4].parse::<u64>().unwrap_or(0);
                            t.stopped += f[5].parse::<u64>().unwrap_or(0);
                            next = f[1].parse::<u64>().unwrap_or(next) + 1;
                            current = None;
                        }
                        Some("panic") => {
                            t.variants += 1;
                            t.panics += 1;
                            let i: u64 = f[1].parse().unwrap_or(next);
                            t.failures.push(save(o, all, c, i, "panic"));
                            next = i + 1;
                            current = None;
                        }
                        Some("done") => {
                            t.max_rss_kb = t.max_rss_kb.max(f[1].parse().unwrap_or(0));
                            finished = true;
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            let rss = rss_kb(pid);
            t.max_rss_kb = t.max_rss_kb.max(rss);
            if let Some(i) = current {
                let over = rss > o.rss_limit_kb;
                if started.elapsed() > o.timeout || over {
                    let _ = ch.kill();
                    t.variants += 1;
                    if over {
                        t.over_rss += 1;
                        t.failures.push(save(o, all, c, i, "rss"));
                    } else {
                        t.hangs += 1;
                        t.failures.push(save(o, all, c, i, "hang"));
                    }
                    next = i + 1;
                    break;
                }
            }
        }
        let _ = ch.wait();
        let errs = err_thread.join().unwrap_or_default();
        for e in errs.iter().filter(|e| e.starts_with("PANIC")).take(3) {
            t.failures.push(format!("  {e}"));
        }
        if !finished && current.is_some() {
            // The child died in the middle of a mutant (abort, OOM kill): count it as a crash.
            let i = current.unwrap_or(next);
            t.variants += 1;
            t.panics += 1;
            t.failures.push(save(o, all, c, i, "crash"));
            next = i + 1;
        }
        if finished {
            break;
        }
    }
}

fn main() {
    let (o, ch) = parse();
    if let Some((c, from, to)) = ch {
        child(&o, c, from, to);
        return;
    }
    let all = files(&o);
    if all.is_empty() {
        eprintln!("mutate: no captures under {}", o.dir.display());
        std::process::exit(2);
    }
    let t0 = Instant::now();
    let mut total = Tally::default();
    for c in 0..all.len() {
        let mut t = Tally::default();
        let s = Instant::now();
        run_capture(&o, &all, c, &mut t);
        println!(
            "{:<70} variants {:>5} opened {:>5} stopped {:>5} panics {} hangs {} over-rss {} max-rss {} MiB slowest {} ms ({:.1} s)",
            all[c].strip_prefix(&o.dir).unwrap_or(&all[c]).display(),
            t.variants,
            t.opened,
            t.stopped,
            t.panics,
            t.hangs,
            t.over_rss,
            t.max_rss_kb / 1024,
            t.max_ms,
            s.elapsed().as_secs_f64()
        );
        for f in &t.failures {
            println!("  {f}");
        }
        total.variants += t.variants;
        total.panics += t.panics;
        total.hangs += t.hangs;
        total.over_rss += t.over_rss;
        total.opened += t.opened;
        total.stopped += t.stopped;
        total.max_rss_kb = total.max_rss_kb.max(t.max_rss_kb);
        total.max_ms = total.max_ms.max(t.max_ms);
        total.failures.extend(t.failures);
    }
    println!(
        "\nTOTAL captures {} variants {} (opened as captures {}, stopped early {}) panics {} hangs {} over-rss {} max-rss {} MiB slowest {} ms, {:.0} s (seed {}, {} per capture, timeout {} ms, rss limit {} MiB)",
        all.len(),
        total.variants,
        total.opened,
        total.stopped,
        total.panics,
        total.hangs,
        total.over_rss,
        total.max_rss_kb / 1024,
        total.max_ms,
        t0.elapsed().as_secs_f64(),
        o.seed,
        o.per,
        o.timeout.as_millis(),
        o.rss_limit_kb / 1024
    );
    if total.panics + total.hangs + total.over_rss > 0 {
        std::process::exit(1);
    }
    let _ = Path::new(".");
}
