"""Optuna's private internals are reached from one module only (results/optuna_internals.py),
so an Optuna upgrade touches one file."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "results" / "optuna_internals.py"
# a private attribute Optuna keeps on studies and trials, or an import from a private module
PRIVATE = re.compile(r"\._(storage|trial_id|study_id|backend)\b|optuna\.\w+\._|optuna\._")
STAGES = ("hydra_plugins", "sweeps", "launchers", "training", "results", "stats", "analysis",
          "description", "benchmarks", "tests", "scripts")


def test_private_optuna_is_used_in_one_module_only():
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
             for stage in STAGES for p in sorted((ROOT / stage).rglob("*.py"))
             if p != HOME and p != Path(__file__).resolve()
             for n, line in enumerate(p.read_text().splitlines(), 1) if PRIVATE.search(line)]
    assert not found, found
    assert PRIVATE.search(HOME.read_text())  # the pattern still recognises what it guards
