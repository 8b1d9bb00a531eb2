"""The result record: its statuses, required fields and the one function that builds it.

The task, the SLURM launcher (pending records) and the analysis fixtures all build records
here, so every record carries the same fields (see README, "Results store").
"""
from __future__ import annotations

import functools
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Optional

STATUSES = ("pending", "running", "finished", "failed", "pruned")  # pruned: a search stopped it
REQUIRED = ("key", "status", "variant", "metrics")
# how ``variant`` names were made: "values" = from the trained values (sweeps.naming); records
# without the field named them by the command line's config-group choices
NAMING = "values"


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
               seed: Optional[int] = None, previous: Optional[dict] = None, **fields) -> dict:
    """A complete record of ``key`` in ``status``; ``fields`` override any default.

    ``previous`` (the variant's earlier record, if any) hands on its history: ``created``,
    ``attempts``, the SLURM job and folder, and ``wall_s`` unless it had finished (a forced
    re-run starts its clock again).
    """
    if status not in STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    record = dict(
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
            wall_s=previous.get("wall_s", 0.0) if previous.get("status") != "finished" else 0.0,
        )
    record.update(fields)
    return record
