//! Exit codes (README, "Exit codes") and which one an error gets.

use hwbench_probes::{ProbeError, RootError, SysfsError};
use hwbench_reports::ReportError;
use hwbench_schema::{LoadError, WriteError};
use hwbench_suites::BenchError;

/// A regression was found (compare, check).
pub const REGRESSION: u8 = 1;
/// Bad input or usage: the command line, a named file, a fixture root.
pub const BAD_INPUT: u8 = 2;
/// The environment failed: a file that cannot be written (disk full), hwloc
/// failing, system files the run needs that cannot be read.
pub const ENVIRONMENT: u8 = 3;
/// Interrupted; the partial result was saved.
pub const INTERRUPTED: u8 = 130;

/// The exit of a gate (compare, check): 1 when it fails, else 0.
pub fn gate(fails: bool) -> std::process::ExitCode {
    if fails {
        std::process::ExitCode::from(REGRESSION)
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// The exit code of a failed command: decided by the outermost error of
/// the chain whose type says whose fault it is; bad input when none does.
pub fn code_of(e: &anyhow::Error) -> u8 {
    e.chain().find_map(code_of_cause).unwrap_or(BAD_INPUT)
}

fn code_of_cause(cause: &(dyn std::error::Error + 'static)) -> Option<u8> {
    if cause.is::<WriteError>() || cause.is::<SysfsError>() || cause.is::<std::io::Error>() {
        return Some(ENVIRONMENT);
    }
    if cause.is::<LoadError>() || cause.is::<RootError>() {
        return Some(BAD_INPUT);
    }
    if let Some(e) = cause.downcast_ref::<ProbeError>() {
        return Some(match e {
            ProbeError::Hwloc(_) | ProbeError::Sysfs(_) | ProbeError::Binding(_) => ENVIRONMENT,
            ProbeError::Root(_) => BAD_INPUT,
        });
    }
    if let Some(e) = cause.downcast_ref::<BenchError>() {
        return Some(match e {
            BenchError::Environment(_) => ENVIRONMENT,
            _ => BAD_INPUT,
        });
    }
    cause.downcast_ref::<ReportError>().map(|e| match e {
        ReportError::Write { .. } => ENVIRONMENT,
        _ => BAD_INPUT,
    })
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::path::PathBuf;

    use anyhow::Context as _;

    use super::*;

    /// ENOSPC, as a full disk gives.
    fn io_error() -> io::Error {
        io::Error::from_raw_os_error(28)
    }

    #[test]
    fn io_and_environment_failures_are_3_bad_input_is_2() {
        let write = WriteError { path: PathBuf::from("/full/r.json"), source: io_error() };
        assert_eq!(code_of(&anyhow::Error::from(write)), ENVIRONMENT);
        assert_eq!(code_of(&anyhow::Error::from(ProbeError::Hwloc("no topology".into()))), ENVIRONMENT);
        let unreadable = BenchError::Environment("reading the topology: hwloc failed".into());
        assert_eq!(code_of(&anyhow::Error::from(unreadable)), ENVIRONMENT);
        assert_eq!(code_of(&anyhow::Error::from(BenchError::BadInput("--set".into()))), BAD_INPUT);
        let report = ReportError::Write { path: PathBuf::from("out/index.html"), source: io_error() };
        assert_eq!(code_of(&anyhow::Error::from(report)), ENVIRONMENT);
        assert_eq!(code_of(&anyhow::Error::from(ReportError::OutputNotReport("out".into()))), BAD_INPUT);
        assert_eq!(code_of(&anyhow::Error::from(RootError::Missing("/tmp/none".into()))), BAD_INPUT);
        assert_eq!(code_of(&anyhow::anyhow!("unknown benchmark 'x'")), BAD_INPUT);
        // Context strings around a typed error do not hide it.
        let wrapped = Err::<(), _>(io_error()).context("--out /dev/full: cannot create directory").unwrap_err();
        assert_eq!(code_of(&wrapped), ENVIRONMENT);
    }

    /// A named input that cannot be read is the user's to fix, even though
    /// an io::Error lies under it.
    #[test]
    fn the_outermost_typed_error_decides() {
        let load = LoadError::Io { path: PathBuf::from("missing.json"), source: io::ErrorKind::NotFound.into() };
        assert_eq!(code_of(&anyhow::Error::from(load)), BAD_INPUT);
        let report = ReportError::Load(LoadError::Io { path: "x.json".into(), source: io_error() });
        assert_eq!(code_of(&anyhow::Error::from(report)), BAD_INPUT);
    }
}
