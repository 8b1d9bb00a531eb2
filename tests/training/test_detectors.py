"""Every detector of Tables 4-6 trains and evaluates with MSFM* on the synthetic data."""
import pytest

from sweeps.variants import group_options
from tests.helpers import GN32_SIZE, drop_checkpoints, records, sweeps_run

BEST = ["position=after_conv2+3", "scales=5SL", "conv_num=cgn2", "norm_group=gn8_4_32"]
DETECTORS = [d for d in group_options("detector") if d != "faster_rcnn_r50_fpn"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """All of them in one multirun (one process: torch and mmdet are imported once, not once
    per detector); each test below reads its own detector's record."""
    tmp_path = tmp_path_factory.mktemp("detectors")
    proc = sweeps_run(tmp_path, "-m", f"detector={','.join(DETECTORS)}", *BEST,
                      "dataset.num_train_images=2", "dataset.num_val=1", "wandb.enabled=false",
                      *GN32_SIZE, timeout=3600)
    drop_checkpoints(tmp_path)  # ~4 GB in all
    return proc, {r["variant"]["detector"]: r for r in records(tmp_path)}


@pytest.mark.slow
@pytest.mark.parametrize("detector", DETECTORS)
def test_detector_with_msfm_star_trains_and_evaluates(trained, detector):
    proc, done = trained
    record = done.get(detector)
    assert record is not None, proc.stderr[-3000:]
    assert record["status"] == "finished", record.get("error")
    assert record["variant"]["detector"] == detector
    # the multirun fails if any detector did: then every test says so, and the one whose
    # detector failed says why above
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = record["metrics"]
    assert 0 <= metrics["bbox_mAP"] <= 1
    if detector.startswith("mask_rcnn"):  # instance segmentation: Table 5's mask AP
        assert 0 <= metrics["segm_mAP"] <= 1
