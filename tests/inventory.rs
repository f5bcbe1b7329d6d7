//! Inventory fusion on traffic: router MACs, dual-homed hosts, conflicting identity claims.

mod common;

use common::*;

const ROUTER: [u8; 6] = [0x58, 0xac, 0x78, 0, 0, 1]; // Cisco OUI
const PLC: [u8; 6] = [0x00, 0x00, 0x54, 0x11, 0x22, 0x33]; // Schneider OUI
const PC: [u8; 6] = [0x18, 0x66, 0xda, 0x44, 0x55, 0x66]; // Dell OUI
const MOXA: [u8; 6] = [0x00, 0x90, 0xe8, 0x01, 0x02, 0x03]; // Moxa OUI

fn asset<'a>(r: &'a serde_json::Value, ip: &str) -> &'a serde_json::Value {
    r["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["ip"] == ip)
        .unwrap_or_else(|| panic!("no asset {ip}"))
}

/// Modbus read holding registers request and response (unit 1, 1 register).
const MB_REQ: &[u8] = &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
const MB_RESP: &[u8] = &[0, 1, 0, 0, 0, 5, 1, 3, 2, 0, 42];

#[test]
fn hosts_behind_a_router_do_not_inherit_its_vendor() {
    // Three remote clients reach the PLC through the router: their frames carry the router's MAC.
    let mut frames = Vec::new();
    for (i, c) in [[10, 1, 0, 5], [10, 2, 0, 6], [172, 16, 0, 7]]
        .iter()
        .enumerate()
    {
        frames.extend(tcp_session(
            1_000_000 * (i as u64 + 1),
            ROUTER,
            PLC,
            *c,
            [192, 168, 20, 10],
            40000 + i as u16,
            502,
            MB_REQ,
            MB_RESP,
        ));
    }
    let cap = write_pcap(&frames);
    let r = report_json(&[cap.path().to_path_buf()], None);
    for c in ["10.1.0.5", "10.2.0.6", "172.16.0.7"] {
        let a = asset(&r, c);
        assert_eq!(a["macs"].as_array().unwrap().len(), 0, "{a}");
        assert!(a["mac_vendor"].is_null());
        assert_eq!(a["gateway_macs"][0], "58:ac:78:00:00:01");
        assert!(
            a["identity"]["vendor"].is_null(),
            "no vendor from the router's OUI: {a}"
        );
    }
    let plc = asset(&r, "192.168.20.10");
    assert_eq!(plc["macs"][0], "00:00:54:11:22:33");
    assert_eq!(plc["mac_vendor"], "Schneider Electric");
    assert_eq!(plc["services"][0]["protocol"], "modbus");
}

#[test]
fn a_dual_homed_host_keeps_its_mac_on_both_addresses_and_is_flagged() {
    // One PC (one MAC) talks from two private addresses on two subnets to the PLC.
    let mut frames = tcp_session(
        1_000_000,
        PC,
        PLC,
        [192, 168, 10, 5],
        [192, 168, 20, 10],
        40000,
        502,
        MB_REQ,
        MB_RESP,
    );
    frames.extend(tcp_session(
        2_000_000,
        PC,
        PLC,
        [192, 168, 30, 5],
        [192, 168, 20, 10],
        40001,
        502,
        MB_REQ,
        MB_RESP,
    ));
    let cap = write_pcap(&frames);
    let r = report_json(&[cap.path().to_path_buf()], None);
    for (me, other) in [
        ("192.168.10.5", "192.168.30.5"),
        ("192.168.30.5", "192.168.10.5"),
    ] {
        let a = asset(&r, me);
        assert_eq!(a["macs"][0], "18:66:da:44:55:66");
        assert_eq!(a["mac_vendor"], "Dell Inc.");
        let notes: Vec<&str> = a["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(
            notes
                .iter()
                .any(|n| n.contains("dual-homed") && n.contains(other)),
            "{notes:?}"
        );
    }
}

#[test]
fn conflicting_claims_are_kept_and_shown() {
    // A Moxa-OUI device answers Modbus 43/14 as a Schneider PLC: a protocol gateway.
    let req = [0, 2, 0, 0, 0, 5, 1, 0x2b, 0x0e, 1, 0];
    let mut resp = vec![0, 2, 0, 0, 0, 0, 1, 0x2b, 0x0e, 1, 1, 0, 0, 2];
    for (id, v) in [(0u8, &b"Schneider Electric"[..]), (1, b"BMX P34 2020")] {
        resp.extend_from_slice(&[id, v.len() as u8]);
        resp.extend_from_slice(v);
    }
    let len = (resp.len() - 6) as u16;
    resp[4..6].copy_from_slice(&len.to_be_bytes());
    let mut frames = tcp_session(
        1_000_000,
        PC,
        MOXA,
        [192, 168, 10, 5],
        [192, 168, 20, 11],
        40000,
        502,
        &req,
        &resp,
    );
    frames.extend(tcp_session(
        2_000_000,
        PC,
        MOXA,
        [192, 168, 10, 5],
        [192, 168, 20, 11],
        40001,
        502,
        MB_REQ,
        MB_RESP,
    ));
    let cap = write_pcap(&frames);
    let r = report_json(&[cap.path().to_path_buf()], None);
    let a = asset(&r, "192.168.20.11");
    assert_eq!(
        a["identity"]["vendor"], "Schneider Electric",
        "the device's own answer wins over the OUI"
    );
    assert!(
        a["mac_vendor"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("moxa"),
        "{a}"
    );
    let conflicts = a["identity"]["conflicts"].as_array().unwrap();
    assert!(
        conflicts
            .iter()
            .any(|c| c.as_str().unwrap().contains("Moxa")),
        "{conflicts:?}"
    );
    assert!(
        a["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("gateway"))
    );
    // every identity value is backed by provenance with frames
    for p in a["identity"]["provenance"].as_array().unwrap() {
        assert!(!p["frames"].as_array().unwrap().is_empty(), "{p}");
    }
}
