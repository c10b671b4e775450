//! The roofline kernels of `cpu.roofline`: the work of
//! crate::roofline::work over chains of SIMD vectors, dispatched to the
//! instruction set (the same choice as memory.bandwidth's kernels, AVX2
//! only with FMA).

mod portable;
#[cfg(target_arch = "x86_64")]
mod x86_64;

use crate::memory::bandwidth::kernels::Isa;
use crate::roofline::work::{self, Work, CHAINS, MULTIPLIERS};

/// The data type of a CPU roofline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    /// Param values.
    pub const NAMES: [&'static str; 2] = ["f32", "f64"];

    /// The param value.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }

    /// Parses a param value.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "f32" => Some(Precision::F32),
            "f64" => Some(Precision::F64),
            _ => None,
        }
    }

    /// Bytes per lane.
    pub fn lane_bytes(self) -> u32 {
        match self {
            Precision::F32 => 4,
            Precision::F64 => 8,
        }
    }

    /// How a value's bits look in this precision.
    pub fn bits(self) -> work::Bits {
        match self {
            Precision::F32 => work::bits_f32,
            Precision::F64 => work::bits_f64,
        }
    }

    /// The unit roundoff.
    pub fn unit_roundoff(self) -> f64 {
        match self {
            Precision::F32 => f64::from(f32::EPSILON) / 2.0,
            Precision::F64 => f64::EPSILON / 2.0,
        }
    }
}

/// Written as its param value.
impl serde::Serialize for Precision {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The instruction sets the kernels run on this CPU, widest first: AVX-512F,
/// AVX2 when the CPU also has FMA, SSE2, portable.
pub fn available() -> Vec<Isa> {
    Isa::available().into_iter().filter(|&isa| isa != Isa::Avx2 || has_fma()).collect()
}

fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// True when `isa`'s multiply-add is one fused instruction.
pub fn fused(isa: Isa) -> bool {
    matches!(isa, Isa::Avx512 | Isa::Avx2)
}

/// Lanes per vector of `isa` in `precision`.
pub fn lanes(isa: Isa, precision: Precision) -> usize {
    let bits = match isa {
        Isa::Avx512 => 512,
        Isa::Avx2 => 256,
        Isa::Sse2 => 128,
        Isa::Portable => return portable::LANES,
    };
    bits / (8 * precision.lane_bytes() as usize)
}

/// Each chain's lanes (as f64) and folded bits, chain by chain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ends {
    /// Accumulators, CHAINS x lanes.
    pub acc: Vec<f64>,
    /// Folded bits, CHAINS x lanes.
    pub bits: Vec<u64>,
}

/// Runs `work` over `elements` elements of each of the CHAINS chains at
/// `data`.
///
/// # Safety
/// `data` must hold `elements * CHAINS * lanes(isa, precision)` values of
/// `precision`, 64-byte aligned; `isa` must be one of [`available`].
pub unsafe fn run(isa: Isa, precision: Precision, data: *const u8, elements: usize, work: Work) -> Ends {
    let muls32 = MULTIPLIERS.map(|m| m as f32);
    macro_rules! ends {
        ($call:expr) => {{
            let (acc, bits) = $call;
            Ends {
                acc: acc.iter().map(|&x| f64::from(x)).collect(),
                bits: bits.iter().map(|&b| u64::from(b)).collect(),
            }
        }};
    }
    match (isa, precision) {
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, Precision::F32) => ends!(x86_64::avx512_f32::run(data.cast(), elements, work, muls32)),
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx512, Precision::F64) => ends!(x86_64::avx512_f64::run(data.cast(), elements, work, MULTIPLIERS)),
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, Precision::F32) => ends!(x86_64::avx2_f32::run(data.cast(), elements, work, muls32)),
        #[cfg(target_arch = "x86_64")]
        (Isa::Avx2, Precision::F64) => ends!(x86_64::avx2_f64::run(data.cast(), elements, work, MULTIPLIERS)),
        #[cfg(target_arch = "x86_64")]
        (Isa::Sse2, Precision::F32) => ends!(x86_64::sse2_f32::run(data.cast(), elements, work, muls32)),
        #[cfg(target_arch = "x86_64")]
        (Isa::Sse2, Precision::F64) => ends!(x86_64::sse2_f64::run(data.cast(), elements, work, MULTIPLIERS)),
        (_, Precision::F32) => ends!(portable::run_f32(data.cast(), elements, work, muls32)),
        (_, Precision::F64) => ends!(portable::run_f64(data.cast(), elements, work, MULTIPLIERS)),
    }
}

/// Writes the data the closed form assumes into `values` (chains of
/// `lanes`-lane vectors): element e of chain k, lane l is
/// work::value(e, k + l).
pub fn fill(precision: Precision, data: *mut u8, elements: usize, lanes: usize) {
    for e in 0..elements {
        for k in 0..CHAINS {
            for l in 0..lanes {
                let v = work::value(e as u64, (k + l) as u64);
                let at = (e * CHAINS + k) * lanes + l;
                // SAFETY: the caller's buffer holds elements * CHAINS * lanes values.
                unsafe {
                    match precision {
                        Precision::F32 => *data.cast::<f32>().add(at) = v as f32,
                        Precision::F64 => *data.cast::<f64>().add(at) = v,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instruction set and precision computes the closed form, for
    /// every kind of work, and a step fewer is seen.
    #[test]
    fn every_kernel_ends_where_the_closed_form_says() {
        for isa in available() {
            for precision in [Precision::F32, Precision::F64] {
                let lanes = lanes(isa, precision);
                let elements = 40;
                let mut buffer = vec![0u64; elements * CHAINS * lanes + 16];
                let offset = buffer.as_ptr().align_offset(64);
                let data = unsafe { buffer.as_mut_ptr().cast::<u8>().add(offset * 8) };
                fill(precision, data, elements, lanes);
                for work in [Work::Sparse { group: 4 }, Work::Add, Work::Fma { steps: 2 }, Work::Fma { steps: 16 }] {
                    let ends = unsafe { run(isa, precision, data, elements, work) };
                    for k in 0..CHAINS {
                        for l in 0..lanes {
                            let want = work::chain_end(work, (k + l) as u64, elements as u64, precision.bits());
                            let got = ends.acc[k * lanes + l];
                            assert!(
                                (got - want.acc).abs() < 1e-4,
                                "{isa:?} {precision:?} {work:?} chain {k} lane {l}: {got} vs {}",
                                want.acc
                            );
                            assert_eq!(ends.bits[k * lanes + l], want.bits, "{isa:?} {precision:?} {work:?}");
                            if let Work::Fma { steps } = work {
                                let fewer = work::chain_end(
                                    Work::Fma { steps: steps - 1 },
                                    (k + l) as u64,
                                    elements as u64,
                                    precision.bits(),
                                );
                                assert!((got - fewer.acc).abs() > 1e-2, "{isa:?} {work:?}: a step fewer is not seen");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn lanes_follow_the_vector_width() {
        assert_eq!(lanes(Isa::Avx512, Precision::F32), 16);
        assert_eq!(lanes(Isa::Avx2, Precision::F64), 4);
        assert_eq!(lanes(Isa::Sse2, Precision::F32), 4);
        assert_eq!(lanes(Isa::Portable, Precision::F64), 8);
        assert!(available().contains(&Isa::Portable));
    }
}
