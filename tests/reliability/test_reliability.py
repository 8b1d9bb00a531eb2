"""What survives concurrency and damage: two sweeps on one store, a truncated checkpoint, a
corrupt record, a corrupt COCO annotation file (see docs/reliability.md)."""
import json
import logging
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT, TINY


def default_key(output_root) -> str:
    """The record key of ``python -m sweeps.run output_root=...`` with no other overrides."""
    from hydra.core.global_hydra import GlobalHydra

    from sweeps import schema  # noqa: F401
    from sweeps.variants import compose_jobs, variant_of

    GlobalHydra.instance().clear()
    [(_, cfg)] = compose_jobs([f"output_root={output_root}"])
    return variant_of(cfg).key()


@pytest.mark.slow
def test_two_sweeps_on_one_store_train_each_variant_once(tmp_path):
    cmd = [sys.executable, "-m", "sweeps.run", "-m", f"output_root={tmp_path}", *TINY,
           "wandb.enabled=false", "msfm.enabled=false,true"]
    sweeps = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True) for _ in range(2)]
    logs = [p.communicate(timeout=1500)[0] for p in sweeps]

    assert [p.returncode for p in sweeps] == [0, 0], "\n\n".join(log[-3000:] for log in logs)
    store = tmp_path / "results"
    files = sorted(store.glob("*.json"))
    assert len(files) == 2, files
    done = [json.loads(f.read_text()) for f in files]
    assert [r["status"] for r in done] == ["finished", "finished"]
    assert [r["attempts"] for r in done] == [1, 1]  # each variant trained by one sweep only
    assert {r["variant"]["msfm"] for r in done} == {False, True}
    assert list(store.glob(".*.tmp")) == [] and list(store.glob("*.corrupt*")) == []
    # 4 (sweep, variant) calls, 2 trainings: the other 2 saw the lock or the finished record
    skips = sum(log.count("already finished") + log.count("another process is running it")
                for log in logs)
    assert skips == 2, "\n\n".join(log[-3000:] for log in logs)


def test_truncated_last_checkpoint_is_set_aside_and_the_intact_one_resumed(tmp_path, caplog):
    import torch

    from training.checkpoints import repair_last_checkpoint

    work = tmp_path / "work" / "0123456789abcdef"
    work.mkdir(parents=True)
    intact, newest = work / "epoch_1.pth", work / "epoch_2.pth"
    for epoch, path in ((1, intact), (2, newest)):
        torch.save({"meta": {"epoch": epoch}, "state_dict": {"w": torch.randn(256, 256)}}, path)
        os.utime(path, (1_700_000_000 + epoch, 1_700_000_000 + epoch))
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # killed while saving
    os.utime(newest, (1_700_000_002, 1_700_000_002))
    (work / "last_checkpoint").write_text(str(newest))

    with caplog.at_level(logging.WARNING, logger="training.checkpoints"):
        assert repair_last_checkpoint(work) == intact
    assert "epoch_2.pth" in caplog.text
    assert not newest.exists() and (work / "epoch_2.pth.corrupt").read_bytes() == data[: len(data) // 2]
    assert (work / "last_checkpoint").read_text().strip() == str(intact)
    assert torch.load(intact, weights_only=True)["meta"]["epoch"] == 1
    assert repair_last_checkpoint(work) == intact  # idempotent


def test_no_intact_checkpoint_means_a_fresh_start(tmp_path, caplog):
    from training.checkpoints import repair_last_checkpoint

    (tmp_path / "epoch_1.pth").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "last_checkpoint").write_text(str(tmp_path / "epoch_1.pth"))
    with caplog.at_level(logging.WARNING, logger="training.checkpoints"):
        assert repair_last_checkpoint(tmp_path) is None
    assert "epoch_1.pth" in caplog.text
    assert not (tmp_path / "last_checkpoint").exists()  # mmengine then starts from epoch 1
    assert (tmp_path / "epoch_1.pth.corrupt").exists()


def corrupt_store(tmp_path):
    """A store whose default-variant record is corrupt, next to an intact finished record."""
    # a long, realistic root: the status table must name the file however deep it lives
    root = tmp_path / "projects" / "msfm-ablation-reproduction" / "outputs"
    key = default_key(root)
    store = root / "results"
    store.mkdir(parents=True)
    (store / f"{key}.json").write_text('{"key": "%s", "stat' % key)  # killed mid-write (old tool)
    other = store / "0123456789abcdef.json"
    other.write_text(json.dumps({"key": "0123456789abcdef", "status": "finished",
                                 "variant": {}, "metrics": {"bbox_mAP": 0.5}}))
    before = {p.name: p.read_bytes() for p in store.iterdir()}
    return root, key, store, before


def status(root, columns=200):
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "sweeps.status", f"output_root={root}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def test_status_shows_a_corrupt_record_as_corrupt_and_leaves_the_store_alone(tmp_path):
    root, key, store, before = corrupt_store(tmp_path)
    proc = status(root)
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if key in line)
    assert "corrupt" in row.split(key, 1)[1]  # the state column
    assert "1 corrupt" in proc.stdout
    assert {p.name: p.read_bytes() for p in store.iterdir()} == before  # status only reads


def test_status_names_the_corrupt_record_file(tmp_path):
    root, key, _, _ = corrupt_store(tmp_path)
    proc = status(root)
    assert proc.returncode == 0, proc.stderr
    assert f"{key}.json" in proc.stdout, proc.stdout


def coco_layout(root, val_ann_text):
    """The COCO 2017 layout under ``root`` with a valid train and the given val annotations."""
    (root / "annotations").mkdir(parents=True)
    (root / "train2017").mkdir()
    (root / "val2017").mkdir()
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps(
        {"images": [], "annotations": [], "categories": [{"id": 1, "name": "circle"}]}))
    (root / "annotations" / "instances_val2017.json").write_text(val_ann_text)


def test_corrupt_coco_annotation_file_is_one_line_naming_it(tmp_path):
    from description.variant import DatasetConf
    from training.data import prepare_dataset

    root = tmp_path / "coco"
    coco_layout(root, '{"images": [{"id": 1, "file_na')  # truncated download
    dataset = DatasetConf(name="coco", data_root=str(root),
                          train_ann="annotations/instances_train2017.json", train_img="train2017/",
                          val_ann="annotations/instances_val2017.json", val_img="val2017/")
    with pytest.raises(ValueError, match="dataset.val_ann") as e:
        prepare_dataset(dataset)
    assert "instances_val2017.json" in str(e.value) and "\n" not in str(e.value)


def test_intact_coco_layout_is_accepted(tmp_path):
    from description.variant import DatasetConf
    from training.data import prepare_dataset

    root = tmp_path / "coco"
    coco_layout(root, json.dumps({"images": [], "annotations": [], "categories": []}))
    dataset = DatasetConf(name="coco", data_root=str(root),
                          train_ann="annotations/instances_train2017.json", train_img="train2017/",
                          val_ann="annotations/instances_val2017.json", val_img="val2017/")
    assert prepare_dataset(dataset) == (str(root), None)


@pytest.fixture
def restore_checkpoint_loader():
    """trust_checkpoints_under() re-registers mmengine's local loader process-wide: undo it."""
    from mmengine.runner.checkpoint import CheckpointLoader

    saved = dict(CheckpointLoader._schemes)
    yield
    CheckpointLoader._schemes.clear()
    CheckpointLoader._schemes.update(saved)


def test_own_checkpoints_load_fully_and_foreign_ones_stay_weights_only(tmp_path,
                                                                        restore_checkpoint_loader):
    import pickle

    import numpy as np
    import torch
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import CheckpointLoader

    from training.checkpoints import trust_checkpoints_under

    # what mmengine's resume checkpoints hold besides tensors: torch>=2.6 refuses these by default
    state = {"meta": {"epoch": 2, "seed": np.int64(0), "dtype": np.dtype("float32")},
             "message_hub": {"log_scalars": {"loss": HistoryBuffer([1.0], [1])}}}
    ours, foreign = tmp_path / "work" / "k" / "epoch_2.pth", tmp_path / "downloads" / "x.pth"
    for path in (ours, foreign):
        path.parent.mkdir(parents=True)
        torch.save(state, path)
    trust_checkpoints_under(tmp_path / "work")
    assert CheckpointLoader.load_checkpoint(str(ours))["meta"]["epoch"] == 2
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(foreign))


@pytest.mark.parametrize("exc, reraised", [(RuntimeError("boom\n  in the RPN head"), False),
                                           (FloatingPointError("loss is nan at iteration 3"), False),
                                           (KeyboardInterrupt(), True)])
def test_failing_variant_leaves_a_failed_record_with_error_and_traceback(tmp_path, monkeypatch,
                                                                         exc, reraised):
    import training.train
    from description.run_spec import RunSpec
    from description.variant import Variant
    from results.store import ResultStore
    from training.task import VariantTask

    def train_and_evaluate(spec, launcher, progress=None):
        raise exc

    monkeypatch.setattr(training.train, "train_and_evaluate", train_and_evaluate)
    spec = RunSpec(variant=Variant(), names={}, overrides=["seed=0"],
                   results_dir=str(tmp_path / "results"), work_root=str(tmp_path / "work"))
    if reraised:
        with pytest.raises(KeyboardInterrupt):
            VariantTask(spec)()
    else:
        VariantTask(spec)()
    record = ResultStore(spec.results_dir).read(spec.key)
    assert record["status"] == "failed" and record["attempts"] == 1
    assert record["error"].startswith(type(exc).__name__) and "\n" not in record["error"]
    assert "train_and_evaluate" in record["traceback"]
    with ResultStore(spec.results_dir).claim(spec.key) as mine:
        assert mine  # the run lock went with the failed run


def test_nan_loss_stops_training():
    from types import SimpleNamespace

    import torch

    from training.train import FiniteLoss

    hook, runner = FiniteLoss(), SimpleNamespace(iter=2, rank=0)
    hook.after_train_iter(runner, 0, outputs={"loss": torch.tensor(1.5)})
    with pytest.raises(FloatingPointError, match="nan at iteration 3"):
        hook.after_train_iter(runner, 0, outputs={"loss": torch.tensor(float("nan"))})


@pytest.mark.parametrize("state, status", [("NODE_FAIL", "failed"), ("OUT_OF_MEMORY", "failed"),
                                           ("CANCELLED", "failed"), ("RUNNING", "running"),
                                           ("REQUEUED", "running")])
def test_slurm_job_that_died_without_a_result_is_marked_failed(tmp_path, state, status):
    from launchers.slurm import reconcile
    from results.store import ResultStore

    folder = tmp_path / "submitit"
    folder.mkdir()
    (folder / "4242_3_0_log.err").write_text("epoch 1\nCUDA out of memory\n")
    store = ResultStore(tmp_path / "results")
    store.write({"key": "k", "status": "running", "variant": {}, "metrics": {},
                 "slurm_job_id": "4242_3", "slurm_folder": str(folder)})
    reconcile(store, store.read("k"), state)
    record = store.read("k")
    assert record["status"] == status
    if status == "failed":
        assert "4242_3" in record["error"] and state in record["error"]
        assert "CUDA out of memory" in record["log_tail"]


def test_variant_finished_by_another_sweep_just_before_the_claim_is_not_retrained(tmp_path,
                                                                                  monkeypatch):
    import contextlib

    import training.train
    from description.run_spec import RunSpec
    from description.variant import Variant
    from results.store import ResultStore
    from training.task import VariantTask

    spec = RunSpec(variant=Variant(), names={}, overrides=[],
                   results_dir=str(tmp_path / "results"), work_root=str(tmp_path / "work"))
    claim = ResultStore.claim

    @contextlib.contextmanager
    def claim_after_the_other_sweep_finished(self, key):
        # the other sweep writes its finished record and releases the lock right now
        self.write({"key": key, "status": "finished", "variant": {}, "attempts": 1,
                    "metrics": {"bbox_mAP": 0.25}})
        with claim(self, key) as mine:
            yield mine

    trained = []
    monkeypatch.setattr(ResultStore, "claim", claim_after_the_other_sweep_finished)
    monkeypatch.setattr(training.train, "train_and_evaluate",
                        lambda spec, launcher, progress=None: trained.append(spec.key) or {})
    VariantTask(spec)()
    record = ResultStore(spec.results_dir).read(spec.key)
    assert trained == [] and record["attempts"] == 1 and record["metrics"] == {"bbox_mAP": 0.25}


def test_a_local_rerun_does_not_inherit_an_earlier_slurm_job(tmp_path, monkeypatch):
    """Reconciling a local run against an old job's SLURM state would relabel its outcome
    (a local failure shown as 'SLURM job N was CANCELLED')."""
    import training.train
    from description.run_spec import RunSpec
    from description.variant import Variant
    from launchers.slurm import reconcile
    from results.store import ResultStore
    from training.task import VariantTask

    spec = RunSpec(variant=Variant(), names={}, overrides=[],
                   results_dir=str(tmp_path / "results"), work_root=str(tmp_path / "work"))
    store = ResultStore(spec.results_dir)
    store.write({"key": spec.key, "status": "failed", "variant": {}, "metrics": {}, "attempts": 1,
                 "slurm_job_id": "4242_3", "slurm_folder": str(tmp_path / "submitit")})

    def fail(spec, launcher, progress=None):
        raise RuntimeError("local failure")
    monkeypatch.setattr(training.train, "train_and_evaluate", fail)
    VariantTask(spec)()
    record = reconcile(store, store.read(spec.key), "CANCELLED")
    assert record["slurm_job_id"] is None and record["slurm_folder"] is None
    assert record["error"] == "RuntimeError: local failure"
