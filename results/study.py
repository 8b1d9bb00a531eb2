"""The Optuna study of a search: the store its sweeper and its trials' jobs share.

A search's study lives in a journal file on the shared file system by default (safe from
SLURM jobs on other nodes, unlike SQLite over NFS) or in an RDB the user names by URL. Its
password is masked wherever the URL is shown. Trials carry a heartbeat on either storage, so
trials left RUNNING by a killed sweeper or job are failed and retried on resume.

Optuna's private internals it needs are reached through ``results.optuna_internals`` only.
Import this module lazily: it imports optuna at the top.
"""
from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Optional

import optuna
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend

from results.optuna_internals import (HeartbeatJournalStorage, rdb_silence, trial_by_number,
                                      uncached)

PRUNERS = ("none", "median", "percentile", "successive_halving", "hyperband", "threshold")
HEARTBEAT = "heartbeat"  # trial system attr: unix time of the trial's last sign of life
# ask-and-tell drives the heartbeat itself (a thread in the sweeper, the pruning hook in jobs)
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def mask_url(url: Optional[str]) -> Optional[str]:
    """``url`` (or any text holding URLs) with each password replaced by ``***``:
    ``scheme://user:***@host/db``."""
    if not url:
        return url
    return re.sub(r"([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):\S*@", r"\1:***@", str(url))


def is_rdb(storage: str) -> bool:
    """An RDB URL (``sqlite:///...``, ``postgresql://...``) rather than a journal file path."""
    return "://" in storage


def heartbeat_silence(storage, trials) -> tuple[dict[int, Optional[float]], Optional[float]]:
    """({trial number: seconds since its last sign of life}, grace period in s), as ``storage``'s
    own stale rule counts them: a RUNNING trial is failed once its silence passes the grace.
    A trial's silence is None where the storage holds no heartbeat for it (an RDB trial that has
    none is never stale); the grace is None on a storage without heartbeat."""
    backend = uncached(storage)
    if isinstance(backend, HeartbeatJournalStorage):
        now = time.time()
        return {t.number: now - _last_sign(t) for t in trials}, float(backend.grace_period)
    if isinstance(backend, RDBStorage) and backend.heartbeat_interval:
        return rdb_silence(backend, trials), float(backend.grace_period
                                                   or 2 * backend.heartbeat_interval)
    return {t.number: None for t in trials}, None


def _last_sign(trial) -> float:
    beat = trial.system_attrs.get(HEARTBEAT)
    start = trial.datetime_start.timestamp() if trial.datetime_start else time.time()
    return max(beat or 0.0, start)


def open_storage(storage: str, heartbeat_interval: int = 60, grace_period: Optional[int] = None,
                 max_retry: Optional[int] = 3) -> BaseStorage:
    """The study storage at ``storage`` (a journal file path, or an RDB URL), with heartbeat:
    a trial silent for ``grace_period`` s (default 3 x the interval) is failed by
    ``optuna.storages.fail_stale_trials`` and re-queued at most ``max_retry`` times."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    grace = grace_period or 3 * heartbeat_interval
    retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry, inherit_intermediate_values=False)
    if is_rdb(storage):
        return RDBStorage(storage, heartbeat_interval=heartbeat_interval, grace_period=grace,
                          heartbeat_stale_trial_callback=retry)
    path = Path(storage).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return HeartbeatJournalStorage(JournalFileBackend(str(path)), heartbeat_interval, grace, retry,
                                   HEARTBEAT, _last_sign)


def make_pruner(name: str, kwargs: Optional[dict] = None, epochs: Optional[int] = None,
                val_interval: int = 1):
    """Optuna's pruner ``name`` (see ``PRUNERS``) with ``kwargs``; steps are epochs, so the
    halving pruners start at the first evaluation and Hyperband's top resource is
    ``epochs`` unless ``kwargs`` say otherwise. One-line ``ValueError`` on a bad name."""
    from optuna import pruners

    kwargs = dict(kwargs or {})
    if name == "none":
        return pruners.NopPruner()
    if name in ("successive_halving", "hyperband"):
        kwargs.setdefault("min_resource", val_interval)
    if name == "hyperband" and epochs:
        kwargs.setdefault("max_resource", epochs)
    classes = dict(median=pruners.MedianPruner, percentile=pruners.PercentilePruner,
                   successive_halving=pruners.SuccessiveHalvingPruner,
                   hyperband=pruners.HyperbandPruner, threshold=pruners.ThresholdPruner)
    if name not in classes:
        raise ValueError(f"hydra.sweeper.pruner.name: unknown pruner {name!r}; "
                         f"allowed: {', '.join(PRUNERS)}")
    try:
        return classes[name](**kwargs)
    except (TypeError, ValueError) as e:
        raise ValueError(f"hydra.sweeper.pruner.kwargs: {name}: {' '.join(str(e).split())}") from None


def load_trial(trial_ref: dict):
    """The live ``optuna.Trial`` a job reports to: ``trial_ref`` holds the storage, study
    name, trial number and the pruner spec (as the sweeper made them)."""
    storage = open_storage(trial_ref["storage"], trial_ref.get("heartbeat_interval", 60),
                           trial_ref.get("grace_period"))
    pruner = make_pruner(**trial_ref.get("pruner", {"name": "none"}))
    study = optuna.load_study(study_name=trial_ref["study"], storage=storage, pruner=pruner,
                              sampler=optuna.samplers.RandomSampler())
    return trial_by_number(study, trial_ref["number"])
