"""A variant's stored detections, ``<key>.dets.npz``: the format's one home. Written (atomically)
by the training side's metric (``training/detections_hook.py``), read here with the ground truth
they were evaluated against. The artifact holds exactly what COCOeval saw (per detection: image,
category, box, score, and the mask RLE for Mask R-CNN) plus the annotation file's path and
sha256, so COCO AP can be recomputed for any weighting of the val images (``stats/bootstrap.py``).
Layout: ``docs/detections.md``."""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from results.atomic import open_atomic, sha256

FORMAT = "msfm-detections/1"
SUFFIX = ".dets.npz"


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
    digest = sha256(path)
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
