"""Every backbone family MSFM plugs into (docs/running.md, "Backbones"), from a
config mmdet ships: the gate passes it, the plan prices it exactly as the whole model counts,
and the families cheap enough on CPU train one tiny epoch."""
import re
from pathlib import Path

import pytest

from description.backbone import PLUGIN_BACKBONES, backbone_of
from description.files import mmdet_config_path
from tests.helpers import ROOT, records, sweeps_run

SMALL_WIDTHS = ["ratios=r4_8_16", "norm_group=gn1"]  # RegNet's narrow stages: 64/4, gn1
# family (mmdet's backbone type) -> (a config mmdet ships, MSFM overrides its widths allow)
FAMILIES = {
    "ResNet": ("faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py", []),
    "ResNeXt": ("faster_rcnn/faster-rcnn_x101-32x4d_fpn_1x_coco.py", []),
    "Res2Net": ("res2net/faster-rcnn_res2net-101_fpn_2x_coco.py", []),  # after_conv3 only
    "RegNet": ("regnet/faster-rcnn_regnetx-400MF_fpn_ms-3x_coco.py", SMALL_WIDTHS),
    "ResNeSt": ("resnest/faster-rcnn_s50_fpn_syncbn-backbone+head_ms-range-1x_coco.py", []),
    # switchable atrous convs + recursive feature pyramid: MSFM in both backbone passes
    "DetectoRS_ResNet": ("detectors/detectors_cascade-rcnn_r50_1x_coco.py", []),
}
NO_SHIPPED_CONFIG = ("ResNetV1d", "DetectoRS_ResNeXt")  # the gate knows them; mmdet ships none
# one tiny epoch each, in one process. Not trained here (CPU, 2 cores, 64 px): ResNet (every
# run test trains it), ResNeXt and Res2Net (mmdet ships 101-layer configs only: ~90 s each),
# DetectoRS (its switchable atrous conv pads by 2 px at stride 32, so >= 160 px: ~3 min)
TRAINED = ("ResNeSt", "RegNet")


def _gate(config, overrides, tmp_path):
    from sweeps.gate import Gate

    [spec] = Gate().check([f"output_root={tmp_path}", f"detector.mmdet_config={config}", *overrides])
    return spec


def test_every_backbone_the_gate_accepts_is_tested_or_has_no_mmdet_config():
    assert set(FAMILIES) | set(NO_SHIPPED_CONFIG) == set(PLUGIN_BACKBONES)
    for family, (config, _) in FAMILIES.items():
        assert backbone_of(config)["type"] == family
    readme = (ROOT / "README.md").read_text()
    assert all(re.search(rf"\b{name}\b", readme) for name in PLUGIN_BACKBONES)
    configs = Path(mmdet_config_path(FAMILIES["ResNet"][0])).parents[1]
    texts = [p.read_text() for p in configs.rglob("*.py")]
    for name in NO_SHIPPED_CONFIG:  # if mmdet ships one, it belongs in FAMILIES
        assert not any(f"'{name}'" in t or f'"{name}"' in t for t in texts), name


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_plans_exactly_as_its_whole_model_counts(family, tmp_path):
    from sweeps.plan_stats import planned_stats
    from training.model_stats import model_stats

    config, overrides = FAMILIES[family]
    variant = _gate(config, overrides, tmp_path).variant
    params, gflops = model_stats(variant)  # every MSFM block built, in every backbone pass
    assert planned_stats(variant) == (params, pytest.approx(gflops, abs=1e-6))


def test_resnest_plans_on_coco_from_the_command_line_users_ran(tmp_path):
    """Issue 18: "Expected more than 1 value per channel when training" (ResNeSt's split
    attention normalises 1x1 pooled features; FLOPs are now counted in eval mode)."""
    from sweeps.plan import planned

    rows, _, _ = planned([f"output_root={tmp_path}", "dataset=coco", "msfm.enabled=false,true",
                          f"detector.mmdet_config={FAMILIES['ResNeSt'][0]}"])
    base, msfm = (r["params"] for r in rows)
    assert 44e6 < base < 46e6 and msfm > base


def test_syncbn_becomes_bn_only_for_distributed_cpu_training(tmp_path):
    """Single-process runs keep SyncBN (mmengine reverts it on the built model); gloo DDP
    cannot run it, so the config loses it there."""
    from training.train import runner_config

    spec = _gate(FAMILIES["ResNeSt"][0], ["wandb.enabled=false"], tmp_path)
    single = runner_config(spec, str(tmp_path), ["a"], launcher="none")
    ddp = runner_config(spec, str(tmp_path), ["a"], launcher="slurm")
    assert "SyncBN" in str(single.model) and "SyncBN" not in str(ddp.model)


def test_resnest_never_trains_on_a_batch_of_one_image(tmp_path):
    """Its split attention normalises pooled features over the batch: a last batch of one
    image is dropped, and one image per GPU is refused by the gate in one line."""
    from training.mmdet_config import training_config

    resnest, resnet = FAMILIES["ResNeSt"][0], FAMILIES["ResNet"][0]
    with pytest.raises(ValueError, match=r"^schedule.images_per_gpu: 1 cannot train resnest/"):
        _gate(resnest, ["schedule.images_per_gpu=1"], tmp_path)
    assert _gate(resnet, ["schedule.images_per_gpu=1"], tmp_path)
    drop_last = [training_config(_gate(c, [], tmp_path).variant, str(tmp_path), "w")
                 .train_dataloader.batch_sampler.get("drop_last") for c in (resnest, resnet)]
    assert drop_last == [True, None]


@pytest.mark.slow
def test_cheap_families_train_one_tiny_epoch_with_msfm(tmp_path):
    configs = ",".join(FAMILIES[f][0] for f in TRAINED)
    proc = sweeps_run(tmp_path, "-m", f"detector.mmdet_config={configs}", *SMALL_WIDTHS,
                      # 3 images in batches of 2: ResNeSt drops its last batch of one
                      "dataset.num_train_images=3", "dataset.num_val=1", "dataset.image_size=64",
                      "schedule.img_scale=[64,64]", "schedule.rcnn_sample_num=32",
                      "wandb.enabled=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = {r["config"]["detector"]["mmdet_config"]: r for r in records(tmp_path)}
    assert sorted(done) == sorted(FAMILIES[f][0] for f in TRAINED)
    for record in done.values():
        assert record["status"] == "finished" and record["params"] > 0
        assert all(-1 <= v <= 1 for v in record["metrics"].values())
