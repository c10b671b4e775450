//! Plain Rust roofline kernels for every architecture: each chain a small
//! array of lanes the compiler may vectorize; the multiply-add is a
//! multiply then an add (2 FLOP a step, as the x86-64 SSE2 kernel).

/// Lanes per chain.
pub const LANES: usize = 8;

/// One precision's kernel.
macro_rules! portable_kernel {
    ($name:ident, $t:ty, $bits:ty) => {
        /// Runs `work` over `elements` elements of every chain at `data`
        /// (element e of chain k at (e * CHAINS + k) * LANES); returns each
        /// chain's lanes and folded bits, chain by chain.
        ///
        /// # Safety
        /// `data` must hold `elements * CHAINS * LANES` values.
        pub unsafe fn $name(
            data: *const $t,
            elements: usize,
            work: crate::roofline::work::Work,
            muls: [$t; 8],
        ) -> (Vec<$t>, Vec<$bits>) {
            use crate::roofline::work::{Work, CHAINS};
            let values = std::slice::from_raw_parts(data, elements * CHAINS * LANES);
            let lanes = |e: usize, k: usize| &values[(e * CHAINS + k) * LANES..][..LANES];
            let mut acc = [[0.0 as $t; LANES]; CHAINS];
            let mut bits = [[0 as $bits; LANES]; CHAINS];
            let step = |e: usize| match work {
                Work::Sparse { group } if e % group as usize != 0 => None,
                Work::Sparse { .. } | Work::Add => Some(0),
                Work::Fma { steps } => Some(steps as usize),
            };
            for e in 0..elements - elements % work.granule() as usize {
                for k in 0..CHAINS {
                    let v = lanes(e, k);
                    match step(e) {
                        None => bits[k].iter_mut().zip(v).for_each(|(b, x)| *b ^= x.to_bits()),
                        Some(0) => acc[k].iter_mut().zip(v).for_each(|(a, x)| *a += x),
                        Some(steps) => {
                            for s in 0..steps {
                                // Periods of 8 alternate m and -m (work::multiplier).
                                let m = if (s / 8) % 2 == 1 { -muls[s % 8] } else { muls[s % 8] };
                                acc[k].iter_mut().zip(v).for_each(|(a, x)| *a = *a * m + x);
                            }
                        }
                    }
                }
            }
            (acc.concat(), bits.concat())
        }
    };
}

portable_kernel!(run_f32, f32, u32);
portable_kernel!(run_f64, f64, u64);
