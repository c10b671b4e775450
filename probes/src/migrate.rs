//! Timing migrate_pages(2), which moves every page a whole process has on
//! one node to another. Run in hwbench itself it would move hwbench's own
//! heap, stacks and every other benchmark's buffers too, so it runs in a
//! child process that holds little besides the buffer: the parent maps the
//! buffer (untouched, so the child's pages are its own, not shared copies)
//! and forks; the child binds itself to the source node, touches the
//! buffer, then migrates it there and back `rounds` times, timing each
//! forward move, and after each one counts where every page of the buffer
//! is. It reports through a pipe and waits until the parent has read the
//! page size it got (its /proc/PID/smaps), then exits. Between fork and
//! exit the child only makes system calls (no allocation, no locks: the
//! parent has other threads).

use std::io;

use crate::mempolicy::{node_mask, BASE_PAGE, MASK_WORDS};

/// Forward moves timed in one child at most.
pub const MAX_ROUNDS: usize = 64;

/// What the child reports, in native-endian u64 words: rounds, then per
/// round the nanoseconds of the forward move and the pages found on the
/// target, on the source and elsewhere (or not present) after it, then the
/// pages migrate_pages reported it could not move (summed), then an errno
/// (0: all went well).
const WORDS: usize = 1 + MAX_ROUNDS * 4 + 2;

/// One timed forward move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Nanoseconds migrate_pages took.
    pub nanos: u64,
    /// Base pages of the buffer on the target node after it.
    pub on_target: u64,
    /// Base pages still on the source node.
    pub on_source: u64,
    /// Base pages elsewhere, or not present.
    pub elsewhere: u64,
}

/// What the child measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildMigration {
    /// Each timed forward move.
    pub rounds: Vec<Round>,
    /// Pages migrate_pages said it could not move, over all rounds.
    pub not_moved: u64,
    /// Base pages of the buffer.
    pub pages: u64,
    /// The page size the child got for the buffer (smaps: 4k, 2m, mixed),
    /// or why it could not be read.
    pub page_obtained: Result<String, String>,
}

/// A private anonymous mapping, unmapped on drop.
struct Mapping {
    addr: *mut u8,
    len: usize,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: what mmap returned.
        unsafe { libc::munmap(self.addr.cast(), self.len) };
    }
}

fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: fills the timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Times `rounds` migrations of a `len`-byte buffer from `from` to `to`
/// with migrate_pages in a child process; `huge` asks for transparent huge
/// pages (MADV_HUGEPAGE). The buffer moves back after each timed move
/// (untimed).
pub fn migrate_pages_in_child(len: usize, huge: bool, from: u32, to: u32, rounds: usize) -> io::Result<ChildMigration> {
    let rounds = rounds.clamp(1, MAX_ROUNDS);
    let (from_mask, to_mask) = (node_mask(&[from])?, node_mask(&[to])?);
    // 2 MiB aligned, so huge pages can back all of it.
    let align = 2 << 20;
    let map_len = len + align;
    // SAFETY: an anonymous mapping, checked below.
    let raw = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            map_len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    let mapping = Mapping { addr: raw.cast(), len: map_len };
    let addr = ((raw as usize).div_ceil(align) * align) as *mut u8;
    let advice = if huge { libc::MADV_HUGEPAGE } else { libc::MADV_NOHUGEPAGE };
    // SAFETY: inside the mapping; failing advice shows in the page census.
    unsafe { libc::madvise(addr.cast(), len, advice) };
    // Everything the child uses is allocated here, before the fork.
    let pages = len.div_ceil(BASE_PAGE);
    let addrs: Vec<*mut libc::c_void> = (0..pages).map(|p| addr.wrapping_add(p * BASE_PAGE).cast()).collect();
    let mut status = vec![0i32; pages];
    let mut report = [0u64; WORDS];
    let (mut fds, mut go) = ([0i32; 2], [0i32; 2]);
    // SAFETY: fills two descriptors each.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 || unsafe { libc::pipe(go.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the child below only makes system calls and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = io::Error::last_os_error();
        for fd in fds.into_iter().chain(go) {
            // SAFETY: our descriptors.
            unsafe { libc::close(fd) };
        }
        return Err(e);
    }
    if pid == 0 {
        // The child.
        // SAFETY: system calls on memory set up before the fork.
        unsafe {
            libc::close(fds[0]);
            libc::close(go[1]);
            child(addr, len, &from_mask, &to_mask, rounds, &addrs, &mut status, &mut report, to, from);
            let bytes = std::mem::size_of_val(&report);
            libc::write(fds[1], report.as_ptr().cast(), bytes);
            // Wait until the parent has read our smaps (it closes `go`).
            let mut byte = 0u8;
            libc::read(go[0], std::ptr::from_mut(&mut byte).cast(), 1);
            libc::_exit(0);
        }
    }
    // SAFETY: our descriptors and the child's pid.
    unsafe {
        libc::close(fds[1]);
        libc::close(go[0]);
    }
    let mut got = 0usize;
    let want = std::mem::size_of_val(&report);
    while got < want {
        // SAFETY: reads into the report's bytes not read yet.
        let n = unsafe { libc::read(fds[0], report.as_mut_ptr().cast::<u8>().add(got).cast(), want - got) };
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    let page_obtained = std::fs::read_to_string(format!("/proc/{pid}/smaps"))
        .map(|smaps| crate::placement::page_info_from_smaps(&smaps, addr as usize, addr as usize + len).obtained)
        .map_err(|e| format!("/proc/{pid}/smaps: {e}"));
    let mut wstatus = 0;
    // SAFETY: releases and waits for our child.
    unsafe {
        libc::close(go[1]);
        libc::close(fds[0]);
        libc::waitpid(pid, &mut wstatus, 0);
    }
    drop(mapping);
    if got < want {
        return Err(io::Error::other(format!("the migrating child reported {got} of {want} bytes (status {wstatus})")));
    }
    let errno = report[WORDS - 1];
    if errno != 0 {
        return Err(io::Error::from_raw_os_error(errno as i32));
    }
    let done = report[0] as usize;
    let rounds = (0..done)
        .map(|r| {
            let w = &report[1 + r * 4..5 + r * 4];
            Round { nanos: w[0], on_target: w[1], on_source: w[2], elsewhere: w[3] }
        })
        .collect();
    Ok(ChildMigration { rounds, not_moved: report[WORDS - 2], pages: pages as u64, page_obtained })
}

/// The child's work: bind to `from`, touch, then timed moves to `to`,
/// each counted page by page, each followed by a move back.
///
/// # Safety
/// Called only in the forked child, on memory mapped before the fork.
#[allow(clippy::too_many_arguments)]
unsafe fn child(
    addr: *mut u8,
    len: usize,
    from_mask: &[u64; MASK_WORDS],
    to_mask: &[u64; MASK_WORDS],
    rounds: usize,
    addrs: &[*mut libc::c_void],
    status: &mut [i32],
    report: &mut [u64; WORDS],
    to: u32,
    from: u32,
) {
    const MPOL_BIND: libc::c_long = 2;
    let maxnode = MASK_WORDS * 64 + 1;
    let fail = |report: &mut [u64; WORDS]| report[WORDS - 1] = *libc::__errno_location() as u64;
    if libc::syscall(libc::SYS_set_mempolicy, MPOL_BIND, from_mask.as_ptr(), maxnode) != 0 {
        return fail(report);
    }
    let mut at = 0;
    while at < len {
        addr.add(at).write_volatile(1);
        at += BASE_PAGE;
    }
    for r in 0..rounds {
        let start = now_ns();
        let left = libc::syscall(libc::SYS_migrate_pages, 0, maxnode, from_mask.as_ptr(), to_mask.as_ptr());
        let took = now_ns() - start;
        if left < 0 {
            return fail(report);
        }
        report[WORDS - 2] += left as u64;
        let rc = libc::syscall(
            libc::SYS_move_pages,
            0,
            addrs.len(),
            addrs.as_ptr(),
            std::ptr::null::<i32>(),
            status.as_mut_ptr(),
            0,
        );
        if rc < 0 {
            return fail(report);
        }
        let (mut on_target, mut on_source, mut elsewhere) = (0u64, 0u64, 0u64);
        for &s in status.iter() {
            if s == to as i32 {
                on_target += 1;
            } else if s == from as i32 {
                on_source += 1;
            } else {
                elsewhere += 1;
            }
        }
        report[1 + r * 4..5 + r * 4].copy_from_slice(&[took, on_target, on_source, elsewhere]);
        report[0] = r as u64 + 1;
        if libc::syscall(libc::SYS_migrate_pages, 0, maxnode, to_mask.as_ptr(), from_mask.as_ptr()) < 0 {
            return fail(report);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On node 0 to node 0 nothing moves, but the child runs every step:
    /// bind, touch, migrate, count every page, report.
    #[test]
    fn the_child_reports_every_round_and_counts_every_page() {
        let m = migrate_pages_in_child(4 << 20, false, 0, 0, 3).unwrap();
        assert_eq!(m.pages, 1024);
        assert_eq!(m.rounds.len(), 3);
        assert_eq!(m.page_obtained.as_deref(), Ok("4k"));
        for r in &m.rounds {
            assert_eq!(r.on_target, 1024, "{r:?}");
            assert_eq!(r.on_source + r.elsewhere, 0, "{r:?}");
        }
    }

    #[test]
    fn a_node_past_the_mask_is_refused_before_forking() {
        let err = migrate_pages_in_child(1 << 20, false, 0, 4096, 1).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    }
}
