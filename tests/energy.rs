//! End-to-end energy per operation: `hwbench run memory.bandwidth` and
//! `memory.latency` on a fixture root whose
//! RAPL counters a helper thread advances at known rates (package 40 W with
//! a wrap every half second, DRAM 8 W, cores 25 W inside the package), and
//! domains whose counters cannot be read, or go backwards, left out when
//! the meters are calibrated, with why.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hwbench_schema::{load, Record, RecordStatus, ResultDocument};
use hwbench_suites::memory::chase::LOADS_PER_ITERATION;

/// A RAPL zone of the fixture: its directory, `name`, wrap range and rate.
struct Zone {
    dir: &'static str,
    name: &'static str,
    range_uj: Option<u64>,
    /// What its energy_uj holds: a counter advancing at W watts from a
    /// start value, or fixed text.
    content: Content,
}

enum Content {
    Rate {
        watts: f64,
        start_uj: u64,
    },
    /// Counts down at W watts: a counter going backwards.
    Backwards {
        watts: f64,
        start_uj: u64,
    },
    Text(&'static str),
}

const PACKAGE_WRAP_UJ: u64 = 20_000_000; // 20 J: a wrap every 0.5 s at 40 W

fn package() -> Zone {
    Zone {
        dir: "intel-rapl:0",
        name: "package-0",
        range_uj: Some(PACKAGE_WRAP_UJ),
        content: Content::Rate { watts: 40.0, start_uj: PACKAGE_WRAP_UJ - 5_000_000 },
    }
}

fn dram(content: Content) -> Zone {
    Zone { dir: "intel-rapl:0:0", name: "dram", range_uj: Some(65_712_999_613), content }
}

fn cores() -> Zone {
    Zone {
        dir: "intel-rapl:0:1",
        name: "core",
        range_uj: Some(262_143_328_850),
        content: Content::Rate { watts: 25.0, start_uj: 1_000_000 },
    }
}

/// The fixture machine (cpus 0-1, one node) copied to a fresh directory
/// with the zones added. In memory (tmpfs) where there is one: a rename
/// held up by a disk busy with builds would freeze the counter past a wrap.
fn fixture(name: &str, zones: &[Zone]) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() { shm } else { Path::new(env!("CARGO_TARGET_TMPDIR")) };
    let root = base.join(format!("hwbench-energy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/powercap/machine"), &root);
    for z in zones {
        let dir = root.join("sys/class/powercap").join(z.dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("name"), format!("{}\n", z.name)).unwrap();
        if let Some(range) = z.range_uj {
            std::fs::write(dir.join("max_energy_range_uj"), format!("{range}\n")).unwrap();
        }
    }
    root
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Rewrites every zone's energy_uj every millisecond from the time elapsed, as
/// the hardware counter would read; counts the package's wraps and keeps
/// the longest gap between two writes.
struct Writer {
    stop: Arc<AtomicBool>,
    wraps: Arc<AtomicU32>,
    longest_gap: Arc<Mutex<Duration>>,
    thread: Option<JoinHandle<()>>,
}

/// What the writer did.
#[derive(Debug)]
struct Written {
    /// Times the package counter wrapped.
    wraps: u32,
    /// The longest time the counters stood still.
    longest_gap: Duration,
}

impl Writer {
    fn start(root: &Path, zones: Vec<Zone>) -> Writer {
        let (stop, wraps) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU32::new(0)));
        let (root, stop2, wraps2) = (root.to_path_buf(), Arc::clone(&stop), Arc::clone(&wraps));
        let write_all = move |t: f64, last_package: &mut u64| {
            for z in &zones {
                let text = match z.content {
                    Content::Rate { watts, start_uj } => {
                        let uj = start_uj + (watts * t * 1e6) as u64;
                        let value = z.range_uj.map_or(uj, |r| uj % r);
                        if z.name.starts_with("package") {
                            if value < *last_package {
                                wraps2.fetch_add(1, Ordering::Relaxed);
                            }
                            *last_package = value;
                        }
                        value.to_string()
                    }
                    Content::Backwards { watts, start_uj } => {
                        start_uj.saturating_sub((watts * t * 1e6) as u64).to_string()
                    }
                    Content::Text(text) => text.to_string(),
                };
                // Written aside and renamed: a reader never sees half a value.
                let dir = root.join("sys/class/powercap").join(z.dir);
                std::fs::write(dir.join("energy_uj.new"), format!("{text}\n")).unwrap();
                std::fs::rename(dir.join("energy_uj.new"), dir.join("energy_uj")).unwrap();
            }
        };
        let start = Instant::now();
        let mut last = 0;
        write_all(0.0, &mut last);
        let longest_gap = Arc::new(Mutex::new(Duration::ZERO));
        let gap = Arc::clone(&longest_gap);
        let thread = std::thread::spawn(move || {
            realtime();
            let mut previous = start;
            while !stop2.load(Ordering::Relaxed) {
                let now = Instant::now();
                write_all((now - start).as_secs_f64(), &mut last);
                let mut longest = gap.lock().unwrap();
                *longest = (*longest).max(now - previous);
                drop(longest);
                previous = now;
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        Writer { stop, wraps, longest_gap, thread: Some(thread) }
    }

    fn stop(mut self) -> Written {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        Written { wraps: self.wraps.load(Ordering::Relaxed), longest_gap: *self.longest_gap.lock().unwrap() }
    }
}

/// Puts the calling thread in the real-time class (where permitted: as
/// root, as tests run here): a counter written late by a thread starved
/// behind busy benchmark threads and builds would read as missing energy.
fn realtime() {
    let me = std::fs::read_link("/proc/thread-self").unwrap();
    let tid = me.file_name().unwrap().to_str().unwrap().to_string();
    let _ = Command::new("chrt").args(["--fifo", "--pid", "10", &tid]).output();
}

/// One run at a time: a writer starved of CPU by a parallel run would lag
/// behind the clock it writes for.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn hwbench(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(args)
        .arg("--sysfs-root")
        .arg(root)
        .env_remove("HWBENCH_SYSFS_ROOT")
        .output()
        .unwrap()
}

/// Runs `bench` with `settings` on the fixture while the writer runs;
/// returns the document, its one measured record, and what was written.
fn run(
    name: &str,
    zones: Vec<Zone>,
    bench: &str,
    settings: &[&str],
    idle_seconds: &str,
) -> (ResultDocument, Record, Written) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let root = fixture(name, &zones);
    let out = root.join("result.json");
    let writer = Writer::start(&root, zones);
    let mut args = vec!["run", bench, "--idle-seconds", idle_seconds, "--quiet", "--out", out.to_str().unwrap()];
    for s in settings {
        args.extend(["--set", s]);
    }
    let status = hwbench(&root, &args);
    let written = writer.stop();
    let doc = load(&out);
    std::fs::remove_dir_all(&root).unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let doc = doc.unwrap();
    // A counter frozen for half a wrap period could hide a whole wrap.
    assert!(written.longest_gap < Duration::from_millis(250), "the fixture writer stalled: {written:?}");
    let record = doc.benchmarks.iter().find(|r| r.id == bench).unwrap().clone();
    assert_eq!(record.status, RecordStatus::Ok, "{:?}", record.reason);
    (doc, record, written)
}

fn run_latency(name: &str, zones: Vec<Zone>) -> Record {
    run(name, zones, "memory.latency", &["bytes=1MiB"], "0").1
}

/// The work of every run of a sampling window of whole samples (bytes of
/// memory.bandwidth): the kept samples and the dropped warm-up one.
fn window_work(r: &Record, per_sample: f64, headline: &str) -> f64 {
    let samples = r.metrics.iter().find(|m| m.name == headline).unwrap().samples.len();
    per_sample * (samples + 1) as f64
}

fn within(value: f64, expected: f64, fraction: f64) -> bool {
    (value - expected).abs() <= expected.abs() * fraction
}

fn metric(r: &Record, name: &str) -> (f64, String) {
    let m = r.metrics.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no {name}: {:?}", r.metrics));
    (m.value, m.unit.clone())
}

#[test]
fn rapl_power_and_joules_per_gb_of_memory_bandwidth_match_the_rates_written() {
    let zones = vec![package(), dram(Content::Rate { watts: 8.0, start_uj: 0 }), cores()];
    let (doc, r, written) = run("bandwidth", zones, "memory.bandwidth", &["kernel=triad", "bytes=16MiB"], "1");
    assert!(written.wraps >= 2, "{written:?}");
    assert!(doc.sensors["energy.powercap"].available, "{:?}", doc.sensors["energy.powercap"]);
    let energy = r.energy.as_ref().unwrap();
    assert!(energy.errors.is_empty(), "{:?}", energy.errors);
    assert_eq!(energy.summed, ["package-0", "dram-0"]);
    assert!(energy.window_s >= 0.1, "window {} s", energy.window_s);

    // Package + DRAM, never the cores inside the package.
    let (power, unit) = metric(&r, "power");
    assert_eq!(unit, "W");
    assert!(within(power, 48.0, 0.03), "power {power} W");
    let core = energy.domains.iter().find(|d| d.name == "core-0").unwrap();
    assert!(within(core.watts, 25.0, 0.03), "cores {} W", core.watts);
    let (joules, _) = metric(&r, "energy");
    assert!(within(joules, power * energy.window_s, 1e-9));

    // J/GB: the window's joules (power x time) over the bytes it moved.
    let per_sample = r.info["bytes_per_pass"].as_f64().unwrap() * r.info["passes_per_sample"].as_f64().unwrap();
    let gb = window_work(&r, per_sample, "bandwidth") / 1e9;
    let (per_gb, unit) = metric(&r, "energy_per_op");
    assert_eq!(unit, "J/GB");
    assert!(
        within(per_gb, power * energy.window_s / gb, 1e-9),
        "{per_gb} J/GB vs {power} W x {} s / {gb} GB",
        energy.window_s
    );

    // Idle was measured on the same 48 W: net of idle, almost nothing.
    let idle = energy.idle_power_w.unwrap();
    assert!(within(idle, 48.0, 0.03), "idle {idle} W");
    let (net, _) = metric(&r, "power_net");
    assert!(net.abs() <= 48.0 * 0.03 * 2.0, "net power {net} W");
    assert_eq!(metric(&r, "energy_per_op_net").1, "J/GB");
    assert!(r.counters.as_ref().unwrap().values["task_clock_ns"].count > 0);
}

#[test]
fn energy_per_access_of_memory_latency_is_nanojoules_per_load() {
    let r = run_latency("latency", vec![package(), dram(Content::Rate { watts: 8.0, start_uj: 0 })]);
    let (power, _) = metric(&r, "power");
    assert!(within(power, 48.0, 0.03), "power {power} W");
    // The window ran every slice, those set aside for time off the CPU too.
    let slices = &r.info["descheduling"];
    let per_slice = slices["slice_iterations"].as_f64().unwrap() * LOADS_PER_ITERATION as f64;
    let loads = slices["slices"].as_f64().unwrap() * per_slice;
    let (joules, _) = metric(&r, "energy");
    let (per_access, unit) = metric(&r, "energy_per_op");
    assert_eq!(unit, "nJ/access");
    assert!(within(per_access, joules / loads * 1e9, 1e-9), "{per_access} nJ vs {joules} J / {loads} loads");
    assert!(!r.metrics.iter().any(|m| m.name.ends_with("_net")), "no idle was measured");
}

/// A domain that cannot be read while the meters are calibrated never
/// proved it counts: it is left out (the sensor status says why), the run
/// goes on, and the record sums what was proved, saying which.
#[test]
fn unreadable_dram_content_is_left_out_at_calibration_and_the_run_goes_on() {
    let (doc, r, _) = run("empty", vec![package(), dram(Content::Text(""))], "memory.latency", &["bytes=1MiB"], "0");
    let powercap = &doc.sensors["energy.powercap"];
    assert!(powercap.available, "{powercap:?}");
    assert!(powercap.detail.starts_with("package-0 (component) "), "{powercap:?}");
    assert!(
        powercap.detail.contains("; left out: dram-0: ") && powercap.detail.contains("cannot parse \"\""),
        "{powercap:?}"
    );
    assert!(r.metrics.iter().any(|m| m.name == "latency"));
    let energy = r.energy.as_ref().unwrap();
    assert!(energy.errors.is_empty(), "{:?}", energy.errors);
    assert_eq!(energy.summed, ["package-0"]);
    assert!(energy.domains.iter().all(|d| d.name != "dram-0"), "{:?}", energy.domains);
    let (power, _) = metric(&r, "power");
    assert!(within(power, 40.0, 0.03), "power {power} W");
}

#[test]
fn a_counter_going_backwards_without_a_wrap_range_is_left_out_at_calibration() {
    let uncore = Zone {
        dir: "intel-rapl:0:2",
        name: "uncore",
        range_uj: None,
        content: Content::Backwards { watts: 5.0, start_uj: 900_000_000 },
    };
    let zones = vec![package(), dram(Content::Rate { watts: 8.0, start_uj: 0 }), uncore];
    let (doc, r, _) = run("backwards", zones, "memory.latency", &["bytes=1MiB"], "0");
    let powercap = &doc.sensors["energy.powercap"];
    assert!(powercap.detail.contains("; left out: uncore-0: counter went backwards"), "{powercap:?}");
    let energy = r.energy.as_ref().unwrap();
    assert!(energy.domains.iter().all(|d| d.name != "uncore-0"), "{:?}", energy.domains);
    assert_eq!(energy.summed, ["package-0", "dram-0"]);
    let (power, _) = metric(&r, "power");
    assert!(within(power, 48.0, 0.03), "power {power} W");
}
