//! Validation against analytic values, as STREAM does: every array starts
//! from a known value, so after `k` passes of a kernel each element must
//! hold a value known in advance. A figure is reported only when they do.
//!
//! The kernels alone are idempotent (a copy gives the same arrays after one
//! pass or a hundred), so the first element of every worker's chunk
//! carries a chain, as STREAM's chained kernels do: before each pass the
//! worker rewrites the element the kernel reads there from what the last
//! pass wrote ([`chain_step`]), so that what the kernel writes there grows
//! by one step a pass. After `k` passes it holds a value that only `k`
//! passes give ([`expected_first`]): a run with a pass fewer fails.

use super::kernels::{StreamKernel, A, ARRAY_NAMES, B, C};

/// Initial value of a, b and c.
pub const INITIAL: [f64; 3] = [1.0, 2.0, 0.5];
/// STREAM's scalar `s` of scale and triad.
pub const SCALAR: f64 = 3.0;
/// Largest relative error allowed (STREAM's limit for f64), both on
/// average (STREAM's rule) and for any single element.
pub const LIMIT: f64 = 1e-13;

/// The value write and nt_write store in pass `pass` (counted from 1):
/// a new one each pass, so the check sees that the last pass ran.
pub fn fill_value(pass: u64) -> f64 {
    INITIAL[A] + pass as f64
}

/// What each element of a, b and c holds after `passes` passes of
/// `kernel` from [`INITIAL`].
pub fn expected(kernel: StreamKernel, passes: u64) -> [f64; 3] {
    let [a, b, c] = INITIAL;
    let s = SCALAR;
    if passes == 0 {
        return INITIAL;
    }
    match kernel {
        StreamKernel::Copy | StreamKernel::NtCopy => [a, b, a],
        StreamKernel::Scale => [a, s * c, c],
        StreamKernel::Add => [a, b, a + b],
        StreamKernel::Triad => [b + s * c, b, c],
        StreamKernel::Read => INITIAL,
        StreamKernel::Write | StreamKernel::NtWrite => [fill_value(passes), b, c],
    }
}

/// Rewrites the chain element the kernel reads from what the last pass
/// left in the first elements `[a, b, c]` of a chunk, before pass `pass`.
pub fn chain_step(kernel: StreamKernel, first: &mut [f64; 3]) {
    let s = SCALAR;
    match kernel {
        // c = a next: c advances by 1.
        StreamKernel::Copy | StreamKernel::NtCopy => first[A] = first[C] + 1.0,
        // b = s*c next: b advances by s (b is s times a value exact in
        // f64, so the division is exact).
        StreamKernel::Scale => first[C] = first[B] / s + 1.0,
        // c = a + b next: c advances by 1.
        StreamKernel::Add => first[A] = first[C] - first[B] + 1.0,
        // a = b + s*c next: a advances by 1.
        StreamKernel::Triad => first[B] = first[A] - s * first[C] + 1.0,
        // sum += a next: the sum of the pass sees a advance by 1.
        StreamKernel::Read => first[A] += 1.0,
        // The value written already changes every pass.
        StreamKernel::Write | StreamKernel::NtWrite => {}
    }
}

/// One pass of `kernel` on the first elements `[a, b, c]` of a chunk, as
/// the kernel computes it.
fn apply(kernel: StreamKernel, pass: u64, first: &mut [f64; 3]) {
    let s = SCALAR;
    match kernel {
        StreamKernel::Copy | StreamKernel::NtCopy => first[C] = first[A],
        StreamKernel::Scale => first[B] = s * first[C],
        StreamKernel::Add => first[C] = first[A] + first[B],
        StreamKernel::Triad => first[A] = first[B] + s * first[C],
        StreamKernel::Read => {}
        StreamKernel::Write | StreamKernel::NtWrite => first[A] = fill_value(pass),
    }
}

/// What the first element of every chunk of a, b and c holds after
/// `passes` passes of `kernel`, each after its chain step.
pub fn expected_first(kernel: StreamKernel, passes: u64) -> [f64; 3] {
    let mut first = INITIAL;
    for pass in 1..=passes {
        chain_step(kernel, &mut first);
        apply(kernel, pass, &mut first);
    }
    first
}

/// The sum `read` returns in pass `passes` over `elements` elements of a
/// split into `chunks` chunks: every element at its initial value but the
/// first of each chunk, which the chain has advanced.
pub fn expected_sum(elements: usize, chunks: usize, passes: u64) -> f64 {
    let first = expected_first(StreamKernel::Read, passes)[A];
    INITIAL[A] * (elements - chunks) as f64 + first * chunks as f64
}

/// How far one array (or part of it) is from its expected value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Deviation {
    /// Elements compared.
    pub elements: u64,
    /// Elements off by more than [`LIMIT`] (NaN included).
    pub wrong: u64,
    /// Sum of the relative errors.
    pub sum: f64,
    /// Largest relative error (infinite for NaN).
    pub max: f64,
}

impl Deviation {
    /// Compares `values` with `expected` (not zero).
    pub fn of(values: &[f64], expected: f64) -> Deviation {
        let mut d = Deviation { elements: values.len() as u64, ..Deviation::default() };
        for &v in values {
            let e = ((v - expected) / expected).abs();
            let e = if e.is_nan() { f64::INFINITY } else { e };
            d.sum += e;
            d.max = d.max.max(e);
            d.wrong += u64::from(e > LIMIT);
        }
        d
    }

    /// The deviation of a single value, such as a sum.
    pub fn of_value(value: f64, expected: f64) -> Deviation {
        Deviation::of(&[value], expected)
    }

    /// Adds another part of the same array.
    pub fn merge(self, other: Deviation) -> Deviation {
        Deviation {
            elements: self.elements + other.elements,
            wrong: self.wrong + other.wrong,
            sum: self.sum + other.sum,
            max: self.max.max(other.max),
        }
    }

    /// Average relative error.
    pub fn average(&self) -> f64 {
        if self.elements == 0 {
            0.0
        } else {
            self.sum / self.elements as f64
        }
    }

    /// True when the average and every element are within [`LIMIT`].
    pub fn passes(&self) -> bool {
        self.wrong == 0 && self.average() <= LIMIT
    }
}

/// The verdict over the arrays a kernel touched (by index) and, for
/// `read`, its sum: Err with the reason naming what is wrong.
pub fn verdict(arrays: &[(usize, Deviation)], sum: Option<Deviation>) -> Result<Deviation, String> {
    let mut faults = Vec::new();
    let mut all = Deviation::default();
    for &(index, d) in arrays {
        all = all.merge(d);
        if !d.passes() {
            faults.push(format!(
                "array {}: {} of {} elements differ from the analytic value (average relative error {:.3e}, largest {:.3e})",
                ARRAY_NAMES[index],
                d.wrong,
                d.elements,
                d.average(),
                d.max
            ));
        }
    }
    if let Some(d) = sum {
        if !d.passes() {
            faults.push(format!("the sum read differs from the analytic sum by a relative {:.3e}", d.max));
        }
    }
    if faults.is_empty() {
        Ok(all)
    } else {
        Err(format!("validation failed (limit {LIMIT:e} relative): {}", faults.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::bandwidth::kernels::{B, C};

    #[test]
    fn the_chain_advances_a_step_a_pass_for_every_kernel() {
        use crate::memory::bandwidth::kernels::KERNELS;
        assert_eq!(expected_first(StreamKernel::Copy, 3)[C], 3.5);
        assert_eq!(expected_first(StreamKernel::Scale, 2)[B], 2.0 + 2.0 * SCALAR);
        assert_eq!(expected_first(StreamKernel::Add, 4)[C], 4.5);
        assert_eq!(expected_first(StreamKernel::Triad, 5)[A], 6.0);
        assert_eq!(expected_first(StreamKernel::Read, 7)[A], 8.0);
        assert_eq!(expected_sum(80, 4, 2), 76.0 + 4.0 * 3.0);
        for k in KERNELS {
            let result = k.result_array();
            for passes in [1u64, 2, 9, 1000] {
                let (done, short) = (expected_first(k.kernel, passes), expected_first(k.kernel, passes - 1));
                assert_ne!(done[result], short[result], "{}: {passes} passes look like one fewer", k.name);
            }
        }
    }

    #[test]
    fn analytic_values_follow_each_formula() {
        assert_eq!(expected(StreamKernel::Copy, 3), [1.0, 2.0, 1.0]);
        assert_eq!(expected(StreamKernel::Scale, 1), [1.0, 1.5, 0.5]);
        assert_eq!(expected(StreamKernel::Add, 9), [1.0, 2.0, 3.0]);
        assert_eq!(expected(StreamKernel::Triad, 2), [3.5, 2.0, 0.5]);
        assert_eq!(expected(StreamKernel::Write, 7)[A], 8.0);
        assert_eq!(expected(StreamKernel::NtWrite, 0), INITIAL);
        assert_eq!(expected(StreamKernel::Read, 5), INITIAL);
        assert_eq!(INITIAL[B] + INITIAL[C], 2.5);
    }

    #[test]
    fn one_wrong_element_among_many_fails() {
        let mut v = vec![3.5; 1 << 20];
        assert!(Deviation::of(&v, 3.5).passes());
        v[12345] = 3.5000001;
        let d = Deviation::of(&v, 3.5);
        assert_eq!(d.wrong, 1);
        assert!(d.average() < LIMIT, "the average alone would not see it");
        let err = verdict(&[(A, d)], None).unwrap_err();
        assert!(err.contains("array a: 1 of 1048576 elements"), "{err}");
        v[0] = f64::NAN;
        assert_eq!(Deviation::of(&v, 3.5).max, f64::INFINITY);
    }

    #[test]
    fn a_wrong_sum_fails() {
        let ok = Deviation::of(&[1.0; 8], 1.0);
        assert!(verdict(&[(A, ok)], Some(Deviation::of_value(8.0, 8.0))).is_ok());
        assert!(verdict(&[(A, ok)], Some(Deviation::of_value(7.0, 8.0))).unwrap_err().contains("sum"));
    }
}
