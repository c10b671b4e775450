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

use hwbench_probes::SysRoot;

use crate::cli::{Cli, Command, GlobalArgs};

/// Runs the chosen command.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
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

/// The sysfs root chosen on the command line or in the environment.
pub fn sysroot(global: &GlobalArgs) -> SysRoot {
    global.sysfs_root.as_ref().map(SysRoot::new).unwrap_or_default()
}
