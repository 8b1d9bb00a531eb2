"""The same search with and without pruning, on the synthetic CPU setting.

Runs ``python -m sweeps.run +search=msfm_pruned`` twice in fresh output roots: once with
``pruner.name=none``, once with successive halving (rungs at epochs 2 and 6). Both use the
random sampler with the same seed, so they sample the same trials and differ only by pruning.
Reports epochs trained (sum over the trained variants' records), the best bbox AP each found
and a noise figure: the spread of the unpruned best trial's AP over its last evaluations.
Goal: >= 40% fewer epochs for a best AP within that noise. Estimated ~15-20 min on 2
idle cores (not yet measured).
Writes benchmarks/results/search.json.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import save

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "results" / "search.json"
SETTING = ["num_workers=0", "wandb.enabled=false", "dataset.num_train_images=16",
           "dataset.num_val=8", "schedule.epochs=6", "schedule.milestones=[6]",
           "schedule.val_interval=1", "schedule.warmup_iters=5"]
SEARCH = ["+search=msfm_pruned", "hydra.sweeper.n_trials=4", "hydra.sweeper.sampler.name=random",
          "schedule.lr=choice(0.0025,0.02)", "scales=3S,5S",  # command-line sweeps
          *[f"hydra.sweeper.params.{k}='choice({v})'" for k, v in (
              ("position", "after_conv3"), ("ratios", "r16_32_64"), ("norm_group", "gn16"),
              ("conv_num", "cgn1"), ("fusion_type", "add"))]]
PRUNERS = {"none": ["hydra.sweeper.pruner.name=none"],
           "successive_halving": ["hydra.sweeper.pruner.name=successive_halving",
                                  "+hydra.sweeper.pruner.kwargs.min_resource=2",
                                  "+hydra.sweeper.pruner.kwargs.reduction_factor=3"]}
GOAL_SAVING = 0.40


def run_search(pruner: str, root: Path) -> dict:
    """One search in ``root``: its epochs trained, best AP, trials and wall time."""
    cmd = [sys.executable, "-m", "sweeps.run", "-m", f"output_root={root}", *SETTING, *SEARCH,
           *PRUNERS[pruner]]
    t = time.perf_counter()
    with open(root / "search.log", "w") as log:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"{pruner} search failed:\n{(root / 'search.log').read_text()[-3000:]}")
    records = [json.loads(p.read_text()) for p in (root / "results").glob("*.json")]
    finished = [r for r in records if r["status"] == "finished"]
    best = max(finished, key=lambda r: r["metrics"]["bbox_mAP"])
    tail = [ap for _, ap in best["val_curve"][-3:]]
    return dict(
        wall_s=round(time.perf_counter() - t, 1), variants_trained=len(records),
        epochs_trained=sum(r["epochs_trained"] for r in records),
        pruned=sum(r["status"] == "pruned" for r in records),
        best_ap=round(best["metrics"]["bbox_mAP"], 4), best_variant=best["overrides"],
        best_ap_last_evals=tail,
        trials=[dict(overrides=r["overrides"], status=r["status"], epochs=r["epochs_trained"],
                     ap=r["metrics"].get("bbox_mAP")) for r in records])


def main() -> dict:
    """Run both searches and compare epochs trained and best AP."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pruner in PRUNERS:
            root = Path(tmp, pruner)
            root.mkdir()
            print(f"search with pruner={pruner} ...", flush=True)
            out[pruner] = run_search(pruner, root)
            print(f"  {out[pruner]['epochs_trained']} epochs, best AP {out[pruner]['best_ap']}", flush=True)
    base, pruned = out["none"], out["successive_halving"]
    saving = 1 - pruned["epochs_trained"] / base["epochs_trained"]
    noise = statistics.stdev(base["best_ap_last_evals"]) if len(base["best_ap_last_evals"]) > 1 else None
    delta = pruned["best_ap"] - base["best_ap"]
    result = dict(
        benchmark="bench_search", setting=SETTING, search=SEARCH, pruners=PRUNERS,
        unpruned=base, pruned=pruned, epochs_saving=round(saving, 3),
        best_ap_delta=round(delta, 4), noise_std=None if noise is None else round(noise, 4),
        noise_note="std of the unpruned best trial's bbox AP over its last 3 evaluations",
        goal=f">= {GOAL_SAVING:.0%} fewer epochs, best AP within noise",
        meets_goal=saving >= GOAL_SAVING and noise is not None and abs(delta) <= 2 * max(noise, 1e-4),
    )
    return save(OUT, result)


if __name__ == "__main__":
    main()
