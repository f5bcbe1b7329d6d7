//! The command line (clap derive). The only module that knows clap.

use clap::{Parser, Subcommand, ValueEnum};
use otscope::config::{Config, Format, Limits};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "otscope", version, about = "Passive OT network segmentation and exposure scanner", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Analyse capture files (pcap, pcapng, .gz) or directories of them.
    Analyze(AnalyzeArgs),
    /// Zones: infer a draft zones.toml from captures.
    #[command(subcommand)]
    Zones(ZonesCmd),
    /// Signatures: validate a signature directory.
    #[command(subcommand)]
    Signatures(SignaturesCmd),
    /// Capture from an interface (SPAN/mirror port, TAP) and keep a live report.
    #[cfg(feature = "live")]
    Live(live::LiveArgs),
    /// What changed between two JSON reports (assets, identities, conduits, findings).
    Diff(DiffArgs),
    /// Merge JSON reports of several sensors or sites into one report.
    Merge(MergeArgs),
}

#[derive(Subcommand, Debug)]
pub enum ZonesCmd {
    /// Write a draft zones.toml (one zone per VLAN or /24, levels from the roles seen).
    Infer {
        /// Capture files or directories.
        #[arg(required = true, value_name = "CAPTURE|DIR")]
        inputs: Vec<PathBuf>,
        /// Write the draft here instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SignaturesCmd {
    /// Validate the built-in signatures and, if given, a directory on top of them.
    Check {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The older JSON report.
    pub old: PathBuf,
    /// The newer JSON report.
    pub new: PathBuf,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    pub format: Option<DiffFormat>,
    /// Exit with code 1 when a new finding (or a raised severity) is at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = ["info", "low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// JSON reports; each sensor is named after its file (stem), or NAME=FILE.
    #[arg(required = true, value_name = "[NAME=]REPORT.json")]
    pub reports: Vec<String>,
    /// Write the merged report here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Html,
    Csv,
    Markdown,
    Sarif,
}

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// Capture files or directories (merged into one report in timestamp order).
    #[arg(required = true, value_name = "CAPTURE|DIR")]
    pub inputs: Vec<PathBuf>,
    /// Zones and conduits policy (zones.toml). Without it, zones are inferred.
    #[arg(long, value_name = "FILE")]
    pub zones: Option<PathBuf>,
    /// Extra signature directory on top of the built-in signatures.
    #[arg(long, value_name = "DIR")]
    pub signatures: Option<PathBuf>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write the report here instead of standard output (with --format csv: a directory).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write assets.csv, conduits.csv and findings.csv into this directory.
    #[arg(long, value_name = "DIR")]
    pub csv_dir: Option<PathBuf>,
    /// Exit with code 1 when a finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = ["info", "low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,
    /// Show passwords and community strings in the report (redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress display on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    /// Maximum concurrent flows per worker.
    #[arg(long, default_value_t = Limits::default().max_flows)]
    pub max_flows: usize,
}

impl AnalyzeArgs {
    pub fn into_config(self) -> Config {
        let format = match self.format {
            Some(FormatArg::Table) => Format::Table,
            Some(FormatArg::Json) => Format::Json,
            Some(FormatArg::Html) => Format::Html,
            Some(FormatArg::Csv) => Format::Csv,
            Some(FormatArg::Markdown) => Format::Markdown,
            Some(FormatArg::Sarif) => Format::Sarif,
            None if self.output.is_none() && std::io::stdout().is_terminal() => Format::Table,
            None => Format::Json,
        };
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        Config {
            inputs: self.inputs,
            zones: self.zones,
            signatures: self.signatures,
            format,
            output: self.output,
            csv_dir: self.csv_dir,
            threads,
            show_secrets: self.show_secrets,
            fail_on: self
                .fail_on
                .as_deref()
                .and_then(otscope::zones::Severity::parse),
            limits: Limits {
                max_flows: self.max_flows,
                ..Limits::default()
            },
            ..Config::default()
        }
    }
}

/// `otscope live`: its arguments and their conversion (self-contained).
#[cfg(feature = "live")]
pub mod live {
    use super::FormatArg;
    use otscope::config::{Format, Limits};
    use otscope::live::{EventsTo, LiveConfig};
    use std::net::SocketAddr;
    use std::path::PathBuf;
    use std::time::Duration;

    #[derive(clap::Args, Debug)]
    pub struct LiveArgs {
        /// Network interface to capture on (a SPAN/mirror port or a TAP; `any` for all).
        #[arg(short = 'i', long, value_name = "IF")]
        pub interface: String,
        /// Capture filter (BPF, tcpdump syntax), applied in the kernel.
        #[arg(long, value_name = "EXPR")]
        pub bpf: Option<String>,
        /// Zones and conduits policy (zones.toml). Without it, zones are inferred.
        #[arg(long, value_name = "FILE")]
        pub zones: Option<PathBuf>,
        /// Extra signature directory on top of the built-in signatures.
        #[arg(long, value_name = "DIR")]
        pub signatures: Option<PathBuf>,
        /// Directory the snapshots (report.json, report.html, ...) are written to.
        #[arg(long, value_name = "DIR", default_value = ".")]
        pub out: PathBuf,
        /// Snapshot formats, comma-separated (json, html, table, markdown, sarif, csv).
        #[arg(long, value_enum, value_delimiter = ',', default_values = ["json", "html"])]
        pub format: Vec<FormatArg>,
        /// Interval between snapshots (e.g. 30s, 5m, 1h).
        #[arg(long, value_name = "INTERVAL", default_value = "60s", value_parser = parse_duration)]
        pub snapshot_every: Duration,
        /// Stop after this long (e.g. 10m, 8h, 7d); default: until SIGINT/SIGTERM.
        #[arg(long, value_name = "D", value_parser = parse_duration)]
        pub duration: Option<Duration>,
        /// Keep the analysed frames in rotating pcapng files in DIR; evidence then names them.
        #[arg(long, value_name = "DIR")]
        pub save_pcap: Option<PathBuf>,
        /// Size at which a saved pcapng file is closed and the next one begun (e.g. 100M, 1G).
        #[arg(long, value_name = "SIZE", default_value = "100M", value_parser = parse_size)]
        pub rotate: u64,
        /// Disk budget of the saved files (e.g. 50G): the oldest are deleted when a file is
        /// closed, and marked `pruned` in the report. At least twice --rotate.
        #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "save_pcap")]
        pub save_max: Option<u64>,
        /// Serve a local web view of the live report (HTML at /, JSON at /report.json).
        #[arg(long, value_name = "ADDR")]
        pub serve: Option<SocketAddr>,
        /// Allow --serve on an address other than loopback (the view has no authentication).
        #[arg(long)]
        pub serve_allow_remote: bool,
        /// Append newline-delimited JSON events (new asset, identity change, new conduit,
        /// new finding, capture loss) to FILE, or `-` for standard output.
        #[arg(long, value_name = "FILE|-")]
        pub events: Option<String>,
        /// Kernel capture buffer (ring) size, e.g. 128M.
        #[arg(long, value_name = "SIZE", default_value = "128M", value_parser = parse_size)]
        pub buffer_size: u64,
        /// Bytes captured per packet.
        #[arg(long, default_value_t = 262_144)]
        pub snaplen: u32,
        /// Do not put the interface in promiscuous mode.
        #[arg(long)]
        pub no_promisc: bool,
        /// Show passwords and community strings in the report (redacted by default).
        #[arg(long)]
        pub show_secrets: bool,
        /// Maximum concurrent flows.
        #[arg(long, default_value_t = Limits::default().max_flows)]
        pub max_flows: usize,
        /// Idle time after which a flow is closed into its conduit summary (e.g. 10m).
        #[arg(long, value_name = "D", value_parser = parse_duration)]
        pub flow_idle_timeout: Option<Duration>,
        /// No progress lines on standard error.
        #[arg(short, long)]
        pub quiet: bool,
    }

    /// `500ms`, `30s`, `5m`, `2h`, `7d`, or a number of seconds.
    pub fn parse_duration(s: &str) -> Result<Duration, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let v: f64 = num
            .parse()
            .map_err(|_| format!("{s:?}: expected a duration like 30s, 5m, 1h"))?;
        let mul = match unit.trim() {
            "ms" => 0.001,
            "" | "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            u => return Err(format!("{s:?}: unknown unit {u:?} (ms, s, m, h, d)")),
        };
        let secs = v * mul;
        if !secs.is_finite() || secs <= 0.0 || secs > 100.0 * 365.0 * 86_400.0 {
            return Err(format!("{s:?}: out of range"));
        }
        Ok(Duration::from_secs_f64(secs))
    }

    /// `1048576`, `64K`, `100M`, `1G` (powers of 1024).
    pub fn parse_size(s: &str) -> Result<u64, String> {
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let v: u64 = num
            .parse()
            .map_err(|_| format!("{s:?}: expected a size like 64K, 100M, 1G"))?;
        let mul: u64 = match unit
            .trim()
            .to_ascii_uppercase()
            .trim_end_matches("IB")
            .trim_end_matches('B')
        {
            "" => 1,
            "K" => 1 << 10,
            "M" => 1 << 20,
            "G" => 1 << 30,
            "T" => 1 << 40,
            u => return Err(format!("{s:?}: unknown unit {u:?} (K, M, G)")),
        };
        v.checked_mul(mul)
            .filter(|&b| b > 0)
            .ok_or_else(|| format!("{s:?}: out of range"))
    }

    impl LiveArgs {
        pub fn into_config(self) -> LiveConfig {
            let mut c = LiveConfig::new(&self.interface);
            c.capture.bpf = self.bpf;
            c.capture.snaplen = self.snaplen.max(64);
            c.capture.buffer_bytes = self.buffer_size.min(i32::MAX as u64) as usize;
            c.capture.promisc = !self.no_promisc;
            c.zones = self.zones;
            c.signatures = self.signatures;
            c.out = self.out;
            let mut formats: Vec<Format> = Vec::new();
            for f in self.format {
                let f = match f {
                    FormatArg::Table => Format::Table,
                    FormatArg::Json => Format::Json,
                    FormatArg::Html => Format::Html,
                    FormatArg::Csv => Format::Csv,
                    FormatArg::Markdown => Format::Markdown,
                    FormatArg::Sarif => Format::Sarif,
                };
                if !formats.contains(&f) {
                    formats.push(f);
                }
            }
            c.formats = formats;
            c.snapshot_every = self.snapshot_every;
            c.duration = self.duration;
            c.save_pcap = self.save_pcap;
            c.rotate_bytes = self.rotate;
            c.save_max_bytes = self.save_max;
            c.serve = self.serve;
            c.serve_allow_remote = self.serve_allow_remote;
            c.events = self.events.map(|e| {
                if e == "-" {
                    EventsTo::Stdout
                } else {
                    EventsTo::File(PathBuf::from(e))
                }
            });
            c.show_secrets = self.show_secrets;
            c.limits.max_flows = self.max_flows;
            if let Some(d) = self.flow_idle_timeout {
                c.limits.flow_idle_timeout_s = d.as_secs().max(1);
            }
            c.quiet = self.quiet;
            c
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn durations_and_sizes() {
            assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
            assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
            assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
            assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
            assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
            assert!(parse_duration("0s").is_err());
            assert!(parse_duration("5 weeks").is_err());
            assert_eq!(parse_size("100M"), Ok(100 << 20));
            assert_eq!(parse_size("1GiB"), Ok(1 << 30));
            assert_eq!(parse_size("4096"), Ok(4096));
            assert!(parse_size("0").is_err());
            assert!(parse_size("12Q").is_err());
        }
    }
}
