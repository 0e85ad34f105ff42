"""The report in the terminal: rich tables and sparklines, compact enough for 120 columns.

The same :class:`~rotation.report.model.Report` as the HTML page; figures are
replaced by their sparklines (:class:`~rotation.report.model.Spark`) and their
captions, so the text says the same things as the charts.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from rotation.report.model import Report, Section, Spark, Table, format_cell

WIDTH = 120
_BARS = "▁▂▃▄▅▆▇█"
_NUMERIC = ("pct", "pct0", "num", "int", "sint", "usd", "rank")


def sparkline(values: Sequence[float | None], width: int = 40) -> str:
    """Unicode block sparkline of ``values`` resampled to at most ``width`` characters (nulls skipped)."""
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return ""
    if len(vals) > width:
        # Keep the last point exactly: sample evenly backward from the end.
        step = (len(vals) - 1) / (width - 1)
        vals = [vals[round(i * step)] for i in range(width)]
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-12:
        return _BARS[3] * len(vals)
    scale = (len(_BARS) - 1) / (hi - lo)
    return "".join(_BARS[round((v - lo) * scale)] for v in vals)


TEXT_CELL = 22


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(table: Table, max_rows: int | None) -> RichTable:
    rows = table.rows if max_rows is None else table.rows[:max_rows]
    notes = [table.note] if table.note else []
    if max_rows is not None and len(table.rows) > max_rows:
        notes.insert(0, f"... {len(table.rows) - max_rows} more rows in --format json and the HTML report")
    out = RichTable(
        title=table.title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
        header_style="bold", pad_edge=False, padding=(0, 1), caption="; ".join(notes) or None,
        caption_justify="left", caption_style="dim",
    )
    last = len(table.columns) - 1
    # Long text in a middle column is cut (the full text is in the HTML and JSON); the last may fold.
    texts = [[_clip(format_cell(v, c.kind), TEXT_CELL if j < last else 200)
              for j, (c, v) in enumerate(zip(table.columns, row, strict=False))] for row in rows]
    for j, col in enumerate(table.columns):
        widest = max([len(col.name)] + [len(r[j]) for r in texts if j < len(r)])
        # Short text columns (symbols, kinds) never fold; long ones (messages) fold beyond 40.
        fold_last = j == last and col.kind == "text"
        out.add_column(col.name, justify="right" if col.kind in _NUMERIC else "left",
                       no_wrap=widest <= 40 and not fold_last,
                       min_width=min(widest, 12 if fold_last else 40), overflow="fold")
    for row, text_row in zip(rows, texts, strict=True):
        cells: list[RenderableType] = []
        for col, value, text in zip(table.columns, row, text_row, strict=False):
            style = ""
            if col.kind == "pct" and isinstance(value, (int, float)) and value == value and value != 0:
                style = "red" if value < 0 else "green"
            cells.append(Text(text, style=style))
        out.add_row(*cells)
    return out


def _sparks(sparks: Sequence[Spark]) -> RichTable:
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(no_wrap=True, style="cyan")
    grid.add_column(overflow="fold")
    for s in sparks:
        grid.add_row(s.label, sparkline(s.values), s.caption)
    return grid


def section_renderable(section: Section, *, max_rows: int | None = 12) -> RenderableType:
    """One section as a rich panel: sentences, sparklines, tables, figure captions."""
    parts: list[RenderableType] = []
    for line in section.lines:
        parts.append(Text("• " + line))
    if section.missing:
        parts.append(Text("not shown, inputs missing: " + "; ".join(section.missing), style="red"))
    if section.sparks:
        parts.append(_sparks(section.sparks))
    for t in section.tables:
        parts.append(_table(t, max_rows))
    title = f"{section.number}. {section.title}"
    if section.status != "ok":
        title += f" [{section.status}]"
    return Panel(Group(*parts) if parts else Text("(nothing to show)", style="dim"),
                 title=title, title_align="left", box=box.ROUNDED, expand=True)


def print_report(report: Report, console: Console, *, max_rows: int | None = 12) -> None:
    """Print the report to a rich console (use ``width=120`` for a 120-column terminal).

    Give a console with ``markup=False``: titles and cells are plain text (a section's
    ``[stale]`` status is text, not a style tag).
    """
    console.print(Text(f"Rotation report, as of {report.as_of.isoformat()}", style="bold"))
    console.print(Text(f"store {report.store} · universes {', '.join(report.universes)}", style="dim"))
    for section in report.sections:
        console.print(section_renderable(section, max_rows=max_rows))
    for note in report.notes:
        console.print(Text(note, style="dim"))


def render_text(report: Report, *, width: int = WIDTH, color: bool = False, max_rows: int | None = 12) -> str:
    """The terminal report as a string, at most ``width`` columns per line."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system="standard" if color else None,
                      force_terminal=color, highlight=False, soft_wrap=False, markup=False)
    print_report(report, console, max_rows=max_rows)
    return buf.getvalue()
