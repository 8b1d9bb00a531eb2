"""The generated LaTeX compiles with a real pdflatex, renders to PNG (pdftoppm) and reads right
(pdftotext) in a default ``article``."""

import shutil
import subprocess

import pandas as pd
import pytest

from analysis.latex import compile_pdf, have_pdflatex, render_png
from description.paper_tables import COLUMNS

needs_tex = pytest.mark.skipif(
    not (have_pdflatex() and shutil.which("pdftoppm")),
    reason="pdflatex/pdftoppm not installed -- run scripts/install_tex.sh (CI installs them)",
)


@needs_tex
@pytest.mark.parametrize("table", ["table2", "table6"])
def test_table_compiles_and_renders(golden_out, tmp_path, table):
    for name in (f"{table}.tex", f"{table}_standalone.tex"):
        shutil.copy(golden_out / name, tmp_path / name)
    pdf = compile_pdf(tmp_path / f"{table}_standalone.tex")
    assert pdf.read_bytes().startswith(b"%PDF")
    png = render_png(pdf, dpi=50)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5_000  # a page with a table, not a blank


@needs_tex
def test_compile_error_is_reported(tmp_path):
    bad = tmp_path / "bad_standalone.tex"
    bad.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    with pytest.raises(RuntimeError, match="pdflatex failed"):
        compile_pdf(bad)


def _pdf_text(pdf) -> str:
    """The text of a PDF as a reader copies it (poppler's pdftotext), whitespace collapsed."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return " ".join(out.split())


# characters pdflatex's default font encoding (OT1) prints in place of unescaped < > ! ? `
WRONG_GLYPHS = "¿¡"
needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext not installed -- run "
                                     "scripts/install_tex.sh (CI installs it)")


@needs_tex
@needs_pdftotext
def test_a_one_seed_table_reads_right_in_a_default_article(store, tmp_path):
    """The demo's case (one seed, sigma_seed unknown): its footnote says "until a row has >= 2
    seeds", which a default ``article`` printed as "¿= 2"."""
    from analysis.args import parse_args
    from analysis.tables import run

    store.add(msfm=False, dataset="synthetic", ap=[37.4, 58, 40, 21, 41, 48])
    store.add(scales="5S", dataset="synthetic", ap=[38.9, 60, 42, 22, 42, 50])
    out = tmp_path / "t"
    run(parse_args([f"results_dir={store.path}", f"out_dir={out}", "plots=false", "+sweep=scales"]))
    assert ">=" in (out / "table2_scales.md").read_text()  # the plain text the LaTeX escapes
    text = _pdf_text(compile_pdf(out / "table2_scales_standalone.tex"))
    assert not set(WRONG_GLYPHS) & set(text), text
    assert "until a row has ≥ 2 seeds" in text, text


@needs_tex
@needs_pdftotext
def test_escaped_text_prints_its_own_characters(tmp_path):
    """Each character our captions, names and footnotes may hold prints as itself (or its usual
    typeset form) under pdflatex's defaults, through ``to_tex``'s caption."""
    from analysis.captions import TableText
    from analysis.render import to_standalone, to_tex
    from description.paper_tables import load_specs

    # plain text -> what a reader copies from the PDF (OT1 draws "_" as a rule: no character)
    cases = {
        "a >= b, c <= d": "a ≥ b, c ≤ d", "e > f < g | h": "e > f < g | h", "x ± 0.2 ~3": "x ± 0.2 ∼3",
        "50% & #1 $5 {z} back\\slash": "50% & #1 $5 {z} back\\slash", "≥ ≤ × → ∞": "≥ ≤ × → ∞",
        "σ_seed² α μ λ Σ": "σ seed2 α µ λ Σ", "ΔAP 1 — 2 – 3": "∆AP 1 — 2 – 3", "µm 5°": "µm 5◦",
    }
    spec = load_specs()["table2"]
    frame = pd.DataFrame([dict(part="", name="Faster R-CNN R50-FPN", variant="baseline|x", baseline=True,
                               state="finished", n=1, params_M=41.5, delta_AP=None,
                               **dict.fromkeys(COLUMNS, 37.4))])
    (tmp_path / "t.tex").write_text(to_tex(spec, frame, TableText(" CASE ".join(cases))))
    (tmp_path / "t_standalone.tex").write_text(to_standalone("t.tex"))
    text = _pdf_text(compile_pdf(tmp_path / "t_standalone.tex"))
    assert not set(WRONG_GLYPHS) & set(text), text
    for plain, shown in cases.items():
        assert shown in text, (plain, shown, text)
