"""mmengine's wandb backend, with the run's code artifact limited to the project's own files.

mmengine's ``WandbVisBackend.add_config`` calls ``run.log_code()`` on the working directory,
which takes every ``.py`` file below it. With the venv inside the checkout, that is all of
torch, scipy and mmdet (~15,000 files), copied into wandb's staging dir for every run. An
offline run never uploads them, so the copies stay: 55 GB after two days of this project's
tests. This backend logs the project's source and its Hydra configs instead.
"""
from __future__ import annotations

from pathlib import Path

from mmengine.registry import VISBACKENDS
from mmengine.visualization import WandbVisBackend
from mmengine.visualization.vis_backend import force_init_env

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_NOT_CODE = {"outputs", "multirun", "wandb", "site-packages", "node_modules", "__pycache__"}


def is_project_code(path: str, root: str) -> bool:
    """A ``.py`` file, or a Hydra ``.yaml`` under ``conf/``, outside hidden dirs (the venv,
    ``.git``), run outputs and installed packages."""
    parts = Path(path).relative_to(root).parts
    if any(p.startswith(".") or p in _NOT_CODE or p.endswith("venv") for p in parts[:-1]):
        return False
    return parts[-1].endswith(".py") or (parts[0] == "conf" and parts[-1].endswith(".yaml"))


@VISBACKENDS.register_module()
class ProjectWandbVisBackend(WandbVisBackend):
    """``WandbVisBackend`` whose code artifact holds only ``is_project_code`` files."""

    @force_init_env
    def add_config(self, config, **kwargs) -> None:
        """Record the config, and the project's code as the run's code artifact."""
        allow_val_change = (self._init_kwargs or {}).get("allow_val_change", False)
        self._wandb.config.update(config.to_dict(), allow_val_change=allow_val_change)
        self._wandb.run.log_code(root=str(PROJECT_ROOT), name=self._log_code_name,
                                 include_fn=is_project_code)
