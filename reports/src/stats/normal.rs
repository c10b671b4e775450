//! The standard normal tail, for the Mann-Whitney normal approximation,
//! and its inverse, for the fleet's detectable shifts.

/// P(Z > z) for a standard normal Z.
pub fn upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The z with P(Z > z) = `p` (0 < p < 1), by bisection on [`upper_tail`].
pub fn upper_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if upper_tail(mid) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// The complementary error function, to about 1e-14 relative error:
/// a positive-term series for small arguments, a continued fraction for
/// large ones (where 1 - erf would lose every digit).
pub fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        2.0 - erfc(-x)
    } else if x < 2.5 {
        1.0 - erf_series(x)
    } else {
        erfc_continued_fraction(x)
    }
}

/// erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1)).
/// Every term is positive, so nothing cancels.
fn erf_series(x: f64) -> f64 {
    let two_x2 = 2.0 * x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term > sum * 1e-17 {
        n += 1.0;
        term *= two_x2 / (2.0 * n + 1.0);
        sum += term;
    }
    2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp() * sum
}

/// erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
/// evaluated from a fixed depth inwards; converges fast for x >= 2.5.
fn erfc_continued_fraction(x: f64) -> f64 {
    const DEPTH: u32 = 80;
    let mut tail = x;
    for k in (1..=DEPTH).rev() {
        tail = x + f64::from(k) / 2.0 / tail;
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from Python's math.erfc.
    #[test]
    fn erfc_matches_reference_values() {
        let cases = [
            (0.0, 1.0),
            (0.1, 0.8875370839817152),
            (1.0, 0.15729920705028513),
            (2.4, 0.0006885138966450789),
            (2.6, 0.00023603441652934908),
            (4.0, 1.541725790028002e-08),
            (10.0, 2.088487583762545e-45),
            (-1.5, 1.9661051464753108),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(((got - want) / want).abs() < 1e-13, "erfc({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn upper_tail_is_symmetric() {
        assert!((upper_tail(0.0) - 0.5).abs() < 1e-15);
        assert!((upper_tail(1.96) + upper_tail(-1.96) - 1.0).abs() < 1e-15);
        assert!((upper_tail(1.959963984540054) - 0.025).abs() < 1e-12);
    }

    #[test]
    fn upper_quantile_inverts_the_tail() {
        // Tabulated: z(0.025) = 1.959964, z(0.5) = 0, z(1e-6) = 4.753424 (Python statistics.NormalDist).
        assert!((upper_quantile(0.025) - 1.959963984540054).abs() < 1e-9);
        assert!(upper_quantile(0.5).abs() < 1e-12);
        assert!((upper_quantile(1e-6) - 4.753424308817089).abs() < 1e-8);
        assert!((upper_tail(upper_quantile(0.5f64.powf(0.2))) - 0.5f64.powf(0.2)).abs() < 1e-12);
    }
}
