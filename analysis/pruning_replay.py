"""``python -m analysis.pruning_replay results_dir=PATH [study=NAME]``: which pruner would have been
safe on a search's own learning curves.

A pruner compares trials at equal epochs, so it is only as good as the val AP at its first rung
is at ranking the trials by their final AP. This reads the records of one search run without
pruning (or with it: pruned trials are left out), and prints

- per evaluation epoch, the Spearman correlation over the trials between the val AP there and
  the final AP (1: that rung ranks trials exactly; near 0: by chance);
- per candidate pruner, the epochs it would have trained and the best final AP it would have
  kept, replaying the curves through Optuna's pruner as ``training/pruning_hook.py`` reports to it,
  in the order the trials reported (``val_reported_at``; trial order for older records).

The replay is exact for a sequential search with deterministic training. For trials that ran
in parallel (a SLURM array) it keeps the order in which they reported, but a trial pruned in
the replay and not in the pilot would have freed its slot earlier, so later trials would have
started sooner: it is a close estimate there. Run it on a short pilot search before choosing
``hydra.sweeper.pruner`` for a long one.
"""
from __future__ import annotations

import math
import sys
from itertools import repeat
from pathlib import Path

from analysis.args import UsageError, key_values

USAGE = "usage: python -m analysis.pruning_replay results_dir=PATH [study=NAME]"


def study_curves(results_dir: Path | str) -> dict[str, list[dict]]:
    """Per study, its finished trials with a val curve, in trial order: number, curve, final AP
    and, where recorded, when each point of the curve was reported."""
    from results.store import ResultStore

    studies: dict[str, list[dict]] = {}
    for rec in ResultStore(results_dir).records()[0]:
        trial = rec.get("trial") or {}
        if rec["status"] != "finished" or not rec.get("val_curve") or "number" not in trial:
            continue
        studies.setdefault(trial.get("study", "?"), []).append(
            dict(number=trial["number"], val_curve=[tuple(p) for p in rec["val_curve"]],
                 ap=rec.ap, reported_at=rec.get("val_reported_at")))
    return {name: sorted(ts, key=lambda t: t["number"]) for name, ts in studies.items()}


def rank_agreement(trials: list[dict]) -> dict[int, float]:
    """Spearman correlation, over ``trials``, between the val AP at each evaluation epoch and
    the final AP: how well a rung at that epoch would rank the trials."""
    import pandas as pd

    curves = pd.DataFrame({t["number"]: dict(t["val_curve"]) for t in trials}).T
    final = curves[curves.columns.max()]
    return {int(e): round(float(curves[e].corr(final, method="spearman")), 2) for e in sorted(curves.columns)}


def candidates(epochs: int, val_interval: int) -> dict[str, tuple[str, dict]]:
    """The pruners worth comparing on a schedule: halving from the first evaluation (the
    default), halving and median from a third of the schedule, and Hyperband."""
    third = max(val_interval, val_interval * math.ceil(epochs / 3 / val_interval))
    return {f"successive_halving from epoch {val_interval}":
            ("successive_halving", dict(min_resource=val_interval, reduction_factor=3)),
            f"successive_halving from epoch {third}":
            ("successive_halving", dict(min_resource=third, reduction_factor=3)),
            f"median from epoch {third}": ("median", dict(n_startup_trials=2, n_warmup_steps=third)),
            "hyperband": ("hyperband", dict(min_resource=val_interval, max_resource=epochs, reduction_factor=3))}


def _reports(trials: list[dict]) -> list[tuple[int, int, float]]:
    """Every (trial index, epoch, AP) report, in the order the trials made them: by recorded
    time when every trial has one per point, else trial after trial (a sequential search)."""
    timed = all(len(t.get("reported_at") or ()) == len(t["val_curve"]) for t in trials)
    events = [((at if timed else i), j, i, epoch, ap) for i, t in enumerate(trials)
              for j, ((epoch, ap), at) in enumerate(zip(t["val_curve"], t.get("reported_at") or repeat(None)))]
    return [(i, epoch, ap) for _, _, i, epoch, ap in sorted(events)]


def replay(trials: list[dict], name: str, kwargs: dict, epochs: int,
           study_name: str = "msfm_pruned") -> dict:
    """Epochs trained and best final AP had ``trials`` (full curves, in trial order) been run
    under Optuna's pruner ``name`` with ``kwargs`` in the study ``study_name``, their reports
    interleaved as they were made (see ``_reports``)."""
    import optuna

    from results.study import make_pruner

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name,  # Hyperband's brackets hash it
                                direction="maximize", pruner=make_pruner(name, kwargs, epochs))
    asked = [study.ask() for _ in trials]  # numbers in trial order, as the sweeper asked them
    last = [t["val_curve"][-1][0] for t in trials]
    stopped_at: dict[int, int] = {}
    for i, epoch, ap in _reports(trials):
        if i in stopped_at:
            continue
        asked[i].report(ap, epoch)
        if epoch < last[i] and asked[i].should_prune():
            study.tell(asked[i], state=optuna.trial.TrialState.PRUNED)
            stopped_at[i] = epoch
        elif epoch == last[i]:
            study.tell(asked[i], trials[i]["ap"])
    kept = [t["ap"] for i, t in enumerate(trials) if i not in stopped_at]
    return dict(epochs_trained=sum(stopped_at.get(i, epochs) for i in range(len(trials))),
                best_ap=max(kept) if kept else None)


def report(trials: list[dict], study_name: str = "msfm_pruned") -> dict:
    """Rank agreement per epoch and every candidate pruner's replay, for one study."""
    steps = sorted({e for t in trials for e, _ in t["val_curve"]})
    epochs, interval = steps[-1], steps[0]  # the first evaluation is at schedule.val_interval
    full = epochs * len(trials)
    best = max(t["ap"] for t in trials)
    replays = {}
    for label, (name, kwargs) in candidates(epochs, interval).items():
        r = replay(trials, name, kwargs, epochs, study_name)
        replays[label] = dict(r, saving=round(1 - r["epochs_trained"] / full, 3),
                              keeps_best=r["best_ap"] == best)
    return dict(trials=len(trials), epochs=full, best_ap=best, rank_agreement=rank_agreement(trials),
                replays=replays)


def _print(study: str, r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # a log file: keep each pruner on one line
        console = Console(width=120)
    rho = "  ".join(f"{e}: {v:+.2f}" for e, v in r["rank_agreement"].items())
    console.print(f"[bold]{study}[/bold]: {r['trials']} finished trials, {r['epochs']} epochs, "
                  f"best final AP {r['best_ap']:.3f}")
    console.print(f"rank agreement (Spearman, val AP at epoch vs final AP): {rho}")
    table = Table(title="replayed pruners (same trials, same order)", title_justify="left")
    for col in ("pruner", "epochs", "saving", "best AP kept", "keeps the best"):
        table.add_column(col, justify="left" if col == "pruner" else "right")
    for label, p in r["replays"].items():
        kept = "-" if p["best_ap"] is None else f"{p['best_ap']:.3f}"
        table.add_row(label, str(p["epochs_trained"]), f"{p['saving']:.0%}", kept,
                      "yes" if p["keeps_best"] else "[red]no[/red]")
    console.print(table)
    console.print("[dim]A best AP kept below the search's best may still be within noise: "
                  "compare the two runs with python -m analysis.compare.[/dim]")


def main(argv: list[str] | None = None) -> int:
    """Parse ``results_dir=`` and ``study=``, print each study's report; exit 2 on bad input."""
    try:
        args = key_values(sys.argv[1:] if argv is None else argv, ("results_dir", "study"))
        studies = study_curves(args["results_dir"])
        if "study" in args:
            if args["study"] not in studies:
                raise UsageError(f"study={args['study']!r}: allowed: {', '.join(sorted(studies)) or 'none found'}")
            studies = {args["study"]: studies[args["study"]]}
        if not studies:
            raise UsageError(f"results_dir={args['results_dir']!r}: no finished search trials with a val curve")
    except UsageError as e:
        print(f"error: {e}\n{USAGE}", file=sys.stderr)
        return 2
    for name, trials in studies.items():
        _print(name, report(trials, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
