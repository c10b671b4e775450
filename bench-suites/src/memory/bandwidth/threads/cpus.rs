//! Which CPUs the workers run on: one per core first, then the cores'
//! other hardware threads, then (only when allowed) around again.

use hwbench_schema::Topology;

/// The PUs of `usable` in spreading order: the first usable PU of every
/// core, then the second of every core, and so on. PUs the topology does
/// not place in a core come last.
pub fn spread(topology: &Topology, usable: &[u32]) -> Vec<u32> {
    let per_core: Vec<Vec<u32>> = topology
        .cores
        .iter()
        .map(|core| core.pus.iter().copied().filter(|pu| usable.contains(pu)).collect::<Vec<u32>>())
        .filter(|pus| !pus.is_empty())
        .collect();
    let mut order = Vec::with_capacity(usable.len());
    for round in 0..per_core.iter().map(Vec::len).max().unwrap_or(0) {
        order.extend(per_core.iter().filter_map(|pus| pus.get(round)));
    }
    let unplaced: Vec<u32> = usable.iter().copied().filter(|pu| !order.contains(pu)).collect();
    order.extend(unplaced);
    order
}

/// Cores with at least one usable PU: the default thread count.
pub fn cores(topology: &Topology, usable: &[u32]) -> usize {
    let with_pu = topology.cores.iter().filter(|c| c.pus.iter().any(|pu| usable.contains(pu))).count();
    if with_pu == 0 {
        usable.len()
    } else {
        with_pu
    }
}

/// The CPUs for `threads` workers taken from `order`; wraps around only
/// when `oversubscribe`, else more threads than CPUs is an error.
pub fn assign(order: &[u32], threads: usize, oversubscribe: bool) -> Result<Vec<u32>, String> {
    if threads == 0 {
        return Err("0 threads: use 1 or more, or sweep".into());
    }
    if order.is_empty() {
        return Err("no CPU available to run on".into());
    }
    if threads > order.len() && !oversubscribe {
        return Err(format!(
            "{threads} threads but only {} CPUs to run them on (set oversubscribe=yes to share CPUs)",
            order.len()
        ));
    }
    Ok(order.iter().copied().cycle().take(threads).collect())
}

/// Thread counts of a sweep: 1, 2, 4, ... below `all`, then `all`.
pub fn sweep(all: usize) -> Vec<usize> {
    let mut counts: Vec<usize> =
        std::iter::successors(Some(1usize), |n| n.checked_mul(2)).take_while(|&n| n < all).collect();
    counts.push(all.max(1));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwbench_schema::Core;

    fn smt_machine() -> Topology {
        let cores = (0..4).map(|i| Core { index: i, package: 0, pus: vec![i, i + 4] }).collect();
        Topology { cores, ..Topology::default() }
    }

    #[test]
    fn one_thread_per_core_before_siblings() {
        let t = smt_machine();
        assert_eq!(spread(&t, &[0, 1, 2, 3, 4, 5, 6, 7]), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(spread(&t, &[1, 5, 2, 6]), [1, 2, 5, 6]);
        assert_eq!(cores(&t, &[1, 5, 2, 6]), 2);
        assert_eq!(spread(&Topology::default(), &[3, 4]), [3, 4]);
        assert_eq!(cores(&Topology::default(), &[3, 4]), 2);
    }

    #[test]
    fn more_threads_than_cpus_needs_oversubscribe() {
        assert_eq!(assign(&[0, 1], 2, false).unwrap(), [0, 1]);
        assert!(assign(&[0, 1], 3, false).unwrap_err().contains("oversubscribe=yes"));
        assert_eq!(assign(&[0, 1], 3, true).unwrap(), [0, 1, 0]);
        assert!(assign(&[0, 1], 0, true).unwrap_err().starts_with("0 threads"));
    }

    #[test]
    fn sweeps_double_up_to_all() {
        assert_eq!(sweep(1), [1]);
        assert_eq!(sweep(2), [1, 2]);
        assert_eq!(sweep(6), [1, 2, 4, 6]);
        assert_eq!(sweep(8), [1, 2, 4, 8]);
    }
}
