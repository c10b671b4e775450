//! The command-line side of measuring, shared by `run` and `check`: the
//! library prepares, measures and assembles the document
//! (`hwbench_suites::run`); this turns options into a request, shows
//! progress, installs Ctrl-C and writes the result.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use hwbench_schema::{write_document, Fact, ResultDocument, RunStatus, Tool};
use hwbench_suites::run::{self, Request};
use hwbench_suites::runner::Event;

use crate::cli::GlobalArgs;

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

/// Plans `request` (refusing bad input before anything runs or is
/// written), measures with a progress bar, and writes the document
/// atomically to `out` (a .json file, or a directory).
pub fn measure(request: Request, out: &Path, global: &GlobalArgs) -> anyhow::Result<Measurement> {
    let root = crate::commands::sysroot(global);
    let mut prepared = run::prepare(request, root, rustc())?;
    let path = prepared.output_path(out);
    run::check_writable(&path).with_context(|| format!("--out {}: cannot write {}", out.display(), path.display()))?;
    prepared = prepared.with_stop(crate::interrupt::install()?);
    let quiet = global.quiet;
    let sensors = prepared.instruments(|seconds| {
        if !quiet {
            eprintln!("hwbench: measuring idle power for {seconds} s");
        }
    });
    let budget = prepared.plan().budget.as_ref().map(|b| (b.asked_seconds, prepared.elapsed()));
    let bar = crate::progress::bar(prepared.measurements(), quiet, budget);
    let verbose = global.verbose > 0;
    let mut current = String::new();
    let doc = prepared.execute(tool(), std::env::args().collect(), sensors, &mut |event| match event {
        Event::Measuring { id, params, repetition, repeat } => {
            current = format!("{id} {}", hwbench_suites::params::describe(params));
            if repeat > 1 {
                bar.set_message(format!("{current} (repetition {repetition} of {repeat})"));
            } else {
                bar.set_message(current.clone());
            }
        }
        Event::Measured { seconds, estimated } => {
            if verbose {
                bar.suspend(|| eprintln!("hwbench: {current}: {seconds:.2} s (estimated {estimated:.2} s)"));
            }
            bar.inc(1);
        }
        Event::Recorded { .. } => {}
    });
    bar.finish_and_clear();
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

/// The compiler the binary was built with, for the provenance.
pub fn rustc() -> Fact<String> {
    let rustc = env!("HWBENCH_RUSTC");
    if rustc.is_empty() {
        Fact::unknown("rustc --version failed at build time")
    } else {
        Fact::Known(rustc.into())
    }
}
