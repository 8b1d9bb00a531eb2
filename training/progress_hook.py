"""A training run's progress as plain events, for whoever watches (the local sweep console).

``ProgressHook`` turns mmengine's hook calls into ``report(event, **fields)`` calls with plain
numbers, so the watcher needs neither torch nor mmengine; a failing watcher never stops training.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, Optional

from mmengine.hooks import Hook

Report = Callable[..., None]  # report(event: str, **fields)
log = logging.getLogger(__name__)


class ProgressHook(Hook):
    """Reports ``start`` (iterations and epochs, where a resume begins), ``iter`` (at most
    every ``min_interval_s`` seconds: iteration, epoch, loss), ``epoch`` (epoch, mean loss)
    and ``val`` (the COCO metrics)."""

    priority = "VERY_LOW"

    def __init__(self, report: Report, min_interval_s: float = 0.5) -> None:
        self.report, self.min_interval_s = report, min_interval_s
        self._last, self._losses = 0.0, []

    def _send(self, event: str, **fields) -> None:
        try:
            self.report(event, **fields)
        except Exception as e:  # noqa: BLE001 - the console is never worth a training run
            log.warning(f"progress report failed: {type(e).__name__}: {e}")

    def before_train(self, runner) -> None:
        self._send("start", iter=runner.iter, max_iters=runner.max_iters,
                   epoch=runner.epoch, max_epochs=runner.max_epochs)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        loss = (outputs or {}).get("loss")
        loss = float(loss.item() if hasattr(loss, "item") else loss) if loss is not None else None
        if loss is not None:
            self._losses.append(loss)
        now = time.monotonic()
        if now - self._last >= self.min_interval_s or runner.iter + 1 == runner.max_iters:
            self._last = now
            self._send("iter", iter=runner.iter + 1, max_iters=runner.max_iters,
                       epoch=runner.epoch + 1, max_epochs=runner.max_epochs, loss=loss)

    def after_train_epoch(self, runner) -> None:
        mean = sum(self._losses) / len(self._losses) if self._losses else None
        self._losses = []
        self._send("epoch", epoch=runner.epoch + 1, max_epochs=runner.max_epochs, loss=mean)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._send("val", metrics={k.split("/")[-1]: float(v) for k, v in (metrics or {}).items()})
