//! `cpu.roofline`: attained FLOP/s and bytes/s of native SIMD kernels of
//! arithmetic intensity 1/8 to 256 FLOP per byte read (kernels/; the work
//! and its closed form: crate::roofline::work), one pinned thread per core,
//! per precision; and `cpu.roofline.ceilings`, the measured compute and
//! bandwidth ceilings and the ridge point, with the compute ceiling per
//! core and cycle (the clock measured) and the bandwidth ceiling beside the
//! same run's memory.bandwidth read.

use std::collections::BTreeMap;
use std::time::Duration;

use hwbench_probes::energy::Work as EnergyWork;
use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_probes::topology::last_level_cache_bytes;
use hwbench_schema::{Better, Metric, ParamValue, Record};
use serde::Serialize;
use serde_json::json;

use super::kernels::{self, Ends, Precision};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{best_metric, median_metric, Workload};
use crate::host::Host;
use crate::memory::bandwidth::arrays::split;
use crate::memory::bandwidth::kernels::{Isa, ISA_CHOICES};
use crate::memory::bandwidth::threads::{cpus, Pool};
use crate::memory::{pinned, traffic};
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::roofline::summary::{self, BANDWIDTH, BANDWIDTH_BEST, THROUGHPUT};
use crate::roofline::work::{chain_end, Work, CHAINS, CHAIN_BOUND};
use crate::roofline::{intensities, INTENSITY};
use crate::same_run::{self, same_param};
use crate::session::Session;

const ID: &str = "cpu.roofline";
/// Id of the summary record.
pub const CEILINGS_ID: &str = "cpu.roofline.ceilings";
/// A pass lasting longer than this reads less of the data, down to four
/// times the last-level cache.
pub const PASS_TARGET: Duration = Duration::from_millis(100);
/// The default data size at least.
const MIN_DEFAULT_BYTES: u64 = 256 << 20;

const PRECISION: Param<String> =
    Param::new("precision", ParamKind::Choice(&Precision::NAMES), Unset::Derived("both"), "data and arithmetic type");
const THREADS: Param<usize> = Param::new(
    "threads",
    ParamKind::Count,
    Unset::Derived("one per core"),
    "worker threads, pinned one per core first",
);
const BYTES: Param<u64> = Param::new(
    "bytes",
    ParamKind::Bytes,
    Unset::Derived("4x the last-level cache, at least 256 MiB"),
    "data read by the low-intensity kernels (all threads together)",
);
const ISA: Param<String> = Param::new(
    "isa",
    ParamKind::Choice(ISA_CHOICES),
    Unset::Value("auto"),
    "instruction set (auto: the widest with FMA this CPU runs)",
);

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "CPU roofline: attained FLOP/s and GB/s of SIMD FMA kernels from 1/8 to 256 FLOP per byte read, validated",
    metrics: "throughput GFLOP/s, bandwidth GB/s (median); summary cpu.roofline.ceilings: compute_ceiling, bandwidth_ceiling, ridge, flop_per_cycle_per_core, fraction of memory.bandwidth read",
    params: &[PRECISION.spec, INTENSITY.spec, THREADS.spec, BYTES.spec, ISA.spec],
    uses_gpu: false,
    summaries: &[CEILINGS_ID],
    make: || erase(CpuRoofline::default()),
};

/// The benchmark; keeps the data and workers of the last configuration.
#[derive(Default)]
pub struct CpuRoofline {
    engine: Option<Engine>,
}

/// One point: an intensity in one precision on `threads` pinned threads.
#[derive(Debug, Clone, Serialize)]
pub struct CpuRooflinePoint {
    /// The data type.
    pub precision: Precision,
    /// FLOP per byte read.
    pub intensity: f64,
    /// Worker threads.
    pub threads: usize,
    /// Bytes of data (all threads).
    pub bytes: u64,
    /// The instruction set measured.
    pub isa: &'static str,
    /// The CPU of each worker.
    #[serde(skip)]
    pub cpus: Vec<u32>,
}

impl Benchmark for CpuRoofline {
    type Point = CpuRooflinePoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<CpuRooflinePoint>, BenchError> {
        let precisions: Vec<Precision> = match PRECISION.get(settings)? {
            Some(p) => Precision::parse(&p).into_iter().collect(),
            None => vec![Precision::F32, Precision::F64],
        };
        let lanes: Vec<u32> = precisions.iter().map(|p| p.lane_bytes()).collect();
        let intensities = intensities(settings, &lanes)?;
        let here = kernels::available();
        let isa = match ISA.value(settings)?.as_str() {
            "auto" => here[0],
            name => here.iter().copied().find(|i| i.name() == name).ok_or_else(|| {
                let names: Vec<&str> = here.iter().map(|i| i.name()).collect();
                BenchError::bad_param(
                    ID,
                    "isa",
                    format!("'{name}' does not run on this CPU with FMA (it runs {})", names.join(", ")),
                )
            })?,
        };
        let usable = host.cpus_near(None);
        let order = cpus::spread(&host.topology, &usable);
        let threads = THREADS.get(settings)?.unwrap_or_else(|| cpus::cores(&host.topology, &usable));
        let cpus = cpus::assign(&order, threads, false).map_err(|e| BenchError::bad_param(ID, "threads", e))?;
        let bytes = match BYTES.get(settings)? {
            Some(b) => b,
            None => (4 * last_level_cache_bytes(&host.topology)).max(MIN_DEFAULT_BYTES),
        };
        let smallest = (threads * CHAINS * 64 * 8) as u64;
        if bytes < smallest {
            return Err(BenchError::bad_param(
                ID,
                "bytes",
                format!("{bytes} bytes is less than 8 elements per chain per thread ({smallest})"),
            ));
        }
        host.check_fits(ID, bytes)?;
        let mut points = Vec::new();
        for &precision in &precisions {
            for &intensity in &intensities {
                points.push(CpuRooflinePoint {
                    precision,
                    intensity,
                    threads,
                    bytes,
                    isa: isa.name(),
                    cpus: cpus.clone(),
                });
            }
        }
        Ok(points)
    }

    fn measure(&mut self, p: &CpuRooflinePoint, session: &mut Session) -> Result<Measured, BenchError> {
        let isa = kernels::available().into_iter().find(|i| i.name() == p.isa).unwrap_or(Isa::Portable);
        let key = (p.precision, isa, p.bytes, p.cpus.clone());
        if !self.engine.as_ref().is_some_and(|e| e.key == key) {
            self.engine = None;
            self.engine = Some(Engine::build(session.host(), key)?);
        }
        let Some(engine) = &self.engine else {
            return Err(BenchError::Failed("the data were not made".into()));
        };
        let work = Work::for_intensity(p.intensity, p.precision.lane_bytes()).map_err(BenchError::BadInput)?;
        measure(engine, session, work, p.intensity)
    }

    /// The data are mapped and touched when the precision, threads or size
    /// change; every point probes the pass length (halving the data while
    /// a pass exceeds 100 ms), measures the clock and samples passes.
    fn estimate(&self, p: &CpuRooflinePoint, previous: Option<&CpuRooflinePoint>, cost: &CostModel) -> f64 {
        let same = previous.is_some_and(|q| q.precision == p.precision && q.bytes == p.bytes && q.cpus == p.cpus);
        let build = if same { 0.0 } else { cost.touch(p.bytes, p.threads, PagePolicy::Transparent) };
        let full = cost.stream(p.bytes, p.threads, p.bytes) + cost.cpu_flops(p.bytes as f64 * p.intensity, p.threads);
        let target = PASS_TARGET.as_secs_f64();
        let (probes, pass) = if full > target { ((full / target).log2().ceil() + 1.0, target) } else { (1.0, full) };
        build + probes * full.min(2.0 * target) + cost.phase(cost.sampler, pass)
    }

    fn release(&mut self) {
        self.engine = None;
    }

    fn summarize(&self, own: &[Record], all: &[Record], _session: &mut Session) -> Vec<Record> {
        summary::group(own, &["precision", "threads", "isa"])
            .into_iter()
            .map(|(params, points)| {
                let threads = params.get("threads");
                let bandwidth = same_run::best(
                    all,
                    "memory.bandwidth",
                    "bandwidth_median",
                    "kernel read at the same threads",
                    |r| {
                        same_param(r, "kernel", Some(&ParamValue::Str("read".into())))
                            && same_param(r, "threads", threads)
                    },
                );
                let compute =
                    Err("hwbench has no CPU arithmetic peak benchmark: see flop_per_cycle_per_core".to_string());
                let mut record = summary::ceilings(CEILINGS_ID, params, &points, compute, bandwidth);
                per_core_cycle(&mut record, &points);
                record
            })
            .collect()
    }
}

/// Adds flop_per_cycle_per_core: the compute ceiling over threads x the
/// clock the points measured (their median); and the same of the highest
/// rate while the workers ran (throughput_running).
fn per_core_cycle(record: &mut Record, points: &[&Record]) {
    let Some(ceiling) = record.metrics.iter().find(|m| m.name == "compute_ceiling").map(|m| m.value) else { return };
    let clocks: Vec<f64> = points.iter().filter_map(|r| r.info.get("clock_ghz")?.as_f64()).collect();
    let threads = points.first().and_then(|r| r.info.get("cpus")?.as_array().map(Vec::len)).unwrap_or(0);
    let Some(clock) = hwbench_schema::numbers::median(&clocks).filter(|_| threads > 0) else { return };
    let cycles = threads as f64 * clock;
    let running = points
        .iter()
        .filter_map(|r| r.metrics.iter().find(|m| m.name == "throughput_running").map(|m| m.value))
        .fold(f64::NEG_INFINITY, f64::max);
    let per = |name: &str, v: f64| Metric::new(name, "FLOP/cycle", v / cycles, "derived", Vec::new(), Better::Higher);
    record.metrics.push(per("flop_per_cycle_per_core", ceiling));
    if running.is_finite() {
        record.metrics.push(per("flop_per_cycle_per_core_running", running));
    }
    record.info.insert(
        "flop_per_cycle_definition".into(),
        format!("compute_ceiling (and the highest throughput_running) / ({threads} threads x {clock:.3} GHz, the median clock the points measured: a dependent add per cycle); the FMA peak is FMA units x lanes x 2 per cycle").into(),
    );
}

/// A job for the workers.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// Write the data into the worker's chunk (first touch).
    Fill,
    /// `passes` passes of `work` over the first `elements` elements of
    /// every chain of the worker's chunk.
    Passes { work: Work, elements: usize, passes: u64 },
}

/// What a worker reports: its chains' ends after the last pass, and the CPU
/// time its passes took (time it ran, not time it waited for a CPU).
struct Output {
    ends: Ends,
    cpu: Duration,
}

/// The data, split among pinned workers, of one precision and instruction set.
struct Engine {
    key: (Precision, Isa, u64, Vec<u32>),
    region: Region,
    pool: Pool<Job, Output>,
    /// Elements each chain of each worker can read.
    elements: usize,
    lanes: usize,
}

impl Engine {
    fn build(host: &Host, key: (Precision, Isa, u64, Vec<u32>)) -> Result<Self, BenchError> {
        let (precision, isa, bytes, cpus) = key.clone();
        let lanes = kernels::lanes(isa, precision);
        let block = CHAINS * lanes * precision.lane_bytes() as usize;
        let blocks = bytes as usize / block;
        let ranges = split(blocks, cpus.len());
        let elements = ranges.iter().map(|r| r.len()).min().unwrap_or(0);
        let region = Region::allocate(&host.root, blocks * block, PagePolicy::Transparent, None)?;
        let base = region.as_ptr() as usize;
        let starts: Vec<usize> = ranges.iter().map(|r| base + r.start * block).collect();
        let pool = Pool::start(&cpus, move |worker, job| {
            let data = starts[worker] as *mut u8;
            let started = traffic::thread_cpu_time();
            let mut ends = Ends::default();
            match job {
                Job::Fill => kernels::fill(precision, data, elements, lanes),
                Job::Passes { work, elements, passes } => {
                    for _ in 0..passes {
                        // SAFETY: the worker's chunk holds `elements` blocks
                        // of CHAINS vectors, 64-byte aligned (whole blocks
                        // from a page-aligned start); isa is available here.
                        ends = unsafe { kernels::run(isa, precision, std::hint::black_box(data), elements, work) };
                        std::hint::black_box(&ends);
                    }
                }
            }
            Output { ends, cpu: traffic::thread_cpu_time().saturating_sub(started) }
        })?;
        pool.run(Job::Fill)?;
        Ok(Engine { key, region, pool, elements, lanes })
    }

    fn precision(&self) -> Precision {
        self.key.0
    }

    fn isa(&self) -> Isa {
        self.key.1
    }

    /// Bytes all workers read in one pass of `elements` per chain.
    fn bytes_read(&self, elements: usize) -> u64 {
        (elements * CHAINS * self.lanes * self.pool.len()) as u64 * u64::from(self.precision().lane_bytes())
    }

    /// Checks every worker's chain ends against the closed form.
    fn validate(&self, ends: &[Ends], work: Work, elements: usize) -> Result<(), BenchError> {
        let precision = self.precision();
        let fused = kernels::fused(self.isa());
        let tolerance = match work {
            Work::Fma { .. } => {
                let per_step = if fused { 1.0 } else { 2.0 };
                per_step * precision.unit_roundoff() * CHAIN_BOUND / (1.0 - 0.875)
            }
            _ => 0.0,
        };
        for (worker, end) in ends.iter().enumerate() {
            for k in 0..CHAINS {
                for l in 0..self.lanes {
                    let want = chain_end(work, (k + l) as u64, elements as u64, precision.bits());
                    let i = k * self.lanes + l;
                    let (got, bits) = (end.acc.get(i).copied().unwrap_or(f64::NAN), end.bits.get(i).copied());
                    if (got - want.acc).abs() > tolerance || got.is_nan() || bits != Some(want.bits) {
                        return Err(BenchError::Failed(format!(
                            "{ID} {} {}: worker {worker} chain {k} lane {l} ended at {got} (bits {bits:?}), expected {} (bits {:#x}) after {elements} elements",
                            precision.name(),
                            self.isa().name(),
                            want.acc,
                            want.bits
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The sampled workload: passes over every worker's chunk.
struct Passes<'a> {
    engine: &'a Engine,
    work: Work,
    elements: usize,
    flop_per_pass: f64,
    last: Vec<Ends>,
    /// The workers' CPU seconds of each run, in order.
    cpu_seconds: Vec<f64>,
}

impl Workload for Passes<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let round =
            self.engine.pool.run(Job::Passes { work: self.work, elements: self.elements, passes: iterations })?;
        self.cpu_seconds.push(round.results.iter().map(|o| o.cpu.as_secs_f64()).sum());
        self.last = round.results.into_iter().map(|o| o.ends).collect();
        Ok(round.span)
    }

    fn work_per_iteration(&self) -> Option<EnergyWork> {
        Some(EnergyWork { amount: self.flop_per_pass, unit: "FLOP" })
    }
}

fn measure(engine: &Engine, session: &mut Session, work: Work, intensity: f64) -> Result<Measured, BenchError> {
    let granule = work.granule() as usize;
    let mut elements = engine.elements / granule * granule;
    if elements == 0 {
        return Err(BenchError::BadInput(format!("{ID}: the data hold fewer than {granule} elements per chain")));
    }
    let cache = last_level_cache_bytes(&session.host().topology);
    let floor = (4 * cache).min(engine.bytes_read(elements));
    let mut passes = Passes { engine, work, elements, flop_per_pass: 0.0, last: Vec::new(), cpu_seconds: Vec::new() };
    loop {
        let took = passes.run(1)?;
        let half = elements / 2 / granule * granule;
        if took <= PASS_TARGET || half == 0 || engine.bytes_read(half) < floor {
            break;
        }
        elements = half;
        passes.elements = elements;
    }
    let bytes = engine.bytes_read(elements) as f64;
    let flops = bytes * intensity;
    passes.flop_per_pass = flops;
    let cpus = engine.key.3.clone();
    let clock_ghz = pinned::run_on(cpus[0], || Ok(1.0 / traffic::spin_ns_per_iteration()))?;
    passes.cpu_seconds.clear();
    let set = session.sample(&mut passes)?;
    engine.validate(&passes.last, work, elements)?;
    let threads = cpus.len() as f64;
    let kept = &passes.cpu_seconds[set.kept_runs.clone()];
    let running: Vec<f64> = kept.iter().map(|&cpu| flops * set.iterations as f64 / (cpu / threads) / 1e9).collect();
    let share: Vec<f64> = kept.iter().zip(&set.seconds).map(|(&cpu, &wall)| cpu / (threads * wall)).collect();
    let metrics = vec![
        median_metric(THROUGHPUT, "GFLOP/s", set.map(|s, n| flops * n as f64 / s / 1e9), Better::Higher),
        median_metric(BANDWIDTH, "GB/s", set.map(|s, n| bytes * n as f64 / s / 1e9), Better::Higher),
        best_metric(BANDWIDTH_BEST, "GB/s", set.map(|s, n| bytes * n as f64 / s / 1e9), Better::Higher),
        median_metric("throughput_running", "GFLOP/s", running, Better::Higher),
    ];
    let mut info = BTreeMap::new();
    info.insert("work".into(), work.describe().into());
    info.insert("isa".into(), engine.isa().name().into());
    info.insert("fused_multiply_add".into(), kernels::fused(engine.isa()).into());
    info.insert("lanes".into(), engine.lanes.into());
    info.insert("chains_per_thread".into(), CHAINS.into());
    info.insert("cpus".into(), json!(cpus));
    info.insert("elements_per_chain".into(), elements.into());
    info.insert("bytes_read_per_pass".into(), (bytes as u64).into());
    info.insert("flop_per_pass".into(), flops.into());
    info.insert("passes_per_sample".into(), set.iterations.into());
    info.insert("clock_ghz".into(), clock_ghz.into());
    info.insert("cpu_share".into(), hwbench_schema::numbers::median(&share).unwrap_or(f64::NAN).into());
    info.insert(
        "throughput_running".into(),
        "FLOP per second of the workers' own CPU time (thread CPU clocks) x threads: the rate while they ran, apart from time other tasks held their CPUs; cpu_share is that CPU time / (threads x wall time)".into(),
    );
    info.insert(
        "clock".into(),
        "GHz of the first worker's CPU before sampling: a loop of one dependent register add per cycle, the best of five runs of 2^22 by thread CPU time".into(),
    );
    info.insert("timing".into(), "threads released together by a barrier; time = last finish - first start".into());
    info.insert("byte_counting".into(), "bytes of data read, each element once per pass; GB/s = 1e9 B/s".into());
    info.insert("validated".into(), "every lane of every chain of every thread against the closed form".into());
    Ok(Measured { metrics, placement: Some(engine.region.placement(engine.region.len())), info })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwbench_probes::SysRoot;
    use hwbench_schema::Topology;

    fn host() -> Host {
        Host::new(
            SysRoot::default(),
            hwbench_probes::topology::probe(&SysRoot::default()).unwrap_or_else(|_| Topology::default()),
        )
    }

    #[test]
    fn the_plan_covers_every_intensity_and_refuses_what_cannot_run() {
        let mut s = Settings::new(ID);
        s.set(&BYTES.spec, "16MiB").unwrap();
        let points = CpuRoofline::default().plan(&s, &host()).unwrap();
        assert_eq!(points.len(), 24);
        assert_eq!(points[0].isa, kernels::available()[0].name());
        s.set(&INTENSITY.spec, "3").unwrap();
        assert!(CpuRoofline::default().plan(&s, &host()).unwrap_err().to_string().contains("3 FLOP/byte"));
        let mut s = Settings::new(ID);
        s.set(&BYTES.spec, "1KiB").unwrap();
        assert!(CpuRoofline::default().plan(&s, &host()).unwrap_err().to_string().contains("8 elements per chain"));
    }

    /// The whole path on this machine: the data filled by pinned workers,
    /// a pass at each kind of work validated; a wrong element count fails.
    #[test]
    fn measured_points_are_validated_and_missing_work_is_not() {
        let host = host();
        let mut session = Session::plain(host.clone());
        session.sampler.samples = 3;
        session.sampler.target = Duration::from_millis(5);
        let mut s = Settings::new(ID);
        s.set(&BYTES.spec, "4MiB").unwrap();
        s.set(&INTENSITY.spec, "1/8,1,16").unwrap();
        s.set(&PRECISION.spec, "f32").unwrap();
        let mut bench = CpuRoofline::default();
        for p in bench.plan(&s, &host).unwrap() {
            let m = bench.measure(&p, &mut session).unwrap();
            assert!(m.metrics[0].value > 0.0 && m.metrics[1].value > 0.0, "{:?}", m.metrics);
            assert!(m.info["clock_ghz"].as_f64().unwrap() > 0.1);
        }
        let engine = bench.engine.as_ref().unwrap();
        let work = Work::Fma { steps: 8 };
        let ends: Vec<Ends> = engine
            .pool
            .run(Job::Passes { work, elements: 16, passes: 1 })
            .unwrap()
            .results
            .into_iter()
            .map(|o| o.ends)
            .collect();
        engine.validate(&ends, work, 16).unwrap();
        let err = engine.validate(&ends, work, 15).unwrap_err().to_string();
        assert!(err.contains("after 15 elements"), "{err}");
        let err = engine.validate(&ends, Work::Fma { steps: 7 }, 16).unwrap_err();
        assert!(matches!(err, BenchError::Failed(_)));
    }
}
