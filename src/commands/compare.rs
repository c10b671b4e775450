//! `hwbench compare`: statistical comparison of two runs; exit 1 when
//! anything regressed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use hwbench_reports::compare::{self, render, Options};

use crate::cli::GlobalArgs;

/// Output formats of `hwbench compare`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    /// A Markdown document (CI summaries, pull requests).
    Markdown,
    /// Machine-readable, with the verdict counts on top.
    Json,
}

/// Arguments of `hwbench compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The reference result document.
    pub base: PathBuf,
    /// The result document judged against it.
    pub new: PathBuf,
    /// Noise threshold in percent: a significant change of the median must
    /// exceed it to count as improved or regressed.
    #[arg(long, default_value_t = 5.0, value_name = "PCT")]
    pub threshold: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Compares, prints, and exits 1 when anything regressed.
pub fn run(args: &CompareArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    if !(args.threshold.is_finite() && args.threshold >= 0.0) {
        anyhow::bail!("--threshold {}: must be a percentage of 0 or more", args.threshold);
    }
    let base = hwbench_schema::load(&args.base)?;
    let new = hwbench_schema::load(&args.new)?;
    let options = Options { threshold: args.threshold / 100.0, ..Options::default() };
    let comparison = compare::compare(&base, &new, &options);
    let bytes = match args.format {
        Format::Table => render::table(&comparison),
        Format::Markdown => render::markdown(&comparison),
        Format::Json => render::json(&comparison),
    };
    std::io::stdout().write_all(&bytes).context("cannot write the comparison to stdout")?;
    Ok(if comparison.has_regression() { ExitCode::from(crate::exit::REGRESSION) } else { ExitCode::SUCCESS })
}
