"""Adaptive seeds per row vs fixed 1, 3 and 5 seeds, on 1,000 simulated Table 2s with known truth.

Truth: the paper's Table 2 APs (``description/paper_values.yaml``): baseline 37.4, MSFM rows +1.1
to +2.2, options within a part 0.1-0.5 apart. Each distinct variant once (the default variant
sits in four parts). Noise, calibrated to:
- training seeds: sigma_seed = 0.15 AP per run (the published run-to-run spread, the same figure
  as the prior ``stats.intervals.PRIOR_SEED_SIGMA``; docs/statistics.md);
- the val images: the paired bootstrap's std of a Delta on 5,000 COCO-sized images, read from
  ``benchmarks/results/bootstrap.json`` (its 95% Delta CI / (2 x 1.96) = 0.235 AP). Those were two
  independently drawn synthetic detectors, whose errors share nothing across images: an upper
  end for two variants of one detector. A second setting uses 0.10 AP; a third a seed spread
  (0.25 AP) the prior understates.
Each table draws the val set's effect on every variant once (it does not average out over seeds)
and each seed's training noise on top; the stats code sees the seeds' APs and B = 200 paired
replicates with the same image spread, as it would from the store. The designs share the draws
(common random numbers). Fixed designs look once (95% intervals); the adaptive one runs
``stats.policy.next_seeds`` round after round (resolve 0.15 AP, max_seeds 5, 99% per look) until
it launches nothing. Wrong verdicts: a "better"/"worse" whose true Delta is on the other side
of -resolve/+resolve (wrong sign, or a difference claimed where the truth is within +-resolve),
a "within +-resolve" whose truth is outside, a "best" that is not the true best or within
resolve of it, or a "tied for best" set with no such row. Writes benchmarks/results/resolve.json.
``python -m benchmarks.bench_resolve [tables]``.
"""
from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks import save

OUT = Path(__file__).parent / "results" / "resolve.json"
BOOTSTRAP = Path(__file__).parent / "results" / "bootstrap.json"
TABLES, RESOLVE, MAX_SEEDS, B = 1000, 0.15, 5, 200
GPU_HOURS = 68.0  # per seed of one variant: Faster R-CNN R50-FPN 1x on COCO (the figure)
SEED_SIGMA = 0.15  # true run-to-run std of AP in the main setting (= the prior)
FP_PAIRS = 20000


def image_sd_from_bootstrap() -> float:
    """The paired bootstrap's std of a Delta AP on 5,000 images: bootstrap.json's 95% CI / 3.92."""
    lo, hi = json.loads(BOOTSTRAP.read_text())["delta_ci"]
    return (hi - lo) / (2 * 1.959964)


def table2():
    """(truth AP by variant key, baseline key, parts: name -> distinct option keys) of Table 2."""
    from description.paper_tables import load_specs

    spec = load_specs()["table2"]
    truth, parts, base = {}, {}, None
    for part in spec.parts:
        for r in part.rows:
            truth[r.match] = r.paper[0]
            base = r.match if r.baseline else base
        if part.sweep:
            parts[part.name] = tuple(dict.fromkeys(r.match for r in part.rows))
    return truth, base, parts


def simulate(design, truth, base, parts, rng, image_sd, seed_sd, prior):
    """One table under ``design`` (an int: fixed seeds per row; "adaptive"; "naive_adaptive": the
    same policy with every look at 95%, to show what Bonferroni over the looks buys); its final assessment
    and seeds per variant. ``rng`` draws the same table for every design (common random numbers)."""
    from stats.policy import RowEvidence, TableEvidence, assess, next_seeds
    from stats.verdicts import ALPHA

    keys = list(truth)
    tau = image_sd / math.sqrt(2)  # per-variant image effect: a Delta's image std is image_sd
    eta = dict(zip(keys, rng.normal(0, tau, len(keys))))  # this val set's effect, fixed per table
    xi = dict(zip(keys, rng.normal(0, tau, (len(keys), B))))  # the bootstrap's view of that noise
    noise = dict(zip(keys, rng.normal(0, seed_sd, (len(keys), MAX_SEEDS))))
    seeds = {k: 0 for k in keys}

    def evidence():
        rows = {}
        for k in keys:
            aps = tuple(truth[k] + eta[k] + noise[k][: seeds[k]])
            rows[k] = RowEvidence(k, aps, float(np.mean(aps)) + xi[k] if aps else None, None if k == base else base)
        return TableEvidence(rows, parts)

    if isinstance(design, int):
        seeds = dict.fromkeys(keys, design)
        return assess(evidence(), RESOLVE, design, seed_sigma=prior, level=0.95), seeds
    alpha = ALPHA if design == "adaptive" else ALPHA * MAX_SEEDS  # naive: every look at 95%
    for _ in range(10 * MAX_SEEDS):
        step = next_seeds(evidence(), RESOLVE, MAX_SEEDS, seed_sigma=prior, alpha=alpha)
        if not step.launch:
            return step.assessment, seeds
        for k in step.launch:
            seeds[k] += 1
    raise RuntimeError("the policy did not stop")


def score(a, truth, base, parts) -> Counter:
    """Questions, claims and wrong verdicts (by kind) of one table's assessment."""
    from stats.verdicts import BETTER, EQUIVALENT, WORSE

    out = Counter()
    eps = 1e-9  # paper values are multiples of 0.1: 38.9 - 38.8 must count as 0.1
    for k, st in a.rows.items():
        d = truth[k] - truth[base]
        out["row_questions"] += 1
        out[f"verdict {st.verdict}"] += 1
        if st.verdict in (BETTER, WORSE):
            out["row_claims"] += 1
            s = 1 if st.verdict == BETTER else -1
            if s * d <= 0:
                out["wrong: sign"] += 1
            elif abs(d) <= RESOLVE + eps:
                out["wrong: difference within ±resolve"] += 1
        elif st.verdict == EQUIVALENT:
            out["row_claims"] += 1
            out["wrong: equivalence"] += abs(d) > RESOLVE + eps
    for part, keys in parts.items():
        out["best_questions"] += 1
        b = a.best.get(part)
        if b is None:
            continue
        top = max(truth[k] for k in keys)
        ok = {k for k in keys if truth[k] >= top - RESOLVE - eps}
        if b.status == "best":
            out["best_claims"] += 1
            out["wrong: best"] += b.rows[0] not in ok
        else:
            out["wrong: tied set misses the best"] += not set(b.rows) & ok
            out["best settled"] += b.settled
    return out


def run_setting(tables: int, image_sd: float, seed_sd: float, prior: float, null: bool = False,
                seed: int = 0) -> dict:
    """Every design on ``tables`` simulated Table 2s; per design: GPU-hours, seeds, wrong rates.
    ``null``: every variant's true AP is the baseline's (any better/worse is wrong)."""
    truth, base, parts = table2()
    if null:
        truth = dict.fromkeys(truth, truth[base])
    designs = (1, 3, 5, "adaptive", "naive_adaptive")
    tally = {d: Counter() for d in designs}
    seeds_per_table = {d: [] for d in designs}
    for i in range(tables):
        for d in designs:
            a, seeds = simulate(d, truth, base, parts, np.random.default_rng([seed, i]), image_sd, seed_sd, prior)
            tally[d] += score(a, truth, base, parts)
            seeds_per_table[d].append(sum(seeds.values()))
    out = {}
    for d in designs:
        t, s = tally[d], np.array(seeds_per_table[d])
        questions = t["row_questions"] + t["best_questions"]
        wrong = sum(v for k, v in t.items() if k.startswith("wrong"))
        out[f"fixed_{d}" if isinstance(d, int) else d] = dict(
            seeds_per_table=round(float(s.mean()), 2), seeds_per_variant=round(float(s.mean()) / len(truth), 2),
            gpu_hours_per_table=round(float(s.mean()) * GPU_HOURS),
            wrong_verdict_rate=round(wrong / questions, 4), wrong_verdicts=wrong, questions=questions,
            wrong_by_kind={k[7:]: v for k, v in sorted(t.items()) if k.startswith("wrong")},
            row_claim_rate=round(t["row_claims"] / t["row_questions"], 4),
            best_claim_rate=round(t["best_claims"] / t["best_questions"], 4),
            row_verdicts={k[8:]: v for k, v in sorted(t.items()) if k.startswith("verdict")},
        )
    return out


def one_seed_false_positives(image_sd: float, seed_sd: float, prior: float, pairs: int = FP_PAIRS,
                             seed: int = 1) -> dict:
    """Share of one-seed Delta intervals (row and baseline one seed each, true Delta 0) that
    exclude 0: at 95% (one look) and at the adaptive design's per-look level."""
    from stats.intervals import delta_interval, seed_noise
    from stats.verdicts import look_level

    rng = np.random.default_rng(seed)
    tau = image_sd / math.sqrt(2)
    delta = rng.normal(0, tau, pairs) - rng.normal(0, tau, pairs) + np.array([1, -1]) @ rng.normal(0, seed_sd, (2, pairs))
    image_var = np.var(rng.normal(0, tau, (pairs, B)) - rng.normal(0, tau, (pairs, B)), axis=1, ddof=1)
    noise = seed_noise([], [], prior)
    out = {}
    for name, level in (("level_95", 0.95), (f"level_{look_level(MAX_SEEDS):.2f}", look_level(MAX_SEEDS))):
        ivs = [delta_interval(d, v, 1, 1, noise, level) for d, v in zip(delta, image_var)]
        out[name] = round(sum(iv.lo > 0 or iv.hi < 0 for iv in ivs) / pairs, 4)
    return out


def main(tables: int = TABLES) -> dict:
    """Run every setting, write benchmarks/results/resolve.json and return it."""
    from stats.intervals import PRIOR_DF, PRIOR_SEED_SIGMA

    t0 = time.perf_counter()
    image_sd = round(image_sd_from_bootstrap(), 3)
    settings = {
        "main": dict(image_sd=image_sd, seed_sd=SEED_SIGMA),
        "correlated_images": dict(image_sd=0.10, seed_sd=SEED_SIGMA),
        "prior_too_low": dict(image_sd=image_sd, seed_sd=0.25),
        "null_all_equal": dict(image_sd=image_sd, seed_sd=SEED_SIGMA, null=True),
    }
    results = {}
    for name, s in settings.items():
        results[name] = dict(**s, designs=run_setting(tables, s["image_sd"], s["seed_sd"], PRIOR_SEED_SIGMA,
                                                      s.get("null", False)),
                             one_seed_false_positive_rate=one_seed_false_positives(
                                 s["image_sd"], s["seed_sd"], PRIOR_SEED_SIGMA))
    main_ = results["main"]["designs"]
    ratio = main_["adaptive"]["gpu_hours_per_table"] / main_["fixed_3"]["gpu_hours_per_table"]
    fp = results["main"]["one_seed_false_positive_rate"]["level_95"]
    result = dict(
        tables=tables, variants=len(table2()[0]), resolve=RESOLVE, max_seeds=MAX_SEEDS,
        gpu_hours_per_seed=GPU_HOURS, prior_seed_sigma=PRIOR_SEED_SIGMA, prior_df=PRIOR_DF,
        image_sd_source=f"bootstrap.json delta_ci {json.loads(BOOTSTRAP.read_text())['delta_ci']} / 3.92",
        settings=results,
        goal=("adaptive wrong-verdict rate <= fixed 3's at <= 50% of its GPU-hours; one-seed "
              "false-positive rate <= 5% at true Delta 0 (main setting)"),
        adaptive_gpu_hours_vs_fixed_3=round(ratio, 3),
        adaptive_goal_met=bool(main_["adaptive"]["wrong_verdict_rate"] <= main_["fixed_3"]["wrong_verdict_rate"]
                               and ratio <= 0.5),
        false_positive_goal_met=bool(fp <= 0.05),
        seconds=round(time.perf_counter() - t0, 1),
    )
    return save(OUT, result)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
