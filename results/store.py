"""The results store: one JSON record per variant (``<key>.json``) under ``results_dir``.

Writes are atomic (temp file + rename). While a variant runs, its process holds an exclusive
``flock`` on ``<key>.lock``: a second sweep on the same store skips it instead of training it
twice, and a killed run's lock disappears with its process. Readers tolerate corrupt or partial
files and name them.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional

from results.atomic import write_json_atomic
from results.record import REQUIRED, STATUSES, now

log = logging.getLogger(__name__)


class CorruptRecord(ValueError):
    """A record file that is not valid JSON or lacks required fields."""


class ResultStore:
    """Records keyed by the Variant's stable hash."""

    def __init__(self, results_dir: str | os.PathLike) -> None:
        self.dir = Path(results_dir)

    def path(self, key: str) -> Path:
        """Where the record of ``key`` lives."""
        return self.dir / f"{key}.json"

    def check_writable(self) -> None:
        """Raise a one-line ``ValueError`` if ``results_dir`` can't be created or written."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            probe = self.dir / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError as e:
            raise ValueError(f"results_dir: {self.dir} is not writable ({e.strerror})") from None

    def read(self, key: str) -> Optional[dict]:
        """The record of ``key``, ``None`` if absent; ``CorruptRecord`` naming the file."""
        return self._load(self.path(key)) if self.path(key).exists() else None

    def read_or_warn(self, key: str) -> Optional[dict]:
        """Like :meth:`read`, but a corrupt record is moved aside (kept) and treated as absent."""
        try:
            return self.read(key)
        except CorruptRecord as e:
            aside = self.path(key).with_suffix(f".corrupt-{datetime.now():%Y%m%d%H%M%S}")
            os.replace(self.path(key), aside)
            log.warning(f"{e}; kept as {aside.name}, the variant will be re-run")
            return None

    def write(self, record: dict) -> None:
        """Atomically (re)write ``record`` with a fresh ``updated`` timestamp."""
        record["updated"] = now()
        write_json_atomic(self.path(record["key"]), record)

    def records(self) -> tuple[list[dict], list[str]]:
        """All readable records, and the names of the corrupt ones."""
        good, bad = [], []
        for path in sorted(self.dir.glob("*.json")):
            try:
                good.append(self._load(path))
            except CorruptRecord:
                bad.append(path.name)
        return good, bad

    @contextlib.contextmanager
    def claim(self, key: str) -> Iterator[bool]:
        """Hold ``key``'s run lock for the block; yields False if another process holds it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / f"{key}.lock", "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            f.truncate(0)
            f.write(f"{socket.gethostname()}:{os.getpid()}\n")
            f.flush()
            try:
                yield True
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    @staticmethod
    def _load(path: Path) -> dict:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise CorruptRecord(f"corrupt record {path}: {e}") from None
        missing = [k for k in REQUIRED if not isinstance(record, dict) or k not in record]
        if missing or record.get("status") not in STATUSES:
            raise CorruptRecord(f"partial record {path}: missing {missing or ['valid status']}")
        return record
