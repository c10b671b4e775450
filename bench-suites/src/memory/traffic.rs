//! Memory traffic with an injected delay, for loaded latency (Intel MLC's
//! traffic threads). Each worker walks its own chunk one 64-byte line per
//! request, in order, reading or writing the line's first word as the
//! read:write mix says (the memory system moves the whole line), then spins
//! `delay` iterations of a calibrated loop. One load or store per line keeps
//! each request a few instructions, so the core keeps many lines in flight.
//! The `nt_write` mix writes whole lines with non-temporal stores (x86-64
//! movnti: eight 8-byte stores fill the line's write-combining buffer, so
//! the line goes to memory without being read first), where the ISA has
//! them. Workers only count their requests; whoever measures reads the
//! counters.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use hwbench_probes::placement::Region;

use super::pinned;
use crate::error::BenchError;

/// Bytes one request reads or writes.
pub const REQUEST_BYTES: u64 = 64;
const WORDS_PER_REQUEST: usize = (REQUEST_BYTES / 8) as usize;
/// Requests between two updates of the counter and checks of the stop
/// flag: a multiple of every mix's period (1, 2, 3, 4).
const BATCH: usize = 24;

/// The mixes offered, by name: reads:writes, and write-only with
/// non-temporal stores.
pub const MIXES: &[&str] = &["read", "3:1", "2:1", "1:1", "nt_write"];

/// Whether this build can make non-temporal stores.
pub const HAS_NONTEMPORAL: bool = cfg!(target_arch = "x86_64");

/// A read:write mix: per `reads + writes` consecutive requests, `reads`
/// read a line and `writes` write one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    /// Reading requests per period.
    pub reads: u32,
    /// Writing requests per period.
    pub writes: u32,
    /// Writes are whole lines of non-temporal stores.
    pub nontemporal: bool,
}

impl Mix {
    /// Only reads.
    pub const READ: Mix = Mix { reads: 1, writes: 0, nontemporal: false };

    /// Parses one of [`MIXES`].
    pub fn parse(name: &str) -> Option<Mix> {
        let rw = |reads, writes| Some(Mix { reads, writes, nontemporal: false });
        match name {
            "read" => rw(1, 0),
            "3:1" => rw(3, 1),
            "2:1" => rw(2, 1),
            "1:1" => rw(1, 1),
            "nt_write" => Some(Mix { reads: 0, writes: 1, nontemporal: true }),
            _ => None,
        }
    }
}

/// Writes the whole 64-byte line at `line` with non-temporal stores.
#[inline(always)]
fn write_line_nontemporal(line: &mut [u64], value: u64) {
    #[cfg(target_arch = "x86_64")]
    for word in line.iter_mut().take(WORDS_PER_REQUEST) {
        // SAFETY: an aligned, exclusive u64 of the chunk; SSE2 is baseline on x86-64.
        unsafe { std::arch::x86_64::_mm_stream_si64(std::ptr::from_mut(word).cast(), value as i64) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        line[0] = value;
    }
}

/// A worker's request count, alone on its cache lines so counting never
/// slows another worker.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Counter(AtomicU64);

impl Counter {
    /// Requests counted so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Requests of all counters together.
pub fn total(counters: &[Counter]) -> u64 {
    counters.iter().map(Counter::get).sum()
}

/// Hides a value from the optimiser at no cost, so a loop on it stays.
#[inline(always)]
fn opaque(x: u64) -> u64 {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let mut x = x;
        // SAFETY: an empty asm block that only claims to change a register.
        unsafe { std::arch::asm!("/* {0} */", inout(reg) x, options(nomem, nostack, preserves_flags)) };
        x
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        std::hint::black_box(x)
    }
}

/// The injected delay: `iterations` rounds of a loop whose only work is
/// one dependent register-to-register add: one core cycle each on current
/// x86-64 and Arm cores ([`spin_ns_per_iteration`] measures it). The step
/// is hidden in a register because some cores (Intel Golden Cove) retire
/// chains of increments by an immediate several per cycle.
#[inline(always)]
pub fn spin(iterations: u64) {
    let step = opaque(1);
    let mut i = 0;
    while i < iterations {
        i = opaque(i) + step;
    }
}

/// Nanoseconds one [`spin`] iteration takes on the calling thread's CPU:
/// the best of five runs of 2^22 iterations, timed by the thread's CPU
/// time (time descheduled does not count).
pub fn spin_ns_per_iteration() -> f64 {
    const N: u64 = 1 << 22;
    (0..5)
        .map(|_| {
            let start = thread_cpu_time();
            spin(N);
            (thread_cpu_time() - start).as_secs_f64() * 1e9 / N as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// The CPU time the calling thread has used.
pub fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the timespec; this clock always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Generates traffic over `chunk` until `stop` is set: one request per
/// 64-byte line in order (wrapping), then `delay` spin iterations. A read
/// adds the line's first word to a checksum; a write stores the request
/// number there. The counter and the stop flag are visited every
/// [`BATCH`] requests. Returns the requests made.
pub fn generate(chunk: &mut [u64], mix: Mix, delay: u64, counter: &Counter, stop: &AtomicBool) -> u64 {
    let lines = chunk.len() / WORDS_PER_REQUEST;
    assert!(lines > 0, "traffic chunk of {} words", chunk.len());
    let period = (mix.reads + mix.writes) as usize;
    let writes: [bool; BATCH] = std::array::from_fn(|k| k % period >= mix.reads as usize);
    let (mut requests, mut line, mut checksum) = (0u64, 0usize, 0u64);
    while !stop.load(Ordering::Relaxed) {
        for &write in &writes {
            let at = line * WORDS_PER_REQUEST;
            if write && mix.nontemporal {
                write_line_nontemporal(&mut chunk[at..at + WORDS_PER_REQUEST], requests);
            } else if write {
                chunk[at] = requests;
            } else {
                checksum = checksum.wrapping_add(chunk[at]);
            }
            requests += 1;
            spin(delay);
            line = if line + 1 == lines { 0 } else { line + 1 };
        }
        counter.0.store(requests, Ordering::Relaxed);
    }
    if mix.nontemporal {
        // Non-temporal stores are weakly ordered: drain them before returning.
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a store fence.
        unsafe {
            std::arch::x86_64::_mm_sfence()
        };
    }
    std::hint::black_box(checksum);
    requests
}

/// Runs one traffic worker pinned to each of `cpus`, each over its own
/// part of `region` with `mix` and `delay`, calls `measure` with their
/// counters once every worker runs, then stops and joins them. A worker
/// that cannot be pinned stops the others and fails the call.
pub fn run_with<R>(
    cpus: &[u32],
    region: &Region,
    mix: Mix,
    delay: u64,
    measure: impl FnOnce(&[Counter]) -> Result<R, BenchError>,
) -> Result<R, BenchError> {
    let counters: Vec<Counter> = cpus.iter().map(|_| Counter::default()).collect();
    let stop = AtomicBool::new(false);
    let started = AtomicUsize::new(0);
    let words = region.len() / 8;
    // SAFETY: the region is only touched through this slice while it
    // lives, and the chunks handed to the workers are disjoint.
    let all = unsafe { std::slice::from_raw_parts_mut(region.as_ptr().cast::<u64>(), words) };
    let per_thread = (words / cpus.len().max(1)) / WORDS_PER_REQUEST * WORDS_PER_REQUEST;
    std::thread::scope(|s| {
        let workers: Vec<_> = cpus
            .iter()
            .zip(all.chunks_mut(per_thread.max(WORDS_PER_REQUEST)))
            .zip(&counters)
            .map(|((&cpu, chunk), counter)| {
                let (stop, started) = (&stop, &started);
                s.spawn(move || {
                    let pinned = pinned::pin(cpu);
                    if pinned.is_ok() {
                        started.fetch_add(1, Ordering::Release);
                        generate(chunk, mix, delay, counter, stop);
                    } else {
                        stop.store(true, Ordering::Relaxed);
                    }
                    pinned
                })
            })
            .collect();
        // Measure only once every worker runs: a window that opened before
        // some were scheduled (a loaded machine takes milliseconds) would
        // count their absence as bandwidth.
        while started.load(Ordering::Acquire) < workers.len() && !stop.load(Ordering::Relaxed) {
            std::thread::yield_now();
        }
        let measured = measure(&counters);
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        }
        measured
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a worker for about `time`; its requests and the CPU time it used.
    fn run_for(chunk: &mut [u64], mix: Mix, delay: u64, time: Duration) -> (u64, Duration) {
        let counter = Counter::default();
        let stop = AtomicBool::new(false);
        let (made, cpu) = std::thread::scope(|s| {
            let worker = s.spawn(|| {
                let start = thread_cpu_time();
                let made = generate(chunk, mix, delay, &counter, &stop);
                (made, thread_cpu_time() - start)
            });
            std::thread::sleep(time);
            // A loaded machine may not have run the worker yet.
            while counter.get() == 0 {
                std::thread::yield_now();
            }
            stop.store(true, Ordering::Relaxed);
            worker.join().unwrap()
        });
        assert_eq!(made, counter.get());
        (made, cpu)
    }

    #[test]
    fn mixes_parse_by_name() {
        assert_eq!(Mix::parse("read"), Some(Mix::READ));
        assert_eq!(Mix::parse("3:1"), Some(Mix { reads: 3, writes: 1, nontemporal: false }));
        assert_eq!(Mix::parse("nt_write"), Some(Mix { reads: 0, writes: 1, nontemporal: true }));
        for name in MIXES {
            assert!(Mix::parse(name).is_some(), "{name}");
        }
        assert_eq!(Mix::parse("4:1"), None);
    }

    #[test]
    fn a_two_to_one_mix_writes_every_third_line() {
        let mut chunk = vec![u64::MAX; 8 * 9];
        let (made, _) =
            run_for(&mut chunk, Mix { reads: 2, writes: 1, nontemporal: false }, 0, Duration::from_millis(20));
        assert!(made > 9 && made % BATCH as u64 == 0, "{made} requests");
        for (line, words) in chunk.chunks(8).enumerate() {
            assert_eq!(words[0] != u64::MAX, line % 3 == 2, "line {line}: {words:?}");
            assert!(words[1..].iter().all(|&w| w == u64::MAX), "line {line}: {words:?}");
        }
    }

    #[test]
    fn each_write_stores_its_request_number() {
        // 4 lines, 1:1: request r (from 0) visits line r % 4 and writes when
        // r is odd; whole batches of 24 end after request made - 1.
        let mut chunk = vec![u64::MAX; 8 * 4];
        let (made, _) =
            run_for(&mut chunk, Mix { reads: 1, writes: 1, nontemporal: false }, 0, Duration::from_millis(5));
        let first_words: Vec<u64> = chunk.chunks(8).map(|line| line[0]).collect();
        assert_eq!(first_words, [u64::MAX, made - 3, u64::MAX, made - 1]);
    }

    #[test]
    fn non_temporal_writes_fill_whole_lines_with_the_request_number() {
        let mut chunk = vec![u64::MAX; 8 * 4];
        let nt = Mix::parse("nt_write").unwrap();
        let (made, _) = run_for(&mut chunk, nt, 0, Duration::from_millis(5));
        let lines: Vec<&[u64]> = chunk.chunks(8).collect();
        for (i, line) in lines.iter().enumerate() {
            // The last batch ends on request made - 1, on line (made - 1) % 4.
            let last = made - 1 - ((made - 1 - i as u64) % 4);
            assert!(line.iter().all(|&w| w == last), "line {i}: {line:?}, {made} requests");
        }
    }

    #[test]
    fn reading_leaves_the_memory_as_it_was() {
        let mut chunk: Vec<u64> = (0..64).collect();
        run_for(&mut chunk, Mix::READ, 0, Duration::from_millis(5));
        assert!(chunk.iter().enumerate().all(|(i, &w)| w == i as u64));
    }

    /// Requests per second of the worker's own CPU time: a ratio of work,
    /// the same however fast or busy the machine is.
    #[test]
    fn a_longer_delay_makes_fewer_requests_per_cpu_second() {
        let mut chunk = vec![0u64; 8 * 1024];
        let rate = |(made, cpu): (u64, Duration)| made as f64 / cpu.as_secs_f64().max(1e-9);
        let fast = rate(run_for(&mut chunk, Mix::READ, 0, Duration::from_millis(30)));
        let slow = rate(run_for(&mut chunk, Mix::READ, 20_000, Duration::from_millis(30)));
        assert!(slow * 20.0 < fast, "delay 0: {fast:.0} requests per CPU second, delay 20000: {slow:.0}");
    }

    #[test]
    fn the_spin_is_a_loop_of_cheap_steps() {
        let ns = spin_ns_per_iteration();
        // By CPU time: 0.05 ns (a loop faster than any clock is one the
        // compiler removed) to 50 ns (no syscall or sleep in a step).
        assert!((0.05..50.0).contains(&ns), "{ns} ns per iteration");
    }
}
