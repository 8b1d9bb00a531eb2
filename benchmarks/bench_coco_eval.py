"""pycocotools vs faster-coco-eval on noisy detections over the synthetic val split (300 images).

Two checks, both bbox and segm, on the same seeded detections (jittered GT polygons -> box and
RLE mask, scores that fall with the jitter, duplicates, false positives, misses):
1. direct: ``pycocotools.cocoeval.COCOeval`` vs ``faster_coco_eval.COCOeval_faster`` — the 12
   stats, their max abs difference, and the median time of load + evaluate + accumulate +
   summarize (interleaved repeats, so the ratio survives machine load);
2. mmdet: ``CocoMetric`` in a fresh subprocess per mode, with and without
   ``faster_coco_eval.init_as_pycocotools()`` before mmdet is imported (the project's path);
   the full-precision stats are read off the ``COCOeval`` CocoMetric builds.
Writes benchmarks/results/coco_eval.json. ``python -m benchmarks.bench_coco_eval``.
"""
from __future__ import annotations

import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import save

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "results" / "coco_eval.json"
NUM_VAL, IMAGE_SIZE, NUM_CLASSES, SEED = 300, 160, 3, 0
REPEATS, METRIC_REPEATS = 5, 3
IOU_TYPES = ("bbox", "segm")
STATS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
ITEMS = ("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l",  # CocoMetric's names (maxDets
         "AR@100", "AR@300", "AR@1000", "AR_s@1000", "AR_m@1000", "AR_l@1000")  # 100/300/1000)


def _jittered(poly: np.ndarray, sigma: float, rng) -> np.ndarray:
    """``poly`` shifted and scaled about its box centre by ``sigma`` x its size, kept inside."""
    lo, hi = poly.min(0), poly.max(0)
    centre, size = (lo + hi) / 2, np.maximum(hi - lo, 1.0)
    out = (poly - centre) * np.exp(rng.normal(0, sigma, 2)) + centre + rng.normal(0, sigma, 2) * size
    return np.clip(out, 0, IMAGE_SIZE)


def _detection(img_id: int, cat: int, poly: np.ndarray, score: float) -> dict | None:
    from pycocotools import mask as mask_util

    (x0, y0), (x1, y1) = poly.min(0), poly.max(0)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    rle = mask_util.merge(mask_util.frPyObjects([poly.ravel().tolist()], IMAGE_SIZE, IMAGE_SIZE))
    return dict(image_id=img_id, category_id=cat, score=round(float(score), 6),
                bbox=[round(float(v), 2) for v in (x0, y0, x1 - x0, y1 - y0)],
                segmentation=dict(size=rle["size"], counts=rle["counts"].decode()))


def make_detections(gt: dict, seed: int = SEED) -> list[dict]:
    """Noisy detections: 12% of objects missed, the rest jittered (score falls with the jitter),
    20% duplicated, 5% with the wrong class, ~1 false positive per image (low scores)."""
    rng = np.random.default_rng(seed)
    cats = [c["id"] for c in gt["categories"]]
    by_image: dict = {}
    for ann in gt["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    dets = []
    for img in gt["images"]:
        for ann in by_image.get(img["id"], []):
            poly = np.asarray(ann["segmentation"][0]).reshape(-1, 2)
            for copy in range(1 + (rng.random() < 0.2)):
                if copy == 0 and rng.random() < 0.12:
                    break  # missed
                sigma = rng.uniform(0.01, 0.2)
                score = np.clip(1 - 2.5 * sigma + rng.normal(0, 0.1) - 0.3 * copy, 0.01, 0.99)
                cat = ann["category_id"] if rng.random() > 0.05 else int(rng.choice(cats))
                dets.append(_detection(img["id"], cat, _jittered(poly, sigma, rng), score))
        for _ in range(rng.poisson(1.0)):  # false positives: random ellipses
            area = np.exp(rng.uniform(np.log(100), np.log(6000)))
            w = np.sqrt(area * rng.uniform(0.5, 2))
            h, c = area / w, rng.uniform(0, IMAGE_SIZE, 2)
            t = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            poly = np.clip(np.stack([c[0] + w / 2 * np.cos(t), c[1] + h / 2 * np.sin(t)], 1), 0, IMAGE_SIZE)
            dets.append(_detection(img["id"], int(rng.choice(cats)), poly, rng.uniform(0.01, 0.6)))
    return [d for d in dets if d is not None]


def _evaluate(lib: str, ann_file: str, dt_file: str, iou_type: str) -> tuple[list, dict]:
    """One full evaluation as a user runs it; returns the 12 stats and per-stage seconds."""
    if lib == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval as Eval
    else:
        from faster_coco_eval import COCO
        from faster_coco_eval import COCOeval_faster as Eval
    times = {}
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        t = time.perf_counter()
        gt = COCO(ann_file)
        ev = Eval(gt, gt.loadRes(dt_file), iou_type)
        times["load_s"] = time.perf_counter() - t
        for stage in ("evaluate", "accumulate", "summarize"):
            t = time.perf_counter()
            getattr(ev, stage)()
            times[f"{stage}_s"] = time.perf_counter() - t
    times["total_s"] = sum(times.values())
    return [float(v) for v in ev.stats[:12]], times


def direct(ann_file: str, dt_files: dict) -> dict:
    """Both libraries on both tasks: stats, max abs diff, median stage times, speed-up."""
    out = {}
    for iou_type in IOU_TYPES:
        stats, times = {}, {"pycocotools": [], "faster_coco_eval": []}
        for _ in range(REPEATS):  # interleaved
            for lib in times:
                stats[lib], t = _evaluate(lib, ann_file, dt_files[iou_type], iou_type)
                times[lib].append(t)
        med = {lib: {k: round(statistics.median(r[k] for r in runs), 4) for k in runs[0]}
               for lib, runs in times.items()}
        diff = max(abs(a - b) for a, b in zip(stats["pycocotools"], stats["faster_coco_eval"]))
        out[iou_type] = dict(
            stats={lib: dict(zip(STATS, v)) for lib, v in stats.items()},
            identical=diff == 0.0, max_abs_diff=diff, median_s=med,
            speedup_total=round(med["pycocotools"]["total_s"] / med["faster_coco_eval"]["total_s"], 2),
            speedup_evaluate_accumulate=round(
                (med["pycocotools"]["evaluate_s"] + med["pycocotools"]["accumulate_s"])
                / (med["faster_coco_eval"]["evaluate_s"] + med["faster_coco_eval"]["accumulate_s"]), 2))
    return out


def _cocometric_worker(mode: str, ann_file: str, dt_file: str, out_file: str) -> None:
    """Subprocess body: CocoMetric on the detections, pycocotools or faster-coco-eval beneath."""
    import hashlib

    if mode == "faster_coco_eval":
        import faster_coco_eval

        faster_coco_eval.init_as_pycocotools()  # before mmdet imports pycocotools
    import pycocotools.mask as mask_util
    import torch
    from mmdet.evaluation import CocoMetric
    from mmdet.evaluation.metrics import coco_metric
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    captured = []

    class Recording(coco_metric.COCOeval):  # the class CocoMetric uses; keep full-precision stats
        def summarize(self):
            super().summarize()
            captured.append([float(v) for v in self.stats[:12]])

    coco_metric.COCOeval = Recording
    gt = json.loads(Path(ann_file).read_text())
    dets = json.loads(Path(dt_file).read_text())
    cat_ids = sorted(c["id"] for c in gt["categories"])
    digest, samples = hashlib.sha256(), []
    for img in gt["images"]:
        mine = [d for d in dets if d["image_id"] == img["id"]]
        masks = np.zeros((len(mine), img["height"], img["width"]), bool)
        for i, d in enumerate(mine):
            masks[i] = mask_util.decode(dict(size=d["segmentation"]["size"],
                                             counts=d["segmentation"]["counts"].encode()))
        digest.update(np.packbits(masks).tobytes())
        boxes = [[x, y, x + w, y + h] for x, y, w, h in (d["bbox"] for d in mine)]
        sample = DetDataSample(metainfo=dict(img_id=img["id"], ori_shape=(img["height"], img["width"])))
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor([d["score"] for d in mine], dtype=torch.float32),
            labels=torch.tensor([cat_ids.index(d["category_id"]) for d in mine], dtype=torch.long),
            masks=torch.from_numpy(masks))
        samples.append(sample.to_dict())
    metric = CocoMetric(ann_file=ann_file, metric=list(IOU_TYPES), metric_items=list(ITEMS))
    metric.dataset_meta = dict(classes=[c["name"] for c in sorted(gt["categories"], key=lambda c: c["id"])])
    seconds = []
    for _ in range(METRIC_REPEATS):
        captured.clear()
        metric.process({}, samples)
        t = time.perf_counter()
        results = metric.evaluate(len(samples))
        seconds.append(time.perf_counter() - t)
    Path(out_file).write_text(json.dumps(dict(
        cocoeval_class=f"{coco_metric.COCOeval.__mro__[1].__module__}.{coco_metric.COCOeval.__mro__[1].__name__}",
        mask_api=mask_util.__name__, input_masks_sha256=digest.hexdigest(),
        results=results, stats=dict(zip(IOU_TYPES, captured)),
        evaluate_s=[round(s, 3) for s in seconds], median_evaluate_s=round(statistics.median(seconds), 3))))


def via_cocometric(ann_file: str, dt_file: str, tmp: str) -> dict:
    """CocoMetric once per mode (fresh process each: the swap is a sys.modules patch)."""
    runs = {}
    for mode in ("pycocotools", "faster_coco_eval"):
        out = Path(tmp) / f"cocometric-{mode}.json"
        cmd = [sys.executable, "-m", "benchmarks.bench_coco_eval", "--cocometric", mode,
               ann_file, dt_file, str(out)]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"CocoMetric with {mode} failed:\n{proc.stderr[-3000:]}")
        runs[mode] = json.loads(out.read_text())
    a, b = runs["pycocotools"], runs["faster_coco_eval"]
    diffs = {t: max(abs(x - y) for x, y in zip(a["stats"][t], b["stats"][t])) for t in IOU_TYPES}
    return dict(
        runs=runs, same_input_masks=a["input_masks_sha256"] == b["input_masks_sha256"],
        max_abs_diff_stats=diffs, identical_stats=all(d == 0.0 for d in diffs.values()),
        identical_results=a["results"] == b["results"],
        speedup=round(a["median_evaluate_s"] / b["median_evaluate_s"], 2))


def main() -> dict:
    """Generate data and detections, run both checks, write the JSON."""
    from importlib.metadata import version

    from training.synthetic_coco import ensure_dataset

    with tempfile.TemporaryDirectory() as tmp:
        root = ensure_dataset(tmp, seed=SEED, num_train=3, num_val=NUM_VAL, image_size=IMAGE_SIZE,
                              num_classes=NUM_CLASSES)
        ann_file = str(root / "annotations/instances_val.json")
        gt = json.loads(Path(ann_file).read_text())
        dets = make_detections(gt)
        dt_files = {"all": str(Path(tmp) / "dets.json")}
        Path(dt_files["all"]).write_text(json.dumps(dets))
        for iou_type, drop in (("bbox", "segmentation"), ("segm", "bbox")):  # as mmdet writes them
            dt_files[iou_type] = str(Path(tmp) / f"dets.{iou_type}.json")
            Path(dt_files[iou_type]).write_text(json.dumps([{k: v for k, v in d.items() if k != drop}
                                                            for d in dets]))
        result = dict(
            benchmark="bench_coco_eval",
            versions={p: version(p) for p in ("pycocotools", "faster-coco-eval", "mmdet")},
            data=dict(images=len(gt["images"]), gt_objects=len(gt["annotations"]), detections=len(dets),
                      image_size=IMAGE_SIZE, classes=NUM_CLASSES, seed=SEED),
            repeats=REPEATS, direct=direct(ann_file, dt_files),
            cocometric=via_cocometric(ann_file, dt_files["all"], tmp))
    return save(OUT, result)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cocometric"]:
        _cocometric_worker(*sys.argv[2:6])
    else:
        main()
