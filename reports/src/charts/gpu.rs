//! GPU charts: compute throughput per precision, memory bandwidth per
//! kernel, transfer bandwidth against size, dispatch latency.

use super::{bars, lines, select, Planned, Words};
use crate::plots::Axis;
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["gpu.compute", "gpu.memory", "gpu.transfer", "gpu.dispatch"];

/// Every GPU chart there is data for.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let mut out = Vec::new();
    let found = select::records(runs, "gpu.compute");
    let groups = select::groups(runs, &found, "throughput", &["precision", "width"], &[]);
    let words = Words::new(
        "gpu-compute.svg",
        "GPU compute throughput per precision",
        "Arithmetic throughput per precision and vector width (1 FMA = 2 operations), per run and adapter.",
    );
    out.extend(bars(
        words,
        "precision and vector width",
        format!("throughput ({})", select::units(&found, "throughput")),
        groups,
    ));
    let found = select::records(runs, "gpu.memory");
    let groups = select::groups(runs, &found, "bandwidth", &["kernel"], &[]);
    let words = Words::new(
        "gpu-memory.svg",
        "GPU memory bandwidth per kernel",
        "Device memory bandwidth per kernel (bytes read plus written), per run and adapter.",
    );
    out.extend(bars(words, "kernel", format!("bandwidth ({})", select::units(&found, "bandwidth")), groups));
    let found = select::records(runs, "gpu.transfer");
    let curves = select::curves(runs, &found, "bytes", &[]);
    let words = Words::new(
        "gpu-transfer.svg",
        "GPU transfer bandwidth",
        "Host-device transfer bandwidth against transfer size, per direction, run and adapter.",
    );
    out.extend(lines(
        words,
        Axis::bytes("transfer size (bytes)"),
        "bandwidth",
        &found,
        "bandwidth",
        &curves,
        Vec::new(),
    ));
    let found = select::records(runs, "gpu.dispatch");
    let groups = select::groups(runs, &found, "latency", &["adapter"], &[]);
    let words = Words::new(
        "gpu-dispatch.svg",
        "GPU dispatch latency",
        "Time from submitting an empty kernel to its completion, per run and adapter.",
    );
    out.extend(bars(words, "adapter", format!("latency ({})", select::units(&found, "latency")), groups));
    out
}
