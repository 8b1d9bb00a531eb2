"""The sweep console: what a user sees while variants train (plain lines off a terminal, a
rich live view on one), fed the same events a real training run sends."""
import io

from launchers.live_console import SweepConsole

PLANNED = [("a" * 16, "scales=3S"), ("b" * 16, "scales=5S"), ("c" * 16, "msfm.enabled=false")]


def _sweep(console: SweepConsole) -> None:
    """Three variants as a sweep runs them: one trains, one fails, one was done before."""
    a, b, c = (key for key, _ in PLANNED)
    console.start(a, "scales=3S", "/w/a/console.log")
    report = console.reporter(a)
    report("start", iter=0, max_iters=4, epoch=0, max_epochs=2)
    for i in range(1, 5):
        report("iter", iter=i, max_iters=4, epoch=(i + 1) // 2, max_epochs=2, loss=2.0 / i)
        if i % 2 == 0:
            report("epoch", epoch=i // 2, max_epochs=2, loss=1.5 / i)
    report("val", metrics={"bbox_mAP": 0.123, "bbox_mAP_50": 0.3})
    console.done(a, "scales=3S", {"status": "finished", "metrics": {"bbox_mAP": 0.123}})
    console.start(b, "scales=5S", "/w/b/console.log")
    console.reporter(b)("start", iter=2, max_iters=4, epoch=1, max_epochs=2)
    console.done(b, "scales=5S", {"status": "failed", "error": "FloatingPointError: loss is nan"})
    console.done(c, "msfm.enabled=false", {"status": "finished", "metrics": {"bbox_mAP": 0.1}})
    console.close("out/results")


def test_off_a_terminal_one_line_per_state_change_and_epoch():
    out = io.StringIO()
    _sweep(SweepConsole(PLANNED, file=out))
    lines = out.getvalue().splitlines()
    assert lines[0] == f"[1/3] {'a' * 16} scales=3S: running (full log: /w/a/console.log)"
    assert lines[1:3] == [f"[1/3] {'a' * 16} scales=3S: epoch 1/2 loss 0.7500",
                          f"[1/3] {'a' * 16} scales=3S: epoch 2/2 loss 0.3750"]
    assert lines[3].startswith(f"[1/3] {'a' * 16} scales=3S: finished: AP 0.123 in 0:0")
    assert lines[5] == f"[2/3] {'b' * 16} scales=5S: resumed at epoch 1/2"
    assert "failed" in lines[6] and "FloatingPointError: loss is nan" in lines[6]
    assert lines[7] == f"[3/3] {'c' * 16} msfm.enabled=false: already finished: AP 0.100"
    assert lines[8].startswith("sweep: 3 variants: 1 finished, 1 failed, 1 skipped (")
    assert lines[8].endswith("; records in out/results")
    assert lines[9] == f"  failed {'b' * 16} scales=5S: FloatingPointError: loss is nan"
    assert len(lines) == 10


def test_on_a_terminal_a_live_view_ends_with_one_row_per_variant():
    from rich.console import Console

    out = io.StringIO()
    console = SweepConsole(PLANNED, live=True)
    console.console = Console(file=out, force_terminal=True, width=160, color_system=None)
    _sweep(console)
    text = out.getvalue()
    final = text[text.rfind("[1/3]"):]  # the last redraw, then the summary
    assert "AP 0.123" in final and "failed" in final and "already finished" in final
    assert final.count(f"{'a' * 16} scales=3S") == 1 and "running" not in final
    assert "sweep: 3 variants" in final
