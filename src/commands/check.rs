//! `hwbench check`: re-run what a baseline ran, compare, and exit 1 on a
//! regression; for CI jobs on reference machines.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use hwbench_reports::compare::{self, render, Options};
use hwbench_suites::params::Setting;
use hwbench_suites::run::Request;

use crate::cli::{EnergyArgs, GlobalArgs};
use crate::measure::measure;

/// Arguments of `hwbench check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The reference result this machine must not regress from.
    #[arg(long)]
    pub baseline: PathBuf,
    /// Run this suite instead of the one the baseline ran.
    #[arg(long)]
    pub suite: Option<String>,
    /// Noise threshold in percent for a regression (significant and beyond it).
    #[arg(long, default_value_t = 5.0, value_name = "PCT")]
    pub threshold: f64,
    /// Where to write the new result (.json file or directory).
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    #[command(flatten)]
    pub energy: EnergyArgs,
}

/// Measures, compares with the baseline, writes the result and a Markdown
/// summary beside it (and to $GITHUB_STEP_SUMMARY when set).
pub fn run(args: &CheckArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    if !(args.threshold.is_finite() && args.threshold >= 0.0) {
        anyhow::bail!("--threshold {}: must be a percentage of 0 or more", args.threshold);
    }
    let baseline = hwbench_schema::load(&args.baseline)?;
    // The baseline's own selection: its ids, or its suite, with its settings.
    let (benchmarks, suite) = match &args.suite {
        Some(suite) => (Vec::new(), suite.clone()),
        None => (baseline.run.benchmarks.clone(), baseline.run.suite.clone()),
    };
    let settings = baseline
        .run
        .settings
        .iter()
        .map(|s| s.parse::<Setting>().map_err(|e| anyhow::anyhow!("{}: run.settings: {e}", args.baseline.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = Request {
        benchmarks,
        suite,
        settings,
        // As often as the baseline measured every point.
        repeat: Some(baseline.run.repeat),
        order_seed: None,
        label: Some(format!("check against {}", baseline.run.id)),
        tags: baseline.run.tags.clone(),
        energy: args.energy.options(),
    };
    let new = measure(request, &args.out, global)?;
    if new.interrupted() {
        eprintln!("{}", new.path.display());
        return Ok(ExitCode::from(crate::exit::INTERRUPTED));
    }
    let comparison =
        compare::compare(&baseline, &new.doc, &Options { threshold: args.threshold / 100.0, ..Options::default() });
    let markdown = render::markdown(&comparison);
    let summary_path = new.path.with_extension("md");
    hwbench_schema::write_atomic(&summary_path, &markdown)?;
    append_step_summary(&markdown)?;
    let mut stdout = std::io::stdout().lock();
    if !global.quiet {
        stdout.write_all(&render::table(&comparison))?;
    }
    writeln!(stdout, "summary: {}", summary_path.display())?;
    writeln!(stdout, "{}", new.path.display())?;
    Ok(if comparison.has_regression() { ExitCode::from(crate::exit::REGRESSION) } else { ExitCode::SUCCESS })
}

/// GitHub Actions shows the file named by GITHUB_STEP_SUMMARY on the job page.
fn append_step_summary(markdown: &[u8]) -> anyhow::Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else { return Ok(()) };
    let path = Path::new(&path);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("GITHUB_STEP_SUMMARY {}", path.display()))?;
    file.write_all(markdown).with_context(|| format!("GITHUB_STEP_SUMMARY {}", path.display()))
}
