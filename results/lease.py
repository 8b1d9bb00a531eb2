"""One study, one carrier: a lease in the store says which job carries a study (an adaptive
sweep's chain of follow-ups, a search's driver).

The lease is one JSON file, ``<results_dir>/leases/<study key>.json``: its owner (who holds it:
a SLURM job id, a host and pid, what it runs), when it was taken and its last heartbeat. It is
created atomically (``O_EXCL``) and replaced atomically; a stale lease (its owner's job no
longer alive, as the caller's ``job_alive`` says; without a job, no heartbeat within its TTL)
is taken over.
results/ knows nothing of SLURM: the caller passes ``job_alive`` (``launchers.slurm`` has the
states). The store's record readers never see the file (it is not ``<key>.json`` at the top).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from results.atomic import write_json_atomic

LEASES = "leases"  # under results_dir
TTL_S = 3600.0  # a carrier without a job (a command submitting) beats at least this often
# overrides that say where and how a study runs, not what it is: the same study either way
NOT_THE_STUDY = ("launcher", "hydra/launcher", "hydra.launcher", "hydra.sweep", "hydra.run",
                 "verbose", "hydra.verbose", "hydra.job_logging", "hydra.hydra_logging")


def study_key(overrides: Sequence[str]) -> str:
    """A stable 16-hex name of a study: the hash of its command line's overrides, sorted,
    without ``-m`` and the settings of where and how it runs (``launcher``, ``launcher.*``,
    ``hydra.launcher.*``, output dirs, verbosity)."""
    def key(o: str) -> str:
        return o.split("=", 1)[0].lstrip("+~")

    kept = sorted(o for o in overrides if not o.startswith("-") and not any(
        key(o) == n or key(o).startswith(n + ".") for n in NOT_THE_STUDY))
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:16]


class Lease:
    """The lease of study ``study_key`` in the store at ``results_dir``."""

    def __init__(self, results_dir: str | os.PathLike, study_key: str, ttl_s: float = TTL_S) -> None:
        self.path = Path(results_dir) / LEASES / f"{study_key}.json"
        self.ttl_s = ttl_s
        self.token: Optional[str] = None  # ours once acquired: who we are in the file

    def read(self) -> Optional[dict]:
        """The lease as stored, or None (none, or unreadable: a torn write cannot happen, a
        hand-edited file is treated as no lease)."""
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def is_stale(self, lease: Optional[dict] = None,
                 job_alive: Optional[Callable[[str], bool]] = None) -> bool:
        """Whether ``lease`` (the stored one by default) may be taken over: absent or released;
        owned by a SLURM job that is over (``job_alive(job_id)`` False); or, where no job can
        speak for it (no job id, or no ``job_alive``), no heartbeat within the TTL. A live job
        keeps its lease however long it waits: a follow-up pends for a whole round."""
        lease = self.read() if lease is None else lease
        if not lease or lease.get("released"):
            return True
        job = (lease.get("owner") or {}).get("slurm_job_id")
        if job and job_alive is not None:
            return not job_alive(str(job))
        return time.time() - float(lease.get("heartbeat", 0)) > self.ttl_s

    def acquire(self, owner: dict, job_alive: Optional[Callable[[str], bool]] = None,
                holder: Optional[str] = None) -> bool:
        """Take the lease for ``owner`` (JSON-able: job id, host, what it runs): created if
        there is none, taken over if stale, or kept if ``holder`` (a token) already holds it.
        Returns whether we hold it now. Two racing takers: exactly one wins the create; of two
        takers of a stale lease, the later rename wins and the other sees it on re-read."""
        token = f"{os.uname().nodename}:{os.getpid()}:{time.time_ns()}"
        body = {"owner": owner, "token": token, "taken": time.time(), "heartbeat": time.time()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            current = self.read()
            mine = holder is not None and current and current.get("token") == holder
            if not mine and not self.is_stale(current, job_alive):
                return False
            write_json_atomic(self.path, body)
        else:
            with os.fdopen(fd, "w") as f:
                json.dump(body, f, indent=2, sort_keys=True)
        time.sleep(0.05)  # a racing takeover's rename lands first; then see who holds it
        held = self.read()
        if held and held.get("token") == token:
            self.token = token
            return True
        return False

    def heartbeat(self, **owner) -> None:
        """Say the carrier is alive (and update its owner fields, e.g. a new job id)."""
        lease = self.read() or {}
        lease["heartbeat"] = time.time()
        lease["owner"] = {**lease.get("owner", {}), **owner}
        write_json_atomic(self.path, lease)

    def release(self, **owner) -> None:
        """Give the lease up: the study has no carrier now (kept, marked, for the record;
        ``owner``: fields to update, e.g. why it ended)."""
        lease = self.read()
        if lease is not None:
            lease.update(released=True, heartbeat=time.time())
            lease["owner"] = {**lease.get("owner", {}), **owner}
            write_json_atomic(self.path, lease)
