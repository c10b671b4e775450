//! Every kernel on every instruction set this CPU runs computes exactly
//! what its formula says, over lengths that exercise the loop tails.

use hwbench_suites::memory::bandwidth::kernels::{self, Chunk, Isa, Operands, StreamKernel, A, B, C, KERNELS};

/// A cache line of doubles: arrays of these are 64-byte aligned.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f64; 8]);

/// Three aligned arrays of `n` elements holding distinct small integers
/// (so every sum is exact whatever the order of additions).
fn arrays(n: usize) -> [Vec<Line>; 3] {
    std::array::from_fn(|k| {
        let mut lines = vec![Line([0.0; 8]); n.div_ceil(8) + 1];
        for i in 0..n {
            lines[i / 8].0[i % 8] = ((i * 7 + k * 3) % 101) as f64;
        }
        lines
    })
}

fn values(lines: &[Line], n: usize) -> Vec<f64> {
    lines.iter().flat_map(|l| l.0).take(n).collect()
}

/// What `kernel` must leave in a, b and c, and the sum it must return.
fn reference(kernel: StreamKernel, [a, b, c]: [Vec<f64>; 3], ops: Operands) -> ([Vec<f64>; 3], f64) {
    let s = ops.scalar;
    match kernel {
        StreamKernel::Copy | StreamKernel::NtCopy => ([a.clone(), b, a], 0.0),
        StreamKernel::Scale => ([a, c.iter().map(|x| s * x).collect(), c], 0.0),
        StreamKernel::Add => ([a.clone(), b.clone(), a.iter().zip(&b).map(|(x, y)| x + y).collect()], 0.0),
        StreamKernel::Triad => ([b.iter().zip(&c).map(|(x, y)| x + s * y).collect(), b, c], 0.0),
        StreamKernel::Read => {
            let sum = a.iter().sum();
            ([a, b, c], sum)
        }
        StreamKernel::Write | StreamKernel::NtWrite => ([vec![ops.fill; a.len()], b, c], 0.0),
    }
}

#[test]
fn every_kernel_on_every_instruction_set_matches_its_formula() {
    let isas = Isa::available();
    assert_eq!(*isas.last().unwrap(), Isa::Portable);
    #[cfg(target_arch = "x86_64")]
    assert!(isas.contains(&Isa::Sse2));
    let ops = Operands { scalar: 3.0, fill: 42.0 };
    for &isa in &isas {
        for spec in KERNELS {
            for n in [0usize, 1, 7, 8, 31, 32, 33, 64, 100, 1029] {
                let mut data = arrays(n);
                let before: [Vec<f64>; 3] = std::array::from_fn(|k| values(&data[k], n));
                let chunk = Chunk { arrays: [A, B, C].map(|k| data[k].as_mut_ptr().cast::<f64>()), len: n };
                // SAFETY: three separate aligned buffers of at least n elements.
                let sum = unsafe { kernels::pass(isa, spec.kernel, chunk, ops) };
                let (want, want_sum) = reference(spec.kernel, before, ops);
                for k in [A, B, C] {
                    assert_eq!(values(&data[k], n), want[k], "{isa:?} {} n={n} array {k}", spec.name);
                }
                assert_eq!(sum, want_sum, "{isa:?} {} n={n}", spec.name);
                // Nothing is written past the chunk.
                for k in [A, B, C] {
                    let after: Vec<f64> = data[k].iter().flat_map(|l| l.0).skip(n).collect();
                    let untouched: Vec<f64> = arrays(n)[k].iter().flat_map(|l| l.0).skip(n).collect();
                    assert_eq!(after, untouched, "{isa:?} {} n={n} wrote past the end of {k}", spec.name);
                }
            }
        }
    }
}

#[test]
fn the_portable_path_has_no_non_temporal_stores() {
    let why = Isa::Portable.unsupported(StreamKernel::NtCopy).unwrap();
    assert_eq!(why, format!("no non-temporal store path on {}", std::env::consts::ARCH));
    assert!(Isa::Portable.unsupported(StreamKernel::Triad).is_none());
    #[cfg(target_arch = "x86_64")]
    assert_eq!(Isa::candidates(StreamKernel::NtWrite), Isa::available()[..Isa::available().len() - 1]);
}
