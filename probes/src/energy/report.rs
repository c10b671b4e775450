//! From a closed window to what a record carries: the energy object (every
//! domain, the summed set, idle power, sensor errors) and the metrics
//! `power`, `energy` and `energy_per_op`, gross and net of idle.
//!
//! Summed: every component (CPU packages, DRAM, GPU boards), never a
//! subdomain (RAPL cores and uncore are inside the package); a system
//! domain (psys, node) only when there is no component.

use std::collections::BTreeMap;

use hwbench_schema::{Better, DomainEnergy, DomainRole, EnergyRecord, Metric};

use super::window::EnergyMeasurement;

/// Idle power of each domain, measured before a suite.
#[derive(Debug, Clone, PartialEq)]
pub struct IdlePower {
    /// Length of the idle window, s.
    pub window_s: f64,
    /// W by domain name, for the domains read without error.
    pub watts: BTreeMap<String, f64>,
    /// "domain (source): error" for the others.
    pub errors: Vec<String>,
}

impl IdlePower {
    /// The average power of each domain over an idle window.
    pub fn from_measurement(idle: &EnergyMeasurement) -> Self {
        let window_s = idle.window.as_secs_f64();
        let mut watts = BTreeMap::new();
        let mut errors = Vec::new();
        for d in &idle.domains {
            match &d.joules {
                Ok(j) => {
                    watts.insert(d.domain.name.clone(), j / window_s);
                }
                Err(e) => errors.push(format!("{} ({}): {e}", d.domain.name, d.source)),
            }
        }
        IdlePower { window_s, watts, errors }
    }
}

/// The record's energy object. When a domain that would be summed has an
/// error, nothing is summed (the metrics would cover less than they say).
pub fn energy_record(m: &EnergyMeasurement, idle: Option<&IdlePower>) -> EnergyRecord {
    let window_s = m.window.as_secs_f64();
    let mut domains = Vec::new();
    let mut errors = Vec::new();
    for d in &m.domains {
        match &d.joules {
            Ok(joules) => domains.push(DomainEnergy {
                name: d.domain.name.clone(),
                source: d.source.to_string(),
                role: d.domain.role,
                joules: *joules,
                watts: joules / window_s,
            }),
            Err(e) => errors.push(format!("{} ({}): {e}", d.domain.name, d.source)),
        }
    }
    let roles: Vec<(&str, DomainRole, bool)> =
        m.domains.iter().map(|d| (d.domain.name.as_str(), d.domain.role, d.joules.is_ok())).collect();
    let chosen = summed(&roles);
    let summed: Vec<String> = if chosen.iter().all(|&(_, ok)| ok) {
        chosen.into_iter().map(|(name, _)| name.to_string()).collect()
    } else {
        errors.push("no power or energy metrics: a summed domain could not be read".into());
        Vec::new()
    };
    let idle_power_w = idle.and_then(|idle| {
        let parts: Option<Vec<f64>> = summed.iter().map(|n| idle.watts.get(n).copied()).collect();
        parts.filter(|p| !p.is_empty()).map(|p| p.iter().sum())
    });
    EnergyRecord { window_s, domains, summed, idle_power_w, errors }
}

/// The domains to add up, with whether each was read: the components, or
/// else the first system domain.
fn summed<'a>(domains: &[(&'a str, DomainRole, bool)]) -> Vec<(&'a str, bool)> {
    let of = |role| domains.iter().filter(move |d| d.1 == role).map(|&(name, _, ok)| (name, ok));
    let components: Vec<_> = of(DomainRole::Component).collect();
    if components.is_empty() {
        of(DomainRole::System).take(1).collect()
    } else {
        components
    }
}

/// Energy per unit of work in the unit that suits it: (work unit, metric
/// unit, metric units per joule-per-work-unit).
const PER_OP: &[(&str, &str, f64)] = &[
    ("GB", "J/GB", 1.0),
    ("FLOP", "pJ/FLOP", 1e12),
    ("IOP", "pJ/IOP", 1e12),
    ("bit", "pJ/bit", 1e12),
    ("access", "nJ/access", 1e9),
];

/// The record's energy metrics: `power` (W) and `energy` (J) over the
/// summed domains, `energy_per_op` when the work done in the window is
/// known, and each again `_net` of idle power when it was measured.
pub fn energy_metrics(record: &EnergyRecord, work: Option<(f64, &str)>) -> Vec<Metric> {
    if record.summed.is_empty() || record.window_s <= 0.0 {
        return Vec::new();
    }
    let joules: f64 = record.domains.iter().filter(|d| record.summed.contains(&d.name)).map(|d| d.joules).sum();
    let mut out = figures("", joules, record.window_s, work);
    if let Some(idle) = record.idle_power_w {
        out.extend(figures("_net", joules - idle * record.window_s, record.window_s, work));
    }
    out
}

fn figures(suffix: &str, joules: f64, window_s: f64, work: Option<(f64, &str)>) -> Vec<Metric> {
    let metric = |name: &str, unit: &str, value: f64, statistic: &str| {
        Metric::new(&format!("{name}{suffix}"), unit, value, statistic, Vec::new(), Better::Lower)
    };
    let mut out = vec![metric("power", "W", joules / window_s, "mean"), metric("energy", "J", joules, "total")];
    if let Some((amount, unit)) = work.filter(|&(amount, _)| amount > 0.0) {
        let (metric_unit, scale) = PER_OP
            .iter()
            .find(|(u, _, _)| *u == unit)
            .map(|&(_, mu, scale)| (mu.to_string(), scale))
            .unwrap_or_else(|| (format!("J/{unit}"), 1.0));
        out.push(metric("energy_per_op", &metric_unit, joules / amount * scale, "derived"));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::energy::window::DomainResult;
    use crate::energy::Domain;

    fn measurement(window_s: f64, domains: &[(&str, DomainRole, Result<f64, &str>)]) -> EnergyMeasurement {
        EnergyMeasurement {
            window: Duration::from_secs_f64(window_s),
            domains: domains
                .iter()
                .map(|(name, role, j)| DomainResult {
                    domain: Domain::new(*name, *role),
                    source: "powercap",
                    joules: j.map_err(str::to_string),
                    still: false,
                })
                .collect(),
        }
    }

    fn value(metrics: &[Metric], name: &str) -> (f64, String) {
        let m = metrics.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no {name} in {metrics:?}"));
        (m.value, m.unit.clone())
    }

    #[test]
    fn packages_and_dram_are_summed_never_cores() {
        let m = measurement(
            2.0,
            &[
                ("package-0", DomainRole::Component, Ok(80.0)),
                ("core-0", DomainRole::Subdomain, Ok(50.0)),
                ("dram-0", DomainRole::Component, Ok(16.0)),
                ("psys", DomainRole::System, Ok(120.0)),
            ],
        );
        let rec = energy_record(&m, None);
        assert_eq!(rec.summed, ["package-0", "dram-0"]);
        assert_eq!(rec.domains.len(), 4);
        let metrics = energy_metrics(&rec, Some((4.0, "GB")));
        assert_eq!(value(&metrics, "power"), (48.0, "W".into()));
        assert_eq!(value(&metrics, "energy"), (96.0, "J".into()));
        assert_eq!(value(&metrics, "energy_per_op"), (24.0, "J/GB".into()));
        assert!(metrics.iter().all(|m| !m.name.ends_with("_net")));
    }

    #[test]
    fn a_system_domain_is_summed_only_without_components() {
        let m = measurement(1.0, &[("core-0", DomainRole::Subdomain, Ok(5.0)), ("psys", DomainRole::System, Ok(30.0))]);
        assert_eq!(energy_record(&m, None).summed, ["psys"]);
        let m = measurement(1.0, &[("x", DomainRole::Unknown, Ok(5.0))]);
        let rec = energy_record(&m, None);
        assert!(rec.summed.is_empty());
        assert!(energy_metrics(&rec, None).is_empty());
    }

    #[test]
    fn net_figures_subtract_idle_power_of_the_same_domains() {
        let idle = IdlePower {
            window_s: 3.0,
            watts: [("package-0".to_string(), 10.0), ("dram-0".to_string(), 2.0)].into(),
            errors: vec![],
        };
        let m = measurement(
            0.5,
            &[("package-0", DomainRole::Component, Ok(20.0)), ("dram-0", DomainRole::Component, Ok(4.0))],
        );
        let rec = energy_record(&m, Some(&idle));
        assert_eq!(rec.idle_power_w, Some(12.0));
        // 2e9 accesses: gross 24 J -> 12 nJ/access; net 24 - 12*0.5 = 18 J -> 9 nJ.
        let metrics = energy_metrics(&rec, Some((2e9, "access")));
        assert_eq!(value(&metrics, "energy_per_op"), (12.0, "nJ/access".into()));
        assert_eq!(value(&metrics, "energy_per_op_net"), (9.0, "nJ/access".into()));
        assert_eq!(value(&metrics, "power_net").0, 36.0);
        let flops = energy_metrics(&rec, Some((1e12, "FLOP")));
        assert_eq!(value(&flops, "energy_per_op"), (24.0, "pJ/FLOP".into()));
    }

    #[test]
    fn a_failed_summed_domain_removes_the_totals_and_says_why() {
        let m = measurement(
            1.0,
            &[("package-0", DomainRole::Component, Ok(40.0)), ("dram-0", DomainRole::Component, Err("bad content"))],
        );
        let rec = energy_record(&m, None);
        assert!(rec.summed.is_empty());
        assert_eq!(rec.domains.len(), 1);
        assert!(rec.errors[0].contains("dram-0 (powercap): bad content"), "{:?}", rec.errors);
        assert!(energy_metrics(&rec, Some((1.0, "GB"))).is_empty());
    }

    #[test]
    fn idle_power_is_energy_over_the_idle_window() {
        let m = measurement(
            4.0,
            &[("package-0", DomainRole::Component, Ok(20.0)), ("dram-0", DomainRole::Component, Err("x"))],
        );
        let idle = IdlePower::from_measurement(&m);
        assert_eq!(idle.watts["package-0"], 5.0);
        assert_eq!(idle.errors, ["dram-0 (powercap): x"]);
    }
}
