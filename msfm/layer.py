"""The Multi-Scale Fusion Module (MSFM) as an mmdet ResNet plugin.

    M(x) = x + U( C[ F_1(S(x)), ..., F_n(S(x)) ] )
    F_k(a) = R_k^-1( CGN_k,m( ... CGN_k,1( R_k(a) ) ) )

S squeezes channels by ``ratio`` (1x1 conv), each branch k resizes by ``scales[k]``
(bilinear), applies ``conv_num`` x (3x3 conv -> GroupNorm -> ReLU) and resizes back to
the input's exact H x W; C fuses the branches (``add`` or ``cat``) and U (1x1 conv)
restores the input channels before the residual add.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from msfm.block_rule import BlockError, check_block
from msfm.cost import branch_depth, scaled_size


def resize_to(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of ``x`` (N, C, H, W) to ``size``; a no-op if it already has it."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class CGN(nn.Sequential):
    """3x3 conv (padding 1, same channels) -> GroupNorm -> ReLU."""

    def __init__(self, channels: int, norm_group: int) -> None:
        super().__init__(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.GroupNorm(norm_group, channels),
            nn.ReLU(inplace=True),
        )


class Branch(nn.Module):
    """One scale branch F_k: resize by ``scale``, CGN ops, resize back to the input size."""

    def __init__(self, channels: int, scale: float, depth: int, norm_group: int) -> None:
        super().__init__()
        self.scale = scale
        self.cgn = nn.Sequential(*(CGN(channels, norm_group) for _ in range(depth)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        y = self.cgn(resize_to(x, scaled_size(h, w, self.scale)))  # (N, c, h*s, w*s)
        return resize_to(y, (h, w))  # (N, c, H, W)


class MSFM(nn.Module):
    """Multi-Scale Fusion Module, inserted into ResNet bottlenecks via ``backbone.plugins``.

    Args:
        in_channels: Channels C of the feature map at the insertion point (passed by
            mmcv's plugin builder).
        ratio: Squeeze ratio; S maps C -> C / ratio channels. Must divide C.
        scales: Resize factor of each branch, all > 0 (0.5 halves H and W, 2 doubles them).
        norm_group: GroupNorm groups; must divide the branch channels C / ratio.
        conv_num: CGN ops per branch: 1, 2 or "2*" (2 on branches with scale > 1, else 1).
        fusion_type: "add" sums the branch outputs, "cat" concatenates them.
        zero_init: Zero-initialise U so M(x) = x at the start: an ImageNet-pretrained
            backbone is unchanged until MSFM learns something.
        stage: ResNet stage (2, 3 or 4), only used in error messages.
        position: Position in the bottleneck, only used in error messages.
    """

    _abbr_ = "msfm"  # mmcv's plugin builder names the layer after this

    def __init__(
        self,
        in_channels: int,
        ratio: int = 16,
        scales: Sequence[float] = (0.5, 0.7, 1.0),
        norm_group: int = 16,
        conv_num: int | str = 1,
        fusion_type: str = "add",
        zero_init: bool = True,
        stage: int | None = None,
        position: str | None = None,
    ) -> None:
        super().__init__()
        where = "".join(
            [f" at stage {stage}" if stage else "", f" {position}" if position else ""]
        )
        try:
            channels = check_block(in_channels, ratio, scales, norm_group, conv_num, fusion_type)
        except BlockError as e:
            raise ValueError(f"MSFM{where}: {e}") from None
        self.scales = tuple(float(s) for s in scales)
        self.fusion_type = fusion_type
        self.squeeze = nn.Conv2d(in_channels, channels, 1)
        self.branches = nn.ModuleList(
            Branch(channels, s, branch_depth(conv_num, s), norm_group) for s in self.scales
        )
        fused = channels * len(self.scales) if fusion_type == "cat" else channels
        self.unsqueeze = nn.Conv2d(fused, in_channels, 1)
        self.zero_init = zero_init
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming init for the convs; U zeroed when ``zero_init`` (M starts as identity)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.GroupNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.zero_init:
            nn.init.zeros_(self.unsqueeze.weight)
            nn.init.zeros_(self.unsqueeze.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.squeeze(x)  # (N, C/r, H, W)
        if self.fusion_type == "cat":
            fused = torch.cat([branch(a) for branch in self.branches], dim=1)  # (N, n*C/r, H, W)
        else:
            fused = _sum(branch(a) for branch in self.branches)  # (N, C/r, H, W)
        return x + self.unsqueeze(fused)  # (N, C, H, W)


def _register(cls: type) -> type:
    """Register ``cls`` as an mmdet plugin. Without an importable mmdet (a GPU machine whose
    mmcv did not build: mmdet imports mmcv) the layer stays usable on its own, unregistered,
    so the torch-only benchmarks still run; anything that builds a detector needs mmdet anyway."""
    try:
        from mmdet.registry import MODELS
    except ImportError:
        return cls
    return MODELS.register_module(module=cls)


_register(MSFM)


def _sum(tensors) -> torch.Tensor:
    """Sum without materialising a stack: the first addition makes a fresh tensor that no
    backward needs, so later branches accumulate into it in place. (A branch's own output
    may be saved for backward, e.g. by ReLU, so it is never written to.)"""
    it = iter(tensors)
    total = next(it)
    for i, t in enumerate(it):
        total = total + t if i == 0 else total.add_(t)
    return total

