"""Against the real single-node SLURM cluster on localhost: job shape, DDP sweep, preemption."""
import re
import subprocess
import sys
import time
from datetime import datetime

import pytest

from tests.helpers import CPU_DDP, PAPER, ROOT, TINY, records, sweeps_run, wait_for

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]
# two CPU processes per variant: real multi-process DDP over gloo (CPU_DDP), or one
ONE_PROCESS = ["launcher=slurm", "launcher.tasks_per_node=1", "launcher.gpus_per_node=0",
               "launcher.cpus_per_task=1", "launcher.timeout_min=30"]


def _visible_gpus():
    import os

    return os.environ.get("CUDA_VISIBLE_DEVICES")


def test_paper_shape_is_accepted_and_sees_8_gpus(tmp_path):
    from dataclasses import replace

    from launchers.slurm import executor

    ex = executor(replace(PAPER, partition=None, cpus_per_task=1, setup=[]), tmp_path, "shape")
    job = ex.submit(_visible_gpus)
    assert job.results() == ["0,1,2,3,4,5,6,7"] * 8  # every one of the 8 tasks



def sacct_count(root, since: datetime) -> int:
    """Jobs (array tasks each) in SLURM's accounting submitted at or after ``since`` from files
    under ``root``, where submitit writes a sweep's sbatch files. Both filters are needed:
    slurmctld passes a job to accounting a few seconds late, so the previous test's job can
    appear while this one runs; and slurmdbd outlives pytest, so an earlier session's run can
    have used the same ``/tmp/pytest-of-<user>/pytest-N/...`` path."""
    lines = subprocess.run(["sacct", "-n", "-X", "-P", "-S", since.strftime("%Y-%m-%dT%H:%M:%S"),
                            "-o", "Submit,SubmitLine"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    rows = [line.split("|", 1) for line in lines if "|" in line]
    return sum(str(root) in cmd and datetime.fromisoformat(submit) >= since for submit, cmd in rows)


def now() -> datetime:
    """The local wall time to the second, as sacct prints it."""
    return datetime.now().replace(microsecond=0)


@pytest.mark.slow
def test_two_variant_sweep_runs_as_ddp_jobs_and_is_not_resubmitted(tmp_path):
    args = ("-m", *CPU_DDP, "msfm.enabled=false,true")
    start = now()
    proc = sweeps_run(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr[-3000:]  # returns once queued
    assert {r["status"] for r in records(tmp_path)} <= {"pending", "running"}
    for name in ("baseline", "default"):  # each variant by its label, as sweeps.status names it
        assert re.search(rf"^  {name} +queued as job \d+_\d+$", proc.stdout, re.M), proc.stdout
    done = wait_for(lambda: (rs := records(tmp_path)) and
                    all(r["status"] in ("finished", "failed") for r in rs) and rs)
    assert [r["status"] for r in done] == ["finished", "finished"], [r.get("error") for r in done]
    for r in done:
        assert r["world_size"] == 2 and r["slurm_job_id"] and "_" in r["slurm_job_id"]
        assert 0 <= r["metrics"]["bbox_mAP"] <= 1 and r["attempts"] == 1

    jobs_before = sacct_count(tmp_path, start)
    assert jobs_before == 2  # its two array tasks: the count sees this sweep's jobs
    again = sweeps_run(tmp_path, *args)
    assert again.returncode == 0 and re.search(r"^  baseline +finished$", again.stdout, re.M)
    assert sacct_count(tmp_path, start) == jobs_before  # nothing submitted twice
    status = subprocess.run([sys.executable, "-m", "sweeps.status", f"output_root={tmp_path}",
                             *TINY, *CPU_DDP, "msfm.enabled=false,true"],
                            cwd=ROOT, capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout.count("finished") >= 2


@pytest.mark.slow
def test_requeued_job_resumes_from_its_checkpoint(tmp_path):
    # 2 iterations per epoch on each of the 2 processes; the requeue lands mid-training
    epochs = ["schedule.epochs=3", "schedule.milestones=[3]", "schedule.val_interval=3",
              "dataset.num_train_images=8"]
    proc = sweeps_run(tmp_path, *CPU_DDP, *epochs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [record] = records(tmp_path)
    job = record["slurm_job_id"]
    wait_for(lambda: list(tmp_path.glob("work/*/epoch_1.pth")))
    subprocess.run(["scontrol", "requeue", job], check=True)
    final = wait_for(lambda: (rs := records(tmp_path)) and rs[0]["status"] in ("finished", "failed")
                     and rs[0]["attempts"] >= 2 and rs[0])
    assert final["status"] == "finished", final.get("error")
    assert final["slurm_job_id"] == job and len(records(tmp_path)) == 1
    logs = sorted(tmp_path.glob("work/*/2*/2*.log"))  # mmengine: <work_dir>/<time>/<time>.log
    assert len(logs) == 2, logs  # one per start of the job
    resumed = logs[-1].read_text()
    assert "Auto resumed from the latest checkpoint" in resumed
    epoch = int(re.search(r"resumed epoch: (\d+)", resumed).group(1))
    assert 1 <= epoch < 3 and f"epoch_{epoch}.pth" in resumed
    assert f"Epoch(train) [{epoch}]" not in resumed and "Epoch(train) [3]" in resumed


@pytest.mark.parametrize("args, field", [
    (["launcher.partition=nope"], "launcher.partition"),
    (["launcher.tasks_per_node=0"], "launcher.tasks_per_node"),
    (["launcher.gpus_per_node=3"], "launcher.gpus_per_node"),
])
def test_bad_launcher_input_fails_before_submission(tmp_path, args, field):
    start = now()
    before = sacct_count(tmp_path, start)
    proc = sweeps_run(tmp_path, *CPU_DDP, *args, "-m", "msfm.enabled=false,true", timeout=300)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and field in lines[0], proc.stderr
    assert sacct_count(tmp_path, start) == before and records(tmp_path) == []


@pytest.mark.parametrize("args, field, home", [
    (["hydra.launcher.nodes=0"], "hydra.launcher.nodes", "launcher.nodes="),  # one variant, no -m
    (["-m", "launcher.timeout_min=10,20"], "launcher.timeout_min", "separate sweeps"),
])
def test_a_setting_typed_where_nothing_reads_it_fails_before_submission(tmp_path, args, field,
                                                                         home):
    """The single-variant path submits through the same launcher as a sweep: a job setting
    typed on the launcher's own node, or per variant, is refused, not ignored."""
    start = now()
    proc = sweeps_run(tmp_path, *ONE_PROCESS, *args, timeout=300)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and field in lines[0] and home in lines[0], proc.stderr
    assert sacct_count(tmp_path, start) == 0 and records(tmp_path) == []


@pytest.mark.slow
def test_a_scancelled_job_says_so(tmp_path):
    """One variant (no -m): the console names it by its label with its job id, the sweep's
    submissions.log keeps its whole command; scancel it while it trains, and its record and
    sweeps.status say that SLURM cancelled it."""
    from launchers.slurm import job_states

    # one process, still training when cancelled (submitit ignores SIGTERM: SIGKILL follows
    # after the cluster's KillWait of 10 s)
    args = [*ONE_PROCESS, "schedule.epochs=50", "schedule.milestones=[50]",
            "schedule.val_interval=50", "wandb.enabled=false"]
    proc = sweeps_run(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [record] = records(tmp_path)
    job = record["slurm_job_id"]
    assert re.search(rf"^  {re.escape(record_label(tmp_path, args))} +queued as job {job}$",
                     proc.stdout, re.M), proc.stdout
    assert "schedule.epochs=50" not in proc.stdout  # the command is in the log, not on the console
    [log] = tmp_path.glob("sweeps/adhoc/*/submitit/submissions.log")
    assert f"\t{job}\t{record['key']}\t" in log.read_text() and "schedule.epochs=50" in log.read_text()
    wait_for(lambda: records(tmp_path)[0]["status"] == "running", timeout=600)
    subprocess.run(["scancel", job], check=True)
    wait_for(lambda: job_states([job]).get(job) == "CANCELLED", timeout=120)
    status = subprocess.run([sys.executable, "-m", "sweeps.status", f"output_root={tmp_path}",
                             *TINY, *args], cwd=ROOT, capture_output=True, text=True)
    assert status.returncode == 0 and "was CANCELLED (scancel)" in status.stdout, status.stdout
    [record] = records(tmp_path)
    assert record["status"] == "failed" and record["error"] == f"SLURM job {job} was CANCELLED (scancel)"


def record_label(tmp_path, args) -> str:
    """The label sweeps.status gives the one variant of ``args``."""
    from sweeps.status import status_rows

    [row] = status_rows([f"output_root={tmp_path}", *TINY, *args])
    return row["label"]


@pytest.mark.slow
def test_search_runs_its_trials_as_slurm_jobs(tmp_path):
    """Same command as the local search, launcher=slurm launcher.wait=true: the search stays in
    this process and the launcher waits for each trial (without wait: a driver job,
    tests/hydra_plugins/test_search_driver.py)."""
    from tests.helpers import GN32_SIZE, SPACE, study

    proc = sweeps_run(tmp_path, "+search=msfm", "hydra.sweeper.n_trials=2", *SPACE, *GN32_SIZE,
                      *CPU_DDP, "launcher.wait=true", "wandb.enabled=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    trials = study(tmp_path).trials
    assert len(trials) == 2 and all(t.state.name == "COMPLETE" for t in trials)
    done = records(tmp_path)
    assert done and all(r["status"] == "finished" and r["world_size"] == 2 for r in done)
    for t in trials:  # each trial was told its variant's stored AP
        assert any(t.values[0] == pytest.approx(r["metrics"]["bbox_mAP"]) for r in done)


def test_states_of_array_tasks_that_never_started():
    """sacct folds unstarted array tasks into one `12_[0-3%1]` row: each task must still show,
    or a re-run would queue them twice and a wait would never end."""
    from launchers.slurm import job_states

    job = subprocess.run(["sbatch", "--parsable", "--array=0-3%1", "--hold", "-J", "msfm-states",
                          "--wrap", "sleep 1"], capture_output=True, text=True, check=True).stdout.strip()
    tasks = [f"{job}_{i}" for i in range(4)]
    try:
        assert set(job_states(tasks).values()) == {"PENDING"}
    finally:
        subprocess.run(["scancel", job], check=True)
    wait_for(lambda: set(job_states(tasks).values()) == {"CANCELLED"}, timeout=60)
    assert set(job_states(tasks)) == set(tasks)
