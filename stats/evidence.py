"""A table's or a sweep's evidence from its runs: the one builder the tables, the planner and the
adaptive rounds share.

Input: per row (a variant, by its key) its finished runs, one per seed, each with its six APs
and its stored detections (None where it kept none); each row's baseline key (None for a
baseline row); the parts (part name -> its option keys). Output: ``stats.policy``'s
``TableEvidence`` (what ``assess`` and ``next_seeds`` decide on) plus, per row, its (6, B)
seed-mean APs under the B paired val-image resamples (read from each run's stored replicates,
``stats.replicates``), the val set they rest on, and why a row has none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from description.paper_tables import COLUMNS
from stats.policy import RowEvidence, TableEvidence
from stats.replicates import replicates


@dataclass(frozen=True)
class Run:
    """One finished seed of a row: its six APs (points; AP first) and its stored detections."""

    aps: tuple[float, ...]
    detections: str | None = None


@dataclass(frozen=True)
class Evidence:
    """``table``: what the policy decides on; ``replicates``: row key -> (6, B) seed-mean APs
    (rows whose runs all kept detections on one val set); ``val_set``: (images, sum of ids,
    ground-truth sha256) of those; ``problems``: why rows have no replicates."""

    table: TableEvidence
    replicates: Mapping[str, np.ndarray] = field(default_factory=dict)
    val_set: tuple | None = None
    problems: tuple[str, ...] = ()


def build(runs: Mapping[str, Sequence[Run]], baselines: Mapping[str, str | None],
          parts: Mapping[str, tuple[str, ...]], metric: str = "bbox", resamples: int = 1000,
          seed: int = 0) -> Evidence:
    """The evidence of rows ``baselines`` (key -> its baseline's key, None for a baseline) from
    their finished ``runs`` (key -> one Run per seed; a row without runs has none), under B =
    ``resamples`` paired resamples seeded by ``seed`` (0: no replicates)."""
    reps, val_set, problems = {}, None, []
    if resamples > 0:
        reps, val_set, problems = _seed_means(runs, metric, resamples, seed, sorted(baselines))
    rows = {k: RowEvidence(k, tuple(r.aps[0] for r in runs.get(k, ())), reps[k][0] if k in reps else None, b)
            for k, b in baselines.items()}
    return Evidence(TableEvidence(rows, dict(parts)), reps, val_set, tuple(problems))


def _seed_means(runs: Mapping[str, Sequence[Run]], metric: str, resamples: int, seed: int,
                keys: list[str]) -> tuple[dict, tuple | None, list[str]]:
    """Per row whose runs all kept detections on one val set: the mean over its seeds of the
    six APs under each resample; that val set; why other rows have none."""
    paths = {k: [r.detections for r in runs.get(k, ())] for k in keys}
    paths = {k: p for k, p in paths.items() if p and all(isinstance(x, str) for x in p)}
    flat = [p for ps in paths.values() for p in ps]
    by_path = dict(zip(flat, replicates(flat, metric, resamples, seed)))
    out, val_set, problems = {}, None, []
    for key, ps in paths.items():
        got = [by_path[p] for p in ps]
        errors = [str(r) for r in got if isinstance(r, Exception)]
        if errors:
            problems += [e for e in errors if e not in problems]
            continue
        sets = {(len(ids), int(ids.sum()), sha) for ids, sha, _ in got}
        val_set = val_set or next(iter(sets))
        if sets != {val_set}:
            problems.append(f"{key}: evaluated on a different val set")
            continue
        out[key] = np.mean([r[2][:, 1:] for r in got], 0)
    return out, val_set, problems


def runs_by_row(finished: Iterable[Mapping], metric: str = "bbox") -> dict[str, list[Run]]:
    """Each row's runs from the store's finished runs (``results.frame.finished_runs(...)``
    as records: ``match``, ``<metric>_AP`` ... ``<metric>_APl``, ``detections``), in their order."""
    out: dict[str, list[Run]] = {}
    for r in finished:
        det = r.get("detections")
        out.setdefault(r["match"], []).append(
            Run(tuple(_number(r.get(f"{metric}_{c}")) for c in COLUMNS), det if isinstance(det, str) else None))
    return out


def _number(value) -> float:
    """A metric as a float; NaN where the record has none (COCOeval's -1, e.g. no small objects)."""
    return float("nan") if value is None else float(value)
