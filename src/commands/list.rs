//! `hwbench list`.

use std::process::ExitCode;

/// Lists benchmarks and suites.
pub fn run() -> anyhow::Result<ExitCode> {
    anyhow::bail!("list: not built yet")
}
