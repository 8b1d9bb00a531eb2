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
from dataclasses import asdict
from pathlib import Path
from typing import Optional

from description.run_spec import RunSpec
from results.record import new_record
from results.store import ResultStore

log = logging.getLogger(__name__)


class VariantTask:
    """Callable: run ``spec`` and return its record (finished, failed or skipped)."""

    def __init__(self, spec: RunSpec, progress=None) -> None:
        self.spec = spec
        self.progress = progress  # report(event, **fields) for a console; local runs only

    def __call__(self) -> dict:
        from training.distributed import init_from_slurm

        spec, store = self.spec, ResultStore(self.spec.results_dir)
        existing = store.read_or_warn(spec.key) if _is_rank_zero() else store.read(spec.key)
        if existing and existing["status"] == "finished" and not spec.force:
            log.info(f"skip {spec.key} ({' '.join(spec.overrides)}): already finished")
            return existing
        launcher = init_from_slurm()  # "none" outside multi-task SLURM jobs
        if not _is_rank_zero():  # other DDP ranks train; rank 0 alone keeps the record
            from training.train import train_and_evaluate

            return train_and_evaluate(spec, launcher, self.progress)
        with store.claim(spec.key) as mine:
            if not mine:
                log.warning(f"skip {spec.key}: another process is running it")
                return store.read(spec.key) or {}
            existing = store.read_or_warn(spec.key)  # another sweep may have just finished it
            if existing and existing["status"] == "finished" and not spec.force:
                log.info(f"skip {spec.key}: finished by another process meanwhile")
                return existing
            return self._run(store, existing, launcher)

    def checkpoint(self, *args, **kwargs):
        """submitit calls this on preemption / time-out: requeue the same task, which resumes
        from the last periodic checkpoint in its work dir (bounded by ``max_attempts``)."""
        import submitit

        record = ResultStore(self.spec.results_dir).read(self.spec.key) or {}
        if self.spec.max_attempts and record.get("attempts", 0) >= self.spec.max_attempts:
            log.error(f"{self.spec.key}: {record.get('attempts')} attempts, not requeueing")
            return None
        log.warning(f"{self.spec.key}: preempted or timed out, requeueing")
        return submitit.helpers.DelayedSubmission(VariantTask(self.spec))

    def _run(self, store: ResultStore, existing: Optional[dict], launcher: str) -> dict:
        from training.train import train_and_evaluate

        spec = self.spec
        if spec.force and Path(spec.work_dir).exists():
            shutil.rmtree(spec.work_dir)  # force=true retrains from scratch
        record = self._new_record(existing)
        store.write(record)
        start = time.time()
        try:
            result = train_and_evaluate(spec, launcher, self.progress)
            record.update(result, status="pruned" if result.get("pruned") else "finished", error=None)
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
        record = new_record(
            spec.key, "running", spec.names, sweep=spec.sweep, overrides=spec.overrides,
            config=spec.config, seed=spec.variant.seed, previous=existing,
            spec=asdict(spec.variant), gpus=None, **_trial_fields(spec.trial),
        )
        record["attempts"] += 1
        # a local re-run must not inherit an earlier job's id: reconciling against that job's
        # SLURM state (say CANCELLED) would relabel this run's own outcome
        record["slurm_job_id"] = _slurm_job_id()
        if record["slurm_job_id"] is None:
            record["slurm_folder"] = None
        return record


def _trial_fields(trial: Optional[dict]) -> dict:
    """A search trial's identity for the record (storage password masked)."""
    if not trial:
        return {}
    from results.study import mask_url

    return dict(trial=dict(study=trial["study"], number=trial["number"],
                           storage=mask_url(trial["storage"])))


def _slurm_job_id() -> Optional[str]:
    """The job's id as submitit and sacct show it (``array_task`` inside an array); None
    outside SLURM."""
    # SlurmJobEnvironment, not JobEnvironment(): the latter raises outside a submitit job
    # (an srun'd or local run) and under submitit_local gives the local executor's id
    from submitit.slurm.slurm import SlurmJobEnvironment

    return SlurmJobEnvironment().job_id if "SLURM_JOB_ID" in os.environ else None


def _is_rank_zero() -> bool:
    from submitit.slurm.slurm import SlurmJobEnvironment

    # RANK first: torch.distributed's, once training/distributed.py or mmengine set it
    return int(os.environ.get("RANK", SlurmJobEnvironment().global_rank)) == 0
