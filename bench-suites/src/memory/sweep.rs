//! Working-set sizes for a latency curve: a log sweep from 4 KiB to at
//! least 4x the last-level cache, plus points around each cache size.

/// Sizes from `min` to the first step at or past `max`, `per_octave` points
/// per doubling, plus 0.75x, 0.9x, 1.1x and 1.25x of each cache size in
/// range; each rounded to `align` and deduplicated (within 2%).
pub fn sizes(min: u64, max: u64, per_octave: u32, cache_sizes: &[u64], align: u64) -> Vec<u64> {
    let per_octave = per_octave.max(1);
    let mut out = Vec::new();
    let mut k = 0u32;
    loop {
        let size = (min as f64 * 2f64.powf(f64::from(k) / f64::from(per_octave))).round() as u64;
        out.push(size);
        if size >= max {
            break;
        }
        k += 1;
    }
    let top = *out.last().unwrap_or(&max);
    for &cache in cache_sizes {
        for factor in [0.75, 0.9, 1.1, 1.25] {
            let s = (cache as f64 * factor) as u64;
            if s > min && s < top {
                out.push(s);
            }
        }
    }
    let mut out: Vec<u64> = out.into_iter().map(|s| (s / align).max(1) * align).collect();
    out.sort_unstable();
    out.dedup_by(|b, a| (*b as f64) < *a as f64 * 1.02);
    out
}

/// One size well inside each declared cache level (the geometric middle of
/// twice the level below and half the level) and one at `max`, past the
/// last level: points away from the cache boundaries, where run-to-run
/// spread is smallest. Each point is a plateau of its own to
/// `levels::plateaus` when its latency differs from its neighbours'; a
/// declared size the machine does not have puts its point on the next
/// level. Sizes outside `min..=max` are left out; each is rounded to
/// `align`.
pub fn inside_levels(min: u64, max: u64, cache_sizes: &[u64], align: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut below = 0u64;
    for &size in cache_sizes {
        let (lo, hi) = ((2 * below).max(min) as f64, (size / 2) as f64);
        if hi >= lo {
            out.push((((lo * hi).sqrt() as u64) / align).max(1) * align);
        }
        below = size;
    }
    out.push((max / align).max(1) * align);
    out.retain(|&s| s >= min && s <= max);
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_points_sit_inside_each_level_and_past_the_last() {
        let caches = [48 << 10, 2 << 20, 300 << 20];
        let s = inside_levels(4096, 2 << 30, &caches, 64);
        assert_eq!(s.len(), 4);
        // L1: between 4 KiB and 24 KiB; L2: 96 KiB..1 MiB; L3: 4..150 MiB.
        assert!(s[0] > 4096 && s[0] <= 24 << 10, "{s:?}");
        assert!(s[1] >= 96 << 10 && s[1] <= 1 << 20, "{s:?}");
        assert!(s[2] >= 4 << 20 && s[2] <= 150 << 20, "{s:?}");
        assert_eq!(s[3], 2 << 30);
        assert!(s.iter().all(|x| x % 64 == 0));
        // A cap below a level leaves that level's point out.
        assert_eq!(inside_levels(4096, 1 << 20, &caches, 64).len(), 3);
    }

    #[test]
    fn sweeps_log_spaced_past_four_times_the_llc_with_points_near_caches() {
        let caches = [48 << 10, 2 << 20, 480 << 20];
        let llc4 = 4 * (480u64 << 20);
        let s = sizes(4096, llc4, 3, &caches, 64);
        assert_eq!(s[0], 4096);
        assert!(*s.last().unwrap() >= llc4);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert!(s.iter().all(|x| x % 64 == 0));
        // At least 6 points per decade across the whole range.
        let decades = (*s.last().unwrap() as f64 / 4096.0).log10();
        assert!(s.len() as f64 >= 6.0 * decades, "{} points over {decades:.1} decades", s.len());
        for c in caches {
            assert!(s.iter().any(|&x| x > c && (x as f64) < c as f64 * 1.3), "nothing just above {c}");
            assert!(s.iter().any(|&x| x < c && (x as f64) > c as f64 * 0.7), "nothing just below {c}");
        }
    }
}
