"""Statistics for the ablation tables, free of torch, mmdet and the training code.

- ``stats.intervals``: a Delta AP's interval that covers both the val images (paired bootstrap
  variance) and training noise (seed variance, from the table's replicates or a stated prior).
- ``stats.verdicts``: what an interval says (better / worse / within +-resolve / unresolved /
  below the val set's floor) and which option of a table's part is best.
- ``stats.policy``: which rows get one more seed this round (``next_seeds``) and what resolving a
  table is expected to cost (``expected_cost``).

Method and its reasons: docs/statistics.md.
"""
