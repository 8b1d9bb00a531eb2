"""Typed schema of the composed config, registered in Hydra's ConfigStore as ``schema``.

A typo in a key or a wrong type fails at compose time, before anything is planned or run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from spec.variant import Variant


@dataclass
class LauncherConf:
    """Where variants run: ``local`` (this machine) or ``slurm`` (one job per variant)."""

    name: str = "local"
    nodes: int = 1
    tasks_per_node: int = 1  # one process per GPU
    gpus_per_node: int = 0
    cpus_per_task: int = 2
    mem_gb: int = 0  # 0 = the cluster's default
    timeout_min: int = 1440
    partition: Optional[str] = None
    account: Optional[str] = None
    qos: Optional[str] = None
    constraint: Optional[str] = None
    exclude: Optional[str] = None
    array_parallelism: int = 16  # at most this many variants run at once
    max_requeues: int = 3  # preemptions/time-outs survived per variant
    wait: bool = False  # block until the jobs end (a search needs their results)
    additional_parameters: Dict[str, str] = field(default_factory=dict)  # extra #SBATCH keys
    setup: List[str] = field(default_factory=list)  # shell lines run first (module load, ...)


@dataclass
class WandbConf:
    """Weights & Biases logging: offline by default (``wandb sync`` uploads later)."""

    enabled: bool = True
    project: str = "msfm-ablation"
    entity: Optional[str] = None
    mode: str = "offline"  # offline | online | disabled


@dataclass
class PlanConf:
    """``sweeps.plan`` options and its cost model."""

    out: Optional[str] = None  # also write the plan as JSON here
    input_size: List[int] = field(default_factory=lambda: [1333, 800])  # W x H for GFLOPs
    # GPU-hours = images x epochs x 3 x forward FLOPs / effective throughput. 7 TFLOP/s per GPU
    # puts Faster R-CNN R50-FPN 1x on COCO at ~68 GPU-hours (mmdet: ~8.5 h on 8 V100s).
    effective_tflops: float = 7.0
    full_build: bool = False  # build every variant's whole model (the fast planner's reference)


@dataclass
class Config(Variant):
    """Composed config: a Variant plus run settings that do not change the result."""

    sweep: Optional[str] = None  # the preset (paper table) this run belongs to
    output_root: str = "outputs"  # runs, data cache and results live under here
    results_dir: str = "${output_root}/results"  # the results store (one JSON per variant)
    force: bool = False  # re-run variants that already have a finished record
    objective: str = "ap"  # what a run returns to the sweeper: ap | ap_params (AP, params in M)
    num_workers: int = 2  # data-loading processes per GPU/process
    log_interval: int = 10  # iterations between training log lines
    verbose: bool = False  # full logs on the console (default: a progress view, logs in files)
    launcher: LauncherConf = field(default_factory=LauncherConf)
    wandb: WandbConf = field(default_factory=WandbConf)
    plan: PlanConf = field(default_factory=PlanConf)


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
