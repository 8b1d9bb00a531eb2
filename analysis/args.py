"""``key=value`` command-line arguments in Hydra's override style (``+key=`` accepted)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stats.verdicts import DEFAULT_MAX_SEEDS

ALLOWED = ("results_dir", "sweep", "out_dir", "dataset", "paper", "plots", "wandb", "pdf",
           "bootstrap", "bootstrap_seed", "resolve", "seed_sigma", "max_seeds")
USAGE = (
    "usage: python -m analysis.tables results_dir=PATH [+sweep=NAME] [out_dir=PATH] "
    "[dataset=NAME] [paper=true|false] [plots=true|false] [wandb=true|false] [pdf=true|false] "
    "[bootstrap=1000 (resamples, 0: off)] [bootstrap_seed=0] [resolve=0.2 (AP)] "
    "[seed_sigma=auto|unknown|AP (prior std of AP over seeds)] [max_seeds=5 (looks the intervals allow for)]"
)
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


class UsageError(ValueError):
    """A bad command line; the message is one line naming the offending key."""


@dataclass(frozen=True)
class Options:
    """Parsed arguments of ``python -m analysis.tables``."""

    results_dir: Path
    out_dir: Path
    sweep: str | None = None  # None: every table
    dataset: str | None = None  # None: the dataset with most records
    paper: bool = True  # add the paper's values as a column group
    plots: bool = True
    wandb: bool = False
    pdf: bool = False  # also compile each table with pdflatex (when installed)
    bootstrap: int = 1000  # resamples B of the val images for every CI; 0 turns CIs off
    bootstrap_seed: int = 0  # seeds the resampling: same seed, same CIs
    resolve: float = 0.2  # AP: "within +-resolve" verdicts and the "seeds needed" line
    # prior sigma_seed (AP): "auto" = stats.intervals.default_prior of the runs' dataset and
    # schedule (0.15 on COCO 1x/2x_ms, unknown elsewhere); None = unknown (the table's replicates only)
    seed_sigma: float | str | None = "auto"
    max_seeds: int = DEFAULT_MAX_SEEDS  # looks the intervals are corrected for (as sweeps.run's); 1: plain 95%


def _bool(key: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise UsageError(f"{key}={value!r}: expected true or false")


def number_arg(key: str, value: str, kind, low: float):
    """``key=value`` as ``kind``: a float > ``low``, or an int >= ``low``; else ``UsageError``."""
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not (number > low if kind is float else number >= low):  # NaN too
        what = f"a number > {low:g}" if kind is float else f"a whole number >= {low}"
        raise UsageError(f"{key}={value!r}: expected {what}")
    return number


def key_values(argv: list[str], allowed: tuple[str, ...], required: tuple[str, ...] = ("results_dir",)
               ) -> dict[str, str]:
    """``key=value`` arguments -> dict. ``UsageError`` names a bad argument or key and the allowed
    keys, a missing required key, or a ``results_dir`` that is not a directory."""
    values: dict[str, str] = {}
    for arg in argv:
        key, sep, value = arg.lstrip("+").partition("=")
        if not sep:
            raise UsageError(f"argument {arg!r} is not key=value; allowed keys: {', '.join(allowed)}")
        if key not in allowed:
            raise UsageError(f"unknown key {key!r}; allowed keys: {', '.join(allowed)}")
        values[key] = value
    for key in required:
        if not values.get(key):
            raise UsageError(f"{key}= is required")
    if values.get("results_dir") and not Path(values["results_dir"]).is_dir():
        raise UsageError(f"results_dir={values['results_dir']}: not a directory")
    return values


def seed_sigma_arg(value: str) -> float | str | None:
    """``seed_sigma=``: "auto", None for "unknown", or a prior std of AP over seeds >= 0."""
    if value.lower() in ("auto", ""):
        return "auto"
    if value.lower() in ("unknown", "none", "null"):
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number < float("inf"):
        raise UsageError(f"seed_sigma={value!r}: expected auto, unknown or a number >= 0 (AP points)")
    return number


def parse_args(argv: list[str], sweeps: tuple[str, ...] = ()) -> Options:
    """Parse ``key=value`` arguments; unknown keys or sweep names raise ``UsageError``."""
    values = key_values(argv, ALLOWED)
    results_dir = Path(values["results_dir"])
    sweep = values.get("sweep") or None
    if sweep is not None and sweeps and sweep not in sweeps:
        raise UsageError(f"sweep={sweep!r}: unknown sweep; allowed: {', '.join(sweeps)}")
    out_dir = Path(values["out_dir"]) if values.get("out_dir") else results_dir.resolve().parent / "tables"
    return Options(
        results_dir=results_dir,
        out_dir=out_dir,
        sweep=sweep,
        dataset=values.get("dataset") or None,
        **{k: _bool(k, values[k]) for k in ("paper", "plots", "wandb", "pdf") if k in values},
        **{k: number_arg(k, values[k], kind, low) for k, kind, low in
           (("bootstrap", int, 0), ("bootstrap_seed", int, 0), ("resolve", float, 0.0), ("max_seeds", int, 1))
           if k in values},
        **({"seed_sigma": seed_sigma_arg(values["seed_sigma"])} if "seed_sigma" in values else {}),
    )
