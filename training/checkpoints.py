"""Checkpoints the resume path can rely on.

- torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine 0.10.7 calls
  ``torch.load`` with defaults: its resume checkpoints (message-hub buffers, numpy scalars and
  dtypes, which numpy 2 pickles through ``getattr``) are refused. We draw the trust boundary
  instead of switching the check off: checkpoints this project wrote under its own work root
  load fully; anything else (``load_from`` of a downloaded file) keeps torch's safe default.
- A run killed while saving leaves a truncated file; we set it aside with a warning that names
  it and resume from the newest intact checkpoint instead.
"""
from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from typing import Optional

log = logging.getLogger(__name__)


def trust_checkpoints_under(work_root: str | Path) -> None:
    """Make mmengine load local checkpoints under ``work_root`` with ``weights_only=False``."""
    import torch
    from mmengine.runner.checkpoint import CheckpointLoader

    root = Path(work_root).resolve()

    @CheckpointLoader.register_scheme(prefixes="", force=True)
    def load_from_local(filename, map_location):
        path = Path(filename).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{filename} can not be found.")
        ours = root in path.parents
        return torch.load(path, map_location=map_location, weights_only=not ours)


def is_intact(path: Path) -> bool:
    """A ``torch.save`` file is a zip archive: truncation loses its central directory."""
    try:
        return path.is_file() and zipfile.is_zipfile(path) and zipfile.ZipFile(path).testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def repair_last_checkpoint(work_dir: str | Path) -> Optional[Path]:
    """Point mmengine's ``last_checkpoint`` at the newest intact checkpoint; return it."""
    work_dir = Path(work_dir)
    marker = work_dir / "last_checkpoint"
    if not marker.exists():
        return None
    last = Path(marker.read_text().strip())
    if is_intact(last):
        return last
    log.warning(f"checkpoint {last} is truncated or corrupt (killed while saving?); kept as "
                f"{last.name}.corrupt, resuming from the newest intact one")
    if last.exists():
        last.rename(last.with_name(last.name + ".corrupt"))
    for candidate in sorted(work_dir.glob("*.pth"), key=lambda p: p.stat().st_mtime, reverse=True):
        if is_intact(candidate):
            marker.write_text(str(candidate))
            return candidate
    marker.unlink()
    return None
