"""The one 'watch:' line of a study queued on SLURM (a chained sweep, a search driver)."""
from __future__ import annotations

import shlex
from typing import Sequence


def watch_command(argv: Sequence[str]) -> str:
    """The status command of the study typed as ``argv`` (a URL's password masked)."""
    from results.study import mask_url

    def shown(a: str) -> str:
        key, sep, value = a.partition("=")
        return f"{key}={mask_url(value)}" if sep and "://" in value else a

    return shlex.join(["python", "-m", "sweeps.status",
                       *(shown(a) for a in argv if a not in ("-m", "--multirun"))])
