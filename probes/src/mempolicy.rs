//! The NUMA memory-policy system calls the tier benchmarks use, without
//! libnuma: mbind of a range to a policy over some nodes (bind, weighted
//! interleave; optionally moving pages already there), and move_pages,
//! either to ask where every page of a range is (nodes = NULL) or to move
//! every page to a node. Every page is asked about: these are the checks
//! that a split or a migration happened, not a sample.

use std::collections::BTreeMap;
use std::io;

/// Bytes of the page move_pages is asked about: the base page. A huge
/// page answers for each of its base pages.
pub const BASE_PAGE: usize = 4096;
/// Words of the node mask passed to the kernel (1024 nodes).
pub(crate) const MASK_WORDS: usize = 16;
/// Pages per move_pages call, so the address and status arrays stay small.
const PAGES_PER_CALL: usize = 1 << 16;

/// A memory policy mode (linux/mempolicy.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// MPOL_BIND: only these nodes.
    Bind,
    /// MPOL_INTERLEAVE: page by page over the nodes, equal shares.
    Interleave,
    /// MPOL_WEIGHTED_INTERLEAVE (Linux 6.9+): page by page over the nodes in
    /// the proportion of /sys/kernel/mm/mempolicy/weighted_interleave.
    WeightedInterleave,
}

impl Mode {
    fn raw(self) -> libc::c_long {
        match self {
            Mode::Bind => 2,
            Mode::Interleave => 3,
            Mode::WeightedInterleave => 6,
        }
    }
}

/// mbind flags: fail when pages already there break the policy.
pub const MF_STRICT: u32 = 1;
/// mbind flags: move pages already there that break the policy.
pub const MF_MOVE: u32 = 2;

/// A node mask of `nodes`, or EINVAL for a node past the mask.
pub(crate) fn node_mask(nodes: &[u32]) -> io::Result<[u64; MASK_WORDS]> {
    let mut mask = [0u64; MASK_WORDS];
    for &n in nodes {
        if n as usize >= MASK_WORDS * 64 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        mask[n as usize / 64] |= 1 << (n % 64);
    }
    Ok(mask)
}

/// mbind(2) of `[addr, addr+len)` (page aligned) to `mode` over `nodes`.
///
/// # Safety
/// The range must be mapped by this process and owned by the caller.
pub unsafe fn mbind(addr: *mut u8, len: usize, mode: Mode, nodes: &[u32], flags: u32) -> io::Result<()> {
    let mask = node_mask(nodes)?;
    let rc = libc::syscall(
        libc::SYS_mbind,
        addr,
        len,
        mode.raw(),
        mask.as_ptr(),
        MASK_WORDS * 64 + 1,
        flags as libc::c_ulong,
    );
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The addresses of every base page of `[addr, addr+len)`.
fn pages(addr: *const u8, len: usize) -> Vec<*mut libc::c_void> {
    // The caller's range: only addresses are formed, nothing is read.
    (0..len.div_ceil(BASE_PAGE)).map(|p| addr.wrapping_add(p * BASE_PAGE) as *mut libc::c_void).collect()
}

/// move_pages(2) on this process over `addrs`, `status` receiving each
/// page's node (or -errno); with `nodes`, every page moves to its entry.
fn move_pages(addrs: &[*mut libc::c_void], nodes: Option<&[i32]>, status: &mut [i32]) -> io::Result<()> {
    for (i, chunk) in addrs.chunks(PAGES_PER_CALL).enumerate() {
        let at = i * PAGES_PER_CALL;
        let targets = nodes.map_or(std::ptr::null(), |n| n[at..].as_ptr());
        // SAFETY: the arrays hold chunk.len() entries from `at`; with a null
        // node list the call only reports where each page is.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_move_pages,
                0,
                chunk.len(),
                chunk.as_ptr(),
                targets,
                status[at..].as_mut_ptr(),
                if nodes.is_some() { MF_MOVE } else { 0 },
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Where every base page of a range is: pages per node, and pages the
/// kernel reports no node for (not faulted in, or an error) by errno.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageCensus {
    /// Base pages asked about.
    pub pages: u64,
    /// Pages found on each node.
    pub per_node: BTreeMap<u32, u64>,
    /// Pages without a node, by the errno the kernel gave (ENOENT: not
    /// present; EFAULT: not mapped).
    pub missing: BTreeMap<i32, u64>,
}

impl PageCensus {
    /// Counts move_pages statuses.
    pub fn of(status: &[i32]) -> PageCensus {
        let mut census = PageCensus { pages: status.len() as u64, ..PageCensus::default() };
        for &s in status {
            if s >= 0 {
                *census.per_node.entry(s as u32).or_default() += 1;
            } else {
                *census.missing.entry(-s).or_default() += 1;
            }
        }
        census
    }

    /// The fraction of every page asked about that is on `node`.
    pub fn fraction(&self, node: u32) -> f64 {
        if self.pages == 0 {
            return 0.0;
        }
        self.per_node.get(&node).copied().unwrap_or(0) as f64 / self.pages as f64
    }

    /// The fraction on each node, every node found.
    pub fn fractions(&self) -> BTreeMap<u32, f64> {
        self.per_node.keys().map(|&n| (n, self.fraction(n))).collect()
    }

    /// Adds another range's census.
    pub fn add(&mut self, other: &PageCensus) {
        self.pages += other.pages;
        for (n, c) in &other.per_node {
            *self.per_node.entry(*n).or_default() += c;
        }
        for (e, c) in &other.missing {
            *self.missing.entry(*e).or_default() += c;
        }
    }
}

/// Where every base page of `[addr, addr+len)` is (move_pages with no
/// target: nothing moves).
pub fn census(addr: *const u8, len: usize) -> io::Result<PageCensus> {
    let addrs = pages(addr, len);
    let mut status = vec![0i32; addrs.len()];
    move_pages(&addrs, None, &mut status)?;
    Ok(PageCensus::of(&status))
}

/// Moves every base page of `[addr, addr+len)` to `node` with
/// move_pages(2); returns each page's status after the call (its node, or
/// -errno for a page that did not move).
///
/// # Safety
/// The range must be mapped by this process; its contents stay, only
/// their physical place changes.
pub unsafe fn move_range(addr: *const u8, len: usize, node: u32) -> io::Result<PageCensus> {
    let addrs = pages(addr, len);
    let nodes = vec![node as i32; addrs.len()];
    let mut status = vec![0i32; addrs.len()];
    move_pages(&addrs, Some(&nodes), &mut status)?;
    Ok(PageCensus::of(&status))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::placement::{PagePolicy, Region};
    use crate::SysRoot;

    /// `len` bytes of 4 KiB pages, untouched, no policy.
    fn mapping(len: usize) -> Region {
        Region::allocate(&SysRoot::default(), len, PagePolicy::Small, None).unwrap()
    }

    #[test]
    fn a_census_counts_every_page_and_the_untouched_ones_apart() {
        let m = mapping(64 * BASE_PAGE);
        m.first_touch(0, 48 * BASE_PAGE);
        let c = census(m.as_ptr(), m.len()).unwrap();
        assert_eq!(c.pages, 64);
        assert_eq!(c.per_node.values().sum::<u64>(), 48);
        assert_eq!(c.missing.get(&libc::ENOENT), Some(&16));
        let node = *c.per_node.keys().next().unwrap();
        assert_eq!(c.fraction(node), 0.75);
    }

    #[test]
    fn binding_then_moving_to_the_same_node_keeps_every_page_there() {
        let m = mapping(16 * BASE_PAGE);
        // SAFETY: our mapping.
        unsafe { mbind(m.as_ptr(), m.len(), Mode::Bind, &[0], MF_STRICT).unwrap() };
        // SAFETY: inside the mapping.
        unsafe { std::ptr::write_bytes(m.as_ptr(), 7, m.len()) };
        // SAFETY: our mapping.
        let moved = unsafe { move_range(m.as_ptr(), m.len(), 0) }.unwrap();
        assert_eq!(moved, PageCensus { pages: 16, per_node: BTreeMap::from([(0, 16)]), missing: BTreeMap::new() });
        // SAFETY: inside the mapping; the contents stayed.
        assert!(unsafe { std::slice::from_raw_parts(m.as_ptr(), m.len()) }.iter().all(|&b| b == 7));
    }

    #[test]
    fn a_node_past_the_mask_is_refused() {
        let m = mapping(BASE_PAGE);
        // SAFETY: our mapping.
        let err = unsafe { mbind(m.as_ptr(), m.len(), Mode::Bind, &[5000], 0) }.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    }

    #[test]
    fn censuses_add_up() {
        let mut a = PageCensus::of(&[0, 0, 1, -libc::ENOENT]);
        a.add(&PageCensus::of(&[1, 1]));
        assert_eq!(a.pages, 6);
        assert_eq!(a.fractions(), BTreeMap::from([(0, 2.0 / 6.0), (1, 3.0 / 6.0)]));
    }
}
