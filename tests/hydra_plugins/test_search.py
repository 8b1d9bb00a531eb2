"""The Optuna multi-objective search over MSFM, end to end on the synthetic data."""
import pytest

from tests.helpers import GN32_SIZE, SPACE, records, study, sweeps_run

# shrink the space to two configurations so that trials repeat



@pytest.mark.slow
def test_search_resumes_its_study_and_never_retrains_a_finished_variant(tmp_path):
    first = sweeps_run(tmp_path, "+search=msfm", "hydra.sweeper.n_trials=3", *SPACE, *GN32_SIZE,
                       "wandb.enabled=false")
    assert first.returncode == 0, first.stderr[-3000:]
    trials = study(tmp_path).trials
    assert len(trials) == 3 and all(t.state.name == "COMPLETE" for t in trials)
    done = records(tmp_path)
    assert 1 <= len(done) <= 2 and all(r["status"] == "finished" and r["attempts"] == 1 for r in done)
    for t in trials:  # the study was told the stored result: (AP, params in M)
        match = [r for r in done if r["variant"]["norm_group"] == t.params["norm_group"]]
        assert t.values == [pytest.approx(match[0]["metrics"]["bbox_mAP"]),
                            pytest.approx(match[0]["params"] / 1e6)]
    assert "Number of Pareto solutions" in first.stdout + first.stderr

    # n_trials is the study's total: 5 resumes the study (2 more), a re-run adds nothing
    for _ in range(2):
        again = sweeps_run(tmp_path, "+search=msfm", "hydra.sweeper.n_trials=5", *SPACE,
                           *GN32_SIZE, "wandb.enabled=false")
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(study(tmp_path).trials) == 5  # resumed from the journal study
    assert "5/5 trials" in again.stdout + again.stderr
    assert all(r["attempts"] == 1 for r in records(tmp_path))


@pytest.mark.slow
def test_invalid_sampled_combination_fails_its_trial_without_training(tmp_path):
    bad = [s.replace("choice(after_conv3)", "choice(after_conv1)") for s in SPACE]
    proc = sweeps_run(tmp_path, "+search=msfm", "hydra.sweeper.n_trials=2",
                      "hydra.sweeper.max_rejected=10", *bad)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {t.state.name for t in study(tmp_path).trials} == {"FAIL"}
    assert "msfm.norm_group" in proc.stdout + proc.stderr and records(tmp_path) == []
    assert "Epoch(train)" not in proc.stdout + proc.stderr
    # never a trial: all 10 told as rejected, none counted, and the sweeper says so
    assert [t.user_attrs["outcome"] for t in study(tmp_path).trials] == ["rejected"] * 10
    assert "0/2 trials" in proc.stdout + proc.stderr
    assert "10 sampled combinations rejected by validation" in proc.stdout + proc.stderr


def test_analysis_marks_the_pareto_front_of_search_records(tmp_path):
    from analysis.pareto import write_search

    store = tmp_path / "results"
    store.mkdir()
    points = [("gn4", 0.30, 43.0e6), ("gn8", 0.35, 44.0e6), ("gn16", 0.32, 45.0e6)]
    for i, (gn, ap, params) in enumerate(points):
        (store / f"k{i}.json").write_text(__import__("json").dumps(dict(
            key=f"k{i}", sweep="search", status="finished", params=params,
            variant=dict(position="after_conv3", scales="3S", ratios="r16_32_64", norm_group=gn,
                         conv_num="cgn1", fusion_type="add"),
            metrics=dict(bbox_mAP=ap))))
    frame = write_search(store, tmp_path / "tables", plots=True)
    assert dict(zip(frame["norm_group"], frame["pareto"])) == {"gn4": True, "gn8": True, "gn16": False}
    assert (tmp_path / "tables" / "plots" / "search_ap_vs_params.png").stat().st_size > 0
    assert "**yes**" in (tmp_path / "tables" / "search_pareto.md").read_text()
