//! Evidence of interference around a measurement window (METHODS.md,
//! "Statistics and comparison"): steal time, involuntary context switches
//! of this process, runnable tasks beside it, CPU frequency and thermal
//! throttling. A [`Watch`] is started with the window, shown the machine
//! between the window's runs ([`Watch::observe`]) and finished with it;
//! what cannot be read here is said in `unavailable`, never guessed.

use std::collections::BTreeMap;
use std::time::Instant;

use hwbench_schema::Interference;

use crate::SysRoot;

/// Steal over this percentage of the window's CPU time flags a record.
pub const MAX_STEAL_PERCENT: f64 = 2.0;
/// More involuntary context switches than this per second of window flag
/// a record: the kernel kept preempting the benchmark for someone else.
pub const MAX_SWITCHES_PER_SECOND: f64 = 20.0;

/// What can be read of the machine at one moment.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    /// (steal, all) jiffies of the aggregate `cpu` line of /proc/stat.
    cpu_time: Option<(u64, u64)>,
    involuntary_switches: Option<u64>,
    throttle_events: Option<u64>,
}

/// Reads interference evidence of the machine under `root`.
#[derive(Debug, Clone)]
pub struct InterferenceProbe {
    root: SysRoot,
    cpus: Vec<u32>,
}

impl InterferenceProbe {
    /// A probe of the machine under `root` whose CPUs are `cpus` (OS indices).
    pub fn new(root: SysRoot, cpus: Vec<u32>) -> Self {
        InterferenceProbe { root, cpus }
    }

    /// Starts watching a window.
    pub fn start(&self) -> Watch<'_> {
        let mut unavailable = BTreeMap::new();
        let start = self.snapshot(&mut unavailable);
        let mut watch =
            Watch { probe: self, start, started: Instant::now(), runnable_max: None, mhz: None, unavailable };
        watch.observe();
        watch
    }

    fn snapshot(&self, unavailable: &mut BTreeMap<String, String>) -> Snapshot {
        let stat = self.root.read("/proc/stat");
        let cpu_time = match &stat {
            Ok(text) => parse_cpu_time(text),
            Err(e) => {
                unavailable.insert("steal_percent".into(), e.to_string());
                None
            }
        };
        if stat.is_ok() && cpu_time.is_none() {
            unavailable.insert("steal_percent".into(), "/proc/stat has no aggregate cpu line with steal".into());
        }
        Snapshot {
            cpu_time,
            involuntary_switches: involuntary_switches(unavailable),
            throttle_events: self.throttle_events(unavailable),
        }
    }

    /// Thermal throttling events of every CPU so far (Intel's
    /// thermal_throttle counters; absent elsewhere).
    fn throttle_events(&self, unavailable: &mut BTreeMap<String, String>) -> Option<u64> {
        let mut total = None;
        for cpu in &self.cpus {
            for kind in ["core_throttle_count", "package_throttle_count"] {
                let path = format!("/sys/devices/system/cpu/cpu{cpu}/thermal_throttle/{kind}");
                if let Ok(n) = self.root.parse::<u64>(&path) {
                    *total.get_or_insert(0) += n;
                }
            }
        }
        if total.is_none() {
            unavailable.insert(
                "throttle_events".into(),
                "no /sys/devices/system/cpu/cpuN/thermal_throttle counters (not exposed on this CPU or hypervisor)"
                    .into(),
            );
        }
        total
    }

    /// Lowest and highest current frequency of the CPUs, MHz.
    fn frequency_range(&self) -> Option<[f64; 2]> {
        let khz: Vec<f64> = self
            .cpus
            .iter()
            .filter_map(|cpu| {
                self.root.parse::<f64>(&format!("/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_cur_freq")).ok()
            })
            .collect();
        let low = khz.iter().copied().fold(f64::INFINITY, f64::min);
        let high = khz.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (!khz.is_empty()).then_some([low / 1e3, high / 1e3])
    }
}

/// An open watch over one window.
#[derive(Debug)]
pub struct Watch<'a> {
    probe: &'a InterferenceProbe,
    start: Snapshot,
    started: Instant,
    runnable_max: Option<u32>,
    mhz: Option<[f64; 2]>,
    unavailable: BTreeMap<String, String>,
}

impl Watch<'_> {
    /// Looks at the machine now: runnable tasks and CPU frequency. Called
    /// between the window's runs, when the benchmark's own workers rest.
    pub fn observe(&mut self) {
        match self.probe.root.read("/proc/stat").ok().as_deref().and_then(parse_procs_running) {
            Some(n) => self.runnable_max = Some(self.runnable_max.map_or(n, |m| m.max(n))),
            None => {
                self.unavailable.insert("runnable_max".into(), "/proc/stat has no procs_running line".into());
            }
        }
        if let Some([low, high]) = self.probe.frequency_range() {
            self.mhz = Some(self.mhz.map_or([low, high], |[l, h]| [l.min(low), h.max(high)]));
        }
    }

    /// Ends the watch: the figures over the window, flagged against the limits.
    pub fn finish(mut self) -> Interference {
        self.observe();
        let window_s = self.started.elapsed().as_secs_f64();
        let end = self.probe.snapshot(&mut self.unavailable);
        if self.mhz.is_none() {
            self.unavailable.insert(
                "cpu_mhz".into(),
                "no cpufreq scaling_cur_freq (no cpufreq driver, common in virtual machines)".into(),
            );
        }
        let steal_percent = match (self.start.cpu_time, end.cpu_time) {
            (Some((s0, t0)), Some((s1, t1))) if t1 > t0 => {
                Some(s1.saturating_sub(s0) as f64 * 100.0 / (t1 - t0) as f64)
            }
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        let delta = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?));
        let mut interference = Interference {
            window_s,
            steal_percent,
            involuntary_switches: delta(self.start.involuntary_switches, end.involuntary_switches),
            runnable_max: self.runnable_max,
            cpus: Some(self.probe.cpus.len() as u32),
            cpu_mhz: self.mhz,
            throttle_events: delta(self.start.throttle_events, end.throttle_events),
            flagged: false,
            reasons: Vec::new(),
            unavailable: self.unavailable,
        };
        flag(&mut interference);
        interference
    }
}

/// Applies the limits: sets `flagged` and says which figures crossed them.
pub fn flag(i: &mut Interference) {
    let mut reasons = Vec::new();
    if let Some(steal) = i.steal_percent.filter(|&s| s > MAX_STEAL_PERCENT) {
        reasons.push(format!("steal {steal:.1}% of CPU time (limit {MAX_STEAL_PERCENT}%)"));
    }
    if let Some(n) = i.involuntary_switches {
        let rate = n as f64 / i.window_s.max(1e-9);
        if rate > MAX_SWITCHES_PER_SECOND {
            reasons.push(format!(
                "{n} involuntary context switches in {:.2} s ({rate:.0}/s, limit {MAX_SWITCHES_PER_SECOND}/s)",
                i.window_s
            ));
        }
    }
    if let (Some(runnable), Some(cpus)) = (i.runnable_max, i.cpus) {
        if runnable > cpus {
            reasons.push(format!("{runnable} runnable tasks on {cpus} CPUs"));
        }
    }
    if let Some(n) = i.throttle_events.filter(|&n| n > 0) {
        reasons.push(format!("{n} thermal throttling events"));
    }
    i.flagged = !reasons.is_empty();
    i.reasons = reasons;
}

/// The evidence of several windows of one record, taken together.
pub fn merge(into: &mut Interference, other: Interference) {
    let window = into.window_s + other.window_s;
    // Steal is a share of time: weight each window by its length.
    into.steal_percent = match (into.steal_percent, other.steal_percent) {
        (Some(a), Some(b)) if window > 0.0 => Some((a * into.window_s + b * other.window_s) / window),
        (a, b) => a.or(b),
    };
    let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    };
    into.involuntary_switches = add(into.involuntary_switches, other.involuntary_switches);
    into.throttle_events = add(into.throttle_events, other.throttle_events);
    into.runnable_max = into.runnable_max.max(other.runnable_max);
    into.cpus = into.cpus.or(other.cpus);
    into.cpu_mhz = match (into.cpu_mhz, other.cpu_mhz) {
        (Some([l1, h1]), Some([l2, h2])) => Some([l1.min(l2), h1.max(h2)]),
        (a, b) => a.or(b),
    };
    into.unavailable.extend(other.unavailable);
    into.window_s = window;
    flag(into);
}

/// (steal, total) jiffies from the aggregate `cpu` line of /proc/stat:
/// user nice system idle iowait irq softirq steal (guest time is already
/// inside user and nice).
fn parse_cpu_time(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line.split_whitespace().skip(1).map(|f| f.parse().ok()).collect::<Option<_>>()?;
    let counted = fields.get(..8)?;
    Some((counted[7], counted.iter().sum()))
}

/// Tasks runnable now, from the `procs_running` line of /proc/stat.
fn parse_procs_running(stat: &str) -> Option<u32> {
    stat.lines().find_map(|l| l.strip_prefix("procs_running "))?.trim().parse().ok()
}

/// Involuntary context switches of this process so far, every thread
/// counted, finished ones included (getrusage).
fn involuntary_switches(unavailable: &mut BTreeMap<String, String>) -> Option<u64> {
    // SAFETY: getrusage fills a plain struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        let e = std::io::Error::last_os_error();
        unavailable.insert("involuntary_switches".into(), format!("getrusage: {e}"));
        return None;
    }
    u64::try_from(usage.ru_nivcsw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str =
        "cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 18 0 0\nintr 1\nprocs_running 3\nprocs_blocked 0\n";

    #[test]
    fn steal_and_runnable_tasks_are_read_from_proc_stat() {
        assert_eq!(parse_cpu_time(STAT), Some((35, 1000)));
        assert_eq!(parse_procs_running(STAT), Some(3));
        assert_eq!(parse_cpu_time("cpu0 1 2 3\n"), None);
        assert_eq!(parse_procs_running("cpu 1 2\n"), None);
    }

    fn evidence(window_s: f64, steal: f64, switches: u64, runnable: u32) -> Interference {
        let mut i = Interference {
            window_s,
            steal_percent: Some(steal),
            involuntary_switches: Some(switches),
            runnable_max: Some(runnable),
            cpus: Some(2),
            ..Interference::default()
        };
        flag(&mut i);
        i
    }

    #[test]
    fn each_limit_flags_and_says_why() {
        assert!(!evidence(1.0, 0.5, 3, 2).flagged);
        let stolen = evidence(1.0, 7.5, 3, 2);
        assert!(stolen.flagged && stolen.reasons[0].starts_with("steal 7.5%"), "{:?}", stolen.reasons);
        let preempted = evidence(0.5, 0.0, 40, 2);
        assert!(preempted.reasons[0].contains("80/s"), "{:?}", preempted.reasons);
        let crowded = evidence(1.0, 0.0, 0, 5);
        assert_eq!(crowded.reasons, vec!["5 runnable tasks on 2 CPUs".to_string()]);
    }

    #[test]
    fn windows_merge_weighting_steal_by_time() {
        let mut a = evidence(1.0, 0.0, 5, 1);
        merge(&mut a, evidence(3.0, 4.0, 10, 3));
        assert_eq!(a.window_s, 4.0);
        assert_eq!(a.steal_percent, Some(3.0));
        assert_eq!(a.involuntary_switches, Some(15));
        assert_eq!(a.runnable_max, Some(3));
        assert!(a.flagged, "steal 3% over the two windows: {:?}", a.reasons);
    }

    /// On this machine: a watch over a short busy window reads /proc/stat
    /// and getrusage (both exist on every Linux), and counts this process.
    #[test]
    fn a_live_watch_reads_proc_stat_and_getrusage() {
        let probe = InterferenceProbe::new(SysRoot::default(), crate::binding::allowed_cpus());
        let watch = probe.start();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        let i = watch.finish();
        assert!(i.steal_percent.is_some_and(|s| (0.0..=100.0).contains(&s)), "{i:?}");
        assert!(i.involuntary_switches.is_some(), "{i:?}");
        assert!(i.runnable_max.is_some_and(|n| n >= 1), "this thread is runnable: {i:?}");
        assert!(i.window_s > 0.0);
    }

    /// Under a fixture root without /proc, each figure says why it is missing.
    #[test]
    fn a_fixture_root_without_proc_says_why() {
        let root = SysRoot::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/sysfs/two-socket-cxl"));
        let probe = InterferenceProbe::new(root, vec![0, 1]);
        let i = probe.start().finish();
        assert_eq!(i.steal_percent, None);
        assert!(i.unavailable.contains_key("steal_percent"), "{:?}", i.unavailable);
        assert!(i.unavailable.contains_key("runnable_max"), "{:?}", i.unavailable);
    }
}
