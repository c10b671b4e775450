//! The session's measurement window with energy instruments: a sampling
//! phase shorter than 100 ms runs on until energy can be measured over it,
//! and the work of every run in the window is counted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hwbench_probes::energy::{instruments, powercap, Instruments, Work};
use hwbench_probes::SysRoot;
use hwbench_schema::Topology;
use hwbench_suites::gpu::Gpus;
use hwbench_suites::harness::{SamplerConfig, Workload};
use hwbench_suites::{BenchError, Host, Session};

/// Spins 200 us per iteration, each iteration 1000 accesses of work; each
/// run also adds 1 mJ to a RAPL package counter, so the window's energy
/// counts its runs.
struct Spin {
    energy_uj: PathBuf,
    counter: u64,
}

impl Workload for Spin {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_micros(200) * iterations as u32 {
            std::hint::black_box(0);
        }
        self.counter += 1000;
        let aside = self.energy_uj.with_extension("new");
        std::fs::write(&aside, self.counter.to_string()).unwrap();
        std::fs::rename(&aside, &self.energy_uj).unwrap();
        Ok(start.elapsed())
    }

    fn work_per_iteration(&self) -> Option<Work> {
        Some(Work { amount: 1000.0, unit: "access" })
    }
}

#[test]
fn a_short_sampling_phase_runs_on_to_the_meters_minimum_and_counts_all_its_work() {
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hwbench-energy-window");
    let _ = std::fs::remove_dir_all(&root);
    let zone = root.join("sys/class/powercap/intel-rapl:0");
    std::fs::create_dir_all(&zone).unwrap();
    std::fs::write(zone.join("name"), "package-0\n").unwrap();
    std::fs::write(zone.join("energy_uj"), "0\n").unwrap();
    let source = powercap::discover(&SysRoot::new(&root)).expect("the fixture zone is a meter");
    let host = Host::new(SysRoot::new(&root), Topology::default());
    let mut session = Session::new(host, Instruments::new(vec![source]), Gpus::new());

    // 5 samples of about 2 ms: a 10 ms phase without instruments.
    session.sampler = SamplerConfig { target: Duration::from_millis(2), samples: 5, min_ticks: 20 };
    let mut spin = Spin { energy_uj: zone.join("energy_uj"), counter: 0 };
    let set = session.sample(&mut spin).unwrap();
    assert_eq!(set.seconds.len(), 4, "only the sampled runs are kept");
    assert!(set.window >= instruments::MIN_WINDOW, "window {:?}", set.window);

    let attached = session.take_windows().tally.attach(None);
    let energy = attached.energy.unwrap();
    assert!(energy.window_s >= 0.1, "{}", energy.window_s);
    assert_eq!(energy.summed, ["package-0"]);
    // 1 mJ per run over 1000 x iterations accesses per run: the runs
    // cancel out only if every run of the window was counted as work.
    let per_op = attached.metrics.iter().find(|m| m.name == "energy_per_op").unwrap();
    assert_eq!(per_op.unit, "nJ/access");
    let expected = 1e-3 / (1000.0 * set.iterations as f64) * 1e9;
    assert!((per_op.value - expected).abs() <= expected * 1e-9, "{} vs {expected}", per_op.value);
    let runs_in_window = energy.domains[0].joules / 1e-3;
    assert!(runs_in_window > 5.0, "{runs_in_window} runs: the phase did not run on");
    assert!(attached.counters.unwrap().window_s >= 0.1);
    std::fs::remove_dir_all(root).unwrap();
}
