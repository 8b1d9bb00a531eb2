"""What an interval says about a row, and which option of a table's part is best.

Row against its baseline (``verdict``), read off the interval at the design's per-look level
(``look_level``):
- **better** / **worse**: the interval excludes 0;
- **within +-resolve** (equivalent): the whole interval lies inside [-resolve, +resolve];
- **below floor**: the val images' noise alone (infinitely many seeds) gives a half-width over
  ``resolve`` and |Delta| inside it: no number of seeds settles the row;
- **no claim**: sigma_seed is unknown, so the interval would cover val-image noise only;
- **unresolved**: none of these yet.

Which option of a part is best (``best_option``): the top row (highest mean AP) is **best**
only when its interval against every other option excludes 0; otherwise the options not shown
worse than it are **tied for best**. Reasons: docs/statistics.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stats.intervals import Interval, SeedNoise, interval

ALPHA = 0.05  # chance of any false claim about one comparison, over all its looks together
DEFAULT_MAX_SEEDS = 5
BETTER, WORSE, EQUIVALENT, UNRESOLVED, FLOOR, NO_CLAIM = (
    "better", "worse", "within ±resolve", "unresolved", "below floor", "no claim")


def look_level(max_seeds: int = DEFAULT_MAX_SEEDS, alpha: float = ALPHA) -> float:
    """The level of each look's interval in a design that looks after each of at most
    ``max_seeds`` rounds: ``1 - alpha / max_seeds`` (Bonferroni over the looks), so that the
    chance of any false claim over all looks stays <= ``alpha`` however the looks depend on
    each other and whenever the design stops. ``max_seeds=1``: a single look, ``1 - alpha``."""
    if max_seeds < 1:
        raise ValueError(f"max_seeds={max_seeds!r}: expected a whole number >= 1")
    return 1 - alpha / max_seeds


def verdict(iv: Interval, resolve: float) -> str:
    """The row's verdict from its Delta interval (see the module docstring)."""
    floor = iv.floor > resolve and abs(iv.estimate) <= iv.floor
    if not iv.covers_seeds:
        return FLOOR if floor else NO_CLAIM
    if iv.lo > 0:
        return BETTER
    if iv.hi < 0:
        return WORSE
    if -resolve <= iv.lo and iv.hi <= resolve:
        return EQUIVALENT
    return FLOOR if floor else UNRESOLVED


def resolvable(estimate: float, image_var: float, noise: SeedNoise, resolve: float, level: float,
               max_seeds: int) -> bool:
    """Whether both sides at ``max_seeds`` seeds would settle a difference of ``estimate``
    (exclude 0, or fit inside +-resolve), sigma_seed and the image variance as estimated now.
    Unknown sigma_seed: True (only more seeds can tell)."""
    if not noise.known:
        return True
    half = interval(estimate, image_var, 2 / max_seeds, noise, level).half
    return abs(estimate) > half or abs(estimate) + half <= resolve


@dataclass(frozen=True)
class Option:
    """One option of a part: its seeds ``n``, mean AP and the (B,) seed-mean AP under the table's
    paired val-image resamples (None without stored detections: it takes no part)."""

    key: str
    n: int
    ap: float
    replicates: np.ndarray | None


@dataclass(frozen=True)
class Best:
    """A part's answer: ``status`` "best" (``rows`` = the one best option) or "tied for best"
    (``rows`` = the top option, then those not shown worse, closest first); ``open``: the rivals
    that need more seeds, closest first -- all tied rivals when ``max_seeds`` could still
    separate each of them from the top (so a single best is still attainable), else none;
    ``intervals``: each rival's (rival - top) interval."""

    status: str
    rows: tuple[str, ...]
    open: tuple[str, ...]
    intervals: dict[str, Interval]

    @property
    def top(self) -> str:
        """The option with the highest mean AP."""
        return self.rows[0]

    @property
    def settled(self) -> bool:
        """Whether more seeds could not change the answer (within ``max_seeds``)."""
        return not self.open


def pair_variance(a: np.ndarray, b: np.ndarray) -> float:
    """Variance over the paired resamples of ``a - b`` (resamples where either is NaN left out)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    d = d[np.isfinite(d)]
    return float(np.var(d, ddof=1)) if len(d) >= 2 else float("nan")


def best_option(options: Sequence[Option], noise: SeedNoise, resolve: float, level: float,
                max_seeds: int = DEFAULT_MAX_SEEDS) -> Best | None:
    """Which option of a part is best (module docstring); None when fewer than two options
    have a seed and stored detections."""
    opts = [o for o in options if o.n >= 1 and o.replicates is not None]
    if len(opts) < 2:
        return None
    top = max(opts, key=lambda o: o.ap)
    intervals, tied, open_ = {}, [], []
    for o in sorted((o for o in opts if o is not top), key=lambda o: top.ap - o.ap):
        var = pair_variance(o.replicates, top.replicates)
        if not np.isfinite(var):  # no usable resamples: it cannot be shown worse
            tied.append(o.key)
            continue
        iv = interval(o.ap - top.ap, var, 1 / o.n + 1 / top.n, noise, level)
        intervals[o.key] = iv
        if iv.covers_seeds and iv.hi < 0:
            continue  # shown worse than the top
        tied.append(o.key)
        v = verdict(iv, resolve)
        if v not in (EQUIVALENT, FLOOR) and min(o.n, top.n) < max_seeds and resolvable(
                iv.estimate, var, noise, resolve, level, max_seeds):
            open_.append(o.key)
    if not tied:
        return Best("best", (top.key,), (), intervals)
    if len(open_) < len(tied):  # a rival no seed can separate: the answer stays a tie, spend nothing
        open_ = []
    return Best("tied for best", (top.key, *tied), tuple(open_), intervals)
