"""A Delta AP's interval that always covers training noise, not only the val images.

A row's AP is the mean over its seeds, each evaluated on the same val images. Against its
baseline:

    Var(Delta) = Var_images(Delta) + sigma_seed^2 * (1/n_row + 1/n_base)

- ``Var_images``: the paired bootstrap's variance of Delta (the same image resamples for both
  rows, seeds averaged inside each resample). It does not shrink with more seeds: the val set
  is the same for all of them.
- ``sigma_seed``: the std of one run's AP over training seeds (data order, augmentation,
  init). Pooled from the table's own rows that have >= 2 seeds, combined with a stated prior
  when there is one (the prior counts as ``prior_df`` pseudo-degrees of freedom, as in a
  conjugate or "moderated" variance); "unknown" without either.

The interval is Delta +- q * sqrt(Var), q the Student-t quantile at the Welch-Satterthwaite
degrees of freedom of that sum (the image part counts as known: thousands of images, B
resamples), so it stays calibrated at 2-3 seeds where sigma_seed rests on few df.
Reasons and the prior's sources: docs/statistics.md.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.special import ndtri, stdtr, stdtrit

# std of one run's COCO AP over training seeds, AP points (docs/statistics.md "The prior"):
# mmdetection's maintainers put run-to-run gaps on COCO "usually less than 0.2" and "less than
# 0.3" mAP (issues 3624, 3496); detectron2 saw RetinaNet at 35.8-36.3 over repeated runs (457).
PRIOR_SEED_SIGMA = 0.15
PRIOR_DF = 10  # the published figures bracket sigma_seed within ~0.10-0.21 AP: a prior worth 10 df
PRIOR_SCHEDULES = ("1x", "2x_ms")  # COCO schedules the prior describes; others: "unknown"


@dataclass(frozen=True)
class SeedNoise:
    """sigma_seed (AP points; None: unknown), its degrees of freedom and where it came from."""

    sigma: float | None
    df: float
    source: str

    @property
    def known(self) -> bool:
        """Whether intervals can cover training noise at all."""
        return self.sigma is not None


def default_prior(dataset: str | None, schedule: str | None) -> float | None:
    """The documented prior sigma_seed for a setup: PRIOR_SEED_SIGMA for COCO on a COCO schedule,
    None (unknown) for synthetic data or the smoke/cpu schedules, whose seed spread nobody measured."""
    return PRIOR_SEED_SIGMA if dataset == "coco" and schedule in PRIOR_SCHEDULES else None


def seed_noise(stds: Sequence[float | None], seeds: Sequence[int], prior: float | None = None,
               prior_df: float = PRIOR_DF) -> SeedNoise:
    """Pool the within-row variance of AP over seeds (rows with >= 2 seeds; one entry per
    variant) and combine it with ``prior`` as ``prior_df`` pseudo-observations:

        sigma^2 = (prior_df * prior^2 + sum (n_r - 1) s_r^2) / (prior_df + sum (n_r - 1))

    with ``prior_df + sum (n_r - 1)`` degrees of freedom. ``prior_df=math.inf``: the prior is
    taken as known and the data are ignored. No prior and no replicates: unknown."""
    ss = df = 0.0
    for s, n in zip(stds, seeds, strict=True):
        if n >= 2 and s is not None and math.isfinite(s):
            ss, df = ss + (n - 1) * s ** 2, df + (n - 1)
    pooled = f"seeds (pooled, df={df:g})"
    if prior is None:
        return SeedNoise(math.sqrt(ss / df), df, pooled) if df else SeedNoise(None, 0.0, "unknown")
    if prior < 0 or not math.isfinite(prior):
        raise ValueError(f"seed_sigma={prior!r}: expected a finite number >= 0 (AP points)")
    if math.isinf(prior_df):
        return SeedNoise(prior, math.inf, f"prior seed_sigma={prior:g} (taken as known)")
    if not df:
        return SeedNoise(prior, prior_df, f"prior seed_sigma={prior:g}")
    sigma = math.sqrt((prior_df * prior ** 2 + ss) / (prior_df + df))
    return SeedNoise(sigma, prior_df + df, f"{pooled} + prior seed_sigma={prior:g}")


@dataclass(frozen=True)
class Interval:
    """``estimate`` with its two-sided interval ``[lo, hi]`` at ``level``; its two parts of noise
    (std of the estimate: ``image_sd`` from the val images, ``seed_sd`` from training seeds,
    None when unknown and therefore not covered); ``df`` of the t quantile; ``source`` of
    sigma_seed."""

    estimate: float
    lo: float
    hi: float
    level: float
    image_sd: float
    seed_sd: float | None
    df: float
    source: str

    @property
    def sd(self) -> float:
        """Standard error of the estimate: both parts together."""
        return math.hypot(self.image_sd, self.seed_sd or 0.0)

    @property
    def half(self) -> float:
        """Half-width of the interval."""
        return (self.hi - self.lo) / 2

    @property
    def covers_seeds(self) -> bool:
        """Whether training noise is inside the interval (False: val-image noise only)."""
        return self.seed_sd is not None

    @property
    def p(self) -> float:
        """Two-sided p-value of "the true value is 0" under the same t model."""
        if self.sd == 0:
            return 0.0 if self.estimate else 1.0
        z = abs(self.estimate) / self.sd
        return float(2 * (0.5 * math.erfc(z / math.sqrt(2)) if math.isinf(self.df) else stdtr(self.df, -z)))

    @property
    def floor(self) -> float:
        """Half-width with infinitely many seeds: the val images' noise alone, at ``level``."""
        return quantile(self.level, math.inf) * self.image_sd


def quantile(level: float, df: float) -> float:
    """Two-sided quantile: Student-t with ``df`` degrees of freedom (normal for df = inf)."""
    if not 0 < level < 1:
        raise ValueError(f"level={level!r}: expected 0 < level < 1")
    upper = 1 - (1 - level) / 2
    return float(ndtri(upper) if math.isinf(df) else stdtrit(df, upper))  # scipy.special: ~100x faster than scipy.stats


def interval(estimate: float, image_var: float, seed_weight: float, noise: SeedNoise,
             level: float = 0.95) -> Interval:
    """``estimate +- q sqrt(image_var + sigma_seed^2 * seed_weight)``.

    ``seed_weight`` is how many single runs' seed variances the estimate carries: ``1/n`` for a
    row's own mean, ``1/n_row + 1/n_base`` for a Delta. q: Student-t at the Welch-Satterthwaite
    df of the sum, ``(image_var + seed_var)^2 / (seed_var^2 / noise.df)`` (normal when the seed
    part is 0 or known). Unknown ``noise``: the image part alone, ``covers_seeds`` False."""
    if not (image_var >= 0 and math.isfinite(image_var)):
        raise ValueError(f"image_var={image_var!r}: expected a finite variance >= 0")
    if noise.sigma is None:
        seed_var, seed_sd, df = 0.0, None, math.inf
    else:
        seed_var = noise.sigma ** 2 * seed_weight
        seed_sd = math.sqrt(seed_var)
        df = math.inf if seed_var == 0 or math.isinf(noise.df) else (
            (image_var + seed_var) ** 2 / (seed_var ** 2 / noise.df))
    half = quantile(level, df) * math.sqrt(image_var + seed_var)
    return Interval(float(estimate), float(estimate - half), float(estimate + half), level,
                    math.sqrt(image_var), seed_sd, df, noise.source)


def delta_interval(delta: float, image_var: float, n_row: int, n_base: int, noise: SeedNoise,
                   level: float = 0.95) -> Interval:
    """The interval of a row's Delta against its baseline (``n_row``, ``n_base`` seeds;
    ``image_var`` the paired bootstrap variance of Delta over the val images)."""
    if n_row < 1 or n_base < 1:
        raise ValueError(f"n_row={n_row}, n_base={n_base}: each side needs at least one seed")
    return interval(delta, image_var, 1 / n_row + 1 / n_base, noise, level)
