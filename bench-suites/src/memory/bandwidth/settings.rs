//! The params of `memory.bandwidth`, checked and resolved: bad input is
//! found here, before anything is allocated or run.

use hwbench_probes::placement::PagePolicy;
use hwbench_probes::sysroot::format_list;
use hwbench_probes::topology::last_level_cache_bytes;
use hwbench_schema::ParamValue;

use super::kernels::{self, Isa, Kernel};
use super::threads::cpus;
use super::ID;
use crate::context::Context;
use crate::error::BenchError;
use crate::params::Params;

/// Default array size when the last-level cache is small or unknown.
const MIN_DEFAULT_BYTES: u64 = 256 << 20;
/// Arrays are whole multiples of this (the chunk alignment).
const GRANULE: u64 = 64;

/// Resolved params.
pub struct Settings {
    /// Kernels to run, in table order.
    pub kernels: Vec<Kernel>,
    /// Thread counts to run them with.
    pub threads: Vec<usize>,
    /// Bytes of each array (a multiple of 64).
    pub bytes: u64,
    /// Page policy of the arrays.
    pub page: PagePolicy,
    /// Node the arrays are bound to.
    pub node: Option<u32>,
    /// Node whose CPUs run the threads.
    pub cpu_node: Option<u32>,
    /// Usable CPUs in the order threads take them (one per core first).
    pub order: Vec<u32>,
    /// More threads than CPUs allowed.
    pub oversubscribe: bool,
    /// The instruction set asked for; None: `auto`, the fastest on a trial.
    pub isa: Option<Isa>,
}

impl Settings {
    /// Checks and resolves `params` against the machine in `ctx`.
    pub fn parse(params: &Params, ctx: &Context) -> Result<Settings, BenchError> {
        let choice = params.text("kernel").unwrap_or("all");
        let kernels = kernels::select(choice).ok_or_else(|| {
            BenchError::bad_param(ID, "kernel", format!("'{choice}' is not one of {}", kernels::CHOICES.join(", ")))
        })?;
        let isa = match params.text("isa").unwrap_or("auto") {
            "auto" => None,
            name => Some(Isa::available_named(name).ok_or_else(|| {
                let here: Vec<&str> = Isa::available().iter().map(|i| i.name()).collect();
                BenchError::bad_param(
                    ID,
                    "isa",
                    format!("'{name}' does not run on this CPU (it runs auto, {})", here.join(", ")),
                )
            })?),
        };
        let page = PagePolicy::parse(params.text("page").unwrap_or("thp"))
            .map_err(|e| BenchError::bad_param(ID, "page", e))?;
        let node = params.uint("node").map(|n| ctx.check_node(ID, n)).transpose()?;
        let cpu_node = params.uint("cpu_node").map(|n| check_cpu_node(ctx, n)).transpose()?;
        let usable = ctx.cpus_near(cpu_node.or(node));
        let order = cpus::spread(&ctx.topology, &usable);
        let oversubscribe = params.text("oversubscribe") == Some("yes");
        let per_core = cpus::cores(&ctx.topology, &usable);
        let threads = match params.0.get("threads") {
            Some(ParamValue::Str(s)) if s == "sweep" => cpus::sweep(per_core),
            Some(_) => vec![params.uint("threads").map_or(0, |t| t as usize)],
            None => vec![per_core],
        };
        for &t in &threads {
            cpus::assign(&order, t, oversubscribe).map_err(|e| BenchError::bad_param(ID, "threads", e))?;
        }
        let line = ctx.topology.caches.iter().map(|c| u64::from(c.line_bytes)).max().unwrap_or(0).max(GRANULE);
        let bytes = match params.uint("bytes") {
            Some(b) if b < line => {
                return Err(BenchError::bad_param(
                    ID,
                    "bytes",
                    format!("{b} bytes is smaller than a cache line ({line} bytes)"),
                ));
            }
            Some(b) => b / GRANULE * GRANULE,
            None => (4 * last_level_cache_bytes(&ctx.topology)).max(MIN_DEFAULT_BYTES).div_ceil(GRANULE) * GRANULE,
        };
        Ok(Settings { kernels, threads, bytes, page, node, cpu_node, order, oversubscribe, isa })
    }

    /// The CPUs of `threads` workers.
    pub fn cpus(&self, threads: usize) -> Result<Vec<u32>, BenchError> {
        cpus::assign(&self.order, threads, self.oversubscribe).map_err(|e| BenchError::bad_param(ID, "threads", e))
    }

    /// The params of one point, every param resolved.
    pub fn point(&self, kernel: Kernel, threads: usize) -> Params {
        let mut p = Params::default()
            .with("kernel", kernel.spec().name)
            .with("threads", threads as u64)
            .with("bytes", self.bytes)
            .with("page", self.page.name())
            .with("oversubscribe", if self.oversubscribe { "yes" } else { "no" })
            .with("isa", self.isa.map_or("auto", Isa::name));
        if let Some(node) = self.node {
            p = p.with("node", node);
        }
        if let Some(node) = self.cpu_node {
            p = p.with("cpu_node", node);
        }
        p
    }
}

/// A `cpu_node` must exist and have CPUs this process may run on.
fn check_cpu_node(ctx: &Context, node: u64) -> Result<u32, BenchError> {
    let ids: Vec<u32> = ctx.topology.nodes.iter().map(|n| n.os_index).collect();
    let allowed = hwbench_probes::binding::allowed_cpus();
    match ctx.topology.nodes.iter().find(|n| u64::from(n.os_index) == node) {
        None => Err(BenchError::bad_param(
            ID,
            "cpu_node",
            format!("node {node} does not exist (this machine has nodes {})", format_list(&ids)),
        )),
        Some(n) if !n.cpus.iter().any(|c| allowed.contains(c)) => {
            Err(BenchError::bad_param(ID, "cpu_node", format!("node {node} has no CPU this process may run on")))
        }
        Some(n) => Ok(n.os_index),
    }
}
