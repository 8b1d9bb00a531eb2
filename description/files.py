"""The files a Variant names exist: the detector's mmdet config, a real dataset's layout, a
``load_from`` checkpoint. Checked without importing torch or mmdet, before anything starts."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from description.variant import SYNTHETIC_LIMITS, DatasetConf, Variant


def mmdet_config_path(relative: str) -> Path:
    """Absolute path of a config shipped inside the mmdet package (``mmdet/.mim/configs``);
    found without importing mmdet, so up-front validation stays fast."""
    package = Path(importlib.util.find_spec("mmdet").origin).parent
    path = package / ".mim" / "configs" / relative
    if not path.is_file():
        raise ValueError(f"detector.mmdet_config: {relative!r} is not a config shipped with mmdet")
    return path


def check_dataset(dataset: DatasetConf) -> None:
    """One-line ``ValueError`` naming the field: the synthetic dataset's sizes out of range
    (it is generated on first use), or a real dataset's files missing or unreadable."""
    if dataset.name == "synthetic":
        for name, (_, low, high) in SYNTHETIC_LIMITS.items():
            value = getattr(dataset, name)
            if not low <= value <= high:
                raise ValueError(f"dataset.{name}: {value} must be in {low}..{high} "
                                 "for the synthetic dataset")
        return
    root = Path(dataset.data_root)
    if not root.is_dir():
        raise ValueError(f"dataset.data_root: {root} does not exist or is not a directory")
    for field in ("train_ann", "val_ann", "train_img", "val_img"):
        path = root / getattr(dataset, field)
        if not path.exists() or not os.access(path, os.R_OK):
            raise ValueError(f"dataset.{field}: {path} is missing or unreadable")


def check_files(variant: Variant) -> None:
    """Every file ``variant`` names exists (one-line ``ValueError`` naming the field if not)."""
    mmdet_config_path(variant.detector.mmdet_config)
    check_dataset(variant.dataset)
    load_from = variant.schedule.load_from
    if load_from and not Path(load_from).is_file():
        raise ValueError(f"schedule.load_from: {load_from} does not exist")
