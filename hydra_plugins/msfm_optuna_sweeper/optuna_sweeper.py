"""The ``msfm_optuna`` sweeper: Optuna's ask-and-tell over Hydra's launchers.

Each trial is a Hydra job (one variant) run by whichever launcher is configured (local, or
``msfm_slurm``); its result is read back from the results store and told to the study. The
study lives in a journal file on the shared file system (or an RDB the user names), so SLURM
jobs on other nodes report their val AP to it and are pruned from inside (training/pruning_hook.py).
"""
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from hydra.plugins.sweeper import Sweeper

log = logging.getLogger(__name__)


@dataclass
class SamplerConf:
    name: str = "auto"  # auto (NSGA-II for mode=pareto, else TPE) | tpe | nsgaii | random
    seed: Optional[int] = 0  # a resumed study seeds with seed + its trial count; null: random
    kwargs: Dict[str, Any] = field(default_factory=dict)  # passed on, e.g. n_startup_trials


@dataclass
class PrunerConf:
    # none | median | percentile | successive_halving | hyperband | threshold; steps are epochs
    name: str = "none"
    kwargs: Dict[str, Any] = field(default_factory=dict)  # passed on, e.g. n_warmup_steps


@dataclass
class OptunaSweeperConf:
    _target_: str = "hydra_plugins.msfm_optuna_sweeper.optuna_sweeper.OptunaSweeper"
    mode: str = "pareto"  # pareto (AP up, params down) | ap | constrained (AP, params <= budget)
    study_name: str = "msfm"
    storage: Optional[str] = None  # journal file path or RDB URL; null: <sweep dir>/optuna.journal
    n_trials: int = 20  # total trials of the study: re-running completes it, never adds more
    n_jobs: int = 1  # trials running at once (a batch: the next is asked once it has ended)
    params_budget_m: Optional[float] = None  # params limit in M (mode=constrained; any mode)
    budget_gpu_hours: Optional[float] = None  # no new trial once spent + running >= this
    max_rejected: int = 100  # untrainable samples in a row before the search gives up
    heartbeat_interval: int = 60  # s between a live trial's heartbeats
    grace_period: Optional[int] = None  # s without one before a RUNNING trial is stale (3x)
    max_retry: int = 3  # re-queues of a stale trial (same params; resumes its checkpoint)
    sampler: SamplerConf = field(default_factory=SamplerConf)
    pruner: PrunerConf = field(default_factory=PrunerConf)
    params: Optional[Dict[str, str]] = None  # the search space, Hydra sweep syntax per key


ConfigStore.instance().store(group="hydra/sweeper", name="msfm_optuna", node=OptunaSweeperConf)


class OptunaSweeper(Sweeper):
    """Drives an Optuna study trial by trial (see the module docstring); options are the
    ``hydra.sweeper`` node, read in :meth:`setup`."""

    def __init__(self, **_options: Any) -> None:
        self.job_idx = 0

    def setup(self, *, hydra_context, task_function, config) -> None:
        from hydra.core.plugins import Plugins
        from omegaconf import OmegaConf, read_write

        from results.study import mask_url
        from sweeps.gate import gate_of
        from sweeps.search_ledger import storage_of

        self.hydra_context, self.config, self.gate = hydra_context, config, gate_of(task_function)
        self.conf = OmegaConf.create(OmegaConf.to_container(config.hydra.sweeper, resolve=True))
        self.storage_url = storage_of(self.conf, config.hydra.sweep.dir)
        with read_write(config.hydra):  # what jobs, multirun.yaml and logs see: no password
            config.hydra.sweeper.storage = mask_url(self.storage_url)
            config.hydra.overrides.hydra = [mask_url(o) for o in config.hydra.overrides.hydra]
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: List[str]) -> None:
        from omegaconf import OmegaConf

        from hydra_plugins.msfm_optuna_sweeper.loop import Search
        from hydra_plugins.msfm_optuna_sweeper.report import report
        from results.study import mask_url

        try:
            search = Search(self.conf, self.config, self.storage_url, arguments,
                            self.hydra_context.config_loader, self.gate)
        except ValueError as e:
            sys.exit(f"error: {e}")  # one line, before any trial is asked
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        log.info(f"study {self.conf.study_name} ({self.conf.mode}) in {mask_url(self.storage_url)}: "
                 f"{len(search.study.trials)} trials so far, {self.conf.n_trials} in total")
        search.run(self._launch)
        report(search)

    def _launch(self, jobs: list) -> None:
        self.launcher.launch(jobs, initial_job_idx=self.job_idx)
        self.job_idx += len(jobs)
