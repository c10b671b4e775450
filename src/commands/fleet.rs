//! `hwbench fleet`: cohorts, distributions and outliers over many runs;
//! exit 1 when a node is flagged.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use hwbench_reports::fleet::{self, report, Options};

use crate::cli::GlobalArgs;

/// Arguments of `hwbench fleet`.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Result documents or directories (searched recursively for *.json).
    #[arg(required = true, value_name = "RESULT_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Group runs by this machine field (microcode, kernel, ...) or tag
    /// (`--tag` of `hwbench run`; `tag.NAME` when a field has the same
    /// name); repeat for several. Default: the fingerprint of CPU, sockets x
    /// cores, memory, NUMA layout and GPUs.
    #[arg(long = "group-by", value_name = "KEY")]
    pub group_by: Vec<String>,
    /// Print the result as JSON (the `outliers` list names each flagged node).
    #[arg(long)]
    pub json: bool,
    /// Write the fleet report (index.html, a page per cohort and per
    /// flagged node, plots, CSV and JSON) into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// False discovery rate over every (node, metric) test, percent.
    #[arg(long, default_value_t = 1.0, value_name = "PCT")]
    pub fdr: f64,
    /// A metric whose robust spread across a cohort exceeds this percentage
    /// of its median is too variable there to judge.
    #[arg(long, default_value_t = 10.0, value_name = "PCT")]
    pub max_spread: f64,
    /// Never flag a deviation from the cohort median smaller than this, percent.
    #[arg(long, default_value_t = 5.0, value_name = "PCT")]
    pub min_effect: f64,
}

/// Judges the fleet, prints the summary (or JSON), writes the report when
/// asked, and exits 1 when any node is flagged.
pub fn run(args: &FleetArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let percent = |name: &str, v: f64, max: f64| {
        if v.is_finite() && v > 0.0 && v <= max {
            Ok(v / 100.0)
        } else {
            Err(anyhow::anyhow!("--{name} {v}: must be a percentage above 0 and at most {max}"))
        }
    };
    let options = Options {
        group_by: args.group_by.clone(),
        fdr: percent("fdr", args.fdr, 50.0)?,
        max_spread: percent("max-spread", args.max_spread, 100.0)?,
        min_effect: percent("min-effect", args.min_effect, 100.0)?,
        ..Options::default()
    };
    let fleet = fleet::analyse(&args.inputs, options)?;
    if let Some(out) = &args.out {
        report::write(&fleet, out)?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        stdout.write_all(&report::json::render(&fleet)).context("cannot write to stdout")?;
    } else if !global.quiet {
        stdout.write_all(&report::text::render(&fleet)).context("cannot write to stdout")?;
        if let Some(out) = &args.out {
            writeln!(stdout, "report: {}", out.join("index.html").display()).context("cannot write to stdout")?;
        }
    }
    // A flagged node fails like a regression: exit 1 (README, "Exit codes").
    Ok(if fleet.outliers.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(crate::exit::REGRESSION) })
}
