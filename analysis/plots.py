"""Figures per sweep (AP vs #Param with the Pareto front, AP by object size) and Table 4's
baseline-vs-MSFM bars; each saved as PNG and PDF. matplotlib is imported lazily (Agg).

Every error bar is the table's own interval (its ``*_lo`` / ``*_hi`` columns), and the legend
says what it covers: the val images alone, or the val images and training seeds (when the
table knows sigma_seed; ``*_source`` columns). AP vs #Param draws each row's Delta AP interval
against the baseline at the row's AP; AP by size draws each bar's own interval. A figure made
from a pipeline check (synthetic data, smoke schedule) carries the same notice as its table."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from description.paper_tables import TableSpec

log = logging.getLogger(__name__)


def pareto_front(params: list[float], ap: list[float]) -> list[int]:
    """Indices of the points no other point beats with fewer (or equal) params and higher AP."""
    order = sorted(range(len(ap)), key=lambda i: (params[i], -ap[i]))
    front, best = [], float("-inf")
    for i in order:
        if ap[i] > best:
            front.append(i)
            best = ap[i]
    return front


def sweep_frame(spec: TableSpec, frame: pd.DataFrame, sweep: str) -> pd.DataFrame:
    """Finished rows of ``sweep``'s parts plus the table's reference (sweep-less) parts, one per variant."""
    parts = [p.name for p in spec.parts if p.sweep in (sweep, None)]
    rows = frame[frame["part"].isin(parts) & (frame["state"] == "finished")]
    return rows.drop_duplicates("variant")


def _save(fig, out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.pdf"]
    fig.savefig(paths[0], dpi=120, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    return paths


PIPELINE_NOTICE = "PIPELINE CHECK -- not evidence about MSFM (synthetic data and/or smoke schedule)"


def _notice(fig, notice: str | None) -> None:
    if notice:
        fig.text(0.5, 0.995, notice, ha="center", va="top", color="tab:red", fontsize=8, weight="bold")


def plot_ap_vs_params(rows: pd.DataFrame, title: str, out_dir: Path, stem: str, notice: str | None = None) -> list[Path]:
    """Scatter AP against #Param with each row's Delta AP interval as an error bar, Pareto-optimal
    variants ringed and joined by a step line; ``notice`` (a pipeline check) printed on top."""
    fig = ap_vs_params_figure(rows, title, notice)
    return _save(fig, out_dir, stem) if fig is not None else []


def interval_bars(rows: pd.DataFrame, col: str):
    """(below, above) extents of each row's ``col`` interval (``col_lo``, ``col_hi``) around
    ``col`` (0 without one), or None when the frame has no intervals of ``col``."""
    if not {col, f"{col}_lo", f"{col}_hi"} <= set(rows.columns):
        return None
    value = rows[col].astype(float)
    below = (value - rows[f"{col}_lo"].astype(float)).fillna(0).clip(lower=0)
    above = (rows[f"{col}_hi"].astype(float) - value).fillna(0).clip(lower=0)
    has = rows[f"{col}_lo"].notna() & rows[f"{col}_hi"].notna()
    return (below.tolist(), above.tolist()) if has.any() else None


def coverage(rows: pd.DataFrame, col: str) -> str:
    """What the ``col`` intervals of ``rows`` cover, from where their sigma_seed came from
    (``col_source``, "unknown": not covered): "val images + seeds" or "val images"."""
    has = rows[f"{col}_lo"].notna() & rows[f"{col}_hi"].notna()
    sources = rows.loc[has, f"{col}_source"] if f"{col}_source" in rows else pd.Series(dtype=object)
    known = sources.notna() & (sources != "unknown")
    if len(known) and known.all():
        return "val images + seeds"
    return "val images" if not known.any() else "val images; + seeds where sigma_seed is known"


def ap_vs_params_figure(rows: pd.DataFrame, title: str, notice: str | None = None):
    """The AP-vs-#Param figure (None without data): every point labelled, no label cut off,
    hidden under the legend, on another label or on an error bar."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = rows.dropna(subset=["AP", "params_M"])
    if rows.empty:
        return None
    params, ap = rows["params_M"].tolist(), rows["AP"].tolist()
    front = pareto_front(params, ap)
    fig = Figure(figsize=(6, 4.5))
    FigureCanvasAgg(fig)  # a renderer, to measure the labels
    ax = fig.add_subplot()
    bars = interval_bars(rows, "delta_AP")
    if bars is not None:
        ax.errorbar(params, ap, yerr=bars, fmt="none", ecolor="tab:blue", alpha=0.5, capsize=3, lw=1, zorder=1,
                    label=f"interval of ΔAP vs baseline ({coverage(rows, 'delta_AP')})")
    ax.scatter(params, ap, color="tab:blue", zorder=2, label="variant")
    fx, fy = [params[i] for i in front], [ap[i] for i in front]
    ax.step(fx, fy, where="post", color="tab:red", lw=1, zorder=1)
    ax.scatter(fx, fy, s=120, facecolors="none", edgecolors="tab:red", zorder=3, label="Pareto front")
    ax.set(xlabel="#Param (M)", ylabel="AP", title=title)
    ax.grid(alpha=0.3)
    ax.margins(x=0.15, y=0.15)  # room for the labels of the outermost points
    # the legend sits under the axes, so it can cover no point and no label
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    spans = [(x, y - b, y + a) for x, y, b, a in zip(params, ap, *bars)] if bars is not None else []
    place_labels(ax, params, ap, rows["label"].tolist(), spans=spans)
    _notice(fig, notice)
    return fig


# label offsets in points (dx, dy, ha, va), tried in turn until one overlaps nothing
_OFFSETS = [(6, 5, "left", "bottom"), (-6, 5, "right", "bottom"), (6, -5, "left", "top"),
            (-6, -5, "right", "top"), (0, 9, "center", "bottom"), (0, -9, "center", "top"),
            (9, 0, "left", "center"), (-9, 0, "right", "center")]


def place_labels(ax, xs: list, ys: list, labels: list, pad: float = 4.0, spans: list = ()) -> list:
    """Annotate each point with its label at the first offset where the label stays inside
    the axes and keeps ``pad`` pixels from every marker, error bar (``spans``: (x, y_lo, y_hi))
    and label placed before (the least crowded offset otherwise)."""
    from matplotlib.transforms import Bbox

    renderer = ax.figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    radius, cap = 7.0, 3.0  # px: the Pareto ring around a marker, half an error bar's cap
    markers = [Bbox.from_extents(px - radius, py - radius, px + radius, py + radius)
               for px, py in (ax.transData.transform((x, y)) for x, y in zip(xs, ys))]
    for x, lo, hi in spans:
        (px, p0), (_, p1) = ax.transData.transform([(x, lo), (x, hi)])
        markers.append(Bbox.from_extents(px - cap, p0, px + cap, p1))
    placed, texts = [], []
    for i in sorted(range(len(xs)), key=lambda k: (xs[k], ys[k])):
        best = None
        for dx, dy, ha, va in _OFFSETS:
            text = ax.annotate(labels[i], (xs[i], ys[i]), textcoords="offset points",
                               xytext=(dx, dy), ha=ha, va=va, fontsize=7)
            box = text.get_window_extent(renderer)
            near = box.expanded(1, 1).padded(pad)
            own_bar = len(xs) + i  # its own error bar: only the label itself may not cover it
            cost = sum(near.overlaps(b) for b in placed) + sum(
                (box if j == own_bar else near).overlaps(m) for j, m in enumerate(markers) if j != i)
            cost += 10 * (box.x0 < inside.x0 or box.x1 > inside.x1 or box.y0 < inside.y0
                          or box.y1 > inside.y1)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, text, box)
            else:
                text.remove()
            if cost == 0:
                break
        placed.append(best[2])
        texts.append(best[1])
    return texts


def plot_sizes(rows: pd.DataFrame, title: str, out_dir: Path, stem: str, notice: str | None = None) -> list[Path]:
    """Grouped bars of APs / APm / APl per variant, each with its interval from the table."""
    fig = sizes_figure(rows, title, notice)
    return _save(fig, out_dir, stem) if fig is not None else []


def sizes_figure(rows: pd.DataFrame, title: str, notice: str | None = None):
    """The AP-by-size figure (None without data): a bar per variant and size, its error bar the
    row's interval of that AP (``*_lo`` / ``*_hi``) and the legend saying what it covers."""
    from matplotlib.figure import Figure

    rows = rows.dropna(subset=["APs", "APm", "APl"])
    if rows.empty:
        return None
    fig = Figure(figsize=(max(6, 0.7 * len(rows) + 2), 4.5))
    ax = fig.add_subplot()
    width = 0.27
    for k, col in enumerate(("APs", "APm", "APl")):
        xs = [i + (k - 1) * width for i in range(len(rows))]
        bars = interval_bars(rows, col)
        label = f"{col} (interval: {coverage(rows, col)})" if bars is not None else f"{col} (no interval)"
        ax.bar(xs, rows[col], width, yerr=bars, label=label, capsize=2)
    ax.set_xticks(range(len(rows)), rows["label"], rotation=30, ha="right", fontsize=8)
    ax.set(ylabel="AP", title=title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    _notice(fig, notice)
    return fig


def plot_frameworks(frame: pd.DataFrame, out_dir: Path, stem: str = "table4_baseline_vs_msfm",
                    notice: str | None = None) -> list[Path]:
    """Table 4: AP of each detector without and with MSFM*, side by side."""
    from matplotlib.figure import Figure

    done = frame[frame["state"] == "finished"]
    pivot = done.pivot_table(index="part", columns="baseline", values="AP", sort=False)
    if pivot.empty:
        return []
    pivot = pivot.reindex(columns=[True, False])
    fig = Figure(figsize=(max(6, 0.9 * len(pivot) + 2), 4.5))
    ax = fig.add_subplot()
    xs = range(len(pivot))
    ax.bar([x - 0.2 for x in xs], pivot[True], 0.4, label="baseline", color="tab:gray")
    bars = ax.bar([x + 0.2 for x in xs], pivot[False], 0.4, label="+ MSFM*", color="tab:blue")
    gains = [f"{d:+.1f}" if d == d else "" for d in pivot[False] - pivot[True]]  # d == d: not NaN
    ax.bar_label(bars, gains, fontsize=7, padding=2)
    ax.set_xticks(list(xs), pivot.index, rotation=30, ha="right", fontsize=8)
    ax.set(ylabel="AP (bbox)", title="Table 4: detectors without / with MSFM* (labels: gain in AP)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    _notice(fig, notice)
    return _save(fig, out_dir, stem)


def make_plots(specs: dict[str, TableSpec], tables: dict[str, pd.DataFrame], sweeps: list[str],
               out_dir: Path, pipeline: set[str] = frozenset()) -> list[Path]:
    """All figures for ``sweeps`` (first table of each sweep) into ``out_dir``; returns the files.
    ``pipeline``: names of the tables that are pipeline checks (their figures say so)."""
    paths: list[Path] = []
    for sweep in sweeps:
        name = next((n for n, s in specs.items() if sweep in s.sweeps and n in tables), None)
        if name is None:
            continue
        rows = sweep_frame(specs[name], tables[name], sweep)
        if rows.empty:
            log.info("no finished records for sweep %s: no plots", sweep)
            continue
        notice = PIPELINE_NOTICE if name in pipeline else None
        paths += plot_ap_vs_params(rows, f"{sweep} ({name}): AP vs #Param", out_dir, f"{sweep}_ap_vs_params", notice)
        paths += plot_sizes(rows, f"{sweep} ({name}): AP by object size", out_dir, f"{sweep}_ap_by_size", notice)
    if "table4" in tables:
        paths += plot_frameworks(tables["table4"], out_dir, notice=PIPELINE_NOTICE if "table4" in pipeline else None)
    return paths
