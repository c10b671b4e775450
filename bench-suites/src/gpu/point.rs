//! What every GPU benchmark shares when it plans and measures points: the
//! `adapter` param, the adapters a run measures, the device of a point, and
//! the provenance in `info`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::adapter::{default_selection, resolve, AdapterInfo};
use super::device::GpuDevice;
use crate::error::BenchError;
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::session::Session;

/// The `adapter` param every GPU benchmark takes.
pub const ADAPTER: Param<String> = Param::new(
    "adapter",
    ParamKind::Text,
    Unset::Derived("every hardware adapter, or the software one when alone"),
    "adapter index or name (as `hwbench topology` lists them)",
);

/// The adapters a benchmark's points run on (each point is repeated for
/// every one): the one `adapter` names, else the default selection. With no
/// adapter at all, one `None`: the points then measure as skipped with the
/// reason.
pub fn adapters(settings: &Settings, host: &Host) -> Result<Vec<Option<usize>>, BenchError> {
    let all = &host.topology.gpus;
    if all.is_empty() {
        return Ok(vec![None]);
    }
    Ok(match ADAPTER.get(settings)? {
        Some(wanted) => {
            vec![Some(resolve(all, &wanted).map_err(|e| BenchError::bad_param(settings.id, "adapter", e))?)]
        }
        None => default_selection(all).into_iter().map(Some).collect(),
    })
}

/// The described adapter `index` of the host.
pub fn described(host: &Host, index: usize) -> Option<&AdapterInfo> {
    host.topology.gpus.iter().find(|a| a.index == index)
}

/// The device of a point's adapter, or why there is none.
pub fn device_of(adapter: Option<usize>, session: &mut Session) -> Result<Arc<GpuDevice>, BenchError> {
    match adapter {
        Some(index) => session.gpu(index),
        None => Err(BenchError::Unavailable(
            session.host().topology.gpu_note.clone().unwrap_or_else(super::adapter::no_adapter_reason),
        )),
    }
}

/// `info` with the adapter's provenance under "adapter".
pub fn provenance(gpu: &GpuDevice) -> BTreeMap<String, serde_json::Value> {
    BTreeMap::from([("adapter".to_string(), super::adapter::provenance(&gpu.adapter))])
}

/// Every value of a choice param, or the one set.
pub fn choices(param: &Param<String>, all: &[&str], settings: &Settings) -> Result<Vec<String>, BenchError> {
    Ok(match param.get(settings)? {
        Some(v) => vec![v],
        None => all.iter().map(|s| s.to_string()).collect(),
    })
}
