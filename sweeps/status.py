"""``python -m sweeps.status +sweep=<name>``: each variant's state, AP and params as a table.

States come from the results store (pending = no record yet); for SLURM jobs the queue state
is shown next to it.
"""
from __future__ import annotations

import sys
from typing import Sequence

from launchers.live_console import table_console
from sweeps import schema  # noqa: F401  (registers the typed schema)
from sweeps.naming import names_of_variant, row_labels
from sweeps.search_ledger import search_status
from sweeps.variants import compose_jobs, variant_of

STYLE = {"finished": "green", "running": "yellow", "failed": "red", "pending": "dim",
         "pruned": "magenta"}


def status_rows(overrides: Sequence[str], composed: list | None = None) -> list[dict]:
    """One row per grid point: overrides, key, label (the variant named by its values), state,
    AP, params, error (and its detail), SLURM job. ``composed``: the grid's
    ``compose_jobs(overrides)`` when the caller already has it."""
    from launchers.slurm import current
    from results.record import PENDING, ap_of
    from results.store import ResultStore

    composed = compose_jobs(overrides) if composed is None else composed
    variants = [(job, cfg, variant_of(cfg)) for job, cfg in composed]
    jobs = [(job, ResultStore(cfg.results_dir), v.key()) for job, cfg, v in variants]
    found = current([(store, key) for _, store, key in jobs], move_corrupt=False)
    labels = row_labels([names_of_variant(v) for *_, v in variants], [v.seed for *_, v in variants])
    rows, sweep_args = [], set(overrides)
    for (job, _, key), (record, state), name in zip(jobs, found, labels):
        record = record or {}
        rows.append(dict(
            overrides=[o for o in job if o not in sweep_args], key=key, label=name,
            status=record.get("status", PENDING), ap=ap_of(record),
            params=record.get("params"), error=record.get("error"),
            error_detail=record.get("error_detail"),  # a cancelled job's: its surviving rank's error
            slurm_job_id=record.get("slurm_job_id"), slurm_state=state,
        ))
    return rows


def print_status(rows: list[dict], title: str) -> None:
    """Render the status table with rich."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("key", no_wrap=True, min_width=16)
    for col in ("variant", "state", "bbox AP", "params (M)", "job / error"):  # numbers whole
        table.add_column(col, overflow="fold", no_wrap=col in ("state", "bbox AP", "params (M)"))
    for r in rows:
        ap = f"{100 * r['ap']:.1f}" if r["ap"] is not None else "—"
        params = f"{r['params'] / 1e6:.2f}" if r["params"] else "—"
        job = f"{r['slurm_job_id']} {r['slurm_state'] or ''}" if r["slurm_job_id"] else ""
        note = "; ".join(filter(None, [r["error"], r.get("error_detail")])) or job
        state = f"[{STYLE.get(r['status'], 'red')}]{r['status']}[/]"
        name = r.get("label") or " ".join(r["overrides"]) or "(defaults)"
        table.add_row(r["key"], name, state, ap, params, note)
    console = table_console()  # a log or a pipe: one line per variant, not wrapped at 80
    console.print(table)
    counts = {s: sum(r["status"] == s for r in rows) for s in {r["status"] for r in rows}}
    console.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the process exit code."""
    overrides = list(sys.argv[1:] if argv is None else argv)
    try:
        composed = compose_jobs(overrides)  # once: the table and the round
        search = search_status(composed[0][1])  # None unless the overrides select a search
        rows = search["rows"] if search else status_rows(overrides, composed)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print_status(rows, f"status: {' '.join(overrides) or 'defaults'}")
    if not search and any(o.split("=", 1)[0] == "resolve" for o in overrides):
        from sweeps.chain import chain_status, run_hours
        from sweeps.replicate import plan_round, print_round

        plan = plan_round(composed, gpu_hours=run_hours(composed[0][1]))
        print_round(plan)  # seeds done / queued
        if composed[0][1].launcher.name == "slurm":  # chained rounds: the follow-up job
            print("\n".join(chain_status(composed, plan, overrides)))
    if search:
        from sweeps.search_driver import driver_line

        print(search["line"])  # trials of n_trials, GPU-hours spent of the budget
        driver = driver_line(composed[0][1], overrides)  # a search queued as a driver job
        if driver:
            print(driver)
    return 0


if __name__ == "__main__":
    sys.exit(main())
