//! Buffers of the NUMA benchmarks: their working-set size and their
//! allocation bound to a node.

use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_probes::topology::last_level_cache_bytes;

use crate::error::BenchError;
use crate::host::Host;
use crate::params::{Param, Settings};
use crate::runner::MIN_ON_NODE_FRACTION;
use crate::session::Session;

/// Bytes between chased lines, and the granule of every size here.
pub const LINE: u64 = 64;

/// The size param (default: 4x the last-level cache, at least 64 MiB),
/// rounded down to whole lines; fewer than two lines is bad input.
pub fn working_set(param: &Param<u64>, settings: &Settings, host: &Host) -> Result<u64, BenchError> {
    let default = (4 * last_level_cache_bytes(&host.topology)).max(64 << 20);
    let bytes = param.get(settings)?.unwrap_or(default) / LINE * LINE;
    if bytes < 2 * LINE {
        return Err(BenchError::bad_param(
            settings.id,
            param.spec.name,
            format!("{bytes} bytes is less than two {LINE}-byte lines"),
        ));
    }
    Ok(bytes)
}

/// Maps `bytes` with `page` bound strictly to `node` (pages not touched
/// yet). No huge pages reserved makes the point skipped; any other refusal
/// (a node too small) fails it.
pub fn place(host: &Host, bytes: u64, page: PagePolicy, node: u32) -> Result<Region, BenchError> {
    Ok(Region::allocate(&host.root, bytes as usize, page, Some(node))?)
}

/// Warns, in the run's warnings, when a second buffer of a point (the
/// record's `placement` covers the first) has under 99% of its pages on
/// `node`, or could not be checked.
pub fn check_second_buffer(session: &mut Session, what: &str, buffer: &str, fraction: Option<f64>, node: u32) {
    match fraction {
        Some(f) if f < MIN_ON_NODE_FRACTION => {
            session.warn(format!("{what}: only {:.1}% of the {buffer} on node {node}", f * 100.0))
        }
        Some(_) => {}
        None => session.warn(format!("{what}: the {buffer}'s placement on node {node} could not be verified")),
    }
}
