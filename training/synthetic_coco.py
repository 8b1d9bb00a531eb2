"""A small, seeded COCO-format detection + instance-segmentation dataset, generated on first use.

The default dataset for CPU training and for tests: coloured shapes (one colour family per class)
on gradient / noise / stripe backgrounds, 1-4 per image, at COCO small, medium and large sizes
(image ``i``'s first object is small, medium or large by ``i % 3``, so any split of >= 3 images
at ``image_size >= 160`` defines APs, APm and APl). Every shape is drawn FROM its annotation
polygon, so box, mask and pixels agree, and objects never touch, so no mask is occluded.

Each image has its own ``default_rng((seed, split, index))``: the data do not depend on the order
or the number of images generated. PNG output and rounded coordinates make the files
byte-identical for a seed. The cache is written to a temporary directory and renamed into place,
``MANIFEST.json`` last; a directory whose manifest, files or annotation hashes do not check out
is regenerated, with a warning. An ``fcntl`` lock in ``root`` serialises concurrent callers.
"""
from __future__ import annotations

import colorsys
import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from description.variant import SYNTHETIC_LIMITS
from results.atomic import sha256

log = logging.getLogger(__name__)

CLASSES = ("circle", "square", "triangle", "ellipse", "star", "hexagon")
assert len(CLASSES) == SYNTHETIC_LIMITS["num_classes"][2], "keep description.variant's limits in step"
_HUES = (0.0, 0.33, 0.62, 0.12, 0.83, 0.5)  # colour family per class: red, green, blue, ...
_VERTICES = (32, 4, 3, 32, 10, 6)  # round shapes as 32-gons
_VERSION = 1  # bump when the output changes, so old caches are regenerated
_MARGIN = 1.0  # px kept free at the image border
# polygon area ranges, well inside COCO's small < 32**2 <= medium < 96**2 <= large
_BUCKETS = ((120.0, 800.0), (1300.0, 8000.0), (9600.0, float("inf")))
_SPLITS = ("train", "val")
_MANIFEST = "MANIFEST.json"


def class_names(num_classes: int) -> tuple[str, ...]:
    """The first ``num_classes`` of :data:`CLASSES`; category id ``k`` is ``names[k - 1]``."""
    if not 1 <= num_classes <= len(CLASSES):
        raise ValueError(f"num_classes must be in 1..{len(CLASSES)}, got {num_classes}")
    return CLASSES[:num_classes]


def _unit_shape(cls: int, rng: np.random.Generator) -> np.ndarray:
    """(k, 2) vertices of class ``cls`` around the origin, outer radius ~1, randomly rotated."""
    name, k = CLASSES[cls], _VERTICES[cls]
    angles = rng.uniform(0, 2 * np.pi) + np.arange(k) * 2 * np.pi / k
    if name == "triangle":  # not quite equilateral
        angles = angles + rng.uniform(-0.15, 0.15, k)
    radii = np.ones(k)
    if name == "star":
        radii[1::2] = rng.uniform(0.45, 0.6)
    pts = np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
    if name == "ellipse":  # squash along a random axis
        a = rng.uniform(0, np.pi)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        pts = (pts @ rot.T * [1.0, rng.uniform(0.45, 0.7)]) @ rot
    return pts


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]  # shoelace
    return float(abs(x[:-1] @ y[1:] - y[:-1] @ x[1:] + x[-1] * y[0] - y[-1] * x[0]) / 2)


def _place(rng, cls: int, bucket: int, size: int, occupied: np.ndarray) -> np.ndarray | None:
    """A rounded polygon of the bucket's area that fits the image and misses ``occupied``.

    Falls back to the next smaller bucket every 20 failed attempts; None if nothing fits.
    """
    for attempt in range(60):
        b = max(bucket - attempt // 20, 0)
        unit = _unit_shape(cls, rng)
        extent = float((unit.max(0) - unit.min(0)).max())
        lo, hi = _BUCKETS[b]
        hi = min(hi, 0.6 * size**2, _area(unit) * ((size - 2 * _MARGIN) / extent) ** 2)
        if hi < lo:
            continue
        pts = unit * np.sqrt(np.exp(rng.uniform(np.log(lo), np.log(hi))) / _area(unit))
        low, high = _MARGIN - pts.min(0), size - _MARGIN - pts.max(0)
        poly = np.round(pts + rng.uniform(low, high), 2)
        if poly.min() < 0 or poly.max() > size or not lo <= _area(poly) <= hi:
            continue
        if not (_mask(poly, size) & occupied).any():
            return poly
    return None


def _mask(poly: np.ndarray, size: int, width: int = 0) -> np.ndarray:
    img = Image.new("L", (size, size))
    ImageDraw.Draw(img).polygon([tuple(p) for p in poly], fill=1, outline=1 if width else None,
                                 width=max(width, 1))
    return np.asarray(img, dtype=bool)


def _colour(rng, hue: float, sat: tuple[float, float], val: tuple[float, float]) -> np.ndarray:
    rgb = colorsys.hsv_to_rgb(hue % 1.0, rng.uniform(*sat), rng.uniform(*val))
    return np.array(rgb, dtype=np.float32) * 255


def _background(rng, size: int) -> np.ndarray:
    """(size, size, 3) float: a gradient, smooth noise or stripes between two dull colours."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    c0, c1 = (_colour(rng, rng.uniform(), (0.0, 0.45), (0.15, 0.95)) for _ in range(2))
    kind, a = rng.integers(3), rng.uniform(0, 2 * np.pi)
    ramp = np.cos(a) * xx + np.sin(a) * yy
    if kind == 0:
        t = (ramp - ramp.min()) / (np.ptp(ramp) + 1e-6)
    elif kind == 1:
        cells = (rng.random((rng.integers(3, 9),) * 2) * 255).astype(np.uint8)
        smooth = Image.fromarray(cells).resize((size, size), Image.BILINEAR)
        t = np.asarray(smooth, np.float32) / 255
    else:
        t = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3, 10) * ramp + rng.uniform(0, 2 * np.pi))
    return c0 + t[..., None] * (c1 - c0)


def _render(rng, index: int, size: int, num_classes: int) -> tuple[np.ndarray, list]:
    """One image (uint8 HWC) and its objects as (category index, polygon) pairs."""
    img = _background(rng, size)
    occupied = np.zeros((size, size), bool)
    objects = []
    for j in range(rng.integers(1, 5)):
        # the first object cycles through buckets and classes so every split covers them
        cls = (index // 3) % num_classes if j == 0 else int(rng.integers(num_classes))
        poly = _place(rng, cls, index % 3 if j == 0 else int(rng.integers(3)), size, occupied)
        if poly is None:
            continue
        inside = _mask(poly, size)
        occupied |= _mask(poly, size, width=3)  # keep a gap, so objects never touch
        axis = np.mgrid[0:size, 0:size][rng.integers(2)] / size - 0.5
        shade = 1 + rng.uniform(-0.2, 0.2) * axis  # lit from one side
        colour = _colour(rng, _HUES[cls] + rng.uniform(-0.05, 0.05), (0.55, 1.0), (0.55, 1.0))
        img[inside] = (colour * shade[..., None])[inside]
        objects.append((cls, poly))
    img = img + rng.normal(0, rng.uniform(2, 8), img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), objects


def _generate(out: Path, seed: int, counts: tuple[int, int], size: int, num_classes: int) -> None:
    """Write images, annotation files and (last) the manifest into ``out``."""
    categories = [{"id": k + 1, "name": n, "supercategory": "shape"}
                  for k, n in enumerate(class_names(num_classes))]
    (out / "annotations").mkdir(parents=True)
    for split_id, (split, count) in enumerate(zip(_SPLITS, counts)):
        (out / split).mkdir()
        images, annotations = [], []
        for i in range(count):
            rng = np.random.default_rng((seed, split_id, i))  # order-independent
            pixels, objects = _render(rng, i, size, num_classes)
            name = f"{i:06d}.png"
            # noisy pixels barely compress: fast zlib level, still lossless and deterministic
            Image.fromarray(pixels).save(out / split / name, format="PNG", compress_level=1)
            images.append({"id": i + 1, "file_name": name, "width": size, "height": size})
            for cls, poly in objects:
                (x0, y0), (x1, y1) = poly.min(0), poly.max(0)
                annotations.append({
                    "id": len(annotations) + 1, "image_id": i + 1, "category_id": cls + 1,
                    "bbox": [round(float(v), 2) for v in (x0, y0, x1 - x0, y1 - y0)],
                    "area": round(_area(poly), 2), "iscrowd": 0,
                    "segmentation": [[float(v) for v in poly.ravel()]]})
        coco = {"info": {"description": f"synthetic shapes v{_VERSION}, seed {seed}"},
                "licenses": [], "images": images, "annotations": annotations,
                "categories": categories}
        text = json.dumps(coco, separators=(",", ":"))
        (out / "annotations" / f"instances_{split}.json").write_text(text)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    manifest = {"version": _VERSION, "params": _params(seed, counts, size, num_classes),
                "files": {f: (out / f).stat().st_size for f in files},
                "sha256": {f: sha256(out / f) for f in files if f.startswith("annotations/")}}
    (out / _MANIFEST).write_text(json.dumps(manifest, indent=1))


def _params(seed, counts, size, num_classes) -> dict:
    return {"seed": seed, "num_train": counts[0], "num_val": counts[1],
            "image_size": size, "num_classes": num_classes}


def _problem(target: Path, params: dict) -> str | None:
    """Why ``target`` is not a complete dataset for ``params``, or None if it is."""
    try:
        manifest = json.loads((target / _MANIFEST).read_text())
    except FileNotFoundError:
        return f"{_MANIFEST} is missing"
    except (OSError, ValueError):
        return f"{_MANIFEST} is unreadable"
    try:
        if manifest["version"] != _VERSION or manifest["params"] != params:
            return "it was made by another generator version or with other parameters"
        for rel, size in manifest["files"].items():
            if not (target / rel).is_file():
                return f"{rel} is missing"
            if (target / rel).stat().st_size != size:
                return f"{rel} has the wrong size (truncated?)"
        for rel, digest in manifest["sha256"].items():
            if sha256(target / rel) != digest:
                return f"{rel} is corrupt (sha256 mismatch)"
    except (KeyError, TypeError, AttributeError):
        return f"{_MANIFEST} is malformed"
    except OSError as exc:  # e.g. removed while we were reading it
        return f"a file could not be read ({exc})"
    return None


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when fh closes, also if the process dies
        yield


def ensure_dataset(root: str | Path, *, seed: int = 0, num_train: int = 64, num_val: int = 16,
                   image_size: int = 160, num_classes: int = 3) -> Path:
    """Return the dataset directory under ``root``, generating it first if needed.

    The directory ``root/synthetic-s{seed}-{num_train}-{num_val}-{image_size}-{num_classes}``
    holds ``annotations/instances_{train,val}.json``, ``train/*.png``, ``val/*.png`` and
    ``MANIFEST.json``; category ids start at 1 and follow :func:`class_names`. An incomplete or
    corrupt directory is regenerated with a warning that names the problem. Safe to call from
    several processes at once (an ``fcntl`` lock file in ``root``).

    Args:
        root: cache directory; created if missing.
        seed: non-negative; the same seed gives byte-identical files.
        num_train: training images, >= 1.
        num_val: validation images, >= 1 (>= 3 for all COCO size buckets).
        image_size: square image side in px, within ``description.variant.SYNTHETIC_LIMITS`` (>= 160
            for large objects of every class).
        num_classes: 1..len(CLASSES).
    """
    limits = {arg: (lo, hi) for arg, lo, hi in SYNTHETIC_LIMITS.values()}
    for field, value in (("seed", seed), ("num_train", num_train), ("num_val", num_val),
                         ("image_size", image_size), ("num_classes", num_classes)):
        lo, hi = limits.get(field, (0, None))
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo or (
                hi is not None and value > hi):
            raise ValueError(f"{field} must be an int in {lo}..{hi or 'inf'}, got {value!r}")
    seed, num_train, num_val = int(seed), int(num_train), int(num_val)  # numpy ints: JSON-able
    image_size, num_classes = int(image_size), int(num_classes)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = f"synthetic-s{seed}-{num_train}-{num_val}-{image_size}-{num_classes}"
    target, params = root / name, _params(seed, (num_train, num_val), image_size, num_classes)
    if target.exists() and _problem(target, params) is None:
        return target  # complete datasets only ever appear by rename: no lock needed to read
    with _locked(root / f".{name}.lock"):
        problem = _problem(target, params) if target.exists() else "absent"
        if problem is None:  # another process made it while we waited
            return target
        if problem != "absent":
            log.warning("synthetic dataset %s is unusable: %s; regenerating it", target, problem)
        for stale in root.glob(f".{name}.tmp-*"):  # left by an interrupted run; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=root))
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the dataset from other users of the cache
        try:
            _generate(tmp, seed, (num_train, num_val), image_size, num_classes)
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=root))
                os.replace(target, old / "old")
            os.replace(tmp, target)
        finally:
            for leftover in root.glob(f".{name}.tmp-*"):
                shutil.rmtree(leftover, ignore_errors=True)
        log.info("generated synthetic dataset %s", target)
    return target
