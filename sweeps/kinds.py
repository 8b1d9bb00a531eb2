"""Which kind of sweeper a composed config selects, told apart in one place.

Hydra builds a sweeper from ``hydra.sweeper._target_``; the stages before it (the gate, the
plan, the status, the setting checks) need to know what kind of sweep that is without
importing the plugin. This is the one table from the plugin's class to its kind.
"""
from __future__ import annotations

from enum import Enum


class SweeperKind(Enum):
    """What a sweeper does with the command line's grid."""

    GRID = "grid"  # Hydra's basic sweeper: the cartesian product of ``params``
    ROWS = "rows"  # a union of blocks (a paper table's rows; adaptive seeds run on it)
    SEARCH = "search"  # an ask-and-tell search: grid points are sampled later, one by one


KINDS = {
    "hydra._internal.core_plugins.basic_sweeper.BasicSweeper": SweeperKind.GRID,
    "hydra_plugins.msfm_rows_sweeper.rows_sweeper.RowsSweeper": SweeperKind.ROWS,
    "hydra_plugins.msfm_optuna_sweeper.optuna_sweeper.OptunaSweeper": SweeperKind.SEARCH,
}


def sweeper_kind(sweeper) -> SweeperKind:
    """The kind of the sweeper node ``sweeper`` (a config's ``hydra.sweeper``); a sweeper the
    project does not know is a one-line ``ValueError`` naming the ones it does."""
    target = str(sweeper.get("_target_", ""))
    if target not in KINDS:
        raise ValueError(f"hydra/sweeper: {target!r} is not one of this project's sweepers; "
                         f"allowed: basic, rows, a search (+search=...)")
    return KINDS[target]
