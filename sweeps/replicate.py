"""Adaptive seeds: ``resolve=R`` turns a sweep into rounds that spend seeds only where needed.

Each round reads the results store, puts an honest interval on every row's Delta AP against its
baseline (and on each part's best option), and gives one more seed only to the rows the
statistics say are unresolved (``stats.policy.next_seeds``), until every row is resolved or has
``max_seeds`` seeds. A row with a seed still queued or running gets none until it finishes, so
re-running the same command with ``launcher=slurm`` advances one round at a time, and the plan
(``sweeps.plan ... resolve=R``) names exactly the runs the next ``sweeps.run`` launches.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from sweeps.naming import names_of_variant

IN_FLIGHT = ("pending", "running")


@dataclass
class RoundPlan:
    """One round: the jobs to launch (grid point + ``seed=N``), each row's seeds and word."""

    jobs: list[list[str]]
    rows: list[dict] = field(default_factory=list)  # label, match, seeds, queued, verdict, why
    assessment: object = None  # stats.policy.Assessment of the table now
    cost: object = None  # stats.policy.Cost: expected seeds and their share still to run


def row_key(variant) -> str:
    """The table row a variant belongs to (seed left out): the key analysis matches rows by."""
    from analysis.spec import match_key

    names = names_of_variant(variant)
    return match_key(names["msfm"], names["detector"], names)


def plan_round(jobs: Sequence[Sequence[str]], compose: Callable, resolve: float, max_seeds: int,
               seed_sigma: float | None, results_dir: str, resamples: int = 1000) -> RoundPlan:
    """The next round of a sweep whose grid points are ``jobs`` (no ``seed=`` in them):
    ``compose(job)`` gives a job's config. One-line ``ValueError`` if a row has no baseline in
    the sweep."""
    from analysis.records import load_records
    from analysis.significance import evidence
    from stats.policy import expected_cost, next_seeds
    from sweeps.variants import variant_of

    variants = [variant_of(compose(list(job))) for job in jobs]
    rows = {row_key(v): (list(job), v) for job, v in zip(jobs, variants)}
    baselines = {}
    for key, (_, v) in rows.items():
        if v.msfm.enabled:
            base = row_key(replace(v, msfm=replace(v.msfm, enabled=False)))
            if base not in rows:
                raise ValueError(f"resolve: {key} has no baseline in this sweep "
                                 f"(add its msfm.enabled=false row)")
            baselines[key] = base
        else:
            baselines[key] = None
    v0 = variants[0]
    frame = load_records(results_dir).frame
    frame = frame[(frame["dataset"] == names_of_variant(v0)["dataset"]) &
                  (frame["schedule"] == names_of_variant(v0)["schedule"])]
    table = evidence(baselines, {"": tuple(k for k, b in baselines.items() if b)}, frame, "bbox",
                     resamples)
    decided = next_seeds(table, resolve, max_seeds, seed_sigma)
    out = RoundPlan([], assessment=decided.assessment,
                    cost=expected_cost(table, resolve, max_seeds, seed_sigma))
    for key, (job, v) in rows.items():
        mine = frame[frame["match"] == key]
        done = sorted(int(s) for s in mine[mine["status"] == "finished"]["seed"].dropna())
        queued = sorted(int(s) for s in mine[mine["status"].isin(IN_FLIGHT)]["seed"].dropna())
        status = decided.assessment.rows.get(key)
        row = dict(label=" ".join(job), match=key, seeds=done, queued=queued,
                   verdict=status.verdict if status else "baseline",
                   why=decided.why.get(key) or decided.held.get(key, ""), launch=None)
        if key in decided.launch and not queued:
            seed = next(s for s in range(max_seeds + len(done) + 1) if s not in done)
            row["launch"] = seed
            out.jobs.append([*job, f"seed={seed}"])
        elif key in decided.launch:
            row["why"] = f"waits for seed(s) {queued} to finish"
        out.rows.append(row)
    return out
