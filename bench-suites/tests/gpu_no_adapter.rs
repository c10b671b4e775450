//! With no Vulkan driver (VK_DRIVER_FILES pointing at nothing) the gpu
//! suite plans and every record is skipped with the reason. Alone in its
//! test binary: the variable must be set before wgpu first looks.

use hwbench_probes::SysRoot;
use hwbench_schema::{RecordStatus, Topology};
use hwbench_suites::gpu::Gpus;
use hwbench_suites::runner::{self, Schedule};
use hwbench_suites::{run, suites, Host, Session};

#[test]
fn no_driver_gives_skipped_records_with_the_reason() {
    std::env::set_var("VK_DRIVER_FILES", "/nonexistent");
    let mut gpus = Gpus::new();
    assert!(gpus.describe().is_empty());
    let mut host = Host::new(SysRoot::default(), Topology::default());
    run::describe_gpus(&mut host.topology, &mut gpus, &SysRoot::default(), true);
    let suite = suites::load("gpu").unwrap();
    let planned = runner::plan(runner::select(&[], Some(&suite), &[]).unwrap(), &host).unwrap();
    let mut session = Session::new(host, hwbench_probes::energy::Instruments::new(Vec::new()), gpus);
    let records = runner::execute(planned, &mut session, Schedule::ONCE, &mut |_| {}).records;
    let ids: std::collections::BTreeSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["gpu.compute", "gpu.dispatch", "gpu.memory", "gpu.transfer"]);
    for r in &records {
        assert_eq!(r.status, RecordStatus::Skipped, "{}", r.id);
        let reason = r.reason.as_deref().unwrap();
        assert!(
            reason.starts_with("no GPU adapter found by wgpu") && reason.contains("VK_DRIVER_FILES=/nonexistent"),
            "{reason}"
        );
        assert!(!r.params.contains_key("adapter") && r.metrics.is_empty());
    }
}
