"""Reading the results store: corrupt, partial and multi-dataset records."""

import logging

from analysis.args import parse_args
from analysis.tables import run
from results.frame import load_records, select_dataset


def _warnings(caplog):
    return [r for r in caplog.records if r.levelno == logging.WARNING
            and r.name.startswith(("analysis", "results"))]


def test_corrupt_and_partial_records_are_skipped_with_one_warning(store, caplog):
    good = store.add(scales="5S")
    store.add_raw("corrupt.json", '{"key": "abc", "status": ')
    store.add_raw("binary.json", b"\xff\xfe{not utf-8")
    store.add_raw("no_status.json", {"key": "k1", "variant": {"msfm": False, "detector": "x"}, "metrics": {}})
    store.add_raw("no_metrics.json", {"key": "k2", "variant": {"msfm": False, "detector": "x"},
                                      "status": "finished", "metrics": {"bbox_mAP": 0.4}, "params": 1})
    store.add_raw("no_msfm_fields.json", {"key": "k3", "variant": {"msfm": True, "detector": "x"},
                                          "status": "pending", "metrics": {}})
    store.add_raw("a_list.json", [1, 2])
    with caplog.at_level(logging.INFO):
        records = load_records(store.path)
    assert records.frame["file"].tolist() == [good.name]
    skipped = dict(records.skipped)
    assert set(skipped) == {"corrupt.json", "binary.json", "no_status.json", "no_metrics.json",
                            "no_msfm_fields.json", "a_list.json"}
    assert skipped["corrupt.json"].startswith("corrupt")
    assert "status" in skipped["no_status.json"] and "metrics.bbox_mAP_50" in skipped["no_metrics.json"]
    assert "variant.position" in skipped["no_msfm_fields.json"]
    (warning,) = _warnings(caplog)
    assert all(name in warning.getMessage() for name in skipped)


def test_bad_records_do_not_stop_other_tables(store, tmp_path, caplog):
    store.add(msfm=False, ap=[37.0, 58.0, 40.0, 21.0, 41.0, 48.0], params=41_500_000)
    store.add_raw("broken.json", "not json")
    store.add_raw("partial.json", {"key": "p", "status": "finished"})
    out = tmp_path / "tables"
    with caplog.at_level(logging.INFO):
        tables = run(parse_args([f"results_dir={store.path}", f"out_dir={out}", "plots=false"]))
    assert sorted(tables) == ["table2", "table3", "table4", "table5", "table6"]
    for name in tables:
        assert (out / f"{name}.tex").exists() and (out / f"{name}.md").exists() and (out / f"{name}.csv").exists()
    assert tables["table2"].loc[0, "AP"] == 37.0
    assert len(_warnings(caplog)) == 1


def test_empty_store_gives_all_missing_rows(store, tmp_path):
    tables = run(parse_args([f"results_dir={store.path}", f"out_dir={tmp_path / 't'}", "plots=false"]))
    states = set(tables["table3"]["state"])
    assert states == {"missing"}
    assert "---" in (tmp_path / "t" / "table3.tex").read_text()


def test_dataset_with_most_records_is_default(store, caplog):
    for seed in range(3):
        store.add(seed=seed, dataset="coco")
    store.add(seed=9, dataset="lvis")
    frame = load_records(store.path).frame
    with caplog.at_level(logging.INFO, logger="results"):
        chosen = select_dataset(frame, None)
    assert set(chosen["dataset"]) == {"coco"}
    assert any("using coco" in r.getMessage() for r in caplog.records)
    assert set(select_dataset(frame, "lvis")["seed"]) == {9}


def test_coco_minus_one_means_no_value(store):
    store.add(ap=[38.0, 60.0, 42.0, -100.0, 42.0, 50.0])  # APs = -1: no small objects
    frame = load_records(store.path).frame
    assert frame.loc[0, "bbox_AP"] == 38.0 and frame["bbox_APs"].isna().all()


def test_different_values_are_different_rows_and_misnamed_old_records_are_refused(store, caplog):
    """A 3S run and a ``msfm.scales=[0.5,1.0]`` run are two rows; records written before names
    came from values, named 3S but trained with other scales, are refused, never merged."""
    from analysis.collect import build_tables
    from description.paper_tables import load_specs

    def config(scales):
        return {"msfm": {"scales": scales}, "detector": {"name": "faster_rcnn_r50_fpn"}}

    store.add(msfm=False, ap=[37.0] * 6)
    store.add(ap=[45.0] * 6, config=config([0.5, 0.7, 1.0]))
    store.add(ap=[69.0] * 6, scales="[0.5,1.0]", config=config([0.5, 1.0]))
    old = store.add(ap=[69.0] * 6, seed=1, naming=None, config=config([0.5, 1.0]))  # named 3S
    with caplog.at_level(logging.INFO):
        records = load_records(store.path)
    assert dict(records.skipped)[old.name].startswith("misnamed")
    table = build_tables({"table2": load_specs()["table2"]}, records.frame)["table2"]
    rows = table.set_index("label")
    assert rows.loc["3S", "AP"] == 45.0 and rows.loc["3S", "n"] == 1
    assert rows.loc["scales=[0.5,1.0]", "AP"] == 69.0 and rows.loc["scales=[0.5,1.0]", "part"] == "Scales"
    assert any(old.name in w.getMessage() for w in _warnings(caplog))
