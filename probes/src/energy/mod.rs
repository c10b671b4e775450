//! Energy meters (docs/METHODS.md, "Energy per operation"): each source is
//! discovered at start and either yields a [`Source`] or says why not;
//! a source found must then prove it counts ([`liveness`]) before any of
//! its figures is used.
//!
//! A meter reads its domains; a [`window`] polls every meter between a
//! start and a stop and integrates the readings into joules per domain;
//! [`report`] turns a window into the record's energy object and its
//! `power`, `energy` and `energy_per_op` metrics, gross and net of idle;
//! [`instruments`] brackets a run's measurement windows with the meters
//! and the process counters.

pub mod hwmon;
pub mod instruments;
pub mod ipmi;
pub mod liveness;
pub mod nvml;
pub mod perf_power;
pub mod powercap;
pub mod report;
pub mod window;
mod wrap;

use std::collections::BTreeMap;
use std::time::Duration;

use hwbench_schema::{DomainRole, SensorStatus};

use crate::SysRoot;

pub use instruments::{Instruments, Work};
pub use report::{energy_metrics, energy_record, IdlePower};
pub use window::{EnergyMeasurement, EnergyMeters, EnergyWindow};

/// One domain a meter reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// Name in records, e.g. "package-0", "dram-0", "gpu0".
    pub name: String,
    /// How it relates to the other domains (decides what is summed).
    pub role: DomainRole,
}

impl Domain {
    /// A domain called `name` with `role`.
    pub fn new(name: impl Into<String>, role: DomainRole) -> Self {
        Domain { name: name.into(), role }
    }
}

/// One reading of one domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// A cumulative energy counter, in raw units.
    Counter {
        /// The counter as read.
        raw: u64,
        /// Joules per raw unit.
        joules_per_unit: f64,
        /// The value the counter wraps at, when the source gives one.
        wrap: Option<u64>,
    },
    /// Power now (or averaged by the device over a short interval), W.
    Power(f64),
}

/// How to read the domains of one source.
pub trait Meter: Send {
    /// Reads every domain now, in the order of its [`Source::domains`]; a
    /// failed domain gives its error as text naming what and where.
    fn read(&mut self) -> Vec<Result<Reading, String>>;
    /// The shortest useful time between two reads.
    fn poll_interval(&self) -> Duration {
        Duration::from_millis(100)
    }
}

/// A source found at discovery: its name, its domains and its meter.
pub struct Source {
    /// Name in records and `hwbench sensors`: "powercap", "hwmon", ...
    pub name: &'static str,
    /// The domains the meter reads.
    pub domains: Vec<Domain>,
    /// Reads them.
    pub meter: Box<dyn Meter>,
}

/// What discovering a source gave: the source, or why there is none.
pub type Discovered = Result<Source, String>;

/// Which optional sources to try.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// Whole-node power through `ipmitool dcmi power reading` (slow, needs
    /// a BMC): off by default.
    pub ipmi: bool,
}

/// Every energy source found at start, and each source's status.
pub struct Sensors {
    /// The sources a window reads.
    pub sources: Vec<Source>,
    /// Each source, keyed "energy.<source>": available or why not.
    pub status: BTreeMap<String, SensorStatus>,
}

/// The key of a source's status: "energy.<key>".
fn status_key(key: &str) -> String {
    format!("energy.{key}")
}

/// The sources found under `root`, before any has proved it counts.
pub struct Found {
    keys: Vec<&'static str>,
    sources: Vec<Source>,
    status: BTreeMap<String, SensorStatus>,
}

/// Finds every energy source under `root`: reading what exists, nothing
/// measured yet ([`Found::prove`] does that).
pub fn find(root: &SysRoot, options: DiscoverOptions) -> Found {
    let ipmi = if options.ipmi {
        live_only(root, ipmi::discover)
    } else {
        Err("off by default (whole-node power through the BMC, slow to read); enable with --ipmi".into())
    };
    let candidates = [
        ("powercap", powercap::discover(root)),
        ("perf_power", perf_power::discover(root)),
        ("hwmon", hwmon::discover(root)),
        ("nvml", live_only(root, nvml::discover)),
        ("ipmi", ipmi),
    ];
    let mut found = Found { keys: Vec::new(), sources: Vec::new(), status: BTreeMap::new() };
    for (key, discovered) in candidates {
        match discovered {
            Ok(source) => {
                found.keys.push(key);
                found.sources.push(source);
            }
            Err(why) => {
                found.status.insert(status_key(key), SensorStatus { available: false, detail: why });
            }
        }
    }
    found
}

impl Found {
    /// How long proving them takes: the calibration window with every CPU
    /// busy, or nothing when no source was found.
    pub fn calibration(&self) -> Duration {
        if self.sources.is_empty() {
            return Duration::ZERO;
        }
        liveness::window_length(&self.sources)
    }

    /// Keeps, of each source, the domains that count over a calibration
    /// window with the CPUs busy ([`liveness::prove`]). RAPL is read once:
    /// through powercap when it counts, else through the perf `power` PMU.
    pub fn prove(self, root: &SysRoot) -> Sensors {
        let mut sensors = Sensors { sources: Vec::new(), status: self.status };
        let mut powercap_counts = false;
        for (key, proof) in self.keys.into_iter().zip(liveness::prove(self.sources, root)) {
            match proof.source {
                Ok(_) if key == "perf_power" && powercap_counts => {
                    sensors.set(
                        key,
                        true,
                        format!("{}; not used: powercap reads the same RAPL counters", proof.detail),
                    );
                }
                Ok(source) => {
                    powercap_counts |= key == "powercap";
                    sensors.sources.push(source);
                    sensors.set(key, true, proof.detail);
                }
                Err(why) => sensors.set(key, false, why),
            }
        }
        sensors
    }
}

/// Discovers every energy source under `root` and keeps, of each, the
/// domains that count ([`find`], then [`Found::prove`]).
pub fn discover(root: &SysRoot, options: DiscoverOptions) -> Sensors {
    find(root, options).prove(root)
}

impl Sensors {
    /// Every energy source's status and every counter's (keyed
    /// "counters.<name>"): the result document's `sensors`.
    pub fn report(&self) -> BTreeMap<String, SensorStatus> {
        let mut all = self.status.clone();
        all.extend(crate::counters::status());
        all
    }

    /// Records a source's status under "energy.<key>".
    fn set(&mut self, key: &str, available: bool, detail: String) {
        self.status.insert(status_key(key), SensorStatus { available, detail });
    }
}

/// Sources that are not sysfs (a library, a BMC) would describe the live
/// machine, not a fixture: they are only read on the live root.
fn live_only(root: &SysRoot, discover: fn() -> Discovered) -> Discovered {
    if root.is_live() {
        discover()
    } else {
        Err(format!("not read with a fixture root ({}): this source is not sysfs", root.root().display()))
    }
}

/// The role's name as records spell it.
pub fn role_name(role: DomainRole) -> &'static str {
    match role {
        DomainRole::Component => "component",
        DomainRole::Subdomain => "subdomain",
        DomainRole::System => "system",
        DomainRole::Unknown => "unknown",
    }
}

/// The fixture tree with every sysfs energy source (static values).
#[cfg(test)]
pub(crate) fn sensors_fixture() -> SysRoot {
    SysRoot::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/powercap/sensors"))
}
