//! Writing a directory of files all at once: they go into a temporary
//! sibling directory that is renamed into place at the end, so a failure
//! never leaves a partial directory behind, and readers see the old one or
//! the new one.

use std::path::{Path, PathBuf};

use crate::ReportError;

/// The directory being filled: files put here appear under `out` together.
pub struct Stage {
    dir: PathBuf,
}

impl Stage {
    /// Writes one file, `relative` to the directory, making its parents.
    pub fn put(&self, relative: impl AsRef<Path>, bytes: &[u8]) -> Result<(), ReportError> {
        let path = self.dir.join(relative);
        let err = |source| ReportError::Write { path: path.clone(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        std::fs::write(&path, bytes).map_err(err)
    }

    /// Makes an (empty) directory `relative` to the directory.
    pub fn dir(&self, relative: impl AsRef<Path>) -> Result<(), ReportError> {
        let path = self.dir.join(relative);
        std::fs::create_dir_all(&path).map_err(|source| ReportError::Write { path, source })
    }
}

/// Makes the directory `out` from the files `fill` puts, one at a time (so
/// that only one is in memory at once). An existing `out` is replaced only
/// when `replaceable` says it may be (an earlier report of the same kind),
/// else refused before anything is written.
pub fn write_dir(
    out: &Path,
    replaceable: impl Fn(&Path) -> bool,
    fill: impl FnOnce(&Stage) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    if out.exists() && !replaceable(out) {
        return Err(ReportError::OutputNotReport(out.to_path_buf()));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Write { path, source }
    };
    std::fs::create_dir_all(&parent).map_err(write_err(&parent))?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let staging = Staging(parent.join(format!(".{name}.tmp-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&staging.0);
    std::fs::create_dir_all(&staging.0).map_err(write_err(&staging.0))?;
    fill(&Stage { dir: staging.0.clone() })?;
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let moved_old = out.exists();
    if moved_old {
        std::fs::rename(out, &old).map_err(write_err(out))?;
    }
    if let Err(source) = std::fs::rename(&staging.0, out) {
        if moved_old {
            let _ = std::fs::rename(&old, out);
        }
        return Err(ReportError::Write { path: out.to_path_buf(), source });
    }
    if moved_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

/// The staging directory; removed unless it was renamed into place.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_all_replaces_only_what_it_may_and_leaves_no_staging() {
        let dir = std::env::temp_dir().join(format!("hwbench-staged-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = dir.join("out");
        let two = |stage: &Stage| {
            stage.put("a.txt", b"a")?;
            stage.put("sub/b.txt", b"b")
        };
        write_dir(&out, |_| false, two).unwrap();
        assert_eq!(std::fs::read(out.join("sub/b.txt")).unwrap(), b"b");
        let one = |stage: &Stage| stage.put("c.txt", b"c");
        assert!(matches!(write_dir(&out, |_| false, one), Err(ReportError::OutputNotReport(_))));
        let failing = |stage: &Stage| {
            stage.put("d.txt", b"d")?;
            Err(ReportError::NoRuns)
        };
        assert!(matches!(write_dir(&out, |_| true, failing), Err(ReportError::NoRuns)));
        assert!(out.join("a.txt").exists() && !out.join("d.txt").exists(), "a failure keeps the old directory");
        write_dir(&out, |_| true, one).unwrap();
        assert!(!out.join("a.txt").exists() && out.join("c.txt").exists());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["out"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
