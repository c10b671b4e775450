//! Human-readable byte sizes: parsing ("4KiB", "1GiB", "333MB") and printing.

use thiserror::Error;

/// A size string that could not be parsed.
#[derive(Debug, Error, PartialEq)]
#[error("'{input}' is not a byte size ({why}); use e.g. 4096, 4KiB, 64MiB, 1GiB, 333MB")]
pub struct SizeError {
    input: String,
    why: &'static str,
}

/// Parses a byte size. Binary suffixes (KiB, MiB, GiB, TiB, and the bare
/// K, M, G, T as numactl and dd use them) are powers of 1024; decimal ones
/// (kB, KB, MB, GB, TB, PB) are powers of 1000. A trailing "B" alone means
/// bytes. Fractions are allowed ("1.5GiB") and rounded down to a byte.
pub fn parse_bytes(input: &str) -> Result<u64, SizeError> {
    let err = |why| SizeError { input: input.to_string(), why };
    let s = input.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    if number.is_empty() {
        return Err(err("no number"));
    }
    let value: f64 = number.parse().map_err(|_| err("bad number"))?;
    let multiplier: f64 = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        "p" | "pib" => 1024f64.powi(5),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "pb" => 1e15,
        _ => return Err(err("unknown suffix")),
    };
    let bytes = value * multiplier;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(err("too large"));
    }
    Ok(bytes as u64)
}

/// Formats a byte count with a binary suffix and at most 3 significant
/// digits ("48 KiB", "1.88 GiB").
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{} {}", value as u64, UNITS[unit])
    } else if value < 10.0 {
        format!("{value:.2} {}", UNITS[unit])
    } else if value < 100.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_binary_decimal_and_plain_sizes() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("4KiB"), Ok(4096));
        assert_eq!(parse_bytes("4k"), Ok(4096));
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_bytes("333MB"), Ok(333_000_000));
        assert_eq!(parse_bytes("1PB"), Ok(1_000_000_000_000_000));
        assert_eq!(parse_bytes("64B"), Ok(64));
    }

    #[test]
    fn refuses_garbage_with_the_input_named() {
        let e = parse_bytes("abc").unwrap_err();
        assert!(e.to_string().contains("'abc'"), "{e}");
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("12XB").is_err());
        assert!(parse_bytes("1.2.3").is_err());
        assert!(parse_bytes("-5").is_err());
        assert!(parse_bytes("99999999999PB").is_err());
    }

    #[test]
    fn formats_sizes_readably() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(48 * 1024), "48 KiB");
        assert_eq!(format_bytes(3 << 29), "1.50 GiB");
        assert_eq!(format_bytes(480 << 20), "480 MiB");
    }
}
