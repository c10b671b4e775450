//! The command line (README.md, "Commands"), as clap derive types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Hardware characterization: memory tiers, GPU throughput, energy per
/// operation; self-describing JSON results and comparisons.
#[derive(Debug, Parser)]
#[command(
    name = "hwbench",
    version,
    about,
    propagate_version = true,
    after_help = "Exit codes: 0 ok; 1 regression found (compare, check); 2 bad input or usage; 3 environment or \
                  I/O failure (a result that cannot be written, hwloc failing, unreadable system files); \
                  130 interrupted (the partial result is saved)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read sysfs and procfs under this root instead of / (fixture trees).
    #[arg(long, global = true, env = "HWBENCH_SYSFS_ROOT", value_name = "PATH")]
    pub sysfs_root: Option<PathBuf>,
    /// No progress bar and no summary table.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail on stderr.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// What the machine is: caches, cores, NUMA nodes, tiers, GPUs.
    Topology(crate::commands::topology::TopologyArgs),
    /// Which energy meters and counters work here, and why not.
    Sensors(crate::commands::sensors::SensorsArgs),
    /// Benchmarks and suites.
    List,
    /// Measure; write one result document.
    Run(crate::commands::run::RunArgs),
    /// Plotted report (HTML + SVG + Markdown + CSV) over result documents.
    Report(crate::commands::report::ReportArgs),
    /// Statistical comparison of two results; exit 1 on regression.
    Compare(crate::commands::compare::CompareArgs),
    /// Re-run what a baseline ran, compare, exit 1 on regression (CI).
    Check(crate::commands::check::CheckArgs),
    /// Cohorts, distributions and outliers over many runs; exit 1 when a node is flagged.
    Fleet(crate::commands::fleet::FleetArgs),
    /// Columnar export (Parquet) of result documents for query engines.
    Export(crate::commands::export::ExportArgs),
}

/// The energy options of commands that measure (`run`, `check`).
#[derive(Debug, Args)]
pub struct EnergyArgs {
    /// Seconds of idle power measured before the benchmarks, for the
    /// `_net` energy figures (0: none); only taken when a meter exists.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS", value_parser = idle_seconds)]
    pub idle_seconds: f64,
    /// Also read whole-node power through `ipmitool dcmi power reading`.
    #[arg(long)]
    pub ipmi: bool,
}

impl EnergyArgs {
    /// The library's form of these options.
    pub fn options(&self) -> hwbench_suites::run::EnergyOptions {
        hwbench_suites::run::EnergyOptions { idle_seconds: self.idle_seconds, ipmi: self.ipmi }
    }
}

fn idle_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=600.0).contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds from 0 to 600")),
    }
}
