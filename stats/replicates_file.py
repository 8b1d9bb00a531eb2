"""A run's stored replicates, ``<key>.reps.npz`` beside ``<key>.dets.npz``: the format's one home.

The training job writes it right after evaluation (``training/detections_hook.py``); every look
(tables, ``analysis.compare``, ``resolve=`` rounds) reads it through ``stats.replicates`` and
writes it for runs that lack it. One file per run holds one entry per (metric, B, resample
seed): the run's six COCO APs with every image weight 1, then under the B standard paired
resamples of its val set. It is keyed by the detections' sha256 and the ground truth's sha256:
an entry is used only if both still match. Layout: ``docs/detections.md``.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from results.atomic import open_atomic
from stats.detections import SUFFIX as DETECTIONS_SUFFIX

FORMAT = "msfm-replicates/1"
SUFFIX = ".reps.npz"
METRICS = 6  # COCOeval's stats[0:6] (stats.bootstrap.METRICS)


class ReplicatesFileError(ValueError):
    """A replicates file that is unreadable, of another format, or of other detections."""


@dataclass(frozen=True)
class Entry:
    """One (metric, B, seed) of a run: its val images, ground-truth sha256 and (6, 1 + B) APs."""

    image_ids: np.ndarray
    ann_sha256: str
    aps: np.ndarray


def replicates_path(detections: str | Path) -> Path | None:
    """Where the replicates of ``<key>.dets.npz`` live (``<key>.reps.npz``); None for a file
    that is not named as a stored run's detections (nothing is stored beside it)."""
    detections = Path(detections)
    if not detections.name.endswith(DETECTIONS_SUFFIX):
        return None
    return detections.with_name(detections.name[:-len(DETECTIONS_SUFFIX)] + SUFFIX)


def entry_name(metric: str, resamples: int, seed: int) -> str:
    """The array name of one entry: ``aps_<metric>_B<resamples>_seed<seed>``."""
    return f"aps_{metric}_B{int(resamples)}_seed{int(seed)}"


def read(path: Path, detections_sha256: str) -> dict[str, Entry]:
    """Every entry of ``path`` (array name -> Entry), if it was made from detections whose
    sha256 is ``detections_sha256``. ``FileNotFoundError`` if there is none;
    ``ReplicatesFileError`` (one line naming the file) if it is corrupt, truncated, of another
    format or of other detections."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["format"]) != FORMAT:
                raise ReplicatesFileError(f"{path.name}: format {z['format']!s}, expected {FORMAT}")
            if str(z["detections_sha256"]) != detections_sha256:
                raise ReplicatesFileError(f"{path.name}: made from other detections (sha256 differs)")
            image_ids, ann = z["image_ids"].astype(np.int64), str(z["ann_sha256"])
            entries = {}
            for name in z.files:
                if not name.startswith("aps_"):
                    continue
                aps = z[name]
                resamples = int(name.split("_B")[1].split("_")[0])
                if aps.dtype != np.float64 or aps.shape != (METRICS, 1 + resamples):
                    raise ReplicatesFileError(f"{path.name}: {name} has shape {aps.shape}, "
                                              f"expected {(METRICS, 1 + resamples)}")
                entries[name] = Entry(image_ids, ann, aps)
            return entries
    except FileNotFoundError:
        raise
    except (OSError, KeyError, ValueError, IndexError, EOFError, zipfile.BadZipFile) as err:
        if isinstance(err, ReplicatesFileError):
            raise
        raise ReplicatesFileError(f"{path.name}: unreadable replicates ({type(err).__name__}: "
                                  f"{' '.join(str(err).split())})") from None


def write(path: Path, detections_sha256: str, entries: dict[str, Entry]) -> Path:
    """Write ``entries`` (array name -> Entry, all of one val set and ground truth) for the
    detections whose sha256 is ``detections_sha256``, atomically (temp file + ``os.replace``)."""
    first = next(iter(entries.values()))
    arrays = dict(format=np.array(FORMAT), detections_sha256=np.array(detections_sha256),
                  ann_sha256=np.array(first.ann_sha256), image_ids=np.asarray(first.image_ids, np.int64))
    for name, e in entries.items():
        if e.ann_sha256 != first.ann_sha256 or not np.array_equal(e.image_ids, first.image_ids):
            raise ValueError(f"{name}: another val set than the file's other entries")
        arrays[name] = np.asarray(e.aps, np.float64)
    with open_atomic(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return Path(path)
