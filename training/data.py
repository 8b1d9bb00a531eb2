"""Datasets: generate the synthetic one on first use, check a real one's paths up front."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from training.variant import DatasetConf


def check_dataset(dataset: DatasetConf) -> None:
    """One-line ``ValueError`` naming the field: synthetic sizes out of range, or a real
    dataset's files missing or unreadable."""
    if dataset.name == "synthetic":
        from training.synthetic_coco import CLASSES

        for field, low, high in (("num_train_images", 1, 100000), ("num_val", 1, 100000),
                                 ("image_size", 64, 1024), ("num_classes", 1, len(CLASSES))):
            value = getattr(dataset, field)
            if not low <= value <= high:
                raise ValueError(f"dataset.{field}: {value} must be in {low}..{high} for the synthetic dataset")
        return
    root = Path(dataset.data_root)
    if not root.is_dir():
        raise ValueError(f"dataset.data_root: {root} does not exist or is not a directory")
    for field in ("train_ann", "val_ann", "train_img", "val_img"):
        path = root / getattr(dataset, field)
        if not path.exists() or not os.access(path, os.R_OK):
            raise ValueError(f"dataset.{field}: {path} is missing or unreadable")


def prepare_dataset(dataset: DatasetConf) -> tuple[str, Optional[list]]:
    """(data root, class names or None for the annotation file's own) ready for training."""
    check_dataset(dataset)
    if dataset.name != "synthetic":
        for field in ("val_ann", "train_ann"):  # parsed here, in the job, not at submission
            check_annotations(Path(dataset.data_root) / getattr(dataset, field), f"dataset.{field}")
        return dataset.data_root, list(dataset.classes) or None
    from training.synthetic_coco import class_names, ensure_dataset

    root = ensure_dataset(dataset.data_root, num_train=dataset.num_train_images,
                          num_val=dataset.num_val, image_size=dataset.image_size,
                          num_classes=dataset.num_classes)
    return str(root), list(class_names(dataset.num_classes))


def check_annotations(path: Path, field: str) -> None:
    """One-line ``ValueError`` naming ``path`` unless it is a COCO annotation JSON."""
    import json

    try:
        data = json.loads(path.read_bytes())
        missing = [k for k in ("images", "annotations", "categories") if k not in data]
    except (OSError, ValueError) as e:
        raise ValueError(f"{field}: {path} is not valid COCO JSON: {' '.join(str(e).split())}") from None
    if missing:
        raise ValueError(f"{field}: {path} is not COCO annotations (missing {', '.join(missing)})")
