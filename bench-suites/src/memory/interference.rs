//! `memory.interference`: what saturating one memory node costs another
//! (MIKU, 2025: CXL traffic can cut DRAM bandwidth by up to 81%). For every
//! pair (victim node, aggressor node) the victim's chase latency (p50, p99)
//! and read bandwidth are measured alone, then again while traffic threads
//! saturate the aggressor node (no delay between requests), in the same
//! point; the loss is the difference in percent. The victim's threads and
//! the aggressor's never share a CPU: on one initiator node the CPUs are
//! split, the victim's first.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_schema::numbers::median;
use hwbench_schema::{Better, Metric};
use serde::Serialize;

use super::chase::Chase;
use super::placed::{self, LINE};
use super::rows::{self, PAGE};
use super::tails::{self, Quantile, Tails};
use super::traffic::{self, Counter, Mix, MIXES, REQUEST_BYTES};
use super::{nodes, pinned};
use crate::budget::{pair_key, Sweep};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{median_metric, Workload};
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;

const ID: &str = "memory.interference";
const SEED: u64 = 0x696e_7466;

const VICTIMS: Param<String> =
    Param::new("victim", ParamKind::Text, Unset::Value("all"), "victim memory nodes: N, all, cpuless or local");
const AGGRESSORS: Param<String> =
    Param::new("aggressor", ParamKind::Text, Unset::Value("all"), "aggressor memory nodes: N, all, cpuless or local");
const VICTIM_THREADS: Param<u64> = Param::new(
    "victim_threads",
    ParamKind::Count,
    Unset::Derived("half the CPUs of the victim's initiator node, at least 1"),
    "threads reading the victim node in its bandwidth phase",
);
const AGGRESSOR_THREADS: Param<u64> = Param::new(
    "aggressor_threads",
    ParamKind::Count,
    Unset::Derived("every CPU of the aggressor's initiator node the victim does not use"),
    "traffic threads saturating the aggressor node",
);
const MIX: Param<String> = Param::new(
    "mix",
    ParamKind::Choice(MIXES),
    Unset::Value("read"),
    "the aggressor's traffic mix (see memory.loaded_latency)",
);
const BYTES: Param<u64> = rows::working_set("bytes", "the victim's chased buffer and its read buffer, each");
const TRAFFIC_BYTES: Param<u64> = rows::working_set("traffic_bytes", "the aggressor's traffic buffer");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "interference between tiers: a victim node's latency and bandwidth while an aggressor node is saturated, against the victim alone",
    metrics: "latency_p50/p99 and bandwidth (loaded) beside latency_p50_alone/p99_alone and bandwidth_alone, bandwidth_loss %, latency_p50_increase %, latency_p99_increase %, aggressor_bandwidth GB/s",
    params: &[
        VICTIMS.spec,
        AGGRESSORS.spec,
        VICTIM_THREADS.spec,
        AGGRESSOR_THREADS.spec,
        MIX.spec,
        BYTES.spec,
        TRAFFIC_BYTES.spec,
        PAGE.spec,
    ],
    uses_gpu: false,
    summaries: &[],
    make: || erase(Interference),
};

/// Instance state: none (each point maps its own buffers).
pub struct Interference;

/// One point: a victim node under an aggressor node, or the stand-in for
/// an empty selection.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum InterferencePoint {
    /// A measured pair.
    Pair {
        /// The node whose latency and bandwidth are measured.
        victim: u32,
        /// The node saturated meanwhile.
        aggressor: u32,
        /// The victim's initiator node.
        victim_cpu_node: u32,
        /// The aggressor's initiator node.
        aggressor_cpu_node: u32,
        /// Threads reading the victim in its bandwidth phase.
        victim_threads: u64,
        /// Threads saturating the aggressor.
        aggressor_threads: u64,
        /// The aggressor's traffic mix.
        mix: &'static str,
        /// Each victim buffer.
        bytes: u64,
        /// The aggressor's buffer.
        traffic_bytes: u64,
        /// Pages asked for, every buffer.
        page: PagePolicy,
    },
    /// Nothing to measure: the selections as given.
    Empty {
        /// The victim selection.
        victim: String,
        /// The aggressor selection.
        aggressor: String,
    },
}

/// The CPUs of a pair: the victim's (its chaser first) and the aggressor's.
fn split_cpus(host: &Host, p: &InterferencePoint) -> Result<(Vec<u32>, Vec<u32>), BenchError> {
    let &InterferencePoint::Pair { victim_cpu_node, aggressor_cpu_node, victim_threads, aggressor_threads, .. } = p
    else {
        return Err(BenchError::Unavailable(nodes::no_cpuless_node(host)));
    };
    let victim_all = nodes::initiator_cpus(&host.topology, victim_cpu_node)?;
    let victim: Vec<u32> = victim_all.iter().copied().take(victim_threads.max(1) as usize).collect();
    let aggressor: Vec<u32> = nodes::cpus_of(&host.topology, aggressor_cpu_node)
        .into_iter()
        .filter(|c| !victim.contains(c))
        .take(aggressor_threads as usize)
        .collect();
    if aggressor.is_empty() {
        return Err(BenchError::Unavailable(format!(
            "no CPU of node {aggressor_cpu_node} left for aggressor threads beside the victim's {}",
            victim.len()
        )));
    }
    Ok((victim, aggressor))
}

impl Benchmark for Interference {
    type Point = InterferencePoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<InterferencePoint>, BenchError> {
        let (victim_text, aggressor_text) = (VICTIMS.value(settings)?, AGGRESSORS.value(settings)?);
        let victims = nodes::select(ID, "victim", &victim_text, host)?;
        let aggressors = nodes::select(ID, "aggressor", &aggressor_text, host)?;
        let bytes = placed::working_set(&BYTES, settings, host)?;
        let traffic_bytes = placed::working_set(&TRAFFIC_BYTES, settings, host)?;
        host.check_fits(ID, 2 * bytes + traffic_bytes)?;
        let mix_name = MIX.value(settings)?;
        let mix = MIXES.iter().copied().find(|m| *m == mix_name).unwrap_or("read");
        let page = PAGE.value(settings)?;
        let initiator = |node: u32| {
            nodes::initiator_for(&host.topology, node)
                .ok_or_else(|| BenchError::BadInput(format!("{ID}: no node has CPUs")))
        };
        let mut points = Vec::new();
        for &victim in &victims {
            let victim_cpu_node = initiator(victim)?;
            let victim_cpus = nodes::cpus_of(&host.topology, victim_cpu_node).len() as u64;
            let victim_threads = VICTIM_THREADS.get(settings)?.unwrap_or((victim_cpus / 2).max(1));
            if victim_threads == 0 || victim_threads > victim_cpus.max(1) {
                return Err(BenchError::bad_param(
                    ID,
                    "victim_threads",
                    format!("{victim_threads}, but node {victim_cpu_node} has {victim_cpus} CPUs"),
                ));
            }
            for &aggressor in &aggressors {
                let aggressor_cpu_node = initiator(aggressor)?;
                let mut free = nodes::cpus_of(&host.topology, aggressor_cpu_node).len() as u64;
                if aggressor_cpu_node == victim_cpu_node {
                    free = free.saturating_sub(victim_threads);
                }
                let aggressor_threads = match AGGRESSOR_THREADS.get(settings)? {
                    Some(0) => return Err(BenchError::bad_param(ID, "aggressor_threads", "0 threads")),
                    Some(t) => t.min(free.max(1)),
                    None => free,
                };
                points.push(InterferencePoint::Pair {
                    victim,
                    aggressor,
                    victim_cpu_node,
                    aggressor_cpu_node,
                    victim_threads,
                    aggressor_threads,
                    mix,
                    bytes,
                    traffic_bytes,
                    page,
                });
            }
        }
        if points.is_empty() {
            return Ok(vec![InterferencePoint::Empty { victim: victim_text, aggressor: aggressor_text }]);
        }
        Ok(points)
    }

    fn measure(&mut self, point: &InterferencePoint, session: &mut Session) -> Result<Measured, BenchError> {
        let (victim_cpus, aggressor_cpus) = split_cpus(session.host(), point)?;
        let &InterferencePoint::Pair { victim, aggressor, mix, bytes, traffic_bytes, page, .. } = point else {
            return Err(BenchError::Unavailable(nodes::no_cpuless_node(session.host())));
        };
        let host = session.host().clone();
        let chased = placed::place(&host, bytes, page, victim)?;
        let read = placed::place(&host, bytes, page, victim)?;
        let aggressor_region = placed::place(&host, traffic_bytes, page, aggressor)?;
        let chaser = victim_cpus[0];
        let mut chase = pinned::run_on(chaser, || {
            chased.first_touch(0, chased.len());
            read.first_touch(0, read.len());
            aggressor_region.first_touch(0, aggressor_region.len());
            // SAFETY: the region holds `bytes` bytes, page aligned.
            Ok(unsafe { Chase::build(chased.as_ptr(), (bytes / LINE) as usize, LINE as usize, SEED ^ bytes) })
        })?;
        let mix = Mix::parse(mix).unwrap_or(Mix::READ);
        if mix.nontemporal && !traffic::HAS_NONTEMPORAL {
            return Err(BenchError::Unavailable(format!("no non-temporal store path on {}", std::env::consts::ARCH)));
        }
        let alone = victim_phases(session, chaser, &mut chase, &read, &victim_cpus)?;
        let (loaded, aggressor_gbs) = traffic::run_with(&aggressor_cpus, &aggressor_region, mix, 0, |counters| {
            let (before, started) = (traffic::total(counters), Instant::now());
            let loaded = victim_phases(session, chaser, &mut chase, &read, &victim_cpus)?;
            let moved = ((traffic::total(counters) - before) * REQUEST_BYTES) as f64;
            Ok((loaded, moved / started.elapsed().as_secs_f64() / 1e9))
        })?;

        let pct = |loaded: f64, alone: f64| (loaded / alone - 1.0) * 100.0;
        let derived =
            |name: &str, unit: &str, value: f64, better| Metric::new(name, unit, value, "derived", Vec::new(), better);
        let mut metrics = loaded.tails.metrics(VICTIM);
        metrics.push(median_metric("bandwidth", "GB/s", loaded.bandwidth.clone(), Better::Higher));
        metrics
            .extend(alone.tails.metrics(VICTIM).into_iter().map(|x| Metric { name: format!("{}_alone", x.name), ..x }));
        metrics.push(median_metric("bandwidth_alone", "GB/s", alone.bandwidth.clone(), Better::Higher));
        let m = |v: &[f64]| median(v).unwrap_or(f64::NAN);
        let at = |v: &Victim, q: f64| m(&v.tails.per_run(q));
        metrics.push(derived("bandwidth_loss", "%", -pct(m(&loaded.bandwidth), m(&alone.bandwidth)), Better::Lower));
        metrics.push(derived("latency_p50_increase", "%", pct(at(&loaded, 0.5), at(&alone, 0.5)), Better::Lower));
        metrics.push(derived("latency_p99_increase", "%", pct(at(&loaded, 0.99), at(&alone, 0.99)), Better::Lower));
        metrics.push(derived("aggressor_bandwidth", "GB/s", aggressor_gbs, Better::Higher));
        let mut info = BTreeMap::new();
        info.insert("chaser_cpu".into(), chaser.into());
        info.insert("victim_cpus".into(), victim_cpus.clone().into());
        info.insert("aggressor_cpus".into(), aggressor_cpus.clone().into());
        info.insert(
            "method".into(),
            "alone, then with the aggressor's threads running (no delay between requests): the chase (latency and tails, timed batches) from the victim's first CPU, then the victim's threads reading their buffer (64 B requests, in order) while the first CPU waits; losses from the medians".into(),
        );
        info.insert("aggressor_window".into(), "the whole loaded phase (chase and victim reading)".into());
        info.insert("tails_method".into(), tails::METHOD.into());
        info.insert("tails_descheduling".into(), loaded.tails.descheduling());
        info.insert("tails_descheduling_alone".into(), alone.tails.descheduling());
        let what = format!("{ID} victim={victim} aggressor={aggressor}");
        let read_fraction = read.verify_node(read.len(), victim).map(|c| c.fraction()).ok();
        placed::check_second_buffer(session, &what, "victim's read buffer", read_fraction, victim);
        let aggressor_fraction =
            aggressor_region.verify_node(aggressor_region.len(), aggressor).map(|c| c.fraction()).ok();
        placed::check_second_buffer(session, &what, "aggressor's buffer", aggressor_fraction, aggressor);
        info.insert("aggressor_on_node_fraction".into(), aggressor_fraction.into());
        Ok(Measured { metrics, placement: Some(chased.placement(bytes as usize)), info })
    }

    /// A pair places and touches its three buffers and builds the chase,
    /// then runs the victim's phases (tails, then its threads reading)
    /// alone and under the aggressor's traffic (its chase then beside busy
    /// CPUs); the buffers' pages are looked up.
    fn estimate(&self, point: &InterferencePoint, _previous: Option<&InterferencePoint>, cost: &CostModel) -> f64 {
        let InterferencePoint::Pair { victim_threads, aggressor_threads, bytes, traffic_bytes, page, .. } = *point
        else {
            return 0.0;
        };
        let buffers = 2 * bytes + traffic_bytes;
        let victim = |crowded| {
            cost.tails(tails::loaded_config(&cost.sampler), crowded)
                + cost.threads(victim_threads as usize)
                + cost.sample()
        };
        cost.touch(buffers, 1, page)
            + cost.chase_build(bytes, LINE)
            + victim(false)
            + victim(true)
            + cost.threads(aggressor_threads as usize)
            + cost.page_census(buffers)
    }

    fn sweep(&self, points: &[InterferencePoint]) -> Option<Sweep> {
        let pair = |p: &InterferencePoint| match *p {
            InterferencePoint::Pair { victim, aggressor, .. } => Some(pair_key(victim, aggressor)),
            InterferencePoint::Empty { .. } => None,
        };
        Sweep::along(points, pair, "pairs", 2, "two (victim, aggressor) pairs")
    }
}

/// What the victim showed in one condition: its chase's tails, and the
/// bandwidth of each sample of its readers.
struct Victim {
    tails: Tails,
    bandwidth: Vec<f64>,
}

/// The victim's percentiles.
const VICTIM: &[Quantile] = &[tails::ALL[0], tails::ALL[2]];

/// The victim's two phases: the chase's tails from `chaser`, then its
/// threads reading `read`.
fn victim_phases(
    session: &mut Session,
    chaser: u32,
    chase: &mut Chase,
    read: &Region,
    cpus: &[u32],
) -> Result<Victim, BenchError> {
    let tails = pinned::run_on(chaser, || {
        let cfg = tails::loaded_config(&session.sampler);
        tails::sample(session, chase, cfg)
    })?;
    let bandwidth = traffic::run_with(cpus, read, Mix::READ, 0, |counters| {
        let mut window = Window { counters, runs: Vec::new() };
        let set = session.sample(&mut window)?;
        Ok(window.runs.get(set.kept_runs.clone()).map(<[f64]>::to_vec).unwrap_or_default())
    })?;
    Ok(Victim { tails, bandwidth })
}

/// Waits while traffic threads run: one iteration is 10 us of sleep; each
/// run records the threads' GB/s over its wall time.
struct Window<'a> {
    counters: &'a [Counter],
    runs: Vec<f64>,
}

impl Workload for Window<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let (before, started) = (traffic::total(self.counters), Instant::now());
        std::thread::sleep(Duration::from_micros(10 * iterations));
        let took = started.elapsed();
        let moved = ((traffic::total(self.counters) - before) * REQUEST_BYTES) as f64;
        self.runs.push(moved / took.as_secs_f64() / 1e9);
        Ok(took)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::nodes::tests::fixture;
    use hwbench_probes::SysRoot;

    #[test]
    fn every_pair_is_planned_and_the_cpus_of_one_initiator_are_split() {
        let host = Host::new(SysRoot::default(), fixture("two-socket-cxl"));
        let points = Interference.plan(&Settings::new(ID).with(&BYTES.spec, 64u64 << 20), &host).unwrap();
        assert_eq!(points.len(), 9, "3 victims x 3 aggressors");
        // Node 0 (CPUs 0-1, those this process may use) under node 2 (the
        // CXL node, reached from node 0): the CPUs split, the victim's first.
        let usable = nodes::cpus_of(&host.topology, 0).len() as u64;
        let p = points.iter().find(|p| matches!(p, InterferencePoint::Pair { victim: 0, aggressor: 2, .. })).unwrap();
        let InterferencePoint::Pair { victim_threads, aggressor_threads, aggressor_cpu_node, .. } = p else { panic!() };
        assert_eq!(*aggressor_cpu_node, 0);
        assert_eq!(*victim_threads, (usable / 2).max(1));
        assert_eq!(*aggressor_threads, usable.saturating_sub(*victim_threads));
        let err =
            Interference.plan(&Settings::new(ID).with(&VICTIM_THREADS.spec, 5u64), &host).unwrap_err().to_string();
        assert!(err.contains(&format!("victim_threads: 5, but node 0 has {usable} CPUs")), "{err}");
    }

    /// On this machine, node 0 under itself (with two CPUs or more): the
    /// losses are what the medians of the two conditions say.
    #[test]
    fn a_pair_measures_both_conditions_and_derives_the_losses_from_them() {
        let (host, mut session) = crate::session::tests::quick_live();
        let s = Settings::new(ID)
            .with(&VICTIMS.spec, "local")
            .with(&AGGRESSORS.spec, "local")
            .with(&BYTES.spec, 4u64 << 20)
            .with(&TRAFFIC_BYTES.spec, 4u64 << 20);
        let points = Interference.plan(&s, &host).unwrap();
        let measured = Interference.measure(&points[0], &mut session);
        if nodes::cpus_of(&host.topology, 0).len() < 2 {
            assert!(matches!(measured, Err(BenchError::Unavailable(_))));
            return;
        }
        let m = measured.unwrap();
        let value = |name: &str| m.metrics.iter().find(|x| x.name == name).unwrap().value;
        let loss = (1.0 - value("bandwidth") / value("bandwidth_alone")) * 100.0;
        assert!(
            (value("bandwidth_loss") - loss).abs() < 1e-9,
            "loss {} against {loss}: {:?}",
            value("bandwidth_loss"),
            m.metrics
        );
        let p99 = (value("latency_p99") / value("latency_p99_alone") - 1.0) * 100.0;
        assert!((value("latency_p99_increase") - p99).abs() < 1e-9);
        assert!(value("latency_p50") <= value("latency_p99"));
        assert_eq!(m.placement.unwrap().on_node_fraction, Some(1.0));
    }

    #[test]
    fn a_window_reports_the_traffic_of_its_own_interval() {
        let counters = [Counter::default()];
        let mut w = Window { counters: &counters, runs: Vec::new() };
        let took = w.run(100).unwrap();
        assert!(took >= Duration::from_micros(1000));
        assert_eq!(w.runs, vec![0.0], "no traffic thread ran");
    }
}
