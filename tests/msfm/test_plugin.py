"""MSFM inside mmdet: the plugin translation and a real ResNet forward at every position."""
import pytest
import torch

from description.msfm_spec import MSFMSpec, to_plugins, validate_spec

POSITION_SETS = [["after_conv1"], ["after_conv2"], ["after_conv3"], ["after_conv2", "after_conv3"],
                 ["after_conv1", "after_conv2", "after_conv3"]]
BEST_GN = {"after_conv1": 8, "after_conv2": 4, "after_conv3": 32}


def test_translation_is_one_plugin_per_stage_and_position():
    spec = MSFMSpec(position=["after_conv2", "after_conv3"], ratios=[16, 32, 64], norm_group=BEST_GN)
    plugins = to_plugins(spec)
    assert len(plugins) == 6
    by_stage = {(p["position"], p["stages"]): p["cfg"] for p in plugins}
    c3_stage4 = by_stage[("after_conv3", (False, False, False, True))]
    assert c3_stage4["ratio"] == 64 and c3_stage4["norm_group"] == 32
    assert by_stage[("after_conv2", (False, True, False, False))]["norm_group"] == 4
    assert {p["cfg"]["postfix"] for p in plugins} == {"_after_conv2", "_after_conv3"}
    assert to_plugins(MSFMSpec(enabled=False)) == []


@pytest.mark.parametrize("positions", POSITION_SETS, ids=["+".join(p) for p in POSITION_SETS])
def test_msfm_runs_in_every_bottleneck_of_stages_2_to_4(positions):
    from mmdet.models.backbones import ResNet
    from mmengine.registry import init_default_scope

    import msfm.layer  # noqa: F401
    from msfm.layer import MSFM

    init_default_scope("mmdet")
    spec = MSFMSpec(position=positions, scales=[0.5, 1.0, 2.0], ratios=[16, 32, 64],
                    norm_group=BEST_GN, conv_num="2*")
    validate_spec(spec)
    resnet = ResNet(depth=50, plugins=to_plugins(spec), init_cfg=None)
    resnet.eval()  # mmdet ResNet.train() returns None, so not chained
    calls = {}
    for name, module in resnet.named_modules():
        if isinstance(module, MSFM):
            module.register_forward_hook(lambda m, i, o, name=name: calls.__setitem__(name, o.shape))
    with torch.no_grad():
        outs = resnet(torch.randn(1, 3, 96, 80))
    assert [o.shape[1] for o in outs] == [256, 512, 1024, 2048]
    assert len(calls) == len(positions) * (4 + 6 + 3)  # every bottleneck of layer2..layer4
    assert not any(name.startswith("layer1.") for name in calls)
    for position in positions:
        assert sum(name.endswith(f"msfm_{position}") for name in calls) == 13
