"""The bootstrap's AP is COCO's AP: all weights 1 give faster-coco-eval's and pycocotools' stats,
integer weights give COCOeval's stats on the val set with images repeated that often."""
import json
import subprocess
import sys

import numpy as np
import pytest

from stats.bootstrap import coco_ap
from stats.detections import load_detections, write_artifact
from stats.matching import match
from stats.synthetic_detections import make_detections, make_ground_truth

STATS = 6  # AP, AP50, AP75, APs, APm, APl


@pytest.fixture(scope="module")
def val(tmp_path_factory):
    """80 images, 3 classes: crowd regions, images without objects, all three area ranges."""
    root = tmp_path_factory.mktemp("exact")
    gt = make_ground_truth(80, 3, seed=1)
    (root / "gt.json").write_text(json.dumps(gt))
    dets = make_detections(gt, quality=0.5, seed=2, masks=True)
    art = write_artifact(root / "v.dets.npz", ann_file=str(root / "gt.json"),
                         img_ids=[i["id"] for i in gt["images"]], **dets)
    return root, gt, load_detections(art)


def _coco(path):
    import contextlib
    import io

    from faster_coco_eval import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def _fcoco_stats(gt_path, results, iou_type):
    import contextlib
    import io

    from faster_coco_eval import COCOeval_faster

    gt = _coco(gt_path)
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval_faster(gt, gt.loadRes(results), iou_type)
        ev.evaluate(), ev.accumulate(), ev.summarize()
    return 100 * np.asarray(ev.stats[:STATS])


def test_data_covers_what_cocoeval_treats_specially(val):
    _, gt, dets = val
    anns = gt["annotations"]
    assert any(a["iscrowd"] for a in anns)
    assert len({a["image_id"] for a in anns}) < len(gt["images"])  # images without objects
    sides = [np.sqrt(a["area"]) for a in anns]
    assert min(sides) < 32 and any(32 < s < 96 for s in sides) and max(sides) > 96
    assert np.bincount(dets.image_id).max() <= 100 and dets.masks is not None


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_all_ones_equals_faster_coco_eval_and_pycocotools(val, tmp_path, iou_type):
    root, _, dets = val
    (tmp_path / "res.json").write_text(json.dumps(dets.results(iou_type)))  # loadRes edits its input
    ours = coco_ap(match(_coco(root / "gt.json"), dets.results(iou_type), iou_type), np.ones((80, 1)))[:, 0]
    assert np.abs(ours - _fcoco_stats(root / "gt.json", dets.results(iou_type), iou_type)).max() < 1e-4
    # the reference implementation, in a fresh process (the training stage swaps pycocotools out)
    code = ("import contextlib,io,json,sys; from pycocotools.coco import COCO; from pycocotools.cocoeval import COCOeval\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f" g=COCO({str(root / 'gt.json')!r}); e=COCOeval(g, g.loadRes({str(tmp_path / 'res.json')!r}), {iou_type!r})\n"
            " e.evaluate(); e.accumulate(); e.summarize()\n"
            "print(json.dumps([100*x for x in e.stats[:6]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert np.abs(ours - np.array(json.loads(out))).max() < 1e-4, (ours, out)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_integer_weights_equal_repeating_images(val, iou_type):
    """Weight w = the image drawn w times (0: left out), which is what a bootstrap resample is."""
    root, gt, dets = val
    w = np.random.default_rng(3).integers(0, 4, len(gt["images"]))
    copies, rep_results, next_id = [], [], 10_000
    ann_by_img = {}
    for a in gt["annotations"]:
        ann_by_img.setdefault(a["image_id"], []).append(a)
    results = dets.results(iou_type)
    res_by_img = {}
    for r in results:
        res_by_img.setdefault(r["image_id"], []).append(r)
    rep = dict(categories=gt["categories"], images=[], annotations=[])
    for img, k in zip(gt["images"], w):
        for _ in range(k):
            next_id += 1
            rep["images"].append({**img, "id": next_id})
            for a in ann_by_img.get(img["id"], []):
                rep["annotations"].append({**a, "id": len(rep["annotations"]) + 1, "image_id": next_id})
            copies.append(next_id)
            rep_results += [{**r, "image_id": next_id} for r in res_by_img.get(img["id"], [])]
    (root / f"rep_{iou_type}.json").write_text(json.dumps(rep))
    expected = _fcoco_stats(root / f"rep_{iou_type}.json", rep_results, iou_type)
    ours = coco_ap(match(_coco(root / "gt.json"), dets.results(iou_type), iou_type), w[:, None].astype(float))[:, 0]
    assert np.abs(ours - expected).max() < 1e-4, (ours, expected)
