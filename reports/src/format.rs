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

/// A relative amount as a percentage, whole from 10% up ("12%"), one
/// decimal below ("3.1%"), for sentences.
pub fn percent_rounded(fraction: f64) -> String {
    let pct = fraction * 100.0;
    if pct.abs() >= 10.0 {
        format!("{pct:.0}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// A percentile as an English ordinal, rounded: "1st", "22nd", "40th", "11th".
pub fn ordinal(percentile: f64) -> String {
    let n = percentile.round() as i64;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
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
        assert_eq!(percent_rounded(0.1234), "12%");
        assert_eq!(percent_rounded(0.031), "3.1%");
        let ordinals: Vec<String> = [0.0, 1.0, 2.0, 3.0, 11.0, 12.4, 22.0, 40.0, 101.0].map(ordinal).to_vec();
        assert_eq!(ordinals, ["0th", "1st", "2nd", "3rd", "11th", "12th", "22nd", "40th", "101st"]);
    }
}
