"""Benchmarks: ratios against a baseline measured in the same run, written to results/."""
import json
from pathlib import Path


def save(out: Path, result: dict, echo: bool = True) -> dict:
    """Write ``result`` as JSON to ``out`` (benchmarks/results/...), print it (if ``echo``)
    and return it."""
    from results.atomic import open_atomic

    with open_atomic(out) as f:  # a killed benchmark never leaves half a file
        json.dump(result, f, indent=2)
    if echo:
        print(json.dumps(result, indent=2))
    return result
