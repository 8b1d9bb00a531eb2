"""What a search prints at its end: the bookkeeping line, what was rejected, and the Pareto
front (mode=pareto) or the best feasible trial."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def report(search) -> None:
    """Log the summary of ``search`` (a finished :class:`~.loop.Search`)."""
    from sweeps.search_ledger import summary, summary_line

    conf, study = search.conf, search.study
    s = summary(study, search.config.results_dir, conf.n_trials, conf.budget_gpu_hours)
    log.info(summary_line(s))
    asker = search.asker
    log.info(f"this run: {asker.rejected} sampled combinations rejected by validation and "
             f"{asker.over_budget} over the params budget, none trained; "
             f"{s['outcomes'].get('rejected', 0)} rejected in the whole study")
    if search.stop_reason:
        log.info(f"stopped early: {search.stop_reason}")
    if conf.mode == "pareto":
        front = study.best_trials
        log.info(f"Number of Pareto solutions: {len(front)}")
        for t in sorted(front, key=lambda t: t.values[1]):
            log.info(f"  trial {t.number}: AP {t.values[0]:.4f}, {t.values[1]:.2f}M params: "
                     f"{' '.join(t.user_attrs.get('overrides') or [])}")
        return
    try:
        best = study.best_trial
    except ValueError:
        log.info("no complete (feasible) trial yet")
        return
    params = best.user_attrs.get("params_M")
    log.info(f"Best trial {best.number}: AP {best.value:.4f}"
             + (f", {params:.2f}M params" if params else "")
             + f": {' '.join(best.user_attrs.get('overrides') or [])}")
