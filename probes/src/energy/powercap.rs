//! RAPL through powercap sysfs: `/sys/class/powercap/intel-rapl:N[:M]`
//! with `name`, `energy_uj` and `max_energy_range_uj` (AMD uses the same
//! zones since Linux 5.11). Zone order is not guaranteed: zones are known
//! by their `name`.

use hwbench_schema::DomainRole;

use super::{Discovered, Domain, Meter, Reading, Source};
use crate::{SysRoot, SysfsError};

const CLASS: &str = "/sys/class/powercap";

/// One zone: where its counter is and the value it wraps at.
struct Zone {
    energy: String,
    range: Option<u64>,
}

/// The RAPL zones of powercap, read as microjoule counters.
struct Powercap {
    root: SysRoot,
    zones: Vec<Zone>,
}

/// Finds the RAPL zones; unavailable when there are none or none of their
/// counters can be read, with the reason and the fix.
pub fn discover(root: &SysRoot) -> Discovered {
    if !root.exists(CLASS) {
        return Err(format!(
            "no {CLASS}: no powercap RAPL driver here (virtual machines and containers usually have none); \
             on bare metal load it with `modprobe intel_rapl_msr`"
        ));
    }
    let mut zones = Vec::new();
    let mut domains = Vec::new();
    for entry in root.list_dir(CLASS).into_iter().filter(|e| e.starts_with("intel-rapl:")) {
        let dir = format!("{CLASS}/{entry}");
        let name = root.read(&format!("{dir}/name")).map_err(|e| e.to_string())?;
        domains.push(domain(&entry, &name));
        zones.push(Zone {
            energy: format!("{dir}/energy_uj"),
            range: root.parse(&format!("{dir}/max_energy_range_uj")).ok(),
        });
    }
    if zones.is_empty() {
        return Err(format!("{CLASS} has no intel-rapl zones: this CPU or kernel exposes no RAPL through powercap"));
    }
    let errors: Vec<SysfsError> = zones.iter().filter_map(|z| root.parse::<u64>(&z.energy).err()).collect();
    if errors.len() == zones.len() {
        return Err(unreadable(&errors[0]));
    }
    Ok(Source { name: "powercap", domains, meter: Box::new(Powercap { root: root.clone(), zones }) })
}

/// Why a zone's counter cannot be read, with the fix for the usual cause.
fn unreadable(e: &SysfsError) -> String {
    match e {
        SysfsError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => format!(
            "{e}: energy_uj is readable by root only since Linux 5.10 (CVE-2020-8694); run as root or grant \
             read access (chmod a+r {CLASS}/intel-rapl:*/energy_uj)"
        ),
        _ => e.to_string(),
    }
}

/// The domain of zone `entry` ("intel-rapl:0:1") called `name` ("dram").
/// Subzones carry their package index: "core-0", "dram-1".
fn domain(entry: &str, name: &str) -> Domain {
    let role = match name {
        n if n.starts_with("package") => DomainRole::Component,
        "dram" => DomainRole::Component,
        "core" | "uncore" => DomainRole::Subdomain,
        "psys" => DomainRole::System,
        _ => DomainRole::Unknown,
    };
    let mut parts = entry.trim_start_matches("intel-rapl:").split(':');
    match (parts.next(), parts.next()) {
        (Some(package), Some(_)) => Domain::new(format!("{name}-{package}"), role),
        _ => Domain::new(name, role),
    }
}

impl Meter for Powercap {
    fn read(&mut self) -> Vec<Result<Reading, String>> {
        self.zones
            .iter()
            .map(|z| {
                let raw = self.root.parse::<u64>(&z.energy).map_err(|e| unreadable(&e))?;
                Ok(Reading::Counter { raw, joules_per_unit: 1e-6, wrap: z.range })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_named_by_their_name_file_not_their_order() {
        assert_eq!(domain("intel-rapl:0", "package-0"), Domain::new("package-0", DomainRole::Component));
        assert_eq!(domain("intel-rapl:1:0", "dram"), Domain::new("dram-1", DomainRole::Component));
        assert_eq!(domain("intel-rapl:0:0", "core"), Domain::new("core-0", DomainRole::Subdomain));
        assert_eq!(domain("intel-rapl:0:1", "uncore"), Domain::new("uncore-0", DomainRole::Subdomain));
        assert_eq!(domain("intel-rapl:1", "psys"), Domain::new("psys", DomainRole::System));
        assert_eq!(domain("intel-rapl:2", "other").role, DomainRole::Unknown);
    }

    #[test]
    fn reads_every_rapl_zone_of_the_fixture_and_skips_mmio() {
        let mut source = discover(&crate::energy::sensors_fixture()).unwrap();
        let names: Vec<&str> = source.domains.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["package-0", "dram-0", "core-0", "package-1", "core-1", "dram-1", "psys"]);
        let raw: Vec<u64> = source
            .meter
            .read()
            .into_iter()
            .map(|r| match r.unwrap() {
                Reading::Counter { raw, joules_per_unit, wrap } => {
                    assert_eq!(joules_per_unit, 1e-6);
                    assert!(wrap.is_some());
                    raw
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(raw, [1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000, 6_000_000, 7_000_000]);
    }

    #[test]
    fn a_missing_class_directory_says_why_and_how_to_fix() {
        let why = discover(&SysRoot::new("/nonexistent-root")).err().unwrap();
        assert!(why.contains("no /sys/class/powercap") && why.contains("modprobe"), "{why}");
    }
}
