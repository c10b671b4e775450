//! The work of a roofline kernel, shared by `cpu.roofline` (SIMD) and
//! `gpu.roofline` (WGSL), and the host's closed form of what it computes.
//!
//! A kernel reads its data once, as [`CHAINS`] independent chains per
//! thread or invocation (enough in flight to hide a multiply-add's
//! latency), each chain a sequence of vector elements. What it does with
//! each element read decides the arithmetic intensity (FLOP per byte read):
//! - [`Work::Fma`]: `steps` multiply-adds `acc = acc * m_s + v`, the
//!   multiplier cycling through [`MULTIPLIERS`], negated in every other
//!   period of 8 ([`multiplier`]) (2 x steps FLOP);
//! - [`Work::Add`]: `acc = acc + v` (1 FLOP);
//! - [`Work::Sparse`]: one element in `group` is added, the others are
//!   folded into an integer xor of their bits (no floating-point operation),
//!   so every byte is still read for less than one FLOP per element.
//!
//! The data are periodic along a chain (period [`PERIOD`] elements) and the
//! chain's start is zero, so the end of every chain has a closed form
//! ([`chain_end`]) however long the chain: the host checks every output
//! without replaying the work. Missing work shows: a multiply-add step
//! fewer per element ends elsewhere (the multiplier's phase moves), an
//! element skipped changes the sum or the xor.

/// Independent chains per thread or invocation.
pub const CHAINS: usize = 8;
/// The multipliers of the multiply-add steps, step s using `s % 8`. All are
/// exact in f16 and at most 0.875 in magnitude, so a chain contracts and
/// stays within 16 (|v| <= 2) in every precision.
pub const MULTIPLIERS: [f64; 8] = [0.75, -0.625, 0.5, -0.875, 0.75, -0.5, 0.625, -0.75];
/// The multiplier of multiply-add step `s` of an element: the period of 8
/// [`MULTIPLIERS`], negated in odd periods. Without the negation a chain
/// settles within each element, so a period fewer would not show in the
/// sum of the chains; with it, the parity of the periods run moves the end.
pub fn multiplier(s: usize) -> f64 {
    let m = MULTIPLIERS[s % 8];
    if (s / 8) % 2 == 1 {
        -m
    } else {
        m
    }
}

/// Elements after which a chain's data repeat.
pub const PERIOD: u64 = 16;
/// The largest value a chain can hold: max |v| / (1 - max |m|).
pub const CHAIN_BOUND: f64 = 16.0;

/// The intensities measured by default, FLOP per byte read: 1/8 to 256,
/// doubling.
pub const INTENSITIES: [f64; 12] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// What a kernel does with each element of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// One element in `group` added, the others xored into the chain's bits.
    Sparse {
        /// Elements per add (2, 4 or 8).
        group: u32,
    },
    /// Every element added.
    Add,
    /// `steps` multiply-adds per element.
    Fma {
        /// Multiply-adds per element (1, 2, 4 or a multiple of 8).
        steps: u32,
    },
}

impl Work {
    /// The work that gives `intensity` FLOP per byte for lanes of
    /// `lane_bytes` bytes, or why it cannot be made.
    pub fn for_intensity(intensity: f64, lane_bytes: u32) -> Result<Work, String> {
        let flops = intensity * f64::from(lane_bytes);
        let whole = |x: f64| (x.fract() == 0.0 && x >= 1.0 && x <= f64::from(u32::MAX)).then_some(x as u32);
        let work = if flops == 1.0 {
            Some(Work::Add)
        } else if flops < 1.0 {
            whole(1.0 / flops).filter(|g| [2, 4, 8].contains(g)).map(|group| Work::Sparse { group })
        } else {
            whole(flops / 2.0).filter(|&s| s < 8 && s.is_power_of_two() || s % 8 == 0).map(|steps| Work::Fma { steps })
        };
        work.ok_or_else(|| {
            format!(
                "{intensity} FLOP/byte needs {flops} FLOP per {lane_bytes}-byte element: possible are 1/8, 1/4, 1/2 of one add, one add, or 2, 4, 8 or a multiple of 16 FLOP"
            )
        })
    }

    /// Floating-point operations per element and lane (a multiply-add counts 2).
    pub fn flops_per_element(self) -> f64 {
        match self {
            Work::Sparse { group } => 1.0 / f64::from(group),
            Work::Add => 1.0,
            Work::Fma { steps } => 2.0 * f64::from(steps),
        }
    }

    /// Elements a chain's length must be a multiple of.
    pub fn granule(self) -> u64 {
        match self {
            Work::Sparse { group } => u64::from(group),
            _ => 1,
        }
    }

    /// A sentence for a record's `info`.
    pub fn describe(self) -> String {
        match self {
            Work::Sparse { group } => format!(
                "per element: one in {group} added to its chain (1 FLOP), the others folded into an integer xor of their bits (no FLOP)"
            ),
            Work::Add => "per element: added to its chain (1 FLOP)".into(),
            Work::Fma { steps } => {
                format!("per element: {steps} multiply-adds acc = acc * m + v, m cycling through 8 multipliers ({} FLOP)", 2 * steps)
            }
        }
    }
}

/// Element `e` of the chain numbered `chain` (any integer; kernels use
/// thread or invocation + chain + lane): +/-(1 + j/8), j = (chain + e) mod 8,
/// positive in the first half of each period. Exact in f16; every window
/// of [`PERIOD`] elements, and every add pattern of [`Work::Sparse`], sums
/// to zero, so additive chains stay small and exact.
pub fn value(e: u64, chain: u64) -> f64 {
    let magnitude = 1.0 + ((chain + e) % 8) as f64 / 8.0;
    if e % PERIOD < PERIOD / 2 {
        magnitude
    } else {
        -magnitude
    }
}

/// How one precision stores a value's bits, for the xor of [`Work::Sparse`].
pub type Bits = fn(f64) -> u64;

/// f32 bits.
pub fn bits_f32(v: f64) -> u64 {
    u64::from((v as f32).to_bits())
}

/// f64 bits.
pub fn bits_f64(v: f64) -> u64 {
    v.to_bits()
}

/// f16 bits (the values of [`value`] are exact in f16: sign, exponent 0 or
/// 1, three fraction bits).
pub fn bits_f16(v: f64) -> u64 {
    let sign = if v < 0.0 { 0x8000 } else { 0 };
    let m = v.abs();
    let exponent = m.log2().floor() as i32;
    let fraction = ((m / 2f64.powi(exponent) - 1.0) * 1024.0).round() as u64;
    sign | (((exponent + 15) as u64) << 10) | fraction
}

/// How a chain ends after `elements` elements of `work`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainEnd {
    /// The accumulator.
    pub acc: f64,
    /// The xor of the bits of the elements not added (0 unless sparse).
    pub bits: u64,
}

/// An affine map x -> a x + b.
#[derive(Debug, Clone, Copy)]
struct Affine {
    a: f64,
    b: f64,
}

impl Affine {
    const IDENTITY: Affine = Affine { a: 1.0, b: 0.0 };

    /// This map, then `next`.
    fn then(self, next: Affine) -> Affine {
        Affine { a: next.a * self.a, b: next.a * self.b + next.b }
    }

    /// This map applied `n` times, in closed form.
    fn times(self, n: u64) -> Affine {
        if self.a == 1.0 {
            return Affine { a: 1.0, b: self.b * n as f64 };
        }
        let an = self.a.powf(n as f64);
        Affine { a: an, b: self.b * (1.0 - an) / (1.0 - self.a) }
    }
}

/// The map one element applies to its chain's accumulator, and whether it
/// is folded into the bits instead.
fn element(work: Work, e: u64, chain: u64) -> (Affine, bool) {
    let v = value(e, chain);
    match work {
        Work::Sparse { group } if !e.is_multiple_of(u64::from(group)) => (Affine::IDENTITY, true),
        Work::Sparse { .. } | Work::Add => (Affine { a: 1.0, b: v }, false),
        Work::Fma { steps } => {
            let mut map = Affine::IDENTITY;
            for s in 0..steps as usize {
                map = map.then(Affine { a: multiplier(s), b: v });
            }
            (map, false)
        }
    }
}

/// The end of chain `chain` after `elements` elements of `work`, starting
/// from zero: one period composed, raised to the number of whole periods
/// in closed form, then the rest element by element. `bits` says how the
/// kernel's precision stores a value.
pub fn chain_end(work: Work, chain: u64, elements: u64, bits: Bits) -> ChainEnd {
    let fold = |range: std::ops::Range<u64>| {
        range.fold((Affine::IDENTITY, 0u64), |(map, x), e| {
            let (step, folded) = element(work, e, chain);
            (map.then(step), if folded { x ^ bits(value(e, chain)) } else { x })
        })
    };
    let (period, period_bits) = fold(0..PERIOD);
    let whole = elements / PERIOD;
    let (rest, rest_bits) = fold(0..elements % PERIOD);
    let map = period.times(whole).then(rest);
    let bits = if whole % 2 == 1 { period_bits ^ rest_bits } else { rest_bits };
    ChainEnd { acc: map.b, bits }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a chain element by element as a kernel does, in f64.
    fn stepped(work: Work, chain: u64, elements: u64) -> ChainEnd {
        let (mut acc, mut bits) = (0.0, 0u64);
        for e in 0..elements {
            let v = value(e, chain);
            match work {
                Work::Sparse { group } if e % u64::from(group) != 0 => bits ^= bits_f32(v),
                Work::Sparse { .. } | Work::Add => acc += v,
                Work::Fma { steps } => {
                    for s in 0..steps as usize {
                        acc = acc.mul_add(multiplier(s), v);
                    }
                }
            }
        }
        ChainEnd { acc, bits }
    }

    #[test]
    fn intensities_map_to_work_in_every_precision() {
        let f32_works: Vec<Work> = INTENSITIES.iter().map(|&i| Work::for_intensity(i, 4).unwrap()).collect();
        assert_eq!(f32_works[0], Work::Sparse { group: 2 });
        assert_eq!(f32_works[1], Work::Add);
        assert_eq!(f32_works[2], Work::Fma { steps: 1 });
        assert_eq!(f32_works[11], Work::Fma { steps: 512 });
        assert_eq!(Work::for_intensity(0.125, 2).unwrap(), Work::Sparse { group: 4 });
        assert_eq!(Work::for_intensity(0.125, 8).unwrap(), Work::Add);
        assert_eq!(Work::for_intensity(4.0, 8).unwrap(), Work::Fma { steps: 16 });
        for (lane, i) in [(2, 256.0), (4, 256.0), (8, 256.0)] {
            let w = Work::for_intensity(i, lane).unwrap();
            assert_eq!(w.flops_per_element() / f64::from(lane), i, "{w:?}");
        }
        assert!(Work::for_intensity(0.75, 4).unwrap_err().contains("0.75 FLOP/byte"));
        assert!(Work::for_intensity(3.0, 4).is_err(), "6 steps per element: not a period of multipliers");
    }

    #[test]
    fn the_closed_form_matches_stepping() {
        for work in [
            Work::Sparse { group: 2 },
            Work::Sparse { group: 8 },
            Work::Add,
            Work::Fma { steps: 1 },
            Work::Fma { steps: 4 },
            Work::Fma { steps: 16 },
        ] {
            for elements in [0u64, 1, 7, 16, 17, 40, 333] {
                for chain in [0u64, 3, 12] {
                    let (want, got) = (stepped(work, chain, elements), chain_end(work, chain, elements, bits_f32));
                    assert!((want.acc - got.acc).abs() < 1e-12, "{work:?} {elements} {chain}: {want:?} {got:?}");
                    assert_eq!(want.bits, got.bits, "{work:?} {elements} {chain}");
                }
            }
        }
    }

    #[test]
    fn additive_chains_stay_small_and_multiply_adds_bounded() {
        for work in [Work::Sparse { group: 2 }, Work::Sparse { group: 4 }, Work::Add, Work::Fma { steps: 8 }] {
            for elements in 0..200 {
                let end = chain_end(work, 5, elements, bits_f32);
                assert!(end.acc.abs() <= CHAIN_BOUND, "{work:?} after {elements}: {}", end.acc);
            }
        }
        // Long chains too (the whole periods cancel).
        assert!(chain_end(Work::Add, 1, 1 << 30, bits_f32).acc.abs() <= CHAIN_BOUND);
    }

    /// One multiply-add step, or one period of 8, fewer per element moves
    /// the end of a chain by far more than any precision's tolerance, in
    /// the sum of 8 chains too.
    #[test]
    fn a_step_or_a_period_fewer_per_element_ends_elsewhere() {
        for (steps, fewer) in [(2u32, 1u32), (4, 3), (8, 7), (16, 15), (16, 8), (64, 56), (512, 504), (512, 511)] {
            for id in 0..16u64 {
                for elements in [1u64, 16, 1000] {
                    let sum = |s: u32| -> f64 {
                        (0..CHAINS as u64)
                            .map(|k| chain_end(Work::Fma { steps: s }, id + k, elements, bits_f32).acc)
                            .sum()
                    };
                    let off = (sum(steps) - sum(fewer)).abs();
                    assert!(
                        off > 5.0,
                        "{steps} steps, invocation {id}, {elements} elements: {fewer} moves the sum by {off}"
                    );
                }
            }
        }
    }

    #[test]
    fn f16_bits_are_ieee_half() {
        assert_eq!(bits_f16(1.0), 0x3c00);
        assert_eq!(bits_f16(-1.5), 0xbe00);
        assert_eq!(bits_f16(1.875), 0x3f80);
        assert_eq!(bits_f32(1.0), 0x3f80_0000);
    }
}
