"""Stored detections -> COCO AP under B resamples of the val images, for many runs at once.

A run's replicates are read from its store, ``<key>.reps.npz`` beside ``<key>.dets.npz``
(``stats.replicates_file``; the training job writes it right after evaluation), when it was made
from these very detections (sha256) and ground truth, with this B and resample seed. Runs
without one (older records, another B or seed, a corrupt or mismatched file: a one-line warning)
are computed once and written there, so the next look reads them too. Matching (COCOeval's
``evaluate``, once per run) is single-threaded Python + C++, so runs are matched in parallel
worker processes (one per core, ``spawn``: safe next to numba's threads); the resampling itself
runs in this process on numba's threads. Results are also kept per process, so tables sharing
runs look once; ``evidence_line`` says how many runs a look read and how many it computed.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from results.atomic import sha256
from stats import replicates_file
from stats.detections import ArtifactError, ground_truth, load_detections

DEFAULT_RESAMPLES = 1000  # B: what the training job stores and every look asks for by default
DEFAULT_SEED = 0  # the resample seed: the same image weights for every run on one val set
_CACHE: dict = {}
_SHA: dict = {}
_TALLY: dict = dict(read=set(), computed=set(), resamples=set())
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
    ``ArtifactError`` that prevented it. Read from the run's store where it holds them; else
    computed and stored there."""
    paths = [str(p) for p in paths]
    keys = {}
    for p in paths:
        try:
            st = Path(p).stat()
            keys[p] = (p, st.st_mtime_ns, st.st_size, metric, resamples, seed)
        except OSError as err:
            keys[p] = ArtifactError(f"{Path(p).name}: missing ({err.strerror})")
    _TALLY["resamples"].add(resamples)
    _TALLY["read"].update(p for p, k in keys.items() if k in _CACHE and not isinstance(_CACHE[k], Exception))
    todo = []
    for p in sorted({p for p, k in keys.items() if not isinstance(k, Exception) and k not in _CACHE}):
        stored = _read_stored(p, metric, resamples, seed)
        if stored is None:
            todo.append(p)
        else:
            _CACHE[keys[p]] = stored
            if not isinstance(stored, Exception):
                _TALLY["read"].add(p)
    if todo:
        _compute(todo, metric, resamples, seed, keys)
    return [keys[p] if isinstance(keys[p], Exception) else _CACHE[keys[p]] for p in paths]


def _compute(todo: list[str], metric: str, resamples: int, seed: int, keys: dict) -> None:
    from stats.bootstrap import coco_ap, resample_weights  # numba: only when there is work

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
            _store(path, metric, resamples, seed, result)
            _TALLY["computed"].add(path)
        _CACHE[keys[path]] = result


def _read_stored(path: str, metric: str, resamples: int, seed: int):
    """The stored (image ids, gt sha, APs) of this run, metric, B and seed; None where there are
    none to trust (a corrupt or mismatched file says so in one line); ``ArtifactError`` if
    the run's ground truth changed since it was evaluated (as when computing)."""
    store = replicates_file.replicates_path(path)
    if store is None or not store.is_file():
        return None
    try:
        entry = replicates_file.read(store, file_sha256(path)).get(
            replicates_file.entry_name(metric, resamples, seed))
    except FileNotFoundError:
        return None
    except replicates_file.ReplicatesFileError as err:
        log.warning("%s; recomputing", err)
        return None
    if entry is None:
        return None
    ann_file = _ann_file(path)
    if Path(ann_file).is_file() and file_sha256(ann_file) != entry.ann_sha256:
        return ArtifactError(f"annotation file {ann_file} changed since evaluation (sha256 differs)")
    return entry.image_ids, entry.ann_sha256, entry.aps


def _store(path: str, metric: str, resamples: int, seed: int, result: tuple) -> None:
    """Add this entry to the run's replicates file (keeping its other valid entries)."""
    store = replicates_file.replicates_path(path)
    if store is None:
        return
    digest = file_sha256(path)
    try:
        entries = replicates_file.read(store, digest)
    except (FileNotFoundError, replicates_file.ReplicatesFileError):
        entries = {}
    image_ids, ann_sha, aps = result
    new = replicates_file.Entry(np.asarray(image_ids, np.int64), ann_sha, aps)
    entries = {k: e for k, e in entries.items()
               if e.ann_sha256 == ann_sha and np.array_equal(e.image_ids, new.image_ids)}
    entries[replicates_file.entry_name(metric, resamples, seed)] = new
    try:
        replicates_file.write(store, digest, entries)
    except OSError as err:  # a read-only store still gets its look, computed
        log.warning("%s: replicates not stored (%s)", store.name, err.strerror or err)


def store_run(detections: str | Path, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> Path | None:
    """Compute (or confirm) and store a run's replicates beside its detections, for bbox and,
    where the run has masks, segm: what the training job calls right after evaluation. Returns
    the replicates file (None if the detections are not a stored run's)."""
    with np.load(detections, allow_pickle=False) as z:
        metrics = ["bbox", "segm"] if "mask_counts" in z.files else ["bbox"]
    for metric in metrics:
        (result,) = replicates([detections], metric, resamples, seed)
        if isinstance(result, Exception):
            raise result
    return replicates_file.replicates_path(detections)


def file_sha256(path: str | Path) -> str:
    """sha256 of a file, remembered per process while its size and mtime stay the same."""
    st = Path(path).stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _SHA:
        _SHA[key] = sha256(path)
    return _SHA[key]


def _ann_file(detections: str) -> str:
    with np.load(detections, allow_pickle=False) as z:
        return str(z["ann_file"])


def evidence_line() -> str:
    """What this process's looks rested on, in one line: "evidence: 28 runs read, 2 computed (B=1000)"."""
    computed = _TALLY["computed"]
    read = _TALLY["read"] - computed
    b = "/".join(str(x) for x in sorted(_TALLY["resamples"])) or "-"
    return f"evidence: {len(read)} run(s) read, {len(computed)} computed (B={b})"


def new_look() -> None:
    """Start counting a new look (what ``evidence_line`` reports); runs this process already
    looked at are counted as read."""
    for s in _TALLY.values():
        s.clear()


def tally() -> dict:
    """The runs (detections paths) this process read replicates of and computed them for."""
    return dict(read=set(_TALLY["read"] - _TALLY["computed"]), computed=set(_TALLY["computed"]))


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
    """Forget what this process looked at: computed replicates, file digests and the tally
    (tests that change files under the same names, or that count one look)."""
    _CACHE.clear()
    _SHA.clear()
    for s in _TALLY.values():
        s.clear()
