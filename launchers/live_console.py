"""The local sweep's console: one line per variant, a sweep summary at the end.

On a terminal, a rich live view: per variant its key, state, epoch, current loss (when done, its
AP), ETA, a bar over its training iterations and its overrides; on a narrow terminal (80
columns) only the overrides are cut (``rows_table``). Elsewhere (CI, pipes, files) one plain
line per state change and per epoch. Full logs go to files (see
``launchers.local``); ``verbose=true`` skips this console and prints them instead.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from results.record import FINISHED, IN_FLIGHT, ap_of


@dataclass
class Row:
    """One variant as the console shows it."""

    key: str
    label: str
    state: str = "queued"  # queued | running | finished | failed | already finished | ...
    task: Optional[int] = None  # rich task id (live view)
    started: float = 0.0
    ap: Optional[float] = None
    error: str = ""
    info: dict = field(default_factory=dict)  # epoch, max_epochs, loss
    told: bool = False  # its outcome is shown; a grid point repeating it adds nothing


class SweepConsole:
    """Shows the variants of one sweep as they run; ``close`` prints the summary."""

    def __init__(self, planned: Sequence[tuple[str, str]] = (), file=None,
                 live: Optional[bool] = None) -> None:
        from rich.console import Console

        # the stream is fixed now: training's redirected output never reaches the console
        self.console = Console(file=file or sys.stdout, highlight=False)
        self.live = self.console.is_terminal if live is None else live
        self.rows: dict[str, Row] = {}
        self.progress = None
        self.t0 = time.monotonic()
        for key, label in planned:
            self._row(key, label)

    def _row(self, key: str, label: str) -> Row:
        if key not in self.rows:
            self.rows[key] = Row(key, label or "(defaults)")
        return self.rows[key]

    def _name(self, row: Row) -> str:
        return f"{self._head(row)} {row.label}"

    def _say(self, row: Row, text: str) -> None:
        if not self.live:
            self.console.print(f"{self._name(row)}: {text}", markup=False, soft_wrap=True)

    def _view(self):
        if self.progress is None:
            self.progress = _rows_view(self.console)
            self.progress.start()
        return self.progress

    def _show(self, row: Row, **fields) -> None:
        if not self.live:
            return
        view = self._view()
        if row.task is None:
            row.task = view.add_task(self._head(row), total=None, state="", where="", loss="",
                                     ap="", label=row.label)
        view.update(row.task, description=self._head(row), state=row.state, label=row.label,
                    **fields)

    def _head(self, row: Row) -> str:
        n = list(self.rows).index(row.key) + 1
        return f"[{n}/{len(self.rows)}] {row.key}"

    def preparing(self, key: str, label: str) -> None:
        """``key`` is being set up (data, model, checkpoint): shown live, not as a line."""
        row = self._row(key, label)
        if row.told:  # the same variant again (a grid point repeating it): still done
            return
        row.state = "preparing"
        self._show(row)

    def start(self, key: str, label: str, log_path: str) -> None:
        """``key`` starts (or resumes) training; its full log goes to ``log_path``."""
        row = self._row(key, label)
        row.state, row.started, row.told = "running", time.monotonic(), False
        self._say(row, f"running (full log: {log_path})")
        self._show(row)

    def reporter(self, key: str):
        """A ``report(event, **fields)`` callable for ``training.progress_hook.ProgressHook``."""
        return lambda event, **fields: self.report(key, event, **fields)

    def report(self, key: str, event: str, **f) -> None:
        """Apply one training event of ``key`` (start, iter, epoch, val)."""
        row = self.rows[key]
        row.info.update({k: v for k, v in f.items() if k != "metrics"})
        if event == "start" and f["iter"]:
            self._say(row, f"resumed at epoch {f['epoch']}/{f['max_epochs']}")
        if event == "epoch":
            loss = f"loss {f['loss']:.4f}" if f.get("loss") is not None else ""
            self._say(row, f"epoch {f['epoch']}/{f['max_epochs']} {loss}".rstrip())
        if event == "val":
            row.ap = ap_of(f)
        if self.live:
            info = row.info
            where = f"ep {info.get('epoch', 0)}/{info.get('max_epochs', '?')}"
            loss = f"loss {info['loss']:.3f}" if info.get("loss") is not None else ""
            fields = dict(where=where, loss=loss)
            if "max_iters" in f:
                fields.update(total=f["max_iters"], completed=f.get("iter", 0))
            if event == "start":
                self.progress.reset(row.task, total=f["max_iters"], completed=f["iter"])
            self._show(row, **fields)

    def done(self, key: str, label: str, record: dict) -> None:
        """``key``'s outcome: its record (finished, failed, or skipped as already done)."""
        row = self._row(key, label)
        if row.told:  # nothing ran since its outcome was shown
            return
        row.told = True
        status = record.get("status")
        ap = ap_of(record)
        if not row.started and status == FINISHED:
            row.state = "already finished"
        elif not row.started and status in IN_FLIGHT:
            row.state = "skipped: another sweep is running it"
        else:
            row.state = status or "skipped"
        row.ap, row.error = ap, record.get("error") or ""
        took = _clock(time.monotonic() - row.started) if row.started else ""
        text = row.state + (f": AP {ap:.3f}" if ap is not None else "")
        text += f" in {took}" if took and row.state != "already finished" else ""
        self._say(row, text + (f": {row.error}" if row.error else ""))
        full = {}
        if self.live and row.state in ("finished", "already finished"):  # a full bar
            total = next((t.total for t in self._view().tasks if t.id == row.task), None)
            full = dict(total=total or 1, completed=total or 1)
        self._show(row, ap=f"AP {ap:.3f}" if ap is not None else "", loss="", **full)

    def close(self, results_dir: str = "") -> None:
        """Stop the live view and print the sweep's summary (counts, time, failures)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        if not self.rows:
            return
        counts: dict[str, int] = {}
        for row in self.rows.values():
            state = "skipped" if row.state.startswith(("already", "skipped")) else row.state
            counts[state] = counts.get(state, 0) + 1
        parts = ", ".join(f"{n} {state}" for state, n in counts.items())
        where = f"; records in {results_dir}" if results_dir else ""
        self.console.print(f"sweep: {len(self.rows)} variants: {parts} "
                           f"({_clock(time.monotonic() - self.t0)}){where}", markup=False,
                           soft_wrap=True)
        for row in self.rows.values():
            if row.state == "failed":
                self.console.print(f"  failed {row.key} {row.label}: {row.error}", markup=False,
                                   soft_wrap=True)


BAR_MIN, BAR_MAX = 10, 20  # a row's bar: this wide once the label has LABEL_MIN, up to that
LABEL_MIN = 16  # the label's columns kept before the bar gets any
SHORT = {"skipped: another sweep is running it": "skipped: running elsewhere"}  # live view only
COLORS = {"running": "yellow", "finished": "green", "failed": "red"}


def rows_table(rows: Sequence[Sequence[str]], width: int,
               bar: Optional[Callable[[int, int], object]] = None):
    """The live view: one grid row per variant, ``width`` columns at most.

    Each row is (``[n/N] key``, state, epoch, loss or AP, ETA, label). Every cell but the label is
    shown in full, in that order; the label (the variant's overrides) gets the room that is left,
    cut with an ellipsis. ``bar(i, w)`` draws row ``i``'s bar ``w`` columns wide between the
    numbers and the label (see ``_split``).
    """
    from rich.cells import cell_len
    from rich.table import Column, Table
    from rich.text import Text

    texts = [[Text(str(c)) for c in row[:5]] for row in rows]
    for row in texts:
        row[1] = Text(SHORT.get(row[1].plain, row[1].plain), style=COLORS.get(row[1].plain, "dim"))
    widths = [max((r[i].cell_len for r in texts), default=0) for i in range(5)]
    shown = [i for i, w in enumerate(widths) if w]
    room = width - sum(widths) - len(shown)  # what is left after the cells and their spacing
    labels = [str(row[5]) if len(row) > 5 else "" for row in rows]
    bar_w, label_w = _split(room, max((cell_len(x) for x in labels), default=0),
                            bar is not None)
    columns = [Column(no_wrap=True, min_width=widths[i]) for i in shown]
    if bar_w:
        columns.append(Column(no_wrap=True, width=bar_w))
    if label_w:
        columns.append(Column(no_wrap=True, width=label_w, overflow="ellipsis"))
    table = Table.grid(*columns, padding=(0, 1))
    for i, (row, label) in enumerate(zip(texts, labels)):
        cells = [row[j] for j in shown] + ([bar(i, bar_w)] if bar_w else [])
        cells += [Text(label, no_wrap=True, overflow="ellipsis")] if label_w else []
        table.add_row(*cells)
    return table


def _split(room: int, label: int, has_bar: bool) -> tuple[int, int]:
    """(bar, label) widths sharing ``room`` columns (one of them spacing when both are shown):
    the label's first ``LABEL_MIN``, then ``BAR_MIN`` of bar, then the whole label, then up to
    ``BAR_MAX`` of bar; a bar narrower than 4 is not drawn."""
    first = max(0, min(label, LABEL_MIN, room))
    bar = min(BAR_MIN, room - first - 1) if has_bar else 0
    bar = bar if bar >= 4 else 0
    label = max(0, min(label, room - (bar + 1 if bar else 0)))
    if bar:
        bar = min(BAR_MAX, room - label - 1)
    return bar, label


def _rows_view(console):
    """rich's Progress (its live refresh, ETA, bars) drawn as ``rows_table`` at the width it is
    drawn at."""
    from rich.progress import BarColumn, Progress, TimeRemainingColumn
    from rich.text import Text

    eta = TimeRemainingColumn()

    class Rows:
        def __init__(self, tasks) -> None:
            self.tasks = [t for t in tasks if t.visible]

        def __rich_console__(self, _console, options):
            rows = []
            for t in self.tasks:
                f = t.fields
                left = eta.render(t) if f["state"] == "running" and t.total else Text("")
                rows.append((t.description, f["state"], f["where"], f["ap"] or f["loss"],
                             left.plain, f["label"]))
            yield rows_table(rows, options.max_width,
                             lambda i, w: BarColumn(bar_width=w).render(self.tasks[i]))

    class RowsView(Progress):
        def make_tasks_table(self, tasks):
            return Rows(tasks)

    return RowsView(console=console, refresh_per_second=2, redirect_stdout=False,
                    redirect_stderr=False)


def table_console():
    """The console for a table printed once (``sweeps.status``, ``sweeps.replicate``): the
    terminal's width on a terminal; elsewhere (a log, a pipe) 160 columns, so that a row stays
    one line rather than wrapping at rich's default of 80."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"
