//! `hwbench export`: result documents as a columnar file for query engines.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::cli::GlobalArgs;

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Apache Parquet: one row per (run, record, metric), Snappy-compressed.
    Parquet,
}

/// Arguments of `hwbench export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Result documents or directories (searched recursively for *.json).
    #[arg(required = true, value_name = "RESULT_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// File format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The file to write (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Cohort key of each row, as `hwbench fleet --group-by` forms it
    /// (default: the machine fingerprint).
    #[arg(long = "group-by", value_name = "KEY")]
    pub group_by: Vec<String>,
}

/// Writes the file and says what it holds.
pub fn run(args: &ExportArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let exported = match args.format {
        Format::Parquet => hwbench_reports::export::write_parquet(&args.inputs, &args.group_by, &args.out)?,
    };
    if !global.quiet {
        println!(
            "{}: {} row(s) from {} run(s), {} bytes",
            args.out.display(),
            exported.rows,
            exported.runs,
            exported.bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}
