//! Work on threads pinned to one CPU each, so a benchmark never moves the
//! caller's own thread.

use crate::error::BenchError;

/// Pins the calling thread to `cpu`.
pub fn pin(cpu: u32) -> Result<(), BenchError> {
    hwbench_probes::binding::pin_current_thread(&[cpu]).map_err(|e| BenchError::Failed(e.to_string()))
}

/// Runs `work` on a new thread pinned to `cpu` and returns its result. A
/// panic in `work` is a bug and propagates.
pub fn run_on<T: Send>(cpu: u32, work: impl FnOnce() -> Result<T, BenchError> + Send) -> Result<T, BenchError> {
    std::thread::scope(|s| {
        s.spawn(|| {
            pin(cpu)?;
            work()
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_runs_on_the_cpu_asked_for() {
        for cpu in hwbench_probes::binding::allowed_cpus() {
            assert_eq!(run_on(cpu, || Ok(hwbench_probes::binding::current_cpu())).unwrap(), Some(cpu));
        }
    }
}
