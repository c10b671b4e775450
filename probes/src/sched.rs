//! What the scheduler did to threads of this process while they were
//! timed (docs/METHODS.md, "Time off the CPU"): how long they were
//! runnable but waiting for a CPU (`run_delay`, the second field of
//! /proc/self/task/TID/schedstat, kernels with CONFIG_SCHED_INFO), and,
//! for threads that never sleep while timed, how much of the wall time
//! they were not running at all (wall time minus the thread's CPU clock).
//! In a guest with paravirtual steal accounting the CPU clock leaves out
//! the time the hypervisor ran something else on the vCPU, which
//! schedstat does not see; without it, that time is invisible here.
//!
//! These files are this process's own threads, not a description of the
//! machine, so they are read from /proc directly and never through a
//! fixture root.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use thiserror::Error;

/// A thread of this process could not be watched.
#[derive(Debug, Error)]
pub enum SchedError {
    /// Its schedstat file could not be opened.
    #[error("{path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A thread of this process as another thread can name it: its kernel id
/// and its CPU-time clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadId {
    tid: libc::pid_t,
    cpu_clock: libc::clockid_t,
}

impl ThreadId {
    /// The calling thread.
    pub fn current() -> ThreadId {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let mut cpu_clock: libc::clockid_t = 0;
        // SAFETY: pthread_self names the calling thread; the clock id is written.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut cpu_clock) };
        // Linux always has per-thread CPU clocks; the per-thread clock of
        // the caller is the fallback should the call ever fail.
        ThreadId { tid, cpu_clock: if rc == 0 { cpu_clock } else { libc::CLOCK_THREAD_CPUTIME_ID } }
    }

    /// The kernel's id of the thread.
    pub fn tid(&self) -> libc::pid_t {
        self.tid
    }
}

/// What happened to the watched threads between two readings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Evidence {
    /// Wall time between the readings, ns.
    pub wall_ns: u64,
    /// Time the watched threads were runnable but waiting for a CPU, ns,
    /// summed over them; None when schedstat cannot be read.
    pub run_delay_ns: Option<u64>,
    /// Times the watched threads were given a CPU, summed over them (a
    /// thread that sleeps and wakes is given one at each wakeup); None
    /// when schedstat cannot be read.
    pub switches_in: Option<u64>,
    /// The least CPU time one never-sleeping thread got between the
    /// readings, ns; None when no thread is followed so.
    pub cpu_ns: Option<u64>,
}

/// A thread's schedstat counters, or their sum over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Counters {
    /// Time runnable but waiting for a CPU, ns.
    run_delay_ns: u64,
    /// Times given a CPU.
    switches_in: u64,
}

impl Counters {
    fn plus(self, other: Counters) -> Counters {
        Counters {
            run_delay_ns: self.run_delay_ns + other.run_delay_ns,
            switches_in: self.switches_in + other.switches_in,
        }
    }

    fn minus(self, earlier: Counters) -> Counters {
        Counters {
            run_delay_ns: self.run_delay_ns.saturating_sub(earlier.run_delay_ns),
            switches_in: self.switches_in.saturating_sub(earlier.switches_in),
        }
    }
}

/// One thread followed by a [`SchedWatch`].
#[derive(Debug)]
struct Followed {
    schedstat: Option<File>,
    cpu_clock: libc::clockid_t,
}

/// Which threads a watch follows.
#[derive(Debug)]
enum Scope {
    /// Threads that never sleep while timed: schedstat and CPU clocks.
    Spinning(Vec<Followed>),
    /// Every thread of the process, threads that come and go included
    /// (work handed to a driver's threads): schedstat only, since such
    /// threads sleep while they wait and their CPU time says nothing.
    Process {
        /// The last counters read of each thread alive then.
        last: BTreeMap<libc::pid_t, Counters>,
        /// The counters of every thread so far, summed (threads that
        /// ended keep what they had).
        total: Counters,
    },
}

/// Cumulative readings at one moment.
#[derive(Debug, Clone)]
struct Reading {
    at: Instant,
    counters: Option<Counters>,
    cpu_ns: Vec<u64>,
}

/// Follows threads of this process between readings: [`SchedWatch::since_last`]
/// says what happened to them since the previous call.
#[derive(Debug)]
pub struct SchedWatch {
    scope: Scope,
    last: Option<Reading>,
    unavailable: Option<String>,
}

impl SchedWatch {
    /// Follows `threads`, each of which keeps running while timed (a
    /// chasing thread, the two sides of a ping-pong). A thread whose
    /// schedstat cannot be opened is followed by its CPU clock alone, and
    /// [`SchedWatch::unavailable`] says why.
    pub fn spinning(threads: &[ThreadId]) -> SchedWatch {
        let mut unavailable = None;
        let followed = threads
            .iter()
            .map(|t| {
                let schedstat = open(t.tid).map_err(|e| unavailable = Some(e.to_string())).ok();
                Followed { schedstat, cpu_clock: t.cpu_clock }
            })
            .collect();
        SchedWatch { scope: Scope::Spinning(followed), last: None, unavailable }
    }

    /// Follows every thread of the process by schedstat.
    pub fn process() -> SchedWatch {
        // SAFETY: gettid has no preconditions.
        let unavailable = open(unsafe { libc::gettid() }).err().map(|e| e.to_string());
        let scope = Scope::Process { last: BTreeMap::new(), total: Counters::default() };
        SchedWatch { scope, last: None, unavailable }
    }

    /// Why schedstat cannot be read (no CONFIG_SCHED_INFO, no /proc), if so.
    pub fn unavailable(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }

    /// What the watch sees, for records.
    pub fn describe(&self) -> String {
        let delay = match &self.unavailable {
            None => "run_delay (/proc/self/task/TID/schedstat)",
            Some(_) => "no run_delay",
        };
        match self.scope {
            Scope::Spinning(ref threads) => format!(
                "{delay} and CPU clock against wall time of the {} timed thread{}",
                threads.len(),
                if threads.len() == 1 { "" } else { "s" }
            ),
            Scope::Process { .. } => format!("{delay} of every thread of the process"),
        }
    }

    /// Starts a new stretch: the next [`SchedWatch::since_last`] covers
    /// from now.
    pub fn start(&mut self) {
        self.last = Some(self.read());
    }

    /// What happened since the last call (or [`SchedWatch::start`]); the
    /// first call without a start covers nothing.
    pub fn since_last(&mut self) -> Evidence {
        let now = self.read();
        let evidence = match &self.last {
            Some(before) => between(before, &now),
            None => Evidence::default(),
        };
        self.last = Some(now);
        evidence
    }

    /// A reading: the CPU clocks, then schedstat, then the wall clock. The
    /// kernel may switch the thread out when a system call returns (with
    /// lazy preemption that is where a running thread is most often
    /// switched out), so the wall clock, read without entering the kernel,
    /// comes last: time lost in the reading itself then falls in the
    /// stretch it ends, as wall time the CPU clocks did not see.
    fn read(&mut self) -> Reading {
        match &mut self.scope {
            Scope::Spinning(threads) => {
                let cpu_ns = threads.iter().map(|t| cpu_time_ns(t.cpu_clock)).collect();
                let each: Option<Vec<Counters>> =
                    threads.iter().map(|t| t.schedstat.as_ref().and_then(read_counters)).collect();
                let counters = each.map(|c| c.into_iter().fold(Counters::default(), Counters::plus));
                Reading { at: Instant::now(), counters, cpu_ns }
            }
            Scope::Process { last, total } => {
                let counters = self.unavailable.is_none().then(|| {
                    let now = process_counters();
                    for (tid, c) in &now {
                        // A thread born since the last reading ran and
                        // waited only in this stretch: all of it counts.
                        *total = total.plus(c.minus(last.get(tid).copied().unwrap_or_default()));
                    }
                    *last = now;
                    *total
                });
                Reading { at: Instant::now(), counters, cpu_ns: Vec::new() }
            }
        }
    }
}

/// The evidence between two readings of the same watch.
fn between(before: &Reading, now: &Reading) -> Evidence {
    let wall_ns = now.at.duration_since(before.at).as_nanos() as u64;
    let cpu_ns = now.cpu_ns.iter().zip(&before.cpu_ns).map(|(n, b)| n.saturating_sub(*b)).min();
    let counters = match (before.counters, now.counters) {
        (Some(b), Some(n)) => Some(n.minus(b)),
        _ => None,
    };
    Evidence {
        wall_ns,
        run_delay_ns: counters.map(|c| c.run_delay_ns),
        switches_in: counters.map(|c| c.switches_in),
        cpu_ns,
    }
}

fn path_of(tid: libc::pid_t) -> String {
    format!("/proc/self/task/{tid}/schedstat")
}

fn open(tid: libc::pid_t) -> Result<File, SchedError> {
    let path = path_of(tid);
    File::open(&path).map_err(|source| SchedError::Open { path, source })
}

/// The counters of an open schedstat file.
fn read_counters(file: &File) -> Option<Counters> {
    let mut buf = [0u8; 96];
    let n = file.read_at(&mut buf, 0).ok()?;
    parse(std::str::from_utf8(&buf[..n]).ok()?)
}

/// schedstat's fields: time on the CPU, time runnable but waiting (ns),
/// times given a CPU.
fn parse(text: &str) -> Option<Counters> {
    let mut fields = text.split_whitespace().skip(1).map(str::parse::<u64>);
    Some(Counters { run_delay_ns: fields.next()?.ok()?, switches_in: fields.next()?.ok()? })
}

/// The counters of every thread of the process now.
fn process_counters() -> BTreeMap<libc::pid_t, Counters> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return BTreeMap::new() };
    tasks
        .filter_map(|entry| {
            let tid: libc::pid_t = entry.ok()?.file_name().to_str()?.parse().ok()?;
            // A thread that ended since the listing has nothing to add.
            Some((tid, parse(&std::fs::read_to_string(path_of(tid)).ok()?)?))
        })
        .collect()
}

/// The CPU time of a thread's clock, ns.
fn cpu_time_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the timespec; an invalid clock leaves it 0.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_delay_and_switches_are_the_last_fields_of_schedstat() {
        assert_eq!(parse("841765 2741252 17\n"), Some(Counters { run_delay_ns: 2_741_252, switches_in: 17 }));
        assert_eq!(parse("841765 2741252\n"), None);
        assert_eq!(parse(""), None);
    }

    fn reading(at: Instant, counters: Option<(u64, u64)>, cpu_ns: Vec<u64>) -> Reading {
        let counters = counters.map(|(run_delay_ns, switches_in)| Counters { run_delay_ns, switches_in });
        Reading { at, counters, cpu_ns }
    }

    #[test]
    fn evidence_is_the_difference_of_two_readings() {
        let t0 = Instant::now();
        let t1 = t0 + std::time::Duration::from_micros(1000);
        let before = reading(t0, Some((500, 3)), vec![10_000, 20_000]);
        // Thread 0 ran all 1000 us, thread 1 only 700 us of them.
        let now = reading(t1, Some((80_500, 4)), vec![1_010_000, 720_000]);
        let e = between(&before, &now);
        let expected =
            Evidence { wall_ns: 1_000_000, run_delay_ns: Some(80_000), switches_in: Some(1), cpu_ns: Some(700_000) };
        assert_eq!(e, expected);
        let blind = between(&reading(t0, None, vec![]), &reading(t1, Some((9, 9)), vec![]));
        assert_eq!(blind, Evidence { wall_ns: 1_000_000, ..Evidence::default() });
    }

    /// On this machine: a thread that spins is seen running all the time
    /// it spins, and the process scope counts every thread.
    #[test]
    fn a_live_watch_reads_this_thread_and_the_process() {
        let mut watch = SchedWatch::spinning(&[ThreadId::current()]);
        assert_eq!(watch.unavailable(), None, "this kernel has schedstat");
        watch.start();
        let started = Instant::now();
        while started.elapsed() < std::time::Duration::from_millis(2) {
            std::hint::spin_loop();
        }
        let e = watch.since_last();
        assert!(e.wall_ns >= 2_000_000, "{e:?}");
        assert!(e.run_delay_ns.is_some() && e.switches_in.is_some(), "{e:?}");
        // CPU time passes no faster than wall time (readings a few us apart).
        assert!(e.cpu_ns.is_some_and(|cpu| cpu > 0 && cpu <= e.wall_ns + 100_000), "{e:?}");
        assert!(watch.describe().contains("1 timed thread"), "{}", watch.describe());

        let mut process = SchedWatch::process();
        process.start();
        let e = process.since_last();
        assert!(e.run_delay_ns.is_some() && e.cpu_ns.is_none(), "{e:?}");
        let Scope::Process { last, .. } = &process.scope else { panic!("{:?}", process.scope) };
        // SAFETY: gettid has no preconditions.
        assert!(last.contains_key(&unsafe { libc::gettid() }), "this thread is one of the process's: {last:?}");
    }
}
