//! `memory.latency`: idle load-to-use latency over working-set sizes by a
//! random pointer chase, and `memory.latency.levels`, the latency of each
//! cache level and DRAM as the curve's own plateaus show them.

use std::collections::BTreeMap;

use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_probes::topology::{cache_levels_for_pu, last_level_cache_bytes};
use hwbench_schema::{Better, Metric, ParamValue, Record, RecordStatus};
use serde::Serialize;

use super::chase::{Chase, LOADS_PER_ITERATION};
use super::rows::{NODE, PAGE};
use super::{levels, pinned, sweep, tails};
use crate::budget::Sweep;
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;
use crate::undisturbed::Undisturbed;

const ID: &str = "memory.latency";
/// Id of the summary record.
pub const LEVELS_ID: &str = "memory.latency.levels";
const SEED: u64 = 0x0068_7762_656e_6368;

const BYTES: Param<u64> = Param::new(
    "bytes",
    ParamKind::Bytes,
    Unset::Derived("sweep 4 KiB .. >= 4x LLC"),
    "one working-set size instead of the sweep",
);
const CPU: Param<u32> =
    Param::new("cpu", ParamKind::Cpu, Unset::Derived("first CPU near the node"), "CPU the chasing thread runs on");
const STRIDE: Param<u64> = Param::new(
    "stride",
    ParamKind::Count,
    Unset::Value("64"),
    "bytes between chased lines (128 defeats adjacent-line prefetch)",
);
const MIN_BYTES: Param<u64> =
    Param::new("min_bytes", ParamKind::Bytes, Unset::Value("4KiB"), "smallest size of the sweep");
const MAX_BYTES: Param<u64> = Param::new(
    "max_bytes",
    ParamKind::Bytes,
    Unset::Derived("4x the last-level cache, at least 64 MiB"),
    "largest size of the sweep (rounded up to a sweep step)",
);
const POINTS: Param<String> = Param::new(
    "points",
    ParamKind::Choice(&["sweep", "levels"]),
    Unset::Value("sweep"),
    "sweep: log sizes with points around each cache; levels: one size well inside each cache level and one past the last (stable figures, for CI)",
);
const PER_OCTAVE: Param<u32> =
    Param::new("per_octave", ParamKind::Count, Unset::Value("3"), "sweep points per doubling of size (1 to 16)");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "idle memory latency by random pointer chase over working-set sizes",
    metrics: "latency ns (median of undisturbed samples), latency_min ns, latency_all ns (every slice), latency_p50/p99/p999 ns (timed batches); summary record memory.latency.levels: l1, l2, l3, dram ns, the plateaus the curve measured",
    params: &[
        BYTES.spec,
        PAGE.spec,
        NODE.spec,
        CPU.spec,
        STRIDE.spec,
        POINTS.spec,
        MIN_BYTES.spec,
        MAX_BYTES.spec,
        PER_OCTAVE.spec,
    ],
    uses_gpu: false,
    summaries: &[LEVELS_ID],
    make: || erase(Latency::default()),
};

/// Instance state: the buffer is allocated once per repetition at the
/// largest planned size and each point chases its prefix.
#[derive(Default)]
pub struct Latency {
    region: Option<Region>,
    largest: u64,
}

/// One point: a working set chased from one CPU.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyPoint {
    /// Bytes chased.
    pub bytes: u64,
    /// Pages asked for.
    pub page: PagePolicy,
    /// The node the memory is bound to, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// The CPU the chase runs on.
    pub cpu: u32,
    /// Bytes between chased lines.
    pub stride: u64,
}

impl Benchmark for Latency {
    type Point = LatencyPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<LatencyPoint>, BenchError> {
        let page = PAGE.value(settings)?;
        let node = NODE.get(settings)?.map(|n| host.check_node(ID, "node", n)).transpose()?;
        let cpu = match CPU.get(settings)? {
            Some(c) => host.check_cpu(ID, c)?,
            None => {
                *host.cpus_near(node).first().ok_or_else(|| BenchError::BadInput(format!("{ID}: no CPU available")))?
            }
        };
        let stride = STRIDE.value(settings)?;
        if stride < 8 || !stride.is_power_of_two() {
            return Err(BenchError::bad_param(ID, "stride", format!("{stride} is not a power of two of at least 8")));
        }
        let sizes = match BYTES.get(settings)? {
            Some(bytes) if bytes < 2 * stride => {
                return Err(BenchError::bad_param(
                    ID,
                    "bytes",
                    format!("{bytes} bytes is less than two lines of {stride} bytes"),
                ));
            }
            Some(bytes) => vec![bytes / stride * stride],
            None => {
                let caches: Vec<u64> = cache_levels_for_pu(&host.topology, cpu).iter().map(|l| l.1).collect();
                let llc = last_level_cache_bytes(&host.topology).max(caches.last().copied().unwrap_or(0));
                let min = MIN_BYTES.value(settings)?.max(2 * stride);
                let max = MAX_BYTES.get(settings)?.unwrap_or((4 * llc).max(64 << 20));
                if max < min {
                    return Err(BenchError::bad_param(ID, "max_bytes", format!("{max} is below min_bytes {min}")));
                }
                match POINTS.value(settings)?.as_str() {
                    "levels" => sweep::inside_levels(min, max, &caches, stride),
                    _ => sweep::sizes(min, max, PER_OCTAVE.value(settings)?.clamp(1, 16), &caches, stride),
                }
            }
        };
        self.largest = sizes.iter().copied().max().unwrap_or(0);
        host.check_fits(ID, self.largest)?;
        Ok(sizes.into_iter().map(|bytes| LatencyPoint { bytes, page, node, cpu, stride }).collect())
    }

    fn measure(&mut self, p: &LatencyPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let lines = (p.bytes / p.stride) as usize;
        let largest = self.largest as usize;
        let slot = &mut self.region;
        // On a thread of its own pinned to the CPU: first touch happens
        // there, and the caller's thread stays free for later benchmarks.
        let (set, placement) = pinned::run_on(p.cpu, || {
            let region = match slot {
                Some(region) => region,
                None => {
                    let region = Region::allocate(&session.host().root, largest, p.page, p.node)?;
                    region.first_touch(0, region.len());
                    slot.insert(region)
                }
            };
            let mut chase = build(region, p.bytes, p.stride, SEED ^ p.bytes)?;
            let chased = session.sample_this_thread(session.sampler, &mut chase)?;
            let cfg = tails::idle_config(&session.sampler);
            let tails = tails::sample(session, &mut chase, cfg)?;
            Ok(((chased, tails), region.placement(p.bytes as usize)))
        })?;
        let (chased, tails) = set;
        let mut metrics = chased.metrics("latency", "ns", Better::Lower, ns_per_load)?;
        let min = metrics[0].samples.iter().copied().fold(f64::INFINITY, f64::min);
        metrics.insert(1, Metric::new("latency_min", "ns", min, "min", Vec::new(), Better::Lower));
        metrics.extend(tails.metrics(tails::IDLE));
        let mut info = BTreeMap::new();
        info.insert("loads_per_sample".into(), (chased.iterations_per_sample() * LOADS_PER_ITERATION).into());
        info.insert("lines".into(), lines.into());
        info.insert("pattern".into(), "single random cycle over lines (Sattolo), dependent loads".into());
        info.extend([chased.info("descheduling")]);
        info.extend(tails.info());
        Ok(Measured { metrics, placement: Some(placement), info })
    }

    /// The repetition's first point maps and touches the buffer at the
    /// largest size; every point builds its chase, samples it and times
    /// its tails.
    fn estimate(&self, p: &LatencyPoint, previous: Option<&LatencyPoint>, cost: &CostModel) -> f64 {
        let touch = if previous.is_none() { cost.touch(self.largest, 1, p.page) } else { 0.0 };
        touch
            + cost.chase_build(p.bytes, p.stride)
            + cost.sliced(cost.sampler, false)
            + cost.tails(tails::idle_config(&cost.sampler), false)
    }

    fn sweep(&self, points: &[LatencyPoint]) -> Option<Sweep> {
        let (min, max) = (points.iter().map(|p| p.bytes).min()?, points.iter().map(|p| p.bytes).max()?);
        let doublings = (max as f64 / min as f64).log2().ceil() as usize + 1;
        Sweep::along(points, |p| Some(p.bytes), "sweep points", doublings.max(2), "one size per doubling, so that memory.latency.levels finds a point inside each cache level and past the last")
    }

    fn release(&mut self) {
        self.region = None;
    }

    fn summarize(&self, own: &[Record], _all: &[Record], session: &mut Session) -> Vec<Record> {
        let Some((record, disagreements)) = levels_record(own, session.host()) else { return Vec::new() };
        for sentence in disagreements {
            session.warn(format!("{LEVELS_ID}: {sentence}"));
        }
        vec![record]
    }
}

/// Samples a chase over the first `bytes` of `region` with lines `stride`
/// apart (the cycle seeded by `seed`) on the calling thread, with time off
/// the CPU set aside: [`ns_per_load`] of the samples is the latency.
pub fn chase(
    session: &mut Session,
    region: &Region,
    bytes: u64,
    stride: u64,
    seed: u64,
) -> Result<Undisturbed, BenchError> {
    let mut chase = build(region, bytes, stride, seed)?;
    session.sample_this_thread(session.sampler, &mut chase)
}

/// Latency of a chase's sample: ns per load of `iterations` chase
/// iterations in `seconds`.
pub fn ns_per_load(seconds: f64, iterations: u64) -> f64 {
    seconds * 1e9 / (iterations * LOADS_PER_ITERATION) as f64
}

/// A chase over the first `bytes` of `region`, lines `stride` apart.
pub fn build(region: &Region, bytes: u64, stride: u64, seed: u64) -> Result<Chase, BenchError> {
    let lines = (bytes / stride) as usize;
    if bytes as usize > region.len() || lines < 2 {
        return Err(BenchError::Failed(format!("a chase of {bytes} bytes does not fit a region of {}", region.len())));
    }
    // SAFETY: the region holds at least `bytes` bytes, page aligned.
    Ok(unsafe { Chase::build(region.as_ptr(), lines, stride as usize, seed) })
}

/// `memory.latency.levels` from a sweep's records: the levels are found on
/// the headline curve and named after the caches the chasing CPU sees
/// ([`levels::summarize`]); with the sentences where the declared caches
/// and the curve disagree. None for a single size (`bytes=`), which is not
/// a curve.
fn levels_record(records: &[Record], host: &Host) -> Option<(Record, Vec<String>)> {
    let ok: Vec<&Record> = records.iter().filter(|r| r.status == RecordStatus::Ok && r.id == ID).collect();
    let curve: Vec<(u64, &Metric)> = ok
        .iter()
        .filter_map(|r| {
            let bytes = match r.params.get("bytes") {
                Some(ParamValue::Int(b)) => *b as u64,
                _ => return None,
            };
            Some((bytes, r.metrics.iter().find(|m| m.name == "latency")?))
        })
        .collect();
    if curve.len() < 2 {
        return None;
    }
    let first = ok.first()?;
    let cpu = match first.params.get("cpu") {
        Some(ParamValue::Int(c)) => *c as u32,
        _ => 0,
    };
    let mut params = first.params.clone();
    params.remove("bytes");
    Some(levels::summarize(Record::new(LEVELS_ID, params), &curve, &cache_levels_for_pu(&host.topology, cpu)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::median_metric;
    use hwbench_probes::SysRoot;
    use hwbench_schema::numbers::median;
    use hwbench_schema::{Cache, CacheKind, Core, Repetition, Topology};

    fn host() -> Host {
        let cache = |level, size_bytes| Cache {
            level,
            kind: CacheKind::Unified,
            size_bytes,
            line_bytes: 64,
            associativity: 8,
            shared_by_pus: vec![0],
        };
        let topology = Topology {
            cores: vec![Core { index: 0, package: 0, pus: vec![0] }],
            caches: vec![cache(1, 32 << 10), cache(2, 1 << 20)],
            ..Topology::default()
        };
        Host::new(SysRoot::default(), topology)
    }

    /// A sweep point measured in two repetitions.
    fn point(bytes: u64, reps: [f64; 2]) -> Record {
        let mut metric = median_metric("latency", "ns", vec![reps[0], reps[1]], Better::Lower);
        metric.repetitions = reps.iter().map(|&value| Repetition { value, sample_count: 1 }).collect();
        Record {
            id: ID.into(),
            params: BTreeMap::from([
                ("bytes".into(), ParamValue::Int(bytes as i64)),
                ("cpu".into(), ParamValue::Int(0)),
            ]),
            status: RecordStatus::Ok,
            reason: None,
            metrics: vec![metric],
            placement: None,
            info: BTreeMap::new(),
            energy: None,
            counters: None,
            interference: None,
        }
    }

    /// The sweep recorded on a 2-vCPU KVM guest (Intel Xeon) that declares
    /// a 480 MiB L3 (tests/fixtures/results/latency-vm.json: `hwbench run
    /// memory.latency --repeat 3 --set max_bytes=1GiB` while two other
    /// builds ran, trimmed of the tail metrics and counters), summarized
    /// again from its records.
    #[test]
    fn a_recorded_guest_curve_reaches_dram_long_before_its_declared_l3() {
        const MIB: u64 = 1 << 20;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results/latency-vm.json");
        let doc = hwbench_schema::load(&path).unwrap();
        let host = Host::new(SysRoot::default(), doc.topology.clone());
        let sweep: Vec<Record> = doc.benchmarks.iter().filter(|r| r.id == ID).cloned().collect();
        let (levels, disagreements) = levels_record(&sweep, &host).unwrap();
        let info = &levels.info;
        assert_eq!(info["declared_cache_bytes"]["l3"], 480 * MIB);
        let into_dram = info["measured_boundaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["to"] == "dram")
            .and_then(|b| b["bytes"].as_u64())
            .unwrap();
        assert!((4 * MIB..=64 * MIB).contains(&into_dram), "DRAM from {into_dram} bytes");
        let value = |name: &str| levels.metrics.iter().find(|m| m.name == name).map(|m| m.value);
        let dram = value("dram").unwrap();
        // What the declared sizes called L3 (4 MiB to 240 MiB) reads DRAM latency.
        let declared_l3: Vec<f64> = sweep
            .iter()
            .filter(|r| matches!(r.params["bytes"], ParamValue::Int(b) if b > 4 << 20 && b <= 240 << 20))
            .filter_map(|r| r.metrics.iter().find(|m| m.name == "latency").map(|m| m.value))
            .collect();
        assert!(median(&declared_l3).unwrap() > dram / levels::plateaus::STEP_RATIO, "the fixture shows the fault");
        // The l3 figure, if any, is a plateau of its own below DRAM's step.
        if let Some(l3) = value("l3") {
            assert!(l3 * levels::plateaus::STEP_RATIO <= dram, "l3 {l3} ns, dram {dram} ns");
            let sizes = info["l3_sizes"].as_array().unwrap();
            assert!(sizes.iter().all(|b| b.as_u64().unwrap() < into_dram));
        }
        assert!(disagreements.iter().any(|d| d.starts_with("declared L3 480 MiB")), "{disagreements:?}");
        // The run wrote the same summary (to the last bits of the figures,
        // which a JSON round trip may change) and warned.
        let recorded = doc.benchmarks.iter().find(|r| r.id == LEVELS_ID).unwrap();
        let figures = |r: &Record| r.metrics.iter().map(|m| (m.name.clone(), m.value)).collect::<Vec<_>>();
        assert_eq!(figures(recorded).len(), figures(&levels).len());
        for ((name, got), (want_name, want)) in figures(recorded).into_iter().zip(figures(&levels)) {
            assert_eq!(name, want_name);
            assert!((got / want - 1.0).abs() < 1e-9, "{name}: recorded {got}, summarized {want}");
        }
        for key in ["declared_cache_bytes", "measured_boundaries", "absent_levels", "disagreements", "levels_rule"] {
            assert_eq!(recorded.info[key], levels.info[key], "{key}");
        }
        for d in &disagreements {
            assert!(doc.run.warnings.contains(&format!("{LEVELS_ID}: {d}")), "{d}");
        }
    }

    #[test]
    fn levels_carry_one_figure_per_repetition() {
        let records = [
            point(4 << 10, [1.0, 1.2]),
            point(8 << 10, [1.1, 1.5]),
            point(256 << 10, [4.0, 5.0]),
            point(512 << 10, [4.2, 6.0]),
            point(8 << 20, [90.0, 110.0]),
        ];
        let (levels, _) = levels_record(&records, &host()).unwrap();
        let l1 = levels.metrics.iter().find(|m| m.name == "l1").unwrap();
        assert_eq!(l1.repetitions.iter().map(|r| r.value).collect::<Vec<_>>(), vec![1.05, 1.35]);
        let dram = levels.metrics.iter().find(|m| m.name == "dram").unwrap();
        assert_eq!(dram.repetitions.iter().map(|r| r.value).collect::<Vec<_>>(), vec![90.0, 110.0]);
        assert!(dram.repetition_samples().is_some(), "repetitions add up to the samples");
        assert_eq!(levels.params.get("bytes"), None);
    }

    /// On this machine: a real chase records what the scheduler did. The
    /// headline is over undisturbed samples and says so, `latency_all`
    /// beside it; the evidence and what was set aside are in the info, for
    /// the headline and for the tails.
    #[test]
    fn a_real_chase_records_its_evidence_of_descheduling() {
        let (host, mut session) = crate::session::tests::quick_live();
        let settings = Settings::new(ID).with(&BYTES.spec, 256u64 << 10).with(&PAGE.spec, "4k");
        let mut latency = Latency::default();
        let points = latency.plan(&settings, &host).unwrap();
        let m = latency.measure(&points[0], &mut session).unwrap();
        let names: Vec<&str> = m.metrics.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["latency", "latency_min", "latency_all", "latency_p50", "latency_p99", "latency_p999"]);
        let statistics: Vec<&str> = m.metrics.iter().map(|x| x.statistic.as_str()).collect();
        let undisturbed = crate::undisturbed::STATISTIC;
        assert_eq!(statistics, [undisturbed, "min", "median", undisturbed, undisturbed, undisturbed]);
        let d = &m.info["descheduling"];
        assert!(d["evidence"].as_str().unwrap().contains("run_delay"), "{d}");
        assert_eq!(d["samples"], m.metrics[0].samples.len());
        assert_eq!(d["slices_per_sample"], 20, "5 ms in slices of 250 us");
        for why in ["descheduled", "off_cpu", "settling"] {
            assert!(d["set_aside"][why].is_u64(), "{d}");
        }
        let loads = d["slice_iterations"].as_u64().unwrap() * 20 * LOADS_PER_ITERATION;
        assert_eq!(m.info["loads_per_sample"], loads);
        assert!(m.info["tails_descheduling"]["evidence"].as_str().unwrap().contains("run_delay"));
    }
}
