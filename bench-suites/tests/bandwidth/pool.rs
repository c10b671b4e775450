//! The pinned pool: workers run where they were pinned, start together,
//! and a round lasts from the first start to the last finish.

use std::time::Duration;

use hwbench_suites::memory::bandwidth::threads::Pool;
use hwbench_suites::BenchError;

use crate::common::cpus;

#[test]
fn each_worker_runs_on_its_cpu_and_results_keep_worker_order() {
    let cpus = cpus();
    let pool =
        Pool::start(&cpus, |worker, job: u64| (worker as u64 * 100 + job, hwbench_probes::binding::current_cpu()))
            .unwrap();
    assert_eq!(pool.len(), cpus.len());
    for job in 0..3 {
        let round = pool.run(job).unwrap();
        let got: Vec<(u64, Option<u32>)> = round.results;
        let want: Vec<(u64, Option<u32>)> =
            cpus.iter().enumerate().map(|(w, &c)| (w as u64 * 100 + job, Some(c))).collect();
        assert_eq!(got, want);
    }
}

#[test]
fn a_round_spans_from_the_first_start_to_the_last_finish() {
    let cpus = cpus();
    let n = cpus.len() as u64;
    // Worker w sleeps (w+1) * 20 ms: the round lasts as long as the slowest.
    let pool =
        Pool::start(&cpus, |worker, ms: u64| std::thread::sleep(Duration::from_millis(ms * (worker as u64 + 1))))
            .unwrap();
    let called = std::time::Instant::now();
    let round = pool.run(20).unwrap();
    let around = called.elapsed();
    // At least the slowest worker's sleep; never more than the call took.
    assert!(round.span >= Duration::from_millis(20 * n), "{:?}", round.span);
    assert!(round.span <= around, "{:?} > {around:?}", round.span);
}

#[test]
fn more_workers_than_cpus_share_them() {
    let cpu = cpus()[0];
    let pool = Pool::start(&[cpu, cpu, cpu], |_, ()| hwbench_probes::binding::current_cpu()).unwrap();
    assert_eq!(pool.run(()).unwrap().results, [Some(cpu); 3]);
}

#[test]
fn a_cpu_that_cannot_be_used_fails_to_start_without_hanging() {
    let Err(err) = Pool::start(&[cpus()[0], 100_000], |_, ()| ()) else { panic!("pinned to CPU 100000") };
    assert!(matches!(err, BenchError::Failed(_)), "{err}");
    assert!(err.to_string().contains("100000"), "{err}");
}

#[test]
fn a_panicking_worker_fails_the_round_and_the_pool_still_shuts_down() {
    let pool = Pool::start(&cpus()[..1], |_, boom: bool| assert!(!boom, "worker asked to panic")).unwrap();
    assert!(pool.run(false).is_ok());
    let err = pool.run(true).unwrap_err();
    assert!(err.to_string().contains("panicked"), "{err}");
    assert!(pool.run(false).is_ok());
}
