"""The backtest tearsheet: statistics by hand and against pandas, monthly returns, rolling Sharpe,
the page written by ``backtest run --out`` and opened in headless Chromium."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rotation.backtest.run import RunConfig, backtest
from rotation.data.store import Store
from rotation.report.png import check_page, find_chromium
from rotation.report.tearsheet import (
    TEARSHEET_STATS,
    monthly_returns,
    rolling_sharpe,
    tearsheet_report,
    tearsheet_stats,
)


def test_stats_by_hand_and_pandas_moments() -> None:
    r = np.random.default_rng(9).normal(0.0005, 0.01, 300)
    r[5] = 0.0
    days = [date(2020, 1, 1), date(2021, 3, 1)]
    s = tearsheet_stats(r, days)
    assert set(s) == {d.key for d in TEARSHEET_STATS}
    total = np.prod(1 + r) - 1
    assert s["total_return"] == pytest.approx(total, rel=1e-12)
    assert s["cagr"] == pytest.approx((1 + total) ** (252 / 300) - 1, rel=1e-12)
    assert s["cagr_calendar"] == pytest.approx((1 + total) ** (365.25 / 425) - 1, rel=1e-12)
    assert s["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252), rel=1e-12)
    assert s["sortino"] == pytest.approx(r.mean() / math.sqrt(np.sum(np.minimum(r, 0) ** 2) / 300) * math.sqrt(252))
    eq = np.r_[1.0, np.cumprod(1 + r)]
    assert s["max_drawdown"] == pytest.approx((eq / np.maximum.accumulate(eq)).min() - 1, rel=1e-12)
    assert s["calmar"] == pytest.approx(s["cagr"] / abs(s["max_drawdown"]))
    assert s["skew"] == pytest.approx(pd.Series(r).skew(), rel=1e-10)
    assert s["kurtosis"] == pytest.approx(pd.Series(r).kurt(), rel=1e-10)
    assert s["win_days"] == pytest.approx((r > 0).sum() / 299)
    assert (s["best_day"], s["worst_day"]) == (r.max(), r.min())
    # a first-day loss is a drawdown from the starting equity
    assert tearsheet_stats(np.array([-0.1, 0.05, 0.01]))["max_drawdown"] == pytest.approx(-0.1)
    assert all(math.isnan(v) for v in tearsheet_stats(np.array([0.01])).values())


def test_monthly_returns_and_rolling_sharpe() -> None:
    dates = [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 29), date(2024, 4, 2)]
    eq = np.array([1.0, 1.1, 1.2, 0.99, 1.089])
    years, grid = monthly_returns(dates, eq)
    assert years == [2024]
    assert grid[0][:4] == [pytest.approx(0.1), pytest.approx(0.99 / 1.1 - 1), None, pytest.approx(0.1)]
    r = np.random.default_rng(2).normal(0, 0.01, 400)
    want = pd.Series(r).rolling(126).mean() / pd.Series(r).rolling(126).std() * math.sqrt(252)
    np.testing.assert_allclose(rolling_sharpe(r), want.to_numpy(), rtol=1e-9, equal_nan=True)


def test_tearsheet_stats_agree_with_the_backtests_where_the_definitions_do(real_store: Path) -> None:
    with Store(real_store, read_only=True) as st:
        res = backtest(st, "pair-switch", {}, RunConfig(commission=0.0005), date(2015, 1, 1), date(2024, 12, 31))
    eq = res.equity["equity"].to_numpy()
    s = tearsheet_stats(eq[1:] / eq[:-1] - 1, res.equity["date"].to_list())
    for mine, theirs in (("total_return", "total_return"), ("volatility", "volatility"), ("sharpe", "sharpe"),
                         ("sortino", "sortino"), ("max_drawdown", "max_drawdown"), ("cagr_calendar", "cagr")):
        assert s[mine] == pytest.approx(res.stats[theirs], rel=1e-9), mine
    report = tearsheet_report(res)
    assert [x.key for x in report.sections] == ["summary", "equity", "drawdowns", "monthly", "rolling", "trades"]
    assert report.section("trades").tables[0].rows[0][:3] == ("IWM", "long", date(2015, 1, 5))


@pytest.fixture(scope="module")
def tearsheet(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from typer.testing import CliRunner

    from rotation.cli.main import app

    out = tmp_path_factory.mktemp("tearsheet") / "ts.html"
    res = CliRunner().invoke(app, ["backtest", "run", "pair-switch", "--signal", "RUT:NDX", "--stop", "0.08",
                                   "--commission", "0.0005", "--out", str(out), "--trades", "0",
                                   "--store", str(real_store)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out, res.output


def test_run_out_writes_a_self_contained_page(tearsheet: tuple[Path, str], cli, real_store: Path,
                                             tmp_path: Path) -> None:
    path, output = tearsheet
    text = path.read_text(encoding="utf-8")
    assert "tearsheet written to" in output
    assert '<script type="text/javascript" src=' not in text and len(text) > 3_000_000  # plotly.js inside
    assert "Backtest tearsheet: pair-switch" in text and "benchmark SPY" in text
    assert "window 2000-05-26 .. 2025-09-26" in text
    for reason in ("signal", "stop"):
        assert f"<td>{reason}</td>" in text
    bad = cli("backtest", "run", "pair-switch", "--out", str(tmp_path / "x.png"), "--store", str(real_store))
    assert bad.exit_code == 2 and not (tmp_path / "x.png").exists()
    nob = cli("backtest", "run", "pair-switch", "--out", str(tmp_path / "y.html"), "--benchmark", "NOPE",
              "--store", str(real_store))
    assert nob.exit_code == 2 and "NOPE" in nob.output and not (tmp_path / "y.html").exists()


@pytest.mark.skipif(find_chromium() is None, reason="headless Chromium not found: `apt-get install -y chromium`")
def test_every_tearsheet_chart_is_drawn_in_chromium(tearsheet: tuple[Path, str]) -> None:
    check = check_page(tearsheet[0])
    assert check.plotly_loaded and check.errors == () and check.blank_plots == ()
    plots = {p["id"]: p for p in check.plots}
    assert set(plots) == {"fig-equity", "fig-drawdowns", "fig-monthly", "fig-rolling_sharpe"}
    for p in plots.values():
        assert int(p["drawn"]) == int(p["traces"]) > 0 and int(p["points"]) > 0, p
    assert int(plots["fig-equity"]["traces"]) == 2  # strategy and benchmark
    assert [s["id"] for s in check.sections] == ["summary", "equity", "drawdowns", "monthly", "rolling", "trades"]
