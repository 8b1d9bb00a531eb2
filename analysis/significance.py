"""Intervals for a table: each row's APs, and its Delta AP against the baseline with a verdict.

Per finished run with stored detections: match once (``matching``), then COCO AP under B
resamples of the val images (``bootstrap``), the same resamples for every run of the table
(paired). A row's replicate = the mean over its seeds of AP in a resample. Its Delta AP
interval, verdict and part's best option come from ``stats`` (``stats.policy.assess``): paired
val-image variance plus the seed variance sigma_seed^2 (1/n + 1/n_base), sigma_seed from the
table's replicate rows and/or a prior, the very evidence ``sweeps.run`` decides seeds on
(``table_evidence``). The row's own six AP intervals use the same model: its val-image variance
plus sigma_seed^2 / n (per metric: pooled over the table's rows, the prior for AP only). Rows whose runs lack
detections, or whose ground truth is gone, get no interval (shown as —) and the reason is kept
in the table's ``Evidence``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from description.paper_tables import COLUMNS, RowKey, TableSpec
from results.frame import finished_runs
from stats.intervals import SeedNoise, interval, seed_noise
from stats.evidence import Evidence as Built
from stats.evidence import build, runs_by_row
from stats.policy import Assessment, TableEvidence, assess, seeds_to_resolve
from stats.verdicts import BETTER, DEFAULT_MAX_SEEDS, WORSE, Best


INTERVAL_COLUMNS = (*(f"{c}_{e}" for c in COLUMNS for e in ("lo", "hi", "source")), "delta_AP_lo", "delta_AP_hi",
                    "delta_AP_p", "significant", "verdict", "delta_AP_source")


@dataclass(frozen=True)
class Evidence:
    """What a table's CIs rest on, for its footnote; ``images`` None: no CI could be computed.
    Built in one go by :meth:`of`."""

    resamples: int
    resolve: float  # AP: verdicts' "within +-resolve", and what ``seeds_for_resolve`` is for
    prior: float | None  # the prior sigma_seed the table was given (None: none)
    max_seeds: int  # looks the intervals are Bonferroni-corrected for
    noise: SeedNoise | None  # sigma_seed (AP) with its df and source
    level: float | None  # each interval's level
    images: int | None = None
    seeds: tuple[int, int] = (0, 0)  # fewest and most runs in a row with a CI
    noise_floor: float | None = None  # median half-width of the Delta AP intervals (AP points)
    sigma_images: float | None = None  # std of Delta AP over image resamples (median over rows)
    problems: tuple[str, ...] = ()

    @classmethod
    def of(cls, built: Built, runs: dict, a: Assessment, shown: pd.DataFrame, missing: int, *, resamples: int,
           resolve: float, prior: float | None, max_seeds: int) -> Evidence:
        """The evidence of a table from what it was built from: its evidence ``built``, finished
        ``runs`` and assessment ``a``, the intervals of the variants it ``shown`` (one row each,
        :func:`variant_intervals`) and how many finished rows it shows without one (``missing``)."""
        counts = [len(runs[k]) for k in built.replicates]
        halves = ((shown["delta_AP_hi"] - shown["delta_AP_lo"]) / 2).dropna()
        image_sd = shown["image_sd"].dropna()
        problems = (*(["bootstrap off (bootstrap=0)"] if resamples <= 0 else []), *built.problems,
                    *([f"{missing} row(s) without stored detections"] if missing else []))
        return cls(resamples, resolve, prior, max_seeds, a.noise, a.level,
                   images=built.val_set[0] if counts else None, seeds=(min(counts), max(counts)) if counts else (0, 0),
                   noise_floor=float(halves.median()) if len(halves) else None,
                   sigma_images=float(np.median(image_sd)) if len(image_sd) else None, problems=problems)

    @property
    def seeds_for_resolve(self) -> int | None:
        """Seeds per row at which a Delta of ``resolve`` would be shown (None: not within 100,
        or sigma_seed unknown)."""
        if self.noise is None or not self.noise.known:
            return None
        var = (self.sigma_images or 0.0) ** 2
        return seeds_to_resolve(self.resolve, var, self.noise, self.resolve, self.level, 100)


def _keys(spec: TableSpec, extra: Iterable[RowKey] = ()) -> dict[str, str | None]:
    """Every variant of the table (baselines included), then the ``extra`` rows' (rows that are
    no paper row, ``analysis.collect.extra_rows``) -> its baseline's key (None: a baseline)."""
    keys = {}
    for key in (*(r.key for part in spec.parts for r in part.rows), *extra):
        keys.setdefault(str(key.base), None)
        keys.setdefault(str(key), None if key.msfm is None else str(key.base))
    return keys


def add_intervals(spec: TableSpec, table: pd.DataFrame, frame: pd.DataFrame, resamples: int = 1000,
                  seed: int = 0, resolve: float = 0.2, seed_sigma: float | None = None,
                  max_seeds: int = DEFAULT_MAX_SEEDS) -> Evidence:
    """Fill ``table``'s CI, verdict and best-option columns in place from the runs in the records
    ``frame``; return the evidence. ``seed_sigma``: the prior sigma_seed (AP; None: none);
    ``max_seeds``: the looks the intervals are corrected for (1: a plain 95% interval)."""
    row_keys = dict(zip(frame["match"], frame["row_key"]))
    keys = _keys(spec, [row_keys[v] for v in table["variant"] if v in row_keys])
    runs = runs_by_row(finished_runs(frame, spec.metric).to_dict("records"), spec.metric)
    built = build(runs, keys, _parts(spec), spec.metric, max(resamples, 0), seed)
    a = assess(built.table, resolve, max_seeds, seed_sigma)
    intervals = variant_intervals(built, runs, a)
    finished = table["state"] == "finished"
    shown = finished & table["variant"].isin(intervals.index)
    _join(table, shown, intervals.drop(columns="image_sd"))
    for idx in table.index[shown]:
        _best_mark(table, idx, table.loc[idx], a.best)
    return Evidence.of(built, runs, a, intervals[intervals.index.isin(table.loc[shown, "variant"])],
                       int((finished & ~shown).sum()), resamples=resamples, resolve=resolve, prior=seed_sigma,
                       max_seeds=max_seeds)


def variant_intervals(built: Built, runs: dict, a) -> pd.DataFrame:
    """Per variant with replicates (index: its key), from its evidence ``built``, its finished
    ``runs`` and the table's assessment ``a`` (``stats.policy.assess``): its six AP intervals
    (``<metric>_lo``, ``_hi``, ``_source``) and, where it has one, its Delta AP interval against its
    baseline (``delta_AP_lo``, ``_hi``, ``_p``, ``delta_AP_source``, ``image_sd``) with its
    ``verdict`` and ``significant``. A pure function: nothing is read or written."""
    per_seed = {k: np.array([r.aps for r in runs[k]], float) for k in built.replicates}  # (seeds, 6)
    noises = [a.noise if c == "AP" else _pooled([v[:, i] for v in per_seed.values()]) for i, c in enumerate(COLUMNS)]
    rows = []
    for key, reps in built.replicates.items():
        row = {"variant": key}
        for i, c in enumerate(COLUMNS):
            row[f"{c}_lo"], row[f"{c}_hi"] = _row_interval(per_seed[key][:, i], reps[i], noises[i])
            row[f"{c}_source"] = noises[i].source
        st = a.rows.get(key)
        if st is not None and st.interval is not None:
            iv = st.interval
            row.update(delta_AP_lo=iv.lo, delta_AP_hi=iv.hi, delta_AP_p=iv.p, significant=st.verdict in (BETTER, WORSE),
                       verdict=st.verdict, delta_AP_source=iv.source, image_sd=iv.image_sd)
        rows.append(row)
    return pd.DataFrame(rows, columns=["variant", *INTERVAL_COLUMNS, "image_sd"]).set_index("variant")


def _join(table: pd.DataFrame, rows: pd.Series, intervals: pd.DataFrame) -> None:
    """Write ``intervals`` (by variant) into ``table``'s ``rows``, cell by cell where there is a value."""
    for col in intervals.columns:
        values = table.loc[rows, "variant"].map(intervals[col])
        for idx, v in values[values.notna()].items():
            table.loc[idx, col] = v


def _pooled(per_row: list[np.ndarray]) -> SeedNoise:
    """sigma_seed of one metric pooled over the rows' seeds (no prior: the prior is AP's)."""
    rows = [v[np.isfinite(v)] for v in per_row]
    return seed_noise([float(np.std(v, ddof=1)) if len(v) > 1 else None for v in rows], [len(v) for v in rows])


def _row_interval(values: np.ndarray, image_reps: np.ndarray, noise: SeedNoise) -> tuple[float, float]:
    """(lo, hi) of a row's mean over its seeds ``values`` at 95%: the variance of its seed-mean
    under the val-image resamples ``image_reps`` plus sigma_seed^2 / n (NaN where COCO has no value)."""
    values = values[np.isfinite(values)]
    image_var = float(np.nanvar(image_reps, ddof=1)) if np.isfinite(image_reps).sum() > 1 else np.nan
    if not len(values) or not np.isfinite(image_var):
        return np.nan, np.nan
    iv = interval(float(values.mean()), image_var, 1 / len(values), noise)
    return iv.lo, iv.hi


def _best_mark(table: pd.DataFrame, idx, row: pd.Series, best: dict[str, Best]) -> None:
    b = best.get(row["part"])
    if b is not None and row["variant"] in b.rows:
        table.loc[idx, "best"] = b.status


def _parts(spec: TableSpec) -> dict[str, tuple[str, ...]]:
    """Part name -> its option rows' keys (what "which option is best" is asked of)."""
    return {p.name: tuple(r.match for r in p.rows if not r.baseline) for p in spec.parts}


def table_evidence(spec: TableSpec, frame: pd.DataFrame, resamples: int = 1000, seed: int = 0) -> TableEvidence:
    """The evidence ``stats.policy`` decides on, for one table from the records ``frame``: every
    variant's per-seed AP and, where all its runs kept detections, its seed-mean AP under B
    paired val-image resamples (``stats.evidence.build``, as the sweeps' rounds build theirs)."""
    runs = runs_by_row(finished_runs(frame, spec.metric).to_dict("records"), spec.metric)
    return build(runs, _keys(spec), _parts(spec), spec.metric, resamples, seed).table
