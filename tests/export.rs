//! End-to-end tests of `hwbench export --format parquet`: the file is read
//! back by DuckDB (the duckdb Python package in .build/duckdb/venv, which
//! `make test` installs first: scripts/dev/duckdb-venv) and its answers are
//! checked against hwbench's own figures: the documents, and the medians
//! `hwbench fleet` reports. Each runs the real release binary.

#[path = "support/tmp.rs"]
mod tmp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(name: &str) -> PathBuf {
    tmp::dir("export", name)
}

fn hwbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench")).args(args).output().unwrap()
}

/// Twelve nodes made from the real ci result of this machine.
fn fleet(dir: &Path) {
    let done = Command::new("python3")
        .arg(root().join("scripts/bench/synthetic-fleet"))
        .args(["--from", root().join("results/kvm-xeon-2vcpu/2026-11-24-ci.json").to_str().unwrap()])
        .args(["--out", dir.to_str().unwrap(), "--nodes", "12", "--sku", "sku-a"])
        .output()
        .unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
}

/// Runs SQL queries over the Parquet file in DuckDB; each query's rows as JSON.
fn duckdb(file: &Path, queries: &[&str]) -> Vec<Value> {
    let python = root().join(".build/duckdb/venv/bin/python");
    assert!(python.exists(), "{} is missing: run `make duckdb-venv` (make test does it first)", python.display());
    let script = "import duckdb, json, sys\n\
        con = duckdb.connect()\n\
        con.execute(\"CREATE VIEW rows AS SELECT * FROM read_parquet('\" + sys.argv[1].replace(\"'\", \"''\") + \"')\")\n\
        print(json.dumps([con.execute(q).fetchall() for q in json.loads(sys.argv[2])]))\n";
    let done = Command::new(python)
        .args(["-c", script, file.to_str().unwrap(), &serde_json::to_string(queries).unwrap()])
        .output()
        .unwrap();
    assert!(done.status.success(), "duckdb: {}", String::from_utf8_lossy(&done.stderr));
    serde_json::from_slice::<Vec<Value>>(&done.stdout).unwrap()
}

#[test]
fn duckdb_reads_the_export_and_agrees_with_hwbench_figures() {
    let dir = tmp_dir("agree");
    let results = dir.join("results");
    fleet(&results);
    let file = dir.join("fleet.parquet");
    let out = hwbench(&["export", results.to_str().unwrap(), "--format", "parquet", "--out", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let docs: Vec<hwbench_schema::ResultDocument> =
        (0..12).map(|i| hwbench_schema::load(&results.join(format!("node-{i:02}.json"))).unwrap()).collect();
    let rows: usize = docs
        .iter()
        .flat_map(|d| &d.benchmarks)
        .filter(|r| r.status == hwbench_schema::RecordStatus::Ok)
        .map(|r| r.metrics.len())
        .sum();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{rows} row(s) from 12 run(s)")));

    let answers = duckdb(
        &file,
        &[
            "SELECT count(*), count(DISTINCT run_id), count(DISTINCT cohort) FROM rows",
            "SELECT run_id, value FROM rows WHERE benchmark = 'memory.bandwidth' AND params['kernel'] = 'triad' \
             AND metric = 'bandwidth' ORDER BY run_id",
            "SELECT median(value), count(*) FROM rows WHERE benchmark = 'memory.latency' \
             AND params['bytes'] = '268435456' AND metric = 'latency'",
            "SELECT DISTINCT tags['sku'], microcode, cores, memory_bytes, memory_devices IS NULL, unit, better \
             FROM rows WHERE benchmark = 'memory.latency' AND metric = 'latency'",
        ],
    );
    assert_eq!(answers[0], json!([[rows, 12, 1]]));
    // Every node's triad bandwidth, as its document has it.
    let triad: Vec<Value> = docs
        .iter()
        .map(|d| {
            let record = d
                .benchmarks
                .iter()
                .find(|r| r.id == "memory.bandwidth" && r.params["kernel"].to_string() == "triad")
                .unwrap();
            json!([d.run.id, record.metrics.iter().find(|m| m.name == "bandwidth").unwrap().value])
        })
        .collect();
    assert_eq!(answers[1], Value::Array(triad));
    // The median over nodes is the one `hwbench fleet` reports for the cohort.
    let fleet = hwbench(&["fleet", results.to_str().unwrap(), "--json"]);
    assert_eq!(fleet.status.code(), Some(0));
    let fleet: Value = serde_json::from_slice(&fleet.stdout).unwrap();
    let dram = fleet["cohorts"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["id"] == "memory.latency"
                && m["params"] == "bytes=268435456 cpu=0 page=thp stride=64"
                && m["metric"] == "latency"
        })
        .unwrap();
    let (median, n) = (answers[2][0][0].as_f64().unwrap(), answers[2][0][1].as_u64().unwrap());
    assert_eq!(n, dram["n"].as_u64().unwrap());
    assert!((median - dram["median"].as_f64().unwrap()).abs() < 1e-9 * median, "{median} vs {dram}");
    // Tags and provenance as columns; unknown facts are nulls.
    let machine = &docs[0].machine;
    assert_eq!(
        answers[3],
        json!([[
            "sku-a",
            machine.microcode.known().unwrap(),
            machine.cores.known().unwrap(),
            machine.memory_bytes.known().unwrap(),
            true,
            "ns",
            "lower"
        ]])
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Figures survive the trip: a document written with awkward doubles
/// (the shortest decimal of each needs 17 digits; serde_json's default
/// parser is off by one unit in the last place on about a quarter of such
/// values), read back by hwbench and exported, gives the same bits in the
/// Parquet file as in the JSON.
#[test]
fn figures_are_exported_bit_for_bit() {
    let dir = tmp_dir("bits");
    let mut doc = hwbench_schema::load(&root().join("results/kvm-xeon-2vcpu/2026-11-24-ci.json")).unwrap();
    let mut rng = hwbench_schema::numbers::SplitMix64::new(7);
    let mut written = Vec::new();
    for metric in
        doc.benchmarks.iter_mut().filter(|r| r.status == hwbench_schema::RecordStatus::Ok).flat_map(|r| &mut r.metrics)
    {
        // A finite double of every magnitude hwbench reports (1e-3 .. 1e6).
        let value =
            f64::from_bits(rng.next_u64() >> 12 | 0x3ff0_0000_0000_0000) * 10f64.powi((rng.below(10) as i32) - 3);
        metric.value = value;
        written.push(value.to_bits());
    }
    doc.benchmarks[0].metrics[0].value = 118.290_284_291_306_53;
    written[0] = 118.290_284_291_306_53f64.to_bits();
    let results = dir.join("results");
    std::fs::create_dir_all(&results).unwrap();
    std::fs::write(results.join("doc.json"), serde_json::to_vec(&doc).unwrap()).unwrap();
    let file = dir.join("bits.parquet");
    let out = hwbench(&["export", results.to_str().unwrap(), "--format", "parquet", "--out", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The doubles come back as Python's repr (its shortest round-trip
    // decimal) in JSON, which float_roundtrip parsing reads exactly.
    let answers = duckdb(&file, &["SELECT value FROM rows"]);
    let mut exported: Vec<u64> =
        answers[0].as_array().unwrap().iter().map(|row| row[0].as_f64().unwrap().to_bits()).collect();
    exported.sort_unstable();
    written.sort_unstable();
    let kept = exported.iter().filter(|bits| written.binary_search(bits).is_ok()).count();
    assert_eq!((exported.len(), kept), (written.len(), written.len()), "figures changed on the way");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_input_leaves_no_file_and_exits_2() {
    let dir = tmp_dir("bad");
    let results = dir.join("results");
    fleet(&results);
    std::fs::write(results.join("node-99.json"), "{\"schema_version\": 1}").unwrap();
    let file = dir.join("out.parquet");
    let out = hwbench(&["export", results.to_str().unwrap(), "--format", "parquet", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("node-99.json") && err.lines().count() == 1, "{err}");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["results"], "no file, no temporary left behind");
    let out = hwbench(&["export", results.to_str().unwrap(), "--format", "csv", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "only parquet is offered");
    let _ = std::fs::remove_dir_all(dir);
}
