"""Running ``sweeps.run`` for real, as a user would, on a tiny synthetic split."""
import json
import subprocess
import sys
from pathlib import Path

from sweeps.schema import LauncherConf

ROOT = Path(__file__).resolve().parents[1]
# a real smoke-schedule variant, shrunk: 2 train images (one iteration per epoch) / 3 val
# images of 64 px (the synthetic generator's smallest), 32 sampled RoIs per image, short epochs
TINY = ["num_workers=0", "log_interval=1", "dataset.num_train_images=2", "dataset.num_val=3",
        "dataset.image_size=64", "schedule.img_scale=[64,64]", "schedule.rcnn_sample_num=32",
        "schedule.epochs=1", "schedule.milestones=[1]", "schedule.val_interval=1",
        "schedule.warmup_iters=2"]

# the shared ``trained_pair`` (tests/conftest.py): ``-m msfm.enabled=false,true`` with these
PAIR = ["dataset.num_val=6"]


def drop_checkpoints(output_root) -> None:
    """Delete the checkpoints a fixture's runs left under ``output_root`` (~330 MB each) when
    no test reads them."""
    for checkpoint in Path(output_root).glob("work/*/*.pth"):
        checkpoint.unlink()


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


# the paper's 8-GPU SLURM job shape (with a site setup line), for the job spec and its checks
PAPER = LauncherConf(name="slurm", nodes=1, tasks_per_node=8, gpus_per_node=8, cpus_per_task=4,
                     timeout_min=1440, partition="gpu", array_parallelism=16, max_requeues=3,
                     setup=["module load cuda/12.1"])

# CPU DDP on the local SLURM cluster: two processes per job, no GPU
CPU_DDP = ["launcher=slurm", "launcher.tasks_per_node=2", "launcher.gpus_per_node=0",
           "launcher.cpus_per_task=1", "launcher.timeout_min=30"]

# a search of the MSFM knobs, small enough for CPU
SPACE = [f"hydra.sweeper.params.{k}='choice({v})'" for k, v in (  # quoted: not a sweep here
    ("position", "after_conv3"), ("scales", "3S"), ("ratios", "r16_32_64"),
    ("norm_group", "gn16,gn32"), ("conv_num", "cgn1"), ("fusion_type", "add"))]
# what normalises stage 4's MSFM branch in 32 groups (SPACE's gn32, MSFM*'s gn8_4_32) trains at
# 96 px: at TINY's 64 px that branch's map is 1 x 1, one value per group on a batch of one
# image, which GroupNorm refuses in training; at 96 px it is 2 x 2
GN32_SIZE = ["dataset.image_size=96", "schedule.img_scale=[96,96]"]
PRUNE_ALL = ["hydra.sweeper.mode=ap", "hydra.sweeper.pruner.name=threshold",
             "+hydra.sweeper.pruner.kwargs.lower=1.01", "schedule.epochs=2",
             "schedule.milestones=[2]", "schedule.val_interval=1"]
ONE_VARIANT = [s.replace("choice(gn16,gn32)", "choice(gn16)") for s in SPACE]


def study(tmp_path, name="msfm"):
    import optuna

    from results.study import open_storage

    return optuna.load_study(study_name=name,
                             storage=open_storage(str(tmp_path / "sweeps/search/optuna.journal")))


def wait_for(predicate, timeout=900, every=1.0):
    """Poll until ``predicate()`` is truthy; returns its value (``TimeoutError`` after ``timeout`` s)."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("condition not reached")


def offline_wandb(monkeypatch, home: Path) -> None:
    """Real wandb runs in offline mode, every file of theirs under ``home`` (not ~/.config)."""
    for var in ("WANDB_DIR", "WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(var, str(home))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
