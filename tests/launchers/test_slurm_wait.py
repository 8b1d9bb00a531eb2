"""Waiting on SLURM jobs (``launcher.wait=true``): one line per change of the jobs' states,
not one per poll."""
import logging

import launchers.slurm as slurm


def test_wait_line_changes_only_when_a_job_changes_state():
    records = [{"status": "pending"}, {"status": "pending"}, {"status": "finished"}]
    state, line = slurm.wait_line(None, records, ["PENDING", "PENDING", "COMPLETED"])
    assert line == "waiting for 2 SLURM job(s) (1 of 3 ended): 2 PENDING"
    assert slurm.wait_line(state, records, ["PENDING", "PENDING", "COMPLETED"]) == (state, None)
    records[0]["status"] = "running"
    assert slurm.wait_line(state, records, ["RUNNING", "PENDING", None])[1] == (
        "waiting for 2 SLURM job(s) (1 of 3 ended): 1 PENDING, 1 RUNNING")
    assert slurm.wait_line(None, [{}], [None])[1] == "waiting for 1 SLURM job(s) (0 of 1 ended): 1 no record"


def test_wait_logs_each_change_once(monkeypatch, caplog):
    """Twelve polls, two states before the end: two lines."""
    polls = ([("PENDING", "pending")] * 5 + [("RUNNING", "running")] * 6
             + [("COMPLETED", "finished")])
    seen = iter(polls)

    def current(entries):
        state, status = next(seen)
        return [({"status": status, "slurm_job_id": "12_0"}, state)]

    monkeypatch.setattr(slurm, "current", current)
    monkeypatch.setattr("time.sleep", lambda s: None)
    with caplog.at_level(logging.INFO, logger="launchers.slurm"):
        records = slurm.wait([slurm.Handle("k", "/nowhere", "a", job_id="12_0")], poll_s=5.0)
    assert records == [{"status": "finished", "slurm_job_id": "12_0"}]
    assert [r.getMessage() for r in caplog.records] == [
        "waiting for 1 SLURM job(s) (0 of 1 ended): 1 PENDING",
        "waiting for 1 SLURM job(s) (0 of 1 ended): 1 RUNNING"]
