"""What chaining adaptive rounds costs on the local SLURM cluster: the submitting command's
wall time, each follow-up job's wall time (plan the next round from the store, with its stored
evidence, and queue it), and the idle gap it leaves between two rounds (last run of round k
ends -> first run of round k+1 starts), against an empty CPU job submitted the same way in the
same run (the cluster's own start-up floor), and as a fraction of a round's own wall time. A tiny study: two rows x two seeds, CPU jobs.

``python -m benchmarks chain`` -> ``benchmarks/results/chain.json``. Needs the local cluster
(``bash scripts/slurm/cluster.sh start``). sacct's times are whole seconds.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "chain.json"
TINY = ["num_workers=0", "log_interval=1", "dataset.num_train_images=2", "dataset.num_val=3",
        "dataset.image_size=64", "schedule.img_scale=[64,64]", "schedule.rcnn_sample_num=32",
        "schedule.epochs=1", "schedule.milestones=[1]", "schedule.val_interval=1",
        "schedule.warmup_iters=2"]
STUDY = ["-m", "hydra/sweeper=rows", "msfm.enabled=false,true", "resolve=2.0", "max_seeds=2",
         "wandb.enabled=false", "dataset.num_val=6", "launcher=slurm", "launcher.tasks_per_node=1",
         "launcher.gpus_per_node=0", "launcher.cpus_per_task=1", "launcher.timeout_min=30",
         "launcher.driver.mem_gb=0"]


def _noop() -> None:
    """An empty job: what a CPU job costs on this cluster with nothing to do."""


def _sacct(root: Path, since: datetime) -> list[dict]:
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-S", since.strftime("%Y-%m-%dT%H:%M:%S"),
                          "-o", "JobID,JobName,Start,End,State,SubmitLine"],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        job, name, start, end, state, cmd = (line.split("|", 5) + [""] * 6)[:6]
        if str(root) in cmd and start not in ("Unknown", "None") and end not in ("Unknown", "None"):
            rows.append(dict(job=job, name=name, state=state, start=datetime.fromisoformat(start),
                             end=datetime.fromisoformat(end)))
    return rows


def _empty_job_s(root: Path):
    """Wall seconds of an empty job submitted with submit_driver (SLURM's own floor)."""
    from launchers.slurm import submit_driver
    from launchers.slurm_conf import DriverConf

    from benchmarks.bench_chain import _noop as noop  # by module name, even when run as __main__

    since = datetime.now().replace(microsecond=0)
    submit_driver(noop, DriverConf(mem_gb=0), root / "noop", "bench-noop").result()
    for _ in range(30):  # accounting lags the job by a few seconds
        rows = [r for r in _sacct(root, since) if r["name"] == "bench-noop"]
        if rows:
            return (rows[0]["end"] - rows[0]["start"]).total_seconds()
        time.sleep(1)
    return None


def main() -> dict:
    """Run the tiny chained study once; write and return the figures."""
    root = Path(tempfile.mkdtemp(prefix="bench_chain_"))
    since = datetime.now().replace(microsecond=0)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "sweeps.run", "-m", f"output_root={root}", *TINY, *STUDY[1:]]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    command_s = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    leases = root / "results" / "leases"
    deadline = time.time() + 1200
    while time.time() < deadline and not any(
            json.loads(p.read_text()).get("released") for p in leases.glob("*.json")):
        time.sleep(2)
    time.sleep(3)  # accounting lags the jobs by a few seconds
    jobs = _sacct(root, since)
    follow = sorted((r for r in jobs if r["name"].endswith("-followup")), key=lambda r: r["start"])
    rounds: dict = {}
    for r in jobs:
        if "_" in r["job"]:
            rounds.setdefault(r["job"].split("_")[0], []).append(r)
    spans = sorted(((min(t["start"] for t in ts), max(t["end"] for t in ts)) for ts in rounds.values()))
    gaps = [(nxt[0] - prev[1]).total_seconds() for prev, nxt in zip(spans, spans[1:])]
    round_s = [(end - start).total_seconds() for start, end in spans]
    follow_s = [(r["end"] - r["start"]).total_seconds() for r in follow]
    empty = _empty_job_s(root)
    result = dict(
        study="2 rows x max 2 seeds, TINY CPU jobs, one process each (local SLURM cluster)",
        command_s=round(command_s, 1), rounds=len(spans), round_wall_s=round_s,
        follow_up_wall_s=follow_s, idle_gap_s=gaps, empty_job_wall_s=empty,
        # of each gap, what is not the follow-up itself: SLURM starting it and the next round
        slurm_share_of_gap_s=[g - f for g, f in zip(gaps, follow_s)],
        idle_gap_to_round_wall=[round(g / w, 2) for g, w in zip(gaps, round_s)],
        note="sacct times are whole seconds; the gap includes SLURM starting the follow-up once "
             "its dependency is met, the follow-up's planning and queueing, and SLURM starting "
             "the next round",
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
