"""Pruning a search trial from inside its training: report val AP, stop when told to.

The job (local or SLURM, any node) opens the search's study itself, reports bbox AP after every
evaluation (``schedule.val_interval``) as the trial's intermediate value at that epoch, asks
the study's pruner, and stops training cleanly after the evaluation (the checkpoint is kept,
so a later plain run of the variant resumes from it). It also keeps the trial's heartbeat.
"""
from __future__ import annotations

import logging
import time
from typing import Optional

from mmengine.hooks import Hook

log = logging.getLogger(__name__)


class TrialPruning(Hook):
    """Reports each evaluation's bbox AP to the trial of ``trial_ref`` and stops training
    when the pruner says so (rank 0 decides, every DDP rank stops).

    Args:
        trial_ref: the RunSpec's ``trial``: storage, study, number, pruner, heartbeat_interval.
        metric: the metric reported (the search's objective), ``bbox_mAP``.
    """

    priority = "LOW"

    def __init__(self, trial_ref: dict, metric: str = "bbox_mAP") -> None:
        self.ref, self.metric = trial_ref, metric
        self.trial = None
        self.curve: list[list[float]] = []  # [epoch, AP] at every evaluation
        self.reported_at: list[float] = []  # unix time of each, for replaying parallel trials in order
        self.pruned_at: Optional[int] = None
        self._training = False
        self._last_beat = 0.0

    def before_train(self, runner) -> None:
        self._training = True
        if runner.rank == 0:
            from results.study import load_trial, mask_url

            try:
                self.trial = load_trial(self.ref)
            except Exception as e:  # noqa: BLE001 - a study we cannot reach must not stop training
                log.warning(f"trial {self.ref.get('number')}: cannot open study "
                            f"{mask_url(self.ref.get('storage'))} ({e}); training without pruning")
        self._heartbeat()

    def after_train(self, runner) -> None:
        self._training = False

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._heartbeat()

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._heartbeat()

    def after_val_epoch(self, runner, metrics=None) -> None:
        values = [float(v) for k, v in (metrics or {}).items() if k.split("/")[-1] == self.metric]
        if not values:
            return
        step, ap = runner.epoch, values[0]
        self.curve.append([step, ap])
        self.reported_at.append(round(time.time(), 3))
        prune = self._report(ap, step) if runner.rank == 0 else False
        from mmengine.dist import broadcast_object_list, get_world_size

        if get_world_size() > 1:  # every rank must leave the loop at the same epoch
            box = [prune]
            broadcast_object_list(box, src=0)
            prune = box[0]
        if prune and self._training and step < runner.max_epochs:
            runner.train_loop.stop_training = True
            self.pruned_at = step
            log.info(f"trial {self.ref['number']} pruned after epoch {step} (bbox AP {ap:.4f})")

    def fields(self, runner) -> dict:
        """The record's search fields: pruned (and when), the AP curve and when each point was
        reported, epochs trained."""
        return dict(pruned=self.pruned_at is not None, pruned_at_epoch=self.pruned_at,
                    val_curve=self.curve, val_reported_at=self.reported_at, epochs_trained=runner.epoch)

    def _report(self, ap: float, step: int) -> bool:
        if self.trial is None:
            return False
        try:
            self.trial.report(ap, step)
            return bool(self.trial.should_prune())
        except Exception as e:  # noqa: BLE001 - e.g. the trial was failed meanwhile
            log.warning(f"trial {self.ref.get('number')}: cannot report to the study ({e}); "
                        "training on without pruning")
            self.trial = None
            return False

    def _heartbeat(self) -> None:
        now = time.time()
        if self.trial is None or now - self._last_beat < self.ref.get("heartbeat_interval", 60):
            return
        self._last_beat = now
        from results.optuna_internals import record_heartbeat, storage_of

        try:
            record_heartbeat(storage_of(self.trial.study), self.trial)
        except Exception as e:  # noqa: BLE001 - the sweeper's own heartbeat still covers it
            log.warning(f"trial {self.ref.get('number')}: heartbeat failed ({e})")
