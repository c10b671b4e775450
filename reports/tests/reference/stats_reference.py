#!/usr/bin/env python3
"""Reference figures for the unit tests of reports/src/stats (run once with
scipy installed; the printed numbers are written into the Rust tests).

Mann-Whitney U: scipy.stats.mannwhitneyu, two-sided, with the method
scipy's "auto" picks: "exact" when a sample has fewer than 8 values and none
tie, else the normal approximation with tie and continuity correction
("asymptotic").
Student t: two-sided p-values at the 97.5% quantiles of R's qt() (the unit
tests also check the closed forms of 1 and 2 degrees of freedom).
Bootstrap: the exact bootstrap distribution of the relative change of
medians (every resample of each side enumerated), whose 2.5 % and 97.5 %
quantiles a Monte-Carlo percentile bootstrap converges to; scipy's
percentile bootstrap on the same data is printed as a cross-check.
"""
import itertools
from collections import Counter

import numpy as np
from scipy import stats

MWU_CASES = {
    "no_ties": ([1.1, 2.2, 3.3, 4.4, 5.5], [2.5, 3.6, 4.7, 5.8, 6.9, 7.0]),
    "no_ties_5_7": ([3.1, 1.2, 7.7, 4.4, 5.0], [6.1, 8.2, 9.3, 2.4, 10.5, 11.6, 12.7]),
    "separated_5": ([1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0]),
    "ties": ([1, 2, 2, 3, 3, 3, 4], [2, 3, 4, 4, 5, 5]),
    "separated": ([10.0, 10.2, 9.9, 10.1, 10.05, 9.95, 10.15, 9.85, 10.3, 9.7],
                  [11.0, 11.2, 10.9, 11.1, 11.05, 10.95, 11.15, 10.85, 11.3, 10.7]),
}

for name, (x, y) in MWU_CASES.items():
    r = stats.mannwhitneyu(x, y, alternative="two-sided", method="auto", use_continuity=True)
    print(f"mwu {name}: U1={r.statistic!r} p={r.pvalue!r}")

for df in (4, 9, 30):
    t = stats.t.ppf(0.975, df)
    print(f"t df={df}: t_0.975={t!r} two-sided p={2 * stats.t.sf(t, df)!r}")


def median_distribution(sample):
    """Exact distribution of the median of a resample (with replacement)."""
    counts = Counter(float(np.median(r)) for r in itertools.product(sample, repeat=len(sample)))
    total = sum(counts.values())
    return {m: c / total for m, c in counts.items()}


BASE = [100.0, 102.0, 97.0, 105.0, 99.0]
NEW = [110.0, 108.0, 113.0, 107.0, 111.0]
dist = Counter()
for mb, pb in median_distribution(BASE).items():
    for mn, pn in median_distribution(NEW).items():
        dist[mn / mb - 1.0] += pb * pn
cdf = 0.0
lower = upper = None
for value in sorted(dist):
    before = cdf
    cdf += dist[value]
    if lower is None and cdf >= 0.025:
        lower = value
        print(f"lower atom {value!r}: cdf before {before:.5f}, after {cdf:.5f}")
    if upper is None and cdf >= 0.975:
        upper = value
        print(f"upper atom {value!r}: cdf before {before:.5f}, after {cdf:.5f}")
print(f"bootstrap exact: change={np.median(NEW) / np.median(BASE) - 1.0!r} lower={lower!r} upper={upper!r}")

res = stats.bootstrap((BASE, NEW), lambda b, n, axis=-1: np.median(n, axis=axis) / np.median(b, axis=axis) - 1.0,
                      method="percentile", n_resamples=20000, random_state=1, paired=False, vectorized=True)
print(f"bootstrap scipy percentile: {res.confidence_interval}")
