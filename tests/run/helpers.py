"""Running ``sweeps.run`` for real, as a user would, on a tiny synthetic split."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# a real smoke-schedule variant, shrunk: 2 train images (one iteration per epoch) / 3 val
# images of 64 px (the synthetic generator's smallest), 32 sampled RoIs per image, short epochs
TINY = ["num_workers=0", "log_interval=1", "dataset.num_train_images=2", "dataset.num_val=3",
        "dataset.image_size=64", "schedule.img_scale=[64,64]", "schedule.rcnn_sample_num=32",
        "schedule.epochs=1", "schedule.milestones=[1]", "schedule.val_interval=1",
        "schedule.warmup_iters=2"]

# the shared ``trained_pair`` (tests/conftest.py): ``-m msfm.enabled=false,true`` with these
PAIR = ["dataset.num_val=6"]


def sweeps_run(tmp_path, *overrides, timeout=900, **popen):
    """Run ``python -m sweeps.run`` with outputs under tmp_path; returns CompletedProcess."""
    flags = [o for o in overrides if o.startswith("-")]  # e.g. -m must precede the overrides
    rest = [o for o in overrides if not o.startswith("-")]
    cmd = [sys.executable, "-m", "sweeps.run", *flags, f"output_root={tmp_path}", *TINY, *rest]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, **popen)


def records(tmp_path) -> list[dict]:
    """All records in the results store under tmp_path."""
    return [json.loads(p.read_text()) for p in sorted((tmp_path / "results").glob("*.json"))]


def _wandb_records(path: Path):
    """Raw records of a ``.wandb`` file: a 7-byte header, then LevelDB-log framed blocks
    (wandb >= 0.19 has no Python reader of its own any more)."""
    data, pos, block, pending = path.read_bytes(), 7, 32768, b""
    assert data[:4] == b":W&B", f"{path} is not a wandb run file"
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # block trailer padding
            pos += block - pos % block
            continue
        length, kind = int.from_bytes(data[pos + 4:pos + 6], "little"), data[pos + 6]
        chunk, pos = data[pos + 7:pos + 7 + length], pos + 7 + length
        if kind == 1:  # FULL
            yield chunk
        elif kind == 2:  # FIRST
            pending = chunk
        elif kind == 3:  # MIDDLE
            pending += chunk
        elif kind == 4:  # LAST
            yield pending + chunk


def read_wandb_summary(run_dir: str) -> dict:
    """The summary of an offline wandb run, read back from its ``.wandb`` record log."""
    from wandb.proto import wandb_internal_pb2

    summary = {}
    for data in _wandb_records(next(Path(run_dir).glob("run-*.wandb"))):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        if record.WhichOneof("record_type") == "summary":
            for item in record.summary.update:
                summary[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
    return summary


def wandb_run_ids(root: Path) -> dict[str, str]:
    """Each offline wandb run dir under ``root`` -> the run id its ``.wandb`` log records."""
    from wandb.proto import wandb_internal_pb2

    ids = {}
    for path in sorted(Path(root).glob("**/offline-run-*/run-*.wandb")):
        for data in _wandb_records(path):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(data)
            if record.WhichOneof("record_type") == "run":
                ids[path.parent.name] = record.run.run_id
                break
    return ids
