"""mmdet's COCO metric that also keeps a variant's val detections beside its record,
``<results_dir>/<key>.dets.npz`` (the format is ``stats/detections.py``; ``docs/detections.md``).

``DetectionsCocoMetric`` is mmdet's ``CocoMetric`` that writes the artifact (atomically) every
time it evaluates, exactly what COCOeval saw; ``runner_config`` switches it on. After the last
evaluation, ``store_replicates`` stores the run's evidence beside them, ``<key>.reps.npz``.
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


def store_replicates(detections_file) -> str | None:
    """Right after evaluation, on rank 0: the run's APs under the standard paired resamples of
    its val set (bbox and, with masks, segm; ``stats.replicates``), stored beside its detections
    as ``<key>.reps.npz`` so no later look recomputes them. Returns the file's name (relative to
    the results dir, as the record keeps it), or None if there are no detections or the evidence
    could not be made (said in one line; the look that needs it computes it then)."""
    import logging
    from pathlib import Path

    from stats.replicates import store_run

    if not Path(detections_file).is_file():
        return None
    try:
        return store_run(detections_file).name
    except Exception as err:  # noqa: BLE001 - evidence is a by-product: it never fails the trained run
        logging.getLogger(__name__).warning("replicates not stored: %s", " ".join(str(err).split()))
        return None
