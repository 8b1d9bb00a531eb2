"""Local launcher: run the task in this process (Hydra's basic launcher runs variants in turn).
A local launch has ended when it returns: the wait step of the launchers' contract
(``launchers.slurm.wait``) has nothing left to do here.

With a console (the default), everything the run prints (mmengine's log, COCO evaluation,
warnings, wandb) goes to ``<work_dir>/console.log`` and the console shows its progress;
without one (``verbose=true``) it prints as it comes.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from description.run_spec import RunSpec

TRANSCRIPT = "console.log"  # in the variant's work dir, appended across resumes


class _Transcript(io.TextIOBase):
    """A text stream appending to a file, opened per write: loggers that kept a handle on it
    after the run (mmengine's are global) never write to a closed file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)  # force=true empties the work dir
        with open(self.path, "a", encoding="utf-8", errors="replace") as f:
            f.write(text)
        return len(text)

    def isatty(self) -> bool:
        return False


def transcript_path(spec: RunSpec) -> Path:
    """Where a variant's full console output goes when the sweep console is shown."""
    return Path(spec.work_dir) / TRANSCRIPT


def run_local(spec: RunSpec, console=None, label: str = "") -> dict:
    """Train and evaluate ``spec`` here and return its record. ``console``: a
    ``launchers.live_console.SweepConsole`` to report to under ``label`` (the run's own output
    then goes to its transcript)."""
    from training.task import VariantTask

    if console is None:
        return VariantTask(spec)()
    label = label or " ".join(spec.overrides)
    path = transcript_path(spec)
    report = console.reporter(spec.key)

    def progress(event: str, **fields) -> None:
        if event == "start":  # training really starts (a finished variant never gets here)
            console.start(spec.key, label, str(path))
        report(event, **fields)

    console.preparing(spec.key, label)
    stream = _Transcript(path)  # warnings.showwarning writes to sys.stderr: here too
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        record = VariantTask(spec, progress=progress)()
    console.done(spec.key, label, record)
    return record

