"""A setting has one home: where the user can type one setting on two nodes, every path reads
the same one, and the other is refused in one line before anything is trained or submitted.

- **The SLURM job and its wait**: ``launcher.<field>`` is the home (the rows sweeper, the
  search and the records read it); ``conf/launcher/slurm.yaml`` hands each field on to the
  plugin's own node ``hydra.launcher.<field>``, which may not say otherwise.
- **Which launcher runs**: ``launcher=slurm`` selects the plugin (``hydra/launcher=msfm_slurm``)
  and makes the invocation a multirun, a single variant included: one code path submits.
- **One launcher per sweep**: Hydra builds the launcher once, from the sweep's fixed
  overrides, so a launcher field that differs between variants would be ignored.
- **A local run has no job**: ``launcher.<field>=`` typed with ``launcher=local`` would be ignored.
- **Output dirs**: a multirun writes under ``hydra.sweep.*``, a single run under ``hydra.run.*``.
- **What a search optimises**: ``hydra.sweeper.mode`` (its study is told from the records by
  mode); ``objective=`` typed with a search would be ignored.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Sequence

from omegaconf import DictConfig, OmegaConf

from launchers.slurm_conf import PLUGIN, SlurmConf
from sweeps.kinds import SweeperKind, sweeper_kind

SLURM_FIELDS = tuple(f.name for f in fields(SlurmConf))


def check_setting_homes(overrides: Sequence[str], cfgs: Sequence[DictConfig],
                        multirun: bool) -> None:
    """One-line ``ValueError`` naming the field typed where nothing reads it. ``overrides``: the
    command line; ``cfgs``: every grid point, composed with its ``hydra`` node; ``multirun``:
    whether Hydra runs a sweep (``-m``, or ``hydra.mode`` set by a preset or ``launcher=slurm``)."""
    typed = {o.split("=", 1)[0].lstrip("+~") for o in overrides if "=" in o}
    _check_output_dirs(typed, multirun)
    if cfgs:
        _check_objective(typed, cfgs[0].hydra.sweeper)
        _check_launcher(typed, _one_launcher(cfgs), cfgs[0].hydra.launcher, multirun)


def _check_launcher(typed: set[str], launcher: dict, own: DictConfig, multirun: bool) -> None:
    """``launcher``: the app's node (plain); ``own``: the Hydra launcher's node."""
    if launcher["name"] == "slurm":  # another hydra/launcher fails to compose with its fields
        if not multirun:
            raise ValueError("hydra.mode: launcher=slurm submits through its Hydra launcher, "
                             "which runs in a multirun; drop hydra.mode=RUN")
        own = _plain(own)
        for name in SLURM_FIELDS:
            if own.get(name) != launcher[name]:
                raise ValueError(f"hydra.launcher.{name}: {own.get(name)!r} differs from "
                                 f"launcher.{name}: {launcher[name]!r}; set it as "
                                 f"launcher.{name}= (conf/launcher/slurm.yaml hands it on)")
        return
    if own.get("_target_") == PLUGIN:
        raise ValueError("hydra/launcher: msfm_slurm is chosen with launcher=slurm, which also "
                         "hands it the job's settings; use launcher=slurm")
    for key in sorted(typed):
        if key.startswith("launcher.") and key.split(".")[1] in SLURM_FIELDS:
            raise ValueError(f"{key}: a SLURM job setting, and launcher={launcher['name']} runs "
                             "the variants on this machine; add launcher=slurm, or drop it")


def _check_objective(typed: set[str], sweeper: DictConfig) -> None:
    """A search's study is told from the records by its mode: ``objective`` is not read."""
    if "objective" in typed and sweeper_kind(sweeper) is SweeperKind.SEARCH:
        raise ValueError(f"objective: a search optimises what hydra.sweeper.mode says (now "
                         f"{sweeper.mode}); set hydra.sweeper.mode=pareto|ap|constrained instead")


def _check_output_dirs(typed: set[str], multirun: bool) -> None:
    unread, read = ("run", "sweep") if multirun else ("sweep", "run")
    for key in sorted(typed):
        if key.startswith(f"hydra.{unread}."):
            what = "a multirun (-m, a sweep preset, a search or launcher=slurm)" if multirun \
                else "a single local run"
            raise ValueError(f"{key}: {what} writes under hydra.{read}.*, not hydra.{unread}.*; "
                             f"set hydra.{read}.{key.split('.', 2)[2]} instead")


def _one_launcher(cfgs: Sequence[DictConfig]) -> dict:
    """The ``launcher`` node every grid point shares (plain values); one that differs is refused."""
    first = _plain(cfgs[0].launcher)
    for cfg in cfgs[1:]:
        other = _plain(cfg.launcher)
        for name, value in first.items():
            if other.get(name) != value:
                raise ValueError(f"launcher.{name}: one launcher per sweep (its variants are "
                                 f"submitted together), but they ask for {value!r} and "
                                 f"{other.get(name)!r}; run them as separate sweeps")
    return first


def _plain(node) -> dict:
    return OmegaConf.to_container(node, resolve=True)
