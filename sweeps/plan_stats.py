"""Parameters and FLOPs of a sweep's variants, fast: one model build per detector, ever.

MSFM is a residual plugin that changes no shape and nothing else in the detector, so a
variant's trainable parameters and FLOPs are exactly its baseline detector's plus those of
its MSFM blocks. Each baseline is built once on the meta device, with forward hooks recording
the feature-map shape at every bottleneck position; its numbers are cached on disk
(``$MSFM_CACHE/plan``, default ``~/.cache/msfm/plan``, keyed by mmdet's version, the detector
(its mmdet config), the number of classes, the code that builds models and the input size: nothing
else changes the model). Each MSFM block is then priced by
``msfm/cost.py`` without torch. ``tests/sweeps/test_plan.py`` holds the result to building
every variant's whole detector (``training.model_stats.model_stats``), exactly.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, replace
from importlib.metadata import version
from pathlib import Path

from description.msfm_spec import MSFMSpec, to_plugins
from description.variant import DetectorConf, Variant
from msfm.cost import block_macs, block_params

POSITION_CONV = {"after_conv1": "conv1", "after_conv2": "conv2", "after_conv3": "conv3"}
ROOT = Path(__file__).resolve().parents[1]
CODE = ("training/mmdet_config.py", "training/model_stats.py", "sweeps/plan_stats.py")
MEASURED: list[str] = []  # fingerprints this process built (and so imported torch and mmdet for)


def cache_dir() -> Path:
    """Where baseline figures are cached (``$MSFM_CACHE/plan``)."""
    return Path(os.environ.get("MSFM_CACHE", Path.home() / ".cache" / "msfm")) / "plan"


def _fingerprint(baseline: Variant, width: int, height: int) -> str:
    # the planner's model is the paper's (pretrained set-up, see paper_model) whatever the
    # schedule, so only the detector and the head size matter
    detector = json.dumps(asdict(baseline.detector), sort_keys=True)
    parts = [version("mmdet"), detector, str(baseline.dataset.num_classes), f"{width}x{height}"]
    parts += [hashlib.sha256((ROOT / f).read_bytes()).hexdigest() for f in CODE]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def measure_baseline(baseline: Variant, width: int, height: int) -> dict:
    """Build ``baseline`` (meta device) and return its params, GFLOPs and the (C, H, W) at each
    (stage index, position) of every bottleneck, in block order."""
    import torch

    from training.model_stats import count_gflops, count_params, paper_model

    model = paper_model(baseline)
    sites: dict = {}
    hooks = []
    # every ResNet-like network: the backbone and the one DetectoRS' RFP runs again
    # (training.mmdet_config.backbones gives both the plugins)
    nets = [m for m in model.modules() if isinstance(getattr(m, "res_layers", None), list)]
    blocks = [(stage, block) for net in nets for stage, name in enumerate(net.res_layers)
              for block in getattr(net, name)]
    for stage, block in blocks:
        for position, conv in POSITION_CONV.items():
            if isinstance(getattr(block, conv, None), torch.nn.Module):
                def hook(_m, _i, out, key=f"{stage}/{position}"):
                    sites.setdefault(key, []).append(list(out.shape[1:]))
                hooks.append(getattr(block, conv).register_forward_hook(hook))
    try:
        gflops = count_gflops(model, width, height)
    finally:
        for h in hooks:
            h.remove()
    return dict(params=count_params(model), gflops=gflops, sites=sites)


def _cached(baseline: Variant, width: int, height: int) -> tuple[Path, dict | None]:
    path = cache_dir() / f"{_fingerprint(baseline, width, height)}.json"
    try:
        return path, json.loads(path.read_text())
    except (OSError, ValueError):
        return path, None


def baseline_stats(baseline: Variant, width: int, height: int) -> dict:
    """:func:`measure_baseline`, from the disk cache when it has been measured before."""
    from results.atomic import write_json_atomic

    path, stats = _cached(baseline, width, height)
    if stats is None:
        stats = measure_baseline(baseline, width, height)
        MEASURED.append(path.stem)
        try:
            write_json_atomic(path, stats)
        except OSError:
            pass  # a read-only cache only costs time
    return stats


def warm_cache(variant: Variant, detectors: list[dict], width: int = 1333,
               height: int = 800) -> int:
    """Measure the baseline of each of ``detectors`` (DetectorConf fields) for ``variant``'s
    dataset, unless cached; returns how many were built. Worth it once a process has imported
    torch and mmdet (most of a first build's ~10 s): each further build takes ~1 s, and then
    no later plan on this machine imports torch. A detector that fails is left to its own plan."""
    before = len(MEASURED)
    for fields in detectors:
        baseline = replace(variant, detector=DetectorConf(**fields), msfm=MSFMSpec(enabled=False),
                           seed=0)
        try:
            baseline_stats(baseline, width, height)
        except Exception:  # noqa: BLE001
            pass
    return len(MEASURED) - before


def planned_stats(variant: Variant, width: int = 1333, height: int = 800) -> tuple[int, float]:
    """(paper parameters, GFLOPs) of ``variant``, equal to ``model_stats.model_stats``."""
    base = baseline_stats(replace(variant, msfm=MSFMSpec(enabled=False), seed=0), width, height)
    params, macs = base["params"], 0
    for plugin in to_plugins(variant.msfm):
        stage = plugin["stages"].index(True)
        for c, h, w in base["sites"].get(f"{stage}/{plugin['position']}", []):
            params += block_params(c, **plugin["cfg"])
            macs += block_macs(c, h, w, **plugin["cfg"])
    return params, base["gflops"] + macs / 1e9
