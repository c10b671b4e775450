//! Hardware and software counters of this process around a window, through
//! perf_event_open (perf-event2). Hardware counters (cycles, instructions,
//! LLC misses, dTLB misses) exist where the CPU and kernel expose a PMU;
//! software ones (task clock, page faults, context switches) work
//! everywhere. Events are counted in user space of this process, which the
//! kernel allows up to perf_event_paranoid 2, except context switches,
//! which happen in the kernel and need perf_event_paranoid <= 1 or
//! CAP_PERFMON. Counts are never scaled for multiplexing: each carries the
//! fraction of the window it ran.

use std::collections::BTreeMap;
use std::io;
use std::time::Instant;

use hwbench_schema::{CounterValue, CountersRecord, SensorStatus};
use perf_event::events::{Cache, CacheId, CacheOp, CacheResult, Hardware, Software};
use perf_event::{Builder, Counter};

/// What the counters count, for records.
pub const SCOPE: &str =
    "every thread of the process but the energy poller; user space, except context switches (kernel)";

/// A counter hwbench opens.
#[derive(Debug, Clone, Copy)]
enum Event {
    Hw(Hardware),
    Sw(Software),
    /// Read misses of this cache.
    CacheMiss(CacheId),
}

/// Every counter, by record name, and whether it is counted in the kernel
/// (a context switch never happens in user space). llc_misses is the
/// generic cache-misses event (last-level misses on Intel and most CPUs);
/// dtlb_misses counts dTLB load misses.
const COUNTERS: &[(&str, Event, bool)] = &[
    ("cycles", Event::Hw(Hardware::CPU_CYCLES), false),
    ("instructions", Event::Hw(Hardware::INSTRUCTIONS), false),
    ("llc_misses", Event::Hw(Hardware::CACHE_MISSES), false),
    ("dtlb_misses", Event::CacheMiss(CacheId::DTLB), false),
    ("task_clock_ns", Event::Sw(Software::TASK_CLOCK), false),
    ("page_faults", Event::Sw(Software::PAGE_FAULTS), false),
    ("context_switches", Event::Sw(Software::CONTEXT_SWITCHES), true),
];

fn builder(event: Event) -> Builder<'static> {
    match event {
        Event::Hw(e) => Builder::new(e),
        Event::Sw(e) => Builder::new(e),
        Event::CacheMiss(which) => Builder::new(Cache { which, operation: CacheOp::READ, result: CacheResult::MISS }),
    }
}

/// Opens `event` on thread `tid`, counting the threads it starts later.
fn open(event: Event, kernel: bool, tid: i32) -> io::Result<Counter> {
    builder(event).observe_pid(tid).any_cpu().inherit(true).exclude_kernel(!kernel).build()
}

/// The counters of one window, running.
pub struct CounterSet {
    open: Vec<(&'static str, Vec<Counter>)>,
    unavailable: BTreeMap<String, String>,
    started: Instant,
}

impl CounterSet {
    /// Opens every counter on every thread of this process but `exclude`
    /// and starts them. A counter the kernel refuses is recorded with the
    /// reason.
    pub fn start(exclude: &[i32]) -> Self {
        let tids = threads(exclude);
        let mut open = Vec::new();
        let mut unavailable = BTreeMap::new();
        for &(name, event, kernel) in COUNTERS {
            match open_on(event, kernel, &tids) {
                Ok(counters) => open.push((name, counters)),
                Err(why) => {
                    unavailable.insert(name.to_string(), why);
                }
            }
        }
        let started = Instant::now();
        for (name, counters) in &mut open {
            if let Err(e) = counters.iter_mut().try_for_each(Counter::enable) {
                unavailable.insert(name.to_string(), format!("enable: {e}"));
                counters.clear();
            }
        }
        open.retain(|(_, c)| !c.is_empty());
        CounterSet { open, unavailable, started }
    }

    /// Stops the counters and reads them.
    pub fn stop(mut self) -> CountersRecord {
        let window_s = self.started.elapsed().as_secs_f64();
        let mut values = BTreeMap::new();
        for (name, counters) in &mut self.open {
            match read(counters) {
                Ok(value) => {
                    values.insert(name.to_string(), value);
                }
                Err(e) => {
                    self.unavailable.insert(name.to_string(), format!("read: {e}"));
                }
            }
        }
        CountersRecord {
            window_s,
            scope: SCOPE.into(),
            values,
            derived: BTreeMap::new(),
            unavailable: self.unavailable,
        }
    }
}

/// Opens `event` on each thread; threads that ended meanwhile are skipped.
fn open_on(event: Event, kernel: bool, tids: &[i32]) -> Result<Vec<Counter>, String> {
    let mut counters = Vec::new();
    for &tid in tids {
        match open(event, kernel, tid) {
            Ok(c) => counters.push(c),
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
            Err(e) => return Err(explain_open_error(&e, if kernel { Needs::Kernel } else { Needs::OwnProcess })),
        }
    }
    Ok(counters)
}

/// Sums a counter over its threads; the running fraction is the share of
/// enabled time the PMU actually counted.
fn read(counters: &mut [Counter]) -> io::Result<CounterValue> {
    let (mut count, mut enabled, mut running) = (0u64, 0u64, 0u64);
    for c in counters.iter_mut() {
        c.disable()?;
        let data = c.read_count_and_time()?;
        count += data.count;
        enabled += data.time_enabled;
        running += data.time_running;
    }
    let running_fraction = if enabled == 0 { 1.0 } else { running as f64 / enabled as f64 };
    Ok(CounterValue { count, running_fraction })
}

/// This process's thread ids, the calling thread first, without `exclude`.
fn threads(exclude: &[i32]) -> Vec<i32> {
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    let mut tids = vec![me];
    // /proc/self describes this process, not the machine: always the live /proc.
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        tids.extend(
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter(|t| *t != me && !exclude.contains(t)),
        );
    }
    tids
}

/// Fills the ratios that mean something here: instructions per cycle, and
/// misses per access when the work is counted in accesses. Only counters
/// that ran the whole window are used.
pub fn derive(record: &mut CountersRecord, work: Option<(f64, &str)>) {
    let full = |name: &str| record.values.get(name).filter(|v| v.running_fraction == 1.0).map(|v| v.count as f64);
    let mut derived = BTreeMap::new();
    if let (Some(instructions), Some(cycles)) = (full("instructions"), full("cycles").filter(|&c| c > 0.0)) {
        derived.insert("ipc".to_string(), instructions / cycles);
    }
    if let Some((accesses, "access")) = work.filter(|&(amount, _)| amount > 0.0) {
        for name in ["llc_misses", "dtlb_misses"] {
            if let Some(misses) = full(name) {
                derived.insert(format!("{name}_per_access"), misses / accesses);
            }
        }
    }
    record.derived = derived;
}

/// Adds a later window of the same record: counts and windows add up, the
/// running fractions are weighted by window.
pub fn merge(into: &mut CountersRecord, other: CountersRecord) {
    let total = into.window_s + other.window_s;
    let partial: Vec<String> = into.values.keys().filter(|n| !other.values.contains_key(*n)).cloned().collect();
    for name in partial {
        into.unavailable.entry(name).or_insert_with(|| "not counted in every window of the record".into());
    }
    into.unavailable.extend(other.unavailable);
    for (name, v) in other.values {
        match into.values.get_mut(&name) {
            Some(mine) => {
                let weighted = mine.running_fraction * into.window_s + v.running_fraction * other.window_s;
                mine.running_fraction = if total > 0.0 { weighted / total } else { 1.0 };
                mine.count += v.count;
            }
            None => {
                into.unavailable.entry(name).or_insert_with(|| "not counted in every window of the record".into());
            }
        }
    }
    into.values.retain(|name, _| !into.unavailable.contains_key(name));
    into.window_s = total;
}

/// Whether each counter can be opened for this process, keyed
/// "counters.<name>", for `hwbench sensors`.
pub fn status() -> BTreeMap<String, SensorStatus> {
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    COUNTERS
        .iter()
        .map(|&(name, event, kernel)| {
            let status = match open(event, kernel, me) {
                Ok(_) => SensorStatus {
                    available: true,
                    detail: if kernel { "in the kernel" } else { "in user space" }.into(),
                },
                Err(e) => SensorStatus {
                    available: false,
                    detail: explain_open_error(&e, if kernel { Needs::Kernel } else { Needs::OwnProcess }),
                },
            };
            (format!("counters.{name}"), status)
        })
        .collect()
}

/// What a perf counter asks of the kernel's permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// User space of this process: perf_event_paranoid <= 2.
    OwnProcess,
    /// Kernel events of this process: <= 1 or CAP_PERFMON.
    Kernel,
    /// Every process on a CPU (the energy PMU): <= 0 or CAP_PERFMON.
    SystemWide,
}

/// The errno of a refused perf_event_open, what it means and the fix.
pub(crate) fn explain_open_error(e: &io::Error, needs: Needs) -> String {
    // A fact about the running kernel, never a fixture's.
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let why = match e.raw_os_error() {
        Some(libc::ENOENT | libc::EOPNOTSUPP | libc::ENODEV) => {
            "this CPU or kernel exposes no such event (virtual machines often have no hardware PMU)".to_string()
        }
        Some(libc::EACCES | libc::EPERM) => {
            let (what, level) = match needs {
                Needs::OwnProcess => ("counting this process", 2),
                Needs::Kernel => ("counting kernel events", 1),
                Needs::SystemWide => ("system-wide counters", 0),
            };
            format!(
                "{what} needs perf_event_paranoid <= {level} (it is {paranoid}) or CAP_PERFMON: run as root, \
                 grant it (setcap cap_perfmon+ep hwbench) or set sysctl kernel.perf_event_paranoid={level}"
            )
        }
        Some(libc::ENOSYS) => "the kernel was built without perf events (CONFIG_PERF_EVENTS)".to_string(),
        Some(libc::EINVAL) => "the PMU rejected the event configuration".to_string(),
        _ => "perf_event_open failed".to_string(),
    };
    format!("{e}: {why}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Software counters work everywhere, even with perf_event_paranoid 2
    /// and no PMU: a window with known work must show it.
    /// Maps `n` fresh pages, writes one byte in each (a page fault each)
    /// and unmaps them.
    pub(crate) fn touch_fresh_pages(n: usize) {
        let len = n * 4096;
        // SAFETY: a private anonymous mapping, written within its length,
        // then unmapped.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            for i in 0..n {
                std::ptr::write_volatile((p as *mut u8).add(i * 4096), 1);
            }
            libc::munmap(p, len);
        }
    }

    /// CPU time this thread has used, ns.
    fn thread_cpu_ns() -> u64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes the timespec it is given.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    /// Burns `ns` of this thread's CPU time.
    fn spin_cpu(ns: u64) {
        let start = thread_cpu_ns();
        while thread_cpu_ns() - start < ns {
            std::hint::black_box(0);
        }
    }

    /// Software counters work everywhere, even with perf_event_paranoid 2
    /// and no PMU: a window with known work must show it.
    #[test]
    fn software_counters_see_the_work_of_the_window() {
        let cpu_before = thread_cpu_ns();
        let set = CounterSet::start(&[]);
        // Touch 256 fresh pages (page faults) and burn 30 ms of CPU time.
        touch_fresh_pages(256);
        spin_cpu(30_000_000);
        // Each sleep switches this thread out.
        for _ in 0..5 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let rec = set.stop();
        let used = thread_cpu_ns() - cpu_before;
        // Every thread of the test process is counted: at least this
        // thread's CPU time, at most the window on every CPU.
        let clock = rec.values["task_clock_ns"].count as f64;
        let cpus = std::thread::available_parallelism().unwrap().get() as f64;
        assert!(clock >= 30e6 && clock <= used as f64 + rec.window_s * 1e9 * cpus, "{clock} ns in {} s", rec.window_s);
        assert!(rec.values["page_faults"].count >= 256, "{:?}", rec.values["page_faults"]);
        // Context switches are kernel events: counted where permitted,
        // else refused with the permission to grant.
        match rec.values.get("context_switches") {
            Some(v) => assert!(v.count >= 5, "{v:?}"),
            None => assert!(rec.unavailable["context_switches"].contains("perf_event_paranoid <= 1")),
        }
        for name in COUNTERS.iter().map(|c| c.0) {
            assert!(rec.values.contains_key(name) ^ rec.unavailable.contains_key(name), "{name}");
        }
    }

    #[test]
    fn threads_started_inside_the_window_are_counted() {
        let set = CounterSet::start(&[]);
        std::thread::spawn(|| spin_cpu(40_000_000)).join().unwrap();
        let rec = set.stop();
        assert!(rec.values["task_clock_ns"].count >= 40_000_000, "{:?}", rec.values["task_clock_ns"]);
    }

    fn value(count: u64, running_fraction: f64) -> CounterValue {
        CounterValue { count, running_fraction }
    }

    fn record(values: &[(&str, CounterValue)]) -> CountersRecord {
        CountersRecord {
            window_s: 1.0,
            scope: SCOPE.into(),
            values: values.iter().map(|(n, v)| (n.to_string(), v.clone())).collect(),
            derived: BTreeMap::new(),
            unavailable: BTreeMap::new(),
        }
    }

    #[test]
    fn ratios_use_only_fully_counted_values() {
        let mut rec =
            record(&[("cycles", value(1000, 1.0)), ("instructions", value(2500, 1.0)), ("llc_misses", value(40, 1.0))]);
        derive(&mut rec, Some((200.0, "access")));
        assert_eq!(rec.derived["ipc"], 2.5);
        assert_eq!(rec.derived["llc_misses_per_access"], 0.2);
        derive(&mut rec, Some((1.0, "GB")));
        assert!(!rec.derived.contains_key("llc_misses_per_access"));
        let mut multiplexed = record(&[("cycles", value(1000, 0.5)), ("instructions", value(2500, 1.0))]);
        derive(&mut multiplexed, None);
        assert!(multiplexed.derived.is_empty());
    }

    #[test]
    fn windows_of_one_record_add_up() {
        let mut a = record(&[("cycles", value(100, 1.0)), ("page_faults", value(3, 1.0))]);
        let mut b = record(&[("cycles", value(300, 0.5))]);
        b.window_s = 3.0;
        b.unavailable.insert("page_faults".into(), "gone".into());
        merge(&mut a, b);
        assert_eq!(a.window_s, 4.0);
        assert_eq!(a.values["cycles"], value(400, 0.625));
        assert!(!a.values.contains_key("page_faults"));
        assert_eq!(a.unavailable["page_faults"], "gone");
    }

    #[test]
    fn refusals_are_explained_with_the_errno() {
        let enoent = io::Error::from_raw_os_error(libc::ENOENT);
        assert!(explain_open_error(&enoent, Needs::OwnProcess).contains("os error 2"));
        assert!(explain_open_error(&enoent, Needs::OwnProcess).contains("no hardware PMU"));
        let eacces = io::Error::from_raw_os_error(libc::EACCES);
        assert!(explain_open_error(&eacces, Needs::SystemWide).contains("perf_event_paranoid <= 0"));
        assert!(explain_open_error(&eacces, Needs::Kernel).contains("paranoid=1"));
    }
}
