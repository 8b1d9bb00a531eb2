"""What a run *is*, torch-free: the Variant and its parts, the MSFM spec with its one
validation rule and its translation to mmdet plugins, the run spec, and the one list of knobs.

Every stage imports this package (CLI, plan, launchers, training, the layer itself) and none
of it imports torch, mmcv or mmdet, so composing and validating a sweep stays fast.
"""
