//! `hwbench sensors` on the live machine and on the fixture tree with every
//! sysfs source, and what `run` records here: counters on every record,
//! energy only where a meter works, never estimated.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use hwbench_schema::{load, RecordStatus, SensorStatus};

fn hwbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench")).args(args).env_remove("HWBENCH_SYSFS_ROOT").output().unwrap()
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

#[test]
fn the_fixture_tree_shows_each_sysfs_source() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/powercap/sensors");
    let status = sensors(&["--sysfs-root", root.to_str().unwrap()]);
    let powercap = &status["energy.powercap"];
    assert!(powercap.available);
    assert_eq!(
        powercap.detail,
        "package-0 (component), dram-0 (component), core-0 (subdomain), package-1 (component), core-1 (subdomain), \
         dram-1 (component), psys (system)"
    );
    let hwmon = &status["energy.hwmon"];
    assert_eq!(hwmon.detail, "amdgpu/hwmon0/power1 (component), i915/hwmon1/energy1 (component)");
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

/// As an unprivileged user (paranoid 2 here): own-process counting works,
/// kernel events need a permission, named with the fix.
#[test]
fn an_unprivileged_user_gets_the_permission_to_grant() {
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if !root || Command::new("setpriv").arg("--help").output().is_err() {
        eprintln!("skipped: needs root and setpriv to drop to an unprivileged user");
        return;
    }
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
    let out = hwbench(&[
        "run",
        "memory.latency",
        "--set",
        "bytes=256KiB",
        "--quiet",
        "--idle-seconds",
        "0.5",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
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
