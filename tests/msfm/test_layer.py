"""The MSFM module on its own: shapes, gradients, init, and every bad argument."""
import pytest
import torch

from msfm.layer import MSFM

SCALE_SETS = {"3S": [0.5, 0.7, 1.0], "5S": [0.5, 0.6, 0.7, 0.85, 1.0], "3L": [1.0, 1.4, 2.0],
              "4SL": [0.5, 0.7, 1.4, 2.0], "5SL": [0.5, 0.7, 1.0, 1.4, 2.0]}


@pytest.mark.parametrize("scales", SCALE_SETS.values(), ids=SCALE_SETS.keys())
@pytest.mark.parametrize("conv_num", [1, 2, "2*"])
@pytest.mark.parametrize("fusion_type", ["add", "cat"])
@pytest.mark.parametrize("hw", [(7, 7), (13, 9), (1, 1)])
def test_shape_gradient_and_finite(scales, conv_num, fusion_type, hw):
    m = MSFM(64, ratio=4, scales=scales, norm_group=8, conv_num=conv_num,
             fusion_type=fusion_type, zero_init=False)
    x = torch.randn(2, 64, *hw, requires_grad=True)
    y = m(x)
    assert y.shape == x.shape
    assert torch.isfinite(y).all()
    (y ** 2).mean().backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"{name} got a zero gradient"


def test_conv_num_2star_puts_two_cgn_only_on_upscaling_branches():
    m = MSFM(64, ratio=4, scales=[0.5, 1.0, 2.0], norm_group=8, conv_num="2*")
    assert [len(b.cgn) for b in m.branches] == [1, 1, 2]


def test_cat_fusion_widens_unsqueeze_input():
    m = MSFM(64, ratio=4, scales=[0.5, 1.0, 2.0], norm_group=8, fusion_type="cat")
    assert m.unsqueeze.in_channels == 3 * 16


def test_zero_init_is_identity_and_still_trains():
    """U starts at zero, so a pretrained backbone is unchanged; U itself gets a gradient,
    which is what lets the rest of the module start learning after the first step."""
    m = MSFM(64, ratio=4, norm_group=8)
    x = torch.randn(2, 64, 11, 11)
    assert torch.equal(m(x), x)
    m(x).sum().backward()
    assert m.unsqueeze.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("kwargs, field", [
    (dict(ratio=3), "ratio"),
    (dict(ratio=0), "ratio"),
    (dict(ratio=-4), "ratio"),
    (dict(scales=[]), "scales"),
    (dict(scales=[0.5, 0.0]), "scales"),
    (dict(scales=[-1.0]), "scales"),
    (dict(norm_group=3), "norm_group"),
    (dict(norm_group=32), "norm_group"),
    (dict(conv_num=3), "conv_num"),
    (dict(conv_num="3*"), "conv_num"),
    (dict(fusion_type="mul"), "fusion_type"),
])
def test_bad_argument_raises_one_line_naming_field_and_stage(kwargs, field):
    args = dict(ratio=4, norm_group=8) | kwargs
    with pytest.raises(ValueError) as e:
        MSFM(64, stage=3, position="after_conv3", **args)
    msg = str(e.value)
    assert "\n" not in msg and field in msg and "stage 3" in msg and "after_conv3" in msg


def test_layer_imports_and_runs_without_mmdet_or_mmcv():
    """A GPU machine whose mmcv build failed still runs the torch-only benchmarks: the layer
    must import and run with mmdet and mmcv unimportable (it is then just not registered)."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['mmdet'] = sys.modules['mmcv'] = None\n"
            "import torch; from msfm.layer import MSFM\n"
            "x = torch.randn(1, 64, 9, 9); assert MSFM(64, ratio=4, norm_group=8)(x).shape == x.shape")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_layer_is_registered_in_mmdet():
    from mmdet.registry import MODELS

    assert MODELS.get("MSFM") is MSFM
