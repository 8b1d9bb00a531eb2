"""Shared fixtures: Hydra's Compose API on the project's conf/, outputs in tmp_path; the local
SLURM cluster (scripts/slurm/cluster.sh) for tests marked ``slurm``. Shared helpers (plain
functions and settings) are in tests/helpers.py; no test module imports another."""
import os

# One OpenMP thread per process, here and in every process a test starts (sweeps.run, SLURM
# jobs, scripts): on a 2-core machine that is also running other work, torch's default of one
# thread per core spin-waits at every op's barrier for a descheduled thread, and a conv on a
# 64 px map takes ~30 ms instead of ~1 ms. Set before torch is imported; yours wins if set.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import shutil  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sweeps import schema  # noqa: F401
from sweeps.variants import CONF_DIR

ROOT = Path(__file__).resolve().parents[1]
# only msfm is installed: the stages run from the checkout, in every subprocess a test starts too
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


@pytest.fixture
def compose_cfg(tmp_path):
    """compose(overrides) -> config with the hydra node, outputs under tmp_path."""
    def _compose(*overrides):
        GlobalHydra.instance().clear()
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            return compose("config", overrides=[f"output_root={tmp_path}", *overrides],
                           return_hydra_config=True)
    yield _compose
    GlobalHydra.instance().clear()


@pytest.fixture(scope="session")
def trained_pair(tmp_path_factory):
    """(output_root, CompletedProcess) of one real ``sweeps.run -m msfm.enabled=false,true``
    (TINY, ``PAIR``): the baseline and the default MSFM variant, trained once per session for
    the tests that only read what such a run leaves (records, detections, console, logs).
    Read-only: a test that runs more commands on that store copies it first. Checkpoints
    are deleted (nothing reads them; ~330 MB each)."""
    from tests.helpers import PAIR, drop_checkpoints, sweeps_run

    root = tmp_path_factory.mktemp("trained_pair")
    proc = sweeps_run(root, "-m", "msfm.enabled=false,true", *PAIR)
    drop_checkpoints(root)
    return root, proc


@pytest.fixture(autouse=True)
def _no_shared_wandb_service():
    """A test that opens a wandb run in this process starts a wandb-core service and exports
    WANDB_SERVICE; later subprocesses would attach to it, and a run killed with SIGKILL would
    stay "in use" there, so its resume fails. Each test leaves no service behind."""
    import os
    import sys

    yield
    if "wandb" in sys.modules:
        sys.modules["wandb"].teardown()
    os.environ.pop("WANDB_SERVICE", None)


def pytest_report_header(config):
    """Free space where tests write: a full disk fails tests in unrelated places."""
    import shutil
    import tempfile

    free = shutil.disk_usage(tempfile.gettempdir()).free / 2**30
    return f"free disk in {tempfile.gettempdir()}: {free:.1f} GiB (a training test needs ~0.7 GiB " \
           "while it runs; passed tests' dirs are removed)"


@pytest.fixture(scope="session")
def slurm_cluster():
    """Skip without a cluster on a workstation; in CI (MSFM_REQUIRE_SLURM=1) fail instead."""
    ok = shutil.which("sinfo") and subprocess.run(
        ["bash", str(ROOT / "scripts/slurm/cluster.sh"), "status"], capture_output=True).returncode == 0
    if not ok:
        if os.environ.get("MSFM_REQUIRE_SLURM") == "1":
            pytest.fail("local SLURM cluster is not running: bash scripts/slurm/cluster.sh start")
        pytest.skip("no local SLURM cluster (start it: bash scripts/slurm/cluster.sh start)")
