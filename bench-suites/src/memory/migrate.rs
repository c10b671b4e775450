//! `memory.migrate`: what tiering pays to move pages, as TPP-style
//! promotion and demotion do: the throughput of moving a buffer from one
//! node to another with move_pages(2) (page by page, the call tiering
//! daemons use), mbind(2) with MPOL_MF_MOVE (a range rebound and moved)
//! and migrate_pages(2) (every page of a process on a node, timed in a
//! child process: see [`hwbench_probes::migrate`]), at 4 KiB pages and at
//! 2 MiB (transparent huge) pages. After every timed move, every base page
//! of the buffer is looked up (move_pages with no target) and must be on
//! the target node, or the record fails; the buffer then moves back,
//! untimed, for the next sample.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hwbench_probes::energy::Work;
use hwbench_probes::mempolicy::{self, Mode, PageCensus, MF_MOVE, MF_STRICT};
use hwbench_probes::migrate::{migrate_pages_in_child, MAX_ROUNDS};
use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_schema::{Better, Placement};
use serde::Serialize;

use super::{nodes, pinned, placed};
use crate::budget::{pair_key, Sweep};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{median_metric, Workload};
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;

const ID: &str = "memory.migrate";
/// The calls measured, by name.
pub const CALLS: &[&str] = &["move_pages", "mbind", "migrate_pages"];
const HUGE: u64 = 2 << 20;

const FROM: Param<String> = Param::new(
    "from",
    ParamKind::Text,
    Unset::Value("all"),
    "source nodes: N, a comma list, or all (every ordered pair)",
);
const TO: Param<String> = Param::new(
    "to",
    ParamKind::Text,
    Unset::Value("all"),
    "target nodes: N, a comma list, or all (every ordered pair)",
);
const PAGES: Param<String> = Param::new(
    "page",
    ParamKind::Text,
    Unset::Value("4k,thp"),
    "page sizes: 4k, thp (2 MiB transparent huge pages), 2m (hugetlb), or a comma list",
);
const CALL: Param<String> = Param::new(
    "call",
    ParamKind::Text,
    Unset::Value("move_pages,mbind,migrate_pages"),
    "system calls timed: move_pages, mbind (MPOL_MF_MOVE), migrate_pages (in a child process), or a comma list",
);
const BYTES: Param<u64> = Param::new(
    "bytes",
    ParamKind::Bytes,
    Unset::Value("64MiB"),
    "buffer moved (rounded down to 2 MiB, at least 2 MiB)",
);

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "page migration throughput between nodes (move_pages, mbind MPOL_MF_MOVE, migrate_pages) at 4 KiB and 2 MiB pages, every page verified on the target",
    metrics: "bandwidth GB/s (median), pages_per_s (median, pages of the size obtained)",
    params: &[FROM.spec, TO.spec, PAGES.spec, CALL.spec, BYTES.spec],
    uses_gpu: false,
    summaries: &[],
    make: || erase(Migrate),
};

/// Instance state: none (each point maps its own buffer).
pub struct Migrate;

/// One point: a buffer moved from one node to another by one call.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum MigratePoint {
    /// A measured pair.
    Move {
        /// Source node.
        from: u32,
        /// Target node.
        to: u32,
        /// Pages asked for.
        page: PagePolicy,
        /// The system call.
        call: &'static str,
        /// Bytes moved.
        bytes: u64,
    },
    /// No pair to measure: the selection as given.
    Empty {
        /// The source selection.
        from: String,
        /// The target selection.
        to: String,
    },
}

/// The nodes a `from`/`to` param names.
fn node_list(param: &str, text: &str, host: &Host) -> Result<Vec<u32>, BenchError> {
    if text == "all" {
        return Ok(host.memory_nodes().map(|n| n.os_index).collect());
    }
    text.split(',')
        .map(|n| {
            n.trim()
                .parse::<u32>()
                .map_err(|_| BenchError::bad_param(ID, param, format!("'{n}' is not a node number or all")))
                .and_then(|n| host.check_node(ID, param, n))
        })
        .collect()
}

fn choices<T: Copy>(
    param: &str,
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
    known: &str,
) -> Result<Vec<T>, BenchError> {
    text.split(',')
        .map(str::trim)
        .map(|x| parse(x).ok_or_else(|| BenchError::bad_param(ID, param, format!("'{x}' is not one of {known}"))))
        .collect()
}

impl Benchmark for Migrate {
    type Point = MigratePoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<MigratePoint>, BenchError> {
        let (from_text, to_text) = (FROM.value(settings)?, TO.value(settings)?);
        let sources = node_list("from", &from_text, host)?;
        let targets = node_list("to", &to_text, host)?;
        let pages = choices("page", &PAGES.value(settings)?, |p| PagePolicy::parse(p).ok(), "4k, thp, 2m")?;
        let calls =
            choices("call", &CALL.value(settings)?, |c| CALLS.iter().copied().find(|k| *k == c), &CALLS.join(", "))?;
        let bytes = (BYTES.value(settings)? / HUGE).max(1) * HUGE;
        host.check_fits(ID, bytes)?;
        // A node to itself only when both were named: the calls' own cost.
        let same_allowed = from_text != "all" && to_text != "all";
        let mut points = Vec::new();
        for &from in &sources {
            for &to in targets.iter().filter(|&&to| to != from || same_allowed) {
                for &page in &pages {
                    for &call in &calls {
                        points.push(MigratePoint::Move { from, to, page, call, bytes });
                    }
                }
            }
        }
        if points.is_empty() {
            return Ok(vec![MigratePoint::Empty { from: from_text, to: to_text }]);
        }
        Ok(points)
    }

    fn measure(&mut self, point: &MigratePoint, session: &mut Session) -> Result<Measured, BenchError> {
        let &MigratePoint::Move { from, to, page, call, bytes } = point else {
            return Err(BenchError::Unavailable("one memory node only: no pair of nodes to migrate between".into()));
        };
        let host = session.host().clone();
        let cpu = *nodes::initiator_cpus(
            &host.topology,
            nodes::initiator_for(&host.topology, from).ok_or_else(|| BenchError::Failed("no node has CPUs".into()))?,
        )?
        .first()
        .ok_or_else(|| BenchError::Failed("no CPU".into()))?;
        let mut info = BTreeMap::new();
        info.insert("cpu".into(), cpu.into());
        info.insert(
            "verification".into(),
            "every base page of the buffer looked up with move_pages after every timed move".into(),
        );
        let (set, worst, page_obtained) = match call {
            "migrate_pages" => {
                if page == PagePolicy::Huge2M {
                    return Err(BenchError::Unavailable(
                        "migrate_pages is timed in a child process on transparent huge pages (thp), not hugetlb (2m)"
                            .into(),
                    ));
                }
                info.insert(
                    "process".into(),
                    "a child process holding the buffer (migrate_pages moves every page of a process on the node)"
                        .into(),
                );
                let mut child =
                    InChild { bytes, huge: page == PagePolicy::Transparent, from, to, worst: None, page: None };
                let set = pinned::run_on(cpu, || session.sample(&mut child))?;
                let page = child
                    .page
                    .unwrap_or_else(|| Err("no child ran".into()))
                    .unwrap_or_else(|why| format!("unknown: {why}"));
                (set, child.worst.unwrap_or_default(), page)
            }
            _ => {
                let region = placed::place(&host, bytes, page, from)?;
                pinned::run_on(cpu, || {
                    region.first_touch(0, region.len());
                    let mut moves = InProcess { region: &region, from, to, call, worst: None };
                    let set = session.sample(&mut moves)?;
                    let obtained = region.page_info().map(|i| i.obtained).unwrap_or_else(|_| "unknown".into());
                    Ok((set, moves.worst.unwrap_or_default(), obtained))
                })?
            }
        };
        let fraction = worst.fraction(to);
        info.insert("pages_checked_per_move".into(), worst.pages.into());
        if fraction < 1.0 {
            return Err(BenchError::Failed(format!(
                "after a move by {call}, {} of {} base pages were not on node {to} ({:?} on nodes, {:?} without a node by errno)",
                worst.pages - worst.per_node.get(&to).copied().unwrap_or(0),
                worst.pages,
                worst.per_node,
                worst.missing
            )));
        }
        let page_bytes =
            if page_obtained == "2m" || page == PagePolicy::Huge2M { HUGE } else { mempolicy::BASE_PAGE as u64 };
        info.insert("page_bytes_counted".into(), page_bytes.into());
        let gbs = set.map(|secs, n| (bytes * n) as f64 / secs / 1e9);
        let pages = set.map(|secs, n| (bytes / page_bytes * n) as f64 / secs);
        Ok(Measured {
            metrics: vec![
                median_metric("bandwidth", "GB/s", gbs, Better::Higher),
                median_metric("pages_per_s", "pages/s", pages, Better::Higher),
            ],
            placement: Some(Placement {
                node: Some(to),
                on_node_fraction: Some(fraction),
                pages_checked: worst.pages,
                page_requested: page.name().into(),
                page_obtained,
                huge_bytes: 0,
                unverified: None,
            }),
            info,
        })
    }

    /// Each sample's moves are timed one way; every move also goes back
    /// and is looked up page by page, so a sample's wall time is about
    /// twice its timed moves and the lookups. An in-process buffer is
    /// placed and touched once; migrate_pages touches a child's buffer
    /// each run.
    fn estimate(&self, point: &MigratePoint, _previous: Option<&MigratePoint>, cost: &CostModel) -> f64 {
        let MigratePoint::Move { page, call, bytes, .. } = *point else { return 0.0 };
        if call == "migrate_pages" && page == PagePolicy::Huge2M {
            return 0.0;
        }
        let moved = cost.migrate(bytes, page);
        let timed = cost.phase(cost.sampler, moved);
        let wall = timed * (2.0 * moved + cost.page_census(bytes)) / moved.max(1e-9);
        let touches = if call == "migrate_pages" { cost.sampler.runs() + 2 } else { 1 };
        wall + touches as f64 * cost.touch(bytes, 1, page)
    }

    fn sweep(&self, points: &[MigratePoint]) -> Option<Sweep> {
        let pair = |p: &MigratePoint| match *p {
            MigratePoint::Move { from, to, .. } => Some(pair_key(from, to)),
            MigratePoint::Empty { .. } => None,
        };
        Sweep::along(points, pair, "pairs", 2, "two node pairs")
    }
}

/// Keeps the census with the fewest pages on `to`.
fn keep_worst(worst: &mut Option<PageCensus>, census: PageCensus, to: u32) {
    if worst.as_ref().is_none_or(|w| census.fraction(to) < w.fraction(to)) {
        *worst = Some(census);
    }
}

/// Moves of a buffer of this process: forward timed, counted, back.
struct InProcess<'a> {
    region: &'a Region,
    from: u32,
    to: u32,
    call: &'static str,
    worst: Option<PageCensus>,
}

impl InProcess<'_> {
    fn move_to(&self, node: u32) -> Result<(), BenchError> {
        let (addr, len) = (self.region.as_ptr(), self.region.len());
        // SAFETY: the region's own mapping; its contents stay.
        let moved = unsafe {
            match self.call {
                "mbind" => mempolicy::mbind(addr, len, Mode::Bind, &[node], MF_MOVE | MF_STRICT),
                _ => mempolicy::move_range(addr, len, node).map(|_| ()),
            }
        };
        moved.map_err(|e| BenchError::Failed(format!("{} to node {node}: {e}", self.call)))
    }
}

impl Workload for InProcess<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let mut took = Duration::ZERO;
        for _ in 0..iterations {
            let start = Instant::now();
            self.move_to(self.to)?;
            took += start.elapsed();
            let census = mempolicy::census(self.region.as_ptr(), self.region.len())
                .map_err(|e| BenchError::Failed(format!("move_pages (lookup): {e}")))?;
            keep_worst(&mut self.worst, census, self.to);
            self.move_to(self.from)?;
        }
        Ok(took)
    }

    fn work_per_iteration(&self) -> Option<Work> {
        Some(Work { amount: self.region.len() as f64 / 1e9, unit: "GB" })
    }
}

/// migrate_pages in child processes, up to [`MAX_ROUNDS`] moves each.
struct InChild {
    bytes: u64,
    huge: bool,
    from: u32,
    to: u32,
    worst: Option<PageCensus>,
    /// The page size the last child got, or why unknown.
    page: Option<Result<String, String>>,
}

impl Workload for InChild {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let mut took = Duration::ZERO;
        let mut left = iterations;
        while left > 0 {
            let rounds = left.min(MAX_ROUNDS as u64) as usize;
            let child = migrate_pages_in_child(self.bytes as usize, self.huge, self.from, self.to, rounds)
                .map_err(|e| BenchError::Failed(format!("migrate_pages: {e}")))?;
            if child.rounds.len() < rounds {
                return Err(BenchError::Failed(format!("the child made {} of {rounds} moves", child.rounds.len())));
            }
            for r in &child.rounds {
                took += Duration::from_nanos(r.nanos);
                let mut census = PageCensus { pages: child.pages, ..PageCensus::default() };
                census.per_node.insert(self.to, r.on_target);
                if r.on_source > 0 && self.from != self.to {
                    census.per_node.insert(self.from, r.on_source);
                }
                if r.elsewhere > 0 {
                    census.missing.insert(0, r.elsewhere);
                }
                keep_worst(&mut self.worst, census, self.to);
            }
            self.page = Some(child.page_obtained);
            left -= rounds as u64;
        }
        Ok(took)
    }

    fn work_per_iteration(&self) -> Option<Work> {
        Some(Work { amount: self.bytes as f64 / 1e9, unit: "GB" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::nodes::tests::fixture;
    use hwbench_probes::SysRoot;

    #[test]
    fn every_ordered_pair_at_each_page_size_and_call() {
        let host = Host::new(SysRoot::default(), fixture("two-socket-cxl"));
        let points = Migrate.plan(&Settings::new(ID), &host).unwrap();
        // 3 nodes: 6 ordered pairs x 2 page sizes x 3 calls.
        assert_eq!(points.len(), 36);
        let pairs: std::collections::BTreeSet<(u32, u32)> = points
            .iter()
            .map(|p| match p {
                MigratePoint::Move { from, to, bytes, .. } => {
                    assert_eq!(*bytes, 64 << 20);
                    (*from, *to)
                }
                MigratePoint::Empty { .. } => panic!("empty"),
            })
            .collect();
        assert_eq!(pairs.len(), 6);
        assert!(pairs.iter().all(|(f, t)| f != t));
        let one = Settings::new(ID).with(&TO.spec, "2").with(&CALL.spec, "move_pages").with(&PAGES.spec, "4k");
        assert_eq!(Migrate.plan(&one, &host).unwrap().len(), 2, "nodes 0 and 1 to node 2");
        let bad = Settings::new(ID).with(&CALL.spec, "memcpy");
        assert!(Migrate
            .plan(&bad, &host)
            .unwrap_err()
            .to_string()
            .contains("not one of move_pages, mbind, migrate_pages"));
    }

    /// One node here: node 0 to node 0 runs every call's real path (bind,
    /// touch, move, look every page up) and every page is found there.
    #[test]
    fn each_call_moves_and_verifies_every_page() {
        let (host, mut session) = crate::session::tests::quick_live();
        let s = Settings::new(ID).with(&FROM.spec, "0").with(&TO.spec, "0").with(&BYTES.spec, 4u64 << 20);
        let points = Migrate.plan(&s, &host).unwrap();
        assert_eq!(points.len(), 6);
        for p in &points {
            let m = Migrate.measure(p, &mut session).unwrap();
            let placement = m.placement.unwrap();
            assert_eq!((placement.node, placement.on_node_fraction), (Some(0), Some(1.0)), "{p:?}");
            assert_eq!(placement.pages_checked, 1024, "{p:?}");
            assert_eq!(m.metrics[0].name, "bandwidth");
        }
        let all = Migrate.plan(&Settings::new(ID), &host).unwrap();
        if host.topology.nodes.len() == 1 {
            assert!(matches!(Migrate.measure(&all[0], &mut session), Err(BenchError::Unavailable(_))));
        }
    }
}
