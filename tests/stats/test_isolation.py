"""stats/ stands on its own: numpy and scipy only, nothing from the training or analysis side."""
import subprocess
import sys
from pathlib import Path


def test_stats_imports_no_torch_mmdet_or_analysis():
    code = ("import sys, stats, stats.intervals, stats.verdicts, stats.policy; "
            "bad = [m for m in ('torch', 'mmdet', 'mmengine', 'mmcv', 'analysis', 'training', 'pandas') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
