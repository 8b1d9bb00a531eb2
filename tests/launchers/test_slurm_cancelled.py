"""A job cancelled with ``scancel`` says so, in its record and in ``sweeps.status``, and keeps
what its surviving DDP rank recorded as the detail (on the real cluster: test_slurm_cluster.py)."""
import pytest

from launchers.slurm import reconcile
from results.store import ResultStore

RANK_ERROR = "ConnectionResetError: Connection lost"  # rank 0's error once rank 1 was killed


def stored(tmp_path, **fields) -> ResultStore:
    store = ResultStore(tmp_path / "results")
    store.write({"key": "k", "variant": {}, "metrics": {}, "slurm_job_id": "77_1", **fields})
    return store


def test_a_cancelled_job_says_so_and_keeps_the_ranks_error(tmp_path, capsys):
    from sweeps.status import print_status

    store = stored(tmp_path, status="failed", error=RANK_ERROR)
    reconcile(store, store.read("k"), "CANCELLED")
    record = store.read("k")
    assert record["status"] == "failed" and record["error"] == "SLURM job 77_1 was CANCELLED (scancel)"
    assert record["error_detail"] == RANK_ERROR
    reconcile(store, store.read("k"), "CANCELLED")  # read again: the detail stays the rank's
    assert store.read("k")["error_detail"] == RANK_ERROR
    print_status([dict(key="k", label="default", status="failed", ap=None, params=None,
                       error=record["error"], error_detail=record["error_detail"],
                       slurm_job_id="77_1", slurm_state="CANCELLED", overrides=[])], "status")
    shown = " ".join(capsys.readouterr().out.split())
    assert "was CANCELLED (scancel); ConnectionResetError" in shown


@pytest.mark.parametrize("fields, state", [
    (dict(status="finished", error=None), "CANCELLED"),  # cancelled after it wrote its result
    (dict(status="failed", error="FloatingPointError: nan"), "FAILED"),
])
def test_a_result_or_other_failure_is_left_as_it_is(tmp_path, fields, state):
    store = stored(tmp_path, **fields)
    reconcile(store, store.read("k"), state)
    assert store.read("k")["error"] == fields["error"] and "error_detail" not in store.read("k")
