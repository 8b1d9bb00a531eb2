"""The wandb summary run gives each part's answer as the table does (best, or the tied set),
not the row with the top mean AP; read back from a real offline run."""
import json

import pytest

from analysis.args import parse_args
from analysis.synthetic_records import make_record, write_record
from stats.detections import write_artifact
from stats.synthetic_detections import make_detections, make_ground_truth
from tests.helpers import offline_wandb, read_wandb_summary


def _tied_store(root):
    """Baseline; 3S and 5S: the same detector quality (a tie, whichever has the higher mean);
    3L: clearly worse. One seed each, stored detections on 150 generated val images."""
    from stats.replicates import replicates

    results = root / "results"
    gt = make_ground_truth(150, 3, seed=5)
    gt_path = root / "gt.json"
    gt_path.write_text(json.dumps(gt))
    for quality, det_seed, fields in ((0.5, 1, dict(msfm=False)), (0.8, 2, dict(scales="3S")),
                                      (0.8, 3, dict(scales="5S")), (0.3, 4, dict(scales="3L"))):
        art = write_artifact(root / f"{det_seed}.npz", ann_file=str(gt_path), img_ids=[i["id"] for i in gt["images"]],
                             **make_detections(gt, quality=quality, seed=det_seed))
        ap = list(replicates([art], "bbox", 1, 0)[0][2][:, 0])  # the record's AP: these detections' own
        rec = make_record("faster_rcnn_r50_fpn", dataset="synthetic", ap=ap, **fields)
        rec["detections"] = f"{rec['key']}.dets.npz"
        results.mkdir(exist_ok=True)
        art.rename(results / rec["detections"])
        write_record(results, rec)
    return results


@pytest.fixture(scope="module")
def tied(tmp_path_factory):
    return _tied_store(tmp_path_factory.mktemp("tied"))


def test_summary_run_reports_the_tied_set_not_the_top_mean(tied, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    from analysis.tables import run

    offline_wandb(monkeypatch, tmp_path / "wandb-home")
    out = tmp_path / "t"
    table = run(parse_args([f"results_dir={tied}", f"out_dir={out}", "+sweep=scales", "wandb=true", "plots=false",
                            "bootstrap=200", "seed_sigma=0.3", "max_seeds=1"]))["table2"]
    (run_dir,) = (out / "wandb").glob("offline-run-*")
    summary = read_wandb_summary(str(run_dir))
    scales = table[(table["part"] == "Scales") & (table["state"] == "finished")]
    top = scales.loc[scales["AP"].idxmax(), "name"]
    assert set(scales[scales["best"] == "tied for best"]["name"]) == {"3S", "5S"}  # the table's answer
    assert summary["table2/Scales/answer"] == "tied for best"
    assert summary["table2/Scales/best"][0] == top and set(summary["table2/Scales/best"]) == {"3S", "5S"}
    assert not any(k.endswith(("best_AP", "best_variant")) for k in summary)  # no lone top mean
    assert "table2/answer" not in summary  # the baseline's part asks nothing


def test_no_intervals_no_answer(tied, tmp_path):
    """Without intervals (bootstrap=0) the table marks no best, and neither does the summary,
    though one row still has the top mean AP."""
    from analysis.tables import run
    from analysis.wandb_summary import UNKNOWN, part_answers

    table = run(parse_args([f"results_dir={tied}", f"out_dir={tmp_path}", "+sweep=scales", "plots=false",
                            "bootstrap=0"]))["table2"]
    assert table["best"].isna().all() and table["AP"].notna().sum() == 4
    assert part_answers("table2", table) == {"table2/Scales/answer": UNKNOWN, "table2/Scales/best": []}
