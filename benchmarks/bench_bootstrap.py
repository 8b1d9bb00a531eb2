"""Paired bootstrap CIs on a COCO-val-sized set vs one plain COCOeval (the yardstick).

Builds 5,000 images / 80 classes (~7 objects per image, crowd regions, empty images) and two
variants' detections (100 per image: 500k each), stores them as artifacts (their size in MB is
the README's figure), then times
1. one COCOeval (faster-coco-eval: loadRes + evaluate + accumulate + summarize, bbox), and
2. the bootstrap as ``analysis.compare`` runs it: both artifacts read, each matched once,
   COCO AP under B = 1,000 paired resamples of the images for both, Delta CI and p-value.
Goal: (2) <= 60 s and <= 10x (1) on this 2-core machine. Writes benchmarks/results/bootstrap.json.
``python -m benchmarks.bench_bootstrap [images] [resamples]``.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import save

OUT = Path(__file__).parent / "results" / "bootstrap.json"
IMAGES, CLASSES, RESAMPLES, PER_IMAGE = 5000, 80, 1000, 100
GOAL_S, GOAL_RATIO, GOAL_MB = 60.0, 10.0, 10.0


def _cocoeval_seconds(gt_path: Path, results: list[dict]) -> tuple[float, float]:
    from faster_coco_eval import COCO, COCOeval_faster

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_path))
        t = time.perf_counter()
        ev = COCOeval_faster(gt, gt.loadRes(results), "bbox")
        ev.evaluate(), ev.accumulate(), ev.summarize()
    return time.perf_counter() - t, 100 * float(ev.stats[0])


def main(images: int = IMAGES, resamples: int = RESAMPLES) -> dict:
    """Measure, write benchmarks/results/bootstrap.json and return it."""
    from stats.bootstrap import coco_ap
    from stats.detections import ground_truth, load_detections, write_artifact
    from stats.matching import match
    from stats.replicates import match_artifact, replicates
    from benchmarks.resampling import percentile_ci, two_sided_p
    from stats.synthetic_detections import make_detections_fast, make_ground_truth

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gt = make_ground_truth(images, CLASSES, seed=0, per_image=7.3, size=(640, 480))
        (tmp / "gt.json").write_text(json.dumps(gt))
        arts = []
        for name, quality, seed in (("a", 0.5, 1), ("b", 0.55, 2)):
            dets = make_detections_fast(gt, quality, seed, PER_IMAGE)
            arts.append(write_artifact(tmp / f"{name}.dets.npz", ann_file=str(tmp / "gt.json"),
                                       img_ids=[i["id"] for i in gt["images"]], **dets))
        mb = arts[0].stat().st_size / 1e6
        n_dets = len(load_detections(arts[0]))
        cocoeval_s, ap_a = _cocoeval_seconds(tmp / "gt.json", load_detections(arts[0]).results("bbox"))
        coco_ap(match(ground_truth(str(tmp / "gt.json"), ""), [], "bbox"), np.ones((images, 1)))  # numba compile
        t0 = time.perf_counter()
        reps = replicates(arts, "bbox", resamples, seed=0)  # as analysis.compare: match in parallel, resample
        aps = [r[2] for r in reps]
        delta = aps[1][0, 1:] - aps[0][0, 1:]
        lo, hi = percentile_ci(delta)
        seconds = time.perf_counter() - t0
        t = time.perf_counter()
        match_artifact(str(arts[0]), "bbox")  # the serial part, for the record
        match_s = time.perf_counter() - t
    result = dict(
        images=images, classes=CLASSES, detections_per_variant=n_dets, resamples=resamples,
        seconds=round(seconds, 1), cocoeval_seconds=round(cocoeval_s, 1),
        ratio_to_cocoeval=round(seconds / cocoeval_s, 2),
        match_one_s=round(match_s, 1),
        artifact_mb=round(mb, 2), exact_ap_a=bool(abs(aps[0][0, 0] - ap_a) < 1e-4),
        delta_ap=round(float(aps[1][0, 0] - aps[0][0, 0]), 2), delta_ci=[round(float(lo), 2), round(float(hi), 2)],
        p=two_sided_p(delta),
        goal=f"<= {GOAL_S:.0f} s and <= {GOAL_RATIO:.0f}x one COCOeval; artifact <= {GOAL_MB:.0f} MB",
        goal_met=bool(seconds <= GOAL_S and seconds <= GOAL_RATIO * cocoeval_s),
        ratio_goal_met=bool(seconds <= GOAL_RATIO * cocoeval_s), artifact_goal_met=bool(mb <= GOAL_MB),
        load_avg_1m=round(os.getloadavg()[0], 1),  # other work on the 2 cores slows both timings
        note=("2-core machine; both runs matched in parallel processes (match_one_s: one run's match alone), "
              "then B paired resamples on numba threads"),
    )
    return save(OUT, result)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
