//! "The same SKU": the cohort fingerprint `hwbench fleet` groups like
//! machines by (CPU vendor and model, sockets x cores, memory to two
//! significant figures of GiB, NUMA nodes and how many are CPU-less, GPU
//! models), so that a run is set only beside references of machines like
//! it.

use hwbench_schema::ResultDocument;

use crate::fleet::node::{fingerprint, FINGERPRINT};

/// The fingerprint part naming the GPUs.
const GPUS: &str = "GPUs";

/// A machine's SKU: the fleet's cohort fingerprint of its run.
#[derive(Debug, Clone, PartialEq)]
pub struct Sku {
    /// One text per [`FINGERPRINT`] part.
    pub parts: Vec<String>,
    /// False when the run did not look for GPUs (no GPU benchmark in it, or
    /// a fixture root): its GPU part then says nothing about the machine.
    pub gpus_probed: bool,
}

impl Sku {
    /// The SKU of the machine a document was measured on.
    pub fn of(doc: &ResultDocument) -> Self {
        let not_probed = doc.topology.gpu_note.as_deref().is_some_and(|n| n.starts_with("not probed"));
        Sku { parts: fingerprint(doc), gpus_probed: !not_probed }
    }

    /// Where `reference` differs from this machine, one phrase per part
    /// ("CPU: Intel Xeon here, AMD EPYC 9R14 in the reference"); empty for
    /// the same SKU. GPUs count only when both runs looked for them.
    pub fn differences(&self, reference: &Sku) -> Vec<String> {
        FINGERPRINT
            .iter()
            .zip(self.parts.iter().zip(&reference.parts))
            .filter(|(part, _)| **part != GPUS || (self.gpus_probed && reference.gpus_probed))
            .filter(|(_, (mine, theirs))| mine != theirs)
            .map(|(part, (mine, theirs))| format!("{part}: {mine} here, {theirs} in the reference"))
            .collect()
    }

    /// The SKU in words: "CPU: ...; sockets x cores: 1 x 2; ...".
    pub fn describe(&self) -> String {
        FINGERPRINT
            .iter()
            .zip(&self.parts)
            .filter(|(part, _)| **part != GPUS || self.gpus_probed)
            .map(|(part, text)| format!("{part}: {text}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(cpu: &str, gpus: &str, probed: bool) -> Sku {
        let parts = [cpu, "1 x 2", "24 GiB", "1", gpus].map(String::from).to_vec();
        Sku { parts, gpus_probed: probed }
    }

    #[test]
    fn differing_parts_are_named_and_unprobed_gpus_do_not_count() {
        let here = sku("Intel Xeon", "llvmpipe", true);
        assert!(here.differences(&sku("Intel Xeon", "llvmpipe", true)).is_empty());
        assert_eq!(
            here.differences(&sku("AMD EPYC", "none", true)),
            ["CPU: Intel Xeon here, AMD EPYC in the reference", "GPUs: llvmpipe here, none in the reference"]
        );
        // A memory-only reference did not look for GPUs: same SKU.
        assert!(here.differences(&sku("Intel Xeon", "none", false)).is_empty());
        assert_eq!(
            sku("Intel Xeon", "none", false).describe(),
            "CPU: Intel Xeon; sockets x cores: 1 x 2; memory: 24 GiB; NUMA nodes: 1"
        );
    }
}
