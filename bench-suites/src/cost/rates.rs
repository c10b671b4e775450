//! The machine-speed rates a cost model counts work in. The assumed rates
//! are what the benchmarks' work costs on the project's development VM (a
//! 2-vCPU KVM guest, Intel Xeon model 167), tuned against its real runs;
//! they fold in what each piece of work does beside the named operation
//! (validation, page tables, thread hand-offs). On the live machine a short
//! probe times three small pieces of work whose times on that VM are known
//! ([`REFERENCE`]) and scales the assumed rates by how much faster or
//! slower this machine did them; a fixture tree, or a probe that fails,
//! keeps the assumed rates and says why (docs/METHODS.md, "Plans and
//! budgets").

use std::hint::black_box;
use std::time::Instant;

use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_probes::SysRoot;
use hwbench_schema::numbers::SplitMix64;
use serde::Serialize;

use super::crowd::{self, Crowd};
use crate::host::Host;

/// First touch with 4 KiB pages, GB/s per thread, where not measured.
const TOUCH_GBS_4K: f64 = 1.0;
/// The same with huge pages (THP or hugetlb): fewer, larger faults.
const TOUCH_GBS_HUGE: f64 = 2.5;
/// Memory bandwidth, GB/s per thread streaming from DRAM.
const DRAM_GBS_PER_THREAD: f64 = 8.0;
/// A random swap per line of a chase's permutation, ns, while the
/// permutation fits the last-level cache ...
const SHUFFLE_NS_CACHED: f64 = 6.0;
/// ... and when it does not (independent misses overlap): not probed,
/// scaled with the cached figure.
const SHUFFLE_NS_MEMORY: f64 = 25.0;

/// Page migration (move_pages, mbind, migrate_pages), GB/s, with 4 KiB
/// pages and with huge pages: not probed, scaled with first touch (both
/// are page faults and copies or zeroing of whole pages).
const MIGRATE_GBS_4K: f64 = 1.5;
const MIGRATE_GBS_HUGE: f64 = 4.0;

/// Bytes the probe first-touches with 4 KiB pages and then streams: past
/// the last-level cache one core reaches on the machines hwbench is used
/// on. (Huge pages are not probed: whether THP finds free huge pages at
/// once changes their first touch 20-fold from one moment to the next.)
const PROBE_BYTES: usize = 128 << 20;
/// Entries of the permutation it shuffles (4 MiB of u32).
const PROBE_SHUFFLE_LINES: usize = 1 << 20;
/// A speed ratio beyond this factor either way is taken as a probe that
/// went wrong (a page-fault storm, a stall) and clamped.
const PROBE_CLAMP: f64 = 20.0;

/// What the probe measured on the development VM, quiet (five probes,
/// their median): first touch with 4 KiB pages and DRAM streaming, GB/s on
/// one thread, and the shuffle, ns a line.
pub const REFERENCE: Probe = Probe { touch_gbs: 2.82, stream_gbs: 10.31, shuffle_ns: 3.48 };

/// What the probe times on one thread.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Probe {
    /// First touch of 128 MiB with 4 KiB pages, GB/s.
    pub touch_gbs: f64,
    /// Reading the 128 MiB once (the faster of two reads), GB/s.
    pub stream_gbs: f64,
    /// A random shuffle of a 4 MiB permutation, ns a line.
    pub shuffle_ns: f64,
}

/// The rates a cost model uses where the machine's speed matters.
#[derive(Debug, Clone, Serialize)]
pub struct Rates {
    /// First touch with 4 KiB pages, GB/s per thread.
    pub touch_gbs_4k: f64,
    /// First touch with huge pages, GB/s per thread.
    pub touch_gbs_huge: f64,
    /// Streaming from DRAM, GB/s per thread.
    pub dram_gbs_per_thread: f64,
    /// Shuffling a chase's permutation that fits the last-level cache, ns a line.
    pub shuffle_ns_cached: f64,
    /// Shuffling one that does not, ns a line.
    pub shuffle_ns_memory: f64,
    /// Page migration with 4 KiB pages, GB/s.
    pub migrate_gbs_4k: f64,
    /// Page migration with huge pages, GB/s.
    pub migrate_gbs_huge: f64,
    /// What the probe timed on this machine; absent where it did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
    /// How a timed thread fares beside busy CPUs: probed, or the
    /// development VM's.
    pub crowd: Crowd,
    /// Where the rates come from: "scaled by a probe of this machine ...",
    /// or "assumed: " and why.
    pub source: String,
}

impl Rates {
    /// The rates the project's development VM showed, for a machine that
    /// cannot be probed; `why` says why not.
    pub fn assumed(why: &str) -> Rates {
        Rates {
            touch_gbs_4k: TOUCH_GBS_4K,
            touch_gbs_huge: TOUCH_GBS_HUGE,
            dram_gbs_per_thread: DRAM_GBS_PER_THREAD,
            shuffle_ns_cached: SHUFFLE_NS_CACHED,
            shuffle_ns_memory: SHUFFLE_NS_MEMORY,
            migrate_gbs_4k: MIGRATE_GBS_4K,
            migrate_gbs_huge: MIGRATE_GBS_HUGE,
            probe: None,
            crowd: crowd::REFERENCE,
            source: format!("assumed (the development VM's): {why}"),
        }
    }

    /// The rates of `host`: probed when it is this machine, assumed for a
    /// fixture tree. The crowd is probed on the allowed CPUs of the node
    /// of the first allowed CPU.
    pub fn of(host: &Host) -> Rates {
        if !host.root.is_live() {
            return Rates::assumed("a fixture tree describes another machine, whose speed this one cannot show");
        }
        let first = host.allowed_cpus().first().copied();
        let first_node =
            host.topology.nodes.iter().find(|n| first.is_some_and(|c| n.cpus.contains(&c))).map(|n| n.os_index);
        match probe(&host.root) {
            Ok(rates) => rates.crowded(crowd::probe(&host.cpus_near(first_node))),
            Err(e) => Rates::assumed(&format!("the probe of this machine's speed failed: {e}")),
        }
    }

    /// The same rates with what the crowd probe saw, or, where it failed,
    /// the development VM's crowd and why.
    fn crowded(self, probed: Result<Crowd, String>) -> Rates {
        let crowd = match probed {
            Ok(crowd) => crowd,
            Err(e) => {
                let source = format!(
                    "{}; threads beside each other as on the development VM: the crowd probe failed: {e}",
                    self.source
                );
                return Rates { crowd: crowd::REFERENCE, source, ..self };
            }
        };
        let source = format!(
            "{}; a timed thread's slices: {:.0}% kept alone, a phase x{} its plan; beside busy CPUs ({} on the node) {:.0}% kept, x{}, each thread x{} as slow",
            self.source,
            crowd.alone.kept * 100.0,
            round(crowd.alone.stretch),
            crowd.cpus,
            crowd.crowded.kept * 100.0,
            round(crowd.crowded.stretch),
            round(crowd.slowdown)
        );
        Rates { crowd, source, ..self }
    }

    /// The rates in words, for plans.
    pub fn describe(&self) -> String {
        format!(
            "first touch {} GB/s per thread with 4 KiB pages, {} GB/s with huge pages; DRAM {} GB/s per thread; a chase's shuffle {} ns a line in cache, {} ns beyond; page migration {} GB/s with 4 KiB pages, {} GB/s with huge pages ({})",
            round(self.touch_gbs_4k),
            round(self.touch_gbs_huge),
            round(self.dram_gbs_per_thread),
            round(self.shuffle_ns_cached),
            round(self.shuffle_ns_memory),
            round(self.migrate_gbs_4k),
            round(self.migrate_gbs_huge),
            self.source
        )
    }
}

fn round(x: f64) -> f64 {
    let digits = 10f64.powi(2 - x.abs().max(1e-9).log10().floor() as i32);
    (x * digits).round() / digits
}

/// The assumed rates scaled by how `probe` compares with [`REFERENCE`]:
/// first touch and page migration by the touch ratio, DRAM streaming by the
/// stream ratio, the shuffle by the shuffle ratio, each clamped to 20x.
pub fn scaled(probe: Probe, seconds: f64) -> Rates {
    let ratio = |measured: f64, reference: f64| (measured / reference).clamp(1.0 / PROBE_CLAMP, PROBE_CLAMP);
    let touch = ratio(probe.touch_gbs, REFERENCE.touch_gbs);
    let stream = ratio(probe.stream_gbs, REFERENCE.stream_gbs);
    let slower = ratio(probe.shuffle_ns, REFERENCE.shuffle_ns);
    Rates {
        touch_gbs_4k: TOUCH_GBS_4K * touch,
        touch_gbs_huge: TOUCH_GBS_HUGE * touch,
        dram_gbs_per_thread: DRAM_GBS_PER_THREAD * stream,
        shuffle_ns_cached: SHUFFLE_NS_CACHED * slower,
        shuffle_ns_memory: SHUFFLE_NS_MEMORY * slower,
        migrate_gbs_4k: MIGRATE_GBS_4K * touch,
        migrate_gbs_huge: MIGRATE_GBS_HUGE * touch,
        probe: Some(probe),
        crowd: crowd::REFERENCE,
        source: format!(
            "the development VM's, scaled by a probe of this machine ({seconds:.2} s): first touch x{}, DRAM streaming x{}, shuffle x{}",
            round(touch),
            round(stream),
            round(1.0 / slower)
        ),
    }
}

/// Times, on the calling thread, first touch of 128 MiB of 4 KiB pages,
/// two reads of them and a random shuffle of a 4 MiB permutation: about
/// 0.1 s on a server core.
fn probe(root: &SysRoot) -> Result<Rates, String> {
    let started = Instant::now();
    let region = Region::allocate(root, PROBE_BYTES, PagePolicy::Small, None).map_err(|e| e.to_string())?;
    let t = Instant::now();
    region.first_touch(0, PROBE_BYTES);
    let touch_gbs = gbs(PROBE_BYTES, t.elapsed().as_secs_f64());
    let stream_gbs = (0..2).map(|_| stream(&region)).fold(0.0, f64::max);
    drop(region);
    let probe = Probe { touch_gbs, stream_gbs, shuffle_ns: shuffle_ns(PROBE_SHUFFLE_LINES) };
    Ok(scaled(probe, started.elapsed().as_secs_f64()))
}

/// GB/s of reading every 8-byte word of `region` once.
fn stream(region: &Region) -> f64 {
    // SAFETY: the region is mapped, touched and `len` bytes long; u64
    // alignment holds for a page-aligned mapping.
    let words = unsafe { std::slice::from_raw_parts(region.as_ptr() as *const u64, region.len() / 8) };
    let t = Instant::now();
    let sum = words.iter().fold(0u64, |a, &w| a.wrapping_add(w));
    black_box(sum);
    gbs(region.len(), t.elapsed().as_secs_f64())
}

/// ns a line of a random shuffle of `lines` u32 entries.
fn shuffle_ns(lines: usize) -> f64 {
    let mut perm: Vec<u32> = (0..lines as u32).collect();
    let t = Instant::now();
    SplitMix64::new(0x5eed).shuffle(&mut perm);
    black_box(&perm);
    t.elapsed().as_secs_f64() * 1e9 / lines as f64
}

fn gbs(bytes: usize, seconds: f64) -> f64 {
    bytes as f64 / seconds.max(1e-9) / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixture_tree_gets_the_assumed_rates_with_the_reason() {
        let host =
            Host::new(SysRoot::new("/nonexistent-fixture"), crate::memory::nodes::tests::fixture("two-socket-cxl"));
        let rates = Rates::of(&host);
        assert_eq!(rates.dram_gbs_per_thread, DRAM_GBS_PER_THREAD);
        assert!(rates.source.starts_with("assumed (the development VM's): a fixture tree"), "{}", rates.source);
        assert!(rates.describe().contains("DRAM 8 GB/s per thread"), "{}", rates.describe());
    }

    #[test]
    fn the_live_machine_is_probed_and_its_rates_scale_with_its_speed() {
        let root = SysRoot::default();
        let host = Host::new(root.clone(), hwbench_probes::topology::probe(&root).expect("topology"));
        let rates = Rates::of(&host);
        assert!(rates.source.contains("scaled by a probe of this machine"), "{}", rates.source);
        let probe = rates.probe.expect("probed");
        assert!(probe.touch_gbs > 0.0 && probe.stream_gbs > 0.0 && probe.shuffle_ns > 0.0, "{probe:?}");
        // The development VM's own probe gives the assumed rates.
        let same = scaled(REFERENCE, 0.1);
        assert_eq!(same.dram_gbs_per_thread, DRAM_GBS_PER_THREAD);
        assert_eq!(same.shuffle_ns_memory, SHUFFLE_NS_MEMORY);
        // Half as fast at first touch, twice at streaming, a shuffle 3x slower.
        let other = Probe { touch_gbs: 1.41, stream_gbs: 20.62, shuffle_ns: 10.44 };
        let r = scaled(other, 0.1);
        assert!((r.touch_gbs_4k - TOUCH_GBS_4K / 2.0).abs() < 1e-9);
        assert!((r.migrate_gbs_huge - MIGRATE_GBS_HUGE / 2.0).abs() < 1e-9);
        assert!((r.dram_gbs_per_thread - 2.0 * DRAM_GBS_PER_THREAD).abs() < 1e-9);
        assert!((r.shuffle_ns_cached - 3.0 * SHUFFLE_NS_CACHED).abs() < 1e-9);
        assert!(r.source.ends_with("first touch x0.5, DRAM streaming x2, shuffle x0.333"), "{}", r.source);
        // A crowd probe that fails keeps the speed probe and says why.
        let kept = same.clone().crowded(Err("no CPU to run on".into()));
        assert_eq!(kept.crowd, crowd::REFERENCE);
        assert!(
            kept.source.ends_with("as on the development VM: the crowd probe failed: no CPU to run on"),
            "{}",
            kept.source
        );
        assert_eq!(kept.dram_gbs_per_thread, DRAM_GBS_PER_THREAD);
        // A stalled probe is clamped to 20x.
        let stalled = scaled(Probe { touch_gbs: 1e-6, ..REFERENCE }, 0.1);
        assert!((stalled.touch_gbs_4k - TOUCH_GBS_4K / PROBE_CLAMP).abs() < 1e-12);
    }

    #[test]
    fn rates_are_rounded_to_three_figures_in_words() {
        assert_eq!(round(14.56927), 14.6);
        assert_eq!(round(0.123456), 0.123);
        assert_eq!(round(1234.5), 1230.0);
    }
}
