//! The machine side of the benchmarks' cost models (docs/METHODS.md,
//! "Plans and budgets"): what the pieces of a planned point's work cost in
//! seconds on this machine, worked out from its description (caches,
//! memory, CPUs, nodes, GPU adapters) and the sampler, before anything
//! runs. Where a cost depends on the machine's speed, the rates that
//! matter most are measured by a short probe of the live machine
//! ([`rates`]); the rest are assumptions stated here ([`CostModel::assumptions`]).
//! Each benchmark's own model (`Benchmark::estimate`) counts the work of
//! its points in these terms. The assumed rates were tuned on the
//! project's 2-vCPU development VM and the estimates are checked there
//! (`make plan-accuracy`, scripts/bench/plan-accuracy), never in a timed
//! test.

use std::collections::BTreeMap;

use hwbench_probes::placement::PagePolicy;
use hwbench_probes::topology::last_level_cache_bytes;

use crate::harness::SamplerConfig;
use crate::host::Host;

pub mod crowd;
pub mod rates;
pub use rates::Rates;

/// A calibration before a sampling phase, in sample targets: runs growing
/// 16-fold far below the target, one between, and one at about 1.1 targets.
const CALIBRATION_TARGETS: f64 = 1.5;
/// At most this many GB/s from one node's memory, however many threads.
const DRAM_GBS_PER_NODE: f64 = 120.0;
/// Bandwidth of one thread inside its caches, GB/s.
const CACHE_GBS_PER_THREAD: f64 = 40.0;
/// Looking up where one base page is (move_pages with no target), ns.
const PAGE_LOOKUP_NS: f64 = 150.0;
/// Timing a chase's tails: the timer's own cost (20 000 empty batches),
/// its tick (2 ms) and the batch-length probe, seconds before the phase.
const TAILS_SETUP: f64 = 0.005;
/// CPU arithmetic of the SIMD FMA kernels, FLOP/s per thread.
const CPU_FLOPS_PER_THREAD: f64 = 30e9;
/// Starting and joining pinned threads, seconds per thread.
const THREAD_START: f64 = 0.000_2;
/// A software GPU adapter (lavapipe, WARP): device memory GB/s ...
const SOFTWARE_GPU_GBS: f64 = 1.2;
/// ... FLOP/s in f32 ...
const SOFTWARE_GPU_FLOPS: f64 = 25e9;
/// ... and compiling one pipeline, seconds.
const SOFTWARE_GPU_COMPILE: f64 = 0.15;
/// A hardware GPU: device memory GB/s, FLOP/s in f32 and a pipeline's
/// compilation (never measured on the development VM, which has none).
const HARDWARE_GPU_GBS: f64 = 300.0;
const HARDWARE_GPU_FLOPS: f64 = 10e12;
const HARDWARE_GPU_COMPILE: f64 = 0.05;
/// Host-device transfers, GB/s (PCIe), hardware and software alike.
const TRANSFER_GBS: f64 = 8.0;
/// Opening a GPU device (once per run), seconds.
const GPU_OPEN: f64 = 0.5;

/// What a planned point's pieces of work cost on one machine.
#[derive(Debug, Clone)]
pub struct CostModel {
    /// The sampler every phase is taken with.
    pub sampler: SamplerConfig,
    llc_bytes: u64,
    /// Allowed CPUs of each node, by node OS index.
    node_cpus: BTreeMap<u32, usize>,
    /// Each described GPU adapter: true when it is a software one.
    gpus: BTreeMap<usize, bool>,
    /// First touch, DRAM and shuffle rates: measured or assumed.
    rates: Rates,
}

impl CostModel {
    /// The cost model of `host` measured with `sampler`, at the assumed
    /// rates until [`CostModel::with_rates`] gives it the machine's.
    pub fn new(host: &Host, sampler: SamplerConfig) -> Self {
        let allowed = host.allowed_cpus();
        let node_cpus = host
            .topology
            .nodes
            .iter()
            .map(|n| (n.os_index, n.cpus.iter().filter(|c| allowed.contains(c)).count()))
            .collect();
        let gpus = host.topology.gpus.iter().map(|g| (g.index, g.is_software())).collect();
        let rates = Rates::assumed("not probed");
        CostModel { sampler, llc_bytes: last_level_cache_bytes(&host.topology), node_cpus, gpus, rates }
    }

    /// The same model counting work at `rates`.
    pub fn with_rates(self, rates: Rates) -> Self {
        CostModel { rates, ..self }
    }

    /// The rates it counts work at.
    pub fn rates(&self) -> &Rates {
        &self.rates
    }

    /// Every rate the estimates rest on, in words, for plans.
    pub fn assumptions(&self) -> Vec<String> {
        vec![
            "a sampling phase: a calibration of about 1.5 sample targets, then every sample at the target or one iteration, whichever is longer".into(),
            self.rates.describe(),
            format!("memory bandwidth at most {DRAM_GBS_PER_NODE} GB/s a node; {CACHE_GBS_PER_THREAD} GB/s per thread inside the caches"),
            "CPU arithmetic: 30 GFLOP/s per thread; timing a chase's tails: 5 ms before its phase".into(),
            format!("{PAGE_LOOKUP_NS} ns to look up where a page is"),
            "GPU: a software adapter 1.2 GB/s, 25 GFLOP/s, 0.15 s a pipeline; a hardware one 300 GB/s, 10 TFLOP/s, 0.05 s (never measured here); transfers 8 GB/s; 0.5 s to open a device".into(),
        ]
    }

    /// Seconds of one sampling phase with `cfg` of work whose single
    /// iteration takes `iteration` seconds: the calibration, then
    /// `cfg.runs()` runs each lasting the target or one iteration.
    pub fn phase(&self, cfg: SamplerConfig, iteration: f64) -> f64 {
        self.calibration(cfg, iteration) + cfg.runs() as f64 * cfg.target.as_secs_f64().max(iteration)
    }

    /// Seconds of the calibration before a phase with `cfg` of work whose
    /// single iteration takes `iteration` seconds.
    fn calibration(&self, cfg: SamplerConfig, iteration: f64) -> f64 {
        let target = cfg.target.as_secs_f64();
        if iteration >= target * 0.5 {
            iteration
        } else {
            CALIBRATION_TARGETS * target
        }
    }

    /// A phase of the run's sampler over work of short iterations.
    pub fn sample(&self) -> f64 {
        self.phase(self.sampler, 0.0)
    }

    /// Seconds of a phase with `cfg` taken in slices with time off the CPU
    /// set aside ([`crate::undisturbed`]), with the other CPUs of the node
    /// `crowded` or idle: its calibration, then its samples' time
    /// stretched by what the crowd probe saw, up to the wall time such a
    /// phase may take.
    pub fn sliced(&self, cfg: SamplerConfig, crowded: bool) -> f64 {
        let plan = crate::undisturbed::Plan::new(&cfg, 1);
        let samples = cfg.runs() as f64 * cfg.target.as_secs_f64() * self.rates.crowd.stretch(crowded);
        self.calibration(cfg, 0.0) + samples.min(plan.max_wall.as_secs_f64())
    }

    /// Seconds of a tail phase of a chase ([`crate::memory::tails`]) with
    /// `cfg`, the other CPUs of the node `crowded` or idle.
    pub fn tails(&self, cfg: SamplerConfig, crowded: bool) -> f64 {
        TAILS_SETUP + self.sliced(cfg, crowded)
    }

    /// Seconds `threads` threads take to do `flops` SIMD FMA operations.
    pub fn cpu_flops(&self, flops: f64, threads: usize) -> f64 {
        flops / (CPU_FLOPS_PER_THREAD * self.parallel(threads))
    }

    /// Seconds `threads` threads take to first-touch `bytes` with `page`.
    pub fn touch(&self, bytes: u64, threads: usize, page: PagePolicy) -> f64 {
        let rate = if page == PagePolicy::Small { self.rates.touch_gbs_4k } else { self.rates.touch_gbs_huge };
        bytes as f64 / (rate * 1e9 * self.parallel(threads)) + THREAD_START * threads as f64
    }

    /// What `threads` threads of one node do together, in threads alone:
    /// fewer where threads beside each other slow each other down (cores
    /// shared, a hypervisor with more vCPUs than cores).
    fn parallel(&self, threads: usize) -> f64 {
        threads.max(1) as f64 / self.rates.crowd.thread_slowdown(threads)
    }

    /// Seconds to build a chase over `bytes` in lines of `stride` bytes:
    /// the shuffle of its permutation and the pointers written.
    pub fn chase_build(&self, bytes: u64, stride: u64) -> f64 {
        let lines = (bytes / stride.max(8)) as f64;
        let shuffle = if lines * 4.0 <= self.llc_bytes as f64 {
            self.rates.shuffle_ns_cached
        } else {
            self.rates.shuffle_ns_memory
        };
        lines * shuffle * 1e-9 + self.stream(bytes, 1, bytes)
    }

    /// Seconds `threads` threads take to stream `bytes` (read or written
    /// once) over a working set of `working_set` bytes: at cache speed
    /// inside the last-level cache, else at memory speed, each thread
    /// slowed by the threads beside it as the crowd probe saw.
    pub fn stream(&self, bytes: u64, threads: usize, working_set: u64) -> f64 {
        let parallel = self.parallel(threads);
        let gbs = if working_set <= self.llc_bytes {
            CACHE_GBS_PER_THREAD * parallel
        } else {
            let cap = DRAM_GBS_PER_NODE * self.nodes_spanned(threads.max(1) as f64);
            (self.rates.dram_gbs_per_thread * parallel).min(cap)
        };
        bytes as f64 / (gbs * 1e9)
    }

    /// How many nodes' memory `threads` threads spread over, at one thread
    /// per CPU of the largest nodes first: the bandwidth cap grows with it.
    fn nodes_spanned(&self, threads: f64) -> f64 {
        let most = self.node_cpus.values().copied().max().unwrap_or(1).max(1) as f64;
        (threads / most).ceil().max(1.0)
    }

    /// The allowed CPUs of node `node` (all allowed CPUs when unknown).
    pub fn cpus_of(&self, node: u32) -> usize {
        self.node_cpus.get(&node).copied().unwrap_or_else(|| self.node_cpus.values().sum())
    }

    /// Seconds to move `bytes` between nodes with `page`.
    pub fn migrate(&self, bytes: u64, page: PagePolicy) -> f64 {
        let rate = if page == PagePolicy::Small { self.rates.migrate_gbs_4k } else { self.rates.migrate_gbs_huge };
        bytes as f64 / (rate * 1e9)
    }

    /// Seconds to look up the node of every base page of `bytes`.
    pub fn page_census(&self, bytes: u64) -> f64 {
        (bytes / 4096) as f64 * PAGE_LOOKUP_NS * 1e-9
    }

    /// Seconds to start and join `threads` pinned threads.
    pub fn threads(&self, threads: usize) -> f64 {
        THREAD_START * threads as f64
    }

    /// Seconds of one GPU sampling phase on `adapter` (samples of at least
    /// 100 ms) of dispatches each moving `bytes` through device memory and
    /// doing `flops` operations.
    pub fn gpu_phase(&self, adapter: Option<usize>, bytes: f64, flops: f64) -> f64 {
        self.phase(crate::gpu::timing::config(&self.sampler), self.gpu_work(adapter, bytes, flops))
    }

    /// Seconds one dispatch moving `bytes` and doing `flops` takes on `adapter`.
    pub fn gpu_work(&self, adapter: Option<usize>, bytes: f64, flops: f64) -> f64 {
        let (gbs, rate) = match self.software(adapter) {
            Some(true) => (SOFTWARE_GPU_GBS, SOFTWARE_GPU_FLOPS),
            _ => (HARDWARE_GPU_GBS, HARDWARE_GPU_FLOPS),
        };
        bytes / (gbs * 1e9) + flops / rate
    }

    /// Seconds to compile one pipeline on `adapter`.
    pub fn gpu_compile(&self, adapter: Option<usize>) -> f64 {
        match self.software(adapter) {
            Some(true) => SOFTWARE_GPU_COMPILE,
            _ => HARDWARE_GPU_COMPILE,
        }
    }

    /// Seconds to move `bytes` between host and device.
    pub fn transfer(&self, bytes: f64) -> f64 {
        bytes / (TRANSFER_GBS * 1e9)
    }

    /// Seconds to open the GPU devices a run uses (once per run), or
    /// nothing when it measures none.
    pub fn gpu_open(&self, used: bool) -> f64 {
        if used && !self.gpus.is_empty() {
            GPU_OPEN
        } else {
            0.0
        }
    }

    /// Whether `adapter` is a software one; None when there is no such
    /// adapter (its points are skipped at once).
    fn software(&self, adapter: Option<usize>) -> Option<bool> {
        adapter.and_then(|a| self.gpus.get(&a).copied())
    }

    /// True when `adapter` names a described adapter: its points measure.
    pub fn has_gpu(&self, adapter: Option<usize>) -> bool {
        self.software(adapter).is_some()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::*;
    use crate::memory::nodes::tests::fixture;
    use hwbench_probes::SysRoot;

    /// The two-socket CXL fixture: nodes 0 and 1 with 2 CPUs each, a
    /// CPU-less node 2, 64 MiB of last-level cache, no GPU.
    pub(crate) fn model() -> CostModel {
        CostModel::new(&Host::new(SysRoot::default(), fixture("two-socket-cxl")), SamplerConfig::default())
    }

    #[test]
    fn a_phase_is_its_calibration_and_samples_at_the_target_or_one_iteration() {
        let m = model();
        // 11 runs of 50 ms after 1.5 targets of calibration.
        assert!((m.sample() - 0.625).abs() < 1e-9, "{}", m.sample());
        // One iteration of 0.2 s: calibrated by one run, then 11 of it.
        assert!((m.phase(m.sampler, 0.2) - 2.4).abs() < 1e-9);
        let short = SamplerConfig { target: Duration::from_millis(5), samples: 6, ..m.sampler };
        assert!((m.phase(short, 0.0) - 0.0375).abs() < 1e-9);
    }

    #[test]
    fn memory_work_costs_more_past_the_cache_and_scales_with_threads_up_to_the_node() {
        let m = model();
        let gib = 1u64 << 30;
        assert!(m.stream(gib, 1, gib) > 4.0 * m.stream(gib, 1, 1 << 20));
        // 2 threads at 8 GB/s each; 4 threads span both nodes of 2 CPUs.
        assert!((m.stream(16_000_000_000, 2, 12 * gib) - 1.0).abs() < 1e-9);
        assert!((m.stream(32_000_000_000, 4, 12 * gib) - 1.0).abs() < 1e-9);
        assert!(m.touch(gib, 1, PagePolicy::Small) > m.touch(gib, 1, PagePolicy::Transparent));
        assert!(m.touch(gib, 2, PagePolicy::Small) < m.touch(gib, 1, PagePolicy::Small));
        // A permutation past the cache shuffles at memory speed.
        assert!(m.chase_build(2 * gib, 64) > 128.0 * m.chase_build(16 << 20, 64));
        assert_eq!(m.cpus_of(1), 2);
        assert_eq!(m.cpus_of(9), 4);
    }

    #[test]
    fn sliced_phases_and_threads_stretch_as_the_crowd_probe_saw() {
        use super::crowd::{Crowd, Phase, REFERENCE};
        let m = model();
        // The development VM's crowd: a sliced phase costs what a phase does.
        assert!((m.sliced(m.sampler, true) - m.sample()).abs() < 1e-9);
        assert!((m.tails(m.sampler, false) - TAILS_SETUP - m.sample()).abs() < 1e-9);
        let slow = Crowd {
            cpus: 2,
            alone: Phase { kept: 0.9, stretch: 1.5 * REFERENCE.alone.stretch },
            crowded: Phase { kept: 0.5, stretch: 3.0 * REFERENCE.crowded.stretch },
            slowdown: 2.0 * REFERENCE.slowdown,
        };
        let rates = Rates { crowd: slow, ..m.rates().clone() };
        let s = m.clone().with_rates(rates);
        // Calibration 75 ms, then 11 samples of 50 ms stretched.
        assert!((s.sliced(s.sampler, false) - (0.075 + 0.55 * 1.5)).abs() < 1e-9);
        assert!((s.sliced(s.sampler, true) - (0.075 + 0.55 * 3.0)).abs() < 1e-9);
        // Never past the bound: 4 x the samples' time.
        let crammed =
            Rates { crowd: Crowd { crowded: Phase { kept: 0.01, stretch: 100.0 }, ..slow }, ..s.rates().clone() };
        assert!((s.clone().with_rates(crammed).sliced(s.sampler, true) - (0.075 + 2.2)).abs() < 1e-9);
        // Two threads at half speed each do what one does alone.
        let gib = 1u64 << 30;
        assert!((s.stream(16 * gib, 2, 12 * gib) - m.stream(16 * gib, 1, 12 * gib)).abs() < 1e-9);
        assert!((s.cpu_flops(1e9, 2) - m.cpu_flops(1e9, 1)).abs() < 1e-12);
        assert_eq!(s.stream(gib, 1, gib), m.stream(gib, 1, gib));
    }

    #[test]
    fn gpu_work_costs_nothing_without_an_adapter_to_open() {
        let m = model();
        assert_eq!(m.gpu_open(true), 0.0);
        assert!(!m.has_gpu(Some(0)) && !m.has_gpu(None));
        assert_eq!(m.gpu_compile(None), HARDWARE_GPU_COMPILE);
    }
}
