"""The straightforward MSFM (the implementation before optimisation), kept as the reference.

``bench_msfm_module`` times it next to ``msfm.layer.MSFM`` in the same run, and
``tests/msfm/test_layer_reference.py`` holds the optimised layer to its outputs (1e-5, float32)
for every option. Same parameters and state-dict keys: load one's state dict into the other.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from msfm.cost import branch_depth
from msfm.layer import CGN


def _resize(x: torch.Tensor, size) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ReferenceBranch(nn.Module):
    """F_k: resize by ``scale``, CGN ops, resize back."""

    def __init__(self, channels: int, scale: float, depth: int, norm_group: int) -> None:
        super().__init__()
        self.scale = scale
        self.cgn = nn.Sequential(*(CGN(channels, norm_group) for _ in range(depth)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        scaled = (max(1, round(h * self.scale)), max(1, round(w * self.scale)))
        return _resize(self.cgn(_resize(x, scaled)), (h, w))


class ReferenceMSFM(nn.Module):
    """MSFM as first written: every branch's output kept, then ``stack(...).sum(0)``."""

    def __init__(self, in_channels: int, ratio: int = 16, scales: Sequence[float] = (0.5, 0.7, 1.0),
                 norm_group: int = 16, conv_num: int | str = 1, fusion_type: str = "add") -> None:
        super().__init__()
        channels = in_channels // ratio
        self.scales = tuple(float(s) for s in scales)
        self.fusion_type = fusion_type
        self.squeeze = nn.Conv2d(in_channels, channels, 1)
        self.branches = nn.ModuleList(
            ReferenceBranch(channels, s, branch_depth(conv_num, s), norm_group) for s in self.scales)
        fused = channels * len(self.scales) if fusion_type == "cat" else channels
        self.unsqueeze = nn.Conv2d(fused, in_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.squeeze(x)
        outs = [branch(a) for branch in self.branches]
        fused = torch.cat(outs, dim=1) if self.fusion_type == "cat" else torch.stack(outs).sum(0)
        return x + self.unsqueeze(fused)
