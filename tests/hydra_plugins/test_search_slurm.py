"""A pruned search over the real local SLURM cluster: each trial a 2-process DDP job that
reports its val AP to the journal study on the shared file system and is pruned from inside."""
import pytest

from tests.helpers import CPU_DDP, ONE_VARIANT, PRUNE_ALL, records, study, sweeps_run

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


@pytest.mark.slow
def test_trial_running_as_slurm_job_is_pruned_through_the_journal_study(tmp_path):
    proc = sweeps_run(tmp_path, "+search=msfm", "hydra.sweeper.n_trials=1", *PRUNE_ALL,
                      *ONE_VARIANT, *CPU_DDP, "launcher.wait=true", "wandb.enabled=false")
    assert proc.returncode == 0, proc.stderr[-3000:]  # launcher.wait: the search waited
    [record] = records(tmp_path)
    assert record["slurm_job_id"] and record["world_size"] == 2
    assert record["status"] == "pruned" and record["pruned_at_epoch"] == 1, record.get("error")
    assert record["epochs_trained"] == 1  # every DDP rank left the loop after epoch 1
    [trial] = study(tmp_path).trials
    assert trial.state.name == "PRUNED"
    # the job on the cluster reported its AP itself: the study holds the job's curve
    assert trial.intermediate_values == {1: pytest.approx(record["val_curve"][0][1])}
    assert "heartbeat" in trial.system_attrs
