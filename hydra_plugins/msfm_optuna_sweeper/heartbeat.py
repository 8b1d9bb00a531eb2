"""The sweeper's heartbeat for the trials it owns (asked, not yet told): a thread that marks
them alive every ``interval`` s, so only trials whose sweeper and job both died go stale.
``wait_line`` is what the search prints while it waits on trials it does not own."""
from __future__ import annotations

import logging
import threading
from typing import Mapping, Optional

log = logging.getLogger(__name__)


class Heartbeat:
    """Context manager: while open, every trial id in ``ids`` gets a heartbeat each interval."""

    def __init__(self, storage, interval: float) -> None:
        from results.optuna_internals import beats

        self.storage, self.interval = storage, interval
        self.enabled = beats(storage)
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


def wait_line(previous: tuple, silence: Mapping[int, Optional[float]], interval: float,
              grace: Optional[float]) -> tuple[tuple, Optional[str]]:
    """``(state, line)`` while the search waits on RUNNING trials started elsewhere: ``line`` is
    None unless ``state`` differs from ``previous`` (the state last returned), so a wait prints
    one line per change of the waited-for trials or of their state, not one per poll.

    ``silence``: trial number -> seconds since its last heartbeat (None: none recorded).
    A trial is silent once it has missed a beat (no heartbeat for 1.5 ``interval``s, or half
    the grace if that is shorter); its line says how long until it is given up (failed once
    silent for ``grace`` s, then re-queued).
    """
    state = tuple(sorted((n, _kind(s, interval, grace)) for n, s in silence.items()))
    if state == previous or not state:
        return state, None
    alive = [str(n) for n, kind in state if kind == "alive"]
    parts = []
    if alive:
        after = f"; given up {grace:.0f} s after a last heartbeat" if grace else ""
        parts.append(f"{', '.join(alive)} (alive{after})")
    for n, kind in state:
        if kind == "silent":
            parts.append(f"{n} (no heartbeat for {silence[n]:.0f} s; "
                         f"given up in {max(0.0, grace - silence[n]):.0f} s)")
        elif kind == "unknown":
            parts.append(f"{n} (no heartbeat recorded)")
    one = len(state) == 1
    return state, (f"waiting for trial{'' if one else 's'} {'; '.join(parts)}: started "
                   f"elsewhere, told when {'its record ends' if one else 'their records end'}")


def _kind(silent_s: Optional[float], interval: float, grace: Optional[float]) -> str:
    if silent_s is None:
        return "unknown"
    missed = min(1.5 * interval, grace / 2) if grace else 1.5 * interval
    return "silent" if grace and silent_s > missed else "alive"
