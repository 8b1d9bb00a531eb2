"""The GPU check (issue 20): on a GPU machine without network, install the carried wheels, build
mmcv's CUDA ops, check them, benchmark MSFM on CUDA and train + evaluate one smoke variant.

    python scripts/gpu_check.py OUT [--budget-min 9] [--cpu-only] [--wheels DIR] [-- OVERRIDES]

Steps run in order of value, each in a subprocess whose timeout is the time left; a step whose
prerequisite did not pass, or that has no time left, is "skipped" with the reason. Every step
writes its result to ``OUT/<step>.json`` and its output to ``OUT/logs/<step>.log``;
``OUT/summary.json`` (machine, driver, torch, CUDA, mmcv build, each step's status and seconds)
is rewritten after every step, so a check stopped at any point keeps what it did. OVERRIDES go
to the smoke run (``python -m sweeps.run``). ``--cpu-only`` runs the same steps on this
machine's ``.venv`` on the CPU, at smaller benchmark sizes; CUDA-only steps are skipped.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file: the project's modules import from the checkout

from benchmarks.bench_msfm_module import label  # noqa: E402  (torch-free)
from gpu_wheels import MANIFEST, canonical  # noqa: E402  (beside this file, run as a script)
from results.atomic import write_json_atomic  # noqa: E402
from results.record import git_commit, now  # noqa: E402

MIN_STEP_S = 15  # a step is not started with less time left than this
CPU_SIZE = ["--size", "160x160", "--reps", "1"]  # --cpu-only: proves the path, not the figures
PROBE = str(ROOT / "scripts" / "gpu_probe.py")


class StepError(Exception):
    """A step that did not complete: ``status`` is failed or timeout; ``detail`` says why."""

    def __init__(self, status: str, reason: str, **detail) -> None:
        super().__init__(reason)
        self.status, self.reason, self.detail = status, reason, detail


def _why(log: Path) -> dict:
    """What a failed command's log says: its first error lines and its last lines."""
    lines = log.read_text(errors="replace").splitlines()
    errors = [ln for ln in lines if re.search(r"\berror: |\w+Error: |FAILED: |fatal error", ln)]
    return dict(errors=errors[:20], tail=lines[-40:])


class Check:
    """One run of the check: its output folder, deadline, interpreter and summary."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.out = args.out.resolve()
        self.deadline = time.monotonic() + args.budget_min * 60
        self.cpu_only, self.wheels, self.overrides = args.cpu_only, args.wheels, args.overrides
        self.device = "cpu" if args.cpu_only else "cuda"
        venv = ROOT / ".venv" / "bin" / "python"
        self.py = args.python or str(venv if args.cpu_only and venv.exists() else sys.executable)
        self.tmp = Path(tempfile.mkdtemp(prefix="msfm-gpu-check-"))
        self.target = self.tmp / "site"  # the carried packages (GPU mode)
        self.build = self.tmp / "build"  # mmcv's build tools
        self.passed: set[str] = set()  # steps that are ok, or not applicable (--cpu-only)
        for name in ("summary", *(n for n, *_ in STEPS)):  # a previous check's files would
            (self.out / f"{name}.json").unlink(missing_ok=True)  # pass for this one's
            (self.out / "logs" / f"{name}.log").unlink(missing_ok=True)
        self.summary = dict(mode="cpu-only" if self.cpu_only else "cuda", out=str(self.out),
                            budget_s=args.budget_min * 60, started=now(), finished=None,
                            commit=git_commit(), python=self.py, env={}, mmcv={}, steps=[])
        (self.out / "logs").mkdir(parents=True, exist_ok=True)

    def left(self) -> float:
        """Seconds left of the budget."""
        return self.deadline - time.monotonic()

    def env(self, build: bool = False) -> dict:
        """The steps' environment: the carried packages (and with ``build`` mmcv's build tools)
        and the checkout first on the path; no pip configuration (only the folder is used)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        sites = [] if self.cpu_only else [self.build] * build + [self.target]
        path = [*map(str, sites), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
        env.update(PYTHONPATH=os.pathsep.join(path),
                   PATH=os.pathsep.join([*(str(s / "bin") for s in sites), env["PATH"]]),
                   PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
        return env

    def run(self, name: str, *args: str, env: dict | None = None) -> None:
        """Run ``args`` in the checkout (in ``env``, default :meth:`env`), output to
        ``logs/<name>.log``; raise StepError on a non-zero exit (with the log's errors) or at
        the deadline (its process group killed)."""
        log = self.out / "logs" / f"{name}.log"
        with open(log, "a") as f:
            p = subprocess.Popen(args, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT,
                                 env=env or self.env(), start_new_session=True)
            try:
                rc = p.wait(timeout=max(self.left(), 1))
            except (subprocess.TimeoutExpired, KeyboardInterrupt) as e:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                if isinstance(e, KeyboardInterrupt):
                    raise
                raise StepError("timeout", "time budget spent", **_why(log)) from None
        if rc:
            why = _why(log)
            first = f": {why['errors'][0].strip()}" if why["errors"] else ""
            raise StepError("failed", f"exit status {rc}{first}", **why)

    def step(self, name: str, fn, needs: tuple = (), cuda_only: bool = False) -> None:
        """Run step ``fn(self) -> dict`` unless it cannot run; record it and save the summary."""
        rec = dict(name=name, status="skipped", seconds=0.0)
        missing = [n for n in needs if n not in self.passed]
        if cuda_only and self.cpu_only:
            rec["reason"] = "CUDA only (--cpu-only)"
            self.passed.add(name)  # not applicable: what needs it runs without it
        elif missing or self.left() < MIN_STEP_S:
            rec["reason"] = f"needs {', '.join(missing)}" if missing else "time budget spent"
        else:
            t = time.monotonic()
            try:
                rec.update(status="ok", **(fn(self) or {}))
                self.passed.add(name)
            except StepError as e:
                rec.update(status=e.status, reason=e.reason, **e.detail)
            except Exception as e:  # noqa: BLE001 - a step's own bug must not lose the others
                rec.update(status="failed", reason=f"{type(e).__name__}: {e}")
            rec["seconds"] = round(time.monotonic() - t, 1)
            rec.update({k: p for k, p in (("result", f"{name}.json"), ("log", f"logs/{name}.log"))
                        if (self.out / p).exists()})
        self.summary["steps"].append(rec)
        self.save()
        print(f"{name:<20} {rec['status']:<8} {rec['seconds']:7.1f} s  {rec.get('reason', '')[:40]}",
              flush=True)

    def save(self) -> None:
        """Rewrite OUT/summary.json."""
        write_json_atomic(self.out / "summary.json", self.summary)


def env_info(c: Check) -> dict:
    """The machine: GPU, driver, torch, CUDA, nvcc (also into the summary's ``env``)."""
    c.run("env", c.py, PROBE, "env", str(c.out / "env.json"))
    c.summary["env"] = json.loads((c.out / "env.json").read_text())
    return {}


def _module_bench(c: Check, name: str, compiled: bool) -> dict:
    """The MSFM module benchmark's settings of this device, eager or compiled; a setting
    that raised fails the step (the others are kept in its result)."""
    if c.cpu_only:
        runs, size = [label("cpu", False, compiled, False)], CPU_SIZE
    else:
        runs = [label("cuda", amp, compiled, cl) for cl in (False, True) for amp in (False, True)]
        size = []
    c.run(name, c.py, "-m", "benchmarks.bench_msfm_module", "--runs", ",".join(runs),
          "--out", str(c.out / f"{name}.json"), *size)
    result = json.loads((c.out / f"{name}.json").read_text())["runs"]
    errors = {k: v["error"] for k, v in result.items() if "error" in v}
    if errors:
        raise StepError("failed", "; ".join(f"{k}: {v}" for k, v in errors.items()))
    return {}


def install(c: Check) -> dict:
    """The carried wheels into temp targets, offline and without resolving (the folder is the
    closure scripts/gpu_wheels.py computed): mmcv's build tools apart (setuptools<70 must not
    shadow torch's own at run time). ``pip check`` is recorded, not enforced."""
    manifest = c.wheels / MANIFEST
    if not manifest.exists():
        raise StepError("failed", f"no {manifest}: run scripts/gpu_wheels.sh first")
    build = set(json.loads(manifest.read_text())["build"])
    wheels = sorted(c.wheels.glob("*.whl"))
    tools = [w for w in wheels if canonical(w.name.split("-")[0]) in build]
    for target, group in ((c.build, tools), (c.target, [w for w in wheels if w not in tools])):
        c.run("install", c.py, "-m", "pip", "install", "--no-index", "--no-deps", "--target",
              str(target), *map(str, group))
    check = subprocess.run([c.py, "-m", "pip", "check"], capture_output=True, text=True,
                           env=c.env(), cwd=ROOT)
    return dict(wheels=len(wheels), build_tools=[w.name for w in tools],
                pip_check=check.stdout.splitlines())


def build_mmcv(c: Check) -> dict:
    """mmcv's sdist with its CUDA ops, on every core, against the torch that is here.

    torch's headers include cusparse.h, cublas_v2.h and cusolverDn.h, which a CUDA toolkit
    assembled from pip packages (nvcc, runtime, CCCL) lacks and torch's build does not look
    for: CPATH adds the include folders of the CUDA libraries pip installed with torch, after
    the toolkit's own (``-I``), so they only fill what it lacks."""
    sdist = next(c.wheels.glob("mmcv-*.tar.gz"), None)
    if sdist is None:
        raise StepError("failed", f"no mmcv sdist in {c.wheels}: run scripts/gpu_wheels.sh first")
    env = dict(FORCE_CUDA="1", MMCV_WITH_OPS="1", MAX_JOBS=str(os.cpu_count()))
    cpath = [*c.summary["env"].get("cuda_headers", []), *filter(None, [os.environ.get("CPATH")])]
    if cpath:  # an empty CPATH would mean the current folder to gcc
        env["CPATH"] = os.pathsep.join(cpath)
    arch = os.environ.get("TORCH_CUDA_ARCH_LIST", "(this GPU's)")
    c.summary["mmcv"] = dict(sdist=sdist.name, build_env={**env, "TORCH_CUDA_ARCH_LIST": arch})
    c.run("mmcv_build", c.py, "-m", "pip", "install", "-v", "--no-index", "--no-deps",
          "--no-build-isolation", "--target", str(c.target), str(sdist),
          env={**c.env(build=True), **env})
    return {}


def mmcv_ops(c: Check) -> dict:
    """nms and RoIAlign on this device (RoIAlign against the CPU kernel); mmcv's version, the
    compiler and CUDA it was built with into the summary's ``mmcv`` (beside the build's env)."""
    try:
        c.run("mmcv_ops", c.py, PROBE, "ops", str(c.out / "mmcv_ops.json"), c.device)
    finally:
        if (c.out / "mmcv_ops.json").exists():
            c.summary["mmcv"].update(json.loads((c.out / "mmcv_ops.json").read_text()))
    return {}


def overhead(c: Check) -> dict:
    """MSFM's train-step time overhead vs its FLOPs overhead (Faster R-CNN, this device)."""
    steps = ["--steps", "1", "--warmup", "1"] if c.cpu_only else []
    c.run("msfm_overhead", c.py, "-m", "benchmarks.bench_msfm_overhead", "--devices", c.device,
          "--out", str(c.out / "msfm_overhead.json"), *steps)
    r = json.loads((c.out / "msfm_overhead.json").read_text())
    return dict(meets_goal=r["devices"][c.device]["meets_goal"])


def smoke(c: Check) -> dict:
    """Train + evaluate the default variant (smoke schedule, synthetic data) on one device;
    its checkpoints stay in the temp folder, its record becomes OUT/smoke.json."""
    root = c.tmp / "smoke"
    try:
        c.run("smoke", c.py, "-m", "sweeps.run", f"output_root={root}", "wandb.enabled=false",
              "verbose=true", *c.overrides)
    finally:  # a failed variant's record says why
        for record in (root / "results").glob("*.json"):
            shutil.copy(record, c.out / "smoke.json")
    r = json.loads((c.out / "smoke.json").read_text())
    if r["status"] != "finished":
        raise StepError("failed", f"record status {r['status']}: {r.get('error')}")
    return dict(bbox_mAP=r["metrics"].get("bbox_mAP"), wall_s=r.get("wall_s"))


STEPS = (  # (name, function, prerequisites, CUDA only), most valuable first
    ("env", env_info, (), False),
    ("msfm_module_eager", lambda c: _module_bench(c, "msfm_module_eager", False), (), False),
    ("install", install, (), True),
    ("mmcv_build", build_mmcv, ("install",), True),
    ("mmcv_ops", mmcv_ops, ("mmcv_build",), False),
    ("msfm_overhead", overhead, ("mmcv_ops",), False),
    ("smoke", smoke, ("mmcv_ops",), False),
    ("msfm_module_compile", lambda c: _module_bench(c, "msfm_module_compile", True), (), True),
)


def _args(argv: list[str]) -> argparse.Namespace:
    overrides = argv[argv.index("--") + 1:] if "--" in argv else []
    p = argparse.ArgumentParser(prog="bash scripts/gpu_check.sh", description=__doc__.split("\n")[0])
    p.add_argument("out", type=Path, help="output folder (JSON results, logs)")
    p.add_argument("--budget-min", type=float, default=9.0, help="stop after this (default 9)")
    p.add_argument("--cpu-only", action="store_true", help="this machine's .venv, on the CPU")
    p.add_argument("--wheels", type=Path, default=ROOT / "gpu_wheels",
                   help="the folder scripts/gpu_wheels.sh filled (default: gpu_wheels/)")
    p.add_argument("--python", help="interpreter for the steps (default: this one; "
                   ".venv's with --cpu-only)")
    args = p.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.overrides = overrides
    return args


def main(argv: list[str]) -> int:
    """Run every step within the budget; 0 if none failed or timed out."""
    c = Check(_args(argv))
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill still saves the summary
    try:
        for name, fn, needs, cuda_only in STEPS:
            c.step(name, fn, needs, cuda_only)
    except KeyboardInterrupt:
        c.summary["interrupted"] = True
    finally:
        c.summary.update(finished=now(), elapsed_s=round(c.summary["budget_s"] - c.left(), 1))
        c.save()
        shutil.rmtree(c.tmp, ignore_errors=True)
    print(f"summary: {c.out / 'summary.json'}")
    return int(any(s["status"] in ("failed", "timeout") for s in c.summary["steps"]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
