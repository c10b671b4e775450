//! hwbench: characterize a machine's memory tiers, GPU throughput and energy
//! per operation, and compare machines. This binary is glue: it parses the
//! command line, calls the libraries, and is the one error boundary.

mod cli;
mod commands;
mod exit;
mod interrupt;
mod measure;
mod plan;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(exit::BAD_INPUT),
            };
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            // One line: the outermost context and its causes, joined.
            eprintln!("hwbench: error: {}", one_line(&e));
            ExitCode::from(exit::code_of(&e))
        }
    }
}

/// Joins an error chain into a single line; a cause its parent already
/// printed at its end (`cannot write F: No space left`) is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        if line.is_empty() {
            line = text;
        } else if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}
