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
    console.preparing(a, "scales=3S")  # a grid point repeating variant a: nothing more to say
    console.done(a, "scales=3S", {"status": "finished", "metrics": {"bbox_mAP": 0.123}})
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
    assert final.count("a" * 16) == 1 and final.count("scales=3S") == 1  # one row per variant
    assert "running" not in final
    assert "sweep: 3 variants" in final


MSFM = ("position=all scales=[0.5,1.0,2.0] ratios=[0.25] norm_group=16 conv_num=2 "
        "fusion_type=cat seed=2")


def _lines_at(renderable, width: int) -> list[str]:
    from rich.console import Console

    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


def test_at_80_columns_state_epoch_loss_and_ap_are_whole_and_the_overrides_are_cut():
    """A live view of long MSFM labels: every state, epoch, loss and AP uncut; the label last."""
    from rich.console import Console

    keys = [f"{i:x}" * 16 for i in range(1, 6)]
    console = SweepConsole([(k, MSFM) for k in keys], live=True)
    console.console = Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)
    console.preparing(keys[0], MSFM)
    console.start(keys[1], MSFM, "/w/console.log")
    report = console.reporter(keys[1])
    report("start", iter=0, max_iters=120, epoch=0, max_epochs=12)
    report("iter", iter=55, max_iters=120, epoch=5, max_epochs=12, loss=1.23456)
    console.start(keys[2], MSFM, "/w/console.log")
    console.reporter(keys[2])("start", iter=0, max_iters=120, epoch=0, max_epochs=12)
    console.reporter(keys[2])("iter", iter=120, max_iters=120, epoch=12, max_epochs=12, loss=0.5)
    console.done(keys[2], MSFM, {"status": "finished", "metrics": {"bbox_mAP": 0.4123}})
    console.start(keys[3], MSFM, "/w/console.log")
    console.done(keys[3], MSFM, {"status": "failed", "error": "FloatingPointError: loss is nan"})
    console.done(keys[4], MSFM, {"status": "finished", "metrics": {"bbox_mAP": 0.398}})
    lines = _lines_at(console.progress.get_renderable(), 80)
    console.close()
    rows = {line.split()[1]: line for line in lines}
    assert len(lines) == 5 and all(len(line) <= 80 for line in lines)
    assert rows[keys[0]].split()[2] == "preparing"
    assert rows[keys[1]].split()[2:6] == ["running", "ep", "5/12", "loss"]
    assert " loss 1.235 " in rows[keys[1]]
    assert rows[keys[2]].split()[2:7] == ["finished", "ep", "12/12", "AP", "0.412"]
    assert rows[keys[3]].split()[2] == "failed"
    assert " already finished " in rows[keys[4]] and " AP 0.398 " in rows[keys[4]]
    for line in lines:  # the overrides come last, cut with an ellipsis, and nothing else is
        assert " position=" in line and line.rstrip().endswith("…") and line.count("…") == 1


def test_the_rows_layout_gives_every_cell_but_the_label_its_full_width():
    """``rows_table`` at 80 columns, a queued row included; wider, the label is whole."""
    from launchers.live_console import rows_table

    rows = [("[1/4] " + "1" * 16, "queued", "", "", "", MSFM),
            ("[2/4] " + "2" * 16, "running", "ep 5/12", "loss 1.235", "0:41:07", MSFM),
            ("[3/4] " + "3" * 16, "finished", "ep 12/12", "AP 0.412", "", MSFM),
            ("[4/4] " + "4" * 16, "failed", "ep 3/12", "", "", MSFM)]
    lines = _lines_at(rows_table(rows, 80, lambda i, w: "#" * w), 80)
    assert len(lines) == 4 and all(len(line) <= 80 for line in lines)
    for line, row in zip(lines, rows):
        cells = [c for c in row[:5] if c]
        assert all(c in line for c in cells), (line, cells)
        assert line.index(cells[-1]) < line.index("position=all") and "…" in line
    wide = _lines_at(rows_table(rows, 200, lambda i, w: "#" * w), 200)
    assert all(line.rstrip().endswith(MSFM) and "#" * 20 in line for line in wide)
    assert all(len(line) <= 80 for line in _lines_at(rows_table(rows, 80), 80))  # no bar
