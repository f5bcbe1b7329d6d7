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
    /// Write the report here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with code 1 when a finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = ["info", "low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,
    /// Show passwords and community strings in the report (redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
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
