"""Parameters and FLOPs of many variants of one detector, fast: one model build per detector.

MSFM is a residual plugin that changes no shape and nothing else in the detector, so a
variant's trainable parameters and FLOPs are exactly the baseline detector's plus those of
its MSFM blocks. We build each baseline once (meta device), record the feature-map shape at
every bottleneck position with forward hooks, and count each MSFM block alone at its shape
(cached by block signature). ``tests/sweeps/test_plan.py`` holds this to the full build
(``model_stats.model_stats``) exactly.
"""
from __future__ import annotations

import functools
from dataclasses import replace

from spec.msfm import MSFMSpec, to_plugins
from spec.variant import Variant

POSITION_CONV = {"after_conv1": "conv1", "after_conv2": "conv2", "after_conv3": "conv3"}


_BASELINES: dict = {}  # (baseline key, width, height) -> _baseline(...)


def _baseline(baseline: Variant, width: int, height: int):
    """(params, GFLOPs, {(stage index, position): [(C, H, W) per block]}) of a baseline."""
    import torch

    from training.model_stats import count_gflops, count_params, paper_model

    model = paper_model(baseline)
    sites: dict = {}
    hooks = []
    backbone = model.backbone
    for stage, name in enumerate(getattr(backbone, "res_layers", [])):
        for block in getattr(backbone, name):
            for position, conv in POSITION_CONV.items():
                if isinstance(getattr(block, conv, None), torch.nn.Module):
                    def hook(_m, _i, out, key=(stage, position)):
                        sites.setdefault(key, []).append(tuple(out.shape[1:]))
                    hooks.append(getattr(block, conv).register_forward_hook(hook))
    try:
        gflops = count_gflops(model, width, height)
    finally:
        for h in hooks:
            h.remove()
    return count_params(model), gflops, sites


@functools.lru_cache(maxsize=None)
def _block(channels: int, height: int, width: int, cfg: tuple) -> tuple[int, float]:
    """(params, GFLOPs) of one MSFM block at a (channels, height, width) feature map."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from msfm.layer import MSFM

    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in cfg}
    with torch.device("meta"):
        block = MSFM(channels, **kwargs)
        x = torch.zeros(1, channels, height, width)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        block(x)
    return sum(p.numel() for p in block.parameters()), counter.get_total_flops() / 2 / 1e9


def planned_stats(variant: Variant, width: int = 1333, height: int = 800) -> tuple[int, float]:
    """(paper parameters, GFLOPs) of ``variant``, equal to ``model_stats.model_stats``."""
    baseline = replace(variant, msfm=MSFMSpec(enabled=False), seed=0)
    cache_key = (baseline.key(), width, height)
    if cache_key not in _BASELINES:
        _BASELINES[cache_key] = _baseline(baseline, width, height)
    params, gflops, sites = _BASELINES[cache_key]
    for plugin in to_plugins(variant.msfm):
        cfg = {k: v for k, v in plugin["cfg"].items() if k not in ("type", "postfix")}
        signature = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in cfg.items()))
        stage = plugin["stages"].index(True)
        for c, h, w in sites.get((stage, plugin["position"]), []):
            p, f = _block(c, h, w, signature)
            params, gflops = params + p, gflops + f
    return params, gflops
