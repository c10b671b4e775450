//! Human-readable byte sizes ("4KiB", "1GiB", "333MB") and durations
//! ("90s", "15m", "1h30m", "01:30:00"): parsing and printing.

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

/// A duration string that could not be parsed.
#[derive(Debug, Error, PartialEq)]
#[error("'{input}' is not a duration ({why}); use e.g. 90, 90s, 15m, 1h30m, 2h or [D-]HH:MM:SS")]
pub struct DurationError {
    input: String,
    why: &'static str,
}

/// Parses a duration into seconds: a number of seconds ("600", "2.5"),
/// numbers with units in decreasing order ("1d2h", "1h30m", "15m", "90s"),
/// or Slurm's time left as `squeue -o %L` prints it ("[D-][HH:]MM:SS").
/// Zero is refused: a budget of nothing measures nothing.
pub fn parse_duration(input: &str) -> Result<f64, DurationError> {
    let err = |why| DurationError { input: input.to_string(), why };
    let s = input.trim();
    let seconds = if s.contains(':') {
        clock_seconds(s).ok_or_else(|| err("bad [D-][HH:]MM:SS"))?
    } else if let Ok(plain) = s.parse::<f64>() {
        plain
    } else {
        unit_seconds(s).map_err(err)?
    };
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(err("not a positive time"));
    }
    Ok(seconds)
}

/// "1h30m" and the like: each number followed by d, h, m or s, units in
/// decreasing order, each at most once.
fn unit_seconds(s: &str) -> Result<f64, &'static str> {
    let (mut total, mut rest, mut last) = (0.0, s, f64::INFINITY);
    if rest.is_empty() {
        return Err("no number");
    }
    while !rest.is_empty() {
        let split = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or("a number without a unit")?;
        let (number, tail) = rest.split_at(split);
        if number.is_empty() {
            return Err("no number");
        }
        let value: f64 = number.parse().map_err(|_| "bad number")?;
        let unit = tail.chars().next().ok_or("a number without a unit")?;
        let scale = match unit {
            'd' => 86400.0,
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return Err("unknown unit"),
        };
        if scale >= last {
            return Err("units out of order");
        }
        (total, rest, last) = (total + value * scale, &tail[1..], scale);
    }
    Ok(total)
}

/// Slurm's "[D-][HH:]MM:SS".
fn clock_seconds(s: &str) -> Option<f64> {
    let (days, clock) = match s.split_once('-') {
        Some((d, c)) => (d.parse::<u64>().ok()?, c),
        None => (0, s),
    };
    let parts: Vec<u64> = clock.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let (h, m, sec) = match parts[..] {
        [m, sec] => (0, m, sec),
        [h, m, sec] => (h, m, sec),
        _ => return None,
    };
    (m < 60 && sec < 60).then(|| ((days * 24 + h) * 3600 + m * 60 + sec) as f64)
}

/// Formats seconds for people: "45 s", "12 min 30 s", "2 h 05 min".
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600 + 30) / 60),
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
    fn parses_durations_in_seconds_units_and_slurm_clock() {
        assert_eq!(parse_duration("600"), Ok(600.0));
        assert_eq!(parse_duration("2.5"), Ok(2.5));
        assert_eq!(parse_duration("90s"), Ok(90.0));
        assert_eq!(parse_duration("15m"), Ok(900.0));
        assert_eq!(parse_duration("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration("1d2h"), Ok(93600.0));
        assert_eq!(parse_duration(" 2h "), Ok(7200.0));
        assert_eq!(parse_duration("14:59"), Ok(899.0));
        assert_eq!(parse_duration("01:30:00"), Ok(5400.0));
        assert_eq!(parse_duration("1-00:00:10"), Ok(86410.0));
    }

    #[test]
    fn refuses_durations_that_say_nothing_with_the_input_named() {
        for bad in ["abc", "", "0", "-5", "10x", "5m1h", "1h1h", "1:60", "1:2:3:4", "h", "0s"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.to_string().starts_with(&format!("'{bad}' is not a duration")), "{bad}: {e}");
        }
        assert!(parse_duration("abc").unwrap_err().to_string().contains("(no number)"));
        assert!(parse_duration("1.2.3m").unwrap_err().to_string().contains("(bad number)"));
    }

    #[test]
    fn formats_durations_readably() {
        assert_eq!(format_duration(44.6), "45 s");
        assert_eq!(format_duration(750.0), "12 min 30 s");
        assert_eq!(format_duration(7500.0), "2 h 05 min");
    }

    #[test]
    fn formats_sizes_readably() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(48 * 1024), "48 KiB");
        assert_eq!(format_bytes(3 << 29), "1.50 GiB");
        assert_eq!(format_bytes(480 << 20), "480 MiB");
    }
}
