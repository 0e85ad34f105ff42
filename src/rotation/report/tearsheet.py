"""A backtest tearsheet: one self-contained HTML page (plotly.js embedded, opens offline).

``rotation backtest run ... --out tearsheet.html`` writes it.  It holds the
equity curve against a benchmark (buy and hold of its ``adj_close``), the
drawdowns, a monthly returns heat map, the rolling Sharpe ratio, the trade list
and the statistics.  The figures come from the report's builders
(:mod:`rotation.report.charts`) and the page from :mod:`rotation.report.html`.

The statistics follow QuantStats (0.0.x) and empyrical, on the daily returns
``r`` of the equity curve (:data:`TEARSHEET_STATS` holds each definition;
``bench/bench_stats_vs_quantstats.py`` checks them side by side against
QuantStats).  They match the backtest's own statistics
(:mod:`rotation.backtest.stats`) except for CAGR and Calmar: QuantStats counts
years as ``len(r) / 252`` sessions, the backtest as calendar days / 365.25; the
page shows both CAGRs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from rotation.backtest.run import BacktestResult
from rotation.backtest.stats import PERIODS
from rotation.data.store import Store
from rotation.data.symbols import normalize_symbol
from rotation.data.textio import write_atomic
from rotation.errors import DataError
from rotation.report import charts
from rotation.report.html import render_html
from rotation.report.model import Column, FigureRef, Report, Section, Table

ROLLING = 126  # sessions of the rolling Sharpe ratio (QuantStats' default, six months)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class StatDef:
    """One tearsheet statistic: key, label, how to show it, and its definition."""

    key: str
    label: str
    kind: str
    definition: str


TEARSHEET_STATS: tuple[StatDef, ...] = (
    StatDef("total_return", "total return", "pct", "prod(1 + r) - 1"),
    StatDef("cagr", "CAGR (QuantStats)", "pct", "(1 + total) ** (252 / len(r)) - 1"),
    StatDef("cagr_calendar", "CAGR (calendar years)", "pct", "(1 + total) ** (365.25 / calendar days) - 1"),
    StatDef("volatility", "volatility", "pct0", "std(r, ddof=1) * sqrt(252)"),
    StatDef("sharpe", "Sharpe", "num", "mean(r - rf) / std(r - rf, ddof=1) * sqrt(252)"),
    StatDef("sortino", "Sortino", "num", "mean(r - rf) / sqrt(sum(min(r - rf, 0)^2) / len(r)) * sqrt(252)"),
    StatDef("max_drawdown", "max drawdown", "pct", "min(E / running max(E)) - 1, E = prod(1 + r) from 1"),
    StatDef("calmar", "Calmar", "num", "CAGR (QuantStats) / abs(max drawdown)"),
    StatDef("skew", "skew", "num", "sample skewness of r (pandas skew, bias-corrected)"),
    StatDef("kurtosis", "kurtosis", "num", "sample excess kurtosis of r (pandas kurt, bias-corrected)"),
    StatDef("best_day", "best day", "pct", "max(r)"),
    StatDef("worst_day", "worst day", "pct", "min(r)"),
    StatDef("win_days", "winning days", "pct0", "count(r > 0) / count(r != 0)"),
)


def _skew_kurt(r: np.ndarray) -> tuple[float, float]:
    """pandas' bias-corrected sample skewness (G1) and excess kurtosis (G2)."""
    n = r.size
    if n < 4:
        return math.nan, math.nan
    d = r - r.mean()
    m2, m3, m4 = (float(np.mean(d**k)) for k in (2, 3, 4))
    if not m2 > 0:
        return math.nan, math.nan
    g1 = m3 / m2**1.5
    skew = g1 * math.sqrt(n * (n - 1)) / (n - 2)
    g2 = m4 / m2**2 - 3.0
    kurt = ((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3))
    return skew, kurt


def tearsheet_stats(returns: np.ndarray, dates: Sequence[date] | None = None, risk_free: float = 0.0) -> dict[str, float]:
    """The statistics of :data:`TEARSHEET_STATS` from daily ``returns`` (``dates``: the bars, one more
    than the returns, for the calendar CAGR)."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    nan = math.nan
    if r.size < 2:
        return {s.key: nan for s in TEARSHEET_STATS}
    rf = (1.0 + risk_free) ** (1.0 / PERIODS) - 1.0
    x = r - rf
    total = float(np.prod(1.0 + r) - 1.0)
    cagr = (1.0 + total) ** (PERIODS / r.size) - 1.0 if total > -1 else nan
    days = (dates[-1] - dates[0]).days if dates is not None and len(dates) > 1 else 0
    sd = float(x.std(ddof=1))
    down = math.sqrt(float(np.sum(np.minimum(x, 0.0) ** 2)) / x.size)
    eq = np.concatenate([[1.0], np.cumprod(1.0 + r)])
    mdd = float(np.min(eq / np.maximum.accumulate(eq)) - 1.0)
    skew, kurt = _skew_kurt(r)
    moved = int(np.count_nonzero(r))
    return {
        "total_return": total,
        "cagr": cagr,
        "cagr_calendar": (1.0 + total) ** (365.25 / days) - 1.0 if days > 0 and total > -1 else nan,
        "volatility": float(r.std(ddof=1)) * math.sqrt(PERIODS),
        "sharpe": float(x.mean()) / sd * math.sqrt(PERIODS) if sd > 0 else nan,
        "sortino": float(x.mean()) / down * math.sqrt(PERIODS) if down > 0 else nan,
        "max_drawdown": mdd,
        "calmar": cagr / abs(mdd) if mdd < 0 else nan,
        "skew": skew,
        "kurtosis": kurt,
        "best_day": float(r.max()),
        "worst_day": float(r.min()),
        "win_days": int(np.sum(r > 0)) / moved if moved else nan,
    }


def monthly_returns(dates: Sequence[date], equity: np.ndarray) -> tuple[list[int], list[list[float | None]]]:
    """``(years, [year][month])`` compounded monthly returns: a month's last equity over the
    previous month's last (the first month: over the first bar)."""
    frame = pl.DataFrame({"date": pl.Series(list(dates), dtype=pl.Date), "equity": np.asarray(equity, dtype=float)})
    ends = (frame.with_columns(pl.col("date").dt.year().alias("y"), pl.col("date").dt.month().alias("m"))
            .group_by("y", "m", maintain_order=True).agg(pl.col("equity").last()))
    prev = np.concatenate([[float(equity[0])], ends["equity"].to_numpy()[:-1]])
    rets = ends["equity"].to_numpy() / prev - 1.0
    years = sorted(set(ends["y"].to_list()))
    grid: list[list[float | None]] = [[None] * 12 for _ in years]
    for y, m, v in zip(ends["y"].to_list(), ends["m"].to_list(), rets, strict=True):
        grid[years.index(y)][m - 1] = float(v)
    return years, grid


def rolling_sharpe(returns: np.ndarray, window: int = ROLLING) -> np.ndarray:
    """``mean / std(ddof=1) * sqrt(252)`` over the trailing ``window`` returns (NaN before)."""
    s = pl.Series(np.asarray(returns, dtype=float))
    out = (s.rolling_mean(window) / s.rolling_std(window, ddof=1) * math.sqrt(PERIODS)).to_numpy()
    return np.where(np.isfinite(out), out, np.nan)


def benchmark_curve(store: Store, symbol: str, dates: Sequence[date]) -> np.ndarray:
    """Buy and hold of ``symbol``'s ``adj_close`` on ``dates`` (1.0 on its first bar there; NaN before,
    a missing day carried)."""
    bars = store.bars([symbol], dates[0], dates[-1])
    if bars.is_empty():
        raise DataError(f"--benchmark {symbol}: no bars from {dates[0]} to {dates[-1]} in the store")
    frame = pl.DataFrame({"date": pl.Series(list(dates), dtype=pl.Date)}).join(
        bars.select("date", "adj_close"), on="date", how="left").with_columns(pl.col("adj_close").forward_fill())
    px = frame["adj_close"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    first = px[np.flatnonzero(np.isfinite(px))[0]]
    return px / first


def _opt(values: np.ndarray) -> tuple[float | None, ...]:
    return tuple(None if not math.isfinite(v) else float(v) for v in values)


def tearsheet_report(res: BacktestResult, benchmark: tuple[str, np.ndarray] | None = None,
                     store_label: str = "") -> Report:
    """The tearsheet of one run as a :class:`Report` (``benchmark``: name and curve on the run's dates)."""
    dates = tuple(res.equity["date"].to_list())
    eq = res.equity["equity"].to_numpy()
    r = eq[1:] / eq[:-1] - 1.0
    rf = res.config.risk_free
    mine = tearsheet_stats(r, dates, rf)
    bname, beq = benchmark if benchmark is not None else ("", None)
    theirs: dict[str, float] = {}
    if beq is not None:
        ok = np.flatnonzero(np.isfinite(beq))
        b_eq = beq[ok[0]:]
        theirs = tearsheet_stats(b_eq[1:] / b_eq[:-1] - 1.0, dates[ok[0]:], rf)
    cols = [Column("statistic"), Column("strategy", "text")]
    if theirs:
        cols.append(Column(f"benchmark {bname}", "text"))
    cols.append(Column("definition (QuantStats / empyrical)"))
    from rotation.report.model import format_cell

    rows = []
    for s in TEARSHEET_STATS:
        row = [s.label, format_cell(mine[s.key], s.kind)]
        if theirs:
            row.append(format_cell(theirs[s.key], s.kind))
        rows.append((*row, s.definition))
    stats_table = Table("statistics (daily returns r of the equity curve, rf = daily risk-free rate)",
                        tuple(cols), tuple(rows))
    own = res.stats
    book = Table("the book", (Column("item"), Column("value", "text")), (
        ("trades opened", f"{int(own['trades']):,}"),
        ("win rate (closed trades, net of costs)", format_cell(own["win_rate"], "pct0")),
        ("exposure (mean invested fraction)", format_cell(own["exposure"], "pct0")),
        ("turnover / year", format_cell(own["turnover"], "num")),
    ))
    params = ", ".join(f"{k}={'+'.join(v) if isinstance(v, tuple) else v}" for k, v in vars(res.params).items())
    c = res.config
    summary = Section(1, "summary", "Summary", lines=(
        f"{res.strategy}: {params}",
        f"window {res.window.describe()}",
        f"execution at the next {c.execution}; cost {c.cost * 1e4:g} bps a side"
        + (f"; stop {c.stop:.2%}" if c.stop else "") + (f"; trailing stop {c.trail:.2%}" if c.trail else ""),
        "prices: dividend-adjusted (adj_close); "
        + (f"benchmark: buy and hold of {bname} (adj_close)" if theirs else "no benchmark"),
    ), tables=(stats_table, book))
    curve = pl.DataFrame({"date": pl.Series(dates, dtype=pl.Date), "strategy": eq,
                          **({bname: beq} if beq is not None else {})}).fill_nan(None)
    equity_fig = charts.compare_lines(curve, title="equity, rebased to 100", height=460)
    dd = eq / np.maximum.accumulate(eq) - 1.0
    overlays: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    rs_over: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    if beq is not None:
        with np.errstate(invalid="ignore"):
            bdd = beq / np.fmax.accumulate(beq) - 1.0
            br = beq[1:] / beq[:-1] - 1.0
        overlays = ((f"{bname} drawdown %", _opt(bdd * 100)),)
        rs_over = ((f"{bname} rolling Sharpe", _opt(rolling_sharpe(br))),)
    dd_fig = charts.line_panels([charts.LinePanel("drawdown from the running high, %", dates, _opt(dd * 100),
                                                  "strategy drawdown %", overlays, hline=0.0)],
                                title="drawdowns", cols=1, height=380)
    years, grid = monthly_returns(dates, eq)
    month_fig = charts.heatmap([str(y) for y in years], MONTHS, grid, title="monthly returns (%)")
    month_fig.update_yaxes(type="category", dtick=1)  # every year labelled, not a numeric axis
    rs_fig = charts.line_panels([charts.LinePanel(f"rolling Sharpe ratio, {ROLLING} sessions", dates[1:],
                                                  _opt(rolling_sharpe(r)), "strategy rolling Sharpe", rs_over,
                                                  hline=0.0)], title="rolling Sharpe", cols=1, height=380)
    t = res.trades
    trade_rows = tuple(
        (x["symbol"], x["side"], x["entry_date"], x["entry_price"], x["exit_date"], x["exit_price"],
         x["exit_reason"], x["return"], x["bars"])
        for x in t.iter_rows(named=True))
    trades = Table(f"{t.height:,} trades (adjusted prices; return net of costs)", (
        Column("symbol"), Column("side"), Column("entry", "date"), Column("entry price", "num"), Column("exit", "date"),
        Column("exit price", "num"), Column("reason"), Column("return", "pct"), Column("bars", "int")),
        trade_rows, note="exit 'open': still held at the end of the window")
    sections = (
        summary,
        Section(2, "equity", "Equity against the benchmark", figures=(FigureRef("equity", "equity", equity_fig),)),
        Section(3, "drawdowns", "Drawdowns", figures=(FigureRef("drawdowns", "drawdowns", dd_fig, height=380),)),
        Section(4, "monthly", "Monthly returns", figures=(
            FigureRef("monthly", "monthly returns", month_fig, height=max(320, 28 * len(years) + 140)),)),
        Section(5, "rolling", "Rolling Sharpe ratio", figures=(FigureRef("rolling_sharpe", "rolling Sharpe",
                                                                          rs_fig, height=380),)),
        Section(6, "trades", "Trades", tables=(trades,), status="ok" if t.height else "empty"),
    )
    return Report(res.end, datetime.now(UTC).replace(tzinfo=None), store_label, (), sections)


def render_tearsheet(report: Report) -> str:
    """The tearsheet page (plotly.js embedded once)."""
    first = report.sections[0].lines[0] if report.sections and report.sections[0].lines else ""
    return render_html(report, title=f"Backtest tearsheet: {first.split(':')[0]}",
                       meta=f"generated {report.generated_at.isoformat(timespec='seconds')} UTC"
                       + (f" · store {report.store}" if report.store else ""))


def write_tearsheet(store: Store, res: BacktestResult, path: Path | str, benchmark: str | None = "SPY") -> Path:
    """Load the benchmark, build the tearsheet of ``res`` and write it to ``path`` (whole file or nothing)."""
    bench = None
    if benchmark:
        sym = normalize_symbol(benchmark)
        bench = (sym, benchmark_curve(store, sym, tuple(res.equity["date"].to_list())))
    page = render_tearsheet(tearsheet_report(res, bench, str(store.path)))
    return write_atomic(path, page, "tearsheet")
