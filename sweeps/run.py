"""``python -m sweeps.run [overrides]``: train + evaluate one variant;
``python -m sweeps.run +sweep=<name>``: every variant of a paper table (a Hydra multirun).

Thin on purpose: compose -> validate -> launch -> record. Returns the variant's bbox AP.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sweeps import schema  # noqa: F401  (registers the typed schema)
from sweeps.variants import check_group_overrides, one_line, spec_of


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> Optional[float]:
    """Run one composed variant with the configured launcher; raise if it failed."""
    from launchers.local import run_local
    from launchers.slurm import submit

    try:
        spec = spec_of(cfg, HydraConfig.get().overrides.task)
        if cfg.launcher.name == "slurm":  # a single variant; sweeps go through msfm_slurm
            [job] = submit([spec], cfg.launcher, Path(HydraConfig.get().runtime.output_dir) / "submitit")
            print(f"{spec.key}: {job}")
            return None
    except ValueError as e:
        sys.exit(f"error: {one_line(e)}")
    record = run_local(spec)
    if record.get("status") == "failed":
        raise RuntimeError(f"variant {spec.key} failed: {record['error']}")
    return record.get("metrics", {}).get("bbox_mAP")


def precheck(argv: list[str]) -> None:
    """Refuse unknown config-group options with one line, before Hydra's multi-line error."""
    try:
        check_group_overrides(a for a in argv if not a.startswith("-") and "=" in a)
    except ValueError as e:
        sys.exit(f"error: {one_line(e)}")


if __name__ == "__main__":
    precheck(sys.argv[1:])
    main()
