"""Training stage: Variant, mmdet config, model statistics and the run task."""
