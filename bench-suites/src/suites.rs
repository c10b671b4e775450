//! Named suites, as data (bench-suites/suites/*.toml, built into the binary).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::BenchError;

/// The suites shipped with hwbench: (name, TOML text).
const SUITES: &[(&str, &str)] = &[
    ("quick", include_str!("../suites/quick.toml")),
    ("memory", include_str!("../suites/memory.toml")),
    ("gpu", include_str!("../suites/gpu.toml")),
    ("numa", include_str!("../suites/numa.toml")),
    ("cxl", include_str!("../suites/cxl.toml")),
    ("energy", include_str!("../suites/energy.toml")),
    ("tiers", include_str!("../suites/tiers.toml")),
    ("tiers-ci", include_str!("../suites/tiers-ci.toml")),
    ("llm", include_str!("../suites/llm.toml")),
    ("full", include_str!("../suites/full.toml")),
    ("ci", include_str!("../suites/ci.toml")),
];

/// A named list of benchmarks with their settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The suite's name (its file name).
    #[serde(skip)]
    pub name: String,
    /// What it is for.
    pub description: String,
    /// What its duration grows with; `hwbench run --plan` estimates it.
    pub duration: String,
    /// Repetitions of every point when `--repeat` is not given (1 if unset).
    #[serde(default)]
    pub repeat: Option<u32>,
    /// What it runs.
    pub benchmarks: Vec<SuiteEntry>,
}

/// One benchmark of a suite, with param values as text (parsed like `--set`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteEntry {
    /// The benchmark id.
    pub id: String,
    /// Param values.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

/// Every suite, in the order shipped.
pub fn all() -> Vec<Suite> {
    SUITES.iter().map(|(name, _)| load(name).expect("shipped suites parse (tested)")).collect()
}

/// Loads a suite by name.
pub fn load(name: &str) -> Result<Suite, BenchError> {
    let (_, text) = SUITES.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = SUITES.iter().map(|(n, _)| *n).collect();
        BenchError::BadInput(format!("unknown suite '{name}' (known: {})", names.join(", ")))
    })?;
    let mut suite: Suite = toml::from_str(text).map_err(|e| BenchError::BadInput(format!("suite {name}: {e}")))?;
    suite.name = name.to_string();
    Ok(suite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_suite_parses_and_selects_known_benchmarks_with_valid_params() {
        for suite in all() {
            assert!(!suite.benchmarks.is_empty(), "{}", suite.name);
            crate::runner::select(&[], Some(&suite), &[]).unwrap_or_else(|e| panic!("suite {}: {e}", suite.name));
        }
        assert!(load("nope").unwrap_err().to_string().contains("known: quick"));
    }
}
