"""Training stage: Variant, mmdet config, model statistics and the run task.

COCO evaluation runs on faster-coco-eval in pycocotools' place: identical numbers, 2-6x faster
(benchmarks/results/coco_eval.json). It must be installed before mmdet imports pycocotools.
"""
import faster_coco_eval

faster_coco_eval.init_as_pycocotools()
