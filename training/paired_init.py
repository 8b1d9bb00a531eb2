"""Paired seeds: seed s starts the baseline and every MSFM variant from the same weights.

Without this, adding MSFM shifts the global random stream while the model is built and
initialised (its layers sit between the backbone's), so every later layer -- the rest of the
backbone, the neck, the heads -- starts from different values, and the seed noise of a Delta is
that of two unrelated runs. Here a fresh start (no checkpoint loaded) builds the variant's
baseline detector (no MSFM) under ``torch.manual_seed(seed)``, initialises it as mmengine
would, and copies every parameter and buffer the two share; MSFM's own parameters are then drawn
from a separate stream (``seed`` and the layer's name), so they never move anyone else's.
Data order and augmentation follow the seed alone (the train sampler's seed is the run's).
"""
from __future__ import annotations

import hashlib

from mmengine.hooks import Hook

MSFM_STREAM = "msfm"  # the separate stream's name, hashed with the seed and the layer's name


def stream_seed(seed: int, name: str) -> int:
    """A 63-bit seed for ``name``'s own stream under run seed ``seed``."""
    digest = hashlib.sha256(f"{MSFM_STREAM}/{seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def paired_init(model, baseline_cfg, seed: int) -> int:
    """Initialise ``model`` (an MSFM detector or a baseline) the paired way; returns how many
    tensors came from the seed's baseline. ``baseline_cfg``: the mmdet model config without
    MSFM plugins."""
    import torch
    from mmdet.registry import MODELS

    from msfm.layer import MSFM

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        baseline = MODELS.build(baseline_cfg)
        baseline.init_weights()
    shared = baseline.state_dict()
    own = model.state_dict()
    copied = 0
    with torch.no_grad():
        for key, value in own.items():
            if key in shared and shared[key].shape == value.shape:
                value.copy_(shared[key])
                copied += 1
        for name, module in sorted(model.named_modules(), key=lambda item: item[0]):
            if isinstance(module, MSFM):
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(stream_seed(seed, name))
                    module.reset_parameters()
    return copied


class PairedInit(Hook):
    """Applies :func:`paired_init` before a fresh start trains (a resumed or ``load_from`` run
    keeps the weights it loaded)."""

    priority = "VERY_HIGH"

    def __init__(self, baseline_cfg: dict, seed: int) -> None:
        self.baseline_cfg = baseline_cfg
        self.seed = seed

    def before_train(self, runner) -> None:
        if runner.iter > 0 or runner._has_loaded or runner.cfg.get("load_from"):
            return
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        copied = paired_init(model, self.baseline_cfg, self.seed)
        runner.logger.info(f"paired init: {copied} tensors from seed {self.seed}'s baseline")
