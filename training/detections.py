"""Keep a variant's val detections beside its record: ``<results_dir>/<key>.dets.npz``.

The artifact holds exactly what COCOeval saw (per detection: image, category, box, score,
and the mask RLE for Mask R-CNN) plus the annotation file's path and sha256, so analysis can
recompute COCO AP for any weighting of the val images (``analysis/bootstrap.py``). Format:
``docs/detections.md``. ``DetectionsCocoMetric`` is mmdet's ``CocoMetric`` that also writes
the artifact (atomically) every time it evaluates; ``runner_config`` switches it on.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from results.atomic import open_atomic

FORMAT = "msfm-detections/1"
SUFFIX = ".dets.npz"


def sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def shuffle_bytes(a: np.ndarray) -> np.ndarray:
    """Byte planes of a float32 array (all first bytes, then all second ...): zlib then finds
    the slowly varying exponent bytes, ~25% smaller than the plain floats, losslessly."""
    a = np.ascontiguousarray(a, dtype=np.float32).reshape(-1)
    return a.view(np.uint8).reshape(-1, 4).T.copy()


def write_artifact(path: str | os.PathLike, *, image_id, category_id, bbox_xyxy, score,
                   ann_file: str, img_ids, masks: list[dict] | None = None, mask_score=None) -> Path:
    """Write the detections atomically to ``path`` (temp file + ``os.replace``); return it.

    ``bbox_xyxy`` are the model's float32 corners (COCOeval's xywh is recomputed from them
    exactly as mmdet does); detections are stored grouped by (image, category) in their
    original order within a group, which keeps COCOeval's tie order. ``img_ids``: the images
    the metric evaluated, with or without detections. ``masks``: RLE dicts (Mask R-CNN);
    ``mask_score``: the segm scores where the model scores masks apart from boxes.
    """
    path = Path(path)
    image_id, category_id = np.asarray(image_id, np.int64), np.asarray(category_id, np.int64)
    order = np.lexsort((category_id, image_id))  # stable: keeps the order inside a group
    cats, cat_index = np.unique(category_id, return_inverse=True)
    imgs, counts = np.unique(image_id[order], return_counts=True)
    arrays = dict(
        format=np.array(FORMAT), ann_file=np.array(os.path.abspath(ann_file)),
        ann_sha256=np.array(sha256(ann_file) if Path(ann_file).is_file() else ""),
        img_ids=np.asarray(sorted(int(i) for i in img_ids), np.int64),
        det_images=imgs.astype(np.int64), det_counts=counts.astype(np.int32),
        categories=cats.astype(np.int64), category_index=cat_index[order].astype(np.uint16),
        bbox_xyxy=shuffle_bytes(np.asarray(bbox_xyxy, np.float32).reshape(-1, 4)[order]),
        score=shuffle_bytes(np.asarray(score, np.float32)[order]),
    )
    if masks is not None:
        counts_b = [m["counts"].encode() if isinstance(m["counts"], str) else m["counts"] for m in masks]
        counts_b = [counts_b[i] for i in order]
        arrays.update(
            mask_size=np.asarray([masks[i]["size"] for i in order], np.int32).reshape(-1, 2),
            mask_offsets=np.cumsum([0] + [len(c) for c in counts_b]).astype(np.int64),
            mask_counts=np.frombuffer(b"".join(counts_b), np.uint8),
        )
    if mask_score is not None:
        arrays["mask_score"] = shuffle_bytes(np.asarray(mask_score, np.float32)[order])
    with open_atomic(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def register_metric():
    """Register ``DetectionsCocoMetric`` in mmdet's METRICS (idempotent) and return it."""
    from mmdet.evaluation.metrics import CocoMetric
    from mmdet.registry import METRICS

    if "DetectionsCocoMetric" in METRICS.module_dict:
        return METRICS.module_dict["DetectionsCocoMetric"]

    class DetectionsCocoMetric(CocoMetric):
        """mmdet's ``CocoMetric`` that also keeps its detections in ``detections_file``."""

        def __init__(self, ann_file: str | None = None, *args, detections_file: str | None = None,
                     **kwargs) -> None:
            super().__init__(ann_file, *args, **kwargs)
            self.ann_path, self.detections_file = ann_file, detections_file

        def compute_metrics(self, results: list) -> dict:
            metrics = super().compute_metrics(results)  # img_ids are set by now
            if self.detections_file:
                self._write([pred for _, pred in results])
            return metrics

        def _write(self, preds: list[dict]) -> None:
            n = [len(p["labels"]) for p in preds]
            labels = np.concatenate([np.asarray(p["labels"], np.int64) for p in preds] or [[]])
            masks = mask_score = None
            if preds and all("masks" in p for p in preds):
                masks = [m for p in preds for m in p["masks"]]
            if preds and all("mask_scores" in p for p in preds):
                mask_score = np.concatenate([np.asarray(p["mask_scores"], np.float32) for p in preds])
            write_artifact(
                self.detections_file,
                image_id=np.repeat([p["img_id"] for p in preds], n),
                category_id=np.asarray(self.cat_ids, np.int64)[labels] if len(labels) else labels,
                bbox_xyxy=np.concatenate([np.asarray(p["bboxes"], np.float32).reshape(-1, 4) for p in preds] or [np.zeros((0, 4))]),
                score=np.concatenate([np.asarray(p["scores"], np.float32) for p in preds] or [[]]),
                ann_file=self.ann_path, img_ids=self.img_ids, masks=masks, mask_score=mask_score)

    METRICS.register_module(module=DetectionsCocoMetric)
    return DetectionsCocoMetric
