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

from launchers.slurm_conf import SlurmConf, slurm_conf

log = logging.getLogger(__name__)


@dataclass
class SlurmLauncherConf(SlurmConf):
    """The launcher's own node (``hydra.launcher``): its job settings and its class."""

    _target_: str = "hydra_plugins.msfm_slurm_launcher.slurm_launcher.SlurmLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="msfm_slurm", node=SlurmLauncherConf)


class SlurmLauncher(Launcher):
    """Submits the batch of jobs it is given as one submitit job array, shaped by its own
    settings (``hydra.launcher``, filled from ``launcher.*`` by conf/launcher/slurm.yaml)."""

    def __init__(self, **settings) -> None:
        self.settings: SlurmConf = slurm_conf(settings)

    def setup(self, *, hydra_context, task_function, config) -> None:
        from launchers.slurm import validate_launcher
        from sweeps.gate import gate_of

        validate_launcher(self.settings)  # also what ``hydra.launcher.<field>=`` set directly
        self.hydra_context, self.config = hydra_context, config
        self.gate = gate_of(task_function)  # grid points through it already are trusted as they are

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int):
        from launchers.slurm import submit

        self.gate.validate_jobs(self.hydra_context.config_loader, self.config, job_overrides)
        cfgs, specs = zip(*(self.gate.passed(o) for o in job_overrides)) if job_overrides else ((), ())
        folder = Path(self.config.hydra.sweep.dir) / "submitit"
        outcome = submit(specs, self.settings, folder,
                         job_name=f"msfm-{self.config.get('sweep') or 'adhoc'}")
        log.info(f"{len(outcome)} variants handled; logs in {folder}; "
                 "follow with: python -m sweeps.status <same overrides>")
        if not self.settings.wait:
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
