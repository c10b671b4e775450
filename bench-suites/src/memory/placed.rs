//! Buffers of the NUMA benchmarks: their working-set size and their
//! allocation bound to a node.

use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_probes::topology::last_level_cache_bytes;

use crate::context::Context;
use crate::error::BenchError;
use crate::params::Params;
use crate::runner::{describe, MIN_ON_NODE_FRACTION};

/// Bytes between chased lines, and the granule of every size here.
pub const LINE: u64 = 64;

/// The size param `name` (default: 4x the last-level cache, at least
/// 64 MiB), rounded down to whole lines; fewer than two lines is bad input.
pub fn working_set(id: &str, name: &str, params: &Params, ctx: &Context) -> Result<u64, BenchError> {
    let default = (4 * last_level_cache_bytes(&ctx.topology)).max(64 << 20);
    let bytes = params.uint(name).unwrap_or(default) / LINE * LINE;
    if bytes < 2 * LINE {
        return Err(BenchError::bad_param(id, name, format!("{bytes} bytes is less than two {LINE}-byte lines")));
    }
    Ok(bytes)
}

/// Maps `bytes` with `page` bound strictly to `node` (pages not touched
/// yet). No huge pages reserved makes the point skipped; any other refusal
/// (a node too small) fails it.
pub fn place(ctx: &Context, bytes: u64, page: PagePolicy, node: u32) -> Result<Region, BenchError> {
    Ok(Region::allocate(&ctx.root, bytes as usize, page, Some(node))?)
}

/// Warns, in the run's warnings, when a second buffer of a point (the
/// record's `placement` covers the first) has under 99% of its pages on `node`.
pub fn check_second_buffer(
    ctx: &mut Context,
    id: &str,
    point: &Params,
    buffer: &str,
    fraction: Option<f64>,
    node: u32,
) {
    if let Some(f) = fraction.filter(|&f| f < MIN_ON_NODE_FRACTION) {
        ctx.warnings.push(format!("{id} {}: only {:.1}% of the {buffer} on node {node}", describe(point), f * 100.0));
    }
}
