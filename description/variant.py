"""The Variant: the single source of truth for what a run *is*, and its stable key.

Plain dataclasses (also used as the Hydra schema in ``sweeps/schema.py``): the MSFM
hyperparameters, detector, dataset, schedule and seed. Validation lives here so that
``plan``, ``run``, SLURM submission and search refuse the same bad inputs alike.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import List, Optional

from description.domain import NAME as NAME_PATTERN
from description.domain import Domain, check_domains, nested, value
from description.msfm_spec import Channels, MSFMSpec, validate_spec

# The synthetic dataset's limits, one table for the up-front check and the generator:
# field of DatasetConf -> (generator argument, lowest, highest). 6 = the generator's classes.
SYNTHETIC_LIMITS = {
    "num_train_images": ("num_train", 1, 100000),
    "num_val": ("num_val", 1, 100000),
    "image_size": ("image_size", 64, 1024),
    "num_classes": ("num_classes", 1, 6),
}


NAME = Domain(str, pattern=NAME_PATTERN)
PATH = Domain(str)  # any non-empty path (whether it exists is checked by description.files)
OPTIONAL_PATH = Domain(str, optional=True)
PIXELS = dict(kind=list, item=int, low=32, high=8192)
COUNT = 10 ** 8  # an upper bound for counts that only a typo exceeds


@dataclass
class DetectorConf:
    """A detector from mmdet's shipped model zoo."""

    name: str = value("faster_rcnn_r50_fpn", NAME)  # our name for it (tables, run names)
    mmdet_config: str = value("faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py", kind=str,
                              pattern=r"\S+\.py")  # in mmdet/.mim/configs
    with_mask: bool = value(False, kind=bool)  # instance segmentation head (segm metrics too)


@dataclass
class DatasetConf:
    """A COCO-format dataset."""

    name: str = value("synthetic", NAME)  # synthetic (generated on first use) | coco | yours
    data_root: str = value("data/synthetic", PATH)  # dataset directory (synthetic: the cache root)
    train_ann: str = value("annotations/instances_train.json", PATH)  # relative to data_root
    train_img: str = value("train/", PATH)  # image prefix relative to data_root
    val_ann: str = value("annotations/instances_val.json", PATH)
    val_img: str = value("val/", PATH)
    classes: List[str] = value([], kind=list, item=str)  # empty = the annotation file's
    num_classes: int = value(80, kind=int, low=1, high=10000)  # detector head size
    num_train_images: int = value(118287, kind=int, low=1, high=COUNT)  # for cost estimates
    num_val: int = value(16, kind=int, low=1, high=SYNTHETIC_LIMITS["num_val"][2])  # synthetic only
    image_size: int = value(160, kind=int, low=SYNTHETIC_LIMITS["image_size"][1],  # synthetic only:
                            high=SYNTHETIC_LIMITS["image_size"][2])  # image side in pixels


@dataclass
class ScheduleConf:
    """Optimiser and training length, following mmdet's 1x conventions."""

    name: str = value("1x", NAME)
    epochs: int = value(12, kind=int, low=1, high=1000)
    milestones: List[int] = value([8, 11], kind=list, item=int, low=1, high=1000)  # lr x0.1
    lr: float = value(0.02, kind=float, low=1e-8, high=10.0)  # for base_batch_size images/step
    base_batch_size: int = value(16, kind=int, low=1, high=65536)  # 8 GPUs x 2 images (paper)
    images_per_gpu: int = value(2, kind=int, low=1, high=1024)
    momentum: float = value(0.9, kind=float, low=0.0, high=0.999)
    weight_decay: float = value(1e-4, kind=float, low=0.0, high=1.0)
    warmup_iters: int = value(500, kind=int, low=0, high=10 ** 6)
    warmup_ratio: float = value(0.001, kind=float, low=1e-6, high=1.0)
    img_scale: List[int] = value([1333, 800], lengths=(2,), **PIXELS)  # max long, short side
    multiscale_short: List[int] = value([], lengths=(0, 2), **PIXELS)  # [480, 960]: multi-scale
    val_interval: int = value(12, kind=int, low=1, high=1000)  # epochs between evaluations
    checkpoint_interval: int = value(1, kind=int, low=1, high=1000)  # resume granularity
    clip_grad: Optional[float] = value(None, kind=float, low=1e-6, high=1e6, optional=True)
    rcnn_sample_num: Optional[int] = value(None, kind=int, low=1, high=100000, optional=True)
    pretrained: bool = value(True, kind=bool)  # ImageNet-initialised backbone (paper's configs)
    load_from: Optional[str] = value(None, OPTIONAL_PATH)  # local checkpoint to start from


@dataclass
class Variant:
    """Everything that determines a result (and nothing that doesn't: no paths, no launcher)."""

    msfm: MSFMSpec = nested(MSFMSpec)
    detector: DetectorConf = nested(DetectorConf)
    dataset: DatasetConf = nested(DatasetConf)
    schedule: ScheduleConf = nested(ScheduleConf)
    seed: int = value(0, kind=int, low=0, high=2 ** 31 - 1)

    def validate(self, channels: Optional[Channels] = None) -> "Variant":
        """Raise ``ValueError`` (one line, naming the field) on an invalid variant: a field
        outside its declared domain, or fields that do not fit together.

        ``channels``: the backbone's channels per (stage, position); default ResNet-50's.
        """
        check_domains(self)
        validate_spec(self.msfm, channels)
        s = self.schedule
        if any(m > s.epochs for m in s.milestones):
            raise ValueError(f"schedule.milestones: {list(s.milestones)} must lie in 1..{s.epochs}")
        return self

    def key(self) -> str:
        """Stable 16-hex-digit hash of the result-relevant content (the record key)."""
        content = asdict(self)
        if not self.msfm.enabled:  # a baseline is the same run whatever MSFM knobs say
            content["msfm"] = {"enabled": False}
        content["dataset"].pop("data_root")  # where the data lives is not what it is
        blob = json.dumps(content, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
