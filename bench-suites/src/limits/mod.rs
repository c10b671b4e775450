//! Every headline beside the hardware's limit: after a run, each
//! throughput metric gets what it counts (`counts`), the limit it is set
//! beside (`limit`: value, unit, derivation; or unknown with the reason)
//! and `of_limit`. Memory bandwidth is set beside the DRAM the populated
//! channels can move (SMBIOS) or the CXL link of a CPU-less node; CPU
//! FLOP/s beside cpu.roofline's FMA peak of the same run; GPU figures beside
//! the vendor's published figures for the part (or what the driver
//! reports); host-device transfers beside the GPU's PCIe link. Latencies
//! have no such limit and get none.

mod gpu;
mod gpu_table;
mod memory;

use std::collections::BTreeMap;

use hwbench_probes::limits::DriverGpu;
use hwbench_schema::{Fact, Limit, Machine, Metric, ParamValue, Record, RecordStatus};

use crate::host::Host;

pub use gpu::GpuFigure;
pub use gpu_table::{Entry, Part, Shared, Table, TABLE};

/// What a run's figures are set beside: derived once per run.
pub struct Limits<'a> {
    host: &'a Host,
    machine: &'a Machine,
    memory: memory::MemoryLimits,
    /// What each GPU adapter's driver reports, by adapter index.
    drivers: BTreeMap<usize, DriverGpu>,
}

impl<'a> Limits<'a> {
    /// The limits of the machine `host` describes, with its provenance and
    /// what the drivers of its GPU adapters report.
    pub fn probe(host: &'a Host, machine: &'a Machine) -> Self {
        Limits {
            host,
            machine,
            memory: memory::MemoryLimits::probe(host),
            drivers: hwbench_probes::limits::driver_gpus(&host.root, &host.topology.gpus),
        }
    }

    /// Sets `counts`, `limit` and `of_limit` on every throughput metric of
    /// the ok records of `records`.
    pub fn attach(&self, records: &mut [Record]) {
        let cpu_peaks: Vec<(Record, f64)> = records
            .iter()
            .filter(|r| r.id == CPU_CEILINGS && r.status == RecordStatus::Ok)
            .filter_map(|r| Some((r.clone(), r.metrics.iter().find(|m| m.name == "compute_ceiling")?.value)))
            .collect();
        for record in records.iter_mut().filter(|r| r.status == RecordStatus::Ok) {
            let (id, params) = (record.id.clone(), record.params.clone());
            for metric in &mut record.metrics {
                let Some((counts, limit)) = self.limit_of(&id, &params, metric, &cpu_peaks) else { continue };
                set(metric, counts, limit);
            }
        }
    }

    /// What `metric` of a record of `id` at `params` counts and its limit;
    /// None for a figure no limit applies to.
    fn limit_of(
        &self,
        id: &str,
        params: &Params,
        metric: &Metric,
        cpu_peaks: &[(Record, f64)],
    ) -> Option<(String, Fact<Limit>)> {
        let family = id.split('.').next()?;
        match (family, metric.unit.as_str()) {
            ("memory" | "cpu", "GB/s") => Some(self.memory.bandwidth(id, params, &metric.name)),
            ("cpu", "GFLOP/s") if id == "cpu.roofline" => Some(cpu_flops(params, cpu_peaks)),
            ("gpu", "GB/s") if id == "gpu.transfer" => Some(self.transfer(params)),
            ("gpu", "GB/s") => Some(self.gpu(params, GpuFigure::MemoryBandwidth, gpu::memory_counts(id))),
            ("gpu", "GFLOP/s") => {
                let precision = text(params, "precision").unwrap_or("f32");
                Some(self.gpu(params, GpuFigure::Flops(precision.to_string()), gpu::flops_counts(id)))
            }
            _ => None,
        }
    }

    /// A GPU figure of the adapter the record ran on.
    fn gpu(&self, params: &Params, figure: GpuFigure, counts: String) -> (String, Fact<Limit>) {
        let limit = match self.adapter(params) {
            Ok(adapter) => gpu::limit(adapter, &figure, self.drivers.get(&adapter.index)),
            Err(why) => Fact::unknown(why),
        };
        (counts, limit)
    }

    /// Host-device transfers: one direction of the GPU's PCIe link.
    fn transfer(&self, params: &Params) -> (String, Fact<Limit>) {
        let direction = match text(params, "direction") {
            Some("d2h") => "device to host",
            _ => "host to device",
        };
        let counts = format!(
            "bytes moved {direction} per second (one direction; PCIe is full duplex, so both directions at once \
             can reach twice the limit)"
        );
        let limit = match self.adapter(params) {
            Ok(adapter) if adapter.is_software() => Fact::unknown(format!(
                "{} is a software adapter on the CPU: its transfers are memory copies, no PCIe link",
                adapter.name
            )),
            Ok(adapter) => match self.machine.gpu_pcie.known().and_then(|links| {
                links.iter().find(|l| !adapter.pci_bus_id.is_empty() && l.address.ends_with(&adapter.pci_bus_id))
            }) {
                Some(link) => hwbench_probes::limits::pcie_link(&self.host.root, &link.address),
                None => Fact::unknown(format!(
                    "no PCIe link in sysfs for adapter {} (PCI bus id '{}')",
                    adapter.index, adapter.pci_bus_id
                )),
            },
            Err(why) => Fact::unknown(why),
        };
        (counts, limit)
    }

    /// The adapter a GPU record ran on, or why it is not in the topology.
    fn adapter(&self, params: &Params) -> Result<&hwbench_schema::GpuAdapter, String> {
        let index = match params.get("adapter") {
            Some(ParamValue::Int(i)) => *i as usize,
            _ => 0,
        };
        self.host
            .topology
            .gpus
            .iter()
            .find(|g| g.index == index)
            .ok_or_else(|| format!("adapter {index} is not listed"))
    }
}

/// A record's params.
type Params = std::collections::BTreeMap<String, ParamValue>;

/// The summary record of cpu.roofline's ceilings.
const CPU_CEILINGS: &str = "cpu.roofline.ceilings";

/// A param's text value.
fn text<'p>(params: &'p Params, name: &str) -> Option<&'p str> {
    match params.get(name) {
        Some(ParamValue::Str(s)) => Some(s),
        _ => None,
    }
}

/// CPU FLOP/s: beside cpu.roofline's FMA peak (its compute ceiling) of the
/// same run at the same precision, threads and instruction set.
fn cpu_flops(params: &Params, peaks: &[(Record, f64)]) -> (String, Fact<Limit>) {
    let counts = "FLOP/s of the SIMD FMA kernel: 2 per fused multiply-add, dense".to_string();
    let same = |r: &Record| ["precision", "threads", "isa"].iter().all(|k| r.params.get(*k) == params.get(*k));
    let limit = match peaks.iter().find(|(r, _)| same(r)) {
        Some((r, peak)) => Fact::Known(Limit {
            value: *peak,
            unit: "GFLOP/s".into(),
            derivation: format!(
                "the FMA peak measured in this run: {CPU_CEILINGS} {} compute_ceiling",
                crate::params::describe(&r.params)
            ),
        }),
        None => Fact::unknown(format!("no {CPU_CEILINGS} record at these params in this run")),
    };
    (counts, limit)
}

/// Sets what `metric` counts, its limit and its fraction of it.
fn set(metric: &mut Metric, counts: String, limit: Fact<Limit>) {
    metric.of_limit = limit.known().filter(|l| l.value > 0.0 && l.unit == metric.unit).map(|l| metric.value / l.value);
    metric.counts = Some(counts);
    metric.limit = Some(limit);
}
