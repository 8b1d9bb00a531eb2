"""The local sweep's console: one line per variant, a sweep summary at the end.

On a terminal, a rich live view: per variant its key, overrides and state, a bar over its
training iterations, epoch, current loss, ETA and, when done, its AP. Elsewhere (CI, pipes,
files) one plain line per state change and per epoch. Full logs go to files (see
``launchers.local``); ``verbose=true`` skips this console and prints them instead.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Optional, Sequence


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
        n = list(self.rows).index(row.key) + 1
        return f"[{n}/{len(self.rows)}] {row.key} {row.label}"

    def _say(self, row: Row, text: str) -> None:
        if not self.live:
            self.console.print(f"{self._name(row)}: {text}", markup=False, soft_wrap=True)

    def _view(self):
        if self.progress is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("{task.description}", markup=False),
                TextColumn("{task.fields[state]}"), BarColumn(bar_width=20),
                TextColumn("{task.fields[where]}"), TextColumn("{task.fields[loss]}"),
                TimeRemainingColumn(), TextColumn("{task.fields[ap]}"),
                console=self.console, refresh_per_second=2, redirect_stdout=False,
                redirect_stderr=False)
            self.progress.start()
        return self.progress

    def _show(self, row: Row, **fields) -> None:
        if not self.live:
            return
        view = self._view()
        if row.task is None:
            row.task = view.add_task(self._name(row), total=None, state="", where="",
                                     loss="", ap="")
        view.update(row.task, description=self._name(row), state=_styled(row.state), **fields)

    def preparing(self, key: str, label: str) -> None:
        """``key`` is being set up (data, model, checkpoint): shown live, not as a line."""
        row = self._row(key, label)
        row.state = "preparing"
        self._show(row)

    def start(self, key: str, label: str, log_path: str) -> None:
        """``key`` starts (or resumes) training; its full log goes to ``log_path``."""
        row = self._row(key, label)
        row.state, row.started = "running", time.monotonic()
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
            row.ap = f["metrics"].get("bbox_mAP")
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
        status = record.get("status")
        ap = (record.get("metrics") or {}).get("bbox_mAP")
        if not row.started and status == "finished":
            row.state = "already finished"
        elif not row.started and status in ("pending", "running"):
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


def _styled(state: str) -> str:
    color = {"running": "yellow", "finished": "green", "failed": "red"}.get(state, "dim")
    return f"[{color}]{state}[/]"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"
