//! `hwbench sensors`: which meters and counters work.
// Placeholder until the reports crate lands (issue 6); never committed as done.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

/// Arguments of `hwbench report`.
#[derive(Debug, Args)]
pub struct SensorsArgs {
    /// Result documents or directories (searched recursively).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the report.
pub fn run(_args: &SensorsArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("sensors: not built yet")
}
