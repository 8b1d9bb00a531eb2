"""msfm/cost.py (torch-free, used by the planner) against the real module for every option."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from msfm.cost import block_macs, block_params
from msfm.layer import MSFM

SCALE_SETS = {"3S": [0.5, 0.7, 1.0], "5S": [0.5, 0.6, 0.7, 0.85, 1.0], "3L": [1.0, 1.4, 2.0],
              "4SL": [0.5, 0.7, 1.4, 2.0], "5SL": [0.5, 0.7, 1.0, 1.4, 2.0]}


@pytest.mark.parametrize("scales", SCALE_SETS.values(), ids=SCALE_SETS.keys())
@pytest.mark.parametrize("conv_num", ["1", "2", "2*"])
@pytest.mark.parametrize("fusion_type", ["add", "cat"])
@pytest.mark.parametrize("shape", [(256, 50, 84), (512, 25, 42), (128, 7, 3)])
def test_params_and_macs_equal_the_module(scales, conv_num, fusion_type, shape):
    c, h, w = shape
    kw = dict(ratio=16, scales=scales, conv_num=conv_num, fusion_type=fusion_type)
    with torch.device("meta"):
        block = MSFM(c, norm_group=4, **kw)
        x = torch.zeros(1, c, h, w)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        block(x)
    assert block_params(c, **kw) == sum(p.numel() for p in block.parameters())
    assert 2 * block_macs(c, h, w, **kw) == counter.get_total_flops()
