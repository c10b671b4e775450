//! A meter proves that it counts before any of its figures is used
//! (docs/METHODS.md, "Energy per operation"): a perf power PMU in a KVM
//! guest, a stale hwmon file or a stuck NVML reading exist and read, but
//! count nothing, and would put 0 W (or a frozen figure) on every record.
//!
//! Every source found is read over one calibration window with every CPU
//! the process may use kept busy. A domain counts when its counter advanced
//! (or its power reading changed) and its mean power is plausible for one
//! domain; the others are left out with why. A source with no domain that
//! counts is unavailable.

use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::window::{DomainResult, EnergyMeters};
use super::{Meter, Reading, Source};
use crate::SysRoot;

/// How long the meters are watched with the CPUs busy (longer when a meter
/// is polled slowly: three of its reads at least).
pub const CALIBRATION: Duration = Duration::from_secs(1);

/// Mean power one domain may plausibly draw, W: from an idle integrated
/// GPU in its deepest power state (milliwatts) to a whole node read
/// through its BMC (kilowatts).
pub const PLAUSIBLE_WATTS: RangeInclusive<f64> = 0.001..=10_000.0;

/// What the calibration found for one source.
pub struct Proof {
    /// The source with only the domains that counted; why not when none did.
    pub source: Result<Source, String>,
    /// Each domain kept, with its mean power ("package-0 (component) 41.2 W"),
    /// then what was left out and why.
    pub detail: String,
}

/// Reads `sources` over one calibration window with every allowed CPU busy
/// and keeps, of each, the domains that counted. `root` tells whether the
/// machine is a virtual one (its cpuinfo's `hypervisor` flag), for the
/// reason given.
pub fn prove(sources: Vec<Source>, root: &SysRoot) -> Vec<Proof> {
    if sources.is_empty() {
        return Vec::new();
    }
    let length = window_length(&sources);
    let meters = EnergyMeters::new(sources);
    let cpus = allowed_cpus();
    let window = meters.start();
    let busy = Busy::start(&cpus);
    std::thread::sleep(length);
    let measured = window.stop();
    busy.stop();
    let conditions =
        Conditions { seconds: measured.window.as_secs_f64(), cpus: cpus.len(), virtual_machine: virtual_machine(root) };
    let mut results = measured.domains.into_iter();
    meters
        .into_sources()
        .into_iter()
        .map(|source| {
            let domains: Vec<DomainResult> = results.by_ref().take(source.domains.len()).collect();
            judge(source, &domains, &conditions)
        })
        .collect()
}

/// How long the calibration window of `sources` lasts: [`CALIBRATION`],
/// or three polls of the slowest meter when that is longer.
pub fn window_length(sources: &[Source]) -> Duration {
    let slowest = sources.iter().map(|s| s.meter.poll_interval()).max().unwrap_or_default();
    CALIBRATION.max(slowest * 3)
}

/// What the calibration window was.
struct Conditions {
    seconds: f64,
    cpus: usize,
    virtual_machine: bool,
}

impl Conditions {
    /// "over 1.0 s with both allowed CPUs busy".
    fn window(&self) -> String {
        let cpus = match self.cpus {
            1 => "the one allowed CPU".to_string(),
            2 => "both allowed CPUs".to_string(),
            n => format!("all {n} allowed CPUs"),
        };
        format!("over {:.1} s with {cpus} busy", self.seconds)
    }
}

/// One domain's verdict: its mean power, or why it is left out.
fn verdict(d: &DomainResult, c: &Conditions) -> Result<f64, String> {
    let joules = d.joules.clone()?;
    let watts = joules / c.seconds;
    if d.still {
        let (what, cause) = if joules == 0.0 {
            ("counter", format!("counted no energy {}", c.window()))
        } else {
            ("reading", format!("read a constant {watts:.1} W {}", c.window()))
        };
        return Err(if c.virtual_machine {
            format!("{cause}: this hypervisor does not pass the {what} through")
        } else {
            format!("{cause}: the {what} is there but does not count (firmware or driver)")
        });
    }
    if !PLAUSIBLE_WATTS.contains(&watts) {
        return Err(format!(
            "read {watts:.6} W {}, outside the {} W to {} W one domain can draw",
            c.window(),
            PLAUSIBLE_WATTS.start(),
            PLAUSIBLE_WATTS.end()
        ));
    }
    Ok(watts)
}

/// Keeps the domains of `source` that counted.
fn judge(source: Source, measured: &[DomainResult], c: &Conditions) -> Proof {
    let verdicts: Vec<Result<f64, String>> = measured.iter().map(|d| verdict(d, c)).collect();
    let kept: Vec<String> = source
        .domains
        .iter()
        .zip(&verdicts)
        .filter_map(|(d, v)| Some(format!("{} ({}) {:.1} W", d.name, super::role_name(d.role), v.as_ref().ok()?)))
        .collect();
    let left_out = grouped(source.domains.iter().map(|d| d.name.as_str()).zip(&verdicts));
    if kept.is_empty() {
        return Proof { source: Err(left_out.clone()), detail: left_out };
    }
    let mut detail = format!("{}, {}", kept.join(", "), c.window());
    if !left_out.is_empty() {
        detail.push_str(&format!("; left out: {left_out}"));
    }
    let keep: Vec<bool> = verdicts.iter().map(Result::is_ok).collect();
    let domains = source.domains.into_iter().zip(&keep).filter(|(_, &k)| k).map(|(d, _)| d).collect();
    let meter = Box::new(Kept { meter: source.meter, keep });
    Proof { source: Ok(Source { name: source.name, domains, meter }), detail }
}

/// "package-0, dram-0: why; psys: why else", domains with the same reason
/// together, in their order.
fn grouped<'a>(verdicts: impl Iterator<Item = (&'a str, &'a Result<f64, String>)>) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, why) in verdicts.filter_map(|(n, v)| Some((n, v.as_ref().err()?.as_str()))) {
        match groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, names)) => names.push(name),
            None => groups.push((why, vec![name])),
        }
    }
    groups.iter().map(|(why, names)| format!("{}: {why}", names.join(", "))).collect::<Vec<_>>().join("; ")
}

/// A meter read with the domains that did not count left out.
struct Kept {
    meter: Box<dyn Meter>,
    keep: Vec<bool>,
}

impl Meter for Kept {
    fn read(&mut self) -> Vec<Result<Reading, String>> {
        self.meter.read().into_iter().zip(&self.keep).filter(|(_, &k)| k).map(|(r, _)| r).collect()
    }

    fn poll_interval(&self) -> Duration {
        self.meter.poll_interval()
    }
}

/// True when the machine's cpuinfo carries the `hypervisor` flag.
fn virtual_machine(root: &SysRoot) -> bool {
    root.read("/proc/cpuinfo").is_ok_and(|text| {
        text.lines().filter(|l| l.starts_with("flags")).any(|l| l.split_whitespace().any(|f| f == "hypervisor"))
    })
}

/// The CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is valid; sched_getaffinity fills it.
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return vec![0];
        }
        set
    };
    // SAFETY: CPU_ISSET reads the set within its size.
    (0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect()
}

/// One spinning thread pinned to each CPU, until stopped.
struct Busy {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Busy {
    fn start(cpus: &[usize]) -> Busy {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = cpus
            .iter()
            .map(|&cpu| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    pin(cpu);
                    let mut x = 1.0f64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..10_000 {
                            x = std::hint::black_box(x * 1.000_000_1 + 1e-9);
                        }
                    }
                })
            })
            .collect();
        Busy { stop, threads }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Pins the calling thread to `cpu` (left unpinned when refused).
fn pin(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t with one CPU set is valid.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use hwbench_schema::DomainRole;

    use super::*;
    use crate::energy::{hwmon, powercap, Domain};

    fn result(name: &str, joules: Result<f64, &str>, still: bool) -> DomainResult {
        DomainResult {
            domain: Domain::new(name, DomainRole::Component),
            source: "powercap",
            joules: joules.map_err(str::to_string),
            still,
        }
    }

    const VM: Conditions = Conditions { seconds: 1.0, cpus: 2, virtual_machine: true };

    #[test]
    fn a_still_counter_a_frozen_reading_and_implausible_power_are_left_out() {
        assert_eq!(verdict(&result("p", Ok(40.0), false), &VM), Ok(40.0));
        assert_eq!(
            verdict(&result("p", Ok(0.0), true), &VM).unwrap_err(),
            "counted no energy over 1.0 s with both allowed CPUs busy: this hypervisor does not pass the counter through"
        );
        let frozen = verdict(&result("p", Ok(35.0), true), &Conditions { virtual_machine: false, cpus: 8, ..VM });
        assert_eq!(
            frozen.unwrap_err(),
            "read a constant 35.0 W over 1.0 s with all 8 allowed CPUs busy: the reading is there but does not count \
             (firmware or driver)"
        );
        let tiny = verdict(&result("p", Ok(1e-6), false), &VM).unwrap_err();
        assert!(tiny.starts_with("read 0.000001 W over 1.0 s") && tiny.contains("0.001 W to 10000 W"), "{tiny}");
        assert!(verdict(&result("p", Ok(50_000.0), false), &VM).is_err());
        assert_eq!(verdict(&result("p", Err("cannot parse"), false), &VM), Err("cannot parse".into()));
    }

    #[test]
    fn domains_left_out_for_the_same_reason_are_named_together() {
        let (a, b): (Result<f64, String>, Result<f64, String>) = (Err("why".into()), Err("other".into()));
        let ok = Ok(1.0);
        let text = grouped([("pkg", &a), ("core", &ok), ("dram", &a), ("psys", &b)].into_iter());
        assert_eq!(text, "pkg, dram: why; psys: other");
    }

    fn tree(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("hwbench-liveness-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        root
    }

    fn write(root: &Path, file: &str, content: &str) {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path.with_extension("new"), content).unwrap();
        std::fs::rename(path.with_extension("new"), path).unwrap();
    }

    /// A package counter that advances while calibrating is kept with its
    /// power; a DRAM counter that stands still is left out, with why.
    #[test]
    fn a_source_keeps_the_domains_that_counted() {
        let root = tree("partial");
        for (zone, name) in [("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram")] {
            write(&root, &format!("sys/class/powercap/{zone}/name"), name);
            write(&root, &format!("sys/class/powercap/{zone}/energy_uj"), "1000");
        }
        let source = powercap::discover(&SysRoot::new(&root)).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let advancing = {
            let (root, stop) = (root.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut uj = 1000u64;
                while !stop.load(Ordering::Relaxed) {
                    uj += 10_000; // 10 mJ a millisecond or so: about 10 W
                    write(&root, "sys/class/powercap/intel-rapl:0/energy_uj", &uj.to_string());
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        };
        let mut proofs = prove(vec![source], &SysRoot::new(&root));
        stop.store(true, Ordering::Relaxed);
        advancing.join().unwrap();
        let proof = proofs.remove(0);
        let mut source = proof.source.unwrap();
        assert_eq!(source.domains, [Domain::new("package-0", DomainRole::Component)]);
        assert_eq!(source.meter.read().len(), 1);
        assert!(proof.detail.starts_with("package-0 (component) "), "{}", proof.detail);
        assert!(
            proof.detail.ends_with(": the counter is there but does not count (firmware or driver)")
                && proof.detail.contains("; left out: dram-0: counted no energy over "),
            "{}",
            proof.detail
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    /// A power file that never changes is no meter; on a virtual machine
    /// the reason names the hypervisor.
    #[test]
    fn a_constant_power_reading_makes_the_source_unavailable() {
        let root = tree("constant");
        write(&root, "sys/class/hwmon/hwmon0/name", "amdgpu");
        write(&root, "sys/class/hwmon/hwmon0/power1_average", "35000000");
        write(&root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu sse2 hypervisor avx\n");
        let source = hwmon::discover(&SysRoot::new(&root)).unwrap();
        let proof = prove(vec![source], &SysRoot::new(&root)).remove(0);
        let why = proof.source.err().unwrap();
        assert!(why.starts_with("amdgpu/hwmon0/power1: read a constant 35.0 W over "), "{why}");
        assert!(why.ends_with("busy: this hypervisor does not pass the reading through"), "{why}");
        assert_eq!(proof.detail, why);
        std::fs::remove_dir_all(root).unwrap();
    }
}
