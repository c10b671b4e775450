//! Naming a curve's plateaus after the cache levels the topology declares
//! and DRAM, and saying where the declaration and the curve disagree
//! (docs/METHODS.md, "Memory latency").
//!
//! Declared sizes are trusted to within [`MARGIN`] as upper bounds: a
//! hypervisor passes the host's sizes, which the guest may not get, and no
//! cache shows a plateau past [`MARGIN`] times its declared size (the
//! margin leaves room for an exclusive cache beside the level below).
//!
//! - DRAM is the last plateau, when the curve ends on it (see
//!   [`Shape::ends_on_plateau`]) and either reaches [`MARGIN`] times the
//!   largest declared cache or has more plateaus than there are declared
//!   levels. A curve that ends on a plateau short of that leaves its last
//!   plateau unnamed (a cache or DRAM: the sweep cannot tell); a curve
//!   still rising for an octave past its last plateau has no DRAM.
//! - The other plateaus take the declared names in order: each, ascending,
//!   the lowest level not yet taken that can hold it (its declared size
//!   times [`MARGIN`] reaches the plateau's largest point). A level passed
//!   over or never reached has no figure; a plateau with no level left has
//!   no name. In order, an inflated declaration (a 480 MiB L3 measured as
//!   8 MiB) still names the plateau that is there, and never a DRAM-like
//!   plateau above it.
//! - A named level disagrees with its declaration when its declared size is
//!   more than [`MARGIN`] times the larger of the two sizes its step lies
//!   between; a declared level with no plateau of its own disagrees when
//!   the curve names a plateau above it; a plateau with no name disagrees.

use hwbench_schema::units::format_bytes;

use super::plateaus::{Plateau, Shape};

/// Declared sizes are trusted to within this factor (see the module).
pub const MARGIN: u64 = 2;
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
    let reaches_past = largest_cache.is_none_or(|(_, bytes)| shape.largest() >= MARGIN.saturating_mul(bytes));
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
    let pairs = matching(shape, candidates, caches);
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

/// "latency reaches DRAM (266.1 ns) by 8 MiB": where plateau `k` begins.
fn reaches(shape: &Shape, k: usize, naming: &Naming) -> String {
    let p = &shape.plateaus[k];
    let what = naming.names[k].as_deref().map_or("the next plateau".into(), |n| n.to_uppercase());
    format!("latency reaches {what} ({}) by {}", ns(p.latency_ns), format_bytes(shape.points[p.first].0))
}

/// The sentence when cache plateau `k`, named after `cache`, steps up to
/// the next plateau more than the margin below its declared size.
fn capacity_disagreement(shape: &Shape, k: usize, (level, declared): (u8, u64), naming: &Naming) -> Option<String> {
    let step = shape.steps.get(k)?;
    if declared <= MARGIN.saturating_mul(step.between.1) {
        return None;
    }
    let p: &Plateau = &shape.plateaus[k];
    Some(format!(
        "declared {} {}; {} (the {} plateau, {}, ends near {})",
        upper(level),
        format_bytes(declared),
        reaches(shape, k + 1, naming),
        upper(level),
        ns(p.latency_ns),
        format_bytes(step.bytes)
    ))
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
            "the curve ends at {largest} on a plateau ({} from {}), short of {MARGIN}x the declared {} {}: it may be a cache or DRAM",
            ns(p.latency_ns),
            format_bytes(shape.points[p.first].0),
            upper(level),
            format_bytes(bytes)
        ),
        (Some(_), true, None) => "no cache level is declared".into(),
    }
}

/// (plateau, declared level) pairs: plateaus `0..candidates` in order,
/// each to the lowest level not yet taken whose size times the margin
/// reaches the plateau's largest point.
fn matching(shape: &Shape, candidates: usize, caches: &[(u8, u64)]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut levels = 0..caches.len();
    for (k, plateau) in shape.plateaus[..candidates].iter().enumerate() {
        let largest = shape.points[plateau.last].0;
        match levels.find(|&j| MARGIN.saturating_mul(caches[j].1) >= largest) {
            Some(j) => pairs.push((k, j)),
            None => break,
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::levels::plateaus::find;
    use crate::memory::levels::synthetic::{steps, sweep, KIB, MIB};

    /// A 3-per-octave sweep from 4 KiB to `max` over plateaus that end at
    /// `ends` (bytes, latency ns up to there), then `last` ns.
    fn shape(max: u64, ends: &[(u64, f64)], last: f64) -> Shape {
        find(&sweep(max, 3, steps(ends, last))).unwrap()
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
    fn plateaus_take_the_lowest_level_that_can_hold_them_in_order() {
        // An extra plateau above the guest's real L3 (a DRAM rise cut in
        // two) is left unnamed; the inflated L3 goes to the plateau below.
        let caches = [(1, 48 * KIB), (2, 2 * MIB), (3, 480 * MIB)];
        let s = shape(1 << 30, &[(48 * KIB, 1.2), (2 * MIB, 4.5), (4 * MIB, 70.0), (300 * MIB, 400.0)], 1000.0);
        let naming = name(&s, &caches);
        assert_eq!(names(&naming), [Some("l1"), Some("l2"), Some("l3"), None, Some("dram")]);
        assert!(naming.disagreements.iter().any(|d| d.starts_with("a plateau at 400.0 ns from ")));
        // L2 and L3 too close in latency to be two plateaus: the one plateau
        // up to 6 MiB is too large for a 1 MiB L2 and takes the L3's name.
        let caches = [(1, 48 * KIB), (2, MIB), (3, 8 * MIB)];
        let s = shape(1 << 30, &[(48 * KIB, 1.2), (6 * MIB, 12.0)], 100.0);
        let naming = name(&s, &caches);
        assert_eq!(names(&naming), [Some("l1"), Some("l3"), Some("dram")]);
        assert_eq!(naming.absent[0].0, "l2");
        assert!(naming.absent[0]
            .1
            .starts_with("declared L2 1 MiB has no plateau of its own; latency reaches L3 (12.0 ns) by "));
    }
}
