//! Number formatting shared by every writer.

/// A measured value with four significant digits, without exponent for
/// everyday magnitudes ("0.001234", "12.35", "123457").
pub fn value(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let magnitude = if v == 0.0 { 0 } else { v.abs().log10().floor() as i32 };
    if !(-4..=9).contains(&magnitude) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    format!("{v:.decimals$}")
}

/// A relative change as a signed percentage ("+10.0%", "-3.2%").
pub fn percent(fraction: f64) -> String {
    format!("{:+.1}%", fraction * 100.0)
}

/// A fraction as an unsigned percentage ("14.2%"), for spreads and levels.
pub fn percent_unsigned(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

/// A p-value ("0.0432", "<0.0001").
pub fn p_value(p: f64) -> String {
    if p < 1e-4 {
        "<0.0001".to_string()
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_four_significant_digits() {
        assert_eq!(value(12.3456), "12.35");
        assert_eq!(value(0.0012345), "0.001234");
        assert_eq!(value(123456.7), "123457");
        assert_eq!(value(0.0), "0.000");
        assert_eq!(value(1.5e-9), "1.500e-9");
        assert_eq!(percent(0.1), "+10.0%");
        assert_eq!(percent(-0.032), "-3.2%");
        assert_eq!(percent_unsigned(0.142), "14.2%");
        assert_eq!(p_value(0.04321), "0.0432");
        assert_eq!(p_value(1e-6), "<0.0001");
    }
}
