"""Every use of Optuna's private internals, in one place: an Optuna upgrade touches this file.

Optuna gives heartbeats to RDB storage only, names a trial inside a storage by a private id,
and keeps the study's storage private; the search needs all three (a heartbeat for trials on
the journal storage, a live ``Trial`` for a trial another process asked, the silence of a
RUNNING trial). Nothing else in the project reaches into ``optuna.*._private``.

Import this module lazily: it imports optuna at the top (the heartbeat storage subclasses it).
"""
from __future__ import annotations

import time
from typing import Callable, Optional

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages._cached_storage import _CachedStorage
from optuna.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled
from optuna.trial import TrialState


def storage_of(study) -> BaseStorage:
    """The storage ``study`` reads and writes (as Optuna wraps it: RDB storage is cached)."""
    return study._storage


def trial_id(trial) -> int:
    """The storage's id of ``trial`` (an ``optuna.Trial`` or a ``FrozenTrial``)."""
    return trial._trial_id


def live_trial(study, trial) -> optuna.Trial:
    """A live ``optuna.Trial`` of ``study`` for ``trial`` (a ``FrozenTrial`` another process,
    or an earlier run, asked), to tell or report to."""
    return optuna.trial.Trial(study, trial_id(trial))


def trial_by_number(study, number: int) -> optuna.Trial:
    """The live ``optuna.Trial`` of ``study`` numbered ``number``."""
    storage = storage_of(study)
    return optuna.trial.Trial(study, storage.get_trial_id_from_study_id_trial_number(
        study._study_id, number))


def beats(storage) -> bool:
    """Whether ``storage`` keeps heartbeats (a heartbeat RDB, or ours on the journal)."""
    return is_heartbeat_enabled(storage)


def record_heartbeat(storage, trial) -> None:
    """Mark ``trial`` (a ``Trial``, ``FrozenTrial`` or a storage trial id) alive now."""
    storage.record_heartbeat(trial if isinstance(trial, int) else trial_id(trial))


class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
    """Optuna's journal storage with the heartbeat Optuna only gives RDB storage: a trial's
    heartbeat is the system attr ``attr`` (unix time), and a RUNNING trial whose last sign of
    life (``last_sign(trial)``) is more than ``grace_period`` s old is stale."""

    def __init__(self, backend, heartbeat_interval: int, grace_period: int, callback,
                 attr: str, last_sign: Callable) -> None:
        super().__init__(backend)
        self._heartbeat_interval, self._grace_period = heartbeat_interval, grace_period
        self._stale_callback, self._attr, self._last_sign = callback, attr, last_sign

    @property
    def grace_period(self) -> int:
        """Seconds without a heartbeat before a RUNNING trial is stale."""
        return self._grace_period

    def record_heartbeat(self, trial_id: int) -> None:
        """Mark ``trial_id`` alive now (no-op once the trial has finished)."""
        try:
            self.set_trial_system_attr(trial_id, self._attr, time.time())
        except (optuna.exceptions.UpdateFinishedTrialError, KeyError):
            pass

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        return [t._trial_id for t in self.get_all_trials(study_id, deepcopy=False,
                                                       states=(TrialState.RUNNING,))
                if now - self._last_sign(t) > self._grace_period]

    def get_heartbeat_interval(self) -> Optional[int]:
        return self._heartbeat_interval

    def get_heartbeat_stale_trial_callback(self):
        return self._stale_callback


def uncached(storage) -> BaseStorage:
    """The storage under Optuna's cache (RDB storage is wrapped in one), else ``storage``."""
    return storage._backend if isinstance(storage, _CachedStorage) else storage


def rdb_silence(storage: RDBStorage, trials) -> dict[int, Optional[float]]:
    """{trial number: seconds since its last heartbeat in the RDB (None: none recorded)},
    by the database's clock, as Optuna's own stale rule counts it."""
    import sqlalchemy
    from optuna.storages._rdb import models
    from optuna.storages._rdb.storage import _create_scoped_session

    numbers = {trial_id(t): t.number for t in trials}
    silence: dict[int, Optional[float]] = dict.fromkeys(numbers.values())
    if not numbers:
        return silence
    beat = models.TrialHeartbeatModel
    with _create_scoped_session(storage.scoped_session) as session:
        now = session.execute(sqlalchemy.func.now()).scalar().replace(tzinfo=None)
        for row in session.query(beat).filter(beat.trial_id.in_(list(numbers))).all():
            silence[numbers[row.trial_id]] = (now - row.heartbeat).total_seconds()
    return silence
