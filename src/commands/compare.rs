//! `hwbench compare`: statistical comparison of two sides, each one result
//! document or a directory of runs of one machine; exit 1 when the gate
//! fails (a regression, or a record the base measured and the new side did
//! not).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use hwbench_reports::compare::{self, render, Options};
use hwbench_schema::ResultDocument;

use crate::cli::GlobalArgs;

/// Output formats of `hwbench compare`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    /// A Markdown document (CI summaries, pull requests).
    Markdown,
    /// Machine-readable, with the gate outcome and verdict counts on top.
    Json,
}

/// Arguments of `hwbench compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The reference: a result document, or a directory of runs of one
    /// machine (searched for *.json; whole runs are then the units).
    #[arg(value_name = "BASE_FILE_OR_DIR")]
    pub base: PathBuf,
    /// The side judged against it: a result document or a directory of runs.
    #[arg(value_name = "NEW_FILE_OR_DIR")]
    pub new: PathBuf,
    /// Noise threshold in percent: a significant change must exceed it to
    /// count, and a metric whose baseline spread exceeds it is not gated.
    #[arg(long, default_value_t = 10.0, value_name = "PCT")]
    pub threshold: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Compares, prints, and exits 1 when the gate fails.
pub fn run(args: &CompareArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let options = Options::with_threshold_percent(args.threshold).map_err(anyhow::Error::msg)?;
    let base = load_side(&args.base)?;
    let new = load_side(&args.new)?;
    let comparison = compare::compare(&base, &new, &options);
    let bytes = match args.format {
        Format::Table => render::table(&comparison),
        Format::Markdown => render::markdown(&comparison),
        Format::Json => render::json(&comparison),
    };
    std::io::stdout().write_all(&bytes).context("cannot write the comparison to stdout")?;
    Ok(crate::exit::gate(comparison.fails_gate()))
}

/// The documents of one side: a file, or every result under a directory.
fn load_side(path: &Path) -> anyhow::Result<Vec<ResultDocument>> {
    let loaded = hwbench_reports::inputs::load_all(std::slice::from_ref(&path.to_path_buf()))?;
    Ok(loaded.into_iter().map(|l| l.doc).collect())
}
