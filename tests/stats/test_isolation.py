"""stats/ stands on its own: numpy, scipy, numba and faster-coco-eval; nothing from the training
or analysis side, and no torch, mmdet or mmengine."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stats_imports_no_torch_mmdet_or_analysis():
    modules = sorted(p.stem for p in (ROOT / "stats").glob("*.py") if p.stem != "__init__")
    code = (f"import sys, stats, {', '.join('stats.' + m for m in modules)}; "
            "bad = [m for m in ('torch', 'mmdet', 'mmengine', 'mmcv', 'analysis', 'training', 'pandas') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_import_stats_alone_pulls_no_torch_mmdet_or_mmengine():
    """The issue's own words: ``python -c "import stats"`` imports none of them."""
    out = subprocess.run([sys.executable, "-c", "import sys, stats; print(sorted(m for m in "
                          "('torch', 'mmdet', 'mmengine') if m in sys.modules))"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
