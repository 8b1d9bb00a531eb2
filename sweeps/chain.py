"""Adaptive rounds that chain themselves on SLURM: each round's jobs are followed by a small
CPU job (``launcher.driver``) that SLURM starts once they have all ended
(``--dependency=afterany``). It runs the very command that was typed, in-process
(:class:`FollowUp`): that plans the next round from the store and queues it with its own
follow-up, until the plan is empty; the last one writes the sweep's tables.

One study, one chain: the store's lease (``results.lease``) names the follow-up job that
carries the study. The same command typed while it is alive queues nothing and says where the
study stands; once that job is gone (``scancel``, a failure), the command takes over.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from sweeps.watch import watch_command

log = logging.getLogger(__name__)
TABLES_TIMEOUT_S = 6 * 3600


@dataclass
class FollowUp:
    """The next look at an adaptive sweep, as a SLURM job: ``argv`` is the command line as
    typed (a list, pickled by submitit; never joined into a shell command)."""

    argv: list

    def __call__(self) -> None:
        from launchers.slurm import drop_allocation_env
        from sweeps.run import run

        drop_allocation_env()  # the round's jobs must not inherit this small job's allocation
        run(list(self.argv))  # Hydra gets it as argv, exactly as typed

    def checkpoint(self):
        """Time-out or preemption: run again from the start (planning reads the store)."""
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(FollowUp(list(self.argv)))


def study_entries(composed: Sequence[tuple[list, object]]) -> list:
    """(store, key) of every run the study may make: each grid point at each of its
    ``max_seeds`` seeds."""
    from results.store import ResultStore
    from sweeps.schema import variant_of

    keys = {}  # (store dir, key): grid points that differ only where it has no effect are one run
    for _, cfg in composed:
        variant = variant_of(cfg)
        keys.update({(str(cfg.results_dir), replace(variant, seed=s).key()): None
                     for s in range(cfg.max_seeds)})
    return [(ResultStore(folder), key) for folder, key in keys]


def in_flight(composed) -> list[str]:
    """The SLURM job ids of the study's runs still pending or running. Records are reconciled
    with SLURM first: a job that died without a record is ``failed`` from here on, and so is
    one SLURM knows nothing of any more (an array task cancelled before it started leaves no
    accounting row); either is retried by the next round."""
    from launchers.slurm import ACTIVE, current
    from results.record import FAILED, IN_FLIGHT

    entries = study_entries(composed)
    found = current(entries)
    for (store, _), (record, state) in zip(entries, found):
        job = (record or {}).get("slurm_job_id")
        if job and state is None and record.get("status") in IN_FLIGHT:
            record.update(status=FAILED, error=f"SLURM job {job} is gone: neither the queue nor "
                          "accounting knows it (cancelled before it started?)")
            store.write(record)
    return sorted({record["slurm_job_id"] for record, state in found
                   if record and state in ACTIVE})


def carry_on(config, composed, launch: Callable[[list], object], argv: Sequence[str]) -> None:
    """One link of the chain: unless another live job carries the study, plan this round from
    the store, queue it (``launch``, the sweeper's launcher), then its follow-up after every
    run of the study still in flight; with nothing planned and nothing in flight, write the
    tables and release the lease. ``config``: the sweep's composed config; ``composed``: its
    grid points (job overrides, config), no seeds; ``argv``: the command line as typed."""
    from launchers.slurm import job_alive
    from results.lease import Lease, study_key

    lease = Lease(config.results_dir, study_key(argv))
    held = lease.read()
    me = os.environ.get("SLURM_JOB_ID")
    mine = bool(held and me and (held.get("owner") or {}).get("slurm_job_id") == me)
    owner = dict(host=os.uname().nodename, pid=os.getpid(), slurm_job_id=me)
    if not lease.acquire(owner, job_alive, holder=held.get("token") if mine else None):
        print(standing(lease.read(), argv))
        return
    # rounds this chain has queued (retries included); a chain that ended starts again at 0
    last = (held or {}).get("owner") or {}
    carried = held and not (held.get("released") and last.get("stage") == "done")
    rounds = int(last.get("round", 0)) if carried else 0
    try:
        follow_up = _link(config, composed, launch, argv, lease, rounds, me)
    except BaseException as e:  # the next invocation takes over at once, not after the TTL
        from results.study import mask_url

        lease.release(stage=mask_url(f"stopped: {type(e).__name__}: {e}")[:500], slurm_job_id=me)
        raise
    if follow_up is None:
        lease.release(stage="done")


def _link(config, composed, launch, argv, lease, rounds: int, me):
    """Plan, queue, and queue the follow-up (its job), or write the tables (None)."""
    from launchers.slurm import submit_driver
    from sweeps.replicate import plan_round, print_round

    in_flight(composed)  # reconcile before planning: a dead job's run may be retried
    plan = plan_round(composed)
    print_round(plan)
    if plan.composed:
        launch([job for job, _ in plan.composed])
        rounds += 1
    waiting = in_flight(composed)
    if not waiting:
        lease.heartbeat(stage="tables", slurm_job_id=me)
        if not write_tables(config):
            raise RuntimeError(f"analysis.tables failed (see this job's log); every run is in "
                               f"the store, and the same command writes the tables again")
        print(f"adaptive seeds: every row settled; tables in {tables_dir(config)}")
        return None
    if rounds > config.max_seeds * (config.launcher.max_requeues + 2):  # a run that keeps
        raise RuntimeError(f"resolve: {rounds} rounds queued and runs still failing; stopped "  # failing
                           f"(see {watch_command(argv)})")
    folder = Path(config.hydra.sweep.dir) / "submitit"
    job = submit_driver(FollowUp(list(argv)), config.launcher.driver, folder,
                        f"msfm-{config.get('sweep') or 'adhoc'}-followup", after=waiting)
    lease.heartbeat(slurm_job_id=job.job_id, round=rounds, folder=str(folder), stage="waiting")
    print(f"follow-up job {job.job_id} plans the next round once {len(waiting)} job(s) end "
          f"(round {rounds} of at most {config.max_seeds}); nothing waits here.\n"
          f"watch: {watch_command(argv)}")
    return job


def standing(lease: dict | None, argv: Sequence[str]) -> str:
    """Where a study carried by another job stands (printed instead of queuing twice)."""
    owner = (lease or {}).get("owner") or {}
    job = owner.get("slurm_job_id")
    state = f" ({job_states_one(job)})" if job else ""
    who = f"follow-up job {job}{state}" if job else f"{owner.get('host')} pid {owner.get('pid')}"
    return (f"this study is carried by {who}, round {owner.get('round', 0)}: nothing queued "
            f"twice.\nwatch: {watch_command(argv)}")


def job_states_one(job: str) -> str:
    """SLURM's state of one job, or 'unknown to SLURM'."""
    from launchers.slurm import job_states

    return job_states([job]).get(job, "unknown to SLURM")


def tables_dir(config) -> Path:
    """Where ``analysis.tables`` writes by default: beside the store."""
    return Path(config.results_dir).resolve().parent / "tables"


def write_tables(config) -> bool:
    """The sweep's tables (Markdown, LaTeX, CSV, plots) and, when wandb is on, its summary run:
    ``python -m analysis.tables`` as a child process with an argument list (sweeps/ never
    imports analysis/). A failure is logged and returned (False), not raised: the runs are all
    in the store, and the same command writes the tables again."""
    args = [f"results_dir={config.results_dir}", f"resolve={config.resolve}",
            f"max_seeds={config.max_seeds}", f"dataset={config.dataset.name}",
            f"wandb={'true' if config.wandb.enabled and config.wandb.mode != 'disabled' else 'false'}"]
    if config.seed_sigma is not None:
        args.append(f"seed_sigma={config.seed_sigma}")
    from sweeps.naming import CONF_DIR

    if config.get("sweep") and (CONF_DIR / "sweep" / f"{config.sweep}.yaml").exists():
        args.append(f"sweep={config.sweep}")  # a preset: its part of its table
    proc = subprocess.run([sys.executable, "-m", "analysis.tables", *args], capture_output=True,
                          text=True, timeout=TABLES_TIMEOUT_S)
    print(proc.stdout[-4000:])
    if proc.returncode:
        log.error("analysis.tables failed (%s): %s", proc.returncode, proc.stderr[-2000:])
    return proc.returncode == 0


def run_hours(cfg) -> Callable:
    """GPU-hours of one run of a Variant, by the plan's cost model (``sweeps.plan``)."""
    from sweeps import plan_stats
    from sweeps.plan import gpu_hours

    def hours(variant) -> float:
        gflops = plan_stats.planned_stats(replace(variant, seed=0), *cfg.plan.input_size)[1]
        return gpu_hours(gflops, variant, cfg.plan.effective_tflops)
    return hours


def chain_status(composed, plan, argv: Sequence[str]) -> list[str]:
    """Where a chained sweep stands, in lines: round k of at most ``max_seeds``, each row's
    seeds finished / queued / running, the follow-up job and its SLURM state, and the expected
    remaining GPU-hours (``plan``: ``plan_round`` of the grid, priced)."""
    from launchers.slurm import current
    from results.lease import Lease, study_key
    from sweeps.naming import names_of_variant
    from sweeps.replicate import row_key
    from sweeps.schema import variant_of

    cfg0 = composed[0][1]
    labels = {r["key"]: r["label"] for r in plan.rows}
    entries, rows = [], []  # every run the study may make, and its row: one SLURM query for all
    for _, cfg in composed:
        runs = study_entries([(None, cfg)])
        entries += runs
        rows += [row_key(names_of_variant(variant_of(cfg)))] * len(runs)
    counts: dict = {}
    for row, (record, _) in zip(rows, current(entries, move_corrupt=False)):
        status = (record or {}).get("status")
        if status:
            counts.setdefault(row, {}).setdefault(status, set()).add(record["key"])
    k = max((len(r["seeds"]) + len(r["queued"]) for r in plan.rows), default=0)
    lines = [f"adaptive seeds: round {k} of at most {cfg0.max_seeds}"]
    for key, name in labels.items():
        c = {s: len(keys) for s, keys in counts.get(key, {}).items()}
        lines.append(f"  {name}: {c.get('finished', 0)} finished, {c.get('pending', 0)} queued, "
                     f"{c.get('running', 0)} running" + (f", {c['failed']} failed" if c.get("failed") else ""))
    lease = Lease(cfg0.results_dir, study_key(argv)).read()
    owner = (lease or {}).get("owner") or {}
    job, stage = owner.get("slurm_job_id"), str(owner.get("stage", ""))
    if lease and lease.get("released") and stage == "done":
        lines.append("the chain has ended: every row settled, tables written")
    elif lease and lease.get("released"):
        where = f" in job {job} ({job_states_one(job)})" if job else ""
        lines.append(f"the chain stopped{where}: {stage}; the same command carries it on")
    elif job:
        state = job_states_one(job)
        lines.append(f"follow-up job {job}: {state} ({stage or 'waiting'})" + (
            "" if state in ("PENDING", "RUNNING") else "; gone: the same command carries it on"))
    else:
        lines.append("no follow-up job: the sweep's command queues the next round")
    hours = plan.cost.gpu_hours if plan.cost else 0.0
    lines.append(f"expected remaining: {plan.cost.more_seeds if plan.cost else 0} run(s), "
                 f"~{hours:.1f} GPU-hours")
    return lines
