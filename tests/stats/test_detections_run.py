"""A real (tiny) training run keeps its val detections and, computed in the job right after
evaluation, their replicates; analysis reads them back (computing nothing) and gets the record's
own COCO AP from them; the demo-style table says it is a pipeline check."""
import json

import pytest


@pytest.mark.slow
def test_real_run_writes_detections_that_reproduce_its_ap(trained_pair, tmp_path):
    from analysis.args import parse_args
    from analysis.tables import run
    from stats.detections import load_detections
    from stats import replicates_file
    from stats.replicates import DEFAULT_RESAMPLES, DEFAULT_SEED, clear_cache, file_sha256, replicates, tally

    root, proc = trained_pair  # the baseline and the default variant, 6 val images (PAIR)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = root / "results"
    (record,) = [r for r in (json.loads(p.read_text()) for p in results.glob("*.json"))
                 if r["variant"]["msfm"] is False]  # the baseline
    assert record["status"] == "finished" and record["detections"] == f"{record['key']}.dets.npz"
    dets = load_detections(results / record["detections"])
    assert len(dets.img_ids) == 6 and len(dets) > 0 and dets.masks is None
    assert not list(results.glob(".*.tmp"))  # written atomically: no temp file left behind
    # the job stored its evidence: bbox APs under the standard B = 1,000 paired resamples
    assert record["replicates"] == f"{record['key']}.reps.npz"
    stored = replicates_file.read(results / record["replicates"], file_sha256(results / record["detections"]))
    assert set(stored) == {replicates_file.entry_name("bbox", DEFAULT_RESAMPLES, DEFAULT_SEED)}
    clear_cache()  # a look from a fresh process: nothing in memory
    ((ids, _, aps),) = replicates([results / record["detections"]], "bbox", DEFAULT_RESAMPLES, DEFAULT_SEED)
    assert tally() == dict(read={str(results / record["detections"])}, computed=set())
    assert abs(aps[0, 0] / 100 - record["metrics"]["bbox_mAP"]) <= 5e-4 + 1e-9  # mmdet rounds to 3 decimals
    clear_cache()
    table = run(parse_args([f"results_dir={results}", f"out_dir={tmp_path / 'tables'}", "plots=false",
                            "+sweep=scales"]))["table2"]
    assert len(tally()["read"]) == 2 and tally()["computed"] == set()  # the re-render computed nothing
    base = table[table["baseline"]].iloc[0]
    assert base["state"] == "finished" and base["AP_lo"] <= base["AP_hi"]
    md = (tmp_path / "tables" / "table2_scales.md").read_text()
    assert "PIPELINE CHECK" in md and "synthetic dataset, smoke schedule" in md
