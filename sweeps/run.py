"""``python -m sweeps.run [overrides]``: train + evaluate one variant;
``python -m sweeps.run +sweep=<name>``: every variant of a paper table (a Hydra multirun);
``launcher=slurm``: queue them as SLURM jobs, one variant too (always a multirun, through the
``msfm_slurm`` Hydra launcher, so its settings are read from one node); a search
(``+search=...``) is queued as a driver job that submits its trials (``sweeps.search_driver``).

Thin on purpose: compose -> validate -> launch -> record. Returns the variant's bbox AP.
"""
from __future__ import annotations

import sys
from typing import Optional, Sequence

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sweeps import schema  # noqa: F401  (registers the typed schema)
from sweeps.gate import Gate
from sweeps.kinds import SweeperKind, sweeper_kind
from sweeps.naming import CONF_DIR, label, row_labels
from sweeps.setting_homes import check_setting_homes
from sweeps.variants import objective, one_line


class SweepApp:
    """One invocation: its gate, the grid points planned up front (a search: its unsampled variant)
    and, for a local sweep, its console. Hydra runs :meth:`main`; the sweepers and launchers
    it builds receive that same bound method and read the gate from it (``sweeps.gate.gate_of``)."""

    def __init__(self) -> None:
        self.gate = Gate()
        self.reference: tuple[dict, int] | None = None  # a search's unsampled variant (names, seed)
        self.planned: list[tuple[str, str]] = []  # (key, label) of every grid point
        self.composed: Optional[DictConfig] = None  # the first grid point, with its hydra node
        self._console = None  # (SweepConsole, results_dir), created on the first local variant

    def precheck(self, argv: Sequence[str]) -> None:
        """Compose and validate every grid point first: any bad input is one line and exit 2,
        before Hydra starts, before anything is trained or submitted."""
        overrides = [a for a in argv if not a.startswith("-")]
        self.gate.argv = list(argv)  # the command as typed: what a follow-up job runs again
        if any(a.startswith("-") and a not in ("-m", "--multirun") for a in argv):
            return  # --cfg, --help, ...: Hydra's own business
        try:
            specs = self.gate.check(overrides)
            cfgs = [self.gate.passed(spec.overrides)[0] for spec in specs]
            multirun = any(a in ("-m", "--multirun") for a in argv) or \
                bool(cfgs) and cfgs[0].hydra.mode == RunMode.MULTIRUN
            check_setting_homes(overrides, cfgs, multirun)
            self.composed = cfgs[0] if cfgs else None
        except ValueError as e:
            print(f"error: {one_line(e)}", file=sys.stderr)
            sys.exit(2)
        kind = sweeper_kind(cfgs[0].hydra.sweeper) if specs else None
        rounds = bool(specs) and cfgs[0].get("resolve") is not None  # runs join as launched
        if kind in (SweeperKind.ROWS, SweeperKind.GRID) and not rounds:
            labels = row_labels([spec.names for spec in specs], [spec.variant.seed for spec in specs])
            self.planned += [(spec.key, name) for spec, name in zip(specs, labels)]
        elif kind is SweeperKind.SEARCH:  # sampled later: they join the console as they come
            self.reference = (specs[0].names, specs[0].variant.seed)

    def main(self, cfg: DictConfig) -> Optional[float]:
        """Run one composed variant with the configured launcher; raise if it failed."""
        from launchers.local import run_local

        if cfg.launcher.name == "slurm":  # precheck() refuses it: never train here by mistake
            raise RuntimeError("launcher=slurm submits through hydra/launcher=msfm_slurm "
                               "(a multirun), not through the task function")
        # precheck() passed this grid point through the gate; a search's sampled points are
        # validated here (an invalid one raises and the sweeper records the trial as failed)
        job = list(HydraConfig.get().overrides.task)
        self.gate.spec(cfg, job)
        spec = self.gate.to_launch(job)[1]  # with the search trial it reports to, if any
        record = run_local(spec, self.console(cfg), self.label(spec))
        if record.get("status") == "failed":
            raise RuntimeError(f"variant {spec.key} failed: {record['error']}")
        return objective(record, cfg.objective)

    def label(self, spec) -> str:
        """A sampled trial's label on the console (grid points have theirs from the plan): its
        names where they differ from the search's unsampled variant, as the plan would list
        the two (``position=after_conv2 scales=5S``), whatever overrides sampled them."""
        if self.reference is None:
            return label(spec.names, spec.variant.seed)
        names, seed = self.reference
        return row_labels([names, spec.names], [seed, spec.variant.seed])[1]

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
    from sweeps.search_driver import driven_elsewhere, drives_search, submit_search

    app = SweepApp()
    app.precheck(argv)
    if app.composed is not None and drives_search(app.composed):
        sys.exit(submit_search(argv, app.composed))  # the search runs as a job: nothing waits here
    if app.composed is not None and driven_elsewhere(app.composed, argv):
        sys.exit(0)  # launcher.wait=true while a driver job carries the study: one loop only
    saved, sys.argv = sys.argv, ["sweeps.run", *argv]  # what hydra.main parses: a follow-up
    try:  # job calls run() with the list it was given, no shell in between
        # an absolute path: in a follow-up job this module is imported, not __main__, and a
        # relative one would be read as a Python package
        hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")(app.main)()
    finally:
        sys.argv = saved
        app.close()


if __name__ == "__main__":
    run(sys.argv[1:])
