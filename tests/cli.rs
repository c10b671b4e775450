//! End-to-end tests of the binary: topology, list, run, bad input and
//! interruption. Each runs the real release binary.

#[path = "support/tmp.rs"]
mod tmp;

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use hwbench_schema::{load, Record, RecordStatus, RunStatus, Tier};

fn hwbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench")).args(args).env_remove("HWBENCH_SYSFS_ROOT").output().unwrap()
}

fn fixture_root(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs").join(name)
}

fn tmp_dir(name: &str) -> PathBuf {
    tmp::dir("cli", name)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a one-line error, exit code 2, and returns the line.
fn assert_bad_input(out: &Output) -> String {
    assert_error(out, 2)
}

/// Asserts a one-line error, exit code 3 (environment or I/O failure), and
/// returns the line.
fn assert_environment_failure(out: &Output) -> String {
    assert_error(out, 3)
}

fn assert_error(out: &Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "stderr: {}", stderr(out));
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("hwbench: error: ") && !err.contains("panicked"), "{err}");
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
    assert!(text.contains("Cxl") && text.contains("evidence: hwloc subtype CXL-DRAM"), "{text}");
    assert!(text.contains("PCI device 0000:35:00.0; no CPUs"), "{text}");
}

/// Trees as real kernels and firmware write them (tests/fixtures/sysfs/
/// make-fixtures): each one reads, and says what it is.
#[test]
fn topology_reads_trees_as_real_kernels_write_them() {
    let said = [
        ("cpumap-only", "RemoteDram"),
        ("nul-terminated", "Cxl"),
        ("offline-node", "21 10"),
        ("cgroup-limited", "not allowed here"),
        ("bogus-numa", "node(s) 1-7 that hwloc did not take"),
        ("gpu-memory", "GpuMemory"),
        ("hmat-zeros", "latency not provided"),
    ];
    for (name, words) in said {
        let root = fixture_root(name);
        let out = hwbench(&["topology", "--sysfs-root", root.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(words), "{name}: no {words:?} in\n{text}");
        let out = hwbench(&["topology", "--json", "--sysfs-root", root.to_str().unwrap()]);
        let t: hwbench_schema::Topology = serde_json::from_slice(&out.stdout).unwrap();
        assert!(t.nodes.iter().all(|n| n.tier.is_some()), "{name}: a node without a tier");
    }
}

/// A node outside the process's cpuset is never targeted: naming it is bad
/// input, with the reason.
#[test]
fn a_node_outside_the_cpuset_is_bad_input() {
    let root = fixture_root("cgroup-limited");
    let out = hwbench(&["run", "memory.latency", "--sysfs-root", root.to_str().unwrap(), "--set", "node=3"]);
    let err = assert_bad_input(&out);
    assert!(err.contains("node 3 is not allowed here") && err.contains("cgroup /kubepods/pod1"), "{err}");
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
    assert_sampled(r);
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

/// A result that cannot be written is exit 3 (not 2: nothing was wrong
/// with the command), one line naming the path, before anything is
/// measured: `--out /dev/full` is what a user trying the error path types.
#[test]
fn an_unwritable_out_is_exit_3_naming_it_before_measuring() {
    for (out, expected) in [
        ("/proc/hwbench-results", "--out /proc/hwbench-results: cannot write /proc/hwbench-results/"),
        ("/dev/full", "--out /dev/full: cannot write /dev/full/"),
        ("/dev/full/r.json", "--out /dev/full/r.json: cannot write /dev/full/r.json"),
    ] {
        let err = assert_environment_failure(&hwbench(&["run", "memory.latency", "--set", "bytes=8KiB", "--out", out]));
        assert!(err.contains(expected), "{out}: {err}");
    }
}

/// The write of the finished document itself failing (a full disk): a
/// 64 KiB tmpfs, filled, in a private mount namespace. The early check that
/// the directory is writable passes (an empty file fits), the measurement
/// runs, and the atomic write of the result hits ENOSPC.
#[test]
fn a_full_disk_at_the_end_of_a_run_is_exit_3_naming_the_file() {
    let dir = tmp_dir("full-disk");
    let file = dir.join("r.json");
    let out = Command::new("unshare")
        .args(["--mount", "--map-root-user", "sh", "-c"])
        .arg(
            r#"mount -t tmpfs -o size=64k hwbench-full "$1" || exit 99
               head -c 1M /dev/zero > "$1/fill" 2>/dev/null
               exec "$2" run memory.latency --set bytes=8KiB --quiet --idle-seconds 0 --out "$1/r.json""#,
        )
        .args(["sh", dir.to_str().unwrap(), env!("CARGO_BIN_EXE_hwbench")])
        .env_remove("HWBENCH_SYSFS_ROOT")
        .output()
        .expect("unshare (util-linux) runs");
    assert_ne!(out.status.code(), Some(99), "could not mount a small tmpfs: {}", stderr(&out));
    let err = assert_environment_failure(&out);
    assert!(err.contains(&format!("cannot write {}: No space left on device", file.display())), "{err}");
    assert_eq!(err.matches("No space left").count(), 1, "{err}");
    assert!(!file.exists(), "the mount namespace leaked");
}

#[test]
fn an_unknown_command_line_flag_is_exit_2() {
    assert_eq!(hwbench(&["run", "--no-such-flag"]).status.code(), Some(2));
    let help = hwbench(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("2 bad input") && text.contains("3 environment or I/O failure"), "{text}");
}

/// A fixture root that is not there must not fall back to this machine.
#[test]
fn a_sysfs_root_that_describes_no_machine_is_exit_2_naming_it() {
    let missing = "/nonexistent-hwbench-root";
    for command in [&["topology"][..], &["sensors"], &["run", "memory.latency"]] {
        let err = assert_bad_input(&hwbench(&[command, &["--sysfs-root", missing]].concat()));
        assert_eq!(
            err.trim_end(),
            format!("hwbench: error: --sysfs-root: {missing}: no such directory"),
            "{command:?}"
        );
    }
    let empty = tmp_dir("no-sysfs");
    std::fs::create_dir_all(empty.join("sys/class")).unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_hwbench")).arg("topology").env("HWBENCH_SYSFS_ROOT", &empty).output().unwrap();
    let err = assert_bad_input(&out);
    assert!(err.contains(&format!("HWBENCH_SYSFS_ROOT: {}: holds no sys/devices/system", empty.display())), "{err}");
    assert!(out.stdout.is_empty());
}
/// Ctrl-C after two points were measured, as the progress bar shows them
/// (hwbench's stderr on a pseudo-terminal, so the bar is drawn).
#[test]
fn ctrl_c_saves_what_was_measured_as_interrupted_and_exits_130() {
    let file = tmp_dir("interrupt").join("r.json");
    let (master, slave) = pseudo_terminal();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(["run", "memory.latency", "--set", "max_bytes=64MiB", "--out", file.to_str().unwrap()])
        .env_remove("HWBENCH_SYSFS_ROOT")
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut terminal = std::fs::File::from(master);
        let (mut seen, mut buf, mut signalled) = (String::new(), [0u8; 4096], false);
        // Reads until hwbench closes the terminal (EIO on Linux).
        while let Ok(n @ 1..) = terminal.read(&mut buf) {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if !signalled && points_done(&seen) >= 2 {
                signalled = true;
                let _ = done_tx.send(());
            }
        }
        seen
    });
    let started = done_rx.recv_timeout(Duration::from_secs(300));
    // SAFETY: plain kill(2) on our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let seen = reader.join().unwrap();
    assert!(started.is_ok(), "no progress line showing 2 points done: {seen:?}");
    assert_eq!(status.code(), Some(130), "{seen}");
    let doc = load(&file).unwrap();
    assert_eq!(doc.run.status, RunStatus::Interrupted);
    assert!(doc.benchmarks.len() >= 2, "fewer records than the bar showed done: {}", doc.benchmarks.len());
    assert!(doc.benchmarks.len() < 20, "ran to the end: {}", doc.benchmarks.len());
    for r in &doc.benchmarks {
        assert_eq!(r.status, RecordStatus::Ok);
        assert_sampled(r);
    }
    assert!(seen.contains("interrupted; finishing the current sample"), "{seen}");
}

/// A chase record's headline samples: ten undisturbed ones, or fewer when
/// the machine let too few slices run undisturbed before the bound (the
/// record says so).
fn assert_sampled(r: &Record) {
    let descheduling = &r.info["descheduling"];
    assert_eq!(descheduling["samples"], r.metrics[0].samples.len(), "{descheduling}");
    assert!(r.metrics[0].samples.len() == 10 || descheduling["bound_reached"] == true, "{descheduling}");
}

/// The highest `{pos}` of the progress bar ("00:00:03 [=>   ] 2/25 ...").
fn points_done(terminal: &str) -> u64 {
    terminal
        .split("] ")
        .skip(1)
        .filter_map(|rest| rest.split_once('/').and_then(|(pos, _)| pos.parse().ok()))
        .max()
        .unwrap_or(0)
}

/// A pseudo-terminal pair: (master, slave).
fn pseudo_terminal() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors; name, termios and size may be null.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty just returned these; nothing else owns them.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Asking for more 2 MiB huge pages than the pool can give (its free pages
/// plus the surplus it may add: none on a machine without a reservation)
/// is a skipped record naming the fix, on any machine.
#[test]
fn explicit_huge_pages_without_a_reservation_are_skipped_with_the_fix() {
    let pool = |file: &str| -> u64 {
        let path = format!("/sys/kernel/mm/hugepages/hugepages-2048kB/{file}");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")).trim().parse().unwrap()
    };
    let obtainable = pool("free_hugepages") + pool("nr_overcommit_hugepages");
    let bytes = format!("{}MiB", (obtainable + 1) * 2);
    let file = tmp_dir("hugetlb").join("r.json");
    let out = hwbench(&[
        "run",
        "memory.latency",
        "--set",
        &format!("bytes={bytes}"),
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

/// Without a Wayland session (no XDG_RUNTIME_DIR: ssh, cron, Slurm) the
/// Vulkan window-system layer complains while adapters are listed; hwbench
/// keeps that off stderr and passes on everything else the loader says.
#[test]
fn listing_gpus_without_a_window_system_prints_no_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(["topology", "--json"])
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("HWBENCH_SYSFS_ROOT")
        .env("VK_LOADER_DEBUG", "info")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let t: hwbench_schema::Topology = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!t.gpus.is_empty(), "no adapter: {:?}", t.gpu_note);
    let err = stderr(&out);
    assert!(!err.contains("XDG_RUNTIME_DIR"), "{err}");
    assert!(err.contains("Vulkan Loader"), "the loader's own lines were swallowed: {err}");
    let quiet = Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(["topology"])
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("HWBENCH_SYSFS_ROOT")
        .output()
        .unwrap();
    assert_eq!(stderr(&quiet), "");
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
