//! Building and rendering a report over 20 result documents: ten copies of
//! each fixture machine (every chart kind), values scaled per copy.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use hwbench_reports::inputs::Loaded;
use hwbench_reports::report::{self, Report};
use hwbench_reports::runs::RunSet;
use hwbench_reports::writers;

/// Twenty documents from the two fixture machines.
fn twenty_runs() -> RunSet {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results");
    let mut loaded = Vec::new();
    for i in 0..20 {
        let path = fixtures.join(if i % 2 == 0 { "report-a.json" } else { "report-b.json" });
        let mut doc = hwbench_schema::load(&path).unwrap();
        doc.run.id = format!("{}-{i}", doc.run.id);
        doc.run.label = Some(format!("machine {i}"));
        let scale = 1.0 + i as f64 * 0.01;
        for metric in doc.benchmarks.iter_mut().flat_map(|r| r.metrics.iter_mut()) {
            metric.value *= scale;
            metric.samples.iter_mut().for_each(|s| *s *= scale);
        }
        loaded.push(Loaded { path, doc });
    }
    RunSet::new(loaded, None).unwrap()
}

fn render(c: &mut Criterion) {
    let runs = twenty_runs();
    let mut group = c.benchmark_group("report_20_documents");
    group.sample_size(10);
    group.bench_function("build", |b| b.iter(|| report::build(black_box(runs.clone()), None).unwrap()));
    let built: Report = report::build(runs, None).unwrap();
    group.bench_function("write_html_markdown_csv", |b| {
        b.iter(|| {
            let html = writers::html::render(black_box(&built));
            let md = writers::markdown::render(&built);
            let csv = writers::csv::render(&built.runs);
            html.len() + md.len() + csv.len()
        })
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
