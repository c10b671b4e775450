//! One module per command; each turns its arguments into library calls.

pub mod check;
pub mod compare;
pub mod export;
pub mod fleet;
pub mod list;
pub mod report;
pub mod run;
pub mod sensors;
pub mod topology;

use std::process::ExitCode;

use anyhow::Context as _;
use hwbench_probes::SysRoot;

use crate::cli::{Cli, Command, GlobalArgs};

/// Runs the chosen command.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    if matches!(cli.command, Command::Topology(_) | Command::Sensors(_) | Command::Run(_) | Command::Check(_)) {
        check_root(global)?;
    }
    match cli.command {
        Command::Topology(args) => topology::run(&args, global),
        Command::Sensors(args) => sensors::run(&args, global),
        Command::List => list::run(),
        Command::Run(args) => run::run(&args, global),
        Command::Report(args) => report::run(&args, global),
        Command::Compare(args) => compare::run(&args, global),
        Command::Check(args) => check::run(&args, global),
        Command::Fleet(args) => fleet::run(&args, global),
        Command::Export(args) => export::run(&args, global),
    }
}

/// Refuses a `--sysfs-root` (or HWBENCH_SYSFS_ROOT) that describes no
/// machine, before anything reads it: bad input, never the live machine.
fn check_root(global: &GlobalArgs) -> anyhow::Result<()> {
    let root = sysroot(global);
    let flag = if std::env::var_os("HWBENCH_SYSFS_ROOT").is_some_and(|v| v == root.root().as_os_str()) {
        "HWBENCH_SYSFS_ROOT"
    } else {
        "--sysfs-root"
    };
    root.check().map_err(anyhow::Error::from).context(flag)
}

/// The sysfs root chosen on the command line or in the environment.
pub fn sysroot(global: &GlobalArgs) -> SysRoot {
    global.sysfs_root.as_ref().map(SysRoot::new).unwrap_or_default()
}
