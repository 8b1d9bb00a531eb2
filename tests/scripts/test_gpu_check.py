"""The GPU check as far as a CPU allows (issue 20): the carried wheel folder is complete for
Python 3.12, and ``scripts/gpu_check.sh`` writes its JSON layout, within its budget."""
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from scripts.gpu_wheels import BUILD, MANIFEST, NEEDED, canonical, pinned, target_flags
from tests.helpers import ROOT, TINY

WHEELS = ROOT / "gpu_wheels"
STEPS = ["env", "msfm_module_eager", "install", "mmcv_build", "mmcv_ops", "msfm_overhead",
         "smoke", "msfm_module_compile"]  # scripts/gpu_check.py's STEPS, in order
CUDA_ONLY = {"install", "mmcv_build", "msfm_module_compile"}


def _isolated() -> dict:
    """This process's environment without any pip configuration (index, links, constraints)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _check(out: Path, *args: str, timeout: int = 60) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``gpu_check.sh ARGS`` (which name ``out``) with this interpreter; its exit and the
    summary it wrote in ``out``."""
    proc = subprocess.run(["bash", "scripts/gpu_check.sh", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout,
                          env={**os.environ, "PYTHON": sys.executable})
    return proc, json.loads((out / "summary.json").read_text())


def _stub(folder: Path, name: str, version: str) -> None:
    """An empty wheel saying ``name`` ``version`` is installed: all pip's resolver reads."""
    dist = f"{re.sub(r'[-.]+', '_', name)}-{version}"
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as z:
        z.writestr(f"{dist}.dist-info/METADATA",
                   f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        z.writestr(f"{dist}.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: stub\n"
                   "Root-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{dist}.dist-info/RECORD", "")


@pytest.fixture(scope="module")
def wheels() -> Path:
    """gpu_wheels/ as scripts/gpu_wheels.sh fills it; (re)built here, from PyPI, if it is
    missing or was made for other pins."""
    manifest = WHEELS / MANIFEST
    if not manifest.exists() or \
            json.loads(manifest.read_text())["requirements"] != pinned(NEEDED) + BUILD:
        subprocess.run(["bash", "scripts/gpu_wheels.sh"], cwd=ROOT, check=True, timeout=900)
    return WHEELS


@pytest.mark.slow
def test_wheel_folder_is_exactly_what_python_312_lacks(wheels, tmp_path):
    """pip's own resolver, offline, for CPython 3.12 on manylinux x86_64, finds every
    requirement of the check in the folder, and needs every wheel there.

    The GPU machine's own packages (torch, numpy, ... and what they pull in) are on purpose not
    in the folder, so pip is shown them as empty stub wheels of the versions the folder was
    resolved against (the manifest's ``present``), opencv-python among them (the machine's
    opencv-python-headless provides its cv2). What passes is "folder + what that machine is
    assumed to have = all the check needs": a machine with other versions of those may differ
    (the check records ``pip check`` there). mmcv is the sdist, built there; the folder holds
    its requirements."""
    manifest = json.loads((wheels / MANIFEST).read_text())
    present = manifest["present"]
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, version in {**present, **{n: present[canonical(by)] for n, by in
                                        manifest["provided"].items()}}.items():
        _stub(stubs, name, version)
    report = tmp_path / "report.json"
    subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-index",
                    "--find-links", str(wheels), "--find-links", str(stubs), "--report", str(report),
                    "--target", str(tmp_path / "target"), *target_flags(manifest["python"]),
                    *manifest["requirements"]], check=True, env=_isolated(), timeout=300)
    used = {Path(i["download_info"]["url"]).name for i in json.loads(report.read_text())["install"]
            if "/stubs/" not in i["download_info"]["url"]}
    assert used == {p.name for p in wheels.glob("*.whl")}
    assert (wheels / manifest["mmcv_sdist"]).exists()
    size = sum(p.stat().st_size for p in wheels.iterdir()) / 2**20
    assert manifest["python"] == "3.12" and size < 64


def test_budget_spent_skips_every_step_and_keeps_the_layout(tmp_path):
    """No time: every step is recorded as skipped, with its reason; the check still succeeds."""
    proc, summary = _check(tmp_path, str(tmp_path), "--cpu-only", "--budget-min", "0")
    assert proc.returncode == 0, proc.stderr
    assert [s["name"] for s in summary["steps"]] == STEPS
    assert {s["name"]: s["reason"] for s in summary["steps"] if s["status"] == "skipped"} == {
        **{n: "time budget spent" for n in STEPS}, **{n: "CUDA only (--cpu-only)" for n in CUDA_ONLY},
        "msfm_overhead": "needs mmcv_ops", "smoke": "needs mmcv_ops"}
    assert summary["mode"] == "cpu-only" and summary["finished"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the failure path without a GPU")
def test_failed_steps_skip_what_needs_them_and_the_rest_runs(tmp_path):
    """GPU mode without a GPU or wheels: the CUDA benchmarks and the install fail, each with
    its reason; what needs the install is skipped; the exit status says it failed."""
    out = tmp_path / "out"
    proc, summary = _check(out, str(out), "--wheels", str(tmp_path), "--budget-min", "2")
    steps = {s["name"]: s for s in summary["steps"]}
    assert proc.returncode == 1
    assert steps["env"]["status"] == "ok" and summary["env"]["cuda_available"] is False
    assert steps["install"]["status"] == "failed" and "gpu_wheels.sh" in steps["install"]["reason"]
    assert steps["msfm_module_eager"]["status"] == "failed"
    assert (out / steps["msfm_module_eager"]["result"]).exists()
    assert steps["mmcv_build"] == dict(name="mmcv_build", status="skipped", seconds=0.0,
                                       reason="needs install")
    assert {steps[n]["reason"] for n in ("mmcv_ops", "msfm_overhead", "smoke")} == \
        {"needs mmcv_build", "needs mmcv_ops"}


@pytest.mark.slow
def test_cpu_only_check_runs_end_to_end(tmp_path):
    """``gpu_check.sh --cpu-only`` runs every step that does not need CUDA (smoke variant
    shrunk to 8 images, 1 epoch) and writes each one's JSON, as the GPU run does."""
    out = tmp_path / "out"
    proc, summary = _check(out, "--cpu-only", str(out), "--budget-min", "15", "--", *TINY,
                           timeout=1200)  # ~5 min on 2 idle cores; loaded ones take twice that
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for s in summary["steps"]:
        assert s["status"] == ("skipped" if s["name"] in CUDA_ONLY else "ok"), s
        if s["status"] == "ok":
            assert s["seconds"] > 0 and (out / s["result"]).exists() and (out / s["log"]).exists()
    assert summary["mmcv"]["mmcv"] == "2.1.0" and summary["mmcv"]["device"] == "cpu"
    assert json.loads((out / "smoke.json").read_text())["status"] == "finished"
    assert "cpu" in json.loads((out / "msfm_overhead.json").read_text())["devices"]
