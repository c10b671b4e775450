//! Holding the CPUs out of deep idle states while a wakeup-bound latency
//! is timed. A round trip that hands work to another thread and sleeps
//! until it is done (a GPU dispatch on lavapipe's threads, a driver's
//! interrupt) includes waking a CPU from whatever idle state it entered:
//! microseconds on a server core in a deep C-state, a halt and a VM exit
//! in a guest. The kernel's PM QoS interface (`/dev/cpu_dma_latency`)
//! keeps every CPU in idle states that exit within the latency asked for
//! while the file stays open, as cyclictest does by default; a request of
//! 0 us leaves polling only.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Where the kernel takes PM QoS CPU latency requests.
pub const PM_QOS: &str = "/dev/cpu_dma_latency";

/// A PM QoS request of 0 us held while the value lives, or why none is.
#[derive(Debug)]
pub struct ShallowIdle {
    /// The open request: closing it withdraws it.
    request: Option<File>,
    state: String,
}

impl ShallowIdle {
    /// Asks, through `path` (normally [`PM_QOS`]), that no CPU enter an idle
    /// state slower than 0 us to leave. Never fails: without the right to
    /// ask (only root may open it) or without the file, nothing is held and
    /// [`ShallowIdle::describe`] says why.
    pub fn hold(path: &Path) -> ShallowIdle {
        let request = OpenOptions::new().write(true).open(path).and_then(|mut f| {
            // The kernel takes a 32-bit binary value in microseconds.
            f.write_all(&0i32.to_ne_bytes())?;
            Ok(f)
        });
        match request {
            Ok(f) => ShallowIdle {
                request: Some(f),
                state: format!("held shallow while timed: a PM QoS request of 0 us ({})", path.display()),
            },
            Err(e) => ShallowIdle {
                request: None,
                state: format!("not held ({}: {e}): the figure includes waking CPUs from idle", path.display()),
            },
        }
    }

    /// Whether the request is held.
    pub fn is_held(&self) -> bool {
        self.request.is_some()
    }

    /// What was held, or why nothing was, for records.
    pub fn describe(&self) -> &str {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_of_zero_microseconds_is_written_and_held() {
        let dir = std::env::temp_dir().join(format!("hwbench-idle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cpu_dma_latency");
        std::fs::write(&path, [0xffu8; 4]).unwrap();
        let held = ShallowIdle::hold(&path);
        assert!(held.is_held());
        assert_eq!(std::fs::read(&path).unwrap(), 0i32.to_ne_bytes());
        assert!(
            held.describe().starts_with("held shallow while timed: a PM QoS request of 0 us"),
            "{}",
            held.describe()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn without_the_file_nothing_is_held_and_the_record_says_why() {
        let none = ShallowIdle::hold(Path::new("/nonexistent/cpu_dma_latency"));
        assert!(!none.is_held());
        assert_eq!(
            none.describe(),
            "not held (/nonexistent/cpu_dma_latency: No such file or directory (os error 2)): the figure includes waking CPUs from idle"
        );
    }
}
