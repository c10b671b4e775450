//! Benchmark parameters: declared kinds, parsing of `--set KEY=VALUE` and
//! suite values, and typed access for benchmarks.

use std::collections::BTreeMap;

use hwbench_schema::{units, ParamValue};

use crate::error::BenchError;

/// The kind of value a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A byte size; human units accepted (4KiB, 1GiB, 333MB).
    Bytes,
    /// A non-negative integer.
    Count,
    /// A non-negative integer or the word "sweep".
    CountOrSweep,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// A NUMA node OS index.
    Node,
    /// A PU (CPU) OS index.
    Cpu,
    /// Free text (e.g. an adapter name or index).
    Text,
}

/// A parameter a benchmark accepts.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Name used with `--set NAME=VALUE` and in records.
    pub name: &'static str,
    /// What values it takes.
    pub kind: ParamKind,
    /// What happens when it is not set.
    pub default: &'static str,
    /// One line of help.
    pub help: &'static str,
}

impl ParamSpec {
    /// Parses a value given as text for this parameter.
    pub fn parse(&self, text: &str) -> Result<ParamValue, String> {
        let text = text.trim();
        let count = |t: &str| {
            t.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| format!("'{t}' is not a non-negative integer"))
        };
        match self.kind {
            ParamKind::Bytes => units::parse_bytes(text)
                .map_err(|e| e.to_string())
                .and_then(|b| i64::try_from(b).map_err(|_| format!("'{text}' is too large")))
                .map(ParamValue::Int),
            ParamKind::Count | ParamKind::Node | ParamKind::Cpu => count(text).map(ParamValue::Int),
            ParamKind::CountOrSweep if text == "sweep" => Ok(ParamValue::Str("sweep".into())),
            ParamKind::CountOrSweep => count(text).map(ParamValue::Int),
            ParamKind::Choice(choices) if choices.contains(&text) => Ok(ParamValue::Str(text.into())),
            ParamKind::Choice(choices) => Err(format!("'{text}' is not one of {}", choices.join(", "))),
            ParamKind::Text => Ok(ParamValue::Str(text.into())),
        }
    }

    /// A short description of accepted values, for help text.
    pub fn values(&self) -> String {
        match self.kind {
            ParamKind::Bytes => "SIZE".into(),
            ParamKind::Count => "N".into(),
            ParamKind::CountOrSweep => "N|sweep".into(),
            ParamKind::Choice(c) => c.join("|"),
            ParamKind::Node => "NODE".into(),
            ParamKind::Cpu => "CPU".into(),
            ParamKind::Text => "TEXT".into(),
        }
    }
}

/// Parameter values by name (the ones set; defaults are applied by the
/// benchmark when it plans its points, and written into each record).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub BTreeMap<String, ParamValue>);

impl Params {
    /// Sets a value.
    pub fn set(&mut self, name: &str, value: ParamValue) {
        self.0.insert(name.to_string(), value);
    }

    /// Returns a copy with `name` set.
    pub fn with(mut self, name: &str, value: impl Into<ParamValue>) -> Self {
        self.0.insert(name.to_string(), value.into());
        self
    }

    /// An integer value, if set.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.0.get(name) {
            Some(ParamValue::Int(v)) => Some(*v),
            _ => None,
        }
    }

    /// An unsigned value, if set.
    pub fn uint(&self, name: &str) -> Option<u64> {
        self.int(name).and_then(|v| u64::try_from(v).ok())
    }

    /// A text value, if set.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(ParamValue::Str(v)) => Some(v),
            _ => None,
        }
    }

    /// True when the parameter is set.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// One `--set KEY=VALUE` as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The parameter name.
    pub key: String,
    /// The raw value text.
    pub value: String,
}

impl std::str::FromStr for Setting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (key, value) = s.split_once('=').ok_or_else(|| format!("'{s}' is not KEY=VALUE"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("'{s}' has an empty key"));
        }
        Ok(Setting { key: key.to_string(), value: value.to_string() })
    }
}

/// Applies `settings` to one benchmark's params, skipping keys it lacks.
pub fn apply(id: &str, specs: &[ParamSpec], params: &mut Params, settings: &[Setting]) -> Result<(), BenchError> {
    for setting in settings {
        if let Some(spec) = specs.iter().find(|s| s.name == setting.key) {
            let value = spec.parse(&setting.value).map_err(|why| BenchError::bad_param(id, &setting.key, why))?;
            params.set(spec.name, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BYTES: ParamSpec = ParamSpec { name: "bytes", kind: ParamKind::Bytes, default: "sweep", help: "" };
    const PAGE: ParamSpec =
        ParamSpec { name: "page", kind: ParamKind::Choice(&["4k", "thp"]), default: "thp", help: "" };
    const THREADS: ParamSpec = ParamSpec { name: "threads", kind: ParamKind::CountOrSweep, default: "", help: "" };

    #[test]
    fn values_parse_by_kind() {
        assert_eq!(BYTES.parse("4KiB"), Ok(ParamValue::Int(4096)));
        assert_eq!(PAGE.parse("thp"), Ok(ParamValue::Str("thp".into())));
        assert_eq!(THREADS.parse("sweep"), Ok(ParamValue::Str("sweep".into())));
        assert_eq!(THREADS.parse("2"), Ok(ParamValue::Int(2)));
        assert!(BYTES.parse("abc").unwrap_err().contains("'abc'"));
        assert!(PAGE.parse("1g").unwrap_err().contains("4k, thp"));
        assert!(THREADS.parse("-1").is_err());
    }

    #[test]
    fn settings_apply_only_to_benchmarks_that_have_the_key() {
        let settings: Vec<Setting> = vec!["bytes=1MiB".parse().unwrap(), "threads=2".parse().unwrap()];
        let mut params = Params::default();
        apply("memory.latency", &[BYTES, PAGE], &mut params, &settings).unwrap();
        assert_eq!(params.uint("bytes"), Some(1 << 20));
        assert!(!params.has("threads"));
        let bad: Vec<Setting> = vec!["bytes=abc".parse().unwrap()];
        let err = apply("memory.latency", &[BYTES], &mut params, &bad).unwrap_err();
        assert!(err.to_string().starts_with("memory.latency: bytes: 'abc'"), "{err}");
        assert!("novalue".parse::<Setting>().is_err());
    }
}
