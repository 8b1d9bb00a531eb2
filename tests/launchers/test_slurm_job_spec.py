"""The generated job specification for the paper's 8-GPU shape, and its validation."""
import os
from pathlib import Path

import pytest

from launchers.slurm import CHECKOUT, executor, validate_launcher
from sweeps.schema import LauncherConf
from tests.helpers import PAPER

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "slurm" / "paper_8gpu.sbatch"


def test_paper_shape_sbatch_matches_golden():
    text = executor(PAPER, "/SUBMITIT", "msfm-scales")._make_submission_file_text("COMMAND", "uid")
    text = text.replace(str(CHECKOUT), "/CHECKOUT")  # the stages run from the checkout
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), (
        f"sbatch script differs from {GOLDEN}; if the change is intended, regenerate with "
        "UPDATE_GOLDEN=1 pytest tests/launchers/test_slurm_job_spec.py")
    for line in ("#SBATCH --nodes=1", "#SBATCH --ntasks-per-node=8", "#SBATCH --gpus-per-node=8",
                 "#SBATCH --signal=USR2@120", "#SBATCH --time=1440", "#SBATCH --requeue"):
        assert line in text


@pytest.mark.parametrize("change, field", [
    (dict(tasks_per_node=0), "launcher.tasks_per_node"),
    (dict(nodes=0), "launcher.nodes"),
    (dict(gpus_per_node=3, tasks_per_node=2), "launcher.gpus_per_node"),
    (dict(timeout_min=0), "launcher.timeout_min"),
])
def test_bad_job_shape_is_one_line_naming_the_field(change, field):
    conf = LauncherConf(**{**PAPER.__dict__, "partition": None, **change})
    with pytest.raises(ValueError) as e:
        validate_launcher(conf)
    assert field in str(e.value) and "\n" not in str(e.value)


def test_the_slurm_launcher_gets_its_own_settings_from_launcher_fields(compose_cfg):
    """launcher.<field>= reaches the plugin's own node (hydra.launcher), typed as SlurmConf, and
    a value set there directly is checked by the plugin before anything is submitted."""
    from hydra.core.plugins import Plugins

    from launchers.slurm_conf import SlurmConf

    cfg = compose_cfg("launcher=slurm", "launcher.tasks_per_node=2", "launcher.gpus_per_node=0",
                      "launcher.partition=debug", "launcher.setup=[module load cuda]")
    launcher = Plugins.instance()._instantiate(cfg.hydra.launcher)
    assert isinstance(launcher.settings, SlurmConf) and type(launcher.settings.setup) is list
    assert (launcher.settings.tasks_per_node, launcher.settings.partition,
            launcher.settings.setup, launcher.settings.timeout_min) == (2, "debug", ["module load cuda"], 1440)
    bad = compose_cfg("launcher=slurm", "hydra.launcher.tasks_per_node=2", "hydra.launcher.gpus_per_node=3")
    with pytest.raises(ValueError) as e:
        Plugins.instance()._instantiate(bad.hydra.launcher).setup(
            hydra_context=None, task_function=None, config=bad)
    assert "launcher.gpus_per_node" in str(e.value) and "\n" not in str(e.value)
