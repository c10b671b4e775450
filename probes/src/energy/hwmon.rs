//! hwmon energy and power files: `energyN_input` (uJ, i915/xe and others)
//! or, where a device has no energy counter, `powerN_average` /
//! `powerN_input` (uW, amdgpu), integrated over the window.

use hwbench_schema::DomainRole;

use super::{Discovered, Domain, Meter, Reading, Source};
use crate::SysRoot;

const CLASS: &str = "/sys/class/hwmon";

/// Drivers of devices with their own power (discrete GPUs): summed.
const COMPONENT_DRIVERS: &[&str] = &["amdgpu", "radeon", "nouveau", "i915", "xe"];

/// What one channel's file holds.
#[derive(Debug, Clone, PartialEq)]
enum Channel {
    /// A cumulative counter, uJ.
    Energy(String),
    /// Power, uW.
    Power(String),
}

/// The energy and power channels of every hwmon device.
struct Hwmon {
    root: SysRoot,
    channels: Vec<Channel>,
}

/// Finds every hwmon channel that reports energy or power.
pub fn discover(root: &SysRoot) -> Discovered {
    if !root.exists(CLASS) {
        return Err(format!("no {CLASS}: no hardware monitoring driver is loaded"));
    }
    let mut channels = Vec::new();
    let mut domains = Vec::new();
    for device in root.list_dir(CLASS) {
        let dir = format!("{CLASS}/{device}");
        let driver = root.read(&format!("{dir}/name")).unwrap_or_else(|_| device.clone());
        let role = match driver.as_str() {
            d if COMPONENT_DRIVERS.contains(&d) => DomainRole::Component,
            "power_meter" => DomainRole::System,
            _ => DomainRole::Unknown,
        };
        for (stem, channel) in device_channels(&dir, &root.list_dir(&dir)) {
            domains.push(Domain::new(format!("{driver}/{device}/{stem}"), role));
            channels.push(channel);
        }
    }
    if channels.is_empty() {
        return Err(format!(
            "no device in {CLASS} reports energy (energyN_input) or power (powerN_average, powerN_input); \
             GPU drivers such as amdgpu, i915 and xe do"
        ));
    }
    Ok(Source { name: "hwmon", domains, meter: Box::new(Hwmon { root: root.clone(), channels }) })
}

/// The channels of one device directory given its file names: its energy
/// counters when it has any, else its power files (average before input).
fn device_channels(dir: &str, files: &[String]) -> Vec<(String, Channel)> {
    let numbered = |prefix: &str, suffix: &str| -> Vec<String> {
        files
            .iter()
            .filter_map(|f| f.strip_prefix(prefix)?.strip_suffix(suffix).filter(|n| n.parse::<u32>().is_ok()))
            .map(|n| format!("{prefix}{n}"))
            .collect()
    };
    let energy = numbered("energy", "_input");
    if !energy.is_empty() {
        return energy.into_iter().map(|stem| (stem.clone(), Channel::Energy(format!("{dir}/{stem}_input")))).collect();
    }
    let mut power = numbered("power", "_average");
    power.extend(numbered("power", "_input").into_iter().filter(|s| !files.contains(&format!("{s}_average"))));
    power.sort();
    power
        .into_iter()
        .map(|stem| {
            let file = if files.contains(&format!("{stem}_average")) { "average" } else { "input" };
            (stem.clone(), Channel::Power(format!("{dir}/{stem}_{file}")))
        })
        .collect()
}

impl Meter for Hwmon {
    fn read(&mut self) -> Vec<Result<Reading, String>> {
        self.channels
            .iter()
            .map(|c| match c {
                Channel::Energy(path) => {
                    let raw = self.root.parse::<u64>(path).map_err(|e| e.to_string())?;
                    Ok(Reading::Counter { raw, joules_per_unit: 1e-6, wrap: None })
                }
                Channel::Power(path) => {
                    Ok(Reading::Power(self.root.parse::<u64>(path).map_err(|e| e.to_string())? as f64 / 1e6))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn energy_counters_win_over_power() {
        let got = device_channels("/d", &files(&["name", "energy1_input", "power1_average", "energy2_input"]));
        let stems: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(stems, ["energy1", "energy2"]);
        assert_eq!(got[0].1, Channel::Energy("/d/energy1_input".into()));
    }

    #[test]
    fn power_average_wins_over_power_input() {
        let got = device_channels(
            "/d",
            &files(&["power1_average", "power1_input", "power2_input", "power1_cap", "temp1_input"]),
        );
        assert_eq!(
            got,
            [
                ("power1".to_string(), Channel::Power("/d/power1_average".into())),
                ("power2".to_string(), Channel::Power("/d/power2_input".into()))
            ]
        );
        assert!(device_channels("/d", &files(&["temp1_input", "energyX_input"])).is_empty());
    }

    #[test]
    fn reads_gpu_power_and_energy_of_the_fixture() {
        let mut source = discover(&crate::energy::sensors_fixture()).unwrap();
        assert_eq!(
            source.domains,
            [
                Domain::new("amdgpu/hwmon0/power1", DomainRole::Component),
                Domain::new("i915/hwmon1/energy1", DomainRole::Component)
            ]
        );
        let readings = source.meter.read();
        assert_eq!(readings[0], Ok(Reading::Power(35.0)));
        assert_eq!(readings[1], Ok(Reading::Counter { raw: 123_456_789, joules_per_unit: 1e-6, wrap: None }));
    }
}
