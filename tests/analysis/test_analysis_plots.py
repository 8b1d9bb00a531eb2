"""Plots: Pareto front, files written as PNG and PDF, wandb summary run."""

import sys
import types

import pytest

from analysis.args import parse_args
from analysis.plots import pareto_front
from analysis.tables import run
from tests.helpers import offline_wandb


def test_pareto_front():
    params = [41.5, 42.0, 42.0, 43.0, 44.0, 45.0]
    ap = [37.4, 38.0, 38.5, 38.4, 39.9, 39.0]
    assert pareto_front(params, ap) == [0, 2, 4]
    assert pareto_front([], []) == []


def test_plots_are_written_as_png_and_pdf(store, tmp_path):
    for scales, ap, params in (("3S", 38.8, 42.9), ("5S", 38.9, 43.2), ("3L", 38.6, 43.5)):
        store.add(scales=scales, ap=[ap, 60, 42, 22, 42, 50], params=int(params * 1e6))
    store.add(msfm=False, ap=[37.4, 58, 40, 21, 41, 48], params=41_500_000)
    store.add("cascade_rcnn_r50_fpn", msfm=False, ap=[40.4] * 6)
    out = tmp_path / "t"
    for sweep in ("scales", "frameworks"):
        run(parse_args([f"results_dir={store.path}", f"out_dir={out}", f"+sweep={sweep}"]))
    names = {p.name for p in (out / "plots").iterdir()}
    for stem in ("scales_ap_vs_params", "scales_ap_by_size", "table4_baseline_vs_msfm"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names
    assert "ratios_ap_vs_params.png" not in names  # only the chosen sweeps are plotted
    png = (out / "plots" / "scales_ap_vs_params.png").read_bytes()
    assert png.startswith(b"\x89PNG")


class _FakeRun:
    def __init__(self, **kwargs):
        self.kwargs, self.logged, self.summary, self.finished, self.id = kwargs, {}, {}, False, "fake1"

    def log(self, data):
        self.logged.update(data)

    def finish(self):
        self.finished = True


def test_wandb_summary_run(store, tmp_path, monkeypatch):
    runs = []
    fake = types.SimpleNamespace(
        init=lambda **kw: runs.append(_FakeRun(**kw)) or runs[-1],
        Table=lambda dataframe: ("table", len(dataframe)),
        Image=lambda path: ("image", path),
    )
    monkeypatch.setitem(sys.modules, "wandb", fake)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    store.add(scales="5S", ap=[38.9] * 6)
    run(parse_args([f"results_dir={store.path}", f"out_dir={tmp_path / 't'}", "+sweep=scales", "wandb=true"]))
    (r,) = runs
    assert r.kwargs["mode"] == "offline" and r.kwargs["group"] == "scales" and r.kwargs["job_type"] == "analysis"
    assert r.logged["tables/table2"] == ("table", 6)  # the sweep's part (5 rows) and the baseline
    assert any(k.startswith("plots/scales_ap_vs_params") for k in r.logged)
    # one option finished, none with stored detections: the table marks no best, nor does the summary
    assert r.summary == {"table2/Scales/answer": "unknown", "table2/Scales/best": []} and r.finished


def test_wandb_offline_for_real(store, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    offline_wandb(monkeypatch, tmp_path / "wandb-home")
    store.add(scales="5S", ap=[38.9] * 6)
    out = tmp_path / "t"
    run(parse_args([f"results_dir={store.path}", f"out_dir={out}", "+sweep=scales", "wandb=true"]))
    assert list((out / "wandb").glob("offline-run-*/run-*.wandb"))
