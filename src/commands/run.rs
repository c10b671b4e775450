//! `hwbench run`: measure; write one result document.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Args;
use hwbench_probes::SysRoot;
use hwbench_schema::{
    time, write_document, Fact, Machine, Record, RecordStatus, ResultDocument, Run, RunStatus, Tool, SCHEMA_VERSION,
};
use hwbench_suites::params::Setting;
use hwbench_suites::runner::{self, Event};
use hwbench_suites::{suites, Context};

use crate::cli::GlobalArgs;

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
    /// Print the result document on stdout (the path goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmarks and writes the document.
pub fn run(args: &RunArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let started = SystemTime::now();
    let root = super::sysroot(global);
    let topology = hwbench_probes::topology::probe_classified(&root).context("reading the topology")?;
    let suite_name = if args.benchmarks.is_empty() { args.suite.clone() } else { "custom".to_string() };
    let suite = if args.benchmarks.is_empty() { Some(suites::load(&args.suite)?) } else { None };

    let mut ctx = Context::new(root.clone(), topology);
    ctx.stop = crate::interrupt::install()?;
    let chosen = runner::select(&args.benchmarks, suite.as_ref(), &args.settings)?;
    let planned = runner::plan(chosen, &ctx)?;
    let machine = machine(&root, &ctx);
    ctx.warnings.extend(interference_warnings(&machine));
    let out = output_path(&args.out, &machine, &suite_name, started)?;

    let total = planned.iter().map(|p| p.points.len()).sum();
    let bar = crate::progress::bar(total, global.quiet);
    let outcome = runner::execute(planned, &mut ctx, &mut |event| match event {
        Event::Started { id, point } => bar.set_message(format!("{id} {}", runner::describe(point))),
        Event::Finished { record } if !record.id.ends_with(".levels") => bar.inc(1),
        Event::Finished { .. } => {}
    });
    bar.finish_and_clear();

    let doc = ResultDocument {
        schema_version: SCHEMA_VERSION,
        tool: tool(),
        run: Run {
            id: format!("{}-{:04x}", time::file_stamp(started), std::process::id() & 0xffff),
            label: args.label.clone(),
            suite: suite_name,
            command: std::env::args().collect(),
            started_at: time::rfc3339(started),
            finished_at: time::rfc3339(SystemTime::now()),
            status: if outcome.interrupted { RunStatus::Interrupted } else { RunStatus::Complete },
            warnings: ctx.warnings.clone(),
        },
        machine,
        topology: ctx.topology,
        sensors: Default::default(),
        benchmarks: outcome.records,
    };
    write_document(&out, &doc)?;
    for warning in &doc.run.warnings {
        eprintln!("hwbench: warning: {warning}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
        eprintln!("{}", out.display());
    } else {
        let mut stdout = std::io::stdout().lock();
        if !global.quiet {
            write!(stdout, "{}", summary(&doc.benchmarks))?;
        }
        writeln!(stdout, "{}", out.display())?;
    }
    Ok(if outcome.interrupted { ExitCode::from(crate::exit::INTERRUPTED) } else { ExitCode::SUCCESS })
}

fn tool() -> Tool {
    let sha = env!("HWBENCH_GIT_SHA");
    Tool {
        name: "hwbench".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        git_sha: if sha.is_empty() { Fact::unknown("not built from a git checkout") } else { Fact::Known(sha.into()) },
    }
}

fn machine(root: &SysRoot, ctx: &Context) -> Machine {
    let rustc = env!("HWBENCH_RUSTC");
    let rustc = if rustc.is_empty() { Fact::unknown("rustc --version failed at build time") } else { Fact::Known(rustc.into()) };
    hwbench_probes::provenance::probe(root, &ctx.topology, rustc)
}

/// Page migration during a run moves memory off the node it was placed on.
fn interference_warnings(m: &Machine) -> Vec<String> {
    let mut out = Vec::new();
    if matches!(m.numa_balancing, Fact::Known(v) if v != 0) {
        out.push("numa_balancing is on: pages may migrate during the run (echo 0 > /proc/sys/kernel/numa_balancing)".into());
    }
    if matches!(m.demotion_enabled, Fact::Known(true)) {
        out.push("tier demotion is on: pages may be demoted to slower tiers (echo false > /sys/kernel/mm/numa/demotion_enabled)".into());
    }
    out
}

/// Resolves `--out` and checks, before anything is measured, that the
/// file can be written there.
fn output_path(out: &Path, machine: &Machine, suite: &str, started: SystemTime) -> anyhow::Result<PathBuf> {
    let path = if out.extension().is_some_and(|e| e == "json") {
        out.to_path_buf()
    } else {
        let host = machine.hostname.known().cloned().unwrap_or_else(|| "unknown-host".into());
        let host: String = host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
        out.join(host).join(format!("{}-{suite}.json", time::file_stamp(started)))
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("--out {}: cannot create directory {}", out.display(), dir.display()))?;
    let probe = dir.join(format!(".hwbench-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| format!("--out {}: cannot write in {}", out.display(), dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(path)
}

/// A table of the records: id, params, status and headline figure.
fn summary(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let params = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
        let figure = match r.status {
            RecordStatus::Ok => r
                .metrics
                .iter()
                .filter(|m| !m.name.ends_with("_min"))
                .map(|m| format!("{}={:.4} {}", m.name, m.value, m.unit))
                .collect::<Vec<_>>()
                .join("  "),
            _ => format!("{:?}: {}", r.status, r.reason.as_deref().unwrap_or("")).to_lowercase(),
        };
        out.push_str(&format!("{:<24} {:<44} {figure}\n", r.id, params));
    }
    out
}
