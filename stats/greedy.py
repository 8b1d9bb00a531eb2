"""COCOeval's greedy matching (``evaluateImg``), compiled, over every (image, category) pair.

faster-coco-eval matches in C++ but hands its per-image results to Python only through
pickling (~15 us per image x category x area range: 25 s on COCO val), so we run the same
rule here on its IoUs. The rule, per IoU threshold t and area range a, exactly as COCOeval:
ground truth outside a or crowd is "ignored" and sorted last (stable); each detection, by
descending score (stable, at most maxDets), takes the unmatched ground truth with the highest
IoU >= min(t, 1 - 1e-10) (ties: the later one), crowd regions may be matched repeatedly, and
once matched to a non-ignored object it never moves to an ignored one. A detection matched to
an ignored object, or unmatched with its area outside a, is ignored (neither TP nor FP).
The tests compare the result with faster-coco-eval's and pycocotools' AP to 1e-4.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def match_pairs(dt_ptr, dt_area, gt_ptr, gt_area, gt_crowd, iou_ptr, ious, area_lo, area_hi, thresholds,
                tp_bits, fp_bits, valid_gt):
    """For pair p and area range a: tp/fp bits of its detections at [a, dt], valid_gt[a, p]."""
    A, T = area_lo.shape[0], thresholds.shape[0]
    for p in range(dt_ptr.shape[0] - 1):
        d0, nd = dt_ptr[p], dt_ptr[p + 1] - dt_ptr[p]
        g0, ng = gt_ptr[p], gt_ptr[p + 1] - gt_ptr[p]
        for a in range(A):
            ignore = np.empty(ng, np.bool_)
            for g in range(ng):
                ignore[g] = gt_crowd[g0 + g] or gt_area[g0 + g] < area_lo[a] or gt_area[g0 + g] > area_hi[a]
            order = np.argsort(ignore, kind="mergesort")  # non-ignored first, stable
            valid_gt[a, p] = ng - ignore.sum()
            for t in range(T):
                taken = np.zeros(ng, np.bool_)
                for d in range(nd):
                    best, m = min(thresholds[t], 1 - 1e-10), -1
                    for k in range(ng):
                        g = order[k]
                        if taken[g] and not gt_crowd[g0 + g]:
                            continue
                        if m >= 0 and not ignore[m] and ignore[g]:
                            break
                        iou = ious[iou_ptr[p] + d * ng + g]
                        if iou >= best:
                            best, m = iou, g
                    if m >= 0:
                        taken[m] = True
                        if not ignore[m]:
                            tp_bits[a, d0 + d] |= 1 << t
                    elif not (dt_area[d0 + d] < area_lo[a] or dt_area[d0 + d] > area_hi[a]):
                        fp_bits[a, d0 + d] |= 1 << t


def pairs_of(ev, image_index: dict, cat_index: dict, max_dets: int):
    """Flat arrays of every (category, image) pair with detections or ground truth, pairs in
    (category, image) order, detections score-sorted (stable) and cut at ``max_dets`` as
    COCOeval's ``computeIoU`` orders them, with its IoUs (row-major D x G per pair)."""
    def table(coco, with_score):
        anns = list(coco.anns.values())
        keep = [a for a in anns if a["image_id"] in image_index and a["category_id"] in cat_index]
        return dict(
            cat=np.array([cat_index[a["category_id"]] for a in keep], np.int64),
            img=np.array([image_index[a["image_id"]] for a in keep], np.int64),
            score=np.array([a["score"] if with_score else 0.0 for a in keep], np.float64),
            area=np.array([a["area"] for a in keep], np.float64),
            crowd=np.array([bool(a.get("iscrowd", 0)) for a in keep], np.bool_))

    gt, dt = table(ev.cocoGt, False), table(ev.cocoDt, True)
    n_img = len(image_index)
    g_order = np.lexsort((gt["img"], gt["cat"]))  # stable: annotation order inside a pair
    d_order = np.lexsort((-dt["score"], dt["img"], dt["cat"]))  # stable mergesort by score inside a pair
    d_pair = dt["cat"][d_order] * n_img + dt["img"][d_order]
    first = np.searchsorted(d_pair, d_pair)  # start of each detection's pair
    d_order = d_order[np.arange(len(d_order)) - first < max_dets]
    d_pair, g_pair = dt["cat"][d_order] * n_img + dt["img"][d_order], gt["cat"][g_order] * n_img + gt["img"][g_order]
    pairs = np.union1d(d_pair, g_pair)
    dt_ptr, gt_ptr = np.searchsorted(d_pair, pairs), np.searchsorted(g_pair, pairs)
    dt_ptr, gt_ptr = np.append(dt_ptr, len(d_pair)), np.append(gt_ptr, len(g_pair))
    img_ids, cat_ids = list(image_index), list(cat_index)
    blocks, iou_ptr, at = [], np.zeros(len(pairs) + 1, np.int64), 0
    for k, pair in enumerate(pairs):
        iou_ptr[k] = at
        if dt_ptr[k + 1] > dt_ptr[k] and gt_ptr[k + 1] > gt_ptr[k]:
            block = np.asarray(ev.computeIoU(img_ids[pair % n_img], cat_ids[pair // n_img]), np.float64)
            blocks.append(block.reshape(-1))
            at += block.size
    iou_ptr[-1] = at
    return dict(pairs=pairs, dt_ptr=dt_ptr, dt_score=dt["score"][d_order], dt_area=dt["area"][d_order],
                gt_ptr=gt_ptr, gt_area=gt["area"][g_order], gt_crowd=gt["crowd"][g_order],
                iou_ptr=iou_ptr, ious=np.concatenate(blocks) if blocks else np.zeros(0))
