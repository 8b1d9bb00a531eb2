"""``+sweep=NAME`` shows what the sweep ran: its part of the table and the baseline, with a
pointer to the whole table, in the terminal and in the files; without it, the whole table."""
import subprocess
import sys
from pathlib import Path

import pandas as pd

from analysis.args import parse_args
from analysis.tables import run

REPO = Path(__file__).resolve().parents[2]
POINTER = "without +sweep= the same command writes the whole table (table2.md, .tex, .csv)"


def _fill(store):
    store.add(msfm=False, ap=[37.4, 58, 40, 21, 41, 48])
    store.add(scales="5S", ap=[38.9, 60, 42, 22, 42, 50])
    store.add(ratios="r8_16_32", ap=[39.1, 60, 42, 22, 42, 50])  # a Ratios row: not the scales sweep's


def test_the_demo_step_prints_the_sweeps_part_and_its_baseline(store, tmp_path):
    _fill(store)
    out = tmp_path / "t"
    proc = subprocess.run([sys.executable, "-m", "analysis.tables", f"results_dir={store.path}", "+sweep=scales",
                           f"out_dir={out}", "plots=false"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    printed = " ".join(proc.stdout.split())  # rich may wrap the footnote
    assert "Faster R-CNN R50-FPN" in printed and "Scales" in printed and "5S" in printed
    assert printed.count("(missing)") == 4  # 3S, 3L, 4 and 5: the sweep's rows not run yet
    assert "Ratios" not in printed and "(8,16,32) pos 3" not in printed
    assert POINTER in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "table2_scales.csv", "table2_scales.md", "table2_scales.tex", "table2_scales_standalone.tex"]
    csv = pd.read_csv(out / "table2_scales.csv", keep_default_na=False)
    assert list(csv["name"]) == ["Faster R-CNN R50-FPN", "3S", "5S", "3L", "4", "5"]
    assert set(csv["part"]) == {"", "Scales"}
    for ext in ("md", "tex"):
        text = " ".join((out / f"table2_scales.{ext}").read_text().split())
        assert "Ratios" not in text and ("+sweep=" in text) and "table2.md" in text, ext
    assert r"\input{table2_scales.tex}" in (out / "table2_scales_standalone.tex").read_text()


def test_without_sweep_the_whole_table_and_no_pointer(store, tmp_path):
    _fill(store)
    tables = run(parse_args([f"results_dir={store.path}", f"out_dir={tmp_path}", "plots=false"]))
    assert set(tables["table2"]["part"]) == {"", "Scales", "Ratios", "Norm group", "Conv num", "Fusion type"}
    md = (tmp_path / "table2.md").read_text()
    assert "(8,16,32) pos 3" in md and "+sweep=" not in md


def test_a_sweep_that_fills_the_whole_table_keeps_its_name(store, tmp_path):
    _fill(store)
    run(parse_args([f"results_dir={store.path}", f"out_dir={tmp_path}", "plots=false", "+sweep=position"]))
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["table3.md"]
    assert "+sweep=" not in (tmp_path / "table3.md").read_text()
