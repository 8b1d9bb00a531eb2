"""Variant -> mmengine ``Config``: mmdet's own model-zoo config plus MSFM, data and schedule."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from description.backbone import needs_two_images
from description.files import mmdet_config_path
from description.msfm_spec import to_plugins
from description.variant import Variant

RESIZES = ("Resize", "RandomResize", "RandomChoiceResize")  # mmdet's resizing transforms


def _set_key(node: Any, key: str, value: Any) -> None:
    """Set ``key`` to ``value`` everywhere in a nested dict/list (e.g. every head's num_classes)."""
    if isinstance(node, dict):
        for k in list(node):
            if k == key:
                node[k] = value
            else:
                _set_key(node[k], key, value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _set_key(item, key, value)


def sync_bn_to_bn(node: Any) -> None:
    """Every ``SyncBN`` norm in a nested config becomes ``BN``: torch's SyncBatchNorm refuses
    CPU tensors in distributed training (gloo). What mmengine's ``revert_sync_batchnorm`` does
    to a single-process model, done to the config, before the model is built."""
    if isinstance(node, dict):
        if node.get("type") == "SyncBN":
            node["type"] = "BN"
        for value in node.values():
            sync_bn_to_bn(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            sync_bn_to_bn(item)


def model_config(variant: Variant):
    """The full mmengine Config of ``variant``'s detector with MSFM plugins and head sizes."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(mmdet_config_path(variant.detector.mmdet_config)))
    cfg.custom_imports = dict(imports=["msfm.layer"], allow_failed_imports=False)
    for backbone in backbones(cfg.model):
        backbone.plugins = to_plugins(variant.msfm) or None
        if not variant.schedule.pretrained:
            backbone.init_cfg = None
            if "pretrained" in backbone:
                backbone.pretrained = None
            backbone.frozen_stages = -1  # from scratch: train the stem too
            backbone.norm_cfg = dict(type="BN", requires_grad=True)
    _set_key(cfg.model, "num_classes", variant.dataset.num_classes)
    return cfg


def baseline_model(variant: Variant):
    """The model config of ``variant``'s detector without MSFM (what paired seeds share)."""
    from dataclasses import replace

    from description.msfm_spec import MSFMSpec

    return model_config(replace(variant, msfm=MSFMSpec(enabled=False))).model


def backbones(model) -> list:
    """The backbone configs of an mmdet ``model`` config: its backbone, and the backbone that
    DetectoRS' recursive feature pyramid (``RFP``) runs again on each unrolled step, which is
    the same network and gets the same MSFM plugins."""
    neck = model.get("neck")
    rfp = neck.get("rfp_backbone") if isinstance(neck, dict) else None
    return [model.backbone, *([rfp] if rfp else [])]


def training_config(variant: Variant, data_root: str, work_dir: str,
                    classes: Optional[list] = None):
    """``model_config`` plus dataset, schedule, checkpointing and seed: ready for ``Runner``."""
    cfg = model_config(variant)
    cfg.work_dir = work_dir
    _set_data(cfg, variant, data_root, classes)
    _set_schedule(cfg, variant)
    cfg.randomness = dict(seed=variant.seed, deterministic=False)
    return cfg


def _set_data(cfg, variant: Variant, data_root: str, classes: Optional[list]) -> None:
    d, s = variant.dataset, variant.schedule
    root = str(Path(data_root)) + "/"
    metainfo = dict(classes=tuple(classes)) if classes else None
    scale = tuple(s.img_scale)
    for loader, ann, img in (("train_dataloader", d.train_ann, d.train_img),
                             ("val_dataloader", d.val_ann, d.val_img),
                             ("test_dataloader", d.val_ann, d.val_img)):
        if cfg[loader].dataset.type == "RepeatDataset":  # ms-3x configs: the schedule sets epochs
            cfg[loader].dataset = cfg[loader].dataset.dataset
        ds = cfg[loader].dataset
        ds.data_root, ds.ann_file, ds.data_prefix = root, ann, dict(img=img)
        if metainfo:
            ds.metainfo = metainfo
        resize = dict(type="Resize", scale=scale, keep_ratio=True)
        if loader == "train_dataloader" and s.multiscale_short:
            lo, hi = s.multiscale_short
            resize = dict(type="RandomResize", scale=[(scale[0], lo), (scale[0], hi)],
                          keep_ratio=True)
        # the schedule sets the image size: a config's own multi-scale resizing (ResNeSt's
        # ms-range, RegNet's ms-3x) is replaced too, or a smoke run trains at 1333 x 800
        ds.pipeline = [resize if p["type"] in RESIZES else p for p in ds.pipeline]
    cfg.train_dataloader.batch_size = s.images_per_gpu
    cfg.train_dataloader.sampler.seed = variant.seed  # data order follows the seed alone
    if needs_two_images(variant.detector.mmdet_config):  # never a last batch of one image
        cfg.train_dataloader.batch_sampler = dict(
            cfg.train_dataloader.get("batch_sampler") or dict(type="AspectRatioBatchSampler"),
            drop_last=True)
    for key in ("val_evaluator", "test_evaluator"):
        cfg[key].ann_file = root + d.val_ann
        cfg[key].metric = ["bbox", "segm"] if variant.detector.with_mask else "bbox"


def _set_schedule(cfg, variant: Variant) -> None:
    s = variant.schedule
    cfg.train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=s.epochs, val_interval=s.val_interval)
    cfg.optim_wrapper.optimizer = dict(type="SGD", lr=s.lr, momentum=s.momentum,
                                       weight_decay=s.weight_decay)
    cfg.param_scheduler = [
        dict(type="LinearLR", start_factor=s.warmup_ratio, by_epoch=False, begin=0,
             end=s.warmup_iters),
        dict(type="MultiStepLR", begin=0, end=s.epochs, by_epoch=True,
             milestones=list(s.milestones), gamma=0.1),
    ]
    # mmengine rescales lr by (world size x images per GPU) / base_batch_size: mmdet's linear rule
    cfg.auto_scale_lr = dict(enable=True, base_batch_size=s.base_batch_size)
    if s.clip_grad:
        cfg.optim_wrapper.clip_grad = dict(max_norm=s.clip_grad, norm_type=2)
    rcnn = cfg.model.get("train_cfg", {}).get("rcnn")
    if s.rcnn_sample_num and rcnn:
        _set_key(rcnn, "num", s.rcnn_sample_num)  # the RoI sampler of every R-CNN stage
    cfg.default_hooks.checkpoint = dict(type="CheckpointHook", interval=s.checkpoint_interval,
                                        max_keep_ckpts=2, save_last=True)
    cfg.load_from = s.load_from
