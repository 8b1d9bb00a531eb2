"""A search on the real local SLURM cluster runs as a driver job: the command returns at once,
the driver (a CPU job) submits the trials as single-process jobs, and the study completes
from one command; after ``scancel`` of the driver the same command resumes it."""
import shlex
import subprocess
import sys

import pytest

from tests.helpers import ONE_VARIANT, ROOT, records, study, sweeps_run, wait_for

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]
ONE_PROCESS = ["launcher=slurm", "launcher.tasks_per_node=1", "launcher.gpus_per_node=0",
               "launcher.cpus_per_task=1", "launcher.timeout_min=30"]
# two variants (fusion add | cat), so each of two trials trains its own
TWO_VARIANTS = [s.replace("choice(add)", "choice(add,cat)") for s in ONE_VARIANT]
SEARCH = ["+search=msfm", "hydra.sweeper.n_trials=2", "wandb.enabled=false", *TWO_VARIANTS,
          *ONE_PROCESS]



def driver_job(out: str) -> str:
    """The driver's job id from what the command printed."""
    line = next(line for line in out.splitlines() if "driver queued as SLURM job" in line)
    return line.split("SLURM job ")[1].split()[0]


def state(job: str) -> str:
    from launchers.slurm import job_states

    return job_states([job]).get(job, "")


def trial_jobs(tmp_path) -> list[str]:
    """Job ids of every trial submission (submissions.log: one line per variant queued)."""
    log = tmp_path / "sweeps/search/submitit/submissions.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.split("\t")[1] for line in lines if line.split("\t")[1].isdigit()]


@pytest.mark.slow
def test_search_driver_job_completes_n_trials_from_one_command(tmp_path):
    from launchers.slurm import ACTIVE

    first = sweeps_run(tmp_path, "-m", *SEARCH)  # -m as a user may type it: the same study
    assert first.returncode == 0, first.stderr[-3000:]
    job = driver_job(first.stdout)
    assert state(job) in ACTIVE and not records(tmp_path)  # returned before the search ran
    [watch] = [line.split("watch: ", 1)[1] for line in first.stdout.splitlines()
               if line.startswith("watch: ")]

    again = sweeps_run(tmp_path, *SEARCH)  # the driver holds the study: nothing is queued twice
    assert again.returncode == 0 and "already driven: nothing queued" in again.stdout
    assert f"driver: SLURM job {job} " in again.stdout and "driver queued" not in again.stdout
    blocking = sweeps_run(tmp_path, *SEARCH, "launcher.wait=true")  # nor a loop in this shell
    assert blocking.returncode == 0 and "driven by another job: nothing run here" in blocking.stdout

    wait_for(lambda: state(job) in ("COMPLETED", "FAILED", "CANCELLED"))
    assert state(job) == "COMPLETED", (tmp_path / f"sweeps/search/driver/{job}_0_log.err").read_text()[-3000:]
    trials = study(tmp_path).trials
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE"]
    rs = records(tmp_path)
    assert len(rs) == 2 and all(r["status"] == "finished" and r["slurm_job_id"] for r in rs)
    assert sorted(r["slurm_job_id"] for r in rs) == sorted(trial_jobs(tmp_path))  # one job each

    python, *args = shlex.split(watch)  # the command it printed runs, as printed
    assert python == "python" and args[:2] == ["-m", "sweeps.status"], watch
    shown = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True)
    assert "2/2 trials (2 finished)" in shown.stdout, shown.stdout + shown.stderr
    assert f"driver: SLURM job {job} COMPLETED" in shown.stdout


@pytest.mark.slow
def test_search_driver_cancelled_mid_study_is_resumed_by_the_same_command(tmp_path):
    first = sweeps_run(tmp_path, *SEARCH)
    assert first.returncode == 0, first.stderr[-3000:]
    job = driver_job(first.stdout)
    wait_for(lambda: any(r["status"] == "running" for r in records(tmp_path)), every=0.5)
    subprocess.run(["scancel", job], check=True)  # while a trial trains
    wait_for(lambda: state(job) == "CANCELLED")
    assert sum(t.state.name == "COMPLETE" for t in study(tmp_path).trials) < 2  # mid-study

    again = sweeps_run(tmp_path, *SEARCH)  # the lease's job is over: taken over, resumed
    assert again.returncode == 0, again.stderr[-3000:]
    resumed = driver_job(again.stdout)
    assert resumed != job
    wait_for(lambda: state(resumed) in ("COMPLETED", "FAILED", "CANCELLED"))
    assert state(resumed) == "COMPLETED"
    trials = study(tmp_path).trials
    assert sum(t.state.name == "COMPLETE" for t in trials) == 2 and len(trials) == 2
    # trial 0's job outlived its driver and was told, not retrained; a variant sampled again
    # after the restart is told its stored result: every variant was queued once, trained once
    rs = records(tmp_path)
    assert {t.user_attrs["key"] for t in trials} == {r["key"] for r in rs}
    assert all(r["status"] == "finished" and r["attempts"] == 1 for r in rs)
    assert sorted(r["slurm_job_id"] for r in rs) == sorted(trial_jobs(tmp_path))


def test_storage_password_never_reaches_the_driver_jobs_script_name_or_log(tmp_path):
    url = "postgresql://bob:s3cret@127.0.0.1:9/optuna"  # nothing listens: the driver fails
    first = sweeps_run(tmp_path, *SEARCH, f"hydra.sweeper.storage={url}")
    assert first.returncode == 0, first.stderr[-3000:]
    job = driver_job(first.stdout)
    assert "s3cret" not in first.stdout + first.stderr and "bob:***@" in first.stdout
    wait_for(lambda: state(job) in ("COMPLETED", "FAILED", "CANCELLED"), timeout=300)
    folder = tmp_path / "sweeps/search/driver"
    log = (folder / f"{job}_0_log.err").read_text()
    assert "cannot open postgresql://bob:***@127.0.0.1:9/optuna" in log, log[-2000:]
    texts = [p.read_text(errors="replace") for p in folder.iterdir() if p.suffix != ".pkl"]
    assert len(texts) >= 3 and not any("s3cret" in t for t in texts)  # script, out, err
    name = subprocess.run(["sacct", "-n", "-X", "-P", "-j", job, "-o", "JobName"],
                          capture_output=True, text=True).stdout
    assert name.strip() and "s3cret" not in name


@pytest.mark.slow
def test_preempted_driver_requeues_itself_and_resumes_the_study(tmp_path):
    first = sweeps_run(tmp_path, *SEARCH)
    assert first.returncode == 0, first.stderr[-3000:]
    job = driver_job(first.stdout)
    wait_for(lambda: records(tmp_path), every=0.5)  # the driver has launched a trial
    # what SLURM sends before a preemption or the time limit (submitit's checkpoint signal)
    subprocess.run(["scancel", "--signal=USR2", job], check=True)
    wait_for(lambda: state(job) in ("COMPLETED", "FAILED", "CANCELLED"))
    log = (tmp_path / f"sweeps/search/driver/{job}_0_log.out").read_text()
    assert state(job) == "COMPLETED" and f"Requeued job {job}" in log, log[-3000:]
    assert log.count("trials so far") == 2  # the requeued driver reopened the study
    trials = study(tmp_path).trials
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE"]
    rs = records(tmp_path)
    assert all(r["status"] == "finished" and r["attempts"] == 1 for r in rs)
    assert sorted(r["slurm_job_id"] for r in rs) == sorted(trial_jobs(tmp_path))


@pytest.mark.parametrize("bad, field", [("hydra.sweeper.mode=best", "hydra.sweeper.mode:"),
                                        ("launcher.driver.cpus_per_task=0",
                                         "launcher.driver.cpus_per_task:")])
def test_bad_search_option_is_one_line_before_a_driver_is_queued(tmp_path, bad, field):
    proc = sweeps_run(tmp_path, *SEARCH, bad)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith(
        f"error: {field}"), proc.stderr[-2000:]
    assert not (tmp_path / "sweeps/search/driver").exists()  # nothing queued
