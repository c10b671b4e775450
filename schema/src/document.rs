//! The result document: one JSON file per run (see results/SCHEMA.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fact::Fact;

/// The schema version this build writes. The loader reads this version and
/// every older one it knows; a newer one is refused with a clear error.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of hwbench: what ran, on what machine, and every measured record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultDocument {
    /// Version of this document's shape; see [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The program that wrote the document.
    pub tool: Tool,
    /// What was run, when, and how it ended.
    pub run: Run,
    /// Provenance: what the machine and its software were.
    pub machine: Machine,
    /// Hardware topology: caches, cores, NUMA nodes, tiers.
    pub topology: Topology,
    /// Each energy meter or counter source: "available" or why not.
    #[serde(default)]
    pub sensors: BTreeMap<String, SensorStatus>,
    /// One record per measured point.
    pub benchmarks: Vec<Record>,
}

/// The program that produced a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Always "hwbench" for documents this project writes.
    pub name: String,
    /// Crate version of the binary.
    pub version: String,
    /// Git commit of the build, with "-dirty" when the tree had changes.
    pub git_sha: Fact<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Every selected benchmark ran (some may be skipped or failed).
    Complete,
    /// Stopped early (Ctrl-C); the document holds what was measured.
    Interrupted,
    /// Stopped before a point that would not fit the time left of the
    /// run's budget (`run.budget.stopped` says where); every record
    /// finished before is kept. Added after the first documents of
    /// schema_version 1.
    #[serde(rename = "budget_ended")]
    BudgetEnded,
}

impl RunStatus {
    /// The status as the document writes it.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Complete => "complete",
            RunStatus::Interrupted => "interrupted",
            RunStatus::BudgetEnded => "budget_ended",
        }
    }
}

/// What was run and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Unique id of the run (UTC timestamp plus random suffix).
    pub id: String,
    /// Free-text label given with `--label`.
    #[serde(default)]
    pub label: Option<String>,
    /// Suite name, or "custom" when benchmark ids were given.
    pub suite: String,
    /// The command line, one element per argument.
    pub command: Vec<String>,
    /// Benchmark ids asked for (empty when the suite chose them).
    #[serde(default)]
    pub benchmarks: Vec<String>,
    /// `--set KEY=VALUE` settings applied, as given; with `suite` and
    /// `benchmarks` they reproduce the selection (`hwbench check`).
    #[serde(default)]
    pub settings: Vec<String>,
    /// RFC 3339 UTC time the run started.
    pub started_at: String,
    /// RFC 3339 UTC time the run ended.
    pub finished_at: String,
    /// Whether the run completed or was interrupted.
    pub status: RunStatus,
    /// Warnings raised during the run (interference, placement, ...).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// How many times every point was measured (`--repeat`); 1 in
    /// documents written before repetitions existed.
    #[serde(default = "one")]
    pub repeat: u32,
    /// Seed of the order the repetitions were measured in, when repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_seed: Option<u64>,
    /// `--tag KEY=VALUE` labels (sku, rack, ...), for cohorts and exports.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The time budget the run was fitted into (`--budget`); None when it
    /// had none, and in documents written before budgets existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
}

/// A run's time budget: what was asked, what the plan expected and the
/// run used, what was shortened to fit and, when the machine was slower
/// than planned, where the run stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Seconds the run was given, from its start to its result written.
    pub asked_seconds: f64,
    /// The estimate of the run as selected, before anything was shortened.
    pub unshortened_seconds: f64,
    /// The estimate of the run as planned, after shortening.
    pub planned_seconds: f64,
    /// Wall seconds from the start of the run to the document assembled
    /// (writing it follows).
    pub used_seconds: f64,
    /// What was shortened, in the order the planner chose; empty when the
    /// whole selection fitted.
    pub shortened: Vec<Shortening>,
    /// Where and why the run stopped before its plan's end; None when every
    /// planned point was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Estimated and used seconds of each planned benchmark, in plan order.
    pub benchmarks: Vec<BudgetShare>,
}

/// One thing a budget shortened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortening {
    /// The benchmark shortened; None for what applies to every benchmark
    /// (repetitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<String>,
    /// What was cut: "repetitions", "sweep points", "thread counts",
    /// "delays", "chain counts", "ratios", "pairs".
    pub lever: String,
    /// How many there were.
    pub from: u64,
    /// How many are measured.
    pub to: u64,
    /// Why no fewer are measured, or why it was cut.
    pub why: String,
}

/// A planned benchmark's share of a budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetShare {
    /// The benchmark id.
    pub id: String,
    /// Its estimate, as planned (every repetition).
    pub estimated_seconds: f64,
    /// Wall seconds its points took (every repetition measured).
    pub used_seconds: f64,
}

fn one() -> u32 {
    1
}

/// Provenance of the machine and its software. Every fact is a value or
/// `{"unknown": "reason"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub hostname: Fact<String>,
    pub cpu_vendor: Fact<String>,
    pub cpu_model: Fact<String>,
    pub cpu_family: Fact<u32>,
    pub cpu_model_number: Fact<u32>,
    pub cpu_stepping: Fact<u32>,
    pub microcode: Fact<String>,
    /// CPU feature flags relevant to the kernels (avx2, avx512f, ...).
    pub cpu_flags: Fact<Vec<String>>,
    pub sockets: Fact<u32>,
    pub cores: Fact<u32>,
    pub threads: Fact<u32>,
    pub smt: Fact<bool>,
    pub memory_bytes: Fact<u64>,
    pub kernel: Fact<String>,
    pub kernel_cmdline: Fact<String>,
    pub os: Fact<String>,
    pub cpufreq_driver: Fact<String>,
    pub cpufreq_governor: Fact<String>,
    pub boost: Fact<bool>,
    pub thp_enabled: Fact<String>,
    pub thp_defrag: Fact<String>,
    /// /proc/sys/kernel/numa_balancing (0 off, 1 normal, 2 tiering).
    pub numa_balancing: Fact<u32>,
    /// /sys/kernel/mm/numa/demotion_enabled.
    pub demotion_enabled: Fact<bool>,
    pub hypervisor: Fact<String>,
    pub rustc: Fact<String>,
    /// The hwloc library this build reads the topology with ("2.12.0").
    #[serde(default = "not_recorded")]
    pub hwloc: Fact<String>,
    /// 1, 5 and 15 minute load averages when the run started.
    pub load_average: Fact<[f64; 3]>,
    /// Firmware version (/sys/class/dmi/id/bios_version).
    #[serde(default = "not_recorded")]
    pub bios_version: Fact<String>,
    /// Populated memory devices (DIMMs) the firmware lists (SMBIOS type 17).
    #[serde(default = "not_recorded")]
    pub memory_devices: Fact<u32>,
    /// Configured speed of the slowest populated memory device, MT/s
    /// (SMBIOS type 17): the speed the memory channels run at.
    #[serde(default = "not_recorded")]
    pub memory_speed_mts: Fact<u32>,
    /// PCI Express links of the GPUs and accelerators (PCI classes 0x03 and
    /// 0x12) from sysfs; empty when there are none.
    #[serde(default = "not_recorded")]
    pub gpu_pcie: Fact<Vec<crate::PcieLink>>,
}

/// The value of a provenance fact in documents written before it existed.
fn not_recorded<T>() -> Fact<T> {
    Fact::unknown("not recorded: the document was written by an hwbench without this fact")
}

/// Hardware topology: what hwloc reports plus what only sysfs knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// Where the figures came from (hwloc version, sysfs root).
    pub source: String,
    pub packages: u32,
    pub cores: Vec<Core>,
    /// One entry per cache instance.
    pub caches: Vec<Cache>,
    pub nodes: Vec<NumaNode>,
    /// Kernel memory tiers (/sys/devices/virtual/memory_tiering).
    #[serde(default)]
    pub memory_tiers: Vec<MemoryTier>,
    /// GPU adapters wgpu finds (empty when none: see `gpu_note`).
    #[serde(default)]
    pub gpus: Vec<crate::GpuAdapter>,
    /// Why no GPU adapter is listed, when none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_note: Option<String>,
    /// The CPUs and memory nodes this process may use (its cgroup cpuset
    /// and CPU affinity); None in documents written before it was recorded,
    /// which read as "everything allowed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Allowed>,
    /// Facts that could not be read, each with the reason (the fact is
    /// absent or empty elsewhere in the topology, never made up).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown: BTreeMap<String, String>,
    /// Facts the hwloc this build links cannot give (it is older than the
    /// release that reads them), each with what it lacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hwloc_lacks: Vec<String>,
}

/// What this process may use: hwloc's allowed sets (the cgroup cpuset),
/// the CPUs further narrowed to the process's affinity on the live machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Allowed {
    /// OS indices of the PUs this process may run on.
    pub cpus: Vec<u32>,
    /// OS indices of the NUMA nodes this process may allocate memory on.
    pub nodes: Vec<u32>,
    /// The cgroup the limits come from, when hwloc found one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
}

impl Topology {
    /// True when this process may allocate on node `n` (always, in
    /// documents that did not record it).
    pub fn node_allowed(&self, n: u32) -> bool {
        self.allowed.as_ref().is_none_or(|a| a.nodes.contains(&n))
    }

    /// True when this process may run on PU `cpu` (always, in documents
    /// that did not record it).
    pub fn cpu_allowed(&self, cpu: u32) -> bool {
        self.allowed.as_ref().is_none_or(|a| a.cpus.contains(&cpu))
    }
}

/// A physical core and the PUs (hardware threads) it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Core {
    /// Logical index of the core across the machine.
    pub index: u32,
    /// Logical index of the package (socket) holding it.
    pub package: u32,
    /// OS indices of its PUs.
    pub pus: Vec<u32>,
}

/// The kind of a cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheKind {
    Data,
    Instruction,
    Unified,
}

/// One cache instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cache {
    pub level: u8,
    pub kind: CacheKind,
    pub size_bytes: u64,
    pub line_bytes: u32,
    /// Ways of associativity; 0 when unknown, -1 when fully associative.
    pub associativity: i32,
    /// OS indices of the PUs that share this instance.
    pub shared_by_pus: Vec<u32>,
}

/// A NUMA node: DRAM, a remote socket, CXL or other far memory, HBM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumaNode {
    pub os_index: u32,
    pub memory_bytes: u64,
    /// OS indices of the PUs local to this node; empty for CPU-less nodes.
    pub cpus: Vec<u32>,
    /// True when no CPU is local to the node (how CXL memory appears).
    pub cpu_less: bool,
    /// SLIT distances to every node, keyed by the target's OS index.
    #[serde(default)]
    pub distances: BTreeMap<u32, u32>,
    /// Firmware (ACPI HMAT) performance figures, per access class.
    #[serde(default)]
    pub hmat: Vec<HmatFigures>,
    /// Kernel memory tier id, when memory tiering is present.
    #[serde(default)]
    pub memory_tier: Option<u32>,
    /// hwloc's subtype (e.g. "CXL-DRAM", "HBM", "NVM"), when it gives one.
    #[serde(default)]
    pub subtype: Option<String>,
    /// The tier hwbench classified the node as, with the evidence.
    #[serde(default)]
    pub tier: Option<TierLabel>,
    /// hwloc's info attributes of the node (PCIBusID of a GPU whose memory
    /// it is, DAXDevice, DAXType, CXLDevice, MemoryTier, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub infos: BTreeMap<String, String>,
    /// Memory-side caches in front of the node (hwloc MemCache objects),
    /// nearest the node first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memory_side_caches: Vec<MemorySideCache>,
}

/// A memory-side cache (e.g. DRAM caching CXL or HBM caching DRAM).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemorySideCache {
    /// 1 for the cache nearest the memory.
    pub depth: u32,
    /// Size in bytes; None when the firmware does not say.
    pub size_bytes: Option<u64>,
    /// Line size in bytes; None when the firmware does not say.
    pub line_bytes: Option<u32>,
}

/// Firmware (ACPI HMAT) performance figures of a memory node as seen from
/// one set of initiators: hwloc's memory attributes, which Linux takes from
/// the node's access class 1 (CPU initiators) when it has one, else 0. A
/// figure the firmware leaves at 0 ("not provided") is None.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HmatFigures {
    /// 0: best initiators of any kind; 1: best initiators that are CPUs.
    pub access_class: u32,
    /// OS indices of the initiator nodes the figures apply to.
    pub initiators: Vec<u32>,
    pub read_latency_ns: Option<u64>,
    pub write_latency_ns: Option<u64>,
    /// MB/s as the kernel reports it.
    pub read_bandwidth_mbps: Option<u64>,
    pub write_bandwidth_mbps: Option<u64>,
}

/// A kernel memory tier and its nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryTier {
    pub id: u32,
    pub nodes: Vec<u32>,
}

/// What kind of memory a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    LocalDram,
    RemoteDram,
    Cxl,
    Hbm,
    Persistent,
    /// A GPU's memory exposed as a NUMA node (POWER9 with NVLink, Grace
    /// Hopper, Grace Blackwell).
    GpuMemory,
    Unknown,
}

/// A tier classification and the evidence it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierLabel {
    pub tier: Tier,
    pub evidence: Vec<String>,
}

/// Whether a sensor (energy meter, counter source) works here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorStatus {
    /// True when the source can be read.
    pub available: bool,
    /// Why not, and the fix, when unavailable; details when available.
    #[serde(default)]
    pub detail: String,
}

/// Outcome of one benchmark point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordStatus {
    Ok,
    Skipped,
    Failed,
}

/// Which direction of a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
}

/// A parameter value: integer, float, string or bool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Bool(v) => write!(f, "{v}"),
            ParamValue::Str(v) => f.write_str(v),
        }
    }
}

impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}

impl From<u64> for ParamValue {
    fn from(v: u64) -> Self {
        ParamValue::Int(v as i64)
    }
}

impl From<u32> for ParamValue {
    fn from(v: u32) -> Self {
        ParamValue::Int(i64::from(v))
    }
}

impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Str(v.to_string())
    }
}

/// One measured point: (id, params) is the key comparisons join on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Dotted, stable benchmark id (e.g. "memory.latency").
    pub id: String,
    pub params: BTreeMap<String, ParamValue>,
    pub status: RecordStatus,
    /// Why a record was skipped or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// Where the memory was and whether that was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Benchmark-specific facts that are not params (e.g. byte counting
    /// convention, page size obtained, workgroup size chosen).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub info: BTreeMap<String, serde_json::Value>,
    /// Energy measured around the record, when a meter exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<crate::energy::EnergyRecord>,
    /// Hardware and software counters around the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters: Option<crate::energy::CountersRecord>,
    /// What else was happening on the machine while the record was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interference: Option<crate::interference::Interference>,
}

impl Record {
    /// An `ok` record of benchmark `id` at `params`, nothing measured yet.
    pub fn new(id: impl Into<String>, params: BTreeMap<String, ParamValue>) -> Self {
        Record {
            id: id.into(),
            params,
            status: RecordStatus::Ok,
            reason: None,
            metrics: Vec::new(),
            placement: None,
            info: BTreeMap::new(),
            energy: None,
            counters: None,
            interference: None,
        }
    }
}

/// One metric of a record with every raw sample kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    /// Explicit unit string: ns, GB/s, GFLOP/s, J/GB, pJ/FLOP, W, ...
    pub unit: String,
    /// The headline figure; `statistic` says which one it is.
    pub value: f64,
    /// How `value` was derived from `samples` ("median", "max", "min",
    /// "derived" for figures computed from other metrics).
    #[serde(default = "default_statistic")]
    pub statistic: String,
    /// Every sample kept after warm-up, in measurement order; with
    /// repetitions, those of the first repetition, then the second, ...
    #[serde(default)]
    pub samples: Vec<f64>,
    pub better: Better,
    /// Each repetition's figure and how many of `samples` it took, when the
    /// point was measured more than once (`hwbench run --repeat`). `value`
    /// is then the median of the repetitions' values. Empty: one repetition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repetitions: Vec<Repetition>,
    /// What the figure counts and how that relates to its limit (STREAM's
    /// logical bytes against the bus traffic with write-allocate, one
    /// direction of a link or both, dense FLOP/s). Absent for figures no
    /// hardware limit applies to (latencies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<String>,
    /// The hardware limit the figure is set beside (value, unit,
    /// derivation), or `{"unknown": why}` when the machine does not say
    /// enough to derive it. Absent for figures no limit applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Fact<Limit>>,
    /// `value` over the limit's value, when the limit is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_limit: Option<f64>,
}

/// A hardware limit: what the hardware can do at most, in a metric's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    pub value: f64,
    pub unit: String,
    /// How the figure was derived, with its inputs ("16 channels x 4800
    /// MT/s x 8 B (SMBIOS type 17: 16 populated DDR5 devices) = 614.4 GB/s").
    pub derivation: String,
}

/// One repetition of a metric: its own figure from its own samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Repetition {
    /// The figure of this repetition, by the metric's `statistic`.
    pub value: f64,
    /// How many consecutive entries of the metric's `samples` belong to it
    /// (0 for figures without samples, such as energy).
    #[serde(default)]
    pub sample_count: usize,
}

impl Metric {
    /// A metric with one repetition: `value` derived from `samples` by `statistic`.
    pub fn new(name: &str, unit: &str, value: f64, statistic: &str, samples: Vec<f64>, better: Better) -> Self {
        Metric {
            name: name.into(),
            unit: unit.into(),
            value,
            statistic: statistic.into(),
            samples,
            better,
            repetitions: Vec::new(),
            counts: None,
            limit: None,
            of_limit: None,
        }
    }

    /// The repetitions as (figure, its samples); a metric measured once is
    /// one repetition of `value` over all `samples`. None when the counts
    /// do not add up to the samples (a malformed document).
    pub fn repetition_samples(&self) -> Option<Vec<(f64, &[f64])>> {
        if self.repetitions.is_empty() {
            return Some(vec![(self.value, &self.samples)]);
        }
        let mut out = Vec::with_capacity(self.repetitions.len());
        let mut rest = self.samples.as_slice();
        for r in &self.repetitions {
            if r.sample_count > rest.len() {
                return None;
            }
            let (mine, after) = rest.split_at(r.sample_count);
            out.push((r.value, mine));
            rest = after;
        }
        rest.is_empty().then_some(out)
    }

    /// How many repetitions measured this metric (1 without repetitions).
    pub fn repetition_count(&self) -> usize {
        self.repetitions.len().max(1)
    }
}

fn default_statistic() -> String {
    "median".to_string()
}

/// Placement of a record's memory and its verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// The NUMA node the memory was bound to, when one was asked for.
    pub node: Option<u32>,
    /// Fraction of the checked pages found on `node` (move_pages).
    pub on_node_fraction: Option<f64>,
    /// Pages checked for the fraction.
    pub pages_checked: u64,
    /// Page size asked for: "4k", "thp" or "2m".
    pub page_requested: String,
    /// Page size obtained, from /proc/self/smaps: "4k", "2m" or "mixed".
    pub page_obtained: String,
    /// Bytes backed by transparent huge pages (smaps AnonHugePages).
    pub huge_bytes: u64,
    /// Why the placement on `node` could not be verified: move_pages failed
    /// (the errno and what it means, e.g. ENOSYS under a seccomp filter).
    /// Absent when it was verified or no node was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
}
