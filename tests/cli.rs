//! End-to-end tests of the binary: topology, list, run, bad input and
//! interruption. Each runs the real release binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hwbench_schema::{load, RecordStatus, RunStatus, Tier};

fn hwbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench")).args(args).env_remove("HWBENCH_SYSFS_ROOT").output().unwrap()
}

fn fixture_root(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs").join(name)
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hwbench-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a one-line error, exit code 2, and returns the line.
fn assert_bad_input(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(out));
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn topology_json_of_a_two_socket_cxl_fixture() {
    let root = fixture_root("two-socket-cxl");
    let out = hwbench(&["topology", "--json", "--sysfs-root", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let t: hwbench_schema::Topology = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t.nodes.len(), 3);
    assert!(t.nodes[2].cpu_less);
    assert_eq!(t.nodes[1].distances[&2], 24);
    assert_eq!(t.nodes[2].hmat[0].read_latency_ns, Some(250));
    assert_eq!(t.nodes[2].tier.as_ref().unwrap().tier, Tier::Cxl);
    // Human output shows the tier and its evidence.
    let out = hwbench(&["topology", "--sysfs-root", root.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Cxl") && text.contains("evidence: no CPUs"), "{text}");
}

#[test]
fn the_environment_variable_selects_the_root_too() {
    let out = Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(["topology", "--json"])
        .env("HWBENCH_SYSFS_ROOT", fixture_root("hbm-cxl"))
        .output()
        .unwrap();
    let t: hwbench_schema::Topology = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t.nodes.len(), 4);
}

#[test]
fn live_topology_has_one_node_with_every_cpu() {
    let out = hwbench(&["topology", "--json"]);
    let t: hwbench_schema::Topology = serde_json::from_slice(&out.stdout).unwrap();
    let cpus = std::thread::available_parallelism().unwrap().get();
    let all: usize = t.nodes.iter().map(|n| n.cpus.len()).sum();
    assert_eq!(all, cpus);
    assert!(t.caches.iter().all(|c| c.size_bytes > 0 && c.line_bytes > 0));
}

#[test]
fn list_shows_benchmarks_params_and_suites() {
    let out = hwbench(&["list"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["memory.latency", "page=4k|thp|2m", "quick"] {
        assert!(text.contains(needle), "missing {needle}: {text}");
    }
}

#[test]
fn run_writes_a_loadable_document_and_prints_its_path_last() {
    let dir = tmp_dir("run");
    let out = hwbench(&[
        "run",
        "memory.latency",
        "--set",
        "bytes=64KiB",
        "--set",
        "page=4k",
        "--out",
        dir.to_str().unwrap(),
        "--label",
        "e2e",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let path = PathBuf::from(stdout.lines().last().unwrap());
    assert!(path.starts_with(&dir) && path.extension().unwrap() == "json", "{stdout}");
    let doc = load(&path).unwrap();
    assert_eq!(doc.run.status, RunStatus::Complete);
    assert_eq!(doc.run.label.as_deref(), Some("e2e"));
    assert_eq!(doc.run.suite, "custom");
    let r = &doc.benchmarks[0];
    assert_eq!((r.id.as_str(), r.status), ("memory.latency", RecordStatus::Ok));
    assert_eq!(r.params["bytes"], hwbench_schema::ParamValue::Int(65536));
    let latency = &r.metrics[0];
    assert_eq!((latency.name.as_str(), latency.unit.as_str()), ("latency", "ns"));
    assert_eq!(latency.samples.len(), 10);
    assert!(latency.value > 0.3 && latency.value < 50.0, "{}", latency.value);
    assert_eq!(r.placement.as_ref().unwrap().page_obtained, "4k");
    assert!(doc.machine.kernel.known().is_some());
    // No temporary files are left next to the result.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_node_bound_run_verifies_placement_on_node_zero() {
    let file = tmp_dir("node").join("r.json");
    let out = hwbench(&[
        "run",
        "memory.latency",
        "--set",
        "bytes=4MiB",
        "--set",
        "node=0",
        "--out",
        file.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = load(&file).unwrap();
    let p = doc.benchmarks[0].placement.as_ref().unwrap();
    assert_eq!((p.node, p.on_node_fraction), (Some(0), Some(1.0)));
}

#[test]
fn json_mode_prints_the_document_on_stdout() {
    let file = tmp_dir("json").join("r.json");
    let out = hwbench(&["run", "memory.latency", "--set", "bytes=8KiB", "--json", "--out", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: hwbench_schema::ResultDocument = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc, load(&file).unwrap());
}

#[test]
fn bad_input_is_one_line_exit_2_and_writes_nothing() {
    let dir = tmp_dir("bad");
    let out_arg = dir.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["run", "memory.latency", "--set", "bytes=abc"], "'abc' is not a byte size"),
        (&["run", "memory.latency", "--set", "bytes=1PB"], "this machine has"),
        (&["run", "memory.nope"], "unknown benchmark 'memory.nope'"),
        (&["run", "memory.latency", "--set", "colour=blue"], "--set colour: no selected benchmark has this param"),
        (&["run", "memory.latency", "--set", "node=7"], "node 7 does not exist"),
        (&["run", "memory.latency", "--set", "bytes=32"], "less than two lines"),
        (&["run", "--suite", "nope"], "unknown suite 'nope'"),
    ];
    for (args, expected) in cases {
        let mut args = args.to_vec();
        args.extend(["--out", out_arg]);
        let err = assert_bad_input(&hwbench(&args));
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "a bad run left files");
}

#[test]
fn an_unwritable_out_directory_is_refused_before_measuring() {
    let err =
        assert_bad_input(&hwbench(&["run", "memory.latency", "--set", "bytes=8KiB", "--out", "/proc/hwbench-results"]));
    assert!(err.contains("/proc/hwbench-results"), "{err}");
}

#[test]
fn an_unknown_command_line_flag_is_exit_2() {
    assert_eq!(hwbench(&["run", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(hwbench(&["--help"]).status.code(), Some(0));
}

#[test]
fn ctrl_c_saves_what_was_measured_as_interrupted_and_exits_130() {
    let file = tmp_dir("interrupt").join("r.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(["run", "memory.latency", "--set", "max_bytes=64MiB", "--quiet", "--out", file.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Sampling takes about 0.6 s a point: after 2.5 s a few points are done.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // SAFETY: plain kill(2) on our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let doc = load(&file).unwrap();
    assert_eq!(doc.run.status, RunStatus::Interrupted);
    assert!(!doc.benchmarks.is_empty(), "nothing kept");
    assert!(doc.benchmarks.len() < 20, "ran to the end: {}", doc.benchmarks.len());
    assert!(doc.benchmarks.iter().all(|r| r.status == RecordStatus::Ok && r.metrics[0].samples.len() == 10));
}

#[test]
fn explicit_huge_pages_without_a_reservation_are_skipped_with_the_fix() {
    let reserved: u64 = std::fs::read_to_string("/proc/sys/vm/nr_hugepages").unwrap().trim().parse().unwrap();
    if reserved > 0 {
        eprintln!("skipped: this machine reserves {reserved} huge pages");
        return;
    }
    let file = tmp_dir("hugetlb").join("r.json");
    let out = hwbench(&[
        "run",
        "memory.latency",
        "--set",
        "bytes=1MiB",
        "--set",
        "page=2m",
        "--out",
        file.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = &load(&file).unwrap().benchmarks[0];
    assert_eq!(r.status, RecordStatus::Skipped);
    assert!(r.reason.as_deref().unwrap().contains("nr_hugepages"), "{:?}", r.reason);
    assert!(r.metrics.is_empty());
}

#[test]
fn topology_lists_gpu_adapters_or_says_why_there_are_none() {
    let out = hwbench(&["topology", "--json"]);
    let t: hwbench_schema::Topology = serde_json::from_slice(&out.stdout).unwrap();
    // make test installs lavapipe (mesa-vulkan-drivers): at least that one.
    assert!(!t.gpus.is_empty(), "no adapter: {:?}", t.gpu_note);
    assert!(t.gpus.iter().all(|g| !g.name.is_empty() && g.limits.max_storage_buffer_binding_size > 0));
    let out = Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(["topology", "--json"])
        .env("VK_DRIVER_FILES", "/nonexistent.json")
        .output()
        .unwrap();
    let t: hwbench_schema::Topology = serde_json::from_slice(&out.stdout).unwrap();
    assert!(t.gpus.is_empty());
    assert!(t.gpu_note.unwrap().contains("no GPU adapter found"));
}
