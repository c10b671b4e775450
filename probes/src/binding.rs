//! Pinning the calling thread to CPUs through hwloc.

use hwlocality::cpu::binding::CpuBindingFlags;
use hwlocality::cpu::cpuset::CpuSet;

use crate::ProbeError;

/// Pins the calling thread to the given PUs (OS indices).
pub fn pin_current_thread(cpus: &[u32]) -> Result<(), ProbeError> {
    let topology = crate::topology::live_hwloc()?;
    let mut set = CpuSet::new();
    for &cpu in cpus {
        set.set(cpu as usize);
    }
    topology
        .bind_cpu(&set, CpuBindingFlags::THREAD | CpuBindingFlags::STRICT)
        .map_err(|e| ProbeError::Binding(format!("cannot pin thread to CPUs {cpus:?}: {e}")))
}

/// PUs the process may run on (its affinity mask), as OS indices.
pub fn allowed_cpus() -> Vec<u32> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize).filter(|&i| libc::CPU_ISSET(i, &set)).map(|i| i as u32).collect()
    }
}

/// The PU the calling thread runs on now.
pub fn current_cpu() -> Option<u32> {
    // SAFETY: sched_getcpu has no preconditions.
    let cpu = unsafe { libc::sched_getcpu() };
    u32::try_from(cpu).ok()
}
