"""Planning every sweep preset as a user does: one ``python -m sweeps.plan +sweep=NAME
dataset=coco`` command per preset, timed end to end (imports included).

The baseline, measured in the same run, is the planner's reference mode
(``plan.full_build=true``: every variant's whole detector built and counted). The fast planner
starts from an empty baseline cache (``$MSFM_CACHE``, as on a fresh machine: the first command
measures the detectors) and is then timed again warm. Goal: all eight presets in <= 60 s in
total, cold. Writes benchmarks/results/plan.json.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import save

OUT = Path(__file__).parent / "results" / "plan.json"
ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 60.0


def _plan(preset: str, tmp: str, *extra: str) -> tuple[float, int]:
    """(wall seconds, variants) of one plan command, with its baseline cache in ``tmp``."""
    out = Path(tmp) / f"{preset}.json"
    env = dict(os.environ, MSFM_CACHE=str(Path(tmp) / "cache"))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sweeps.plan", f"+sweep={preset}", "dataset=coco",
                    f"output_root={tmp}", f"plan.out={out}", *extra],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - t, len(json.loads(out.read_text()))


def main() -> dict:
    """Plan each preset with the fast planner (cold, then warm) and with full builds."""
    from sweeps.variants import group_options

    presets = group_options("sweep")
    result = {"presets": {}, "goal_s": GOAL_S}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in presets:
            fast, n = _plan(preset, tmp)
            full, _ = _plan(preset, tmp, "plan.full_build=true")
            result["presets"][preset] = dict(variants=n, seconds=round(fast, 2),
                                             full_build_seconds=round(full, 2))
            print(preset, result["presets"][preset], flush=True)
        for preset in presets:
            result["presets"][preset]["warm_seconds"] = round(_plan(preset, tmp)[0], 2)
    rows = result["presets"].values()
    result["total_s"] = round(sum(r["seconds"] for r in rows), 1)
    result["warm_total_s"] = round(sum(r["warm_seconds"] for r in rows), 1)
    result["full_build_total_s"] = round(sum(r["full_build_seconds"] for r in rows), 1)
    result["speedup"] = round(result["full_build_total_s"] / result["total_s"], 2)
    result["meets_goal"] = result["total_s"] <= GOAL_S
    return save(OUT, result)


if __name__ == "__main__":
    main()
