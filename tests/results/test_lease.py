"""The study lease: one holder at a time, taken over only when stale, on the real filesystem."""
import json
import time
from concurrent.futures import ThreadPoolExecutor

from results.lease import Lease, study_key


def test_study_key_ignores_where_and_how_it_runs():
    a = study_key(["-m", "+sweep=scales", "resolve=0.5", "launcher=slurm", "launcher.driver.qos=x"])
    b = study_key(["resolve=0.5", "+sweep=scales", "hydra.launcher.nodes=1", "verbose=true"])
    assert a == b and a != study_key(["+sweep=scales", "resolve=0.3"])


def test_one_holder_and_stale_takeover(tmp_path):
    first, second = Lease(tmp_path, "k"), Lease(tmp_path, "k")
    assert first.acquire({"slurm_job_id": "7"})
    assert not second.acquire({"slurm_job_id": "8"}, job_alive=lambda job: True)
    assert second.read()["owner"]["slurm_job_id"] == "7"
    # its job is over: stale, taken over
    assert second.acquire({"slurm_job_id": "8"}, job_alive=lambda job: job != "7")
    assert first.read()["owner"]["slurm_job_id"] == "8"
    # the holder keeps it; a heartbeat moves the owner to its next job
    assert second.acquire({"slurm_job_id": "8"}, job_alive=lambda job: True, holder=second.token)
    second.heartbeat(slurm_job_id="9")
    assert Lease(tmp_path, "k").read()["owner"]["slurm_job_id"] == "9"
    second.release()
    assert Lease(tmp_path, "k").acquire({"slurm_job_id": "10"})


def test_heartbeat_older_than_ttl_is_stale(tmp_path):
    lease = Lease(tmp_path, "k", ttl_s=60)
    assert lease.acquire({"host": "a"})
    body = lease.read()
    body["heartbeat"] = time.time() - 120
    lease.path.write_text(json.dumps(body))
    assert lease.is_stale() and Lease(tmp_path, "k", ttl_s=60).acquire({"host": "b"})


def test_racing_takers_one_wins(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda i: Lease(tmp_path, "k").acquire({"i": i}), range(8)))
    assert sum(won) == 1


def test_a_live_job_keeps_its_lease_however_old_its_heartbeat(tmp_path):
    lease = Lease(tmp_path, "k", ttl_s=60)
    assert lease.acquire({"slurm_job_id": "7"})
    body = lease.read()
    body["heartbeat"] = time.time() - 10 * 3600  # a follow-up pending through a long round
    lease.path.write_text(json.dumps(body))
    assert not lease.is_stale(job_alive=lambda job: True)
    assert lease.is_stale(job_alive=lambda job: False)
