"""The ``msfm_slurm`` launcher: compose each job, submit all as one array, return at once.

Unlike hydra-submitit-launcher, it does not wait for the jobs (a long sweep must not need a
live login shell) and it submits our ``VariantTask``, which resumes inside the job. Every SLURM
submission comes through here, a single variant too: ``launcher=slurm`` makes it a multirun.
The console names each variant by its label, with its job id; ``submissions.log`` in the
sweep's submitit folder keeps each one's whole command.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher

from launchers.slurm_conf import PLUGIN, SlurmConf, slurm_conf


@dataclass
class SlurmLauncherConf(SlurmConf):
    """The launcher's own node (``hydra.launcher``): its job settings and its class."""

    _target_: str = PLUGIN


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
        """Submit the batch (the launchers' one contract: handles back at once); wait for it
        only with ``launcher.wait`` (a search then needs each result: objective or failure)."""
        from launchers.slurm import SUBMISSIONS, submit
        from sweeps.naming import row_labels

        self.gate.validate_jobs(self.hydra_context.config_loader, self.config, job_overrides)
        cfgs, specs = zip(*(self.gate.to_launch(o) for o in job_overrides)) if job_overrides else ((), ())
        folder = Path(self.config.hydra.sweep.dir) / "submitit"
        labels = row_labels([s.names for s in specs], [s.variant.seed for s in specs])
        handles = submit(specs, self.settings, folder, labels=labels,
                         job_name=f"msfm-{self.config.get('sweep') or 'adhoc'}")
        print(submitted_lines(handles))
        print(f"logs and each variant's command: {folder / SUBMISSIONS}\n"
              "follow with: python -m sweeps.status <same overrides>")
        if not self.settings.wait:
            return [self._job_return(o, cfg, folder, h.outcome)
                    for o, cfg, h in zip(job_overrides, cfgs, handles)]
        return self._waited(job_overrides, cfgs, folder, handles)

    def _waited(self, job_overrides, cfgs, folder, handles) -> list:
        from launchers.slurm import wait
        from sweeps.variants import objective

        returns = []
        for o, cfg, record in zip(job_overrides, cfgs, wait(handles)):
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


def submitted_lines(handles) -> str:
    """Each variant by its label (as ``sweeps.status`` names it) with its new SLURM job id or
    why it was skipped, under one count line (``handles``: what ``launchers.slurm.submit``
    returned)."""
    width = max((len(h.label) for h in handles), default=0)
    lines = [f"SLURM: {sum(h.job_id is not None for h in handles)} of {len(handles)} variants queued"]
    for h in handles:
        lines.append(f"  {h.label:<{width}}  {f'queued as job {h.job_id}' if h.job_id else h.skipped}")
    return "\n".join(lines)
