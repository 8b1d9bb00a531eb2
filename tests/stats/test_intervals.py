"""The Delta interval: seed-noise pooling with a prior, and coverage near 95% at 1, 2 and 3
seeds by simulation (with the image-only interval of old far below it)."""
import math

import numpy as np
import pytest

from stats.intervals import PRIOR_SEED_SIGMA, SeedNoise, default_prior, delta_interval, interval, seed_noise


def test_pooled_seed_noise_with_and_without_a_prior():
    none = seed_noise([None, None], [1, 1])
    assert none.sigma is None and none.source == "unknown" and not none.known
    pooled = seed_noise([0.2, 0.1, None], [3, 2, 1])  # (2*0.04 + 0.01) / 3
    assert pooled.sigma == pytest.approx(math.sqrt(0.09 / 3)) and pooled.df == 3
    assert pooled.source == "seeds (pooled, df=3)"
    prior = seed_noise([None], [1], prior=0.15, prior_df=10)
    assert (prior.sigma, prior.df, prior.source) == (0.15, 10, "prior seed_sigma=0.15")
    both = seed_noise([0.3], [3], prior=0.15, prior_df=10)  # prior as 10 pseudo-df
    assert both.sigma == pytest.approx(math.sqrt((10 * 0.15 ** 2 + 2 * 0.09) / 12)) and both.df == 12
    assert "pooled, df=2" in both.source and "prior seed_sigma=0.15" in both.source
    known = seed_noise([0.3], [3], prior=0.15, prior_df=math.inf)
    assert known.sigma == 0.15 and math.isinf(known.df)
    with pytest.raises(ValueError, match="seed_sigma"):
        seed_noise([], [], prior=-1)


def test_default_prior_only_for_coco_schedules():
    assert default_prior("coco", "1x") == PRIOR_SEED_SIGMA
    assert default_prior("synthetic", "1x") is None and default_prior("coco", "smoke") is None


def test_interval_adds_the_seed_term_and_widens_with_few_df():
    noise = SeedNoise(0.15, math.inf, "prior")
    iv = delta_interval(1.0, 0.01, 1, 1, noise, 0.95)
    assert iv.sd == pytest.approx(math.sqrt(0.01 + 2 * 0.0225)) and iv.half == pytest.approx(1.96 * iv.sd, rel=1e-3)
    few = delta_interval(1.0, 0.01, 1, 1, SeedNoise(0.15, 2, "pooled"), 0.95)
    assert few.half > 1.3 * iv.half and few.df < 3  # t at Satterthwaite's df, not the normal quantile
    image_only = delta_interval(1.0, 0.01, 1, 1, SeedNoise(None, 0, "unknown"), 0.95)
    assert not image_only.covers_seeds and image_only.half == pytest.approx(1.96 * 0.1, rel=1e-3)
    assert interval(0.0, 0.0, 1.0, SeedNoise(0.0, 5, "x")).half == 0.0
    assert iv.p < 0.05 and delta_interval(0.0, 0.01, 1, 1, noise).p == pytest.approx(1.0)
    with pytest.raises(ValueError):
        delta_interval(1.0, 0.01, 0, 1, noise)


def simulate_coverage(n_seeds: int, prior: float | None, sigma=0.15, image_sd=0.1, tables=1500,
                      rows=5, seed=0, image_only=False) -> float:
    """Fraction of true Deltas inside their 95% interval: tables of ``rows`` variants + a
    baseline, true APs fixed, image noise drawn once per table (the val set) and each seed's
    training noise on top; the interval sees the replicates' paired spread and the seed APs."""
    rng = np.random.default_rng(seed)
    tau = image_sd / math.sqrt(2)  # per-variant image effect: the Delta's image std is image_sd
    truth = np.array([37.4, 38.8, 38.9, 38.6, 39.0, 37.4])[: rows + 1]
    hits = total = 0
    for _ in range(tables):
        image = rng.normal(0, tau, rows + 1)
        aps = truth[:, None] + image[:, None] + rng.normal(0, sigma, (rows + 1, n_seeds))
        stds = aps.std(1, ddof=1) if n_seeds > 1 else [None] * (rows + 1)
        noise = seed_noise(list(stds), [n_seeds] * (rows + 1), prior)
        if image_only:
            noise = SeedNoise(None, 0, "unknown")
        reps = rng.normal(0, tau, (rows + 1, 200))  # the bootstrap's view of the same image noise
        for r in range(1, rows + 1):
            var = float(np.var(reps[r] - reps[0], ddof=1))
            iv = delta_interval(aps[r].mean() - aps[0].mean(), var, n_seeds, n_seeds, noise, 0.95)
            hits += iv.lo <= truth[r] - truth[0] <= iv.hi
            total += 1
    return hits / total


@pytest.mark.parametrize("n_seeds, prior", [(1, 0.15), (2, 0.15), (3, 0.15), (2, None), (3, None)])
def test_coverage_near_95_percent(n_seeds, prior):
    cover = simulate_coverage(n_seeds, prior)
    assert 0.93 <= cover <= 0.975, cover


def test_image_only_interval_of_one_seed_undercovers():
    """The bug this replaces: a one-seed CI from val images alone ignores training noise."""
    assert simulate_coverage(1, 0.15, image_only=True, tables=500) < 0.8
