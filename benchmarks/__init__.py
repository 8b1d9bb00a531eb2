"""Benchmarks: ratios against a baseline measured in the same run, written to results/."""
import json
from pathlib import Path


def save(out: Path, result: dict) -> dict:
    """Write ``result`` as JSON to ``out`` (benchmarks/results/...), print and return it."""
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result
