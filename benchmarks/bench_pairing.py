"""Does pairing seeds narrow the seed spread of a Delta? Measured on CPU, reported as it is.

For seeds 0..S-1 the baseline and the default MSFM variant are trained and evaluated twice:
paired (``training/paired_init.py``: same init of every shared tensor, same data order) and
unpaired (the hook switched off, as runs were before: adding MSFM shifts every later layer's
init). The figure is the std over seeds of Delta AP = AP(MSFM) - AP(baseline) in each arm,
next to the std of each arm's own APs. Synthetic data, smoke schedule: a pipeline-scale
measurement, not a COCO one. Writes benchmarks/results/pairing.json.
"""
from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

from benchmarks import save

OUT = Path(__file__).parent / "results" / "pairing.json"
SEEDS = (0, 1, 2)
SETTING = ["num_workers=0", "wandb.enabled=false", "dataset.num_train_images=32",
           "dataset.num_val=16"]  # the smoke schedule: 2 epochs, 160 px, from scratch
VARIANTS = {"baseline": ["msfm.enabled=false"], "msfm": []}


def _ap(overrides: list[str]) -> float:
    """bbox AP (points) of one run through the real gate and training task."""
    from sweeps.gate import Gate
    from training.train import train_and_evaluate

    (spec,) = Gate().check(overrides)
    return 100 * train_and_evaluate(spec)["metrics"]["bbox_mAP"]


def main() -> dict:
    """Train both arms at every seed; the std of Delta AP over seeds per arm."""
    from training.paired_init import PairedInit

    arms: dict = {}
    t = time.perf_counter()
    for arm in ("paired", "unpaired"):
        off = mock.patch.object(PairedInit, "before_train", lambda self, runner: None)
        with tempfile.TemporaryDirectory() as tmp, (off if arm == "unpaired" else contextlib.nullcontext()):
            aps = {name: [_ap([f"output_root={tmp}", *SETTING, *extra, f"seed={s}"]) for s in SEEDS]
                   for name, extra in VARIANTS.items()}
        deltas = [m - b for m, b in zip(aps["msfm"], aps["baseline"])]
        arms[arm] = dict(ap=aps, delta=[round(d, 3) for d in deltas],
                         delta_std=round(statistics.stdev(deltas), 3),
                         ap_std={k: round(statistics.stdev(v), 3) for k, v in aps.items()})
    narrower = arms["paired"]["delta_std"] < arms["unpaired"]["delta_std"]
    result = dict(benchmark="bench_pairing", seeds=list(SEEDS), setting=SETTING,
                  schedule="smoke", arms=arms, paired_narrower=narrower,
                  ratio_paired_to_unpaired=round(arms["paired"]["delta_std"] /
                                                 max(arms["unpaired"]["delta_std"], 1e-9), 3),
                  wall_s=round(time.perf_counter() - t, 1),
                  note=f"{len(SEEDS)} seeds per arm: a std from 3 values is itself uncertain "
                       "(its 95% range spans ~0.5x-6x); read the ratio as a direction at most")
    print(f"std of Delta AP over seeds: paired {arms['paired']['delta_std']}, unpaired "
          f"{arms['unpaired']['delta_std']} (AP points)")
    return save(OUT, result)


if __name__ == "__main__":
    main()
