"""Adaptive seeds: which rows of a table get one more seed this round, and what resolving the
table is expected to cost. Pure functions of the evidence (no store, no launcher): ``sweeps.run``
and ``sweeps.plan`` build a ``TableEvidence`` from the results store and call them; the tables
(``analysis.significance``) call ``assess`` on the same evidence, so both read the same verdicts.

The design: a look after every round, each at ``look_level(max_seeds)`` (Bonferroni over at
most ``max_seeds`` rounds). A row gets one more seed while it is unresolved against its
baseline or an open rival for its part's best option, and stops when it is settled, below the
val set's floor, at ``max_seeds``, or when even ``max_seeds`` seeds would not settle it at the
current estimate (futility: stopping early for it can only make claims rarer). Why this does
not inflate false claims: docs/statistics.md.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from stats.intervals import PRIOR_DF, Interval, SeedNoise, delta_interval, interval, seed_noise
from stats.verdicts import (
    ALPHA,
    DEFAULT_MAX_SEEDS,
    NO_CLAIM,
    UNRESOLVED,
    Best,
    Option,
    best_option,
    look_level,
    pair_variance,
    resolvable,
    verdict,
)

NOT_RUN, NO_EVIDENCE = "not run", "no evidence"


@dataclass(frozen=True)
class RowEvidence:
    """One variant of a table as the store holds it.

    ``seed_aps``: the AP (points) of each finished seed; ``replicates``: (B,) the mean over those
    seeds of AP under the table's B paired val-image resamples (the same resamples for every row;
    None without stored detections); ``baseline``: the key of the row's baseline, None for a
    baseline row."""

    key: str
    seed_aps: tuple[float, ...] = ()
    replicates: np.ndarray | None = None
    baseline: str | None = None

    @property
    def n(self) -> int:
        """Finished seeds."""
        return len(self.seed_aps)

    @property
    def ap(self) -> float:
        """Mean AP over the seeds (NaN without one)."""
        return float(np.mean(self.seed_aps)) if self.seed_aps else math.nan

    @property
    def std(self) -> float | None:
        """Sample std of AP over the seeds (None below two seeds)."""
        return float(np.std(self.seed_aps, ddof=1)) if self.n >= 2 else None


@dataclass(frozen=True)
class TableEvidence:
    """Every variant of one table once (``rows`` by key) and its parts: part name -> the keys of
    its options, for "which option is best" (baseline rows in a part are left out of it)."""

    rows: Mapping[str, RowEvidence]
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self):
        for r in self.rows.values():
            if r.baseline is not None and (r.baseline not in self.rows or self.rows[r.baseline].baseline):
                raise ValueError(f"row {r.key}: baseline {r.baseline!r} is not a baseline row of the table")
        for part, keys in self.parts.items():
            missing = [k for k in keys if k not in self.rows]
            if missing:
                raise ValueError(f"part {part!r}: unknown row(s) {', '.join(missing)}")


@dataclass(frozen=True)
class RowStatus:
    """A row against its baseline: verdict (``stats.verdicts`` or not run / no evidence), the
    interval it was read from (None without one) and why, in words."""

    verdict: str
    interval: Interval | None
    why: str


@dataclass(frozen=True)
class Assessment:
    """Everything a table says now: sigma_seed, the per-look level, each non-baseline row's
    status and each part's best option."""

    noise: SeedNoise
    level: float
    resolve: float
    max_seeds: int
    rows: dict[str, RowStatus]
    best: dict[str, Best]


def assess(table: TableEvidence, resolve: float, max_seeds: int = DEFAULT_MAX_SEEDS,
           seed_sigma: float | None = None, prior_df: float = PRIOR_DF, alpha: float = ALPHA,
           level: float | None = None) -> Assessment:
    """Intervals and verdicts of every row against its baseline, and each part's best option.
    ``seed_sigma``: the prior sigma_seed (AP points; None: no prior). ``level``: each interval's
    level, by default ``look_level(max_seeds, alpha)``; a fixed design that looks once passes
    ``1 - alpha``."""
    if not resolve > 0:
        raise ValueError(f"resolve={resolve!r}: expected a number > 0 (AP points)")
    rows = table.rows
    noise = seed_noise([r.std for r in rows.values()], [r.n for r in rows.values()], seed_sigma, prior_df)
    level = look_level(max_seeds, alpha) if level is None else level
    status = {k: _row_status(r, rows[r.baseline], noise, resolve, level)
              for k, r in rows.items() if r.baseline is not None}
    best = {}
    for part, keys in table.parts.items():
        options = [Option(k, rows[k].n, rows[k].ap, rows[k].replicates) for k in keys if rows[k].baseline]
        answer = best_option(options, noise, resolve, level, max_seeds)
        if answer is not None:
            best[part] = answer
    return Assessment(noise, level, resolve, max_seeds, status, best)


def _row_status(r: RowEvidence, base: RowEvidence, noise: SeedNoise, resolve: float, level: float) -> RowStatus:
    if r.n == 0 or base.n == 0:
        return RowStatus(NOT_RUN, None, "no finished seed" if r.n == 0 else "its baseline has no finished seed")
    var = math.nan if r.replicates is None or base.replicates is None else pair_variance(r.replicates, base.replicates)
    if not math.isfinite(var):
        return RowStatus(NO_EVIDENCE, None, "no stored detections (or no usable resamples)")
    iv = delta_interval(r.ap - base.ap, var, r.n, base.n, noise, level)
    v = verdict(iv, resolve)
    why = {
        NO_CLAIM: "sigma_seed unknown (one seed per row and no prior): the interval covers val images only",
        UNRESOLVED: f"[{iv.lo:+.2f}, {iv.hi:+.2f}] includes 0 and is wider than ±{resolve:g}",
    }.get(v, f"[{iv.lo:+.2f}, {iv.hi:+.2f}]")
    if v == "below floor":
        why = f"val-image noise alone gives ±{iv.floor:.2f} > ±{resolve:g}: no number of seeds resolves it"
    return RowStatus(v, iv, why)


@dataclass(frozen=True)
class Round:
    """One round's decision: ``launch`` the keys that get one more seed (priority order: first
    seeds, rows unresolved against their baseline, their baselines, each part's top option and
    its open rivals, closest first), ``why`` each one, ``held`` why each other row gets none, and
    the ``assessment`` it rests on."""

    launch: tuple[str, ...]
    why: dict[str, str]
    held: dict[str, str]
    assessment: Assessment


def next_seeds(table: TableEvidence, resolve: float, max_seeds: int = DEFAULT_MAX_SEEDS,
               seed_sigma: float | None = None, prior_df: float = PRIOR_DF, alpha: float = ALPHA,
               budget: int | None = None) -> Round:
    """Which rows get ONE more seed this round (at most ``budget`` of them, None: no cap).

    A row gets one when it has none yet; when it is unresolved against its baseline (or has no
    claim because sigma_seed is unknown) and ``max_seeds`` could still settle it; its baseline
    whenever any such row needs one; and, per part whose best option is open, the top option and
    its open rivals. Nothing goes to a row at ``max_seeds``, below the val set's floor, decided,
    or without stored detections. An empty ``launch`` means the table is done."""
    a = assess(table, resolve, max_seeds, seed_sigma, prior_df, alpha)
    rows, want = table.rows, {}

    def add(key: str, why: str) -> None:
        if key not in want and rows[key].n < max_seeds:
            want[key] = why

    for k, r in rows.items():
        if r.n == 0:
            add(k, "first seed")
    for k, st in a.rows.items():
        if st.verdict not in (UNRESOLVED, NO_CLAIM):
            continue
        iv = st.interval
        if st.verdict == UNRESOLVED and not resolvable(iv.estimate, iv.image_sd ** 2, a.noise, resolve, a.level, max_seeds):
            continue
        add(k, "unresolved against its baseline" if st.verdict == UNRESOLVED else "sigma_seed unknown: a replicate")
        add(rows[k].baseline, "baseline of an unresolved row")
    for part, b in a.best.items():
        if b.open:
            add(b.top, f"top option of {part or 'its part'}")
            for k in b.open:
                add(k, f"rival of the top option of {part or 'its part'}")
    launch = tuple(want)[:budget] if budget is not None else tuple(want)
    return Round(launch, {k: want[k] for k in launch}, _held(table, a, launch, resolve, max_seeds), a)


def _held(table: TableEvidence, a: Assessment, launch: tuple[str, ...], resolve: float, max_seeds: int) -> dict[str, str]:
    held = {}
    for k, r in table.rows.items():
        if k in launch:
            continue
        st = a.rows.get(k)
        if r.n >= max_seeds:
            held[k] = f"at max_seeds={max_seeds}"
        elif st is None:
            held[k] = "baseline: no row against it needs a seed"
        elif st.verdict == UNRESOLVED:
            held[k] = f"unresolved, and max_seeds={max_seeds} would not settle it at the current estimate"
        else:
            held[k] = f"{st.verdict}: {st.why}"
    return held


def seeds_to_resolve(estimate: float, image_var: float, noise: SeedNoise, resolve: float, level: float,
                     max_seeds: int, start: int = 1) -> int | None:
    """Fewest seeds n in [start, max_seeds] (on both sides of a difference) at which a difference
    of ``estimate`` would be settled, sigma_seed and image variance as estimated now; None if
    none (or sigma_seed unknown)."""
    if not noise.known:
        return None
    for n in range(max(1, start), max_seeds + 1):
        half = interval(estimate, image_var, 2 / n, noise, level).half
        if abs(estimate) > half or abs(estimate) + half <= resolve:
            return n
    return None


@dataclass(frozen=True)
class Cost:
    """Projected end state: ``seeds`` each row is expected to end with, how many ``more_seeds``
    that is and their ``gpu_hours``; ``basis`` says what the projection rests on."""

    seeds: dict[str, int]
    more_seeds: int
    gpu_hours: float
    basis: str


def expected_cost(table: TableEvidence, resolve: float, max_seeds: int = DEFAULT_MAX_SEEDS,
                  seed_sigma: float | None = None, gpu_hours: float | Mapping[str, float] = 1.0,
                  prior_delta: Mapping[str, float] | None = None, prior_df: float = PRIOR_DF,
                  alpha: float = ALPHA) -> Cost:
    """Seeds and GPU-hours the adaptive policy is expected to spend to resolve ``table``.

    Rows with evidence: the fewest seeds at which their current Delta (and each open rival's gap
    to its part's top) would be settled. Rows not run yet: one seed, plus what a Delta of
    ``prior_delta[key]`` (e.g. the paper's; default ``resolve``) would need, with the table's
    median image variance (0 when nothing is known). sigma_seed unknown: a second seed per row.
    ``gpu_hours``: per seed, one figure or per key. A projection at today's estimates, not a bound."""
    a = assess(table, resolve, max_seeds, seed_sigma, prior_df, alpha)
    rows, prior_delta = table.rows, dict(prior_delta or {})
    target = {k: max(r.n, 1) for k, r in rows.items()}
    known = [st.interval.image_sd ** 2 for st in a.rows.values() if st.interval is not None]
    var0 = float(np.median(known)) if known else 0.0

    def need(keys: tuple[str, ...], estimate: float, var: float) -> None:
        n = 2 if not a.noise.known else seeds_to_resolve(estimate, var, a.noise, resolve, a.level, max_seeds)
        for k in keys if n else ():
            target[k] = max(target[k], min(n, max_seeds))

    for k, st in a.rows.items():
        pair = (k, rows[k].baseline)
        if st.verdict in (UNRESOLVED, NO_CLAIM):
            need(pair, st.interval.estimate, st.interval.image_sd ** 2)
        elif st.verdict == NOT_RUN:
            need(pair, prior_delta.get(k, resolve), var0)
    for b in a.best.values():
        for k in b.open:
            need((b.top, k), b.intervals[k].estimate, b.intervals[k].image_sd ** 2)
    for keys in table.parts.values():
        opts = [k for k in keys if rows[k].baseline]
        if any(rows[k].n == 0 for k in opts) and all(k in prior_delta for k in opts) and len(opts) >= 2:
            top = max(opts, key=prior_delta.get)
            for k in opts:
                if k != top:
                    need((top, k), prior_delta[k] - prior_delta[top], var0)
    hours = gpu_hours if isinstance(gpu_hours, Mapping) else dict.fromkeys(rows, float(gpu_hours))
    more = {k: target[k] - rows[k].n for k in rows}
    basis = (f"evidence in the store, sigma_seed {a.noise.source}" if any(r.n for r in rows.values())
             else f"no evidence yet: sigma_seed {a.noise.source}, image variance {var0:g}")
    return Cost(target, sum(more.values()), float(sum(m * hours[k] for k, m in more.items())), basis)
