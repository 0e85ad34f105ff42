"""The report opened in headless Chromium: every figure drawn, no JavaScript error, a real screenshot."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rotation.data.store import Store
from rotation.report.build import build_report
from rotation.report.html import write_html
from rotation.report.png import check_page, find_chromium, html_to_png

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="headless Chromium not found: `apt-get install -y chromium` (or set ROTATION_CHROMIUM)",
)


@pytest.fixture(scope="module")
def page(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with Store(real_store, read_only=True) as st:
        report = build_report(st, date(2024, 7, 26))
    return write_html(report, tmp_path_factory.mktemp("report") / "r.html")


def test_every_figure_is_drawn_without_errors(page: Path) -> None:
    check = check_page(page)
    assert check.plotly_loaded
    assert check.errors == ()
    assert check.blank_plots == ()
    ids = {p["id"] for p in check.plots}
    assert {"fig-daily_chart", "fig-ratios", "fig-rrg_sectors", "fig-rrg_styles", "fig-breadth",
            "fig-leadership_sectors", "fig-positioning_rty", "fig-positioning_nq"} <= ids
    sections = {s["id"]: s for s in check.sections}
    assert list(sections) == ["headline", "leadership", "daily_chart", "ratios", "rrg", "breadth", "trades",
                              "health", "valuation", "positioning"]
    for s in sections.values():
        assert int(s["text"]) > 100, s
    # The candle chart carries both candle panes, the ATH and pivot markers and the drawdown lines.
    daily = next(p for p in check.plots if p["id"] == "fig-daily_chart")
    assert int(daily["traces"]) >= 5 and int(daily["drawn"]) == int(daily["traces"])


def test_a_broken_page_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head></head><body><section id='x'>text</section>"
        "<script>undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    check = check_page(bad)
    assert not check.ok
    assert any("undefinedFunction" in e for e in check.errors)
    assert not check.plotly_loaded


def test_screenshot_is_a_real_png(page: Path, tmp_path: Path) -> None:
    png = html_to_png(page, tmp_path / "r.png", width=1200, height=2000)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # a blank page compresses to a few kB
