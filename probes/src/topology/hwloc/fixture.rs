//! hwloc over a fixture tree without touching this process's environment.
//!
//! hwloc's Linux backend takes its root only from `HWLOC_FSROOT`, read with
//! getenv during discovery. Setting it here would race with every other
//! thread of the process reading the environment (the test harness, the
//! energy poller, a GPU driver's threads), so the topology is loaded in a
//! forked child that gets its own copy of the environment with the variable
//! set, and handed back as hwloc XML. Forking rather than spawning a helper
//! binary keeps the code that reads the fixture the same hwloc Linux
//! discovery as on the live machine, in library tests as in hwbench. The
//! child does only what is safe after fork in a multithreaded process on
//! glibc (its fork resets the allocator, stdio and loader locks): it swaps
//! its `environ` for one prepared by the parent, runs hwloc, writes to a
//! pipe and `_exit`s.

use std::ffi::{c_char, CString};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use hwlocality::topology::builder::TypeFilter;
use hwlocality::topology::export::xml::XMLExportFlags;
use hwlocality::Topology;

extern "C" {
    /// The C library's environment, which getenv reads.
    static mut environ: *const *const c_char;
}

/// hwloc's XML of the machine under `root`, discovered by its Linux backend
/// alone (the x86 backend would add what the CPUID instruction of this
/// machine says).
pub fn load_xml(root: &Path) -> Result<String, String> {
    let env = child_environment(root)?;
    let envp: Vec<*const c_char> = env.iter().map(|v| v.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("hwloc over {}: pipe: {}", root.display(), std::io::Error::last_os_error()));
    }
    // SAFETY: pipe2 just returned these descriptors; nothing else owns them.
    let (reader, writer) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child runs only `child`, which ends in _exit (module docs).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("hwloc over {}: fork: {}", root.display(), std::io::Error::last_os_error()));
    }
    if pid == 0 {
        drop(reader);
        // SAFETY: envp and the strings it points to live until _exit; only
        // this thread exists in the child.
        unsafe { environ = envp.as_ptr() };
        child(&writer);
    }
    drop(writer);
    let mut answer = Vec::new();
    let read = std::fs::File::from(reader).read_to_end(&mut answer);
    let status = wait(pid);
    read.map_err(|e| format!("hwloc over {}: reading its child's answer: {e}", root.display()))?;
    status.map_err(|e| format!("hwloc over {}: {e}", root.display()))?;
    match answer.split_first() {
        Some((b'+', xml)) => String::from_utf8(xml.to_vec()).map_err(|e| format!("hwloc XML: {e}")),
        Some((_, why)) => Err(format!("hwloc over {}: {}", root.display(), String::from_utf8_lossy(why))),
        None => Err(format!("hwloc over {}: its child process answered nothing", root.display())),
    }
}

/// This process's environment without hwloc's own variables (they could
/// redirect or restrict discovery), plus HWLOC_FSROOT=`root`.
fn child_environment(root: &Path) -> Result<Vec<CString>, String> {
    let mut env: Vec<CString> = std::env::vars_os()
        .filter(|(key, _)| !key.as_bytes().starts_with(b"HWLOC_"))
        .filter_map(|(key, value)| CString::new([key.as_bytes(), b"=", value.as_bytes()].concat()).ok())
        .collect();
    let fsroot = CString::new([b"HWLOC_FSROOT=", root.as_os_str().as_bytes()].concat())
        .map_err(|_| format!("{}: a path with a NUL byte", root.display()))?;
    env.push(fsroot);
    Ok(env)
}

/// The forked child: loads, answers '+' and the XML or '-' and why, exits.
fn child(out: &OwnedFd) -> ! {
    let answer = std::panic::catch_unwind(export).unwrap_or_else(|_| Err("hwloc panicked".into()));
    let bytes = match answer {
        Ok(xml) => [b"+", xml.as_bytes()].concat(),
        Err(why) => [b"-", why.as_bytes()].concat(),
    };
    let mut written = 0;
    while written < bytes.len() {
        // SAFETY: writes from a live buffer to our pipe.
        let n = unsafe { libc::write(out.as_raw_fd(), bytes[written..].as_ptr().cast(), bytes.len() - written) };
        if n <= 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            break;
        }
        written += n.max(0) as usize;
    }
    // SAFETY: ends the child without running the parent's exit handlers.
    unsafe { libc::_exit(0) }
}

/// Loads the topology HWLOC_FSROOT names and exports it.
fn export() -> Result<String, String> {
    let topology = Topology::builder()
        .without_component("x86")
        .map_err(|e| format!("leaving out hwloc's x86 backend: {e}"))?
        .with_cpu_icache_type_filter(TypeFilter::KeepAll)
        .map_err(|e| e.to_string())?
        .build()
        .map_err(|e| format!("hwloc could not load the topology: {e}"))?;
    let xml = topology.export_xml(XMLExportFlags::empty()).map_err(|e| format!("hwloc XML export: {e}"))?;
    Ok(AsRef::<str>::as_ref(&xml).to_owned())
}

/// Waits for the child; an error unless it exited normally.
fn wait(pid: libc::pid_t) -> Result<(), String> {
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child; status is a valid out pointer.
        if unsafe { libc::waitpid(pid, &mut status, 0) } >= 0 {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("waiting for its child process: {e}"));
        }
    }
    if libc::WIFSIGNALED(status) {
        return Err(format!("its child process died of signal {}", libc::WTERMSIG(status)));
    }
    Ok(())
}
