"""The gate: every grid point is composed and validated once, and what passed is trusted after.

A :class:`Gate` belongs to one invocation. ``sweeps.run`` makes one and hands Hydra its
task function bound to it (:class:`sweeps.run.SweepApp`); the sweepers and launchers that
Hydra builds get the same task function and find the gate with :func:`gate_of`, the one route
(Hydra hands its plugins nothing but ``task_function``; one without a gate is refused). A search
trial travels with its job explicitly: the sweeper assigns it (:meth:`Gate.assign_trial`) and
launchers run :meth:`Gate.to_launch`, a copy of the passed spec carrying it. Nothing is
kept at module level, so two gates (two tests in one process) never see each other.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

from omegaconf import DictConfig

from description.run_spec import RunSpec
from sweeps.variants import check_group_overrides, compose_error, compose_jobs, spec_of


class Gate:
    """Validated grid points of one invocation: job overrides -> (composed config, RunSpec)."""

    def __init__(self, argv: Sequence[str] = ()) -> None:
        self._passed: dict[tuple, tuple[DictConfig, RunSpec]] = {}
        self._trials: dict[tuple, dict] = {}  # job -> the search trial its launch reports to
        self.argv = list(argv)  # the command line as typed (a chained round runs it again)

    def check(self, overrides: Sequence[str]) -> list[RunSpec]:
        """Compose and validate every grid point of a command line: any problem is one
        ``ValueError`` naming the variant. What passes is remembered."""
        specs = []
        for job, cfg in compose_jobs(overrides, check=False):
            try:
                specs.append(self.spec(cfg, job))
            except ValueError as e:
                raise ValueError(f"{compose_error(e)}  [variant: {' '.join(job)}]") from None
        return specs

    def spec(self, cfg: DictConfig, job: Sequence[str]) -> RunSpec:
        """The RunSpec of a composed job (validated here unless it passed already)."""
        hit = self.passed(job)
        if hit is None:
            hit = self._passed[tuple(job)] = (cfg, spec_of(cfg, job))
        return hit[1]

    def validate_jobs(self, config_loader, master_config: DictConfig,
                      jobs: Sequence[Sequence[str]]) -> None:
        """Compose and validate every job not yet through; raise one line naming the job."""
        for job in jobs:
            if tuple(job) in self._passed:
                continue
            try:
                check_group_overrides(job)
                self.spec(config_loader.load_sweep_config(master_config, list(job)), job)
            except Exception as e:  # noqa: BLE001 - any composition error becomes one line
                raise ValueError(f"{compose_error(e)}  [variant: {' '.join(job)}]") from None

    def passed(self, job: Sequence[str]) -> Optional[tuple[DictConfig, RunSpec]]:
        """The composed config and RunSpec of a job that went through this gate, or None."""
        return self._passed.get(tuple(job))

    def assign_trial(self, job: Sequence[str], trial: dict) -> None:
        """Hand a passed job the search trial its next launch reports to (``RunSpec.trial``:
        storage, study, number, pruner). The search sweeper calls this before launching; what
        passed the gate is left as it passed."""
        if tuple(job) not in self._passed:
            raise KeyError(f"trial {trial.get('number')}: job not through the gate: {' '.join(job)}")
        self._trials[tuple(job)] = trial

    def to_launch(self, job: Sequence[str]) -> tuple[DictConfig, RunSpec]:
        """What a launcher runs for a passed job: its composed config and a copy of its RunSpec
        carrying the trial assigned to it (:meth:`assign_trial`), if any."""
        cfg, spec = self._passed[tuple(job)]
        trial = self._trials.get(tuple(job))
        return cfg, spec if trial is None else replace(spec, trial=trial)


def gate_of(task_function) -> Gate:
    """The gate an app passed along with its task function (a method of an object that has a
    ``gate``, as ``sweeps.run``'s ``SweepApp.main``). A task function without one is refused:
    the sweepers and launchers trust what passed the gate, so they must not start from an
    empty one by accident."""
    gate = getattr(getattr(task_function, "__self__", None), "gate", None)
    if not isinstance(gate, Gate):
        raise TypeError(f"{task_function!r}: the project's sweepers and launchers run the task "
                        "function of sweeps.run (SweepApp.main), which carries the gate")
    return gate
