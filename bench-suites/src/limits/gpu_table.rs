//! The table of vendor-published GPU figures (gpus.toml): one row per
//! part, keyed by the PCI vendor:device ids it shows, each row naming the
//! document its figures come from; and the ids that several parts share.

use std::sync::LazyLock;

use serde::Deserialize;

/// One part of the table: its figures as its source prints them, dense,
/// in GB/s and GFLOP/s.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// The vendor's name for it.
    pub name: String,
    /// Its "vendor:device" ids, hex, as sysfs and wgpu give them; empty for
    /// a part reached only through a shared id.
    pub pci: Vec<String>,
    /// How many PCI devices (adapters) the part shows as: a two-die part
    /// is two GPUs, each with its share of the part's figures.
    #[serde(default = "one")]
    pub devices: u32,
    /// Device memory bandwidth, GB/s.
    pub memory_gbps: f64,
    /// Shader-core FP64 GFLOP/s, when the source gives it.
    pub fp64_gflops: Option<f64>,
    /// Shader-core FP32 GFLOP/s, when the source gives it.
    pub fp32_gflops: Option<f64>,
    /// Shader-core FP16 GFLOP/s, when the source gives it.
    pub fp16_gflops: Option<f64>,
    /// Tensor (matrix) core FP64 GFLOP/s, dense.
    pub tensor_fp64_gflops: Option<f64>,
    /// Matrix-core FP32 GFLOP/s, dense (AMD's "Matrix FP32").
    pub tensor_fp32_gflops: Option<f64>,
    /// Tensor-core TF32 GFLOP/s, dense.
    pub tensor_tf32_gflops: Option<f64>,
    /// Tensor-core BF16 GFLOP/s, dense.
    pub tensor_bf16_gflops: Option<f64>,
    /// Tensor-core FP16 GFLOP/s, dense.
    pub tensor_fp16_gflops: Option<f64>,
    /// Tensor-core FP8 GFLOP/s, dense.
    pub tensor_fp8_gflops: Option<f64>,
    /// The links, as the source names them.
    pub interconnect: String,
    /// The document the figures are from: title, vendor, year, column.
    pub source: String,
}

fn one() -> u32 {
    1
}

impl Part {
    /// The figure of `key` ("memory_gbps", "fp32_gflops", "tensor_fp8_gflops", ... as gpus.toml
    /// names them), when the source gives it.
    pub fn figure(&self, key: &str) -> Option<f64> {
        match key {
            "memory_gbps" => Some(self.memory_gbps),
            "fp64_gflops" => self.fp64_gflops,
            "fp32_gflops" => self.fp32_gflops,
            "fp16_gflops" => self.fp16_gflops,
            "tensor_fp64_gflops" => self.tensor_fp64_gflops,
            "tensor_fp32_gflops" => self.tensor_fp32_gflops,
            "tensor_tf32_gflops" => self.tensor_tf32_gflops,
            "tensor_bf16_gflops" => self.tensor_bf16_gflops,
            "tensor_fp16_gflops" => self.tensor_fp16_gflops,
            "tensor_fp8_gflops" => self.tensor_fp8_gflops,
            _ => None,
        }
    }
}

/// A PCI id that names several parts (pci.ids and the driver alike).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shared {
    /// The "vendor:device" id.
    pub pci: String,
    /// The names of the parts of the table it may be.
    pub parts: Vec<String>,
    /// Where the id is given to them.
    pub source: String,
}

/// The table as gpus.toml writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// One row per part.
    pub part: Vec<Part>,
    /// The ids several parts share.
    #[serde(default)]
    pub shared: Vec<Shared>,
}

/// The table, parsed once (a malformed table fails the crate's tests).
pub static TABLE: LazyLock<Table> = LazyLock::new(|| toml::from_str(include_str!("gpus.toml")).unwrap_or_default());

/// What the table holds for one PCI id.
#[derive(Debug)]
pub enum Entry<'t> {
    /// The id is one part's.
    Part(&'t Part),
    /// The id is shared by these parts.
    Shared(&'t Shared, Vec<&'t Part>),
}

impl Table {
    /// The entry of `pci` ("10de:2330", any case), if the table has one.
    pub fn lookup(&self, pci: &str) -> Option<Entry<'_>> {
        let pci = pci.to_ascii_lowercase();
        if let Some(part) = self.part.iter().find(|p| p.pci.contains(&pci)) {
            return Some(Entry::Part(part));
        }
        let shared = self.shared.iter().find(|s| s.pci == pci)?;
        Some(Entry::Shared(shared, self.part.iter().filter(|p| shared.parts.contains(&p.name)).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figure keys of a row, as gpus.toml writes them.
    const KEYS: [&str; 10] = [
        "memory_gbps",
        "fp64_gflops",
        "fp32_gflops",
        "fp16_gflops",
        "tensor_fp64_gflops",
        "tensor_fp32_gflops",
        "tensor_tf32_gflops",
        "tensor_bf16_gflops",
        "tensor_fp16_gflops",
        "tensor_fp8_gflops",
    ];

    /// How the cited document prints a figure.
    #[derive(Debug, Clone, Copy)]
    enum Printed {
        /// TB/s.
        TBps(f64),
        /// GB/s.
        GBps(f64),
        /// TFLOPS, dense.
        Tflops(f64),
        /// TFLOPS "with sparsity": NVIDIA's footnote, "specifications are
        /// one-half lower without sparsity".
        Sparse(f64),
    }
    use Printed::{GBps, Sparse, TBps, Tflops};

    impl Printed {
        /// The dense figure in the table's units (GB/s, GFLOP/s).
        fn dense(self) -> f64 {
            match self {
                TBps(v) | Tflops(v) => v * 1000.0,
                GBps(v) => v,
                Sparse(v) => v * 1000.0 / 2.0,
            }
        }
    }

    /// One row as its cited document prints it, held apart from gpus.toml:
    /// the PCI ids with the name pci.ids (snapshot 2026.08.22) gives them,
    /// and the figures.
    struct Cited {
        name: &'static str,
        pci: &'static [(&'static str, &'static str)],
        memory: Printed,
        figures: &'static [(&'static str, Printed)],
    }

    /// The Hopper GPU of H100 SXM, H200 SXM and GH200 (their datasheets
    /// print the same): FP64 34, FP64 Tensor 67, FP32 67, TF32 989*,
    /// BF16/FP16 1,979*, FP8 3,958* teraFLOPS (* with sparsity).
    const HOPPER_SXM: &[(&str, Printed)] = &[
        ("fp64_gflops", Tflops(34.0)),
        ("fp32_gflops", Tflops(67.0)),
        ("tensor_fp64_gflops", Tflops(67.0)),
        ("tensor_tf32_gflops", Sparse(989.0)),
        ("tensor_bf16_gflops", Sparse(1979.0)),
        ("tensor_fp16_gflops", Sparse(1979.0)),
        ("tensor_fp8_gflops", Sparse(3958.0)),
    ];
    /// H100 NVL and H200 NVL: FP64 30, FP64 Tensor 60, FP32 60, TF32 835*,
    /// BF16/FP16 1,671*, FP8 3,341* teraFLOPS.
    const HOPPER_NVL: &[(&str, Printed)] = &[
        ("fp64_gflops", Tflops(30.0)),
        ("fp32_gflops", Tflops(60.0)),
        ("tensor_fp64_gflops", Tflops(60.0)),
        ("tensor_tf32_gflops", Sparse(835.0)),
        ("tensor_bf16_gflops", Sparse(1671.0)),
        ("tensor_fp16_gflops", Sparse(1671.0)),
        ("tensor_fp8_gflops", Sparse(3341.0)),
    ];
    /// NVIDIA A100 datasheet (2021), every column: FP64 9.7, FP64 Tensor
    /// 19.5, FP32 19.5, TF32 156 | 312*, BF16/FP16 312 | 624* teraFLOPS.
    const A100: &[(&str, Printed)] = &[
        ("fp64_gflops", Tflops(9.7)),
        ("fp32_gflops", Tflops(19.5)),
        ("tensor_fp64_gflops", Tflops(19.5)),
        ("tensor_tf32_gflops", Tflops(156.0)),
        ("tensor_bf16_gflops", Tflops(312.0)),
        ("tensor_fp16_gflops", Tflops(312.0)),
    ];
    /// NVIDIA V100 datasheet (2020), V100 SXM2 column (16 and 32GB):
    /// double precision 7.8, single 15.7, tensor 125 TFLOPS.
    const V100_SXM2: &[(&str, Printed)] =
        &[("fp64_gflops", Tflops(7.8)), ("fp32_gflops", Tflops(15.7)), ("tensor_fp16_gflops", Tflops(125.0))];
    /// Same datasheet, V100 PCIe column: 7, 14, 112 TFLOPS.
    const V100_PCIE: &[(&str, Printed)] =
        &[("fp64_gflops", Tflops(7.0)), ("fp32_gflops", Tflops(14.0)), ("tensor_fp16_gflops", Tflops(112.0))];

    /// Every row of gpus.toml, as the document its `source` names prints it.
    const CITED: &[Cited] = &[
        // NVIDIA H100 Tensor Core GPU datasheet (2023), H100 SXM column:
        // FP64 34, FP64 Tensor 67, FP32 67, TF32 989*, BF16/FP16 1,979*,
        // FP8 3,958* teraFLOPS, 3.35TB/s (* with sparsity).
        Cited {
            name: "NVIDIA H100 SXM5 80GB",
            pci: &[("10de:2330", "GH100 [H100 SXM5 80GB]")],
            memory: TBps(3.35),
            figures: HOPPER_SXM,
        },
        // Same datasheet (2022), H100 PCIe column: FP64 26, FP64 Tensor 51,
        // FP32 51, TF32 756*, BF16/FP16 1,513*, FP8 3,026*, 2TB/s.
        Cited {
            name: "NVIDIA H100 PCIe 80GB",
            pci: &[("10de:2331", "GH100 [H100 PCIe]")],
            memory: TBps(2.0),
            figures: &[
                ("fp64_gflops", Tflops(26.0)),
                ("fp32_gflops", Tflops(51.0)),
                ("tensor_fp64_gflops", Tflops(51.0)),
                ("tensor_tf32_gflops", Sparse(756.0)),
                ("tensor_bf16_gflops", Sparse(1513.0)),
                ("tensor_fp16_gflops", Sparse(1513.0)),
                ("tensor_fp8_gflops", Sparse(3026.0)),
            ],
        },
        // Same datasheet (2024 edition), H100 NVL column: FP64 30, FP64
        // Tensor 60, FP32 60, TF32 835*, BF16/FP16 1,671*, FP8 3,341*,
        // 94GB, 3.9TB/s.
        Cited {
            name: "NVIDIA H100 NVL 94GB",
            pci: &[("10de:2321", "GH100 [H100L 94GB]")],
            memory: TBps(3.9),
            figures: HOPPER_NVL,
        },
        // NVIDIA H200 Tensor Core GPU datasheet (2024), H200 SXM column:
        // the H100 SXM compute figures, 141GB, 4.8TB/s.
        Cited {
            name: "NVIDIA H200 SXM 141GB",
            pci: &[("10de:2335", "GH100 [H200 SXM 141GB]")],
            memory: TBps(4.8),
            figures: HOPPER_SXM,
        },
        // Same datasheet, H200 NVL column: FP64 30, FP32 60, the H100 NVL
        // tensor figures, 4.8TB/s.
        Cited {
            name: "NVIDIA H200 NVL 141GB",
            pci: &[("10de:233b", "GH100 [H200 NVL]")],
            memory: TBps(4.8),
            figures: HOPPER_NVL,
        },
        // NVIDIA GH200 Grace Hopper Superchip datasheet: the Hopper GPU's
        // H100 SXM compute figures; 96GB HBM3 at 4TB/s, 144GB HBM3e at
        // 4.9TB/s.
        Cited {
            name: "NVIDIA GH200 Grace Hopper Superchip, GPU with 96GB HBM3",
            pci: &[("10de:2342", "GH100 [GH200 120GB / 480GB]")],
            memory: TBps(4.0),
            figures: HOPPER_SXM,
        },
        Cited {
            name: "NVIDIA GH200 Grace Hopper Superchip, GPU with 144GB HBM3e",
            pci: &[("10de:2348", "GH100 [GH200 144G HBM3e]")],
            memory: TBps(4.9),
            figures: HOPPER_SXM,
        },
        // Blackwell datasheet (NVIDIA, 2025), "Individual Blackwell GPU
        // Specifications", GB200 NVL72 | HGX B200: FP4 20 | 18 PFLOPS,
        // FP8/FP6 10 | 9 PFLOPS, FP16/BF16 5 | 4.5 PFLOPS, TF32 2.5 | 2.2
        // PFLOPS (not kept: dense or sparse is not said in the copy
        // cited), FP32 80 | 75 TFLOPS, FP64/FP64 Tensor Core 40 | 37
        // TFLOPS, 186GB 8TB/s | 180GB 7.7TB/s.
        Cited {
            name: "NVIDIA B200 (HGX B200)",
            pci: &[("10de:2901", "GB100 [B200]")],
            memory: TBps(7.7),
            figures: &[
                ("fp64_gflops", Tflops(37.0)),
                ("fp32_gflops", Tflops(75.0)),
                ("tensor_fp64_gflops", Tflops(37.0)),
            ],
        },
        Cited {
            name: "NVIDIA GB200 (Blackwell GPU of GB200 NVL72)",
            pci: &[("10de:2941", "GB100 [HGX GB200]")],
            memory: TBps(8.0),
            figures: &[
                ("fp64_gflops", Tflops(40.0)),
                ("fp32_gflops", Tflops(80.0)),
                ("tensor_fp64_gflops", Tflops(40.0)),
            ],
        },
        // NVIDIA A100 Tensor Core GPU datasheet (2021): FP64 9.7, FP64
        // Tensor 19.5, FP32 19.5, TF32 156 | 312*, BF16/FP16 312 | 624*
        // teraFLOPS; 1,555GB/s (40GB PCIe and SXM), 1,935GB/s (80GB PCIe),
        // 2,039GB/s (80GB SXM).
        Cited {
            name: "NVIDIA A100 SXM4 40GB",
            pci: &[("10de:20b0", "GA100 [A100 SXM4 40GB]")],
            memory: GBps(1555.0),
            figures: A100,
        },
        Cited {
            name: "NVIDIA A100 SXM4 80GB",
            pci: &[("10de:20b2", "GA100 [A100 SXM4 80GB]")],
            memory: GBps(2039.0),
            figures: A100,
        },
        Cited {
            name: "NVIDIA A100 PCIe 40GB",
            pci: &[("10de:20b1", "GA100 [A100 PCIe 40GB]"), ("10de:20f1", "GA100 [A100 PCIe 40GB]")],
            memory: GBps(1555.0),
            figures: A100,
        },
        Cited {
            name: "NVIDIA A100 PCIe 80GB",
            pci: &[("10de:20b5", "GA100 [A100 PCIe 80GB]")],
            memory: GBps(1935.0),
            figures: A100,
        },
        // NVIDIA A30 datasheet (2021): FP64 5.2, FP64 Tensor 10.3, FP32
        // 10.3, TF32 82 | 165*, BF16/FP16 165 | 330* teraFLOPS, 933GB/s.
        Cited {
            name: "NVIDIA A30",
            pci: &[("10de:20b7", "GA100GL [A30 PCIe]")],
            memory: GBps(933.0),
            figures: &[
                ("fp64_gflops", Tflops(5.2)),
                ("fp32_gflops", Tflops(10.3)),
                ("tensor_fp64_gflops", Tflops(10.3)),
                ("tensor_tf32_gflops", Tflops(82.0)),
                ("tensor_bf16_gflops", Tflops(165.0)),
                ("tensor_fp16_gflops", Tflops(165.0)),
            ],
        },
        // NVIDIA A10 datasheet (2021): FP32 31.2, TF32 62.5 | 125*,
        // BF16/FP16 125 | 250* teraFLOPS, 600GB/s.
        Cited {
            name: "NVIDIA A10",
            pci: &[("10de:2236", "GA102GL [A10]")],
            memory: GBps(600.0),
            figures: &[
                ("fp32_gflops", Tflops(31.2)),
                ("tensor_tf32_gflops", Tflops(62.5)),
                ("tensor_bf16_gflops", Tflops(125.0)),
                ("tensor_fp16_gflops", Tflops(125.0)),
            ],
        },
        // NVIDIA A40 datasheet (2020): FP32 37.4, TF32 74.8 | 149.6*,
        // BF16/FP16 149.7 | 299.4* TFLOPS, 696 GB/s.
        Cited {
            name: "NVIDIA A40",
            pci: &[("10de:2235", "GA102GL [A40]")],
            memory: GBps(696.0),
            figures: &[
                ("fp32_gflops", Tflops(37.4)),
                ("tensor_tf32_gflops", Tflops(74.8)),
                ("tensor_bf16_gflops", Tflops(149.7)),
                ("tensor_fp16_gflops", Tflops(149.7)),
            ],
        },
        // NVIDIA RTX A6000 datasheet (2020): single-precision 38.7 TFLOPS,
        // 768 GB/s.
        Cited {
            name: "NVIDIA RTX A6000",
            pci: &[("10de:2230", "GA102GL [RTX A6000]")],
            memory: GBps(768.0),
            figures: &[("fp32_gflops", Tflops(38.7))],
        },
        // NVIDIA L4 datasheet (2023): FP32 30.3, TF32 120*, BF16/FP16 242*,
        // FP8 485* teraFLOPS, 300GB/s.
        Cited {
            name: "NVIDIA L4",
            pci: &[("10de:27b8", "AD104GL [L4]")],
            memory: GBps(300.0),
            figures: &[
                ("fp32_gflops", Tflops(30.3)),
                ("tensor_tf32_gflops", Sparse(120.0)),
                ("tensor_bf16_gflops", Sparse(242.0)),
                ("tensor_fp16_gflops", Sparse(242.0)),
                ("tensor_fp8_gflops", Sparse(485.0)),
            ],
        },
        // NVIDIA L40 datasheet (2022): FP32 90.5, TF32 90.5 | 181*,
        // BF16/FP16 181.05 | 362.1*, FP8 362 | 724* TFLOPS, 864GB/s.
        Cited {
            name: "NVIDIA L40",
            pci: &[("10de:26b5", "AD102GL [L40]")],
            memory: GBps(864.0),
            figures: &[
                ("fp32_gflops", Tflops(90.5)),
                ("tensor_tf32_gflops", Tflops(90.5)),
                ("tensor_bf16_gflops", Tflops(181.05)),
                ("tensor_fp16_gflops", Tflops(181.05)),
                ("tensor_fp8_gflops", Tflops(362.0)),
            ],
        },
        // NVIDIA L40S datasheet (2023): FP32 91.6, TF32 183 | 366*,
        // BF16/FP16 362.05 | 733*, FP8 733 | 1,466* TFLOPS, 864GB/s.
        Cited {
            name: "NVIDIA L40S",
            pci: &[("10de:26b9", "AD102GL [L40S]")],
            memory: GBps(864.0),
            figures: &[
                ("fp32_gflops", Tflops(91.6)),
                ("tensor_tf32_gflops", Tflops(183.0)),
                ("tensor_bf16_gflops", Tflops(362.05)),
                ("tensor_fp16_gflops", Tflops(362.05)),
                ("tensor_fp8_gflops", Tflops(733.0)),
            ],
        },
        // NVIDIA RTX 6000 Ada Generation datasheet (2022): single-precision
        // 91.1 TFLOPS, 960 GB/s.
        Cited {
            name: "NVIDIA RTX 6000 Ada Generation",
            pci: &[("10de:26b1", "AD102GL [RTX 6000 Ada Generation]")],
            memory: GBps(960.0),
            figures: &[("fp32_gflops", Tflops(91.1))],
        },
        // NVIDIA T4 datasheet (2019): single precision 8.1 TFLOPS, mixed
        // precision (FP16/FP32) 65 TFLOPS, 320+ GB/s.
        Cited {
            name: "NVIDIA T4",
            pci: &[("10de:1eb8", "TU104GL [Tesla T4]")],
            memory: GBps(320.0),
            figures: &[("fp32_gflops", Tflops(8.1)), ("tensor_fp16_gflops", Tflops(65.0))],
        },
        // NVIDIA V100 datasheet (2020), V100 PCIe | V100 SXM2 | V100S PCIe:
        // double precision 7 | 7.8 | 8.2, single precision 14 | 15.7 |
        // 16.4, tensor 112 | 125 | 130 TFLOPS; 900 | 900 | 1134 GB/s.
        Cited {
            name: "NVIDIA Tesla V100 SXM2 16GB",
            pci: &[("10de:1db1", "GV100GL [Tesla V100 SXM2 16GB]"), ("10de:1df5", "GV100GL [Tesla V100 SXM2 16GB]")],
            memory: GBps(900.0),
            figures: V100_SXM2,
        },
        Cited {
            name: "NVIDIA Tesla V100 SXM2 32GB",
            pci: &[("10de:1db5", "GV100GL [Tesla V100 SXM2 32GB]")],
            memory: GBps(900.0),
            figures: V100_SXM2,
        },
        Cited {
            name: "NVIDIA Tesla V100 PCIe 16GB",
            pci: &[("10de:1db4", "GV100GL [Tesla V100 PCIe 16GB]")],
            memory: GBps(900.0),
            figures: V100_PCIE,
        },
        Cited {
            name: "NVIDIA Tesla V100 PCIe 32GB",
            pci: &[("10de:1db6", "GV100GL [Tesla V100 PCIe 32GB]")],
            memory: GBps(900.0),
            figures: V100_PCIE,
        },
        Cited {
            name: "NVIDIA Tesla V100S PCIe 32GB",
            pci: &[("10de:1df6", "GV100GL [Tesla V100S PCIe 32GB]")],
            memory: GBps(1134.0),
            figures: &[
                ("fp64_gflops", Tflops(8.2)),
                ("fp32_gflops", Tflops(16.4)),
                ("tensor_fp16_gflops", Tflops(130.0)),
            ],
        },
        // ROCm documentation, MI300 series microarchitecture, "Peak-performance
        // capabilities of the MI300X": matrix FP64 163.4, vector FP64 81.7,
        // matrix FP32 163.4, vector FP32 163.4, TF32 653.7, FP16/BF16
        // 1307.4, FP8 2614.9 TFLOPS; "peak memory bandwidth ... 5.3 TB per
        // second".
        Cited {
            name: "AMD Instinct MI300X",
            pci: &[("1002:74a1", "Aqua Vanjaram [Instinct MI300X]")],
            memory: TBps(5.3),
            figures: &[
                ("fp64_gflops", Tflops(81.7)),
                ("fp32_gflops", Tflops(163.4)),
                ("tensor_fp64_gflops", Tflops(163.4)),
                ("tensor_fp32_gflops", Tflops(163.4)),
                ("tensor_tf32_gflops", Tflops(653.7)),
                ("tensor_bf16_gflops", Tflops(1307.4)),
                ("tensor_fp16_gflops", Tflops(1307.4)),
                ("tensor_fp8_gflops", Tflops(2614.9)),
            ],
        },
        // AMD Instinct MI300A data sheet (2023): FP64 61.3, FP32 122.6,
        // matrix FP64 and FP32 122.6, FP16 and bfloat16 980.6 TFLOPs;
        // 5.3 TB/s.
        Cited {
            name: "AMD Instinct MI300A",
            pci: &[("1002:74a0", "Aqua Vanjaram [Instinct MI300A]")],
            memory: TBps(5.3),
            figures: &[
                ("fp64_gflops", Tflops(61.3)),
                ("fp32_gflops", Tflops(122.6)),
                ("tensor_fp64_gflops", Tflops(122.6)),
                ("tensor_fp32_gflops", Tflops(122.6)),
                ("tensor_bf16_gflops", Tflops(980.6)),
                ("tensor_fp16_gflops", Tflops(980.6)),
            ],
        },
        // AMD Instinct MI200 series specifications (2021): MI250X FP64 |
        // FP32 vector 47.9, matrix 95.7, FP16 | bf16 383.0 TF, 3.2 TB/sec.
        Cited {
            name: "AMD Instinct MI250X",
            pci: &[("1002:7408", "Aldebaran/MI200 [Instinct MI250X]")],
            memory: TBps(3.2),
            figures: &[
                ("fp64_gflops", Tflops(47.9)),
                ("fp32_gflops", Tflops(47.9)),
                ("tensor_fp64_gflops", Tflops(95.7)),
                ("tensor_fp32_gflops", Tflops(95.7)),
                ("tensor_bf16_gflops", Tflops(383.0)),
                ("tensor_fp16_gflops", Tflops(383.0)),
            ],
        },
        // ROCm documentation, MI250 microarchitecture, "Peak-performance
        // capabilities of the MI250 OAM": matrix FP64 90.5, vector FP64
        // 45.3, matrix FP32 90.5, vector FP32 45.3, FP16/BF16 362.1 TFLOPS;
        // "3.2 TB/sec (1.6 TB/sec per GCD)".
        Cited {
            name: "AMD Instinct MI250",
            pci: &[],
            memory: TBps(3.2),
            figures: &[
                ("fp64_gflops", Tflops(45.3)),
                ("fp32_gflops", Tflops(45.3)),
                ("tensor_fp64_gflops", Tflops(90.5)),
                ("tensor_fp32_gflops", Tflops(90.5)),
                ("tensor_bf16_gflops", Tflops(362.1)),
                ("tensor_fp16_gflops", Tflops(362.1)),
            ],
        },
        // AMD Instinct MI210 data sheet (2022): FP64 and FP32 vector 22.6,
        // matrix 45.3, FP16/bf16 181.0 TFLOPs; 1.6 TB/s.
        Cited {
            name: "AMD Instinct MI210",
            pci: &[("1002:740f", "Aldebaran/MI200 [Instinct MI210]")],
            memory: TBps(1.6),
            figures: &[
                ("fp64_gflops", Tflops(22.6)),
                ("fp32_gflops", Tflops(22.6)),
                ("tensor_fp64_gflops", Tflops(45.3)),
                ("tensor_fp32_gflops", Tflops(45.3)),
                ("tensor_bf16_gflops", Tflops(181.0)),
                ("tensor_fp16_gflops", Tflops(181.0)),
            ],
        },
        // ROCm documentation, MI100 microarchitecture, "Peak-performance
        // capabilities of MI100": vector FP64 11.5, matrix FP32 46.1,
        // vector FP32 23.1, matrix FP16 184.6, matrix BF16 92.3 TFLOPS;
        // "1.228 TB/sec".
        Cited {
            name: "AMD Instinct MI100",
            pci: &[("1002:738c", "Arcturus GL-XL [Instinct MI100]"), ("1002:738e", "Arcturus GL-XL [Instinct MI100]")],
            memory: TBps(1.228),
            figures: &[
                ("fp64_gflops", Tflops(11.5)),
                ("fp32_gflops", Tflops(23.1)),
                ("tensor_fp32_gflops", Tflops(46.1)),
                ("tensor_bf16_gflops", Tflops(92.3)),
                ("tensor_fp16_gflops", Tflops(184.6)),
            ],
        },
    ];

    fn same(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    #[test]
    fn the_table_parses() {
        let table: Table = toml::from_str(include_str!("gpus.toml")).unwrap();
        assert_eq!(table.part.len(), CITED.len());
        assert_eq!(table.part, TABLE.part);
    }

    /// Every row holds exactly the figures its document prints (dense, in
    /// GB/s and GFLOP/s), under the PCI ids pci.ids gives the part: a typo
    /// in gpus.toml, a figure the document does not print, or one it
    /// prints left out, fails.
    #[test]
    fn every_row_gives_the_figures_its_cited_document_prints() {
        for part in &TABLE.part {
            let cited =
                CITED.iter().find(|c| c.name == part.name).unwrap_or_else(|| panic!("{}: not cited", part.name));
            let ids: Vec<&str> = cited.pci.iter().map(|(id, _)| *id).collect();
            assert_eq!(part.pci, ids, "{}", part.name);
            for (key, _) in cited.figures {
                assert!(KEYS.contains(key) && *key != "memory_gbps", "{}: {key}", part.name);
            }
            for key in KEYS {
                let printed = match key {
                    "memory_gbps" => Some(cited.memory.dense()),
                    _ => cited.figures.iter().find(|(k, _)| *k == key).map(|(_, p)| p.dense()),
                };
                match (part.figure(key), printed) {
                    (Some(table), Some(printed)) => {
                        assert!(same(table, printed), "{}: {key} {table} but the source prints {printed}", part.name);
                    }
                    (None, None) => {}
                    (table, printed) => panic!("{}: {key} is {table:?} but the source prints {printed:?}", part.name),
                }
            }
        }
    }

    #[test]
    fn no_two_rows_share_an_id_and_every_row_names_its_source() {
        let mut ids: Vec<&str> = TABLE.part.iter().flat_map(|p| p.pci.iter().map(String::as_str)).collect();
        ids.extend(TABLE.shared.iter().map(|s| s.pci.as_str()));
        for id in &ids {
            let hex = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            assert!(id.split_once(':').is_some_and(|(v, d)| hex(v) && hex(d)), "{id}");
        }
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "an id is in two rows");
        for p in &TABLE.part {
            let year = p.source.split(|c: char| !c.is_ascii_digit()).any(|w| w.len() == 4 && w.starts_with("20"));
            let vendor = p.source.contains("NVIDIA") || p.source.contains("AMD");
            assert!(year && vendor && p.devices >= 1 && !p.interconnect.is_empty(), "{}: {}", p.name, p.source);
        }
    }

    /// A row without an id of its own is reached through a shared id, and a
    /// shared id names rows of the table.
    #[test]
    fn every_row_is_reached_by_an_id() {
        for p in TABLE.part.iter().filter(|p| p.pci.is_empty()) {
            assert!(TABLE.shared.iter().any(|s| s.parts.contains(&p.name)), "{}", p.name);
        }
        for s in &TABLE.shared {
            assert!(s.parts.len() >= 2 && !s.source.is_empty(), "{}", s.pci);
            let Some(Entry::Shared(_, parts)) = TABLE.lookup(&s.pci) else { panic!("{}", s.pci) };
            assert_eq!(parts.len(), s.parts.len(), "{}", s.pci);
        }
    }

    #[test]
    fn lookup_finds_parts_shared_ids_and_nothing_else() {
        assert!(matches!(TABLE.lookup("10DE:2330"), Some(Entry::Part(p)) if p.name == "NVIDIA H100 SXM5 80GB"));
        assert!(matches!(TABLE.lookup("10de:20f1"), Some(Entry::Part(p)) if p.name == "NVIDIA A100 PCIe 40GB"));
        let Some(Entry::Shared(_, parts)) = TABLE.lookup("1002:740c") else { panic!() };
        let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["AMD Instinct MI250X", "AMD Instinct MI250"]);
        assert!(TABLE.lookup("10de:ffff").is_none());
    }
}
