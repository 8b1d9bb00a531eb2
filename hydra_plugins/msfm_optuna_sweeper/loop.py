"""The search loop: ask -> gate -> launch -> tell from the records, until the study has its
``n_trials`` (a total per study, so re-running completes it), the GPU-hour budget is spent, or
the sampler keeps proposing combinations that cannot be trained."""
from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

from hydra_plugins.msfm_optuna_sweeper.asking import Asker
from hydra_plugins.msfm_optuna_sweeper.heartbeat import Heartbeat, wait_line
from hydra_plugins.msfm_optuna_sweeper.space import parse_space
from hydra_plugins.msfm_optuna_sweeper.study_setup import open_study, pruner_spec
from hydra_plugins.msfm_optuna_sweeper.telling import Teller
from sweeps.search_options import check_options

log = logging.getLogger(__name__)


class Search:
    """One run of the sweeper over its study (see the module docstring).

    Args:
        conf: the ``hydra.sweeper`` node; config: the composed master config;
        storage_url: the real storage (journal path or RDB URL, password included);
        arguments: the command line's overrides; config_loader: Hydra's, for the gate;
        gate: the invocation's ``sweeps.gate.Gate`` (sampled points go through it).
    """

    def __init__(self, conf, config, storage_url: str, arguments: Sequence[str], config_loader,
                 gate):
        check_options(conf, config.schedule)
        self.conf, self.config, self.config_loader, self.gate = conf, config, config_loader, gate
        self.space, fixed = parse_space(conf.params, arguments)
        self.study = open_study(conf, storage_url, config.schedule)
        self.teller = Teller(self.study, conf.mode, str(config.results_dir))
        needs_stats = conf.budget_gpu_hours is not None or conf.params_budget_m is not None
        self.asker = Asker(self.study, self.space, fixed, self._gate, self.teller,
                           self._stats if needs_stats else None, conf.params_budget_m,
                           conf.max_rejected)
        self.trial_ref = dict(storage=storage_url, study=conf.study_name,
                              pruner=pruner_spec(conf.pruner, config.schedule),
                              heartbeat_interval=conf.heartbeat_interval,
                              grace_period=conf.grace_period)
        self.stop_reason = None
        self._stats_cache: dict = {}
        self._waited: tuple = ()  # the trials started elsewhere last waited on, and their state

    def run(self, launch: Callable[[list], None]) -> None:
        """Ask, launch and tell until done; ``launch(jobs)`` runs a batch of job overrides."""
        from optuna.storages import fail_stale_trials
        from optuna.trial import TrialState

        from results.optuna_internals import storage_of, trial_id
        from sweeps.search_ledger import counted

        poll = min(5.0, float(self.conf.heartbeat_interval))
        with Heartbeat(storage_of(self.study), self.conf.heartbeat_interval) as beats:
            while True:
                fail_stale_trials(self.study)  # dead sweeper and job: FAIL, and re-queued
                self.teller.tell_ended()
                trials = self.study.get_trials(deepcopy=False)
                running = [t for t in trials if t.state == TrialState.RUNNING]
                room = min(self.conf.n_jobs - len(running), self.conf.n_trials - len(counted(trials)))
                if self.stop_reason is None and room > 0 and not self._over_gpu_budget(trials):
                    batch = self._ask(room)
                    if batch:
                        self._launch(batch, launch, beats)
                    continue
                if not running:
                    return
                self._say_waiting([t for t in running if trial_id(t) not in beats.ids])
                time.sleep(poll)

    def _say_waiting(self, trials: list) -> None:
        """One line when the trials started elsewhere that the search waits on, or their state,
        change (see ``wait_line``); nothing while they stay as they were."""
        from results.optuna_internals import storage_of
        from results.study import heartbeat_silence

        silence, grace = heartbeat_silence(storage_of(self.study), trials)
        self._waited, line = wait_line(self._waited, silence, self.conf.heartbeat_interval, grace)
        if line:
            log.info(line)

    def _ask(self, room: int) -> list:
        batch = []
        for _ in range(room):
            asked = self.asker.ask()
            if self.asker.gave_up:
                self.stop_reason = self.asker.gave_up
                log.warning(f"search stops: {self.stop_reason}")
                break
            if asked:
                batch.append(asked)
        return batch

    def _launch(self, batch: list, launch, beats: Heartbeat) -> None:
        from results.optuna_internals import trial_id

        jobs, keys = [], set()
        for trial, job, spec in batch:
            beats.ids.add(trial_id(trial))
            if spec.key in keys:
                continue  # the same variant twice in one batch: trained once, told to both
            keys.add(spec.key)
            self.gate.assign_trial(job, dict(self.trial_ref, number=trial.number))
            jobs.append(job)
        log.info(f"launching trials {[t.number for t, _, _ in batch]}")
        launch(jobs)
        self.teller.tell_ended()
        # launch waits for the batch through the launcher's own wait step (locally it runs
        # it; launcher.wait=true on SLURM, as the driver job runs it): what it left running
        # is someone else's now. The loop's own poll is for trials other processes launched.
        beats.ids.difference_update(trial_id(t) for t, _, _ in batch)

    def _over_gpu_budget(self, trials) -> bool:
        from sweeps.search_ledger import planned_gpu_hours, spent_gpu_hours

        budget = self.conf.budget_gpu_hours
        if budget is None:
            return False
        spent = spent_gpu_hours(trials, self.config.results_dir)
        planned = planned_gpu_hours(trials)
        if spent + planned < budget:
            return False
        if self.stop_reason is None:
            self.stop_reason = (f"GPU-hour budget: {spent:.3g} spent + {planned:.3g} planned for "
                                f"running trials >= {budget:g} (hydra.sweeper.budget_gpu_hours)")
            log.warning(f"search stops launching trials: {self.stop_reason}")
        return True

    def _gate(self, job: list):
        self.gate.validate_jobs(self.config_loader, self.config, [job])
        return self.gate.passed(job)[1]

    def _stats(self, spec) -> tuple[int, float]:
        """(params, planned GPU-hours) of ``spec``, priced as ``sweeps.plan`` prices it (its
        cached baseline plus the MSFM blocks: exact, and no model build once cached)."""
        if spec.key not in self._stats_cache:
            from sweeps.plan import gpu_hours
            from sweeps.plan_stats import planned_stats

            params, gflops = planned_stats(spec.variant, *self.config.plan.input_size)
            self._stats_cache[spec.key] = (params, gpu_hours(gflops, spec.variant,
                                                             self.config.plan.effective_tflops))
        return self._stats_cache[spec.key]
