//! The params the memory benchmarks share, declared once.

use hwbench_probes::placement::PagePolicy;

use crate::params::{Param, ParamKind, Unset};

/// Page size asked for.
pub const PAGE: Param<PagePolicy> = Param::new(
    "page",
    ParamKind::Choice(&PagePolicy::NAMES),
    Unset::Value("thp"),
    "page size to ask for (obtained size is recorded)",
);

/// The node a buffer is bound to.
pub const NODE: Param<u32> = Param::new(
    "node",
    ParamKind::Node,
    Unset::Derived("first touch by the CPUs that use it"),
    "NUMA node to bind the memory to",
);

/// The node whose CPUs run the work.
pub const CPU_NODE: Param<u32> = Param::new(
    "cpu_node",
    ParamKind::Node,
    Unset::Derived("the memory node's CPUs, else the nearest node with CPUs (else every allowed CPU)"),
    "NUMA node whose CPUs run the threads",
);

/// A selection of memory nodes, one curve or cell per node, with its
/// default selection.
pub const fn nodes(default: &'static str) -> Param<String> {
    Param::new("node", ParamKind::Text, Unset::Value(default), "memory nodes: N, all, cpuless or local")
}

/// A working set past the caches.
pub const fn working_set(name: &'static str, help: &'static str) -> Param<u64> {
    Param::new(name, ParamKind::Bytes, Unset::Derived("4x the last-level cache, at least 64 MiB"), help)
}
