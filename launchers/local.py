"""Local launcher: run the task in this process (Hydra's basic launcher runs variants in turn)."""
from __future__ import annotations

from spec.run import RunSpec


def run_local(spec: RunSpec) -> dict:
    """Train and evaluate ``spec`` here and return its record."""
    from training.task import VariantTask

    return VariantTask(spec)()
