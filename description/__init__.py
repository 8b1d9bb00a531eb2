"""What a run *is*, torch-free: the Variant and its parts, the MSFM spec with its validation
and its translation to mmdet plugins, the run spec, and the one list of knobs.

Every stage but msfm imports this package (CLI, plan, launchers, training, results, stats,
analysis) and none of it imports torch, mmcv or mmdet, so composing and validating a sweep stays fast. The one rule
for an MSFM block is ``msfm.block_rule`` (torch-free), which the layer and this package share:
``msfm`` is the one installed package and imports nothing of the project outside itself.
"""
