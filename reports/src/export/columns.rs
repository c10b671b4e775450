//! The columns of an export: one row per (run, record, metric), each column
//! a name, a kind and how its cell is read from the row. Provenance facts
//! that are unknown are nulls.

use std::collections::BTreeMap;

use hwbench_schema::{Better, Fact, Metric, Record, ResultDocument};

use crate::key::params_text;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text, nullable.
    Text,
    /// 32-bit integer, nullable.
    Int,
    /// 64-bit integer, nullable.
    Long,
    /// 64-bit float, never null.
    Double,
    /// Boolean, nullable.
    Bool,
    /// Text to text (tags, params).
    Map,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(Option<String>),
    Int(Option<i32>),
    Long(Option<i64>),
    Double(f64),
    Bool(Option<bool>),
    Map(Vec<(String, String)>),
}

/// What a row is read from.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub doc: &'a ResultDocument,
    /// The file the document came from.
    pub file: &'a str,
    /// The run's cohort key (as `hwbench fleet` groups it).
    pub cohort: &'a str,
    pub record: &'a Record,
    pub metric: &'a Metric,
}

/// A column: name, kind, cell.
pub type Column = (&'static str, Kind, fn(&Row) -> Cell);

fn text(v: impl Into<String>) -> Cell {
    Cell::Text(Some(v.into()))
}

fn fact_text<T: ToString>(f: &Fact<T>) -> Cell {
    Cell::Text(f.known().map(ToString::to_string))
}

fn fact_int(f: &Fact<u32>) -> Cell {
    Cell::Int(f.known().and_then(|&v| i32::try_from(v).ok()))
}

fn map(m: &BTreeMap<String, String>) -> Cell {
    Cell::Map(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// Every column, in file order. README.md and results/SCHEMA.md ("Export")
/// describe them.
pub const COLUMNS: &[Column] = &[
    ("run_id", Kind::Text, |r| text(&r.doc.run.id)),
    ("label", Kind::Text, |r| Cell::Text(r.doc.run.label.clone())),
    ("suite", Kind::Text, |r| text(&r.doc.run.suite)),
    ("run_status", Kind::Text, |r| text(format!("{:?}", r.doc.run.status).to_lowercase())),
    ("started_at", Kind::Text, |r| text(&r.doc.run.started_at)),
    ("file", Kind::Text, |r| text(r.file)),
    ("cohort", Kind::Text, |r| text(r.cohort)),
    ("tags", Kind::Map, |r| map(&r.doc.run.tags)),
    ("hostname", Kind::Text, |r| fact_text(&r.doc.machine.hostname)),
    ("cpu_vendor", Kind::Text, |r| fact_text(&r.doc.machine.cpu_vendor)),
    ("cpu_model", Kind::Text, |r| fact_text(&r.doc.machine.cpu_model)),
    ("cpu_family", Kind::Int, |r| fact_int(&r.doc.machine.cpu_family)),
    ("cpu_model_number", Kind::Int, |r| fact_int(&r.doc.machine.cpu_model_number)),
    ("cpu_stepping", Kind::Int, |r| fact_int(&r.doc.machine.cpu_stepping)),
    ("microcode", Kind::Text, |r| fact_text(&r.doc.machine.microcode)),
    ("sockets", Kind::Int, |r| fact_int(&r.doc.machine.sockets)),
    ("cores", Kind::Int, |r| fact_int(&r.doc.machine.cores)),
    ("threads", Kind::Int, |r| fact_int(&r.doc.machine.threads)),
    ("smt", Kind::Bool, |r| Cell::Bool(r.doc.machine.smt.known().copied())),
    ("memory_bytes", Kind::Long, |r| {
        Cell::Long(r.doc.machine.memory_bytes.known().and_then(|&b| i64::try_from(b).ok()))
    }),
    ("memory_devices", Kind::Int, |r| fact_int(&r.doc.machine.memory_devices)),
    ("memory_speed_mts", Kind::Int, |r| fact_int(&r.doc.machine.memory_speed_mts)),
    ("bios_version", Kind::Text, |r| fact_text(&r.doc.machine.bios_version)),
    ("numa_nodes", Kind::Int, |r| Cell::Int(i32::try_from(r.doc.topology.nodes.len()).ok())),
    ("gpus", Kind::Text, |r| text(r.doc.topology.gpus.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join("; "))),
    ("gpu_pcie", Kind::Text, |r| {
        Cell::Text(
            r.doc
                .machine
                .gpu_pcie
                .known()
                .map(|links| links.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
        )
    }),
    ("kernel", Kind::Text, |r| fact_text(&r.doc.machine.kernel)),
    ("kernel_cmdline", Kind::Text, |r| fact_text(&r.doc.machine.kernel_cmdline)),
    ("os", Kind::Text, |r| fact_text(&r.doc.machine.os)),
    ("cpufreq_driver", Kind::Text, |r| fact_text(&r.doc.machine.cpufreq_driver)),
    ("cpufreq_governor", Kind::Text, |r| fact_text(&r.doc.machine.cpufreq_governor)),
    ("boost", Kind::Bool, |r| Cell::Bool(r.doc.machine.boost.known().copied())),
    ("thp_enabled", Kind::Text, |r| fact_text(&r.doc.machine.thp_enabled)),
    ("thp_defrag", Kind::Text, |r| fact_text(&r.doc.machine.thp_defrag)),
    ("numa_balancing", Kind::Int, |r| fact_int(&r.doc.machine.numa_balancing)),
    ("demotion_enabled", Kind::Bool, |r| Cell::Bool(r.doc.machine.demotion_enabled.known().copied())),
    ("hypervisor", Kind::Text, |r| fact_text(&r.doc.machine.hypervisor)),
    ("hwbench_version", Kind::Text, |r| text(&r.doc.tool.version)),
    ("git_sha", Kind::Text, |r| fact_text(&r.doc.tool.git_sha)),
    ("rustc", Kind::Text, |r| fact_text(&r.doc.machine.rustc)),
    ("benchmark", Kind::Text, |r| text(&r.record.id)),
    ("params", Kind::Map, |r| Cell::Map(r.record.params.iter().map(|(k, v)| (k.clone(), v.to_string())).collect())),
    ("params_text", Kind::Text, |r| text(params_text(&r.record.params))),
    ("metric", Kind::Text, |r| text(&r.metric.name)),
    ("unit", Kind::Text, |r| text(&r.metric.unit)),
    ("value", Kind::Double, |r| Cell::Double(r.metric.value)),
    ("statistic", Kind::Text, |r| text(&r.metric.statistic)),
    ("better", Kind::Text, |r| {
        text(match r.metric.better {
            Better::Lower => "lower",
            Better::Higher => "higher",
        })
    }),
    ("samples", Kind::Int, |r| Cell::Int(i32::try_from(r.metric.samples.len()).ok())),
    ("repetitions", Kind::Int, |r| Cell::Int(i32::try_from(r.metric.repetition_count()).ok())),
    ("interference_flagged", Kind::Bool, |r| Cell::Bool(r.record.interference.as_ref().map(|i| i.flagged))),
];
