//! `hwbench sensors`: which energy meters and counters work here, and why
//! the others do not (with the fix).

use std::process::ExitCode;

use clap::Args;
use hwbench_probes::energy::{self, DiscoverOptions};

use crate::cli::GlobalArgs;

/// Arguments of `hwbench sensors`.
#[derive(Debug, Args)]
pub struct SensorsArgs {
    /// Print the sources as JSON: {"<source>": {"available", "detail"}}.
    #[arg(long)]
    pub json: bool,
    /// Also try whole-node power through `ipmitool dcmi power reading`.
    #[arg(long)]
    pub ipmi: bool,
}

/// Discovers every source and prints its status.
pub fn run(args: &SensorsArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let root = super::sysroot(global);
    let status = energy::discover(&root, DiscoverOptions { ipmi: args.ipmi }).report();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        let width = status.keys().map(String::len).max().unwrap_or(0);
        for (name, s) in &status {
            let state = if s.available { "available" } else { "unavailable" };
            println!("{name:<width$}  {state:<11}  {}", s.detail);
        }
    }
    Ok(ExitCode::SUCCESS)
}
