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
