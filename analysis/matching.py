"""Match detections to ground truth once, with faster-coco-eval's own ``evaluate()``.

COCOeval matches every (image, category, area range) greedily at each IoU threshold; the
bootstrap only re-weights images afterwards, so this is the one expensive step per variant.
We read the C++ per-image results (``ImageEvaluation``: detection matches, ignores and scores
at maxDets 100, exactly what COCOeval's ``accumulate`` consumes) and keep, per precision-recall
curve (category x area range), the detections in COCOeval's order with a TP and an FP bit per
IoU threshold, plus the non-ignored ground truth per image.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from itertools import chain

import numpy as np

AREAS = ("all", "small", "medium", "large")  # COCOeval's area ranges, in its order
IOU_THRESHOLDS = 10  # 0.50:0.05:0.95; index 0 is AP50, index 5 AP75


@dataclass
class Matched:
    """One variant's matches, as flat arrays over curves (curve = category * 4 + area).

    Detections of curve ``c`` are ``det_ptr[c]:det_ptr[c+1]``, sorted as COCOeval's
    accumulate sorts them (stable, by descending score, images in ``image_ids`` order);
    ``tp_bits`` / ``fp_bits`` hold one bit per IoU threshold. Non-ignored ground truth of
    curve ``c`` is ``gt_ptr[c]:gt_ptr[c+1]``: image index and count.
    """

    image_ids: np.ndarray  # the evaluated val images; weights are indexed like this
    categories: int
    det_ptr: np.ndarray
    det_img: np.ndarray  # int32 image index
    tp_bits: np.ndarray  # uint16
    fp_bits: np.ndarray  # uint16
    gt_ptr: np.ndarray
    gt_img: np.ndarray  # int32
    gt_count: np.ndarray  # int32


def evaluate_once(coco_gt, results: list[dict] | np.ndarray, iou_type: str, image_ids=None):
    """Run faster-coco-eval's ``evaluate()`` (not accumulate) and return the COCOeval object.

    ``results`` are COCO-format detections; ``image_ids`` default to every image of the
    ground truth (as mmdet's CocoMetric evaluates them).
    """
    from faster_coco_eval import COCOeval_faster

    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = coco_gt.loadRes(results) if len(results) else _empty_results(coco_gt)
        ev = COCOeval_faster(coco_gt, coco_dt, iou_type, separate_eval=True, print_function=lambda *a: None)
        if image_ids is not None:
            ev.params.imgIds = [int(i) for i in image_ids]
        ev.evaluate()
    return ev


def _empty_results(coco_gt):
    from faster_coco_eval import COCO

    res = COCO()
    res.dataset["images"] = list(coco_gt.dataset["images"])
    res.dataset["annotations"] = []
    res.createIndex()
    return res


def match(coco_gt, results, iou_type: str, image_ids=None) -> Matched:
    """Match ``results`` against ``coco_gt`` once and return the per-curve arrays."""
    ev = evaluate_once(coco_gt, results, iou_type, image_ids)
    p = ev.params
    assert list(p.areaRngLbl) == list(AREAS) and len(p.iouThrs) == IOU_THRESHOLDS
    n_img, n_cat, n_area, T = len(p.imgIds), len(p.catIds), len(AREAS), IOU_THRESHOLDS
    # C++ results are only readable through pickling (__getstate__), ~15 us each: skip the
    # (category, image) pairs without ground truth or detections, whose results are empty
    present = _present(ev, n_img, n_cat)
    where = np.flatnonzero(np.repeat(present, n_area, axis=0).reshape(-1))  # order: category, area, image
    evals = ev._evalImgs_cpp
    states = [evals[k].__getstate__() for k in where]
    det_count = np.zeros(n_cat * n_area * n_img, np.int64)
    gt_valid = np.zeros_like(det_count)
    det_count[where] = [len(s[2]) for s in states]
    gt_valid[where] = [len(s[3]) - sum(s[3]) for s in states]
    scores = np.array(list(chain.from_iterable(s[2] for s in states)), np.float64)
    matched = np.array(list(chain.from_iterable(s[0] for s in states)), np.int64) != 0
    ignored = np.array(list(chain.from_iterable(s[4] for s in states)), bool)
    # each state holds T x n_det matches (threshold-major): gather them into (n_det_total, T)
    start = np.repeat(np.cumsum(det_count) - det_count, det_count)
    local = np.arange(det_count.sum()) - start
    flat = T * start[:, None] + np.arange(T)[None, :] * np.repeat(det_count, det_count)[:, None] + local[:, None]
    weights = (1 << np.arange(T)).astype(np.uint16)
    tp = ((matched[flat] & ~ignored[flat]) * weights).sum(1).astype(np.uint16)
    fp = ((~matched[flat] & ~ignored[flat]) * weights).sum(1).astype(np.uint16)
    img = np.repeat(np.tile(np.arange(n_img, dtype=np.int32), n_cat * n_area), det_count)
    curve = np.repeat(np.arange(n_cat * n_area), n_img)  # state index -> curve
    det_curve = np.repeat(curve, det_count)
    # COCOeval's accumulate: per curve, stable sort by descending score over images in order
    order = np.lexsort((-scores, det_curve))
    keep = (tp | fp)[order] != 0
    order = order[keep]  # detections ignored at every threshold count nowhere
    det_ptr = np.searchsorted(det_curve[order], np.arange(n_cat * n_area + 1))
    has_gt = gt_valid > 0
    gt_ptr = np.searchsorted(curve[has_gt], np.arange(n_cat * n_area + 1))
    return Matched(
        image_ids=np.asarray(p.imgIds, dtype=np.int64), categories=n_cat,
        det_ptr=det_ptr.astype(np.int64), det_img=img[order], tp_bits=tp[order], fp_bits=fp[order],
        gt_ptr=gt_ptr.astype(np.int64),
        gt_img=np.tile(np.arange(n_img, dtype=np.int32), n_cat * n_area)[has_gt],
        gt_count=gt_valid[has_gt].astype(np.int32),
    )


def _present(ev, n_img: int, n_cat: int) -> np.ndarray:
    """(categories, images) True where the pair has ground truth or detections."""
    img_index = {int(i): k for k, i in enumerate(ev.params.imgIds)}
    cat_index = {int(c): k for k, c in enumerate(ev.params.catIds)}
    out = np.zeros((n_cat, n_img), bool)
    for coco in (ev.cocoGt, ev.cocoDt):
        pairs = [(cat_index.get(a["category_id"]), img_index.get(a["image_id"])) for a in coco.anns.values()]
        pairs = np.array([p for p in pairs if None not in p], np.int64).reshape(-1, 2)
        out[pairs[:, 0], pairs[:, 1]] = True
    return out
