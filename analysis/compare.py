"""``python -m analysis.compare results_dir=PATH a=SPEC b=SPEC [metric=bbox|segm] [bootstrap=1000]
[bootstrap_seed=0]``: Delta = b - a for the six COCO APs, with a 95% CI and a two-sided p-value
from a paired bootstrap over the val images (seeds resampled too where a side has several).

SPEC names a variant: a record key (or a unique prefix of one), or ``field=value`` pairs
separated by commas or spaces over the record's variant, which names each part by its values
(``msfm=false``, ``"scales=5SL conv_num=cgn2"``, ``scales=[0.5,1.0]``; ``msfm.enabled=`` is accepted for ``msfm=``, ``seed=`` picks one
seed). It must select finished runs of exactly one variant, each with stored detections.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.args import UsageError, key_values
from stats.resampling import percentile_ci, seed_mean, two_sided_p

USAGE = ("usage: python -m analysis.compare results_dir=PATH a=SPEC b=SPEC [metric=bbox|segm] "
         "[bootstrap=1000] [bootstrap_seed=0]   (SPEC: a record key, or field=value pairs)")
ALLOWED = ("results_dir", "a", "b", "metric", "bootstrap", "bootstrap_seed")


@dataclass
class Side:
    """The finished runs (one per seed) of one named variant."""

    spec: str
    runs: list[dict]

    @property
    def setup(self) -> str:
        v = self.runs[0]["variant"]
        return f"{v.get('dataset')} dataset, {v.get('schedule')} schedule"


def _items(spec: str) -> list[str]:
    """``spec`` split at spaces and at commas outside brackets (``scales=[0.5,1.0],seed=1``)."""
    items, depth, current = [], 0, ""
    for ch in spec.strip():
        depth += (ch in "[{") - (ch in "]}")
        if depth == 0 and (ch == "," or ch.isspace()):
            items.append(current)
            current = ""
        else:
            current += ch
    return [i for i in (*items, current) if i]


def _pairs(spec: str) -> dict[str, str]:
    pairs = {}
    for item in _items(spec):
        key, sep, value = item.lstrip("+").partition("=")
        if not sep:
            raise UsageError(f"{item!r} in {spec!r} is not field=value (or give a record key)")
        pairs["msfm" if key == "msfm.enabled" else key] = value
    return pairs


def select(records: list[dict], spec: str) -> Side:
    """The finished runs named by ``spec``; ``UsageError`` if none, or several variants, match."""
    done = [r for r in records if r.get("status") == "finished"]
    if "=" not in spec:
        chosen = [r for r in done if str(r["key"]).startswith(spec)]
    else:
        pairs = _pairs(spec)
        fields = {*done[0]["variant"], "seed"} if done else set()
        unknown = sorted(set(pairs) - fields)
        if unknown and done:
            raise UsageError(f"{spec!r}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(fields))}")
        chosen = [r for r in done if all(str({**r["variant"], "seed": r.get("seed")}.get(k)).lower() == v.lower()
                                         for k, v in pairs.items())]
    if not chosen:
        raise UsageError(f"{spec!r}: no finished record matches")
    variants = {str(sorted((k, str(v)) for k, v in r["variant"].items())) for r in chosen}
    if len(variants) > 1:
        keys = ", ".join(sorted(r["key"] for r in chosen)[:6])
        raise UsageError(f"{spec!r} matches {len(variants)} different variants (records {keys}...); add fields")
    latest = {}
    for r in sorted(chosen, key=lambda r: str(r.get("updated") or "")):
        latest[r.get("seed", r["key"])] = r
    return Side(spec, list(latest.values()))


def compare(results_dir: Path, a: Side, b: Side, metric: str = "bbox", resamples: int = 1000,
            seed: int = 0) -> dict:
    """Delta b - a per metric: point, CI, p; plus the images, seeds and B it rests on."""
    from stats.bootstrap import METRICS
    from stats.replicates import replicates

    for name, side in (("a", a), ("b", b)):
        missing = [r["key"] for r in side.runs if not isinstance(r.get("detections"), str)]
        if missing:
            raise UsageError(f"{name}={side.spec!r}: run(s) {', '.join(missing)} have no stored detections "
                             "(records written before detections were kept): no CI possible")
    paths = [results_dir / r["detections"] for side in (a, b) for r in side.runs]
    computed = replicates(paths, metric, resamples, seed)
    errors = [str(e) for e in computed if isinstance(e, Exception)]
    if errors:
        raise UsageError(errors[0])
    reps = {"a": computed[:len(a.runs)], "b": computed[len(a.runs):]}
    sets = {(len(ids), int(ids.sum()), sha) for ids, sha, _ in reps["a"] + reps["b"]}
    if len(sets) > 1:
        raise UsageError("a and b were evaluated on different val sets: a paired comparison is impossible")
    rng = np.random.default_rng(seed)
    boot = {k: seed_mean([r[2][:, 1:] for r in v], rng) for k, v in reps.items()}
    point = {k: np.mean([r[2][:, 0] for r in v], 0) for k, v in reps.items()}
    delta = boot["b"] - boot["a"]
    lo, hi = percentile_ci(delta)
    rows = {m: dict(a=point["a"][i], b=point["b"][i], delta=point["b"][i] - point["a"][i], lo=lo[i], hi=hi[i],
                    p=two_sided_p(delta[i])) for i, m in enumerate(METRICS)}
    return dict(metrics=rows, images=next(iter(sets))[0], seeds=(len(a.runs), len(b.runs)), resamples=resamples)


def print_result(res: dict, a: Side, b: Side, metric: str) -> None:
    """The comparison as a rich table, with what it rests on underneath."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(title=escape(f"{metric}: b - a   (a = {a.spec}; b = {b.spec})"), title_justify="left")
    for col in ("metric", "a", "b", "Δ (b - a)", "95% CI", "p", ""):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for m, r in res["metrics"].items():
        sig = r["lo"] > 0 or r["hi"] < 0
        table.add_row(m, f"{r['a']:.1f}", f"{r['b']:.1f}", f"{r['delta']:+.2f}", f"[{r['lo']:+.2f}, {r['hi']:+.2f}]",
                      f"{r['p']:.3f}", "[bold]significant[/bold]" if sig else "[dim]not resolved[/dim]")
    setups = {a.setup, b.setup}
    if any("synthetic" in s or "smoke" in s for s in setups):
        console.print("[bold red]PIPELINE CHECK: synthetic data and/or smoke schedule -- not evidence.[/bold red]")
    console.print(table)
    console.print(f"[dim]paired bootstrap over {res['images']} val images, B = {res['resamples']}, seeds: "
                  f"a {res['seeds'][0]}, b {res['seeds'][1]} (resampled where > 1); {'; '.join(sorted(setups))}[/dim]")


def parse(argv: list[str]) -> dict:
    """key=value arguments -> dict; ``UsageError`` on unknown or missing keys."""
    values = key_values(argv, ALLOWED, required=("results_dir", "a", "b"))
    if values.setdefault("metric", "bbox") not in ("bbox", "segm"):
        raise UsageError(f"metric={values['metric']!r}: expected bbox or segm")
    for key, default in (("bootstrap", 1000), ("bootstrap_seed", 0)):
        raw = values.setdefault(key, str(default))
        if not raw.isdigit() or (key == "bootstrap" and int(raw) < 1):
            raise UsageError(f"{key}={raw!r}: expected a whole number" + (" >= 1" if key == "bootstrap" else ""))
    return values


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; 2 for a bad command line or variants that cannot be compared."""
    from results.store import ResultStore

    argv = sys.argv[1:] if argv is None else argv
    if any(x in ("-h", "--help") for x in argv):
        print(__doc__.strip())
        return 0
    try:
        v = parse(argv)
        records, _ = ResultStore(v["results_dir"]).records()
        a, b = select(records, v["a"]), select(records, v["b"])
        res = compare(Path(v["results_dir"]), a, b, v["metric"], int(v["bootstrap"]), int(v["bootstrap_seed"]))
    except UsageError as err:
        print(f"error: {err}\n{USAGE}", file=sys.stderr)
        return 2
    print_result(res, a, b, v["metric"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
