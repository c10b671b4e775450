//! Evidence of interference beside a record: what else the machine was
//! doing while the record's sampling windows ran.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the machine did beside the benchmark over a record's windows. Each
/// figure is absent when it could not be read here; `unavailable` says why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interference {
    /// Length of the windows observed, s.
    pub window_s: f64,
    /// Time the hypervisor ran something else on this machine's CPUs
    /// (/proc/stat steal), in percent of the CPU time that elapsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steal_percent: Option<f64>,
    /// Involuntary context switches of the process's threads
    /// (/proc/self/task/*/status nonvoluntary_ctxt_switches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub involuntary_switches: Option<u64>,
    /// Most runnable tasks seen at once (/proc/stat procs_running), the
    /// benchmark's own threads included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runnable_max: Option<u32>,
    /// CPUs of the machine, for reading `runnable_max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
    /// Lowest and highest current frequency of the CPUs seen, MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_mhz: Option<[f64; 2]>,
    /// Thermal throttling events counted during the windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle_events: Option<u64>,
    /// True when a figure crossed its limit: the record was measured under
    /// interference. `reasons` names which.
    pub flagged: bool,
    /// Which figures crossed their limits, with the values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Figures that could not be read here, and why.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unavailable: BTreeMap<String, String>,
}
