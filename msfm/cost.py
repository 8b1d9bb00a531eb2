"""What one MSFM block costs, without torch: its parameters and multiply-adds.

The layer (``msfm/layer.py``) takes its branch depths and resized shapes from here, so the
numbers describe exactly the module that runs; ``tests/msfm/test_cost.py`` holds them to the
real module's parameters and torch's FLOP counter for every option.
"""
from __future__ import annotations

from typing import Sequence


def branch_depth(conv_num: int | str, scale: float) -> int:
    """Number of CGN ops on the branch of ``scale``: ``2*`` means 2 if scale > 1 else 1."""
    conv_num = str(conv_num)
    if conv_num == "2*":
        return 2 if scale > 1 else 1
    return int(conv_num)


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """The (H, W) a branch of ``scale`` works at (rounded, at least 1 x 1)."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def block_params(in_channels: int, ratio: int, scales: Sequence[float], conv_num: int | str,
                 fusion_type: str, **_ignored) -> int:
    """Parameters of one block: S (1x1 + bias), per branch depth x (3x3 conv + GroupNorm
    affine), U (1x1 + bias)."""
    c = in_channels // ratio
    cgn = sum(branch_depth(conv_num, s) for s in scales) * (9 * c * c + 2 * c)
    fused = c * len(scales) if fusion_type == "cat" else c
    return (in_channels * c + c) + cgn + (fused * in_channels + in_channels)


def block_macs(in_channels: int, height: int, width: int, ratio: int, scales: Sequence[float],
               conv_num: int | str, fusion_type: str, **_ignored) -> int:
    """Multiply-adds of one block on one (C, H, W) map: its convolutions, which is what mmdet's
    and torch's FLOP counters count (resizes, norms and additions are not counted)."""
    c = in_channels // ratio
    fused = c * len(scales) if fusion_type == "cat" else c
    total = in_channels * c * height * width + fused * in_channels * height * width
    for s in scales:
        h, w = scaled_size(height, width, s)
        total += branch_depth(conv_num, s) * 9 * c * c * h * w
    return total
