//! x86-64 roofline kernels, one module per instruction set and precision,
//! made from one template: aligned vector loads, CHAINS independent
//! accumulators, the work of crate::roofline::work. AVX-512 and AVX2 (with
//! FMA) fuse the multiply-add; SSE2 has no FMA and multiplies then adds
//! (still 2 FLOP a step).

/// One instruction set's kernel for one precision.
macro_rules! chains_kernel {
    ($name:ident, $feature:literal, $lanes:literal, $t:ty, $bits:ty, $v:ty, $vi:ty,
     $load:ident, $set1:ident, $zero:ident, $zeroi:ident, $add:ident, $cast:ident, $xor:ident,
     |$fa:ident, $fb:ident, $fc:ident| $fma:expr, $fnma:expr) => {
        #[doc = concat!("Chains of ", stringify!($t), " in ", $feature, " vectors of ", stringify!($lanes), " lanes.")]
        pub mod $name {
            use std::arch::x86_64::*;

            use crate::roofline::work::{Work, CHAINS};

            /// Lanes per vector.
            pub const LANES: usize = $lanes;

            /// a * b + c.
            #[inline]
            #[target_feature(enable = $feature)]
            unsafe fn fma($fa: $v, $fb: $v, $fc: $v) -> $v {
                $fma
            }

            /// -(a * b) + c: the step with the multiplier negated.
            #[inline]
            #[target_feature(enable = $feature)]
            unsafe fn fnma($fa: $v, $fb: $v, $fc: $v) -> $v {
                $fnma
            }

            /// Runs `work` over `elements` elements of every chain at
            /// `data` (element e of chain k is the vector at (e * CHAINS +
            /// k) * LANES); returns each chain's lanes and folded bits,
            /// chain by chain.
            ///
            /// # Safety
            #[doc = concat!("`data` must hold `elements * CHAINS` vectors, 64-byte aligned; the CPU must run ", $feature, ".")]
            #[target_feature(enable = $feature)]
            pub unsafe fn run(
                data: *const $t,
                elements: usize,
                work: Work,
                muls: [$t; 8],
            ) -> ([$t; CHAINS * $lanes], [$bits; CHAINS * $lanes]) {
                let mut acc: [$v; CHAINS] = [$zero(); CHAINS];
                let mut bits: [$vi; CHAINS] = [$zeroi(); CHAINS];
                match work {
                    Work::Add => {
                        for e in 0..elements {
                            let p = data.add(e * CHAINS * LANES);
                            for k in 0..CHAINS {
                                acc[k] = $add(acc[k], $load(p.add(k * LANES)));
                            }
                        }
                    }
                    Work::Sparse { group } => {
                        let group = group as usize;
                        let mut e = 0;
                        while e + group <= elements {
                            let p = data.add(e * CHAINS * LANES);
                            for k in 0..CHAINS {
                                acc[k] = $add(acc[k], $load(p.add(k * LANES)));
                            }
                            for j in 1..group {
                                let q = p.add(j * CHAINS * LANES);
                                for k in 0..CHAINS {
                                    bits[k] = $xor(bits[k], $cast($load(q.add(k * LANES))));
                                }
                            }
                            e += group;
                        }
                    }
                    Work::Fma { steps } => {
                        let mut m: [$v; 8] = [$zero(); 8];
                        for s in 0..8 {
                            m[s] = $set1(muls[s]);
                        }
                        let (trips, rest) = (steps / 8, (steps % 8) as usize);
                        for e in 0..elements {
                            let p = data.add(e * CHAINS * LANES);
                            let mut v: [$v; CHAINS] = [$zero(); CHAINS];
                            for k in 0..CHAINS {
                                v[k] = $load(p.add(k * LANES));
                            }
                            // Periods of 8 alternate m and -m (work::multiplier).
                            for t in 0..trips {
                                if t % 2 == 0 {
                                    for s in 0..8 {
                                        for k in 0..CHAINS {
                                            acc[k] = fma(acc[k], m[s], v[k]);
                                        }
                                    }
                                } else {
                                    for s in 0..8 {
                                        for k in 0..CHAINS {
                                            acc[k] = fnma(acc[k], m[s], v[k]);
                                        }
                                    }
                                }
                            }
                            for s in 0..rest {
                                for k in 0..CHAINS {
                                    acc[k] = fma(acc[k], m[s], v[k]);
                                }
                            }
                        }
                    }
                }
                // CHAINS vectors of LANES lanes are CHAINS * LANES lanes.
                (
                    std::mem::transmute::<[$v; CHAINS], [$t; CHAINS * $lanes]>(acc),
                    std::mem::transmute::<[$vi; CHAINS], [$bits; CHAINS * $lanes]>(bits),
                )
            }
        }
    };
}

chains_kernel!(
    avx512_f32,
    "avx512f",
    16,
    f32,
    u32,
    __m512,
    __m512i,
    _mm512_load_ps,
    _mm512_set1_ps,
    _mm512_setzero_ps,
    _mm512_setzero_si512,
    _mm512_add_ps,
    _mm512_castps_si512,
    _mm512_xor_si512,
    |a, b, c| _mm512_fmadd_ps(a, b, c),
    _mm512_fnmadd_ps(a, b, c)
);
chains_kernel!(
    avx512_f64,
    "avx512f",
    8,
    f64,
    u64,
    __m512d,
    __m512i,
    _mm512_load_pd,
    _mm512_set1_pd,
    _mm512_setzero_pd,
    _mm512_setzero_si512,
    _mm512_add_pd,
    _mm512_castpd_si512,
    _mm512_xor_si512,
    |a, b, c| _mm512_fmadd_pd(a, b, c),
    _mm512_fnmadd_pd(a, b, c)
);
chains_kernel!(
    avx2_f32,
    "avx2,fma",
    8,
    f32,
    u32,
    __m256,
    __m256i,
    _mm256_load_ps,
    _mm256_set1_ps,
    _mm256_setzero_ps,
    _mm256_setzero_si256,
    _mm256_add_ps,
    _mm256_castps_si256,
    _mm256_xor_si256,
    |a, b, c| _mm256_fmadd_ps(a, b, c),
    _mm256_fnmadd_ps(a, b, c)
);
chains_kernel!(
    avx2_f64,
    "avx2,fma",
    4,
    f64,
    u64,
    __m256d,
    __m256i,
    _mm256_load_pd,
    _mm256_set1_pd,
    _mm256_setzero_pd,
    _mm256_setzero_si256,
    _mm256_add_pd,
    _mm256_castpd_si256,
    _mm256_xor_si256,
    |a, b, c| _mm256_fmadd_pd(a, b, c),
    _mm256_fnmadd_pd(a, b, c)
);
chains_kernel!(
    sse2_f32,
    "sse2",
    4,
    f32,
    u32,
    __m128,
    __m128i,
    _mm_load_ps,
    _mm_set1_ps,
    _mm_setzero_ps,
    _mm_setzero_si128,
    _mm_add_ps,
    _mm_castps_si128,
    _mm_xor_si128,
    |a, b, c| _mm_add_ps(_mm_mul_ps(a, b), c),
    _mm_sub_ps(c, _mm_mul_ps(a, b))
);
chains_kernel!(
    sse2_f64,
    "sse2",
    2,
    f64,
    u64,
    __m128d,
    __m128i,
    _mm_load_pd,
    _mm_set1_pd,
    _mm_setzero_pd,
    _mm_setzero_si128,
    _mm_add_pd,
    _mm_castpd_si128,
    _mm_xor_si128,
    |a, b, c| _mm_add_pd(_mm_mul_pd(a, b), c),
    _mm_sub_pd(c, _mm_mul_pd(a, b))
);
