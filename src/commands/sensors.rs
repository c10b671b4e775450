//! `hwbench sensors`: which energy meters and counters work here, and why
//! the others do not (with the fix).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use hwbench_probes::energy::{self, DiscoverOptions, Instruments};
use hwbench_probes::SysRoot;
use hwbench_schema::SensorStatus;

use crate::cli::GlobalArgs;

/// Arguments of `hwbench sensors`.
#[derive(Debug, Args)]
pub struct SensorsArgs {
    /// Print the sources as JSON: {"<source>": {"available", "detail"}}.
    #[arg(long)]
    pub json: bool,
    /// Also try whole-node power through `ipmitool dcmi power reading`.
    #[arg(long)]
    pub ipmi: bool,
}

/// Discovers every source and prints its status.
pub fn run(args: &SensorsArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let root = super::sysroot(global);
    let status = energy::discover(&root, DiscoverOptions { ipmi: args.ipmi }).report();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        let width = status.keys().map(String::len).max().unwrap_or(0);
        for (name, s) in &status {
            let state = if s.available { "available" } else { "unavailable" };
            println!("{name:<width$}  {state:<11}  {}", s.detail);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The energy options of commands that measure (`run`, `check`).
#[derive(Debug, Args)]
pub struct EnergyArgs {
    /// Seconds of idle power measured before the benchmarks, for the
    /// `_net` energy figures (0: none); only taken when a meter exists.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS", value_parser = idle_seconds)]
    pub idle_seconds: f64,
    /// Also read whole-node power through `ipmitool dcmi power reading`.
    #[arg(long)]
    pub ipmi: bool,
}

fn idle_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=600.0).contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds from 0 to 600")),
    }
}

/// Discovers the meters and counters, measures idle power, and installs
/// them around every measurement window of the run. Returns each source's
/// status (the document's `sensors`); idle read errors become warnings.
pub fn install_instruments(
    root: &SysRoot,
    args: &EnergyArgs,
    quiet: bool,
    warnings: &mut Vec<String>,
) -> BTreeMap<String, SensorStatus> {
    let sensors = energy::discover(root, DiscoverOptions { ipmi: args.ipmi });
    let status = sensors.report();
    let mut instruments = Instruments::new(sensors.sources);
    if instruments.has_meters() && args.idle_seconds > 0.0 {
        if !quiet {
            eprintln!("hwbench: measuring idle power for {} s", args.idle_seconds);
        }
        if let Some(idle) = instruments.measure_idle(Duration::from_secs_f64(args.idle_seconds)) {
            warnings.extend(idle.errors.iter().map(|e| format!("idle power: {e}")));
        }
    }
    energy::instruments::install(instruments);
    status
}
