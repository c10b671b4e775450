//! GPU figures beside the vendor's published figures for the part: a
//! table keyed by PCI vendor:device id (gpus.toml), one row per part, each
//! naming its source document. A part not in the table, a figure the
//! source does not give, and a software adapter on the CPU are unknown,
//! with the reason; never a guess.

use std::sync::LazyLock;

use hwbench_schema::{Fact, GpuAdapter, Limit};
use serde::Deserialize;

/// Which GPU figure a limit is wanted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuFigure {
    /// Shader-core FLOP/s (or OP/s) of a precision: f64, f32, f16, i32.
    Flops(String),
    /// Device memory bandwidth.
    MemoryBandwidth,
}

/// One part of the table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Part {
    /// The vendor's name for it.
    pub name: String,
    /// "vendor:device", hex, as sysfs and wgpu give them.
    pub pci: String,
    /// Device memory bandwidth, GB/s.
    pub memory_gbps: f64,
    /// Shader-core FP64 GFLOP/s, when the source gives it.
    pub fp64_gflops: Option<f64>,
    /// Shader-core FP32 GFLOP/s.
    pub fp32_gflops: Option<f64>,
    /// Shader-core FP16 GFLOP/s, when the source gives it.
    pub fp16_gflops: Option<f64>,
    /// The links, as the source names them.
    pub interconnect: String,
    /// The document the figures are from.
    pub source: String,
}

#[derive(Deserialize)]
struct Table {
    part: Vec<Part>,
}

/// The table, parsed once (a malformed table fails the crate's tests).
pub static PARTS: LazyLock<Vec<Part>> =
    LazyLock::new(|| toml::from_str::<Table>(include_str!("gpus.toml")).map(|t| t.part).unwrap_or_default());

/// The limit of `figure` for `adapter`, or why there is none.
pub fn limit(adapter: &GpuAdapter, figure: &GpuFigure) -> Fact<Limit> {
    if adapter.is_software() {
        return Fact::unknown(format!(
            "{} is a software adapter running on the CPU: no GPU hardware limit (its figures are bounded by the \
             CPU's)",
            adapter.name
        ));
    }
    let key = format!("{:04x}:{:04x}", adapter.vendor, adapter.device);
    let Some(part) = PARTS.iter().find(|p| p.pci.eq_ignore_ascii_case(&key)) else {
        return Fact::unknown(format!("limit unknown: {} (PCI {key}) is not in the table", adapter.name));
    };
    let (value, unit, what) = match figure {
        GpuFigure::MemoryBandwidth => (Some(part.memory_gbps), "GB/s", "memory bandwidth".to_string()),
        GpuFigure::Flops(precision) => {
            let value = match precision.as_str() {
                "f64" => part.fp64_gflops,
                "f32" => part.fp32_gflops,
                "f16" => part.fp16_gflops,
                _ => None,
            };
            (value, "GFLOP/s", format!("{precision} shader-core FLOP/s"))
        }
    };
    match value {
        Some(value) => Fact::Known(Limit {
            value,
            unit: unit.into(),
            derivation: format!("{}: {what} {value} {unit} ({})", part.name, part.source),
        }),
        None => Fact::unknown(format!("{}: {} gives no {what}", part.name, part.source)),
    }
}

/// What a GPU memory bandwidth figure counts.
pub fn memory_counts(id: &str) -> String {
    match id {
        "gpu.gemv" => "bytes of the weight matrix (and vectors) read per second: a bound on decode, one pass".into(),
        _ => "bytes read plus bytes written by the kernel per second (BabelStream counting), device memory".into(),
    }
}

/// What a GPU FLOP/s figure counts.
pub fn flops_counts(id: &str) -> String {
    match id {
        "gpu.gemm" => "dense FLOP/s of the GEMM (2·m·n·k per product) on the shader cores, no tensor cores \
                       unless the cooperative-matrix kernel ran"
            .into(),
        _ => "dense FLOP/s on the shader cores: 2 per fused multiply-add, no tensor cores, no sparsity".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(vendor: u32, device: u32, device_type: &str) -> GpuAdapter {
        serde_json::from_value(serde_json::json!({
            "index": 0, "name": "test adapter", "vendor": vendor, "vendor_name": "", "device": device,
            "pci_bus_id": "", "driver": "", "driver_info": "", "backend": "vulkan", "device_type": device_type,
            "limits": { "max_buffer_size": 0, "max_storage_buffer_binding_size": 0,
                        "max_compute_invocations_per_workgroup": 0, "max_compute_workgroup_size_x": 0,
                        "max_compute_workgroups_per_dimension": 0, "max_compute_workgroup_storage_size": 0 },
            "features": []
        }))
        .unwrap()
    }

    #[test]
    fn the_table_parses_and_every_row_names_its_source() {
        assert!(PARTS.len() >= 3);
        for p in PARTS.iter() {
            assert!(p.pci.len() == 9 && p.pci.as_bytes()[4] == b':', "{}: pci {:?}", p.name, p.pci);
            assert!(!p.source.is_empty() && p.memory_gbps > 0.0, "{}", p.name);
        }
    }

    /// Against the figures NVIDIA's H100 datasheet prints: H100 SXM
    /// 3.35 TB/s, FP32 67 TFLOPS, FP64 34 TFLOPS.
    #[test]
    fn a_part_in_the_table_gives_its_published_figures() {
        let h100 = adapter(0x10de, 0x2330, "discrete_gpu");
        let bw = limit(&h100, &GpuFigure::MemoryBandwidth).known().cloned().unwrap();
        assert_eq!((bw.value, bw.unit.as_str()), (3350.0, "GB/s"));
        assert!(bw.derivation.contains("datasheet"), "{}", bw.derivation);
        assert_eq!(limit(&h100, &GpuFigure::Flops("f32".into())).known().unwrap().value, 67000.0);
        assert_eq!(limit(&h100, &GpuFigure::Flops("f64".into())).known().unwrap().value, 34000.0);
    }

    #[test]
    fn unknown_parts_figures_and_software_adapters_say_why() {
        let unknown = limit(&adapter(0x10de, 0xffff, "discrete_gpu"), &GpuFigure::MemoryBandwidth);
        assert!(matches!(&unknown, Fact::Unknown { unknown } if unknown.contains("not in the table")), "{unknown:?}");
        let lavapipe = limit(&adapter(0x10005, 0, "cpu"), &GpuFigure::MemoryBandwidth);
        assert!(matches!(&lavapipe, Fact::Unknown { unknown } if unknown.contains("software adapter")));
        let i32 = limit(&adapter(0x10de, 0x2330, "discrete_gpu"), &GpuFigure::Flops("i32".into()));
        assert!(matches!(&i32, Fact::Unknown { unknown } if unknown.contains("gives no i32")), "{i32:?}");
    }
}
