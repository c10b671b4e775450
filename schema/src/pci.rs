//! PCI Express links as sysfs reports them (GPUs and accelerators).

use serde::{Deserialize, Serialize};

/// The PCI Express link of one device: what it trained to and what it could.
/// A GPU that trained at a lower speed or width than its siblings moves data
/// at a fraction of their rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcieLink {
    /// PCI address, e.g. "0000:65:00.0".
    pub address: String,
    /// Vendor and device id, e.g. "10de:2330".
    pub id: String,
    /// `current_link_speed`, as the kernel writes it (e.g. "16.0 GT/s PCIe").
    pub speed: String,
    /// `current_link_width`: lanes in use.
    pub width: Option<u32>,
    /// `max_link_speed`.
    pub max_speed: String,
    /// `max_link_width`.
    pub max_width: Option<u32>,
}

impl std::fmt::Display for PcieLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lanes = |w: Option<u32>| w.map_or_else(|| "x?".to_string(), |w| format!("x{w}"));
        write!(
            f,
            "{} [{}] {} {} (max {} {})",
            self.address,
            self.id,
            self.speed,
            lanes(self.width),
            self.max_speed,
            lanes(self.max_width)
        )
    }
}
