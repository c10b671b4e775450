//! A provenance fact: a value, or `{"unknown": "why"}`.

use serde::{Deserialize, Serialize};

/// A fact about the machine that is either known or unknown with a reason.
/// Serialized as the bare value, or as `{"unknown": "reason"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fact<T> {
    /// The fact was read.
    Known(T),
    /// The fact could not be read; the reason says why.
    Unknown {
        /// Why the fact is unknown.
        unknown: String,
    },
}

impl<T> Fact<T> {
    /// An unknown fact with its reason.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Fact::Unknown { unknown: reason.into() }
    }

    /// The value when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(v) => Some(v),
            Fact::Unknown { .. } => None,
        }
    }
}

impl<T, E: std::fmt::Display> From<Result<T, E>> for Fact<T> {
    fn from(r: Result<T, E>) -> Self {
        match r {
            Ok(v) => Fact::Known(v),
            Err(e) => Fact::unknown(e.to_string()),
        }
    }
}

impl<T: std::fmt::Display> std::fmt::Display for Fact<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fact::Known(v) => write!(f, "{v}"),
            Fact::Unknown { unknown } => write!(f, "unknown ({unknown})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_forms() {
        let k: Fact<String> = Fact::Known("x".into());
        let u: Fact<String> = Fact::unknown("no file");
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"x\"");
        assert_eq!(serde_json::to_string(&u).unwrap(), r#"{"unknown":"no file"}"#);
        assert_eq!(serde_json::from_str::<Fact<String>>("\"x\"").unwrap(), k);
        assert_eq!(serde_json::from_str::<Fact<String>>(r#"{"unknown":"no file"}"#).unwrap(), u);
        assert_eq!(serde_json::from_str::<Fact<u32>>("7").unwrap(), Fact::Known(7));
    }
}
