//! Regression tests, one per bug found by the robustness work (fuzzing, mutation runs,
//! adversarial traffic), named after the bug. Each failed before its fix.

mod robust_support;

use otscope::capture::LinkType;
use otscope::config::Limits;
use robust_support::harness;
use robust_support::netgen::{self, Rec, V4};
use std::net::Ipv4Addr;
use std::process::Command;

/// `Hosts::macs` (MAC → IPs it fronted) had no bound: one IP sending from forged source MACs
/// (or gratuitous ARP from as many MACs) grew it by one entry per frame, whatever
/// `max_hosts` said. Now MACs are bounded by `max_hosts` and the excess is counted.
#[test]
fn mac_table_grew_without_bound_under_a_source_mac_flood() {
    let l = Limits {
        max_hosts: 50,
        ..Limits::default()
    };
    let u = netgen::udp(40000, 9999, b"x");
    let ip = netgen::ipv4(
        &V4::new(Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 1), 17),
        &u,
    );
    let mut recs = Vec::new();
    for i in 0..2000u32 {
        let f = netgen::ethernet(
            netgen::mac(0x100 + i),
            netgen::mac(1),
            &[],
            netgen::ETH_IPV4,
            &ip,
        );
        recs.push(Rec::new(
            1_700_000_000_000_000_000 + i as u64 * 3_000_000,
            f,
        ));
        let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 2];
        arp.extend_from_slice(&netgen::mac(0x90_0000 + i));
        arp.extend_from_slice(&[10, 0, 0, 3]);
        arp.extend_from_slice(&netgen::mac(1));
        arp.extend_from_slice(&[10, 0, 0, 1]);
        let f = netgen::ethernet(netgen::mac(0x90_0000 + i), [0xff; 6], &[], 0x0806, &arp);
        recs.push(Rec::new(
            1_700_000_000_000_000_000 + i as u64 * 3_000_000 + 1,
            f,
        ));
    }
    let a = harness::run_engine(LinkType::Ethernet, &recs, &l);
    assert!(
        a.hosts.macs.len() <= l.max_hosts,
        "{} MACs",
        a.hosts.macs.len()
    );
    assert!(a.hosts.dropped > 0, "shed MACs are counted");
    let q = otscope::report::capture_quality(&a);
    assert!(q.bounds_hit.get("max_hosts").copied().unwrap_or(0) > 0);
}

fn telnet_capture() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures/public/it-ftp/zeek__ftp-password-pass-command.pcap")
}

/// `otscope analyze --show-secrets` was parsed but never reached the configuration
/// (`AnalyzeArgs::into_config` left the default), so secrets could not be shown at all.
#[test]
fn show_secrets_flag_was_ignored_by_the_command_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_otscope"))
        .args(["analyze", "--format", "json", "--show-secrets"])
        .arg(telnet_capture())
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("qwerty"),
        "the FTP password is shown with --show-secrets"
    );
}

/// `--fail-on SEVERITY` was parsed but never reached the configuration: the exit code was 0
/// whatever the findings.
#[test]
fn fail_on_flag_was_ignored_by_the_command_line() {
    let run = |sev: &str| {
        Command::new(env!("CARGO_BIN_EXE_otscope"))
            .args(["analyze", "--format", "json", "--fail-on", sev])
            .arg(telnet_capture())
            .output()
            .unwrap()
            .status
            .code()
    };
    // Cleartext FTP credentials are a high finding.
    assert_eq!(run("info"), Some(1));
    assert_eq!(run("critical"), Some(0));
}
