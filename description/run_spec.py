"""The run spec: a validated Variant plus where and how to run it (paths and names only).

It is what the launchers pass to the task (local call or pickled into a SLURM job), so it
holds plain data, never a config object or a model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from description.variant import Variant


@dataclass
class RunSpec:
    """What a task needs: the variant and where/how to run it (paths and names only)."""

    variant: Variant
    names: dict  # the variant in the paper's words, named by its values (sweeps.naming)
    overrides: list  # the command-line overrides that select it
    results_dir: str
    work_root: str  # the variant trains in work_root/<key>, so a re-run finds its checkpoints
    config: dict = field(default_factory=dict)  # resolved config, for the record
    sweep: Optional[str] = None
    force: bool = False
    wandb: dict = field(default_factory=lambda: dict(enabled=False))
    num_workers: int = 2
    log_interval: int = 10
    max_attempts: int = 0  # SLURM: give up after this many starts (0 = no limit)
    label: str = ""  # short and unique: what differs from the default variant (wandb's run name)
    trial: Optional[dict] = None  # a search trial to report to: storage, study, number, pruner

    @property
    def key(self) -> str:
        """The variant's record key."""
        return self.variant.key()

    @property
    def work_dir(self) -> str:
        """Where the variant trains and checkpoints (stable across re-runs)."""
        return str(Path(self.work_root) / self.key)
