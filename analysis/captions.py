"""Honest captions and footnotes: what our numbers were measured on, and what their CIs rest on.

The caption names the dataset and schedule our runs actually used (from the records), labels
the paper's columns as the paper's, and on synthetic data or the smoke schedule says plainly
that the table is a pipeline check. The footnote states the interval (level, B, images, seeds),
where its training-noise term came from (the table's replicates, a prior, or unknown), what the
verdicts mean, the table's noise floor and how many seeds would resolve a Delta of ``resolve`` AP.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.significance import Evidence
from description.paper_tables import TableSpec
from stats.intervals import PRIOR_SEED_SIGMA

PAPER_DATASET = "coco"
PIPELINE_SCHEDULES = ("smoke",)  # minutes on a CPU: proves the pipeline, not the method


@dataclass(frozen=True)
class TableText:
    """The words around a table: caption, whether it is only a pipeline check, footnote lines."""

    caption: str
    pipeline_check: bool = False
    footnote: list[str] = field(default_factory=list)


def option(name: str) -> str:
    """The conf/ option a value-made name starts from: ``smoke[epochs=1]`` -> ``smoke``."""
    return name.split("[", 1)[0]


def in_words(datasets: list[str], schedules: list[str]) -> str:
    """Datasets and schedules for a caption, by their options' names, then what was changed:
    ``synthetic dataset, smoke schedule (changed: smoke: epochs=1)``."""
    changed = [f"{option(n)}: {n.split('[', 1)[1][:-1]}" for n in (*datasets, *schedules) if "[" in n]
    words = [f"{'/'.join(dict.fromkeys(map(option, names))) or 'unknown'} {kind}"
             for names, kind in ((datasets, "dataset"), (schedules, "schedule"))]
    return ", ".join(words) + (f" (changed: {'; '.join(changed)})" if changed else "")


def our_setup(spec: TableSpec, frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(datasets, schedules) of the finished runs behind the table's rows."""
    keys = {k for p in spec.parts for r in p.rows for k in (r.key, r.key.base)}
    runs = frame[frame["row_key"].isin(keys) & (frame["status"] == "finished")]
    return (sorted(runs["dataset"].dropna().astype(str).unique()),
            sorted(runs["schedule"].dropna().astype(str).unique()))


def table_text(spec: TableSpec, frame: pd.DataFrame, ev: Evidence | None) -> TableText:
    """Caption and footnote of ``spec`` built from the records ``frame`` it was made of."""
    datasets, schedules = our_setup(spec, frame)
    pipeline = any(option(d) != PAPER_DATASET for d in datasets) or \
        any(option(s) in PIPELINE_SCHEDULES for s in schedules)
    if not datasets:
        ours = "Ours: no finished runs yet."
    else:
        ours = f"Ours: {in_words(datasets, schedules)}"
        ours += (" -- a PIPELINE CHECK, not evidence about MSFM: do not compare it with the paper."
                 if pipeline else ".")
    caption = f"{spec.caption} {ours} Paper columns: the paper's own results ({spec.paper_setup})."
    return TableText(caption, pipeline, footnote(ev) if ev else [])


def footnote(ev: Evidence) -> list[str]:
    """Plain-text footnote sentences (renderers add their own marks and escaping)."""
    lines = []
    level = (f"{ev.level:.0%}" if ev.max_seeds == 1 else
             f"{ev.level:.0%} (95% over up to max_seeds={ev.max_seeds} looks, Bonferroni)") if ev.level else "95%"
    r = f"{ev.resolve:g}"
    if ev.images:
        seeds = f"{ev.seeds[0]}" if ev.seeds[0] == ev.seeds[1] else f"{ev.seeds[0]}-{ev.seeds[1]}"
        lines.append(f"Delta AP vs. the baseline with its {level} interval: paired bootstrap variance over the "
                     f"{ev.images} val images (B = {ev.resamples}) plus training noise σ_seed² (1/n + 1/n_base), "
                     f"Student-t; {seeds} seed(s) per row (column n). DAGGER: better or worse (the interval "
                     f"excludes 0); GREY: no such claim.")
    lines.append(_training_noise(ev))
    if ev.images:
        lines.append(f"Verdict: within ±{r}: the interval lies inside ±{r} AP; unresolved: neither yet; below "
                     f"floor: the val images' noise alone is wider than ±{r} and covers Delta AP, so no number of "
                     f"seeds resolves it; no claim: σ_seed unknown. Best: a part's top row whose interval "
                     f"against every other row excludes 0; otherwise the rows not shown worse are tied for best.")
        if ev.noise_floor is not None:
            lines.append(f"Noise floor: {ev.noise_floor:.1f} AP (median half-width of the Delta AP intervals; "
                         f"a smaller |Delta AP| is not resolved here).")
    lines.append(_seeds_needed(ev, r))
    if ev.problems:
        lines.append("No CI where: " + "; ".join(ev.problems) + ".")
    return lines


def _training_noise(ev: Evidence) -> str:
    if ev.noise is None or not ev.noise.known:
        return ("Training noise: unknown (no row has 2 seeds, and no seed_sigma= prior for this dataset and "
                "schedule): intervals cover val-image noise only, so no row gets a claim; add seeds or pass "
                "seed_sigma=.")
    where = ""
    if "prior" in ev.noise.source:
        where = (" (the published run-to-run spread on COCO, docs/statistics.md)" if ev.prior == PRIOR_SEED_SIGMA
                 else " (as given)")
    return f"Training noise: σ_seed = {ev.noise.sigma:.2f} AP from {ev.noise.source}{where}."


def _seeds_needed(ev: Evidence, r: str) -> str:
    line = _seeds_line(ev, r)
    n = ev.seeds_for_resolve
    if n is not None and n > ev.max_seeds:
        line = line[:-1] + f"; more than max_seeds={ev.max_seeds}, so such a Delta AP stays unresolved."
    return line


def _seeds_line(ev: Evidence, r: str) -> str:
    head = f"Seeds needed to resolve Delta AP = {r}"
    if ev.noise is None or not ev.noise.known:
        return f"{head}: unknown until a row has >= 2 seeds or seed_sigma= is given."
    sigma = f"σ_seed {ev.noise.sigma:.2f} AP"
    if ev.sigma_images is None:
        n = "more than 100" if ev.seeds_for_resolve is None else f"at least {ev.seeds_for_resolve}"
        return f"{head}: {n} per row ({sigma}; val-set noise unknown without stored detections)."
    if ev.seeds_for_resolve is None:
        return (f"{head}: none -- it is within this val set's own noise (std {ev.sigma_images:.2f} AP), "
                f"or needs more than 100 seeds; use more val images.")
    return f"{head}: {ev.seeds_for_resolve} per row ({sigma}, val-set std {ev.sigma_images:.2f} AP)."
