//! `hwbench run`.
// Placeholder while the foundation is written.

use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

/// Arguments of `hwbench run`.
#[derive(Debug, Args)]
pub struct RunArgs {}

/// Runs the command.
pub fn run(_args: &RunArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("run: not built yet")
}
