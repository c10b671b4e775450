//! `hwbench report`: plotted report over result documents.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

/// Arguments of `hwbench report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Result documents or directories (searched recursively for *.json).
    #[arg(required = true, value_name = "RESULT_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Directory to write index.html, summary.md, data.csv, report.json and plots/ into
    /// (an earlier report there is replaced; anything else is refused).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The run the others are measured against: run id, label or file
    /// (default: the first).
    #[arg(long, value_name = "RUN")]
    pub baseline: Option<String>,
    /// Earlier results of the same SKU (a directory, searched for *.json):
    /// each figure gets its percentile among them and a flag when it lies
    /// beyond all of them by more than their run-to-run spread. Results of
    /// another SKU are set aside with the reason; none of the runs' SKU is
    /// bad input.
    #[arg(long, value_name = "DIR")]
    pub references: Option<PathBuf>,
    /// Most runs drawn side by side; more are refused with a pointer to
    /// `hwbench fleet`, which shows many runs as distributions.
    #[arg(long, default_value_t = 12, value_name = "N")]
    pub max_runs: usize,
}

/// Loads every document, builds the report and writes it in one step.
pub fn run(args: &ReportArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let runs = hwbench_reports::inputs::files(&args.inputs)?.len();
    if runs > args.max_runs {
        anyhow::bail!(
            "{runs} runs: a report draws one column per run and is readable up to --max-runs {}; for a fleet, \
             `hwbench fleet {} --out DIR` shows cohorts, distributions and outliers (or raise --max-runs)",
            args.max_runs,
            args.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ")
        );
    }
    let report =
        hwbench_reports::write_report(&args.inputs, args.baseline.as_deref(), args.references.as_deref(), &args.out)?;
    if !global.quiet {
        let flagged: usize = report.figures.iter().map(|f| f.flagged().count()).sum();
        let references = match &report.references {
            Some(_) => format!(", {flagged} figure(s) flagged against the references"),
            None => String::new(),
        };
        println!(
            "report of {} run(s), {} chart(s){references}: {}",
            report.runs.runs.len(),
            report.charts.len(),
            args.out.join("index.html").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
