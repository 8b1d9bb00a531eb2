"""CIs that tell signal from noise: a no-better variant is not significant, a clearly better one
is; CIs narrow as the val set grows; rows without detections still tabulate with CI —."""
import json

import numpy as np
import pytest

from analysis.args import parse_args
from analysis.synthetic_records import make_record, write_record
from stats.bootstrap import coco_ap, resample_weights
from stats.detections import write_artifact
from stats.matching import match
from stats.synthetic_detections import make_detections, make_ground_truth

B = 200  # enough to separate "no better" from "clearly better" on 150 images


def add_run(results, gt_path, gt, quality, det_seed, msfm=True, seed=0, **fields):
    """A finished record with stored detections of the given quality (AP in the record: ours)."""
    from stats.replicates import replicates

    dets = make_detections(gt, quality=quality, seed=det_seed)
    art = write_artifact(results / f"{det_seed}.tmp.npz", ann_file=str(gt_path),
                         img_ids=[i["id"] for i in gt["images"]], **dets)
    ap = list(replicates([art], "bbox", 1, 0)[0][2][:, 0])  # the record's metrics: COCO AP of these detections
    rec = make_record("faster_rcnn_r50_fpn", msfm, seed=seed, dataset="synthetic", ap=ap, **fields)
    rec["variant"]["schedule"] = "smoke"
    rec["detections"] = f"{rec['key']}.dets.npz"
    art.rename(results / rec["detections"])
    write_record(results, rec)
    return rec


def _store(root, *runs):
    """A results store under ``root`` on one generated val set: one run per (quality, fields)."""
    results = root / "results"
    results.mkdir()
    gt = make_ground_truth(150, 3, seed=5)
    gt_path = root / "gt.json"
    gt_path.write_text(json.dumps(gt))
    for quality, fields in runs:
        add_run(results, gt_path, gt, quality, **fields)
    return root


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Baseline; 3S = the same detector quality (2 seeds); 5S = clearly better; 3L: an old record
    without detections."""
    root = _store(tmp_path_factory.mktemp("sig"), (0.5, dict(det_seed=1, msfm=False)),
                  (0.5, dict(det_seed=2, seed=0)), (0.5, dict(det_seed=3, seed=1)),
                  (0.95, dict(det_seed=4, scales="5S")))
    results = root / "results"
    old = make_record("faster_rcnn_r50_fpn", True, dataset="synthetic", scales="3L")
    old["variant"]["schedule"] = "smoke"
    write_record(results, old)
    return root, root / "gt.json"


@pytest.fixture(scope="module")
def table2(store):
    from analysis.tables import run

    root, _ = store
    opts = parse_args([f"results_dir={root / 'results'}", f"out_dir={root / 'tables'}", "plots=false",
                       f"bootstrap={B}", "+sweep=scales"])
    return run(opts)["table2"], root / "tables"


def test_same_detector_not_significant_better_one_is(table2):
    table, _ = table2
    rows = table.set_index("name")
    assert rows.loc["3S", "significant"] is False or rows.loc["3S", "significant"] == False  # noqa: E712
    assert rows.loc["3S", "delta_AP_lo"] < 0 < rows.loc["3S", "delta_AP_hi"]
    assert rows.loc["5S", "significant"] == True  # noqa: E712
    assert rows.loc["5S", "delta_AP_lo"] > 0 and rows.loc["5S", "delta_AP_p"] < 0.05
    for col in ("AP", "AP50", "APs"):  # the row's own APs carry CIs too
        assert rows.loc["5S", f"{col}_lo"] < rows.loc["5S", col] < rows.loc["5S", f"{col}_hi"]


def test_rendered_marks_caption_and_footnote(table2):
    _, out = table2
    tex, md, csv = ((out / f"table2_scales.{e}").read_text() for e in ("tex", "md", "csv"))
    assert r"$^\dagger$" in tex and r"\textcolor{gray}" in tex and "B = 200" in tex and "150 val images" in tex
    assert "PIPELINE CHECK" in tex and "synthetic dataset, smoke schedule" in tex
    assert "the paper's own results (COCO minival, 1x schedule)" in tex
    assert "Noise floor" in md and "[—]" not in md.split("| 5S |")[1].split("\n")[0]
    line_3s = next(ln for ln in md.splitlines() if ln.startswith("| 3S |"))
    assert "[" in line_3s and "†" not in line_3s
    assert "[—]" in next(ln for ln in md.splitlines() if ln.startswith("| 3L |"))  # old record: CI —
    assert "delta_AP_ci" in csv.splitlines()[0]


def test_verdict_seeds_and_source_in_every_format(table2):
    """Synthetic data has no prior: sigma_seed comes from 3S's two seeds (df = 1), and says so."""
    table, out = table2
    rows = table.set_index("name")
    assert rows.loc["5S", "verdict"] == "better" and rows.loc["3S", "verdict"] in ("unresolved", "below floor")
    assert rows.loc["5S", "delta_AP_source"] == "seeds (pooled, df=1)" and rows.loc["3S", "n"] == 2
    md = (out / "table2_scales.md").read_text()
    line_5s = next(ln for ln in md.splitlines() if ln.startswith("| 5S |"))
    assert "| 1 | better" in line_5s and "†" in line_5s
    line_3s = next(ln for ln in md.splitlines() if ln.startswith("| 3S |"))
    assert "| 2 | " in line_3s and "†" not in line_3s
    assert "Training noise: σ_seed" in md and "from seeds (pooled, df=1)" in md
    assert "99% (95% over up to max_seeds=5 looks" in md
    tex = (out / "table2_scales.tex").read_text()
    assert "Verdict" in tex and "from seeds (pooled, df=1)" in tex and tex.isascii()
    header, *lines = (out / "table2_scales.csv").read_text().splitlines()
    assert {"verdict", "best", "delta_AP_source"} <= set(header.split(","))
    assert any(",better," in ln and "seeds (pooled" in ln for ln in lines)


def test_a_row_s_own_interval_covers_training_noise(store, table2):
    """A row's six AP intervals carry sigma_seed^2 / n like its Delta (sigma_seed per metric,
    here from 3S's two seeds): 3S's reach past both of its seeds' values, and 5S's (one seed,
    so no seed spread of its own) are at least +-1.96 sigma_seed wide."""
    from results.frame import load_records

    table, _ = table2
    rows = table.drop_duplicates("name").set_index("name")
    frame = load_records(store[0] / "results").frame
    three = frame[frame["match"] == rows.loc["3S", "variant"]]
    for col in ("AP", "AP50", "AP75", "APs", "APm", "APl"):
        low, high = sorted(three[f"bbox_{col}"])
        assert rows.loc["3S", f"{col}_lo"] < low <= high < rows.loc["3S", f"{col}_hi"], col
        sigma = (high - low) / 2 ** 0.5
        assert (rows.loc["5S", f"{col}_hi"] - rows.loc["5S", f"{col}_lo"]) / 2 >= 1.96 * sigma, col


def test_intervals_and_verdicts_are_the_same_read_or_computed(store, table2, tmp_path, caplog):
    """``table2`` found no stored replicates: it computed every run's and stored them. A fresh
    look reads them all, computes nothing, says so, and fills exactly the same table."""
    import logging

    import pandas as pd

    from analysis.tables import run
    from stats.replicates import clear_cache, tally

    root, _ = store
    clear_cache()  # as a new process: nothing in memory
    with caplog.at_level(logging.INFO, logger="analysis"):
        again = run(parse_args([f"results_dir={root / 'results'}", f"out_dir={tmp_path}", "plots=false",
                                f"bootstrap={B}", "+sweep=scales"]))["table2"]
    assert tally()["computed"] == set() and len(tally()["read"]) == 4
    assert "evidence: 4 run(s) read, 0 computed (B=200)" in caplog.text
    pd.testing.assert_frame_equal(again, table2[0])
    written = {p.name: p.read_text() for p in tmp_path.glob("*.md")}
    assert written and written == {p.name: p.read_text() for p in table2[1].glob("*.md")}


@pytest.fixture(scope="module")
def one_seed(tmp_path_factory):
    """Baseline and a clearly better 5S, one seed each, on synthetic data: sigma_seed unknown."""
    return _store(tmp_path_factory.mktemp("one"), (0.5, dict(det_seed=1, msfm=False)),
                  (0.95, dict(det_seed=4, scales="5S")))


def _one_seed_table(root, tmp_path, *extra):
    from analysis.tables import run

    opts = parse_args([f"results_dir={root / 'results'}", f"out_dir={tmp_path}", "plots=false", f"bootstrap={B}",
                       "+sweep=scales", *extra])
    return run(opts)["table2"].set_index("name"), (tmp_path / "table2_scales.md").read_text()


def test_unknown_seed_noise_gives_no_claim_and_says_why(one_seed, tmp_path):
    rows, md = _one_seed_table(one_seed, tmp_path)
    assert rows.loc["5S", "verdict"] == "no claim" and rows.loc["5S", "significant"] == False  # noqa: E712
    assert rows.loc["5S", "delta_AP_source"] == "unknown"
    line_5s = next(ln for ln in md.splitlines() if ln.startswith("| 5S |"))
    assert "†" not in line_5s and "| 1 | no claim" in line_5s
    assert "Training noise: unknown" in md and "no row gets a claim" in md


def test_a_stated_prior_lets_one_seed_rows_claim(one_seed, tmp_path):
    rows, md = _one_seed_table(one_seed, tmp_path, "seed_sigma=0.3", "max_seeds=1")
    assert rows.loc["5S", "verdict"] == "better" and rows.loc["5S", "delta_AP_source"] == "prior seed_sigma=0.3"
    assert "from prior seed_sigma=0.3" in md and "with its 95% interval" in md
    wide = _one_seed_table(one_seed, tmp_path, "seed_sigma=40")[0]  # a huge seed spread swamps +30 AP
    assert wide.loc["5S", "verdict"] != "better"
    assert wide.loc["5S", "delta_AP_hi"] - wide.loc["5S", "delta_AP_lo"] > rows.loc["5S", "delta_AP_hi"] - rows.loc["5S", "delta_AP_lo"]


def test_compiles_with_pdflatex(table2, tmp_path):
    import shutil

    from analysis.latex import compile_pdf, have_pdflatex

    if not have_pdflatex():
        pytest.skip("pdflatex not installed -- run scripts/install_tex.sh (CI installs it)")
    _, out = table2
    for name in ("table2_scales.tex", "table2_scales_standalone.tex"):
        shutil.copy(out / name, tmp_path / name)
    assert compile_pdf(tmp_path / "table2_scales_standalone.tex").read_bytes().startswith(b"%PDF")


def test_missing_ground_truth_means_no_ci_not_a_crash(store, tmp_path):
    from analysis.tables import run
    from stats.replicates import clear_cache

    root, gt_path = store
    moved = gt_path.with_suffix(".moved")
    gt_path.rename(moved)
    clear_cache()
    try:
        table = run(parse_args([f"results_dir={root / 'results'}", f"out_dir={tmp_path}", "plots=false",
                                "bootstrap=20", "+sweep=scales"]))["table2"]
    finally:
        moved.rename(gt_path)
    assert table["delta_AP_lo"].isna().all() and table["AP"].notna().any()
    assert "is missing" in (tmp_path / "table2_scales.md").read_text()


def test_ci_narrows_as_the_val_set_grows():
    from faster_coco_eval import COCO

    widths = []
    for n in (40, 320):
        gt = make_ground_truth(n, 3, seed=7)
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        a, b = (make_detections(gt, quality=q, seed=s) for q, s in ((0.5, 1), (0.7, 2)))
        W = resample_weights(n, B, seed=0)
        aps = [coco_ap(match(coco, [dict(image_id=int(i), category_id=int(c), score=float(sc),
                                         bbox=[float(x0), float(y0), float(x1 - x0), float(y1 - y0)])
                                    for i, c, sc, (x0, y0, x1, y1) in zip(d["image_id"], d["category_id"], d["score"], d["bbox_xyxy"])],
                               "bbox"), W)[0] for d in (a, b)]
        lo, hi = np.nanpercentile(aps[1] - aps[0], [2.5, 97.5])  # the 95% percentile interval
        widths.append(hi - lo)
    assert widths[1] < 0.6 * widths[0], widths  # ~1/sqrt(8) in theory


def test_p_value_formula():
    from benchmarks.resampling import two_sided_p  # what bench_bootstrap reports

    rng = np.random.default_rng(0)
    assert two_sided_p(rng.normal(0, 1, 999)) > 0.5
    assert two_sided_p(rng.normal(5, 1, 999)) == pytest.approx(1 / 999)


def _row(printed: str, metric: str) -> str:
    return next(ln for ln in printed.splitlines() if ln.split()[:1] == [metric])


def test_compare_cli_end_to_end(store):
    import subprocess
    import sys
    from pathlib import Path

    root, _ = store
    cmd = [sys.executable, "-m", "analysis.compare", f"results_dir={root / 'results'}", "bootstrap=100"]
    cwd = Path(__file__).resolve().parents[2]
    ok = subprocess.run([*cmd, "a=msfm=false", "b=scales=5S"], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "PIPELINE CHECK" in ok.stdout and "150 val images" in ok.stdout
    assert "evidence: " in ok.stdout and "(B=100)" in ok.stdout  # what the look read / computed
    ap_line = _row(ok.stdout, "AP")
    assert "+3" in ap_line and "<0.001" in ap_line  # Delta ~ +30 AP
    # one seed a side, synthetic data (no prior): the interval covers the val images only, and
    # however far it is from 0 it is no claim about MSFM
    assert "no claim" in ap_line and "img" in ap_line and "img+seed" not in ap_line
    said = " ".join(ok.stdout.split())  # the notes wrap at the terminal's width
    assert "training noise is not covered" in said and "images alone Δ ≠ 0 for AP," in said
    prior = subprocess.run([*cmd, "a=msfm=false", "b=scales=5S", "seed_sigma=0.5"], cwd=cwd, capture_output=True,
                           text=True, timeout=300)
    ap_line = _row(prior.stdout, "AP")
    assert "img+seed" in ap_line and "better" in ap_line and "prior seed_sigma=0.5" in " ".join(prior.stdout.split())
    two = subprocess.run([*cmd, "a=msfm=false", "b=msfm=true,scales=3S"], cwd=cwd, capture_output=True, text=True, timeout=300)
    ap_line = _row(two.stdout, "AP")
    assert "b 2" in two.stdout and "seeds (pooled, df=1)" in " ".join(two.stdout.split())  # both seeds of 3S used
    assert "img+seed" in ap_line and "better" not in ap_line  # the same detector quality
    for spec, why in (("b=scales=nope", "no finished record matches"), ("b=msfm=true", "different variants"),
                      ("b=scales=3L", "no stored detections"), ("b=colour=red", "unknown field"),
                      ("b=scales=5S seed_sigma=-1", "seed_sigma"), ("b=scales=5S resolve=0", "resolve")):
        bad = subprocess.run([*cmd, "a=msfm=false", *spec.split(" ")], cwd=cwd, capture_output=True, text=True, timeout=300)
        assert bad.returncode == 2 and why in bad.stderr.splitlines()[0], bad.stderr


def test_sweeps_decide_on_the_same_evidence_the_table_shows(store, table2):
    """``table_evidence`` + ``stats`` give the sweeps exactly the verdicts the table prints."""
    from analysis.significance import table_evidence
    from description.paper_tables import load_specs
    from results.frame import load_records
    from stats.policy import assess, next_seeds

    root, _ = store
    spec = load_specs()["table2"]
    evidence = table_evidence(spec, load_records(root / "results").frame, resamples=B, seed=0)
    rows = table2[0].drop_duplicates("variant").set_index("variant")
    three_s = rows.index[rows["name"] == "3S"][0]
    assert evidence.rows[three_s].n == 2 and evidence.rows[three_s].replicates.shape == (B,)
    a = assess(evidence, 0.2)
    for key, st in a.rows.items():
        if st.interval is not None:
            assert st.verdict == rows.loc[key, "verdict"] and st.interval.lo == pytest.approx(rows.loc[key, "delta_AP_lo"])
    step = next_seeds(evidence, 0.2)
    assert set(step.launch) | set(step.held) == set(evidence.rows)  # every row is either launched or says why not
    assert not any(evidence.rows[k].n >= 5 for k in step.launch)


def _size_bars(rows):
    """{APs/APm/APl: [(bottom, top) of each row's error bar]} and the legend's texts, as drawn."""
    from matplotlib.container import ErrorbarContainer

    from analysis.plots import sizes_figure

    [ax] = sizes_figure(rows, "t").axes
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    spans = {col: [tuple(seg[:, 1]) for seg in b.lines[2][0].get_segments()]
             for col, b in zip(("APs", "APm", "APl"), bars, strict=True)}
    return spans, [t.get_text() for t in ax.get_legend().get_texts()]


def test_ap_by_size_bars_are_the_tables_intervals_at_one_seed(one_seed, tmp_path):
    """At one seed the std over seeds is 0, yet the row's AP is far from exact: each bar's error
    bar is the row's interval from the table (and its CSV), and the legend says it covers the val
    images only (sigma_seed unknown)."""
    import pandas as pd

    from analysis.plots import sweep_frame
    from analysis.tables import run
    from description.paper_tables import load_specs

    opts = parse_args([f"results_dir={one_seed / 'results'}", f"out_dir={tmp_path}", "plots=false",
                       f"bootstrap={B}", "+sweep=scales"])
    rows = sweep_frame(load_specs()["table2"], run(opts)["table2"], "scales").dropna(subset=["APs", "APm", "APl"])
    assert len(rows) == 2 and (rows["n"] == 1).all()
    csv = pd.read_csv(tmp_path / "table2_scales.csv").set_index("variant").loc[rows["variant"]]
    spans, legend = _size_bars(rows)
    for col in ("APs", "APm", "APl"):
        assert (rows[f"{col}_std"].fillna(0) == 0).all()
        drawn = np.array(spans[col])  # (rows, [bottom, top])
        assert drawn == pytest.approx(rows[[f"{col}_lo", f"{col}_hi"]].to_numpy(float))
        assert drawn == pytest.approx(csv[[f"{col}_lo", f"{col}_hi"]].to_numpy(float), abs=0.05)
        assert (drawn[:, 1] - drawn[:, 0]).min() > 1  # 150 val images: AP is not known to 1 point
    assert legend == [f"{col} (interval: val images)" for col in ("APs", "APm", "APl")]


def test_ap_by_size_legend_says_the_bars_cover_seeds_when_sigma_seed_is_known(table2):
    table, _ = table2  # 3S has two seeds: sigma_seed per metric is known
    from analysis.plots import sweep_frame
    from description.paper_tables import load_specs

    rows = sweep_frame(load_specs()["table2"], table, "scales").dropna(subset=["APs", "APm", "APl"])
    _, legend = _size_bars(rows[rows[["APs_lo", "APm_lo", "APl_lo"]].notna().all(axis=1)])
    assert legend == [f"{col} (interval: val images + seeds)" for col in ("APs", "APm", "APl")]
