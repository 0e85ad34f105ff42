"""``rotation report`` and ``rotation chart`` from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rotation.report.png import find_chromium

Cli = Callable[..., Any]


def test_report_html_from_the_real_store(cli: Cli, real_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = cli("report", "--as-of", "2024-07-26", "--out", str(out), "--store", str(real_store))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    page = out.read_text(encoding="utf-8")
    assert "2024-07-11 ^RUT:^NDX" in page
    assert "ATH 140.76 (2024-06-20)" in page
    assert "<script src=" not in page and "<script type=\"text/javascript\" src=" not in page


def test_report_text_fits_120_columns(cli: Cli, real_store: Path) -> None:
    result = cli("report", "--as-of", "2024-07-26", "--format", "text", "--store", str(real_store))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(x) for x in lines) <= 120
    text = result.output
    assert "2024-07-11 ^RUT:^NDX" in text and "rank" in text
    assert "140.76 on 2024-06-20" in text
    assert "8. Data health" in text


def test_report_json(cli: Cli, real_store: Path) -> None:
    result = cli("report", "--as-of", "2024-07-26", "--json", "--store", str(real_store))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["as_of"] == "2024-07-26"
    head = next(s for s in doc["sections"] if s["key"] == "headline")
    assert any(e["date"] == "2024-07-11" and e["pair"] == "^RUT:^NDX" for e in head["facts"]["explained"])
    chart = next(s for s in doc["sections"] if s["key"] == "daily_chart")
    assert chart["facts"]["NVDA"]["ath_date"] == "2024-06-20"


def test_empty_or_missing_store_exits_2_with_fill_instructions(cli: Cli, tmp_path: Path) -> None:
    from rotation.data.store import Store

    missing = cli("report", "--store", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 2
    assert "rotation data import" in missing.output and "rotation data update" in missing.output
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()
    result = cli("report", "--store", str(empty))
    assert result.exit_code == 2
    assert "rotation data import" in result.output and "rotation data update" in result.output


def test_bad_format_is_exit_2(cli: Cli, real_store: Path) -> None:
    result = cli("report", "--format", "pdf", "--store", str(real_store))
    assert result.exit_code == 2
    assert "--format" in result.output


def test_chart_html(cli: Cli, real_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "nvda.html"
    result = cli("chart", "NVDA", "--vs", "RUT", "--start", "2024-04-01", "--end", "2024-07-31",
                 "--out", str(out), "--store", str(real_store))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count("* plotly.js v") == 1
    assert "^RUT" in page and "candlestick" in page
    lines = tmp_path / "lines.html"
    result = cli("chart", "NVDA", "RUT", "QQQ", "--start", "2024-01-01", "--out", str(lines),
                 "--store", str(real_store))
    assert result.exit_code == 0, result.output
    assert "rebased to 100" in lines.read_text(encoding="utf-8")


def test_chart_rejects_other_suffixes(cli: Cli, real_store: Path, tmp_path: Path) -> None:
    result = cli("chart", "NVDA", "--out", str(tmp_path / "x.pdf"), "--store", str(real_store))
    assert result.exit_code == 2
    assert ".html or .png" in result.output


@pytest.mark.skipif(find_chromium() is None, reason="PNG export needs Chromium (apt-get install -y chromium)")
def test_chart_png(cli: Cli, real_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "nvda.png"
    result = cli("chart", "NVDA", "--vs", "RUT", "--start", "2024-04-01", "--end", "2024-07-31",
                 "--out", str(out), "--store", str(real_store))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000


def test_fetch_fills_an_empty_store_then_reports(
    cli: Cli, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--fetch`` goes through `rotation data update`'s library; the network is a local
    transport answering Stooq-style CSV cut from the real files (tests never go online)."""
    import httpx
    import polars as pl

    import rotation.data.providers as providers
    from rotation.data.providers import RetryPolicy, StooqProvider
    from rotation.data.providers.stooq import STOOQ_INDEX

    index = {v: k for k, v in STOOQ_INDEX.items()}
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        name = request.url.params["s"]
        symbol = index.get(name, name.removesuffix(".us").upper())
        asked.append(symbol)
        path = shared_data / f"{symbol.lstrip('^')}.csv"
        if not path.is_file():
            return httpx.Response(404, text="")
        frame = pl.read_csv(path, try_parse_dates=True).filter(
            (pl.col("date") >= pl.date(2023, 1, 3)) & (pl.col("date") <= pl.date(2024, 7, 26))
        )
        body = frame.select(
            pl.col("date").dt.strftime("%Y-%m-%d").alias("Date"), pl.col("open").alias("Open"),
            pl.col("high").alias("High"), pl.col("low").alias("Low"), pl.col("close").alias("Close"),
            pl.col("volume").alias("Volume"),
        ).write_csv()
        return httpx.Response(200, text=body)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    fast = RetryPolicy(attempts=1, base_delay=0.0)
    monkeypatch.setattr(providers, "get_provider", lambda name: StooqProvider(client, retry=fast))
    store = tmp_path / "fresh.duckdb"
    result = cli("report", "--fetch", "--provider", "stooq", "--as-of", "2024-07-26", "--format", "text",
                 "--universe", "core", "--store", str(store))
    assert result.exit_code == 0, result.output
    assert {"NVDA", "^RUT", "^NDX", "IWM", "SPY"} <= set(asked)
    assert "fetching" in result.output
    # Ranked against the fetched history only (from 2023): the widest since 2023.
    assert "2024-07-11 ^RUT:^NDX" in result.output and "widest spread in ^RUT's favour since 2023" in result.output
