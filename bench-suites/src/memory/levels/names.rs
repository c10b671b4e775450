//! Naming a curve's plateaus after the cache levels the topology declares
//! and DRAM, and saying where the declaration and the curve disagree
//! (docs/METHODS.md, "Memory latency").
//!
//! - DRAM is the last plateau, when the curve ends on it (see
//!   [`Shape::ends_on_plateau`]) and either reaches [`DRAM_PAST`] times the
//!   largest declared cache or has more plateaus than there are declared
//!   levels. Declared sizes are taken as upper bounds (a hypervisor passes
//!   the host's; [`DRAM_PAST`] leaves room for an exclusive cache), so past
//!   twice the largest only DRAM is left. A curve that ends on a plateau
//!   short of that leaves its last plateau unnamed (a cache or DRAM: the
//!   sweep cannot tell); a curve still rising for an octave past its last
//!   plateau has no DRAM.
//! - The other plateaus are matched to the declared levels in order: each
//!   plateau's extent (the step above it) to a declared size, keeping the
//!   order of both, every plateau or every level matched (whichever are
//!   fewer), with the least total distance in log size. A declared level
//!   left over has no figure; a plateau left over has no name.
//! - A matched level disagrees with its declaration when its declared size
//!   lies more than [`DISAGREE_FACTOR`] beyond the two sizes its step lies
//!   between; a declared level with no plateau of its own disagrees when
//!   the curve names a plateau above it.

use hwbench_schema::units::format_bytes;

use super::plateaus::{Plateau, Shape};

/// The last plateau is DRAM once the curve reaches this many times the
/// largest declared cache.
pub const DRAM_PAST: u64 = 2;
/// Declared and measured sizes disagree beyond this factor.
pub const DISAGREE_FACTOR: f64 = 2.0;
/// The name of the DRAM level.
pub const DRAM: &str = "dram";

/// The plateaus named, and what the naming found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Naming {
    /// Per plateau of the shape: "l1", "l2", ... or "dram"; None when unnamed.
    pub names: Vec<Option<String>>,
    /// Per plateau left unnamed: (its index, why).
    pub unnamed: Vec<(usize, String)>,
    /// Declared levels, and DRAM, that have no plateau: (name, why).
    pub absent: Vec<(String, String)>,
    /// Where the declared levels and the curve disagree, a sentence each.
    pub disagreements: Vec<String>,
}

/// Names the plateaus of `shape` after `caches`, (level, per-instance
/// bytes) as one thread sees them, ascending.
pub fn name(shape: &Shape, caches: &[(u8, u64)]) -> Naming {
    let plateaus = &shape.plateaus;
    let mut naming = Naming { names: vec![None; plateaus.len()], ..Naming::default() };
    let largest_cache = caches.last().copied();
    let reaches_past = largest_cache.is_none_or(|(_, bytes)| shape.largest() >= DRAM_PAST * bytes);
    let ends = shape.ends_on_plateau();
    let dram = ends && (reaches_past || plateaus.len() > caches.len());
    let candidates = if ends { plateaus.len() - 1 } else { plateaus.len() };
    if dram {
        naming.names[candidates] = Some(DRAM.into());
    } else {
        let why = dram_missing(shape, largest_cache);
        if ends {
            naming.unnamed.push((candidates, why.clone()));
        }
        naming.absent.push((DRAM.into(), why));
    }
    let extents: Vec<f64> = (0..candidates).map(|k| (extent(shape, k).0 as f64).log2()).collect();
    let declared: Vec<f64> = caches.iter().map(|c| (c.1 as f64).log2()).collect();
    let pairs = align(&extents, &declared);
    for &(k, j) in &pairs {
        naming.names[k] = Some(level_name(caches[j].0));
    }
    for &(k, j) in &pairs {
        if let Some(sentence) = capacity_disagreement(shape, k, caches[j], &naming) {
            naming.disagreements.push(sentence);
        }
    }
    for k in (0..candidates).filter(|k| !pairs.iter().any(|p| p.0 == *k)) {
        let p = &plateaus[k];
        let sentence = format!(
            "a plateau at {} from {} to {} matches no declared cache level",
            ns(p.latency_ns),
            format_bytes(shape.points[p.first].0),
            format_bytes(shape.points[p.last].0)
        );
        naming.unnamed.push((k, sentence.clone()));
        naming.disagreements.push(sentence);
    }
    for (j, &(level, bytes)) in caches.iter().enumerate().filter(|(j, _)| !pairs.iter().any(|p| p.1 == *j)) {
        let declared = format!("declared {} {}", upper(level), format_bytes(bytes));
        // The first named plateau above where this level would be.
        let above = (0..plateaus.len()).find(|&k| match naming.names[k].as_deref() {
            Some(DRAM) => true,
            Some(_) => pairs.iter().any(|&(pk, pj)| pk == k && pj > j),
            None => false,
        });
        let why = match above {
            Some(k) => {
                let sentence = format!("{declared} has no plateau of its own; {}", reaches(shape, k, &naming));
                naming.disagreements.push(sentence.clone());
                sentence
            }
            None => format!(
                "{declared}: no plateau of the curve is named for it up to its largest size, {}",
                format_bytes(shape.largest())
            ),
        };
        naming.absent.push((level_name(level), why));
    }
    naming.absent.sort();
    naming
}

/// "l3" for level 3.
fn level_name(level: u8) -> String {
    format!("l{level}")
}

/// "L3" for level 3.
fn upper(level: u8) -> String {
    format!("L{level}")
}

/// "38.2 ns".
fn ns(latency: f64) -> String {
    format!("{latency:.1} ns")
}

/// How far plateau `k` reaches: its step's bracket, or from its last size
/// on when the curve rises past it with no plateau after.
fn extent(shape: &Shape, k: usize) -> (u64, (u64, u64)) {
    match shape.steps.get(k) {
        Some(step) => (step.bytes, step.between),
        None => {
            let last = shape.points[shape.plateaus[k].last].0;
            (last, (last, u64::MAX))
        }
    }
}

/// "latency reaches DRAM (266.1 ns) by 8 MiB": where plateau `k` begins.
fn reaches(shape: &Shape, k: usize, naming: &Naming) -> String {
    let p = &shape.plateaus[k];
    let what = naming.names[k].as_deref().map_or("the next plateau".into(), |n| n.to_uppercase());
    format!("latency reaches {what} ({}) by {}", ns(p.latency_ns), format_bytes(shape.points[p.first].0))
}

/// The sentence when cache plateau `k`, matched to `cache`, ends more than
/// the factor away from its declared size.
fn capacity_disagreement(shape: &Shape, k: usize, (level, declared): (u8, u64), naming: &Naming) -> Option<String> {
    let (at, (low, high)) = extent(shape, k);
    let p: &Plateau = &shape.plateaus[k];
    let head = format!("declared {} {}", upper(level), format_bytes(declared));
    let plateau = format!("the {} plateau, {}", upper(level), ns(p.latency_ns));
    if declared as f64 > DISAGREE_FACTOR * high as f64 {
        Some(format!("{head}; {} ({plateau}, ends near {})", reaches(shape, k + 1, naming), format_bytes(at)))
    } else if (declared as f64) * DISAGREE_FACTOR < low as f64 {
        Some(format!("{head}; latency stays on {plateau}, up to {}", format_bytes(low)))
    } else {
        None
    }
}

/// Why the curve has no DRAM plateau.
fn dram_missing(shape: &Shape, largest_cache: Option<(u8, u64)>) -> String {
    let largest = format_bytes(shape.largest());
    match (shape.plateaus.last(), shape.ends_on_plateau(), largest_cache) {
        (None, _, _) => "the curve has no plateau".into(),
        (Some(_), false, _) => {
            let last = shape.points.last().map_or(f64::NAN, |p| p.1);
            format!("latency still rises at the largest size ({largest}, {}): the curve shows no DRAM plateau", ns(last))
        }
        (Some(p), true, Some((level, bytes))) => format!(
            "the curve ends at {largest} on a plateau ({} from {}), short of {DRAM_PAST}x the declared {} {}: it may be a cache or DRAM",
            ns(p.latency_ns),
            format_bytes(shape.points[p.first].0),
            upper(level),
            format_bytes(bytes)
        ),
        (Some(_), true, None) => "no cache level is declared".into(),
    }
}

/// Pairs (i, j) that match every item of the shorter of `a` and `b` to a
/// distinct item of the other, both in order, with the least total |a_i -
/// b_j|.
fn align(a: &[f64], b: &[f64]) -> Vec<(usize, usize)> {
    if a.len() > b.len() {
        return align(b, a).into_iter().map(|(j, i)| (i, j)).collect();
    }
    let (n, m) = (a.len(), b.len());
    // cost[i][j]: the least cost of matching a[..i] into b[..j].
    let mut cost = vec![vec![f64::INFINITY; m + 1]; n + 1];
    cost[0].iter_mut().for_each(|c| *c = 0.0);
    for i in 1..=n {
        for j in i..=m {
            cost[i][j] = cost[i][j - 1].min(cost[i - 1][j - 1] + (a[i - 1] - b[j - 1]).abs());
        }
    }
    let mut pairs = Vec::with_capacity(n);
    let (mut i, mut j) = (n, m);
    while i > 0 {
        if cost[i][j] == cost[i - 1][j - 1] + (a[i - 1] - b[j - 1]).abs() {
            pairs.push((i - 1, j - 1));
            i -= 1;
        }
        j -= 1;
    }
    pairs.reverse();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::levels::plateaus::find;

    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;

    /// A 3-per-octave sweep from 4 KiB to `max` over plateaus that end at
    /// `ends` (bytes, latency ns up to there), then `last` ns.
    fn shape(max: u64, ends: &[(u64, f64)], last: f64) -> Shape {
        let curve: Vec<(u64, f64)> = (0..)
            .map(|k| (4096.0 * 2f64.powf(f64::from(k) / 3.0)).round() as u64)
            .take_while(|&b| b <= max)
            .map(|b| (b, ends.iter().find(|e| b <= e.0).map_or(last, |e| e.1)))
            .collect();
        find(&curve).unwrap()
    }

    fn names(naming: &Naming) -> Vec<Option<&str>> {
        naming.names.iter().map(|n| n.as_deref()).collect()
    }

    const CACHES: [(u8, u64); 3] = [(1, 48 * KIB), (2, 2 * MIB), (3, 32 * MIB)];

    #[test]
    fn plateaus_as_declared_are_named_in_order_with_dram_last() {
        let s = shape(1 << 30, &[(48 * KIB, 1.2), (2 * MIB, 4.5), (32 * MIB, 30.0)], 100.0);
        let naming = name(&s, &CACHES);
        assert_eq!(names(&naming), [Some("l1"), Some("l2"), Some("l3"), Some("dram")]);
        assert!(naming.absent.is_empty() && naming.disagreements.is_empty() && naming.unnamed.is_empty());
    }

    #[test]
    fn a_declared_size_far_past_the_measured_step_is_a_disagreement() {
        // The guest's view: a 480 MiB L3 declared, DRAM reached by 8 MiB.
        let caches = [(1, 48 * KIB), (2, 2 * MIB), (3, 480 * MIB)];
        let s = shape(1 << 30, &[(48 * KIB, 1.2), (2 * MIB, 4.5), (6 * MIB, 30.0)], 100.0);
        let naming = name(&s, &caches);
        assert_eq!(names(&naming), [Some("l1"), Some("l2"), Some("l3"), Some("dram")]);
        let first_dram = s.points[s.plateaus[3].first].0;
        assert_eq!(
            naming.disagreements,
            [format!(
                "declared L3 480 MiB; latency reaches DRAM (100.0 ns) by {} (the L3 plateau, 30.0 ns, ends near {})",
                format_bytes(first_dram),
                format_bytes(s.steps[2].bytes)
            )]
        );
    }

    #[test]
    fn a_last_point_that_jumps_leaves_dram_named_and_no_cache_with_its_figure() {
        // Seen on the guest under load: the last size at 2.2x DRAM's latency.
        let caches = [(1, 48 * KIB), (2, 2 * MIB), (3, 480 * MIB)];
        let mut s = shape(1 << 30, &[(48 * KIB, 1.2), (2 * MIB, 4.5), (4 * MIB, 70.0)], 400.0);
        s.points.last_mut().unwrap().1 = 880.0;
        let s = find(&s.points).unwrap();
        let naming = name(&s, &caches);
        assert_eq!(names(&naming), [Some("l1"), Some("l2"), Some("l3"), Some("dram")]);
        assert_eq!(s.plateaus[2].latency_ns, 70.0);
    }

    #[test]
    fn a_declared_level_without_a_plateau_is_absent_never_the_next_one() {
        let caches = [(1, 48 * KIB), (2, 2 * MIB), (3, 480 * MIB)];
        let s = shape(1 << 30, &[(48 * KIB, 1.2), (2 * MIB, 4.5)], 100.0);
        let naming = name(&s, &caches);
        assert_eq!(names(&naming), [Some("l1"), Some("l2"), Some("dram")]);
        let why = format!(
            "declared L3 480 MiB has no plateau of its own; latency reaches DRAM (100.0 ns) by {}",
            format_bytes(s.points[s.plateaus[2].first].0)
        );
        assert_eq!(naming.absent, [("l3".to_string(), why.clone())]);
        assert_eq!(naming.disagreements, [why]);
    }

    #[test]
    fn a_curve_ending_short_of_twice_the_largest_cache_leaves_its_last_plateau_unnamed() {
        // As many plateaus as declared levels, the sweep ending at 256 MiB
        // with 300 MiB declared: the last one may be L3 or DRAM.
        let caches = [(1, 48 * KIB), (2, 2 * MIB), (3, 300 * MIB)];
        let s = shape(256 * MIB, &[(48 * KIB, 1.2), (2 * MIB, 4.5)], 100.0);
        let naming = name(&s, &caches);
        assert_eq!(names(&naming), [Some("l1"), Some("l2"), None]);
        let absent: Vec<&str> = naming.absent.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(absent, ["dram", "l3"]);
        assert!(naming.absent[0].1.contains("short of 2x the declared L3 300 MiB: it may be a cache or DRAM"));
        assert_eq!(naming.unnamed[0].0, 2);
        assert!(naming.disagreements.is_empty(), "a short sweep is no disagreement");
    }

    #[test]
    fn one_plateau_more_than_declared_levels_ends_in_dram_even_short() {
        let caches = [(1, 48 * KIB), (2, 2 * MIB), (3, 300 * MIB)];
        let s = shape(64 * MIB, &[(48 * KIB, 1.2), (2 * MIB, 4.5), (8 * MIB, 30.0)], 100.0);
        assert_eq!(names(&name(&s, &caches)), [Some("l1"), Some("l2"), Some("l3"), Some("dram")]);
        // Two caches declared, four plateaus: one cache plateau is left over.
        let naming = name(&s, &caches[..2]);
        assert_eq!(names(&naming), [Some("l1"), Some("l2"), None, Some("dram")]);
        assert!(naming.disagreements[0].starts_with("a plateau at 30.0 ns from "), "{:?}", naming.disagreements);
    }

    #[test]
    fn a_curve_still_rising_has_no_dram_and_its_plateaus_are_caches() {
        // Past the third plateau latency doubles with every point for an octave and more.
        let mut curve: Vec<(u64, f64)> = shape(32 * MIB, &[(48 * KIB, 1.2), (2 * MIB, 4.5)], 30.0).points;
        curve.extend(
            (1..=5)
                .map(|k| ((32 * MIB) as f64 * 2f64.powf(f64::from(k) / 3.0)).round() as u64)
                .zip([60.0, 120.0, 240.0, 480.0, 960.0]),
        );
        let s = find(&curve).unwrap();
        assert!(!s.ends_on_plateau());
        let naming = name(&s, &CACHES);
        assert_eq!(names(&naming), [Some("l1"), Some("l2"), Some("l3")]);
        assert!(naming.absent[0].1.starts_with("latency still rises at the largest size"), "{:?}", naming.absent);
    }

    #[test]
    fn alignment_keeps_order_and_the_least_distance() {
        // Two plateaus ending near the first and third declared sizes.
        assert_eq!(align(&[15.5, 25.0], &[15.6, 21.0, 25.0]), [(0, 0), (1, 2)]);
        assert_eq!(align(&[15.6, 21.0, 25.0], &[15.5, 25.0]), [(0, 0), (2, 1)]);
        // In order even when a later size is nearer.
        assert_eq!(align(&[30.0, 31.0], &[15.0, 21.0]), [(0, 0), (1, 1)]);
        assert!(align(&[], &[15.0]).is_empty());
    }
}
