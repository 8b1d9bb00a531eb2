"""The search's study without training: storage and heartbeat, bookkeeping, space, options."""
import json
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT, TINY


def test_password_is_masked_wherever_a_url_is_shown():
    from results.study import mask_url

    assert mask_url("postgresql://bob:s3:cr@t@db:5432/optuna") == "postgresql://bob:***@db:5432/optuna"
    line = "hydra.sweeper.storage=mysql+pymysql://bob:s3cret@db/optuna"
    assert mask_url(line) == "hydra.sweeper.storage=mysql+pymysql://bob:***@db/optuna"
    assert mask_url("/shared/sweeps/search/optuna.journal") == "/shared/sweeps/search/optuna.journal"


def test_stale_trial_is_failed_and_requeued_with_its_params(tmp_path):
    """A journal study gets Optuna's heartbeat: a RUNNING trial silent for the grace period
    is failed and re-queued (same params); only the re-queued one counts toward n_trials."""
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.storages import fail_stale_trials

    from results.optuna_internals import record_heartbeat
    from results.study import open_storage
    from sweeps.search_ledger import counted

    storage = open_storage(str(tmp_path / "optuna.journal"), heartbeat_interval=1, grace_period=2)
    study = optuna.create_study(study_name="s", storage=storage)
    alive, dead = (study.ask({"scales": CategoricalDistribution(["3S", "5S"])}) for _ in range(2))
    record_heartbeat(storage, dead)
    time.sleep(2.5)
    record_heartbeat(storage, alive)
    fail_stale_trials(study)
    states = {t.number: t.state.name for t in study.trials}
    assert states == {0: "RUNNING", 1: "FAIL", 2: "WAITING"}
    assert study.trials[2].params == dead.params
    assert study.trials[2].system_attrs["retry_history"] == [1]
    assert [t.number for t in counted(study.trials)] == [0]
    assert study.ask().number == 2  # the re-queued trial is asked first


def test_gpu_hours_spent_count_each_trained_variant_once(tmp_path):
    import optuna

    from results.record import new_record
    from results.store import ResultStore
    from sweeps.search_ledger import device_hours, spent_gpu_hours

    store = ResultStore(tmp_path)
    store.write(new_record("a", "finished", {}, wall_s=1800.0, gpus=8, world_size=8))
    store.write(new_record("b", "pruned", {}, wall_s=3600.0, gpus=0, world_size=2))  # CPU DDP
    store.write(new_record("c", "finished", {}, wall_s=3600.0, gpus=8))
    assert device_hours(store.read("b")) == 2.0
    study = optuna.create_study()
    for key, outcome in (("a", "finished"), ("a", "reused"), ("b", "pruned"), ("c", "reused"),
                         ("d", "rejected")):
        t = study.ask()
        t.set_user_attr("key", key)
        t.set_user_attr("outcome", outcome)
    assert spent_gpu_hours(study.trials, tmp_path) == pytest.approx(4.0 + 2.0)


def test_search_space_from_hydra_sweep_syntax_and_the_command_line_wins():
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    from hydra_plugins.msfm_optuna_sweeper.space import overrides_of, parse_space

    space, fixed = parse_space(
        {"scales": "choice(3S, 5S)", "conv_num": "choice(cgn1, cgn2*)", "seed": "range(0, 3)",
         "schedule.lr": "tag(log, interval(0.001, 0.1))"},
        ["+search=msfm", "conv_num=cgn2", "fusion_type=add,cat"])
    assert space == {"scales": CategoricalDistribution(["3S", "5S"]),
                     "seed": IntDistribution(0, 2),
                     "schedule.lr": FloatDistribution(0.001, 0.1, log=True),
                     "fusion_type": CategoricalDistribution(["add", "cat"])}
    assert fixed == ["+search=msfm", "conv_num=cgn2"]
    assert overrides_of({"fusion_type": "cat", "scales": "5S"}, space) == ["scales=5S", "fusion_type=cat"]


def test_pruner_steps_are_epochs_and_bad_options_are_one_line():
    from results.study import make_pruner

    hyperband = make_pruner("hyperband", {}, epochs=12, val_interval=2)
    assert (hyperband._min_resource, hyperband._max_resource) == (2, 12)
    with pytest.raises(ValueError, match=r"^hydra.sweeper.pruner.kwargs: median: .*n_startup"):
        make_pruner("median", {"n_startup": 1})
    with pytest.raises(ValueError, match=r"hydra.sweeper.pruner.name: unknown pruner 'asha'; allowed: none, median"):
        make_pruner("asha")


@pytest.mark.parametrize("option, message", [
    ("hydra.sweeper.pruner.name=median", "hydra.sweeper.pruner.name: Optuna prunes single-objective"),
    ("hydra.sweeper.mode=constrained", "hydra.sweeper.params_budget_m: mode=constrained needs"),
    ("hydra.sweeper.storage=postgresql://bob:s3cret@127.0.0.1:9/optuna", "hydra.sweeper.storage: cannot open postgresql://bob:***@"),
])
def test_bad_search_option_is_one_line_before_any_trial(tmp_path, option, message):
    proc = subprocess.run([sys.executable, "-m", "sweeps.run", f"output_root={tmp_path}", *TINY,
                           "+search=msfm", option], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], proc.stderr[-2000:]
    assert "s3cret" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").glob("*.json"))


def test_optuna_dashboard_reads_our_journal_study(tmp_path):
    """optuna-dashboard (the `dashboard` extra) serves a study written by our storage."""
    from wsgiref.util import setup_testing_defaults

    import optuna
    from optuna_dashboard import wsgi

    from results.study import open_storage

    path = str(tmp_path / "optuna.journal")
    study = optuna.create_study(study_name="msfm_pruned", storage=open_storage(path),
                                direction="maximize")
    trial = study.ask({"scales": optuna.distributions.CategoricalDistribution(["3S", "5S"])})
    trial.report(0.2, 1)
    study.tell(trial, 0.25)

    def get(url):
        environ = {"PATH_INFO": url}
        setup_testing_defaults(environ)
        out = {}
        body = wsgi(path)(environ, lambda status, headers, *exc: out.update(status=status))
        assert out["status"].startswith("200"), out
        return json.loads(b"".join(body))

    [listed] = get("/api/studies")["study_summaries"]
    assert listed["study_name"] == "msfm_pruned"
    [shown] = get(f"/api/studies/{listed['study_id']}")["trials"]
    assert shown["values"] == [0.25] and shown["params"][0]["param_external_value"] == trial.params["scales"]
    assert shown["intermediate_values"] == [{"step": 1, "value": 0.2}]


def test_a_pruner_without_evaluations_before_the_end_is_a_one_line_error(compose_cfg):
    from sweeps.search_options import check_options

    cfg = compose_cfg("+search=msfm_pruned", "schedule=1x", "schedule.val_interval=12")
    with pytest.raises(ValueError, match=r"^hydra.sweeper.pruner.name: hyperband needs val AP before the "
                                         r"last epoch, but schedule.val_interval=12 >= schedule.epochs=12"):
        check_options(cfg.hydra.sweeper, cfg.schedule)
    cfg = compose_cfg("+search=msfm", "hydra.sweeper.mode=ap", "hydra.sweeper.pruner.name=median")
    with pytest.raises(ValueError, match="schedule.val_interval=2 >= schedule.epochs=2"):  # smoke
        check_options(cfg.hydra.sweeper, cfg.schedule)
    # the preset evaluates every epoch, whichever schedule it is given
    assert compose_cfg("+search=msfm_pruned", "schedule=1x").schedule.val_interval == 1


@pytest.mark.parametrize("preset, mode, pruner", [("msfm", "pareto", "none"),
                                                  ("msfm_pruned", "ap", "hyperband"),
                                                  ("msfm_constrained", "constrained", "none")])
def test_every_search_preset_composes_with_our_sweeper(compose_cfg, preset, mode, pruner):
    from sweeps.search_options import check_options

    cfg = compose_cfg(f"+search={preset}")
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("msfm_optuna_sweeper.optuna_sweeper.OptunaSweeper")
    assert (sweeper.mode, sweeper.pruner.name) == (mode, pruner)
    check_options(sweeper, cfg.schedule)  # the pruned preset has evaluations to act on
    assert set(sweeper.params) == {"position", "scales", "ratios", "norm_group", "conv_num", "fusion_type"}


def test_params_budget_reaches_the_sampler_as_each_trials_constraint():
    """Optuna 5's ``Trial.set_constraint``, not the sampler's deprecated ``constraints_func``
    (a FutureWarning, an error under our pytest filters): a trial over the budget is
    infeasible to TPE and to ``best_trial``; a retried trial keeps its constraint silently."""
    import warnings

    import optuna

    from hydra_plugins.msfm_optuna_sweeper.study_setup import CONSTRAINT, constrain, make_sampler

    study = optuna.create_study(direction="maximize",
                                sampler=make_sampler("auto", {}, "constrained", seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for params_m, ap in ((43.0, 0.9), (42.0, 0.5)):
            trial = study.ask()
            constrain(trial, params_m, 42.5)
            constrain(trial, params_m + 1, 42.5)  # a retried trial was copied with the first
            study.tell(trial, ap)
        unbudgeted = study.ask()
        constrain(unbudgeted, 50.0, None)
    over, within = study.trials[:2]
    assert over.constraints == {CONSTRAINT: 0.5} and within.constraints == {CONSTRAINT: -0.5}
    assert unbudgeted.constraints == {}
    assert study.best_trial.number == within.number  # the best AP is over the budget


def test_waiting_prints_one_line_per_change_with_the_time_until_a_dead_trial_is_given_up():
    """A re-run after a killed sweeper: trial 3 (started elsewhere) stops beating and is given
    up after the grace period. Polled every 5 s, the wait says one line per change of state, not
    one per poll (it used to say the same line 34 times)."""
    from hydra_plugins.msfm_optuna_sweeper.heartbeat import wait_line

    interval, grace = 60, 180
    state, lines = (), []
    for t in range(0, 400, 5):  # trial 3 beats until t=60, then is dead; trial 4 joins at 200
        silence = {3: t % 60 if t < 120 else t - 60} if t - 60 <= grace else {}
        if t >= 200:
            silence[4] = (t - 200) % 60
        state, line = wait_line(state, silence, interval, grace)
        lines += [(t, line)] if line else []
        assert wait_line(state, silence, interval, grace) == (state, None)  # unchanged: silent
    assert lines == [
        (0, "waiting for trial 3 (alive; given up 180 s after a last heartbeat): started "
            "elsewhere, told when its record ends"),
        (155, "waiting for trial 3 (no heartbeat for 95 s; given up in 85 s): started elsewhere, "
              "told when its record ends"),
        (200, "waiting for trials 4 (alive; given up 180 s after a last heartbeat); 3 (no "
              "heartbeat for 140 s; given up in 40 s): started elsewhere, told when their "
              "records end"),
        (245, "waiting for trial 4 (alive; given up 180 s after a last heartbeat): started "
              "elsewhere, told when its record ends")]
    assert wait_line((), {5: None}, interval, None)[1] == (
        "waiting for trial 5 (no heartbeat recorded): started elsewhere, told when its record ends")


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")
@pytest.mark.parametrize("rdb", [False, True])
def test_the_search_waits_on_a_silent_trial_with_one_line(tmp_path, caplog, rdb):
    """The search loop's wait reads each trial's silence from the study's own storage (journal
    or RDB) and logs one line however often it polls."""
    import logging
    from types import SimpleNamespace

    import optuna

    from hydra_plugins.msfm_optuna_sweeper.loop import Search
    from results.optuna_internals import record_heartbeat, storage_of
    from results.study import heartbeat_silence, open_storage

    url = f"sqlite:///{tmp_path}/optuna.db" if rdb else str(tmp_path / "optuna.journal")
    study = optuna.create_study(study_name="s", storage=open_storage(url, heartbeat_interval=1,
                                                                     grace_period=60))
    record_heartbeat(storage_of(study), study.ask())
    time.sleep(2.1)  # a missed beat: silent for over 1.5 intervals (SQLite counts whole s)
    trial = study.get_trials()[0]  # as the loop reads it
    silence, grace = heartbeat_silence(storage_of(study), [trial])
    assert grace == 60 and 1.5 < silence[trial.number] < 30
    search = Search.__new__(Search)  # only what the wait reads
    search.study, search.conf, search._waited = study, SimpleNamespace(heartbeat_interval=1), ()
    with caplog.at_level(logging.INFO):
        for _ in range(34):
            search._say_waiting([trial])
    lines = [r.getMessage() for r in caplog.records if "waiting for" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("waiting for trial 0 (no heartbeat for ")
