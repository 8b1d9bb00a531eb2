"""Benchmarks: ratios against a baseline measured in the same run, written to results/."""
import json
from pathlib import Path


def save(out: Path, result: dict) -> dict:
    """Write ``result`` as JSON to ``out`` (benchmarks/results/...), print and return it."""
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_suffix(".json.tmp")  # atomic: a killed benchmark never leaves half a file
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(out)
    print(json.dumps(result, indent=2))
    return result
