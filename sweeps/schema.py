"""Typed schema of the composed config, registered in Hydra's ConfigStore as ``schema``.

A typo in a key or a wrong type fails at compose time, before anything is planned or run.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from description.domain import Domain, nested, value
from description.variant import NAME, PATH, Variant
from launchers.slurm_conf import DriverConf, SlurmConf

OBJECTIVES = ("ap", "ap_params")  # bbox AP, or (AP, params in M) for the multi-objective search


PROJECT = Domain(str, pattern=r"[^/\\#?%:\s]+", optional=True)  # wandb refuses / \ # ? % :


@dataclass
class LauncherConf(SlurmConf):
    """Where variants run: ``local`` (this machine) or ``slurm`` (one job per variant, with the
    SLURM launcher's own settings, ``launchers.slurm_conf.SlurmConf``)."""

    name: str = value("local", kind=str, choices=("local", "slurm"))
    driver: DriverConf = nested(DriverConf)  # the study's CPU job (chained rounds, a search)


@dataclass
class WandbConf:
    """Weights & Biases logging: offline by default (``wandb sync`` uploads later)."""

    enabled: bool = value(True, kind=bool)
    project: str = value("msfm-ablation", PROJECT, optional=False)
    entity: Optional[str] = value(None, PROJECT)
    mode: str = value("offline", kind=str, choices=("offline", "online", "disabled"))
    notes: Optional[str] = value(None, kind=str, optional=True)  # free text on every run


@dataclass
class PlanConf:
    """``sweeps.plan`` options and its cost model."""

    out: Optional[str] = value(None, kind=str, optional=True)  # also write the plan as JSON here
    input_size: List[int] = value([1333, 800], kind=list, item=int, low=32, high=8192,
                                  lengths=(2,))  # W x H for GFLOPs
    # GPU-hours = images x epochs x 3 x forward FLOPs / effective throughput. 7 TFLOP/s per GPU
    # puts Faster R-CNN R50-FPN 1x on COCO at ~68 GPU-hours (mmdet: ~8.5 h on 8 V100s).
    effective_tflops: float = value(7.0, kind=float, low=0.001, high=100000.0)
    full_build: bool = value(False, kind=bool)  # build every variant's whole model (reference)


@dataclass
class Config(Variant):
    """Composed config: a Variant plus run settings that do not change the result."""

    sweep: Optional[str] = value(None, NAME, optional=True)  # the preset (paper table) of this run
    output_root: str = value("outputs", PATH)  # runs, data cache and results live under here
    results_dir: str = value("${output_root}/results", PATH)  # the store (one JSON per variant)
    force: bool = value(False, kind=bool)  # re-run variants that already have a finished record
    objective: str = value("ap", kind=str, choices=OBJECTIVES)  # what a run returns to the sweeper
    num_workers: int = value(2, kind=int, low=0, high=128)  # data-loading processes per GPU
    log_interval: int = value(10, kind=int, low=1, high=10 ** 6)  # iterations between log lines
    verbose: bool = value(False, kind=bool)  # full logs on the console (default: progress view)
    # adaptive seeds (docs/statistics.md): a round per invocation (SLURM) or rounds until done
    # (local), one more seed only for rows whose Delta AP is not resolved to +-resolve AP
    resolve: Optional[float] = value(None, kind=float, low=0.01, high=100.0, optional=True)
    max_seeds: int = value(5, kind=int, low=1, high=50)  # seeds per row at most
    # prior std of AP over seeds (AP points); null: COCO's published default, unknown elsewhere
    seed_sigma: Optional[float] = value(None, kind=float, low=0.001, high=50.0, optional=True)
    launcher: LauncherConf = nested(LauncherConf)
    wandb: WandbConf = nested(WandbConf)
    plan: PlanConf = nested(PlanConf)


def register() -> None:
    """Store the schema under the name ``schema`` (used first in conf/config.yaml), and the
    ``or`` resolver: ``${or:${sweep},adhoc}`` (``oc.select`` keeps an explicit null)."""
    ConfigStore.instance().store(name="schema", node=Config)
    if not OmegaConf.has_resolver("or"):
        OmegaConf.register_new_resolver("or", lambda value, default: default if value is None else value)
    if not OmegaConf.has_resolver("console_level"):  # Hydra's console log level, see config.yaml
        OmegaConf.register_new_resolver("console_level",
                                        lambda verbose: "INFO" if verbose else "WARNING")


register()


def variant_of(cfg: DictConfig) -> Variant:
    """The Variant of a composed config (typed dataclasses, interpolations resolved)."""
    parts = {f.name: OmegaConf.to_object(cfg[f.name]) if OmegaConf.is_config(cfg[f.name])
             else cfg[f.name] for f in fields(Variant)}
    return Variant(**parts)
