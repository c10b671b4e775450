//! data.csv: one row per record and metric (one row for a record without
//! metrics), with every raw sample.

use hwbench_schema::{Better, RecordStatus};

use crate::key::params_text;
use crate::runs::RunSet;

const HEADER: [&str; 14] = [
    "run",
    "run_id",
    "file",
    "benchmark",
    "params",
    "status",
    "reason",
    "metric",
    "unit",
    "better",
    "statistic",
    "value",
    "sample_count",
    "samples",
];

/// The table as UTF-8 bytes.
pub fn render(runs: &RunSet) -> Vec<u8> {
    let mut out = HEADER.join(",") + "\n";
    for run in &runs.runs {
        for record in &run.doc.benchmarks {
            let status = match record.status {
                RecordStatus::Ok => "ok",
                RecordStatus::Skipped => "skipped",
                RecordStatus::Failed => "failed",
            };
            let lead = [
                text(&run.name),
                text(&run.doc.run.id),
                text(&run.path.display().to_string()),
                text(&record.id),
                text(&params_text(&record.params)),
                status.to_string(),
                text(record.reason.as_deref().unwrap_or("")),
            ];
            if record.metrics.is_empty() {
                out += &(lead.join(",") + &",".repeat(HEADER.len() - lead.len()) + "\n");
            }
            for m in &record.metrics {
                let better = match m.better {
                    Better::Lower => "lower",
                    Better::Higher => "higher",
                };
                let samples: Vec<String> = m.samples.iter().map(f64::to_string).collect();
                let row = [
                    text(&m.name),
                    text(&m.unit),
                    better.to_string(),
                    text(&m.statistic),
                    m.value.to_string(),
                    m.samples.len().to_string(),
                    samples.join(" "),
                ];
                out += &(lead.join(",") + "," + &row.join(",") + "\n");
            }
        }
    }
    out.into_bytes()
}

/// A text field: quoted when it holds a comma, quote or line break; a
/// leading =, +, - or @ (a spreadsheet formula) defused with a quote mark.
pub fn text(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) { format!("'{field}") } else { field.to_string() };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(text("plain"), "plain");
        assert_eq!(text("a,b"), "\"a,b\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
