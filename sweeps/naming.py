"""A variant's names, from the values it trains with (never from how the command line chose them).

Each config group's part of a Variant is named by the option of ``conf/<group>`` whose values it
equals (``scales: 3S``); values that equal no option are named by themselves (``scales:
[0.5,1.0]``), and a detector, dataset or schedule that differs from every option by the nearest
option plus what differs (``smoke[epochs=1]``). Two variants with different values therefore
never share a name, so they can never share a table row or count as seeds of each other.
"""
from __future__ import annotations

import functools
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from omegaconf import OmegaConf

from description.msfm_spec import KNOBS
from description.variant import DatasetConf, DetectorConf, ScheduleConf, Variant

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
GROUPS = {"detector": DetectorConf, "dataset": DatasetConf, "schedule": ScheduleConf}
VARIANT_GROUPS = (*KNOBS, *GROUPS)
NOT_IDENTITY = {"dataset": ("data_root",)}  # where the data lives is not what it is


@functools.cache
def options(group: str) -> dict[str, object]:
    """Each option of ``conf/<group>`` -> the (normalised) values it selects: the knob's value
    for an MSFM group, the whole sub-config (schema defaults filled in) for the others."""
    out = {}
    for path in sorted((CONF_DIR / group).glob("*.yaml")):
        raw = OmegaConf.load(path)
        if group in GROUPS:
            merged = OmegaConf.merge(OmegaConf.structured(GROUPS[group]), raw)
            values = _identity(group, OmegaConf.to_container(merged, resolve=False))
            out[path.stem] = {k: _norm(v) for k, v in values.items()}
        else:
            out[path.stem] = _norm(OmegaConf.to_container(raw)[group])
    return out


def names_of_variant(variant: Variant) -> dict:
    """The variant in the paper's words: msfm on/off and a name per group (see module doc)."""
    values = asdict(variant)
    names = {"msfm": bool(variant.msfm.enabled)}
    for knob in KNOBS:
        names[knob] = _knob_name(knob, values["msfm"][knob])
    for group in GROUPS:
        names[group] = _group_name(group, _identity(group, values[group]))
    return names


def default_names() -> dict:
    """The names of the variant ``conf/config.yaml`` composes with no overrides."""
    defaults = OmegaConf.load(CONF_DIR / "config.yaml")["defaults"]
    chosen = {k: v for d in defaults if OmegaConf.is_dict(d) for k, v in d.items()}
    return {"msfm": True, **{g: chosen[g] for g in VARIANT_GROUPS}}


def label(names: dict, seed: int | None = None) -> str:
    """A short, unique label: what differs from the default variant (``scales=[0.5,1.0]``),
    ``baseline`` without MSFM, ``default`` if nothing differs; ``seed=N`` unless N is 0."""
    base = default_names()
    knobs = KNOBS if names.get("msfm", True) else ()
    parts = [] if names.get("msfm", True) else ["baseline"]
    parts += [f"{g}={names[g]}" for g in (*knobs, *GROUPS) if names.get(g) != base[g]]
    parts += [f"seed={seed}"] if seed else []
    return " ".join(parts) or "default"


def row_labels(names: Sequence[dict], seeds: Sequence[int | None] = ()) -> list[str]:
    """Labels for variants shown together (a plan, a status table, a round, the live console):
    each one's name in every group where they differ (``scales=5S``; MSFM knobs among the MSFM
    variants only), ``baseline`` without MSFM, and ``seed=N`` where seeds differ. What they all
    share is left out; an MSFM variant left with no name says how its knobs differ from the
    default variant's (``default`` if they do not). One variant alone: :func:`label`."""
    seeds = list(seeds) or [None] * len(names)
    if len(names) < 2:
        return [label(n, s) for n, s in zip(names, seeds)]
    base, on = default_names(), [n for n in names if n.get("msfm", True)]
    varying = [g for g in (*KNOBS, *GROUPS) if len({n[g] for n in (on if g in KNOBS else names)}) > 1]
    knobs_vary, seeds_vary = any(g in KNOBS for g in varying), len(set(seeds)) > 1
    out = []
    for n, s in zip(names, seeds):
        knobs = [g for g in KNOBS if (g in varying if knobs_vary else n[g] != base[g])]
        parts = [f"{g}={n[g]}" for g in knobs] if n.get("msfm", True) else ["baseline"]
        parts += [f"{g}={n[g]}" for g in varying if g not in KNOBS]
        parts += [f"seed={s}"] if seeds_vary and s is not None else []
        out.append(" ".join(parts) or "default")
    return out


def show(value) -> str:
    """A value as it is written in a name: compact, no spaces (``[0.5,1.0]``, ``{a:1,b:2}``)."""
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{show(v)}" for k, v in value.items()) + "}"
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _knob_name(knob: str, value) -> str:
    for name, option in options(knob).items():
        if option == _norm(value):
            return name
    return show(value)


def _group_name(group: str, values: dict) -> str:
    """The option equal to ``values``, else the nearest one (its own name first) + the diff."""
    best, best_diff = None, None
    for name, option in options(group).items():
        diff = {k: v for k, v in values.items() if option.get(k) != _norm(v)}
        rank = (len(diff), name != values.get("name"))
        if best_diff is None or rank < (len(best_diff), best != values.get("name")):
            best, best_diff = name, diff
    if best is None:
        return str(values.get("name"))
    if not best_diff:
        return best
    return f"{best}[{','.join(f'{k}={show(v)}' for k, v in sorted(best_diff.items()))}]"


def _identity(group: str, values: dict) -> dict:
    return {k: v for k, v in values.items() if k not in NOT_IDENTITY.get(group, ())}


def _norm(value):
    """Hashable and type-blind where YAML is (1 == 1.0; lists and dicts by content)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _norm(v)) for k, v in value.items()))
    return value

