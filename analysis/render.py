"""Table frames -> LaTeX (booktabs), Markdown and CSV text in the paper's layout.

Layout: Name | AP AP50 AP75 APs APm APl | #Param | Delta AP | n | Verdict, then the paper's
AP ... Delta AP when the frame has them. One decimal everywhere; best value per column and
part in bold; a row without a finished record shows "--" and its state. Our Delta AP carries
its interval (``analysis.significance``, covering val images and training seeds):
Markdown/CSV print ``+1.4 [+1.1, +1.7]`` (``[—]`` without stored detections), LaTeX daggers a
Delta that is better or worse and greys one that is not; ``n`` is the row's seeds and the
verdict says better / worse / within ±r / unresolved / below floor / no claim, with "best" or
"tied best" for its part's best option. The caption and footnote come from ``analysis.captions``;
every piece of text in the LaTeX goes through ``tex_escape``, so the table reads the same in any
preamble (pdflatex's default OT1 encoding included).
"""

from __future__ import annotations

import math
import re
import unicodedata

import pandas as pd

from analysis.captions import TableText
from description.paper_tables import COLUMNS, TableSpec

BOLD_COLUMNS = (*COLUMNS, "delta_AP")  # #Param is a cost, not a score: never bold
TEX_HEAD = ("AP", "AP$_{50}$", "AP$_{75}$", "AP$_S$", "AP$_M$", "AP$_L$", r"\#Param", r"$\Delta$AP")
MD_HEAD = ("AP", "AP50", "AP75", "APs", "APm", "APl", "#Param", "ΔAP")
TEX_OURS, MD_OURS = (r"$n$", "Verdict"), ("n", "Verdict")  # after our Delta AP only
# Plain text -> LaTeX that prints the same glyphs in any preamble: pdflatex's default font
# encoding (OT1) has no < > | (a bare ">=" prints as "¿="), and Unicode beyond Latin-1 is not
# set up by default, so such characters become math or text-symbol commands of the kernel.
_TEX_TEXT = {
    ">=": r"$\geq$", "<=": r"$\leq$", ">": r"\textgreater{}", "<": r"\textless{}", "|": r"\textbar{}",
    "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$", "{": r"\{", "}": r"\}",
    "\\": r"\textbackslash{}", "~": r"$\sim$", "^": r"\textasciicircum{}", "°": r"$^\circ$", "µ": r"$\mu$",
    "±": r"$\pm$", "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$", "≈": r"$\approx$", "×": r"$\times$",
    "·": r"$\cdot$", "√": r"$\surd$", "∞": r"$\infty$", "→": r"$\rightarrow$", "²": r"$^2$", "†": r"$^\dagger$",
    "—": "---", "–": "--", "…": r"\dots{}", "−": r"$-$",
    **{ch: f"$\\{unicodedata.name(ch).split()[-1].lower().replace('lamda', 'lambda')}$" for ch in "αβγδελμπρστφω"},
    **{ch: f"$\\{unicodedata.name(ch).split()[-1].capitalize()}$" for ch in "ΓΔΘΛΞΠΣΦΨΩ"},
}
# the footnote's placeholders (analysis.captions writes plain text; each renderer marks it up)
_TEX_FOOTNOTE = {"Delta AP": r"$\Delta$AP", "DAGGER": r"$^\dagger$", "GREY": r"\textcolor{gray}{grey}",
                 "σ_seed²": r"$\sigma_\mathrm{seed}^2$", "σ_seed": r"$\sigma_\mathrm{seed}$"}


def _ok(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def tex_escape(text: str, phrases: dict[str, str] | None = None) -> str:
    """Plain text as LaTeX that renders the same in any preamble (``_TEX_TEXT``): special
    characters escaped, comparisons and the symbols our text uses as math (another character
    beyond Latin-1 stays as it is, and pdflatex names it in its error); ``phrases`` (plain ->
    LaTeX) are replaced whole, before any character inside them."""
    table = {**_TEX_TEXT, **(phrases or {})}
    pattern = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.sub(pattern, lambda m: table[m[0]], text)


def has_paper(frame: pd.DataFrame) -> bool:
    """Whether the frame carries the paper's column group."""
    return "paper_AP" in frame.columns


def bold_mask(frame: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """True where a value is its part's best (ties at display precision all win).

    Parts with fewer than two values in a column get no bold there. ``prefix`` picks
    the column group: ``""`` ours, ``"paper_"`` the paper's.
    """
    cols = [prefix + c for c in BOLD_COLUMNS]
    mask = pd.DataFrame(False, index=frame.index, columns=cols)
    for _, part in frame.groupby("part", sort=False):
        for col in cols[:-1]:
            shown = part[col].round(1).dropna()
            if len(shown) >= 2:
                mask.loc[shown.index, col] = shown == shown.max()
    # Delta AP is AP minus the part's one baseline: bold it with AP, so rounding can't split them
    mask[cols[-1]] = mask[prefix + "AP"] & frame[prefix + "delta_AP"].notna()
    return mask


def cells(row: pd.Series, bold: pd.Series, prefix: str, style: str) -> list[str]:
    """The eight value cells (six APs, #Param, Delta AP) of one row in ``tex`` or ``md`` style."""
    dash = "---" if style == "tex" else "—"
    pm = r"$\pm$" if style == "tex" else " ± "
    out = []
    for col in (*COLUMNS, "params_M", "delta_AP"):
        v = row.get(prefix + col)
        if col == "delta_AP" and row["baseline"]:
            out.append("")
            continue
        if not _ok(v):
            out.append(dash)
            continue
        text = f"{v:+.1f}" if col == "delta_AP" else f"{v:.1f}"
        if bold.get(prefix + col, False):
            text = rf"\textbf{{{text}}}" if style == "tex" else f"**{text}**"
        std = row.get(col + "_std") if not prefix else None
        if col in COLUMNS and _ok(std):
            text += f"{pm}{std:.1f}"
        if col == "delta_AP" and not prefix:
            text = delta_with_ci(row, text, style)
        out.append(text)
    return out


def ci_text(row: pd.Series) -> str:
    """``[+1.1, +1.7]`` for our Delta AP, ``[—]`` when it has no CI."""
    lo, hi = row.get("delta_AP_lo"), row.get("delta_AP_hi")
    return f"[{lo:+.1f}, {hi:+.1f}]" if _ok(lo) and _ok(hi) else "[—]"


def significance(row: pd.Series) -> bool | None:
    """Whether the row's Delta AP CI excludes 0; None without a CI."""
    sig = row.get("significant")
    return None if sig is None or (isinstance(sig, float) and math.isnan(sig)) else bool(sig)


def delta_with_ci(row: pd.Series, text: str, style: str) -> str:
    """Our Delta AP cell: CI and dagger (md), or dagger / grey by significance (tex)."""
    sig = significance(row)
    known = sig is not None
    if style == "tex":
        if not known:
            return text
        return text + r"$^\dagger$" if sig else rf"\textcolor{{gray}}{{{text}}}"
    return f"{text} {ci_text(row)}" + (" †" if known and sig else "")


def verdict_cells(row: pd.Series, style: str) -> list[str]:
    """Our seeds ``n`` and verdict cells (empty for baselines' verdict, "--" where not finished)."""
    if row["state"] != "finished":
        return ["---" if style == "tex" else "—", ""]
    verdict = row.get("verdict")
    text = "" if row["baseline"] or not isinstance(verdict, str) else verdict
    best = row.get("best")
    if isinstance(best, str):
        text += ("; " if text else "") + ("best" if best == "best" else "tied best")
    text = text.replace("within ±resolve", "within ±r")
    return [str(int(row["n"])), tex_escape(text) if style == "tex" else text]


def row_name(row: pd.Series, style: str) -> str:
    """The Name cell; rows without finished results carry their state."""
    name = tex_escape(row["name"]) if style == "tex" else row["name"]
    if row["state"] == "finished":
        return name
    return rf"{name} \textit{{({tex_escape(row['state'])})}}" if style == "tex" else f"{name} *({row['state']})*"


def to_tex(spec: TableSpec, frame: pd.DataFrame, text: TableText | None = None) -> str:
    """A booktabs ``table`` environment to ``\\input`` in a paper (needs booktabs, graphicx, xcolor)."""
    paper = has_paper(frame)
    ncol = 1 + 10 + (8 if paper else 0)
    bold = bold_mask(frame).join(bold_mask(frame, "paper_")) if paper else bold_mask(frame)
    group = "r" * 8
    colspec = "l" + group + "rl" + (r"@{\hspace{1.5em}}" + group if paper else "")
    lines = [
        f"% {spec.name} of the MSFM paper -- generated by `python -m analysis.tables`; do not edit.",
        r"% Needs \usepackage{booktabs,graphicx,xcolor}.",
        r"\begin{table}[t]", r"\centering",
        rf"\caption{{{tex_escape(text.caption if text else spec.caption)}}}", rf"\label{{tab:msfm-{spec.name}}}",
        r"\resizebox{\linewidth}{!}{%",
        rf"\begin{{tabular}}{{{colspec}}}", r"\toprule",
    ]
    if paper:
        lines += [r" & \multicolumn{10}{c}{Ours} & \multicolumn{8}{c}{Paper} \\",
                  r"\cmidrule(lr){2-11} \cmidrule(lr){12-19}"]
    lines += ["Name & " + " & ".join((*TEX_HEAD, *TEX_OURS, *(TEX_HEAD if paper else ()))) + r" \\"]
    for part, rows in frame.groupby("part", sort=False):
        lines.append(r"\midrule")
        if part and frame["part"].nunique() > 1:
            lines.append(rf"\multicolumn{{{ncol}}}{{l}}{{\textit{{{tex_escape(part)}}}}} \\")
        for idx, row in rows.iterrows():
            vals = cells(row, bold.loc[idx], "", "tex") + verdict_cells(row, "tex")
            if paper:
                vals += cells(row, bold.loc[idx], "paper_", "tex")
            lines.append(" & ".join([row_name(row, "tex"), *vals]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}}"]
    if text and text.footnote:
        notes = " ".join(tex_escape(n, _TEX_FOOTNOTE) for n in text.footnote)
        lines += [r"\par\smallskip", rf"{{\footnotesize {notes}\par}}"]
    lines += [r"\end{table}", ""]
    return "\n".join(lines)


def to_standalone(table_file: str) -> str:
    """A minimal document that ``\\input``s one table, for compiling it with pdflatex."""
    return "\n".join([
        r"\documentclass{article}",
        r"\usepackage[margin=1.5cm]{geometry}",
        r"\usepackage{booktabs,graphicx,xcolor}",
        r"\pagestyle{empty}",
        r"\begin{document}",
        rf"\input{{{table_file}}}",
        r"\end{document}",
        "",
    ])


def to_markdown(spec: TableSpec, frame: pd.DataFrame, text: TableText | None = None) -> str:
    """A GitHub-flavoured Markdown table; parts start with an italic header row."""
    paper = has_paper(frame)
    bold = bold_mask(frame).join(bold_mask(frame, "paper_")) if paper else bold_mask(frame)
    head = ["Name", *MD_HEAD, *MD_OURS, *(f"paper {h}" for h in MD_HEAD if paper)]
    lines = [f"### {spec.name}: {(text.caption if text else spec.caption).replace('--', '—')}", ""]
    if text and text.pipeline_check:
        lines += ["**PIPELINE CHECK — these numbers are not evidence about MSFM.**", ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
    several = frame["part"].nunique() > 1
    for part, rows in frame.groupby("part", sort=False):
        if part and several:
            lines.append(f"| *{part}* |" + " |" * (len(head) - 1))
        for idx, row in rows.iterrows():
            vals = cells(row, bold.loc[idx], "", "md") + verdict_cells(row, "md")
            if paper:
                vals += cells(row, bold.loc[idx], "paper_", "md")
            lines.append("| " + " | ".join([row_name(row, "md"), *vals]) + " |")
    if text and text.footnote:
        lines += [""] + [n.replace("Delta AP", "ΔAP").replace("DAGGER", "†").replace("GREY", "no mark")
                         .replace("--", "—") for n in text.footnote]
    return "\n".join(lines) + "\n"


def to_csv(frame: pd.DataFrame) -> str:
    """Machine-readable CSV: one decimal, empty cells for missing values, state and seeds ``n``."""
    out = frame.drop(columns=["label"]).copy()
    has = out["delta_AP"].notna() if "delta_AP" in out else pd.Series(False, index=out.index)
    out.insert(out.columns.get_loc("delta_AP") + 1 if "delta_AP" in out else len(out.columns), "delta_AP_ci",
               [f"{r['delta_AP']:+.1f} {ci_text(r)}" if h else "" for (_, r), h in zip(frame.iterrows(), has)])
    if "delta_AP_p" in out:  # a p-value needs more than one decimal
        out["delta_AP_p"] = [f"{p:.3f}" if _ok(p) else "" for p in out["delta_AP_p"]]
    floats = out.select_dtypes("float").columns
    out[floats] = out[floats].round(1)
    return out.to_csv(index=False, float_format="%.1f", lineterminator="\n")
