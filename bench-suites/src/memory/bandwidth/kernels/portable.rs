//! Plain Rust kernels for every architecture: slice loops the compiler
//! vectorizes. Also the tails (the last few elements) of the SIMD kernels.

use super::{Chunk, Operands, StreamKernel, A, B, C};

/// Independent accumulators of the sum, so it vectorizes.
const LANES: usize = 8;

/// One pass of `kernel` over `chunk` (the non-temporal kernels use regular
/// stores here); returns the sum for `read`, else 0.
///
/// # Safety
/// As [`super::pass`].
pub unsafe fn pass(kernel: StreamKernel, chunk: Chunk, ops: Operands) -> f64 {
    let n = chunk.len;
    if n == 0 {
        return 0.0;
    }
    // SAFETY (both): the caller guarantees the touched arrays hold n
    // elements and do not overlap; untouched ones are never turned into slices.
    let input = |i: usize| unsafe { std::slice::from_raw_parts(chunk.arrays[i], n) };
    let output = |i: usize| unsafe { std::slice::from_raw_parts_mut(chunk.arrays[i], n) };
    let s = ops.scalar;
    match kernel {
        StreamKernel::Copy | StreamKernel::NtCopy => map(output(C), input(A), |x| x),
        StreamKernel::Scale => map(output(B), input(C), |x| s * x),
        StreamKernel::Add => map2(output(C), input(A), input(B), |x, y| x + y),
        StreamKernel::Triad => map2(output(A), input(B), input(C), |x, y| x + s * y),
        StreamKernel::Write | StreamKernel::NtWrite => output(A).fill(ops.fill),
        StreamKernel::Read => return sum(input(A)),
    }
    0.0
}

fn map(out: &mut [f64], x: &[f64], f: impl Fn(f64) -> f64) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = f(x);
    }
}

fn map2(out: &mut [f64], x: &[f64], y: &[f64], f: impl Fn(f64, f64) -> f64) {
    for ((o, &x), &y) in out.iter_mut().zip(x).zip(y) {
        *o = f(x, y);
    }
}

fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let mut blocks = a.chunks_exact(LANES);
    for block in &mut blocks {
        for (s, x) in acc.iter_mut().zip(block) {
            *s += x;
        }
    }
    acc.iter().sum::<f64>() + blocks.remainder().iter().sum::<f64>()
}
