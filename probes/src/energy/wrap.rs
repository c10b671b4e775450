//! The difference between two reads of a cumulative counter that may wrap.

/// How far a counter advanced from `prev` to `cur`. A smaller `cur` is a
/// wrap when the source gives the value it wraps at (RAPL's
/// max_energy_range_uj): `range - prev + cur`. Without a range, or with a
/// `prev` beyond it, a counter that went backwards is an error.
pub fn advance(prev: u64, cur: u64, range: Option<u64>) -> Result<u64, String> {
    if cur >= prev {
        return Ok(cur - prev);
    }
    match range {
        Some(range) if prev <= range => Ok(range - prev + cur),
        Some(range) => Err(format!("counter read {prev}, beyond its wrap range {range}, then {cur}")),
        None => Err(format!("counter went backwards from {prev} to {cur} and the source gives no wrap range")),
    }
}

#[cfg(test)]
mod tests {
    use super::advance;

    #[test]
    fn forward_steps_are_differences() {
        assert_eq!(advance(10, 25, None), Ok(15));
        assert_eq!(advance(7, 7, Some(100)), Ok(0));
    }

    #[test]
    fn a_wrap_adds_the_rest_of_the_range() {
        // 262143328850 is a typical package max_energy_range_uj.
        let range = 262_143_328_850;
        assert_eq!(advance(range - 1_000, 500, Some(range)), Ok(1_500));
        assert_eq!(advance(90, 10, Some(100)), Ok(20));
    }

    #[test]
    fn going_backwards_without_a_range_is_an_error() {
        let err = advance(500, 100, None).unwrap_err();
        assert!(err.contains("backwards from 500 to 100"), "{err}");
        assert!(advance(500, 100, Some(400)).unwrap_err().contains("beyond its wrap range 400"));
    }
}
