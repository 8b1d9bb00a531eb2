"""``sweeps.run`` end to end on CPU: real mmdet training, COCO metrics, records, wandb."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import PAIR, ROOT, TINY, read_wandb_summary, records, sweeps_run, wandb_run_ids

pytestmark = pytest.mark.slow
METRICS = ("bbox_mAP", "bbox_mAP_50", "bbox_mAP_75", "bbox_mAP_s", "bbox_mAP_m", "bbox_mAP_l")


def test_one_variant_trains_evaluates_records_and_logs_to_wandb(tmp_path):
    wandb_data = tmp_path / "wandb-data"  # where wandb stages artifact files (never cleaned offline)
    proc = sweeps_run(tmp_path, "dataset.num_train_images=8", "schedule.epochs=2",
                      "schedule.milestones=[2]", "schedule.val_interval=2", "wandb.enabled=true",
                      env={**os.environ, "WANDB_DATA_DIR": str(wandb_data)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    [record] = records(tmp_path)
    assert record["status"] == "finished" and record["error"] is None
    assert set(METRICS) <= set(record["metrics"])
    assert all(-1 <= record["metrics"][m] <= 1 for m in METRICS)
    assert record["params"] > 40e6 and record["gflops"] > 100
    assert record["variant"]["scales"] == "3S" and record["git_commit"]

    scalars = [json.loads(line) for line in
               (Path(record["log_dir"]) / "vis_data" / "scalars.json").read_text().splitlines()]
    losses = [s["loss"] for s in scalars if "loss" in s]
    assert len(losses) >= 6
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3, losses  # loss goes down

    summary = read_wandb_summary(record["wandb_run"])
    assert summary["bbox_mAP"] == pytest.approx(record["metrics"]["bbox_mAP"])
    # the code artifact holds the project's files, not the ~15,000 .py files of the venv
    staged = [p.read_bytes() for p in (wandb_data / "artifacts" / "staging").iterdir()]
    assert (ROOT / "msfm" / "layer.py").read_bytes() in staged
    assert (ROOT / "conf" / "config.yaml").read_bytes() in staged
    assert len(staged) < 1000, len(staged)


def test_multirun_records_each_variant_once_and_force_retrains(trained_pair, tmp_path):
    args = ("-m", "msfm.enabled=false,true", *PAIR)
    root, first = trained_pair  # sweeps_run(root, *args): the first run of this command
    assert first.returncode == 0, first.stderr[-3000:]
    done = records(root)
    assert [r["status"] for r in done] == ["finished", "finished"]
    assert {r["variant"]["msfm"] for r in done} == {False, True}
    console = first.stdout + first.stderr  # concise: a line per state change and epoch
    assert len(console.splitlines()) <= 12 and "Epoch(train)" not in console, console
    assert "sweep: 2 variants: 2 finished" in console and console.count(": finished: AP ") == 2
    for r in done:  # the full log is in the variant's work dir, its path printed once
        transcript = root / "work" / r["key"] / "console.log"
        assert console.count(str(transcript)) == 1 and "Epoch(train)" in transcript.read_text()

    # the same command again, on a copy of that store (the first run is shared, read-only)
    shutil.copytree(root / "results", tmp_path / "results")
    again = sweeps_run(tmp_path, *args)
    assert again.returncode == 0
    assert "already finished" in again.stdout + again.stderr
    assert "Epoch(train)" not in again.stdout + again.stderr  # nothing trained
    assert records(tmp_path) == done

    forced = sweeps_run(tmp_path, *args, "force=true")
    assert forced.returncode == 0
    retrained = records(tmp_path)
    assert all(r["status"] == "finished" for r in retrained)
    assert [r["created"] for r in retrained] == [r["created"] for r in done]
    assert all(r["updated"] >= d["updated"] for r, d in zip(retrained, done))
    assert all(r["attempts"] == 2 for r in retrained)


def test_killed_run_resumes_from_its_checkpoint_and_its_wandb_run(tmp_path):
    cmd = [sys.executable, "-m", "sweeps.run", f"output_root={tmp_path}", *TINY,
           "schedule.epochs=3", "schedule.milestones=[3]", "schedule.val_interval=3",
           "wandb.enabled=true"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 600
    marker = "work/*/last_checkpoint"  # written after epoch_2.pth is complete
    while not any("epoch_2" in p.read_text() for p in tmp_path.glob(marker)) and time.time() < deadline:
        assert proc.poll() is None, "training ended before it could be killed"
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    [record] = records(tmp_path)
    assert record["status"] == "running"

    resumed = sweeps_run(tmp_path, "schedule.epochs=3", "schedule.milestones=[3]",
                         "schedule.val_interval=3", "wandb.enabled=true", "verbose=true")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = resumed.stdout + resumed.stderr  # verbose=true: mmengine's full log on the console
    assert "resumed" in log.lower() and "epoch_2.pth" in log
    assert "Epoch(train) [1]" not in log and "Epoch(train) [3]" in log
    [record] = records(tmp_path)
    assert record["status"] == "finished" and record["attempts"] == 2
    # one wandb run across the kill: both offline segments carry the variant's run id
    segments = wandb_run_ids(tmp_path / "work" / record["key"] / "wandb")
    assert len(segments) == 2 and set(segments.values()) == {record["key"]}, segments
    assert record["wandb_id"] == record["key"] and record["wandb_run"].endswith(max(segments))
    # docs/wandb.md's upload command takes both segments (wandb 0.31 syncs the files of one run
    # id in start order into that run; uploading itself needs a server, not here)
    wandb_cli = Path(sys.executable).parent / "wandb"
    dirs = sorted(str(p) for p in (tmp_path / "work" / record["key"] / "wandb").glob("offline-run-*"))
    dry = subprocess.run([wandb_cli, "sync", "--dry-run", *dirs], capture_output=True, text=True)
    listed = (dry.stdout + dry.stderr).count(f"run-{record['key']}.wandb")
    assert dry.returncode == 0 and listed == 2, dry.stderr


@pytest.mark.parametrize("args, field", [
    (["scales=6S"], "scales"),
    (["position=after_conv1"], "msfm.norm_group"),
    (["-m", "+sweep=norm_group", "norm_group=gn16"], "msfm.norm_group"),
    (["dataset=coco", "dataset.data_root=/nonexistent/coco"], "dataset.data_root"),
])
def test_bad_input_fails_before_training_and_keeps_records(tmp_path, args, field):
    store = tmp_path / "results"
    store.mkdir()
    kept = store / "0123456789abcdef.json"
    kept.write_text(json.dumps({"key": "0123456789abcdef", "status": "finished",
                                "variant": {}, "metrics": {"bbox_mAP": 0.5}}))
    before = kept.read_bytes()
    proc = sweeps_run(tmp_path, *args, timeout=300)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and field in lines[0], proc.stderr
    assert "Epoch(train)" not in proc.stdout
    assert kept.read_bytes() == before and len(list(store.glob("*.json"))) == 1
