"""Which rows get one more seed, on constructed tables with known outcomes (prior sigma_seed
0.15 AP with 10 pseudo-df, max_seeds 5: each look at 99%)."""
import zlib

import numpy as np
import pytest

from stats.policy import NO_EVIDENCE, NOT_RUN, RowEvidence, TableEvidence, expected_cost, next_seeds
from stats.verdicts import BETTER, EQUIVALENT, FLOOR, NO_CLAIM, UNRESOLVED, WORSE

R = 0.15  # resolve, AP
B = 400


def reps(ap: float, sd: float, seed: int) -> np.ndarray:
    """(B,) replicates around ``ap`` whose sample std is exactly ``sd`` (independent per seed)."""
    z = np.random.default_rng(seed).standard_normal(B)
    return ap + sd * (z - z.mean()) / z.std(ddof=1)


def row(key: str, aps, image_sd: float = 0.05, baseline: str | None = "base", seed: int | None = None):
    """A row with these per-seed APs; its replicates give (row - base) an image std of about
    ``image_sd`` when the baseline's replicates are constant (``image_sd=0`` there)."""
    aps = tuple(float(a) for a in aps)
    mean = float(np.mean(aps)) if aps else 0.0
    rep = None if not aps else (np.full(B, mean) if image_sd == 0 else reps(mean, image_sd, seed or zlib.crc32(key.encode())))
    return RowEvidence(key, aps, rep, baseline)


def base(aps=(37.4,)):
    """A baseline row whose replicates are constant: a row's paired image std is its own."""
    return row("base", aps, image_sd=0, baseline=None)


def plan(rows, parts=None, prior=0.15, max_seeds=5, **kw):
    table = TableEvidence({r.key: r for r in rows}, parts or {})
    return next_seeds(table, R, max_seeds, seed_sigma=prior, **kw)


def test_clearly_better_row_resolves_at_one_seed_and_spends_nothing():
    p = plan([base(), row("clear", [39.0]), row("clear_worse", [35.9])])
    assert p.assessment.rows["clear"].verdict == BETTER
    assert p.assessment.rows["clear_worse"].verdict == WORSE
    assert p.launch == () and "better" in p.held["clear"]
    assert p.held["base"].startswith("baseline: no row")


def test_row_in_between_gets_a_seed_and_so_does_its_baseline():
    p = plan([base(), row("mid", [37.9]), row("clear", [39.0])])
    st = p.assessment.rows["mid"]
    assert st.verdict == UNRESOLVED and st.interval.lo < 0 < st.interval.hi
    assert p.launch == ("mid", "base")
    assert "unresolved" in p.why["mid"] and "baseline" in p.why["base"]


def test_below_floor_spends_nothing_and_says_why():
    p = plan([base(), row("noisy", [37.7], image_sd=0.3)])
    st = p.assessment.rows["noisy"]
    assert st.verdict == FLOOR and "no number of seeds" in st.why
    assert p.launch == ()


def test_futile_rows_are_held():
    # Delta 0.2 with 0.05 image noise: at 5 seeds each the half-width is ~0.3 > 0.2 and
    # 0.2 + 0.3 > resolve: max_seeds cannot settle it at this estimate
    p = plan([base(), row("small", [37.6])])
    assert p.assessment.rows["small"].verdict == UNRESOLVED and p.launch == ()
    assert "would not settle" in p.held["small"]


def test_max_seeds_is_respected():
    five = [37.55, 37.65, 37.45, 37.75, 37.6]
    p = plan([base([37.4, 37.5, 37.3, 37.45, 37.35]), row("mid", five)], max_seeds=5)
    assert p.assessment.rows["mid"].verdict == UNRESOLVED
    assert p.launch == () and p.held["mid"] == "at max_seeds=5"
    # a row at max_seeds whose baseline is not: only the baseline gets one
    p = plan([base([37.4]), row("mid", [37.75, 37.65, 37.85])], max_seeds=3)
    assert p.assessment.rows["mid"].verdict == UNRESOLVED and p.launch == ("base",)


def test_first_seeds_and_rows_without_detections():
    p = plan([base(()), row("new", ())])
    assert p.launch == ("base", "new") and p.assessment.rows["new"].verdict == NOT_RUN
    old = row("old", [39.0])
    old = type(old)(old.key, old.seed_aps, None, "base")
    p = plan([base(), old])
    assert p.assessment.rows["old"].verdict == NO_EVIDENCE and p.launch == ()


def test_unknown_seed_noise_makes_no_claim_and_asks_for_a_replicate():
    p = plan([base(), row("clear", [39.0])], prior=None)
    st = p.assessment.rows["clear"]
    assert st.verdict == NO_CLAIM and not st.interval.covers_seeds and "unknown" in st.why
    assert p.launch == ("clear", "base")
    # once replicates exist the table's own spread is used and the row resolves
    p = plan([base([37.4, 37.5]), row("clear", [39.0, 39.1])], prior=None)
    assert p.assessment.rows["clear"].verdict == BETTER and p.assessment.noise.source.startswith("seeds (pooled")


def test_best_option_of_a_part():
    opts = [row("a", [39.0], seed=1), row("b", [38.0], seed=2), row("c", [37.9], seed=3)]
    p = plan([base([36.0]), *opts], {"Scales": ("a", "b", "c")})  # all clearly better than the baseline
    best = p.assessment.best["Scales"]
    assert best.status == "best" and best.rows == ("a",) and best.settled
    assert p.launch == ()


def test_close_rival_gets_seeds_top_first_far_one_does_not():
    opts = [row("top", [39.0], seed=1), row("rival", [38.55], seed=2), row("far", [38.0], seed=3)]
    p = plan([base([36.0]), *opts], {"Scales": ("top", "rival", "far")})
    best = p.assessment.best["Scales"]
    assert best.status == "tied for best" and best.rows == ("top", "rival") and best.open == ("rival",)
    assert p.launch == ("top", "rival") and "top option of Scales" in p.why["top"]


def test_tie_that_max_seeds_cannot_split_spends_nothing():
    opts = [row("a", [39.0], seed=1), row("b", [38.95], seed=2)]
    p = plan([base([36.0]), *opts], {"P": ("a", "b")})
    best = p.assessment.best["P"]
    assert best.status == "tied for best" and set(best.rows) == {"a", "b"} and best.settled
    assert p.launch == ()


def test_equivalent_rows_with_precise_evidence():
    many = [37.45, 37.35, 37.4, 37.5, 37.3, 37.42, 37.38, 37.41]
    p = plan([base(many), row("same", [x + 0.02 for x in many], image_sd=0.01)], prior=None, max_seeds=8)
    assert p.assessment.rows["same"].verdict == EQUIVALENT


def test_budget_caps_a_round_in_priority_order():
    p = plan([base(()), row("x", ()), row("y", ())], budget=2)
    assert p.launch == ("base", "x") and "y" not in p.why


def test_expected_cost():
    table = TableEvidence({r.key: r for r in (base(), row("clear", [39.0]), row("mid", [37.9]))})
    cost = expected_cost(table, R, 5, seed_sigma=0.15, gpu_hours=68)
    assert cost.seeds["clear"] == 1 and 1 < cost.seeds["mid"] <= 5 and cost.seeds["base"] == cost.seeds["mid"]
    assert cost.gpu_hours == pytest.approx(68 * cost.more_seeds) and cost.more_seeds == 2 * (cost.seeds["mid"] - 1)
    fresh = TableEvidence({r.key: r for r in (base(()), row("x", ()), row("y", ()))})
    paper = expected_cost(fresh, R, 5, 0.15, 68, prior_delta={"x": 1.4, "y": 0.5})
    assert paper.seeds["x"] == 1 and paper.seeds["y"] > 1 and "no evidence" in paper.basis
