//! A test's own directory under cargo's target/tmp (CARGO_TARGET_TMPDIR),
//! emptied before use, so test runs never pile files up in /tmp.

use std::path::{Path, PathBuf};

/// `target/tmp/hwbench-<suite>-<name>`, created empty.
pub fn dir(suite: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hwbench-{suite}-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
