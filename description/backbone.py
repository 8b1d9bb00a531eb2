"""The channels MSFM sees inside a detector's backbone, read from its mmdet config.

MSFM is an mmdet backbone *plugin*: it lives inside a ResNet-family bottleneck, after conv1,
conv2 or conv3 of every block of stages 2-4. Its width there depends on the backbone (depth,
``base_channels``, ResNeXt ``groups``/``base_width``, Res2Net ``scales``, RegNet's arch), so the
up-front validation reads the detector's real backbone config, with the formulas of mmdet 3.3's
own blocks, instead of assuming ResNet-50. Nothing is built and torch is not imported (except
for RegNet, whose widths come from mmdet's own generator); one read per config file.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Mapping

from description.msfm_spec import STAGES, Channels

# mmdet backbones whose blocks are mmdet's ``Bottleneck`` (or a subclass that keeps plugins)
RESNET_LIKE = {"ResNet", "ResNetV1d", "DetectoRS_ResNet"}
RESNEXT_LIKE = {"ResNeXt", "DetectoRS_ResNeXt", "ResNeSt"}
PLUGIN_BACKBONES = (*sorted(RESNET_LIKE), *sorted(RESNEXT_LIKE), "Res2Net", "RegNet")
# ResNeSt's split attention normalises 1x1 pooled features over the batch: one image cannot train
BATCH_STATS_BACKBONES = ("ResNeSt",)
BASIC_BLOCK_DEPTHS = (18, 34)
BOTTLENECK_DEPTHS = (50, 101, 152)


@dataclass(frozen=True)
class BackboneChannels:
    """What an MSFM block meets in one backbone: the channels at each (stage, position) and
    the positions where mmdet cannot hold a plugin, each with its reason."""

    name: str  # e.g. "ResNeXt-101 (32x4d)"
    channels: Mapping[tuple, int]  # (stage, position) -> channels there
    refused: Mapping[str, str] = field(default_factory=dict)  # position -> why not
    # ResNeXt/RegNet blocks build their after_conv1/2 plugins for `planes` channels first and
    # replace them: MSFM validates on construction, so it must fit these channels too
    first_built: Mapping[tuple, int] = field(default_factory=dict)


def describe(backbone: Mapping) -> BackboneChannels:
    """The channels an MSFM plugin gets at each stage and position of ``backbone`` (an mmdet
    backbone config dict). ``ValueError`` (the reason, one line) if its blocks cannot hold
    plugins at all: ResNet-18/34 (BasicBlock), non-ResNet backbones, fewer than 4 stages."""
    kind = backbone.get("type", "?")
    kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    if kind.split(".")[-1] not in PLUGIN_BACKBONES:
        raise ValueError(f"its backbone {kind} has no plugin-capable bottleneck blocks; MSFM "
                         f"plugs into {', '.join(PLUGIN_BACKBONES)} (depth 50/101/152)")
    kind = kind.split(".")[-1]
    if kind == "RegNet":
        return _regnet(backbone)
    depth = backbone.get("depth")
    if depth in BASIC_BLOCK_DEPTHS:
        raise ValueError(f"its backbone {kind}-{depth} is built from BasicBlocks, which cannot "
                         "hold plugins (mmdet: 'Not implemented yet'); MSFM needs Bottleneck "
                         "blocks: depth 50, 101 or 152")
    if depth not in BOTTLENECK_DEPTHS:
        raise ValueError(f"its backbone {kind} has depth {depth!r}; mmdet builds 50, 101, 152")
    _check_stages(kind, backbone.get("num_stages", 4))
    base = backbone.get("base_channels", 64)
    planes = {s: base * 2 ** (s - 1) for s in STAGES}  # mmdet: base_channels * 2**i, i = s - 1
    if kind in RESNET_LIKE:
        return _bottleneck(f"{kind}-{depth}", planes, {s: planes[s] for s in STAGES})
    if kind in RESNEXT_LIKE:
        groups, width = backbone.get("groups", 1), backbone.get("base_width", 4)
        inner = {s: _resnext_width(planes[s], groups, width, base) for s in STAGES}
        name = f"{kind}-{depth} ({groups}x{width}d)"
        if kind == "ResNeXt":  # rebuilds its plugins for its inner width
            return _bottleneck(name, planes, inner, first={s: planes[s] for s in STAGES})
        # ResNeSt and DetectoRS_ResNeXt keep the plugins their parent built for `planes`
        return _bottleneck(name, planes, inner, {s: planes[s] for s in STAGES})
    scales, width = backbone.get("scales", 4), backbone.get("base_width", 26)
    inner = {s: int(math.floor(planes[s] * (width / base))) * scales for s in STAGES}
    # Bottle2neck keeps the plugins its parent built for `planes` channels after conv1/conv2
    return _bottleneck(f"Res2Net-{depth} ({width}w{scales}s)", planes, inner,
                       {s: planes[s] for s in STAGES})


def _resnext_width(planes: int, groups: int, base_width: int, base_channels: int) -> int:
    """mmdet's ResNeXt Bottleneck width after conv1/conv2 (resnext.py), float rounding kept."""
    if groups == 1:
        return planes
    return math.floor(planes * (base_width / base_channels)) * groups


def _check_stages(kind: str, num_stages: int) -> None:
    if num_stages != 4:
        raise ValueError(f"its backbone {kind} has {num_stages} stages; MSFM's stages "
                         "2, 3, 4 need all 4")


def _bottleneck(name: str, planes: dict, inner: dict, built: dict | None = None,
                expansion: int = 4, first: dict | None = None) -> BackboneChannels:
    """Channels of a bottleneck whose conv1/conv2 give ``inner`` channels and conv3
    ``expansion * planes``; ``built``: the channels mmdet builds the after_conv1/2 plugins for
    (a position where they differ from the tensor's is refused); ``first``: the channels it
    builds them for before replacing them (ResNeXt)."""
    built = built or inner
    channels, refused, first_built = {}, {}, {}
    for s in STAGES:
        channels[(s, "after_conv1")] = channels[(s, "after_conv2")] = inner[s]
        channels[(s, "after_conv3")] = planes[s] * expansion
        if first and first[s] != inner[s]:
            first_built.update({(s, p): first[s] for p in ("after_conv1", "after_conv2")})
    bad = [s for s in STAGES if built[s] != inner[s]]
    if bad:
        s = bad[0]
        for p in ("after_conv1", "after_conv2"):
            refused[p] = (f"mmdet builds {name}'s {p} plugins for {built[s]} channels but its "
                          f"blocks carry {inner[s]} there (stage {s}); only after_conv3 fits")
    return BackboneChannels(name, channels, refused, first_built)


def _regnet(backbone: Mapping) -> BackboneChannels:
    """RegNet (ResNeXt bottlenecks with expansion 1): widths from mmdet's own generator."""
    from mmdet.models.backbones.regnet import RegNet

    arch = backbone["arch"]
    arch = RegNet.arch_settings[arch] if isinstance(arch, str) else arch
    net = RegNet.__new__(RegNet)  # only its pure width arithmetic is used
    widths, num_stages = net.generate_regnet(arch["w0"], arch["wa"], arch["wm"], arch["depth"])
    _check_stages("RegNet", num_stages)
    stage_widths, _ = net.get_stages_from_blocks(widths)
    ratios = [arch["bot_mul"]] * num_stages
    stage_widths, group_widths = net.adjust_width_group(stage_widths, ratios,
                                                        [arch["group_w"]] * num_stages)
    planes, inner = {}, {}  # planes: a stage's width (RegNet builds with expansion 1)
    for s in STAGES:
        width, group_w = stage_widths[s - 1], group_widths[s - 1]
        groups = int(round(width * ratios[s - 1])) // group_w
        planes[s] = width
        inner[s] = _resnext_width(width, groups, group_w, width)
    name = backbone["arch"] if isinstance(backbone["arch"], str) else "RegNet"
    return _bottleneck(f"RegNet ({name})", planes, inner, expansion=1, first=planes)


@functools.lru_cache(maxsize=64)  # the gate asks once per grid point; configs do not change
def backbone_of(mmdet_config: str) -> dict:
    """The backbone config dict of a config shipped with mmdet (``_base_`` files merged)."""
    from mmengine.config import Config

    from description.files import mmdet_config_path

    return Config.fromfile(str(mmdet_config_path(mmdet_config))).model.backbone.to_dict()


@functools.lru_cache(maxsize=64)
def _described(mmdet_config: str) -> BackboneChannels | str:
    try:
        return describe(backbone_of(mmdet_config))
    except ValueError as e:
        return str(e)


def needs_two_images(mmdet_config: str) -> bool:
    """Whether training ``mmdet_config``'s backbone needs at least two images in every batch
    (:data:`BATCH_STATS_BACKBONES`)."""
    kind = backbone_of(mmdet_config).get("type", "")
    return isinstance(kind, str) and kind.split(".")[-1] in BATCH_STATS_BACKBONES


def check_images_per_gpu(detector, images_per_gpu: int) -> None:
    """One-line ``ValueError`` naming ``schedule.images_per_gpu`` if ``detector``'s backbone
    cannot train on batches of that size (training drops a last batch of one for it)."""
    if images_per_gpu < 2 and needs_two_images(detector.mmdet_config):
        raise ValueError(f"schedule.images_per_gpu: {images_per_gpu} cannot train "
                         f"{detector.mmdet_config}: its ResNeSt backbone normalises pooled "
                         "features over the batch; allowed: 2 or more")


def msfm_channels(detector, msfm) -> Channels:
    """The channels per (stage, position) of ``detector``'s backbone (a ``DetectorConf``) for
    ``Variant.validate``. One-line ``ValueError`` naming the detector and the reason if its
    backbone cannot hold the MSFM spec ``msfm`` at its positions."""
    from description.msfm_spec import validate_spec

    described = _described(detector.mmdet_config)
    where = f"detector: {detector.name} ({detector.mmdet_config})"
    if isinstance(described, str):
        raise ValueError(f"{where} cannot hold MSFM: {described}")
    for p in msfm.position:
        if p in described.refused:
            raise ValueError(f"{where} cannot hold MSFM at position {p}: {described.refused[p]}")
    validate_spec(msfm, described.channels)
    if described.first_built and set(msfm.position) & {"after_conv1", "after_conv2"}:
        try:
            validate_spec(msfm, {**described.channels, **described.first_built})
        except ValueError as e:
            raise ValueError(f"{e} (mmdet builds {described.name}'s after_conv1/2 plugins for "
                             "the stage's planes first, then for its group width: MSFM must "
                             "fit both)") from None
    return described.channels
