//! RAPL through the perf `power` PMU: events `energy-pkg`, `-cores`,
//! `-ram`, `-gpu`, `-psys` under `/sys/bus/event_source/devices/power/
//! events`, each with a `.scale` (joules per count) and a `.unit` file.
//! The counters are system-wide (any process) on one CPU per package, the
//! PMU's `cpumask`; opening them needs perf_event_paranoid <= 0 or
//! CAP_PERFMON.
//!
//! A fixture tree's PMU is parsed but not opened: its type number would be
//! another PMU of this kernel. The one exception is a fixture naming the
//! kernel's software PMU (type 1, PERF_TYPE_SOFTWARE, whose event numbers
//! mean the same on every Linux): fixtures use its dummy event (9), which
//! opens and never counts, to stand for a power PMU whose counters exist
//! and read nothing, as a KVM guest's do.

use hwbench_schema::DomainRole;
use perf_event::events::Dynamic;
use perf_event::{Builder, Counter};

use super::{Discovered, Domain, Meter, Reading, Source};
use crate::counters::{explain_open_error, Needs};
use crate::SysRoot;

const PMU: &str = "/sys/bus/event_source/devices/power";

/// The kernel's software PMU type (PERF_TYPE_SOFTWARE), the same on every kernel.
const SOFTWARE_PMU: u32 = 1;

/// One event on one package, as parsed from the PMU's files.
#[derive(Debug, Clone)]
pub struct PowerEvent {
    /// Event name, e.g. "energy-pkg".
    pub event: String,
    /// The domain it measures, e.g. "package-0".
    pub domain: Domain,
    /// The CPU the counter is opened on.
    pub cpu: u32,
    /// Joules per count (the `.scale` file).
    pub joules_per_count: f64,
    /// The perf event (PMU type and config from the `format` files).
    pub kind: Dynamic,
}

/// Parses every energy event of the PMU under `root`, once per CPU of its
/// cpumask (one per package; psys only once: it covers the platform).
pub fn parse(root: &SysRoot) -> Result<Vec<PowerEvent>, String> {
    let cpus = root.read_list(&format!("{PMU}/cpumask")).map_err(|e| e.to_string())?;
    let names: Vec<String> = root
        .list_dir(&format!("{PMU}/events"))
        .into_iter()
        .filter(|n| n.starts_with("energy-") && !n.contains('.'))
        .collect();
    // perf-event2 reads the PMU's format and event files itself; an
    // absolute path keeps it under the root.
    let dir = std::path::absolute(root.path(PMU)).map_err(|e| format!("{}: {e}", root.path(PMU).display()))?;
    let mut events = Vec::new();
    for name in &names {
        let at = |e: &dyn std::fmt::Display| format!("{}/events/{name}: {e}", dir.display());
        let mut builder = Dynamic::builder(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        builder.event(name).map_err(|e| at(&e))?;
        let kind = builder.build().map_err(|e| at(&e))?;
        let file = |suffix: &str| format!("{PMU}/events/{name}.{suffix}");
        let unit = root.read(&file("unit")).map_err(|e| e.to_string())?;
        if unit != "Joules" {
            return Err(format!("{}: unit {unit:?}, expected \"Joules\"", root.path(&file("unit")).display()));
        }
        let joules_per_count: f64 = root.parse(&file("scale")).map_err(|e| e.to_string())?;
        for &cpu in if name == "energy-psys" { &cpus[..cpus.len().min(1)] } else { &cpus[..] } {
            let package = root
                .parse::<u32>(&format!("/sys/devices/system/cpu/cpu{cpu}/topology/physical_package_id"))
                .map_err(|e| e.to_string())?;
            events.push(PowerEvent { event: name.clone(), domain: domain(name, package), cpu, joules_per_count, kind });
        }
    }
    Ok(events)
}

/// The domain an event measures on `package`. Cores and the integrated
/// GPU ("gpu", i.e. uncore) are inside the package; psys holds it.
fn domain(event: &str, package: u32) -> Domain {
    match event.trim_start_matches("energy-") {
        "pkg" => Domain::new(format!("package-{package}"), DomainRole::Component),
        "ram" => Domain::new(format!("dram-{package}"), DomainRole::Component),
        "cores" => Domain::new(format!("core-{package}"), DomainRole::Subdomain),
        "gpu" => Domain::new(format!("uncore-{package}"), DomainRole::Subdomain),
        "psys" => Domain::new("psys", DomainRole::System),
        other => Domain::new(format!("{other}-{package}"), DomainRole::Unknown),
    }
}

/// Open system-wide energy counters of the power PMU, with their domain
/// names (for errors) and joules per count.
struct PerfPower {
    counters: Vec<(Counter, String, f64)>,
}

/// Parses the PMU and opens its counters on the live kernel.
pub fn discover(root: &SysRoot) -> Discovered {
    if !root.exists(PMU) {
        return Err(format!(
            "no perf `power` PMU ({}): the kernel exposes no RAPL through perf here \
             (virtual machines usually have none)",
            root.path(PMU).display()
        ));
    }
    let events = parse(root)?;
    if events.is_empty() {
        return Err(format!("{}/events has no energy-* events", root.path(PMU).display()));
    }
    let software = root.parse::<u32>(&format!("{PMU}/type")).is_ok_and(|t| t == SOFTWARE_PMU);
    if !root.is_live() && !software {
        let parsed: Vec<String> =
            events.iter().map(|e| format!("{} ({} on CPU {})", e.domain.name, e.event, e.cpu)).collect();
        return Err(format!(
            "parsed {} from the fixture; not opened: perf_event_open counts on the live kernel",
            parsed.join(", ")
        ));
    }
    let mut counters = Vec::new();
    for e in &events {
        let mut counter = Builder::new(e.kind)
            .one_cpu(e.cpu as usize)
            .any_pid()
            .exclude_kernel(false)
            .exclude_hv(false)
            .build()
            .map_err(|err| format!("{} on CPU {}: {}", e.event, e.cpu, explain_open_error(&err, Needs::SystemWide)))?;
        counter.enable().map_err(|err| format!("{} on CPU {}: enable: {err}", e.event, e.cpu))?;
        counters.push((counter, e.domain.name.clone(), e.joules_per_count));
    }
    let domains = events.into_iter().map(|e| e.domain).collect();
    Ok(Source { name: "perf-power", domains, meter: Box::new(PerfPower { counters }) })
}

impl Meter for PerfPower {
    fn read(&mut self) -> Vec<Result<Reading, String>> {
        self.counters
            .iter_mut()
            .map(|(counter, domain, scale)| {
                let raw = counter.read().map_err(|e| format!("perf power {domain}: {e}"))?;
                Ok(Reading::Counter { raw, joules_per_unit: *scale, wrap: None })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_map_to_domains_without_double_counting() {
        assert_eq!(domain("energy-pkg", 1), Domain::new("package-1", DomainRole::Component));
        assert_eq!(domain("energy-ram", 0), Domain::new("dram-0", DomainRole::Component));
        assert_eq!(domain("energy-cores", 0).role, DomainRole::Subdomain);
        assert_eq!(domain("energy-gpu", 0).role, DomainRole::Subdomain);
        assert_eq!(domain("energy-psys", 0), Domain::new("psys", DomainRole::System));
    }

    #[test]
    fn parses_the_pmu_files_one_cpu_per_package() {
        let events = parse(&crate::energy::sensors_fixture()).unwrap();
        let got: Vec<(&str, &str, u32)> =
            events.iter().map(|e| (e.event.as_str(), e.domain.name.as_str(), e.cpu)).collect();
        assert_eq!(
            got,
            [
                ("energy-cores", "core-0", 0),
                ("energy-cores", "core-1", 1),
                ("energy-pkg", "package-0", 0),
                ("energy-pkg", "package-1", 1),
                ("energy-psys", "psys", 0),
                ("energy-ram", "dram-0", 0),
                ("energy-ram", "dram-1", 1)
            ]
        );
        // 2^-32 J per count; the PMU type and event code from the files.
        assert!(events.iter().all(|e| e.joules_per_count == 2f64.powi(-32)));
        let attrs = |e: &PowerEvent| {
            let b = Builder::new(e.kind);
            (b.attrs().type_, b.attrs().config)
        };
        assert_eq!(attrs(&events[2]), (23, 0x02));
        assert_eq!(attrs(&events[5]), (23, 0x03));
    }

    #[test]
    fn a_fixture_pmu_is_parsed_but_never_opened() {
        let why = discover(&crate::energy::sensors_fixture()).err().unwrap();
        assert!(why.contains("package-1 (energy-pkg on CPU 1)") && why.contains("not opened"), "{why}");
    }

    /// The dead-PMU fixture names the software PMU's dummy event: opened on
    /// this kernel, it reads and never moves (perf_event_open system-wide
    /// needs root or CAP_PERFMON, which `make test` runs with).
    #[test]
    fn a_software_pmu_fixture_opens_and_never_counts() {
        let root = SysRoot::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/powercap/dead"));
        let mut source = discover(&root).unwrap_or_else(|why| panic!("needs root or CAP_PERFMON: {why}"));
        let names: Vec<&str> = source.domains.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["package-0", "psys"]);
        let first = source.meter.read();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(first, source.meter.read());
        assert!(first.iter().all(|r| matches!(r, Ok(Reading::Counter { raw: 0, .. }))), "{first:?}");
    }
}
