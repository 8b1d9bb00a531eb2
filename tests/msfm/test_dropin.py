"""MSFM as a user drops it in: the config docs/architecture.md shows, in a directory outside the
checkout, with the project's venv and no PYTHONPATH (pytest's own path is not theirs).

It inherits mmdet's shipped config the mmdet 3 way (``mmdet::``, which mmengine resolves
through ``pkg_resources``) and loads MSFM with ``custom_imports``: only the installed ``msfm``
package is importable there, so an import of any other stage fails these tests.
"""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG_NAME = "faster-rcnn_r50_fpn_msfm.py"

BUILD = """
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdet.registry import MODELS

init_default_scope('mmdet')
cfg = Config.fromfile('{config}')  # custom_imports registers MSFM
model = MODELS.build(cfg.model)
blocks = sum(type(m).__name__ == 'MSFM' for m in model.modules())
with torch.no_grad():
    feats = model.backbone(torch.rand(1, 3, 64, 96))
print('feature maps', [tuple(f.shape) for f in feats])
print('MSFM blocks', blocks)
print('trainable params', sum(p.numel() for p in model.parameters() if p.requires_grad))
"""

TRAIN = """
from mmengine.config import Config
from mmengine.runner import Runner

cfg = Config.fromfile('{config}')
cfg.work_dir = 'work'
runner = Runner.from_cfg(cfg)
runner.train()
print('MSFM blocks', sum(type(m).__name__ == 'MSFM' for m in runner.model.modules()))
print('iterations', runner.iter)
print('loss', runner.message_hub.get_scalar('train/loss').current())
"""

# the user's own training config: the drop-in config, on a small COCO-format dataset
TRAIN_CONFIG = """
_base_ = './{base}'
classes = {classes!r}
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='PackDetInputs'),
]
model = dict(backbone=dict(init_cfg=None), roi_head=dict(bbox_head=dict(num_classes=3)))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data_root}/', ann_file='annotations/instances_train.json',
                 data_prefix=dict(img='train/'), metainfo=dict(classes=classes),
                 pipeline=pipeline))
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=1, val_interval=10)
val_dataloader = val_evaluator = val_cfg = None
test_dataloader = test_evaluator = test_cfg = None
param_scheduler = []
default_hooks = dict(checkpoint=None, logger=dict(interval=1))
log_processor = dict(by_epoch=False)
"""


def dropin_config() -> str:
    """The drop-in config exactly as docs/architecture.md shows it."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", doc, re.S) if "_base_ = 'mmdet::" in b]
    assert len(blocks) == 1, "docs/architecture.md: expected one ```python drop-in config"
    return blocks[0]


def as_a_user(tmp_path: Path, script: str, timeout: int) -> subprocess.CompletedProcess:
    """Run ``script`` with the venv's python in ``tmp_path``, without PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


# the documented config's variant, as the project's command line names it (COCO: 80 classes)
VARIANT = dict(position="after_conv3", scales="3S", ratios="r16_32_64", norm_group="gn16",
               conv_num="cgn1", fusion_type="add", detector="faster_rcnn_r50_fpn", dataset="coco")


def planned_params(tmp_path: Path) -> int:
    """The exact parameter count ``python -m sweeps.plan`` gives the documented variant (the
    table shows it in M; ``plan.out`` writes the same rows with every digit)."""
    plan_json = tmp_path / "plan.json"
    out = subprocess.run([sys.executable, "-m", "sweeps.plan", *(f"{k}={v}" for k, v in VARIANT.items()),
                          f"output_root={tmp_path / 'outputs'}", f"plan.out={plan_json}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    (row,) = json.loads(plan_json.read_text())
    assert VARIANT.items() <= row["variant"].items() and row["variant"]["msfm"], row["variant"]
    shown = re.search(r"│\s*0\s*│.*?│\s*([\d.]+)\s*│", out.stdout).group(1)  # params (M)
    assert shown == f"{row['params'] / 1e6:.2f}", (shown, row["params"])
    return row["params"]


@pytest.fixture
def user_dir(tmp_path):
    """A directory outside the checkout holding the drop-in config."""
    assert ROOT not in tmp_path.parents
    (tmp_path / CONFIG_NAME).write_text(dropin_config())
    return tmp_path


def test_the_documented_config_builds_runs_and_has_the_planned_params(user_dir):
    out = as_a_user(user_dir, BUILD.format(config=CONFIG_NAME), timeout=300).stdout
    assert "MSFM blocks 13" in out, out  # after_conv3 of every bottleneck of stages 2-4: 4+6+3
    assert "feature maps [(1, 256, 16, 24), (1, 512, 8, 12), (1, 1024, 4, 6), (1, 2048, 2, 3)]" \
        in out, out
    params = int(re.search(r"trainable params (\d+)", out).group(1))
    assert params == planned_params(user_dir)


@pytest.mark.slow
def test_mmengine_trains_the_documented_config_for_an_iteration(user_dir):
    from training.synthetic_coco import class_names, ensure_dataset

    data_root = ensure_dataset(user_dir / "data", num_train=2, num_val=1, image_size=64,
                               num_classes=3)
    (user_dir / "train.py").write_text(TRAIN_CONFIG.format(
        base=CONFIG_NAME, classes=class_names(3), data_root=data_root))
    out = as_a_user(user_dir, TRAIN.format(config="train.py"), timeout=600).stdout
    assert "MSFM blocks 13" in out and "iterations 1" in out, out
    loss = float(re.search(r"^loss (\S+)$", out, re.M).group(1))
    assert math.isfinite(loss) and loss > 0, out
