"""``DetectionsCocoMetric`` (mmdet's CocoMetric + the artifact writer): what it stores gives back
exactly the bbox and segm APs mmdet reported, through the bootstrap's engine."""
import numpy as np
import pytest
import torch

from training.synthetic_coco import ensure_dataset


def _noisy_predictions(coco, cat_ids, rng):
    """Per image: every object's box and mask shifted a little, plus one false positive."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    samples = []
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        h, w = info["height"], info["width"]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        boxes, masks, labels = [], [], []
        for a in anns + anns[:1]:
            dx, dy = rng.integers(-3, 4, 2)
            x, y, bw, bh = a["bbox"]
            boxes.append([x + dx, y + dy, x + bw + dx, y + bh + dy])
            masks.append(np.roll(coco.annToMask(a), (dy, dx), (0, 1)).astype(bool))
            labels.append(cat_ids.index(a["category_id"]))
        if not anns:
            boxes, masks, labels = [[1, 1, 20, 20]], [np.zeros((h, w), bool)], [0]
        pred = InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32),
                            scores=torch.tensor(rng.uniform(0.05, 1, len(boxes)), dtype=torch.float32),
                            labels=torch.tensor(labels), masks=torch.from_numpy(np.stack(masks)))
        sample = DetDataSample(metainfo=dict(img_id=img_id, ori_shape=(h, w)))
        sample.pred_instances = pred
        samples.append(sample.to_dict())
    return samples


def test_artifact_reproduces_the_metrics_of_mmdet(tmp_path):
    from pycocotools.coco import COCO

    from stats.detections import load_detections
    from stats.replicates import replicates
    from training.detections_hook import register_metric

    root = ensure_dataset(tmp_path / "data", num_train=3, num_val=12)
    ann_file = str(root / "annotations/instances_val.json")
    coco = COCO(ann_file)
    cat_ids = sorted(coco.getCatIds())
    out = tmp_path / "results" / "k.dets.npz"
    metric = register_metric()(ann_file=ann_file, metric=["bbox", "segm"], detections_file=str(out))
    metric.dataset_meta = dict(classes=[c["name"] for c in coco.loadCats(cat_ids)])
    samples = _noisy_predictions(coco, cat_ids, np.random.default_rng(0))
    metric.process({}, samples)
    reported = metric.evaluate(len(samples))
    dets = load_detections(out)
    assert dets.masks is not None and len(dets.img_ids) == 12 and len(dets) == sum(len(s["pred_instances"]["labels"]) for s in samples)
    for task in ("bbox", "segm"):
        ((_, _, aps),) = replicates([out], task, 10, 0)
        ours = aps[:, 0] / 100
        theirs = [reported[f"coco/{task}_{s}"] for s in ("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l")]
        for a, b in zip(ours, theirs):
            assert (np.isnan(a) and b < 0) or a == pytest.approx(b, abs=5e-4 + 1e-9), (task, ours, theirs)
