"""The search's trials end to end on the synthetic data: pruning, resume after a kill,
the GPU-hour budget and the params constraint."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import GN32_SIZE, ONE_VARIANT, PRUNE_ALL, ROOT, SPACE, TINY, records, study, sweeps_run

# a threshold no AP reaches: every trial is pruned at its first evaluation (deterministic)



@pytest.mark.slow
def test_pruned_trial_stops_after_its_evaluation_and_its_record_says_so(tmp_path):
    started = time.time()
    proc = sweeps_run(tmp_path, "+search=msfm", "hydra.sweeper.n_trials=1", *PRUNE_ALL, *ONE_VARIANT,
                      "wandb.enabled=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    [record] = records(tmp_path)
    assert record["status"] == "pruned" and record["pruned"] and record["pruned_at_epoch"] == 1
    assert record["epochs_trained"] == 1 and len(record["val_curve"]) == 1
    [reported_at] = record["val_reported_at"]  # when, for analysis.pruning_replay's replay order
    assert started < reported_at < time.time()
    [trial] = study(tmp_path).trials
    assert trial.state.name == "PRUNED" and trial.user_attrs["outcome"] == "pruned"
    assert trial.intermediate_values == {1: pytest.approx(record["metrics"]["bbox_mAP"])}
    assert record["trial"] == {"study": "msfm", "number": 0,
                               "storage": str(tmp_path / "sweeps/search/optuna.journal")}
    # a plain run of the pruned variant resumes from its checkpoint and trains to the end
    plain = sweeps_run(tmp_path, "schedule.epochs=2", "schedule.milestones=[2]",
                       "schedule.val_interval=1", "norm_group=gn16", "verbose=true",
                       "wandb.enabled=false")
    assert plain.returncode == 0, plain.stderr[-3000:]
    [record] = records(tmp_path)
    assert record["status"] == "finished" and record["attempts"] == 2
    assert "resumed epoch: 1" in plain.stdout + plain.stderr


@pytest.mark.slow
def test_search_killed_mid_trial_is_completed_on_resume(tmp_path):
    args = ["+search=msfm", "hydra.sweeper.n_trials=2", "hydra.sweeper.heartbeat_interval=1",
            "hydra.sweeper.grace_period=4", "schedule.epochs=2", "schedule.milestones=[2]",
            "schedule.val_interval=2", "wandb.enabled=false", *ONE_VARIANT]
    cmd = [sys.executable, "-m", "sweeps.run", f"output_root={tmp_path}", *TINY, *args]
    first = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:  # kill the sweeper (and its training) once the first epoch is checkpointed
        deadline = time.time() + 1200
        while not list((tmp_path / "work").glob("*/last_checkpoint")):
            assert first.poll() is None and time.time() < deadline, "never reached epoch 1"
            time.sleep(0.2)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    [trial] = study(tmp_path).trials
    assert trial.state.name == "RUNNING" and records(tmp_path)[0]["status"] == "running"

    again = sweeps_run(tmp_path, *args)
    assert again.returncode == 0, again.stderr[-3000:]
    trials = study(tmp_path).trials
    states = [t.state.name for t in trials]
    assert states[0] == "FAIL" and states.count("COMPLETE") == 2 and len(trials) == 3
    retry = next(t for t in trials if t.system_attrs.get("retry_history") == [0])
    assert retry.state.name == "COMPLETE" and retry.params == trials[0].params
    [record] = records(tmp_path)  # trained once: resumed from its checkpoint, not restarted
    assert record["status"] == "finished" and record["attempts"] == 2
    [log] = Path(record["log_dir"]).glob("*.log")
    assert "resumed epoch: 1" in log.read_text()

    done = sweeps_run(tmp_path, *args)  # the study is complete: nothing asked, nothing trained
    assert done.returncode == 0 and len(study(tmp_path).trials) == 3
    assert "2/2 trials" in done.stdout + done.stderr and "Epoch(train)" not in done.stdout + done.stderr


@pytest.mark.slow
def test_gpu_hour_budget_stops_new_trials_and_status_shows_it(tmp_path):
    args = ["+search=msfm", "hydra.sweeper.n_trials=3", "hydra.sweeper.budget_gpu_hours=0.0001",
            f"hydra.sweeper.storage=sqlite:///{tmp_path}/optuna.db", *SPACE, *GN32_SIZE,
            "wandb.enabled=false"]
    proc = sweeps_run(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import optuna

    trials = optuna.load_study(study_name="msfm", storage=f"sqlite:///{tmp_path}/optuna.db").trials
    [record] = records(tmp_path)  # one trial spent the budget: no second one was asked
    assert len(trials) == 1 and trials[0].state.name == "COMPLETE"
    assert trials[0].user_attrs["planned_gpu_hours"] > 0
    assert "GPU-hour budget" in proc.stdout + proc.stderr
    status = subprocess.run([sys.executable, "-m", "sweeps.status", f"output_root={tmp_path}",
                             *TINY, *args], cwd=ROOT, capture_output=True, text=True)
    assert status.returncode == 0, status.stderr[-2000:]
    spent = record["wall_s"] * record["world_size"] / 3600
    assert f"1/3 trials" in status.stdout and f"GPU-hours spent {spent:.3g} of 0.0001" in status.stdout


@pytest.mark.slow
def test_variant_over_the_params_budget_is_never_trained(tmp_path):
    from hydra import compose, initialize_config_dir

    from sweeps.variants import CONF_DIR, variant_of
    from training.model_stats import model_stats

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"output_root={tmp_path}", "norm_group=gn16"])
    params = model_stats(variant_of(cfg))[0] / 1e6
    proc = sweeps_run(tmp_path, "+search=msfm_constrained", "hydra.sweeper.n_trials=2",
                      f"hydra.sweeper.params_budget_m={params - 0.01}",
                      "hydra.sweeper.max_rejected=3", *ONE_VARIANT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trials = study(tmp_path, "msfm_constrained").trials
    assert [t.user_attrs["outcome"] for t in trials] == ["over_params_budget"] * 3
    assert all(t.state.name == "PRUNED" and list(t.constraints.values())[0] > 0 for t in trials)
    assert records(tmp_path) == [] and "Epoch(train)" not in proc.stdout + proc.stderr
    assert "3 over the params budget" in proc.stdout + proc.stderr
    assert "FutureWarning" not in proc.stderr  # Trial.set_constraint, not constraints_func
