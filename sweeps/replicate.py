"""Adaptive seeds: ``resolve=R`` turns a sweep into rounds that spend seeds only where needed.

Each round reads the results store, puts an honest interval on every row's Delta AP against its
baseline (and on the sweep's best option), and gives one more seed only to the rows the
statistics leave unresolved (``stats.policy.next_seeds``), until every row is resolved or has
``max_seeds`` seeds. A row with a seed still queued or running gets none until it finishes, so
with ``launcher=slurm`` each round's follow-up job (``sweeps.chain``) queues the next, locally
the sweeper runs rounds until none is left, and ``sweeps.plan ... resolve=R`` names exactly the
runs the next ``sweeps.run`` launches. The rows of one sweep are one part of one table.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Sequence

from omegaconf import open_dict

from results.record import FAILED, IN_FLIGHT
from sweeps.naming import label, names_of_variant, row_labels


@dataclass
class RoundPlan:
    """One round: ``composed`` the runs to launch (grid point + ``seed=N``, its config), and per
    row its label, seeds finished and queued, verdict, the seed it gets (or None) and why."""

    composed: list = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    assessment: object = None  # stats.policy.Assessment of the sweep now
    cost: object = None  # stats.policy.Cost: the seeds expected to resolve every row
    evidence: str = ""  # stats.replicates.evidence_line: runs whose replicates were read / computed


def row_key(names: dict) -> str:
    """The table row of a variant named ``names`` (its seed left out), as the paper's tables
    match rows (``description.paper_tables.match_key``)."""
    from description.paper_tables import match_key

    return match_key(names["msfm"], names["detector"], names)


def _baselines(rows: dict) -> dict:
    """Row key -> its baseline's row key (None for a baseline); a row whose baseline is not in
    the sweep is a one-line ``ValueError``."""
    out = {}
    for key, (job, cfg, variant, names) in rows.items():
        if not variant.msfm.enabled:
            out[key] = None
            continue
        base = row_key(names_of_variant(replace(variant, msfm=replace(variant.msfm, enabled=False))))
        if base not in rows:
            raise ValueError(f"resolve: {label(names)} has no baseline in "
                             "this sweep; add its msfm.enabled=false row")
        out[key] = base
    return out


def plan_round(composed: Sequence[tuple[list, object]], gpu_hours=None) -> RoundPlan:
    """This round of the sweep whose grid points (no ``seed=``) are ``composed``: their configs
    carry ``resolve``, ``max_seeds``, ``seed_sigma`` and ``results_dir``. ``gpu_hours``: a
    function of a Variant, the GPU-hours of one of its runs (for the expected cost)."""
    from results.frame import finished_runs, load_records
    from stats.evidence import build, runs_by_row
    from stats.intervals import default_prior
    from stats.policy import expected_cost, next_seeds
    from stats.replicates import evidence_line, new_look
    from sweeps.schema import variant_of

    cfg0 = composed[0][1]
    if any(o.split("=", 1)[0].lstrip("+") == "seed" for job, _ in composed for o in job):
        raise ValueError("seed: resolve= chooses each row's seeds itself; drop seed=")
    rows = {}
    for job, cfg in composed:
        variant = variant_of(cfg)
        names = names_of_variant(variant)
        rows.setdefault(row_key(names), (list(job), cfg, variant, names))
    baselines = _baselines(rows)
    names0 = next(iter(rows.values()))[3]
    frame = load_records(cfg0.results_dir).frame
    frame = frame[(frame["dataset"] == names0["dataset"]) & (frame["schedule"] == names0["schedule"])]
    sigma = cfg0.seed_sigma if cfg0.seed_sigma is not None else \
        default_prior(names0["dataset"], names0["schedule"])
    runs = finished_runs(frame)
    new_look()
    evidence = build(runs_by_row(runs.to_dict("records")), baselines,
                     {"": tuple(k for k, b in baselines.items() if b)}).table
    decided = next_seeds(evidence, cfg0.resolve, cfg0.max_seeds, sigma)
    hours = {k: gpu_hours(v) if gpu_hours else 0.0 for k, (_, _, v, _) in rows.items()}
    attempts = cfg0.launcher.max_requeues + 1  # what one run may take, as the job's requeues
    out = RoundPlan(assessment=decided.assessment, cost=expected_cost(
        evidence, cfg0.resolve, cfg0.max_seeds, sigma, hours, prior_delta=_paper_deltas(baselines)),
        evidence=evidence_line())
    for key, (job, cfg, variant, names) in rows.items():
        mine = frame[frame["match"] == key]
        done = sorted({int(s) for s in runs[runs["match"] == key]["seed"].dropna()})
        queued = sorted({int(s) for s in mine[mine["status"].isin(IN_FLIGHT)]["seed"].dropna()})
        spent = mine[(mine["status"] == FAILED) & (mine["attempts"] >= attempts)]
        spent = sorted({int(s) for s in spent["seed"].dropna()})
        status = decided.assessment.rows.get(key)
        row = dict(key=key, seeds=done, queued=queued,
                   verdict=status.verdict if status else "baseline", seed=None,
                   why=decided.why.get(key) or decided.held.get(key, ""))
        nxt = next(s for s in range(len(done) + 1) if s not in done)
        if key in decided.launch and queued:
            row["why"] = f"waits for seed {', '.join(map(str, queued))} to finish"
        elif key in decided.launch and nxt in spent:  # retrying it would only fail again
            row["why"] = (f"seed {nxt} failed after {attempts} attempt(s): not retried; "
                          "its error: sweeps.status")
        elif key in decided.launch:
            row["seed"] = nxt
            seeded = copy.deepcopy(cfg)
            with open_dict(seeded):
                seeded.seed = row["seed"]
            out.composed.append(([*job, f"seed={row['seed']}"], seeded))
        out.rows.append(row)
    for r, name in zip(out.rows, row_labels([names for *_, names in rows.values()])):
        r["label"] = name
    return out


def _paper_deltas(baselines: dict) -> dict:
    """The paper's Delta AP of each row that is a paper row (the projection's prior)."""
    from description.paper_tables import load_specs

    paper = {r.match: r.paper[0] for s in load_specs().values() if s.metric == "bbox"
             for p in s.parts for r in p.rows if r.paper}
    return {k: paper[k] - paper[b] for k, b in baselines.items() if b and k in paper and b in paper}


def print_round(plan: RoundPlan) -> None:
    """The round as a table: each row's seeds, verdict, the seed it gets now and why; then what
    resolving every row is expected to cost."""
    from rich.table import Table

    from launchers.live_console import table_console

    table = Table(title="adaptive seeds: this round")
    for col in ("row", "seeds", "verdict", "next", "why"):
        table.add_column(col, overflow="fold", no_wrap=col != "why")
    for r in plan.rows:
        seeds = f"{len(r['seeds'])}" + (f" (+{len(r['queued'])} queued)" if r["queued"] else "")
        table.add_row(r["label"], seeds, r["verdict"], "—" if r["seed"] is None else f"seed {r['seed']}",
                      r["why"])
    console = table_console()
    console.print(table)
    cost = plan.cost
    hours = f", ~{cost.gpu_hours:.1f} GPU-h" if cost.gpu_hours else ""
    console.print(f"this round: {len(plan.composed)} run(s); expected to resolve every row: "
                  f"{cost.more_seeds} more run(s){hours}, {sum(cost.seeds.values())} in all "
                  f"({cost.basis})")
    if plan.evidence:
        console.print(plan.evidence)
