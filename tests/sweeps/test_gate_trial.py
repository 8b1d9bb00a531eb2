"""A search trial travels with its launch explicitly: the gate keeps what passed as it passed."""
import pytest

from sweeps.gate import Gate


def test_a_launch_carries_its_trial_and_the_passed_spec_stays_as_it_passed(tmp_path):
    gate = Gate()
    first, second = gate.check(["+sweep=scales", f"output_root={tmp_path}"])[:2]
    trial = dict(storage="journal", study="s", number=3)
    gate.assign_trial(first.overrides, trial)
    cfg, launched = gate.to_launch(first.overrides)
    assert launched.trial == trial and launched.key == first.key
    assert gate.passed(first.overrides) == (cfg, first) and first.trial is None  # not mutated
    assert gate.to_launch(second.overrides)[1] is second  # no trial: the passed spec itself
    gate.assign_trial(first.overrides, dict(trial, number=4))  # asked again: the newest trial
    assert gate.to_launch(first.overrides)[1].trial["number"] == 4


def test_a_trial_for_a_job_that_never_passed_is_refused():
    with pytest.raises(KeyError, match="trial 1: job not through the gate"):
        Gate().assign_trial(["model=x"], dict(number=1))
