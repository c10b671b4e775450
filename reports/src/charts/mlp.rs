//! Memory-level parallelism: bandwidth, and misses in flight, against the
//! independent chains each thread follows.

use super::{lines, select, Planned, Words};
use crate::plots::Axis;
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.mlp"];

/// Two charts when memory.mlp was measured: bandwidth and misses in
/// flight per node, one line per run, node and thread count.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let found = select::records(runs, "memory.mlp");
    let curves = select::curves(runs, &found, "chains", &[]);
    let chains: Vec<f64> = curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)).collect();
    let x = || Axis::auto("independent chains per thread", &chains);
    let bandwidth = Words::new(
        "memory-mlp-bandwidth.svg",
        "Memory-level parallelism: bandwidth",
        "Bandwidth delivered when each thread follows k independent pointer chains at once (one line load per chain step); it rises with k until the core's miss buffers or the memory's queues saturate. One line per run, node and thread count.",
    );
    let in_flight = Words::new(
        "memory-mlp-in-flight.svg",
        "Memory-level parallelism: misses in flight",
        "Lines in flight per node by Little's law: the line rate measured times the idle latency of the same buffer. Where it stops following k, the memory (or the core) holds no more misses at once.",
    );
    [
        lines(bandwidth, x(), "bandwidth", &found, "bandwidth", &curves, Vec::new()),
        lines(in_flight, x(), "misses in flight per node", &found, "in_flight_per_node", &curves, Vec::new()),
    ]
    .into_iter()
    .flatten()
    .collect()
}
