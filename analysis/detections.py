"""Read a variant's stored detections (``<key>.dets.npz``, written by ``training/detections.py``;
format in ``docs/detections.md``) and the ground truth they were evaluated against."""
from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

FORMAT = "msfm-detections/1"


class ArtifactError(ValueError):
    """A detections artifact that is missing, unreadable, or whose ground truth is gone or changed."""


@dataclass
class Detections:
    """One variant's val detections, in the order COCOeval saw them within an (image, class)."""

    path: Path
    ann_file: str
    ann_sha256: str
    img_ids: np.ndarray
    image_id: np.ndarray
    category_id: np.ndarray
    bbox_xyxy: np.ndarray  # float32, exactly the model's output
    score: np.ndarray  # float32
    masks: list[dict] | None  # RLE dicts, Mask R-CNN only
    mask_score: np.ndarray | None = None  # float32, only for models that score masks separately

    def __len__(self) -> int:
        return len(self.score)

    def bbox_xywh(self) -> np.ndarray:
        """COCO boxes, computed as mmdet's ``xyxy2xywh`` does (float64 differences)."""
        b = self.bbox_xyxy.astype(np.float64)
        return np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1)

    def results(self, iou_type: str) -> list[dict]:
        """COCO-format results for ``COCO.loadRes``, as mmdet's ``CocoMetric`` hands them over:
        segm results without their box (so COCO takes the mask's area) and with the mask score
        where the model has one."""
        if iou_type == "segm" and self.masks is None:
            raise ArtifactError(f"{self.path.name}: no masks stored, cannot evaluate segm")
        if iou_type == "bbox":
            rows = zip(self.image_id.tolist(), self.category_id.tolist(), self.score.tolist(),
                       self.bbox_xywh().tolist())
            return [dict(image_id=i, category_id=c, score=s, bbox=b) for i, c, s, b in rows]
        scores = self.mask_score if self.mask_score is not None else self.score
        rows = zip(self.image_id.tolist(), self.category_id.tolist(), scores.tolist(), self.masks)
        return [dict(image_id=i, category_id=c, score=s, segmentation=dict(m)) for i, c, s, m in rows]


def _unshuffle(planes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(planes.T).view(np.float32).reshape(-1)


def load_detections(path: str | Path) -> Detections:
    """Read an artifact; ``ArtifactError`` naming the file if it is missing or unreadable."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["format"]) != FORMAT:
                raise ArtifactError(f"{path.name}: format {z['format']!s}, expected {FORMAT}")
            image_id = np.repeat(z["det_images"], z["det_counts"])
            masks = None
            if "mask_counts" in z:
                counts, off = z["mask_counts"].tobytes(), z["mask_offsets"]
                masks = [dict(size=[int(h), int(w)], counts=counts[off[i]:off[i + 1]].decode())
                         for i, (h, w) in enumerate(z["mask_size"])]
            return Detections(
                path=path, ann_file=str(z["ann_file"]), ann_sha256=str(z["ann_sha256"]),
                img_ids=z["img_ids"], image_id=image_id,
                category_id=z["categories"][z["category_index"]],
                bbox_xyxy=_unshuffle(z["bbox_xyxy"]).reshape(-1, 4), score=_unshuffle(z["score"]),
                masks=masks, mask_score=_unshuffle(z["mask_score"]) if "mask_score" in z else None)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        if isinstance(err, ArtifactError):
            raise
        raise ArtifactError(f"{path.name}: unreadable detections ({type(err).__name__}: {err})") from None


def ground_truth(ann_file: str, expected_sha256: str):
    """The annotation file as a faster-coco-eval ``COCO``; ``ArtifactError`` if it is missing
    or its sha256 differs from the one recorded when the detections were evaluated."""
    path = Path(ann_file)
    if not path.is_file():
        raise ArtifactError(f"annotation file {ann_file} is missing: CIs need the val ground truth")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if expected_sha256 and digest != expected_sha256:
        raise ArtifactError(f"annotation file {ann_file} changed since evaluation (sha256 differs)")
    return _load(str(path), digest)


@lru_cache(maxsize=4)
def _load(ann_file: str, digest: str):
    import contextlib
    import io

    from faster_coco_eval import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(ann_file)
