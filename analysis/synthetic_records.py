"""Synthetic result records in the store's format, for tests, the benchmark and demos.

Metrics are the paper's values (as fractions) plus a small seed-dependent jitter, so
generated tables look like the paper's.
"""

from __future__ import annotations

import hashlib
import json
import random
import zlib
from pathlib import Path

from description.paper_tables import COLUMNS, MSFM_FIELDS, load_specs
from results.record import NAMING, new_record

_SUFFIXES = ("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l")


def make_record(detector: str = "faster_rcnn_r50_fpn", msfm: bool = True, *, status: str = "finished",
                ap: list[float] | None = None, segm: list[float] | None = None, seed: int = 0,
                params: int = 42_900_000, sweep: str | None = None, dataset: str = "coco",
                config: dict | None = None, naming: str | None = NAMING, **fields: str) -> dict:
    """Return one record dict; ``ap``/``segm`` are x100 values (AP, AP50, AP75, APs, APm, APl);
    ``config``: its resolved config; ``naming=None``: a record from before names came from values."""
    defaults = load_specs()["table2"].parts[1].rows[0].msfm  # the default variant (3S row)
    variant = {"msfm": msfm, **defaults, **fields, "detector": detector, "dataset": dataset,
               "schedule": "1x"}
    metrics = {}
    if status == "finished":
        for prefix, values in (("bbox", ap or [38.8, 60.0, 42.3, 22.6, 42.6, 49.9]), ("segm", segm)):
            if values:
                metrics.update({f"{prefix}_{s}": round(v / 100, 6) for s, v in zip(_SUFFIXES, values, strict=True)})
    key = hashlib.sha1(json.dumps([variant, seed], sort_keys=True).encode()).hexdigest()[:12]
    return new_record(
        key, status, variant, sweep=sweep, seed=seed, metrics=metrics, params=params,
        config=config, naming=naming,
        error="boom" if status == "failed" else None, gflops=200.0, wall_s=3600.0, gpus=8,
        git_commit="0" * 40, created="2024-01-01T00:00:00+00:00",
        updated="2024-01-01T01:00:00+00:00",
    )


def write_record(results_dir: Path, rec: dict) -> Path:
    """Write ``rec`` as ``<key>.json`` into ``results_dir`` and return the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{rec['key']}.json"
    path.write_text(json.dumps(rec))
    return path


def paper_variants() -> dict[str, dict]:
    """Every evaluable variant of Tables 2-6 with its paper values per metric (bbox, segm)."""
    out: dict[str, dict] = {}
    for spec in load_specs().values():
        for part in spec.parts:
            for row in part.rows:
                if row.evaluable:
                    entry = out.setdefault(row.match, {"row": row, "sweep": part.sweep})
                    entry[spec.metric] = list(row.paper or [40.0, 60.0, 43.0, 23.0, 44.0, 52.0])
    return out


def paper_store(results_dir: Path, seeds: int = 1, jitter: float = 0.0, rng_seed: int = 0) -> int:
    """Write one finished record per seed for every evaluable paper variant; return the count."""
    rng = random.Random(rng_seed)
    count = 0
    for entry in paper_variants().values():
        row = entry["row"]
        for seed in range(seeds):
            def noisy(vals):
                return [v + rng.uniform(-jitter, jitter) for v in vals] if vals else None
            rec = make_record(row.detector, not row.baseline, seed=seed, sweep=entry["sweep"],
                              params=_params(row),
                              ap=noisy(entry.get("bbox")), segm=noisy(entry.get("segm")), **row.msfm)
            write_record(results_dir, rec)
            count += 1
    return count


def _params(row) -> int:
    """The paper's #Param where given, else a plausible made-up count (stable per variant)."""
    if row.paper_params:
        return int(row.paper_params * 1e6)
    return int((41.5 if row.baseline else 42.0 + zlib.crc32(row.match.encode()) % 200 / 100) * 1e6)


def random_store(results_dir: Path, n: int, rng_seed: int = 0) -> None:
    """Write ``n`` random records (any variant, status, seed) -- the benchmark's load."""
    rng = random.Random(rng_seed)
    specs = load_specs()
    rows = [(s.metric, r) for s in specs.values() for p in s.parts for r in p.rows if r.evaluable]
    options = {f: sorted({r.msfm[f] for _, r in rows if r.msfm}) for f in MSFM_FIELDS}
    for i in range(n):
        metric, row = rng.choice(rows)
        fields = dict(row.msfm) if rng.random() < 0.8 else {f: rng.choice(o) for f, o in options.items()}
        status = rng.choices(["finished", "running", "pending", "failed"], [85, 5, 5, 5])[0]
        vals = [v + rng.gauss(0, 0.3) for v in (row.paper or [40.0] * len(COLUMNS))]
        rec = make_record(row.detector, not row.baseline, status=status, seed=i, ap=vals,
                          segm=vals if row.detector.startswith("mask") else None, **fields)
        write_record(results_dir, rec)
