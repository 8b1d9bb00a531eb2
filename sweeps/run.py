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

_ARGV: set[str] = set()  # the command line's overrides: a variant's label is what differs
_PLANNED: list[tuple[str, str]] = []  # (key, label) of every grid point, known up front
_CONSOLE: list = []  # the sweep's console (local launcher, not verbose), created once


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> Optional[float]:
    """Run one composed variant with the configured launcher; raise if it failed."""
    from launchers.local import run_local
    from launchers.slurm import submit

    # precheck() passed this grid point through the gate; a search's sampled points are
    # validated here (an invalid one raises and the sweeper records the trial as failed)
    job = HydraConfig.get().overrides.task
    hit = passed(job)
    spec = hit[1] if hit else spec_of(cfg, job)
    if cfg.launcher.name == "slurm":  # a single variant; sweeps go through msfm_slurm
        [job] = submit([spec], cfg.launcher, Path(HydraConfig.get().runtime.output_dir) / "submitit")
        print(f"{spec.key}: {job}")
        return None
    record = run_local(spec, _console(cfg), label(job))
    if record.get("status") == "failed":
        raise RuntimeError(f"variant {spec.key} failed: {record['error']}")
    return objective(record, cfg.objective)


def label(job, common=None) -> str:
    """A variant's label on the console: its overrides that not every grid point shares
    (``common``; default: the command line's), all of them for a single run."""
    varying = [o for o in job if o not in (_ARGV if common is None else common)]
    return " ".join(varying or job)


def _console(cfg: DictConfig):
    """The sweep's console, created on the first local variant; None with ``verbose=true``."""
    from launchers.live_console import SweepConsole

    if cfg.verbose:
        return None
    if not _CONSOLE:
        _CONSOLE.append((SweepConsole(_PLANNED), str(cfg.results_dir)))
    return _CONSOLE[0][0]


def close_console() -> None:
    """Stop the live view and print the sweep's summary (if a console was shown)."""
    for console, results_dir in _CONSOLE:
        console.close(results_dir)
    _CONSOLE.clear()


def precheck(argv: list[str]) -> None:
    """Compose and validate every grid point first: any bad input is one line and exit 2,
    before Hydra starts, before anything is trained or submitted."""
    overrides = [a for a in argv if not a.startswith("-")]
    if any(a.startswith("-") and a not in ("-m", "--multirun") for a in argv):
        return  # --cfg, --help, ...: Hydra's own business
    try:
        specs = gate(overrides)
    except ValueError as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
        sys.exit(2)
    _ARGV.update(overrides)
    common = set.intersection(*(set(spec.overrides) for spec in specs)) if specs else set()
    for spec in specs:  # a search samples its grid points later: they join as they come
        sweeper = passed(spec.overrides)[0].hydra.sweeper._target_
        if sweeper.endswith(("RowsSweeper", "BasicSweeper")):
            _PLANNED.append((spec.key, label(spec.overrides, common)))


if __name__ == "__main__":
    precheck(sys.argv[1:])
    try:
        main()
    finally:
        close_console()
