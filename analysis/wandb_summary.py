"""Log the tables and plots of one analysis to a single wandb summary run."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd


def log_summary(tables: dict[str, pd.DataFrame], plots: list[Path], sweep: str | None,
                out_dir: Path) -> str:
    """One run per sweep: ``group`` = sweep, ``job_type`` = analysis, offline unless WANDB_MODE says
    otherwise. Tables go in as ``wandb.Table``, PNG plots as images, each table's best AP in the
    summary. Returns the run id; the run is always finished."""
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
            done = frame[frame["state"] == "finished"]
            if not done.empty:
                best = done.loc[done["AP"].idxmax()]
                run.summary[f"{name}/best_AP"] = float(best["AP"])
                run.summary[f"{name}/best_variant"] = str(best["label"])
        images = {f"plots/{p.stem}": wandb.Image(str(p)) for p in plots if p.suffix == ".png"}
        if images:
            run.log(images)
        return run.id
    finally:
        run.finish()
