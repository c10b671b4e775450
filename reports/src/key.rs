//! The key records are joined on: benchmark id and params.

use std::collections::BTreeMap;

use hwbench_schema::{ParamValue, Record};
use serde::Serialize;

/// A benchmark point: (id, params). Params are kept as their canonical
/// text ("bytes=4096 page=4k", names sorted), which is also how they show.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PointKey {
    /// Dotted benchmark id.
    pub id: String,
    /// Canonical params text.
    pub params: String,
}

impl PointKey {
    /// The key of a record.
    pub fn of(record: &Record) -> Self {
        Self { id: record.id.clone(), params: params_text(&record.params) }
    }
}

/// Params as "name=value" pairs in name order, separated by spaces.
pub fn params_text(params: &BTreeMap<String, ParamValue>) -> String {
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// A param as a number, when it is one.
pub fn param_f64(record: &Record, name: &str) -> Option<f64> {
    match record.params.get(name)? {
        ParamValue::Int(v) => Some(*v as f64),
        ParamValue::Float(v) => Some(*v),
        ParamValue::Bool(_) | ParamValue::Str(_) => None,
    }
}

/// A param as text, whatever its type.
pub fn param_text(record: &Record, name: &str) -> Option<String> {
    record.params.get(name).map(ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_sorted_and_typed_values_print_plainly() {
        let mut params = BTreeMap::new();
        params.insert("page".to_string(), ParamValue::Str("4k".into()));
        params.insert("bytes".to_string(), ParamValue::Int(4096));
        params.insert("ratio".to_string(), ParamValue::Float(0.5));
        assert_eq!(params_text(&params), "bytes=4096 page=4k ratio=0.5");
    }
}
