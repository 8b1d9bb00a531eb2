"""``sweeps.plan``: real mmdet models on the meta device, counted the way the paper counts."""
import json
import os
import subprocess
import sys

import pytest

from sweeps.plan import planned

PAPER = {"baseline": 41.5, "default": 42.9, "best": 43.9}  # M, Faster R-CNN R50-FPN on COCO
BEST = ["position=after_conv2+3", "scales=5SL", "conv_num=cgn2", "norm_group=gn8_4_32"]


@pytest.mark.parametrize("name, overrides", [
    ("baseline", ["msfm.enabled=false"]), ("default", []), ("best", BEST)])
def test_params_match_the_paper(name, overrides, tmp_path):
    rows, _, _ = planned(["dataset=coco", f"output_root={tmp_path}", *overrides])
    assert len(rows) == 1
    assert abs(rows[0]["params"] / 1e6 - PAPER[name]) <= 0.1, rows[0]["params"]


def test_msfm_adds_flops_and_baseline_is_near_mmdet(tmp_path):
    rows, _, _ = planned(["dataset=coco", f"output_root={tmp_path}", "msfm.enabled=false,true"])
    base, msfm = (r["gflops"] for r in rows)
    assert 150 < base < 230  # mmdet: ~207 GFLOPs for the whole detector incl. RoI heads
    assert msfm > base


def run_plan(*args, tmp_path):
    return subprocess.run([sys.executable, "-m", "sweeps.plan", f"output_root={tmp_path}", *args],
                          capture_output=True, text=True, timeout=600)


def test_cli_writes_json_for_every_grid_point(tmp_path):
    out = tmp_path / "plan.json"
    proc = run_plan("+sweep=scales", f"plan.out={out}", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text())
    assert len(rows) == 6
    assert all(isinstance(r["params"], int) and isinstance(r["gflops"], float) for r in rows)
    assert all(isinstance(r["overrides"], list) for r in rows)
    assert sorted(r["variant"]["scales"] for r in rows if r["variant"]["msfm"]) == \
        ["3L", "3S", "4SL", "5S", "5SL"]
    assert "variant" in proc.stdout or "params" in proc.stdout


@pytest.mark.parametrize("args, field", [
    (["position=after_conv1"], "msfm.norm_group"),  # GN 16 does not divide 8 channels
    (["+sweep=norm_group", "norm_group=gn16"], "msfm.norm_group"),
    (["scales=6S"], "scales"),
    (["msfm.ratios=[16,32]"], "msfm.ratios"),
])
def test_any_invalid_grid_point_fails_before_output(args, field, tmp_path):
    out = tmp_path / "plan.json"
    proc = run_plan(*args, f"plan.out={out}", tmp_path=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == "" and not out.exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], proc.stderr


@pytest.mark.parametrize("detector, overrides", [
    ("faster_rcnn_r50_fpn", []),
    ("faster_rcnn_r50_fpn", BEST),
    ("faster_rcnn_r50_fpn", ["position=after_conv1+2+3", "norm_group=gn8_4_32", "fusion_type=cat",
                             "scales=4SL", "conv_num=cgn2*"]),
    ("faster_rcnn_r50_fpn_dcn", BEST),
    ("retinanet_r50_fpn", BEST),
], ids=["default", "best", "all-positions-cat", "dcn-best", "retinanet-best"])
def test_planner_equals_full_model_build(detector, overrides, compose_cfg, tmp_path, monkeypatch):
    """The plan adds MSFM blocks to one baseline build per detector: the numbers must be
    exactly those of building each variant's whole detector, measured and from the cache."""
    monkeypatch.setenv("MSFM_CACHE", str(tmp_path / "cache"))
    from sweeps.plan_stats import planned_stats
    from sweeps.variants import variant_of
    from training.model_stats import model_stats

    variant = variant_of(compose_cfg("dataset=coco", f"detector={detector}", *overrides)).validate()
    full = model_stats(variant, 640, 480)
    for _ in ("measured", "cached"):
        fast = planned_stats(variant, 640, 480)
        assert fast[0] == full[0]
        assert fast[1] == pytest.approx(full[1], rel=1e-9)
    assert len(list((tmp_path / "cache" / "plan").glob("*.json"))) == 1


def test_first_plan_prices_every_detector_then_plans_never_import_torch(tmp_path):
    """A first plan has imported torch and mmdet anyway: it measures every detector in
    conf/detector, so that the next plan, of any preset, needs no torch at all."""
    from sweeps.variants import group_options

    env = dict(os.environ, MSFM_CACHE=str(tmp_path / "cache"))
    first = subprocess.run([sys.executable, "-m", "sweeps.plan", f"output_root={tmp_path}",
                            "dataset=coco"], capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "measuring every detector" in first.stderr
    assert len(list((tmp_path / "cache" / "plan").glob("*.json"))) == len(group_options("detector"))
    code = ("import sys; from sweeps.plan import main; "
            f"code = main(['+sweep=frameworks', 'dataset=coco', 'output_root={tmp_path}']); "
            "print('torch imported:', 'torch' in sys.modules); sys.exit(code)")
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            timeout=600)
    assert second.returncode == 0, second.stderr
    assert "torch imported: False" in second.stdout
    assert "measuring" not in second.stderr
