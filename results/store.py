"""The results store: one JSON record per variant (``<key>.json``) under ``results_dir``.

Writes are atomic (temp file + rename). While a variant runs, its process holds an exclusive
``flock`` on ``<key>.lock``: a second sweep on the same store skips it instead of training it
twice, and a killed run's lock disappears with its process. Readers tolerate corrupt or partial
files and name them.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional

from results.atomic import write_json_atomic
from results.record import CorruptRecord, Record, now, read_record

log = logging.getLogger(__name__)
__all__ = ["CorruptRecord", "ResultStore"]


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

    def read(self, key: str) -> Optional[Record]:
        """The record of ``key``, ``None`` if absent; ``CorruptRecord`` naming the file."""
        return read_record(self.path(key)) if self.path(key).exists() else None

    def read_or_warn(self, key: str) -> Optional[Record]:
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

    def records(self) -> tuple[list[Record], list[str]]:
        """All readable records, and the names of the corrupt ones."""
        found, bad = self.scan()
        return [record for _, record in found], [name for name, _ in bad]

    def scan(self) -> tuple[list[tuple[Path, Record]], list[tuple[str, str]]]:
        """Every ``*.json`` in the store, in name order: (path, record) of the readable ones,
        (file name, why) of the corrupt or partial ones."""
        good, bad = [], []
        for path in sorted(self.dir.glob("*.json")):
            try:
                good.append((path, read_record(path)))
            except CorruptRecord as e:
                bad.append((path.name, e.why))
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
