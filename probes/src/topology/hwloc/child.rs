//! hwloc's discovery in a forked child, handed back as hwloc XML.
//!
//! hwloc takes some of its settings only from the environment, read with
//! getenv during discovery: the root of a fixture tree (`HWLOC_FSROOT`),
//! whether to guess memory subtypes from bandwidth alone
//! (`HWLOC_MEMTIERS_GUESS`), whether to keep NVIDIA GPU memory nodes on
//! POWER (`HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES`). Setting them here would race
//! with every other thread of the process reading the environment (the
//! test harness, the energy poller, a GPU driver's threads), so discovery
//! runs in a forked child that gets its own copy of the environment with
//! the variables set, and the topology comes back as XML. The live machine
//! and a fixture tree go through the same child and the same hwloc Linux
//! discovery; they differ in the root only. The child does only what is
//! safe after fork in a multithreaded process on glibc (its fork resets the
//! allocator, stdio and loader locks): it swaps its `environ` for one
//! prepared by the parent, runs hwloc, writes to a pipe and `_exit`s.

use std::ffi::{c_char, CString};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use hwlocality::topology::export::xml::XMLExportFlags;
use hwlocality::Topology;

extern "C" {
    /// The C library's environment, which getenv reads.
    static mut environ: *const *const c_char;
}

/// hwloc's XML of the live machine (`fixture` None) or of the fixture tree
/// at `fixture`, disallowed CPUs and nodes included. A fixture is read by
/// hwloc's Linux backend alone (the x86 backend would add what the CPUID
/// instruction of this machine says).
pub fn load_xml(fixture: Option<&Path>) -> Result<String, String> {
    let root = fixture.unwrap_or(Path::new("/"));
    let env = child_environment(fixture)?;
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
        child(&writer, fixture.is_some());
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

/// hwloc's settings for discovery: no memory subtype guessed from
/// bandwidth alone (with two groups of nodes whose HMAT bandwidth differs
/// 2x, hwloc calls the faster "HBM" and the slower "DRAM": local DRAM beside
/// a CXL expander becomes HBM), so a subtype hwloc gives rests on evidence
/// (DAX type, a CXL device, NVIDIA's GPU memory node); and NVIDIA GPU
/// memory nodes kept on POWER too, where hwloc hides them by default.
const SETTINGS: [&[u8]; 2] = [b"HWLOC_MEMTIERS_GUESS=none", b"HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES=1"];

/// This process's environment without hwloc's own variables (they could
/// redirect or restrict discovery), plus [`SETTINGS`] and, for a fixture,
/// HWLOC_FSROOT.
fn child_environment(fixture: Option<&Path>) -> Result<Vec<CString>, String> {
    let mut env: Vec<CString> = std::env::vars_os()
        .filter(|(key, _)| !key.as_bytes().starts_with(b"HWLOC_"))
        .filter_map(|(key, value)| CString::new([key.as_bytes(), b"=", value.as_bytes()].concat()).ok())
        .collect();
    env.extend(SETTINGS.iter().filter_map(|s| CString::new(*s).ok()));
    if let Some(root) = fixture {
        let fsroot = CString::new([b"HWLOC_FSROOT=", root.as_os_str().as_bytes()].concat())
            .map_err(|_| format!("{}: a path with a NUL byte", root.display()))?;
        env.push(fsroot);
    }
    Ok(env)
}

/// The forked child: loads, answers '+' and the XML or '-' and why, exits.
fn child(out: &OwnedFd, fixture: bool) -> ! {
    let answer = std::panic::catch_unwind(|| export(fixture)).unwrap_or_else(|_| Err("hwloc panicked".into()));
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

/// Discovers the topology (of the tree HWLOC_FSROOT names, for a fixture)
/// and exports it.
fn export(fixture: bool) -> Result<String, String> {
    let mut builder = Topology::builder();
    if fixture {
        builder = builder.without_component("x86").map_err(|e| format!("leaving out hwloc's x86 backend: {e}"))?;
    }
    let topology = super::configured(builder)?.build().map_err(super::hwloc_failed)?;
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
