//! The pointer chase: building a random cyclic permutation over lines
//! (Sattolo's shuffle) apart from running it (dependent loads, unrolled).

use std::time::{Duration, Instant};

use hwbench_probes::energy::Work;

use crate::error::BenchError;
use crate::harness::Workload;
use hwbench_schema::numbers::SplitMix64;

/// Dependent loads per loop iteration.
pub const LOADS_PER_ITERATION: u64 = 16;

/// A single random cycle through `lines` lines of `stride` bytes at `base`:
/// the first word of each line holds the address of the next line.
#[derive(Debug)]
pub struct Chase {
    /// Where the next walk starts: where the last one stopped.
    at: *const usize,
    lines: usize,
}

// SAFETY: the chase only reads memory owned by the region it was built in,
// which outlives it (the benchmark keeps both).
unsafe impl Send for Chase {}

/// Sattolo's shuffle: a uniformly random permutation with a single cycle.
/// `next[i]` is the line visited after line `i`.
pub fn single_cycle(lines: usize, seed: u64) -> Vec<u32> {
    assert!(lines <= u32::MAX as usize, "chase of {lines} lines");
    let mut next: Vec<u32> = (0..lines as u32).collect();
    let mut rng = SplitMix64::new(seed);
    for i in (1..lines).rev() {
        let j = rng.below(i as u64) as usize;
        next.swap(i, j);
    }
    next
}

impl Chase {
    /// Writes a chase over the first `lines * stride` bytes at `base`.
    ///
    /// # Safety
    /// `base` must be valid for writes of `lines * stride` bytes, aligned to
    /// 8 bytes, and `stride` a multiple of 8 of at least 8.
    pub unsafe fn build(base: *mut u8, lines: usize, stride: usize, seed: u64) -> Chase {
        let next = single_cycle(lines, seed);
        for (i, &n) in next.iter().enumerate() {
            let at = base.add(i * stride).cast::<usize>();
            at.write(base.add(n as usize * stride) as usize);
        }
        Chase { at: base.cast(), lines }
    }

    /// Where the next walk starts, for walks made another way (timed
    /// batches); whoever walks leaves it where they stopped.
    pub(crate) fn cursor(&mut self) -> &mut *const usize {
        &mut self.at
    }

    /// Lines in the cycle.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Follows the chain for `iterations * LOADS_PER_ITERATION` loads from
    /// where the last walk stopped, so consecutive samples keep chasing new
    /// lines of the cycle instead of re-walking a cache-warm prefix.
    pub fn walk(&mut self, iterations: u64) -> *const usize {
        // SAFETY: every pointer in the cycle points into the built region.
        self.at = unsafe { walk(self.at, iterations) };
        self.at
    }
}

#[inline(never)]
unsafe fn walk(mut p: *const usize, iterations: u64) -> *const usize {
    for _ in 0..iterations {
        p = step(p);
    }
    p
}

/// 16 dependent loads: each address is the value just loaded.
///
/// # Safety
/// `p` must start a chain of pointers that stays inside one built chase.
#[inline(always)]
pub(crate) unsafe fn step(mut p: *const usize) -> *const usize {
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p = *p as *const usize;
    p
}

impl Workload for Chase {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let start = Instant::now();
        // The final pointer is observable, so no load can be removed.
        std::hint::black_box(self.walk(iterations));
        Ok(start.elapsed())
    }

    fn work_per_iteration(&self) -> Option<Work> {
        Some(Work { amount: LOADS_PER_ITERATION as f64, unit: "access" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permutation_is_one_cycle_over_every_line() {
        for lines in [1usize, 2, 3, 64, 1000, 4097] {
            let next = single_cycle(lines, 42);
            let mut seen = vec![false; lines];
            let mut at = 0usize;
            for _ in 0..lines {
                assert!(!seen[at], "line {at} visited twice in {lines}");
                seen[at] = true;
                at = next[at] as usize;
            }
            assert_eq!(at, 0, "cycle of {lines} does not close");
            assert!(seen.iter().all(|&s| s));
        }
    }

    #[test]
    fn the_permutation_is_not_sequential() {
        let next = single_cycle(4096, 1);
        let sequential = next.iter().enumerate().filter(|(i, &n)| n as usize == i + 1).count();
        assert!(sequential < 10, "{sequential} sequential steps");
    }

    #[test]
    fn walking_the_built_chase_returns_to_the_start_after_all_lines() {
        let stride = 64;
        let lines = 1024;
        let mut buf = vec![0u64; lines * stride / 8];
        let base = buf.as_mut_ptr().cast::<u8>();
        // SAFETY: buf holds lines * stride bytes, 8-aligned.
        let mut chase = unsafe { Chase::build(base, lines, stride, 3) };
        // lines / 16 iterations = lines loads: a full cycle ends at the start.
        assert_eq!(chase.walk(lines as u64 / LOADS_PER_ITERATION), base as *const usize);
        let after_one = chase.walk(1);
        assert_ne!(after_one, base as *const usize);
        // The next walk goes on from there: two half cycles close the cycle.
        let half = lines as u64 / LOADS_PER_ITERATION / 2;
        chase.walk(half - 1);
        assert_eq!(chase.walk(half), base as *const usize);
    }
}
