"""Datasets: generate the synthetic one on first use, check a real one's annotations in the job."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from description.files import check_dataset
from description.variant import DatasetConf


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
