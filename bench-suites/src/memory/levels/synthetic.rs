//! Synthetic latency curves for the tests of level finding: log sweeps
//! over staircases of known levels.

/// Bytes in a KiB.
pub const KIB: u64 = 1 << 10;
/// Bytes in a MiB.
pub const MIB: u64 = 1 << 20;

/// Log sizes from 4 KiB to `max`, `per_octave` to a doubling, with
/// `latency(bytes)` at each.
pub fn sweep(max: u64, per_octave: u32, latency: impl Fn(u64) -> f64) -> Vec<(u64, f64)> {
    (0..)
        .map(|k| (4096.0 * 2f64.powf(f64::from(k) / f64::from(per_octave))).round() as u64)
        .take_while(|&b| b <= max)
        .map(|b| (b, latency(b)))
        .collect()
}

/// Latency by size over levels that end at `ends` (bytes, latency ns up to
/// there, ascending), then `last` ns.
pub fn steps(ends: &[(u64, f64)], last: f64) -> impl Fn(u64) -> f64 + '_ {
    move |b| ends.iter().find(|e| b <= e.0).map_or(last, |e| e.1)
}
