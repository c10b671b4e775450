//! x86-64 kernels, one module per vector width (AVX-512, AVX2, SSE2) made
//! from one template: aligned vector loads and stores, four vectors per
//! loop trip, no bounds checks; the non-temporal kernels store with
//! `*_stream_pd` and end with `sfence`. The last elements that do not fill
//! a loop trip go through the portable kernels.

/// Runs `$step` for the offsets of four consecutive vectors of `$lanes`
/// elements at a time, up to `$end` (a multiple of four vectors).
macro_rules! four_vectors {
    ($lanes:expr, $end:expr, |$at:ident| $step:expr) => {{
        let mut i = 0;
        while i < $end {
            let $at = i;
            $step;
            let $at = i + $lanes;
            $step;
            let $at = i + 2 * $lanes;
            $step;
            let $at = i + 3 * $lanes;
            $step;
            i += 4 * $lanes;
        }
    }};
}

/// One instruction set's kernels from its intrinsics.
macro_rules! isa_kernels {
    ($isa:ident, $feature:literal, $lanes:literal, $set1:ident, $zero:ident, $load:ident, $store:ident,
     $storeu:ident, $stream:ident, $add:ident, $mul:ident) => {
        #[doc = concat!("Kernels with ", $feature, " vectors of ", stringify!($lanes), " doubles.")]
        pub mod $isa {
            use std::arch::x86_64::*;

            use crate::memory::bandwidth::kernels::{portable, Chunk, Operands, StreamKernel};

            const LANES: usize = $lanes;

            /// One pass of `kernel` over `chunk`; the sum for `read`, else 0.
            ///
            /// # Safety
            #[doc = concat!("As [`super::super::pass`], on a CPU with ", $feature, ".")]
            #[target_feature(enable = $feature)]
            pub unsafe fn pass(kernel: StreamKernel, chunk: Chunk, ops: Operands) -> f64 {
                let end = chunk.len / (4 * LANES) * (4 * LANES);
                let [a, b, c] = chunk.arrays;
                let s = $set1(ops.scalar);
                let mut sum = 0.0;
                match kernel {
                    StreamKernel::Copy => four_vectors!(LANES, end, |i| $store(c.add(i), $load(a.add(i)))),
                    StreamKernel::NtCopy => four_vectors!(LANES, end, |i| $stream(c.add(i), $load(a.add(i)))),
                    StreamKernel::Scale => four_vectors!(LANES, end, |i| $store(b.add(i), $mul(s, $load(c.add(i))))),
                    StreamKernel::Add => {
                        four_vectors!(LANES, end, |i| $store(c.add(i), $add($load(a.add(i)), $load(b.add(i)))))
                    }
                    StreamKernel::Triad => {
                        four_vectors!(LANES, end, |i| $store(a.add(i), $add($load(b.add(i)), $mul(s, $load(c.add(i))))))
                    }
                    StreamKernel::Write => {
                        let v = $set1(ops.fill);
                        four_vectors!(LANES, end, |i| $store(a.add(i), v));
                    }
                    StreamKernel::NtWrite => {
                        let v = $set1(ops.fill);
                        four_vectors!(LANES, end, |i| $stream(a.add(i), v));
                    }
                    StreamKernel::Read => {
                        let mut acc = [$zero(); 4];
                        let mut i = 0;
                        while i < end {
                            acc[0] = $add(acc[0], $load(a.add(i)));
                            acc[1] = $add(acc[1], $load(a.add(i + LANES)));
                            acc[2] = $add(acc[2], $load(a.add(i + 2 * LANES)));
                            acc[3] = $add(acc[3], $load(a.add(i + 3 * LANES)));
                            i += 4 * LANES;
                        }
                        let mut lanes = [0.0; LANES];
                        $storeu(lanes.as_mut_ptr(), $add($add(acc[0], acc[1]), $add(acc[2], acc[3])));
                        sum = lanes.iter().sum();
                    }
                }
                sum += portable::pass(kernel, chunk.skip(end), ops);
                if kernel.spec().nontemporal {
                    _mm_sfence();
                }
                sum
            }
        }
    };
}

isa_kernels!(
    avx512,
    "avx512f",
    8,
    _mm512_set1_pd,
    _mm512_setzero_pd,
    _mm512_load_pd,
    _mm512_store_pd,
    _mm512_storeu_pd,
    _mm512_stream_pd,
    _mm512_add_pd,
    _mm512_mul_pd
);
isa_kernels!(
    avx2,
    "avx2",
    4,
    _mm256_set1_pd,
    _mm256_setzero_pd,
    _mm256_load_pd,
    _mm256_store_pd,
    _mm256_storeu_pd,
    _mm256_stream_pd,
    _mm256_add_pd,
    _mm256_mul_pd
);
isa_kernels!(
    sse2,
    "sse2",
    2,
    _mm_set1_pd,
    _mm_setzero_pd,
    _mm_load_pd,
    _mm_store_pd,
    _mm_storeu_pd,
    _mm_stream_pd,
    _mm_add_pd,
    _mm_mul_pd
);
