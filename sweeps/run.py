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
from sweeps.variants import gate, objective, one_line, passed, spec_of


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> Optional[float]:
    """Run one composed variant with the configured launcher; raise if it failed."""
    from launchers.local import run_local
    from launchers.slurm import submit

    # precheck() passed this grid point through the gate; a search's sampled points are
    # validated here (an invalid one raises and the sweeper records the trial as failed)
    job = HydraConfig.get().overrides.task
    spec = passed(job)[1] if passed(job) else spec_of(cfg, job)
    if cfg.launcher.name == "slurm":  # a single variant; sweeps go through msfm_slurm
        [job] = submit([spec], cfg.launcher, Path(HydraConfig.get().runtime.output_dir) / "submitit")
        print(f"{spec.key}: {job}")
        return None
    record = run_local(spec)
    if record.get("status") == "failed":
        raise RuntimeError(f"variant {spec.key} failed: {record['error']}")
    return objective(record, cfg.objective)


def precheck(argv: list[str]) -> None:
    """Compose and validate every grid point first: any bad input is one line and exit 2,
    before Hydra starts, before anything is trained or submitted."""
    overrides = [a for a in argv if not a.startswith("-")]
    if any(a.startswith("-") and a not in ("-m", "--multirun") for a in argv):
        return  # --cfg, --help, ...: Hydra's own business
    try:
        gate(overrides)
    except ValueError as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    precheck(sys.argv[1:])
    main()
