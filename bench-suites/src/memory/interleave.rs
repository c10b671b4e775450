//! `memory.interleave`: bandwidth (STREAM kernels and read) and chase
//! latency with the pages of every buffer split between two or more nodes
//! in a ratio, over a sweep of ratios (Caption, MICRO 2023: past DRAM's
//! saturation, some pages on a far tier add bandwidth). Two mechanisms:
//! `split` binds alternating 2 MiB chunks to the nodes with mbind (any
//! kernel, no privilege); `weighted` uses the kernel's weighted interleave
//! (Linux 6.9+) with the weights sysfs holds, which are system-wide: read,
//! and written only with `weights=set` (then restored). The split obtained
//! is counted page by page over every buffer and must match the request
//! within 1% of pages on each node, or the record fails. A summary record
//! per kernel names the best ratio, beside the kernel's own weights.

use std::collections::BTreeMap;

use hwbench_probes::interleave::{self, kernel_weights, KernelWeights, Ratio, Split};
use hwbench_probes::mempolicy::{self, PageCensus};
use hwbench_probes::placement::{node_free_bytes, PagePolicy, Region};
use hwbench_schema::{Better, Metric, ParamValue, Record, RecordStatus};
use serde::Serialize;
use serde_json::{json, Value};

use super::bandwidth::arrays::Arrays;
use super::bandwidth::kernels::Isa;
use super::bandwidth::kernels::StreamKernel;
use super::bandwidth::{engine_cost, kernel_cost, measure_kernel, BandwidthPoint, Engine};
use super::chase::Chase;
use super::placed::LINE;
use super::rows::{self, CPU_NODE, PAGE};
use super::{nodes, pinned, tails};
use crate::budget::Sweep;
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;

const ID: &str = "memory.interleave";
/// Id of the summary record.
pub const BEST_ID: &str = "memory.interleave.best";
const SEED: u64 = 0x696e_746c;
/// Bytes of one chunk of an explicit split, and the granule of weighted
/// interleave over transparent huge pages.
pub const CHUNK: usize = 2 << 20;
/// How far the fraction of pages on a node may be from the request.
pub const TOLERANCE: f64 = 0.01;
/// The default sweep of ratios, first node : second node.
pub const SWEEP: &[&str] = &["1:0", "7:1", "3:1", "2:1", "1:1", "1:2", "1:3", "0:1"];
const DEFAULT_KERNELS: &str = "copy,scale,add,triad,read";

const NODES: Param<String> = Param::new(
    "nodes",
    ParamKind::Text,
    Unset::Value("auto"),
    "nodes to split between, in ratio order: A,B[,C...], or auto (the local node with each other node)",
);
const RATIO: Param<String> = Param::new(
    "ratio",
    ParamKind::Text,
    Unset::Value("sweep"),
    "shares per node: 3:1, a comma list, sweep (1:0 7:1 3:1 2:1 1:1 1:2 1:3 0:1) or kernel (the weighted-interleave weights now)",
);
const MECHANISM: Param<String> = Param::new(
    "mechanism",
    ParamKind::Choice(&["split", "weighted", "auto"]),
    Unset::Value("split"),
    "split: mbind of 2 MiB chunks (any kernel); weighted: the kernel's weighted interleave; auto: weighted where it can give the ratio, else split",
);
const WEIGHTS: Param<String> = Param::new(
    "weights",
    ParamKind::Choice(&["keep", "set"]),
    Unset::Value("keep"),
    "set: write the ratio as the kernel's weighted-interleave weights for a point (root; restored after); keep: never write them",
);
const KERNELS: Param<String> = Param::new(
    "kernel",
    ParamKind::Text,
    Unset::Value(DEFAULT_KERNELS),
    "bandwidth kernels measured at each ratio: a comma list of copy, scale, add, triad, read, write",
);
const BYTES: Param<u64> =
    rows::working_set("bytes", "size of each array and of the chased buffer (rounded down to whole split periods)");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "bandwidth and latency with pages split between nodes in a ratio (explicit mbind split or kernel weighted interleave), split verified per page",
    metrics: "bandwidth_<kernel> GB/s (best sample), latency ns (median of undisturbed samples), latency_all ns, latency_p50/p99/p999 ns, first_node_fraction (pages counted); summary memory.interleave.best: the best ratio per kernel",
    params: &[NODES.spec, RATIO.spec, MECHANISM.spec, WEIGHTS.spec, KERNELS.spec, BYTES.spec, CPU_NODE.spec, PAGE.spec],
    uses_gpu: false,
    summaries: &[BEST_ID],
    make: || erase(Interleave),
};

/// Instance state: none (every point lays out its own buffers).
pub struct Interleave;

/// One point: buffers split between `nodes` at `ratio` by `mechanism`.
#[derive(Debug, Clone, Serialize)]
pub struct InterleavePoint {
    /// The nodes, comma separated, in ratio order.
    pub nodes: String,
    /// Shares per node, in lowest terms ("3:1").
    pub ratio: String,
    /// `split` or `weighted` (what `auto` resolved to).
    pub mechanism: &'static str,
    /// Bytes of each array and of the chased buffer.
    pub bytes: u64,
    /// The node whose CPUs run the kernels and the chase.
    pub cpu_node: u32,
    /// Pages asked for.
    pub page: PagePolicy,
    /// The kernels measured.
    pub kernel: String,
    /// Node list, parsed.
    #[serde(skip)]
    node_list: Vec<u32>,
    /// Shares, parsed.
    #[serde(skip)]
    shares: Ratio,
    /// Whether the kernel's weights may be written for this point.
    #[serde(skip)]
    set_weights: bool,
}

/// A planned point: a ratio to measure, or the stand-in for a selection
/// with no pair of nodes (`auto` on a one-node machine), which measures as
/// skipped saying why.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Planned {
    /// A ratio to measure.
    Ratio(InterleavePoint),
    /// Nothing to measure: the selection as given.
    Empty {
        /// The selection that named no pair.
        nodes: String,
    },
}

/// The node sets a `nodes` param names: each a list of two or more nodes.
fn node_sets(text: &str, host: &Host) -> Result<Vec<Vec<u32>>, BenchError> {
    if text == "auto" {
        let local = nodes::local_node(host)?;
        return Ok(host.memory_nodes().filter(|n| n.os_index != local).map(|n| vec![local, n.os_index]).collect());
    }
    let list: Vec<u32> = text
        .split(',')
        .map(|n| {
            n.trim()
                .parse::<u32>()
                .map_err(|_| BenchError::bad_param(ID, "nodes", format!("'{n}' is not a node number")))
                .and_then(|n| host.check_node(ID, "nodes", n))
        })
        .collect::<Result<_, _>>()?;
    if list.len() < 2 {
        return Err(BenchError::bad_param(ID, "nodes", format!("'{text}': a split needs two nodes or more")));
    }
    Ok(vec![list])
}

/// The ratios a `ratio` param names for `nodes`.
fn ratios(text: &str, nodes: &[u32], host: &Host) -> Result<Vec<Ratio>, BenchError> {
    let parsed: Vec<Ratio> = match text {
        "sweep" if nodes.len() == 2 => SWEEP.iter().map(|r| Ratio::parse(r)).collect::<Result<_, _>>(),
        "sweep" => {
            // Beyond two nodes: each node alone, then equal shares.
            let mut out: Vec<Ratio> = (0..nodes.len())
                .map(|i| Ratio::of(&(0..nodes.len()).map(|j| u32::from(i == j)).collect::<Vec<_>>()))
                .collect();
            out.push(Ratio::of(&vec![1; nodes.len()]));
            Ok(out)
        }
        "kernel" => {
            let weights = kernel_weights(&host.root).map_err(|why| BenchError::bad_param(ID, "ratio", why))?;
            let ratio = weights.ratio_of(nodes).ok_or_else(|| {
                BenchError::bad_param(
                    ID,
                    "ratio",
                    format!("the kernel lists no weighted-interleave weight for a node of {nodes:?}"),
                )
            })?;
            Ok(vec![ratio])
        }
        list => list.split(',').map(|r| Ratio::parse(r.trim())).collect(),
    }
    .map_err(|why| BenchError::bad_param(ID, "ratio", why))?;
    for r in &parsed {
        if r.parts().len() != nodes.len() {
            return Err(BenchError::bad_param(
                ID,
                "ratio",
                format!("{r} has {} shares for {} nodes", r.parts().len(), nodes.len()),
            ));
        }
    }
    Ok(parsed.into_iter().map(|r| r.reduced()).collect())
}

/// The kernels a `kernel` param names.
fn kernels(text: &str) -> Result<Vec<StreamKernel>, BenchError> {
    text.split(',')
        .map(str::trim)
        .map(|k| {
            super::bandwidth::kernels::KERNELS
                .iter()
                .find(|spec| spec.name == k && !spec.nontemporal)
                .map(|spec| spec.kernel)
                .ok_or_else(|| {
                    BenchError::bad_param(
                        ID,
                        "kernel",
                        format!("'{k}' is not one of copy, scale, add, triad, read, write"),
                    )
                })
        })
        .collect()
}

fn lcm(a: usize, b: usize) -> usize {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    a / gcd(a, b) * b
}

/// How a point's pages are laid out, resolved from its mechanism.
enum Layout {
    /// Explicit chunks bound to nodes.
    Split(Split),
    /// The kernel's weighted interleave over these nodes.
    Weighted(Vec<u32>),
}

impl Layout {
    /// Lays out `[addr, addr+len)`.
    ///
    /// # Safety
    /// The range must be a whole mapping owned by the caller.
    unsafe fn apply(&self, addr: *mut u8, len: usize) -> std::io::Result<()> {
        match self {
            Layout::Split(split) => split.apply(addr, len),
            Layout::Weighted(nodes) => interleave::apply_weighted(addr, len, nodes),
        }
    }
}

/// Maps `len` bytes (untouched) laid out by `layout`.
fn laid_out(host: &Host, len: usize, page: PagePolicy, layout: &Layout) -> Result<Region, BenchError> {
    let region = Region::allocate(&host.root, len, page, None)?;
    // SAFETY: the region's own mapping; `len` is a whole number of chunks.
    unsafe { layout.apply(region.as_ptr(), len) }
        .map_err(|e| BenchError::Failed(format!("laying out {len} bytes: {e}")))?;
    Ok(region)
}

/// The weighted mechanism for `p`: the layout, and the guard that
/// restores the kernel's weights when they were written for it; or why it
/// cannot give the ratio here.
fn weighted(p: &InterleavePoint, host: &Host) -> Result<(Layout, Option<interleave::WeightsRestore>), String> {
    let weights: KernelWeights = kernel_weights(&host.root)?;
    if weights.ratio_of(&p.node_list).as_ref() == Some(&p.shares) {
        return Ok((Layout::Weighted(p.node_list.clone()), None));
    }
    let now = weights.ratio_of(&p.node_list).map_or("none".to_string(), |r| r.to_string());
    if !p.set_weights {
        return Err(format!(
            "the kernel's weighted-interleave weights give {now} over nodes {}, not {}; set weights=set (root) to write them for the point, or use mechanism=split",
            p.nodes, p.ratio
        ));
    }
    let guard = weights
        .set(&host.root, &p.node_list, &p.shares)
        .map_err(|e| format!("writing the weighted-interleave weights {}: {e}", p.ratio))?;
    Ok((Layout::Weighted(p.node_list.clone()), Some(guard)))
}

impl Benchmark for Interleave {
    type Point = Planned;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<Planned>, BenchError> {
        let text = NODES.value(settings)?;
        let points = plan_ratios(settings, host, &text)?;
        if points.is_empty() {
            return Ok(vec![Planned::Empty { nodes: text }]);
        }
        Ok(points.into_iter().map(Planned::Ratio).collect())
    }

    fn measure(&mut self, point: &Planned, session: &mut Session) -> Result<Measured, BenchError> {
        match point {
            Planned::Ratio(p) => measure_ratio(p, session),
            Planned::Empty { .. } => {
                Err(BenchError::Unavailable("one memory node only: no pair of nodes to split pages between".into()))
            }
        }
    }

    /// A ratio lays out and touches three arrays and runs each kernel on
    /// them with every CPU of its initiator, then lays out, touches and
    /// chases a buffer; every page of them is looked up.
    fn estimate(&self, point: &Planned, _previous: Option<&Planned>, cost: &CostModel) -> f64 {
        let Planned::Ratio(p) = point else { return 0.0 };
        let threads = cost.cpus_of(p.cpu_node);
        let kernels: f64 = kernels(&p.kernel)
            .unwrap_or_default()
            .into_iter()
            .map(|k| kernel_cost(k, p.bytes, threads, 3, Isa::candidates(k).len(), cost))
            .sum();
        engine_cost(p.bytes, 3, threads, p.page, cost)
            + kernels
            + cost.touch(p.bytes, 1, p.page)
            + cost.chase_build(p.bytes, LINE)
            + cost.sliced(cost.sampler, false)
            + cost.tails(tails::idle_config(&cost.sampler), false)
            + cost.page_census(4 * p.bytes)
    }

    fn sweep(&self, points: &[Planned]) -> Option<Sweep> {
        let first_share = |p: &Planned| match p {
            Planned::Ratio(p) => Some((p.shares.fraction(0) * 1e6).round() as u64),
            Planned::Empty { .. } => None,
        };
        Sweep::along(points, first_share, "ratios", 3, "each node alone and one split between them")
    }

    fn summarize(&self, own: &[Record], _all: &[Record], session: &mut Session) -> Vec<Record> {
        best_records(own, kernel_weights(&session.host().root))
    }
}

/// The ratios to measure on every node set `text` names.
fn plan_ratios(settings: &Settings, host: &Host, text: &str) -> Result<Vec<InterleavePoint>, BenchError> {
    let sets = node_sets(text, host)?;
    let mechanism = MECHANISM.value(settings)?;
    let set_weights = WEIGHTS.value(settings)? == "set";
    let kernel_text = KERNELS.value(settings)?;
    kernels(&kernel_text)?;
    let page = PAGE.value(settings)?;
    let ratio_text = RATIO.value(settings)?;
    let mut planned = Vec::new();
    for nodes in sets {
        let ratios = ratios(&ratio_text, &nodes, host)?;
        let cpu_node = nodes::cpu_node_for(ID, CPU_NODE.get(settings)?, nodes[0], host)?;
        planned.push((nodes, ratios, cpu_node));
    }
    // One size for every point: whole periods of every ratio (and of the
    // kernel's weights, which weighted interleave uses).
    let mut periods = 1;
    for (nodes, ratios, _) in &planned {
        for r in ratios {
            periods = lcm(periods, r.parts().iter().sum::<u32>() as usize);
        }
        if let Some(w) = kernel_weights(&host.root).ok().and_then(|w| w.ratio_of(nodes)) {
            periods = lcm(periods, w.parts().iter().sum::<u32>() as usize);
        }
    }
    let granule = (CHUNK * periods) as u64;
    let asked = super::placed::working_set(&BYTES, settings, host)?;
    let bytes = (asked / granule).max(1) * granule;
    host.check_fits(ID, 4 * bytes)?;
    let mut points = Vec::new();
    for (nodes, ratios, cpu_node) in planned {
        for shares in ratios {
            // A ratio with one node used is a plain bind: split does it.
            let single = shares.parts().iter().filter(|&&w| w > 0).count() == 1;
            let mechanism: &'static str = match mechanism.as_str() {
                "weighted" if !single => "weighted",
                "auto" if !single && can_weight(host, &nodes, &shares, set_weights) => "weighted",
                _ => "split",
            };
            points.push(InterleavePoint {
                nodes: nodes.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
                ratio: shares.to_string(),
                mechanism,
                bytes,
                cpu_node,
                page,
                kernel: kernel_text.clone(),
                node_list: nodes.clone(),
                shares,
                set_weights,
            });
        }
    }
    Ok(points)
}

/// Measures one ratio: every kernel, the chase, the page census.
fn measure_ratio(p: &InterleavePoint, session: &mut Session) -> Result<Measured, BenchError> {
    let host = session.host().clone();
    let (layout, restore) = match p.mechanism {
        "weighted" => weighted(p, &host).map_err(BenchError::Unavailable)?,
        _ => (Layout::Split(Split::new(&p.node_list, &p.shares, CHUNK).map_err(BenchError::Failed)?), None),
    };
    let expected = expected_split(p);
    check_room(&host, p, &expected)?;
    let len = p.bytes as usize;
    let kernels = kernels(&p.kernel)?;
    let template = BandwidthPoint::on_nodes(&host, StreamKernel::Triad, p.node_list[0], p.cpu_node, p.bytes, p.page)?;
    let cpus = template.cpus.clone();
    let regions = [0, 1, 2].map(|_| laid_out(&host, len, p.page, &layout));
    let [a, b, c] = regions;
    let regions = [Some(a?), Some(b?), Some(c?)];
    let spans: Vec<(usize, usize)> = regions.iter().flatten().map(|r| (r.as_ptr() as usize, r.len())).collect();
    let arrays = Arrays::from_regions(regions, len / 8, cpus.len())
        .ok_or_else(|| BenchError::Failed("the arrays are shorter than asked".into()))?;
    let engine = Engine::with_arrays(arrays, cpus.clone(), p.page)?;
    let mut metrics = Vec::new();
    let mut info = BTreeMap::new();
    for &kernel in &kernels {
        let name = kernel.spec().name;
        let candidates =
            BandwidthPoint::on_nodes(&host, kernel, p.node_list[0], p.cpu_node, p.bytes, p.page)?.candidates;
        let measured = measure_kernel(&engine, kernel, &candidates, session).map_err(|e| match e {
            BenchError::Failed(why) => BenchError::Failed(format!("{name}: {why}")),
            other => other,
        })?;
        for m in measured.metrics.into_iter().filter(|m| m.name == "bandwidth") {
            metrics.push(Metric { name: format!("bandwidth_{name}"), ..m });
        }
        info.insert(format!("{name}_isa"), measured.info.get("isa").cloned().unwrap_or(Value::Null));
    }
    // Every array was initialised by some kernel only if every kernel
    // touched it: count the pages of those the kernels used.
    let used: Vec<usize> = {
        let mut u: Vec<usize> = kernels.iter().flat_map(|k| k.spec().arrays()).collect();
        u.sort_unstable();
        u.dedup();
        u
    };
    let mut census = PageCensus::default();
    for &i in &used {
        let (addr, len) = spans[i];
        census.add(
            &mempolicy::census(addr as *const u8, len).map_err(|e| BenchError::Failed(format!("move_pages: {e}")))?,
        );
    }
    drop(engine);

    // The chase over a buffer laid out the same way, from the first CPU.
    let chase_region = laid_out(&host, len, p.page, &layout)?;
    let (latency, tails) = pinned::run_on(cpus[0], || {
        chase_region.first_touch(0, len);
        // SAFETY: the region holds `len` bytes, page aligned.
        let mut chase =
            unsafe { Chase::build(chase_region.as_ptr(), len / LINE as usize, LINE as usize, SEED ^ p.bytes) };
        let latency = session.sample_this_thread(session.sampler, &mut chase)?;
        let cfg = tails::idle_config(&session.sampler);
        Ok((latency, tails::sample(session, &mut chase, cfg)?))
    })?;
    census.add(
        &mempolicy::census(chase_region.as_ptr(), len).map_err(|e| BenchError::Failed(format!("move_pages: {e}")))?,
    );
    drop(restore);

    let obtained = census.fractions();
    let verdict = compare_split(&expected, &census);
    info.insert("split_requested".into(), fractions_json(&expected));
    info.insert("split_obtained".into(), fractions_json(&obtained));
    info.insert("split_pages_checked".into(), census.pages.into());
    if !census.missing.is_empty() {
        info.insert("split_pages_without_node".into(), json!(census.missing));
    }
    info.insert("mechanism_detail".into(), mechanism_detail(p, &layout).into());
    info.insert("cpus".into(), cpus.clone().into());
    info.extend([latency.info("descheduling")]);
    info.extend(tails.info());
    verdict?;
    let first = census.fraction(p.node_list[0]);
    metrics.extend(latency.metrics("latency", "ns", Better::Lower, super::latency::ns_per_load)?);
    metrics.extend(tails.metrics(tails::IDLE));
    metrics.push(Metric::new("first_node_fraction", "fraction", first, "pages counted", Vec::new(), Better::Higher));
    let page_obtained = chase_region.page_info().map(|i| i.obtained).unwrap_or_else(|_| "unknown".into());
    Ok(Measured {
        metrics,
        placement: Some(hwbench_schema::Placement {
            node: None,
            on_node_fraction: None,
            pages_checked: census.pages,
            page_requested: p.page.name().into(),
            page_obtained,
            huge_bytes: 0,
            unverified: None,
        }),
        info,
    })
}

/// Whether `auto` can use weighted interleave for this ratio.
fn can_weight(host: &Host, nodes: &[u32], shares: &Ratio, set_weights: bool) -> bool {
    match kernel_weights(&host.root) {
        Ok(w) => set_weights || w.ratio_of(nodes).as_ref() == Some(shares),
        Err(_) => false,
    }
}

/// The fraction of pages each node should hold.
fn expected_split(p: &InterleavePoint) -> BTreeMap<u32, f64> {
    let mut out = BTreeMap::new();
    for (i, &n) in p.node_list.iter().enumerate() {
        *out.entry(n).or_insert(0.0) += p.shares.fraction(i);
    }
    out
}

/// Refuses a split whose share on some node does not fit that node.
fn check_room(host: &Host, p: &InterleavePoint, expected: &BTreeMap<u32, f64>) -> Result<(), BenchError> {
    for (&node, &fraction) in expected {
        let need = (4.0 * p.bytes as f64 * fraction) as u64;
        let free = node_free_bytes(&host.root, node)?;
        if need > free {
            return Err(BenchError::Failed(format!(
                "node {node} has {free} bytes free or reclaimable, cannot hold its {need} bytes of the split"
            )));
        }
    }
    Ok(())
}

/// Ok when every node holds its share within [`TOLERANCE`]; else why not.
fn compare_split(expected: &BTreeMap<u32, f64>, census: &PageCensus) -> Result<(), BenchError> {
    let mut nodes: Vec<u32> = expected.keys().chain(census.per_node.keys()).copied().collect();
    nodes.sort_unstable();
    nodes.dedup();
    let off: Vec<String> = nodes
        .iter()
        .filter_map(|&n| {
            let (want, got) = (expected.get(&n).copied().unwrap_or(0.0), census.fraction(n));
            ((want - got).abs() > TOLERANCE).then(|| format!("node {n}: {got:.4} of pages, asked {want:.4}"))
        })
        .collect();
    if off.is_empty() {
        return Ok(());
    }
    Err(BenchError::Failed(format!(
        "split not obtained within {TOLERANCE} of the pages ({} pages counted): {}",
        census.pages,
        off.join("; ")
    )))
}

fn fractions_json(fractions: &BTreeMap<u32, f64>) -> Value {
    json!(fractions.iter().map(|(n, f)| (n.to_string(), *f)).collect::<BTreeMap<String, f64>>())
}

fn mechanism_detail(p: &InterleavePoint, layout: &Layout) -> String {
    match layout {
        Layout::Split(s) => format!(
            "mbind(MPOL_BIND) of {} MiB chunks, period {} chunks: {} over nodes {}",
            s.chunk >> 20,
            s.period() / s.chunk,
            p.ratio,
            p.nodes
        ),
        Layout::Weighted(nodes) => {
            format!("mbind(MPOL_WEIGHTED_INTERLEAVE) over nodes {nodes:?} with the kernel's weights {}", p.ratio)
        }
    }
}

/// One `memory.interleave.best` record per (nodes, mechanism, kernel):
/// the ratio with the most bandwidth, beside the kernel's weights.
fn best_records(own: &[Record], weights: Result<KernelWeights, String>) -> Vec<Record> {
    let ok: Vec<&Record> = own.iter().filter(|r| r.status == RecordStatus::Ok && r.id == ID).collect();
    let mut groups: Vec<(BTreeMap<String, ParamValue>, Vec<&Record>)> = Vec::new();
    for r in ok {
        let mut key = r.params.clone();
        key.remove("ratio");
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    let mut out = Vec::new();
    for (key, members) in groups {
        let metric_names: Vec<String> =
            members[0].metrics.iter().filter(|m| m.name.starts_with("bandwidth_")).map(|m| m.name.clone()).collect();
        for name in metric_names {
            let with = |r: &&Record| r.metrics.iter().find(|m| m.name == name).map(|m| m.value);
            let Some(best) =
                members.iter().max_by(|a, b| with(a).unwrap_or(f64::MIN).total_cmp(&with(b).unwrap_or(f64::MIN)))
            else {
                continue;
            };
            let kernel = name.trim_start_matches("bandwidth_").to_string();
            let mut params = key.clone();
            params.insert("kernel".into(), ParamValue::Str(kernel));
            let mut record = Record::new(BEST_ID, params);
            if let Some(m) = best.metrics.iter().find(|m| m.name == name) {
                record.metrics.push(hwbench_schema::Metric { name: "bandwidth".into(), ..m.clone() });
            }
            if let Some(m) = best.metrics.iter().find(|m| m.name == "first_node_fraction") {
                record.metrics.push(m.clone());
            }
            let single = members.iter().find(|r| matches!(r.params.get("ratio"), Some(ParamValue::Str(s)) if s.ends_with(":0") && s.starts_with(|c: char| c != '0')));
            if let (Some(alone), Some(top)) = (single.and_then(with), with(best)) {
                let gain = (top / alone - 1.0) * 100.0;
                record.metrics.push(Metric::new(
                    "gain_over_first_node",
                    "%",
                    gain,
                    "derived",
                    Vec::new(),
                    Better::Higher,
                ));
            }
            record.info.insert(
                "best_ratio".into(),
                best.params.get("ratio").map(|r| r.to_string()).unwrap_or_default().into(),
            );
            record.info.insert(
                "ratios_measured".into(),
                json!(members
                    .iter()
                    .map(|r| json!({ "ratio": r.params.get("ratio").map(ToString::to_string), "bandwidth": with(r) }))
                    .collect::<Vec<_>>()),
            );
            match &weights {
                Ok(w) => {
                    let nodes: Vec<u32> = key
                        .get("nodes")
                        .map(|n| n.to_string().split(',').filter_map(|x| x.parse().ok()).collect())
                        .unwrap_or_default();
                    record.info.insert("kernel_weights".into(), w.ratio_of(&nodes).map(|r| r.to_string()).into());
                    record.info.insert("kernel_weights_auto".into(), w.auto.into());
                }
                Err(why) => {
                    record.info.insert("kernel_weights".into(), format!("unavailable: {why}").into());
                }
            }
            out.push(record);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::nodes::tests::fixture;
    use hwbench_probes::SysRoot;
    use std::path::Path;

    fn fixture_host() -> Host {
        let root = SysRoot::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs/two-socket-cxl"));
        Host::new(root, fixture("two-socket-cxl"))
    }

    fn plan(settings: Settings) -> Result<Vec<InterleavePoint>, BenchError> {
        let planned = Interleave.plan(&settings.with(&BYTES.spec, 256u64 << 20), &fixture_host())?;
        Ok(planned
            .into_iter()
            .map(|p| match p {
                Planned::Ratio(r) => r,
                Planned::Empty { nodes } => panic!("no pair in {nodes}"),
            })
            .collect())
    }

    #[test]
    fn auto_pairs_the_local_node_with_every_other_and_sweeps_eight_ratios() {
        let points = plan(Settings::new(ID)).unwrap();
        let pairs: Vec<&str> = points.iter().map(|p| p.nodes.as_str()).collect();
        assert_eq!(pairs.iter().filter(|n| **n == "0,1").count(), 8);
        assert_eq!(pairs.iter().filter(|n| **n == "0,2").count(), 8);
        let ratios: Vec<&str> = points.iter().take(8).map(|p| p.ratio.as_str()).collect();
        assert_eq!(ratios, SWEEP);
        // Whole periods of 1, 8, 4, 3, 2 chunks, and of the fixture's
        // weights 3:3:1 (for the pairs: 1:1 and 3:1): 24 chunks of 2 MiB.
        assert!(points.iter().all(|p| p.bytes == 240 << 20), "{}", points[0].bytes);
        assert!(points.iter().all(|p| p.mechanism == "split" && p.cpu_node == 0));
    }

    #[test]
    fn kernel_ratio_and_auto_mechanism_follow_the_fixture_weights() {
        let s = Settings::new(ID).with(&NODES.spec, "0,2").with(&RATIO.spec, "kernel").with(&MECHANISM.spec, "auto");
        let points = plan(s).unwrap();
        assert_eq!(points.len(), 1);
        assert_eq!((points[0].ratio.as_str(), points[0].mechanism), ("3:1", "weighted"));
        // auto: weighted only where the weights give the ratio.
        let s =
            Settings::new(ID).with(&NODES.spec, "0,2").with(&RATIO.spec, "3:1,1:1,1:0").with(&MECHANISM.spec, "auto");
        let mechanisms: Vec<&str> = plan(s).unwrap().iter().map(|p| p.mechanism).collect();
        assert_eq!(mechanisms, ["weighted", "split", "split"]);
    }

    #[test]
    fn a_weighted_ratio_the_kernel_does_not_hold_is_skipped_saying_why() {
        let s = Settings::new(ID).with(&NODES.spec, "0,2").with(&RATIO.spec, "1:1").with(&MECHANISM.spec, "weighted");
        let point = &plan(s).unwrap()[0];
        let why = weighted(point, &fixture_host()).err().unwrap();
        assert!(why.contains("give 3:1 over nodes 0,2, not 1:1"), "{why}");
    }

    #[test]
    fn bad_nodes_ratios_and_kernels_are_bad_input() {
        for (key, value, says) in [
            (&NODES.spec, "0", "two nodes or more"),
            (&NODES.spec, "0,9", "does not exist"),
            (&RATIO.spec, "3:1:1", "3 shares for 2 nodes"),
            (&RATIO.spec, "x", "not a ratio"),
            (&KERNELS.spec, "triad,nt_copy", "not one of"),
        ] {
            let mut s = Settings::new(ID).with(key, value);
            if key.name != "nodes" {
                s = s.with(&NODES.spec, "0,1");
            }
            let err = plan(s).unwrap_err().to_string();
            assert!(err.contains(says), "{value}: {err}");
        }
    }

    #[test]
    fn a_split_off_by_more_than_one_percent_of_pages_fails() {
        let expected = BTreeMap::from([(0, 0.75), (2, 0.25)]);
        let close = PageCensus::of(&[&[0; 751][..], &[2; 249][..]].concat());
        assert!(compare_split(&expected, &close).is_ok());
        let off = PageCensus::of(&[&[0; 770][..], &[2; 230][..]].concat());
        let err = compare_split(&expected, &off).unwrap_err().to_string();
        assert!(err.contains("node 0: 0.7700 of pages, asked 0.7500"), "{err}");
        let stray = PageCensus::of(&[&[0; 750][..], &[2; 230][..], &[1; 20][..]].concat());
        assert!(compare_split(&expected, &stray).unwrap_err().to_string().contains("node 1: 0.0200"));
    }

    fn record(ratio: &str, triad: f64) -> Record {
        let mut r = Record::new(
            ID,
            BTreeMap::from([
                ("nodes".to_string(), ParamValue::Str("0,2".into())),
                ("ratio".to_string(), ParamValue::Str(ratio.into())),
                ("mechanism".to_string(), ParamValue::Str("split".into())),
            ]),
        );
        r.metrics.push(Metric::new("bandwidth_triad", "GB/s", triad, "max", vec![triad], Better::Higher));
        r.metrics.push(Metric::new("first_node_fraction", "fraction", 0.5, "pages counted", vec![], Better::Higher));
        r
    }

    #[test]
    fn the_best_ratio_is_summarised_per_kernel_with_its_gain_and_the_kernel_weights() {
        let own = [record("1:0", 100.0), record("3:1", 120.0), record("1:1", 90.0), record("0:1", 30.0)];
        let best = best_records(&own, kernel_weights(&fixture_host().root));
        assert_eq!(best.len(), 1);
        let b = &best[0];
        assert_eq!(b.id, BEST_ID);
        assert_eq!(b.params["kernel"], ParamValue::Str("triad".into()));
        assert_eq!(b.info["best_ratio"], "3:1");
        assert_eq!(b.metrics[0].value, 120.0);
        let gain = b.metrics.iter().find(|m| m.name == "gain_over_first_node").unwrap();
        assert!((gain.value - 20.0).abs() < 1e-9);
        assert_eq!(b.info["kernel_weights"], "3:1");
        assert_eq!(b.info["kernel_weights_auto"], true);
    }

    /// The real path on this machine: node 0 split with itself 3:1 (every
    /// page lands on node 0, so the census must say 1.0 on node 0).
    #[test]
    fn a_point_measures_every_kernel_and_counts_every_page() {
        let (host, mut session) = crate::session::tests::quick_live();
        let s = Settings::new(ID)
            .with(&NODES.spec, "0,0")
            .with(&RATIO.spec, "3:1")
            .with(&KERNELS.spec, "triad,read")
            .with(&BYTES.spec, 8u64 << 20)
            .with(&PAGE.spec, "4k");
        let points = Interleave.plan(&s, &host).unwrap();
        assert!(matches!(&points[0], Planned::Ratio(p) if p.bytes == 8 << 20));
        let m = Interleave.measure(&points[0], &mut session).unwrap();
        let auto = Interleave.plan(&Settings::new(ID).with(&BYTES.spec, 8u64 << 20), &host).unwrap();
        if host.topology.nodes.len() == 1 {
            assert!(matches!(Interleave.measure(&auto[0], &mut session), Err(BenchError::Unavailable(_))));
        }
        let names: Vec<&str> = m.metrics.iter().map(|m| m.name.as_str()).collect();
        for want in
            ["bandwidth_triad", "bandwidth_read", "latency", "latency_p50", "latency_p99", "first_node_fraction"]
        {
            assert!(names.contains(&want), "{want} in {names:?}");
        }
        // a, b, c (triad uses all three) and the chased buffer, every page.
        assert_eq!(m.info["split_pages_checked"], 4 * (8 << 20) / 4096);
        assert_eq!(m.info["split_obtained"]["0"], 1.0);
    }
}
