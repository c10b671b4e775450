//! Hardware limits the machine describes: the DRAM bandwidth its populated
//! memory channels can move (SMBIOS type 17), the bandwidth of a PCI
//! Express or CXL link (sysfs), and what a GPU's driver reports (NVML,
//! amdgpu). Each is a value with its derivation, or unknown with the
//! reason; never a guess.

mod dram;
mod gpu;
mod link;

pub use dram::{dram_peaks, DramPeak};
pub use gpu::{driver_gpus, DriverGpu};
pub use link::{cxl_link, pcie_gbps, pcie_link};

use hwbench_schema::{Fact, Topology};

use crate::sysroot::SysRoot;

/// The DRAM limit of every node with CPUs of the machine under `root`, from
/// its SMBIOS memory devices, or why it cannot be derived.
pub fn dram(root: &SysRoot, topology: &Topology) -> Fact<Vec<DramPeak>> {
    dram_peaks(&crate::provenance::dmi::devices(root), topology)
}
