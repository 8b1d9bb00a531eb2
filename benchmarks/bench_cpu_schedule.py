"""The baseline Faster R-CNN (no MSFM) on the ``cpu`` schedule, through the real entry point.

Runs ``python -m sweeps.run msfm.enabled=false schedule=cpu`` in a subprocess on the synthetic
dataset (generated in a temporary ``output_root``), then reads the finished result record and
the run's training-loss curve. The point: a clearly non-zero bbox AP on the synthetic val split
(goal: bbox_mAP >= 0.05, reported, not asserted). ~10-20 min on 2 CPU cores.
Writes benchmarks/results/cpu_schedule.json.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks import save

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "results" / "cpu_schedule.json"
OVERRIDES = ["msfm.enabled=false", "schedule=cpu", "num_workers=1", "wandb.enabled=false"]
BBOX = ("bbox_mAP", "bbox_mAP_50", "bbox_mAP_75", "bbox_mAP_s", "bbox_mAP_m", "bbox_mAP_l")
GOAL_AP = 0.05


def _loss_curve(log_dir: str | None) -> dict:
    """First / last logged training loss per epoch, from mmengine's ``vis_data/scalars.json``."""
    files = list(Path(log_dir).rglob("scalars.json")) if log_dir else []
    per_epoch: dict = {}
    for line in files[0].read_text().splitlines() if files else []:
        row = json.loads(line)
        if "loss" in row and "epoch" in row:
            per_epoch.setdefault(int(row["epoch"]), []).append(round(float(row["loss"]), 4))
    return {str(e): {"first": v[0], "last": v[-1]} for e, v in sorted(per_epoch.items())}


def main() -> dict:
    """Train + evaluate the baseline once and record its bbox metrics and wall time."""
    schedule = yaml.safe_load((ROOT / "conf/schedule/cpu.yaml").read_text())
    dataset = yaml.safe_load((ROOT / "conf/dataset/synthetic.yaml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sweeps.run", *OVERRIDES, f"output_root={tmp}"]
        t = time.perf_counter()
        with open(Path(tmp) / "run.log", "w") as log:
            proc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        elapsed = time.perf_counter() - t
        records = [json.loads(p.read_text()) for p in Path(tmp, "results").glob("*.json")]
        if proc.returncode != 0 or len(records) != 1 or records[0].get("status") != "finished":
            tail = (Path(tmp) / "run.log").read_text()[-3000:]
            raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{tail}")
        record = records[0]
        loss = _loss_curve(record.get("log_dir"))
    metrics = record["metrics"]
    result = dict(
        benchmark="bench_cpu_schedule",
        command="python -m sweeps.run " + " ".join(OVERRIDES) + " output_root=<tmp>",
        schedule=schedule,
        dataset={k: v for k, v in dataset.items() if k != "data_root"},
        bbox={k: round(metrics[k], 4) for k in BBOX if k in metrics},
        wall_s=record["wall_s"], subprocess_s=round(elapsed, 1),
        batch_size=record.get("batch_size"), lr=record.get("lr"),
        train_loss_per_epoch=loss,
        goal=f"bbox_mAP >= {GOAL_AP}", meets_goal=metrics.get("bbox_mAP", 0.0) >= GOAL_AP,
    )
    return save(OUT, result)


if __name__ == "__main__":
    main()
