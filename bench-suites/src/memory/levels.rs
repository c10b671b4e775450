//! Attributing a latency curve to cache levels and DRAM: the median of the
//! points well inside each level.

/// A level and the latency attributed to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// "l1", "l2", "l3", ... or "dram".
    pub name: String,
    /// Median latency of the points inside the level, ns.
    pub latency_ns: f64,
    /// Working-set sizes the figure rests on.
    pub sizes: Vec<u64>,
}

/// A point is "well inside" a cache when it fills at most half of it and
/// more than twice the level below; DRAM points are at least 4x the LLC.
/// `caches` are (level, per-instance size) as one thread sees them; `curve`
/// is (bytes, latency ns). Levels with no point inside are left out.
pub fn attribute(caches: &[(u8, u64)], curve: &[(u64, f64)]) -> Vec<Level> {
    let mut levels = Vec::new();
    let mut below = 0u64;
    for &(level, size) in caches {
        push_level(&mut levels, format!("l{level}"), curve, |b| b > 2 * below && b <= size / 2);
        below = size;
    }
    if below > 0 {
        push_level(&mut levels, "dram".into(), curve, |b| b >= 4 * below);
    }
    levels
}

fn push_level(levels: &mut Vec<Level>, name: String, curve: &[(u64, f64)], inside: impl Fn(u64) -> bool) {
    let points: Vec<&(u64, f64)> = curve.iter().filter(|(b, _)| inside(*b)).collect();
    if points.is_empty() {
        return;
    }
    let latencies: Vec<f64> = points.iter().map(|(_, l)| *l).collect();
    levels.push(Level {
        name,
        latency_ns: hwbench_schema::numbers::median(&latencies).unwrap_or(f64::NAN),
        sizes: points.iter().map(|(b, _)| *b).collect(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_gets_the_median_of_its_plateau() {
        let caches = [(1, 32 << 10), (2, 1 << 20), (3, 32 << 20)];
        let curve = [
            (4 << 10, 1.0),
            (8 << 10, 1.2),
            (16 << 10, 1.1),
            (32 << 10, 2.0), // the L1 edge: not well inside anything
            (128 << 10, 4.0),
            (256 << 10, 4.4),
            (512 << 10, 4.2),
            (4 << 20, 15.0),
            (16 << 20, 17.0),
            (128 << 20, 90.0),
            (256 << 20, 100.0),
        ];
        let levels = attribute(&caches, &curve);
        let got: Vec<(&str, f64)> = levels.iter().map(|l| (l.name.as_str(), l.latency_ns)).collect();
        assert_eq!(got, [("l1", 1.1), ("l2", 4.2), ("l3", 16.0), ("dram", 95.0)]);
        assert_eq!(levels[3].sizes, [128 << 20, 256 << 20]);
    }

    #[test]
    fn levels_without_points_are_left_out() {
        let levels = attribute(&[(1, 32 << 10), (2, 1 << 20)], &[(4 << 10, 1.0)]);
        assert_eq!(levels.len(), 1);
        assert_eq!(levels[0].name, "l1");
    }
}
