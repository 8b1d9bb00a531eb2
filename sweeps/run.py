"""``python -m sweeps.run [overrides]``: train + evaluate one variant;
``python -m sweeps.run +sweep=<name>``: every variant of a paper table (a Hydra multirun).

Thin on purpose: compose -> validate -> launch -> record. Returns the variant's bbox AP.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sweeps import schema  # noqa: F401  (registers the typed schema)
from sweeps.gate import Gate
from sweeps.naming import row_labels
from sweeps.variants import objective, one_line


class SweepApp:
    """One invocation: its gate, the command line's overrides, the grid points planned up front
    and, for a local sweep, its console. Hydra runs :meth:`main`; the sweepers and launchers
    it builds receive that same bound method and read the gate from it (``sweeps.gate.gate_of``)."""

    def __init__(self) -> None:
        self.gate = Gate()
        self.argv: set[str] = set()  # a variant's label is what differs from the command line
        self.planned: list[tuple[str, str]] = []  # (key, label) of every grid point
        self._console = None  # (SweepConsole, results_dir), created on the first local variant

    def precheck(self, argv: Sequence[str]) -> None:
        """Compose and validate every grid point first: any bad input is one line and exit 2,
        before Hydra starts, before anything is trained or submitted."""
        overrides = [a for a in argv if not a.startswith("-")]
        if any(a.startswith("-") and a not in ("-m", "--multirun") for a in argv):
            return  # --cfg, --help, ...: Hydra's own business
        try:
            specs = self.gate.check(overrides)
        except ValueError as e:
            print(f"error: {one_line(e)}", file=sys.stderr)
            sys.exit(2)
        self.argv.update(overrides)
        sweeper = self.gate.passed(specs[0].overrides)[0].hydra.sweeper._target_ if specs else ""
        if sweeper.endswith(("RowsSweeper", "BasicSweeper")):  # a search samples its grid
            # points later: they join the console as they come
            labels = row_labels([spec.names for spec in specs], [spec.variant.seed for spec in specs])
            self.planned += [(spec.key, name) for spec, name in zip(specs, labels)]

    def main(self, cfg: DictConfig) -> Optional[float]:
        """Run one composed variant with the configured launcher; raise if it failed."""
        from launchers.local import run_local
        from launchers.slurm import submit

        # precheck() passed this grid point through the gate; a search's sampled points are
        # validated here (an invalid one raises and the sweeper records the trial as failed)
        job = HydraConfig.get().overrides.task
        spec = self.gate.spec(cfg, job)
        if cfg.launcher.name == "slurm":  # a single variant; sweeps go through msfm_slurm
            [job] = submit([spec], cfg.launcher, Path(HydraConfig.get().runtime.output_dir) / "submitit")
            print(f"{spec.key}: {job}")
            return None
        record = run_local(spec, self.console(cfg), self.label(job))
        if record.get("status") == "failed":
            raise RuntimeError(f"variant {spec.key} failed: {record['error']}")
        return objective(record, cfg.objective)

    def label(self, job) -> str:
        """A sampled trial's label on the console (grid points have theirs from the plan): its
        overrides that the command line does not set, all of them for a single run."""
        varying = [o for o in job if o not in self.argv]
        return " ".join(varying or job)

    def console(self, cfg: DictConfig):
        """The sweep's console, created on the first local variant; None with ``verbose=true``."""
        from launchers.live_console import SweepConsole

        if cfg.verbose:
            return None
        if self._console is None:
            self._console = (SweepConsole(self.planned), str(cfg.results_dir))
        return self._console[0]

    def close(self) -> None:
        """Stop the live view and print the sweep's summary (if a console was shown)."""
        if self._console is not None:
            console, results_dir = self._console
            self._console = None
            console.close(results_dir)


def run(argv: Sequence[str]) -> None:
    """Validate every grid point of ``argv``, then hand the command line to Hydra."""
    app = SweepApp()
    app.precheck(argv)
    try:
        hydra.main(config_path="../conf", config_name="config", version_base="1.3")(app.main)()
    finally:
        app.close()


if __name__ == "__main__":
    run(sys.argv[1:])
