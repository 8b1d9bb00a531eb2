"""DDP inside a SLURM job: one process per task (per GPU), rank and world size from SLURM."""
from __future__ import annotations

import os
import subprocess


def master_port(job_id: str | int) -> int:
    """A port derived from the job id, so jobs sharing a node don't collide."""
    return 20000 + int(str(job_id).split("_")[0]) % 20000


def slurm_world_size() -> int:
    """Processes in this SLURM job step (1 outside SLURM)."""
    return int(os.environ.get("SLURM_NTASKS", "1")) if "SLURM_JOB_ID" in os.environ else 1


def init_from_slurm() -> str:
    """Prepare distributed training from SLURM's environment; return mmengine's launcher name.

    On CUDA, mmengine's own SLURM launcher initialises NCCL (we only fix MASTER_PORT). On CPU
    (the gloo path our tests run), mmengine's launcher calls ``torch.cuda.set_device``, which a
    CPU build lacks, so we initialise the gloo process group from the same variables first;
    mmengine then sees an initialised group and only wraps the model in DDP.
    """
    import torch

    if "SLURM_CPUS_PER_TASK" in os.environ:  # one process per task: don't oversubscribe
        torch.set_num_threads(int(os.environ["SLURM_CPUS_PER_TASK"]))
    if slurm_world_size() <= 1:
        return "none"
    os.environ.setdefault("MASTER_PORT", str(master_port(os.environ["SLURM_JOB_ID"])))
    import torch.distributed as dist

    if torch.cuda.is_available() or dist.is_initialized():
        return "slurm"
    # not submitit.helpers.TorchDistributedEnvironment().export(): it needs a submitit job (fails
    # under a bare srun), and overwrites a preset MASTER_ADDR or refuses our MASTER_PORT
    nodes = os.environ.get("SLURM_JOB_NODELIST", os.environ.get("SLURM_NODELIST", "localhost"))
    first = subprocess.run(["scontrol", "show", "hostnames", nodes], capture_output=True,
                           text=True).stdout.split()
    os.environ.setdefault("MASTER_ADDR", first[0] if first else "127.0.0.1")
    os.environ.update(RANK=os.environ["SLURM_PROCID"], WORLD_SIZE=os.environ["SLURM_NTASKS"],
                      LOCAL_RANK=os.environ.get("SLURM_LOCALID", "0"))
    dist.init_process_group("gloo")
    return "slurm"
