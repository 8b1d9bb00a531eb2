"""Fill a folder with exactly what a GPU machine without network lacks to run the GPU check.

The machine (issue 20) has Python 3.12, torch 2.11 (CUDA 13.0, ``nvcc``) and the packages in
``PRESENT``. The folder gets, for cp312 manylinux x86_64:

- mmcv 2.1.0's sdist (PyPI has no wheel of it; ``scripts/gpu_check.py`` builds it there, against
  that torch);
- wheels of the stack in ``NEEDED`` and of everything it pulls in that the present packages do
  not already pull in (pip's resolver decides both closures, for that Python and platform);
- what building mmcv needs there: ``setuptools<70`` (its setup.py imports pkg_resources),
  ``wheel<0.45``, and ``ninja`` (without it torch compiles one source file at a time).

Left out on purpose: wandb (~20 MB; the check trains with ``wandb.enabled=false``) and numba
(only the bootstrap in ``analysis/`` uses it). ``manifest.json`` in the folder records what was
asked for and what the machine is assumed to have; the check and the tests read it from there.

    python scripts/gpu_wheels.py [DIR] [--python-version 3.12]     (``bash scripts/gpu_wheels.sh``)

Another Python version (e.g. a cluster's 3.11) gets the same folder for that version.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = "manifest.json"
LIMIT_MIB = 64  # what a lent GPU machine accepts alongside the working tree
PYTHON = "3.12"
PLATFORMS = ["manylinux2014_x86_64", *(f"manylinux_2_{m}_x86_64" for m in range(17, 29))]
PRESENT = ["torch==2.11.0", "numpy", "pandas", "matplotlib", "rich", "pytest", "pyyaml", "scipy",
           "opencv-python-headless", "pillow", "tqdm"]
NEEDED = ["mmengine", "mmdet", "hydra-core", "omegaconf", "submitit", "optuna",
          "faster-coco-eval", "pycocotools",
          "addict", "packaging", "yapf"]  # mmcv's own requirements (its sdist is not resolved)
# wheel >= 0.45 only forwards to setuptools' own bdist_wheel (setuptools >= 70.1): with pip's
# PEP 517 build (pip >= 25 has no other) mmcv's build then fails
BUILD = ["setuptools<70", "wheel<0.45", "ninja"]
MMCV = "mmcv"
# mmengine requires opencv-python; the machine's opencv-python-headless provides the same cv2
PROVIDED = {"opencv-python": "opencv-python-headless"}
SDIST_ONLY = ["antlr4-python3-runtime==4.9.3"]  # hydra-core's parser; pure Python: wheel built here


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503): ``PyYAML`` -> ``pyyaml``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(names: list[str]) -> list[str]:
    """``names`` with the pins of pyproject.toml (dependencies and extras) where it has one."""
    import tomllib  # Python >= 3.11: only this script needs it, not the check that imports it

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    pins = {canonical(re.split(r"[=<>!~ ;\[]", r, maxsplit=1)[0]): r.split(";")[0].strip()
            for r in reqs if "==" in r}
    return [pins.get(canonical(n), n) if re.fullmatch(r"[\w.-]+", n) else n for n in names]


def target_flags(python: str = PYTHON) -> list[str]:
    """pip options that select ``python``'s manylinux x86_64 wheels instead of this machine's."""
    abi = "cp" + python.replace(".", "")
    return ["--python-version", python, "--implementation", "cp", "--abi", abi,
            "--only-binary=:all:", *sum((["--platform", p] for p in PLATFORMS), [])]


def pip(*args: str, env: dict | None = None) -> None:
    """Run this interpreter's pip; raise if it fails."""
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                   check=True, env=env)


def resolve(requirements: list[str], links: Path, python: str) -> dict[str, str]:
    """{canonical name: version} of the full closure pip resolves for the GPU machine."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        pip("install", "--dry-run", "--quiet", "--report", str(report), "--target", tmp,
            "--find-links", str(links), *target_flags(python), *requirements)
        return {canonical(i["metadata"]["name"]): i["metadata"]["version"]
                for i in json.loads(report.read_text())["install"]}


def download_mmcv(dest: Path) -> str:
    """Fetch mmcv's sdist; pip prepares its metadata, which needs pkg_resources (setuptools<70)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as constraint:
        constraint.write("setuptools<70\n")
        constraint.flush()
        pip("download", "--quiet", "--no-deps", "--no-binary=:all:", "-d", str(dest),
            *pinned([MMCV]), env={**os.environ, "PIP_CONSTRAINT": constraint.name})
    [sdist] = dest.glob(f"{MMCV}-*.tar.gz")
    return sdist.name


def main(dest: Path, python: str = PYTHON) -> int:
    """Rebuild ``dest`` for ``python``; print its size; 1 if over the limit."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    pip("wheel", "--quiet", "--no-deps", "-w", str(dest), *SDIST_ONLY)
    present = resolve(pinned(PRESENT), dest, python)
    needed = resolve(pinned(NEEDED) + BUILD + pinned(PRESENT), dest, python)
    build = {canonical(re.split(r"[<>=]", b)[0]) for b in BUILD}  # shipped even if present: <70
    built = {canonical(s.split("==")[0]) for s in SDIST_ONLY}
    missing = sorted(n for n in needed if (n not in present or n in build)
                     and n not in PROVIDED and n not in built)
    pip("download", "--quiet", "--no-deps", "-d", str(dest), *target_flags(python),
        *(f"{n}=={needed[n]}" for n in missing))
    sdist = download_mmcv(dest)
    files = sorted(p.name for p in dest.iterdir())
    size = sum(p.stat().st_size for p in dest.iterdir()) / 2**20
    manifest = dict(python=python, platforms=PLATFORMS, requirements=pinned(NEEDED) + BUILD,
                    build=sorted(build), mmcv_sdist=sdist, present={n: present[n] for n in sorted(present)},
                    provided=PROVIDED, excluded=["wandb", "numba"], files=files,
                    size_mib=round(size, 1))
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{dest}: {len(files)} files, {size:.1f} MiB (limit {LIMIT_MIB} MiB)")
    return 1 if size > LIMIT_MIB else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="bash scripts/gpu_wheels.sh", description=__doc__.split("\n")[0])
    parser.add_argument("dest", nargs="?", type=Path, default=ROOT / "gpu_wheels")
    parser.add_argument("--python-version", default=PYTHON, help="the GPU machine's (default 3.12)")
    args = parser.parse_args()
    sys.exit(main(args.dest, args.python_version))
