"""Records frame -> one frame per paper table (means, std over seeds, Delta AP, paper values)."""

from __future__ import annotations

import pandas as pd

from description.paper_tables import COLUMNS, RowKey, RowSpec, TableSpec, load_specs, paper_baselines
from results.frame import finished_runs
from results.record import FAILED, FINISHED, PENDING, PRUNED, RUNNING

# Most advanced status wins when a variant has several records and none finished.
_RANK = {FAILED: 0, PRUNED: 0.5, PENDING: 1, RUNNING: 2, FINISHED: 3}
_STATE = {v: k for k, v in _RANK.items()}
NOT_EVALUABLE = "not evaluable"
# filled by analysis.significance where runs kept their detections; missing (—) otherwise
# (``*_source``: where an interval's sigma_seed came from; "unknown": it covers the val images only)
CI_COLUMNS = (*(f"{c}_{e}" for c in COLUMNS for e in ("lo", "hi", "source")), "delta_AP_lo", "delta_AP_hi",
              "delta_AP_p", "significant", "verdict", "best", "delta_AP_source")
TEXT_COLUMNS = ("significant", "verdict", "best", "delta_AP_source",  # object columns, None when missing
                *(f"{c}_source" for c in COLUMNS))


def summarize(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per variant (``match``): its ``row_key``, state, seeds ``n``, mean and std of each AP
    column, params in M.

    Reruns of the same seed count once (``results.frame.finished_runs``).
    """
    state = frame["status"].map(_RANK).groupby(frame["match"]).max().map(_STATE)
    cols = [f"{metric}_{c}" for c in COLUMNS]
    done = finished_runs(frame, metric).rename(columns=dict(zip(cols, COLUMNS, strict=True)))
    grouped = done.groupby("match")
    out = grouped[list(COLUMNS)].mean()
    out = out.join(grouped[list(COLUMNS)].std().add_suffix("_std"))
    out["n"] = grouped.size()
    out["params_M"] = grouped["params"].mean() / 1e6
    out = out.reindex(state.index)
    out.insert(0, "state", state)
    out.insert(0, "row_key", pd.Series(dict(zip(frame["match"], frame["row_key"])), dtype=object))
    # finished, but without this metric (e.g. no segm_* in a Mask R-CNN record)
    out.loc[(out["state"] == FINISHED) & out["n"].isna(), "state"] = f"no {metric} metrics"
    out["n"] = out["n"].fillna(0).astype(int)
    return out


def _values(stats: pd.DataFrame, match: str) -> dict:
    if match in stats.index:
        return stats.loc[match].to_dict()
    return {"state": "missing", "n": 0}


def extra_rows(spec: TableSpec, stats: pd.DataFrame) -> dict[str, list[RowSpec]]:
    """Variants in the records that are no row of any paper table but vary only what one part of
    ``spec`` varies (``scales=[0.5,1.0]`` next to Scales' 3S, 5S, ...): part name -> rows for
    them, named by the values they differ in. A variant fits the first such part."""
    known = {r.key for s in load_specs().values() for p in s.parts for r in p.rows}
    fixed = {}  # part -> (detector, the knobs its rows share and their values)
    for part in spec.parts:
        rows = [r for r in part.rows if not r.baseline]
        if rows:
            same = {k: v for k, v in rows[0].msfm.items() if all(r.msfm[k] == v for r in rows)}
            fixed[part.name] = (rows[0].detector, same)
    out: dict[str, list[RowSpec]] = {}
    for key in stats["row_key"]:
        if key.msfm is None or key in known:
            continue
        values = key.values
        for name, (detector, same) in fixed.items():
            if detector == key.detector and all(values[k] == v for k, v in same.items()):
                label = " ".join(f"{k}={v}" for k, v in values.items() if k not in same)
                out.setdefault(name, []).append(RowSpec(label, detector, False, values, None, None))
                break
    return out


def build_table(spec: TableSpec, stats: pd.DataFrame, paper: bool = True) -> pd.DataFrame:
    """One row per table row, in the paper's order, then the part's :func:`extra_rows`;
    ``stats`` comes from ``summarize``."""
    paper_base = paper_baselines(load_specs())  # from all tables: Table 3 needs Table 2's
    extras = extra_rows(spec, stats)
    names = [r.name for p in spec.parts for r in (*p.rows, *extras.get(p.name, ()))]
    rows = []
    for part in spec.parts:
        for r in (*part.rows, *extras.get(part.name, ())):
            vals = _values(stats, r.match) if r.evaluable else {"state": NOT_EVALUABLE, "n": 0}
            if vals["state"] != FINISHED:
                vals = {"state": vals["state"], "n": 0}
            base = _values(stats, str(RowKey(r.detector)))
            row = {
                "part": part.name,
                "name": r.name,
                "label": r.name if names.count(r.name) == 1 else f"{part.name}: {r.name}",
                "variant": r.match,
                "baseline": r.baseline,
                **{k: vals.get(k) for k in ("state", "n", *COLUMNS)},
                **{f"{c}_std": vals.get(f"{c}_std") for c in COLUMNS},
                "params_M": vals.get("params_M"),
                "delta_AP": None if r.baseline else _delta(vals, base),
            }
            if paper:
                ref = paper_base.get((spec.metric, r.detector))
                row.update({f"paper_{c}": (r.paper[i] if r.paper else None) for i, c in enumerate(COLUMNS)})
                row["paper_params_M"] = r.paper_params
                has_delta = r.paper and ref and not r.baseline
                row["paper_delta_AP"] = r.paper[0] - ref[0] if has_delta else None
            rows.append(row)
    frame = pd.DataFrame(rows)
    floats = [c for c in frame.columns if c not in ("part", "name", "label", "variant", "baseline", "state", "n")]
    frame[floats] = frame[floats].astype(float)
    return empty_columns(frame)


def _delta(vals: dict, base: dict) -> float | None:
    if vals.get("state") != FINISHED or base.get("state") != FINISHED:
        return None
    return vals["AP"] - base["AP"]


def build_tables(specs: dict[str, TableSpec], frame: pd.DataFrame, paper: bool = True) -> dict[str, pd.DataFrame]:
    """Build every table in ``specs`` from the records frame (each metric summarized once)."""
    stats = {m: summarize(frame, m) for m in {s.metric for s in specs.values()}}
    return {name: build_table(spec, stats[spec.metric], paper) for name, spec in specs.items()}


def empty_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Add the CI columns (all missing) so every table has the same schema."""
    for col in CI_COLUMNS:
        if col not in table:
            table[col] = pd.Series([None] * len(table), dtype=object) if col in TEXT_COLUMNS else float("nan")
    return table
