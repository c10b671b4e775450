//! `hwbench check`: re-run what a baseline ran, compare, and exit 1 when
//! the gate fails; for CI jobs on reference machines. Several baseline runs
//! give the noise model: their run-to-run spread per metric.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use hwbench_reports::compare::{self, render, Options};
use hwbench_reports::inputs::Loaded;
use hwbench_suites::params::Setting;
use hwbench_suites::run::Request;

use crate::cli::{EnergyArgs, GlobalArgs};
use crate::measure::measure;

/// Arguments of `hwbench check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The reference this machine must not regress from: one result
    /// measured with --repeat, or several runs (files or directories),
    /// whose run-to-run spread is the noise model.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE_OR_DIR")]
    pub baseline: Vec<PathBuf>,
    /// Run this suite instead of the one the baseline ran.
    #[arg(long)]
    pub suite: Option<String>,
    /// Noise threshold in percent: a regression is significant and beyond
    /// it; a metric whose baseline spread exceeds it is not gated.
    #[arg(long, default_value_t = 10.0, value_name = "PCT")]
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
    let options = Options::with_threshold_percent(args.threshold).map_err(anyhow::Error::msg)?;
    let baselines = hwbench_reports::inputs::load_all(&args.baseline)?;
    let first = selection_of(&baselines)?;
    let doc = &first.doc;
    // The baseline's own selection: its ids, or its suite, with its settings.
    let (benchmarks, suite) = match &args.suite {
        Some(suite) => (Vec::new(), suite.clone()),
        None => (doc.run.benchmarks.clone(), doc.run.suite.clone()),
    };
    let settings = doc
        .run
        .settings
        .iter()
        .map(|s| s.parse::<Setting>().map_err(|e| anyhow::anyhow!("{}: run.settings: {e}", first.path.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let label = match baselines.as_slice() {
        [one] => format!("check against {}", one.doc.run.id),
        many => format!("check against {} baseline runs", many.len()),
    };
    let request = Request {
        benchmarks,
        suite,
        settings,
        // As often as the baseline measured every point.
        repeat: Some(doc.run.repeat),
        order_seed: None,
        label: Some(label),
        tags: doc.run.tags.clone(),
        energy: args.energy.options(),
        budget: None,
    };
    let new = measure(request, &args.out, global)?;
    if new.interrupted() {
        eprintln!("{}", new.path.display());
        return Ok(ExitCode::from(crate::exit::INTERRUPTED));
    }
    let base: Vec<_> = baselines.into_iter().map(|l| l.doc).collect();
    let comparison = compare::compare(&base, std::slice::from_ref(&new.doc), &options);
    let markdown = render::markdown(&comparison);
    let summary_path = new.path.with_extension("md");
    hwbench_schema::write_atomic(&summary_path, &markdown)?;
    append_step_summary(&markdown)?;
    let mut stdout = std::io::stdout().lock();
    if global.quiet {
        for line in render::gate_failures(&comparison) {
            writeln!(stdout, "{line}")?;
        }
        writeln!(stdout, "{}\n{}", render::units_line(&comparison), render::summary(&comparison))?;
    } else {
        stdout.write_all(&render::table(&comparison))?;
    }
    writeln!(stdout, "summary: {}", summary_path.display())?;
    writeln!(stdout, "{}", new.path.display())?;
    Ok(crate::exit::gate(comparison.fails_gate()))
}

/// The baseline whose selection is re-run, after checking that every
/// baseline ran the same selection and that together they give a
/// run-to-run estimate (one run measured once per point cannot).
fn selection_of(baselines: &[Loaded]) -> anyhow::Result<&Loaded> {
    let Some(first) = baselines.first() else { anyhow::bail!("--baseline: no result documents given") };
    let selection = |l: &Loaded| (l.doc.run.suite.clone(), l.doc.run.benchmarks.clone(), l.doc.run.settings.clone());
    if let Some(other) = baselines.iter().find(|l| selection(l) != selection(first)) {
        anyhow::bail!(
            "--baseline: {} and {} ran different selections (suite, benchmark ids or --set values); give runs of one selection",
            first.path.display(),
            other.path.display()
        );
    }
    if baselines.len() == 1 && first.doc.run.repeat <= 1 {
        anyhow::bail!(
            "{}: measured once per point (run.repeat 1) and the only baseline: no run-to-run estimate, so nothing could be gated; measure it with --repeat N (5 or more), or give several baseline runs",
            first.path.display()
        );
    }
    Ok(first)
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
