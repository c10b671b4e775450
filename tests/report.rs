//! End-to-end tests of `hwbench report`: every file written with the
//! charts the data calls for, hostile labels shown as text, bad inputs
//! refused with nothing left behind. Each runs the real release binary.

#[path = "../reports/tests/support/synthetic.rs"]
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).to_str().unwrap().to_string()
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hwbench-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn report(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench")).arg("report").args(args).output().unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Every chart the two fixture machines call for: both have every benchmark.
const CHARTS: [&str; 19] = [
    "c2c-latency-run1.svg",
    "c2c-latency-run2.svg",
    "energy-per-op-1.svg",
    "energy-per-op-2.svg",
    "gpu-compute.svg",
    "gpu-dispatch.svg",
    "gpu-memory.svg",
    "gpu-transfer.svg",
    "memory-bandwidth-threads.svg",
    "memory-bandwidth.svg",
    "memory-latency-levels.svg",
    "memory-latency.svg",
    "memory-loaded-latency.svg",
    "numa-bandwidth-run1.svg",
    "numa-bandwidth-run2.svg",
    "numa-latency-run1.svg",
    "numa-latency-run2.svg",
    "power.svg",
    "relative.svg",
];

#[test]
fn two_machines_give_every_file_and_one_chart_per_kind_of_data() {
    let dir = tmp_dir("two");
    let out_dir = dir.join("report");
    let out = report(&[&fixture("report-a.json"), &fixture("report-b.json"), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(entries(&out_dir), [".hwbench-report", "data.csv", "index.html", "plots", "summary.md"]);
    assert_eq!(entries(&out_dir.join("plots")), CHARTS);
    let html = read(&out_dir.join("index.html"));
    assert_eq!(html.matches("<svg").count(), CHARTS.len());
    for file in CHARTS {
        let svg = read(&out_dir.join("plots").join(file));
        assert!(svg.starts_with("<svg") && svg.contains("<text"), "{file}");
        assert!(html.contains(&format!("href=\"plots/{file}\"")), "{file}");
    }
    // No script and nothing fetched: the page stands alone (the SVG
    // namespace URI is a name, not a fetch).
    for fetch in ["<script", "<link", "<img", "src=", "url(", "@import", "href=\"http"] {
        assert!(!html.contains(fetch), "{fetch}");
    }
    // System table: the hostnames differ (highlighted, one cell each), the OS is merged.
    assert!(html.contains("<tr class=\"differs\"><th>hostname</th><td colspan=\"1\">sku-a-01</td><td colspan=\"1\">sku-b-01</td></tr>"), "{html}");
    assert!(html.contains("<tr><th>OS</th><td colspan=\"2\">Debian GNU/Linux 12</td></tr>"), "{html}");
    // Chart axes carry units, the latency chart marks the caches.
    let latency = read(&out_dir.join("plots/memory-latency.svg"));
    for text in
        ["latency (ns)", "working set (bytes)", "L1d 48 KiB", "L2 2 MiB", "L3 30 MiB", "L3 32 MiB", "SKU A", "SKU B"]
    {
        assert!(latency.contains(text), "{text}");
    }
    let numa = read(&out_dir.join("plots/numa-latency-run1.svg"));
    // HMAT figures (90 and 250 ns, exact; the measured ones are noisy)
    // beside the measured panel: two cells each, plus the colour scale's
    // ends, which they are.
    assert!(numa.contains("measured") && numa.contains("firmware (HMAT)"));
    assert_eq!(numa.matches(">\n250.0\n</text>").count(), 3, "{numa}");
    assert_eq!(numa.matches(">\n90.00\n</text>").count(), 3, "{numa}");
    summary_and_data(&out_dir);
    let _ = std::fs::remove_dir_all(dir);
}

/// summary.md names both runs and the failed record; data.csv has one row
/// per record and metric, values as in the documents.
fn summary_and_data(out_dir: &Path) {
    let summary = read(&out_dir.join("summary.md"));
    assert!(summary.contains("baseline **SKU A**"), "{summary}");
    assert!(summary.contains("validation failed: average relative error 3.1e-5 above 1e-13"), "{summary}");
    assert!(summary.contains("adapter lacks SHADER\\_F64"), "{summary}");
    let csv = read(&out_dir.join("data.csv"));
    let mut expected_rows = 1;
    for name in ["report-a.json", "report-b.json"] {
        let doc = hwbench_schema::load(&fixtures().join(name)).unwrap();
        expected_rows += doc.benchmarks.iter().map(|r| r.metrics.len().max(1)).sum::<usize>();
    }
    assert_eq!(csv.lines().count(), expected_rows);
    let doc = hwbench_schema::load(&fixtures().join("report-a.json")).unwrap();
    let first = &doc.benchmarks[0];
    let row = csv
        .lines()
        .find(|l| l.starts_with("SKU A,") && l.contains(",memory.latency,bytes=4096 ") && l.contains(",latency,ns,"))
        .unwrap();
    let fields: Vec<&str> = row.split(',').collect();
    assert_eq!(fields[11].parse::<f64>().unwrap(), first.metrics[0].value);
    assert_eq!(fields[12], "10");
}

#[test]
fn skipped_and_failed_records_are_shown_with_their_reasons() {
    let dir = tmp_dir("problems");
    let out_dir = dir.join("r");
    let out = report(&[&fixture("report-b.json"), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = read(&out_dir.join("index.html"));
    let problems = &html[html.find("id=\"problems\"").unwrap()..];
    assert!(
        problems.contains("<td>failed</td><td>validation failed: average relative error 3.1e-5 above 1e-13</td>"),
        "{problems}"
    );
    assert_eq!(problems.matches("<td>skipped</td><td>adapter lacks SHADER_F64</td>").count(), 2);
    // One run: no relative chart, nothing to compare.
    assert!(!out_dir.join("plots/relative.svg").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn hostile_labels_show_as_text() {
    let dir = tmp_dir("hostile");
    let out_dir = dir.join("r");
    let out = report(&[&fixture("hostile.json"), &fixture("report-a.json"), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = read(&out_dir.join("index.html"));
    let summary = read(&out_dir.join("summary.md"));
    for (name, text) in [("index.html", &html), ("summary.md", &summary)] {
        for markup in ["<script", "<img", "<b>copy", "onerror=alert(1)>"] {
            assert!(!text.contains(markup), "{name} holds {markup}");
        }
    }
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), "label shown as text");
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), "hostname shown as text");
    assert!(summary.contains("&lt;script&gt;"), "{summary}");
    for file in entries(&out_dir.join("plots")) {
        let svg = read(&out_dir.join("plots").join(&file));
        assert!(!svg.contains("<script") && !svg.contains("<b>copy"), "{file}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_file_exits_2_naming_it_and_leaves_no_report() {
    for name in ["empty.json", "not-json.json", "truncated.json", "newer-schema.json", "other-tool.json"] {
        let dir = tmp_dir(&format!("bad-{name}"));
        let out_dir = dir.join("r");
        let bad = fixtures().join("bad").join(name);
        let out = report(&[&fixture("report-a.json"), bad.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
        assert!(err.contains(bad.to_str().unwrap()), "{name}: {err}");
        assert!(entries(&dir).is_empty(), "{name}: left {:?}", entries(&dir));
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn directories_are_searched_recursively() {
    let dir = tmp_dir("recursive");
    let results = dir.join("results");
    std::fs::create_dir_all(results.join("host-b")).unwrap();
    std::fs::copy(fixtures().join("report-a.json"), results.join("a.json")).unwrap();
    std::fs::copy(fixtures().join("report-b.json"), results.join("host-b/b.json")).unwrap();
    std::fs::write(results.join("notes.txt"), "not a result").unwrap();
    let out_dir = dir.join("r");
    let out = report(&[results.to_str().unwrap(), "--out", out_dir.to_str().unwrap(), "--baseline", "SKU B"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("report of 2 run(s)"));
    assert!(read(&out_dir.join("index.html")).contains("baseline <b>SKU B</b>"));
    // A directory without results is an error, as is an unknown baseline.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = report(&[empty.to_str().unwrap(), "--out", dir.join("r2").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no result documents"));
    let out = report(&[results.to_str().unwrap(), "--out", dir.join("r3").to_str().unwrap(), "--baseline", "SKU Z"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("r2").exists() && !dir.join("r3").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_earlier_report_is_replaced_and_other_directories_are_refused() {
    let dir = tmp_dir("replace");
    let out_dir = dir.join("r");
    let a = fixture("report-a.json");
    assert!(report(&[&a, &fixture("report-b.json"), "--out", out_dir.to_str().unwrap()]).status.success());
    assert!(out_dir.join("plots/relative.svg").exists());
    // The second report replaces the first whole: no chart of the old one is left.
    assert!(report(&[&a, "--out", out_dir.to_str().unwrap()]).status.success());
    assert!(!out_dir.join("plots/relative.svg").exists());
    assert_eq!(entries(&dir), ["r"]);
    let precious = dir.join("precious");
    std::fs::create_dir_all(&precious).unwrap();
    std::fs::write(precious.join("thesis.tex"), "keep me").unwrap();
    let out = report(&[&a, "--out", precious.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an hwbench report directory"));
    assert_eq!(entries(&precious), ["thesis.tex"]);
    // An empty directory made for the report is used.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(report(&[&a, "--out", empty.to_str().unwrap()]).status.success());
    assert!(empty.join("index.html").exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// A user's web page directory holds an index.html too: only a directory
/// hwbench wrote (its marker file) is replaced; anything else is exit 2
/// naming it, with every byte left as it was.
#[test]
fn a_users_directory_holding_an_index_html_is_left_untouched() {
    let dir = tmp_dir("users-index");
    let site = dir.join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("index.html"), "<h1>my page</h1>\n").unwrap();
    let out = report(&[&fixture("report-a.json"), "--out", site.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{}: exists and is not an hwbench report directory", site.display())), "{err}");
    assert_eq!(entries(&site), ["index.html"]);
    assert_eq!(read(&site.join("index.html")), "<h1>my page</h1>\n");
    // Nothing was staged beside it either.
    assert_eq!(entries(&dir), ["site"]);
    // A report without the marker (or with files added to it) is not
    // taken for hwbench's.
    let old = dir.join("old");
    std::fs::create_dir_all(old.join("plots")).unwrap();
    for f in ["index.html", "summary.md", "data.csv"] {
        std::fs::write(old.join(f), "x").unwrap();
    }
    assert_eq!(report(&[&fixture("report-a.json"), "--out", old.to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(read(&old.join("index.html")), "x");
    let ours = dir.join("ours");
    assert!(report(&[&fixture("report-a.json"), "--out", ours.to_str().unwrap()]).status.success());
    std::fs::write(ours.join("notes.txt"), "mine").unwrap();
    assert_eq!(report(&[&fixture("report-a.json"), "--out", ours.to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(read(&ours.join("notes.txt")), "mine");
    let _ = std::fs::remove_dir_all(dir);
}

/// Five unchanged runs with repetitions: every relative-performance
/// interval contains 1.0 and no change clears the noise.
#[test]
fn five_unchanged_runs_show_intervals_around_one_and_no_changes() {
    let dir = tmp_dir("unchanged");
    let runs = dir.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    for k in 0..5 {
        synthetic::write(&runs, &format!("run{k}"), &synthetic::machine(0.02), 5, 40 + k);
    }
    let out_dir = dir.join("r");
    let out = report(&[runs.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = read(&out_dir.join("summary.md"));
    let table = &summary[summary.find("## Relative performance").unwrap()..summary.find("## Changes").unwrap()];
    // Two benchmarks and the overall mean, each with four intervals.
    let intervals: Vec<(f64, f64)> = table
        .split(r"× \[")
        .skip(1)
        .map(|rest| {
            let inside = &rest[..rest.find(r"\]").unwrap()];
            let (lower, upper) = inside.split_once(", ").unwrap();
            (lower.parse().unwrap(), upper.parse().unwrap())
        })
        .collect();
    assert_eq!(intervals.len(), 3 * 4, "{table}");
    assert!(intervals.iter().all(|&(lower, upper)| lower <= 1.0 && 1.0 <= upper), "{table}");
    assert!(table.contains(r"simultaneous at 95.0% over the table \(each at 99.6%, Bonferroni\)"), "{table}");
    assert_eq!(summary.matches(": 0 regressed, 0 improved,").count(), 4, "{summary}");
    assert!(!summary.contains("- regressed") && !summary.contains("- improved"), "{summary}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs measured once per point have ratios but no interval, and say why.
#[test]
fn one_repetition_runs_have_no_interval() {
    let dir = tmp_dir("once");
    let out_dir = dir.join("r");
    let out = report(&[&fixture("report-a.json"), &fixture("report-b.json"), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = read(&out_dir.join("index.html"));
    assert!(html.contains("× (one repetition: no run-to-run estimate)</td>"), "{html}");
    assert!(html.contains("without a run-to-run estimate"), "{html}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_latency_chart_marks_the_declared_caches_and_the_measured_levels() {
    // A sweep recorded on a 2-vCPU KVM guest that declares a 480 MiB L3
    // while its latency reaches DRAM within a few MiB.
    let out_dir = tmp_dir("levels");
    let out = report(&[&fixture("latency-vm.json"), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = read(&out_dir.join("plots/memory-latency.svg"));
    for text in ["L1d 48 KiB", "L2 2 MiB", "L3 480 MiB", "declared cache size (topology)", "measured level boundary"] {
        assert!(svg.contains(text), "{text}");
    }
    let doc = hwbench_schema::load(Path::new(&fixture("latency-vm.json"))).unwrap();
    let levels = doc.benchmarks.iter().find(|r| r.id == "memory.latency.levels").unwrap();
    let boundaries = levels.info["measured_boundaries"].as_array().unwrap();
    assert!(!boundaries.is_empty());
    for b in boundaries {
        let name = |v: &serde_json::Value| v.as_str().unwrap().to_uppercase();
        let bytes = hwbench_schema::units::format_bytes(b["bytes"].as_u64().unwrap());
        let label = format!("{}→{} {bytes}", name(&b["from"]), name(&b["to"]));
        assert!(svg.contains(&label), "{label}");
    }
    assert!(svg.contains("→DRAM "), "the step into DRAM is marked");
    let bars = read(&out_dir.join("plots/memory-latency-levels.svg"));
    assert!(bars.contains("DRAM"));
    std::fs::remove_dir_all(&out_dir).unwrap();
}
