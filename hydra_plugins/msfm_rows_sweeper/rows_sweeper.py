"""The ``rows`` sweeper: Hydra's basic sweeper over a union of blocks, validated up front.

Every job is composed and its Variant validated before the launcher sees any of them, so a
bad grid point stops the sweep with a one-line error before anything is trained or queued.
"""

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

log = logging.getLogger(__name__)


@dataclass
class RowsSweeperConf:
    _target_: str = "hydra_plugins.msfm_rows_sweeper.rows_sweeper.RowsSweeper"
    max_batch_size: Optional[int] = None
    params: Optional[Dict[str, str]] = None  # crossed with every row (Hydra's basic sweeper)
    rows: Optional[List[Dict[str, Any]]] = None  # union of cartesian blocks


ConfigStore.instance().store(group="hydra/sweeper", name="rows", node=RowsSweeperConf)


class RowsSweeper(BasicSweeper):
    """Basic sweeper whose job list is :func:`sweeps.grid.expand` of ``rows`` and ``params``."""

    def __init__(self, max_batch_size=None, params=None, rows=None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.rows = [dict(r) for r in rows] if rows else None

    def setup(self, *, hydra_context, task_function, config) -> None:
        from sweeps.gate import gate_of

        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)
        self.gate = gate_of(task_function)  # what passed before Hydra started is trusted

    def sweep(self, arguments: List[str]) -> Any:
        from sweeps.grid import expand

        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        jobs = expand(self.rows, self.params, arguments, parser)
        try:
            self.gate.validate_jobs(self.hydra_context.config_loader, self.config, jobs)
        except ValueError as e:
            sys.exit(f"error: {e}")  # one line, before any job is launched
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        if self.config.get("resolve") is None:
            log.info(f"Sweep of {len(jobs)} variants")
            return self._launch(jobs, 0)
        if self.config.launcher.name == "slurm" and not self.config.launcher.wait:
            return self._chain(jobs)
        return self._rounds(jobs)

    def _chain(self, jobs: List[List[str]]) -> List[Any]:
        """Adaptive seeds on SLURM: queue this round and a follow-up job that queues the next
        (``sweeps.chain``); this process returns at once."""
        from sweeps.chain import carry_on

        loader = self.hydra_context.config_loader
        composed = [(job, loader.load_sweep_config(self.config, job)) for job in jobs]
        returns: List[Any] = []
        try:
            carry_on(self.config, composed, lambda round_jobs: returns.extend(
                self._launch(round_jobs, 0)), self.gate.argv)
        except ValueError as e:
            sys.exit(f"error: {e}")
        return returns

    def _launch(self, jobs: List[List[str]], initial_job_idx: int) -> List[Any]:
        """Launch ``jobs`` in batches; re-raise a job's exception."""
        self.overrides = list(self.split_overrides_to_chunks(jobs, self.max_batch_size))
        self.batch_index, returns = 0, []
        while not self.is_done():
            batch = self.get_job_batch()
            results = self.launcher.launch(batch, initial_job_idx=initial_job_idx)
            for r in results:
                _ = r.return_value  # re-raise a job's exception
            initial_job_idx += len(batch)
            returns.append(results)
        return returns

    def _rounds(self, jobs: List[List[str]]) -> List[Any]:
        """Adaptive seeds (``resolve=``) where jobs are waited for (local, or SLURM with
        ``launcher.wait=true``): launch a round, read the store, launch the next, until every
        row is resolved."""
        from sweeps.replicate import plan_round, print_round

        loader, returns, launched = self.hydra_context.config_loader, [], 0
        for _ in range(self.config.max_seeds * len(jobs) + 1):  # each round adds a seed
            try:
                plan = plan_round([(job, loader.load_sweep_config(self.config, job)) for job in jobs])
            except ValueError as e:
                sys.exit(f"error: {e}")
            print_round(plan)
            if not plan.composed:
                break
            returns += self._launch([job for job, _ in plan.composed], launched)
            launched += len(plan.composed)
        return returns
