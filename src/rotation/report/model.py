"""The report as values: frozen dataclasses that every renderer (HTML, terminal, JSON) reads.

A :class:`Report` is a list of :class:`Section`; a section holds plain sentences
(``lines``), :class:`Table` values, :class:`Spark` series for the terminal and
:class:`FigureRef` plotly figures for the HTML page and the dashboard.  Numbers
in tables stay raw (fractions for percentages, floats for levels); each
:class:`Column` says how to show them, so the JSON output keeps the raw values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# How a column's raw values are shown: "pct" = fraction shown as signed percent,
# "pct0" = fraction shown unsigned, "num" = level with 2 decimals, "int", "sint" = signed int
# (a net position, a change in contracts), "usd" = signed dollars in billions, "date", "text".
COLUMN_KINDS: tuple[str, ...] = ("text", "pct", "pct0", "num", "int", "sint", "usd", "date", "rank")

STATUSES: tuple[str, ...] = ("ok", "partial", "missing", "empty")


@dataclass(frozen=True)
class Column:
    """A table column: its header and how its raw values are shown."""

    name: str
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    """A small table of raw values (fractions stay fractions; renderers format them)."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class Spark:
    """A series drawn as a sparkline in the terminal (oldest first), with a short caption."""

    label: str
    values: tuple[float, ...]
    caption: str = ""


@dataclass(frozen=True)
class FigureRef:
    """A plotly figure with a stable key (``"ratios"``) and the sentence a reader needs."""

    key: str
    title: str
    figure: Any  # plotly.graph_objects.Figure; Any keeps this module free of plotly
    caption: str = ""
    height: int = 480


@dataclass(frozen=True)
class Section:
    """One numbered part of the report.

    ``status`` is ``ok``; ``partial`` when some inputs were missing; ``missing``
    when the analytics it needs are not available (``missing`` names them);
    ``empty`` when there is nothing to show (e.g. no trades).
    """

    number: int
    key: str
    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[FigureRef, ...] = ()
    sparks: tuple[Spark, ...] = ()
    status: str = "ok"
    missing: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """The evening report: what rotated, how big by history's standard, where segments stand."""

    as_of: date
    generated_at: datetime
    store: str
    universes: tuple[str, ...]
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    def section(self, key: str) -> Section:
        """The section with this key (``"headline"``, ``"daily_chart"``...)."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"no section {key!r}; sections: {', '.join(s.key for s in self.sections)}")

    @property
    def figures(self) -> tuple[FigureRef, ...]:
        return tuple(f for s in self.sections for f in s.figures)


def format_cell(value: Any, kind: str) -> str:
    """One raw table value shown as text: fractions as percent, levels with 2 decimals."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if kind == "pct":
        return f"{value * 100:+.2f}%"
    if kind == "pct0":
        return f"{value * 100:.2f}%"
    if kind == "num":
        return f"{value:,.2f}"
    if kind in ("int", "rank"):
        return f"{int(value):,}"
    if kind == "sint":
        return f"{int(value):+,}"
    if kind == "usd":
        return f"{'+' if value >= 0 else '-'}${abs(value) / 1e9:,.2f}bn"
    if kind == "date":
        return value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    return str(value)


def table_records(table: Table) -> list[dict[str, Any]]:
    """A table's rows as dicts keyed by column name (raw values: fractions stay fractions)."""
    names = [c.name for c in table.columns]
    return [dict(zip(names, row, strict=False)) for row in table.rows]


def report_dict(report: Report) -> dict[str, Any]:
    """The report as plain data for ``--format json``: sections, sentences, tables, facts.

    Figures are listed by key, title and caption (their data is what the tables and
    facts hold); dates stay ``date`` objects for the JSON printer to format.
    """
    return {
        "as_of": report.as_of,
        "generated_at": report.generated_at,
        "store": report.store,
        "universes": list(report.universes),
        "notes": list(report.notes),
        "timings_s": {k: round(v, 4) for k, v in report.timings.items()},
        "sections": [
            {
                "number": s.number,
                "key": s.key,
                "title": s.title,
                "status": s.status,
                "missing": list(s.missing),
                "lines": list(s.lines),
                "facts": s.facts,
                "tables": [
                    {"title": t.title, "note": t.note,
                     "columns": [{"name": c.name, "kind": c.kind} for c in t.columns],
                     "rows": table_records(t)}
                    for t in s.tables
                ],
                "figures": [{"key": f.key, "title": f.title, "caption": f.caption} for f in s.figures],
                "sparks": [{"label": p.label, "caption": p.caption, "values": list(p.values)} for p in s.sparks],
            }
            for s in report.sections
        ],
    }
