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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from description.paper_tables import COLUMNS, TableSpec, match_key
from results.frame import finished_runs
from stats.intervals import SeedNoise, interval, seed_noise
from stats.evidence import Evidence as Built
from stats.evidence import build, runs_by_row
from stats.policy import TableEvidence, assess, seeds_to_resolve
from stats.verdicts import BETTER, DEFAULT_MAX_SEEDS, WORSE, Best


INTERVAL_COLUMNS = (*(f"{c}_{e}" for c in COLUMNS for e in ("lo", "hi", "source")), "delta_AP_lo", "delta_AP_hi",
                    "delta_AP_p", "significant", "verdict", "delta_AP_source")


@dataclass
class Evidence:
    """What a table's CIs rest on, for its footnote; ``images`` None: no CI could be computed."""

    resamples: int
    seed: int
    images: int | None = None
    seeds: tuple[int, int] = (0, 0)  # fewest and most runs in a row with a CI
    noise_floor: float | None = None  # median half-width of the Delta AP intervals (AP points)
    resolve: float = 0.2  # AP: verdicts' "within +-resolve", and what ``seeds_for_resolve`` is for
    seeds_for_resolve: int | None = None
    sigma_seed: float | None = None  # std of AP over seeds used by the intervals (None: unknown)
    sigma_images: float | None = None  # std of Delta AP over image resamples (median over rows)
    noise: SeedNoise | None = None  # sigma_seed with its df and source
    prior: float | None = None  # the prior sigma_seed the table was given (None: none)
    max_seeds: int = DEFAULT_MAX_SEEDS  # looks the intervals are Bonferroni-corrected for
    level: float | None = None  # each interval's level
    verdicts: dict[str, int] = field(default_factory=dict)  # verdict -> rows
    best: dict[str, Best] = field(default_factory=dict)  # part -> its best option
    problems: list[str] = field(default_factory=list)


def _keys(spec: TableSpec) -> dict[str, str | None]:
    """Every variant of the table (baselines included) -> its baseline's key (None: a baseline)."""
    keys = {}
    for part in spec.parts:
        for r in part.rows:
            keys.setdefault(match_key(False, r.detector, {}), None)
            keys.setdefault(r.match, None if r.baseline else match_key(False, r.detector, {}))
    return keys


def add_intervals(spec: TableSpec, table: pd.DataFrame, frame: pd.DataFrame, resamples: int = 1000,
                  seed: int = 0, resolve: float = 0.2, seed_sigma: float | None = None,
                  max_seeds: int = DEFAULT_MAX_SEEDS) -> Evidence:
    """Fill ``table``'s CI, verdict and best-option columns in place from the runs in the records
    ``frame``; return the evidence. ``seed_sigma``: the prior sigma_seed (AP; None: none);
    ``max_seeds``: the looks the intervals are corrected for (1: a plain 95% interval)."""
    ev = Evidence(resamples, seed, resolve=resolve, prior=seed_sigma, max_seeds=max_seeds)
    keys = _keys(spec)
    for variant in table["variant"]:  # rows that are no paper row (analysis.collect.extra_rows)
        if variant not in keys and str(variant).startswith("msfm|"):
            keys[variant] = match_key(False, str(variant).split("|")[1], {})
            keys.setdefault(keys[variant], None)
    runs = runs_by_row(finished_runs(frame, spec.metric).to_dict("records"), spec.metric)
    if resamples <= 0:
        ev.problems.append("bootstrap off (bootstrap=0)")
    built = build(runs, keys, _parts(spec), spec.metric, max(resamples, 0), seed)
    ev.problems += list(built.problems)
    reps, val_set = built.replicates, built.val_set
    a = assess(built.table, resolve, max_seeds, seed_sigma)
    ev.noise, ev.level, ev.best, ev.sigma_seed = a.noise, a.level, a.best, a.noise.sigma
    intervals = variant_intervals(built, runs, a)
    finished = table["state"] == "finished"
    shown = finished & table["variant"].isin(intervals.index)
    missing = int((finished & ~shown).sum())
    _join(table, shown, intervals.drop(columns="image_sd"))
    for idx in table.index[shown]:
        _best_mark(table, idx, table.loc[idx], ev.best)
    images_sd = intervals.loc[intervals.index.isin(table.loc[shown, "variant"]), "image_sd"].dropna().to_dict()
    if missing:
        ev.problems.append(f"{missing} row(s) without stored detections")
    if reps:
        counts = [len(runs[k]) for k in reps]
        ev.images, ev.seeds = val_set[0], (min(counts), max(counts))
    unique = table.drop_duplicates("variant")  # a variant shown in several parts counts once
    halves = ((unique["delta_AP_hi"] - unique["delta_AP_lo"]) / 2).dropna()
    ev.noise_floor = float(halves.median()) if len(halves) else None
    ev.sigma_images = float(np.median(list(images_sd.values()))) if images_sd else None
    ev.verdicts = unique["verdict"].dropna().value_counts().to_dict()
    return _finish(ev)


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


def _finish(ev: Evidence) -> Evidence:
    """Seeds per row at which a Delta of ``resolve`` would be shown (None: not within 100)."""
    if ev.noise is not None and ev.noise.known:
        var = (ev.sigma_images or 0.0) ** 2
        ev.seeds_for_resolve = seeds_to_resolve(ev.resolve, var, ev.noise, ev.resolve, ev.level, 100)
    return ev
