"""Paired seeds: under seed s the baseline and an MSFM variant start from the same value of every
parameter they share; MSFM's own parameters come from a separate stream."""
import torch

from description.msfm_spec import MSFMSpec
from description.variant import DatasetConf, ScheduleConf, Variant
from training.mmdet_config import baseline_model, model_config
from training.paired_init import paired_init


def _build(variant: Variant, seed: int):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    import msfm.layer  # noqa: F401  (registers MSFM)

    register_all_modules()
    torch.manual_seed(1000 + seed)  # what the run's own construction would draw: overwritten
    model = MODELS.build(model_config(variant).model)
    model.init_weights()
    return model


def test_baseline_and_msfm_share_every_common_tensor_under_one_seed():
    small = dict(dataset=DatasetConf(num_classes=3), schedule=ScheduleConf(pretrained=False))
    base_v = Variant(msfm=MSFMSpec(enabled=False), **small)
    msfm_v = Variant(msfm=MSFMSpec(scales=[0.5, 1.0]), **small)
    base, msfm, msfm_other_seed = _build(base_v, 0), _build(msfm_v, 0), _build(msfm_v, 1)
    shared_before = [k for k, v in base.state_dict().items() if v.is_floating_point()
                     and not torch.equal(v, msfm.state_dict()[k])]
    assert shared_before, "without pairing the common tensors differ (else this test proves nothing)"

    assert paired_init(base, baseline_model(base_v), 0) == len(base.state_dict())
    paired_init(msfm, baseline_model(msfm_v), 0)
    paired_init(msfm_other_seed, baseline_model(msfm_v), 1)
    b, m, m1 = base.state_dict(), msfm.state_dict(), msfm_other_seed.state_dict()
    assert all(torch.equal(v, m[k]) for k, v in b.items())
    own = [k for k in m if k not in b]
    assert own and all("msfm" in k for k in own)
    conv = next(k for k in own if k.endswith("squeeze.weight") and "unsqueeze" not in k)
    assert not torch.equal(m[conv], m1[conv])  # another seed, other MSFM weights
    assert not torch.equal(b["backbone.conv1.weight"], m1["backbone.conv1.weight"])
    unsqueeze = [k for k in own if "unsqueeze" in k]
    assert all(not m[k].any() for k in unsqueeze)  # U starts at zero: M(x) = x
