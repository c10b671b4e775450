//! What a GPU's driver reports about its limits: the memory bus width and
//! clock, the shader cores and their clock, and the figures that follow
//! from them. The arithmetic is here, apart from the reading (NVML for
//! NVIDIA, amdgpu's sysfs files for AMD), so it is tested with the driver
//! figures of published parts. Each figure is a value with its derivation
//! ("driver-reported: ..."), or unknown with the reason; never a guess.

mod amdgpu;
mod nvml;

use std::collections::BTreeMap;

use hwbench_schema::{Fact, GpuAdapter, Limit};

use crate::sysroot::SysRoot;

/// PCI vendor id of NVIDIA.
const NVIDIA: u32 = 0x10de;
/// PCI vendor id of AMD.
const AMD: u32 = 0x1002;

/// A GPU's limits as its driver reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverGpu {
    /// Device memory bandwidth, GB/s: bus width x 2 x the maximum memory
    /// clock; or why the driver does not give it.
    pub memory_bandwidth: Fact<Limit>,
    /// Shader-core FP32 GFLOP/s: cores x 2 (one FMA per core per clock) x
    /// the maximum shader clock; or why the driver does not give it.
    pub fp32: Fact<Limit>,
}

impl DriverGpu {
    /// Both figures unknown for the same reason.
    pub fn unknown(why: &str) -> Self {
        DriverGpu { memory_bandwidth: Fact::unknown(why), fp32: Fact::unknown(why) }
    }
}

/// Device memory bandwidth from what the driver reports: `bus_width_bits`
/// / 8 bytes x 2 transfers per clock x `max_clock_mhz`. NVML reports the
/// memory clock of HBM2e/HBM3 and GDDR6/GDDR6X parts such that twice it is
/// the data rate per pin (H100 SXM 2619 MHz: 5.24 Gb/s HBM3; RTX 4090
/// 10501 MHz: 21 Gb/s GDDR6X).
pub fn memory_bandwidth(bus_width_bits: u32, max_clock_mhz: u32) -> Limit {
    let gbps = f64::from(bus_width_bits) / 8.0 * 2.0 * f64::from(max_clock_mhz) / 1000.0;
    Limit {
        value: gbps,
        unit: "GB/s".into(),
        derivation: format!("driver-reported: {bus_width_bits}-bit bus x 2 x {max_clock_mhz} MHz = {gbps:.0} GB/s"),
    }
}

/// Shader-core FP32 FLOP/s from what the driver reports: `cores` x 2 (a
/// fused multiply-add per core per clock) x `max_clock_mhz`. The maximum
/// clock is what the driver allows; on data-center parts it is the boost
/// clock the datasheets use, on some desktop parts it is higher.
pub fn fp32_gflops(cores: u32, max_clock_mhz: u32) -> Limit {
    let gflops = f64::from(cores) * 2.0 * f64::from(max_clock_mhz) / 1000.0;
    Limit {
        value: gflops,
        unit: "GFLOP/s".into(),
        derivation: format!(
            "driver-reported: {cores} cores x 2 (FMA) x {max_clock_mhz} MHz max shader clock = {gflops:.0} GFLOP/s"
        ),
    }
}

/// What the drivers of `adapters` report, by adapter index. NVIDIA parts
/// are read through NVML (opened once, on the live machine only), AMD
/// parts through amdgpu's files under `root`; software adapters and other
/// vendors get the reason there is no reading.
pub fn driver_gpus(root: &SysRoot, adapters: &[GpuAdapter]) -> BTreeMap<usize, DriverGpu> {
    let mut nvml = None;
    adapters
        .iter()
        .map(|a| {
            let reading = if a.is_software() {
                DriverGpu::unknown(&format!("{} is a software adapter: no GPU driver to ask", a.name))
            } else if a.pci_bus_id.is_empty() {
                DriverGpu::unknown(&format!("adapter {} has no PCI bus id to find it by in the driver", a.index))
            } else {
                match a.vendor {
                    NVIDIA if !root.is_live() => DriverGpu::unknown("NVML is not read under a fixture root"),
                    NVIDIA => nvml.get_or_insert_with(nvml::Nvml::open).read(&a.pci_bus_id),
                    AMD => amdgpu::read(root, &a.pci_bus_id),
                    v => DriverGpu::unknown(&format!("no driver reading for PCI vendor 0x{v:04x}")),
                }
            };
            (a.index, reading)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The driver figures of published parts give their published
    /// bandwidths: H100 SXM (NVIDIA H100 datasheet: 3.35 TB/s), A100 80GB
    /// SXM (A100 datasheet: 2,039 GB/s), A100 40GB (1,555 GB/s), RTX 4090
    /// (NVIDIA: 1008 GB/s), L4 (L4 datasheet: 300 GB/s).
    #[test]
    fn bus_width_and_memory_clock_give_the_published_bandwidths() {
        let h100 = memory_bandwidth(5120, 2619);
        assert!((h100.value - 3352.32).abs() < 1e-9, "{h100:?}");
        assert_eq!(h100.derivation, "driver-reported: 5120-bit bus x 2 x 2619 MHz = 3352 GB/s");
        assert_eq!(h100.unit, "GB/s");
        assert!((memory_bandwidth(5120, 1593).value - 2039.04).abs() < 1e-9);
        assert!((memory_bandwidth(5120, 1215).value - 1555.2).abs() < 1e-9);
        assert!((memory_bandwidth(384, 10501).value - 1008.096).abs() < 1e-9);
        assert!((memory_bandwidth(192, 6251).value - 300.048).abs() < 1e-9);
    }

    /// H100 SXM: 16,896 CUDA cores at 1980 MHz (datasheet: 67 TFLOPS FP32);
    /// A100: 6,912 at 1410 MHz (datasheet: 19.5 TFLOPS).
    #[test]
    fn cores_and_shader_clock_give_the_published_fp32_peaks() {
        let h100 = fp32_gflops(16896, 1980);
        assert!((h100.value - 66908.16).abs() < 1e-9, "{h100:?}");
        assert_eq!(h100.unit, "GFLOP/s");
        assert!(h100.derivation.contains("16896 cores x 2 (FMA) x 1980 MHz"), "{}", h100.derivation);
        assert!((fp32_gflops(6912, 1410).value - 19491.84).abs() < 1e-9);
    }

    fn adapter(vendor: u32, device_type: &str, pci_bus_id: &str) -> GpuAdapter {
        serde_json::from_value(serde_json::json!({
            "index": 3, "name": "test adapter", "vendor": vendor, "vendor_name": "", "device": 0,
            "pci_bus_id": pci_bus_id, "driver": "", "driver_info": "", "backend": "vulkan",
            "device_type": device_type,
            "limits": { "max_buffer_size": 0, "max_storage_buffer_binding_size": 0,
                        "max_compute_invocations_per_workgroup": 0, "max_compute_workgroup_size_x": 0,
                        "max_compute_workgroups_per_dimension": 0, "max_compute_workgroup_storage_size": 0 },
            "features": []
        }))
        .unwrap()
    }

    #[test]
    fn adapters_without_a_driver_reading_say_why() {
        let root = SysRoot::new("/nonexistent-fixture");
        let why = |a: GpuAdapter| match driver_gpus(&root, &[a]).remove(&3).unwrap().memory_bandwidth {
            Fact::Unknown { unknown } => unknown,
            known => panic!("{known:?}"),
        };
        assert!(why(adapter(0x10005, "cpu", "")).contains("software adapter"));
        assert!(why(adapter(NVIDIA, "discrete_gpu", "")).contains("no PCI bus id"));
        assert!(why(adapter(NVIDIA, "discrete_gpu", "0000:17:00.0")).contains("fixture root"));
        assert!(why(adapter(0x8086, "discrete_gpu", "0000:3a:00.0")).contains("vendor 0x8086"));
    }
}
