//! Bad params stop the run at planning with one line naming what is wrong.

use hwbench_suites::memory::bandwidth::kernels::{Isa, ISA_CHOICES};
use hwbench_suites::BenchError;

use crate::common::{cpus, host, plan};

fn refused(sets: &[&str]) -> String {
    match plan(&host(), sets) {
        Err(BenchError::BadInput(msg)) => {
            assert!(!msg.contains('\n'), "one line: {msg}");
            msg
        }
        Err(other) => panic!("{sets:?}: not bad input: {other}"),
        Ok(_) => panic!("{sets:?} was accepted"),
    }
}

#[test]
fn each_bad_param_is_named_in_one_line() {
    let too_many = format!("threads={}", cpus().len() + 1);
    let cases: [(&[&str], &str); 7] = [
        (&["threads=0"], "memory.bandwidth: threads: 0 threads"),
        (&[&too_many], "oversubscribe=yes"),
        (&["bytes=32"], "memory.bandwidth: bytes: 32 bytes is smaller than a cache line"),
        (&["node=99"], "memory.bandwidth: node: node 99 does not exist"),
        (&["cpu_node=99"], "memory.bandwidth: cpu_node: node 99 does not exist"),
        (&["kernel=dot"], "memory.bandwidth: kernel: 'dot' is not one of all, stream, copy"),
        (&["bytes=1PB"], "memory.bandwidth: needs"),
    ];
    for (sets, want) in cases {
        let msg = refused(sets);
        assert!(msg.contains(want), "{sets:?}: {msg}");
    }
}

#[test]
fn good_params_plan_one_point_per_kernel_and_thread_count() {
    let planned = plan(&host(), &["kernel=all", "bytes=1MiB"]).unwrap();
    assert_eq!(planned[0].points.len(), 8);
    let planned =
        plan(&host(), &[&format!("threads={}", cpus().len() + 1), "oversubscribe=yes", "bytes=1MiB"]).unwrap();
    assert_eq!(planned[0].points.len(), 8);
}

#[test]
fn an_instruction_set_this_cpu_lacks_is_refused() {
    let here: Vec<&str> = Isa::available().iter().map(|i| i.name()).collect();
    for name in ISA_CHOICES.iter().filter(|n| **n != "auto" && !here.contains(n)) {
        let msg = refused(&[&format!("isa={name}")]);
        assert!(msg.starts_with(&format!("memory.bandwidth: isa: '{name}' does not run on this CPU")), "{msg}");
    }
    assert!(plan(&host(), &["isa=portable", "bytes=1MiB"]).is_ok());
}
