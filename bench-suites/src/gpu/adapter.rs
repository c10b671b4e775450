//! The adapters wgpu sees on this machine, described for `hwbench
//! topology` and for the provenance of every GPU record, and the choice of
//! which ones a run measures.

/// Features hwbench requests when an adapter has them.
pub const WANTED_FEATURES: wgpu::Features = wgpu::Features::TIMESTAMP_QUERY
    .union(wgpu::Features::SHADER_F16)
    .union(wgpu::Features::SHADER_F64)
    .union(wgpu::Features::SHADER_INT64)
    .union(wgpu::Features::SUBGROUP)
    .union(COOPERATIVE);

/// wgpu's experimental cooperative matrix feature (tensor cores, simdgroup
/// matrices), used by gpu.gemm where the adapter offers it.
pub const COOPERATIVE: wgpu::Features = wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX;

/// Why an adapter does not offer cooperative matrices to wgpu.
pub fn cooperative_absent(adapter: &wgpu::Adapter) -> String {
    let info = adapter.get_info();
    if adapter.features().contains(COOPERATIVE) {
        return format!("{}: wgpu-cooperative-matrix was not requested", info.name);
    }
    let backend = info.backend.to_str();
    format!(
        "{} ({backend}) does not offer wgpu's experimental cooperative matrix feature (wgpu-cooperative-matrix: Vulkan needs VK_KHR_cooperative_matrix with a subgroup-scope 8x8 or 16x16 configuration and the Vulkan memory model at device scope; Metal needs Apple7+ or Mac2+)",
        info.name
    )
}

/// A wgpu instance (backends from `WGPU_BACKEND` when set) and every
/// adapter of every compiled-in backend, in wgpu's order; the position in
/// the list is the adapter's index. What the drivers print on stderr
/// meanwhile is passed on, except their window-system noise.
pub fn enumerate() -> (wgpu::Instance, Vec<wgpu::Adapter>) {
    without_window_system_noise(|| {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
        let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        (instance, adapters)
    })
}

/// Lines Vulkan loaders and drivers print while enumerating that are about
/// presenting to a window, which hwbench never does: libwayland-client's
/// complaint, through lavapipe's window-system layer, when there is no
/// Wayland session (XDG_RUNTIME_DIR unset, as under ssh, cron, Slurm).
const WINDOW_SYSTEM_NOISE: [&str; 1] = ["XDG_RUNTIME_DIR is invalid or not set in the environment"];

/// Runs `f` with file descriptor 2 on a memory file, then writes what was
/// printed meanwhile back to stderr without the window-system noise. (The
/// drivers write to the descriptor from C, so std cannot capture it.)
fn without_window_system_noise<T>(f: impl FnOnce() -> T) -> T {
    use std::io::{Read, Seek};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: dup and memfd_create only create descriptors, owned below.
    let (saved, capture) =
        unsafe { (libc::dup(2), libc::memfd_create(c"hwbench-gpu-stderr".as_ptr(), libc::MFD_CLOEXEC)) };
    if saved < 0 || capture < 0 {
        for fd in [saved, capture].into_iter().filter(|&fd| fd >= 0) {
            // SAFETY: closes a descriptor just opened and used nowhere else.
            unsafe { libc::close(fd) };
        }
        return f();
    }
    // SAFETY: both descriptors were just created and are owned nowhere else.
    let (saved, capture) = unsafe { (OwnedFd::from_raw_fd(saved), OwnedFd::from_raw_fd(capture)) };
    // SAFETY: points fd 2 at the memory file; restored right after `f`.
    unsafe { libc::dup2(capture.as_raw_fd(), 2) };
    let result = f();
    // SAFETY: puts the original stderr back on fd 2.
    unsafe { libc::dup2(saved.as_raw_fd(), 2) };
    let mut printed = Vec::new();
    let mut file = std::fs::File::from(capture);
    if file.rewind().and_then(|_| file.read_to_end(&mut printed)).is_ok() {
        for line in String::from_utf8_lossy(&printed).lines() {
            if !WINDOW_SYSTEM_NOISE.iter().any(|noise| line.contains(noise)) {
                eprintln!("{line}");
            }
        }
    }
    result
}

/// An adapter as hwbench records it (a schema type: the topology holds it).
pub use hwbench_schema::GpuAdapter as AdapterInfo;
/// The adapter limits the GPU benchmarks depend on.
pub use hwbench_schema::GpuLimits as KeyLimits;

/// The key subset of wgpu's limits.
pub fn key_limits(l: &wgpu::Limits) -> KeyLimits {
    KeyLimits {
        max_buffer_size: l.max_buffer_size,
        max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
        max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
        max_compute_workgroup_size_x: l.max_compute_workgroup_size_x,
        max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
        max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
    }
}

/// Describes adapter `index` of the enumeration.
pub fn describe(index: usize, adapter: &wgpu::Adapter) -> AdapterInfo {
    let i = adapter.get_info();
    AdapterInfo {
        index,
        name: i.name,
        vendor: i.vendor,
        vendor_name: vendor_name(i.vendor).to_string(),
        device: i.device,
        pci_bus_id: i.device_pci_bus_id,
        driver: i.driver,
        driver_info: i.driver_info,
        backend: i.backend.to_str().to_string(),
        device_type: device_type_name(i.device_type).to_string(),
        limits: key_limits(&adapter.limits()),
        features: adapter.features().iter().filter_map(|f| f.as_str()).map(str::to_string).collect(),
    }
}

/// The provenance facts every GPU record carries in `info`.
pub fn provenance(a: &AdapterInfo) -> serde_json::Value {
    serde_json::json!({
        "index": a.index,
        "name": a.name,
        "vendor": format!("0x{:04x}", a.vendor),
        "vendor_name": a.vendor_name,
        "device": format!("0x{:04x}", a.device),
        "driver": a.driver,
        "driver_info": a.driver_info,
        "backend": a.backend,
        "device_type": a.device_type,
    })
}

/// Why no adapter was found, naming the loader overrides in effect.
pub fn no_adapter_reason() -> String {
    let mut reason = format!("no GPU adapter found by wgpu (backends tried: {})", backends_tried());
    for var in ["VK_DRIVER_FILES", "VK_ICD_FILENAMES", "WGPU_BACKEND"] {
        if let Ok(value) = std::env::var(var) {
            reason.push_str(&format!("; {var}={value}"));
        }
    }
    reason
}

fn backends_tried() -> String {
    let backends =
        wgpu::Instance::enabled_backend_features() & wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
    backends.iter().map(backend_name).collect::<Vec<_>>().join(", ")
}

fn backend_name(b: wgpu::Backends) -> &'static str {
    match b {
        wgpu::Backends::VULKAN => "vulkan",
        wgpu::Backends::METAL => "metal",
        wgpu::Backends::DX12 => "dx12",
        wgpu::Backends::GL => "gl",
        _ => "other",
    }
}

/// The adapters a run measures when none is named: every one that is not a
/// software device, or the software ones when nothing else exists. The same
/// device seen through two backends is taken once (the first listed).
pub fn default_selection(all: &[AdapterInfo]) -> Vec<usize> {
    let hardware: Vec<&AdapterInfo> = all.iter().filter(|a| !a.is_software()).collect();
    let pool: Vec<&AdapterInfo> = if hardware.is_empty() { all.iter().collect() } else { hardware };
    let mut seen: Vec<(&str, u32, u32)> = Vec::new();
    let mut chosen = Vec::new();
    for a in pool {
        let key = (a.name.as_str(), a.vendor, a.device);
        if !seen.contains(&key) {
            seen.push(key);
            chosen.push(a.index);
        }
    }
    chosen
}

/// Resolves `--set adapter=INDEX|NAME` (a name matches case-insensitively
/// as a substring) to one adapter index.
pub fn resolve(all: &[AdapterInfo], wanted: &str) -> Result<usize, String> {
    let listing = || all.iter().map(|a| format!("{}: {}", a.index, a.name)).collect::<Vec<_>>().join(", ");
    if let Ok(index) = wanted.parse::<usize>() {
        return if index < all.len() {
            Ok(index)
        } else {
            Err(format!("no adapter {index} (adapters: {})", listing()))
        };
    }
    let needle = wanted.to_lowercase();
    let matches: Vec<&AdapterInfo> = all.iter().filter(|a| a.name.to_lowercase().contains(&needle)).collect();
    match matches.as_slice() {
        [one] => Ok(one.index),
        [] => Err(format!("no adapter named '{wanted}' (adapters: {})", listing())),
        _ => Err(format!("'{wanted}' matches several adapters; give an index ({})", listing())),
    }
}

fn device_type_name(t: wgpu::DeviceType) -> &'static str {
    match t {
        wgpu::DeviceType::DiscreteGpu => "discrete_gpu",
        wgpu::DeviceType::IntegratedGpu => "integrated_gpu",
        wgpu::DeviceType::VirtualGpu => "virtual_gpu",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    }
}

/// Known vendor ids: PCI vendor ids, and Khronos ids for vendors without one.
fn vendor_name(id: u32) -> &'static str {
    match id {
        0x10de => "NVIDIA",
        0x1002 | 0x1022 => "AMD",
        0x8086 => "Intel",
        0x106b => "Apple",
        0x13b5 => "ARM",
        0x5143 => "Qualcomm",
        0x1414 => "Microsoft",
        0x10005 => "Mesa",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(index: usize, name: &str, device_type: &str) -> AdapterInfo {
        AdapterInfo {
            index,
            name: name.into(),
            vendor: 0x10de,
            vendor_name: "NVIDIA".into(),
            device: 0x2330,
            pci_bus_id: String::new(),
            driver: String::new(),
            driver_info: String::new(),
            backend: "vulkan".into(),
            device_type: device_type.into(),
            limits: key_limits(&wgpu::Limits::default()),
            features: vec![],
        }
    }

    #[test]
    fn the_default_skips_software_devices_unless_alone_and_duplicates() {
        let soft = info(0, "llvmpipe (LLVM 15.0.6, 256 bits)", "cpu");
        let gpu = info(1, "NVIDIA H100", "discrete_gpu");
        let twin = AdapterInfo { index: 2, backend: "dx12".into(), ..gpu.clone() };
        assert_eq!(default_selection(&[soft.clone(), gpu.clone(), twin]), vec![1]);
        assert_eq!(default_selection(&[soft]), vec![0]);
        assert!(default_selection(&[]).is_empty());
    }

    #[test]
    fn adapters_resolve_by_index_or_name() {
        let all = [
            info(0, "llvmpipe", "cpu"),
            info(1, "NVIDIA H100 80GB HBM3", "discrete_gpu"),
            info(2, "NVIDIA A100", "discrete_gpu"),
        ];
        assert_eq!(resolve(&all, "1"), Ok(1));
        assert_eq!(resolve(&all, "h100"), Ok(1));
        assert!(resolve(&all, "3").unwrap_err().contains("no adapter 3"));
        assert!(resolve(&all, "nvidia").unwrap_err().contains("several"));
        assert!(resolve(&all, "radeon").unwrap_err().contains("0: llvmpipe"));
    }
}
