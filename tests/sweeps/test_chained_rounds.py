"""Adaptive rounds on the real local SLURM cluster, carried on by follow-up jobs: one command
runs the study to its tables, a second invocation queues nothing twice, ``scancel`` of the
follow-up is picked up by the same command without duplicating a run and queues exactly the
round the plan names, and an override with
shell syntax reaches the follow-up's Hydra unchanged and runs nothing."""
import json
import subprocess
import sys
import time
from datetime import datetime

import pytest

from tests.helpers import ROOT, TINY, records, wait_for

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]
# two rows (baseline, default) x at most 2 seeds, one CPU process a job; no seed_sigma prior,
# so round 1 (one seed a row) leaves every row unresolved and round 2 is never empty by luck
STUDY = ["-m", "hydra/sweeper=rows", "msfm.enabled=false,true", "resolve=2.0", "max_seeds=2",
         "wandb.enabled=false", "dataset.num_val=6", "launcher=slurm", "launcher.tasks_per_node=1",
         "launcher.gpus_per_node=0", "launcher.cpus_per_task=1", "launcher.timeout_min=30",
         "launcher.driver.mem_gb=0"]
NOTE = "a b; touch pwned $(id)"  # what the user meant, after their shell's own quoting
INJECTION = f"wandb.notes='{NOTE}'"  # one argv element, as the shell hands it over


def command(root) -> list[str]:
    """The study's command line, as a list (no shell anywhere)."""
    return [sys.executable, "-m", "sweeps.run", "-m", f"output_root={root}", *TINY, *STUDY[1:],
            INJECTION]


def sacct_jobs(root, since: datetime) -> list[tuple[str, str]]:
    """(job id, job name) of every job (array task) submitted since ``since`` from sbatch files
    under ``root``."""
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-S", since.strftime("%Y-%m-%dT%H:%M:%S"),
                          "-o", "JobID,JobName,Submit,SubmitLine"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("|", 3) for line in out.splitlines() if line.count("|") >= 3]
    return [(job, name) for job, name, submit, cmd in rows
            if str(root) in cmd and datetime.fromisoformat(submit) >= since]


def lease(root) -> dict:
    """The study's lease (there is one study per root here)."""
    [path] = (root / "results" / "leases").glob("*.json") or [None]
    return json.loads(path.read_text()) if path else {}



def done(root) -> bool:
    """The tables are written and the chain has let go of the study."""
    return (root / "tables").is_dir() and any((root / "tables").glob("*.md")) \
        and lease(root).get("released", False)


def check_completed(root, since: datetime, follow_ups: int) -> None:
    """Both rounds ran, each run once, each in its own array task, and at least ``follow_ups``
    follow-up jobs ran; the free text arrived."""
    runs = records(root)
    assert sorted((r["status"], r["seed"]) for r in runs) == \
        [("finished", 0), ("finished", 0), ("finished", 1), ("finished", 1)], \
        [(r["status"], r.get("error")) for r in runs]
    jobs = sacct_jobs(root, since)
    tasks = [job for job, name in jobs if not name.endswith("-followup")]
    assert len(tasks) == len(runs) == len({r["slurm_job_id"] for r in runs})  # no duplicate
    assert sum(name.endswith("-followup") for _, name in jobs) >= follow_ups
    assert all(r["config"]["wandb"]["notes"] == NOTE and r["attempts"] == 1 for r in runs)
    assert not list(root.rglob("pwned")) and not (ROOT / "pwned").exists()


@pytest.mark.slow
def test_one_command_runs_every_round_and_a_second_invocation_queues_nothing(tmp_path):
    since = datetime.now().replace(microsecond=0)
    twins = [subprocess.Popen(command(tmp_path), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in twins]
    assert [p.returncode for p in twins] == [0, 0], [err[-2000:] for _, err in outs]
    carried = [out for out, _ in outs if "nothing queued twice" in out]
    chained = [out for out, _ in outs if "follow-up job" in out and "plans the next round" in out]
    assert len(carried) == 1 and len(chained) == 1, [out[-1500:] for out, _ in outs]
    assert "watch: python -m sweeps.status" in chained[0]
    wait_for(lambda: done(tmp_path))
    check_completed(tmp_path, since, follow_ups=2)  # one queued round 2, one wrote the tables
    status = subprocess.run([sys.executable, "-m", "sweeps.status", f"output_root={tmp_path}", *TINY,
                             *STUDY[1:], INJECTION], cwd=ROOT, capture_output=True, text=True)
    assert "round 2 of at most 2" in status.stdout and "the chain has ended" in status.stdout \
        and "  baseline: 2 finished, 0 queued, 0 running" in status.stdout, \
        status.stdout[-2000:] + status.stderr[-2000:]


@pytest.mark.slow
def test_scancel_of_the_follow_up_then_the_same_command_completes_without_duplicates(tmp_path):
    since = datetime.now().replace(microsecond=0)
    first = subprocess.run(command(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    follow_up = lease(tmp_path)["owner"]["slurm_job_id"]
    subprocess.run(["scancel", follow_up], check=True)
    status = subprocess.run([sys.executable, "-m", "sweeps.status", f"output_root={tmp_path}", *TINY,
                             *STUDY[1:], INJECTION], cwd=ROOT, capture_output=True, text=True)
    assert "round 1 of at most 2" in status.stdout and f"follow-up job {follow_up}: " in status.stdout, \
        status.stdout[-2000:] + status.stderr[-2000:]
    wait_for(lambda: all(r["status"] == "finished" for r in records(tmp_path)), timeout=300)
    assert not done(tmp_path)  # the chain stopped with its follow-up
    from sweeps.plan import planned as plan_rows  # what the next round launches, by the plan

    _, _, round2 = plan_rows([f"output_root={tmp_path}", *TINY, *STUDY[1:], INJECTION])
    named = sorted(r["key"] for r in round2.rows if r["seed"] is not None)
    again = subprocess.run(command(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "plans the next round" in again.stdout, again.stderr[-2000:]
    from description.paper_tables import match_key

    launched = sorted(match_key(r["variant"]["msfm"], r["variant"]["detector"], r["variant"])
                      for r in records(tmp_path) if r["seed"] == 1)
    assert launched == named  # round 2 is exactly what the plan named
    wait_for(lambda: done(tmp_path))
    check_completed(tmp_path, since, follow_ups=1)  # the new chain's (a cancelled one may not count)


@pytest.mark.slow
def test_a_round_job_that_dies_is_failed_with_its_id_and_retried_by_the_chain(tmp_path):
    since = datetime.now().replace(microsecond=0)
    first = subprocess.run(command(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    victim = records(tmp_path)[0]
    subprocess.run(["scancel", victim["slurm_job_id"]], check=True)
    wait_for(lambda: done(tmp_path))
    runs = records(tmp_path)
    assert sorted((r["status"], r["seed"]) for r in runs) == \
        [("finished", 0), ("finished", 0), ("finished", 1), ("finished", 1)], \
        [(r["status"], r.get("error")) for r in runs]
    [retried] = [r for r in runs if r["key"] == victim["key"]]
    assert retried["slurm_job_id"] != victim["slurm_job_id"]  # queued again by a follow-up
    tasks = [job for job, name in sacct_jobs(tmp_path, since) if not name.endswith("-followup")]
    # an array task cancelled before it started leaves no accounting row; one that ran does
    started = victim["slurm_job_id"] in tasks
    assert len(tasks) == len(runs) + started and {r["slurm_job_id"] for r in runs} <= set(tasks)
