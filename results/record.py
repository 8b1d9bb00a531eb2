"""The result record: its statuses, required fields, the one function that builds it and the
one that reads it.

The task, the SLURM launcher (pending records) and the analysis fixtures all build records
here, so every record carries the same fields (docs/results-store.md); the store, the tables,
the sweepers and the console all read them through :func:`read_record` as a :class:`Record`.
"""
from __future__ import annotations

import functools
import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping, Optional

STATUSES = ("pending", "running", "finished", "failed", "pruned")  # pruned: a search stopped it
PENDING, RUNNING, FINISHED, FAILED, PRUNED = STATUSES
IN_FLIGHT = (PENDING, RUNNING)  # queued or training: its result is still to come
ENDED = (FINISHED, PRUNED, FAILED)  # nothing more will happen to it unless it is run again
REQUIRED = ("key", "status", "variant", "metrics")
AP_METRIC = "bbox_mAP"  # the headline metric: what status, the console and a search report
# how ``variant`` names were made: "values" = from the trained values (sweeps.naming); records
# without the field named them by the command line's config-group choices
NAMING = "values"


class CorruptRecord(ValueError):
    """A record file that is not valid JSON or lacks required fields; ``why`` says which
    (``corrupt: JSONDecodeError``, ``partial: missing status``)."""

    def __init__(self, message: str, why: str) -> None:
        super().__init__(message)
        self.why = why


class Record(dict):
    """A record as stored (a plain dict: fields are added, never renamed, and old records
    without the newer ones still load), with typed access to the fields every reader needs."""

    @property
    def key(self) -> str:
        """The variant's stable hash (the record's file name)."""
        return str(self["key"])

    @property
    def status(self) -> str:
        """One of ``STATUSES``."""
        return self["status"]

    @property
    def metrics(self) -> dict:
        """COCO metrics as fractions (``bbox_mAP``, ``bbox_mAP_50``, ..., ``segm_*``)."""
        return self.get("metrics") or {}

    @property
    def ap(self) -> Optional[float]:
        """bbox AP (a fraction), None until the run has one."""
        return ap_of(self)

    @property
    def params(self) -> Optional[float]:
        """The model's parameter count, if counted."""
        return self.get("params")

    @property
    def seed(self) -> Optional[int]:
        """The run's seed (None in records that have none)."""
        return self.get("seed")

    @property
    def detections(self) -> Optional[str]:
        """The stored val detections, ``<key>.dets.npz``, relative to the results dir (None:
        none kept, or a record from before they were)."""
        return _path_field(self, "detections")

    @property
    def replicates(self) -> Optional[str]:
        """The detections' stored bootstrap replicates, ``<key>.reps.npz``, relative to the
        results dir (None: none stored; the next look computes them)."""
        return _path_field(self, "replicates")

    @property
    def error(self) -> Optional[str]:
        """The one-line error of a failed run."""
        return self.get("error")

    @property
    def ended(self) -> bool:
        """Finished, pruned or failed: nothing more happens to it unless it is run again."""
        return self.get("status") in ENDED

    @property
    def in_flight(self) -> bool:
        """Pending or running."""
        return self.get("status") in IN_FLIGHT


def _path_field(record: Mapping, name: str) -> Optional[str]:
    """A path field of a record (relative to the results dir), None where it is absent or no path."""
    value = record.get(name)
    return value if isinstance(value, str) else None


def ap_of(record: Mapping) -> Optional[float]:
    """bbox AP (a fraction) of a record, or of anything shaped like one (a status row of a
    corrupt file, a val event's ``{"metrics": ...}``); None where there is none."""
    return (record.get("metrics") or {}).get(AP_METRIC)


def problem(record) -> Optional[str]:
    """Why a parsed record is no record (not an object, a required field missing, an unknown
    status), or None: the one validity rule of every reader."""
    if not isinstance(record, dict):
        return "not a JSON object"
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        return "missing " + ", ".join(missing)
    if record["status"] not in STATUSES:
        return f"unknown status {record['status']!r}"
    return None


def read_record(path: Path) -> Record:
    """The record stored at ``path``; :class:`CorruptRecord` naming the file if it is no
    valid JSON or fails :func:`problem`."""
    try:
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError) as e:  # UnicodeDecodeError is a ValueError too
        raise CorruptRecord(f"corrupt record {path}: {e}", f"corrupt: {type(e).__name__}") from None
    why = problem(data)
    if why:
        raise CorruptRecord(f"partial record {path}: {why}", f"partial: {why}")
    return Record(data)


def now() -> str:
    """UTC timestamp, ISO-8601."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=1)  # the code this process runs does not change under it
def git_commit() -> Optional[str]:
    """The project's current commit (with ``+dirty`` if the tree has changes), if in git."""
    root = Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def new_record(key: str, status: str, variant: dict, *, sweep: Optional[str] = None,
               overrides: Iterable[str] = (), config: Optional[dict] = None,
               seed: Optional[int] = None, previous: Optional[dict] = None, **fields) -> Record:
    """A complete record of ``key`` in ``status``; ``fields`` override any default.

    ``previous`` (the variant's earlier record, if any) hands on its history: ``created``,
    ``attempts``, the SLURM job and folder, and ``wall_s`` unless it had finished (a forced
    re-run starts its clock again).
    """
    if status not in STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    record = Record(
        key=key, sweep=sweep, overrides=list(overrides), variant=variant, config=config or {},
        status=status, error=None, metrics={}, params=None, gflops=None, seed=seed, wall_s=0.0,
        gpus=None, slurm_job_id=None, slurm_folder=None, wandb_run=None, naming=NAMING,
        git_commit=git_commit(), created=now(), attempts=0,
    )
    if previous:
        record.update(
            created=previous.get("created", record["created"]),
            attempts=previous.get("attempts", 0),
            slurm_job_id=previous.get("slurm_job_id"), slurm_folder=previous.get("slurm_folder"),
            wall_s=previous.get("wall_s", 0.0) if previous.get("status") != FINISHED else 0.0,
        )
    record.update(fields)
    return record
