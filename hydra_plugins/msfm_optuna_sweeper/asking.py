"""Asking the study for trials worth training: every sampled combination goes through the
one validation gate first. An invalid one is told FAIL (outcome ``rejected``), one over the
params budget PRUNED before training (``over_params_budget``); neither is trained nor counted.
A variant already finished or pruned in the results store is told its stored result."""
from __future__ import annotations

import logging
from typing import Optional

from hydra_plugins.msfm_optuna_sweeper.space import overrides_of
from hydra_plugins.msfm_optuna_sweeper.study_setup import constrain

log = logging.getLogger(__name__)


class Asker:
    """Turns ``study.ask()`` into launchable (trial, job, spec) or an already-told trial.

    Args:
        study: the search's study; ``space``: name -> distribution; ``fixed``: overrides
        every job carries; ``gate``: job -> RunSpec or one-line ``ValueError``;
        ``teller``: tells stored results; ``stats``: spec -> (params, planned GPU-h) or None
        when no budget needs them; ``params_budget_m``; ``max_rejected`` in a row.
    """

    def __init__(self, study, space, fixed, gate, teller, stats, params_budget_m, max_rejected):
        self.study, self.space, self.fixed, self.gate = study, space, fixed, gate
        self.teller, self.stats = teller, stats
        self.params_budget_m, self.max_rejected = params_budget_m, max_rejected
        self.invalid: dict[tuple, str] = {}  # job -> the gate's message (asked once per process)
        self.rejected = self.over_budget = self.in_a_row = 0
        self.gave_up: Optional[str] = None

    def ask(self):
        """One new trial: ``(trial, job, spec)`` to launch, or ``None`` when the trial was
        told here (rejected, over budget, stored result); sets ``gave_up`` after
        ``max_rejected`` untrainable samples in a row."""
        from optuna.trial import TrialState

        from results.optuna_internals import beats, record_heartbeat, storage_of

        trial = self.study.ask(self.space)
        storage = storage_of(self.study)
        if beats(storage):  # alive from the start, not only once launched
            record_heartbeat(storage, trial)
        sampled = overrides_of(trial.params, self.space)
        job = [*self.fixed, *sampled]
        trial.set_user_attr("overrides", sampled)
        spec = self._gate(trial, job)
        if spec is None:
            return None
        trial.set_user_attr("key", spec.key)
        if self.stats is not None:
            params, planned = self.stats(spec)
            trial.set_user_attr("params_M", params / 1e6)
            trial.set_user_attr("planned_gpu_hours", planned)
            constrain(trial, params / 1e6, self.params_budget_m)
            if self.params_budget_m and params / 1e6 > self.params_budget_m:
                trial.set_user_attr("outcome", "over_params_budget")
                self.study.tell(trial, state=TrialState.PRUNED)
                self.over_budget += 1
                log.info(f"trial {trial.number}: {params / 1e6:.2f}M params > budget "
                         f"{self.params_budget_m}M, not trained: {' '.join(sampled)}")
                return self._untrainable(f"over the params budget: {' '.join(sampled)}")
        self.in_a_row = 0
        if not spec.force and self.teller.tell_stored(trial, spec):
            return None
        return trial, job, spec

    def _gate(self, trial, job):
        from optuna.trial import TrialState

        message = self.invalid.get(tuple(job))
        if message is None:
            try:
                return self.gate(job)
            except ValueError as e:
                message = self.invalid[tuple(job)] = str(e)
                log.warning(f"trial {trial.number} rejected, never trained: {message}")
        trial.set_user_attr("outcome", "rejected")
        trial.set_user_attr("error", message)
        self.study.tell(trial, state=TrialState.FAIL)
        self.rejected += 1
        return self._untrainable(message)

    def _untrainable(self, why: str) -> None:
        self.in_a_row += 1
        if self.in_a_row >= self.max_rejected:
            self.gave_up = (f"{self.in_a_row} sampled combinations in a row could not be trained "
                            f"(hydra.sweeper.max_rejected); last: {why}")
        return None

