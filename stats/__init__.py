"""Statistics for the ablation tables: the stage between the results store and the tables.

Free of torch, mmdet, mmengine and the training code (``python -c "import stats"`` imports
none of them), so others can reuse the COCO paired-bootstrap engine on their own detections.

The engine, from stored detections to resampled COCO AP:
- ``stats.detections``: the ``.dets.npz`` artifact format (the training side writes it with
  ``write_artifact``; every reader uses ``load_detections``) and its ground truth.
- ``stats.matching`` / ``stats.greedy``: COCOeval's matching, kept per image so AP can be
  recomputed for any weighting of the val images.
- ``stats.bootstrap``: exact COCO AP under B image resamples (numba kernel).
- ``stats.replicates``: each run's replicate metrics (its six APs under the B paired
  resamples), read from its store ``<key>.reps.npz`` (``stats.replicates_file``, written by the
  run's job) or computed once and stored there; ``stats.evidence``: a table's or a sweep's
  evidence from its rows' runs, the one builder the tables and the rounds share.

What the numbers mean:
- ``stats.intervals``: a Delta AP's interval that covers both the val images (paired bootstrap
  variance) and training noise (seed variance, from the table's replicates or a stated prior).
- ``stats.verdicts``: what an interval says (better / worse / within +-resolve / unresolved /
  below the val set's floor) and which option of a table's part is best.
- ``stats.policy``: which rows get one more seed this round (``next_seeds``) and what resolving a
  table is expected to cost (``expected_cost``).

``stats.synthetic_detections`` generates COCO ground truth and detections (tests, benchmarks).
Method and its reasons: docs/statistics.md.
"""
