//! How a timed thread fares when the other CPUs of its node are busy: the
//! part of a plan's speed that a probe on one thread cannot see. Loaded
//! latency, interference and the ping-pong of core-to-core latency keep
//! every CPU of a node busy while one thread's time is taken in slices
//! with time off the CPU set aside ([`crate::undisturbed`]); where the
//! kernel's own threads, or a hypervisor running more vCPUs than it has
//! cores, take those CPUs from time to time, the phase runs on until it
//! has its undisturbed slices, and threads that share a core run slower.
//! The probe runs one thread alone on the first CPU of a node, then beside
//! a spinning thread on every other CPU of that node, in slices judged as
//! the benchmarks judge theirs, and counts what it kept and how fast each
//! thread went (docs/METHODS.md, "Plans and budgets").

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use hwbench_probes::binding::pin_current_thread;
use hwbench_probes::sched::{SchedWatch, ThreadId};
use hwbench_schema::numbers::median;
use serde::Serialize;

use crate::session::TRIAL_SLICES;
use crate::undisturbed::{Plan, Slicer, SLICE};

/// Slices the timed thread runs alone and then in the crowd: 100 ms each.
const SLICES: usize = 400;
/// Spins of the first trial runs: a few microseconds.
const CALIBRATION_SPINS: u64 = 10_000;
/// Spins a spinning thread does between looks at whether to stop.
const SPINNER_ROUND: u64 = 10_000;
/// What the probe saw on the development VM, quiet (five probes, the
/// median of each figure): the assumed rates already hold what its slices
/// and threads cost there.
pub const REFERENCE: Crowd = Crowd {
    cpus: 2,
    alone: Phase { kept: 0.99, stretch: 1.03 },
    crowded: Phase { kept: 0.98, stretch: 1.05 },
    slowdown: 1.0,
};

/// What the probe saw on one node's CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Crowd {
    /// CPUs of the node the probe ran on: one timed thread and a spinning
    /// thread on each of the others.
    pub cpus: usize,
    /// What the timed thread saw alone.
    pub alone: Phase,
    /// The same beside the spinning threads.
    pub crowded: Phase,
    /// Work a thread does alone in a second over the median of what each
    /// thread of the crowd did (1: the crowd costs nobody anything).
    pub slowdown: f64,
}

/// What the timed thread saw in one phase of the probe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Phase {
    /// Fraction of its slices kept undisturbed.
    pub kept: f64,
    /// Wall time per kept slice over the planned slice ([`SLICE`], which
    /// the fastest of a few trial slices lasts): how much longer than
    /// planned a phase of undisturbed slices lasts.
    pub stretch: f64,
}

impl Crowd {
    /// How much longer a phase taken in undisturbed slices lasts here than
    /// on the development VM, alone or beside busy CPUs (never less).
    pub fn stretch(&self, crowded: bool) -> f64 {
        let (here, reference) = if crowded {
            (self.crowded.stretch, REFERENCE.crowded.stretch)
        } else {
            (self.alone.stretch, REFERENCE.alone.stretch)
        };
        (here / reference).max(1.0)
    }

    /// How much slower each of `threads` threads on one node works than
    /// one thread alone, relative to the development VM (never less): the
    /// probe's slowdown for a whole node, in proportion to the threads
    /// beside the first.
    pub fn thread_slowdown(&self, threads: usize) -> f64 {
        if self.cpus <= 1 || threads <= 1 {
            return 1.0;
        }
        let share = (threads.min(self.cpus) - 1) as f64 / (self.cpus - 1) as f64;
        let relative = (self.slowdown / REFERENCE.slowdown).max(1.0);
        1.0 + (relative - 1.0) * share
    }
}

/// Runs the probe on `cpus` (one node's allowed CPUs, the timed thread on
/// the first): about 0.2 s.
pub fn probe(cpus: &[u32]) -> Result<Crowd, String> {
    let (&timed, others) = cpus.split_first().ok_or("no CPU to run on")?;
    let joined = |r: std::thread::Result<Result<Slices, String>>| {
        r.map_err(|_| "the probe's timed thread panicked".to_string())?
    };
    let alone = joined(std::thread::scope(|s| s.spawn(|| timed_slices(timed, None)).join()))?;
    let stop = AtomicBool::new(false);
    let ready = Barrier::new(cpus.len());
    let rates: Vec<AtomicU64> = others.iter().map(|_| AtomicU64::new(0)).collect();
    let crowded = std::thread::scope(|s| {
        for (&cpu, rate) in others.iter().zip(&rates) {
            let (stop, ready) = (&stop, &ready);
            s.spawn(move || {
                let pinned = pin_current_thread(&[cpu]);
                ready.wait();
                let (started, mut spins) = (Instant::now(), 0);
                while pinned.is_ok() && !stop.load(Ordering::Relaxed) {
                    spin(SPINNER_ROUND);
                    spins += SPINNER_ROUND;
                }
                rate.store((spins as f64 / started.elapsed().as_secs_f64()) as u64, Ordering::Relaxed);
            });
        }
        let result = s.spawn(|| timed_slices(timed, Some(&ready))).join();
        stop.store(true, Ordering::Relaxed);
        joined(result)
    })?;
    let mut each: Vec<f64> = rates.iter().map(|r| r.load(Ordering::Relaxed) as f64).collect();
    each.push(crowded.spins_per_second);
    let slowdown = alone.spins_per_second / median(&each).unwrap_or(alone.spins_per_second).max(1.0);
    Ok(Crowd { cpus: cpus.len(), alone: alone.phase, crowded: crowded.phase, slowdown: slowdown.max(1.0) })
}

/// What the timed thread saw, and how fast it spun inside its slices.
struct Slices {
    phase: Phase,
    spins_per_second: f64,
}

/// On `cpu`, after `ready` (the crowd pinned): slices sized as a
/// benchmark's are (a calibration, then the fastest of a few trial
/// slices), then [`SLICES`] of them judged by the thread's run_delay and
/// CPU clock as a benchmark's slices are judged.
fn timed_slices(cpu: u32, ready: Option<&Barrier>) -> Result<Slices, String> {
    pin_current_thread(&[cpu]).map_err(|e| e.to_string())?;
    if let Some(ready) = ready {
        ready.wait();
    }
    let mut spins = CALIBRATION_SPINS;
    for _ in 0..2 {
        let fastest = (0..TRIAL_SLICES).map(|_| timed(spins).as_secs_f64()).fold(f64::INFINITY, f64::min);
        spins = (spins as f64 * SLICE.as_secs_f64() / fastest.max(1e-9)).ceil().max(1.0) as u64;
    }
    // Judged as a benchmark's slices are, into one sample never complete.
    let plan = Plan { samples: 1, slices_per_sample: SLICES + 1, slice_iterations: spins, max_wall: Duration::MAX };
    let mut slicer = Slicer::new(plan, 0);
    let mut watch = SchedWatch::spinning(&[ThreadId::current()]);
    watch.start();
    for _ in 0..SLICES {
        slicer.push(timed(spins), watch.since_last());
    }
    let seen = slicer.finish(spins, String::new());
    let kept = seen.slices - seen.set_aside.total();
    let stretch = seen.wall.as_secs_f64() / kept.max(1) as f64 / SLICE.as_secs_f64();
    Ok(Slices {
        phase: Phase { kept: kept as f64 / SLICES as f64, stretch },
        spins_per_second: (SLICES as u64 * spins) as f64 / seen.all_seconds.max(1e-9),
    })
}

/// The time of `n` spins.
fn timed(n: u64) -> Duration {
    let t = Instant::now();
    spin(n);
    t.elapsed()
}

/// `n` steps of a dependent integer recurrence: CPU work that touches no
/// memory.
fn spin(n: u64) {
    let mut x = black_box(0x9e37_79b9_7f4a_7c15u64);
    for _ in 0..n {
        x = x.rotate_left(7) ^ x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    black_box(x);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_stretches_by_the_slices_set_aside_against_the_development_vm() {
        let crowd = Crowd { crowded: Phase { kept: 0.25, stretch: 4.0 * REFERENCE.crowded.stretch }, ..REFERENCE };
        assert!((crowd.stretch(false) - 1.0).abs() < 1e-9);
        assert!((crowd.stretch(true) - 4.0).abs() < 1e-9);
        // A machine calmer than the development VM is not taken as faster.
        let calm = Crowd { alone: Phase { kept: 1.0, stretch: 0.5 * REFERENCE.alone.stretch }, ..REFERENCE };
        assert_eq!(calm.stretch(false), 1.0);
    }

    #[test]
    fn threads_slow_down_in_proportion_to_the_crowd_beside_the_first() {
        // Two threads a core on a node of 5 CPUs: all 5 go at half speed.
        let crowd = Crowd { cpus: 5, slowdown: 2.0 * REFERENCE.slowdown, ..REFERENCE };
        assert_eq!(crowd.thread_slowdown(1), 1.0);
        assert!((crowd.thread_slowdown(3) - 1.5).abs() < 1e-9);
        assert!((crowd.thread_slowdown(5) - 2.0).abs() < 1e-9);
        assert!((crowd.thread_slowdown(64) - 2.0).abs() < 1e-9);
        // Faster than the development VM is never taken as a speed-up.
        let calm = Crowd { slowdown: 1.0, ..crowd };
        assert_eq!(calm.thread_slowdown(5), 1.0);
        assert_eq!(Crowd { cpus: 1, ..crowd }.thread_slowdown(5), 1.0);
    }

    #[test]
    fn the_probe_runs_on_this_machine_and_keeps_fractions() {
        let cpus = hwbench_probes::binding::allowed_cpus();
        let crowd = probe(&cpus).expect("probe");
        assert_eq!(crowd.cpus, cpus.len());
        for phase in [crowd.alone, crowd.crowded] {
            assert!((0.0..=1.0).contains(&phase.kept) && phase.stretch > 0.0, "{crowd:?}");
        }
        assert!(crowd.slowdown >= 1.0, "{crowd:?}");
        assert_eq!(probe(&[]).unwrap_err(), "no CPU to run on");
    }
}
