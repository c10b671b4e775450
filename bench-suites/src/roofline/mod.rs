//! What the CPU and GPU rooflines (`cpu.roofline`, `gpu.roofline`) share:
//! the work that sets a kernel's arithmetic intensity with the host's
//! closed form of its result ([`work`]), the `intensity` param, and the
//! ceilings summary ([`summary`]). Method: docs/METHODS.md, "GPU for LLM
//! serving".

pub mod summary;
pub mod work;

use crate::error::BenchError;
use crate::params::{Param, ParamKind, Settings, Unset};

/// The `intensity` param both rooflines take.
pub const INTENSITY: Param<String> = Param::new(
    "intensity",
    ParamKind::Text,
    Unset::Derived("1/8, 1/4, ... 256 FLOP/byte (doubling)"),
    "FLOP per byte read: a number or a comma list (0.125, 1/8 and 256 are all accepted)",
);

/// The intensities asked for, each checked to be one a kernel of
/// `lane_bytes`-byte elements can do (see [`work::Work::for_intensity`]).
pub fn intensities(settings: &Settings, lane_bytes: &[u32]) -> Result<Vec<f64>, BenchError> {
    let Some(text) = INTENSITY.get(settings)? else {
        return Ok(work::INTENSITIES.to_vec());
    };
    let bad = |why: String| BenchError::bad_param(settings.id, INTENSITY.spec.name, why);
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let value = match part.split_once('/') {
            Some((a, b)) => a.trim().parse::<f64>().ok().zip(b.trim().parse::<f64>().ok()).map(|(a, b)| a / b),
            None => part.parse::<f64>().ok(),
        }
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| bad(format!("'{part}' is not a positive number of FLOP per byte")))?;
        for &lane in lane_bytes {
            work::Work::for_intensity(value, lane).map_err(&bad)?;
        }
        out.push(value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intensities_parse_as_numbers_or_fractions() {
        let mut s = Settings::new("gpu.roofline");
        assert_eq!(intensities(&s, &[4]).unwrap().len(), 12);
        s.set(&INTENSITY.spec, "1/8, 2,256").unwrap();
        assert_eq!(intensities(&s, &[4, 2]).unwrap(), [0.125, 2.0, 256.0]);
        s.set(&INTENSITY.spec, "3").unwrap();
        let err = intensities(&s, &[4]).unwrap_err().to_string();
        assert!(err.starts_with("gpu.roofline: intensity: 3 FLOP/byte needs 12 FLOP"), "{err}");
        s.set(&INTENSITY.spec, "x").unwrap();
        assert!(intensities(&s, &[4]).unwrap_err().to_string().contains("'x' is not a positive number"));
    }
}
