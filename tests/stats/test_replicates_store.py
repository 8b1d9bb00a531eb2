"""A run's replicates are computed once and then read: ``<key>.reps.npz`` beside its detections.
A run without them is computed once and stored; a corrupt file, or one made from other
detections, is recomputed with a one-line warning and never trusted."""
import json
import logging

import numpy as np
import pytest

from stats import replicates_file
from stats.detections import write_artifact
from stats.replicates import clear_cache, file_sha256, new_look, replicates, tally
from stats.synthetic_detections import make_detections, make_ground_truth

B = 30


@pytest.fixture
def runs(tmp_path):
    """Two stored runs (detections only, as an older record has them) on one generated val set."""
    gt = make_ground_truth(60, 3, seed=3)
    gt_path = tmp_path / "gt.json"
    gt_path.write_text(json.dumps(gt))
    paths = [write_artifact(tmp_path / f"run{q}.dets.npz", ann_file=str(gt_path),
                            img_ids=[i["id"] for i in gt["images"]], **make_detections(gt, quality=q, seed=s))
             for q, s in ((0.5, 1), (0.8, 2))]
    clear_cache()
    yield gt, gt_path, paths
    clear_cache()


def look(paths, resamples=B, seed=0):
    """One look from a fresh process's point of view: no replicates remembered in memory."""
    clear_cache()
    new_look()
    out = replicates(paths, "bbox", resamples, seed)
    return out, tally()


def test_a_run_without_replicates_is_computed_once_then_read(runs):
    _, _, paths = runs
    first, seen = look(paths)
    assert seen["computed"] == {str(p) for p in paths} and not seen["read"]
    stored = [replicates_file.replicates_path(p) for p in paths]
    assert all(s.is_file() for s in stored) and stored[0].name == "run0.5.reps.npz"
    again, seen = look(paths)
    assert seen["read"] == {str(p) for p in paths} and not seen["computed"]
    for (ids, sha, aps), (ids2, sha2, aps2) in zip(first, again):
        assert np.array_equal(ids, ids2) and sha == sha2 and np.array_equal(aps, aps2)  # bit for bit
    other, seen = look(paths, resamples=B + 1)  # another B: computed once, kept beside the first
    assert seen["computed"] == {str(p) for p in paths} and other[0][2].shape == (6, B + 2)
    assert look(paths)[1]["read"] == look(paths, resamples=B + 1)[1]["read"] == {str(p) for p in paths}


def test_resamples_are_paired_and_stored_ones_match_a_fresh_computation(runs):
    """Column b of every run is the same image resample: the stored file equals what the engine
    computes now with ``resample_weights`` of the val set, B and seed."""
    from stats.bootstrap import coco_ap, resample_weights
    from stats.replicates import match_artifact

    _, _, paths = runs
    look(paths, seed=7)
    (ids, _, aps), = look(paths[1:], seed=7)[0]
    m, _ = match_artifact(str(paths[1]), "bbox")
    weights = np.hstack([np.ones((len(ids), 1)), resample_weights(len(ids), B, 7)])
    assert np.array_equal(aps, coco_ap(m, weights))


def test_a_corrupt_replicates_file_is_recomputed_with_a_warning(runs, caplog):
    _, _, paths = runs
    first, _ = look(paths)
    stored = replicates_file.replicates_path(paths[0])
    stored.write_bytes(stored.read_bytes()[:200])  # truncated, as by a full disk
    with caplog.at_level(logging.WARNING, logger="stats.replicates"):
        again, seen = look(paths)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and stored.name in warned[0] and "recomputing" in warned[0]
    assert "\n" not in warned[0]
    assert seen["computed"] == {str(paths[0])} and seen["read"] == {str(paths[1])}
    assert np.array_equal(first[0][2], again[0][2])
    assert look(paths)[1]["read"] == {str(p) for p in paths}  # and stored again, whole


def test_replicates_of_changed_detections_are_not_used(runs, caplog):
    gt, gt_path, paths = runs
    first, _ = look(paths)
    write_artifact(paths[0], ann_file=str(gt_path), img_ids=[i["id"] for i in gt["images"]],
                   **make_detections(gt, quality=0.95, seed=9))  # the run re-evaluated: other detections
    with caplog.at_level(logging.WARNING, logger="stats.replicates"):
        again, seen = look(paths)
    assert seen["computed"] == {str(paths[0])}
    assert any("other detections" in r.getMessage() for r in caplog.records)
    assert again[0][2][0, 0] > first[0][2][0, 0] + 5  # the better detections' AP, not the stored one
    assert look(paths)[1]["read"] == {str(p) for p in paths}


def test_a_file_of_another_shape_is_refused(runs):
    _, _, paths = runs
    look(paths)
    stored = replicates_file.replicates_path(paths[0])
    digest = file_sha256(paths[0])
    entries = replicates_file.read(stored, digest)
    name = replicates_file.entry_name("bbox", B, 0)
    bad = {name: replicates_file.Entry(entries[name].image_ids, entries[name].ann_sha256,
                                       entries[name].aps[:, :-1])}
    replicates_file.write(stored, digest, bad)
    with pytest.raises(replicates_file.ReplicatesFileError, match="shape"):
        replicates_file.read(stored, digest)
    assert look(paths)[1]["computed"] == {str(paths[0])}
