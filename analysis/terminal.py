"""Print table frames to the terminal with rich: our columns plus the paper's AP and Delta AP."""

from __future__ import annotations

import re

import pandas as pd

from analysis.captions import TableText
from analysis.render import MD_HEAD, MD_OURS, bold_mask, cells, has_paper, significance, verdict_cells
from description.paper_tables import TableSpec

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def print_table(spec: TableSpec, frame: pd.DataFrame, console=None, text: TableText | None = None) -> None:
    """Render one table as a rich Table (parts as sections, best values bold green; a Delta AP
    that is better or worse with a dagger, one that is not dimmed; seeds ``n`` and the verdict
    after it), caption and footnote."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:  # a log file: don't squeeze 14 columns into 80
            console = Console(width=180)
    paper = has_paper(frame)
    bold = bold_mask(frame).join(bold_mask(frame, "paper_")) if paper else bold_mask(frame)
    table = Table(title=f"{spec.name}: {escape(text.caption if text else spec.caption)}", title_justify="left")
    table.add_column("Name", no_wrap=True)
    for head in MD_HEAD:
        table.add_column(head, justify="right", no_wrap=True)
    table.add_column(MD_OURS[0], justify="right", no_wrap=True, min_width=1)  # seeds: never squeezed away
    table.add_column(MD_OURS[1], no_wrap=True, min_width=11)
    if paper:
        table.add_column("paper's AP", justify="right", style="dim", no_wrap=True)
        table.add_column("paper's ΔAP", justify="right", style="dim", no_wrap=True)
    several = frame["part"].nunique() > 1
    for part, rows in frame.groupby("part", sort=False):
        if part and several:
            table.add_section()
            table.add_row(f"[italic]{escape(part)}[/italic]")
        for idx, row in rows.iterrows():
            vals = cells(row, bold.loc[idx], "", "md") + [escape(v) for v in verdict_cells(row, "md")]
            if paper:
                theirs = cells(row, bold.loc[idx], "paper_", "md")
                vals += [theirs[0], theirs[-1]]
            vals = [_BOLD.sub(r"[bold green]\1[/bold green]", v).replace(" ± ", "±") for v in vals]
            if significance(row) is False:
                vals[7] = f"[dim]{vals[7]}[/dim]"
            name = escape(row["name"])
            if row["state"] != "finished":
                name += f" [yellow]({row['state']})[/yellow]"
            table.add_row(name, *vals)
    if text and text.pipeline_check:
        console.print("[bold red]PIPELINE CHECK -- these numbers are not evidence about MSFM "
                      "(synthetic data and/or smoke schedule).[/bold red]")
    console.print(table)
    for line in (text.footnote if text else []):
        line = line.replace("Delta AP", "ΔAP").replace("DAGGER", "†").replace("GREY", "dimmed")
        console.print(f"[dim]{escape(line)}[/dim]")
