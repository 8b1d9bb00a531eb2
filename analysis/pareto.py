"""The Optuna search's results (records of ``sweep=search``): its Pareto front of AP vs
#Param as a table (.md, .csv) and a plot."""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from analysis.plots import pareto_front, plot_ap_vs_params
from description.msfm_spec import KNOBS

log = logging.getLogger("analysis")


def search_frame(results_dir: Path | str) -> pd.DataFrame:
    """One row per finished search variant: its knobs, AP (x100), #Param (M), on-front flag."""
    from results.record import FINISHED
    from results.store import ResultStore

    rows = []
    for rec in ResultStore(results_dir).records()[0]:  # load_records has warned about the bad ones
        if rec.get("sweep") != "search" or rec.status != FINISHED:
            continue
        knobs = {k: rec["variant"].get(k) for k in KNOBS}
        rows.append(dict(knobs, label=" ".join(str(v) for v in knobs.values()),
                         AP=100 * rec.ap, params_M=rec["params"] / 1e6))
    frame = pd.DataFrame(rows, columns=[*KNOBS, "label", "AP", "params_M"])
    front = set(pareto_front(frame["params_M"].tolist(), frame["AP"].tolist()))
    frame["pareto"] = [i in front for i in range(len(frame))]
    return frame.sort_values("params_M", ignore_index=True)


def write_search(results_dir: Path | str, out_dir: Path, plots: bool = True) -> pd.DataFrame:
    """Write ``search_pareto.md`` / ``.csv`` (every variant, front marked) and the plot."""
    frame = search_frame(results_dir)
    if frame.empty:
        log.warning("no finished search records in %s", results_dir)
        return frame
    out_dir.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out_dir / "search_pareto.csv", index=False, float_format="%.2f")
    shown = frame.assign(AP=frame["AP"].map("{:.1f}".format),
                         params_M=frame["params_M"].map("{:.2f}".format),
                         pareto=frame["pareto"].map({True: "**yes**", False: ""}))
    shown = shown.drop(columns="label")
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    (out_dir / "search_pareto.md").write_text("\n".join(lines) + "\n")
    if plots:
        plot_ap_vs_params(frame, "MSFM search: AP vs #Param", out_dir / "plots", "search_ap_vs_params")
    log.info("search: %d variants, %d on the Pareto front", len(frame), int(frame["pareto"].sum()))
    return frame
