"""A search's bookkeeping, read from its Optuna study and the results store: which trials
count toward ``n_trials``, GPU-hours spent and planned, and the summary ``sweeps.status``
and the sweeper print.

Trial user attrs written by the sweeper: ``key`` (the variant's record), ``outcome``
(finished | pruned | failed | reused | rejected | over_params_budget), ``params_M`` and
``planned_gpu_hours`` (from ``sweeps.plan``'s model, when a budget needs them), ``error``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from sweeps.kinds import SweeperKind, sweeper_kind

NOT_TRAINED = ("rejected", "over_params_budget")  # told without training: never counted


def default_storage(sweep_dir: str | Path) -> str:
    """Where a search's study lives unless ``hydra.sweeper.storage`` says otherwise: a
    journal file in the search's directory (shared file system: safe for SLURM jobs)."""
    return str(Path(sweep_dir) / "optuna.journal")


def storage_of(sweeper_conf, sweep_dir: str | Path) -> str:
    """The study storage of a composed ``hydra.sweeper`` node (journal path or RDB URL)."""
    return sweeper_conf.get("storage") or default_storage(sweep_dir)


def retried(trials: Iterable) -> set[int]:
    """Numbers of trials failed by their heartbeat and re-queued as a new trial."""
    out: set[int] = set()
    for t in trials:
        out.update(t.system_attrs.get("retry_history", []))
    return out


def counted(trials: list) -> list:
    """The trials that use up ``n_trials``: complete, pruned, running, and failed ones that
    were really tried (not invalid, not over the params budget, not re-queued)."""
    from optuna.trial import TrialState

    again = retried(trials)
    out = []
    for t in trials:
        outcome = t.user_attrs.get("outcome")
        if outcome in NOT_TRAINED or t.state == TrialState.WAITING:
            continue
        if t.state == TrialState.FAIL and t.number in again:
            continue
        out.append(t)
    return out


def device_hours(record: dict) -> float:
    """What a record's training cost: wall time x GPUs, or x processes (``world_size``) on a
    machine without GPUs, in hours. A pending record costs nothing yet."""
    devices = record.get("gpus") or record.get("world_size") or 1
    return float(record.get("wall_s") or 0.0) * devices / 3600


def spent_gpu_hours(trials: Iterable, results_dir: str | Path) -> float:
    """GPU-hours the search's own trainings took (each variant once; a variant whose stored
    result was reused costs the search nothing)."""
    from results.store import CorruptRecord, ResultStore

    store, total, seen = ResultStore(results_dir), 0.0, set()
    for t in trials:
        key = t.user_attrs.get("key")
        if not key or key in seen or t.user_attrs.get("outcome") in (*NOT_TRAINED, "reused"):
            continue
        seen.add(key)
        try:
            record = store.read(key)
        except CorruptRecord:
            record = None
        total += device_hours(record or {})
    return total


def planned_gpu_hours(trials: Iterable) -> float:
    """The planned cost (``sweeps.plan``'s estimate) of the trials still running."""
    from optuna.trial import TrialState

    return sum(t.user_attrs.get("planned_gpu_hours") or 0.0 for t in trials
               if t.state == TrialState.RUNNING)


def summary(study, results_dir: str | Path, n_trials: int,
            budget_gpu_hours: Optional[float] = None) -> dict:
    """Counts per state and outcome, trials counted toward ``n_trials``, GPU-hours."""
    trials = study.get_trials(deepcopy=False)
    outcomes: dict[str, int] = {}
    for t in trials:
        outcome = t.user_attrs.get("outcome") or t.state.name.lower()
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return dict(study=study.study_name, trials=len(trials), counted=len(counted(trials)),
                n_trials=n_trials, outcomes=outcomes,
                spent_gpu_hours=spent_gpu_hours(trials, results_dir),
                planned_gpu_hours=planned_gpu_hours(trials), budget_gpu_hours=budget_gpu_hours)


def summary_line(s: dict) -> str:
    """One line: trials done of the budget, outcomes, GPU-hours spent of the budget."""
    parts = ", ".join(f"{n} {o}" for o, n in sorted(s["outcomes"].items()))
    budget = "" if s["budget_gpu_hours"] is None else f" of {s['budget_gpu_hours']:g}"
    return (f"study {s['study']}: {s['counted']}/{s['n_trials']} trials ({parts or 'none yet'}); "
            f"GPU-hours spent {s['spent_gpu_hours']:.3g}{budget}, "
            f"{s['planned_gpu_hours']:.3g} planned for running trials")


def search_status(cfg) -> Optional[dict]:
    """For ``sweeps.status``: None unless the composed config ``cfg`` (with its hydra node)
    selects an Optuna search; else its trials as status rows (one per trained or reused trial)
    and its summary line."""
    sweeper = cfg.hydra.sweeper
    if sweeper_kind(sweeper) is not SweeperKind.SEARCH:
        return None
    import optuna

    from launchers.slurm import current
    from results.record import ap_of
    from results.store import ResultStore
    from results.study import open_storage

    url = storage_of(sweeper, cfg.hydra.sweep.dir)
    if not is_study(url, sweeper.study_name):
        return dict(rows=[], line=f"study {sweeper.study_name}: no trials yet")
    study = optuna.load_study(study_name=sweeper.study_name, storage=open_storage(url))
    trials = [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("key")
              and t.user_attrs.get("outcome") not in NOT_TRAINED]
    store = ResultStore(cfg.results_dir)
    found = current([(store, t.user_attrs["key"]) for t in trials], move_corrupt=False)
    rows = []
    for t, (record, state) in zip(trials, found):
        record = record or {}
        rows.append(dict(
            overrides=[f"#{t.number}", *t.user_attrs.get("overrides", [])], key=t.user_attrs["key"],
            status=record.get("status", t.state.name.lower()),
            ap=ap_of(record), params=record.get("params"),
            error=record.get("error"), slurm_job_id=record.get("slurm_job_id"), slurm_state=state))
    s = summary(study, cfg.results_dir, sweeper.n_trials, sweeper.budget_gpu_hours)
    return dict(rows=rows, line=summary_line(s))


def is_study(url: str, name: str) -> bool:
    """Whether the storage at ``url`` exists and holds the study ``name`` (without creating it)."""
    import optuna

    from results.study import is_rdb, open_storage

    if not is_rdb(url) and not Path(url).exists():
        return False
    return name in optuna.get_all_study_names(storage=open_storage(url))
