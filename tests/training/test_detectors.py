"""Every detector of Tables 4-6 trains and evaluates with MSFM* on the synthetic data."""
import pytest

from sweeps.variants import group_options
from tests.helpers import records, sweeps_run

BEST = ["position=after_conv2+3", "scales=5SL", "conv_num=cgn2", "norm_group=gn8_4_32"]


@pytest.mark.slow
@pytest.mark.parametrize("detector", [d for d in group_options("detector") if d != "faster_rcnn_r50_fpn"])
def test_detector_with_msfm_star_trains_and_evaluates(tmp_path, detector):
    proc = sweeps_run(tmp_path, f"detector={detector}", *BEST, "dataset.num_train_images=4",
                      "wandb.enabled=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    [record] = records(tmp_path)
    assert record["status"] == "finished" and record["variant"]["detector"] == detector
    metrics = record["metrics"]
    assert 0 <= metrics["bbox_mAP"] <= 1
    if detector.startswith("mask_rcnn"):  # instance segmentation: Table 5's mask AP
        assert 0 <= metrics["segm_mAP"] <= 1
