//! `otscope live` on a real interface: two network namespaces joined by a veth pair
//! (`scripts/live-rig.sh`), captures from `captures/` replayed into one end with tcpreplay,
//! otscope capturing on the other. Traffic never leaves those namespaces.
//!
//! These tests need root, `ip netns` and tcpreplay (scripts/install-deps.sh); without them
//! they print a notice and pass (CI runs as root with them installed).

#![cfg(feature = "live")]

mod common;

use common::capture;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_otscope")
}

fn rig_script() -> PathBuf {
    common::root().join("scripts/live-rig.sh")
}

fn quiet_ok(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Why the rig cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        });
    if uid.as_deref() != Some("0") {
        return Some("not running as root".into());
    }
    if !quiet_ok(Command::new("ip").args(["netns", "list"])) {
        return Some("`ip netns` is not available".into());
    }
    if !quiet_ok(Command::new("tcpreplay").arg("--version")) {
        return Some("tcpreplay is not installed (scripts/install-deps.sh)".into());
    }
    None
}

macro_rules! need_rig {
    () => {
        if let Some(why) = unavailable() {
            eprintln!("notice: live netns test skipped: {why}");
            return;
        }
    };
}

/// A pair of namespaces; removed on drop.
struct Rig {
    name: String,
}

impl Rig {
    fn up(tag: &str) -> Rig {
        let name = format!("ot{}{tag}", std::process::id() % 100_000);
        let _ = Command::new(rig_script()).args(["down", &name]).status();
        let st = Command::new(rig_script())
            .args(["up", &name])
            .status()
            .unwrap();
        assert!(st.success(), "live-rig.sh up {name} failed");
        Rig { name }
    }

    fn iface(&self) -> String {
        format!("rx-{}", self.name)
    }

    /// Start `otscope live` on the capture end; returns once it is capturing.
    fn live(&self, args: &[&str]) -> Live {
        let mut child = Command::new(rig_script())
            .args(["exec", &self.name, bin(), "live", "-i", &self.iface()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        let lines = std::thread::spawn(move || {
            let mut all = String::new();
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if l.contains("capturing on") {
                    let _ = tx.send(());
                }
                all.push_str(&l);
                all.push('\n');
            }
            all
        });
        if rx.recv_timeout(Duration::from_secs(20)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("otscope live did not start: {}", lines.join().unwrap());
        }
        Live {
            child,
            stderr: Some(lines),
        }
    }

    fn replay(&self, file: &Path, opts: &[&str]) {
        let out = Command::new(rig_script())
            .args(["replay", &self.name])
            .arg(file)
            .args(opts)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tcpreplay failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = Command::new(rig_script())
            .args(["down", &self.name])
            .status();
    }
}

/// The otscope process (the rig script `exec`s into `ip netns exec`, which execs otscope, so
/// the child's pid is otscope's).
struct Live {
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Live {
    fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Wait for the exit (at most `secs`); returns (exit code, stderr).
    fn wait(mut self, secs: u64) -> (Option<i32>, String) {
        let t = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                let err = self.stderr.take().unwrap().join().unwrap();
                return (st.code(), err);
            }
            if t.elapsed() > Duration::from_secs(secs) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let err = self.stderr.take().unwrap().join().unwrap();
                panic!("otscope live did not stop within {secs} s: {err}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_json(p: &Path) -> Value {
    let s = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{} does not parse: {e}", p.display()))
}

fn offline(paths: &[PathBuf]) -> Value {
    let out = Command::new(bin())
        .args(["analyze", "--threads", "1", "--format", "json"])
        .args(paths)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The report without what legitimately differs between a file and its replay: timestamps
/// (replayed frames carry the time they were captured again), input paths and hashes, and
/// the live run's own `live` object.
fn normalised(r: &Value) -> Value {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| {
                        !matches!(
                            k.as_str(),
                            "ts" | "first_ts"
                                | "last_ts"
                                | "duration_s"
                                | "path"
                                | "sha256"
                                | "file_bytes"
                                | "tshark_commands"
                        )
                    })
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            v => v.clone(),
        }
    }
    let mut out = serde_json::Map::new();
    for k in ["assets", "conduits", "findings", "zones", "zone_matrix"] {
        out.insert(k.to_string(), strip(&r[k]));
    }
    out.insert("capture_quality".into(), strip(&r["capture_quality"]));
    Value::Object(out)
}

fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (p, q) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_difference(p, q, &format!("{path}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} != {b}")),
    }
}

fn ids(r: &Value, list: &str, key: &str) -> Vec<String> {
    let mut v: Vec<String> = r[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// Acceptance: the live report of a replayed capture equals the offline report of the same
/// capture (assets with identity, conduits, findings, zones, capture quality, and the evidence
/// frame numbers), and the saved pcapng files analysed offline give the live report exactly.
///
/// The captures are ones without idle gaps longer than the flow idle timeout: idle expiry
/// runs on capture time, and a replay at a fixed rate closes those gaps, so such a capture
/// legitimately gives other flow counts (`flows.expired_idle`, conduit `flows`) when replayed.
#[test]
fn live_report_equals_offline_report() {
    need_rig!();
    let rig = Rig::up("e");
    for rel in [
        "public/s7comm/cisagov__s7ident.pcap",
        "public/modbus/iti__modicon_test.pcap",
        "generated/enip-cpppo.pcap",
    ] {
        let file = capture(rel);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let saved = dir.path().join("pcap");
        let events = dir.path().join("events.ndjson");
        let live = rig.live(&[
            "--out",
            out.to_str().unwrap(),
            "--snapshot-every",
            "1s",
            "--save-pcap",
            saved.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
        ]);
        // 200 packets/s: 5 ms apart, wider than the SPAN de-duplication window (2 ms).
        rig.replay(&file, &["--pps", "200"]);
        live.signal("-INT");
        let (code, err) = live.wait(20);
        assert_eq!(code, Some(0), "{rel}: {err}");
        let got = read_json(&out.join("report.json"));
        let want = offline(std::slice::from_ref(&file));
        let n = want["capture_quality"]["frames"].as_u64().unwrap();
        assert_eq!(got["live"]["final"], true, "{rel}");
        assert_eq!(got["live"]["captured"].as_u64(), Some(n), "{rel}: {err}");
        assert_eq!(got["live"]["kernel_drops"], 0, "{rel}");
        assert_eq!(got["live"]["queue_shed_frames"], 0, "{rel}");
        assert!(!got["assets"].as_array().unwrap().is_empty(), "{rel}");
        let (g, w) = (normalised(&got), normalised(&want));
        if let Some(d) = first_difference(&g, &w, "") {
            panic!("{rel}: live and offline reports differ at {d}");
        }
        // Replayable evidence: the files otscope saved, analysed offline, give the same
        // report, paths, hashes and timestamps included.
        let files: Vec<PathBuf> = got["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| PathBuf::from(i["path"].as_str().unwrap()))
            .collect();
        assert!(files.iter().all(|p| p.starts_with(&saved)), "{files:?}");
        let again = offline(std::slice::from_ref(&saved));
        for k in [
            "inputs",
            "assets",
            "conduits",
            "findings",
            "capture_quality",
        ] {
            assert_eq!(got[k], again[k], "{rel}: saved pcapng, field {k}");
        }
        for f in got["findings"].as_array().unwrap() {
            for c in f["tshark_commands"].as_array().unwrap() {
                assert!(c.as_str().unwrap().contains(saved.to_str().unwrap()), "{c}");
            }
        }
        // Events: every asset and finding of the final report was announced once.
        let text = std::fs::read_to_string(&events).unwrap();
        let evs: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each event line is JSON"))
            .collect();
        let mut announced: Vec<String> = evs
            .iter()
            .filter(|e| e["event"] == "new_asset")
            .map(|e| e["ip"].as_str().unwrap().to_string())
            .collect();
        announced.sort();
        assert_eq!(announced, ids(&got, "assets", "ip"), "{rel}");
        let mut found: Vec<String> = evs
            .iter()
            .filter(|e| e["event"] == "new_finding")
            .map(|e| e["finding"]["id"].as_str().unwrap().to_string())
            .collect();
        found.sort();
        assert_eq!(found, ids(&got, "findings", "id"), "{rel}");
    }
}

/// `--save-max` keeps the saved files within their disk budget: the oldest are deleted when a
/// file is closed and marked `pruned` in the report; the others are on disk and hold the
/// frames the report says.
#[test]
fn save_max_prunes_the_oldest_saved_files() {
    need_rig!();
    let rig = Rig::up("m");
    let file = capture("public/modbus/iti__ModbusTCP.pcap");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let saved = dir.path().join("pcap");
    let live = rig.live(&[
        "--out",
        out.to_str().unwrap(),
        "--snapshot-every",
        "1h",
        "--save-pcap",
        saved.to_str().unwrap(),
        "--rotate",
        "64K",
        "--save-max",
        "192K",
    ]);
    rig.replay(&file, &["--pps", "20000"]);
    live.signal("-INT");
    let (code, err) = live.wait(20);
    assert_eq!(code, Some(0), "{err}");
    let got = read_json(&out.join("report.json"));
    let inputs = got["inputs"].as_array().unwrap();
    assert!(
        inputs.len() >= 6,
        "{} files for 1.4 MB in 64 KiB files",
        inputs.len()
    );
    let pruned: Vec<bool> = inputs.iter().map(|i| i["pruned"] == true).collect();
    // The oldest go first: the pruned files are a prefix, and the newest two stay.
    let kept = pruned.iter().filter(|p| !**p).count();
    assert!(
        pruned[..inputs.len() - kept].iter().all(|p| *p),
        "{pruned:?}"
    );
    assert!((2..=3).contains(&kept), "{pruned:?}");
    let mut on_disk = 0;
    for (i, p) in inputs.iter().zip(&pruned) {
        let path = PathBuf::from(i["path"].as_str().unwrap());
        assert_eq!(path.exists(), !p, "{}", path.display());
        on_disk += std::fs::metadata(&path).map_or(0, |m| m.len());
    }
    assert!(on_disk <= 192 << 10, "{on_disk} bytes on disk");
    assert_eq!(
        std::fs::read_dir(&saved).unwrap().count(),
        kept,
        "no other file in the directory"
    );
    let packets: u64 = inputs.iter().map(|i| i["packets"].as_u64().unwrap()).sum();
    assert_eq!(Some(packets), got["live"]["captured"].as_u64());
    // What is left replays to the frames the report gives for those files.
    let again = offline(std::slice::from_ref(&saved));
    let kept_packets: u64 = inputs
        .iter()
        .zip(&pruned)
        .filter(|(_, p)| !**p)
        .map(|(i, _)| i["packets"].as_u64().unwrap())
        .sum();
    assert_eq!(
        again["capture_quality"]["frames"].as_u64(),
        Some(kept_packets)
    );
}

/// Snapshots are atomic (a reader polling the file always parses it), SIGKILL leaves the
/// last snapshot whole, SIGTERM writes a final one; the live web view serves the JSON.
#[test]
fn snapshots_are_atomic_and_signals_write_the_last_one() {
    need_rig!();
    let rig = Rig::up("k");
    let file = capture("public/modbus/iti__ModbusTCP.pcap");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let port = 20_000 + (std::process::id() % 20_000) as u16;
    let serve = format!("127.0.0.1:{port}");
    let live = rig.live(&[
        "--out",
        out.to_str().unwrap(),
        "--snapshot-every",
        "200ms",
        "--serve",
        &serve,
    ]);
    let report = out.join("report.json");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (report, stop) = (report.clone(), stop.clone());
        std::thread::spawn(move || {
            let (mut reads, mut seen) = (0u32, std::collections::BTreeSet::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(s) = std::fs::read_to_string(&report) {
                    let v: Value = serde_json::from_str(&s)
                        .unwrap_or_else(|e| panic!("a reader saw a partial snapshot: {e}"));
                    seen.insert(v["live"]["snapshot"].as_u64().unwrap());
                    reads += 1;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            (reads, seen.len())
        })
    };
    // 15k frames at 5000 packets/s: 3 s of traffic, about 15 snapshots.
    let replay = {
        let (name, file) = (rig.name.clone(), file.clone());
        std::thread::spawn(move || {
            Command::new(rig_script())
                .args(["replay", &name])
                .arg(&file)
                .args(["--pps", "5000"])
                .output()
                .unwrap()
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    // The web view inside the capture namespace serves the same JSON.
    let web = Command::new(rig_script())
        .args(["exec", &rig.name, "curl", "-sf", "--max-time", "5"])
        .arg(format!("http://{serve}/report.json"))
        .output();
    if let Ok(w) = web {
        if w.status.code() != Some(127) {
            assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
            let v: Value = serde_json::from_slice(&w.stdout).unwrap();
            assert_eq!(v["schema_version"], 1);
            assert!(v["live"]["captured"].as_u64().unwrap() > 0);
        }
    }
    live.signal("-KILL");
    let (code, _) = live.wait(10);
    assert_eq!(code, None, "killed by a signal");
    let _ = replay.join();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (reads, distinct) = reader.join().unwrap();
    assert!(
        reads > 10 && distinct >= 3,
        "{reads} reads, {distinct} snapshots"
    );
    let last = read_json(&report);
    assert_eq!(last["live"]["final"], false);
    assert!(last["live"]["analysed"].as_u64().unwrap() > 0);
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        ["report.html", "report.json"],
        "only whole snapshots"
    );

    // SIGTERM: the capture stops, every flow is closed, the final snapshot is written.
    let live = rig.live(&["--out", out.to_str().unwrap(), "--snapshot-every", "1h"]);
    rig.replay(
        &capture("generated/modbus-pymodbus.pcap"),
        &["--pps", "500"],
    );
    live.signal("-TERM");
    let (code, err) = live.wait(20);
    assert_eq!(code, Some(0), "{err}");
    let fin = read_json(&report);
    assert_eq!(fin["live"]["final"], true);
    assert_eq!(fin["live"]["snapshot"], 2, "one at start, the final one");
    let n = offline(&[capture("generated/modbus-pymodbus.pcap")])["capture_quality"]["frames"]
        .as_u64()
        .unwrap();
    assert_eq!(fin["capture_quality"]["frames"].as_u64(), Some(n), "{err}");
    assert!(err.contains("0 shed"), "{err}");
    // The HTML snapshot is the report's own page (zone map, assets) under the capture counters.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("otscope live on"), "capture counters on top");
    assert!(html.contains("<svg"), "zone map");
    for a in fin["assets"].as_array().unwrap() {
        if let Some(ip) = a["ip"].as_str() {
            assert!(html.contains(ip), "asset {ip} in the HTML snapshot");
        }
    }
}

/// A missing interface is a usage error that names it (no root needed).
#[test]
fn missing_interface_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["live", "--interface", "otscope-nope0", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no such network interface") && err.contains("otscope-nope0"),
        "{err}"
    );
    // The web view listens on loopback unless told otherwise.
    let out = Command::new(bin())
        .args(["live", "-i", "lo", "--serve", "0.0.0.0:8080", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--serve-allow-remote"), "{err}");
}

/// Without the capture capabilities the error says so and shows the `setcap` command.
#[test]
fn missing_permission_is_a_clear_error() {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    if !root || !quiet_ok(Command::new("setpriv").arg("--version")) {
        eprintln!("notice: permission test skipped: needs root and setpriv to drop privileges");
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .args([
            bin(),
            "live",
            "-i",
            "lo",
            "--out",
            "/nonexistent/otscope-out",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("permission denied") && err.contains("\"lo\""),
        "{err}"
    );
    assert!(
        err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{err}"
    );
}
