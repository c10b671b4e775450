//! Measuring into a result document: shared by `run` and `check`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context as _;
use hwbench_probes::SysRoot;
use hwbench_schema::{time, write_document, Fact, Machine, ResultDocument, Run, RunStatus, Tool, SCHEMA_VERSION};
use hwbench_suites::params::Setting;
use hwbench_suites::runner::{self, Event};
use hwbench_suites::{suites, Context};

use crate::cli::GlobalArgs;

/// What to measure and where to write it.
pub struct Request<'a> {
    /// Benchmark ids; empty means the suite.
    pub benchmarks: &'a [String],
    /// Suite used when no ids are given.
    pub suite: &'a str,
    /// `--set` values.
    pub settings: &'a [Setting],
    /// Result file (.json) or directory.
    pub out: &'a Path,
    /// Free-text label.
    pub label: Option<String>,
    /// Idle power and optional meters.
    pub energy: &'a crate::commands::sensors::EnergyArgs,
}

/// A written result.
pub struct Measurement {
    /// The document as written.
    pub doc: ResultDocument,
    /// Where it was written.
    pub path: PathBuf,
}

impl Measurement {
    /// True when Ctrl-C stopped the run early.
    pub fn interrupted(&self) -> bool {
        self.doc.run.status == RunStatus::Interrupted
    }
}

/// Plans (refusing bad input before anything runs or is written), measures
/// with a progress bar, and writes the document atomically.
pub fn measure(request: &Request, global: &GlobalArgs) -> anyhow::Result<Measurement> {
    let started = SystemTime::now();
    let root = crate::commands::sysroot(global);
    let topology = hwbench_probes::topology::probe_classified(&root).context("reading the topology")?;
    let (suite_name, suite) = if request.benchmarks.is_empty() {
        (request.suite.to_string(), Some(suites::load(request.suite)?))
    } else {
        ("custom".to_string(), None)
    };

    let mut ctx = Context::new(root.clone(), topology);
    ctx.stop = crate::interrupt::install()?;
    let chosen = runner::select(request.benchmarks, suite.as_ref(), request.settings)?;
    let planned = runner::plan(chosen, &ctx)?;
    let machine = machine(&root, &ctx);
    ctx.warnings.extend(interference_warnings(&machine));
    let path = output_path(request.out, &machine, &suite_name, started)?;
    crate::commands::topology::add_gpus(&root, &mut ctx.topology);

    let sensors = crate::commands::sensors::install_instruments(&root, request.energy, global.quiet, &mut ctx.warnings);

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
            label: request.label.clone(),
            suite: suite_name,
            command: std::env::args().collect(),
            benchmarks: request.benchmarks.to_vec(),
            settings: request.settings.iter().map(|s| format!("{}={}", s.key, s.value)).collect(),
            started_at: time::rfc3339(started),
            finished_at: time::rfc3339(SystemTime::now()),
            status: if outcome.interrupted { RunStatus::Interrupted } else { RunStatus::Complete },
            warnings: ctx.warnings.clone(),
            repeat: 1,
            order_seed: None,
            tags: Default::default(),
        },
        machine,
        topology: ctx.topology,
        sensors,
        benchmarks: outcome.records,
    };
    write_document(&path, &doc)?;
    for warning in &doc.run.warnings {
        eprintln!("hwbench: warning: {warning}");
    }
    Ok(Measurement { doc, path })
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
    let rustc = if rustc.is_empty() {
        Fact::unknown("rustc --version failed at build time")
    } else {
        Fact::Known(rustc.into())
    };
    hwbench_probes::provenance::probe(root, &ctx.topology, rustc)
}

/// Page migration during a run moves memory off the node it was placed on.
fn interference_warnings(m: &Machine) -> Vec<String> {
    let mut out = Vec::new();
    if matches!(m.numa_balancing, Fact::Known(v) if v != 0) {
        out.push(
            "numa_balancing is on: pages may migrate during the run (echo 0 > /proc/sys/kernel/numa_balancing)".into(),
        );
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
        let host: String =
            host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
        out.join(host).join(format!("{}-{suite}.json", time::file_stamp(started)))
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("--out {}: cannot create directory {}", out.display(), dir.display()))?;
    let probe = dir.join(format!(".hwbench-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .with_context(|| format!("--out {}: cannot write in {}", out.display(), dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(path)
}
