"""The search space: Hydra sweep syntax -> Optuna distributions, and back to overrides.

``choice(a, b)`` (or ``a,b`` on the command line) is categorical over the strings as written
(config-group option names stay names); ``range(lo, hi[, step])`` is an integer (or stepped
float) range with ``hi`` excluded, as in Hydra; ``interval(lo, hi)`` a float range, on a log
scale when tagged ``tag(log, interval(lo, hi))``.
"""
from __future__ import annotations

from typing import Mapping, Sequence


def parse_space(params: Mapping[str, str] | None, arguments: Sequence[str]
                ) -> tuple[dict, list[str]]:
    """(name -> Optuna distribution, fixed overrides): ``params`` first, then the command
    line's sweeps; a plain ``key=value`` on the command line fixes that key (it wins)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    space = {}
    for key, value in (params or {}).items():
        [o] = parser.parse_overrides([f"{key}={value}"])
        space[o.get_key_element()] = _distribution(o)
    fixed = []
    for o in parser.parse_overrides(list(arguments)):
        if o.is_sweep_override():
            space[o.get_key_element()] = _distribution(o)
        else:
            space.pop(o.get_key_element(), None)
            fixed.append(o.input_line)
    return space, fixed


def _distribution(o):
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    key = o.get_key_element()
    if o.is_choice_sweep():
        return CategoricalDistribution(list(o.sweep_string_iterator()))
    if not o.is_sweep_override():  # a single value: a one-option categorical
        return CategoricalDistribution([o.get_value_element_as_str()])
    sweep = o.value()
    if o.is_range_sweep():
        ints = all(isinstance(v, int) for v in (sweep.start, sweep.stop, sweep.step))
        if ints:
            return IntDistribution(sweep.start, sweep.stop - sweep.step, step=sweep.step)
        top = sweep.start + sweep.step * (int(round((sweep.stop - sweep.start) / sweep.step)) - 1)
        return FloatDistribution(sweep.start, top, step=sweep.step)
    if o.is_interval_sweep():
        return FloatDistribution(sweep.start, sweep.end, log="log" in sweep.tags)
    raise ValueError(f"hydra.sweeper.params.{key}: {o.input_line!r} is not a choice, range "
                     "or interval")


def overrides_of(params: Mapping[str, object], space: Mapping[str, object]) -> list[str]:
    """The ``key=value`` overrides of a trial's sampled ``params``, in the space's order."""
    return [f"{k}={params[k]}" for k in space if k in params]
