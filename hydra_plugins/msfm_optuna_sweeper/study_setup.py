"""Opening a search's study: objectives per mode, the sampler, the pruner."""
from __future__ import annotations

from sweeps.search_options import MODES

CONSTRAINT = "params_over_budget_M"  # the trial's params minus the budget, in M


def constrain(trial, params_m: float, budget_m) -> None:
    """Tell the sampler how far ``trial`` is over the params budget (Optuna's
    ``Trial.set_constraint``, which TPE and NSGA-II read: feasible when <= 0). Nothing without
    a budget; a retried trial keeps the constraint it was copied with."""
    if budget_m and CONSTRAINT not in trial.constraints:
        trial.set_constraint(CONSTRAINT, params_m - float(budget_m))


def make_sampler(name: str, kwargs, mode: str, seed):
    """The sampler ``name`` (``auto``: NSGA-II for the Pareto mode, TPE otherwise) with
    ``kwargs`` passed on. The params budget reaches it through each trial's constraint
    (:func:`constrain`)."""
    import optuna

    name = name if name != "auto" else ("nsgaii" if mode == "pareto" else "tpe")
    kwargs = dict(kwargs or {})
    try:
        if name == "random":
            return optuna.samplers.RandomSampler(seed=seed, **kwargs)
        cls = optuna.samplers.NSGAIISampler if name == "nsgaii" else optuna.samplers.TPESampler
        return cls(seed=seed, **kwargs)
    except TypeError as e:
        raise ValueError(f"hydra.sweeper.sampler.kwargs: {name}: {e}") from None


def pruner_spec(conf, schedule) -> dict:
    """What a job needs to rebuild the study's pruner (``results.study.make_pruner``)."""
    from omegaconf import OmegaConf

    return dict(name=conf.name, kwargs=OmegaConf.to_container(conf.kwargs) if conf.kwargs else {},
                epochs=int(schedule.epochs), val_interval=int(schedule.val_interval))


def open_study(conf, storage_url: str, schedule):
    """Create or load the study ``conf.study_name`` at ``storage_url``; a study created with
    other objectives is a one-line error. Seeds its sampler with ``seed + trials so far`` so
    a resumed search does not replay the first run's samples."""
    import optuna
    from omegaconf import OmegaConf

    from results.study import make_pruner, mask_url, open_storage

    pruner = make_pruner(**pruner_spec(conf.pruner, schedule))
    directions = MODES[conf.mode]
    try:
        storage = open_storage(storage_url, conf.heartbeat_interval, conf.grace_period,
                               conf.max_retry)
        study = optuna.create_study(study_name=conf.study_name, storage=storage, pruner=pruner,
                                    directions=directions, load_if_exists=True,
                                    sampler=optuna.samplers.RandomSampler())
    except Exception as e:  # noqa: BLE001 - driver missing, server down, bad path: one line
        why = mask_url(" ".join(str(e).split()[:40]))
        raise ValueError(f"hydra.sweeper.storage: cannot open {mask_url(storage_url)}: "
                         f"{type(e).__name__}: {why}") from None
    found = [d.name.lower() for d in study.directions]
    if found != directions:
        raise ValueError(f"hydra.sweeper.study_name: study {conf.study_name!r} in "
                         f"{mask_url(storage_url)} optimises {found}, mode={conf.mode} needs "
                         f"{directions}; choose another study_name")
    seed = conf.sampler.seed
    kwargs = OmegaConf.to_container(conf.sampler.kwargs) if conf.sampler.kwargs else {}
    study.sampler = make_sampler(conf.sampler.name, kwargs, conf.mode,
                                 None if seed is None else seed + len(study.trials))
    return study
