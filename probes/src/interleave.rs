//! Splitting a range's pages between nodes in a ratio, two ways:
//! - explicitly ([`Split`]): the range is cut into chunks and, period
//!   after period, `w_i` consecutive chunks are bound to node `i` with
//!   mbind(MPOL_BIND); this works on any kernel and needs no privilege;
//! - by the kernel's weighted interleave (Linux 6.9+): mbind with
//!   MPOL_WEIGHTED_INTERLEAVE over the nodes, each node getting pages in
//!   the proportion of its weight in /sys/kernel/mm/mempolicy/
//!   weighted_interleave/nodeN. Those weights are system-wide: they are
//!   read ([`kernel_weights`]) and only written when the user asks
//!   ([`KernelWeights::set`], which restores them when dropped).
//!
//! Either way the split obtained is then counted page by page
//! ([`crate::mempolicy::census`]), never assumed.

use std::collections::BTreeMap;
use std::fmt;
use std::io;

use crate::mempolicy::{self, Mode, MF_STRICT};
use crate::sysroot::SysRoot;

/// Where the kernel keeps the weighted-interleave weights.
pub const WEIGHTS_DIR: &str = "/sys/kernel/mm/mempolicy/weighted_interleave";

/// Shares of pages per node, in node order: "3:1" puts three pages on the
/// first node for every one on the second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ratio(Vec<u32>);

impl Ratio {
    /// Parses "3:1" or "2:1:1": whole numbers, at least two, not all 0.
    pub fn parse(text: &str) -> Result<Ratio, String> {
        let parts: Vec<u32> = text
            .split(':')
            .map(|p| p.trim().parse::<u32>().map_err(|_| format!("'{text}' is not a ratio like 3:1 (whole numbers)")))
            .collect::<Result<_, _>>()?;
        if parts.len() < 2 {
            return Err(format!("'{text}' names one share; a ratio like 3:1 names one per node"));
        }
        if parts.iter().all(|&p| p == 0) {
            return Err(format!("'{text}' puts no page anywhere"));
        }
        if parts.iter().any(|&p| p > 64) {
            return Err(format!("'{text}': shares above 64 are not supported (write the ratio in lowest terms)"));
        }
        Ok(Ratio(parts))
    }

    /// A ratio of these shares (not all 0).
    pub fn of(parts: &[u32]) -> Ratio {
        Ratio(parts.to_vec())
    }

    /// The shares, one per node.
    pub fn parts(&self) -> &[u32] {
        &self.0
    }

    /// The fraction of pages the share of node index `i` asks for.
    pub fn fraction(&self, i: usize) -> f64 {
        let total: u32 = self.0.iter().sum();
        self.0.get(i).map_or(0.0, |&w| w as f64 / total as f64)
    }

    /// The same ratio in lowest terms (6:2 is 3:1).
    pub fn reduced(&self) -> Ratio {
        let g = self.0.iter().copied().fold(0, gcd).max(1);
        Ratio(self.0.iter().map(|w| w / g).collect())
    }

    /// The nodes (of `nodes`, in order) with a share above 0.
    pub fn used<'a>(&'a self, nodes: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
        nodes.iter().zip(&self.0).filter(|(_, &w)| w > 0).map(|(&n, _)| n)
    }
}

/// "3:1".
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join(":"))
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// One run of consecutive bytes bound to one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Offset from the start of the range.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// The node.
    pub node: u32,
}

/// An explicit split of a range between nodes in a ratio, chunk by chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The nodes, in the ratio's order.
    pub nodes: Vec<u32>,
    /// Shares of the nodes, in lowest terms.
    pub ratio: Ratio,
    /// Bytes of one chunk (a multiple of the page size asked for).
    pub chunk: usize,
}

impl Split {
    /// A split of `nodes` by `ratio` in chunks of `chunk` bytes.
    pub fn new(nodes: &[u32], ratio: &Ratio, chunk: usize) -> Result<Split, String> {
        if nodes.len() != ratio.parts().len() {
            return Err(format!("{} nodes but a ratio of {} shares ({ratio})", nodes.len(), ratio.parts().len()));
        }
        if chunk == 0 || !chunk.is_multiple_of(mempolicy::BASE_PAGE) {
            return Err(format!("a chunk of {chunk} bytes is not a whole number of pages"));
        }
        Ok(Split { nodes: nodes.to_vec(), ratio: ratio.reduced(), chunk })
    }

    /// Bytes of one period: every node's share of chunks once.
    pub fn period(&self) -> usize {
        self.ratio.parts().iter().sum::<u32>() as usize * self.chunk
    }

    /// The runs of `len` bytes: period after period, node `i` gets `w_i`
    /// consecutive chunks; adjacent runs on one node are merged. A `len`
    /// that is not a whole number of periods ends inside the pattern.
    pub fn runs(&self, len: usize) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        let mut offset = 0;
        'periods: while offset < len {
            for (&node, &w) in self.nodes.iter().zip(self.ratio.parts()) {
                if offset >= len {
                    break 'periods;
                }
                let bytes = (w as usize * self.chunk).min(len - offset);
                if bytes == 0 {
                    continue;
                }
                match runs.last_mut() {
                    Some(last) if last.node == node => last.len += bytes,
                    _ => runs.push(Run { offset, len: bytes, node }),
                }
                offset += bytes;
            }
        }
        runs
    }

    /// The fraction of pages each node should get.
    pub fn expected(&self) -> BTreeMap<u32, f64> {
        let mut out = BTreeMap::new();
        for (i, &n) in self.nodes.iter().enumerate() {
            *out.entry(n).or_insert(0.0) += self.ratio.fraction(i);
        }
        out
    }

    /// Binds each run of `[addr, addr+len)` to its node (mbind MPOL_BIND,
    /// strict). Pages are placed when first touched.
    ///
    /// # Safety
    /// The range must be mapped by this process, page aligned, and
    /// `len` rounded up to the chunk must stay inside the mapping.
    pub unsafe fn apply(&self, addr: *mut u8, len: usize) -> io::Result<()> {
        for run in self.runs(len.div_ceil(self.chunk) * self.chunk) {
            mempolicy::mbind(addr.add(run.offset), run.len, Mode::Bind, &[run.node], MF_STRICT)?;
        }
        Ok(())
    }
}

/// Sets the kernel's weighted interleave over `nodes` on `[addr, addr+len)`.
///
/// # Safety
/// As [`Split::apply`].
pub unsafe fn apply_weighted(addr: *mut u8, len: usize, nodes: &[u32]) -> io::Result<()> {
    mempolicy::mbind(addr, len, Mode::WeightedInterleave, nodes, MF_STRICT)
}

/// The weighted-interleave settings sysfs shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelWeights {
    /// Each node's weight (1 to 255).
    pub weights: BTreeMap<u32, u32>,
    /// The `auto` switch of Linux 6.16+ (true: the kernel derives the
    /// weights from the nodes' HMAT bandwidth); None where it does not exist.
    pub auto: Option<bool>,
}

/// The `auto` switch: `auto` as the kernel names it, and `__auto_type` as a
/// kernel built where `auto` is a C keyword macro names the same file.
const AUTO_FILES: [&str; 2] = ["auto", "__auto_type"];

/// Reads the weighted-interleave weights, or says why there are none.
pub fn kernel_weights(root: &SysRoot) -> Result<KernelWeights, String> {
    if !root.exists(WEIGHTS_DIR) {
        return Err(format!(
            "{WEIGHTS_DIR} does not exist: this kernel has no weighted interleave (Linux 6.9 or later has it)"
        ));
    }
    let mut weights = BTreeMap::new();
    for name in root.list_dir(WEIGHTS_DIR) {
        let Some(node) = name.strip_prefix("node").and_then(|n| n.parse::<u32>().ok()) else { continue };
        let weight = root.parse::<u32>(&format!("{WEIGHTS_DIR}/{name}")).map_err(|e| e.to_string())?;
        weights.insert(node, weight);
    }
    let auto = AUTO_FILES.iter().find_map(|f| root.read(&format!("{WEIGHTS_DIR}/{f}")).ok()).map(|v| v == "true");
    Ok(KernelWeights { weights, auto })
}

impl KernelWeights {
    /// The weights of `nodes` in their order, as a ratio in lowest terms;
    /// None when a node has no weight file.
    pub fn ratio_of(&self, nodes: &[u32]) -> Option<Ratio> {
        let parts: Option<Vec<u32>> = nodes.iter().map(|n| self.weights.get(n).copied()).collect();
        Some(Ratio(parts?).reduced())
    }

    /// Writes `ratio` as the weights of `nodes` (the user asked for it);
    /// the returned guard writes the weights and auto mode read here back
    /// when dropped. Writing needs root (the files are root's, 0644).
    pub fn set(&self, root: &SysRoot, nodes: &[u32], ratio: &Ratio) -> io::Result<WeightsRestore> {
        let restore = WeightsRestore { root: root.clone(), old: self.clone() };
        for (&n, &w) in nodes.iter().zip(ratio.parts()) {
            if w == 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "a weighted-interleave weight cannot be 0"));
            }
            std::fs::write(root.path(&format!("{WEIGHTS_DIR}/node{n}")), format!("{w}\n"))?;
        }
        Ok(restore)
    }
}

/// Puts the weights (and auto mode) back as they were when dropped.
#[derive(Debug)]
pub struct WeightsRestore {
    root: SysRoot,
    old: KernelWeights,
}

impl Drop for WeightsRestore {
    fn drop(&mut self) {
        for (n, w) in &self.old.weights {
            let _ = std::fs::write(self.root.path(&format!("{WEIGHTS_DIR}/node{n}")), format!("{w}\n"));
        }
        if self.old.auto == Some(true) {
            for f in AUTO_FILES {
                let path = self.root.path(&format!("{WEIGHTS_DIR}/{f}"));
                if path.exists() {
                    let _ = std::fs::write(path, "true\n");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture() -> SysRoot {
        SysRoot::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs/two-socket-cxl"))
    }

    #[test]
    fn ratios_parse_reduce_and_print() {
        let r = Ratio::parse("6:2").unwrap();
        assert_eq!(r.reduced(), Ratio::of(&[3, 1]));
        assert_eq!(r.reduced().to_string(), "3:1");
        assert_eq!(r.fraction(0), 0.75);
        assert_eq!(Ratio::parse("1:0").unwrap().reduced(), Ratio::of(&[1, 0]));
        for bad in ["3", "a:1", "0:0", "3:-1", "100:1"] {
            assert!(Ratio::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_split_lays_out_whole_periods_in_the_ratio() {
        let split = Split::new(&[0, 2], &Ratio::of(&[3, 1]), 4096).unwrap();
        assert_eq!(split.period(), 4 * 4096);
        let runs = split.runs(8 * 4096);
        assert_eq!(
            runs,
            vec![
                Run { offset: 0, len: 3 * 4096, node: 0 },
                Run { offset: 3 * 4096, len: 4096, node: 2 },
                Run { offset: 4 * 4096, len: 3 * 4096, node: 0 },
                Run { offset: 7 * 4096, len: 4096, node: 2 },
            ]
        );
        let on = |node| runs.iter().filter(|r| r.node == node).map(|r| r.len).sum::<usize>();
        assert_eq!((on(0), on(2)), (6 * 4096, 2 * 4096));
        assert_eq!(split.expected(), BTreeMap::from([(0, 0.75), (2, 0.25)]));
    }

    #[test]
    fn a_node_with_no_share_gets_no_run_and_one_node_is_one_run() {
        let split = Split::new(&[0, 1], &Ratio::of(&[1, 0]), 8192).unwrap();
        assert_eq!(split.runs(10 * 8192), vec![Run { offset: 0, len: 10 * 8192, node: 0 }]);
        assert!(Split::new(&[0, 1], &Ratio::of(&[1, 1, 1]), 4096).is_err());
        assert!(Split::new(&[0, 1], &Ratio::of(&[1, 1]), 1000).is_err());
    }

    #[test]
    fn an_explicit_split_on_one_node_lands_every_page_there() {
        // This machine may have one node: a 1:1 split of node 0 with itself
        // still goes through mbind per run and the census.
        let len = 64 * 4096;
        let region =
            crate::placement::Region::allocate(&SysRoot::default(), len, crate::placement::PagePolicy::Small, None)
                .unwrap();
        let split = Split::new(&[0, 0], &Ratio::of(&[3, 1]), 4096).unwrap();
        // SAFETY: the region's own mapping.
        unsafe { split.apply(region.as_ptr(), len).unwrap() };
        region.first_touch(0, len);
        let census = mempolicy::census(region.as_ptr(), len).unwrap();
        assert_eq!(census.pages, 64);
        assert_eq!(census.fraction(0), 1.0);
    }

    #[test]
    fn fixture_weights_are_read_with_the_auto_switch() {
        let w = kernel_weights(&fixture()).unwrap();
        assert_eq!(w.weights, BTreeMap::from([(0, 3), (1, 3), (2, 1)]));
        assert_eq!(w.auto, Some(true));
        assert_eq!(w.ratio_of(&[0, 2]), Some(Ratio::of(&[3, 1])));
        assert_eq!(w.ratio_of(&[0, 7]), None);
        let none = kernel_weights(&SysRoot::new("/nonexistent")).unwrap_err();
        assert!(none.contains("Linux 6.9"), "{none}");
    }

    #[test]
    fn setting_weights_writes_them_and_dropping_restores_them() {
        let dir = std::env::temp_dir().join(format!("hwbench-weights-{}", std::process::id()));
        let weights = dir.join(WEIGHTS_DIR.trim_start_matches('/'));
        std::fs::create_dir_all(&weights).unwrap();
        for (n, w) in [(0, "1"), (1, "1")] {
            std::fs::write(weights.join(format!("node{n}")), w).unwrap();
        }
        std::fs::write(weights.join("auto"), "true").unwrap();
        let root = SysRoot::new(&dir);
        let before = kernel_weights(&root).unwrap();
        {
            let _guard = before.set(&root, &[0, 1], &Ratio::of(&[3, 1])).unwrap();
            // The kernel turns auto off when a weight is written; so does this.
            std::fs::write(weights.join("auto"), "false").unwrap();
            assert_eq!(kernel_weights(&root).unwrap().ratio_of(&[0, 1]), Some(Ratio::of(&[3, 1])));
        }
        assert_eq!(kernel_weights(&root).unwrap(), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
