//! NVIDIA GPUs through NVML: total energy (mJ, Volta and newer), else power
//! (mW) integrated over the window. libnvidia-ml is opened at run time, so
//! building and running hwbench need no NVIDIA library.

use hwbench_schema::DomainRole;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::Nvml;

use super::{Discovered, Domain, Meter, Reading, Source};

/// How a GPU is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// nvmlDeviceGetTotalEnergyConsumption, mJ.
    Energy,
    /// nvmlDeviceGetPowerUsage, mW.
    Power,
}

/// Every GPU NVML can read energy or power from.
struct NvmlMeter {
    nvml: Nvml,
    gpus: Vec<(u32, Kind)>,
}

/// Loads NVML and finds its GPUs; unavailable when the library or driver
/// is missing, with the reason.
pub fn discover() -> Discovered {
    let nvml = Nvml::init().map_err(|e| explain(&e))?;
    let count = nvml.device_count().map_err(|e| format!("NVML device count: {e}"))?;
    let mut gpus = Vec::new();
    let mut domains = Vec::new();
    let mut unreadable = Vec::new();
    for index in 0..count {
        let device = nvml.device_by_index(index).map_err(|e| format!("NVML GPU {index}: {e}"))?;
        let kind = match (device.total_energy_consumption(), device.power_usage()) {
            (Ok(_), _) => Kind::Energy,
            (Err(_), Ok(_)) => Kind::Power,
            (Err(e), Err(_)) => {
                unreadable.push(format!("gpu{index}: {e}"));
                continue;
            }
        };
        gpus.push((index, kind));
        domains.push(Domain::new(format!("gpu{index}"), DomainRole::Component));
    }
    if gpus.is_empty() {
        return Err(format!("NVML found {count} GPU(s) but none reports energy or power ({})", unreadable.join("; ")));
    }
    Ok(Source { name: "nvml", domains, meter: Box::new(NvmlMeter { nvml, gpus }) })
}

/// Why NVML cannot be used, and what to do about it.
pub(crate) fn explain(e: &NvmlError) -> String {
    match e {
        NvmlError::LibloadingError(_) => {
            format!("libnvidia-ml.so.1 cannot be loaded ({e}): no NVIDIA driver is installed (NVML ships with it)")
        }
        NvmlError::DriverNotLoaded => "NVML: the NVIDIA kernel driver is not loaded (modprobe nvidia)".into(),
        NvmlError::NoPermission => {
            "NVML: no permission to talk to the NVIDIA driver (check /dev/nvidia* access)".into()
        }
        _ => format!("NVML init: {e}"),
    }
}

impl Meter for NvmlMeter {
    fn read(&mut self) -> Vec<Result<Reading, String>> {
        self.gpus
            .iter()
            .map(|&(index, kind)| {
                let device = self.nvml.device_by_index(index).map_err(|e| format!("NVML gpu{index}: {e}"))?;
                match kind {
                    Kind::Energy => device.total_energy_consumption().map(|raw| Reading::Counter {
                        raw,
                        joules_per_unit: 1e-3,
                        wrap: None,
                    }),
                    Kind::Power => device.power_usage().map(|mw| Reading::Power(f64::from(mw) / 1e3)),
                }
                .map_err(|e| format!("NVML gpu{index}: {e}"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine has no NVIDIA driver: NVML must come out unavailable
    /// with the reason, not crash. Where a GPU exists, it must be listed.
    #[test]
    fn nvml_is_found_or_explained() {
        let has_driver = std::path::Path::new("/proc/driver/nvidia/version").exists();
        match discover() {
            Ok(source) => {
                assert!(has_driver);
                assert!(source.domains.iter().all(|d| d.name.starts_with("gpu")));
            }
            Err(why) => {
                assert!(!has_driver, "{why}");
                assert!(why.contains("libnvidia-ml.so.1"), "{why}");
            }
        }
    }
}
