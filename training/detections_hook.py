"""mmdet's COCO metric that also keeps a variant's val detections beside its record,
``<results_dir>/<key>.dets.npz`` (the format is ``stats/detections.py``; ``docs/detections.md``).

``DetectionsCocoMetric`` is mmdet's ``CocoMetric`` that writes the artifact (atomically) every
time it evaluates, exactly what COCOeval saw; ``runner_config`` switches it on.
"""
from __future__ import annotations

import numpy as np

from stats.detections import write_artifact


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
