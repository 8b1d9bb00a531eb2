"""Resume-safe checkpoint loading for mmengine 0.10.7 on torch >= 2.6.

mmengine calls ``torch.load`` with default arguments, and torch 2.6 made ``weights_only=True``
the default: its resume checkpoints (message hub buffers, numpy scalars) are then refused.
Rather than turning the safety check off, we allow exactly the types mmengine stores.
"""
from __future__ import annotations


def allow_mmengine_checkpoints() -> None:
    """Allow-list the non-tensor types found in mmengine/mmdet checkpoints for ``torch.load``."""
    import numpy as np
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer

    if not hasattr(torch.serialization, "add_safe_globals"):
        return  # torch < 2.4 loads everything anyway
    safe = [HistoryBuffer, np.ndarray, np.dtype, np.core.multiarray._reconstruct,
            np.core.multiarray.scalar]
    safe += [type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32", "bool")]
    torch.serialization.add_safe_globals(safe)
