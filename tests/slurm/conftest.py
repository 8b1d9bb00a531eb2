"""The local SLURM cluster (scripts/slurm/cluster.sh) for tests marked ``slurm``."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def slurm_cluster():
    """Skip without a cluster on a workstation; in CI (MSFM_REQUIRE_SLURM=1) fail instead."""
    ok = shutil.which("sinfo") and subprocess.run(
        ["bash", str(ROOT / "scripts/slurm/cluster.sh"), "status"], capture_output=True).returncode == 0
    if not ok:
        if os.environ.get("MSFM_REQUIRE_SLURM") == "1":
            pytest.fail("local SLURM cluster is not running: bash scripts/slurm/cluster.sh start")
        pytest.skip("no local SLURM cluster (start it: bash scripts/slurm/cluster.sh start)")
