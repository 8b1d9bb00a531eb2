"""Result analysis for the MSFM ablation sweeps: records -> paper tables, plots, wandb summary.

Reads only the results store (one JSON record per variant run) and the paper's reference
values in ``paper_values.yaml``; never imports torch, mmdet or the training code.
Entry point: ``python -m analysis.tables results_dir=PATH [+sweep=NAME]``.
"""
