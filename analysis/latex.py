"""Compile a standalone table with pdflatex and render its page to PNG with pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def have_pdflatex() -> bool:
    """Whether pdflatex is on PATH (``scripts/install_tex.sh`` installs it)."""
    return shutil.which("pdflatex") is not None


def compile_pdf(standalone: Path, timeout: float = 120) -> Path:
    """Run pdflatex on ``standalone`` in its directory; return the PDF or raise with the log tail."""
    cmd = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", standalone.name]
    proc = subprocess.run(cmd, cwd=standalone.parent, capture_output=True, text=True, timeout=timeout)
    pdf = standalone.with_suffix(".pdf")
    if proc.returncode != 0 or not pdf.exists():
        tail = "\n".join(proc.stdout.splitlines()[-25:])
        raise RuntimeError(f"pdflatex failed on {standalone} (exit {proc.returncode}):\n{tail}")
    for ext in (".aux", ".log"):
        standalone.with_suffix(ext).unlink(missing_ok=True)
    return pdf


def render_png(pdf: Path, dpi: int = 100) -> Path:
    """Render the first page of ``pdf`` to ``<stem>.png`` next to it with pdftoppm."""
    stem = pdf.with_suffix("")
    cmd = ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    return stem.with_suffix(".png")
