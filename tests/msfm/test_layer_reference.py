"""The optimised MSFM layer behaves exactly as the reference implementation kept in
benchmarks/: same parameters and state-dict keys, outputs and gradients within 1e-5 (float32),
for every option."""
import pytest
import torch

from benchmarks.msfm_reference import ReferenceMSFM
from msfm.layer import MSFM

SCALE_SETS = {"3S": [0.5, 0.7, 1.0], "5S": [0.5, 0.6, 0.7, 0.85, 1.0], "3L": [1.0, 1.4, 2.0],
              "4SL": [0.5, 0.7, 1.4, 2.0], "5SL": [0.5, 0.7, 1.0, 1.4, 2.0], "1": [1.0]}


@pytest.mark.parametrize("scales", SCALE_SETS.values(), ids=SCALE_SETS.keys())
@pytest.mark.parametrize("conv_num", ["1", "2", "2*"])
@pytest.mark.parametrize("fusion_type", ["add", "cat"])
@pytest.mark.parametrize("channels_last", [False, True], ids=["nchw", "nhwc"])
def test_matches_reference(scales, conv_num, fusion_type, channels_last):
    torch.manual_seed(0)
    kw = dict(ratio=4, scales=scales, norm_group=8, conv_num=conv_num, fusion_type=fusion_type)
    ours, ref = MSFM(64, zero_init=False, **kw), ReferenceMSFM(64, **kw)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(ours.state_dict())
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    ours, ref = ours.to(memory_format=fmt), ref.to(memory_format=fmt)
    x = torch.randn(2, 64, 13, 17).contiguous(memory_format=fmt)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = ours(xa), ref(xb)
    torch.testing.assert_close(ya, yb, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(ya)
    ya.backward(g)
    yb.backward(g)
    torch.testing.assert_close(xa.grad, xb.grad, atol=1e-5, rtol=1e-5)
    for (name, pa), pb in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(pa.grad, pb.grad, atol=1e-5, rtol=1e-5, msg=name)
