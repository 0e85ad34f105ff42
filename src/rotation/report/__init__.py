"""The rotation report: the evening page that says what rotated, how big by history, and where segments stand.

* :func:`build_report` (``rotation.report.build``) loads the store once and calls
  one pure builder per section (``rotation.report.sections``);
* :func:`render_html` / :func:`write_html` make one self-contained HTML file
  (plotly.js embedded, opens offline); :func:`render_text` the 120-column
  terminal view; :mod:`rotation.report.png` PNGs through headless Chromium.
"""

from __future__ import annotations

from rotation.report.build import DEFAULT_UNIVERSES, ReportOptions, build_report
from rotation.report.html import render_html, write_html
from rotation.report.model import Column, FigureRef, Report, Section, Spark, Table
from rotation.report.terminal import render_text

__all__ = [
    "DEFAULT_UNIVERSES",
    "Column",
    "FigureRef",
    "Report",
    "ReportOptions",
    "Section",
    "Spark",
    "Table",
    "build_report",
    "render_html",
    "render_text",
    "write_html",
]
