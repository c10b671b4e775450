//! What every GPU benchmark shares when it plans and measures points: the
//! `adapter` param, the adapter of a point, and the provenance in `info`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::adapter::{adapters, default_selection, no_adapter_reason, resolve};
use super::context::GpuContext;
use crate::error::BenchError;
use crate::params::{ParamKind, ParamSpec, Params};

/// The `adapter` param every GPU benchmark takes.
pub const ADAPTER: ParamSpec = ParamSpec {
    name: "adapter",
    kind: ParamKind::Text,
    default: "every hardware adapter, or the software one when alone",
    help: "adapter index or name (as `hwbench topology` lists them)",
};

/// Repeats each of `points` for every selected adapter (param `adapter` =
/// its index). With no adapter at all the points go unchanged, without
/// an `adapter`, and measure as skipped with the reason.
pub fn for_adapters(id: &str, params: &Params, points: Vec<Params>) -> Result<Vec<Params>, BenchError> {
    let all = adapters();
    if all.is_empty() {
        return Ok(points);
    }
    let chosen = match params.text("adapter") {
        Some(wanted) => vec![resolve(&all, wanted).map_err(|e| BenchError::bad_param(id, "adapter", e))?],
        None => default_selection(&all),
    };
    Ok(chosen.into_iter().flat_map(|i| points.iter().map(move |p| p.clone().with("adapter", i as u64))).collect())
}

/// The shared context of a point's adapter, or why there is none.
pub fn context_of(point: &Params) -> Result<Arc<GpuContext>, BenchError> {
    match point.uint("adapter") {
        Some(index) => GpuContext::shared(index as usize),
        None => Err(BenchError::Unavailable(no_adapter_reason())),
    }
}

/// `info` with the adapter's provenance under "adapter".
pub fn provenance(ctx: &GpuContext) -> BTreeMap<String, serde_json::Value> {
    BTreeMap::from([("adapter".to_string(), super::adapter::provenance(&ctx.adapter))])
}

/// The value of a choice param, or all of `all` when it is not set.
pub fn choices<'a>(params: &'a Params, name: &str, all: &'a [&'a str]) -> Vec<&'a str> {
    match params.text(name) {
        Some(v) => vec![v],
        None => all.to_vec(),
    }
}
