"""The results store (``results_dir/*.json``) as one pandas DataFrame, one row per record, and
its runs: :func:`finished_runs` (the latest record of each seed of a variant).

Records are read by the store's one reader (``results.record.read_record``); corrupt and
partial ones, and those a table cannot use (a finished run without its six bbox APs, a variant
without its MSFM fields), are skipped with a single warning that lists them all, so one bad
file never hides the other tables. The tables, ``analysis.compare`` and the adaptive rounds
all read records this way. Import lazily: it imports pandas.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from description.paper_tables import COLUMNS, MSFM_FIELDS, RowKey
from results.record import FINISHED, NAMING, Record
from results.store import ResultStore

log = logging.getLogger(__name__)

METRICS = ("bbox", "segm")
# record metric suffix -> table column (bbox_mAP_50 -> AP50)
SUFFIXES = dict(zip(("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l"), COLUMNS, strict=True))
FRAME_COLUMNS = (
    "file", "key", "sweep", "status", "match", "row_key", "detector", "msfm", "dataset", "schedule",
    "seed", "attempts", "params", "updated", "detections", *(f"{m}_{c}" for m in METRICS for c in COLUMNS),
    "trained", "named_by_values",
)


@dataclass
class Records:
    """The valid records as a frame (one row per file) and the skipped files with reasons."""

    frame: pd.DataFrame
    skipped: list[tuple[str, str]]


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _problem(rec: Record) -> str | None:
    """Why a (valid) record cannot be a table's row, or None."""
    variant, metrics = rec["variant"], rec["metrics"]
    if not isinstance(variant, dict) or not isinstance(metrics, dict):
        return "variant/metrics not objects"
    need = ["msfm", "detector"] + (list(MSFM_FIELDS) if variant.get("msfm") else [])
    missing = [f"variant.{k}" for k in need if k not in variant]
    if rec.status == FINISHED:
        missing += [f"metrics.bbox_{s}" for s in SUFFIXES if _number(metrics.get(f"bbox_{s}")) is None]
        if "params" not in rec:
            missing.append("params")
    return "missing " + ", ".join(missing) if missing else None


def _row(path: Path, rec: Record) -> dict:
    variant, metrics = rec["variant"], rec["metrics"]
    msfm = bool(variant["msfm"])
    row_key = RowKey.of(msfm, str(variant["detector"]), variant)
    row = {
        "file": path.name,
        "key": str(rec["key"]),
        "sweep": rec.get("sweep"),
        "status": rec["status"],
        "match": str(row_key),  # the key's string form: what rows are grouped and joined by
        "row_key": row_key,  # the table row it is (description.paper_tables.RowKey)
        "detector": str(variant["detector"]),
        "msfm": msfm,
        "dataset": variant.get("dataset"),
        "schedule": variant.get("schedule"),
        "seed": rec.get("seed"),
        "attempts": int(_number(rec.get("attempts")) or 0),  # starts of its job(s)
        "params": _number(rec.get("params")),
        "updated": str(rec.get("updated") or ""),
        # stored detections (relative to the results dir), absent in records before they existed
        "detections": str(path.parent / rec.detections) if rec.detections else None,
        "trained": _trained(rec, msfm),
        "named_by_values": rec.get("naming") == NAMING,
    }
    for metric in METRICS:
        for suffix, col in SUFFIXES.items():
            value = _number(metrics.get(f"{metric}_{suffix}"))
            # COCO reports -1 for an empty area range: no value, not -100 AP
            row[f"{metric}_{col}"] = None if value is None or value < 0 else 100.0 * value
    return row


def _trained(rec: dict, msfm: bool) -> str | None:
    """The MSFM and detector values a record trained with (from its resolved config), as one
    comparable string; None where the record keeps no config."""
    config = rec.get("config")
    if not isinstance(config, dict) or "detector" not in config or "msfm" not in config:
        return None
    values = {"detector": config["detector"], "msfm": config["msfm"] if msfm else None}
    return json.dumps(values, sort_keys=True, default=str)


def refuse_misnamed(rows: list[dict]) -> tuple[list[dict], list[tuple[str, str]]]:
    """Keep rows whose name stands for one set of trained values. Records written before names
    came from values were named by the command line's choices, so one name may cover several
    values: those whose values differ from a value-named record of that name, or from each other
    with no value-named record to settle it, are refused (never merged)."""
    by_match: dict[str, list[dict]] = {}
    for row in rows:
        by_match.setdefault(row["match"], []).append(row)
    refused = []
    for match, group in by_match.items():
        trusted = {r["trained"] for r in group if r["named_by_values"] and r["trained"]}
        values = {r["trained"] for r in group if r["trained"]}
        for r in group:
            if not (r["named_by_values"] or not r["trained"] or len(values) == 1 or
                    r["trained"] in trusted):
                refused.append((r["file"], f"misnamed: named {match!r} by its command line's "
                                f"choices, but {len(values)} different MSFM/detector values "
                                "carry that name (records before names came from values); "
                                "re-run it to name it by its values"))
    gone = {file for file, _ in refused}
    return [r for r in rows if r["file"] not in gone], refused


def load_records(results_dir: Path | str) -> Records:
    """Read every ``*.json`` record in ``results_dir``; warn once about the unusable ones."""
    found, skipped = ResultStore(results_dir).scan()
    rows = []
    for path, rec in found:
        problem = _problem(rec)
        if problem:
            skipped.append((path.name, f"partial: {problem}"))
            continue
        rows.append(_row(path, rec))
    rows, misnamed = refuse_misnamed(rows)
    skipped += misnamed
    if skipped:
        listing = "; ".join(f"{name} ({why})" for name, why in skipped)
        log.warning("skipped %d unusable record(s) in %s: %s", len(skipped), results_dir, listing)
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    return Records(frame, skipped)


def select_dataset(frame: pd.DataFrame, dataset: str | None) -> pd.DataFrame:
    """Keep one dataset's records: ``dataset`` if given, else the one with most records."""
    if dataset is not None:
        return frame[frame["dataset"] == dataset]
    counts = frame["dataset"].dropna().value_counts()
    if len(counts) > 1:
        chosen = counts.index[0]
        others = ", ".join(f"{d} ({n})" for d, n in counts.iloc[1:].items())
        log.info("records of %d datasets; using %s (%d records), not %s -- choose with dataset=NAME",
                 len(counts), chosen, counts.iloc[0], others)
        return frame[(frame["dataset"] == chosen) | frame["dataset"].isna()]
    return frame


def finished_runs(frame: pd.DataFrame, metric: str = "bbox") -> pd.DataFrame:
    """The runs that count: finished records with ``metric``'s AP, one per variant (``match``)
    and seed, the latest ``updated`` where a seed was re-run; a record without a seed is its
    own run. Adds a ``run`` column (the seed, or ``key:<key>``)."""
    done = frame[(frame["status"] == FINISHED) & frame[f"{metric}_AP"].notna()].copy()
    done["run"] = done["seed"].astype(str).where(done["seed"].notna(), "key:" + done["key"])
    return done.sort_values("updated", kind="stable").drop_duplicates(["match", "run"], keep="last")
