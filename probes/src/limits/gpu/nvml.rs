//! NVIDIA's driver through NVML: the memory bus width, the maximum memory
//! clock, the CUDA core count and the maximum SM clock of the device at a
//! PCI bus id. libnvidia-ml is opened at run time, as for energy; without
//! it every figure is unknown with the reason.

use hwbench_schema::{Fact, Limit};
use nvml_wrapper::enum_wrappers::device::Clock;
use nvml_wrapper::error::NvmlError;

use super::{fp32_gflops, memory_bandwidth, DriverGpu};

/// NVML, opened once for every NVIDIA adapter, or why it could not be.
pub(super) struct Nvml(Result<nvml_wrapper::Nvml, String>);

impl Nvml {
    /// Loads libnvidia-ml and initialises it.
    pub(super) fn open() -> Self {
        Nvml(nvml_wrapper::Nvml::init().map_err(|e| crate::energy::nvml::explain(&e)))
    }

    /// What NVML reports for the device at `pci_bus_id`.
    pub(super) fn read(&self, pci_bus_id: &str) -> DriverGpu {
        let nvml = match &self.0 {
            Ok(nvml) => nvml,
            Err(why) => return DriverGpu::unknown(why),
        };
        let device = match nvml.device_by_pci_bus_id(pci_bus_id) {
            Ok(device) => device,
            Err(e) => return DriverGpu::unknown(&format!("NVML has no device at PCI {pci_bus_id}: {e}")),
        };
        let answer = |r: Result<u32, NvmlError>, call: &str| r.map_err(|e| format!("NVML {call}: {e}"));
        figures(&NvmlReading {
            bus_width_bits: answer(device.memory_bus_width(), "nvmlDeviceGetMemoryBusWidth"),
            max_memory_clock_mhz: answer(device.max_clock_info(Clock::Memory), "nvmlDeviceGetMaxClockInfo(MEM)"),
            cores: answer(device.num_cores(), "nvmlDeviceGetNumGpuCores"),
            max_sm_clock_mhz: answer(device.max_clock_info(Clock::SM), "nvmlDeviceGetMaxClockInfo(SM)"),
        })
    }
}

/// What NVML answered for one device: each query's value or its error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NvmlReading {
    /// nvmlDeviceGetMemoryBusWidth, bits.
    pub bus_width_bits: Result<u32, String>,
    /// nvmlDeviceGetMaxClockInfo(NVML_CLOCK_MEM), MHz.
    pub max_memory_clock_mhz: Result<u32, String>,
    /// nvmlDeviceGetNumGpuCores.
    pub cores: Result<u32, String>,
    /// nvmlDeviceGetMaxClockInfo(NVML_CLOCK_SM), MHz.
    pub max_sm_clock_mhz: Result<u32, String>,
}

/// The figures that follow from a reading; a failed or zero answer makes
/// the figure that needs it unknown with the reason.
pub(super) fn figures(r: &NvmlReading) -> DriverGpu {
    DriverGpu {
        memory_bandwidth: pair(
            &r.bus_width_bits,
            &r.max_memory_clock_mhz,
            "memory bus width or clock",
            memory_bandwidth,
        ),
        fp32: pair(&r.cores, &r.max_sm_clock_mhz, "core count or SM clock", fp32_gflops),
    }
}

fn pair(a: &Result<u32, String>, b: &Result<u32, String>, what: &str, derive: fn(u32, u32) -> Limit) -> Fact<Limit> {
    match (a, b) {
        (Ok(0), _) | (_, Ok(0)) => Fact::unknown(format!("NVML reports a {what} of 0")),
        (Ok(a), Ok(b)) => Fact::Known(derive(*a, *b)),
        (Err(e), _) | (_, Err(e)) => Fact::unknown(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NVML's answers for an H100 SXM5 (nvidia-smi -q: 5120-bit bus, max
    /// clocks memory 2619 MHz and SM 1980 MHz, 16,896 CUDA cores).
    #[test]
    fn an_h100_reading_gives_its_bandwidth_and_fp32_peak() {
        let r = NvmlReading {
            bus_width_bits: Ok(5120),
            max_memory_clock_mhz: Ok(2619),
            cores: Ok(16896),
            max_sm_clock_mhz: Ok(1980),
        };
        let d = figures(&r);
        assert!((d.memory_bandwidth.known().unwrap().value - 3352.32).abs() < 1e-9);
        assert!((d.fp32.known().unwrap().value - 66908.16).abs() < 1e-9);
    }

    #[test]
    fn a_failed_or_zero_answer_leaves_its_figure_unknown_with_the_error() {
        let r = NvmlReading {
            bus_width_bits: Ok(0),
            max_memory_clock_mhz: Ok(2619),
            cores: Err("NVML nvmlDeviceGetNumGpuCores: Not supported".into()),
            max_sm_clock_mhz: Ok(1980),
        };
        let d = figures(&r);
        assert_eq!(d.memory_bandwidth, Fact::unknown("NVML reports a memory bus width or clock of 0"));
        assert_eq!(d.fp32, Fact::unknown("NVML nvmlDeviceGetNumGpuCores: Not supported"));
    }

    /// This machine has no NVIDIA driver: every figure comes out unknown
    /// with the reason, not a crash. With a driver, no device sits at a
    /// bus id no GPU uses, and the reason names it.
    #[test]
    fn without_the_driver_every_figure_says_why() {
        let has_driver = std::path::Path::new("/proc/driver/nvidia/version").exists();
        let d = Nvml::open().read("0000:ff:1f.7");
        for figure in [d.memory_bandwidth, d.fp32] {
            let Fact::Unknown { unknown } = figure else { panic!("{figure:?}") };
            let expected = if has_driver { "0000:ff:1f.7" } else { "libnvidia-ml.so.1" };
            assert!(unknown.contains(expected), "{unknown}");
        }
    }
}
