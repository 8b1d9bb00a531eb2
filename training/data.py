"""Datasets: generate the synthetic one on first use, check a real one's paths up front."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from training.variant import DatasetConf


def check_dataset(dataset: DatasetConf) -> None:
    """One-line ``ValueError`` naming the path if a real dataset's files are not readable."""
    if dataset.name == "synthetic":
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
        return dataset.data_root, list(dataset.classes) or None
    from training.synthetic_coco import class_names, ensure_dataset

    root = ensure_dataset(dataset.data_root, num_train=dataset.num_train_images,
                          num_val=dataset.num_val, image_size=dataset.image_size,
                          num_classes=dataset.num_classes)
    return str(root), list(class_names(dataset.num_classes))
