//! Memory-side traffic counters, so a benchmark's own count of the bytes
//! it moved can stand beside what the memory saw: the uncore memory
//! controllers (`uncore_imc_N`: `cas_count_read`, `cas_count_write`, one
//! 64-byte line per count, the scale sysfs gives) and CXL memory devices'
//! performance monitoring units (`cxl_pmu_memX.Y`: `s2m_drs_memdata`, the
//! device's data responses to reads, and `m2s_rwd_memwr`, the host's writes
//! with data; 64 bytes each). They count every process on the socket or
//! device, system-wide, opened on one CPU of the PMU's cpumask, which needs
//! perf_event_paranoid <= 0 or CAP_PERFMON. Where none exists (virtual
//! machines, most desktops) the reason is given instead of a figure.

use perf_event::events::Dynamic;
use perf_event::{Builder, Counter};

use crate::sysroot::SysRoot;

/// Where the kernel lists performance monitoring units.
pub const PMU_DIR: &str = "/sys/bus/event_source/devices";
/// Bytes one CXL memory data message carries (a cache line).
const CXL_MESSAGE_BYTES: f64 = 64.0;

/// Which way the counted bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Memory to the CPU.
    Read,
    /// CPU to memory.
    Write,
}

/// The events looked for: PMU name prefix, event, direction.
const EVENTS: &[(&str, &str, Direction)] = &[
    ("uncore_imc", "cas_count_read", Direction::Read),
    ("uncore_imc", "cas_count_write", Direction::Write),
    ("cxl_pmu", "s2m_drs_memdata", Direction::Read),
    ("cxl_pmu", "m2s_rwd_memwr", Direction::Write),
];

/// One counter to open: an event of a PMU, on a CPU.
#[derive(Debug, Clone, PartialEq)]
pub struct UncoreEvent {
    /// The PMU's directory name (uncore_imc_0, cxl_pmu_mem0.0).
    pub pmu: String,
    /// The event's name in the PMU's events/.
    pub event: &'static str,
    /// Reads or writes.
    pub direction: Direction,
    /// Bytes per count: the event's scale and unit from sysfs, or a cache
    /// line for CXL data messages.
    pub bytes_per_count: f64,
    /// The CPU the counter is opened on (first of the PMU's cpumask).
    pub cpu: u32,
}

/// Bytes per count from an event's `.scale` and `.unit` files.
fn bytes_per_count(root: &SysRoot, pmu: &str, event: &str) -> Option<f64> {
    let base = format!("{PMU_DIR}/{pmu}/events/{event}");
    let scale: f64 = root.parse(&format!("{base}.scale")).ok()?;
    let unit = root.read(&format!("{base}.unit")).unwrap_or_default();
    let factor = match unit.as_str() {
        "MiB" => (1u64 << 20) as f64,
        "MB" => 1e6,
        "KiB" => 1024.0,
        "" | "B" | "bytes" => 1.0,
        _ => return None,
    };
    Some(scale * factor)
}

/// The memory-side counters this machine has, or why there are none.
pub fn discover(root: &SysRoot) -> Result<Vec<UncoreEvent>, String> {
    let devices = root.list_dir(PMU_DIR);
    let mut found = Vec::new();
    for pmu in &devices {
        for &(prefix, event, direction) in EVENTS {
            if !pmu.starts_with(prefix) || !root.exists(&format!("{PMU_DIR}/{pmu}/events/{event}")) {
                continue;
            }
            let bytes = match bytes_per_count(root, pmu, event) {
                Some(b) => b,
                None if prefix == "cxl_pmu" => CXL_MESSAGE_BYTES,
                None => continue,
            };
            let cpu = root.read_list(&format!("{PMU_DIR}/{pmu}/cpumask")).ok().and_then(|c| c.first().copied());
            found.push(UncoreEvent {
                pmu: pmu.clone(),
                event,
                direction,
                bytes_per_count: bytes,
                cpu: cpu.unwrap_or(0),
            });
        }
    }
    if found.is_empty() {
        let shown = if devices.is_empty() { "none".to_string() } else { devices.join(", ") };
        return Err(format!(
            "no memory-controller (uncore_imc_*: cas_count_read/write) or CXL (cxl_pmu_*) counters under {PMU_DIR} (PMUs here: {shown})"
        ));
    }
    Ok(found)
}

/// The counter of one event, configured from its sysfs description.
fn builder(root: &SysRoot, e: &UncoreEvent) -> std::io::Result<Dynamic> {
    let mut b = Dynamic::builder(root.path(&format!("{PMU_DIR}/{}", e.pmu)))?;
    b.event(e.event)?;
    b.build().map_err(|err| std::io::Error::other(err.to_string()))
}

/// Bytes the memory-side counters saw over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UncoreBytes {
    /// Bytes read from memory.
    pub read: f64,
    /// Bytes written to memory.
    pub write: f64,
    /// The window, seconds.
    pub seconds: f64,
}

impl UncoreBytes {
    /// Reads and writes together per second, GB/s (1e9 B/s).
    pub fn gbs(&self) -> f64 {
        (self.read + self.write) / self.seconds.max(1e-9) / 1e9
    }
}

/// Memory-side counters running over a window.
pub struct UncoreWindow {
    counters: Vec<(UncoreEvent, Counter)>,
    started: std::time::Instant,
}

impl UncoreWindow {
    /// Opens and starts every counter of `events`, system-wide. Under a
    /// fixture root nothing is opened.
    pub fn start(root: &SysRoot, events: &[UncoreEvent]) -> Result<UncoreWindow, String> {
        if !root.is_live() {
            return Err("counters are not opened under a fixture sysfs root".into());
        }
        let mut counters = Vec::with_capacity(events.len());
        for e in events {
            let dynamic = builder(root, e).map_err(|err| format!("{}/{}: {err}", e.pmu, e.event))?;
            let mut counter = Builder::new(dynamic).one_cpu(e.cpu as usize).any_pid().build().map_err(|err| {
                format!("{}/{} on CPU {}: {err} (needs perf_event_paranoid <= 0 or CAP_PERFMON)", e.pmu, e.event, e.cpu)
            })?;
            counter.enable().map_err(|err| format!("{}/{}: enable: {err}", e.pmu, e.event))?;
            counters.push((e.clone(), counter));
        }
        Ok(UncoreWindow { counters, started: std::time::Instant::now() })
    }

    /// Stops the counters and adds up the bytes they saw.
    pub fn stop(mut self) -> Result<UncoreBytes, String> {
        let mut bytes = UncoreBytes { seconds: self.started.elapsed().as_secs_f64(), ..UncoreBytes::default() };
        for (e, counter) in &mut self.counters {
            counter.disable().map_err(|err| format!("{}/{}: {err}", e.pmu, e.event))?;
            let count = counter.read().map_err(|err| format!("{}/{}: read: {err}", e.pmu, e.event))?;
            let b = count as f64 * e.bytes_per_count;
            match e.direction {
                Direction::Read => bytes.read += b,
                Direction::Write => bytes.write += b,
            }
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture() -> SysRoot {
        SysRoot::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs/two-socket-cxl"))
    }

    #[test]
    fn fixture_memory_controllers_and_cxl_device_are_found_with_their_byte_scale() {
        let events = discover(&fixture()).unwrap();
        let names: Vec<(&str, &str)> = events.iter().map(|e| (e.pmu.as_str(), e.event)).collect();
        assert_eq!(
            names,
            [
                ("cxl_pmu_mem0.0", "s2m_drs_memdata"),
                ("cxl_pmu_mem0.0", "m2s_rwd_memwr"),
                ("uncore_imc_0", "cas_count_read"),
                ("uncore_imc_0", "cas_count_write"),
            ]
        );
        // 6.103515625e-5 MiB per count is one 64-byte line.
        assert!(events.iter().all(|e| e.bytes_per_count == 64.0), "{events:?}");
        assert_eq!(events[2].cpu, 0);
        assert_eq!(events[0].direction, Direction::Read);
        // The sysfs description configures a counter (nothing opened).
        for e in &events {
            builder(&fixture(), e).unwrap();
        }
        assert!(UncoreWindow::start(&fixture(), &events).err().unwrap().contains("fixture"));
    }

    #[test]
    fn without_such_pmus_the_reason_lists_what_there_is() {
        let why =
            discover(&SysRoot::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs/hbm-cxl")))
                .unwrap_err();
        assert!(why.starts_with("no memory-controller (uncore_imc_*"), "{why}");
        assert!(why.ends_with("(PMUs here: none)"), "{why}");
    }

    #[test]
    fn bytes_add_up_by_direction() {
        let b = UncoreBytes { read: 3e9, write: 1e9, seconds: 2.0 };
        assert_eq!(b.gbs(), 2.0);
    }
}
