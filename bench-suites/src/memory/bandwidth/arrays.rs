//! The arrays a, b and c: mapped with a page policy and bound to a node,
//! split into one 64-byte aligned chunk per worker, each chunk initialised
//! (first touched) and checked by its own worker.

use std::ops::Range;

use hwbench_probes::placement::{PagePolicy, PlacementError, Region};
use hwbench_probes::SysRoot;
use hwbench_schema::Placement;

use super::kernels::Chunk;
use super::validate::{Deviation, INITIAL};

/// Chunk boundaries fall on multiples of this many elements (64 bytes).
const ALIGN_ELEMENTS: usize = 8;

/// The arrays one configuration uses.
pub struct Arrays {
    regions: [Option<Region>; 3],
    elements: usize,
    chunks: Vec<Range<usize>>,
}

impl Arrays {
    /// Maps the arrays `which` (indices) of `elements` f64 each, with
    /// `policy`, bound to `node` when given, split among `workers`.
    /// Nothing is touched yet.
    pub fn allocate(
        root: &SysRoot,
        elements: usize,
        which: &[usize],
        policy: PagePolicy,
        node: Option<u32>,
        workers: usize,
    ) -> Result<Arrays, PlacementError> {
        if let Some(node) = node {
            // Each region checks the node on its own; the arrays must fit
            // together, or the kernel would kill us at first touch.
            let total = (which.len() * elements * 8) as u64;
            let free = hwbench_probes::placement::node_free_bytes(root, node)?;
            if total > free {
                return Err(PlacementError::NodeTooSmall { node, bytes: total, free });
            }
        }
        let mut regions = [None, None, None];
        for &i in which {
            regions[i] = Some(Region::allocate(root, elements * 8, policy, node)?);
        }
        Ok(Arrays { regions, elements, chunks: split(elements, workers) })
    }

    /// Arrays over regions the caller mapped and placed (pages split
    /// between nodes, say), `elements` f64 each, split among `workers`.
    /// Nothing is touched yet. None when a region is shorter than that.
    pub fn from_regions(regions: [Option<Region>; 3], elements: usize, workers: usize) -> Option<Arrays> {
        if regions.iter().flatten().any(|r| r.len() < elements * 8) {
            return None;
        }
        Some(Arrays { regions, elements, chunks: split(elements, workers) })
    }

    /// Elements in each array.
    pub fn elements(&self) -> usize {
        self.elements
    }

    /// True when every array of `which` is mapped.
    pub fn has(&self, which: &[usize]) -> bool {
        which.iter().all(|&i| self.regions[i].is_some())
    }

    /// The worker's part of every mapped array (null for the others).
    pub fn chunk(&self, worker: usize) -> Chunk {
        let range = &self.chunks[worker];
        let arrays = self.regions.each_ref().map(|r| match r {
            // SAFETY: range.start <= elements, inside the region.
            Some(r) => unsafe { r.as_ptr().cast::<f64>().add(range.start) },
            None => std::ptr::null_mut(),
        });
        Chunk { arrays, len: range.len() }
    }

    /// Writes the initial values into the worker's part of `which`: run by
    /// each worker, so the first call places its pages (first touch).
    pub fn init(&self, worker: usize, which: &[usize]) {
        for &i in which {
            // SAFETY: each worker writes only its own chunk.
            unsafe { self.part(worker, i) }.fill(INITIAL[i]);
        }
    }

    /// How far the worker's part of array `index` is from `first` (its
    /// first element, where the validation chain runs) and `rest` (every
    /// other element).
    pub fn deviation(&self, worker: usize, index: usize, first: f64, rest: f64) -> Deviation {
        // SAFETY: read while no worker writes (between rounds).
        match unsafe { self.part(worker, index) }.split_first() {
            Some((head, tail)) => Deviation::of_value(*head, first).merge(Deviation::of(tail, rest)),
            None => Deviation::default(),
        }
    }

    /// Chunks with at least one element: those whose first element carries
    /// the validation chain.
    pub fn chunks(&self) -> usize {
        self.chunks.iter().filter(|c| !c.is_empty()).count()
    }

    /// Adds 1 to one element of array `index`, as corrupted memory would.
    /// Call only between rounds.
    pub fn corrupt(&self, index: usize, element: usize) {
        if let Some(region) = &self.regions[index] {
            let element = element.min(self.elements.saturating_sub(1));
            // SAFETY: element < elements; no worker runs between rounds.
            unsafe { *region.as_ptr().cast::<f64>().add(element) += 1.0 };
        }
    }

    /// Runs the chain step of `kernel` on the first elements of the
    /// worker's chunk (see [`super::validate::chain_step`]).
    pub fn chain_step(&self, worker: usize, kernel: super::kernels::StreamKernel) {
        let chunk = self.chunk(worker);
        if chunk.len == 0 {
            return;
        }
        // SAFETY: each worker touches only its own chunk; null arrays are
        // ones the kernel does not use, left at their initial value.
        unsafe {
            let mut first = [0, 1, 2].map(|i| if chunk.arrays[i].is_null() { INITIAL[i] } else { *chunk.arrays[i] });
            super::validate::chain_step(kernel, &mut first);
            for (i, &p) in chunk.arrays.iter().enumerate() {
                if !p.is_null() {
                    *p = first[i];
                }
            }
        }
    }

    /// The placement of the arrays `which`: node asked, the fraction of
    /// their checked pages on it, and the page size obtained.
    pub fn placement(&self, which: &[usize]) -> Option<Placement> {
        let parts: Vec<Placement> =
            which.iter().filter_map(|&i| self.regions[i].as_ref()).map(|r| r.placement(r.len())).collect();
        let first = parts.first()?.clone();
        let checked: u64 = parts.iter().map(|p| p.pages_checked).sum();
        let on_node: f64 = parts.iter().map(|p| p.on_node_fraction.unwrap_or(0.0) * p.pages_checked as f64).sum();
        Some(Placement {
            on_node_fraction: first.on_node_fraction.map(|_| if checked == 0 { 0.0 } else { on_node / checked as f64 }),
            pages_checked: checked,
            page_obtained: if parts.iter().all(|p| p.page_obtained == first.page_obtained) {
                first.page_obtained.clone()
            } else {
                "mixed".into()
            },
            huge_bytes: parts.iter().map(|p| p.huge_bytes).sum(),
            unverified: parts.iter().find_map(|p| p.unverified.clone()),
            ..first
        })
    }

    /// The worker's part of array `index` as a slice.
    ///
    /// # Safety
    /// Nobody else reads or writes the part meanwhile.
    #[allow(clippy::mut_from_ref)]
    unsafe fn part(&self, worker: usize, index: usize) -> &mut [f64] {
        let chunk = self.chunk(worker);
        if chunk.arrays[index].is_null() {
            return &mut [];
        }
        std::slice::from_raw_parts_mut(chunk.arrays[index], chunk.len)
    }
}

/// Splits `elements` among `workers` in near-equal ranges whose starts
/// are multiples of 64 bytes.
pub fn split(elements: usize, workers: usize) -> Vec<Range<usize>> {
    let workers = workers.max(1);
    let bound =
        |w: usize| if w == workers { elements } else { elements * w / workers / ALIGN_ELEMENTS * ALIGN_ELEMENTS };
    (0..workers).map(|w| bound(w)..bound(w + 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_everything_once_on_64_byte_boundaries() {
        for (elements, workers) in [(1000, 3), (8, 2), (1 << 20, 7), (5, 1), (17, 4)] {
            let chunks = split(elements, workers);
            assert_eq!(chunks.len(), workers);
            assert_eq!(chunks[0].start, 0);
            assert_eq!(chunks.last().unwrap().end, elements);
            for pair in chunks.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert_eq!(pair[1].start % ALIGN_ELEMENTS, 0);
            }
            let largest = chunks.iter().map(|c| c.len()).max().unwrap();
            assert!(largest <= elements / workers + 2 * ALIGN_ELEMENTS, "{elements}/{workers}: {chunks:?}");
        }
    }
}
