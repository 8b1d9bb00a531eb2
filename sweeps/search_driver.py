"""A search on SLURM runs as a job: ``+search=... launcher=slurm`` queues its ask-and-tell loop
as a small CPU driver job (``launcher.driver``) and returns at once.

The driver runs the very command that was typed, in-process (Hydra gets the argv list; no shell
sees it), with ``launcher.wait=true``: the loop submits each trial as its own job and waits for
its record, as a blocking search does on a login node. On its time limit or a preemption
submitit requeues the same callable (:meth:`SearchDriver.checkpoint`), which resumes from the
study storage, so ``n_trials`` and the GPU-hour budget hold across restarts. The store's lease
(``results.lease``) says which job drives the study: a second invocation while the driver is
alive queues nothing and prints where the study stands; after ``scancel`` of the driver, the
same command takes the lease over and queues a driver that resumes the study.
"""
from __future__ import annotations

import os
import re
import sys
import threading
from pathlib import Path
from typing import Optional, Sequence

WAIT = "launcher.wait=true"  # the driver's own search waits for its trials' records
LEASE_BEAT_S = 600.0  # the driver's lease heartbeat (the lease's TTL is hours)


def drives_search(cfg) -> bool:
    """Whether the composed ``cfg`` (with its hydra node) is a search to run as a driver job:
    the Optuna sweeper, ``launcher=slurm`` and no ``launcher.wait=true`` (which keeps the
    search in this process, blocking)."""
    return _search_on_slurm(cfg) and not cfg.launcher.wait


def driven_elsewhere(cfg, argv: Sequence[str]) -> bool:
    """For a blocking search on SLURM (``launcher.wait=true``): whether a live driver job other
    than this process's own job holds the study's lease; if so, print where the study stands
    (a second ask-and-tell loop on one study would overrun ``n_trials``)."""
    from launchers.slurm import job_alive

    if not _search_on_slurm(cfg):
        return False
    lease = study_lease(cfg, argv)
    held = lease.read()
    job = ((held or {}).get("owner") or {}).get("slurm_job_id")
    if lease.is_stale(held, job_alive) or job == os.environ.get("SLURM_JOB_ID"):
        return False
    print(f"the search is driven by another job: nothing run here\n{standing(cfg, argv)}")
    return True


def _search_on_slurm(cfg) -> bool:
    from sweeps.kinds import SweeperKind, sweeper_kind

    return sweeper_kind(cfg.hydra.sweeper) == SweeperKind.SEARCH and cfg.launcher.name == "slurm"


def study_lease(cfg, argv: Sequence[str]):
    """The lease of the study ``argv`` names, in the store of the composed ``cfg``."""
    from results.lease import Lease, study_key

    return Lease(cfg.results_dir, study_key(list(argv)))


class SearchDriver:
    """The picklable driver job: runs ``python -m sweeps.run <argv> launcher.wait=true`` in
    this process (from ``cwd``), holding the study's lease (``token``: the submitter's)."""

    def __init__(self, argv: Sequence[str], cwd: str, results_dir: str, token: str) -> None:
        self.argv, self.cwd = list(argv), cwd
        self.results_dir, self.token = results_dir, token

    def __call__(self) -> None:
        import runpy

        from launchers.slurm import drop_allocation_env, job_alive
        from results.lease import Lease, study_key

        os.chdir(self.cwd)
        lease = Lease(self.results_dir, study_key(self.argv))
        job = os.environ.get("SLURM_JOB_ID")
        held = lease.read() or {}  # ours: the submitter's token, or this job's (a requeue)
        mine = held.get("token") == self.token or \
            (held.get("owner") or {}).get("slurm_job_id") == job
        if not lease.acquire({"slurm_job_id": job, "what": "search driver"}, job_alive,
                             holder=held.get("token") if mine else None):
            print(f"another carrier holds the study's lease ({lease.path}); this driver stops")
            return
        self.token = lease.token  # a requeued driver (same callable) keeps holding it
        drop_allocation_env()
        stop = threading.Event()
        beat = threading.Thread(target=_beat, args=(lease, stop, job), daemon=True)
        beat.start()
        argv = [a for a in self.argv if a.split("=", 1)[0] != "launcher.wait"] + [WAIT]
        sys.argv = ["sweeps.run", *argv]  # Hydra reads its overrides from here
        try:  # as ``python -m sweeps.run``: Hydra finds conf/ from the script, as it does there
            runpy.run_module("sweeps.run", run_name="__main__", alter_sys=True)
        except SystemExit as e:
            if e.code not in (0, None):
                raise
        stop.set()
        lease.release()  # not in a finally: a requeue exits through here and keeps the lease

    def checkpoint(self, *args, **kwargs):
        """Requeue this same driver (submitit's protocol): it resumes from the study."""
        import submitit

        return submitit.helpers.DelayedSubmission(self)


def _beat(lease, stop: threading.Event, job: Optional[str]) -> None:
    while not stop.wait(LEASE_BEAT_S):
        lease.heartbeat(slurm_job_id=job)


def submit_search(argv: Sequence[str], cfg) -> int:
    """Queue the search of ``argv`` (composed: ``cfg``) as a driver job, unless a live carrier
    holds its lease (then print where the study stands). Returns the exit code."""
    from launchers.slurm import job_alive, submit_driver, validate_launcher
    from sweeps.watch import watch_command
    from sweeps.search_options import check_options

    try:  # what the driver would find only on the cluster: one line here, nothing queued
        check_options(cfg.hydra.sweeper, cfg.schedule)
        validate_launcher(cfg.launcher)  # the trials' job shape and the driver's
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    lease = study_lease(cfg, argv)
    owner = {"host": os.uname().nodename, "pid": os.getpid(), "what": "submitting a search driver"}
    if not lease.acquire(owner, job_alive):
        print(f"the search is already driven: nothing queued\n{standing(cfg, argv)}")
        return 0
    folder = Path(cfg.hydra.sweep.dir) / "driver"
    name = re.sub(r"[^\w.-]", "_", f"msfm-search-{cfg.hydra.sweeper.study_name}")  # one word
    try:
        job = submit_driver(SearchDriver(argv, os.getcwd(), str(cfg.results_dir), lease.token),
                            cfg.launcher.driver, folder, job_name=name)
    except BaseException:
        lease.release()
        raise
    lease.heartbeat(slurm_job_id=str(job.job_id), what="search driver")
    print(f"search {cfg.hydra.sweeper.study_name}: driver queued as SLURM job {job.job_id} "
          f"(it submits the trials as jobs; this command is done)\n"
          f"driver log: {folder / f'{job.job_id}_0_log.err'}\n"
          f"watch: {watch_command(argv)}")
    return 0


def driver_line(cfg, argv: Sequence[str]) -> Optional[str]:
    """The study's driver job and its SLURM state, from the lease; None if none was queued."""
    from launchers.slurm import job_states

    lease = study_lease(cfg, argv).read()
    job = ((lease or {}).get("owner") or {}).get("slurm_job_id")
    if not job:
        return None
    state = job_states([str(job)]).get(str(job)) or "unknown to SLURM"
    done = " (lease released: the driver finished)" if lease.get("released") else ""
    return f"driver: SLURM job {job} {state}{done}"


def standing(cfg, argv: Sequence[str]) -> str:
    """Where the study stands: its trials against n_trials and the budget, and its driver."""
    from sweeps.search_ledger import search_status

    found = search_status(cfg)
    return "\n".join(filter(None, [found["line"] if found else None, driver_line(cfg, argv)]))
