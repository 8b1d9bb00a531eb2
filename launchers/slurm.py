"""SLURM launcher: every variant one job (a job array per sweep) through submitit.

One asynchronous contract: :func:`submit` queues and returns a :class:`Handle` per variant at
once; :func:`wait` is the separate, optional step that blocks on handles (``launcher.wait=true``).
The submitting process returns once the array is queued: records carry the SLURM job ids,
``sweeps.status`` reads states back from SLURM, and re-running the sweep skips variants that are
finished, queued or running. Preemption and time-outs requeue the job (``VariantTask.checkpoint``)
and it resumes from its last checkpoint.
"""
from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass, is_dataclass
from pathlib import Path
from typing import Optional, Sequence

from description.domain import check_domains
from description.run_spec import RunSpec
from launchers.slurm_conf import driver_conf, slurm_conf
from results.record import ENDED, FAILED, IN_FLIGHT, new_record, now
from results.store import CorruptRecord, ResultStore

log = logging.getLogger(__name__)
OVER = {"FAILED", "NODE_FAIL", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
        "COMPLETED"}  # not PREEMPTED: a preempted job is requeued
ACTIVE = {"PENDING", "RUNNING", "REQUEUED", "RESIZING", "SUSPENDED", "CONFIGURING", "COMPLETING"}
SIGNAL_DELAY_S = 120  # SIGUSR2 this long before the time limit: time to requeue cleanly
CHECKOUT = Path(__file__).resolve().parents[1]  # the stages run from here (only msfm is installed)
SUBMISSIONS = "submissions.log"  # in a sweep's submitit folder: every variant's whole command


def validate_launcher(conf) -> None:
    """One-line ``ValueError`` naming the field: a field outside its declared domain, a job shape
    SLURM would refuse or waste, a machine without SLURM's commands, an unknown partition."""
    driver = getattr(conf, "driver", None) if is_dataclass(conf) else conf.get("driver")
    if not is_dataclass(conf):  # the composed node: its typed LauncherConf
        conf = slurm_conf(conf)
    check_domains(conf, "launcher.")
    if driver is not None:
        validate_driver(driver)
    if conf.gpus_per_node and conf.gpus_per_node % conf.tasks_per_node:
        raise ValueError(f"launcher.gpus_per_node: {conf.gpus_per_node} GPUs cannot be divided "
                         f"across {conf.tasks_per_node} tasks (one process per GPU)")
    missing = [c for c in ("sbatch", "srun", "squeue") if not shutil.which(c)]
    if missing:
        raise ValueError(f"launcher.name: slurm needs SLURM's client commands, and "
                         f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not on PATH "
                         "here; submit from a SLURM login node, or use launcher=local")
    if conf.partition:
        known = partitions()
        if known and conf.partition not in known:
            raise ValueError(f"launcher.partition: unknown partition {conf.partition!r}; "
                             f"allowed: {', '.join(sorted(known))}")


def validate_driver(conf) -> None:
    """One-line ``ValueError`` naming the ``launcher.driver.<field>`` outside its domain, or an
    unknown partition."""
    conf = driver_conf(conf)
    check_domains(conf, "launcher.driver.")
    if conf.partition:
        known = partitions()
        if known and conf.partition not in known:
            raise ValueError(f"launcher.driver.partition: unknown partition {conf.partition!r}; "
                             f"allowed: {', '.join(sorted(known))}")


@functools.lru_cache(maxsize=1)  # asked once per process, however many grid points
def partitions() -> frozenset[str]:
    """The cluster's partition names (empty without SLURM)."""
    if not shutil.which("sinfo"):
        return frozenset()
    return frozenset(subprocess.run(["sinfo", "-h", "-o", "%R"], capture_output=True,
                                    text=True).stdout.split())


def executor(conf, folder: str | Path, job_name: str):
    """A submitit SlurmExecutor with the job shape of ``conf`` (one process per GPU)."""
    import submitit

    ex = submitit.SlurmExecutor(folder=str(folder), max_num_timeout=conf.max_requeues)
    params = dict(
        job_name=job_name, nodes=conf.nodes, ntasks_per_node=conf.tasks_per_node,
        cpus_per_task=conf.cpus_per_task, time=conf.timeout_min,
        array_parallelism=conf.array_parallelism, signal_delay_s=SIGNAL_DELAY_S,
        setup=[f"export PYTHONPATH={CHECKOUT}${{PYTHONPATH:+:$PYTHONPATH}}", *conf.setup],
        # requeue on preemption/node failure; submitit requeues itself on time-out signals
        additional_parameters={"requeue": True, **dict(conf.additional_parameters)},
        partition=conf.partition, account=conf.account, qos=conf.qos,
        constraint=conf.constraint, exclude=conf.exclude,
        gpus_per_node=conf.gpus_per_node or None, mem=f"{conf.mem_gb}GB" if conf.mem_gb else None,
    )
    ex.update_parameters(**{k: v for k, v in params.items() if v is not None})
    return ex


def submit_driver(fn, conf, folder: str | Path, job_name: str, after: Sequence[str] = ()):
    """Submit the picklable callable ``fn`` as a one-task CPU job shaped by ``conf``
    (``launcher.driver``, a DriverConf or its node); returns the submitit job.

    ``after``: job ids (array tasks too) it waits for, ``--dependency=afterany``, so it starts
    once they have all ended, whatever their outcome; ids SLURM no longer lists are left out
    (an ended job may already be purged, and sbatch refuses a dependency on an unknown one).
    A time-out or preemption requeues it through ``fn.checkpoint`` (submitit's protocol)."""
    import submitit

    conf = driver_conf(conf)
    ex = submitit.SlurmExecutor(folder=str(folder), max_num_timeout=conf.max_requeues)
    bases = sorted({str(j).split("_")[0] for j in after if j})
    alive = [b for b in bases if _base_alive(b)]
    extra = {"requeue": True}
    if alive:
        extra["dependency"] = "afterany:" + ":".join(alive)
    params = dict(
        job_name=job_name, nodes=1, ntasks_per_node=1, cpus_per_task=conf.cpus_per_task,
        time=conf.timeout_min, signal_delay_s=min(SIGNAL_DELAY_S, 30 * conf.timeout_min),
        setup=[f"export PYTHONPATH={CHECKOUT}${{PYTHONPATH:+:$PYTHONPATH}}", *conf.setup],
        additional_parameters=extra, partition=conf.partition, account=conf.account,
        qos=conf.qos, mem=f"{conf.mem_gb}GB" if conf.mem_gb else None,
    )
    ex.update_parameters(**{k: v for k, v in params.items() if v is not None})
    return ex.submit(fn)


def job_alive(job_id: str) -> bool:
    """Whether SLURM still has ``job_id`` pending or running (a requeued job is): what a lease's
    ``job_alive`` asks of its owner's job."""
    return job_states([job_id]).get(job_id) in ACTIVE


# what submitit's SlurmJobEnvironment reads of this job (its requeue on a signal needs them)
SUBMITIT_READS = ("SLURM_JOB_ID", "SLURM_NTASKS", "SLURM_JOB_NUM_NODES", "SLURM_NODEID",
                  "SLURM_JOB_NODELIST", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_ARRAY_JOB_ID",
                  "SLURM_ARRAY_TASK_ID")


def drop_allocation_env() -> None:
    """In a job that submits jobs (a search driver, a follow-up): forget this job's own
    allocation settings (``SLURM_MEM_PER_NODE``, ...) so that the jobs it submits (trials, a
    round) do not inherit them: sbatch exports the environment, and srun refuses a job with
    both ``SLURM_MEM_PER_NODE`` and its own ``SLURM_MEM_PER_CPU``."""
    for name in list(os.environ):
        if name.startswith(("SLURM_", "SBATCH_", "SRUN_")) and name not in SUBMITIT_READS:
            del os.environ[name]


def _base_alive(base: str) -> bool:
    """Whether SLURM still knows the job (or array) ``base`` as not over: a dependency on it
    is then accepted and meaningful."""
    out = subprocess.run(["squeue", "-h", "-r", "-j", base, "-o", "%T"], capture_output=True,
                         text=True).stdout.split()
    return any(state in ACTIVE for state in out)


def job_states(job_ids: Sequence[str]) -> dict[str, str]:
    """SLURM state of each job id: the queue for live jobs (``squeue -r`` lists every array
    task, where sacct folds pending ones into one ``12_[3-9]`` row), accounting for the rest."""
    ids = sorted({j for j in job_ids if j})
    if not ids or not shutil.which("squeue"):
        return {}
    states = _parse_states(subprocess.run(["squeue", "-h", "-r", "-o", "%i|%T"],
                                          capture_output=True, text=True).stdout)
    rest = [j for j in ids if j not in states]
    if rest and shutil.which("sacct"):
        query = sorted(set(rest) | {j.split("_")[0] for j in rest})  # base ids: folded rows
        done = subprocess.run(["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-j", ",".join(query)],
                              capture_output=True, text=True).stdout
        states = {**_parse_states(done), **states}
    return {j: states[j] for j in ids if j in states}


def _parse_states(text: str) -> dict[str, str]:
    """``JobID|State`` lines (squeue or sacct) -> state per job id; submitit's sacct reader
    unfolds ``12_[0-2,5%4]`` rows into 12_0, 12_1, 12_2, 12_5."""
    from submitit.slurm.slurm import SlurmInfoWatcher

    rows = SlurmInfoWatcher().read_info("JobID|State\n" + text)
    # submitit's get_state keeps "CANCELLED by 0" whole; callers compare the bare state
    return {job: (row.get("State") or "UNKNOWN").split()[0] for job, row in rows.items()}


def log_tail(record: dict, lines: int = 20) -> str:
    """The last lines of a job's submitit logs (stderr, then stdout)."""
    folder, job = record.get("slurm_folder"), record.get("slurm_job_id")
    if not folder or not job:
        return ""
    tails = []
    for suffix in ("err", "out"):
        path = Path(folder) / f"{job}_0_log.{suffix}"
        if path.exists():
            tails.append("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
    return "\n".join(tails)


def cancelled(job_id: str) -> str:
    """The error of a variant whose job was cancelled (``scancel``)."""
    return f"SLURM job {job_id} was CANCELLED (scancel)"


def reconcile(store: ResultStore, record: dict, state: str | None) -> dict:
    """A record still pending/running whose job SLURM reports over (killed, node failure, ...)
    becomes ``failed`` with the job id and the tail of its log. A cancelled job says so, also
    where a DDP rank outlived the others and recorded its own error (``Connection lost``): that
    error is kept as ``error_detail``."""
    job = record.get("slurm_job_id")
    if not job:  # a local run: no job whose state could speak for it
        return record
    if state == "CANCELLED" and record.get("status") in (*IN_FLIGHT, FAILED) \
            and record.get("error") != cancelled(job):
        detail = record.get("error") if record.get("status") == FAILED else None
        record.update(status=FAILED, error=cancelled(job), error_detail=detail,
                      log_tail=record.get("log_tail") or log_tail(record))
        store.write(record)
    elif record.get("status") in IN_FLIGHT and state in OVER:
        record.update(status="failed", log_tail=log_tail(record),
                      error=f"SLURM job {record['slurm_job_id']} ended {state} without a result")
        store.write(record)
    return record


def current(entries: Sequence[tuple[ResultStore, str]], move_corrupt: bool = True
            ) -> list[tuple[dict | None, str | None]]:
    """Each (store, key)'s record, reconciled with SLURM, and its job state: the one
    read-query-reconcile step of ``submit``, ``wait`` and ``sweeps.status``.

    One state query for all. A corrupt record is moved aside and treated as absent
    (``move_corrupt``, before a submission), or returned as status ``corrupt`` naming the file.
    """
    records = [_read(store, key, move_corrupt) for store, key in entries]
    states = job_states([r.get("slurm_job_id") for r in records if r])
    out = []
    for (store, _), record in zip(entries, records):
        state = states.get(record.get("slurm_job_id")) if record else None
        out.append((reconcile(store, record, state) if record else None, state))
    return out


def _read(store: ResultStore, key: str, move_corrupt: bool) -> dict | None:
    if move_corrupt:
        return store.read_or_warn(key)
    try:
        return store.read(key)
    except CorruptRecord as e:
        return {"status": "corrupt", "error": f"{store.path(key).name}: {e}"}


def _entries(specs: Sequence[RunSpec]) -> list[tuple[ResultStore, str]]:
    return [(ResultStore(spec.results_dir), spec.key) for spec in specs]


@dataclass(frozen=True)
class Handle:
    """One submitted variant: what :func:`submit` returns and :func:`wait` waits on.

    ``job_id``: the SLURM job it was queued as, or None where it was skipped (``skipped`` says
    why: finished, or already queued); ``label``: its name on the console."""

    key: str
    results_dir: str
    label: str
    job_id: Optional[str] = None
    skipped: Optional[str] = None

    @property
    def outcome(self) -> str:
        """The new job id, or why nothing was queued (as the console and the log show it)."""
        return self.job_id if self.job_id is not None else str(self.skipped)


def submit(specs: Sequence[RunSpec], conf, folder: str | Path, job_name: str = "msfm",
           labels: Sequence[str] = ()) -> list[Handle]:
    """Queue every variant that is not finished, queued or running, and return at once: one
    :class:`Handle` per spec (its new job id, or why it was skipped); :func:`wait` is the
    separate, optional step that blocks on them. Each variant's outcome, label and whole
    command go to ``<folder>/submissions.log`` (``labels``: the caller's names for the specs,
    as its console shows them; each spec's own label by default)."""
    validate_launcher(conf)
    todo, outcome = [], []
    for spec, (record, state) in zip(specs, current(_entries(specs))):
        if record and record["status"] == "finished" and not spec.force:
            outcome.append("finished")
        elif record and state in ACTIVE:
            outcome.append(f"already queued as {record['slurm_job_id']} ({state})")
        else:
            if spec.force and Path(spec.work_dir).exists():
                shutil.rmtree(spec.work_dir)
            todo.append(spec)
            outcome.append(None)
    skipped = list(outcome)  # why not queued; None where a job is queued now
    if todo:
        from training.task import VariantTask

        ex = executor(conf, folder, job_name)
        with ex.batch():
            jobs = [ex.submit(VariantTask(_for_cluster(spec, conf))) for spec in todo]
        for spec, job in zip(todo, jobs):
            _write_pending(spec, job.job_id, conf, folder)
        ids = iter(job.job_id for job in jobs)
        outcome = [o if o is not None else next(ids) for o in outcome]
    labels = list(labels) or [spec.label for spec in specs]
    _log_submissions(Path(folder), specs, labels, outcome)
    return [Handle(spec.key, str(spec.results_dir), name, job_id=o if skip is None else None,
                   skipped=skip) for spec, name, o, skip in zip(specs, labels, outcome, skipped)]


def _log_submissions(folder: Path, specs: Sequence[RunSpec], labels: Sequence[str],
                     outcome: Sequence[str]) -> None:
    """Append one line per variant: time, job id or why skipped, key, label and the command
    that runs it alone (the console shows label and job only)."""
    import shlex

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / SUBMISSIONS, "a") as f:
        for spec, name, o in zip(specs, labels, outcome):
            command = shlex.join(["python", "-m", "sweeps.run", *spec.overrides])
            f.write(f"{now()}\t{o}\t{spec.key}\t{name}\t{command}\n")


def _for_cluster(spec: RunSpec, conf) -> RunSpec:
    """The spec as the job runs it: force already applied here, requeues bounded."""
    from dataclasses import replace

    return replace(spec, force=False, max_attempts=conf.max_requeues + 1)


def _write_pending(spec: RunSpec, job_id: str, conf, folder) -> None:
    store = ResultStore(spec.results_dir)
    previous = store.read_or_warn(spec.key) or {}
    if previous.get("status") == "running" and previous.get("slurm_job_id") == job_id:
        return  # the job already started and wrote its own record
    store.write(new_record(
        spec.key, "pending", spec.names, sweep=spec.sweep, overrides=spec.overrides,
        config=spec.config, seed=spec.variant.seed, previous=previous, slurm_job_id=job_id,
        gpus=conf.nodes * conf.gpus_per_node, slurm_folder=str(Path(folder).resolve()),
    ))


def wait(handles: Sequence[Handle], poll_s: float = 5.0) -> list[dict]:
    """Block until every submitted variant's record is finished, failed or pruned (reconciled
    with SLURM, so a job that dies without writing one still ends the wait); returns the
    records, in the handles' order. A skipped variant is waited on too (one already queued
    ends like the rest). Says one line per change of the jobs' states (``wait_line``), not one
    per poll."""
    import time

    entries = [(ResultStore(h.results_dir), h.key) for h in handles]
    shown = None
    while True:
        found = current(entries)
        records = [record or {} for record, _ in found]
        if all(r.get("status") in ENDED for r in records):
            return records
        shown, line = wait_line(shown, records, [state for _, state in found])
        if line:
            log.info(line)
        time.sleep(poll_s)


def wait_line(previous: str | None, records: Sequence[dict], states: Sequence[str | None]
              ) -> tuple[str, str | None]:
    """``(state, line)`` while :func:`wait` waits: the jobs not over yet counted by
    SLURM state (their record's status where SLURM has none); ``line`` is None unless the state
    differs from ``previous`` (the state last returned)."""
    counts: dict[str, int] = {}
    for record, state in zip(records, states):
        if record.get("status") not in ENDED:
            what = state or record.get("status") or "no record"
            counts[what] = counts.get(what, 0) + 1
    ended = len(records) - sum(counts.values())
    state = (f"waiting for {sum(counts.values())} SLURM job(s) ({ended} of {len(records)} "
             f"ended): " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))
    return state, None if state == previous else state
