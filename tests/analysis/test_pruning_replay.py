"""``python -m analysis.pruning_replay``: replaying a search's own curves through Optuna's pruners.
(The replay's exactness against a real pruned search is checked by benchmarks/bench_search.py,
which runs both: ``replay_matches_run`` in its results.)"""
import json

from analysis.pruning_replay import main, replay, report, study_curves

EPOCHS = range(2, 13, 2)


def _write(tmp_path, curves, study="msfm_pruned", status="finished", reported_at=None):
    for n, curve in enumerate(curves):
        rec = dict(key=f"{study}{n}", variant={}, status=status, trial=dict(study=study, number=n), val_curve=curve,
                   metrics=dict(bbox_mAP=curve[-1][1]))
        if reported_at:
            rec["val_reported_at"] = reported_at[n]
        (tmp_path / f"{study}{n}.json").write_text(json.dumps(rec))


def _late_bloomer():
    """Five trials whose early AP ranks them right, and a sixth (the best at the end) that is
    the worst at epoch 2 and the best from epoch 4 on."""
    steady = [[(e, round(k * 0.01 * e, 3)) for e in EPOCHS] for k in (5, 4, 3, 2, 1)]
    late = [(2, 0.001)] + [(e, round(0.07 * e, 3)) for e in EPOCHS[1:]]
    return [*steady, late]


def test_replay_shows_a_first_rung_pruning_a_late_bloomer_and_a_later_rung_keeping_it(tmp_path):
    _write(tmp_path, _late_bloomer())
    _write(tmp_path, [[(2, 0.9)]], study="msfm_pruned_other", status="pruned")  # not a curve to replay
    [(name, trials)] = study_curves(tmp_path).items()
    assert name == "msfm_pruned" and [t["number"] for t in trials] == list(range(6))

    r = report(trials)
    assert r["epochs"] == 72 and r["best_ap"] == 0.84
    assert r["rank_agreement"][4] == 1.0 and r["rank_agreement"][12] == 1.0
    assert r["rank_agreement"][2] < 0.5  # the best trial ranks last there
    first, later = r["replays"]["successive_halving from epoch 2"], r["replays"]["successive_halving from epoch 4"]
    assert not first["keeps_best"] and first["best_ap"] == 0.6
    assert later["keeps_best"] and later["best_ap"] == 0.84
    assert 0 < later["saving"] < first["saving"] < 1
    assert later["epochs_trained"] == round(72 * (1 - later["saving"]))


def test_cli_prints_each_pruner_and_rejects_an_unknown_study_in_one_line(tmp_path, capsys):
    _write(tmp_path, _late_bloomer())
    assert main([f"results_dir={tmp_path}"]) == 0
    out = capsys.readouterr().out
    assert "successive_halving from epoch 2" in out and "hyperband" in out and "rank agreement" in out

    assert main([f"results_dir={tmp_path}", "study=nope"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: study='nope': allowed: msfm_pruned"
    assert main([f"results_dir={tmp_path / 'missing'}"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_parallel_trials_are_replayed_in_the_order_they_reported(tmp_path):
    """Successive halving (rf 3) promotes a trial at a rung if it is the best of the values
    there so far. Run one after another, trial 2 (the best at the end) meets trials 0 and 1 at
    epoch 2 and is pruned; run in parallel, it reported first and was promoted."""
    curves = [[(2, 0.10), (4, 0.15)], [(2, 0.20), (4, 0.25)], [(2, 0.05), (4, 0.30)]]
    times = [[2.0, 12.0], [3.0, 13.0], [1.0, 11.0]]  # an array of 3: trial 2 evaluated first
    halving = ("successive_halving", dict(min_resource=2, reduction_factor=3))

    _write(tmp_path, curves)
    sequential = replay(study_curves(tmp_path)["msfm_pruned"], *halving, epochs=4)
    assert sequential == dict(epochs_trained=10, best_ap=0.25)

    _write(tmp_path, curves, reported_at=times)
    [trials] = study_curves(tmp_path).values()
    assert [t["reported_at"] for t in trials] == times
    assert replay(trials, *halving, epochs=4) == dict(epochs_trained=12, best_ap=0.30)
