"""Time collecting 10,000 result records into all of the paper's tables.

Writes 10,000 synthetic records (any variant, status and seed) into a temporary results
store, then times reading them (``load_records``), building Tables 2-6 (``build_tables``)
and rendering each as .tex / .md / .csv. Plots and the terminal print are left out.
The figure goes to ``benchmarks/results/tables.json``; the goal is < 5 s on 2 cores
(not asserted).

    python -m benchmarks.bench_tables      (or: python benchmarks/bench_tables.py [N_RECORDS])
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from analysis.collect import build_tables  # noqa: E402
from analysis.render import to_csv, to_markdown, to_tex  # noqa: E402
from analysis.synthetic_records import random_store  # noqa: E402
from description.paper_tables import load_specs  # noqa: E402
from results.frame import load_records  # noqa: E402

GOAL_S = 5.0
OUT = Path(__file__).parent / "results" / "tables.json"


def bench(n_records: int = 10_000) -> dict:
    """Generate ``n_records`` records, then time load -> tables -> text; return the figures."""
    specs = load_specs()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "results"
        t0 = time.perf_counter()
        random_store(store, n_records)
        generate_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        records = load_records(store)
        t1 = time.perf_counter()
        tables = build_tables(specs, records.frame)
        t2 = time.perf_counter()
        texts = [f(specs[n], t) for n, t in tables.items() for f in (to_tex, to_markdown)]
        texts += [to_csv(t) for t in tables.values()]
        t3 = time.perf_counter()
    return {
        "benchmark": "bench_tables",
        "records": n_records,
        "tables": len(tables),
        "rows": sum(len(t) for t in tables.values()),
        "load_s": round(t1 - t0, 3),
        "build_s": round(t2 - t1, 3),
        "render_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
        "goal_s": GOAL_S,
        "within_goal": (t3 - t0) < GOAL_S,
        "generate_s": round(generate_s, 3),  # writing the synthetic store: not in total_s
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.system()}",
        "bytes_rendered": sum(len(t) for t in texts),
    }


def main(n_records: int = 10_000) -> dict:
    """Run the benchmark, write benchmarks/results/tables.json and return the figures."""
    result = bench(n_records)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
