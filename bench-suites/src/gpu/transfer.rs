//! `gpu.transfer`: host-to-device bandwidth (queue.write_buffer, submit,
//! wait) and device-to-host bandwidth (copy into a MAP_READ buffer, map,
//! copy out of the mapping) for a few sizes, timed on the host; the data is
//! checked after sampling. With `host_node`, the host buffer is placed on a
//! NUMA node and the transfers go through a mapped staging buffer moved
//! there too where the driver allows (host_node.rs).

use std::time::{Duration, Instant};

use hwbench_schema::{units::format_bytes, Better};
use serde::Serialize;

use super::device::GpuDevice;
use super::point::{self, choices, ADAPTER};
use super::timing;
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{best_metric, SamplerConfig, Workload};
use crate::host::{physical_memory_bytes, Host};
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;

const ID: &str = "gpu.transfer";
/// Directions, as param values.
pub const DIRECTIONS: [&str; 2] = ["h2d", "d2h"];
/// Sizes measured when none is given (those the device allows).
pub const SIZES: [u64; 4] = [64 << 10, 1 << 20, 16 << 20, 256 << 20];

const DIRECTION: Param<String> =
    Param::new("direction", ParamKind::Choice(&DIRECTIONS), Unset::Derived("both"), "h2d or d2h");
const BYTES: Param<u64> =
    Param::new("bytes", ParamKind::Bytes, Unset::Derived("64KiB, 1MiB, 16MiB, 256MiB"), "bytes per transfer");
const HOST_NODE: Param<String> = Param::new(
    "host_node",
    ParamKind::Text,
    Unset::Derived("not placed: the process's heap and write_buffer"),
    "NUMA node of the host buffer (CPU-less nodes too), or all",
);

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "host-device transfer bandwidth: write_buffer (h2d), copy + map_async (d2h)",
    metrics: "bandwidth GB/s (max of samples; host timing)",
    params: &[ADAPTER.spec, DIRECTION.spec, BYTES.spec, HOST_NODE.spec],
    uses_gpu: true,
    summaries: &[],
    make: || erase(Transfer),
};

/// The benchmark (stateless).
pub struct Transfer;

/// One point: transfers of one size in one direction on one adapter.
#[derive(Debug, Clone, Serialize)]
pub struct TransferPoint {
    /// The adapter's index; None when there is no adapter (skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<usize>,
    /// "h2d" or "d2h".
    pub direction: String,
    /// Bytes per transfer.
    pub bytes: u64,
    /// The NUMA node of the host buffer, when placed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_node: Option<u32>,
}

/// The host nodes asked for: none (not placed), one, or every node this
/// process may allocate on.
fn host_nodes(settings: &Settings, host: &Host) -> Result<Vec<Option<u32>>, BenchError> {
    let Some(text) = HOST_NODE.get(settings)? else {
        return Ok(vec![None]);
    };
    if text == "all" {
        return Ok(host.memory_nodes().map(|n| Some(n.os_index)).collect());
    }
    let node = text
        .parse::<u32>()
        .map_err(|_| BenchError::bad_param(ID, "host_node", format!("'{text}' is not a node number or all")))?;
    Ok(vec![Some(host.check_node(ID, "host_node", node)?)])
}

impl Benchmark for Transfer {
    type Point = TransferPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<TransferPoint>, BenchError> {
        let asked = BYTES.get(settings)?;
        let sizes = match asked {
            Some(b) if b < 4 => return Err(BenchError::bad_param(ID, "bytes", format!("{b} is less than 4 bytes"))),
            Some(b) => vec![b / 4 * 4],
            None => SIZES.to_vec(),
        };
        let nodes = host_nodes(settings, host)?;
        let mut points = Vec::new();
        for adapter in point::adapters(settings, host)? {
            let allowed = adapter
                .and_then(|i| point::described(host, i))
                .map_or(u64::MAX, |a| a.limits.max_buffer_size.min(physical_memory_bytes() / 8));
            for direction in choices(&DIRECTION, &DIRECTIONS, settings)? {
                for &bytes in &sizes {
                    if bytes > allowed {
                        if asked.is_some() {
                            return Err(BenchError::bad_param(
                                ID,
                                "bytes",
                                format!(
                                    "{} is more than adapter {} allows in one buffer",
                                    format_bytes(bytes),
                                    adapter.unwrap_or(0)
                                ),
                            ));
                        }
                        continue;
                    }
                    for &host_node in &nodes {
                        points.push(TransferPoint { adapter, direction: direction.clone(), bytes, host_node });
                    }
                }
            }
        }
        Ok(points)
    }

    fn measure(&mut self, p: &TransferPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let gpu = point::device_of(p.adapter, session)?;
        let cfg = timing::sampler(session);
        let to_device = p.direction == "h2d";
        let mut measured = match p.host_node {
            Some(node) => super::host_node::measure(&gpu, session, cfg, to_device, p.bytes, node)?,
            None => measure(&gpu, session, cfg, to_device, p.bytes)?,
        };
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }

    /// The host buffer is made (placed and touched on its node when asked),
    /// then transfers of it are sampled.
    fn estimate(&self, p: &TransferPoint, _previous: Option<&TransferPoint>, cost: &CostModel) -> f64 {
        if !cost.has_gpu(p.adapter) {
            return 0.0;
        }
        let bytes = p.bytes as f64;
        cost.touch(p.bytes, 1, hwbench_probes::placement::PagePolicy::Transparent)
            + cost.phase(timing::config(&cost.sampler), cost.transfer(bytes) + cost.gpu_work(p.adapter, bytes, 0.0))
    }
}

/// A recognisable pattern: word i holds i * golden ratio.
pub(crate) fn pattern(bytes: u64) -> Vec<u8> {
    let words: Vec<u32> = (0..(bytes / 4) as u32).map(|i| i.wrapping_mul(0x9E37_79B1)).collect();
    bytemuck::cast_slice(&words).to_vec()
}

/// Transfers of `host.len()` bytes: `run(k)` does k, each waited for.
struct Transfers<'a> {
    gpu: &'a GpuDevice,
    to_device: bool,
    device: wgpu::Buffer,
    readback: wgpu::Buffer,
    host: Vec<u8>,
}

impl Workload for Transfers<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let gpu = self.gpu;
        let started = Instant::now();
        for _ in 0..iterations {
            if self.to_device {
                gpu.queue.write_buffer(&self.device, 0, &self.host);
                gpu.wait(gpu.queue.submit([]))?;
            } else {
                let mut encoder = gpu.device.create_command_encoder(&Default::default());
                encoder.copy_buffer_to_buffer(&self.device, 0, &self.readback, 0, self.host.len() as u64);
                gpu.wait(gpu.queue.submit([encoder.finish()]))?;
                let host = &mut self.host;
                gpu.read_mapped(&self.readback, |b| host.copy_from_slice(b))?;
            }
        }
        Ok(started.elapsed())
    }
}

/// Measures transfers of `bytes` bytes in one direction, then checks that
/// the data arrived intact.
pub fn measure(
    gpu: &GpuDevice,
    session: &mut Session,
    cfg: SamplerConfig,
    to_device: bool,
    bytes: u64,
) -> Result<Measured, BenchError> {
    let usage = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let expected = pattern(bytes);
    let mut work = Transfers {
        gpu,
        to_device,
        device: gpu.buffer("gpu.transfer device", bytes, usage),
        readback: gpu.buffer(
            "gpu.transfer read-back",
            bytes,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        ),
        host: if to_device { expected.clone() } else { vec![0; bytes as usize] },
    };
    if !to_device {
        gpu.queue.write_buffer(&work.device, 0, &expected);
    }
    let set = session.sample_with(cfg, &mut work)?;
    let arrived = if to_device { gpu.download(&work.device, bytes)? } else { std::mem::take(&mut work.host) };
    let how = if to_device {
        "host time of queue.write_buffer + submit + wait, per transfer"
    } else {
        "host time of copy into a MAP_READ buffer + submit + wait + map_async + copy out of the mapping, per transfer"
    };
    figures(gpu, &set, &arrived, &expected, how)
}

/// A transfer record: the data that arrived checked against the pattern
/// sent, then the bandwidth of the samples (`how`: what each one timed).
pub(crate) fn figures(
    gpu: &GpuDevice,
    set: &crate::harness::SampleSet,
    arrived: &[u8],
    expected: &[u8],
    how: &str,
) -> Result<Measured, BenchError> {
    let bytes = expected.len();
    if let Some(i) = arrived.iter().zip(expected).position(|(a, b)| a != b) {
        return Err(BenchError::Failed(format!(
            "{}: transferred data differs at byte {i} of {bytes}",
            gpu.adapter.name
        )));
    }
    let metric =
        best_metric("bandwidth", "GB/s", set.map(|secs, n| bytes as f64 * n as f64 / secs / 1e9), Better::Higher);
    let mut info = std::collections::BTreeMap::new();
    info.insert("transfers_per_sample".into(), set.iterations.into());
    info.insert("timing".into(), how.into());
    info.insert("validated".into(), "the transferred bytes compared with the pattern sent".into());
    Ok(Measured { metrics: vec![metric], placement: None, info })
}
