"""One record type, one reader: the store, the records frame and every consumer read records the
same way; old records load; "latest record per seed" is one function."""
import json

import pytest

from results.frame import finished_runs, load_records
from results.record import (ENDED, FINISHED, IN_FLIGHT, STATUSES, CorruptRecord, Record, ap_of,
                            new_record, read_record)
from results.store import ResultStore

BASELINE = {"msfm": False, "detector": "faster_rcnn_r50_fpn", "dataset": "coco", "schedule": "1x"}
SUFFIXES = ("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l")


def finished(key: str, ap: float, seed, updated: str, **fields) -> dict:
    metrics = {f"bbox_{s}": ap for s in SUFFIXES}
    return new_record(key, FINISHED, BASELINE, seed=seed, metrics=metrics, params=41_000_000,
                      updated=updated, **fields)


def write(tmp_path, name: str, content) -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    (tmp_path / name).write_text(text)


def test_status_groups_split_the_statuses():
    assert set(ENDED) | set(IN_FLIGHT) == set(STATUSES) and not set(ENDED) & set(IN_FLIGHT)


def test_an_old_record_without_the_newer_fields_loads_everywhere(tmp_path):
    old = {"key": "old1", "status": "finished", "variant": BASELINE, "params": 41_000_000,
           "metrics": {f"bbox_{s}": 0.37 for s in SUFFIXES}}  # no seed, naming, detections, ...
    write(tmp_path, "old1.json", old)
    record = ResultStore(tmp_path).read("old1")
    assert isinstance(record, Record) and record == old  # stored fields as they were
    assert (record.key, record.ap, record.seed, record.ended, record.in_flight) == \
        ("old1", 0.37, None, True, False)
    assert record.detections is None and record.replicates is None
    frame = load_records(tmp_path).frame
    assert frame.loc[0, "bbox_AP"] == pytest.approx(37.0) and frame.loc[0, "detections"] is None
    assert len(finished_runs(frame)) == 1


def test_the_stored_paths_are_relative_to_the_store_and_none_where_absent(tmp_path):
    write(tmp_path, "new.json", finished("new", 0.4, 0, "2026-01-01", detections="new.dets.npz",
                                         replicates="new.reps.npz"))
    write(tmp_path, "failed.json", finished("failed", 0.4, 1, "2026-01-01", detections="failed.dets.npz",
                                            replicates=None))  # store_replicates failed: the next look computes
    new, failed = ResultStore(tmp_path).read("new"), ResultStore(tmp_path).read("failed")
    assert (new.detections, new.replicates) == ("new.dets.npz", "new.reps.npz")
    assert (failed.detections, failed.replicates) == ("failed.dets.npz", None)
    frame = load_records(tmp_path).frame.set_index("key")
    assert frame.loc["new", "detections"] == str(tmp_path / "new.dets.npz")


def test_the_store_and_the_frame_refuse_the_same_files_for_the_same_reasons(tmp_path):
    write(tmp_path, "good.json", finished("good", 0.4, 0, "2026-01-01"))
    write(tmp_path, "truncated.json", '{"key": "t", "stat')
    write(tmp_path, "list.json", [1, 2])
    write(tmp_path, "no_status.json", {"key": "s", "variant": BASELINE, "metrics": {}})
    write(tmp_path, "odd_status.json", {"key": "o", "status": "done", "variant": BASELINE, "metrics": {}})
    # a valid record a table cannot use: the store keeps it, the frame skips it
    write(tmp_path, "no_aps.json", new_record("n", FINISHED, BASELINE, metrics={"bbox_mAP": 0.4}))
    store = ResultStore(tmp_path)
    found, bad = store.scan()
    assert [p.name for p, _ in found] == ["good.json", "no_aps.json"]
    assert dict(bad) == {"list.json": "partial: not a JSON object",
                         "no_status.json": "partial: missing status",
                         "odd_status.json": "partial: unknown status 'done'",
                         "truncated.json": "corrupt: JSONDecodeError"}
    with pytest.raises(CorruptRecord, match="odd_status.json: unknown status"):
        read_record(tmp_path / "odd_status.json")
    skipped = dict(load_records(tmp_path).skipped)
    assert {k: v for k, v in skipped.items() if k != "no_aps.json"} == dict(bad)
    assert skipped["no_aps.json"].startswith("partial: missing metrics.bbox_mAP_50")


def test_finished_runs_keeps_the_latest_record_of_each_seed(tmp_path):
    store = ResultStore(tmp_path)
    for key, ap, seed, updated in [("a0", 0.30, 0, "2026-01-01"), ("a0again", 0.35, 0, "2026-01-03"),
                                   ("a1", 0.40, 1, "2026-01-02"), ("k1", 0.20, None, "2026-01-01"),
                                   ("k2", 0.25, None, "2026-01-02")]:
        write(tmp_path, f"{key}.json", finished(key, ap, seed, updated))
    store.write(new_record("a2", "running", BASELINE, seed=2))
    store.write(new_record("a3", "pruned", BASELINE, seed=3, metrics={"bbox_mAP": 0.1}))
    runs = finished_runs(load_records(tmp_path).frame)
    assert sorted(zip(runs["run"], runs["bbox_AP"].round(1))) == \
        [("0.0", 35.0), ("1.0", 40.0), ("key:k1", 20.0), ("key:k2", 25.0)]


def test_ap_is_read_one_way_from_records_and_anything_shaped_like_one():
    assert ap_of(finished("k", 0.4, 0, "x")) == 0.4 == finished("k", 0.4, 0, "x").ap
    assert ap_of({"status": "corrupt", "error": "k.json: ..."}) is None  # a status row
    assert ap_of({"metrics": None}) is None and new_record("k", "pending", {}).ap is None
