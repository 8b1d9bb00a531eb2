"""Bootstrap arithmetic the benchmarks report: percentile CIs and p-values of replicate metrics.

Replicates are arrays (metrics, B): column b is the metric under the b-th resample of the val
images, the same resample for every run (paired). The tables' intervals, which also cover
training seeds, are ``stats.intervals`` and ``stats.policy`` (docs/statistics.md); these two
helpers only summarise a benchmark's own paired Delta.
"""
from __future__ import annotations

import math

import numpy as np


def percentile_ci(samples: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval along the last axis (NaN-aware: a resample where COCO has no value
    for a metric, e.g. no small objects drawn, is left out)."""
    tail = 100 * (1 - level) / 2
    with np.errstate(all="ignore"):
        lo, hi = np.nanpercentile(samples, [tail, 100 - tail], axis=-1)
    return lo, hi


def two_sided_p(delta: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "Delta = 0": twice the share of resamples on the far side
    of 0, at least 1/B (B resamples cannot show a smaller p). p < 0.05 matches a 95% percentile
    CI that excludes 0."""
    d = delta[np.isfinite(delta)]
    if not len(d):
        return math.nan
    tail = min((d <= 0).sum(), (d >= 0).sum())
    return float(min(1.0, max(2 * tail, 1) / len(d)))
