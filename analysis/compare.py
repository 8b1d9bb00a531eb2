"""``python -m analysis.compare results_dir=PATH a=SPEC b=SPEC [metric=bbox|segm] [bootstrap=1000]
[bootstrap_seed=0] [seed_sigma=auto|unknown|AP] [resolve=0.2]``: Delta = b - a for the six COCO
APs, each with a 95% interval, p-value and verdict from the same model as the tables' Delta AP
(``stats.intervals``): the paired bootstrap variance over the val images (seeds averaged in each
resample) plus training noise sigma_seed^2 (1/n_a + 1/n_b), sigma_seed pooled from the sides'
seeds and, for AP, a prior; Student-t. With sigma_seed unknown (one seed a side, no prior) the
interval covers the val images only, and the verdict says "no claim".

SPEC names a variant: a record key (or a unique prefix of one), or ``field=value`` pairs
separated by commas or spaces over the record's variant, which names each part by its values
(``msfm=false``, ``"scales=5SL conv_num=cgn2"``, ``scales=[0.5,1.0]``; ``msfm.enabled=`` is accepted for ``msfm=``, ``seed=`` picks one
seed). It must select finished runs of exactly one variant, each with stored detections.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

from analysis.args import UsageError, key_values, number_arg, seed_sigma_arg
from stats.intervals import default_prior, delta_interval, seed_noise
from stats.verdicts import BETTER, NO_CLAIM, WORSE, verdict

if TYPE_CHECKING:
    import pandas as pd

    from results.record import Record

USAGE = ("usage: python -m analysis.compare results_dir=PATH a=SPEC b=SPEC [metric=bbox|segm] "
         "[bootstrap=1000] [bootstrap_seed=0] [seed_sigma=auto|unknown|AP] [resolve=0.2]   "
         "(SPEC: a record key, or field=value pairs)")
ALLOWED = ("results_dir", "a", "b", "metric", "bootstrap", "bootstrap_seed", "seed_sigma", "resolve")
LEVEL = 0.95  # one comparison, one look


@dataclass
class Side:
    """The finished runs (one per seed) of one named variant."""

    spec: str
    runs: list[Record]

    @property
    def setup(self) -> str:
        v = self.runs[0]["variant"]
        return f"{v.get('dataset')} dataset, {v.get('schedule')} schedule"

    @property
    def prior(self) -> float | None:
        """The documented prior sigma_seed of this side's dataset and schedule (None: unknown)."""
        v = self.runs[0]["variant"]
        return default_prior(v.get("dataset"), v.get("schedule"))


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


def select(records: list[Record], frame: pd.DataFrame, spec: str, metric: str = "bbox") -> Side:
    """The finished runs named by ``spec`` among ``records``, those that count by the tables' rule
    (``results.frame.finished_runs`` over the records ``frame``: the latest of each seed, with
    ``metric``'s APs); ``UsageError`` if none, or several variants, match."""
    from results.frame import finished_runs

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
    by_key = {str(r["key"]): r for r in chosen}
    runs = [by_key[k] for k in finished_runs(frame[frame["key"].isin(list(by_key))], metric)["key"]]
    if not runs:
        raise UsageError(f"{spec!r}: its finished records have no {metric} metrics or were skipped as unusable")
    return Side(spec, runs)


def compare(results_dir: Path, a: Side, b: Side, metric: str = "bbox", resamples: int = 1000,
            seed: int = 0, seed_sigma: float | str | None = "auto", resolve: float = 0.2) -> dict:
    """Delta b - a per metric: its interval, p and verdict (``stats``), plus the images, seeds, B
    and sigma_seed they rest on. ``seed_sigma``: the prior for AP ("auto": the documented one of
    the sides' dataset and schedule; None: none)."""
    from stats.bootstrap import METRICS
    from stats.replicates import evidence_line, new_look, replicates

    for name, side in (("a", a), ("b", b)):
        missing = [r.key for r in side.runs if r.detections is None]
        if missing:
            raise UsageError(f"{name}={side.spec!r}: run(s) {', '.join(missing)} have no stored detections "
                             "(records written before detections were kept): no CI possible")
    paths = [results_dir / r.detections for side in (a, b) for r in side.runs]
    new_look()
    computed = replicates(paths, metric, resamples, seed)
    errors = [str(e) for e in computed if isinstance(e, Exception)]
    if errors:
        raise UsageError(errors[0])
    reps = {"a": computed[:len(a.runs)], "b": computed[len(a.runs):]}
    sets = {(len(ids), int(ids.sum()), sha) for ids, sha, _ in reps["a"] + reps["b"]}
    if len(sets) > 1:
        raise UsageError("a and b were evaluated on different val sets: a paired comparison is impossible")
    prior = (a.prior if a.prior == b.prior else None) if seed_sigma == "auto" else seed_sigma
    runs = {k: np.stack([r[2] for r in v]) for k, v in reps.items()}  # (seeds, metrics, 1 + B)
    n = [len(runs["a"]), len(runs["b"])]
    rows = {m: _delta(runs["a"][:, i], runs["b"][:, i], n, prior if m == "AP" else None, resolve)
            for i, m in enumerate(METRICS)}
    return dict(metrics=rows, images=next(iter(sets))[0], seeds=tuple(n), resamples=resamples, prior=prior,
                resolve=resolve, evidence=evidence_line())


def _delta(a: np.ndarray, b: np.ndarray, n: list[int], prior: float | None, resolve: float) -> dict:
    """One metric's row from each side's (seeds, 1 + B) values: column 0 the run's own AP, then
    the B paired image resamples. No interval for a metric COCO has no value for (no small objects)."""
    point = b[:, 0].mean() - a[:, 0].mean()
    image_var = float(np.nanvar(b[:, 1:].mean(0) - a[:, 1:].mean(0), ddof=1))
    row = dict(a=float(a[:, 0].mean()), b=float(b[:, 0].mean()), delta=float(point))
    if not (np.isfinite(point) and np.isfinite(image_var)):
        return dict(row, interval=None, verdict="—", images_exclude_0=False)
    stds = [float(np.std(side[:, 0], ddof=1)) if k > 1 else None for side, k in ((a, n[0]), (b, n[1]))]
    iv = delta_interval(float(point), image_var, n[0], n[1], seed_noise(stds, n, prior), LEVEL)
    # the val images' interval alone is Delta +- iv.floor
    return dict(row, interval=iv, verdict=verdict(iv, resolve), images_exclude_0=abs(iv.estimate) > iv.floor)


def print_result(res: dict, a: Side, b: Side, metric: str) -> None:
    """The comparison as a rich table, with what its intervals cover underneath."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(title=escape(f"{metric}: Δ = b - a   (a = {a.spec}; b = {b.spec})"), title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))  # fits 80 columns
    for col in ("metric", "a", "b", "Δ", "95% interval", "p", "covers", "verdict"):
        table.add_column(col, justify="left" if col in ("metric", "verdict") else "right", no_wrap=True)
    for m, r in res["metrics"].items():
        iv = r["interval"]
        cells = ["—", "—", ""] if iv is None else [
            f"[{iv.lo:+.2f}, {iv.hi:+.2f}]", f"{iv.p:.3f}" if iv.p >= 0.001 else "<0.001",
            "img+seed" if iv.covers_seeds else "img"]
        table.add_row(m, f"{r['a']:.1f}", f"{r['b']:.1f}", f"{r['delta']:+.2f}", *cells, _verdict_cell(r))
    setups = {a.setup, b.setup}
    if any("synthetic" in s or "smoke" in s for s in setups):
        console.print("[bold red]PIPELINE CHECK: synthetic data and/or smoke schedule -- not evidence.[/bold red]")
    console.print(table)
    ap = res["metrics"]["AP"]["interval"]
    source = ap.source if ap else "unknown"
    console.print(f"[dim]{res['images']} val images, paired bootstrap B = {res['resamples']}; seeds: a "
                  f"{res['seeds'][0]}, b {res['seeds'][1]}; σ_seed (AP): {escape(source)}; "
                  f"resolve ±{res['resolve']:g} AP; {'; '.join(sorted(setups))}[/dim]")
    if res["prior"] is not None:
        console.print("[dim]the prior σ_seed is for AP; the other metrics' intervals cover training noise only "
                      "where a side has several seeds[/dim]")
    console.print("[dim]covers: img = val-image noise only, img+seed = val images and training seeds[/dim]")
    console.print(f"[dim]{res['evidence']}[/dim]")
    open_ = [m for m, r in res["metrics"].items() if r["verdict"] == NO_CLAIM]
    if open_:
        apart = [m for m in open_ if res["metrics"][m]["images_exclude_0"]]
        console.print(f"[dim]no claim: σ_seed unknown for {', '.join(open_)} (one seed a side"
                      f"{'' if res['prior'] is not None else ', no prior'}), so training noise is not covered. "
                      f"Over the val images alone Δ ≠ 0 for {', '.join(apart) or 'none'}: not evidence "
                      "about the variants. More seeds, or seed_sigma=AP, give a verdict.[/dim]")


def _verdict_cell(row: dict) -> str:
    return f"[bold]{row['verdict']}[/bold]" if row["verdict"] in (BETTER, WORSE) else row["verdict"]


def parse(argv: list[str]) -> dict:
    """key=value arguments -> dict; ``UsageError`` on unknown or missing keys."""
    values = key_values(argv, ALLOWED, required=("results_dir", "a", "b"))
    if values.setdefault("metric", "bbox") not in ("bbox", "segm"):
        raise UsageError(f"metric={values['metric']!r}: expected bbox or segm")
    for key, default in (("bootstrap", 1000), ("bootstrap_seed", 0)):
        raw = values.setdefault(key, str(default))
        if not raw.isdigit() or (key == "bootstrap" and int(raw) < 1):
            raise UsageError(f"{key}={raw!r}: expected a whole number" + (" >= 1" if key == "bootstrap" else ""))
    values["seed_sigma"] = seed_sigma_arg(values.get("seed_sigma", "auto"))
    values["resolve"] = number_arg("resolve", values.get("resolve", "0.2"), float, 0.0)
    return values


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; 2 for a bad command line or variants that cannot be compared."""
    from results.frame import load_records
    from results.store import ResultStore

    argv = sys.argv[1:] if argv is None else argv
    if any(x in ("-h", "--help") for x in argv):
        print(__doc__.strip())
        return 0
    try:
        v = parse(argv)
        records, _ = ResultStore(v["results_dir"]).records()
        frame = load_records(v["results_dir"]).frame
        a, b = (select(records, frame, v[side], v["metric"]) for side in ("a", "b"))
        res = compare(Path(v["results_dir"]), a, b, v["metric"], int(v["bootstrap"]), int(v["bootstrap_seed"]),
                      v["seed_sigma"], v["resolve"])
    except UsageError as err:
        print(f"error: {err}\n{USAGE}", file=sys.stderr)
        return 2
    print_result(res, a, b, v["metric"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
