"""From composed Hydra configs to validated Variants, with one-line errors."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Iterable, Sequence

from omegaconf import DictConfig, OmegaConf

from description.domain import check_domains, domain_of
from description.run_spec import RunSpec
from description.variant import Variant
from sweeps import schema  # registers the typed schema compose() needs
from sweeps.naming import CONF_DIR, label, names_of_variant
from sweeps.schema import variant_of


def check_settings(cfg: DictConfig) -> None:
    """Every run setting of a composed config (the fields of ``schema.Config`` that are not the
    Variant's: launcher, wandb, plan, objective, ...) against its declared domain."""
    variant_fields = {f.name for f in fields(Variant)}
    for f in fields(schema.Config):
        if f.name in variant_fields:
            continue
        value = cfg[f.name]
        if OmegaConf.is_config(value):
            check_domains(OmegaConf.to_object(value), f"{f.name}.")
        else:
            f.metadata["domain"].check(f.name, value)


def validated(cfg: DictConfig) -> Variant:
    """The Variant of a composed config, every field checked against its declared domain, then
    against its detector's real backbone (channels per stage and position read from the mmdet
    config; see ``description.backbone``)."""
    from description.backbone import check_images_per_gpu, msfm_channels

    check_settings(cfg)
    variant = variant_of(cfg)
    check_domains(variant)  # first: the backbone's rules assume sane values
    check_images_per_gpu(variant.detector, variant.schedule.images_per_gpu)
    channels = msfm_channels(variant.detector, variant.msfm) if variant.msfm.enabled else None
    return variant.validate(channels)


def names_of(cfg: DictConfig) -> dict:
    """The variant in the paper's words, named by its values (``sweeps.naming``)."""
    return names_of_variant(variant_of(cfg))


def group_options(group: str) -> list[str]:
    """The options of a config group under conf/ (file names without .yaml)."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def check_group_overrides(overrides: Iterable[str]) -> None:
    """Refuse ``group=option`` overrides naming an option that does not exist (one line)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    for o in OverridesParser.create().parse_overrides(list(overrides)):
        group = o.key_or_group.lstrip("+~")
        if not (CONF_DIR / group).is_dir() or o.package:
            continue
        values = [v.split("=", 1)[1] for v in _values(o)]
        allowed = group_options(group)
        for v in values:
            if v not in allowed:
                raise ValueError(f"{group}: unknown option {v!r}; allowed: {', '.join(allowed)}")


def _values(o) -> list[str]:
    key = o.get_key_element()
    if o.is_sweep_override() and o.is_discrete_sweep():
        return [f"{key}={v}" for v in o.sweep_string_iterator()]
    return [f"{key}={o.get_value_element_as_str()}"]


def one_line(e: BaseException) -> str:
    """An exception's message (and its cause's, where Hydra keeps the detail) on one line."""
    text = str(e)
    cause = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
    if cause is not None and str(cause) and str(cause) not in text:
        text = str(cause) if text in str(cause) else f"{text}: {cause}"
    return " ".join(text.split()) or type(e).__name__


def compose_error(e: BaseException) -> str:
    """One line for a composition error; a value of the wrong type (``force=maybe``) is said the
    way a domain says it: the field, the value and what is allowed."""
    from omegaconf.errors import OmegaConfBaseException

    seen = e
    while seen is not None and not (isinstance(seen, OmegaConfBaseException)
                                    and getattr(seen, "full_key", None)):
        seen = seen.__cause__ or seen.__context__
    if seen is None:
        return one_line(e)
    parts = str(seen.full_key).split(".")
    for n in range(len(parts), 0, -1):  # msfm.norm_group.unknown: a key of msfm.norm_group
        name, domain = ".".join(parts[:n]), domain_of(schema.Config, ".".join(parts[:n]))
        if domain:
            shown = repr(getattr(seen, "value", None)) if n == len(parts) else \
                f"unknown key {'.'.join(parts[n:])!r}"
            return f"{name}: {shown} is not allowed; allowed: {domain.describe()}"
    return one_line(e)


def spec_of(cfg: DictConfig, overrides: Sequence[str]) -> RunSpec:
    """The validated RunSpec of a composed config; one-line ``ValueError`` if anything is off.
    Stateless: :class:`sweeps.gate.Gate` remembers what passed."""
    from description.files import check_files
    from results.store import ResultStore

    variant = validated(cfg)
    check_files(variant)
    ResultStore(cfg.results_dir).check_writable()
    if cfg.launcher.name == "slurm":
        from launchers.slurm import validate_launcher

        validate_launcher(cfg.launcher)
    plain = {k: OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v
             for k, v in cfg.items_ex(resolve=False) if k != "hydra"}
    plain = OmegaConf.to_container(OmegaConf.create(plain), resolve=True)
    names = names_of_variant(variant)
    spec = RunSpec(
        variant=variant, names=names, label=label(names, variant.seed), overrides=list(overrides),
        results_dir=str(cfg.results_dir), work_root=str(Path(cfg.output_root) / "work"),
        config=plain, sweep=cfg.sweep, force=cfg.force,
        wandb=OmegaConf.to_container(cfg.wandb), num_workers=cfg.num_workers,
        log_interval=cfg.log_interval,
    )
    return spec


def compose_jobs(overrides: Sequence[str], check: bool = True) -> list[tuple[list[str], object]]:
    """(job overrides, composed config) for every grid point of a command line, expanded as
    the multirun will; one-line ValueError naming the variant if any is invalid (its Variant
    is validated when ``check``; the gate validates everything else too). Composing only: with
    ``resolve=`` a round's runs are ``sweeps.replicate.plan_round`` of these grid points."""
    from hydra import compose, initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sweeps.grid import expand
    from sweeps.kinds import SweeperKind, sweeper_kind

    check_group_overrides(overrides)
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]  # as Hydra's multirun
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        try:
            master = compose("config", overrides=fixed, return_hydra_config=True)
        except Exception as e:  # noqa: BLE001
            raise ValueError(compose_error(e)) from None
        sweeper = master.hydra.sweeper
        kind = sweeper_kind(sweeper)
        if kind in (SweeperKind.ROWS, SweeperKind.GRID):
            jobs = expand(sweeper.get("rows"), sweeper.get("params"), overrides)
        else:  # a search samples its grid points later: validate what is fixed now
            jobs = [fixed]
        composed = []
        for job in jobs:
            try:
                check_group_overrides(job)
                cfg = compose("config", overrides=job, return_hydra_config=True)
                if check:
                    validated(cfg)
            except Exception as e:  # noqa: BLE001
                raise ValueError(f"{compose_error(e)}  [variant: {' '.join(job)}]") from None
            composed.append((job, cfg))
    if master.get("resolve") is not None:  # its own range first, as for every other field
        domain_of(schema.Config, "resolve").check("resolve", master.resolve)
    if master.get("resolve") is not None and kind is not SweeperKind.ROWS:
        raise ValueError("resolve: adaptive seeds run as a sweep of rows: use a preset "
                         "(+sweep=NAME) or -m hydra/sweeper=rows with the rows to compare")
    return composed


def objective(record: dict, kind: str):
    """What a sweeper optimises: bbox AP, or (AP, params in M) for the multi-objective search."""
    from results.record import ap_of

    ap = ap_of(record)
    if kind == "ap_params":
        return ap, record["params"] / 1e6
    return ap
