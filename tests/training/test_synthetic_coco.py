"""The embedded synthetic COCO dataset: layout, geometry, determinism, cache repair, COCOeval."""
from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import io
import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from training import synthetic_coco
from training.synthetic_coco import CLASSES, class_names, ensure_dataset

SMALL = dict(num_train=4, num_val=3)  # enough for every size bucket, fast


def _coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def _files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return ensure_dataset(tmp_path_factory.mktemp("cache"))  # the default sizes


def test_layout_and_annotation_files_load(dataset):
    assert dataset.name == "synthetic-s0-64-16-160-3"
    for split, count in (("train", 64), ("val", 16)):
        coco = _coco(dataset / "annotations" / f"instances_{split}.json")
        assert len(coco.getImgIds()) == count
        assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == list(class_names(3))
        assert coco.getCatIds() == [1, 2, 3]
        for img in coco.loadImgs(coco.getImgIds()):
            assert 1 <= len(coco.getAnnIds(imgIds=img["id"])) <= 4
            with Image.open(dataset / split / img["file_name"]) as im:
                assert im.format == "PNG" and im.size == (img["width"], img["height"]) == (160, 160)
        assert all(a["iscrowd"] == 0 for a in coco.dataset["annotations"])
    assert (dataset / "MANIFEST.json").is_file()


@pytest.mark.parametrize("split", ["train", "val"])
def test_every_coco_size_bucket_and_class_present(dataset, split):
    anns = json.loads((dataset / "annotations" / f"instances_{split}.json").read_text())
    areas = [a["area"] for a in anns["annotations"]]
    assert min(areas) < 32**2 and max(areas) > 96**2
    assert any(32**2 <= a <= 96**2 for a in areas)
    large = [a["bbox"] for a in anns["annotations"] if a["area"] > 96**2]
    assert max(max(w, h) for _, _, w, h in large) >= 100  # large means ~100-150 px here
    assert {a["category_id"] for a in anns["annotations"]} == {1, 2, 3}


def test_boxes_inside_images_and_tight_around_polygons(dataset):
    coco = _coco(dataset / "annotations" / "instances_val.json")
    for img in coco.loadImgs(coco.getImgIds()):
        W, H = img["width"], img["height"]
        total = np.zeros((H, W), int)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img["id"])):
            x, y, w, h = ann["bbox"]
            assert 0 <= x and 0 <= y and x + w <= W and y + h <= H and w > 0 and h > 0
            poly = np.array(ann["segmentation"][0]).reshape(-1, 2)
            assert np.allclose([x, y, x + w, y + h], [*poly.min(0), *poly.max(0)], atol=0.011)
            px, py = poly[:, 0], poly[:, 1]
            shoelace = abs(np.dot(px, np.roll(py, -1)) - np.dot(py, np.roll(px, -1))) / 2
            assert ann["area"] == pytest.approx(shoelace, abs=0.01)
            mask = coco.annToMask(ann)
            ys, xs = np.nonzero(mask)
            # pycocotools rasterises at pixel centres: within a pixel and a half of the box
            assert abs(xs.min() - x) <= 1.5 and abs(xs.max() + 1 - (x + w)) <= 1.5
            assert abs(ys.min() - y) <= 1.5 and abs(ys.max() + 1 - (y + h)) <= 1.5
            assert mask.sum() == pytest.approx(ann["area"], rel=0.15, abs=8)
            total += mask
        assert total.max() == 1  # objects never overlap, so no ground-truth mask is occluded


def test_pixels_follow_the_polygon(dataset):
    """Inside each mask the object's colour family dominates: shapes are drawn from the polygon."""
    coco = _coco(dataset / "annotations" / "instances_val.json")
    for img in coco.loadImgs(coco.getImgIds()):
        pixels = np.asarray(Image.open(dataset / "val" / img["file_name"]), float)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img["id"])):
            inside = pixels[coco.annToMask(ann).astype(bool)]
            assert inside.std(0).max() < 30  # one flat colour (plus shading and noise)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_ground_truth_as_detections_scores_ap_1(dataset, iou_type):
    gt = _coco(dataset / "annotations" / "instances_val.json")
    results = []
    for ann in gt.dataset["annotations"]:
        det = {"image_id": ann["image_id"], "category_id": ann["category_id"], "score": 1.0}
        det.update(bbox=ann["bbox"]) if iou_type == "bbox" else det.update(
            segmentation=gt.annToRLE(ann))
        results.append(det)
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, gt.loadRes(results), iou_type)
        ev.evaluate(), ev.accumulate(), ev.summarize()
    assert ev.stats[:6] == pytest.approx([1.0] * 6)  # AP, AP50, AP75, APs, APm, APl all defined


def test_same_seed_identical_bytes_other_seed_differs(tmp_path):
    a = ensure_dataset(tmp_path / "a", seed=3, **SMALL)
    b = ensure_dataset(tmp_path / "b", seed=3, **SMALL)
    c = ensure_dataset(tmp_path / "c", seed=4, **SMALL)
    assert _files(a) == _files(b)
    assert _files(a).keys() == _files(c).keys()
    for rel in ("annotations/instances_train.json", "val/000000.png"):
        assert _files(a)[rel] != _files(c)[rel]


def test_images_do_not_depend_on_how_many_are_generated(tmp_path):
    few = ensure_dataset(tmp_path, num_train=2, num_val=1)
    more = ensure_dataset(tmp_path, num_train=5, num_val=1)
    for rel in ("train/000000.png", "train/000001.png", "val/000000.png"):
        assert (few / rel).read_bytes() == (more / rel).read_bytes()


def test_cached_dataset_is_reused(tmp_path, monkeypatch):
    first = ensure_dataset(tmp_path, **SMALL)
    monkeypatch.setattr(synthetic_coco, "_generate", lambda *a: pytest.fail("regenerated"))
    assert ensure_dataset(str(tmp_path), **SMALL) == first


@pytest.mark.parametrize("damage, problem", [
    (lambda d: (d / "annotations/instances_val.json").write_bytes(
        (d / "annotations/instances_val.json").read_bytes()[:100]), "instances_val.json"),
    (lambda d: (d / "train/000001.png").unlink(), "train/000001.png is missing"),
    (lambda d: (d / "MANIFEST.json").unlink(), "MANIFEST.json is missing"),
    (lambda d: (d / "MANIFEST.json").write_text("{"), "MANIFEST.json is unreadable"),
])
def test_damaged_dataset_is_regenerated_with_a_warning(tmp_path, caplog, damage, problem):
    d = ensure_dataset(tmp_path, **SMALL)
    good = _files(d)
    damage(d)
    with caplog.at_level("WARNING", logger=synthetic_coco.__name__):
        assert ensure_dataset(tmp_path, **SMALL) == d
    assert problem in caplog.text and "regenerating" in caplog.text
    assert _files(d) == good


def test_same_size_corruption_is_caught_by_the_hash(tmp_path, caplog):
    d = ensure_dataset(tmp_path, **SMALL)
    ann = d / "annotations/instances_train.json"
    ann.write_text(ann.read_text().replace('"iscrowd":0', '"iscrowd":1', 1))
    with caplog.at_level("WARNING"):
        ensure_dataset(tmp_path, **SMALL)
    assert "corrupt" in caplog.text and '"iscrowd":1' not in ann.read_text()


def test_interrupted_generation_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    def crash(rng, index, *args):
        if index == 2:
            raise KeyboardInterrupt
        return render(rng, index, *args)

    render = synthetic_coco._render
    monkeypatch.setattr(synthetic_coco, "_render", crash)
    with pytest.raises(KeyboardInterrupt):
        ensure_dataset(tmp_path, **SMALL)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []
    monkeypatch.setattr(synthetic_coco, "_render", render)
    killed = tmp_path / ".synthetic-s0-4-3-160-3.tmp-killed"  # a SIGKILLed run's leftovers
    (killed / "train").mkdir(parents=True)
    assert (ensure_dataset(tmp_path, **SMALL) / "MANIFEST.json").is_file()
    assert not killed.exists()


def test_concurrent_callers_share_one_dataset(tmp_path):
    call = functools.partial(ensure_dataset, tmp_path, seed=7, **SMALL)
    ctx = multiprocessing.get_context("spawn")  # real separate processes, as under SLURM
    with concurrent.futures.ProcessPoolExecutor(3, mp_context=ctx) as pool:
        dirs = [f.result() for f in [pool.submit(call) for _ in range(3)]]
    assert len(set(dirs)) == 1
    assert synthetic_coco._problem(dirs[0], json.loads(
        (dirs[0] / "MANIFEST.json").read_text())["params"]) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [".synthetic-s7-4-3-160-3.lock",
                                                         "synthetic-s7-4-3-160-3"]


@pytest.mark.parametrize("kwargs", [dict(seed=-1), dict(num_train=0), dict(num_val=0),
                                    dict(image_size=32), dict(image_size=160.0),
                                    dict(num_classes=0), dict(num_classes=len(CLASSES) + 1),
                                    dict(seed=True)])
def test_bad_arguments_raise_naming_the_field(tmp_path, kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ensure_dataset(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_class_names():
    assert class_names(3) == ("circle", "square", "triangle")
    assert class_names(len(CLASSES)) == CLASSES and len(set(CLASSES)) == len(CLASSES)
    with pytest.raises(ValueError, match="num_classes"):
        class_names(0)
