//! Run configuration and the resource bounds every stage honours.
//!
//! Every table or buffer that grows with the input has its bound here, named, so that hitting it
//! can be counted in `capture_quality.bounds_hit` under the same name.

use std::path::PathBuf;

/// Hard bounds. Hitting one is counted and reported, never a panic or unbounded growth.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Concurrent flows per worker (TCP/UDP/other-IP conversations). Oldest idle flows are
    /// evicted into conduit summaries when the table is full.
    pub max_flows: usize,
    /// Seconds without a packet after which a flow is closed (TCP after FIN/RST: `tcp_closed_timeout`).
    pub flow_idle_timeout_s: u64,
    /// Seconds a TCP flow lingers after FIN/RST before it is closed.
    pub tcp_closed_timeout_s: u64,
    /// Bytes of out-of-order TCP data buffered per direction.
    pub max_ooo_bytes_per_dir: usize,
    /// Out-of-order TCP segments buffered per direction.
    pub max_ooo_segments_per_dir: usize,
    /// Bytes a dissector may leave unconsumed (a partial PDU) per direction. Larger PDUs are
    /// skipped with a `pdu_too_large` anomaly.
    pub max_pdu_bytes: usize,
    /// Open (unanswered) transactions per flow kept by request/response matching.
    pub max_open_transactions: usize,
    /// Concurrent IP datagrams under fragment reassembly.
    pub max_frag_datagrams: usize,
    /// Total bytes held by fragment reassembly.
    pub max_frag_bytes: usize,
    /// Seconds an incomplete fragmented datagram is kept.
    pub frag_timeout_s: u64,
    /// Distinct (client, server, transport, port, protocol) conversation summaries.
    pub max_conversations: usize,
    /// Distinct hosts (IP addresses) tracked.
    pub max_hosts: usize,
    /// Distinct observations (identity claims, operations, authentications) kept.
    pub max_observations: usize,
    /// Frame numbers kept as evidence per observation (the count is always exact).
    pub max_evidence_frames: usize,
    /// VLAN tags decoded in one frame before it is counted as malformed.
    pub max_vlan_tags: usize,
    /// IPv6 extension headers walked before the packet is counted as malformed.
    pub max_ipv6_ext_headers: usize,
    /// Largest capture record accepted (bytes); a bigger length means a corrupt file.
    pub max_record_bytes: usize,
    /// Two copies of one packet (SPAN ingress + egress) within this window count once.
    pub duplicate_window_us: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: 1_000_000,
            flow_idle_timeout_s: 600,
            tcp_closed_timeout_s: 30,
            max_ooo_bytes_per_dir: 256 * 1024,
            max_ooo_segments_per_dir: 64,
            max_pdu_bytes: 256 * 1024,
            max_open_transactions: 256,
            max_frag_datagrams: 4096,
            max_frag_bytes: 16 * 1024 * 1024,
            frag_timeout_s: 30,
            max_conversations: 2_000_000,
            max_hosts: 1_000_000,
            max_observations: 2_000_000,
            max_evidence_frames: 8,
            max_vlan_tags: 4,
            max_ipv6_ext_headers: 8,
            max_record_bytes: 512 * 1024,
            duplicate_window_us: 2_000,
        }
    }
}

/// Output formats of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Html,
    Csv,
    Markdown,
    Sarif,
}

/// Everything `otscope::run` needs; built by `cli.rs` from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    pub inputs: Vec<PathBuf>,
    pub zones: Option<PathBuf>,
    pub signatures: Option<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    /// Also write the three CSV files into this directory (`--csv-dir`).
    pub csv_dir: Option<PathBuf>,
    pub threads: usize,
    pub show_secrets: bool,
    pub quiet: bool,
    /// Exit with code 1 when a finding is at or above this severity.
    pub fail_on: Option<crate::zones::Severity>,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            inputs: Vec::new(),
            zones: None,
            signatures: None,
            format: Format::Json,
            output: None,
            csv_dir: None,
            threads: 1,
            show_secrets: false,
            quiet: true,
            fail_on: None,
            limits: Limits::default(),
        }
    }
}
