"""Parameters and FLOPs of a variant's real mmdet model, built on the meta device (no data)."""
from __future__ import annotations

import contextlib
import functools
from typing import Iterator

from description.variant import Variant


@functools.lru_cache(maxsize=1)  # registering walks all of mmdet: once per process (~1 s)
def _register() -> None:
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    import msfm.layer  # noqa: F401  (registers MSFM; custom_imports does the same in Runner)


def build_model(variant: Variant, device: str = "meta"):
    """Build ``variant``'s detector with mmdet's registry; ``meta`` allocates no memory."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from training.mmdet_config import model_config

    _register()
    init_default_scope("mmdet")  # cheap; a Runner in this process may have switched scopes

    cfg: Config = model_config(variant)
    with torch.device(device):
        model = MODELS.build(cfg.model)
    # a few modules make tensors with the legacy torch.Tensor(size), which ignores the default
    # device (mmcv's SAConv2d weight_diff, in DetectoRS): bring them along
    return model.to(device)


def count_params(model) -> int:
    """Trainable parameters, the way mmdet's get_flops (and so the paper) counts them."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def paper_model(variant: Variant, device: str = "meta"):
    """``variant``'s detector with mmdet's standard ImageNet set-up (frozen stem, layer1 and
    BN), whatever the run's schedule: the model the paper counts. Freezing changes no FLOPs."""
    from dataclasses import replace

    paper_schedule = replace(variant.schedule, pretrained=True)
    return build_model(replace(variant, schedule=paper_schedule), device)


def paper_params(variant: Variant) -> int:
    """Parameters as the paper reports them (see :func:`paper_model`). Baseline: 41.53M."""
    return count_params(paper_model(variant))


def model_stats(variant: Variant, width: int = 1333, height: int = 800) -> tuple[int, float]:
    """(paper parameters, GFLOPs) of ``variant`` from one model built on the meta device."""
    model = paper_model(variant)
    return count_params(model), count_gflops(model, width, height)


@contextlib.contextmanager
def _deform_convs_as_convs() -> Iterator[None]:
    """Stand in a plain conv for mmcv's deformable convs (no meta kernels); same FLOPs up
    to the bilinear sampling, which fvcore and mmengine do not count either."""
    import torch.nn.functional as F
    from mmcv.ops import deform_conv, modulated_deform_conv, saconv

    def dcn(x, offset, weight, stride, padding, dilation, groups, *_args, **_kw):
        return F.conv2d(x, weight, None, stride, padding, dilation, groups)

    def mdcn(x, offset, mask, weight, bias, stride, padding, dilation, groups, *_args):
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)

    # saconv (DetectoRS' switchable atrous conv) imported deform_conv2d by name
    patched = [(deform_conv, "deform_conv2d", dcn), (saconv, "deform_conv2d", dcn),
               (modulated_deform_conv, "modulated_deform_conv2d", mdcn)]
    saved = [getattr(module, name) for module, name, _ in patched]
    for module, name, stand_in in patched:
        setattr(module, name, stand_in)
    try:
        yield
    finally:
        for (module, name, _), original in zip(patched, saved):
            setattr(module, name, original)


def count_gflops(model, width: int = 1333, height: int = 800) -> float:
    """GFLOPs (multiply-adds, as mmdet reports) of backbone + neck + dense head on one image.

    RoI heads are left out: their cost depends on the proposal count, and MSFM only changes
    the backbone. Runs on the meta device, so a 1333x800 forward costs no compute. Counted in
    eval mode, as mmdet's ``get_flops`` does: a norm over one value per channel (ResNeSt's
    split attention normalises 1x1 pooled features) cannot run in train mode on one image.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    device = next(model.parameters()).device
    x = torch.zeros(1, 3, height, width, device=device)
    head = getattr(model, "rpn_head", None) or getattr(model, "bbox_head", None)
    counter = FlopCounterMode(display=False)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), _deform_convs_as_convs(), counter:
            feats = model.extract_feat(x)
            if head is not None:
                head(feats)
    finally:
        model.train(was_training)
    return counter.get_total_flops() / 2 / 1e9  # torch counts a multiply-add as 2 FLOPs
