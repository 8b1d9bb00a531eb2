"""Telling the study what the results store says: a finished record is the trial's values
(bbox AP, and params in M for the Pareto mode), a pruned one PRUNED (its val AP curve as the
intermediate values), a failed one FAIL. The record is the truth, wherever the job ran."""
from __future__ import annotations

import logging

from results.record import AP_METRIC, ENDED, FINISHED, PRUNED, ap_of

log = logging.getLogger(__name__)


class Teller:
    """Tells trials of ``study`` their results from the records in ``results_dir``."""

    def __init__(self, study, mode: str, results_dir: str) -> None:
        self.study, self.mode, self.results_dir = study, mode, results_dir

    def tell_stored(self, trial, spec) -> bool:
        """Tell a fresh ``trial`` the stored result of its variant, if it is finished or
        pruned (nothing is trained again); False if there is none."""
        from results.store import ResultStore

        record = ResultStore(spec.results_dir).read_or_warn(spec.key)
        if record and record.get("status") in (FINISHED, PRUNED):
            return self.tell(trial, record, reused=True)
        return False

    def tell_ended(self) -> int:
        """Tell every RUNNING trial whose record has ended (reconciled with SLURM, so a job
        that died is a failure); returns how many were told."""
        from optuna.trial import TrialState

        from launchers.slurm import current
        from results.optuna_internals import live_trial
        from results.store import ResultStore

        store = ResultStore(self.results_dir)
        running = [t for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                   if t.user_attrs.get("key")]
        told = 0
        for t, (record, _) in zip(running, current([(store, t.user_attrs["key"]) for t in running])):
            if record and record.get("status") in ENDED:
                told += self.tell(live_trial(self.study, t), record)
        return told

    def tell(self, trial, record: dict, reused: bool = False) -> bool:
        """Tell ``trial`` (an ``optuna.Trial``) the outcome of ``record``; False if the record
        has not ended."""
        from optuna.trial import TrialState

        from sweeps.variants import objective

        status = record.get("status")
        if status not in ENDED:
            return False
        if record.get("params"):
            trial.set_user_attr("params_M", record["params"] / 1e6)
        trial.set_user_attr("outcome", "reused" if reused else status)
        ap = ap_of(record)
        if status == FINISHED and ap is not None and (self.mode != "pareto" or record.get("params")):
            values = objective(record, "ap_params" if self.mode == "pareto" else "ap")
            self.study.tell(trial, values, skip_if_finished=True)
            what = f"AP {ap:.4f}" + (f", {record['params'] / 1e6:.2f}M params" if record.get("params") else "")
        elif status == PRUNED:
            if reused:  # this trial never ran: its curve comes from the stored record
                for step, value in record.get("val_curve") or []:
                    trial.report(value, int(step))
            self.study.tell(trial, state=TrialState.PRUNED, skip_if_finished=True)
            what = f"pruned after epoch {record.get('pruned_at_epoch')}, AP {ap}"
        else:
            error = record.get("error") or f"finished without {AP_METRIC}"
            trial.set_user_attr("error", error)
            self.study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
            what = f"failed: {error}"
        label = " ".join(trial.user_attrs.get("overrides") or [])
        log.info(f"trial {trial.number} {what}{' (stored result)' if reused else ''}: {label}")
        return True
