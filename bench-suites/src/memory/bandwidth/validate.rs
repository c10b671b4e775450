//! Validation against analytic values, as STREAM does: every array starts
//! from a known value, so after `k` passes of a kernel each element must
//! hold a value known in advance. A figure is reported only when they do.

use super::kernels::{Kernel, A, ARRAY_NAMES};

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
pub fn expected(kernel: Kernel, passes: u64) -> [f64; 3] {
    let [a, b, c] = INITIAL;
    let s = SCALAR;
    if passes == 0 {
        return INITIAL;
    }
    match kernel {
        Kernel::Copy | Kernel::NtCopy => [a, b, a],
        Kernel::Scale => [a, s * c, c],
        Kernel::Add => [a, b, a + b],
        Kernel::Triad => [b + s * c, b, c],
        Kernel::Read => INITIAL,
        Kernel::Write | Kernel::NtWrite => [fill_value(passes), b, c],
    }
}

/// The sum `read` returns over `elements` elements of a.
pub fn expected_sum(elements: usize) -> f64 {
    INITIAL[A] * elements as f64
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
    fn analytic_values_follow_each_formula() {
        assert_eq!(expected(Kernel::Copy, 3), [1.0, 2.0, 1.0]);
        assert_eq!(expected(Kernel::Scale, 1), [1.0, 1.5, 0.5]);
        assert_eq!(expected(Kernel::Add, 9), [1.0, 2.0, 3.0]);
        assert_eq!(expected(Kernel::Triad, 2), [3.5, 2.0, 0.5]);
        assert_eq!(expected(Kernel::Write, 7)[A], 8.0);
        assert_eq!(expected(Kernel::NtWrite, 0), INITIAL);
        assert_eq!(expected(Kernel::Read, 5), INITIAL);
        assert_eq!(expected_sum(1000), 1000.0);
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
