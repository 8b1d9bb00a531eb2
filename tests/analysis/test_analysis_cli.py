"""The ``python -m analysis.tables`` command line: key=value parsing, outputs, sweep selection."""

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.args import ALLOWED, UsageError, parse_args
from analysis.tables import main

REPO = Path(__file__).resolve().parents[2]


def test_parse_defaults_and_plus_prefix(store):
    opts = parse_args([f"results_dir={store.path}", "+sweep=scales"], ("scales",))
    assert opts.sweep == "scales" and opts.paper and opts.plots and not opts.wandb and not opts.pdf
    assert opts.out_dir == store.path.resolve().parent / "tables"
    opts = parse_args([f"results_dir={store.path}", "sweep=scales", "out_dir=/x", "paper=false", "wandb=True"])
    assert opts.out_dir == Path("/x") and not opts.paper and opts.wandb


@pytest.mark.parametrize("argv, words", [
    (["results_dir={d}", "colour=red"], ["'colour'", *ALLOWED]),
    (["results_dir={d}", "sweep=nope"], ["'nope'", "scales", "final"]),
    (["results_dir={d}", "wandb=maybe"], ["wandb", "true or false"]),
    (["results_dir={d}", "verbose"], ["'verbose'", "key=value"]),
    (["sweep=scales"], ["results_dir"]),
    (["results_dir={d}/absent"], ["not a directory"]),
    (["results_dir={d}", "bootstrap=-5"], ["bootstrap", "whole number >= 0"]),
    (["results_dir={d}", "resolve=0"], ["resolve", "number > 0"]),
])
def test_bad_arguments_give_one_line_errors(store, argv, words):
    argv = [a.format(d=store.path) for a in argv]
    with pytest.raises(UsageError) as err:
        parse_args(argv, ("scales", "final"))
    message = str(err.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_main_returns_2_and_names_the_key(store, capsys):
    assert main([f"results_dir={store.path}", "colour=red"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown key 'colour'; allowed keys: results_dir, sweep")


def test_sweep_picks_its_tables(store, tmp_path):
    out = tmp_path / "out"
    assert main([f"results_dir={store.path}", "+sweep=frameworks", f"out_dir={out}", "plots=false"]) == 0
    assert sorted(p.name for p in out.glob("*.tex")) == [
        "table4.tex", "table4_standalone.tex", "table5.tex", "table5_standalone.tex"]


def test_default_out_dir_is_next_to_results(store):
    assert main([f"results_dir={store.path}", "sweep=final", "plots=false"]) == 0
    tables = store.path.parent / "tables"
    assert {p.name for p in tables.iterdir()} == {"table6.tex", "table6_standalone.tex", "table6.md", "table6.csv"}


def test_module_runs_and_prints_tables(store, tmp_path):
    store.add(scales="5S", ap=[38.9, 60.1, 42.3, 23.0, 42.4, 50.3])
    proc = subprocess.run(
        [sys.executable, "-m", "analysis.tables", f"results_dir={store.path}", "+sweep=scales",
         f"out_dir={tmp_path / 'o'}", "plots=false"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "table2" in proc.stdout and "38.9" in proc.stdout and "(missing)" in proc.stdout


def test_analysis_never_imports_training_code(store):
    # msfm's torch-free block rule (msfm.block_rule, through description) is allowed; the layer is not
    code = ("import sys, analysis.tables, analysis.plots, analysis.wandb_summary, analysis.synthetic_records;"
            "bad = {'torch', 'mmdet', 'mmcv', 'mmengine', 'msfm.layer'} & "
            "({m.split('.')[0] for m in sys.modules} | set(sys.modules));"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
