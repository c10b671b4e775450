//! A measurement window over every meter: read at start, polled by a
//! background thread (so counters are seen before they wrap twice and power
//! is sampled often), read at stop. Counter steps are summed with their
//! wraps; power is integrated by trapezoids. A domain whose read fails
//! keeps its first error and gives no figure.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::wrap::advance;
use super::{Domain, Reading, Source};

/// The sources of a run, shared with the poller of an open window.
pub struct EnergyMeters {
    meters: Arc<Mutex<Vec<Source>>>,
    /// Every domain of every source with the source's name, in reading order.
    domains: Vec<(Domain, &'static str)>,
}

impl EnergyMeters {
    /// Wraps the sources found at discovery.
    pub fn new(sources: Vec<Source>) -> Self {
        let domains = sources.iter().flat_map(|s| s.domains.iter().map(|d| (d.clone(), s.name))).collect();
        EnergyMeters { meters: Arc::new(Mutex::new(sources)), domains }
    }

    /// True when there is nothing to read.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// Opens a window: reads every meter now and starts polling.
    pub fn start(&self) -> EnergyWindow {
        let tracks = Arc::new(Mutex::new(vec![Track::Unread; self.domains.len()]));
        let started = Instant::now();
        read_all(&mut lock(&self.meters), &mut lock(&tracks), None);
        let (stop, stopped) = mpsc::channel::<()>();
        let (tid_tx, tid_rx) = mpsc::channel();
        let (meters, shared) = (Arc::clone(&self.meters), Arc::clone(&tracks));
        let poller = std::thread::spawn(move || {
            unpin();
            // SAFETY: gettid has no preconditions.
            let _ = tid_tx.send(unsafe { libc::gettid() });
            let mut last = vec![started; lock(&meters).len()];
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                read_all(&mut lock(&meters), &mut lock(&shared), Some(&mut last));
            }
        });
        let poller_tid = tid_rx.recv().unwrap_or(0);
        EnergyWindow {
            meters: Arc::clone(&self.meters),
            domains: self.domains.clone(),
            tracks,
            stop,
            poller,
            poller_tid,
            started,
        }
    }

    /// Measures over `duration` of doing nothing (idle power).
    pub fn measure_idle(&self, duration: Duration) -> EnergyMeasurement {
        let window = self.start();
        std::thread::sleep(duration);
        window.stop()
    }

    /// The sources back, once no window is open.
    pub fn into_sources(self) -> Vec<Source> {
        match Arc::try_unwrap(self.meters) {
            Ok(sources) => sources.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()),
            Err(shared) => std::mem::take(&mut *lock(&shared)),
        }
    }
}

/// How often the poller wakes; each meter is read at its own interval.
const TICK: Duration = Duration::from_millis(50);

/// An open window; [`EnergyWindow::stop`] closes it.
pub struct EnergyWindow {
    meters: Arc<Mutex<Vec<Source>>>,
    domains: Vec<(Domain, &'static str)>,
    tracks: Arc<Mutex<Vec<Track>>>,
    stop: mpsc::Sender<()>,
    poller: JoinHandle<()>,
    poller_tid: i32,
    started: Instant,
}

impl EnergyWindow {
    /// The poller thread's id, so process counters can leave it out.
    pub fn poller_tid(&self) -> i32 {
        self.poller_tid
    }

    /// Stops polling, reads every meter a last time and closes the window.
    pub fn stop(self) -> EnergyMeasurement {
        let _ = self.stop.send(());
        let _ = self.poller.join();
        let mut tracks = lock(&self.tracks);
        read_all(&mut lock(&self.meters), &mut tracks, None);
        let now = Instant::now();
        let domains = self
            .domains
            .into_iter()
            .zip(tracks.iter())
            .map(|((domain, source), track)| DomainResult {
                domain,
                source,
                joules: track.joules(),
                still: track.still(),
            })
            .collect();
        EnergyMeasurement { window: now - self.started, domains }
    }
}

/// One domain over a closed window.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainResult {
    /// The domain.
    pub domain: Domain,
    /// The meter that read it.
    pub source: &'static str,
    /// Joules over the window, or the first error that spoiled it.
    pub joules: Result<f64, String>,
    /// Every reading of the window was the same: a counter that never
    /// moved, a power reading that never changed.
    pub still: bool,
}

/// Every domain over a closed window.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyMeasurement {
    /// From the first read to the last.
    pub window: Duration,
    /// One entry per domain of every meter.
    pub domains: Vec<DomainResult>,
}

impl EnergyMeasurement {
    /// Adds another window of the same meters (a record measured in
    /// several sampling phases): windows and joules add up.
    pub fn merge(&mut self, other: EnergyMeasurement) {
        self.window += other.window;
        for (mine, theirs) in self.domains.iter_mut().zip(other.domains) {
            mine.joules = match (std::mem::replace(&mut mine.joules, Ok(0.0)), theirs.joules) {
                (Ok(a), Ok(b)) => Ok(a + b),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
            mine.still &= theirs.still;
        }
    }
}

/// The integration state of one domain.
#[derive(Debug, Clone, PartialEq)]
enum Track {
    Unread,
    Counter { last: u64, wrap: Option<u64>, joules_per_unit: f64, units: u64 },
    Power { at: Instant, watts: f64, joules: f64, varied: bool },
    Failed(String),
}

impl Track {
    fn update(&mut self, reading: Result<Reading, String>, now: Instant) {
        let next = match (std::mem::replace(self, Track::Unread), reading) {
            (Track::Failed(e), _) | (_, Err(e)) => Track::Failed(e),
            (Track::Unread, Ok(Reading::Counter { raw, joules_per_unit, wrap })) => {
                Track::Counter { last: raw, wrap, joules_per_unit, units: 0 }
            }
            (Track::Unread, Ok(Reading::Power(watts))) => Track::Power { at: now, watts, joules: 0.0, varied: false },
            (Track::Counter { last, wrap, joules_per_unit, units }, Ok(Reading::Counter { raw, .. })) => {
                match advance(last, raw, wrap) {
                    Ok(step) => Track::Counter { last: raw, wrap, joules_per_unit, units: units + step },
                    Err(e) => Track::Failed(e),
                }
            }
            (Track::Power { at, watts, joules, varied }, Ok(Reading::Power(w))) => Track::Power {
                at: now,
                watts: w,
                joules: joules + (watts + w) / 2.0 * (now - at).as_secs_f64(),
                varied: varied || w != watts,
            },
            (_, Ok(_)) => Track::Failed("the source switched between energy and power readings".into()),
        };
        *self = next;
    }

    fn joules(&self) -> Result<f64, String> {
        match self {
            Track::Unread => Err("never read".into()),
            Track::Counter { units, joules_per_unit, .. } => Ok(*units as f64 * joules_per_unit),
            Track::Power { joules, .. } => Ok(*joules),
            Track::Failed(e) => Err(e.clone()),
        }
    }

    fn still(&self) -> bool {
        match self {
            Track::Counter { units, .. } => *units == 0,
            Track::Power { varied, .. } => !varied,
            Track::Unread | Track::Failed(_) => false,
        }
    }
}

/// Reads the sources into their tracks: every one at the window's edges
/// (`last` None), else those whose poll interval has passed since `last`.
fn read_all(sources: &mut [Source], tracks: &mut [Track], mut last: Option<&mut [Instant]>) {
    let mut first = 0;
    for (i, source) in sources.iter_mut().enumerate() {
        let n = source.domains.len();
        let due = last.as_ref().is_none_or(|last| last[i].elapsed() >= source.meter.poll_interval());
        if due {
            let readings = source.meter.read();
            let now = Instant::now();
            for (track, reading) in tracks[first..first + n].iter_mut().zip(readings) {
                track.update(reading, now);
            }
            if let Some(last) = last.as_deref_mut() {
                last[i] = now;
            }
        }
        first += n;
    }
}

/// Lets the calling thread run on any CPU the process may use: the poller
/// must not inherit the pin of the benchmark thread that opened the window.
fn unpin() {
    // SAFETY: a zeroed cpu_set_t is valid; every CPU is set, and the kernel
    // keeps only those the process's cpuset allows.
    unsafe {
        let mut all: libc::cpu_set_t = std::mem::zeroed();
        for cpu in 0..libc::CPU_SETSIZE as usize {
            libc::CPU_SET(cpu, &mut all);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &all);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::energy::powercap;
    use crate::SysRoot;

    /// A powercap tree with a package zone (wrap range 1000 uJ) and a dram
    /// zone without a wrap range, in a fresh temporary directory.
    fn rapl_tree(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("hwbench-window-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (zone, zone_name, range) in [("intel-rapl:0", "package-0", Some("1000")), ("intel-rapl:0:0", "dram", None)]
        {
            let dir = root.join("sys/class/powercap").join(zone);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("name"), format!("{zone_name}\n")).unwrap();
            if let Some(range) = range {
                std::fs::write(dir.join("max_energy_range_uj"), range).unwrap();
            }
        }
        set(&root, "intel-rapl:0", "900");
        set(&root, "intel-rapl:0:0", "100");
        root
    }

    /// Replaces a zone's energy_uj at once (write aside, rename), as the
    /// kernel's file never shows a partial value.
    fn set(root: &Path, zone: &str, content: &str) {
        let dir = root.join("sys/class/powercap").join(zone);
        std::fs::write(dir.join("energy_uj.new"), content).unwrap();
        std::fs::rename(dir.join("energy_uj.new"), dir.join("energy_uj")).unwrap();
    }

    fn meters(root: &Path) -> EnergyMeters {
        EnergyMeters::new(vec![powercap::discover(&SysRoot::new(root)).unwrap()])
    }

    #[test]
    fn counter_steps_add_up_across_a_wrap() {
        let root = rapl_tree("wrap");
        let m = meters(&root);
        let window = m.start();
        set(&root, "intel-rapl:0", "980");
        std::thread::sleep(Duration::from_millis(120));
        set(&root, "intel-rapl:0", "50"); // wrapped: 20 + 50
        set(&root, "intel-rapl:0:0", "400");
        let got = window.stop();
        assert!(got.window >= Duration::from_millis(120));
        assert_eq!(got.domains[0].domain.name, "package-0");
        assert!((got.domains[0].joules.clone().unwrap() - 150e-6).abs() < 1e-12, "{:?}", got.domains[0]);
        assert!((got.domains[1].joules.clone().unwrap() - 300e-6).abs() < 1e-12, "{:?}", got.domains[1]);
        assert!(!got.domains[0].still && !got.domains[1].still);
        // A window in which nothing moved says so.
        let still = m.start().stop();
        assert!(still.domains.iter().all(|d| d.still && d.joules == Ok(0.0)), "{still:?}");
        std::fs::remove_dir_all(root).unwrap();
    }

    /// Bad content spoils the domain for the window, with what and where;
    /// the other domain is still measured.
    #[test]
    fn bad_content_is_an_error_of_that_domain_only() {
        for (name, content, expected) in [
            ("empty", "", "cannot parse \"\""),
            ("text", "abc", "cannot parse \"abc\""),
            ("negative", "-5", "cannot parse \"-5\""),
            ("backwards", "50", "went backwards from 100 to 50"),
        ] {
            let root = rapl_tree(name);
            let m = meters(&root);
            let window = m.start();
            set(&root, "intel-rapl:0:0", content);
            set(&root, "intel-rapl:0", "910");
            let got = window.stop();
            let err = got.domains[1].joules.clone().unwrap_err();
            assert!(err.contains(expected), "{name}: {err}");
            if name != "backwards" {
                assert!(err.contains("intel-rapl:0:0/energy_uj"), "{name}: {err}");
            }
            assert!((got.domains[0].joules.clone().unwrap() - 10e-6).abs() < 1e-12, "{name}");
            std::fs::remove_dir_all(root).unwrap();
        }
    }

    #[test]
    fn windows_of_one_record_merge() {
        let root = rapl_tree("merge");
        let m = meters(&root);
        let first = m.start();
        set(&root, "intel-rapl:0", "950");
        let mut total = first.stop();
        let second = m.start();
        set(&root, "intel-rapl:0", "960");
        set(&root, "intel-rapl:0:0", "x");
        total.merge(second.stop());
        assert!((total.domains[0].joules.clone().unwrap() - 60e-6).abs() < 1e-12);
        assert!(total.domains[1].joules.is_err());
        std::fs::remove_dir_all(root).unwrap();
    }

    /// Power files are integrated over time: 20 W held, then 40 W.
    #[test]
    fn power_is_integrated_over_the_window() {
        let root = std::env::temp_dir().join(format!("hwbench-window-{}-power", std::process::id()));
        let dir = root.join("sys/class/hwmon/hwmon0");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("name"), "amdgpu\n").unwrap();
        std::fs::write(dir.join("power1_average"), "20000000\n").unwrap();
        let m = EnergyMeters::new(vec![crate::energy::hwmon::discover(&SysRoot::new(&root)).unwrap()]);
        let started = Instant::now();
        let window = m.start();
        std::thread::sleep(Duration::from_millis(300));
        let low = started.elapsed().as_secs_f64();
        std::fs::write(dir.join("power1_average.new"), "40000000\n").unwrap();
        std::fs::rename(dir.join("power1_average.new"), dir.join("power1_average")).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let got = window.stop();
        let joules = got.domains[0].joules.clone().unwrap();
        // The change lands between two polls at most 150 ms apart: the
        // trapezoid there is off by at most 20 W * 0.15 s / 2 = 1.5 J.
        let expected = 20.0 * low + 40.0 * (got.window.as_secs_f64() - low);
        assert!((joules - expected).abs() <= 1.5, "{joules} J vs {expected} J over {:?}", got.window);
        assert!(!got.domains[0].still);
        // Held at 40 W: energy, but a reading that never changed.
        let held = m.measure_idle(Duration::from_millis(250));
        assert!(held.domains[0].still && held.domains[0].joules.clone().unwrap() > 0.0, "{held:?}");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn the_poller_reports_its_thread_is_not_pinned_and_stops() {
        let root = rapl_tree("poller");
        let tree = root.clone();
        let window = std::thread::spawn(move || {
            crate::binding::pin_current_thread(&[0]).unwrap();
            meters(&tree).start()
        })
        .join()
        .unwrap();
        let tid = window.poller_tid();
        let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
        let allowed = status.lines().find(|l| l.starts_with("Cpus_allowed_list:")).unwrap();
        let mine = std::fs::read_to_string("/proc/self/status").unwrap();
        assert_eq!(Some(allowed), mine.lines().find(|l| l.starts_with("Cpus_allowed_list:")), "poller pinned");
        window.stop();
        assert!(!Path::new(&format!("/proc/self/task/{tid}")).exists());
        std::fs::remove_dir_all(root).unwrap();
    }
}
