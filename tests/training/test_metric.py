"""The evaluation code path: mmdet's CocoMetric on the synthetic val split."""
import numpy as np
import pytest
import torch

from training.synthetic_coco import ensure_dataset


def test_ground_truth_as_predictions_scores_ap_1(tmp_path):
    from mmdet.evaluation import CocoMetric
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    from pycocotools.coco import COCO

    root = ensure_dataset(tmp_path, num_train=3, num_val=9)
    ann_file = str(root / "annotations/instances_val.json")
    coco = COCO(ann_file)
    cat_ids = sorted(coco.getCatIds())
    metric = CocoMetric(ann_file=ann_file, metric=["bbox", "segm"])
    metric.dataset_meta = dict(classes=[c["name"] for c in coco.loadCats(cat_ids)])
    samples = []
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        boxes = [[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                 for a in anns]
        masks = np.stack([coco.annToMask(a) for a in anns]).astype(bool)
        pred = InstanceData(bboxes=torch.tensor(boxes), scores=torch.ones(len(anns)),
                            labels=torch.tensor([cat_ids.index(a["category_id"]) for a in anns]),
                            masks=torch.from_numpy(masks))
        sample = DetDataSample(metainfo=dict(img_id=img_id, ori_shape=(info["height"], info["width"])))
        sample.pred_instances = pred
        samples.append(sample.to_dict())
    metric.process({}, samples)
    results = metric.evaluate(len(samples))
    for task in ("bbox", "segm"):
        for suffix in ("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l"):
            assert results[f"coco/{task}_{suffix}"] == pytest.approx(1.0), (task, suffix, results)


def test_coco_metric_evaluates_with_faster_coco_eval():
    """Importing the training stage puts faster-coco-eval behind mmdet's CocoMetric."""
    from mmdet.evaluation.metrics import coco_metric

    import training  # noqa: F401

    assert coco_metric.COCOeval.__module__.startswith("faster_coco_eval")
