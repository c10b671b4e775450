//! Memory placement: allocate with a page policy, bind to a NUMA node
//! (mbind MPOL_BIND, strict), first-touch, then verify where the pages
//! landed (move_pages) and which page size was obtained (/proc/self/smaps).

use std::ptr::NonNull;

use hwbench_schema::Placement;
use thiserror::Error;

use crate::sysroot::SysRoot;

const HUGE_2M: usize = 2 << 20;
const SMALL_PAGE: usize = 4096;
/// Pages sampled by [`Region::verify_node`] at most (evenly spread).
const MAX_PAGES_CHECKED: usize = 1 << 16;

/// Why memory could not be placed as asked.
#[derive(Debug, Error)]
pub enum PlacementError {
    #[error("cannot map {bytes} bytes: {source}")]
    Map { bytes: usize, source: std::io::Error },
    #[error("no 2 MiB huge pages available for {bytes} bytes ({source}); reserve them with: echo N > /proc/sys/vm/nr_hugepages")]
    NoHugePages { bytes: usize, source: std::io::Error },
    #[error("node {node} has {free} bytes free or reclaimable, cannot hold {bytes} bytes bound to it")]
    NodeTooSmall { node: u32, bytes: u64, free: u64 },
    #[error("cannot read free memory of node {node}: {why}")]
    NodeUnknown { node: u32, why: String },
    #[error("mbind to node {node} failed: {source}")]
    Bind { node: u32, source: std::io::Error },
    #[error("unknown page policy '{0}': use 4k, thp or 2m")]
    UnknownPolicy(String),
}

/// Which pages to back a region with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePolicy {
    /// 4 KiB pages only (THP explicitly refused with MADV_NOHUGEPAGE).
    Small,
    /// Transparent huge pages requested with MADV_HUGEPAGE.
    Transparent,
    /// Explicit hugetlb 2 MiB pages (MAP_HUGETLB); needs reserved pages.
    Huge2M,
}

impl PagePolicy {
    /// The names accepted on the command line.
    pub const NAMES: [&'static str; 3] = ["4k", "thp", "2m"];

    /// Parses "4k", "thp" or "2m".
    pub fn parse(s: &str) -> Result<Self, PlacementError> {
        match s {
            "4k" => Ok(PagePolicy::Small),
            "thp" => Ok(PagePolicy::Transparent),
            "2m" => Ok(PagePolicy::Huge2M),
            other => Err(PlacementError::UnknownPolicy(other.to_string())),
        }
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            PagePolicy::Small => "4k",
            PagePolicy::Transparent => "thp",
            PagePolicy::Huge2M => "2m",
        }
    }
}

/// Written as its command-line name, as records' params spell it.
impl serde::Serialize for PagePolicy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// An anonymous memory mapping, unmapped on drop.
#[derive(Debug)]
pub struct Region {
    base: NonNull<u8>,
    map_len: usize,
    ptr: NonNull<u8>,
    len: usize,
    policy: PagePolicy,
    node: Option<u32>,
}

// SAFETY: the region owns its mapping; callers coordinate access to the
// bytes (threads write disjoint chunks or only read).
unsafe impl Send for Region {}
unsafe impl Sync for Region {}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: base/map_len are exactly what mmap returned.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.map_len);
        }
    }
}

impl Region {
    /// Maps `len` bytes with `policy`, bound strictly to `node` when given.
    /// Pages are not touched yet: call [`Region::first_touch`] from a thread
    /// running near the node. Refuses a node without room for `len` bytes
    /// (read from the node's meminfo under `root`) instead of letting the
    /// kernel fall back or kill the process.
    pub fn allocate(root: &SysRoot, len: usize, policy: PagePolicy, node: Option<u32>) -> Result<Self, PlacementError> {
        let len = len.max(1);
        if let Some(node) = node {
            let free = node_free_bytes(root, node)?;
            if len as u64 > free {
                return Err(PlacementError::NodeTooSmall { node, bytes: len as u64, free });
            }
        }
        let (base, map_len, ptr) = map(len, policy)?;
        let region = Region { base, map_len, ptr, len, policy, node };
        if let Some(node) = node {
            bind(ptr, round_up(len, page_size_of(policy)), node)?;
        }
        Ok(region)
    }

    /// Start of the usable bytes (aligned to the page size of the policy).
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Usable length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a region holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes one byte per 4 KiB page of `[offset, offset+len)` so the
    /// pages are faulted in by the calling thread (first touch).
    pub fn first_touch(&self, offset: usize, len: usize) {
        let end = (offset + len).min(self.len);
        let mut at = offset;
        while at < end {
            // SAFETY: at < self.len, inside the mapping.
            unsafe { self.ptr.as_ptr().add(at).write_volatile(0) };
            at += SMALL_PAGE;
        }
    }

    /// Fraction of the pages of the first `len` bytes that are on `node`,
    /// sampling at most 65536 pages evenly. Pages not yet faulted count as
    /// not on the node.
    pub fn verify_node(&self, len: usize, node: u32) -> Result<NodeCheck, std::io::Error> {
        // SAFETY: the range is inside this region's mapping.
        let pages = unsafe { locate_pages(self.ptr.as_ptr(), len.min(self.len), None) }?;
        Ok(NodeCheck { pages_checked: pages.checked, on_node: pages.on(node) })
    }

    /// The page size obtained for this region, from /proc/self/smaps.
    pub fn page_info(&self) -> Result<PageInfo, std::io::Error> {
        let smaps = std::fs::read_to_string("/proc/self/smaps")?;
        let start = self.ptr.as_ptr() as usize;
        Ok(page_info_from_smaps(&smaps, start, start + self.len))
    }

    /// The placement record for the first `len` bytes: page policy asked and
    /// obtained, and when a node was asked for, the verified fraction on it
    /// or why it could not be verified.
    pub fn placement(&self, len: usize) -> Placement {
        let info = self.page_info().unwrap_or(PageInfo { obtained: "unknown".into(), huge_bytes: 0 });
        let check = self.node.map(|n| self.verify_node(len, n));
        let (fraction, checked, unverified) = match check {
            Some(Ok(c)) => (Some(c.fraction()), c.pages_checked, None),
            Some(Err(e)) => (None, 0, Some(why_unverified(&e))),
            None => (None, 0, None),
        };
        Placement {
            node: self.node,
            on_node_fraction: fraction,
            pages_checked: checked,
            page_requested: self.policy.name().to_string(),
            page_obtained: info.obtained,
            huge_bytes: info.huge_bytes,
            unverified,
        }
    }
}

/// Why move_pages could not say where the pages are: the errno by name,
/// the system's text, and what usually causes it.
pub fn why_unverified(e: &std::io::Error) -> String {
    let known = match e.raw_os_error() {
        Some(libc::ENOSYS) => Some((
            "ENOSYS",
            "the kernel has no NUMA support, or a seccomp filter (a container runtime's) blocks move_pages",
        )),
        Some(libc::EPERM) => Some(("EPERM", "a seccomp filter or security policy refused move_pages")),
        Some(libc::EACCES) => Some(("EACCES", "a security policy refused move_pages")),
        Some(libc::EFAULT) => Some(("EFAULT", "a page address was outside the mapping")),
        Some(libc::ENOMEM) => Some(("ENOMEM", "the kernel had no memory for the query")),
        _ => None,
    };
    match known {
        Some((name, cause)) => format!("move_pages failed with {name} ({e}): {cause}; where the pages are is unknown"),
        None => format!("move_pages failed ({e}); where the pages are is unknown"),
    }
}

/// Where the pages of a range are, by move_pages: node -> pages, and the
/// pages move_pages could not place, by its (negative) status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageNodes {
    /// Pages queried (at most 65536, evenly spread).
    pub checked: u64,
    /// Pages per node.
    pub on_nodes: std::collections::BTreeMap<u32, u64>,
    /// Pages move_pages gave an error status for, by errno (ENOENT: not
    /// faulted in; EFAULT: not a page the process may move, such as driver
    /// memory mapped into it).
    pub errors: std::collections::BTreeMap<i32, u64>,
}

impl PageNodes {
    /// Pages found on `node`.
    pub fn on(&self, node: u32) -> u64 {
        self.on_nodes.get(&node).copied().unwrap_or(0)
    }

    /// The fraction of the pages queried that are on `node`.
    pub fn fraction(&self, node: u32) -> f64 {
        if self.checked == 0 {
            0.0
        } else {
            self.on(node) as f64 / self.checked as f64
        }
    }
}

/// Where the pages of `[ptr, ptr + len)` are; with `to`, asks the kernel to
/// move them to that node first (move_pages with MPOL_MF_MOVE: pages of this
/// process only). For memory the process did not map itself, such as a
/// driver's buffer mapped into it, whose placement hwbench cannot choose
/// at allocation. At most 65536 pages are queried, evenly spread; the
/// range is widened to whole pages.
///
/// # Safety
/// `[ptr, ptr + len)` must be mapped in this process (the pages are only
/// queried or migrated, never read or written).
pub unsafe fn locate_pages(ptr: *const u8, len: usize, to: Option<u32>) -> Result<PageNodes, std::io::Error> {
    const MPOL_MF_MOVE: libc::c_int = 1 << 1;
    let start = ptr as usize / SMALL_PAGE * SMALL_PAGE;
    let end = (ptr as usize + len.max(1)).div_ceil(SMALL_PAGE) * SMALL_PAGE;
    let pages = (end - start) / SMALL_PAGE;
    let step = pages.div_ceil(MAX_PAGES_CHECKED).max(1);
    let addrs: Vec<*mut libc::c_void> = (0..pages).step_by(step).map(|p| (start + p * SMALL_PAGE) as *mut _).collect();
    let targets: Option<Vec<libc::c_int>> = to.map(|node| vec![node as libc::c_int; addrs.len()]);
    let mut status = vec![0i32; addrs.len()];
    // SAFETY: move_pages reads the address and target arrays and writes
    // the status array, all of `addrs.len()` entries; nodes=NULL only queries.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_pages,
            0,
            addrs.len(),
            addrs.as_ptr(),
            targets.as_ref().map_or(std::ptr::null(), |t| t.as_ptr()),
            status.as_mut_ptr(),
            if to.is_some() { MPOL_MF_MOVE } else { 0 },
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut found = PageNodes { checked: status.len() as u64, ..PageNodes::default() };
    for s in status {
        match u32::try_from(s) {
            Ok(node) => *found.on_nodes.entry(node).or_default() += 1,
            Err(_) => *found.errors.entry(-s).or_default() += 1,
        }
    }
    Ok(found)
}

/// Result of a placement check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeCheck {
    /// Pages queried.
    pub pages_checked: u64,
    /// Pages found on the intended node.
    pub on_node: u64,
}

impl NodeCheck {
    /// on_node / pages_checked.
    pub fn fraction(&self) -> f64 {
        if self.pages_checked == 0 {
            0.0
        } else {
            self.on_node as f64 / self.pages_checked as f64
        }
    }
}

/// The page size a region got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageInfo {
    /// "4k", "2m" or "mixed" (some THP, some 4 KiB).
    pub obtained: String,
    /// Bytes backed by huge pages.
    pub huge_bytes: u64,
}

/// Sums the smaps entries overlapping `[start, end)`.
pub fn page_info_from_smaps(smaps: &str, start: usize, end: usize) -> PageInfo {
    let (mut rss, mut anon_huge, mut hugetlb) = (0u64, 0u64, 0u64);
    let mut inside = false;
    let mut kernel_page = 0u64;
    for line in smaps.lines() {
        if let Some((range, _)) = line.split_once(' ') {
            if let Some((a, b)) = range.split_once('-') {
                if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                    inside = a < end && b > start;
                    continue;
                }
            }
        }
        if !inside {
            continue;
        }
        let kib = |l: &str| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 1024;
        if line.starts_with("Rss:") {
            rss += kib(line);
        } else if line.starts_with("AnonHugePages:") {
            anon_huge += kib(line);
        } else if line.starts_with("KernelPageSize:") {
            kernel_page = kib(line);
        } else if line.starts_with("Private_Hugetlb:") || line.starts_with("Shared_Hugetlb:") {
            hugetlb += kib(line);
        }
    }
    let obtained = if kernel_page >= HUGE_2M as u64 {
        "2m"
    } else if anon_huge == 0 {
        "4k"
    } else if anon_huge >= rss {
        "2m"
    } else {
        "mixed"
    };
    PageInfo { obtained: obtained.to_string(), huge_bytes: anon_huge + hugetlb }
}

/// Bytes a node can give without swapping: MemFree plus its reclaimable
/// page cache and slab (FilePages, SReclaimable), as MemAvailable counts.
pub fn node_free_bytes(root: &SysRoot, node: u32) -> Result<u64, PlacementError> {
    let file = format!("/sys/devices/system/node/node{node}/meminfo");
    let text = root.read(&file).map_err(|e| PlacementError::NodeUnknown { node, why: e.to_string() })?;
    let free = crate::topology::meminfo_field(&text, "MemFree")
        .ok_or_else(|| PlacementError::NodeUnknown { node, why: format!("no MemFree in {file}") })?;
    let reclaimable: u64 =
        ["FilePages", "SReclaimable"].iter().filter_map(|f| crate::topology::meminfo_field(&text, f)).sum();
    Ok(free + reclaimable)
}

fn page_size_of(policy: PagePolicy) -> usize {
    match policy {
        PagePolicy::Small => SMALL_PAGE,
        PagePolicy::Transparent | PagePolicy::Huge2M => HUGE_2M,
    }
}

fn round_up(x: usize, to: usize) -> usize {
    x.div_ceil(to) * to
}

/// Maps memory for `len` bytes; returns (base, map_len, aligned start).
fn map(len: usize, policy: PagePolicy) -> Result<(NonNull<u8>, usize, NonNull<u8>), PlacementError> {
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    // SAFETY: anonymous mappings with no address hint; results checked.
    unsafe {
        match policy {
            PagePolicy::Huge2M => {
                let map_len = round_up(len, HUGE_2M);
                // Without MAP_NORESERVE the kernel reserves the huge pages
                // now and refuses the mapping when there are too few, rather
                // than killing us with SIGBUS at first touch.
                let p = libc::mmap(
                    std::ptr::null_mut(),
                    map_len,
                    prot,
                    flags | libc::MAP_HUGETLB | (21 << libc::MAP_HUGE_SHIFT),
                    -1,
                    0,
                );
                if p == libc::MAP_FAILED {
                    return Err(PlacementError::NoHugePages { bytes: len, source: std::io::Error::last_os_error() });
                }
                let base = NonNull::new_unchecked(p.cast());
                Ok((base, map_len, base))
            }
            PagePolicy::Small | PagePolicy::Transparent => {
                // Over-map by 2 MiB so the usable start is 2 MiB aligned: THP
                // can then back the whole region.
                let map_len = round_up(len, SMALL_PAGE) + HUGE_2M;
                let p = libc::mmap(std::ptr::null_mut(), map_len, prot, flags | libc::MAP_NORESERVE, -1, 0);
                if p == libc::MAP_FAILED {
                    return Err(PlacementError::Map { bytes: len, source: std::io::Error::last_os_error() });
                }
                let base = NonNull::new_unchecked(p.cast::<u8>());
                let aligned = round_up(p as usize, HUGE_2M);
                let ptr = NonNull::new_unchecked(aligned as *mut u8);
                let advice =
                    if policy == PagePolicy::Transparent { libc::MADV_HUGEPAGE } else { libc::MADV_NOHUGEPAGE };
                // Advice failing (THP compiled out) is visible later in smaps.
                libc::madvise(ptr.as_ptr().cast(), round_up(len, SMALL_PAGE), advice);
                Ok((base, map_len, ptr))
            }
        }
    }
}

/// mbind(MPOL_BIND, MPOL_MF_STRICT) of `[ptr, ptr+len)` to one node.
fn bind(ptr: NonNull<u8>, len: usize, node: u32) -> Result<(), PlacementError> {
    const MPOL_BIND: libc::c_long = 2;
    const MPOL_MF_STRICT: libc::c_long = 1;
    const MASK_WORDS: usize = 16;
    if node as usize >= MASK_WORDS * 64 {
        return Err(PlacementError::Bind { node, source: std::io::Error::from_raw_os_error(libc::EINVAL) });
    }
    let mut mask = [0u64; MASK_WORDS];
    mask[node as usize / 64] |= 1 << (node % 64);
    // SAFETY: the range is our mapping; mask outlives the call.
    let rc = unsafe {
        libc::syscall(libc::SYS_mbind, ptr.as_ptr(), len, MPOL_BIND, mask.as_ptr(), MASK_WORDS * 64 + 1, MPOL_MF_STRICT)
    };
    if rc != 0 {
        return Err(PlacementError::Bind { node, source: std::io::Error::last_os_error() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
7f0000000000-7f0000400000 rw-p 00000000 00:00 0
Size:               4096 kB
KernelPageSize:        4 kB
Rss:                4096 kB
AnonHugePages:      2048 kB
7f0000400000-7f0000600000 rw-p 00000000 00:00 0
Size:               2048 kB
KernelPageSize:        4 kB
Rss:                2048 kB
AnonHugePages:         0 kB
";

    #[test]
    fn smaps_sums_only_overlapping_mappings() {
        let first = page_info_from_smaps(SMAPS, 0x7f00_0000_0000, 0x7f00_0040_0000);
        assert_eq!(first, PageInfo { obtained: "mixed".into(), huge_bytes: 2 << 20 });
        let second = page_info_from_smaps(SMAPS, 0x7f00_0040_0000, 0x7f00_0060_0000);
        assert_eq!(second.obtained, "4k");
    }

    #[test]
    fn small_pages_are_really_small_and_on_node_zero() {
        let root = SysRoot::default();
        let region = Region::allocate(&root, 8 << 20, PagePolicy::Small, Some(0)).unwrap();
        region.first_touch(0, region.len());
        let p = region.placement(region.len());
        assert_eq!(p.page_obtained, "4k");
        assert_eq!(p.huge_bytes, 0);
        assert_eq!(p.on_node_fraction, Some(1.0));
        assert_eq!(p.pages_checked, 2048);
    }

    #[test]
    fn untouched_pages_are_not_counted_as_placed() {
        let region = Region::allocate(&SysRoot::default(), 1 << 20, PagePolicy::Small, Some(0)).unwrap();
        region.first_touch(0, 512 << 10);
        let check = region.verify_node(1 << 20, 0).unwrap();
        assert_eq!(check, NodeCheck { pages_checked: 256, on_node: 128 });
    }

    #[test]
    fn pages_mapped_elsewhere_are_located_and_moved() {
        let region = Region::allocate(&SysRoot::default(), 64 << 10, PagePolicy::Small, None).unwrap();
        // SAFETY: the region's own mapping.
        let untouched = unsafe { locate_pages(region.as_ptr(), region.len(), None) }.unwrap();
        assert_eq!(untouched.checked, 16);
        assert_eq!(untouched.errors.get(&libc::ENOENT), Some(&16), "{untouched:?}");
        region.first_touch(0, region.len());
        // Off by a few bytes: the range is widened to whole pages.
        let moved = unsafe { locate_pages(region.as_ptr().add(10), region.len() - 20, Some(0)) }.unwrap();
        assert_eq!((moved.checked, moved.on(0), moved.fraction(0)), (16, 16, 1.0), "{moved:?}");
        assert!(moved.errors.is_empty());
    }

    #[test]
    fn a_node_without_room_is_refused_before_mapping() {
        let err = Region::allocate(&SysRoot::default(), usize::MAX / 4, PagePolicy::Small, Some(0)).unwrap_err();
        assert!(matches!(err, PlacementError::NodeTooSmall { node: 0, .. }), "{err}");
        let err = Region::allocate(&SysRoot::default(), 4096, PagePolicy::Small, Some(999)).unwrap_err();
        assert!(matches!(err, PlacementError::NodeUnknown { node: 999, .. }), "{err}");
    }

    /// A verified placement says so by its fraction and has no reason.
    #[test]
    fn a_verified_placement_has_no_reason_and_an_unbound_one_needs_none() {
        let region = Region::allocate(&SysRoot::default(), 1 << 20, PagePolicy::Small, Some(0)).unwrap();
        region.first_touch(0, region.len());
        assert_eq!(region.placement(region.len()).unverified, None);
        let free = Region::allocate(&SysRoot::default(), 1 << 20, PagePolicy::Small, None).unwrap();
        let p = free.placement(free.len());
        assert_eq!((p.on_node_fraction, p.unverified), (None, None));
    }

    /// move_pages refused by a seccomp filter, as container runtimes
    /// install them: the record keeps why, never a silent null.
    #[test]
    fn move_pages_refused_by_seccomp_leaves_the_reason() {
        for (errno, name, cause) in [(libc::ENOSYS, "ENOSYS", "seccomp filter"), (libc::EPERM, "EPERM", "refused")] {
            let placement = std::thread::spawn(move || {
                let region = Region::allocate(&SysRoot::default(), 1 << 20, PagePolicy::Small, Some(0)).unwrap();
                region.first_touch(0, region.len());
                refuse_move_pages_in_this_thread(errno);
                region.placement(region.len())
            })
            .join()
            .unwrap();
            assert_eq!((placement.node, placement.on_node_fraction, placement.pages_checked), (Some(0), None, 0));
            let why = placement.unverified.unwrap();
            assert!(why.starts_with(&format!("move_pages failed with {name} (")), "{why}");
            assert!(why.contains(cause) && why.ends_with("where the pages are is unknown"), "{why}");
        }
    }

    /// Installs a seccomp filter on the calling thread only (no TSYNC):
    /// move_pages returns `errno`, every other call is allowed.
    fn refuse_move_pages_in_this_thread(errno: i32) {
        let stmt = |code: u32, k: u32| libc::sock_filter { code: code as u16, jt: 0, jf: 0, k };
        let filter = [
            // Load the syscall number (seccomp_data.nr, offset 0).
            stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0),
            libc::sock_filter {
                code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
                jt: 0,
                jf: 1,
                k: libc::SYS_move_pages as u32,
            },
            stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ERRNO | errno as u32),
            stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
        ];
        let program = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr().cast_mut() };
        // SAFETY: prctl with a filter program that outlives the call.
        unsafe {
            assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
            let rc = libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &program as *const libc::sock_fprog);
            assert_eq!(rc, 0, "seccomp: {}", std::io::Error::last_os_error());
        }
    }

    #[test]
    fn policies_parse_and_name_round_trip() {
        for name in PagePolicy::NAMES {
            assert_eq!(PagePolicy::parse(name).unwrap().name(), name);
        }
        assert!(PagePolicy::parse("1g").is_err());
    }
}
