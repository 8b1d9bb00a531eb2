"""From composed Hydra configs to validated Variants, with one-line errors."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Iterable, Optional, Sequence

from omegaconf import DictConfig, OmegaConf

from spec.msfm import KNOBS
from sweeps import schema  # noqa: F401  (registers the typed schema compose() needs)
from spec.run import RunSpec
from spec.variant import Variant

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
VARIANT_GROUPS = (*KNOBS, "detector", "dataset", "schedule")
_PASSED: dict[tuple, tuple] = {}  # job overrides -> (cfg, RunSpec): the gate's memory


def variant_of(cfg: DictConfig) -> Variant:
    """The Variant of a composed config (typed dataclasses, interpolations resolved)."""
    parts = {f.name: OmegaConf.to_object(cfg[f.name]) if OmegaConf.is_config(cfg[f.name])
             else cfg[f.name] for f in fields(Variant)}
    return Variant(**parts)


def validated(cfg: DictConfig) -> Variant:
    """The Variant of a composed config, validated against its detector's real backbone
    (channels per stage and position read from the mmdet config; see ``spec.backbone``)."""
    from spec.backbone import check_images_per_gpu, msfm_channels

    variant = variant_of(cfg)
    check_images_per_gpu(variant.detector, variant.schedule.images_per_gpu)
    channels = msfm_channels(variant.detector, variant.msfm) if variant.msfm.enabled else None
    return variant.validate(channels)


def names_of(cfg: DictConfig) -> dict:
    """The variant in the paper's words: each config group's chosen option, and msfm on/off."""
    if "hydra" in cfg:
        choices = cfg.hydra.runtime.choices
    else:  # inside a Hydra app the hydra node lives in HydraConfig
        from hydra.core.hydra_config import HydraConfig

        choices = HydraConfig.get().runtime.choices
    return {"msfm": bool(cfg.msfm.enabled), **{g: choices.get(g) for g in VARIANT_GROUPS}}


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


def validate_jobs(config_loader, master_config: DictConfig, jobs: Sequence[Sequence[str]]) -> None:
    """Compose and validate every job not yet through the gate; raise one line naming the job."""
    for job in jobs:
        if tuple(job) in _PASSED:
            continue
        try:
            check_group_overrides(job)
            spec_of(config_loader.load_sweep_config(master_config, list(job)), job)
        except Exception as e:  # noqa: BLE001 - any composition error becomes one line
            raise ValueError(f"{one_line(e)}  [variant: {' '.join(job)}]") from None


def passed(job: Sequence[str]) -> Optional[tuple[DictConfig, RunSpec]]:
    """The composed config and RunSpec of a grid point that went through the gate in this
    process, or None: sweepers, ``main`` and launchers trust it instead of re-validating."""
    return _PASSED.get(tuple(job))


def gate(overrides: Sequence[str]) -> list[RunSpec]:
    """Compose and validate every grid point of a command line once: any problem is one
    ``ValueError`` naming the variant. What passes is remembered for this process."""
    specs = []
    for job, cfg in compose_jobs(overrides, check=False):
        try:
            specs.append(spec_of(cfg, job))
        except ValueError as e:
            raise ValueError(f"{one_line(e)}  [variant: {' '.join(job)}]") from None
    return specs


def one_line(e: BaseException) -> str:
    """An exception's message (and its cause's, where Hydra keeps the detail) on one line."""
    text = str(e)
    cause = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
    if cause is not None and str(cause) and str(cause) not in text:
        text = str(cause) if text in str(cause) else f"{text}: {cause}"
    return " ".join(text.split()) or type(e).__name__


def spec_of(cfg: DictConfig, overrides: Sequence[str]) -> RunSpec:
    """The validated RunSpec of a composed config; one-line ``ValueError`` if anything is off.
    The grid point is remembered as passed (see :func:`passed`)."""
    from results.store import ResultStore
    from spec.files import check_files

    variant = validated(cfg)
    check_files(variant)
    ResultStore(cfg.results_dir).check_writable()
    if cfg.launcher.name == "slurm":
        from launchers.slurm import validate_launcher

        validate_launcher(cfg.launcher)
    plain = {k: OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v
             for k, v in cfg.items_ex(resolve=False) if k != "hydra"}
    plain = OmegaConf.to_container(OmegaConf.create(plain), resolve=True)
    spec = RunSpec(
        variant=variant, names=names_of(cfg), overrides=list(overrides),
        results_dir=str(cfg.results_dir), work_root=str(Path(cfg.output_root) / "work"),
        config=plain, sweep=cfg.sweep, force=cfg.force,
        wandb=OmegaConf.to_container(cfg.wandb), num_workers=cfg.num_workers,
        log_interval=cfg.log_interval,
    )
    _PASSED[tuple(overrides)] = (cfg, spec)
    return spec


def compose_jobs(overrides: Sequence[str], check: bool = True) -> list[tuple[list[str], object]]:
    """(job overrides, composed config) for every grid point of a command line, expanded as
    the multirun will; one-line ValueError naming the variant if any is invalid (its Variant
    is validated when ``check``; :func:`gate` validates everything else too)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sweeps.grid import expand

    check_group_overrides(overrides)
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]  # as Hydra's multirun
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        try:
            master = compose("config", overrides=fixed, return_hydra_config=True)
        except Exception as e:  # noqa: BLE001
            raise ValueError(one_line(e)) from None
        sweeper = master.hydra.sweeper
        if sweeper._target_.endswith(("RowsSweeper", "BasicSweeper")):
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
                raise ValueError(f"{one_line(e)}  [variant: {' '.join(job)}]") from None
            composed.append((job, cfg))
    return composed


def objective(record: dict, kind: str):
    """What a sweeper optimises: bbox AP, or (AP, params in M) for the multi-objective search."""
    ap = record.get("metrics", {}).get("bbox_mAP")
    if kind == "ap_params":
        return ap, record["params"] / 1e6
    return ap
