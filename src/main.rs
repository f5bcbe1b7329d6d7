//! `otscope` binary: parse the command line, run, exit with the documented code.

#![forbid(unsafe_code)]

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                otscope::exit::ERROR
            } else {
                otscope::exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.cmd {
        cli::Cmd::Analyze(args) => otscope::run(&args.into_config()),
        cli::Cmd::Zones(cli::ZonesCmd::Infer { inputs, output }) => {
            otscope::zones_infer(&inputs, output.as_deref())
        }
        cli::Cmd::Signatures(cli::SignaturesCmd::Check { dir }) => {
            otscope::signatures_check(dir.as_deref())
        }
        #[cfg(feature = "live")]
        cli::Cmd::Live(args) => otscope::live::run(args.into_config()),
        cli::Cmd::Diff(a) => {
            use std::io::IsTerminal;
            let json = match a.format {
                Some(cli::DiffFormat::Json) => true,
                Some(cli::DiffFormat::Table) => false,
                None => !std::io::stdout().is_terminal(),
            };
            let fail_on = a
                .fail_on
                .as_deref()
                .and_then(otscope::zones::Severity::parse);
            otscope::run_diff(&a.old, &a.new, json, fail_on)
        }
        cli::Cmd::Merge(a) => otscope::run_merge(&a.reports, a.output.as_deref()),
    };
    ExitCode::from(code)
}
