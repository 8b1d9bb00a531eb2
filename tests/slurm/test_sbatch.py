"""The generated job specification for the paper's 8-GPU shape, and its validation."""
import os
from pathlib import Path

import pytest

from launchers.slurm import CHECKOUT, executor, validate_launcher
from sweeps.schema import LauncherConf

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "slurm" / "paper_8gpu.sbatch"
PAPER = LauncherConf(name="slurm", nodes=1, tasks_per_node=8, gpus_per_node=8, cpus_per_task=4,
                     timeout_min=1440, partition="gpu", array_parallelism=16, max_requeues=3,
                     setup=["module load cuda/12.1"])


def test_paper_shape_sbatch_matches_golden():
    text = executor(PAPER, "/SUBMITIT", "msfm-scales")._make_submission_file_text("COMMAND", "uid")
    text = text.replace(str(CHECKOUT), "/CHECKOUT")  # the stages run from the checkout
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), (
        f"sbatch script differs from {GOLDEN}; if the change is intended, regenerate with "
        "UPDATE_GOLDEN=1 pytest tests/slurm/test_sbatch.py")
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
