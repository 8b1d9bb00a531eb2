"""The same search with and without pruning, on the synthetic CPU setting.

Runs ``python -m sweeps.run +search=msfm_pruned`` twice in fresh output roots: once with
``pruner.name=none``, once with successive halving (rungs at epochs 2 and 6, reduction factor
3). Both use the random sampler with the same seed, so they sample the same trials and differ
only by pruning. The setting is the smallest in which AP moves within a trial: 24 train images
at 128 px, batch 2, 12 epochs at a constant learning rate, val AP every 2 epochs on 64 images;
the space is the learning rate (log-uniform, so no two trials repeat: a repeated variant is
reused, not trained) x the scales.

Why constant LR and 64 val images: the first measurement (kept in ``earlier``) used an LR step
at epoch 10 and 16 val images. The step doubled AP in the last two epochs and reordered the
trials, and 16 images left early APs within noise of each other, so any rung before the step
ranked trials by chance (pruning lost the best trial). A pruner compares trials at equal epochs;
that is only informative when the schedule is the same shape up to the rung and after it, and
when one evaluation can tell trials apart. The pruner itself is unchanged.

Reports epochs trained (sum over the trained variants' records), the best bbox AP each search
found, the noise (a paired bootstrap over the val images, B = 1000, of the difference between
the two best runs' APs, from their stored detections), and how well AP at each evaluation ranks
the trials by final AP (Spearman, unpruned search). Goal: >= 40% fewer epochs with the best AP
within noise (the 95% CI of the difference contains 0). ~75 min on 2 idle cores.
Writes benchmarks/results/search.json.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis.pruning_replay import candidates, rank_agreement, replay
from benchmarks import save

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "results" / "search.json"
EPOCHS, VAL_INTERVAL = 12, 2
SETTING = ["num_workers=0", "wandb.enabled=false", "schedule=cpu", f"schedule.epochs={EPOCHS}",
           "schedule.milestones=[]", f"schedule.val_interval={VAL_INTERVAL}", "schedule.warmup_iters=20",
           "schedule.images_per_gpu=2", "schedule.base_batch_size=2", "schedule.img_scale=[128,128]",
           "schedule.rcnn_sample_num=64", "dataset.num_train_images=24", "dataset.num_val=64"]
SEARCH = ["+search=msfm_pruned", "hydra.sweeper.n_trials=6", "hydra.sweeper.sampler.name=random",
          "schedule.lr=tag(log,interval(0.0005,0.03))", "scales=3S,5S",  # command-line sweeps
          *[f"hydra.sweeper.params.{k}='choice({v})'" for k, v in (
              ("position", "after_conv3"), ("ratios", "r16_32_64"), ("norm_group", "gn16"),
              ("conv_num", "cgn1"), ("fusion_type", "add"))]]
HALVING = dict(min_resource=VAL_INTERVAL, reduction_factor=3)  # the pruned search's successive halving
PRUNERS = {"none": ["hydra.sweeper.pruner.name=none"],
           "successive_halving": ["hydra.sweeper.pruner.name=successive_halving",
                                  *(f"+hydra.sweeper.pruner.kwargs.{k}={v}" for k, v in HALVING.items())]}
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
    return dict(
        wall_s=round(time.perf_counter() - t, 1), variants_trained=len(records),
        epochs_trained=sum(r["epochs_trained"] for r in records),
        pruned=sum(r["status"] == "pruned" for r in records),
        best_ap=round(best["metrics"]["bbox_mAP"], 4), best_variant=best["overrides"],
        best_detections=str(root / "results" / best["detections"]),
        trials=trials_of(records))


def trials_of(records: list[dict]) -> list[dict]:
    """The trained trials in the order the study ran them, with their val AP curves."""
    return [dict(number=r["trial"]["number"], overrides=r["overrides"], status=r["status"],
                 epochs=r["epochs_trained"], ap=r["metrics"].get("bbox_mAP"),
                 val_curve=r.get("val_curve"), reported_at=r.get("val_reported_at"))
            for r in sorted(records, key=lambda r: r["trial"]["number"])]


def paired_delta(unpruned: str, pruned: str, resamples: int = 1000) -> dict:
    """Best AP of the pruned search minus the unpruned one's, with its 95% CI from a paired
    bootstrap over the val images (the same synthetic val set in both roots)."""
    from stats.replicates import replicates
    from benchmarks.resampling import percentile_ci

    (ids_a, sha_a, ap_a), (ids_b, sha_b, ap_b) = replicates([unpruned, pruned], "bbox", resamples, 0)
    if sha_a != sha_b or list(ids_a) != list(ids_b):
        raise RuntimeError("the two searches were evaluated on different val sets")
    ap_a, ap_b = ap_a[0] / 100, ap_b[0] / 100  # AP (row 0) as a fraction, like the records
    delta = ap_b - ap_a  # column 0: every image weight 1 (COCO's AP), then the resamples
    lo, hi = percentile_ci(delta[None, 1:])
    half = percentile_ci(ap_a[None, 1:])
    return dict(delta=round(float(delta[0]), 4), ci95=[round(float(lo[0]), 4), round(float(hi[0]), 4)],
                unpruned_ap_ci95=[round(float(half[0][0]), 4), round(float(half[1][0]), 4)],
                images=len(ids_a), resamples=resamples)


def earlier_runs() -> list[dict]:
    """The headline figures of earlier measurements in other settings, kept so that a
    re-run does not erase a result that went the other way."""
    if not OUT.exists():
        return []
    old = json.loads(OUT.read_text())
    if old.get("setting") == SETTING:
        return old.get("earlier", [])
    summary = {k: old[k] for k in ("setting", "epochs_saving", "best_ap_delta", "noise", "meets_goal",
                                   "replays", "rank_agreement", "note") if k in old}
    summary.update(epochs=[old["unpruned"]["epochs_trained"], old["pruned"]["epochs_trained"]],
                   best_ap=[old["unpruned"]["best_ap"], old["pruned"]["best_ap"]],
                   curves={t["number"]: t["val_curve"] for t in old["unpruned"]["trials"]})
    summary.setdefault("rank_agreement", rank_agreement(old["unpruned"]["trials"]))
    return [*old.get("earlier", []), summary]


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
        noise = paired_delta(base.pop("best_detections"), pruned.pop("best_detections"))
    # Other pruners, replayed on the unpruned curves (analysis.pruning_replay; exact here: sequential
    # trials, deterministic training). The replay of the pruner as run must equal the real run.
    replays = {label: replay(base["trials"], *how, EPOCHS)
               for label, how in candidates(EPOCHS, VAL_INTERVAL).items()}
    as_run = replay(base["trials"], "successive_halving", HALVING, EPOCHS)
    earlier = earlier_runs()
    within = noise["ci95"][0] <= 0 <= noise["ci95"][1]
    result = dict(
        benchmark="bench_search", setting=SETTING, search=SEARCH, pruners=PRUNERS,
        unpruned=base, pruned=pruned, epochs_saving=round(saving, 3),
        best_ap_delta=noise["delta"], noise=noise, replays=replays,
        replay_matches_run=as_run == dict(epochs_trained=pruned["epochs_trained"], best_ap=pruned["best_ap"]),
        rank_agreement=rank_agreement(base["trials"]),
        rank_note="Spearman rho over the unpruned trials: val AP at this epoch vs final AP",
        noise_note="paired bootstrap over the val images of best AP (pruned - unpruned): 95% CI",
        goal=f">= {GOAL_SAVING:.0%} fewer epochs, best AP within noise (95% CI of the delta holds 0)",
        meets_goal=saving >= GOAL_SAVING and within, earlier=earlier,
    )
    return save(OUT, result)


if __name__ == "__main__":
    main()
