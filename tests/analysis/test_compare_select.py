"""``analysis.compare.select`` counts a side's runs by the tables' rule (``results.frame.finished_runs``)."""

import json

import pytest

from analysis.args import UsageError
from analysis.compare import select
from results.frame import load_records
from results.store import ResultStore


def _select(store, spec, metric="bbox"):
    records, _ = ResultStore(store.path).records()
    return select(records, load_records(store.path).frame, spec, metric)


def test_a_rerun_seed_counts_once_latest_wins_and_other_seeds_all_count(store):
    old = store.add(seed=0, ap=[30.0] * 6, scales="5S")
    rerun = json.loads(old.read_text())
    rerun.update(key="rerun", updated="2099-01-01T00:00:00+00:00")
    store.add_raw("rerun.json", rerun)
    other = json.loads(store.add(seed=1, ap=[31.0] * 6, scales="5S").read_text())["key"]
    side = _select(store, "scales=5S")
    assert sorted(r.key for r in side.runs) == sorted(["rerun", other])
    assert [r.key for r in _select(store, "scales=5S,seed=0").runs] == ["rerun"]


def test_a_side_without_the_metric_has_no_runs(store):
    store.add(seed=0, ap=[30.0] * 6, scales="5S")  # bbox only
    with pytest.raises(UsageError, match="no segm metrics"):
        _select(store, "scales=5S", "segm")
