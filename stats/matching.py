"""Match detections to ground truth once, as COCOeval's ``evaluate()`` does.

COCOeval matches every (image, category, area range) greedily at each IoU threshold; the
bootstrap only re-weights images afterwards, so this is the one expensive step per variant.
faster-coco-eval prepares the data and computes the IoUs (its own ``_prepare`` and
``computeIoU``), ``stats.greedy`` applies the greedy rule, and we keep, per precision-recall
curve (category x area range), the detections in ``accumulate``'s order with a TP and an FP bit
per IoU threshold, plus the non-ignored ground truth per image.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

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


def match(coco_gt, results, iou_type: str, image_ids=None) -> Matched:
    """Match ``results`` (COCO-format detections) against ``coco_gt`` once, as COCOeval's
    ``evaluate()`` does (its own preparation and IoUs, ``stats.greedy`` for the greedy rule),
    and return the per-curve arrays. ``image_ids`` default to every ground-truth image (as
    mmdet's CocoMetric evaluates them)."""
    from faster_coco_eval import COCOeval_faster

    from stats.greedy import match_pairs, pairs_of

    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = coco_gt.loadRes(results) if len(results) else _empty_results(coco_gt)
        ev = COCOeval_faster(coco_gt, coco_dt, iou_type, print_function=lambda *a: None)
        p = ev.params
        if image_ids is not None:
            p.imgIds = [int(i) for i in image_ids]
        p.imgIds, p.catIds, p.maxDets = list(np.unique(p.imgIds)), list(np.unique(p.catIds)), sorted(p.maxDets)
        ev._prepare()  # evaluate()'s first step: ignore flags (crowd), instance tables, RLEs
    assert list(p.areaRngLbl) == list(AREAS) and len(p.iouThrs) == IOU_THRESHOLDS
    n_img, n_cat, n_area = len(p.imgIds), len(p.catIds), len(AREAS)
    image_index = {int(i): k for k, i in enumerate(p.imgIds)}
    P = pairs_of(ev, image_index, {int(c): k for k, c in enumerate(p.catIds)}, p.maxDets[-1])
    n_dt, n_pairs = len(P["dt_score"]), len(P["pairs"])
    tp, fp = np.zeros((n_area, n_dt), np.uint16), np.zeros((n_area, n_dt), np.uint16)
    valid = np.zeros((n_area, n_pairs), np.int64)
    rng = np.asarray(p.areaRng, np.float64)
    match_pairs(P["dt_ptr"], P["dt_area"], P["gt_ptr"], P["gt_area"], P["gt_crowd"], P["iou_ptr"], P["ious"],
                rng[:, 0].copy(), rng[:, 1].copy(), np.asarray(p.iouThrs, np.float64), tp, fp, valid)
    pair_cat, pair_img = P["pairs"] // n_img, (P["pairs"] % n_img).astype(np.int32)
    det_pair = np.repeat(np.arange(n_pairs), np.diff(P["dt_ptr"]))
    curve = (pair_cat[det_pair][None, :] * n_area + np.arange(n_area)[:, None]).reshape(-1)
    score = np.tile(P["dt_score"], n_area)
    # accumulate(): per curve, a stable sort by descending score of the detections in image order
    order = np.lexsort((-score, curve))
    order = order[((tp | fp).reshape(-1)[order]) != 0]  # ignored at every threshold: counts nowhere
    gt_curve = (pair_cat[None, :] * n_area + np.arange(n_area)[:, None]).reshape(-1)
    has_gt = valid.reshape(-1) > 0
    g_order = np.argsort(gt_curve[has_gt], kind="stable")
    curves = np.arange(n_cat * n_area + 1)
    return Matched(
        image_ids=np.asarray(p.imgIds, dtype=np.int64), categories=n_cat,
        det_ptr=np.searchsorted(curve[order], curves).astype(np.int64),
        det_img=np.tile(pair_img[det_pair], n_area)[order], tp_bits=tp.reshape(-1)[order],
        fp_bits=fp.reshape(-1)[order],
        gt_ptr=np.searchsorted(gt_curve[has_gt][g_order], curves).astype(np.int64),
        gt_img=np.tile(pair_img, n_area)[has_gt][g_order],
        gt_count=valid.reshape(-1)[has_gt][g_order].astype(np.int32),
    )


def _empty_results(coco_gt):
    from faster_coco_eval import COCO

    res = COCO()
    res.dataset["images"] = list(coco_gt.dataset["images"])
    res.dataset["annotations"] = []
    res.createIndex()
    return res
