"""``python -m analysis.tables results_dir=PATH [+sweep=NAME] ...``: the paper's tables from the
results store, as .tex (booktabs, plus a ``*_standalone.tex`` to compile), .md and .csv, printed
to the terminal too, with plots and an optional wandb summary run.

``+sweep=NAME`` shows what that sweep ran: the parts of its tables that it fills and their
baselines (``sweep_slice``), written as ``<table>_<sweep>.*`` when that is less than the whole
table, with a footnote line saying how to get the whole one."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

from analysis.args import USAGE, Options, UsageError, parse_args
from analysis.captions import TableText, our_setup, table_text
from analysis.collect import build_tables
from analysis.render import to_csv, to_markdown, to_standalone, to_tex
from description.paper_tables import TableSpec, load_specs, sweep_tables
from results.frame import load_records, select_dataset

log = logging.getLogger("analysis")


def write_table(spec: TableSpec, frame: pd.DataFrame, out_dir: Path, text: TableText | None = None) -> list[Path]:
    """Write ``<table>.tex``, ``<table>_standalone.tex``, ``.md`` and ``.csv`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        f"{spec.name}.tex": to_tex(spec, frame, text),
        f"{spec.name}_standalone.tex": to_standalone(f"{spec.name}.tex"),
        f"{spec.name}.md": to_markdown(spec, frame, text),
        f"{spec.name}.csv": to_csv(frame),
    }
    for file, text in texts.items():
        (out_dir / file).write_text(text)
    return [out_dir / f for f in texts]


def run(opts: Options, console=None) -> dict[str, pd.DataFrame]:
    """Build, write and print the tables (and plots, wandb) that ``opts`` asks for."""
    from analysis.terminal import print_table
    from stats.replicates import evidence_line, new_look

    if opts.sweep == "search":  # the Optuna search has no paper table: its Pareto front
        from analysis.pareto import write_search

        write_search(opts.results_dir, opts.out_dir, plots=opts.plots)
        return {}
    specs = load_specs()
    names = sweep_tables(specs)[opts.sweep] if opts.sweep else list(specs)
    chosen = {n: sweep_slice(specs[n], opts.sweep) if opts.sweep else specs[n] for n in names}
    records = load_records(opts.results_dir)
    frame = select_dataset(records.frame, opts.dataset)
    if frame.empty:
        log.warning("no usable records in %s%s: every row is missing", opts.results_dir,
                    f" for dataset={opts.dataset}" if opts.dataset else "")
    tables = build_tables(chosen, frame, paper=opts.paper)
    new_look()
    pipeline = set()
    for name, table in tables.items():
        text = table_text(chosen[name], frame, _intervals(chosen[name], table, frame, opts))
        if chosen[name] is not specs[name]:
            text = replace(text, footnote=[*text.footnote, whole_table_pointer(specs[name], chosen[name], opts.sweep)])
        if text.pipeline_check:
            pipeline.add(name)
        write_table(chosen[name], table, opts.out_dir, text)
        print_table(chosen[name], table, console, text)
        if opts.pdf:
            _compile(opts.out_dir / f"{chosen[name].name}_standalone.tex")
    if opts.bootstrap > 0 and frame["detections"].notna().any():
        log.info(evidence_line())  # stored replicates read vs computed at this look
    plots = []
    if opts.plots:
        from analysis.plots import make_plots

        sweeps = [opts.sweep] if opts.sweep else list(sweep_tables(specs))
        plots = make_plots(chosen, tables, sweeps, opts.out_dir / "plots", pipeline)
    if opts.wandb:
        from analysis.wandb_summary import log_summary

        log.info("wandb run %s", log_summary(tables, plots, opts.sweep, opts.out_dir))
    log.info("wrote %d table(s) and %d plot file(s) to %s", len(tables), len(plots), opts.out_dir)
    return tables


def sweep_slice(spec: TableSpec, sweep: str) -> TableSpec:
    """What ``sweep`` fills of ``spec``: its own parts and the sweep-less parts that hold their
    baselines (the rows ``sweeps.run`` decides seeds on), named ``<table>_<sweep>``; ``spec``
    itself when that is the whole table."""
    parts = tuple(p for p in spec.parts if p.sweep in (sweep, None))
    if len(parts) == len(spec.parts):
        return spec
    return replace(spec, name=f"{spec.name}_{sweep}", parts=parts, sweeps=(sweep,))


def whole_table_pointer(whole: TableSpec, part: TableSpec, sweep: str) -> str:
    """The footnote line of a sliced table: what it shows, and how to get the whole table."""
    shown = " and ".join(p.name for p in part.parts if p.sweep == sweep)
    return (f"Only Table {whole.name.removeprefix('table')}'s {shown} part and its baseline (+sweep={sweep}); "
            f"without +sweep= the same command writes the whole table ({whole.name}.md, .tex, .csv).")


def _intervals(spec: TableSpec, table: pd.DataFrame, frame: pd.DataFrame, opts: Options):
    """Fill the table's CI and verdict columns (bootstrap over stored detections); its Evidence."""
    if opts.bootstrap > 0 and frame["detections"].notna().any():
        log.info("%s: bootstrap CIs (B=%d) from stored detections...", spec.name, opts.bootstrap)
    from analysis.significance import add_intervals

    return add_intervals(spec, table, frame, opts.bootstrap, opts.bootstrap_seed, opts.resolve,
                         seed_prior(spec, frame, opts.seed_sigma), opts.max_seeds)


def seed_prior(spec: TableSpec, frame: pd.DataFrame, seed_sigma) -> float | None:
    """The prior sigma_seed for ``spec``'s runs: ``seed_sigma`` as given, or for "auto" the
    documented default of their dataset and schedule (None -- unknown -- for synthetic data, the
    smoke/cpu schedules, or a mix the prior does not describe)."""
    from stats.intervals import default_prior

    if seed_sigma != "auto":
        return seed_sigma
    datasets, schedules = our_setup(spec, frame)
    priors = {default_prior(d, s) for d in datasets for s in schedules}
    return priors.pop() if len(priors) == 1 else None


def _compile(standalone: Path) -> None:
    from analysis.latex import compile_pdf, have_pdflatex

    if not have_pdflatex():
        log.warning("pdf=true but pdflatex is not installed (scripts/install_tex.sh): skipped")
        return
    log.info("compiled %s", compile_pdf(standalone))


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit status (2 for a bad command line)."""
    argv = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return 0
    from rich.logging import RichHandler

    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[RichHandler(show_path=False)])
    try:
        opts = parse_args(argv, (*sweep_tables(load_specs()), "search"))
    except UsageError as err:
        print(f"error: {err}\n{USAGE}", file=sys.stderr)
        return 2
    run(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
