//! End-to-end tests of `hwbench report`: every file written with the
//! charts the data calls for, hostile labels shown as text, bad inputs
//! refused with nothing left behind. Each runs the real release binary.

#[path = "../reports/tests/support/synthetic.rs"]
mod synthetic;

#[path = "support/tmp.rs"]
mod tmp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).to_str().unwrap().to_string()
}

fn tmp_dir(name: &str) -> PathBuf {
    tmp::dir("report", name)
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
    assert_eq!(entries(&out_dir), [".hwbench-report", "data.csv", "index.html", "plots", "report.json", "summary.md"]);
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
    // A report kept among the results (its report.json is no result) is passed by.
    let kept = results.join("host-b/report");
    assert!(report(&[results.to_str().unwrap(), "--out", kept.to_str().unwrap()]).status.success());
    let out = report(&[results.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("report of 2 run(s)"), "{out:?}");
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

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn write_doc(path: &Path, doc: &hwbench_schema::ResultDocument) -> String {
    hwbench_schema::write_document(path, doc).unwrap();
    path.to_str().unwrap().to_string()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The flagged figures of run `run` in report.json: (benchmark, params, metric).
fn flagged(report: &serde_json::Value, run: usize) -> Vec<(String, String, String)> {
    report["runs"][run]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["flag"].is_null())
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap().to_string();
            (text("benchmark"), text("params"), text("metric"))
        })
        .collect()
}

/// Five reference runs made from the committed real ci result of the
/// 2-vCPU AMD EPYC guest by resampling its own repetitions (seeded; a
/// result of another SKU beside them), the real run, and the real run with
/// every memory.bandwidth figure 20% lower: exactly that run's 8 bandwidth
/// figures are flagged, in words, and nothing of the unchanged run.
/// (reports/tests/references.rs counts the same over 100 seeds.)
#[test]
fn references_flag_the_bandwidth_that_fell_20_percent_and_nothing_else() {
    let dir = tmp_dir("references");
    let refs = dir.join("refs");
    std::fs::create_dir_all(&refs).unwrap();
    let real = synthetic::real_ci();
    for k in 0..5 {
        write_doc(&refs.join(format!("ref-{k}.json")), &synthetic::resampled(&real, &format!("ref-{k}"), k));
    }
    std::fs::copy(repo("results/kvm-xeon-2vcpu/2026-11-24-ci.json"), refs.join("xeon.json")).unwrap();
    let mut doctored = real.clone();
    doctored.run.id = "doctored".into();
    doctored.run.label = Some("doctored".into());
    synthetic::scale(&mut doctored, "memory.bandwidth", 0.8);
    let mut unchanged = real.clone();
    unchanged.run.id = "unchanged".into();
    unchanged.run.label = Some("unchanged".into());
    let doctored = write_doc(&dir.join("doctored.json"), &doctored);
    let unchanged = write_doc(&dir.join("unchanged.json"), &unchanged);
    let out_dir = dir.join("r");
    let out =
        report(&[&doctored, &unchanged, "--references", refs.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("8 figure(s) flagged against the references"));
    let r = json(&out_dir.join("report.json"));
    let mut want: Vec<(String, String, String)> = Vec::new();
    for kernel in ["copy", "scale", "add", "triad"] {
        for metric in ["bandwidth", "bandwidth_median"] {
            let params = format!("bytes=268435456 isa=auto kernel={kernel} oversubscribe=no page=thp threads=2");
            want.push(("memory.bandwidth".into(), params, metric.into()));
        }
    }
    assert_eq!(flagged(&r, 0), want);
    assert_eq!(flagged(&r, 1), []);
    for run in 0..2 {
        let refs_of_run = &r["runs"][run]["references"];
        assert_eq!(refs_of_run["same_sku"].as_array().unwrap().len(), 5);
        assert_eq!(refs_of_run["figures_judged"], 32, "every figure had references");
        let aside = refs_of_run["set_aside"].as_array().unwrap();
        assert_eq!(aside.len(), 1);
        assert!(aside[0]["path"].as_str().unwrap().ends_with("xeon.json"));
        let reason = aside[0]["reason"].as_str().unwrap();
        assert!(reason.starts_with("another SKU: CPU: AuthenticAMD AMD EPYC here, GenuineIntel"), "{reason}");
    }
    for f in r["runs"][0]["figures"].as_array().unwrap().iter().filter(|f| !f["flag"].is_null()) {
        let words = f["flag"].as_str().unwrap();
        assert!(words.contains("below every reference run (run-to-run spread"), "{words}");
        assert_eq!(f["reference"]["worse"], true);
        assert_eq!(f["reference"]["percentile"], 0.0);
        let by = f["reference"]["beyond"]["by"].as_f64().unwrap();
        assert!(by < -f["reference"]["spread"].as_f64().unwrap(), "{f}");
    }
    // The first screen: the peak bandwidth flagged for the doctored run in
    // words, a percentile for the unchanged one.
    let html = read(&out_dir.join("index.html"));
    let glance = &html[html.find("id=\"glance\"").unwrap()..html.find("id=\"runs\"").unwrap()];
    let row = &glance[glance.find("<th>local DRAM · peak bandwidth</th>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("<span class=\"flag\">") && row.contains("below all 5</span>"), "{row}");
    assert_eq!(row.matches("<span class=\"flag\">").count(), 1, "{row}");
    assert!(row.contains("<span class=\"ref\">p"), "{row}");
    assert!(glance.contains("<li>doctored: local DRAM · peak bandwidth "), "{glance}");
    assert!(glance.contains("doctored: 7 more figure(s) flagged against the references"), "{glance}");
    let summary = read(&out_dir.join("summary.md"));
    let section = &summary[summary.find("## Flagged against the references").unwrap()..];
    let section = &section[..section.find("\n## ").unwrap()];
    assert_eq!(section.matches("\n- doctored: memory.bandwidth ").count(), 8, "{section}");
    assert_eq!(section.matches("\n- ").count(), 8, "{section}");
    let _ = std::fs::remove_dir_all(dir);
}

/// One reference run measured once has no run-to-run spread: every figure
/// gets its percentile, none a flag, and the words say why.
#[test]
fn one_reference_run_measured_once_ranks_but_never_flags() {
    let dir = tmp_dir("one-reference");
    let refs = dir.join("refs");
    std::fs::create_dir_all(&refs).unwrap();
    let xeon = repo("results/kvm-xeon-2vcpu/2026-11-24-ci.json");
    std::fs::copy(&xeon, refs.join("xeon.json")).unwrap();
    let mut halved = hwbench_schema::load(&xeon).unwrap();
    halved.run.id = "halved".into();
    synthetic::scale(&mut halved, "memory.bandwidth", 0.5);
    let halved = write_doc(&dir.join("halved.json"), &halved);
    let out_dir = dir.join("r");
    let out = report(&[&halved, "--references", refs.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = json(&out_dir.join("report.json"));
    assert_eq!(flagged(&r, 0), []);
    let bandwidth = r["runs"][0]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["benchmark"] == "memory.bandwidth" && f["metric"] == "bandwidth")
        .unwrap();
    assert_eq!(bandwidth["reference"]["percentile"], 0.0);
    assert!(bandwidth["reference"]["spread"].is_null());
    assert_eq!(
        bandwidth["reference"]["words"],
        "at the 0th percentile of 1 reference run; not judged: one run measured once has no run-to-run spread"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `--references` naming no directory of results, or results of another
/// SKU only, is bad input: exit 2, one line naming it, nothing written.
#[test]
fn references_that_cannot_say_what_is_normal_here_are_refused() {
    let dir = tmp_dir("bad-references");
    let others = dir.join("others");
    std::fs::create_dir_all(&others).unwrap();
    std::fs::copy(repo("results/kvm-xeon-2vcpu/2026-11-24-ci.json"), others.join("xeon.json")).unwrap();
    let broken = dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::copy(fixtures().join("bad/truncated.json"), broken.join("t.json")).unwrap();
    let epyc = repo("results/kvm-epyc-2vcpu/2026-11-29-ci.json");
    let file = fixture("report-a.json");
    let cases: [(&str, &str); 4] = [
        (&file, "not a directory of result documents"),
        ("/nonexistent/refs", "not a directory of result documents"),
        (others.to_str().unwrap(), "none of its 1 result(s) is of this machine's SKU"),
        (broken.to_str().unwrap(), "t.json"),
    ];
    for (refs, message) in cases {
        let out_dir = dir.join("r");
        let out = report(&[epyc.to_str().unwrap(), "--references", refs, "--out", out_dir.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{refs}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(message), "{refs}: {err}");
        assert!(!out_dir.exists(), "{refs}");
    }
    let err = String::from_utf8_lossy(
        &report(&[
            epyc.to_str().unwrap(),
            "--references",
            others.to_str().unwrap(),
            "--out",
            dir.join("r").to_str().unwrap(),
        ])
        .stderr,
    )
    .into_owned();
    assert!(err.contains("(another SKU: CPU: AuthenticAMD AMD EPYC here, GenuineIntel"), "{err}");
    // `hwbench run` reads its references before measuring: nothing is run or written.
    let result = dir.join("run.json");
    let out = Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(["run", "memory.latency", "--references", "/nonexistent/refs", "--out", result.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--references /nonexistent/refs: not a directory"));
    assert!(!result.exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// The first screen of the fixture machine: every memory tier with its
/// idle latency, loaded latency at saturation and peak bandwidth, the GPU
/// peaks, energy per operation where metered, what was not measured; the
/// system table folded below it. report.json points at the same figures.
#[test]
fn the_report_opens_with_the_machine_at_a_glance() {
    let dir = tmp_dir("glance");
    let out_dir = dir.join("r");
    let out = report(&[&fixture("report-a.json"), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = read(&out_dir.join("index.html"));
    let glance = html.find("id=\"glance\"").unwrap();
    assert!(glance < html.find("id=\"runs\"").unwrap() && glance < html.find("id=\"system\"").unwrap());
    let system = &html[html.find("id=\"system\"").unwrap()..];
    assert!(system.find("<details>").unwrap() < system.find("<table class=\"system\">").unwrap(), "folded");
    let r = json(&out_dir.join("report.json"));
    let rows = r["runs"][0]["glance"]["rows"].as_array().unwrap();
    let labels: Vec<&str> = rows.iter().map(|row| row["label"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "local DRAM · idle latency",
            "local DRAM · loaded latency at saturation",
            "local DRAM · peak bandwidth",
            "remote DRAM (node 1) · idle latency",
            "remote DRAM (node 1) · peak bandwidth",
            "CXL (node 2) · idle latency",
            "CXL (node 2) · loaded latency at saturation",
            "CXL (node 2) · peak bandwidth",
            "GPU 0 f16 · peak FLOP/s",
            "GPU 0 f32 · peak FLOP/s",
            "GPU 0 f64 · peak FLOP/s",
            "GPU 0 i32 · peak IOP/s",
            "GPU 0 · memory bandwidth",
        ]
    );
    // Each row is a figure of the run, as the document has it.
    let doc = hwbench_schema::load(&fixtures().join("report-a.json")).unwrap();
    let figures = r["runs"][0]["figures"].as_array().unwrap();
    for row in rows {
        let figure = &figures[row["figure"].as_u64().unwrap() as usize];
        let record = doc
            .benchmarks
            .iter()
            .find(|rec| {
                rec.id == figure["benchmark"] && hwbench_reports::key::params_text(&rec.params) == figure["params"]
            })
            .unwrap();
        let metric = record.metrics.iter().find(|m| m.name == figure["metric"]).unwrap();
        assert_eq!(figure["value"].as_f64().unwrap(), metric.value, "{row}");
        let cell = format!("<b>{} {}</b>", hwbench_reports::format::value(metric.value), metric.unit);
        assert!(html.contains(&cell), "{cell}");
    }
    let dram = &rows[0];
    assert_eq!(dram["source"], "memory.latency.levels cpu=0 page=thp stride=64");
    assert_eq!(figures[dram["figure"].as_u64().unwrap() as usize]["metric"], "dram");
    let peak = &rows[2];
    assert_eq!(figures[peak["energy_figure"].as_u64().unwrap() as usize]["metric"], "energy_per_op");
    let words = peak["words"].as_str().unwrap();
    assert!(
        words.starts_with(
            "local DRAM · peak bandwidth 216.4 GB/s: 70% of the DRAM limit (307.2 GB/s: node 0: socket 0: 8 channels \
             x 4800 MT/s x 8 B = 307.2 GB/s"
        ),
        "{words}"
    );
    assert!(words.contains("; energy per operation 1.462 J/GB"), "{peak}");
    // Limits as the cells show them: known with the share, unknown said so.
    let glance = &html[glance..html.find("id=\"runs\"").unwrap()];
    assert!(glance.contains("<b>216.4 GB/s</b> <span class=\"lim\">70% of 307.2 GB/s limit</span>"), "{glance}");
    assert!(glance.contains("<b>26.28 GB/s</b> <span class=\"lim\">83% of 31.51 GB/s limit</span>"), "{glance}");
    assert_eq!(glance.matches("<span class=\"lim\">limit unknown</span>").count(), 4, "GPU parts in no table");
    // What each figure counts, folded under the table.
    assert!(glance.contains("<br><span class=\"meta\">counts logical bytes (STREAM convention): 1 read + 0 written"));
    assert_eq!(r["runs"][0]["not_measured"], serde_json::json!(["CPU peaks (cpu.roofline)"]));
    assert!(r["references"].is_null() && r["runs"][0]["references"].is_null());
    let _ = std::fs::remove_dir_all(dir);
}

/// `hwbench run --references DIR`: the summary gives each figure its
/// standing among the references and names them; references of another
/// SKU are refused (exit 2) once the result is written.
#[test]
fn the_run_summary_sets_each_figure_beside_the_references() {
    let dir = tmp_dir("run-references");
    let refs = dir.join("refs");
    let run = |args: &[&str]| {
        let mut all = vec!["run", "memory.latency", "--set", "bytes=64KiB", "--set", "page=4k", "--repeat", "3"];
        all.extend_from_slice(args);
        Command::new(env!("CARGO_BIN_EXE_hwbench")).args(&all).output().unwrap()
    };
    let out = run(&["-q", "--out", refs.join("a.json").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let new = dir.join("new.json");
    let out = run(&["--references", refs.to_str().unwrap(), "--out", new.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find(|l| l.starts_with("memory.latency")).unwrap();
    // Three repetitions of one reference run are the units.
    assert!(line.contains(" of 3]") || line.contains(" all 3]"), "{line}");
    let figures = hwbench_schema::load(&new).unwrap().benchmarks[0].metrics.len();
    assert!(
        stdout.contains(&format!(
            "references: 1 reference run(s) of this SKU in {}; {figures} of its {figures} figures had references",
            refs.display()
        )),
        "{stdout}"
    );
    // References of a machine that is not this one.
    let others = dir.join("others");
    std::fs::create_dir_all(&others).unwrap();
    let mut other = hwbench_schema::load(&new).unwrap();
    other.run.id = "other".into();
    other.machine.cpu_model = hwbench_schema::Fact::Known("No Such CPU 9000".into());
    write_doc(&others.join("other.json"), &other);
    let elsewhere = dir.join("elsewhere.json");
    let out = run(&["--references", others.to_str().unwrap(), "--out", elsewhere.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("none of its 1 result(s) is of this machine's SKU") && err.contains("No Such CPU 9000"),
        "{err}"
    );
    assert!(elsewhere.exists(), "the measurement is kept");
    let _ = std::fs::remove_dir_all(dir);
}
