"""The sweeper's heartbeat for the trials it owns (asked, not yet told): a thread that marks
them alive every ``interval`` s, so only trials whose sweeper and job both died go stale."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class Heartbeat:
    """Context manager: while open, every trial id in ``ids`` gets a heartbeat each interval."""

    def __init__(self, storage, interval: float) -> None:
        from optuna.storages._heartbeat import is_heartbeat_enabled

        self.storage, self.interval = storage, interval
        self.enabled = is_heartbeat_enabled(storage)
        self.ids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="trial-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            for trial_id in list(self.ids):
                try:
                    self.storage.record_heartbeat(trial_id)
                except Exception as e:  # noqa: BLE001 - a storage hiccup must not end the beat
                    log.warning(f"heartbeat of trial id {trial_id} failed: {e}")
