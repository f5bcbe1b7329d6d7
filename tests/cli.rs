//! The command line as users and scripts meet it: exit codes, messages, bad inputs.

mod common;

use assert_cmd::Command;
use common::capture;
use std::io::Write;

fn otscope() -> Command {
    Command::cargo_bin("otscope").unwrap()
}

fn stdout_json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn analyze_writes_json_when_piped() {
    let out = otscope()
        .args(["analyze"])
        .arg(capture("public/modbus/cisagov__modbus_example.pcap"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = stdout_json(&out);
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["inputs"][0]["packets"], 100);
    assert!(j["assets"].as_array().unwrap().len() >= 2);
}

#[test]
fn table_format_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("r.txt");
    otscope()
        .args(["analyze", "--format", "table", "-o"])
        .arg(&o)
        .arg(capture("public/s7comm/cisagov__s7ident.pcap"))
        .assert()
        .success();
    let t = std::fs::read_to_string(&o).unwrap();
    assert!(t.contains("Assets"), "{t}");
    assert!(t.contains("172.17.0.2"), "{t}");
}

#[test]
fn a_file_that_is_not_a_capture_is_exit_2_and_one_line_and_the_rest_is_analysed() {
    let mut bad = tempfile::NamedTempFile::new().unwrap();
    bad.write_all(b"<html>this is not a capture</html>")
        .unwrap();
    let out = otscope()
        .args(["analyze", "--format", "json"])
        .arg(bad.path())
        .arg(capture("public/modbus/zeek__modbusSmall.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains(bad.path().to_str().unwrap())
            && lines[0].contains("neither a pcap nor a pcapng"),
        "{err}"
    );
    let j = stdout_json(&out);
    assert_eq!(j["inputs"].as_array().unwrap().len(), 1);
    assert_eq!(j["input_errors"][0]["path"], bad.path().to_str().unwrap());
}

#[test]
fn empty_file_zero_packets_and_empty_directory() {
    let empty = tempfile::NamedTempFile::new().unwrap();
    let out = otscope()
        .args(["analyze"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty file"));

    // a device (or a pipe) is refused by name, not mistaken for an empty file
    let out = otscope().args(["analyze", "/dev/null"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/dev/null: not a regular file"), "{err}");

    // a valid pcap header and no packets: analysed, zero packets, exit 0
    let mut zero = tempfile::NamedTempFile::new().unwrap();
    zero.write_all(&[
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ])
    .unwrap();
    let out = otscope()
        .args(["analyze", "--format", "json"])
        .arg(zero.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no packets"));
    assert_eq!(stdout_json(&out)["summary"]["packets"], 0);

    let dir = tempfile::tempdir().unwrap();
    let out = otscope()
        .args(["analyze"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no capture files"));

    let out = otscope()
        .args(["analyze", "/nonexistent/none.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
}

#[test]
fn capture_cut_short_is_analysed_up_to_the_cut_with_exit_0() {
    let src = std::fs::read(capture("public/modbus/iti__modbus_test_data_part1.pcap")).unwrap();
    let mut cut = tempfile::NamedTempFile::new().unwrap();
    cut.write_all(&src[..src.len() - 30]).unwrap();
    let out = otscope()
        .args(["analyze", "--format", "json"])
        .arg(cut.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stopped after frame 117") && err.contains("cut short"),
        "{err}"
    );
    let j = stdout_json(&out);
    assert_eq!(j["inputs"][0]["packets"], 117);
    assert_eq!(j["inputs"][0]["stopped"]["after_frame"], 117);
    assert_eq!(j["capture_quality"]["inputs_stopped"], 1);
}

#[test]
fn usage_errors_are_exit_2() {
    otscope().assert().code(2);
    otscope().args(["analyze"]).assert().code(2);
    otscope()
        .args(["analyze", "--format", "pdf", "x.pcap"])
        .assert()
        .code(2);
    otscope().args(["--version"]).assert().code(0);
}

#[test]
fn zones_file_errors_name_file_line_and_key_and_nothing_is_analysed() {
    let mut z = tempfile::NamedTempFile::new().unwrap();
    z.write_all(b"[[zone]]\nname = \"cell\"\nlevel = 1\ncidrs = [\"192.168.20.0/33\"]\n")
        .unwrap();
    let out = otscope()
        .args(["analyze", "--zones"])
        .arg(z.path())
        .arg(capture("public/modbus/zeek__modbusSmall.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:4: zone.cidrs", z.path().display())),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report with a half-read policy");
}

#[test]
fn csv_dir_writes_three_tables_beside_the_main_report() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("csv");
    let json = dir.path().join("report.json");
    let out = otscope()
        .args(["analyze", "--format", "json", "-o"])
        .arg(&json)
        .arg("--csv-dir")
        .arg(&csv)
        .arg(capture("public/modbus/cisagov__modbus_example.pcap"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let assets = std::fs::read_to_string(csv.join("assets.csv")).unwrap();
    let mut lines = assets.lines();
    assert!(lines.next().unwrap().starts_with("ip,"), "header row first");
    // One row per asset of the JSON report, in the same order.
    let ips: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    let want: Vec<&str> = j["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ip"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ips, want);
    for f in ["conduits.csv", "findings.csv"] {
        let t = std::fs::read_to_string(csv.join(f)).unwrap();
        assert!(t.lines().count() >= 1, "{f} has at least its header");
    }
    // A directory that cannot be made is an error (exit 2), not a silent skip.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let out = otscope()
        .args(["analyze", "--format", "json", "--csv-dir"])
        .arg(&blocker)
        .arg(capture("public/modbus/cisagov__modbus_example.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CSV"));
}

/// `otscope analyze ... | head -1`: the reader goes away early. That is not an error and never
/// a panic: otscope stops writing and exits with the code the analysis earned.
#[test]
fn a_reader_that_closes_the_pipe_early_is_not_an_error() {
    use std::process::{Command as Std, Stdio};
    let mut child = Std::new(env!("CARGO_BIN_EXE_otscope"))
        .args(["analyze", "--format", "json"])
        .arg(capture("public/modbus/cisagov__modbus_example.pcap"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");

    // Both streams into one pipe that closes at once (`2>&1 | head -1`), with a directory that
    // makes otscope warn on standard error (files that are not captures are skipped).
    let mut child = Std::new(env!("CARGO_BIN_EXE_otscope"))
        .args(["analyze", "--format", "json"])
        .arg(capture("demo"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "no panic (101), no error (2)");
}
