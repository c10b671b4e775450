//! Student's t distribution, for the prediction test of one new unit
//! against the baseline's units and the fleet's robust z-scores.

use super::log_mean_sd;

/// Two-sided p-value of a t statistic with `df` degrees of freedom:
/// P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2), the regularized incomplete
/// beta function.
pub fn two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    incomplete_beta(df / (df + t * t), df / 2.0, 0.5).clamp(0.0, 1.0)
}

/// The |t| at which the two-sided p-value is `p` (0 < p <= 1), by
/// bisection: the k of a fleet's robust bounds median +- k x spread.
pub fn two_sided_critical(p: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while two_sided_p(hi, df) > p && hi < 1e12 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if two_sided_p(mid, df) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Whether one new unit's figure is out of line with the baseline's units,
/// on the log scale: t = (ln new - mean ln base) / (sd ln base *
/// sqrt(1 + 1/m)) with m - 1 degrees of freedom, the two-sided p-value of
/// the 1 - p prediction interval that just reaches `new`. The standard
/// deviation is at least `sd_floor` (what the base units' own repetitions
/// imply, or 0). `None` with fewer than two base figures, a figure that is
/// not positive and finite, or no spread at all (base figures all equal and
/// no floor): they then agree to their resolution (a quantile read from
/// histogram buckets, a count), which leaves no spread to scale the new unit
/// against, not a spread of zero (three equal p99 buckets made every other
/// bucket 'p < 0.0001').
pub fn prediction_test(base: &[f64], new: f64, sd_floor: f64) -> Option<f64> {
    let (mean, sd) = log_mean_sd(base)?;
    let sd = sd.max(sd_floor);
    if !(new.is_finite() && new > 0.0) {
        return None;
    }
    let distance = new.ln() - mean;
    if sd == 0.0 {
        return None;
    }
    let m = base.len() as f64;
    Some(two_sided_p(distance / (sd * (1.0 + 1.0 / m).sqrt()), m - 1.0))
}

/// The regularized incomplete beta function I_x(a, b), by its continued
/// fraction (modified Lentz), on the side where that converges fast.
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of I_x(a, b) (Numerical Recipes, betacf).
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; about 1e-15 relative).
fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let series = COEFFICIENTS[1..].iter().enumerate().fold(COEFFICIENTS[0], |s, (i, c)| s + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_closed_forms_of_one_and_two_degrees_of_freedom() {
        for t in [0.0, 0.3, 1.0, 2.5, 12.706204736, 40.0, -3.0] {
            let one = 1.0 - 2.0 / std::f64::consts::PI * f64::atan(f64::abs(t));
            let two = 1.0 - f64::abs(t) / (t * t + 2.0).sqrt();
            assert!((two_sided_p(t, 1.0) - one).abs() < 1e-12, "df 1, t {t}: {}", two_sided_p(t, 1.0));
            assert!((two_sided_p(t, 2.0) - two).abs() < 1e-12, "df 2, t {t}: {}", two_sided_p(t, 2.0));
        }
    }

    #[test]
    fn matches_the_table_of_critical_values() {
        // t_{0.975} for df 4, 9, 30 (R: qt(0.975, df)).
        for (t, df) in [(2.776445105197799, 4.0), (2.262157162798205, 9.0), (2.042272456301238, 30.0)] {
            assert!((two_sided_p(t, df) - 0.05).abs() < 1e-10, "df {df}: {}", two_sided_p(t, df));
        }
        assert_eq!(two_sided_p(f64::INFINITY, 3.0), 0.0);
    }

    /// P(|T| > t) for integer df by the closed forms of Abramowitz and
    /// Stegun 26.7.3 and 26.7.4 (a finite series in cos(theta), theta =
    /// atan(t / sqrt(df))), for the degrees of freedom fleets use.
    fn closed_form(t: f64, df: u32) -> f64 {
        let theta = (t / f64::from(df).sqrt()).atan();
        let (s, c) = (theta.sin(), theta.cos());
        let a = if df % 2 == 1 {
            let mut term = c;
            let mut sum = if df > 1 { c } else { 0.0 };
            for k in (3..df).step_by(2) {
                term *= c * c * f64::from(k - 1) / f64::from(k);
                sum += term;
            }
            2.0 / std::f64::consts::PI * (theta + s * sum)
        } else {
            let mut term = 1.0;
            let mut sum = 1.0;
            for k in (2..df).step_by(2) {
                term *= c * c * f64::from(k - 1) / f64::from(k);
                sum += term;
            }
            s * sum
        };
        1.0 - a
    }

    #[test]
    fn matches_the_closed_forms_for_integer_degrees_of_freedom() {
        for df in [3, 5, 8, 14, 15, 30] {
            for t in [0.1, 0.7, 1.5, 2.0, 3.0, 4.5] {
                let (got, want) = (two_sided_p(t, f64::from(df)), closed_form(t, df));
                assert!((got - want).abs() < 1e-12, "df {df} t {t}: {got} vs {want}");
            }
        }
        // Far tails keep their digits: for 1 df, P(|T| > t) = 2 atan(1/t) / pi.
        let t = 1e12;
        let want = 2.0 / std::f64::consts::PI / t;
        assert!(((two_sided_p(t, 1.0) - want) / want).abs() < 1e-9);
    }

    #[test]
    fn the_critical_value_inverts_the_tail() {
        assert!((two_sided_critical(0.05, 10.0) - 2.2281388519649385).abs() < 1e-9);
        for (p, df) in [(1e-6, 14.8), (0.01, 3.0), (1e-12, 370.0)] {
            assert!((two_sided_p(two_sided_critical(p, df), df) / p - 1.0).abs() < 1e-9, "p {p} df {df}");
        }
    }

    #[test]
    fn ln_gamma_of_integers_and_halves() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
        assert!((ln_gamma(0.25) - 1.2880225246980774).abs() < 1e-13);
    }

    #[test]
    fn a_new_unit_inside_the_baseline_band_is_not_significant() {
        let base = [100.0, 102.0, 98.0, 101.0, 99.0];
        assert!(prediction_test(&base, 100.5, 0.0).unwrap() > 0.5);
        // 20% away from a baseline whose logs have SD 1.6%: t = 10.5 with
        // 4 degrees of freedom, either way.
        assert!(prediction_test(&base, 120.0, 0.0).unwrap() < 1e-3);
        assert!(prediction_test(&base, 80.0, 0.0).unwrap() < 1e-3);
        assert_eq!(prediction_test(&[5.0, 5.0], 5.0, 0.0), None);
        assert_eq!(prediction_test(&[5.0, 5.0], 6.0, 0.0), None);
        // Equal figures whose repetitions spread: judged against that.
        assert!(prediction_test(&[5.0, 5.0, 5.0], 6.0, 0.1).unwrap() > 0.05);
        assert!(prediction_test(&[5.0, 5.0, 5.0], 6.0, 0.02).unwrap() < 0.05);
        assert_eq!(prediction_test(&[5.0], 6.0, 0.0), None);
    }
}
