"""Result analysis for the MSFM ablation sweeps: records -> paper tables, plots, wandb summary.

Reads only the results store (one JSON record per variant run, plus each run's stored val
detections for the confidence intervals, docs/detections.md) and the paper's reference values
in ``description/paper_values.yaml``; never imports torch, mmdet or the training code.
Entry points: ``python -m analysis.tables results_dir=PATH [+sweep=NAME]``,
``python -m analysis.compare results_dir=PATH a=SPEC b=SPEC`` and
``python -m analysis.pruning_replay results_dir=PATH`` (which pruner a search's own curves support).
"""
