"""A search's options (``hydra.sweeper`` of the ``msfm_optuna`` sweeper), checked in one line
each before anything runs: by the sweeper, and by ``sweeps.run`` before it queues a search's
driver job (``sweeps.search_driver``), so a bad option never reaches the cluster."""
from __future__ import annotations

MODES = {"pareto": ["maximize", "minimize"],  # bbox AP up, params down (NSGA-II)
         "ap": ["maximize"],  # bbox AP (TPE), prunable
         "constrained": ["maximize"]}  # bbox AP subject to params <= params_budget_m (TPE)
SAMPLERS = ("auto", "tpe", "nsgaii", "random")


def check_options(conf, schedule=None) -> None:
    """One-line ``ValueError`` naming the ``hydra.sweeper`` field for any bad option; with the
    run's ``schedule``, also a pruner that could never act (no evaluation before the end)."""
    from results.study import PRUNERS

    def bad(field, msg):
        raise ValueError(f"hydra.sweeper.{field}: {msg}")

    if conf.mode not in MODES:
        bad("mode", f"unknown mode {conf.mode!r}; allowed: {', '.join(MODES)}")
    if conf.sampler.name not in SAMPLERS:
        bad("sampler.name", f"unknown sampler {conf.sampler.name!r}; allowed: {', '.join(SAMPLERS)}")
    if conf.pruner.name not in PRUNERS:
        bad("pruner.name", f"unknown pruner {conf.pruner.name!r}; allowed: {', '.join(PRUNERS)}")
    if conf.pruner.name != "none" and conf.mode == "pareto":
        bad("pruner.name", "Optuna prunes single-objective studies only; use mode=ap or "
            "mode=constrained, or pruner.name=none")
    if conf.pruner.name != "none" and schedule is not None and schedule.val_interval >= schedule.epochs:
        bad("pruner.name", f"{conf.pruner.name} needs val AP before the last epoch, but "
            f"schedule.val_interval={schedule.val_interval} >= schedule.epochs={schedule.epochs}; "
            "set schedule.val_interval lower (e.g. 2) or pruner.name=none")
    if conf.mode == "constrained" and not conf.params_budget_m:
        bad("params_budget_m", "mode=constrained needs a parameter budget in millions (> 0)")
    for field in ("n_trials", "n_jobs", "heartbeat_interval", "max_rejected"):
        if conf[field] < 1:
            bad(field, f"{conf[field]} must be >= 1")
    for field in ("params_budget_m", "budget_gpu_hours", "grace_period"):
        if conf[field] is not None and conf[field] <= 0:
            bad(field, f"{conf[field]} must be > 0 (or null: no limit)")
    if not conf.params:
        bad("params", "the search space is empty")
