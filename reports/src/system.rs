//! The system table: one row per fact, one column per run, runs of equal
//! neighbouring cells merged so that differences stand out.

use std::fmt::Display;

use hwbench_schema::units::format_bytes;
use hwbench_schema::{CacheKind, Fact, ResultDocument};

use crate::runs::RunSet;

/// A cell spanning `width` neighbouring runs that share its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub width: usize,
}

/// One fact across the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    /// Merged cells, covering every run in order.
    pub spans: Vec<Span>,
}

impl Row {
    /// True when not every run has the same text.
    pub fn differs(&self) -> bool {
        self.spans.len() > 1
    }
}

/// The whole table.
#[derive(Debug, Clone)]
pub struct SystemTable {
    /// Run names, one per column.
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// Builds the table from every run's provenance, topology and sensors.
pub fn table(runs: &RunSet) -> SystemTable {
    let docs: Vec<&ResultDocument> = runs.runs.iter().map(|r| &r.doc).collect();
    let mut rows: Vec<Row> =
        facts().iter().map(|(name, get)| row(name, docs.iter().map(|d| get(d)).collect())).collect();
    // One row per sensor any run knows of.
    let mut sensors: Vec<&String> = docs.iter().flat_map(|d| d.sensors.keys()).collect();
    sensors.sort();
    sensors.dedup();
    for sensor in sensors {
        let cells = docs
            .iter()
            .map(|d| match d.sensors.get(sensor) {
                Some(s) if s.available => "available".to_string(),
                Some(s) => format!("unavailable: {}", s.detail),
                None => "not probed".to_string(),
            })
            .collect();
        rows.push(row(&format!("sensor {sensor}"), cells));
    }
    SystemTable { columns: runs.runs.iter().map(|r| r.name.clone()).collect(), rows }
}

/// Merges equal neighbouring cells.
fn row(name: &str, cells: Vec<String>) -> Row {
    let mut spans: Vec<Span> = Vec::new();
    for text in cells {
        match spans.last_mut() {
            Some(last) if last.text == text => last.width += 1,
            _ => spans.push(Span { text, width: 1 }),
        }
    }
    Row { name: name.to_string(), spans }
}

/// How a fact is read from a document, as the text shown.
pub type Getter = fn(&ResultDocument) -> String;

/// The facts shown, in order: name and getter. The fleet view compares
/// nodes with their cohort on the same facts.
pub fn facts() -> Vec<(&'static str, Getter)> {
    vec![
        ("hostname", |d| fact(&d.machine.hostname)),
        ("CPU", |d| format!("{} {}", fact(&d.machine.cpu_vendor), fact(&d.machine.cpu_model))),
        ("family / model / stepping", |d| {
            format!(
                "{} / {} / {}",
                fact(&d.machine.cpu_family),
                fact(&d.machine.cpu_model_number),
                fact(&d.machine.cpu_stepping)
            )
        }),
        ("microcode", |d| fact(&d.machine.microcode)),
        ("sockets / cores / threads", |d| {
            format!("{} / {} / {}", fact(&d.machine.sockets), fact(&d.machine.cores), fact(&d.machine.threads))
        }),
        ("SMT", |d| fact(&d.machine.smt)),
        ("memory", |d| {
            d.machine.memory_bytes.known().map_or_else(|| fact(&d.machine.memory_bytes), |b| format_bytes(*b))
        }),
        ("memory devices / configured speed", |d| {
            let speed = match &d.machine.memory_speed_mts {
                Fact::Known(mts) => format!("{mts} MT/s"),
                unknown => fact(unknown),
            };
            format!("{} / {speed}", fact(&d.machine.memory_devices))
        }),
        ("BIOS", |d| fact(&d.machine.bios_version)),
        ("caches", |d| caches(d)),
        ("NUMA nodes", |d| nodes(d)),
        ("GPU adapters", |d| adapters(d)),
        ("GPU PCIe links", |d| match &d.machine.gpu_pcie {
            Fact::Known(links) if links.is_empty() => "none".into(),
            Fact::Known(links) => links.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            Fact::Unknown { unknown } => format!("unknown ({unknown})"),
        }),
        ("kernel", |d| fact(&d.machine.kernel)),
        ("kernel command line", |d| fact(&d.machine.kernel_cmdline)),
        ("OS", |d| fact(&d.machine.os)),
        ("cpufreq driver / governor", |d| {
            format!("{} / {}", fact(&d.machine.cpufreq_driver), fact(&d.machine.cpufreq_governor))
        }),
        ("boost", |d| fact(&d.machine.boost)),
        ("THP enabled / defrag", |d| format!("{} / {}", fact(&d.machine.thp_enabled), fact(&d.machine.thp_defrag))),
        ("numa_balancing", |d| fact(&d.machine.numa_balancing)),
        ("tier demotion", |d| fact(&d.machine.demotion_enabled)),
        ("hypervisor", |d| fact(&d.machine.hypervisor)),
        ("load average at start", |d| match &d.machine.load_average {
            Fact::Known(l) => format!("{} {} {}", l[0], l[1], l[2]),
            Fact::Unknown { unknown } => format!("unknown ({unknown})"),
        }),
        ("hwbench", |d| format!("{} ({})", d.tool.version, fact(&d.tool.git_sha))),
        ("rustc", |d| fact(&d.machine.rustc)),
        ("hwloc", |d| fact(&d.machine.hwloc)),
        ("suite", |d| d.run.suite.clone()),
        ("run status", |d| format!("{:?}", d.run.status).to_lowercase()),
        ("started", |d| d.run.started_at.clone()),
    ]
}

fn fact<T: Display>(f: &Fact<T>) -> String {
    f.to_string()
}

/// "L1d 48 KiB x2, L2 1.25 MiB x2, L3 30 MiB": instances per distinct cache.
fn caches(d: &ResultDocument) -> String {
    let mut seen: Vec<(u8, &'static str, u64, usize)> = Vec::new();
    for c in &d.topology.caches {
        let kind = match c.kind {
            CacheKind::Data => "d",
            CacheKind::Instruction => "i",
            CacheKind::Unified => "",
        };
        match seen.iter_mut().find(|s| s.0 == c.level && s.1 == kind && s.2 == c.size_bytes) {
            Some(s) => s.3 += 1,
            None => seen.push((c.level, kind, c.size_bytes, 1)),
        }
    }
    if seen.is_empty() {
        return "none reported".into();
    }
    seen.sort();
    let parts: Vec<String> = seen
        .iter()
        .map(|(level, kind, size, n)| {
            let count = if *n > 1 { format!(" x{n}") } else { String::new() };
            format!("L{level}{kind} {}{count}", format_bytes(*size))
        })
        .collect();
    parts.join(", ")
}

/// "0: 12 GiB, 2 CPUs; 1: 16 GiB, CPU-less, cxl".
fn nodes(d: &ResultDocument) -> String {
    let parts: Vec<String> = d
        .topology
        .nodes
        .iter()
        .map(|n| {
            let cpus = if n.cpu_less { "CPU-less".to_string() } else { format!("{} CPUs", n.cpus.len()) };
            let tier =
                n.tier.as_ref().map(|t| format!(", {}", format!("{:?}", t.tier).to_lowercase())).unwrap_or_default();
            format!("{}: {}, {cpus}{tier}", n.os_index, format_bytes(n.memory_bytes))
        })
        .collect();
    if parts.is_empty() {
        "none reported".into()
    } else {
        parts.join("; ")
    }
}

/// The adapters the run's GPU records measured: index and name as the
/// records' `info.adapter` gives them.
fn adapters(d: &ResultDocument) -> String {
    let mut names: Vec<String> = d
        .benchmarks
        .iter()
        .filter(|r| r.id.starts_with("gpu."))
        .filter_map(|r| {
            let index = r.params.get("adapter")?.to_string();
            let info = r.info.get("adapter");
            let field = |k: &str| info.and_then(|a| a.get(k)).and_then(|v| v.as_str()).unwrap_or("");
            let backend = [field("backend"), field("driver")]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            Some(match (field("name"), backend.is_empty()) {
                ("", _) => index,
                (name, true) => format!("{index}: {name}"),
                (name, false) => format!("{index}: {name} ({backend})"),
            })
        })
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        "none measured".into()
    } else {
        names.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_neighbours_merge_and_differences_split() {
        let r = row("x", vec!["a".into(), "a".into(), "b".into(), "a".into()]);
        assert_eq!(
            r.spans,
            vec![
                Span { text: "a".into(), width: 2 },
                Span { text: "b".into(), width: 1 },
                Span { text: "a".into(), width: 1 }
            ]
        );
        assert!(r.differs());
        assert!(!row("y", vec!["same".into(); 3]).differs());
    }
}
