"""COCO AP for many weightings of the val images at once: the bootstrap's engine.

``coco_ap(matched, weights)`` replays COCOeval's ``accumulate`` + ``summarize`` for every
column of ``weights`` (one weight per val image; an integer weight w means "this image drawn
w times"): per precision-recall curve (category x area range) and IoU threshold, TP/FP
counts are weighted cumulative sums over the score-sorted detections, precision is made
monotone from the right and read at the 101 recall thresholds as COCOeval's searchsorted
does. With all weights 1 the result equals COCOeval's stats (tests hold it to 1e-4).

The kernel walks each curve's detections backwards once per resample chunk (numba, curves
in parallel), so B resamples cost about B/ (SIMD width) passes over the detections instead of
B COCOevals.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from stats.matching import AREAS, IOU_THRESHOLDS, Matched

METRICS = ("AP", "AP50", "AP75", "APs", "APm", "APl")  # COCOeval's stats[0:6], as the tables name them
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, 101)  # COCOeval's recThrs, bit for bit
_EPS = float(np.spacing(1))  # COCOeval: precision = tp / (tp + fp + eps)
CHUNK = 256  # resamples per kernel call: keeps the (thresholds x resamples) state in cache


@njit(parallel=True, cache=True)
def _curve_sums(det_ptr, det_img, tp_bits, fp_bits, gt_ptr, gt_img, gt_count, W, rec_thr, eps, S, npig_out):
    """S[t, c, b]: sum over recall thresholds of curve c's interpolated precision at IoU t."""
    n_curves = det_ptr.shape[0] - 1
    T, B, R = S.shape[0], W.shape[1], rec_thr.shape[0]
    all_t = (1 << T) - 1
    for c in prange(n_curves):
        npig = np.zeros(B)
        for g in range(gt_ptr[c], gt_ptr[c + 1]):
            for b in range(B):
                npig[b] += gt_count[g] * W[gt_img[g], b]
        npig_out[c] = npig
        tp = np.zeros((T, B))
        fp = np.zeros((T, B))
        fp_all = np.zeros(B)  # most detections are FPs at every threshold: count those once
        for d in range(det_ptr[c], det_ptr[c + 1]):
            i = det_img[d]
            if fp_bits[d] == all_t:
                for b in range(B):
                    fp_all[b] += W[i, b]
                continue
            for t in range(T):
                if (tp_bits[d] >> t) & 1:
                    for b in range(B):
                        tp[t, b] += W[i, b]
                elif (fp_bits[d] >> t) & 1:
                    for b in range(B):
                        fp[t, b] += W[i, b]
        env = np.zeros((T, B))
        ri = np.full((T, B), R - 1)
        for t in range(T):  # thresholds above the final recall are never reached: precision 0
            for b in range(B):
                if npig[b] > 0:
                    rc = tp[t, b] / npig[b]
                    while ri[t, b] >= 0 and rec_thr[ri[t, b]] > rc:
                        ri[t, b] -= 1
        for d in range(det_ptr[c + 1] - 1, det_ptr[c] - 1, -1):  # backwards: envelope = running max
            i = det_img[d]
            if fp_bits[d] == all_t:
                for b in range(B):
                    fp_all[b] -= W[i, b]
                continue
            for t in range(T):
                if (tp_bits[d] >> t) & 1:
                    for b in range(B):
                        w = W[i, b]
                        if w == 0 or npig[b] == 0:
                            continue
                        pr = tp[t, b] / (tp[t, b] + fp[t, b] + fp_all[b] + eps)
                        if pr > env[t, b]:
                            env[t, b] = pr
                        tp[t, b] -= w
                        lo = tp[t, b] / npig[b]  # recall just before this detection
                        while ri[t, b] >= 0 and rec_thr[ri[t, b]] > lo:
                            S[t, c, b] += env[t, b]
                            ri[t, b] -= 1
                elif (fp_bits[d] >> t) & 1:
                    for b in range(B):
                        fp[t, b] -= W[i, b]
        for t in range(T):  # recall threshold 0: the first detection, i.e. the global envelope
            for b in range(B):
                if npig[b] > 0:
                    S[t, c, b] += env[t, b] * (ri[t, b] + 1)


def curve_sums(m: Matched, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S, npig): S[t, curve, b] summed interpolated precision, npig[curve, b] weighted GT."""
    n_curves = len(m.det_ptr) - 1
    W = np.ascontiguousarray(weights, dtype=np.float64)
    S = np.zeros((IOU_THRESHOLDS, n_curves, W.shape[1]))
    npig = np.zeros((n_curves, W.shape[1]))
    _curve_sums(m.det_ptr, m.det_img, m.tp_bits, m.fp_bits, m.gt_ptr, m.gt_img, m.gt_count, W,
                RECALL_THRESHOLDS, _EPS, S, npig)
    return S, npig


def coco_ap(m: Matched, weights: np.ndarray) -> np.ndarray:
    """The six COCO APs (x100; NaN where COCOeval says -1) for each weighting: shape (6, B).

    ``weights`` is (images, B), images in ``m.image_ids`` order.
    """
    weights = np.asarray(weights)
    out = np.empty((len(METRICS), weights.shape[1]))
    for lo in range(0, weights.shape[1], CHUNK):
        S, npig = curve_sums(m, weights[:, lo:lo + CHUNK])
        S = S.reshape(IOU_THRESHOLDS, m.categories, len(AREAS), -1) / len(RECALL_THRESHOLDS)
        valid = npig.reshape(m.categories, len(AREAS), -1) > 0
        parts = ((slice(None), 0), (slice(0, 1), 0), (slice(5, 6), 0),
                 (slice(None), 1), (slice(None), 2), (slice(None), 3))
        for row, (ts, a) in enumerate(parts):
            n = valid[:, a].sum(0) * S[ts].shape[0]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[row, lo:lo + CHUNK] = np.where(n > 0, 100 * S[ts, :, a].sum((0, 1)) / n, np.nan)
    return out


def resample_weights(n_images: int, resamples: int, seed: int) -> np.ndarray:
    """(n_images, resamples) image weights: how often each image is drawn (with replacement)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_images, size=(resamples, n_images))
    counts = np.zeros((resamples, n_images), dtype=np.float64)
    np.add.at(counts, (np.arange(resamples)[:, None], draws), 1)
    return counts.T.copy()
