//! `hwbench compare`: statistical comparison of two runs.
// Placeholder until the reports crate lands (issue 7); never committed as done.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

/// Arguments of `hwbench report`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Result documents or directories (searched recursively).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the report.
pub fn run(_args: &CompareArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("compare: not built yet")
}
