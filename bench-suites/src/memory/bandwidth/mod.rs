//! `memory.bandwidth`: sustained memory bandwidth by the STREAM kernels
//! (copy, scale, add, triad) plus read, write and non-temporal variants,
//! on pinned threads that start together, with every run validated
//! against analytic values and its placement verified.

mod arrays;
pub mod kernels;
mod settings;
pub mod threads;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hwbench_probes::energy::Work;
use hwbench_probes::placement::PagePolicy;
use hwbench_schema::{Better, Metric};
use serde_json::json;

use self::arrays::Arrays;
use self::kernels::{Isa, Kernel, Operands};
use self::settings::Settings;
use self::threads::Pool;
use self::validate::{Deviation, SCALAR};
use crate::context::Context;
use crate::error::BenchError;
use crate::harness::{best_metric, median, Workload};
use crate::params::{ParamKind, ParamSpec, Params};
use crate::registry::{Benchmark, BenchmarkSpec, Measured};

const ID: &str = "memory.bandwidth";

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "sustained memory bandwidth: STREAM copy/scale/add/triad, read, write, non-temporal write/copy",
    metrics: "bandwidth GB/s (best sample; 1e9 B/s, STREAM logical traffic), bandwidth_median GB/s",
    params: &[
        ParamSpec {
            name: "kernel",
            kind: ParamKind::Choice(kernels::CHOICES),
            default: "all",
            help: "one kernel, stream (the four STREAM kernels) or all; one record per kernel",
        },
        ParamSpec {
            name: "threads",
            kind: ParamKind::CountOrSweep,
            default: "one per core",
            help: "worker threads, or sweep: 1, 2, 4, ..., one per core",
        },
        ParamSpec {
            name: "bytes",
            kind: ParamKind::Bytes,
            default: "4x the last-level cache, at least 256 MiB",
            help: "size of EACH array",
        },
        super::latency::PAGE,
        ParamSpec {
            name: "node",
            kind: ParamKind::Node,
            default: "first touch by each thread",
            help: "NUMA node to bind the arrays to",
        },
        ParamSpec {
            name: "cpu_node",
            kind: ParamKind::Node,
            default: "node's CPUs, else every allowed CPU",
            help: "NUMA node whose CPUs run the threads",
        },
        ParamSpec {
            name: "oversubscribe",
            kind: ParamKind::Choice(&["no", "yes"]),
            default: "no",
            help: "allow more threads than CPUs",
        },
        ParamSpec {
            name: "isa",
            kind: ParamKind::Choice(kernels::ISA_CHOICES),
            default: "auto",
            help: "kernel instruction set; auto: the fastest of a trial pass of each",
        },
    ],
    make: || Box::new(Bandwidth::default()),
};

/// Instance state: the arrays and workers of the current configuration,
/// reused by the kernels that share it.
#[derive(Default)]
pub struct Bandwidth {
    setup: Option<Setup>,
    /// Arrays the planned kernels use, allocated together.
    planned_arrays: Vec<usize>,
    /// Test hook: an element to corrupt after the passes.
    corrupt_element: Option<usize>,
}

impl Bandwidth {
    /// Test hook, not reachable from the command line: after the passes
    /// and before validation, adds 1 to element `element` of the array the
    /// kernel writes (or reads), as corrupted memory would.
    pub fn corrupting(element: usize) -> Bandwidth {
        Bandwidth { corrupt_element: Some(element), ..Bandwidth::default() }
    }
}

/// What the workers are asked to do.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// Write the initial values into the kernel's arrays.
    Init(Kernel),
    /// Run passes `first..first+count` (numbered from 1) with `isa`.
    Passes { isa: Isa, kernel: Kernel, first: u64, count: u64 },
    /// Compare the arrays with their values after `passes` passes.
    Check { kernel: Kernel, passes: u64 },
}

/// What a worker returns.
enum Output {
    /// The sum of the last pass (`read`), else 0.
    Sum(f64),
    /// The deviation of a, b and c from their expected values.
    Deviations([Deviation; 3]),
}

/// The arrays and workers of one configuration.
struct Setup {
    /// Declared first, so the workers stop before the arrays go.
    pool: Pool<Job, Output>,
    arrays: Arc<Arrays>,
    cpus: Vec<u32>,
    page: PagePolicy,
    node: Option<u32>,
}

impl Setup {
    fn fits(&self, cpus: &[u32], elements: usize, s: &Settings, kernel: Kernel) -> bool {
        self.cpus == cpus
            && self.arrays.elements() == elements
            && self.page == s.page
            && self.node == s.node
            && self.arrays.has(&kernel.spec().arrays())
    }

    fn build(
        ctx: &Context,
        cpus: Vec<u32>,
        elements: usize,
        s: &Settings,
        which: &[usize],
    ) -> Result<Setup, BenchError> {
        let arrays = Arrays::allocate(&ctx.root, elements, which, s.page, s.node, cpus.len())?;
        let arrays = Arc::new(arrays);
        let shared = Arc::clone(&arrays);
        let pool = Pool::start(&cpus, move |worker, job| work(&shared, worker, job))?;
        Ok(Setup { pool, arrays, cpus, page: s.page, node: s.node })
    }
}

/// A worker's part of a job.
fn work(arrays: &Arrays, worker: usize, job: Job) -> Output {
    match job {
        Job::Init(kernel) => {
            arrays.init(worker, &kernel.spec().arrays());
            Output::Sum(0.0)
        }
        Job::Passes { isa, kernel, first, count } => {
            let chunk = arrays.chunk(worker);
            let mut sum = 0.0;
            for pass in first..first + count {
                let ops = Operands { scalar: SCALAR, fill: validate::fill_value(pass) };
                // SAFETY: the chunk is this worker's alone, 64-byte aligned,
                // and its arrays are mapped (Setup::fits); isa is available
                // (Isa::available_named, Isa::candidates).
                sum = unsafe { kernels::pass(isa, kernel, chunk, ops) };
            }
            Output::Sum(sum)
        }
        Job::Check { kernel, passes } => {
            let expected = validate::expected(kernel, passes);
            Output::Deviations([0, 1, 2].map(|i| arrays.deviation(worker, i, expected[i])))
        }
    }
}

/// The sampled workload: passes of one kernel on every worker.
struct Passes<'a> {
    pool: &'a Pool<Job, Output>,
    isa: Isa,
    kernel: Kernel,
    /// Bytes one pass moves, as counted (STREAM's logical traffic).
    bytes_per_pass: u64,
    done: u64,
    sum: f64,
}

impl Workload for Passes<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let round = self.pool.run(Job::Passes {
            isa: self.isa,
            kernel: self.kernel,
            first: self.done + 1,
            count: iterations,
        })?;
        self.done += iterations;
        self.sum = round.results.iter().map(|o| if let Output::Sum(s) = o { *s } else { 0.0 }).sum();
        Ok(round.span)
    }

    fn work_per_iteration(&self) -> Option<Work> {
        Some(Work { amount: self.bytes_per_pass as f64 / 1e9, unit: "GB" })
    }
}

impl Benchmark for Bandwidth {
    fn points(&mut self, params: &Params, ctx: &Context) -> Result<Vec<Params>, BenchError> {
        let s = Settings::parse(params, ctx)?;
        let mut arrays: Vec<usize> = s.kernels.iter().flat_map(|k| k.spec().arrays()).collect();
        arrays.sort_unstable();
        arrays.dedup();
        ctx.check_fits(ID, s.bytes * arrays.len() as u64)?;
        self.planned_arrays = arrays;
        Ok(s.threads.iter().flat_map(|&t| s.kernels.iter().map(move |&k| (t, k))).map(|(t, k)| s.point(k, t)).collect())
    }

    fn measure(&mut self, point: &Params, ctx: &mut Context) -> Result<Measured, BenchError> {
        let s = Settings::parse(point, ctx)?;
        let (kernel, threads) = (s.kernels[0], s.threads[0]);
        let spec = kernel.spec();
        let candidates = match s.isa {
            Some(isa) => vec![isa],
            None => Isa::candidates(kernel),
        };
        if let Some(why) = candidates.first().copied().unwrap_or(Isa::Portable).unsupported(kernel) {
            return Err(BenchError::Unavailable(why));
        }
        let cpus = s.cpus(threads)?;
        let elements = (s.bytes / 8) as usize;
        if !self.setup.as_ref().is_some_and(|setup| setup.fits(&cpus, elements, &s, kernel)) {
            self.setup = None;
            let mut which = self.planned_arrays.clone();
            which.extend(spec.arrays());
            which.sort_unstable();
            which.dedup();
            self.setup = Some(Setup::build(ctx, cpus, elements, &s, &which)?);
        }
        let setup = self.setup.as_ref().expect("built above");
        setup.pool.run(Job::Init(kernel))?;
        let bytes_per_pass = spec.words() * 8 * elements as u64;
        let mut passes = Passes { pool: &setup.pool, isa: candidates[0], kernel, bytes_per_pass, done: 0, sum: 0.0 };
        let trials = if candidates.len() > 1 { trial(&mut passes, &candidates)? } else { Vec::new() };
        let set = ctx.sampler.sample(&mut passes, &ctx.stop)?;
        if let Some(element) = self.corrupt_element {
            setup.arrays.corrupt(spec.result_array(), element);
        }
        let checked = check(setup, kernel, passes.done, passes.sum)?;
        let gbs = set.map(|secs, iterations| bytes_per_pass as f64 * iterations as f64 / secs / 1e9);
        let mut info = BTreeMap::new();
        info.insert("bytes_counted".into(), bytes_counted(kernel).into());
        info.insert("formula".into(), spec.formula.into());
        info.insert("isa".into(), passes.isa.name().into());
        if !trials.is_empty() {
            let by_isa: BTreeMap<&str, f64> = trials.iter().map(|&(isa, gbs)| (isa.name(), gbs)).collect();
            info.insert("isa_trials".into(), json!(by_isa));
        }
        info.insert("cpus".into(), json!(setup.cpus));
        info.insert("elements".into(), elements.into());
        info.insert("bytes_per_pass".into(), bytes_per_pass.into());
        info.insert("passes_per_sample".into(), set.iterations.into());
        info.insert("timing".into(), "threads released together by a barrier; time = last finish - first start".into());
        info.insert(
            "validation".into(),
            json!({ "average_relative_error": checked.average(), "max_relative_error": checked.max, "limit": validate::LIMIT }),
        );
        let median_value = median(&gbs);
        Ok(Measured {
            metrics: vec![
                best_metric("bandwidth", "GB/s", gbs, Better::Higher),
                Metric {
                    name: "bandwidth_median".into(),
                    unit: "GB/s".into(),
                    value: median_value,
                    statistic: "median".into(),
                    samples: Vec::new(),
                    better: Better::Higher,
                    repetitions: Vec::new(),
                },
            ],
            placement: setup.arrays.placement(&spec.arrays()),
            info,
        })
    }
}

/// Passes of each trial, the best of which counts.
const TRIAL_PASSES: usize = 2;

/// `isa=auto`: times single passes with each candidate instruction set
/// and leaves `passes` on the fastest. Returns each candidate's best GB/s.
fn trial(passes: &mut Passes, candidates: &[Isa]) -> Result<Vec<(Isa, f64)>, BenchError> {
    let mut trials = Vec::with_capacity(candidates.len());
    for &isa in candidates {
        passes.isa = isa;
        let mut best = Duration::MAX;
        for _ in 0..TRIAL_PASSES {
            best = best.min(passes.run(1)?);
        }
        trials.push((isa, passes.bytes_per_pass as f64 / best.as_secs_f64().max(1e-9) / 1e9));
    }
    passes.isa = trials.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)).map_or(candidates[0], |t| t.0);
    Ok(trials)
}

/// Validates the arrays (and the sum of `read`) after `passes` passes.
fn check(setup: &Setup, kernel: Kernel, passes: u64, sum: f64) -> Result<Deviation, BenchError> {
    let round = setup.pool.run(Job::Check { kernel, passes })?;
    let mut per_array = [Deviation::default(); 3];
    for output in &round.results {
        if let Output::Deviations(d) = output {
            for (total, part) in per_array.iter_mut().zip(d) {
                *total = total.merge(*part);
            }
        }
    }
    let touched: Vec<(usize, Deviation)> = kernel.spec().arrays().into_iter().map(|i| (i, per_array[i])).collect();
    let sum =
        (kernel == Kernel::Read).then(|| Deviation::of_value(sum, validate::expected_sum(setup.arrays.elements())));
    validate::verdict(&touched, sum).map_err(BenchError::Failed)
}

/// The byte-counting convention of a kernel, for the record.
fn bytes_counted(kernel: Kernel) -> String {
    let spec = kernel.spec();
    let rfo = if spec.writes.is_empty() || spec.nontemporal {
        ""
    } else {
        "; regular stores also cause read-for-ownership traffic, which is not counted"
    };
    format!(
        "STREAM logical traffic: {} words of 8 bytes per element ({} read, {} written){rfo}; GB/s = 1e9 bytes/s",
        spec.words(),
        spec.reads.len(),
        spec.writes.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::bandwidth::kernels::KERNELS;

    #[test]
    fn the_convention_names_words_and_read_for_ownership() {
        assert!(bytes_counted(Kernel::Triad)
            .starts_with("STREAM logical traffic: 3 words of 8 bytes per element (2 read, 1 written)"));
        assert!(bytes_counted(Kernel::Copy).contains("read-for-ownership"));
        assert!(!bytes_counted(Kernel::NtCopy).contains("read-for-ownership"));
        assert!(!bytes_counted(Kernel::Read).contains("read-for-ownership"));
        assert!(KERNELS.iter().all(|k| bytes_counted(k.kernel).ends_with("GB/s = 1e9 bytes/s")));
    }
}
