"""The task: train and evaluate one variant, start to finish, and record its result.

``VariantTask`` is a picklable callable (the local launcher and SLURM run the very same
object). It skips a variant whose record is finished, resumes from the last checkpoint in its
stable work dir, writes the record in a ``finally`` and always closes wandb.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from results.store import ResultStore, git_commit, now
from training.variant import Variant

log = logging.getLogger(__name__)


@dataclass
class RunSpec:
    """What a task needs: the variant and where/how to run it (paths and names only)."""

    variant: Variant
    names: dict  # the variant in the paper's words (config group choices)
    overrides: list  # the command-line overrides that select it
    results_dir: str
    work_root: str  # the variant trains in work_root/<key>, so a re-run finds its checkpoints
    config: dict = field(default_factory=dict)  # resolved config, for the record
    sweep: Optional[str] = None
    force: bool = False
    wandb: dict = field(default_factory=lambda: dict(enabled=False))
    num_workers: int = 2
    log_interval: int = 10
    launcher: str = "none"  # mmengine launcher: none | slurm (rank/world size from SLURM)

    @property
    def key(self) -> str:
        return self.variant.key()

    @property
    def work_dir(self) -> str:
        return str(Path(self.work_root) / self.key)


class VariantTask:
    """Callable: run ``spec`` and return its record (finished, failed or skipped)."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec = spec

    def __call__(self) -> dict:
        spec, store = self.spec, ResultStore(self.spec.results_dir)
        existing = store.read_or_warn(spec.key)
        if existing and existing["status"] == "finished" and not spec.force:
            log.info(f"skip {spec.key} ({' '.join(spec.overrides)}): already finished")
            return existing
        with store.claim(spec.key) as mine:
            if not mine:
                log.warning(f"skip {spec.key}: another process is running it")
                return store.read(spec.key) or {}
            return self._run(store, existing)

    def _run(self, store: ResultStore, existing: Optional[dict]) -> dict:
        from training.train import train_and_evaluate

        spec = self.spec
        if spec.force and Path(spec.work_dir).exists():
            shutil.rmtree(spec.work_dir)  # force=true retrains from scratch
        record = self._new_record(existing)
        store.write(record)
        start = time.time()
        try:
            result = train_and_evaluate(spec)
            record.update(result, status="finished", error=None)
        except BaseException as e:  # noqa: BLE001 - KeyboardInterrupt/SystemExit recorded too
            record.update(status="failed", error=f"{type(e).__name__}: {' '.join(str(e).split())}",
                          traceback=traceback.format_exc()[-4000:])
            log.error(f"variant {spec.key} failed: {record['error']}")
            if not isinstance(e, Exception):
                raise
        finally:
            record["wall_s"] = round(record.get("wall_s", 0) + time.time() - start, 1)
            if _is_rank_zero():
                store.write(record)
        return record

    def _new_record(self, existing: Optional[dict]) -> dict:
        spec = self.spec
        record = dict(
            key=spec.key, sweep=spec.sweep, overrides=list(spec.overrides), variant=spec.names,
            config=spec.config, spec=asdict(spec.variant), status="running", error=None,
            metrics={}, params=None, gflops=None, seed=spec.variant.seed, wall_s=0.0,
            gpus=None, slurm_job_id=os.environ.get("SLURM_JOB_ID"), wandb_run=None,
            git_commit=git_commit(), created=now(), attempts=1,
        )
        if existing:  # a resumed or re-run variant keeps its history
            record.update(created=existing.get("created", record["created"]),
                          attempts=existing.get("attempts", 0) + 1,
                          wall_s=existing.get("wall_s", 0.0) if existing["status"] != "finished" else 0.0)
        return record


def _is_rank_zero() -> bool:
    return int(os.environ.get("RANK", os.environ.get("SLURM_PROCID", 0))) == 0
