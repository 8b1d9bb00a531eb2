"""Verdicts read off one interval, and the per-look level of the sequential design."""
import math

import pytest

from stats.intervals import SeedNoise, delta_interval
from stats.verdicts import (
    BETTER,
    EQUIVALENT,
    FLOOR,
    NO_CLAIM,
    UNRESOLVED,
    WORSE,
    look_level,
    resolvable,
    verdict,
)

KNOWN = SeedNoise(0.15, math.inf, "prior")
UNKNOWN = SeedNoise(None, 0, "unknown")


def test_look_level_is_bonferroni_over_max_seeds():
    assert look_level(1) == pytest.approx(0.95) and look_level(5) == pytest.approx(0.99)
    with pytest.raises(ValueError):
        look_level(0)


@pytest.mark.parametrize("delta, image_var, n, noise, expected", [
    (1.5, 0.0025, 1, KNOWN, BETTER),
    (-1.5, 0.0025, 1, KNOWN, WORSE),
    (0.3, 0.0025, 1, KNOWN, UNRESOLVED),
    (0.02, 0.0001, 200, KNOWN, EQUIVALENT),  # 200 seeds each: half-width ~0.04
    (0.3, 0.09, 1, KNOWN, FLOOR),  # image std 0.3: +-0.77 from the images alone
    (1.5, 0.0025, 1, UNKNOWN, NO_CLAIM),  # a clear Delta, but training noise unknown: no claim
    (0.3, 0.09, 1, UNKNOWN, FLOOR),  # the floor needs no sigma_seed: it is the images alone
])
def test_verdicts(delta, image_var, n, noise, expected):
    iv = delta_interval(delta, image_var, n, n, noise, look_level(5))
    assert verdict(iv, 0.15) == expected


def test_resolvable_looks_ahead_to_max_seeds():
    assert resolvable(0.5, 0.0025, KNOWN, 0.15, 0.99, 5)  # 5 seeds each: half-width ~0.27 < 0.5
    assert not resolvable(0.2, 0.0025, KNOWN, 0.15, 0.99, 5)  # neither side of 0, nor inside +-0.15
    assert resolvable(0.2, 0.0025, UNKNOWN, 0.15, 0.99, 5)  # unknown: only seeds can tell
