"""The Variant: the single source of truth for what a run *is*, and its stable key.

Plain dataclasses (also used as the Hydra schema in ``sweeps/schema.py``): the MSFM
hyperparameters, detector, dataset, schedule and seed. Validation lives here so that
``plan``, ``run``, SLURM submission and search refuse the same bad inputs alike.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import List, Optional

from spec.msfm import Channels, MSFMSpec, validate_spec


# The synthetic dataset's limits, one table for the up-front check and the generator:
# field of DatasetConf -> (generator argument, lowest, highest). 6 = the generator's classes.
SYNTHETIC_LIMITS = {
    "num_train_images": ("num_train", 1, 100000),
    "num_val": ("num_val", 1, 100000),
    "image_size": ("image_size", 64, 1024),
    "num_classes": ("num_classes", 1, 6),
}


@dataclass
class DetectorConf:
    """A detector from mmdet's shipped model zoo."""

    name: str = "faster_rcnn_r50_fpn"  # our name for it (tables, run names)
    mmdet_config: str = "faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"  # in mmdet/.mim/configs
    with_mask: bool = False  # instance segmentation head (Mask R-CNN): segm metrics too


@dataclass
class DatasetConf:
    """A COCO-format dataset."""

    name: str = "synthetic"  # synthetic | coco
    data_root: str = "data/synthetic"  # dataset directory (synthetic: the cache root)
    train_ann: str = "annotations/instances_train.json"  # relative to data_root
    train_img: str = "train/"  # image prefix relative to data_root
    val_ann: str = "annotations/instances_val.json"
    val_img: str = "val/"
    classes: List[str] = field(default_factory=list)  # empty = the annotation file's categories
    num_classes: int = 80  # detector head size
    num_train_images: int = 118287  # for cost estimates
    num_val: int = 16  # synthetic only: validation images
    image_size: int = 160  # synthetic only: image side in pixels


@dataclass
class ScheduleConf:
    """Optimiser and training length, following mmdet's 1x conventions."""

    name: str = "1x"
    epochs: int = 12
    milestones: List[int] = field(default_factory=lambda: [8, 11])  # lr x0.1 at these epochs
    lr: float = 0.02  # for base_batch_size images per step (linear scaling otherwise)
    base_batch_size: int = 16  # 8 GPUs x 2 images, as in the paper
    images_per_gpu: int = 2
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup_iters: int = 500
    warmup_ratio: float = 0.001
    img_scale: List[int] = field(default_factory=lambda: [1333, 800])  # max long, short side
    multiscale_short: List[int] = field(default_factory=list)  # e.g. [480, 960]: multi-scale
    val_interval: int = 12  # epochs between evaluations
    checkpoint_interval: int = 1  # epochs between checkpoints (resume granularity)
    clip_grad: Optional[float] = None  # max gradient norm (from-scratch CPU runs need it)
    rcnn_sample_num: Optional[int] = None  # RoIs sampled per image in R-CNN heads (mmdet: 512)
    pretrained: bool = True  # ImageNet-initialised backbone (as in the paper's configs)
    load_from: Optional[str] = None  # local checkpoint to start from


@dataclass
class Variant:
    """Everything that determines a result (and nothing that doesn't: no paths, no launcher)."""

    msfm: MSFMSpec = field(default_factory=MSFMSpec)
    detector: DetectorConf = field(default_factory=DetectorConf)
    dataset: DatasetConf = field(default_factory=DatasetConf)
    schedule: ScheduleConf = field(default_factory=ScheduleConf)
    seed: int = 0

    def validate(self, channels: Optional[Channels] = None) -> "Variant":
        """Raise ``ValueError`` (one line, naming the field) on an invalid variant.

        ``channels``: the backbone's channels per (stage, position); default ResNet-50's.
        """
        validate_spec(self.msfm, channels)
        if self.seed < 0:
            raise ValueError(f"seed: {self.seed} must be >= 0")
        s = self.schedule
        for name in ("epochs", "images_per_gpu", "base_batch_size", "checkpoint_interval", "val_interval"):
            if getattr(s, name) <= 0:
                raise ValueError(f"schedule.{name}: {getattr(s, name)} must be > 0")
        if s.lr <= 0:
            raise ValueError(f"schedule.lr: {s.lr} must be > 0")
        if any(m <= 0 or m > s.epochs for m in s.milestones):
            raise ValueError(f"schedule.milestones: {list(s.milestones)} must lie in 1..{s.epochs}")
        if len(s.img_scale) != 2:
            raise ValueError(f"schedule.img_scale: {list(s.img_scale)} must be [long, short]")
        if self.dataset.num_classes <= 0:
            raise ValueError(f"dataset.num_classes: {self.dataset.num_classes} must be > 0")
        return self

    def key(self) -> str:
        """Stable 16-hex-digit hash of the result-relevant content (the record key)."""
        content = asdict(self)
        if not self.msfm.enabled:  # a baseline is the same run whatever MSFM knobs say
            content["msfm"] = {"enabled": False}
        content["dataset"].pop("data_root")  # where the data lives is not what it is
        blob = json.dumps(content, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
