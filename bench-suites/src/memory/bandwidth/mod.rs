//! `memory.bandwidth`: sustained memory bandwidth by the STREAM kernels
//! (copy, scale, add, triad) plus read, write and non-temporal variants,
//! on pinned threads that start together, with every run validated
//! against analytic values and its placement verified.

pub mod arrays;
pub mod kernels;
mod settings;
pub mod threads;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hwbench_probes::energy::Work;
use hwbench_probes::placement::PagePolicy;
use hwbench_probes::SysRoot;
use hwbench_schema::numbers::median;
use hwbench_schema::{Better, Metric};
use serde_json::json;

use self::arrays::Arrays;
use self::kernels::{Isa, Operands, StreamKernel};
use self::threads::Pool;
use self::validate::{Deviation, SCALAR};
use crate::budget::Sweep;
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{best_metric, Workload};
use crate::host::Host;
use crate::params::Settings;
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;

pub use settings::BandwidthPoint;

const ID: &str = "memory.bandwidth";

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "sustained memory bandwidth: STREAM copy/scale/add/triad, read, write, non-temporal write/copy",
    metrics: "bandwidth GB/s (best sample; 1e9 B/s, STREAM logical traffic), bandwidth_median GB/s",
    params: settings::PARAMS,
    uses_gpu: false,
    summaries: &[],
    make: || erase(Bandwidth::default()),
};

/// Instance state: the arrays and workers of the current configuration,
/// reused by the kernels that share it within a repetition.
#[derive(Default)]
pub struct Bandwidth {
    engine: Option<Engine>,
    /// Arrays the planned kernels use, allocated together.
    planned_arrays: Vec<usize>,
}

/// What the workers are asked to do.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// Write the initial values into the kernel's arrays.
    Init(StreamKernel),
    /// Run passes `first..first+count` (numbered from 1) with `isa`.
    Passes { isa: Isa, kernel: StreamKernel, first: u64, count: u64 },
    /// Compare the arrays with their values after `passes` passes.
    Check { kernel: StreamKernel, passes: u64 },
}

/// What a worker returns.
enum Output {
    /// The sum of the last pass (`read`), else 0.
    Sum(f64),
    /// The deviation of a, b and c from their expected values.
    Deviations([Deviation; 3]),
}

/// The arrays of one configuration and the pinned workers that stream
/// over them.
pub struct Engine {
    /// Declared first, so the workers stop before the arrays go.
    pool: Pool<Job, Output>,
    arrays: Arc<Arrays>,
    cpus: Vec<u32>,
    page: PagePolicy,
    node: Option<u32>,
}

impl Engine {
    /// Maps the arrays `which` of `elements` f64 each (bound to `node`
    /// when given) and starts one worker pinned to each of `cpus`.
    pub fn build(
        root: &SysRoot,
        cpus: Vec<u32>,
        elements: usize,
        page: PagePolicy,
        node: Option<u32>,
        which: &[usize],
    ) -> Result<Engine, BenchError> {
        let arrays = Arc::new(Arrays::allocate(root, elements, which, page, node, cpus.len())?);
        let shared = Arc::clone(&arrays);
        let pool = Pool::start(&cpus, move |worker, job| work(&shared, worker, job))?;
        Ok(Engine { pool, arrays, cpus, page, node })
    }

    /// Starts one worker pinned to each of `cpus` over arrays the caller
    /// placed ([`Arrays::from_regions`]).
    pub fn with_arrays(arrays: Arrays, cpus: Vec<u32>, page: PagePolicy) -> Result<Engine, BenchError> {
        let arrays = Arc::new(arrays);
        let shared = Arc::clone(&arrays);
        let pool = Pool::start(&cpus, move |worker, job| work(&shared, worker, job))?;
        Ok(Engine { pool, arrays, cpus, page, node: None })
    }

    fn fits(&self, p: &BandwidthPoint, elements: usize) -> bool {
        self.cpus == p.cpus
            && self.arrays.elements() == elements
            && self.page == p.page
            && self.node == p.node
            && self.arrays.has(&p.kernel.spec().arrays())
    }

    /// The arrays.
    pub fn arrays(&self) -> &Arrays {
        &self.arrays
    }

    /// Writes the initial values of `kernel`'s arrays, each worker its chunk.
    pub fn init(&self, kernel: StreamKernel) -> Result<(), BenchError> {
        self.pool.run(Job::Init(kernel)).map(|_| ())
    }

    /// Passes `first..first+count` of `kernel` on every worker: their
    /// span and the sum of the last pass (`read`).
    pub fn passes(
        &self,
        isa: Isa,
        kernel: StreamKernel,
        first: u64,
        count: u64,
    ) -> Result<(Duration, f64), BenchError> {
        let round = self.pool.run(Job::Passes { isa, kernel, first, count })?;
        let sum = round.results.iter().map(|o| if let Output::Sum(s) = o { *s } else { 0.0 }).sum();
        Ok((round.span, sum))
    }

    /// Validates the arrays (and the sum of `read`) after `passes` passes.
    pub fn check(&self, kernel: StreamKernel, passes: u64, sum: f64) -> Result<Deviation, BenchError> {
        let round = self.pool.run(Job::Check { kernel, passes })?;
        let mut per_array = [Deviation::default(); 3];
        for output in &round.results {
            if let Output::Deviations(d) = output {
                for (total, part) in per_array.iter_mut().zip(d) {
                    *total = total.merge(*part);
                }
            }
        }
        let touched: Vec<(usize, Deviation)> = kernel.spec().arrays().into_iter().map(|i| (i, per_array[i])).collect();
        let sum = (kernel == StreamKernel::Read).then(|| {
            Deviation::of_value(sum, validate::expected_sum(self.arrays.elements(), self.arrays.chunks(), passes))
        });
        validate::verdict(&touched, sum).map_err(BenchError::Failed)
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
                arrays.chain_step(worker, kernel);
                let ops = Operands { scalar: SCALAR, fill: validate::fill_value(pass) };
                // SAFETY: the chunk is this worker's alone, 64-byte aligned,
                // and its arrays are mapped (Engine::fits); isa is available
                // (Isa::available_named, Isa::candidates).
                sum = unsafe { kernels::pass(isa, kernel, chunk, ops) };
            }
            Output::Sum(sum)
        }
        Job::Check { kernel, passes } => {
            let first = validate::expected_first(kernel, passes);
            let rest = validate::expected(kernel, passes);
            Output::Deviations([0, 1, 2].map(|i| arrays.deviation(worker, i, first[i], rest[i])))
        }
    }
}

/// The sampled workload: passes of one kernel on every worker.
struct Passes<'a> {
    engine: &'a Engine,
    isa: Isa,
    kernel: StreamKernel,
    /// Bytes one pass moves, as counted (STREAM's logical traffic).
    bytes_per_pass: u64,
    done: u64,
    sum: f64,
}

impl Workload for Passes<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let (span, sum) = self.engine.passes(self.isa, self.kernel, self.done + 1, iterations)?;
        self.done += iterations;
        self.sum = sum;
        Ok(span)
    }

    fn work_per_iteration(&self) -> Option<Work> {
        Some(Work { amount: self.bytes_per_pass as f64 / 1e9, unit: "GB" })
    }
}

impl Benchmark for Bandwidth {
    type Point = BandwidthPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<BandwidthPoint>, BenchError> {
        let points = settings::plan(settings, host)?;
        let mut arrays: Vec<usize> = points.iter().flat_map(|p| p.kernel.spec().arrays()).collect();
        arrays.sort_unstable();
        arrays.dedup();
        if let Some(p) = points.first() {
            host.check_fits(ID, p.bytes * arrays.len() as u64)?;
        }
        self.planned_arrays = arrays;
        Ok(points)
    }

    fn measure(&mut self, p: &BandwidthPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let spec = p.kernel.spec();
        let first = p.candidates.first().copied().unwrap_or(Isa::Portable);
        if let Some(why) = first.unsupported(p.kernel) {
            return Err(BenchError::Unavailable(why));
        }
        let elements = (p.bytes / 8) as usize;
        if !self.engine.as_ref().is_some_and(|e| e.fits(p, elements)) {
            // The old arrays go before the new ones are mapped.
            self.engine = None;
            let mut which = self.planned_arrays.clone();
            which.extend(spec.arrays());
            which.sort_unstable();
            which.dedup();
            self.engine = Some(Engine::build(&session.host().root, p.cpus.clone(), elements, p.page, p.node, &which)?);
        }
        let Some(engine) = &self.engine else {
            return Err(BenchError::Failed("the arrays were not mapped".into()));
        };
        measure_kernel(engine, p.kernel, &p.candidates, session)
    }

    /// The arrays are mapped and touched (by the first kernel's init) when
    /// the threads or sizes change; every point then runs its kernel
    /// ([`kernel_cost`]).
    fn estimate(&self, p: &BandwidthPoint, previous: Option<&BandwidthPoint>, cost: &CostModel) -> f64 {
        let arrays = self.planned_arrays.len().max(p.kernel.spec().arrays().len());
        let shared =
            previous.is_some_and(|q| q.cpus == p.cpus && q.bytes == p.bytes && q.page == p.page && q.node == p.node);
        let build = if shared { 0.0 } else { engine_cost(p.bytes, arrays, p.threads, p.page, cost) };
        build + kernel_cost(p.kernel, p.bytes, p.threads, arrays, p.candidates.len(), cost)
    }

    fn sweep(&self, points: &[BandwidthPoint]) -> Option<Sweep> {
        Sweep::along(
            points,
            |p| Some(p.threads as u64),
            "thread counts",
            2,
            "one thread and the most: both ends of the scaling curve",
        )
    }

    fn release(&mut self) {
        self.engine = None;
    }
}

/// Seconds to map `arrays` arrays of `bytes` with `page` and touch them
/// from `threads` pinned workers.
pub fn engine_cost(bytes: u64, arrays: usize, threads: usize, page: PagePolicy, cost: &CostModel) -> f64 {
    cost.touch(bytes * arrays as u64, threads, page) + cost.threads(threads)
}

/// Seconds [`measure_kernel`] takes for `kernel` on `threads` threads over
/// arrays of `bytes` (`arrays` of them mapped), trying `candidates`
/// instruction sets: the init, the trial passes, the sampling phase of
/// passes and the validation.
pub fn kernel_cost(
    kernel: StreamKernel,
    bytes: u64,
    threads: usize,
    arrays: usize,
    candidates: usize,
    cost: &CostModel,
) -> f64 {
    let spec = kernel.spec();
    let set = bytes * arrays as u64;
    let touched = cost.stream(bytes * spec.arrays().len() as u64, threads, set);
    let pass = cost.stream(bytes * spec.words(), threads, set);
    let trials = if candidates > 1 { (candidates * TRIAL_PASSES) as f64 * pass } else { 0.0 };
    touched + trials + cost.phase(cost.sampler, pass) + touched
}

/// Samples `kernel` on `engine`'s workers and arrays (initialised first),
/// trying each of `candidates` when there are several (`isa=auto`), then
/// validates the arrays: the figures, facts and placement of one record.
pub fn measure_kernel(
    engine: &Engine,
    kernel: StreamKernel,
    candidates: &[Isa],
    session: &mut Session,
) -> Result<Measured, BenchError> {
    let spec = kernel.spec();
    let first = candidates.first().copied().unwrap_or(Isa::Portable);
    if let Some(why) = first.unsupported(kernel) {
        return Err(BenchError::Unavailable(why));
    }
    let elements = engine.arrays.elements();
    engine.init(kernel)?;
    let bytes_per_pass = spec.words() * 8 * elements as u64;
    let mut passes = Passes { engine, isa: first, kernel, bytes_per_pass, done: 0, sum: 0.0 };
    let trials = if candidates.len() > 1 { trial(&mut passes, candidates)? } else { Vec::new() };
    let set = session.sample(&mut passes)?;
    let checked = engine.check(kernel, passes.done, passes.sum)?;
    let gbs = set.map(|secs, iterations| bytes_per_pass as f64 * iterations as f64 / secs / 1e9);
    let mut info = BTreeMap::new();
    info.insert("bytes_counted".into(), bytes_counted(kernel).into());
    info.insert("formula".into(), spec.formula.into());
    info.insert("isa".into(), passes.isa.name().into());
    if !trials.is_empty() {
        let by_isa: BTreeMap<&str, f64> = trials.iter().map(|&(isa, gbs)| (isa.name(), gbs)).collect();
        info.insert("isa_trials".into(), json!(by_isa));
    }
    info.insert("cpus".into(), json!(engine.cpus));
    info.insert("elements".into(), elements.into());
    info.insert("bytes_per_pass".into(), bytes_per_pass.into());
    info.insert("passes_per_sample".into(), set.iterations.into());
    info.insert("timing".into(), "threads released together by a barrier; time = last finish - first start".into());
    info.insert(
        "validation".into(),
        json!({ "average_relative_error": checked.average(), "max_relative_error": checked.max, "limit": validate::LIMIT }),
    );
    let median_value = median(&gbs).unwrap_or(f64::NAN);
    Ok(Measured {
        metrics: vec![
            best_metric("bandwidth", "GB/s", gbs, Better::Higher),
            Metric::new("bandwidth_median", "GB/s", median_value, "median", Vec::new(), Better::Higher),
        ],
        placement: engine.arrays.placement(&spec.arrays()),
        info,
    })
}

/// Passes of each trial, the best of which counts.
const TRIAL_PASSES: usize = 2;
/// `isa=auto` keeps the widest instruction set unless another is faster
/// by more than this: near ties do not flip the choice from run to run.
pub const ISA_MARGIN: f64 = 0.03;

/// `isa=auto`: times single passes with each candidate instruction set
/// (widest first) and leaves `passes` on the widest one within
/// [`ISA_MARGIN`] of the fastest. Returns each candidate's best GB/s.
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
    passes.isa = choose_isa(&trials).unwrap_or(candidates[0]);
    Ok(trials)
}

/// The widest instruction set (trials come widest first) whose rate is
/// within [`ISA_MARGIN`] of the best.
pub fn choose_isa(trials: &[(Isa, f64)]) -> Option<Isa> {
    let best = trials.iter().map(|t| t.1).fold(f64::NEG_INFINITY, f64::max);
    trials.iter().find(|t| t.1 >= best * (1.0 - ISA_MARGIN)).map(|t| t.0)
}

/// The byte-counting convention of a kernel, for the record.
fn bytes_counted(kernel: StreamKernel) -> String {
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
        assert!(bytes_counted(StreamKernel::Triad)
            .starts_with("STREAM logical traffic: 3 words of 8 bytes per element (2 read, 1 written)"));
        assert!(bytes_counted(StreamKernel::Copy).contains("read-for-ownership"));
        assert!(!bytes_counted(StreamKernel::NtCopy).contains("read-for-ownership"));
        assert!(!bytes_counted(StreamKernel::Read).contains("read-for-ownership"));
        assert!(KERNELS.iter().all(|k| bytes_counted(k.kernel).ends_with("GB/s = 1e9 bytes/s")));
    }

    #[test]
    fn auto_keeps_the_widest_instruction_set_unless_another_is_clearly_faster() {
        assert_eq!(choose_isa(&[(Isa::Avx512, 30.0), (Isa::Avx2, 30.5), (Isa::Sse2, 20.0)]), Some(Isa::Avx512));
        assert_eq!(choose_isa(&[(Isa::Avx512, 34.0), (Isa::Avx2, 47.5)]), Some(Isa::Avx2));
        assert_eq!(choose_isa(&[]), None);
    }
}
