"""The HTML file (self-contained, plotly.js once, no CDN) and the 120-column terminal text."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from rotation.data.store import Store
from rotation.report.build import build_report
from rotation.report.html import render_html
from rotation.report.model import Column, Report, Table, format_cell
from rotation.report.terminal import render_text, sparkline

AS_OF = date(2024, 7, 26)


@pytest.fixture(scope="module")
def report(real_store: Path) -> Report:
    with Store(real_store, read_only=True) as st:
        return build_report(st, AS_OF)


@pytest.fixture(scope="module")
def page(report: Report) -> str:
    return render_html(report)


def test_html_is_self_contained(page: str) -> None:
    # plotly.js is inside, once; nothing is fetched from a network.
    assert page.count("* plotly.js v") == 1
    assert len(re.findall(r"<script[^>]*\bsrc=", page)) == 0
    assert len(re.findall(r"<link[^>]*\bhref=", page)) == 0
    # URLs inside the plotly.js bundle (e.g. map topologies, unused here) are the only ones.
    from rotation.report.html import plotly_js

    assert page.count("https://") == plotly_js().count("https://")
    assert page.count("Plotly.newPlot") == len(re.findall(r'<div id="fig-', page))


def test_html_has_every_section_and_figure(report: Report, page: str) -> None:
    for s in report.sections:
        assert f'<section id="{s.key}"' in page
    for f in report.figures:
        assert f'id="fig-{f.key}"' in page
    assert "2024-07-11" in page and "+5.82%" in page
    assert "ATH 140.76 (2024-06-20)" in page


def test_text_fits_120_columns_and_says_the_same(report: Report) -> None:
    text = render_text(report)
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "2024-07-11 ^RUT:^NDX" in text
    assert re.search(r"rank \d+ of [\d,]+ days when \^RUT beat \^NDX", text)
    assert "140.76 on 2024-06-20" in text
    assert "-19.68%" in text
    for s in report.sections:
        assert f"{s.number}. " in text


def test_format_cell() -> None:
    assert format_cell(0.0357, "pct") == "+3.57%"
    assert format_cell(-0.2, "pct") == "-20.00%"
    assert format_cell(0.9995, "pct0") == "99.95%"
    assert format_cell(2278.12, "num") == "2,278.12"
    assert format_cell(None, "pct") == "-"
    assert format_cell(float("nan"), "num") == "-"
    assert format_cell(date(2024, 7, 11), "date") == "2024-07-11"
    assert format_cell(4506, "int") == "4,506"


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([1.0, 1.0, 1.0]) == "▄▄▄"
    line = sparkline([0.0, 1.0, 2.0, 3.0])
    assert line[0] == "▁" and line[-1] == "█"
    assert len(sparkline(list(range(500)), width=40)) == 40
    assert sparkline([None, 1.0, float("nan"), 2.0]) == "▁█"


def test_empty_table_renders() -> None:
    from rotation.report.html import table_html

    t = Table("Nothing", (Column("a"), Column("b", "pct")), ())
    assert "<tbody></tbody>" in table_html(t)
