"""The report as one self-contained HTML file: plotly.js embedded once, no CDN, opens offline.

Every figure is a ``<div>`` plus a small ``Plotly.newPlot`` script that uses the
one embedded copy of plotly.js, so the file can be mailed and opened without a
network.  Tables are plain HTML; numbers are formatted by
:func:`rotation.report.model.format_cell`.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import Any

from rotation.data.textio import write_atomic
from rotation.report.model import FigureRef, Report, Section, Table, format_cell

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0;
       color: #222; background: #fafafa; }
header { background: #1f2d3d; color: #fff; padding: 14px 24px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header .meta { font-size: 13px; color: #cdd; }
nav { background: #eef1f4; padding: 8px 24px; font-size: 13px; position: sticky; top: 0; z-index: 10; }
nav a { margin-right: 14px; color: #1f4e79; text-decoration: none; }
main { padding: 8px 24px 40px 24px; max-width: 1400px; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; margin: 16px 0; padding: 12px 18px; }
section h2 { font-size: 18px; margin: 4px 0 8px 0; }
.badge { font-size: 11px; padding: 2px 7px; border-radius: 10px; margin-left: 8px; vertical-align: middle; }
.badge.partial { background: #fff3cd; color: #7a5b00; }
.badge.missing { background: #f8d7da; color: #842029; }
.badge.empty { background: #e2e3e5; color: #41464b; }
ul.lines { margin: 4px 0 10px 0; padding-left: 20px; }
ul.lines li { margin: 3px 0; }
.missing-list { color: #842029; font-size: 13px; }
table.data { border-collapse: collapse; font-size: 13px; margin: 8px 0 14px 0; }
table.data caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.data th { background: #f1f3f5; text-align: left; padding: 4px 9px; border-bottom: 1px solid #ccc; }
table.data td { padding: 3px 9px; border-bottom: 1px solid #eee; white-space: nowrap; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.neg { color: #b02a37; } td.pos { color: #1a7f37; }
.note { font-size: 12px; color: #666; margin: -8px 0 10px 0; }
.figure { margin: 10px 0; }
.caption { font-size: 12px; color: #555; margin: 2px 0 12px 4px; }
footer { font-size: 12px; color: #666; padding: 10px 24px; }
"""

_NUMERIC = ("pct", "pct0", "num", "int", "sint", "usd", "rank")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (read once per process)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def table_html(table: Table) -> str:
    """One :class:`Table` as an HTML table (signed percentages coloured)."""
    head = "".join(f"<th>{_esc(c.name)}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for col, value in zip(table.columns, row, strict=False):
            cls = []
            if col.kind in _NUMERIC:
                cls.append("num")
            if col.kind == "pct" and isinstance(value, (int, float)) and value == value:
                cls.append("neg" if value < 0 else "pos" if value > 0 else "")
            attr = f' class="{" ".join(c for c in cls if c)}"' if cls else ""
            cells.append(f"<td{attr}>{_esc(format_cell(value, col.kind))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<div class="note">{_esc(table.note)}</div>' if table.note else ""
    return (
        f'<table class="data"><caption>{_esc(table.title)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def figure_html(ref: FigureRef, *, static: bool = False) -> str:
    """A figure as a div + script that draws it with the page's single plotly.js (``static``: no toolbar)."""
    div = ref.figure.to_html(
        include_plotlyjs=False,
        full_html=False,
        div_id=f"fig-{ref.key}",
        default_height=f"{ref.height}px",
        config={"displaylogo": False, "responsive": True, "displayModeBar": not static},
    )
    caption = f'<div class="caption">{_esc(ref.caption)}</div>' if ref.caption else ""
    return f'<div class="figure" data-figure="{_esc(ref.key)}">{div}</div>{caption}'


def section_html(section: Section) -> str:
    badge = (
        f'<span class="badge {section.status}">{_esc(section.status)}</span>'
        if section.status != "ok" else ""
    )
    parts = [f'<section id="{_esc(section.key)}" data-status="{_esc(section.status)}">',
             f"<h2>{section.number}. {_esc(section.title)}{badge}</h2>"]
    if section.lines:
        parts.append('<ul class="lines">' + "".join(f"<li>{_esc(x)}</li>" for x in section.lines) + "</ul>")
    if section.missing:
        parts.append(
            '<div class="missing-list">Not shown, inputs missing: '
            + "; ".join(_esc(m) for m in section.missing) + "</div>"
        )
    parts.extend(figure_html(f) for f in section.figures)
    parts.extend(table_html(t) for t in section.tables)
    parts.append("</section>")
    return "\n".join(parts)


def render_html(report: Report, *, plotly_src: str | None = None, controls: str = "",
                title: str | None = None, meta: str | None = None) -> str:
    """The whole report as one HTML document (about 5 MB: plotly.js is inside).

    The dashboard passes ``plotly_src`` (a URL serving plotly.js once, cached by
    the browser) instead of embedding it, and ``controls`` (HTML put under the header);
    ``title`` and ``meta`` replace the report's heading and its line under it (the tearsheet).
    """
    title = title or f"Rotation report, as of {report.as_of.isoformat()}"
    nav = "".join(
        f'<a href="#{_esc(s.key)}">{s.number}. {_esc(s.title)}</a>' for s in report.sections
    )
    notes = "".join(f"<div>{_esc(n)}</div>" for n in report.notes)
    body = "\n".join(section_html(s) for s in report.sections)
    meta = _esc(meta) if meta is not None else (
        f"generated {report.generated_at.isoformat(timespec='seconds')} UTC · store {_esc(report.store)} · "
        f"universes {_esc(', '.join(report.universes))}"
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_esc(title)}</title>"
        f"<style>{_CSS}</style>"
        + (f'<script type="text/javascript" src="{_esc(plotly_src)}"></script>' if plotly_src
           else f'<script type="text/javascript">{plotly_js()}</script>')
        + "</head><body>"
        f"<header><h1>{_esc(title)}</h1><div class=\"meta\">{meta}</div>{controls}</header>"
        f"<nav>{nav}</nav><main>{body}</main><footer>{notes}</footer>"
        "</body></html>\n"
    )


def write_html(report: Report, path: Path | str) -> Path:
    """Write :func:`render_html` to ``path`` (UTF-8) and return the path."""
    return write_atomic(path, render_html(report), "report")


def figure_page(ref: FigureRef, *, title: str | None = None, static: bool = False) -> str:
    """One figure as its own self-contained page (``rotation chart --out x.html``, PNG export)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{_esc(title or ref.title)}</title>"
        "<style>body{margin:0;background:#fff;font-family:sans-serif}</style>"
        f'<script type="text/javascript">{plotly_js()}</script>'
        f"</head><body>{figure_html(ref, static=static)}</body></html>\n"
    )
