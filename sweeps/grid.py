"""Expand a sweep preset into its jobs: the union of cartesian blocks ("rows").

A paper table is not one cartesian product (e.g. the Ratios part is 3 ratios at after_conv3
plus 3 ratios at after_conv1 with GN 8, plus the baseline), so a preset lists ``rows``: each
row is a dict of overrides, comma lists sweep within the row. ``params`` and the command
line are crossed with every row; the command line wins over a preset for the same key.
``sweeps.plan`` and the ``rows`` sweeper both call :func:`expand`, so the plan is exactly
what the multirun launches.
"""
from __future__ import annotations

import itertools
from typing import Iterable, Mapping, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser


def _choices(override) -> list[str]:
    key = override.get_key_element()
    if override.is_sweep_override():
        if not override.is_discrete_sweep():
            raise ValueError(f"{key}: only comma lists / choice() sweeps are supported here")
        return [f"{key}={v}" for v in override.sweep_string_iterator()]
    return [f"{key}={override.get_value_element_as_str()}"]


def _bare_key(override) -> str:
    return override.key_or_group.lstrip("+~")


def expand(
    rows: Sequence[Mapping[str, object]] | None,
    params: Mapping[str, object] | None,
    arguments: Iterable[str],
    parser: OverridesParser | None = None,
) -> list[list[str]]:
    """Return every job's override list, in order, without duplicates."""
    parser = parser or OverridesParser.create()
    arguments = list(arguments)
    jobs: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for row in rows or [{}]:
        strings = [f"{k}={v}" for k, v in {**(params or {}), **row}.items()] + arguments
        last: dict[str, object] = {}  # later overrides of the same key win
        for override in parser.parse_overrides(strings):
            last.pop(_bare_key(override), None)
            last[_bare_key(override)] = override
        for combo in itertools.product(*(_choices(o) for o in last.values())):
            if combo not in seen:
                seen.add(combo)
                jobs.append(list(combo))
    return jobs
