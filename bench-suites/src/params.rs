//! Benchmark parameters. Each benchmark declares its params once, typed
//! ([`Param`]): name, kind, what it is when unset, help. `--set KEY=VALUE`
//! and suite values are checked against the kinds when selected
//! ([`ParamSpec::parse`]), and planning reads them as Rust values through
//! [`Param::get`] or [`Param::value`], so a default is written in one place
//! and shown in the help from there.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use hwbench_probes::placement::PagePolicy;
use hwbench_schema::{units, ParamValue};
use serde::Serialize;

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
    /// Free text (e.g. an adapter name or index, a list).
    Text,
}

/// What a parameter is when it is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    /// This value, parsed like a setting.
    Value(&'static str),
    /// Worked out when planning, as the text says (e.g. "4x the LLC").
    Derived(&'static str),
}

/// A parameter a benchmark accepts: the row listed by `hwbench list`.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Name used with `--set NAME=VALUE` and in records.
    pub name: &'static str,
    /// What values it takes.
    pub kind: ParamKind,
    /// What it is when not set.
    pub unset: Unset,
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

    /// What it is when unset, for help text.
    pub fn default_text(&self) -> &'static str {
        match self.unset {
            Unset::Value(v) | Unset::Derived(v) => v,
        }
    }
}

/// A Rust type a parameter's value is read as.
pub trait FromParam: Sized {
    /// Converts a checked value, or says why it does not fit.
    fn from_param(value: &ParamValue) -> Result<Self, String>;
}

impl FromParam for u64 {
    fn from_param(value: &ParamValue) -> Result<Self, String> {
        match value {
            ParamValue::Int(v) => u64::try_from(*v).map_err(|_| format!("{v} is negative")),
            other => Err(format!("'{other}' is not a number")),
        }
    }
}

impl FromParam for u32 {
    fn from_param(value: &ParamValue) -> Result<Self, String> {
        let v = u64::from_param(value)?;
        u32::try_from(v).map_err(|_| format!("{v} is too large"))
    }
}

impl FromParam for usize {
    fn from_param(value: &ParamValue) -> Result<Self, String> {
        let v = u64::from_param(value)?;
        usize::try_from(v).map_err(|_| format!("{v} is too large"))
    }
}

impl FromParam for String {
    fn from_param(value: &ParamValue) -> Result<Self, String> {
        Ok(value.to_string())
    }
}

impl FromParam for PagePolicy {
    fn from_param(value: &ParamValue) -> Result<Self, String> {
        PagePolicy::parse(&value.to_string()).map_err(|e| e.to_string())
    }
}

/// A count, or every count of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountOrSweep {
    /// This many.
    Count(u64),
    /// The benchmark's sweep.
    Sweep,
}

impl FromParam for CountOrSweep {
    fn from_param(value: &ParamValue) -> Result<Self, String> {
        match value {
            ParamValue::Str(s) if s == "sweep" => Ok(CountOrSweep::Sweep),
            other => u64::from_param(other).map(CountOrSweep::Count),
        }
    }
}

/// A parameter with the type planning reads it as.
#[derive(Debug, Clone, Copy)]
pub struct Param<T> {
    /// Its row.
    pub spec: ParamSpec,
    read_as: PhantomData<fn() -> T>,
}

impl<T: FromParam> Param<T> {
    /// Declares a parameter.
    pub const fn new(name: &'static str, kind: ParamKind, unset: Unset, help: &'static str) -> Self {
        Param { spec: ParamSpec { name, kind, unset, help }, read_as: PhantomData }
    }

    /// The value set, else the default value; None when unset and the
    /// default is derived while planning.
    pub fn get(&self, settings: &Settings) -> Result<Option<T>, BenchError> {
        let name = self.spec.name;
        let bad = |why: String| BenchError::bad_param(settings.id, name, why);
        let value = match (settings.values.get(name), self.spec.unset) {
            (Some(v), _) => v.clone(),
            (None, Unset::Value(text)) => self.spec.parse(text).map_err(bad)?,
            (None, Unset::Derived(_)) => return Ok(None),
        };
        T::from_param(&value).map(Some).map_err(bad)
    }

    /// The value set, else its default value. For parameters whose default
    /// is derived, unset is bad input naming what it would be.
    pub fn value(&self, settings: &Settings) -> Result<T, BenchError> {
        self.get(settings)?.ok_or_else(|| {
            BenchError::bad_param(settings.id, self.spec.name, format!("not set ({})", self.spec.default_text()))
        })
    }

    /// True when the user set it.
    pub fn is_set(&self, settings: &Settings) -> bool {
        settings.values.contains_key(self.spec.name)
    }
}

/// The params set for one benchmark (by `--set` or its suite), each
/// checked against its kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// The benchmark they are for, for messages.
    pub id: &'static str,
    values: BTreeMap<String, ParamValue>,
}

impl Settings {
    /// No params set for benchmark `id`.
    pub fn new(id: &'static str) -> Self {
        Settings { id, values: BTreeMap::new() }
    }

    /// Parses `text` for `spec` and sets it.
    pub fn set(&mut self, spec: &ParamSpec, text: &str) -> Result<(), BenchError> {
        let value = spec.parse(text).map_err(|why| BenchError::bad_param(self.id, spec.name, why))?;
        self.values.insert(spec.name.to_string(), value);
        Ok(())
    }

    /// Sets a typed value directly (a benchmark planning another's points).
    pub fn with(mut self, spec: &ParamSpec, value: impl Into<ParamValue>) -> Self {
        self.values.insert(spec.name.to_string(), value.into());
        self
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

/// A record's params: a planned point serialised field by field (absent
/// options left out), so (id, params) stays the key comparisons join on.
pub fn params_of<P: Serialize>(point: &P) -> Result<BTreeMap<String, ParamValue>, BenchError> {
    let value = serde_json::to_value(point).map_err(|e| BenchError::Failed(format!("a point's params: {e}")))?;
    let serde_json::Value::Object(fields) = value else {
        return Err(BenchError::Failed(format!("a point serialises as {value}, not as named params")));
    };
    fields
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let param = serde_json::from_value(v).map_err(|e| BenchError::Failed(format!("param {k}: {e}")))?;
            Ok((k, param))
        })
        .collect()
}

/// "bytes=4096 page=thp" for messages and summaries.
pub fn describe(params: &BTreeMap<String, ParamValue>) -> String {
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BYTES: Param<u64> = Param::new("bytes", ParamKind::Bytes, Unset::Derived("sweep"), "");
    const PAGE: Param<PagePolicy> = Param::new("page", ParamKind::Choice(&["4k", "thp"]), Unset::Value("thp"), "");
    const THREADS: Param<CountOrSweep> = Param::new("threads", ParamKind::CountOrSweep, Unset::Value("sweep"), "");

    #[test]
    fn values_parse_by_kind() {
        assert_eq!(BYTES.spec.parse("4KiB"), Ok(ParamValue::Int(4096)));
        assert_eq!(PAGE.spec.parse("thp"), Ok(ParamValue::Str("thp".into())));
        assert_eq!(THREADS.spec.parse("sweep"), Ok(ParamValue::Str("sweep".into())));
        assert_eq!(THREADS.spec.parse("2"), Ok(ParamValue::Int(2)));
        assert!(BYTES.spec.parse("abc").unwrap_err().contains("'abc'"));
        assert!(PAGE.spec.parse("1g").unwrap_err().contains("4k, thp"));
        assert!(THREADS.spec.parse("-1").is_err());
    }

    #[test]
    fn unset_params_read_their_one_default() {
        let settings = Settings::new("memory.latency");
        assert_eq!(BYTES.get(&settings).unwrap(), None);
        assert_eq!(PAGE.value(&settings).unwrap(), PagePolicy::Transparent);
        assert_eq!(THREADS.value(&settings).unwrap(), CountOrSweep::Sweep);
        let err = BYTES.value(&settings).unwrap_err().to_string();
        assert_eq!(err, "memory.latency: bytes: not set (sweep)");
    }

    #[test]
    fn set_params_are_checked_then_typed() {
        let mut settings = Settings::new("memory.latency");
        settings.set(&BYTES.spec, "1MiB").unwrap();
        settings.set(&THREADS.spec, "2").unwrap();
        assert_eq!(BYTES.value(&settings).unwrap(), 1 << 20);
        assert_eq!(THREADS.value(&settings).unwrap(), CountOrSweep::Count(2));
        assert!(BYTES.is_set(&settings) && !PAGE.is_set(&settings));
        let err = settings.set(&BYTES.spec, "abc").unwrap_err().to_string();
        assert!(err.starts_with("memory.latency: bytes: 'abc'"), "{err}");
        assert!("novalue".parse::<Setting>().is_err());
    }

    #[test]
    fn points_become_params_without_their_absent_options() {
        #[derive(Serialize)]
        struct Point {
            bytes: u64,
            page: &'static str,
            node: Option<u32>,
        }
        let params = params_of(&Point { bytes: 4096, page: "thp", node: None }).unwrap();
        assert_eq!(describe(&params), "bytes=4096 page=thp");
        let params = params_of(&Point { bytes: 4096, page: "4k", node: Some(2) }).unwrap();
        assert_eq!(params["node"], ParamValue::Int(2));
    }
}
