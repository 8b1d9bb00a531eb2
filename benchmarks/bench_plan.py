"""Time to plan every sweep preset (compose + validate + meta-device model + FLOPs per variant).

Writes benchmarks/results/plan.json: seconds per preset and per variant.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from sweeps.plan import plan
from sweeps.variants import group_options

OUT = Path(__file__).parent / "results" / "plan.json"


def main() -> dict:
    """Plan each preset once and record the wall time."""
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in group_options("sweep"):
            t = time.perf_counter()
            rows, _ = plan([f"+sweep={preset}", f"output_root={tmp}", "dataset=coco"])
            elapsed = time.perf_counter() - t
            result[preset] = dict(variants=len(rows), seconds=round(elapsed, 2),
                                  seconds_per_variant=round(elapsed / len(rows), 2))
            print(preset, result[preset])
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
