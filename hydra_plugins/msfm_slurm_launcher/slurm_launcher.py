"""The ``msfm_slurm`` launcher: compose each job, submit all as one array, return at once.

Unlike hydra-submitit-launcher, it does not wait for the jobs (a long sweep must not need a
live login shell) and it submits our ``VariantTask``, which resumes inside the job.
"""
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher

log = logging.getLogger(__name__)


@dataclass
class SlurmLauncherConf:
    _target_: str = "hydra_plugins.msfm_slurm_launcher.slurm_launcher.SlurmLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="msfm_slurm", node=SlurmLauncherConf)


class SlurmLauncher(Launcher):
    """Submits the batch of jobs it is given as one submitit job array."""

    def setup(self, *, hydra_context, task_function, config) -> None:
        self.hydra_context, self.config = hydra_context, config

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int):
        from launchers.slurm import submit
        from sweeps.variants import passed, spec_of

        cfgs, specs = [], []
        for o in job_overrides:  # grid points through the gate already are trusted as they are
            cfg, spec = passed(o) or (None, None)
            if spec is None:
                cfg = self.hydra_context.config_loader.load_sweep_config(self.config, list(o))
                spec = spec_of(cfg, list(o))
            cfgs.append(cfg)
            specs.append(spec)
        folder = Path(self.config.hydra.sweep.dir) / "submitit"
        outcome = submit(specs, self.config.launcher, folder,
                         job_name=f"msfm-{self.config.get('sweep') or 'adhoc'}")
        log.info(f"{len(outcome)} variants handled; logs in {folder}; "
                 "follow with: python -m sweeps.status <same overrides>")
        if not self.config.launcher.wait:
            return [self._job_return(o, cfg, folder, out) for o, cfg, out in zip(job_overrides, cfgs, outcome)]
        from launchers.slurm import wait_for_records
        from sweeps.variants import objective

        returns = []  # a search needs each result: the objective, or the failure
        for o, cfg, record in zip(job_overrides, cfgs, wait_for_records(specs)):
            if record["status"] == "finished":
                returns.append(self._job_return(o, cfg, folder, objective(record, cfg.objective)))
            else:
                returns.append(self._job_return(o, cfg, folder, RuntimeError(record.get("error")),
                                                JobStatus.FAILED))
        return returns

    def _job_return(self, overrides, cfg, folder, value, status=JobStatus.COMPLETED) -> JobReturn:
        return JobReturn(overrides=list(overrides), cfg=cfg, hydra_cfg=self.config,
                         working_dir=str(folder), task_name="sweeps.run", status=status,
                         _return_value=value)
