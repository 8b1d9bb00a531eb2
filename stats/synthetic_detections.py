"""Generated COCO ground truth and detector outputs, for tests and the bootstrap benchmark.

Ground truth covers what COCOeval treats specially: crowd regions, images without objects,
small / medium / large objects. Detections are the ground truth jittered (less for a higher
``quality``), with misses, duplicates, wrong classes and low-score false positives, up to
``max_per_image`` per image; their score falls with their jitter, as a detector's would.
"""
from __future__ import annotations

import numpy as np

AREA_EDGES = (8, 32, 96, 300)  # object sides drawn log-uniformly across COCO's three ranges


def _octagon(x0, y0, x1, y1) -> list[float]:
    """A polygon inside the box, so mask area < box area (segm differs from bbox)."""
    w, h = x1 - x0, y1 - y0
    pts = [(x0 + w * .3, y0), (x0 + w * .7, y0), (x1, y0 + h * .3), (x1, y0 + h * .7),
           (x0 + w * .7, y1), (x0 + w * .3, y1), (x0, y0 + h * .7), (x0, y0 + h * .3)]
    return [float(v) for p in pts for v in p]


def make_ground_truth(n_images: int, n_classes: int = 3, seed: int = 0, per_image: float = 4.0,
                      size: tuple[int, int] = (400, 320), crowd: float = 0.03, empty: float = 0.1) -> dict:
    """A COCO annotation dict: ``n_images`` images, Poisson(``per_image``) objects each."""
    rng = np.random.default_rng(seed)
    W, H = size
    images = [dict(id=i + 1, file_name=f"{i:06d}.png", width=W, height=H) for i in range(n_images)]
    anns = []
    for img in images:
        n = 0 if rng.random() < empty else rng.poisson(per_image)
        for _ in range(n):
            side = np.exp(rng.uniform(np.log(AREA_EDGES[0]), np.log(AREA_EDGES[-1])))
            w, h = side * np.exp(rng.normal(0, 0.3, 2))
            w, h = min(w, W - 1), min(h, H - 1)
            x0, y0 = rng.uniform(0, W - w), rng.uniform(0, H - h)
            poly = _octagon(x0, y0, x0 + w, y0 + h)
            anns.append(dict(id=len(anns) + 1, image_id=img["id"], category_id=int(rng.integers(1, n_classes + 1)),
                             bbox=[x0, y0, w, h], area=float(w * h * 0.82), segmentation=[poly],
                             iscrowd=int(rng.random() < crowd)))
    cats = [dict(id=c, name=f"class{c}") for c in range(1, n_classes + 1)]
    return dict(images=images, annotations=anns, categories=cats)


def make_detections(gt: dict, quality: float = 0.5, seed: int = 0, max_per_image: int = 100,
                    false_positives: float = 3.0, masks: bool = False) -> dict:
    """Detections of ``gt`` as the writer's arrays: image_id, category_id, bbox_xyxy, score
    (and ``masks``, RLE dicts, if asked). ``quality`` in (0, 1]: higher is a better detector."""
    rng = np.random.default_rng(seed)
    W, H = gt["images"][0]["width"], gt["images"][0]["height"]
    n_cat = len(gt["categories"])
    by_image: dict[int, list] = {img["id"]: [] for img in gt["images"]}
    for a in gt["annotations"]:
        by_image[a["image_id"]].append(a)
    rows = []  # (image, category, x0, y0, x1, y1, score)
    for img_id, objs in by_image.items():
        dets = []
        for a in objs:
            if rng.random() < 0.25 * (1 - quality):
                continue  # missed
            for copy in range(1 + (rng.random() < 0.2)):
                sigma = rng.uniform(0.02, 0.35 * (1.2 - quality))
                x, y, w, h = a["bbox"]
                cx, cy = x + w / 2 + rng.normal(0, sigma) * w, y + h / 2 + rng.normal(0, sigma) * h
                w, h = w * np.exp(rng.normal(0, sigma)), h * np.exp(rng.normal(0, sigma))
                cat = a["category_id"] if rng.random() > 0.05 else int(rng.integers(1, n_cat + 1))
                score = np.clip(0.5 + quality * 0.4 - 1.5 * sigma - 0.3 * copy + rng.normal(0, 0.1), 0.01, 0.99)
                dets.append((img_id, cat, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score))
        for _ in range(min(rng.poisson(false_positives), max_per_image)):
            w, h = np.exp(rng.uniform(np.log(6), np.log(250), 2))
            x0, y0 = rng.uniform(0, W - 1), rng.uniform(0, H - 1)
            dets.append((img_id, int(rng.integers(1, n_cat + 1)), x0, y0, x0 + w, y0 + h,
                         rng.uniform(0.01, 0.4)))
        dets.sort(key=lambda d: -d[-1])
        rows += dets[:max_per_image]
    arr = np.array(rows, dtype=np.float64).reshape(-1, 7)
    box = np.clip(arr[:, 2:6], 0, [W, H, W, H]).astype(np.float32)
    box[:, 2:] = np.maximum(box[:, 2:], box[:, :2] + 1)
    out = dict(image_id=arr[:, 0].astype(np.int64), category_id=arr[:, 1].astype(np.int64),
               bbox_xyxy=box, score=arr[:, 6].astype(np.float32))
    if masks:
        from pycocotools import mask as mask_util

        out["masks"] = []
        for x0, y0, x1, y1 in box.tolist():
            rle = mask_util.frPyObjects([_octagon(x0, y0, x1, y1)], H, W)[0]
            out["masks"].append(dict(size=rle["size"], counts=rle["counts"].decode()))
    return out


def make_detections_fast(gt: dict, quality: float, seed: int, per_image: int = 100) -> dict:
    """Like ``make_detections`` (bbox only) but vectorised, for COCO-val-sized benchmarks:
    every object detected up to twice with jitter, the rest of ``per_image`` false positives."""
    rng = np.random.default_rng(seed)
    W, H = gt["images"][0]["width"], gt["images"][0]["height"]
    n_cat = len(gt["categories"])
    a = np.array([[x["image_id"], x["category_id"], *x["bbox"]] for x in gt["annotations"]]).reshape(-1, 6)
    a = np.repeat(a, 2, axis=0)
    sigma = rng.uniform(0.02, 0.35 * (1.2 - quality), len(a))
    cx = a[:, 2] + a[:, 4] / 2 + rng.normal(0, 1, len(a)) * sigma * a[:, 4]
    cy = a[:, 3] + a[:, 5] / 2 + rng.normal(0, 1, len(a)) * sigma * a[:, 5]
    w, h = a[:, 4] * np.exp(rng.normal(0, 1, len(a)) * sigma), a[:, 5] * np.exp(rng.normal(0, 1, len(a)) * sigma)
    score = np.clip(0.5 + 0.4 * quality - 1.5 * sigma + rng.normal(0, 0.1, len(a)), 0.01, 0.99)
    tp = np.column_stack([a[:, 0], a[:, 1], cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score])
    img_ids = np.array([i["id"] for i in gt["images"]])
    n_fp = np.maximum(per_image - np.bincount(np.searchsorted(img_ids, tp[:, 0]), minlength=len(img_ids)), 0)
    fimg = np.repeat(img_ids, n_fp)
    fw, fh = np.exp(rng.uniform(np.log(6), np.log(250), (2, len(fimg))))
    fx, fy = rng.uniform(0, W - 1, len(fimg)), rng.uniform(0, H - 1, len(fimg))
    fp = np.column_stack([fimg, rng.integers(1, n_cat + 1, len(fimg)), fx, fy, fx + fw, fy + fh,
                          rng.uniform(0.01, 0.4, len(fimg))])
    arr = np.concatenate([tp, fp])
    box = np.clip(arr[:, 2:6], 0, [W, H, W, H]).astype(np.float32)
    box[:, 2:] = np.maximum(box[:, 2:], box[:, :2] + 1)
    return dict(image_id=arr[:, 0].astype(np.int64), category_id=arr[:, 1].astype(np.int64),
                bbox_xyxy=box, score=arr[:, 6].astype(np.float32))
