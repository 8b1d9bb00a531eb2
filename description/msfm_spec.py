"""The MSFM spec in the paper's terms, its validation and its mmdet plugin translation.

:func:`validate_spec` applies the single rule for one MSFM block (``msfm.block_rule.check_block``:
ratio divides the channels, groups divide the branch channels, ...) to every stage and position
before anything is built; the layer (``msfm/layer.py``) calls the same rule on construction.
The rule lives in ``msfm/`` (torch-free) because ``msfm`` is the one installed package.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional

from description.domain import check_domains, value
from msfm.block_rule import CONV_NUMS, FUSION_TYPES, BlockError, check_block

KNOBS = ("position", "scales", "ratios", "norm_group", "conv_num", "fusion_type")  # the paper's six
POSITIONS = ("after_conv1", "after_conv2", "after_conv3")
STAGES = (2, 3, 4)  # paper's ResNet stages = mmdet's layer2..layer4
STAGE_PLANES = {2: 128, 3: 256, 4: 512}  # ResNet-50/101 bottleneck planes per stage
EXPANSION = 4  # bottleneck output channels = 4 * planes

Channels = Mapping[tuple, int]  # (stage, position) -> channels at that insertion point


MAX_SCALE = 4.0  # a branch at scale s holds s^2 x the block's activations: 16x at 4
MIN_SCALE = 0.1  # below this, stage 4's map (1/32 of the image) shrinks under one pixel


@dataclass
class MSFMSpec:
    """One MSFM variant, in the paper's terms (each field's domain beside it)."""

    enabled: bool = value(True, kind=bool)  # false = the baseline detector without MSFM
    position: List[str] = value(["after_conv3"], kind=list, item=str, choices=POSITIONS,
                                lengths=(1, 2, 3), unique=True)  # bottleneck positions
    scales: List[float] = value(  # branch resize factors
        [0.5, 0.7, 1.0], kind=list, item=float, low=MIN_SCALE, high=MAX_SCALE,
        lengths=tuple(range(1, 9)), why="a branch at scale s holds s^2 x the block's "
        "activations; 8 branches at most")
    ratios: List[int] = value([16, 32, 64], kind=list, item=int, low=1, high=512,
                              lengths=(3,))  # squeeze ratio per stage 2/3/4
    norm_group: Dict[str, int] = value(  # GroupNorm groups per position
        {p: 16 for p in POSITIONS}, kind=dict, item=int, low=1, high=512, keys=POSITIONS)
    conv_num: str = value("1", kind=str, choices=CONV_NUMS)  # CGN ops per branch (2*: scale > 1 only)
    fusion_type: str = value("add", kind=str, choices=FUSION_TYPES)


def channels_at(stage: int, position: str) -> int:
    """Channels of a ResNet-50/101 bottleneck of ``stage`` at ``position``."""
    planes = STAGE_PLANES[stage]
    return planes * EXPANSION if position == "after_conv3" else planes


RESNET50_CHANNELS: Channels = {(s, p): channels_at(s, p) for s in STAGES for p in POSITIONS}
_SPEC_FIELD = {"ratio": "ratios", "scales": "scales", "norm_group": "norm_group",
               "conv_num": "conv_num", "fusion_type": "fusion_type"}


def validate_spec(spec: MSFMSpec, channels: Optional[Channels] = None) -> None:
    """Raise ``ValueError`` with a one-line message naming the field if ``spec`` is invalid.

    ``channels`` maps (stage, position) to the backbone's channels there (default: ResNet-50).
    """
    if not spec.enabled:
        return
    check_domains(spec, "msfm.")
    channels = channels or RESNET50_CHANNELS
    for p in spec.position:
        if p not in spec.norm_group:
            raise ValueError(f"msfm.norm_group: no group count for position {p}")
        for stage, ratio in zip(STAGES, spec.ratios):
            try:
                check_block(channels[(stage, p)], ratio, spec.scales, spec.norm_group[p],
                            spec.conv_num, spec.fusion_type)
            except BlockError as e:
                raise ValueError(f"msfm.{_SPEC_FIELD[e.field]}: at stage {stage} {p}, {e}") from None


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
