"""Up-front validation from the detector's real backbone: channels per stage and position read
from mmdet's shipped configs, proven against the modules mmdet really builds (meta device)."""
import subprocess
import sys

import pytest

from description.backbone import backbone_of, describe, msfm_channels
from description.msfm_spec import POSITIONS, RESNET50_CHANNELS, STAGES
from description.variant import DetectorConf

R50 = "faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"
X101 = "faster_rcnn/faster-rcnn_x101-32x4d_fpn_1x_coco.py"
X101_64 = "faster_rcnn/faster-rcnn_x101-64x4d_fpn_1x_coco.py"
R101_CAFFE = "faster_rcnn/faster-rcnn_r101-caffe_fpn_1x_coco.py"
RES2NET = "res2net/faster-rcnn_res2net-101_fpn_2x_coco.py"
REGNET = "regnet/faster-rcnn_regnetx-3.2GF_fpn_1x_coco.py"
R18 = "retinanet/retinanet_r18_fpn_1x_coco.py"
SWIN = "swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py"
V1D = dict(type="ResNetV1d", depth=50)  # no shipped detector uses it: the dict itself
# every position fits, or the reason names what mmdet cannot hold
MATRIX = [(R50, {}), (R101_CAFFE, {}), (X101, {}), (X101_64, {}), (REGNET, {}), (V1D, {}),
          (RES2NET, {"after_conv1": "26w4s", "after_conv2": "26w4s"})]


def _backbone(source):
    return dict(source) if isinstance(source, dict) else backbone_of(source)


_PROBED: dict = {}


def probe_channels(backbone: dict) -> dict:
    """Build ``backbone`` on the meta device with a probe plugin at every stage and position
    and run it: per (stage, position), the channels mmdet built the plugin for (each time:
    ResNeXt builds twice) and the channels of the tensor it really receives."""
    import torch
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=True)

    class ChannelProbe(torch.nn.Module):
        def __init__(self, in_channels, stage, position):
            super().__init__()
            self.key = (stage, position)
            _PROBED.setdefault(self.key, [[], None])[0].append(in_channels)

        def forward(self, x):
            _PROBED[self.key][1] = x.shape[1]
            return x

    MODELS.register_module("ChannelProbe", module=ChannelProbe, force=True)
    plugins = [dict(cfg=dict(type="ChannelProbe", stage=s, position=p, postfix=f"_{p}_{s}"),
                    stages=tuple(t == s for t in (1, *STAGES)), position=p)
               for p in POSITIONS for s in STAGES]
    cfg = {**backbone, "plugins": plugins, "init_cfg": None}
    _PROBED.clear()
    with torch.device("meta"):
        model = MODELS.build(cfg)
        model(torch.zeros(1, 3, 64, 64))
    return {k: tuple(v) for k, v in _PROBED.items()}


@pytest.mark.parametrize("source, refused", MATRIX, ids=lambda s: str(s)[:40])
def test_derived_channels_are_the_ones_mmdet_builds_and_feeds(source, refused):
    described = describe(_backbone(source))
    real = probe_channels(_backbone(source))
    for key, (built, fed) in real.items():
        if key[1] in refused:  # mmdet builds the plugin for other channels than it gets
            assert built[-1] != fed and refused[key[1]] in described.refused[key[1]]
        else:
            assert described.channels[key] == built[-1] == fed, key
        # a plugin first built for other channels must fit those too (it validates on init)
        assert described.first_built.get(key, built[-1]) == built[0], key
    assert set(described.refused) == set(refused)


def test_resnext_widths_follow_groups_and_base_width():
    x = describe(backbone_of(X101)).channels  # floor(planes * 4 / 64) * 32
    assert [x[(s, "after_conv1")] for s in STAGES] == [256, 512, 1024]
    assert [x[(s, "after_conv3")] for s in STAGES] == [512, 1024, 2048]
    assert describe(backbone_of(R50)).channels == RESNET50_CHANNELS


@pytest.mark.parametrize("config, reason", [(R18, "BasicBlock"), (SWIN, "SwinTransformer")])
def test_backbones_without_plugin_bottlenecks_are_refused_in_one_line(config, reason):
    detector = DetectorConf(name="custom", mmdet_config=config)
    with pytest.raises(ValueError) as e:
        msfm_channels(detector, ["after_conv3"])
    message = str(e.value)
    assert "\n" not in message and config in message and reason in message


def _cli(module, *args, tmp_path):
    return subprocess.run([sys.executable, "-m", module, f"output_root={tmp_path}", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module", ["sweeps.plan", "sweeps.run"])
def test_plan_and_run_refuse_resnet18_before_anything_starts(module, tmp_path):
    proc = _cli(module, f"detector.mmdet_config={R18}", tmp_path=tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: detector") and "BasicBlock" in lines[0] and R18 in lines[0]
    assert "Traceback" not in proc.stderr and not (tmp_path / "results").exists()


def test_resnet18_baseline_needs_no_plugins_and_passes(tmp_path):
    from sweeps.gate import Gate

    [spec] = Gate().check([f"output_root={tmp_path}", f"detector.mmdet_config={R18}",
                           "msfm.enabled=false"])
    assert not spec.variant.msfm.enabled


@pytest.mark.parametrize("config, args, error", [
    (R50, ["position=after_conv1"], "msfm.norm_group"),  # 128 / ratio 16 = 8: not GN 16
    (REGNET, [], "msfm.norm_group"),  # 192 / 16 = 12 after conv3 (ResNet-50: 512 / 16 = 32)
    (REGNET, ["ratios=r4_8_16", "norm_group=gn1"], None),  # 192/4, 432/8, 1008/16
    (X101, ["position=after_conv1"], "planes first"),  # 256 / 16 = 16, but first 128 / 16 = 8
    (X101, ["position=after_conv1", "norm_group=gn8"], None),
    (RES2NET, ["position=after_conv3"], None),
    (RES2NET, ["position=after_conv2"], "cannot hold MSFM at position after_conv2"),
])
def test_the_gate_validates_against_the_detectors_own_widths(config, args, error, tmp_path):
    from sweeps.gate import Gate

    args = [f"output_root={tmp_path}", f"detector.mmdet_config={config}", *args]
    if error is None:
        assert len(Gate().check(args)) == 1
    else:
        with pytest.raises(ValueError, match=error) as e:
            Gate().check(args)
        assert "\n" not in str(e.value)


def test_plan_counts_resnext_params_with_msfm_after_conv1(tmp_path):
    """The gate's widths and the built model agree: ResNeXt + MSFM after conv1 plans exactly."""
    from sweeps.plan import planned

    rows, _, _ = planned([f"output_root={tmp_path}", "dataset=coco", f"detector.mmdet_config={X101}",
                          "position=after_conv1", "norm_group=gn8", "msfm.enabled=false,true"])
    base, msfm = (r["params"] for r in rows)
    assert 59e6 < base < 62e6 and msfm > base  # mmdet: Faster R-CNN X101-32x4d ~60.2M
