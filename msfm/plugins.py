"""Pure-data side of MSFM: the typed variant and its translation to mmdet ``backbone.plugins``.

Nothing here imports torch or mmdet, so configs can be validated and planned cheaply.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

POSITIONS = ("after_conv1", "after_conv2", "after_conv3")
CONV_NUMS = ("1", "2", "2*")
FUSION_TYPES = ("add", "cat")
STAGES = (2, 3, 4)  # paper's ResNet stages = mmdet's layer2..layer4
STAGE_PLANES = {2: 128, 3: 256, 4: 512}  # ResNet-50/101 bottleneck planes per stage
EXPANSION = 4  # bottleneck output channels = 4 * planes


@dataclass
class MSFMSpec:
    """One MSFM variant, in the paper's terms."""

    enabled: bool = True  # false = the baseline detector without MSFM
    position: List[str] = field(default_factory=lambda: ["after_conv3"])  # bottleneck positions
    scales: List[float] = field(default_factory=lambda: [0.5, 0.7, 1.0])  # branch resize factors
    ratios: List[int] = field(default_factory=lambda: [16, 32, 64])  # squeeze ratio, stages 2/3/4
    norm_group: Dict[str, int] = field(  # GroupNorm groups per position
        default_factory=lambda: {p: 16 for p in POSITIONS}
    )
    conv_num: str = "1"  # CGN ops per branch: 1, 2 or 2* (2 only on branches with scale > 1)
    fusion_type: str = "add"  # add | cat


def channels_at(stage: int, position: str) -> int:
    """Channels of a ResNet bottleneck of ``stage`` at ``position``."""
    planes = STAGE_PLANES[stage]
    return planes * EXPANSION if position == "after_conv3" else planes


def validate_spec(spec: MSFMSpec) -> None:
    """Raise ``ValueError`` with a one-line message naming the field if ``spec`` is invalid."""
    if not spec.enabled:
        return
    if not spec.position:
        raise ValueError(f"msfm.position: must name at least one of {', '.join(POSITIONS)}")
    for p in spec.position:
        if p not in POSITIONS:
            raise ValueError(f"msfm.position: unknown position {p!r}; allowed: {', '.join(POSITIONS)}")
    if len(set(spec.position)) != len(spec.position):
        raise ValueError(f"msfm.position: positions repeat in {list(spec.position)}")
    if not spec.scales or any(s <= 0 for s in spec.scales):
        raise ValueError(f"msfm.scales: {list(spec.scales)} must be a non-empty list of numbers > 0")
    if len(spec.ratios) != len(STAGES):
        raise ValueError(f"msfm.ratios: {list(spec.ratios)} must give one ratio per stage 2, 3, 4")
    if str(spec.conv_num) not in CONV_NUMS:
        raise ValueError(f"msfm.conv_num: {spec.conv_num!r} is not one of {', '.join(CONV_NUMS)}")
    if spec.fusion_type not in FUSION_TYPES:
        raise ValueError(f"msfm.fusion_type: {spec.fusion_type!r} is not one of {', '.join(FUSION_TYPES)}")
    for p in spec.position:
        if p not in spec.norm_group:
            raise ValueError(f"msfm.norm_group: no group count for position {p}")
        for stage, ratio in zip(STAGES, spec.ratios):
            c = channels_at(stage, p)
            if ratio <= 0 or c % ratio:
                divisors = [d for d in (1, 2, 4, 8, 16, 32, 64, 128, 256) if c % d == 0]
                raise ValueError(f"msfm.ratios: {ratio} at stage {stage} {p} must divide its {c} "
                                 f"channels; allowed: {divisors}")
            branch = c // ratio
            g = spec.norm_group[p]
            if g <= 0 or branch % g:
                allowed = [d for d in range(1, branch + 1) if branch % d == 0]
                raise ValueError(f"msfm.norm_group: {g} at stage {stage} {p} must divide the "
                                 f"{branch} branch channels ({c} / ratio {ratio}); allowed: {allowed}")


def to_plugins(spec: MSFMSpec) -> list[dict]:
    """Translate ``spec`` into mmdet ResNet ``plugins``: one dict per (position, stage).

    One dict per stage because a plugin dict's ``cfg`` is shared by every stage it selects
    (ratios differ per stage); a ``postfix`` per position because mmcv names plugin layers
    after the class, and two MSFMs in one bottleneck would otherwise collide.
    """
    if not spec.enabled:
        return []
    plugins = []
    for position in spec.position:
        for stage, ratio in zip(STAGES, spec.ratios):
            cfg = dict(
                type="MSFM",
                ratio=int(ratio),
                scales=[float(s) for s in spec.scales],
                norm_group=int(spec.norm_group[position]),
                conv_num=str(spec.conv_num),
                fusion_type=spec.fusion_type,
                stage=stage,
                position=position,
                postfix=f"_{position}",
            )
            stages = tuple(s == stage for s in (1, *STAGES))
            plugins.append(dict(cfg=cfg, stages=stages, position=position))
    return plugins
