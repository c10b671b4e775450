//! `gpu.transfer` with `host_node`: KV-cache offload bandwidth between the
//! device and host memory on a chosen NUMA node, CPU-less (CXL) nodes
//! included. The process's host buffer is bound to the node (mbind, strict)
//! and first-touched, and its placement verified (move_pages). The data go
//! through a mapped staging buffer that the driver allocates: hwbench maps
//! it, asks the kernel to move its pages to the node (move_pages,
//! MPOL_MF_MOVE) and records where they are; where the driver's memory
//! cannot be moved (pinned or device-mapped pages), the record says so and
//! the run warns, instead of assuming.
//!
//! h2d: map the staging buffer for writing, copy the host buffer into it,
//! unmap, copy_buffer_to_buffer to the device, submit, wait. d2h: copy the
//! device buffer into the staging buffer, submit, wait, map it for reading,
//! copy it into the host buffer, unmap. Each transfer is waited for.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hwbench_probes::placement::{locate_pages, PageNodes, PagePolicy, Region};

use super::device::GpuDevice;
use crate::error::BenchError;
use crate::harness::{SamplerConfig, Workload};
use crate::registry::Measured;
use crate::session::Session;

/// Transfers of a host buffer placed on a node: `run(k)` does k.
struct PlacedTransfers<'a> {
    gpu: &'a GpuDevice,
    to_device: bool,
    /// The host buffer's bytes (the placed region's).
    host: &'a mut [u8],
    staging: wgpu::Buffer,
    device: wgpu::Buffer,
}

impl PlacedTransfers<'_> {
    fn one(&mut self) -> Result<(), BenchError> {
        let gpu = self.gpu;
        let bytes = self.host.len() as u64;
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        if self.to_device {
            let host = &*self.host;
            gpu.write_mapped(&self.staging, |view| view.copy_from_slice(host))?;
            encoder.copy_buffer_to_buffer(&self.staging, 0, &self.device, 0, bytes);
            gpu.wait(gpu.queue.submit([encoder.finish()]))
        } else {
            encoder.copy_buffer_to_buffer(&self.device, 0, &self.staging, 0, bytes);
            gpu.wait(gpu.queue.submit([encoder.finish()]))?;
            let host = &mut *self.host;
            gpu.read_mapped(&self.staging, |mapped| host.copy_from_slice(mapped))
        }
    }
}

impl Workload for PlacedTransfers<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let started = Instant::now();
        for _ in 0..iterations {
            self.one()?;
        }
        Ok(started.elapsed())
    }
}

/// Where the staging buffer's mapped pages are; with `to`, after asking
/// the kernel to move them there.
fn locate_staging(
    gpu: &GpuDevice,
    staging: &wgpu::Buffer,
    to_device: bool,
    to: Option<u32>,
) -> Result<Result<PageNodes, std::io::Error>, BenchError> {
    // SAFETY (both): the view is the staging buffer's mapping, mapped for
    // as long as the closure runs; its pages are only queried or moved.
    if to_device {
        gpu.write_mapped(staging, |view| {
            let len = view.len();
            let start = view.slice(..).as_raw_element_ptr();
            unsafe { locate_pages(start.as_ptr(), len, to) }
        })
    } else {
        gpu.read_mapped(staging, |m| unsafe { locate_pages(m.as_ptr(), m.len(), to) })
    }
}

/// The meaning of a move_pages status, for records.
fn errno_meaning(errno: i32) -> String {
    let what = match errno {
        libc::ENOENT => "not faulted in",
        libc::EFAULT => "not a page this process may move (driver, pinned or device-mapped memory)",
        libc::EACCES => "mapped by several processes",
        libc::EBUSY => "busy (pinned for I/O)",
        libc::ENOMEM => "no room on the node",
        _ => "refused",
    };
    format!("{} ({what})", std::io::Error::from_raw_os_error(errno))
}

/// The staging placement as a record's `info` value, and whether every
/// page queried is on `node`.
fn describe_staging(found: &Result<PageNodes, std::io::Error>, node: u32) -> (serde_json::Value, bool) {
    match found {
        Ok(p) => {
            let by_node: BTreeMap<String, u64> = p.on_nodes.iter().map(|(n, c)| (n.to_string(), *c)).collect();
            let errors: BTreeMap<String, u64> = p.errors.iter().map(|(e, c)| (errno_meaning(*e), *c)).collect();
            let placed = p.checked > 0 && p.on(node) == p.checked;
            let mut v = serde_json::json!({
                "node": node,
                "on_node_fraction": p.fraction(node),
                "pages_checked": p.checked,
                "pages_by_node": by_node,
                "how": "the mapped staging buffer's pages moved with move_pages (MPOL_MF_MOVE), then queried",
            });
            if !errors.is_empty() {
                v["pages_not_placeable"] = serde_json::json!(errors);
            }
            if !placed {
                v["note"] = format!(
                    "the driver's staging memory is not all on node {node}: the DMA side of these transfers uses the nodes listed (or memory hwbench cannot see)"
                )
                .into();
            }
            (v, placed)
        }
        Err(e) => (
            serde_json::json!({
                "node": node,
                "unavailable": format!("move_pages on the mapped staging buffer failed: {e}; the driver's staging memory could not be placed or located"),
            }),
            false,
        ),
    }
}

/// Measures transfers of `bytes` bytes in one direction with the host
/// buffer on `node`, then checks the data and where the memory was.
pub fn measure(
    gpu: &GpuDevice,
    session: &mut Session,
    cfg: SamplerConfig,
    to_device: bool,
    bytes: u64,
    node: u32,
) -> Result<Measured, BenchError> {
    let root = session.host().root.clone();
    let len =
        usize::try_from(bytes).map_err(|_| BenchError::BadInput(format!("{bytes} bytes do not fit in memory")))?;
    let host = Region::allocate(&root, len, PagePolicy::Small, Some(node))?;
    host.first_touch(0, len);
    let expected = super::transfer::pattern(bytes);
    let staging_usage = if to_device {
        wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC
    } else {
        wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST
    };
    // SAFETY: the region holds `len` bytes, mapped while `host` lives, and
    // only this workload touches them.
    let bytes_of_host = unsafe { std::slice::from_raw_parts_mut(host.as_ptr(), len) };
    let mut work = PlacedTransfers {
        gpu,
        to_device,
        host: bytes_of_host,
        staging: gpu.buffer("gpu.transfer staging", bytes, staging_usage),
        device: gpu.buffer("gpu.transfer device", bytes, wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST),
    };
    if to_device {
        work.host.copy_from_slice(&expected);
    } else {
        gpu.queue.write_buffer(&work.device, 0, &expected);
    }
    // Fault the staging pages in, then move them to the node.
    work.one()?;
    locate_staging(gpu, &work.staging, to_device, Some(node))?.ok();
    let set = session.sample_with(cfg, &mut work)?;
    let arrived = if to_device { gpu.download(&work.device, bytes)? } else { work.host.to_vec() };
    let how = if to_device {
        "host time of: map the staging buffer for writing + copy the host buffer into it + unmap + copy_buffer_to_buffer to the device + submit + wait, per transfer"
    } else {
        "host time of: copy_buffer_to_buffer into the staging buffer + submit + wait + map it for reading + copy it into the host buffer + unmap, per transfer"
    };
    let mut measured = super::transfer::figures(gpu, &set, &arrived, &expected, how)?;
    let (staging, placed) = describe_staging(&locate_staging(gpu, &work.staging, to_device, None)?, node);
    if !placed {
        session.warn(format!(
            "gpu.transfer host_node={node}: the driver's staging memory is not on node {node} (see the record's info.staging_placement)"
        ));
    }
    measured.info.insert(
        "host_buffer".into(),
        format!("the process's buffer, bound to node {node} (mbind MPOL_BIND, strict), 4 KiB pages, first-touched; `placement` is where its pages are").into(),
    );
    measured.info.insert("staging_placement".into(), staging);
    measured.placement = Some(host.placement(len));
    Ok(measured)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_that_did_not_move_is_described_not_assumed() {
        let moved = PageNodes { checked: 4, on_nodes: [(1, 4)].into(), errors: BTreeMap::new() };
        let (v, placed) = describe_staging(&Ok(moved), 1);
        assert!(placed && v.get("note").is_none());
        assert_eq!(v["on_node_fraction"], 1.0);
        let pinned = PageNodes { checked: 4, on_nodes: [(0, 1)].into(), errors: [(libc::EFAULT, 3)].into() };
        let (v, placed) = describe_staging(&Ok(pinned), 1);
        assert!(!placed);
        assert_eq!(v["pages_by_node"]["0"], 1);
        let reasons = v["pages_not_placeable"].as_object().unwrap();
        assert!(reasons.keys().next().unwrap().contains("driver, pinned or device-mapped"), "{reasons:?}");
        assert!(v["note"].as_str().unwrap().contains("not all on node 1"));
        let (v, placed) = describe_staging(&Err(std::io::Error::from_raw_os_error(libc::EPERM)), 2);
        assert!(
            !placed && v["unavailable"].as_str().unwrap().starts_with("move_pages on the mapped staging buffer failed")
        );
    }
}
