//! Energy and hardware counters measured around one record's window
//! (results/SCHEMA.md, "Energy and counters").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How an energy domain relates to the others, which decides whether it
/// is added into a record's `power` and `energy` metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainRole {
    /// A device of its own (CPU package, DRAM, GPU board): summed.
    Component,
    /// Inside a component (RAPL core, uncore): recorded, never summed.
    Subdomain,
    /// The whole platform or node (RAPL psys, IPMI, ACPI power meter):
    /// summed only when no component is available.
    System,
    /// Coverage unknown (an unrecognised hwmon device): recorded only.
    Unknown,
}

/// One energy domain as measured over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEnergy {
    /// Domain name, e.g. "package-0", "dram-0", "gpu0".
    pub name: String,
    /// Where it was read: "powercap", "perf-power", "hwmon", "nvml", "ipmi".
    pub source: String,
    /// How it relates to the other domains.
    pub role: DomainRole,
    /// Energy over the window, J.
    pub joules: f64,
    /// Average power over the window, W.
    pub watts: f64,
}

/// Energy measured around one record's measurement window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyRecord {
    /// Length of the window, s (the sampling phase, at least 100 ms).
    pub window_s: f64,
    /// Every domain read without error over the window.
    pub domains: Vec<DomainEnergy>,
    /// The domains the record's energy metrics cover (added together).
    pub summed: Vec<String>,
    /// Idle power of the summed domains, W, measured before the suite;
    /// absent when no idle figure covers all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_power_w: Option<f64>,
    /// Sensor errors during the window; a domain with an error has no
    /// figures and, when it would have been summed, the record has no
    /// energy metrics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// One counter's value over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterValue {
    /// The count as the kernel read it, never scaled for multiplexing.
    pub count: u64,
    /// Fraction of the window the counter was running on the PMU (below
    /// 1 when the kernel multiplexed it).
    pub running_fraction: f64,
}

/// Hardware and software counters measured around one record's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountersRecord {
    /// Length of the window, s.
    pub window_s: f64,
    /// What was counted, e.g. "every thread of the process, user space".
    pub scope: String,
    /// Counters by name: cycles, instructions, llc_misses, dtlb_misses,
    /// task_clock_ns, page_faults, context_switches.
    pub values: BTreeMap<String, CounterValue>,
    /// Ratios derived from fully counted values: ipc,
    /// llc_misses_per_access, dtlb_misses_per_access.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub derived: BTreeMap<String, f64>,
    /// Counters that could not be opened or read, with the reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unavailable: BTreeMap<String, String>,
}
