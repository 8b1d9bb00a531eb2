"""The SLURM launcher's own settings: one job per variant, its shape and where it runs.

Like hydra_submitit_launcher's ``SlurmQueueConf``, each field is an sbatch/submitit option;
unlike it, every field declares its domain, so a bad value is one line before any submission.
The user types them as ``launcher.<field>=`` (``conf/launcher/slurm.yaml`` hands them on to
``hydra.launcher``, the plugin's own node).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Dict, List, Optional

from description.domain import NO_SPACE, Domain, value

SLURM_WORD = Domain(str, pattern=NO_SPACE, optional=True)  # a partition, account, ... or null
# the Hydra launcher that submits them (``hydra/launcher=msfm_slurm``, chosen by launcher=slurm)
PLUGIN = "hydra_plugins.msfm_slurm_launcher.slurm_launcher.SlurmLauncher"


@dataclass
class SlurmConf:
    """A variant's SLURM job: one node of 8 GPUs, one process per GPU, in the paper's shape
    (``conf/launcher/slurm.yaml``); site values belong in ``conf/local/default.yaml``."""

    nodes: int = value(1, kind=int, low=1, high=1024)
    tasks_per_node: int = value(1, kind=int, low=1, high=64)  # one process per GPU
    gpus_per_node: int = value(0, kind=int, low=0, high=64)
    cpus_per_task: int = value(2, kind=int, low=1, high=1024)
    mem_gb: int = value(0, kind=int, low=0, high=100000)  # 0 = the cluster's default
    timeout_min: int = value(1440, kind=int, low=1, high=525600)  # at most a year
    partition: Optional[str] = value(None, SLURM_WORD)
    account: Optional[str] = value(None, SLURM_WORD)
    qos: Optional[str] = value(None, SLURM_WORD)
    constraint: Optional[str] = value(None, SLURM_WORD)
    exclude: Optional[str] = value(None, SLURM_WORD)
    array_parallelism: int = value(16, kind=int, low=1, high=100000)  # variants at once
    max_requeues: int = value(3, kind=int, low=0, high=100)  # preemptions/time-outs survived
    wait: bool = value(False, kind=bool)  # block until the jobs end (a search needs results)
    additional_parameters: Dict[str, str] = value({}, kind=dict, item=str)  # extra #SBATCH keys
    setup: List[str] = value([], kind=list, item=str)  # shell lines run first (module load, ...)


@dataclass
class DriverConf:
    """A study's small CPU job (``launcher.driver``): the follow-up that plans and queues the
    next adaptive round, or a search's ask-and-tell loop. One task, no GPU; site values
    (partition, account) belong in ``conf/local/default.yaml``."""

    partition: Optional[str] = value(None, SLURM_WORD)  # null: the cluster's default
    cpus_per_task: int = value(1, kind=int, low=1, high=64)
    mem_gb: int = value(2, kind=int, low=0, high=1024)  # 0 = the cluster's default
    timeout_min: int = value(60, kind=int, low=1, high=525600)  # requeued when it runs out
    account: Optional[str] = value(None, SLURM_WORD)
    qos: Optional[str] = value(None, SLURM_WORD)
    max_requeues: int = value(10, kind=int, low=0, high=1000)  # time-outs/preemptions survived
    setup: List[str] = value([], kind=list, item=str)  # shell lines run first (module load, ...)


def driver_conf(node) -> DriverConf:
    """The DriverConf of a config node (``launcher.driver``), a mapping, or a DriverConf."""
    from dataclasses import is_dataclass

    from omegaconf import OmegaConf

    if is_dataclass(node):
        return node
    values = OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else dict(node)
    return DriverConf(**{f.name: values[f.name] for f in fields(DriverConf) if f.name in values})


def slurm_conf(node) -> SlurmConf:
    """The SlurmConf of a config node holding (at least) its fields, e.g. the app's ``launcher``."""
    from omegaconf import OmegaConf

    def plain(v):  # Hydra hands a plugin's nested values over as DictConfig / ListConfig
        return OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v

    values = plain(node) if OmegaConf.is_config(node) else {k: plain(v) for k, v in dict(node).items()}
    return SlurmConf(**{f.name: values[f.name] for f in fields(SlurmConf) if f.name in values})
