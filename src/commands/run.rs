//! `hwbench run`: measure; write one result document.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hwbench_reports::figures::RunFigures;
use hwbench_reports::references::References;
use hwbench_schema::units::parse_duration;
use hwbench_schema::{RecordStatus, ResultDocument};
use hwbench_suites::params::Setting;
use hwbench_suites::run::Request;

use crate::cli::{EnergyArgs, GlobalArgs};
use crate::measure::measure;

/// Arguments of `hwbench run`.
#[derive(Debug, Args)]
#[command(after_help = "Benchmarks and their params: `hwbench list`.")]
pub struct RunArgs {
    /// Benchmark ids to run (default: the suite).
    pub benchmarks: Vec<String>,
    /// Named suite to run when no benchmark ids are given.
    #[arg(long, default_value = "quick")]
    pub suite: String,
    /// Set a benchmark param: KEY=VALUE (sizes take units: 4KiB, 1GiB, 333MB).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<Setting>,
    /// Result file (.json) or directory; a directory gets <host>/<time>-<suite>.json.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Free-text label stored in the result.
    #[arg(long)]
    pub label: Option<String>,
    /// Label the run for cohorts and exports: KEY=VALUE (sku=..., rack=...).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<Setting>,
    /// Measure every point N times, repetitions interleaved over the run in
    /// a seeded random order (default: the suite's, else 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: Option<u32>,
    /// Earlier results of the same SKU (a directory, searched for *.json):
    /// the summary gives each figure's percentile among them and flags those
    /// beyond all of them by more than their run-to-run spread. Read before
    /// measuring: one that is no directory of results is refused.
    #[arg(long, value_name = "DIR")]
    pub references: Option<PathBuf>,
    /// Print the result document on stdout (the path goes to stderr); with
    /// --plan, the plan.
    #[arg(long)]
    pub json: bool,
    /// Print every point that would be measured with its estimated
    /// duration, each benchmark's and the total; measure nothing.
    #[arg(long)]
    pub plan: bool,
    /// Fit the run into this time (90s, 15m, 1h30m, [D-]HH:MM:SS, or
    /// seconds): shorten what is planned, stop cleanly if it runs late.
    #[arg(long, value_name = "DURATION")]
    pub budget: Option<String>,
    #[command(flatten)]
    pub energy: EnergyArgs,
}

/// Runs the benchmarks, writes the document, prints a summary and its path.
pub fn run(args: &RunArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut tags = BTreeMap::new();
    for tag in &args.tags {
        if tags.insert(tag.key.clone(), tag.value.clone()).is_some() {
            anyhow::bail!("--tag {}: given twice", tag.key);
        }
    }
    let budget = args.budget.as_deref().map(parse_duration).transpose().map_err(|e| anyhow::anyhow!("--budget {e}"))?;
    let request = Request {
        benchmarks: args.benchmarks.clone(),
        suite: args.suite.clone(),
        settings: args.settings.clone(),
        repeat: args.repeat,
        order_seed: None,
        label: args.label.clone(),
        tags,
        energy: args.energy.options(),
        budget,
    };
    if args.plan {
        let prepared =
            hwbench_suites::run::prepare(request, crate::commands::sysroot(global), crate::measure::rustc())?;
        let plan = prepared.plan();
        let text = if args.json { serde_json::to_string_pretty(plan)? + "\n" } else { crate::plan::text(plan) };
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let references = args.references.as_deref().map(References::load).transpose()?;
    let m = measure(request, &args.out, global)?;
    // The result is written: references of another SKU are refused after it.
    let judged = references.as_ref().map(|refs| {
        refs.check(&[&m.doc]).map(|mut matched| (refs, RunFigures::of(&m.doc, Some((refs, matched.remove(0))))))
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&m.doc)?);
        eprintln!("{}", m.path.display());
    } else {
        let mut stdout = std::io::stdout().lock();
        if !global.quiet {
            write!(stdout, "{}", summary(&m.doc, judged.as_ref().and_then(|j| j.as_ref().ok()).map(|(_, f)| f)))?;
            if let Some(Ok((refs, figures))) = &judged {
                write!(stdout, "{}", flags(&m.doc, refs, figures))?;
            }
        }
        writeln!(stdout, "{}", m.path.display())?;
    }
    if let Some(Err(e)) = judged {
        return Err(e.into());
    }
    Ok(if m.interrupted() { ExitCode::from(crate::exit::INTERRUPTED) } else { ExitCode::SUCCESS })
}

/// A table of the records: id, params, status and headline figure; with
/// references, each figure's standing among them ("p40 of 5", "20% below
/// all 5").
pub fn summary(doc: &ResultDocument, figures: Option<&RunFigures>) -> String {
    let mut out = String::new();
    for (i, r) in doc.benchmarks.iter().enumerate() {
        let params = hwbench_suites::params::describe(&r.params);
        let figure = match r.status {
            RecordStatus::Ok => r
                .metrics
                .iter()
                .enumerate()
                .filter(|(_, m)| !m.name.ends_with("_min"))
                .map(|(j, m)| {
                    let standing = figures.and_then(|f| f.find(i, j)).and_then(|f| f.standing.as_ref());
                    let standing = standing.map(|s| format!(" [{}]", s.short())).unwrap_or_default();
                    format!("{}={:.4} {}{standing}", m.name, m.value, m.unit)
                })
                .collect::<Vec<_>>()
                .join("  "),
            _ => format!("{}: {}", format!("{:?}", r.status).to_lowercase(), r.reason.as_deref().unwrap_or("")),
        };
        out.push_str(&format!("{:<24} {:<44} {figure}\n", r.id, params));
    }
    out
}

/// The references the run was set beside and its flagged figures in words.
fn flags(doc: &ResultDocument, refs: &References, figures: &RunFigures) -> String {
    let mut out = format!("references: {}\n", figures.references_line(refs).unwrap_or_default());
    for f in figures.flagged() {
        let (record, m) = f.of(doc);
        let words = f.standing.as_ref().map(|s| s.words()).unwrap_or_default();
        let params = hwbench_suites::params::describe(&record.params);
        out.push_str(&format!("  flagged: {} {params} {}={:.4} {}: {words}\n", record.id, m.name, m.value, m.unit));
    }
    out
}
