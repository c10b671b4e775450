//! `hwbench topology`.
// Placeholder while the foundation is written.

use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

/// Arguments of `hwbench topology`.
#[derive(Debug, Args)]
pub struct TopologyArgs {}

/// Runs the command.
pub fn run(_args: &TopologyArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("topology: not built yet")
}
