"""The 'watch:' line a chained sweep or a search driver prints is a command that runs: the
status of the same study, ``-m`` left out (sweeps.status takes overrides only), passwords masked."""
import shlex
import subprocess
import sys

from tests.helpers import ROOT


def test_the_watch_line_is_a_status_command_that_parses(tmp_path):
    from sweeps.watch import watch_command

    argv = ["-m", f"output_root={tmp_path}", "+sweep=scales", "wandb.notes=a b; $(id)",
            "hydra.sweeper.storage=postgresql://bob:s3cret@127.0.0.1:9/optuna"]
    line = watch_command(argv)
    assert "s3cret" not in line and "bob:***@" in line
    words = shlex.split(line)
    assert words[:3] == ["python", "-m", "sweeps.status"] and "-m" not in words[3:]
    assert words[3:5] == argv[1:3] and words[5] == "wandb.notes=a b; $(id)"
    status = subprocess.run([sys.executable, *words[1:5]], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert status.returncode == 0, status.stderr[-2000:]
