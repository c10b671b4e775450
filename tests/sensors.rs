//! `hwbench sensors` on the live machine and on fixture trees (every sysfs
//! source with static values; meters that exist and count nothing on a
//! virtual machine), and what `run` records: counters on every record,
//! energy only where a meter proved it counts, never estimated.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use hwbench_schema::{load, RecordStatus, SensorStatus};

fn hwbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench")).args(args).env_remove("HWBENCH_SYSFS_ROOT").output().unwrap()
}

/// A short `hwbench run memory.latency` (0.5 s of idle power where a meter
/// exists) into `file`; asserts it succeeded.
fn run_latency(file: &Path, extra: &[&str]) -> Output {
    let base = ["run", "memory.latency", "--set", "bytes=256KiB", "--idle-seconds", "0.5", "--out"];
    let out = hwbench(&[&base[..], &[file.to_str().unwrap()], extra].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn sensors(args: &[&str]) -> BTreeMap<String, SensorStatus> {
    let out = hwbench(&[&["sensors", "--json"], args].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

const SOURCES: &[&str] = &[
    "energy.powercap",
    "energy.perf_power",
    "energy.hwmon",
    "energy.nvml",
    "energy.ipmi",
    "counters.cycles",
    "counters.instructions",
    "counters.llc_misses",
    "counters.dtlb_misses",
    "counters.task_clock_ns",
    "counters.page_faults",
    "counters.context_switches",
];

fn paranoid() -> i32 {
    std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid").unwrap().trim().parse().unwrap()
}

#[test]
fn every_source_is_listed_and_each_missing_one_says_why() {
    let status = sensors(&[]);
    assert_eq!(status.len(), SOURCES.len(), "{:?}", status.keys());
    for name in SOURCES {
        assert!(!status[*name].detail.is_empty(), "{name} has no detail");
    }
    // What this machine has decides each answer.
    if !Path::new("/sys/class/powercap").exists() {
        let s = &status["energy.powercap"];
        assert!(!s.available && s.detail.contains("no /sys/class/powercap") && s.detail.contains("modprobe"), "{s:?}");
    }
    if !Path::new("/sys/bus/event_source/devices/power").exists() {
        assert!(status["energy.perf_power"].detail.contains("no perf `power` PMU"));
    }
    // A meter that is there is used only when it counted; else it says why.
    for (name, s) in status.iter().filter(|(k, _)| k.starts_with("energy.")) {
        if s.available {
            assert!(s.detail.contains(&busy()), "{name} is used without a calibration: {s:?}");
        }
    }
    if !Path::new("/proc/driver/nvidia/version").exists() {
        let s = &status["energy.nvml"];
        assert!(!s.available && s.detail.contains("libnvidia-ml.so.1"), "{s:?}");
    }
    assert!(!status["energy.ipmi"].available && status["energy.ipmi"].detail.contains("--ipmi"));
    // Software counters of the own process work everywhere.
    assert!(status["counters.task_clock_ns"].available);
    assert!(status["counters.page_faults"].available);
    for hw in ["counters.cycles", "counters.instructions"] {
        let s = &status[hw];
        assert!(s.available || s.detail.contains("(os error"), "{hw}: {s:?}");
    }

    // The text form: one line per source, state then detail.
    let out = hwbench(&["sensors"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), SOURCES.len());
    let nvml = text.lines().find(|l| l.starts_with("energy.nvml")).unwrap();
    assert!(nvml.contains(if status["energy.nvml"].available { " available " } else { " unavailable " }), "{nvml}");
}

/// How a calibration names the CPUs it kept busy: every CPU this process
/// (and so hwbench) may use.
fn busy() -> String {
    // SAFETY: a zeroed cpu_set_t is valid; sched_getaffinity fills it.
    let cpus = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set), 0);
        libc::CPU_COUNT(&set)
    };
    let cpus = match cpus {
        1 => "the one allowed CPU".to_string(),
        2 => "both allowed CPUs".to_string(),
        n => format!("all {n} allowed CPUs"),
    };
    format!("over 1.0 s with {cpus} busy")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/powercap").join(name).to_str().unwrap().to_string()
}

/// Every sysfs source is found and parsed, and none is used: their values
/// are static, so none counts over the calibration.
#[test]
fn static_sysfs_sources_are_found_and_refused_for_not_counting() {
    let root = fixture("sensors");
    let status = sensors(&["--sysfs-root", &root]);
    let powercap = &status["energy.powercap"];
    assert!(!powercap.available);
    let not_counting = "is there but does not count (firmware or driver)";
    assert_eq!(
        powercap.detail,
        format!(
            "package-0, dram-0, core-0, package-1, core-1, dram-1, psys: counted no energy {}: the counter {not_counting}",
            busy()
        )
    );
    let hwmon = &status["energy.hwmon"];
    assert!(!hwmon.available);
    assert_eq!(
        hwmon.detail,
        format!(
            "amdgpu/hwmon0/power1: read a constant 35.0 W {busy}: the reading {not_counting}; i915/hwmon1/energy1: \
             counted no energy {busy}: the counter {not_counting}",
            busy = busy()
        )
    );
    let perf = &status["energy.perf_power"];
    assert!(
        !perf.available && perf.detail.contains("dram-1 (energy-ram on CPU 1)") && perf.detail.contains("not opened"),
        "{perf:?}"
    );
    for source in ["energy.nvml", "energy.ipmi"] {
        assert!(!status[source].available);
    }
    assert!(status["energy.nvml"].detail.contains("not read with a fixture root"));
}

/// A virtual machine's meters that exist and count nothing: a perf power
/// PMU whose counters never move (the kernel's software dummy event stands
/// for it, opened on this kernel: needs root or CAP_PERFMON, as `make test`
/// runs), a RAPL counter that stands still, an hwmon power that never
/// changes. Each is unavailable with why, and a run there shows no energy
/// anywhere: not in the record, the summary lines or the report's charts.
#[test]
fn meters_that_count_nothing_are_unavailable_and_show_no_energy_anywhere() {
    let root = fixture("dead");
    let status = sensors(&["--sysfs-root", &root]);
    let busy = busy();
    let expected = [
        ("energy.perf_power", format!("package-0, psys: counted no energy {busy}: this hypervisor does not pass the counter through")),
        ("energy.powercap", format!("package-0: counted no energy {busy}: this hypervisor does not pass the counter through")),
        (
            "energy.hwmon",
            format!("amdgpu/hwmon0/power1: read a constant 35.0 W {busy}: this hypervisor does not pass the reading through"),
        ),
    ];
    for (source, detail) in &expected {
        assert_eq!(&status[*source], &SensorStatus { available: false, detail: detail.clone() }, "{source}");
    }

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sensors-dead");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("r.json");
    let out = run_latency(&file, &["--sysfs-root", &root]);
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(summary.contains("latency=") && !summary.contains("power") && !summary.contains("energy"), "{summary}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("idle power"), "idle power measured without a meter: {stderr}");
    let doc = load(&file).unwrap();
    assert!(doc.sensors.iter().filter(|(k, _)| k.starts_with("energy.")).all(|(_, s)| !s.available));
    let r = doc.benchmarks.iter().find(|r| r.id == "memory.latency").unwrap();
    assert_eq!(r.status, RecordStatus::Ok);
    assert!(r.energy.is_none(), "{:?}", r.energy);
    assert!(r.metrics.iter().all(|m| !m.name.starts_with("power") && !m.name.starts_with("energy")), "{:?}", r.metrics);
    let report = dir.join("report");
    let out = hwbench(&["report", file.to_str().unwrap(), "--out", report.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let charts: Vec<String> = std::fs::read_dir(report.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(charts.iter().any(|c| c.starts_with("memory-latency")), "{charts:?}");
    assert!(charts.iter().all(|c| !c.starts_with("energy") && !c.starts_with("power")), "{charts:?}");
}

/// As an unprivileged user (paranoid 2 here): own-process counting works,
/// kernel events need a permission, named with the fix.
#[test]
fn an_unprivileged_user_gets_the_permission_to_grant() {
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    // Dropping to an unprivileged user needs root (make test runs as root)
    // and setpriv (util-linux): a machine without them cannot run this check.
    assert!(root, "this check needs root to drop to an unprivileged user: run the tests as root (make test)");
    assert!(Command::new("setpriv").arg("--help").output().is_ok(), "setpriv (util-linux) is missing");
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            env!("CARGO_BIN_EXE_hwbench"),
            "sensors",
            "--json",
        ])
        .env_remove("HWBENCH_SYSFS_ROOT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status: BTreeMap<String, SensorStatus> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(status["counters.task_clock_ns"].available);
    let switches = &status["counters.context_switches"];
    if paranoid() >= 2 {
        assert!(!switches.available, "{switches:?}");
        assert!(
            switches.detail.contains("perf_event_paranoid <= 1") && switches.detail.contains("CAP_PERFMON"),
            "{switches:?}"
        );
    } else {
        assert!(switches.available, "{switches:?}");
    }
}

#[test]
fn run_records_counters_everywhere_and_energy_only_from_a_meter() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sensors-run");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("r.json");
    run_latency(&file, &["--quiet"]);
    let doc = load(&file).unwrap();
    let has_meter = doc.sensors.iter().any(|(k, s)| k.starts_with("energy.") && s.available);
    let r = doc.benchmarks.iter().find(|r| r.id == "memory.latency").unwrap();
    assert_eq!(r.status, RecordStatus::Ok);
    let counters = r.counters.as_ref().unwrap();
    assert!(counters.values["task_clock_ns"].count > 0);
    for (name, why) in &counters.unavailable {
        assert!(why.contains("os error"), "{name}: {why}");
    }
    for (key, s) in doc.sensors.iter().filter(|(k, _)| k.starts_with("counters.")) {
        let name = key.trim_start_matches("counters.");
        assert_eq!(s.available, counters.values.contains_key(name), "{key}: {s:?}");
    }
    assert_eq!(r.energy.is_some(), has_meter);
    assert_eq!(r.metrics.iter().any(|m| m.name == "power"), has_meter, "{:?}", r.metrics);
}
