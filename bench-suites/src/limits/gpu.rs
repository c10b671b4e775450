//! GPU figures beside the vendor's published figures for the part (the
//! table of gpu_table.rs), else beside what the driver reports. A part in
//! the table gets the table's figure, the driver's reading beside it in the
//! derivation; a part not in it gets the driver's figure, named as such; a
//! figure neither gives, and a software adapter on the CPU, are unknown
//! with the reason. Never a guess.

use hwbench_probes::limits::DriverGpu;
use hwbench_schema::{Fact, GpuAdapter, Limit};

use super::gpu_table::{Entry, Part, Shared, TABLE};

/// Which GPU figure a limit is wanted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuFigure {
    /// Shader-core FLOP/s (or OP/s) of a precision: f64, f32, f16, i32.
    Flops(String),
    /// Device memory bandwidth.
    MemoryBandwidth,
}

impl GpuFigure {
    /// The table key of the figure, its unit and what it is, in words.
    fn describe(&self) -> (Option<&'static str>, &'static str, String) {
        match self {
            GpuFigure::MemoryBandwidth => (Some("memory_gbps"), "GB/s", "memory bandwidth".into()),
            GpuFigure::Flops(precision) => {
                let key = match precision.as_str() {
                    "f64" => Some("fp64_gflops"),
                    "f32" => Some("fp32_gflops"),
                    "f16" => Some("fp16_gflops"),
                    _ => None,
                };
                (key, "GFLOP/s", format!("{precision} shader-core FLOP/s"))
            }
        }
    }

    /// The driver's reading of the figure, when the driver gives one.
    fn reported<'d>(&self, driver: &'d DriverGpu) -> Option<&'d Fact<Limit>> {
        match self {
            GpuFigure::MemoryBandwidth => Some(&driver.memory_bandwidth),
            GpuFigure::Flops(p) if p == "f32" => Some(&driver.fp32),
            GpuFigure::Flops(_) => None,
        }
    }
}

/// The limit of `figure` for `adapter`, or why there is none; `driver` is
/// what the adapter's driver reports, when it was read.
pub fn limit(adapter: &GpuAdapter, figure: &GpuFigure, driver: Option<&DriverGpu>) -> Fact<Limit> {
    if adapter.is_software() {
        return Fact::unknown(format!(
            "{} is a software adapter running on the CPU: no GPU hardware limit (its figures are bounded by the \
             CPU's)",
            adapter.name
        ));
    }
    let pci = format!("{:04x}:{:04x}", adapter.vendor, adapter.device);
    let (read, reported) = (driver.is_some(), driver.and_then(|d| figure.reported(d)));
    match TABLE.lookup(&pci) {
        Some(Entry::Part(part)) => from_part(part, figure, reported),
        Some(Entry::Shared(shared, parts)) => from_shared(shared, &parts, figure, read, reported),
        None => from_driver(&format!("{} (PCI {pci}) is not in the table", adapter.name), figure, read, reported),
    }
}

/// A part's figure over the PCI devices it shows as, or None.
fn per_device(part: &Part, key: Option<&str>) -> Option<f64> {
    key.and_then(|k| part.figure(k)).map(|v| v / f64::from(part.devices))
}

/// The table's figure for a part in it; the driver's reading goes beside it.
fn from_part(part: &Part, figure: &GpuFigure, reported: Option<&Fact<Limit>>) -> Fact<Limit> {
    let (key, unit, what) = figure.describe();
    let beside = match reported {
        Some(Fact::Known(driver)) => format!("; beside it, {}", driver.derivation),
        _ => String::new(),
    };
    let Some(value) = per_device(part, key) else {
        return Fact::unknown(format!("{}: {} gives no {what}{beside}", part.name, part.source));
    };
    let split = match part.devices {
        1 => String::new(),
        n => format!(", / {n}: the part shows as {n} GPUs (one per die), each its own PCI device"),
    };
    let printed = value * f64::from(part.devices);
    Fact::Known(Limit {
        value,
        unit: unit.into(),
        derivation: format!("{}: {what} {printed} {unit} ({}){split}{beside}", part.name, part.source),
    })
}

/// An id several parts share: their figure where they agree, else the
/// driver's, else unknown with the figures that differ.
fn from_shared(
    shared: &Shared,
    parts: &[&Part],
    figure: &GpuFigure,
    read: bool,
    reported: Option<&Fact<Limit>>,
) -> Fact<Limit> {
    let (key, unit, what) = figure.describe();
    let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
    let which = format!("PCI {} is {} ({})", shared.pci, names.join(" or "), shared.source);
    let values: Vec<Option<f64>> = parts.iter().map(|p| per_device(p, key)).collect();
    match values.first() {
        Some(Some(first)) if values.iter().all(|v| *v == Some(*first)) => Fact::Known(Limit {
            value: *first,
            unit: unit.into(),
            derivation: format!(
                "{which}: each gives {what} {first} {unit} per GPU ({})",
                parts.iter().map(|p| p.source.as_str()).collect::<Vec<_>>().join("; ")
            ),
        }),
        _ => {
            let figures: Vec<String> = parts
                .iter()
                .zip(&values)
                .map(|(p, v)| format!("{} {}", p.name, v.map_or("none".to_string(), |v| format!("{v} {unit}"))))
                .collect();
            let why =
                format!("{which}, whose {what} per GPU differ ({}): the id does not tell which", figures.join(", "));
            from_driver(&why, figure, read, reported)
        }
    }
}

/// The driver's figure, named with why the table gave none; unknown with
/// both reasons when the driver gives none either (`read`: the driver was
/// asked).
fn from_driver(why: &str, figure: &GpuFigure, read: bool, reported: Option<&Fact<Limit>>) -> Fact<Limit> {
    match reported {
        Some(Fact::Known(driver)) => {
            Fact::Known(Limit { derivation: format!("{why}; {}", driver.derivation), ..driver.clone() })
        }
        Some(Fact::Unknown { unknown }) => Fact::unknown(format!("limit unknown: {why}; the driver: {unknown}")),
        None if read => Fact::unknown(format!("limit unknown: {why}; the driver gives no {}", figure.describe().2)),
        None => Fact::unknown(format!("limit unknown: {why}")),
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

    fn f32() -> GpuFigure {
        GpuFigure::Flops("f32".into())
    }

    /// What NVML would report for an H100 SXM: 5120-bit bus, 2619 MHz max
    /// memory clock; 16,896 cores at 1980 MHz.
    fn h100_driver() -> DriverGpu {
        DriverGpu {
            memory_bandwidth: Fact::Known(Limit {
                value: 3352.32,
                unit: "GB/s".into(),
                derivation: "driver-reported: 5120-bit bus x 2 x 2619 MHz = 3352 GB/s".into(),
            }),
            fp32: Fact::Known(Limit {
                value: 66908.16,
                unit: "GFLOP/s".into(),
                derivation: "driver-reported: 16896 cores x 2 (FMA) x 1980 MHz max shader clock = 66908 GFLOP/s".into(),
            }),
        }
    }

    fn why(fact: Fact<Limit>) -> String {
        match fact {
            Fact::Unknown { unknown } => unknown,
            Fact::Known(l) => panic!("{l:?}"),
        }
    }

    /// NVIDIA's H100 datasheet: H100 SXM 3.35 TB/s, FP32 67 TFLOPS, FP64
    /// 34 TFLOPS. The table wins over the driver, whose figure goes beside.
    #[test]
    fn a_part_in_the_table_gives_its_published_figures_with_the_driver_beside() {
        let h100 = adapter(0x10de, 0x2330, "discrete_gpu");
        let bw = limit(&h100, &GpuFigure::MemoryBandwidth, None).known().cloned().unwrap();
        assert_eq!((bw.value, bw.unit.as_str()), (3350.0, "GB/s"));
        assert_eq!(
            bw.derivation,
            "NVIDIA H100 SXM5 80GB: memory bandwidth 3350 GB/s (NVIDIA H100 Tensor Core GPU datasheet (NVIDIA, \
             2023), H100 SXM column)"
        );
        assert_eq!(limit(&h100, &f32(), None).known().unwrap().value, 67000.0);
        assert_eq!(limit(&h100, &GpuFigure::Flops("f64".into()), None).known().unwrap().value, 34000.0);
        let driver = h100_driver();
        let beside = limit(&h100, &GpuFigure::MemoryBandwidth, Some(&driver)).known().cloned().unwrap();
        assert_eq!(beside.value, 3350.0);
        assert!(beside.derivation.ends_with("; beside it, driver-reported: 5120-bit bus x 2 x 2619 MHz = 3352 GB/s"));
        assert_eq!(limit(&h100, &f32(), Some(&driver)).known().unwrap().value, 67000.0);
    }

    /// A part not in the table is unknown, unless the driver says enough;
    /// a software adapter is unknown; a precision the source does not
    /// print is unknown with the source named.
    #[test]
    fn unknown_parts_figures_and_software_adapters_say_why() {
        let unknown = adapter(0x10de, 0xffff, "discrete_gpu");
        assert_eq!(
            why(limit(&unknown, &GpuFigure::MemoryBandwidth, None)),
            "limit unknown: test adapter (PCI 10de:ffff) is not in the table"
        );
        let lavapipe = why(limit(&adapter(0x10005, 0, "cpu"), &GpuFigure::MemoryBandwidth, None));
        assert!(lavapipe.contains("test adapter is a software adapter running on the CPU"), "{lavapipe}");
        let i32 = why(limit(&adapter(0x10de, 0x2330, "discrete_gpu"), &GpuFigure::Flops("i32".into()), None));
        assert!(i32.ends_with("gives no i32 shader-core FLOP/s"), "{i32}");
        let no_nvml = DriverGpu::unknown("libnvidia-ml.so.1 cannot be loaded");
        assert_eq!(
            why(limit(&unknown, &f32(), Some(&no_nvml))),
            "limit unknown: test adapter (PCI 10de:ffff) is not in the table; the driver: libnvidia-ml.so.1 cannot \
             be loaded"
        );
        let f64 = why(limit(&unknown, &GpuFigure::Flops("f64".into()), Some(&h100_driver())));
        assert!(f64.ends_with("not in the table; the driver gives no f64 shader-core FLOP/s"), "{f64}");
    }

    #[test]
    fn a_part_not_in_the_table_gets_the_driver_figure_named_as_such() {
        let unknown = adapter(0x10de, 0xffff, "discrete_gpu");
        let bw = limit(&unknown, &GpuFigure::MemoryBandwidth, Some(&h100_driver())).known().cloned().unwrap();
        assert_eq!((bw.value, bw.unit.as_str()), (3352.32, "GB/s"));
        assert_eq!(
            bw.derivation,
            "test adapter (PCI 10de:ffff) is not in the table; driver-reported: 5120-bit bus x 2 x 2619 MHz = 3352 GB/s"
        );
        assert_eq!(limit(&unknown, &f32(), Some(&h100_driver())).known().unwrap().value, 66908.16);
    }

    /// The MI250X is two dies, each a PCI device: each gets half of the
    /// module's 3.2 TB/s (AMD: "1.6 TB/sec per GCD") and 47.9 TFLOPS.
    #[test]
    fn a_two_die_part_gives_each_die_its_share() {
        let mi250x = adapter(0x1002, 0x7408, "discrete_gpu");
        let bw = limit(&mi250x, &GpuFigure::MemoryBandwidth, None).known().cloned().unwrap();
        assert_eq!(bw.value, 1600.0);
        assert!(bw.derivation.contains("memory bandwidth 3200 GB/s") && bw.derivation.contains(", / 2: "));
        assert_eq!(limit(&mi250x, &f32(), None).known().unwrap().value, 23950.0);
    }

    /// 1002:740c is "MI250X/MI250": both print 3.2 TB/s, so that is the
    /// limit; their FP32 differs (47.9 and 45.3 TFLOPS), so that is unknown.
    #[test]
    fn a_shared_id_gives_what_its_parts_agree_on() {
        let either = adapter(0x1002, 0x740c, "discrete_gpu");
        let bw = limit(&either, &GpuFigure::MemoryBandwidth, None).known().cloned().unwrap();
        assert_eq!(bw.value, 1600.0);
        assert!(bw.derivation.starts_with("PCI 1002:740c is AMD Instinct MI250X or AMD Instinct MI250 ("));
        let fp32 = why(limit(&either, &f32(), None));
        assert!(
            fp32.starts_with("limit unknown: PCI 1002:740c is AMD Instinct MI250X or AMD Instinct MI250")
                && fp32.contains("(AMD Instinct MI250X 23950 GFLOP/s, AMD Instinct MI250 22650 GFLOP/s)")
                && fp32.contains("the id does not tell which"),
            "{fp32}"
        );
    }
}
