"""Confidence intervals for a table: each row's APs and its Delta AP against the table's baseline.

Per finished run with stored detections: match once (``matching``), then COCO AP under B
resamples of the val images (``bootstrap``), the same resamples for every run of the table
(paired). A row's replicate = the mean over a resample of its seeds (hierarchical where it has
several). Rows whose runs lack detections, or whose ground truth is gone, get no CI (shown as
—) and the reason is kept in the table's ``Evidence``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.replicates import replicates
from analysis.resampling import percentile_ci, seed_mean, seeds_needed, two_sided_p
from analysis.spec import COLUMNS, TableSpec, match_key



@dataclass
class Evidence:
    """What a table's CIs rest on, for its footnote; ``images`` None: no CI could be computed."""

    resamples: int
    seed: int
    images: int | None = None
    seeds: tuple[int, int] = (0, 0)  # fewest and most runs in a row with a CI
    noise_floor: float | None = None  # median half-width of the Delta AP CIs (AP points)
    resolve: float = 0.2  # the Delta (AP) that ``seeds_for_resolve`` is computed for
    seeds_for_resolve: int | None = None
    sigma_seed: float | None = None  # pooled std of AP over seeds
    sigma_images: float | None = None  # std of Delta AP over image resamples (median over rows)
    problems: list[str] = field(default_factory=list)


def _runs(frame: pd.DataFrame, match_: str, metric: str) -> list:
    """Artifact paths (None where a run has none) of a variant's finished runs, one per seed."""
    done = frame[(frame["match"] == match_) & (frame["status"] == "finished") & frame[f"{metric}_AP"].notna()].copy()
    done["run"] = done["seed"].astype(str).where(done["seed"].notna(), "key:" + done["key"])
    done = done.sort_values("updated").drop_duplicates("run", keep="last")
    return list(done["detections"])


def add_intervals(spec: TableSpec, table: pd.DataFrame, frame: pd.DataFrame, resamples: int = 1000,
                  seed: int = 0, resolve: float = 0.2) -> Evidence:
    """Fill ``table``'s CI columns in place from the runs in the records ``frame``; return the evidence."""
    ev = Evidence(resamples, seed, resolve=resolve)
    ev.sigma_seed = _pooled_seed_std(table)
    if resamples <= 0:
        ev.problems.append("bootstrap off (bootstrap=0)")
        return _finish(ev)
    rng = np.random.default_rng(seed)
    val_set, boots, runs_per_row, img_only = None, {}, [], {}
    needed = {r["variant"] for _, r in table.iterrows() if r["state"] == "finished"}
    needed |= {match_key(False, r.detector, {}) for p in spec.parts for r in p.rows}
    runs = {v: _runs(frame, v, spec.metric) for v in sorted(needed)}
    runs = {v: p for v, p in runs.items() if p and all(isinstance(x, str) for x in p)}
    computed = replicates([p for paths in runs.values() for p in paths], spec.metric, resamples, seed)
    by_path = dict(zip([p for paths in runs.values() for p in paths], computed))
    for variant, paths in runs.items():
        reps = [by_path[p] for p in paths]
        errors = [r for r in reps if isinstance(r, Exception)]
        if errors:
            ev.problems += [str(e) for e in errors if str(e) not in ev.problems]
            continue
        sets = {(len(ids), int(ids.sum()), sha) for ids, sha, _ in reps}
        val_set = val_set or next(iter(sets))
        if sets != {val_set}:
            ev.problems.append(f"{variant}: evaluated on a different val set")
            continue
        per_seed = [r[2] for r in reps]
        boots[variant] = (np.mean([p[:, 0] for p in per_seed], 0), seed_mean([p[:, 1:] for p in per_seed], rng))
        img_only[variant] = np.mean([p[:, 1:] for p in per_seed], 0)
        runs_per_row.append(len(paths))
    missing = 0
    for idx, row in table.iterrows():
        if row["state"] != "finished":
            continue
        if row["variant"] not in boots:
            missing += 1
            continue
        point, boot = boots[row["variant"]]
        lo, hi = percentile_ci(boot)
        for i, c in enumerate(COLUMNS):
            table.loc[idx, [f"{c}_lo", f"{c}_hi"]] = lo[i], hi[i]
        base = match_key(False, spec_detector(spec, row), {})
        if row["baseline"] or base not in boots:
            continue
        delta = boot[0] - boots[base][1][0]
        dlo, dhi = percentile_ci(delta)
        table.loc[idx, ["delta_AP_lo", "delta_AP_hi", "delta_AP_p"]] = dlo, dhi, two_sided_p(delta)
        table.loc[idx, "significant"] = bool(dlo > 0 or dhi < 0)
        img_only[("delta", row["variant"])] = np.nanstd(img_only[row["variant"]][0] - img_only[base][0])
    if missing:
        ev.problems.append(f"{missing} row(s) without stored detections")
    if boots:
        ev.images, ev.seeds = val_set[0], (min(runs_per_row), max(runs_per_row))
    unique = table.drop_duplicates("variant")  # a variant shown in several parts counts once
    halves = ((unique["delta_AP_hi"] - unique["delta_AP_lo"]) / 2).dropna()
    ev.noise_floor = float(halves.median()) if len(halves) else None
    sig = [v for k, v in img_only.items() if isinstance(k, tuple)]
    ev.sigma_images = float(np.median(sig)) if sig else None
    return _finish(ev)


def spec_detector(spec: TableSpec, row: pd.Series) -> str:
    """The detector of a table row (its baseline is that detector's msfm=false variant)."""
    for part in spec.parts:
        for r in part.rows:
            if r.match == row["variant"]:
                return r.detector
    return spec.parts[0].rows[0].detector


def _pooled_seed_std(table: pd.DataFrame) -> float | None:
    rows = table.drop_duplicates("variant")
    rows = rows[(rows["n"] >= 2) & rows["AP_std"].notna()]
    dof = (rows["n"] - 1).sum()
    return float(math.sqrt(((rows["n"] - 1) * rows["AP_std"] ** 2).sum() / dof)) if dof else None


def _finish(ev: Evidence) -> Evidence:
    if ev.sigma_seed is not None:
        ev.seeds_for_resolve = seeds_needed(ev.resolve, ev.sigma_seed, ev.sigma_images or 0.0)
    return ev
