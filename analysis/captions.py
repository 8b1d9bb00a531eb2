"""Honest captions and footnotes: what our numbers were measured on, and what their CIs rest on.

The caption names the dataset and schedule our runs actually used (from the records), labels
the paper's columns as the paper's, and on synthetic data or the smoke schedule says plainly
that the table is a pipeline check. The footnote states the bootstrap (B, method, images,
seeds), the table's noise floor and how many seeds would resolve a Delta of ``resolve`` AP.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.significance import Evidence
from analysis.spec import TableSpec

PAPER_DATASET = "coco"
PIPELINE_SCHEDULES = ("smoke",)  # minutes on a CPU: proves the pipeline, not the method


@dataclass(frozen=True)
class TableText:
    """The words around a table: caption, whether it is only a pipeline check, footnote lines."""

    caption: str
    pipeline_check: bool = False
    footnote: list[str] = field(default_factory=list)


def our_setup(spec: TableSpec, frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(datasets, schedules) of the finished runs behind the table's rows."""
    matches = {r.match for p in spec.parts for r in p.rows}
    matches |= {f"baseline|{r.detector}" for p in spec.parts for r in p.rows}
    runs = frame[frame["match"].isin(matches) & (frame["status"] == "finished")]
    return (sorted(runs["dataset"].dropna().astype(str).unique()),
            sorted(runs["schedule"].dropna().astype(str).unique()))


def table_text(spec: TableSpec, frame: pd.DataFrame, ev: Evidence | None) -> TableText:
    """Caption and footnote of ``spec`` built from the records ``frame`` it was made of."""
    datasets, schedules = our_setup(spec, frame)
    pipeline = any(d != PAPER_DATASET for d in datasets) or any(s in PIPELINE_SCHEDULES for s in schedules)
    if not datasets:
        ours = "Ours: no finished runs yet."
    else:
        ours = f"Ours: {'/'.join(datasets)} dataset, {'/'.join(schedules) or 'unknown'} schedule"
        ours += (" -- a PIPELINE CHECK, not evidence about MSFM: do not compare it with the paper."
                 if pipeline else ".")
    caption = f"{spec.caption} {ours} Paper columns: the paper's own results ({spec.paper_setup})."
    return TableText(caption, pipeline, footnote(ev) if ev else [])


def footnote(ev: Evidence) -> list[str]:
    """Plain-text footnote sentences (renderers add their own marks and escaping)."""
    lines = []
    if ev.images:
        seeds = f"{ev.seeds[0]}" if ev.seeds[0] == ev.seeds[1] else f"{ev.seeds[0]}-{ev.seeds[1]}"
        only = " (one seed per row: the CI covers val-set noise only)" if ev.seeds[1] == 1 else ""
        lines.append(f"Delta AP vs. the baseline with its 95% CI: paired bootstrap over the {ev.images} "
                     f"val images, seeds resampled too where a row has several; B = {ev.resamples}, "
                     f"{seeds} seed(s) per row{only}. DAGGER: the CI excludes 0; GREY: it does not.")
        if ev.noise_floor is not None:
            lines.append(f"Noise floor: {ev.noise_floor:.1f} AP (median half-width of the Delta AP CIs; "
                         f"a smaller |Delta AP| is not resolved by this val set).")
    if ev.sigma_seed is None:
        lines.append(f"Seeds needed to resolve Delta AP = {ev.resolve:g}: unknown until a row has >= 2 seeds.")
    elif ev.seeds_for_resolve is None:
        lines.append(f"Delta AP = {ev.resolve:g} is below this val set's own noise (std "
                     f"{ev.sigma_images:.2f} AP): no number of seeds resolves it; use more val images.")
    elif ev.sigma_images is None:
        lines.append(f"Seeds needed to resolve Delta AP = {ev.resolve:g}: at least {ev.seeds_for_resolve} per "
                     f"row (seed std {ev.sigma_seed:.2f} AP; val-set noise unknown without stored detections).")
    else:
        lines.append(f"Seeds needed to resolve Delta AP = {ev.resolve:g}: {ev.seeds_for_resolve} per row "
                     f"(seed std {ev.sigma_seed:.2f} AP, val-set std {ev.sigma_images:.2f} AP).")
    if ev.problems:
        lines.append("No CI where: " + "; ".join(ev.problems) + ".")
    return lines
