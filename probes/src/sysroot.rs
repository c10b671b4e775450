//! The one root every sysfs/procfs read goes through, so tests can point
//! hwbench at a fixture tree (`--sysfs-root PATH`, `HWBENCH_SYSFS_ROOT`).
//!
//! Reads about the running process itself (`/proc/self/smaps`, page
//! placement via move_pages) are facts about this process, not about the
//! machine description, and always use the real `/proc`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use thiserror::Error;

/// A sysfs/procfs read that failed; names the full path.
#[derive(Debug, Error)]
pub enum SysfsError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// Full path of the file (root included).
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file was read but its content is not what was expected.
    #[error("{path}: cannot parse {content:?}: {why}")]
    Parse {
        /// Full path of the file (root included).
        path: PathBuf,
        /// The trimmed content.
        content: String,
        /// What was expected.
        why: String,
    },
}

impl SysfsError {
    /// True when the file does not exist (as opposed to unreadable or bad).
    pub fn is_not_found(&self) -> bool {
        matches!(self, SysfsError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// A root given for a fixture tree that does not describe a machine.
#[derive(Debug, Error)]
pub enum RootError {
    /// The directory is not there.
    #[error("{0}: no such directory")]
    Missing(PathBuf),
    /// The directory holds no `sys/devices/system`.
    #[error("{0}: holds no sys/devices/system, so it describes no machine")]
    NotASysfsTree(PathBuf),
}

/// The filesystem root that `/sys/...` and `/proc/...` paths resolve under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysRoot {
    root: PathBuf,
}

impl Default for SysRoot {
    fn default() -> Self {
        SysRoot { root: PathBuf::from("/") }
    }
}

impl SysRoot {
    /// A root at `path`; `/` is the live machine.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SysRoot { root: path.into() }
    }

    /// True when this is the live machine's root, not a fixture.
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// Checks that a fixture root describes a machine: it exists and holds
    /// `sys/devices/system`. Readers that would otherwise fall back to the
    /// live machine (hwloc) refuse a root that fails this.
    pub fn check(&self) -> Result<(), RootError> {
        if self.is_live() {
            Ok(())
        } else if !self.root.is_dir() {
            Err(RootError::Missing(self.root.clone()))
        } else if !self.path("/sys/devices/system").is_dir() {
            Err(RootError::NotASysfsTree(self.root.clone()))
        } else {
            Ok(())
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolves an absolute path like `/sys/devices/...` under the root.
    pub fn path(&self, absolute: &str) -> PathBuf {
        self.root.join(absolute.trim_start_matches('/'))
    }

    /// Reads a file and trims surrounding whitespace and NUL bytes (some
    /// kernels and firmware-backed attributes end a value with NUL).
    pub fn read(&self, absolute: &str) -> Result<String, SysfsError> {
        let path = self.path(absolute);
        std::fs::read_to_string(&path)
            .map(|s| s.trim_matches(|c: char| c.is_whitespace() || c == '\0').to_string())
            .map_err(|source| SysfsError::Io { path, source })
    }

    /// Reads a file and parses its trimmed content.
    pub fn parse<T: FromStr>(&self, absolute: &str) -> Result<T, SysfsError>
    where
        T::Err: std::fmt::Display,
    {
        let content = self.read(absolute)?;
        content.parse().map_err(|e: T::Err| SysfsError::Parse {
            path: self.path(absolute),
            content: content.clone(),
            why: e.to_string(),
        })
    }

    /// Reads a Linux list file ("0-3,8,10-11") into its members.
    pub fn read_list(&self, absolute: &str) -> Result<Vec<u32>, SysfsError> {
        let content = self.read(absolute)?;
        parse_list(&content).map_err(|why| SysfsError::Parse { path: self.path(absolute), content, why })
    }

    /// Reads a Linux CPU mask file ("00000000,0000000f": 32-bit hex words,
    /// most significant first) into its members.
    pub fn read_mask(&self, absolute: &str) -> Result<Vec<u32>, SysfsError> {
        let content = self.read(absolute)?;
        parse_mask(&content).map_err(|why| SysfsError::Parse { path: self.path(absolute), content, why })
    }

    /// Names of the entries of a directory, sorted; empty when it is absent.
    pub fn list_dir(&self, absolute: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(absolute))
            .map(|it| it.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// True when the path exists under the root.
    pub fn exists(&self, absolute: &str) -> bool {
        self.path(absolute).exists()
    }
}

/// Parses a Linux list ("0-3,8,10-11"; empty means none).
pub fn parse_list(s: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.trim().is_empty()) {
        let part = part.trim();
        let parse = |x: &str| x.trim().parse::<u32>().map_err(|e| format!("'{x}' in list: {e}"));
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse(a)?, parse(b)?);
                if a > b {
                    return Err(format!("range {a}-{b} runs backwards"));
                }
                out.extend(a..=b);
            }
            None => out.push(parse(part)?),
        }
    }
    Ok(out)
}

/// Parses a Linux bitmap mask ("ff,00000001": comma-separated 32-bit hex
/// words, most significant first; empty means none).
pub fn parse_mask(s: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    let words: Vec<&str> = s.trim().split(',').collect();
    for (from_low, word) in words.iter().rev().enumerate() {
        let word = word.trim();
        if word.is_empty() && words.len() == 1 {
            break;
        }
        let bits = u32::from_str_radix(word, 16).map_err(|e| format!("'{word}' in mask: {e}"))?;
        out.extend((0..32).filter(|b| bits & (1 << b) != 0).map(|b| from_low as u32 * 32 + b));
    }
    out.sort_unstable();
    Ok(out)
}

/// Formats members as a compact Linux list ("0-3,8").
pub fn format_list(items: &[u32]) -> String {
    let mut sorted = items.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_lists() {
        assert_eq!(parse_list("0-3,8,10-11").unwrap(), vec![0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(parse_list("").unwrap(), Vec::<u32>::new());
        assert_eq!(parse_list("5\n").unwrap(), vec![5]);
        assert!(parse_list("3-1").is_err());
        assert!(parse_list("a").is_err());
        assert_eq!(format_list(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(format_list(&[]), "");
    }

    #[test]
    fn parses_masks() {
        assert_eq!(parse_mask("0000000f").unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(parse_mask("00000001,00000000,80000000").unwrap(), vec![31, 64]);
        assert_eq!(parse_mask("c").unwrap(), vec![2, 3]);
        assert_eq!(parse_mask("00000000").unwrap(), Vec::<u32>::new());
        assert_eq!(parse_mask("").unwrap(), Vec::<u32>::new());
        assert!(parse_mask("xyz").is_err());
    }

    #[test]
    fn values_ending_in_nul_or_whitespace_read_as_their_text() {
        let dir = std::env::temp_dir().join(format!("hwbench-sysroot-nul-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sys")).unwrap();
        std::fs::write(dir.join("sys/cpulist"), b"0-3\0\n").unwrap();
        std::fs::write(dir.join("sys/cpumap"), b"  0000000c\n\0").unwrap();
        let root = SysRoot::new(&dir);
        assert_eq!(root.read_list("/sys/cpulist").unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(root.read_mask("/sys/cpumap").unwrap(), vec![2, 3]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn resolves_paths_under_the_root() {
        let root = SysRoot::new("/tmp/fixture");
        assert_eq!(root.path("/sys/devices"), PathBuf::from("/tmp/fixture/sys/devices"));
        assert!(!root.is_live());
        assert!(SysRoot::default().is_live());
    }

    #[test]
    fn a_fixture_root_must_hold_sys_devices_system() {
        assert!(matches!(SysRoot::new("/nonexistent-root").check(), Err(RootError::Missing(_))));
        let empty = std::env::temp_dir().join(format!("hwbench-sysroot-{}", std::process::id()));
        std::fs::create_dir_all(empty.join("sys/class")).unwrap();
        let err = SysRoot::new(&empty).check().unwrap_err();
        assert!(matches!(err, RootError::NotASysfsTree(_)) && err.to_string().contains("sys/devices/system"), "{err}");
        std::fs::create_dir_all(empty.join("sys/devices/system")).unwrap();
        assert!(SysRoot::new(&empty).check().is_ok());
        std::fs::remove_dir_all(empty).unwrap();
        assert!(SysRoot::default().check().is_ok());
    }

    #[test]
    fn read_errors_name_the_full_path() {
        let root = SysRoot::new("/nonexistent-root");
        let err = root.read("/sys/x").unwrap_err();
        assert!(err.is_not_found());
        assert!(err.to_string().contains("/nonexistent-root/sys/x"));
    }
}
