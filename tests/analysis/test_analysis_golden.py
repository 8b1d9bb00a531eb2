"""Generated tables against golden files (regenerate: UPDATE_GOLDEN=1 pytest tests/analysis)."""

import pytest


@pytest.fixture
def out_dir(golden_out):
    """The tables built from the golden store (see conftest.UNFINISHED for its gaps)."""
    return golden_out


@pytest.mark.parametrize("table", ["table2", "table6"])
@pytest.mark.parametrize("ext", ["tex", "md", "csv"])
def test_table_matches_golden(out_dir, golden, table, ext):
    golden(f"{table}.{ext}", (out_dir / f"{table}.{ext}").read_text())


def test_standalone_wraps_the_table(out_dir, golden):
    text = (out_dir / "table2_standalone.tex").read_text()
    assert r"\input{table2.tex}" in text and r"\usepackage{booktabs,graphicx,xcolor}" in text
    golden("table2_standalone.tex", text)


def test_bare_table_is_inputable(out_dir):
    text = (out_dir / "table2.tex").read_text()
    assert r"\documentclass" not in text and text.count(r"\begin{table}") == 1
    assert text.isascii(), "LaTeX output must be plain ASCII"


def test_table2_is_one_table_with_five_parts(out_dir):
    text = (out_dir / "table2.tex").read_text()
    for part in ("Scales", "Ratios", "Norm group", "Conv num", "Fusion type"):
        assert rf"\textit{{{part}}}" in text
