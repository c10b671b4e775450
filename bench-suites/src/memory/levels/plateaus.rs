//! The levels a latency curve shows by itself: its plateaus on the
//! log-size / log-latency plane and the sizes where latency steps from one
//! to the next, as lmbench's cache tool and Manegold's Calibrator find them
//! (docs/METHODS.md, "Memory latency": the rule and why).
//!
//! 1. Sizes in log2 bytes, latencies in ln ns; the latencies are smoothed
//!    by a running median of 3, which removes a point that alone jumps and
//!    keeps a step where it is. The two end points are kept as measured: a
//!    step at the last size may be real (the headline, a median over
//!    repetitions, is what guards it against one noisy repetition).
//! 2. Adjacent groups of points merge, closest medians first, while their
//!    medians differ by less than [`STEP_RATIO`].
//! 3. A group that covers at least [`MIN_PLATEAU_OCTAVES`] of sizes is a
//!    plateau; narrower groups are points of a step. Neighbouring plateaus
//!    are one plateau unless the median rises by [`STEP_RATIO`] from one to
//!    the next and the curve climbs by as much between them.
//! 4. A step lies where the curve crosses the midpoint of its two plateaus
//!    in log space (the geometric mean of their latencies), interpolated
//!    in log-log between the two points around the crossing.

use hwbench_schema::numbers::median;

/// Neighbouring plateaus differ in latency by at least this factor.
pub const STEP_RATIO: f64 = 1.5;
/// A plateau covers at least this many doublings of working-set size: from
/// halfway (in log size) to the point below it to halfway to the point
/// above it; at an end of the curve, as far past its end point as halfway
/// to the point inside. Just under one octave, so that three points of the
/// default sweep (a third of an octave apart, each size rounded to whole
/// lines) make a plateau and two do not.
pub const MIN_PLATEAU_OCTAVES: f64 = 0.95;
/// The fewest points levels are looked for in.
pub const MIN_POINTS: usize = 3;

/// A curve with too few points to show levels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{points} point(s) with a latency; {MIN_POINTS} or more are needed to find levels")]
pub struct TooFewPoints {
    /// Points with a positive, finite latency.
    pub points: usize,
}

/// A run of neighbouring sizes with one latency.
#[derive(Debug, Clone, PartialEq)]
pub struct Plateau {
    /// Index of its first point in [`Shape::points`].
    pub first: usize,
    /// Index of its last point.
    pub last: usize,
    /// Median of its points' measured latencies, ns.
    pub latency_ns: f64,
}

/// The plateaus of a curve and the steps between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The curve's points, (bytes, latency ns), ascending by size.
    pub points: Vec<(u64, f64)>,
    /// Plateaus, ascending by size, each at least [`STEP_RATIO`] above the one before.
    pub plateaus: Vec<Plateau>,
    /// `steps[i]`: where latency steps from `plateaus[i]` to `plateaus[i + 1]`.
    pub steps: Vec<Step>,
}

/// Where latency steps from one plateau to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The size where the curve crosses the midpoint, bytes.
    pub bytes: u64,
    /// The two measured sizes the crossing lies between, bytes.
    pub between: (u64, u64),
}

impl Plateau {
    /// The sizes of its points, bytes.
    pub fn sizes(&self, shape: &Shape) -> Vec<u64> {
        shape.points[self.first..=self.last].iter().map(|p| p.0).collect()
    }
}

impl Shape {
    /// True when the curve ends on its last plateau: the points past it,
    /// if any, cover less than [`MIN_PLATEAU_OCTAVES`], too little to be a
    /// level of their own (a last point that jumps; the start of a step
    /// the sweep stops in).
    pub fn ends_on_plateau(&self) -> bool {
        let (Some(last), n) = (self.plateaus.last(), self.points.len()) else { return false };
        if last.last + 1 == n {
            return true;
        }
        let x: Vec<f64> = self.points.iter().map(|p| (p.0 as f64).log2()).collect();
        coverage(&x, last.last + 1, n - 1) < MIN_PLATEAU_OCTAVES
    }

    /// The largest size of the curve, bytes.
    pub fn largest(&self) -> u64 {
        self.points.last().map_or(0, |p| p.0)
    }
}

/// Finds the plateaus and steps of `curve`: (bytes, latency ns) in any
/// order; points without a positive, finite latency are left out.
pub fn find(curve: &[(u64, f64)]) -> Result<Shape, TooFewPoints> {
    let mut points: Vec<(u64, f64)> =
        curve.iter().copied().filter(|&(b, ns)| b > 0 && ns.is_finite() && ns > 0.0).collect();
    points.sort_by_key(|p| p.0);
    points.dedup_by_key(|p| p.0);
    if points.len() < MIN_POINTS {
        return Err(TooFewPoints { points: points.len() });
    }
    let x: Vec<f64> = points.iter().map(|p| (p.0 as f64).log2()).collect();
    let y = smooth(&points.iter().map(|p| p.1.ln()).collect::<Vec<_>>());
    let wide: Vec<(usize, usize)> =
        groups(&y).into_iter().filter(|&(a, b)| coverage(&x, a, b) >= MIN_PLATEAU_OCTAVES).collect();
    let ranges = rising(&y, wide);
    let steps = ranges
        .windows(2)
        .map(|w| {
            let (k, bytes) = step(&x, &y, w[0], w[1]);
            Step { bytes, between: (points[k].0, points[k + 1].0) }
        })
        .collect();
    let plateaus = ranges
        .into_iter()
        .map(|(first, last)| {
            let measured: Vec<f64> = points[first..=last].iter().map(|p| p.1).collect();
            Plateau { first, last, latency_ns: median(&measured).unwrap_or(f64::NAN) }
        })
        .collect();
    Ok(Shape { points, plateaus, steps })
}

/// Running median of 3, the two ends kept.
fn smooth(y: &[f64]) -> Vec<f64> {
    let mut s = y.to_vec();
    for (i, w) in y.windows(3).enumerate() {
        s[i + 1] = median3(w[0], w[1], w[2]);
    }
    s
}

fn median3(a: f64, b: f64, c: f64) -> f64 {
    a.max(b).min(a.min(b).max(c))
}

/// Median of `y[a..=b]`.
fn level(y: &[f64], (a, b): (usize, usize)) -> f64 {
    median(&y[a..=b]).unwrap_or(f64::NAN)
}

/// Groups of neighbouring points: singletons merged, the two neighbouring
/// groups with the closest medians first, while those differ by less than
/// the step ratio. Inclusive index ranges, ascending.
fn groups(y: &[f64]) -> Vec<(usize, usize)> {
    let mut groups: Vec<(usize, usize)> = (0..y.len()).map(|i| (i, i)).collect();
    loop {
        let closest = groups
            .windows(2)
            .enumerate()
            .map(|(i, w)| (i, (level(y, w[1]) - level(y, w[0])).abs()))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match closest {
            Some((i, gap)) if gap < STEP_RATIO.ln() => {
                groups[i].1 = groups[i + 1].1;
                groups.remove(i + 1);
            }
            _ => return groups,
        }
    }
}

/// Octaves of size a group of points `a..=b` covers (see [`MIN_PLATEAU_OCTAVES`]).
fn coverage(x: &[f64], a: usize, b: usize) -> f64 {
    let n = x.len();
    let below = if a > 0 { x[a] - x[a - 1] } else { x[1] - x[0] };
    let above = if b + 1 < n { x[b + 1] - x[b] } else { x[n - 1] - x[n - 2] };
    x[b] - x[a] + (below + above) / 2.0
}

/// Plateaus that step up: a plateau joins the one before it, with the
/// points between them, unless its median is at least the step ratio above
/// that one's and the curve climbs by the step ratio from that one's last
/// point to its first. A long slow rise (page walks in DRAM) that the
/// grouping cut in two has no such climb between the halves.
fn rising(y: &[f64], mut plateaus: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let step = STEP_RATIO.ln();
    while let Some(i) =
        plateaus.windows(2).position(|w| level(y, w[1]) - level(y, w[0]) < step || y[w[1].0] - y[w[0].1] < step)
    {
        plateaus[i].1 = plateaus[i + 1].1;
        plateaus.remove(i + 1);
    }
    plateaus
}

/// Where the curve crosses the midpoint (in log latency) of plateaus `a`
/// and `b`: among the points from the end of `a` to the start of `b`, the
/// split that leaves the fewest points on the wrong side of the midpoint
/// (the first such split on a tie), interpolated in log-log between the
/// two points around it (their middle in log size when noise puts them on
/// one side). The index of the point below the split, and the bytes.
fn step(x: &[f64], y: &[f64], a: (usize, usize), b: (usize, usize)) -> (usize, u64) {
    let mid = (level(y, a) + level(y, b)) / 2.0;
    let (from, to) = (a.1, b.0);
    let wrong = |k: usize| (from..=k).filter(|&i| y[i] > mid).count() + (k + 1..=to).filter(|&i| y[i] <= mid).count();
    let k = (from..to).min_by_key(|&k| wrong(k)).unwrap_or(from);
    let (x0, x1, y0, y1) = (x[k], x[k + 1], y[k], y[k + 1]);
    let at = if y0 <= mid && mid < y1 { x0 + (mid - y0) / (y1 - y0) * (x1 - x0) } else { (x0 + x1) / 2.0 };
    (k, 2f64.powf(at).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::levels::synthetic::{steps, sweep, KIB, MIB};

    /// Capacities of the synthetic caches.
    const CAPACITIES: [u64; 3] = [48 * KIB, 2 * MIB, 32 * MIB];

    /// Clean steps: 1.2 ns up to 48 KiB, 4.5 ns up to 2 MiB, 30 ns up to 32 MiB, then 100 ns.
    fn staircase(b: u64) -> f64 {
        steps(&[(CAPACITIES[0], 1.2), (CAPACITIES[1], 4.5), (CAPACITIES[2], 30.0)], 100.0)(b)
    }

    fn latencies(shape: &Shape) -> Vec<f64> {
        shape.plateaus.iter().map(|p| p.latency_ns).collect()
    }

    /// True when `got` lies within a factor `f` of `want`.
    fn near(got: u64, want: u64, f: f64) -> bool {
        let r = got as f64 / want as f64;
        r <= f && r >= 1.0 / f
    }

    #[test]
    fn clean_steps_give_one_plateau_per_level_and_steps_at_the_capacities() {
        let shape = find(&sweep(1 << 30, 3, staircase)).unwrap();
        assert_eq!(latencies(&shape), [1.2, 4.5, 30.0, 100.0]);
        for (step, capacity) in shape.steps.iter().zip(CAPACITIES) {
            // Between the last size of one level and the first of the next.
            assert!(step.between.0 <= capacity && step.between.1 > capacity, "{step:?}");
            assert!(step.bytes > step.between.0 && step.bytes < step.between.1, "{step:?}");
        }
        assert!(shape.ends_on_plateau());
        assert_eq!(shape.plateaus[0].sizes(&shape)[0], 4096);
        assert_eq!(shape.largest(), 1 << 30);
    }

    #[test]
    fn a_step_lies_where_latency_crosses_the_geometric_mean_of_its_plateaus() {
        // 10 ns, then 40 ns: the midpoint in log space is 20 ns, crossed
        // halfway (in log size) between 1 MiB (10 ns) and 4 MiB (40 ns).
        let curve = [(256 * KIB, 10.0), (512 * KIB, 10.0), (MIB, 10.0), (4 * MIB, 40.0), (8 * MIB, 40.0)];
        let shape = find(&curve).unwrap();
        assert_eq!(latencies(&shape), [10.0, 40.0]);
        assert_eq!(shape.steps, [Step { bytes: 2 * MIB, between: (MIB, 4 * MIB) }]);
        // Half an octave apart, a point at 20 ns between them is no plateau
        // of its own; the crossing is at it.
        let sizes = [512 * KIB, 724 * KIB, MIB, 1483 * KIB, 2 * MIB, 2896 * KIB, 4 * MIB];
        let curve: Vec<(u64, f64)> =
            sizes.iter().zip([10.0, 10.0, 10.0, 20.0, 40.0, 40.0, 40.0]).map(|(&b, l)| (b, l)).collect();
        let shape = find(&curve).unwrap();
        assert_eq!(latencies(&shape), [10.0, 40.0]);
        assert!(near(shape.steps[0].bytes, 1483 * KIB, 1.02), "{:?}", shape.steps);
    }

    #[test]
    fn a_point_that_alone_doubles_on_a_plateau_moves_no_step_and_no_figure() {
        let clean = find(&sweep(1 << 30, 3, staircase)).unwrap();
        let mut curve = sweep(1 << 30, 3, staircase);
        for i in [4, 14, 24, 40] {
            curve[i].1 *= 2.0;
        }
        let shape = find(&curve).unwrap();
        assert_eq!(latencies(&shape), latencies(&clean));
        assert_eq!(shape.steps, clean.steps);
        assert!(shape.ends_on_plateau());
    }

    #[test]
    fn a_last_point_that_doubles_is_kept_and_too_little_to_end_the_plateau() {
        // The end points are not smoothed: the point stays off the plateau
        // and out of its figure, and covers too little to be a level.
        let mut curve = sweep(1 << 30, 3, staircase);
        curve.last_mut().unwrap().1 *= 2.2;
        let shape = find(&curve).unwrap();
        assert_eq!(latencies(&shape), [1.2, 4.5, 30.0, 100.0]);
        assert_eq!(shape.plateaus[3].last, curve.len() - 2);
        assert!(shape.ends_on_plateau());
        // At one point per octave, a last point on a level of its own covers an octave.
        let shape = find(&sweep(64 * MIB, 1, staircase)).unwrap();
        assert_eq!(latencies(&shape), [1.2, 4.5, 30.0, 100.0]);
    }

    #[test]
    fn points_near_a_boundary_that_move_twofold_move_the_step_by_under_half_an_octave() {
        let clean = find(&sweep(1 << 30, 3, staircase)).unwrap();
        // Run-to-run noise of a VM at every boundary: the point just below
        // doubles, the one just above halves.
        let curve = sweep(1 << 30, 3, staircase);
        let mut noisy = curve.clone();
        for capacity in CAPACITIES {
            let above = curve.iter().position(|p| p.0 > capacity).unwrap();
            noisy[above - 1].1 *= 2.0;
            noisy[above].1 /= 2.0;
        }
        let shape = find(&noisy).unwrap();
        assert_eq!(latencies(&shape), latencies(&clean));
        for (got, want) in shape.steps.iter().zip(&clean.steps) {
            assert!(near(got.bytes, want.bytes, 2f64.sqrt()), "step {got:?}, clean {want:?}");
        }
    }

    #[test]
    fn a_missing_level_gives_one_plateau_fewer() {
        // No third cache: from 4.5 ns straight to 100 ns past 2 MiB.
        let shape = find(&sweep(1 << 30, 3, |b| if b > 2 * MIB { 100.0 } else { staircase(b) })).unwrap();
        assert_eq!(latencies(&shape), [1.2, 4.5, 100.0]);
        let step = shape.steps[1];
        assert!(step.between.0 <= 2 * MIB && step.between.1 > 2 * MIB, "{step:?}");
    }

    #[test]
    fn a_gradual_rise_between_plateaus_is_one_step_at_its_log_midpoint() {
        // From 4.5 ns at 2 MiB up to 60 ns at 16 MiB, evenly in log-log
        // (2.4x per doubling), then 60 ns.
        let ramp = |b: u64| {
            let octaves = (b as f64 / (2 * MIB) as f64).log2().clamp(0.0, 3.0);
            if b <= 48 * KIB {
                1.2
            } else {
                4.5 * (60f64 / 4.5).powf(octaves / 3.0)
            }
        };
        let shape = find(&sweep(1 << 30, 3, ramp)).unwrap();
        assert_eq!(latencies(&shape), [1.2, 4.5, 60.0]);
        // The geometric mean of 4.5 and 60 ns is reached halfway up, 2^1.5 x 2 MiB.
        assert!(near(shape.steps[1].bytes, 5_931_642, 1.01), "{:?}", shape.steps);
    }

    #[test]
    fn a_plateau_that_rises_slowly_stays_one_plateau() {
        // The third level climbs from 20 to 35 ns over its 4 octaves (shared
        // slices, TLB reach); DRAM climbs from 100 to 200 ns (page walks).
        let slope = |b: u64| match b {
            b if b > 2 * MIB && b <= 32 * MIB => 20.0 * 1.75f64.powf((b as f64 / (2 * MIB) as f64).log2() / 4.0),
            b if b > 32 * MIB => 100.0 * 2f64.powf((b as f64 / (32 * MIB) as f64).log2() / 5.0),
            b => staircase(b),
        };
        let shape = find(&sweep(1 << 30, 3, slope)).unwrap();
        assert_eq!(latencies(&shape).len(), 4, "{:?}", latencies(&shape));
        for (step, capacity) in shape.steps.iter().zip(CAPACITIES) {
            assert!(step.between.0 <= capacity && step.between.1 > capacity, "{step:?}");
        }
    }

    #[test]
    fn a_long_rise_inside_dram_stays_one_plateau() {
        // As on the guest under load: DRAM from 400 ns at 8 MiB to 1050 ns
        // at 1 GiB (nested page walks); no climb of 1.5x between any two
        // neighbouring points, though the medians of its halves differ by more.
        let caches = steps(&[(48 * KIB, 3.1), (2 * MIB, 10.7), (5 * MIB, 72.0)], f64::NAN);
        let loaded = |b: u64| match b {
            b if b <= 5 * MIB => caches(b),
            b => 400.0 * (1050f64 / 400.0).powf((b as f64 / (8 * MIB) as f64).log2().max(0.0) / 7.0),
        };
        let shape = find(&sweep(1 << 30, 3, loaded)).unwrap();
        assert_eq!(shape.plateaus.len(), 4, "{:?}", latencies(&shape));
        assert_eq!(&latencies(&shape)[..3], [3.1, 10.7, 72.0]);
        assert_eq!(shape.points[shape.plateaus[3].last].0, 1 << 30);
    }

    #[test]
    fn a_sparse_curve_of_one_point_per_level_has_a_plateau_per_point() {
        // points=levels: one size inside each declared level and one past the last.
        let curve = [(12 * KIB, 1.2), (300 * KIB, 4.5), (24 * MIB, 100.0), (256 * MIB, 110.0)];
        let shape = find(&curve).unwrap();
        assert_eq!(latencies(&shape), [1.2, 4.5, 105.0]);
        assert_eq!(shape.steps[1].between, (300 * KIB, 24 * MIB));
    }

    #[test]
    fn too_few_points_are_refused_and_a_flat_curve_is_one_plateau() {
        assert_eq!(find(&[(4096, 1.0), (8192, 1.0)]), Err(TooFewPoints { points: 2 }));
        assert_eq!(find(&[(4096, 1.0), (8192, f64::NAN), (16384, 0.0)]), Err(TooFewPoints { points: 1 }));
        let flat = find(&[(16384, 1.0), (4096, 1.0), (8192, 1.1)]).unwrap();
        assert_eq!(latencies(&flat), [1.0]);
        assert!(flat.steps.is_empty());
    }

    #[test]
    fn a_dense_run_of_distinct_points_is_no_plateau() {
        // Three points a third of an octave apart, each twice the last.
        let shape = find(&[(4096, 1.0), (5120, 2.0), (6464, 4.0)]).unwrap();
        assert!(shape.plateaus.is_empty());
        assert!(!shape.ends_on_plateau());
    }

    #[test]
    fn latency_rising_for_an_octave_past_the_last_plateau_does_not_end_on_it() {
        // 16x per doubling past 32 MiB, up to 128 MiB: five points, no plateau.
        let rising = |b: u64| if b <= 32 * MIB { staircase(b) } else { 30.0 * (b as f64 / (32 * MIB) as f64).powi(4) };
        let shape = find(&sweep(128 * MIB, 3, rising)).unwrap();
        assert_eq!(latencies(&shape), [1.2, 4.5, 30.0]);
        assert!(!shape.ends_on_plateau());
        // Up to 60 MiB, two points past it: too little to be a level.
        assert!(find(&sweep(60 * MIB, 3, rising)).unwrap().ends_on_plateau());
    }
}
