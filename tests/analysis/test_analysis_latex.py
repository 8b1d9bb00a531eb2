"""The generated LaTeX compiles with a real pdflatex and renders to PNG (pdftoppm)."""

import shutil

import pytest

from analysis.latex import compile_pdf, have_pdflatex, render_png

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
