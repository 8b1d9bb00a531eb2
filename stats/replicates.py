"""Stored detections -> COCO AP under B resamples of the val images, for many runs at once.

Matching (COCOeval's ``evaluate``, once per run) is single-threaded Python + C++, so runs are
matched in parallel worker processes (one per core, ``spawn``: safe next to numba's threads);
the resampling itself runs in this process on numba's threads. Results are cached per process
by (artifact, mtime, metric, B, seed), so tables sharing runs compute them once.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from stats.detections import ArtifactError, ground_truth, load_detections

_CACHE: dict = {}
log = logging.getLogger(__name__)


def match_artifact(path: str, metric: str):
    """(Matched, ground-truth sha256) of one stored run; ``ArtifactError`` if it cannot be read."""
    from stats.matching import match

    dets = load_detections(path)
    gt = ground_truth(dets.ann_file, dets.ann_sha256)
    return match(gt, dets.results(metric), metric, dets.img_ids if len(dets.img_ids) else None), dets.ann_sha256


def replicates(paths: list, metric: str, resamples: int, seed: int) -> list:
    """Per path: (val image ids, ground-truth sha, (6, 1 + B) APs) -- column 0 with every image
    weight 1 (COCO's own AP), then the B resamples (the same for every path: paired) -- or the
    ``ArtifactError``/``OSError`` that prevented it."""
    from stats.bootstrap import coco_ap, resample_weights  # numba: only when there is work

    paths = [str(p) for p in paths]
    keys = {}
    for p in paths:
        try:
            keys[p] = (p, Path(p).stat().st_mtime_ns, metric, resamples, seed)
        except OSError as err:
            keys[p] = ArtifactError(f"{Path(p).name}: missing ({err.strerror})")
    todo = sorted({p for p, k in keys.items() if not isinstance(k, Exception) and k not in _CACHE})
    if not todo:
        return [keys[p] if isinstance(keys[p], Exception) else _CACHE[keys[p]] for p in paths]
    start = time.perf_counter()
    matched = _match_all(todo, metric)
    log.info("matched %d run(s) (%s) in %.1f s; resampling B=%d", len(todo), metric,
             time.perf_counter() - start, resamples)
    for path, result in zip(todo, matched):
        if not isinstance(result, Exception):
            m, sha = result
            weights = np.hstack([np.ones((len(m.image_ids), 1)),
                                 resample_weights(len(m.image_ids), resamples, seed)])
            result = (m.image_ids, sha, coco_ap(m, weights))
        _CACHE[keys[path]] = result
    return [keys[p] if isinstance(keys[p], Exception) else _CACHE[keys[p]] for p in paths]


SERIAL_BYTES = 4_000_000  # below this much stored detections, starting workers costs more than it saves


def _match_all(paths: list[str], metric: str) -> list:
    small = sum(Path(p).stat().st_size for p in paths) < SERIAL_BYTES
    workers = 1 if small else min(len(paths), os.cpu_count() or 1)
    if workers <= 1:
        return [_safe(p, metric) for p in paths]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_safe, paths, [metric] * len(paths)))


def _safe(path: str, metric: str):
    try:
        return match_artifact(path, metric)
    except (ArtifactError, OSError) as err:
        return err if isinstance(err, ArtifactError) else ArtifactError(f"{Path(path).name}: {err}")


def clear_cache() -> None:
    """Forget computed replicates (tests that change files under the same names)."""
    _CACHE.clear()
