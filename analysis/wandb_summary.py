"""Log the tables and plots of one analysis to a single wandb summary run.

The run's summary carries each part's answer to "which option is best" exactly as the tables
give it (``stats.verdicts.best_option``, the rows marked best / tied best), never the row with
the top mean AP, which a tie or too few seeds can leave unsettled (docs/wandb.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

UNKNOWN = "unknown"  # the table marks no best: fewer than two options have intervals


def part_answers(table: str, frame: pd.DataFrame) -> dict[str, object]:
    """Summary entries of one table frame: for each part with two or more options (its
    non-baseline rows), ``<table>/<part>/answer`` ("best", "tied for best" or "unknown") and
    ``<table>/<part>/best`` (the option names the table marks, highest mean AP first; empty
    when unknown). A part without a name is ``<table>/answer``."""
    out: dict[str, object] = {}
    for part, rows in frame.groupby("part", sort=False):
        options = rows[~rows["baseline"].astype(bool)]
        if len(options) < 2:  # one option against its baseline: no "which is best" question
            continue
        marked = options[options["best"].isin(("best", "tied for best"))].sort_values("AP", ascending=False)
        prefix = f"{table}/{part}" if part else table
        out[f"{prefix}/answer"] = str(marked["best"].iloc[0]) if len(marked) else UNKNOWN
        out[f"{prefix}/best"] = [str(n) for n in marked["name"]]
    return out


def log_summary(tables: dict[str, pd.DataFrame], plots: list[Path], sweep: str | None,
                out_dir: Path) -> str:
    """One run per sweep: ``group`` = sweep, ``job_type`` = analysis, offline unless WANDB_MODE says
    otherwise. Tables go in as ``wandb.Table``, PNG plots as images, each part's answer
    (``part_answers``) in the summary. Returns the run id; the run is always finished."""
    import wandb

    group = sweep or "all"
    run = wandb.init(
        project=os.environ.get("WANDB_PROJECT", "msfm"),
        group=group,
        job_type="analysis",
        name=f"analysis-{group}",
        mode=os.environ.get("WANDB_MODE", "offline"),
        dir=str(out_dir),
        config={"sweep": sweep, "tables": sorted(tables)},
    )
    try:
        for name, frame in tables.items():
            table = frame.drop(columns=["label"]).astype(object).where(frame.notna(), None)
            run.log({f"tables/{name}": wandb.Table(dataframe=table)})
            for key, value in part_answers(name, frame).items():
                run.summary[key] = value
        images = {f"plots/{p.stem}": wandb.Image(str(p)) for p in plots if p.suffix == ".png"}
        if images:
            run.log(images)
        return run.id
    finally:
        run.finish()
