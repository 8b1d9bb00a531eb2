"""Rows, states, mean +- std over seeds, Delta AP, bold, shared rows, paper values."""

import pandas as pd
import pytest

from analysis.collect import build_tables
from analysis.render import bold_mask, to_markdown, to_tex
from description.paper_tables import load_specs
from results.frame import load_records

BASE = [37.0, 58.0, 40.0, 21.0, 41.0, 48.0]
DEFAULT = {"position": "after_conv3", "scales": "3S", "ratios": "r16_32_64", "norm_group": "gn16",
           "conv_num": "cgn1", "fusion_type": "add"}


def tables_of(store, paper=True):
    specs = load_specs()
    return build_tables(specs, load_records(store.path).frame, paper=paper), specs


def row(frame: pd.DataFrame, part: str, name: str) -> pd.Series:
    hit = frame[(frame["part"] == part) & (frame["name"] == name)]
    assert len(hit) == 1, (part, name)
    return hit.iloc[0]


def test_mean_and_std_over_seeds(store):
    for seed, ap in enumerate([38.0, 39.0, 40.0]):
        store.add(seed=seed, ap=[ap, 60, 42, 22, 42, 50], **DEFAULT)
    store.add(seed=7, status="running", **DEFAULT)  # an unfinished rerun does not count
    (tables, specs) = tables_of(store)
    r = row(tables["table2"], "Scales", "3S")
    assert r["state"] == "finished" and r["n"] == 3
    assert r["AP"] == pytest.approx(39.0) and r["AP_std"] == pytest.approx(1.0)
    assert r["AP50_std"] == pytest.approx(0.0)
    assert "39.0 ± 1.0" in to_markdown(specs["table2"], tables["table2"])
    assert r"39.0$\pm$1.0" in to_tex(specs["table2"], tables["table2"])


def test_same_seed_rerun_counts_once_latest_wins(store):
    old = store.add(seed=0, ap=[30, 60, 42, 22, 42, 50], **DEFAULT)
    rec = __import__("json").loads(old.read_text())
    rec.update(key="rerun", updated="2024-02-01T00:00:00+00:00")
    rec["metrics"]["bbox_mAP"] = 0.35
    store.add_raw("rerun.json", rec)
    r = row(tables_of(store)[0]["table2"], "Scales", "3S")
    assert r["n"] == 1 and r["AP"] == pytest.approx(35.0)


def test_delta_against_same_detector_baseline(store):
    store.add(msfm=False, ap=BASE, params=41_500_000, position="ignored_for_baselines")
    store.add(ap=[38.8, 60, 42, 22, 42, 50], **DEFAULT)
    store.add("cascade_rcnn_r50_fpn", msfm=False, ap=[40.0] * 6)
    store.add("cascade_rcnn_r50_fpn", ap=[42.5] * 6, position="after_conv2+3", scales="5SL",
              norm_group="gn8_4_32", conv_num="cgn2")
    tables, _ = tables_of(store)
    t2 = tables["table2"]
    assert row(t2, "Scales", "3S")["delta_AP"] == pytest.approx(1.8)
    assert pd.isna(t2.loc[0, "delta_AP"]) and t2.loc[0, "baseline"]
    assert row(t2, "Scales", "3S")["paper_delta_AP"] == pytest.approx(38.8 - 37.4)
    t4 = tables["table4"]
    assert row(t4, "Cascade R-CNN", "+ MSFM*")["delta_AP"] == pytest.approx(2.5)
    assert row(t4, "Cascade R-CNN", "baseline")["params_M"] == pytest.approx(42.9)
    assert pd.isna(row(t4, "Faster R-CNN", "+ MSFM*")["delta_AP"])  # its MSFM* row has no record


def test_bold_marks_best_per_part_and_ties(store):
    store.add(ap=[39.0, 60.0, 42.0, 22.0, 42.0, 50.0], **DEFAULT)
    store.add(ap=[39.04, 61.0, 41.0, 22.0, 42.0, 50.0], **{**DEFAULT, "scales": "5S"})
    store.add(ap=[38.0, 59.0, 41.0, 23.0, 42.0, 50.0], **{**DEFAULT, "scales": "3L"})
    tables, specs = tables_of(store)
    t2 = tables["table2"]
    mask = bold_mask(t2)
    scales = t2["part"] == "Scales"
    bold_ap = set(t2.loc[scales & mask["AP"], "name"])
    assert bold_ap == {"3S", "5S"}  # 39.0 and 39.04 both print as 39.0
    assert set(t2.loc[scales & mask["AP50"], "name"]) == {"5S"}
    assert set(t2.loc[scales & mask["APs"], "name"]) == {"3L"}
    assert not mask.loc[t2["part"] == "Ratios"].any().any()  # one valued row: nothing to compare
    assert set(t2.loc[(t2["part"] == "Scales") & bold_mask(t2, "paper_")["paper_AP"], "name"]) == {"4"}
    md = to_markdown(specs["table2"], t2)
    assert "| 5S | **39.0** | **61.0** |" in md
    assert r"5S & \textbf{39.0} & \textbf{61.0}" in to_tex(specs["table2"], t2)


@pytest.mark.parametrize("status", ["pending", "running", "failed"])
def test_unfinished_rows_show_dash_and_state(store, status):
    store.add(status=status, **{**DEFAULT, "scales": "3L"})
    tables, specs = tables_of(store)
    r = row(tables["table2"], "Scales", "3L")
    assert r["state"] == status and pd.isna(r["AP"])
    assert f"| 3L *({status})* | — | — |" in to_markdown(specs["table2"], tables["table2"])
    assert rf"3L \textit{{({status})}} & --- & ---" in to_tex(specs["table2"], tables["table2"])
    assert row(tables["table2"], "Scales", "5S")["state"] == "missing"


def test_finished_wins_over_failed_seed(store):
    store.add(seed=0, status="failed", **DEFAULT)
    store.add(seed=1, ap=[39.0] * 6, **DEFAULT)
    assert row(tables_of(store)[0]["table2"], "Scales", "3S")["state"] == "finished"


def test_shared_variant_fills_every_row_that_names_it(store):
    store.add(ap=[38.8] * 6, **DEFAULT)
    t2 = tables_of(store)[0]["table2"]
    shared = [("Scales", "3S"), ("Ratios", "(16,32,64) pos 3"), ("Norm group", "16 pos 3"),
              ("Fusion type", "add pos 3")]
    assert all(row(t2, *key)["AP"] == pytest.approx(38.8) for key in shared)
    assert t2["AP"].notna().sum() == len(shared)


def test_table5_uses_segm_and_table6_test_dev_is_not_evaluable(store):
    best = {"position": "after_conv2+3", "scales": "5SL", "norm_group": "gn8_4_32", "conv_num": "cgn2"}
    store.add("mask_rcnn_r50_fpn", ap=[40.3] * 6, segm=[36.3] * 6, **best)
    store.add("mask_rcnn_r50_fpn", msfm=False, ap=[38.1] * 6)  # finished, but no segm_* metrics
    store.add("cascade_rcnn_r101_fpn", ap=[45.4] * 6, **best)
    tables, _ = tables_of(store)
    t5 = tables["table5"]
    assert t5.loc[1, "AP"] == pytest.approx(36.3) and t5.loc[0, "state"] == "no segm metrics"
    assert row(tables["table4"], "Mask R-CNN (bbox)", "+ MSFM*")["AP"] == pytest.approx(40.3)
    t6 = tables["table6"]
    assert row(t6, "minival", "+ MSFM*")["AP"] == pytest.approx(45.4)
    dev = row(t6, "test-dev", "+ MSFM*")
    assert dev["state"] == "not evaluable" and pd.isna(dev["AP"]) and dev["paper_AP"] == 45.7


def test_paper_false_drops_the_paper_columns(store):
    tables, specs = tables_of(store, paper=False)
    assert not any(c.startswith("paper_") for c in tables["table2"].columns)
    assert "Paper" not in to_tex(specs["table2"], tables["table2"])


def test_paper_values_transcription_is_consistent():
    """Rows naming the same variant carry the same paper values (a transcription check)."""
    seen = {}
    for spec in load_specs().values():
        for part in spec.parts:
            for r in part.rows:
                if r.paper and r.evaluable:
                    assert seen.setdefault((spec.metric, r.match), r.paper) == r.paper, (spec.name, r.name)
                    assert len(r.paper) == 6
    t2 = load_specs()["table2"]
    assert [p.name for p in t2.parts[1:]] == ["Scales", "Ratios", "Norm group", "Conv num", "Fusion type"]
    params = {r.paper_params for s in load_specs().values() for p in s.parts for r in p.rows} - {None}
    assert params == {41.5, 42.9, 43.9}


def test_a_row_is_a_structured_key_shared_by_records_and_rows(store):
    """Records and paper rows share one typed key (detector + MSFM values, no string to split):
    a value no paper row has, even one with a ``|`` in it, is an extra row of the part it varies,
    and the table's ``variant`` column is the key's one string form."""
    from description.paper_tables import RowKey

    odd = {**DEFAULT, "ratios": "r16|32"}
    store.add(msfm=False, ap=BASE)
    store.add(ap=[40.0] * 6, **odd)
    frame = load_records(store.path).frame
    key = RowKey.of(True, "faster_rcnn_r50_fpn", odd)
    assert set(frame["row_key"]) == {key, key.base} and key.base == RowKey("faster_rcnn_r50_fpn")
    assert key.values["ratios"] == "r16|32" and key.base.values == {}
    t2 = tables_of(store)[0]["table2"]
    (extra,) = t2[t2["variant"] == str(key)].itertuples()  # its one string form, as records' match
    assert extra.part == "Ratios" and "ratios=r16|32" in extra.name and extra.AP == 40.0
    assert extra.delta_AP == pytest.approx(40.0 - BASE[0])
    assert str(key) == frame.loc[frame["msfm"], "match"].iloc[0] != row(t2, "Scales", "3S")["variant"]
