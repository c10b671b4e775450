//! The columns of an export: one row per (run, record, metric), each column
//! a name, a kind and how its cell is read from the row. Provenance facts
//! that are unknown are nulls.

use hwbench_schema::{Better, Fact, Metric, Record, ResultDocument};
use parquet::data_type::ByteArray;

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

/// One cell. Text is kept as parquet's reference-counted bytes, so that a
/// run's cells, made once, are shared by all of its rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(Option<ByteArray>),
    Int(Option<i32>),
    Long(Option<i64>),
    Double(f64),
    Bool(Option<bool>),
    Map(Vec<(ByteArray, ByteArray)>),
}

/// What the run-level cells are read from.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub doc: &'a ResultDocument,
    /// The file the document came from.
    pub file: &'a str,
    /// The run's cohort key (as `hwbench fleet` groups it).
    pub cohort: &'a str,
}

/// What the row-level cells are read from.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub record: &'a Record,
    pub metric: &'a Metric,
}

/// Where a column's cell comes from: the run (made once, shared by its
/// rows) or the row.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Run(fn(&Run) -> Cell),
    Row(fn(&Row) -> Cell),
}

/// A column: name, kind, source.
pub type Column = (&'static str, Kind, Source);

fn bytes(v: impl Into<String>) -> ByteArray {
    ByteArray::from(v.into().into_bytes())
}

fn text(v: impl Into<String>) -> Cell {
    Cell::Text(Some(bytes(v)))
}

fn fact_text<T: ToString>(f: &Fact<T>) -> Cell {
    Cell::Text(f.known().map(|v| bytes(v.to_string())))
}

fn joined(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("; ")
}

fn fact_int(f: &Fact<u32>) -> Cell {
    Cell::Int(f.known().and_then(|&v| i32::try_from(v).ok()))
}

fn map<'a>(entries: impl Iterator<Item = (&'a String, String)>) -> Cell {
    Cell::Map(entries.map(|(k, v)| (bytes(k.as_str()), bytes(v))).collect())
}

/// Every column, in file order. README.md and results/SCHEMA.md ("Export")
/// describe them.
pub const COLUMNS: &[Column] = &[
    ("run_id", Kind::Text, Source::Run(|r| text(&r.doc.run.id))),
    ("label", Kind::Text, Source::Run(|r| Cell::Text(r.doc.run.label.as_deref().map(bytes)))),
    ("suite", Kind::Text, Source::Run(|r| text(&r.doc.run.suite))),
    ("run_status", Kind::Text, Source::Run(|r| text(r.doc.run.status.name()))),
    ("started_at", Kind::Text, Source::Run(|r| text(&r.doc.run.started_at))),
    ("file", Kind::Text, Source::Run(|r| text(r.file))),
    ("cohort", Kind::Text, Source::Run(|r| text(r.cohort))),
    ("tags", Kind::Map, Source::Run(|r| map(r.doc.run.tags.iter().map(|(k, v)| (k, v.clone()))))),
    ("hostname", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.hostname))),
    ("cpu_vendor", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.cpu_vendor))),
    ("cpu_model", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.cpu_model))),
    ("cpu_family", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.cpu_family))),
    ("cpu_model_number", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.cpu_model_number))),
    ("cpu_stepping", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.cpu_stepping))),
    ("microcode", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.microcode))),
    ("sockets", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.sockets))),
    ("cores", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.cores))),
    ("threads", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.threads))),
    ("smt", Kind::Bool, Source::Run(|r| Cell::Bool(r.doc.machine.smt.known().copied()))),
    (
        "memory_bytes",
        Kind::Long,
        Source::Run(|r| Cell::Long(r.doc.machine.memory_bytes.known().and_then(|&b| i64::try_from(b).ok()))),
    ),
    ("memory_devices", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.memory_devices))),
    ("memory_speed_mts", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.memory_speed_mts))),
    ("bios_version", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.bios_version))),
    ("numa_nodes", Kind::Int, Source::Run(|r| Cell::Int(i32::try_from(r.doc.topology.nodes.len()).ok()))),
    ("gpus", Kind::Text, Source::Run(|r| text(joined(r.doc.topology.gpus.iter().map(|g| g.name.clone()))))),
    (
        "gpu_pcie",
        Kind::Text,
        Source::Run(|r| {
            Cell::Text(r.doc.machine.gpu_pcie.known().map(|links| bytes(joined(links.iter().map(ToString::to_string)))))
        }),
    ),
    ("kernel", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.kernel))),
    ("kernel_cmdline", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.kernel_cmdline))),
    ("os", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.os))),
    ("cpufreq_driver", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.cpufreq_driver))),
    ("cpufreq_governor", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.cpufreq_governor))),
    ("boost", Kind::Bool, Source::Run(|r| Cell::Bool(r.doc.machine.boost.known().copied()))),
    ("thp_enabled", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.thp_enabled))),
    ("thp_defrag", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.thp_defrag))),
    ("numa_balancing", Kind::Int, Source::Run(|r| fact_int(&r.doc.machine.numa_balancing))),
    ("demotion_enabled", Kind::Bool, Source::Run(|r| Cell::Bool(r.doc.machine.demotion_enabled.known().copied()))),
    ("hypervisor", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.hypervisor))),
    ("hwbench_version", Kind::Text, Source::Run(|r| text(&r.doc.tool.version))),
    ("git_sha", Kind::Text, Source::Run(|r| fact_text(&r.doc.tool.git_sha))),
    ("rustc", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.rustc))),
    ("hwloc", Kind::Text, Source::Run(|r| fact_text(&r.doc.machine.hwloc))),
    ("benchmark", Kind::Text, Source::Row(|r| text(&r.record.id))),
    ("params", Kind::Map, Source::Row(|r| map(r.record.params.iter().map(|(k, v)| (k, v.to_string()))))),
    ("params_text", Kind::Text, Source::Row(|r| text(params_text(&r.record.params)))),
    ("metric", Kind::Text, Source::Row(|r| text(&r.metric.name))),
    ("unit", Kind::Text, Source::Row(|r| text(&r.metric.unit))),
    ("value", Kind::Double, Source::Row(|r| Cell::Double(r.metric.value))),
    ("statistic", Kind::Text, Source::Row(|r| text(&r.metric.statistic))),
    (
        "better",
        Kind::Text,
        Source::Row(|r| {
            text(match r.metric.better {
                Better::Lower => "lower",
                Better::Higher => "higher",
            })
        }),
    ),
    ("samples", Kind::Int, Source::Row(|r| Cell::Int(i32::try_from(r.metric.samples.len()).ok()))),
    ("repetitions", Kind::Int, Source::Row(|r| Cell::Int(i32::try_from(r.metric.repetition_count()).ok()))),
    (
        "interference_flagged",
        Kind::Bool,
        Source::Row(|r| Cell::Bool(r.record.interference.as_ref().map(|i| i.flagged))),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// results/SCHEMA.md ("Export") documents every column.
    #[test]
    fn every_column_is_documented() {
        let schema = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../results/SCHEMA.md")).unwrap();
        let start = schema.find("## Export (Parquet)").expect("an Export section");
        let section = &schema[start..start + schema[start..].find("\n## Benchmarks").unwrap()];
        for (name, _, _) in COLUMNS {
            assert!(section.contains(&format!("`{name}`")), "column {name} is not in results/SCHEMA.md, Export");
        }
    }
}
