"""Fixtures for the analysis tests: real JSON records in tmp_path, built with a small helper."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from analysis.synthetic_records import make_record, paper_variants, write_record

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "analysis"
REGENERATE = "UPDATE_GOLDEN=1 pytest tests/analysis"


class Store:
    """A results directory plus helpers to add records to it."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def add(self, detector: str = "faster_rcnn_r50_fpn", msfm: bool = True, **kw) -> Path:
        """Write one record (see ``analysis.synthetic_records.make_record`` for the keywords)."""
        return write_record(self.path, make_record(detector, msfm, **kw))

    def add_raw(self, name: str, content) -> Path:
        """Write a file verbatim (str, bytes) or as JSON (anything else)."""
        path = self.path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content))
        return path


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty results store under tmp_path/results."""
    return Store(tmp_path / "results")


# Rows of the golden store that are deliberately not finished (state shown in the tables).
UNFINISHED = {"3L": "pending", "5S": "running", "2* / 4": "failed", "cat pos 1": None}  # None: no record


def build_golden_store(store: Store) -> None:
    """Every paper variant with 2 seeds (paper values +-0.2), except UNFINISHED's rows."""
    rng = random.Random(0)
    for entry in paper_variants().values():
        row = entry["row"]
        state = UNFINISHED.get(row.name, "finished")
        if state is None:
            continue
        for seed in range(2 if state == "finished" else 1):
            noisy = {m: [v + rng.uniform(-0.2, 0.2) for v in entry[m]] for m in ("bbox", "segm") if m in entry}
            params = int((row.paper_params or (41.5 if row.baseline else 42.7)) * 1e6)
            store.add(row.detector, not row.baseline, status=state, seed=seed, params=params,
                      ap=noisy.get("bbox"), segm=noisy.get("segm"), sweep=entry["sweep"], **row.msfm)


@pytest.fixture(scope="session")
def golden_out(tmp_path_factory) -> Path:
    """All tables of the golden store (plots off), written once by the CLI's ``run``."""
    from analysis.args import parse_args
    from analysis.tables import run

    root = tmp_path_factory.mktemp("golden")
    store = Store(root / "results")
    build_golden_store(store)
    run(parse_args([f"results_dir={store.path}", f"out_dir={root / 'tables'}", "plots=false"]))
    return root / "tables"


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with tests/golden/analysis/<name>; UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"golden file {path} is missing; create it with: {REGENERATE}"
    assert text == path.read_text(), (
        f"generated {name} differs from the golden file {path}; if the change is intended, "
        f"regenerate it with: {REGENERATE} (and review the diff)"
    )


@pytest.fixture
def golden():
    """``golden(name, text)``: assert ``text`` equals the golden file (see ``check_golden``)."""
    return check_golden
