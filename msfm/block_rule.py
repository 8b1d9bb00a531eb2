"""The one rule for an MSFM block, torch-free: what its arguments may be.

The layer (``msfm/layer.py``) checks itself with :func:`check_block` on construction, and
``description.msfm_spec`` checks every stage and position of a variant with it before anything
is built, so both refuse the same bad inputs with the same message. It lives here, beside the
layer, because ``msfm`` is the one installed package and imports nothing else of the project.
"""
from __future__ import annotations

from typing import Sequence

CONV_NUMS = ("1", "2", "2*")  # CGN ops per branch; 2*: 2 on branches with scale > 1, else 1
FUSION_TYPES = ("add", "cat")


class BlockError(ValueError):
    """An invalid argument of one MSFM block; ``field`` is the layer's argument name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def check_block(in_channels: int, ratio, scales: Sequence, norm_group, conv_num,
                fusion_type: str) -> int:
    """The one rule for an MSFM block; returns the branch channels ``in_channels / ratio``.

    Raises :class:`BlockError` (one line, naming the argument and the allowed values).
    """
    if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio <= 0 or in_channels % ratio:
        allowed = [d for d in _divisors(in_channels) if d <= 256]
        raise BlockError("ratio", f"ratio={ratio!r} must be a positive integer dividing "
                                  f"in_channels={in_channels}; allowed: {allowed}")
    branch = in_channels // ratio
    if not scales or any(isinstance(s, bool) or not isinstance(s, (int, float)) or s <= 0
                         for s in scales):
        shown = list(scales) if scales else scales
        raise BlockError("scales", f"scales={shown!r} must be a non-empty list of numbers > 0")
    if isinstance(norm_group, bool) or not isinstance(norm_group, int) or norm_group <= 0 \
            or branch % norm_group:
        raise BlockError("norm_group", f"norm_group={norm_group!r} must divide the {branch} "
                                       f"branch channels ({in_channels} / ratio {ratio}); "
                                       f"allowed: {_divisors(branch)}")
    if str(conv_num) not in CONV_NUMS:
        raise BlockError("conv_num", f"conv_num={conv_num!r} must be one of {', '.join(CONV_NUMS)}")
    if fusion_type not in FUSION_TYPES:
        raise BlockError("fusion_type", f"fusion_type={fusion_type!r} must be one of "
                                        f"{', '.join(FUSION_TYPES)}")
    return branch
